"""De-identified export for researchers: codes, flags and numbers only.

Each client becomes a pseudonym: a keyed hash (HMAC-SHA256) of its id under a key derived from
the ledger's own secret (ledger_secrets.py), never from anything the requester gives. Each
export draws a random salt, so its pseudonyms are its own; a research project named by a role
that may (an auditor) derives a stable key from the secret and the project's name instead.

Dates are coarsened to the month, or further: the export is k-anonymous on each client's
quasi-identifiers (QUASI_IDENTIFIERS), generalised up a ladder (LEVELS) until every released
combination holds at least k clients; clients still below k are left out. Only values from the
code lists leave: a coded-looking field holding anything else becomes `other`. Free text
(names, notes, descriptions, reasons, the agency's raw wording), officers, who recorded what,
and when it was recorded are all left out. Only client events are exported.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, cast

import orjson

from reentry_ledger.application import Ledger
from reentry_ledger.domain.codes import Instrument, values
from reentry_ledger.domain.events import (
    EVENT_CLASSES,
    ClientEvent,
    Discharged,
    Enrolled,
    ViolationRecorded,
    ViolationResponded,
)
from reentry_ledger.export import notification_pages

# What each event may carry out, field by field; everything else stays in the ledger.
ALLOWED: dict[str, tuple[str, ...]] = {
    "Enrolled": ("agency", "supervision", "conditions", "juvenile", "expected_end", "start_reason"),
    "Assessed": ("instrument", "score", "risk_level", "needs"),
    "CasePlanRevised": ("goals",),
    # Goals: their ids, needs, places, targets and statuses; never their text or notes.
    "GoalAdded": ("goal_id", "need", "priority", "target"),
    "GoalProgressed": ("goal_id", "status"),
    "GoalReordered": ("goal_id", "priority"),
    "CasePlanApproved": ("goals",),
    "Referred": ("referral_id", "service", "goal_id", "need"),
    "ReferralUpdated": ("referral_id", "status", "reason"),
    # Programme places by service alone: a programme's name could single out a small group.
    "ProgrammeEnrolled": ("service",),
    "ProgrammeSessionAttended": (),
    "ProgrammeSessionMissed": (),
    "ProgrammeEnded": ("outcome",),
    "ContactLogged": ("kind", "confidential"),
    "VolunteerMatched": ("needs",),
    "VolunteerMatchEnded": ("ending",),
    "ViolationRecorded": ("violation_id", "technical", "absconding", "new_offence"),
    "ViolationResponded": (
        "violation_id",
        "response",
        "custody_days",
        "decided_by",
        "recommendation",
        "term_outcome",
    ),
    "DispositionRecorded": ("violation_id", "disposition", "offence_type"),
    "IncentiveGranted": ("kind",),  # never its note
    "Discharged": ("outcome", "decision"),
    "Corrected": ("corrects",),
    "ClientSealed": (),
    # A later term: its values as the enrolment's (no officer, no age band).
    "TermStarted": (
        "term",
        "agency",
        "supervision",
        "conditions",
        "expected_end",
        "start_reason",
    ),
    "Reassigned": ("agency",),  # the officer is staff, never exported
    "LevelChanged": ("level",),
    "ConditionsChanged": ("added", "removed"),
    "CustodyStarted": ("reason",),
    "CustodyEnded": (),
    "Absconded": (),
    "Returned": (),
}
# Who the person is (sex, race, ethnicity, birth year, age band) never leaves in this export:
# with the quasi-identifiers it would single people out; reports count them only as bands.
TOPICS = [event_class.TOPIC for event_class in EVENT_CLASSES]
# What ends a term, and so dates its end: a discharge, or a revocation decision.
QUASI_TOPICS = (Enrolled.TOPIC, Discharged.TOPIC, ViolationResponded.TOPIC)
OTHER = "other"

# The instruments the export names; any other instrument (or text typed as one) is `other`.
INSTRUMENTS = frozenset(values(Instrument))  # a tool not in the list reads as `other`
# Ids the ledger assigns itself (R1, V2): anything else is not one of ours.
ASSIGNED_ID = re.compile(r"[RV][1-9][0-9]{0,5}")
# An agency's id is a code (GA, AG1, ny-doc): no spaces, no punctuation but - _ . /
AGENCY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{0,31}")
CODE_SHAPED: dict[str, Callable[[str], bool]] = {
    "instrument": INSTRUMENTS.__contains__,
    "referral_id": lambda value: ASSIGNED_ID.fullmatch(value) is not None,
    "violation_id": lambda value: ASSIGNED_ID.fullmatch(value) is not None,
    "decision": lambda value: ASSIGNED_ID.fullmatch(value) is not None,  # a violation's id
    "agency": lambda value: AGENCY_CODE.fullmatch(value) is not None,
}


def coded(name: str, value: Any) -> Any:
    """A field that is not from a code list leaves only if it is a value the list allows."""
    check = CODE_SHAPED.get(name)
    if check is None or value is None or check(value):
        return value
    return OTHER


def month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# The generalisation ladder: the dates of a client's records (every record's month, the
# expected end), then its conditions, then its expected end. Agency, supervision and juvenile
# are always kept.
LEVELS = ("month", "quarter", "year", "year, number of conditions", "year, no conditions",
          "year, no conditions, no expected end")  # fmt: skip


def period(day: date, level: int) -> str:
    if level == 0:
        return month(day)
    if level == 1:
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def plain(value: Any, level: int = 0) -> Any:
    """Codes without the agency's wording, dates as periods, goals as the needs they serve."""
    if isinstance(value, date):
        return period(value, level)
    if hasattr(value, "code"):
        return plain(value.code)
    if hasattr(value, "severity"):  # a new offence
        return {
            "severity": plain(value.severity),
            "violent": value.violent,
            "basis": plain(value.basis),
            "offence_type": plain(value.offence_type),
        }
    if hasattr(value, "need") and hasattr(value, "priority"):  # a case-plan goal
        return {"priority": value.priority, "need": plain(value.need)}
    if isinstance(value, tuple | list):
        return [plain(item, level) for item in value]
    return value.value if hasattr(value, "value") else value


