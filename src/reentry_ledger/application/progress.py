"""The progress report for a hearing (reports/progress.py): one client's record as of a date,
for those who may read the client, its reading logged as any other."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from reentry_ledger.application.access import refusals_logged
from reentry_ledger.application.reads import Reads, holder
from reentry_ledger.authorization import NotPermitted, Permission
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.personal import reveal_value

if TYPE_CHECKING:
    from reentry_ledger.reports.progress import ProgressReport

# The report's module is imported when a report is asked for, not by every command that
# builds a Ledger; the API's contract resolves the annotation from here (contract.py).
ANNOTATION_TYPES = {"ProgressReport": "reentry_ledger.reports.progress:ProgressReport"}


class ProgressReports(Reads):
    @refusals_logged("progress report")  # reports.progress.VIEW
    def progress_report(
        self,
        ref: str,
        *,
        actor: str | None,
        as_of: date | None = None,
        include_confidential: bool = False,
    ) -> ProgressReport:
        """Client REF's progress report as of a date (default today): its term and
        conditions, compliance, contacts, assessments, goals, services and the
        recommendations on record, each statement citing its events. Confidential case notes
        only when asked for, by staff of the client's own agency (anyone else asking is
        refused); the reading is logged."""
        from reentry_ledger.reports.progress import VIEW, build

        who = self.require(actor, Permission.READ_CLIENT)
        client = self.client_for(who, ref)
        if include_confidential and not who.reads_confidential(holder(who, client)):
            raise NotPermitted(
                f"{who.name} ({who.role}) may not read the confidential case notes of client "
                f"{ref!r}: only staff of its own agency may (ask without confidential notes)"
            )
        today = self.clock()
        day = as_of or today
        if day > today:
            raise InvalidInput(
                f"as of {day} is after today ({today}): a progress report says what had "
                "taken effect by its date"
            )
        reveal = self.revealer(str(client.id))
        history = [reveal_value(event, reveal) for event in client.history]
        report = build(history, as_of=day, prepared_on=today, prepared_by=who.name,
                       confidential_notes=include_confidential)  # fmt: skip
        self.log_read(who, client, VIEW, day, None)
        return report
