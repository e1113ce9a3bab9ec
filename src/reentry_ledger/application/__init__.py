"""The application layer: the one service every front end calls (the CLI today, the server
next). Every rule and permission is enforced here, for every command; see authorization.py
for the policy and ADR 0017 for the design.

    base.py        storage, who acts, loading and saving
    recording.py   the one write path (commands and imports alike)
    casework.py    casework commands, corrections and sealing
    reads.py       a client's timeline and case, as the actor may see them
    progress.py    a client's progress report for a hearing
    access.py      the access log
    users.py       users and roles
    policy.py      agency policy (custody caps)
    programmes.py  group programmes: places and sessions
    volunteers.py  the volunteer register, and volunteers suggested for a client
    operations.py  replay, verify, export, import, demo, projections, reports
"""

from __future__ import annotations

from reentry_ledger.application.base import Recorded, utc_today
from reentry_ledger.application.casework import Casework
from reentry_ledger.application.operations import Operations, ReplayReport
from reentry_ledger.application.programmes import Programmes
from reentry_ledger.application.progress import ProgressReports
from reentry_ledger.application.reads import Reads, redacted
from reentry_ledger.application.users import Users
from reentry_ledger.application.volunteers import Volunteers


class Ledger(Casework, Programmes, ProgressReports, Reads, Volunteers, Users, Operations):
    """An event-sourced ledger of clients under community supervision."""

    # The library names an application's tables after it, and names each subclass anew:
    # pinned, so ledgers stored by earlier versions keep their `reentryledger_events`.
    name = "ReentryLedger"


__all__ = ["Ledger", "Recorded", "ReplayReport", "redacted", "utc_today"]