class QuasiIdentifiers(NamedTuple):
    """What an outsider may know of a client and match a record on."""

    agency: str
    supervision: str
    juvenile: bool
    start: date
    expected_end: date | None
    conditions: tuple[str, ...]
    # Every date a term ended, by a discharge or a revocation decision (a corrected one and
    # its successor alike).
    ends: tuple[date, ...] = ()

    def released(self, level: int) -> tuple[Any, ...]:
        """The combination as the export shows it at this level of the ladder."""
        end = self.expected_end if level < 5 else None
        conditions = self.conditions if level < 3 else len(self.conditions) if level == 3 else None
        return (self.agency, self.supervision, self.juvenile, period(self.start, level),
                None if end is None else period(end, level), conditions,
                tuple(period(day, level) for day in self.ends))  # fmt: skip


def quasi_identifiers(event: Enrolled) -> QuasiIdentifiers:
    return QuasiIdentifiers(
        agency=coded("agency", event.agency),
        supervision=plain(event.supervision),
        juvenile=event.juvenile,
        start=event.occurred_on,
        expected_end=event.expected_end,
        conditions=tuple(sorted(plain(event.conditions))),
    )


@dataclass(frozen=True)
class Plan:
    """Each released client's level on the ladder; the others are suppressed."""

    levels: dict[str, int]
    suppressed: int
    k_achieved: int | None  # the smallest released combination (None: nothing released)


def plan(clients: dict[str, QuasiIdentifiers], k: int) -> Plan:
    """Release each client at the lowest level where its combination, among the clients not
    yet released, holds at least k of them; leave out those that no level gets there.
    Combinations of different levels never look alike, so every released one holds >= k."""
    levels: dict[str, int] = {}
    sizes: list[int] = []
    pending = set(clients)
    for level in range(len(LEVELS)):
        groups = Counter(clients[client].released(level) for client in pending)
        for client in list(pending):
            if groups[clients[client].released(level)] >= k:
                levels[client] = level
                pending.discard(client)
        sizes += [size for size in groups.values() if size >= k]
    return Plan(levels, len(pending), min(sizes) if sizes else None)


class Pseudonyms:
    """HMAC-SHA256 of a client's id under a key derived from the ledger's secret: for one
    export (a fresh random salt), or for a named research project (stable across exports)."""

    def __init__(self, secret: bytes, research_project: str | None = None) -> None:
        context = (
            b"export:" + secrets.token_bytes(32)
            if research_project is None
            else b"research:" + research_project.encode()
        )
        self.key = hmac.new(secret, context, hashlib.sha256).digest()

    def __call__(self, client_id: str) -> str:
        return "P-" + hmac.new(self.key, client_id.encode(), hashlib.sha256).hexdigest()[:20]


def deidentified(
    event: ClientEvent, pseudonym: Callable[[str], str], level: int = 0
) -> dict[str, Any]:
    kind = type(event).__name__
    data = {name: coded(name, plain(getattr(event, name), level)) for name in ALLOWED[kind]}
    if isinstance(event, Enrolled):
        data["condition_count"] = len(event.conditions) if level < 4 else None
        data["conditions"] = data["conditions"] if level < 3 else None
        data["expected_end"] = data["expected_end"] if level < 5 else None
    if isinstance(event, ViolationRecorded):
        data["category"] = event.category.value
    return {
        "client": pseudonym(str(event.originator_id)),
        "number": event.number,
        "type": kind,
        "month": period(event.occurred_on, level),
        "data": data,
    }


@dataclass
class Summary:
    k: int
    k_achieved: int | None = None
    generalised: int = 0  # records released coarser than the month, or without conditions
    suppressed: int = 0  # clients left out
    released: int = 0  # records

    def __str__(self) -> str:
        achieved = "none (nothing released)" if self.k_achieved is None else self.k_achieved
        return (
            f"k achieved: {achieved}; generalised: {self.generalised} records; "
            f"suppressed: {self.suppressed} clients"
        )


def ends_a_term(event: ClientEvent) -> bool:
    """A discharge, or a revocation decision (which ends its term on its date)."""
    return isinstance(event, Discharged) or (
        isinstance(event, ViolationResponded) and event.ends_term
    )


class DeidentifiedExport:
    """The export's lines, in two passes over the log: the first collects each client's
    quasi-identifiers (a small tuple each) and plans the ladder, the second streams the
    records. `summary` is complete once the lines are."""

    def __init__(
        self,
        ledger: Ledger,
        secret: bytes,
        k: int,
        research_project: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.pseudonym = Pseudonyms(secret, research_project)
        self.progress = progress
        self.summary = Summary(k=k)

    def events(self, topics: list[str] | tuple[str, ...]) -> Iterator[ClientEvent | int]:
        """The client events of these topics, each page followed by its size."""
        for page in notification_pages(self.ledger):
            for notification in page:
                if notification.topic in topics:
                    yield cast(ClientEvent, self.ledger.mapper.ledger_event(notification))
            yield len(page)

    def plan(self) -> Plan:
        clients: dict[str, QuasiIdentifiers] = {}
        for event in self.events(QUASI_TOPICS):
            if isinstance(event, Enrolled):
                clients[str(event.originator_id)] = quasi_identifiers(event)
            elif isinstance(event, ClientEvent) and ends_a_term(event):
                known = clients.get(str(event.originator_id))
                if known is not None:
                    ends = (*known.ends, event.occurred_on)
                    clients[str(event.originator_id)] = known._replace(ends=ends)
        return plan(clients, self.summary.k)

    def __iter__(self) -> Iterator[bytes]:
        """The records, each client's together, clients in the order of their pseudonyms: in
        the order they were recorded, line N of two exports would be the same client, and the
        order of enrolment would name them."""
        chosen = self.plan()
        self.summary.k_achieved, self.summary.suppressed = chosen.k_achieved, chosen.suppressed
        with Spool() as spool:
            for event in self.events(TOPICS):
                if isinstance(event, int):
                    if self.progress:
                        self.progress(event)
                    continue
                level = chosen.levels.get(str(event.originator_id))
                if level is None:
                    continue
                self.summary.released += 1
                self.summary.generalised += level > 0
                record = deidentified(event, self.pseudonym, level)
                spool.add(record["client"], record["number"], orjson.dumps(record) + b"\n")
            yield from spool.sorted()


class Spool:
    """Records sorted by client on disk, not in memory: a temporary SQLite file, removed
    after (an export of millions of events must not be held whole)."""

    BATCH = 5000

    def __enter__(self) -> Spool:
        self.folder = tempfile.TemporaryDirectory(prefix="reentry-deidentified-")
        self.db = sqlite3.connect(Path(self.folder.name) / "spool.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("CREATE TABLE spool (client TEXT, number INTEGER, line BLOB)")
        self.db.execute("BEGIN")
        self.pending: list[tuple[str, int, bytes]] = []
        return self

    def add(self, client: str, number: int, line: bytes) -> None:
        self.pending.append((client, number, line))
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        self.db.executemany("INSERT INTO spool VALUES (?, ?, ?)", self.pending)
        self.pending = []

    def sorted(self) -> Iterator[bytes]:
        self.flush()
        self.db.execute("COMMIT")
        for (line,) in self.db.execute("SELECT line FROM spool ORDER BY client, number"):
            yield bytes(line)

    def __exit__(self, *_: object) -> None:
        self.db.close()
        self.folder.cleanup()
