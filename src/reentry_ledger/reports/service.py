"""The reports an agency or oversight body asks for; each catches its projections up first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Permission
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports import casework
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.justice_counts import COLUMNS, justice_counts
from reentry_ledger.reports.suppression import hide_small_counts, threshold
from reentry_ledger.reports.violations import DEFINITIONS_VERSION, ReportRequest, report
from reentry_ledger.timeline import as_utc


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]

    def as_document(self) -> dict[str, Any]:
        return {"groups": self.rows, "definitions_version": DEFINITIONS_VERSION}


class Reports:
    """Every report, for one actor: refused without the REPORT permission, and for the
    oversight role small counts are hidden unless a threshold is asked for."""

    def __init__(self, ledger: Ledger, actor: str | None = None) -> None:
        self.ledger = ledger
        self.who = ledger.require(actor, Permission.REPORT)
        self.runner = ProjectionRunner(ledger)

    def reader(self, known_at: datetime | None, casework: bool = False) -> FactReader:
        """Catch up first, so a report always reflects every event recorded before it."""
        self.runner.catch_up()
        moment_text = moment(as_utc(known_at)) if known_at else None
        return FactReader(self.runner.store, moment_text, casework=casework)

    def violations(
        self, request: ReportRequest, known_at: datetime | None = None
    ) -> dict[str, Any]:
        below = threshold(request.suppress_below, self.who.default_suppression)
        request = replace(request, suppress_below=below)
        reader = self.reader(known_at)
        groups = report(reader.store, request, reader.known_at, reader.earliest_start())
        return {"groups": groups, "definitions_version": DEFINITIONS_VERSION}

    def caseload(self, on: date, by: Sequence[str], known_at: datetime | None = None) -> Table:
        rows = casework.caseload(self.reader(known_at).clients(), on, by)
        return self.shown(Table((*by, "active_clients"), rows))

    def discharges(
        self, first: date | None, last: date, by: Sequence[str], known_at: datetime | None = None
    ) -> Table:
        reader = self.reader(known_at)
        start = first or reader.earliest_start() or last
        rows = casework.discharges(reader.clients(), start, last, by)
        return self.shown(Table((*by, *casework.DISCHARGE_COLUMNS), rows))

    def referrals(self, first: date | None, last: date, known_at: datetime | None = None) -> Table:
        reader = self.reader(known_at, casework=True)
        start = first or reader.earliest_start() or last
        rows = casework.referrals(reader.clients(), start, last)
        return self.shown(Table(("service", *casework.REFERRAL_COLUMNS), rows))

    def volunteers(
        self, first: date | None, last: date, by: Sequence[str], known_at: datetime | None = None
    ) -> Table:
        reader = self.reader(known_at, casework=True)
        start = first or reader.earliest_start() or last
        rows = casework.volunteers(reader.clients(), start, last, by)
        return self.shown(Table((*by, *casework.VOLUNTEER_COLUMNS), rows))

    def justice_counts(self, year: int, known_at: datetime | None = None) -> Table:
        return self.shown(Table(COLUMNS, justice_counts(self.reader(known_at).clients(), year)))

    def shown(self, table: Table) -> Table:
        below = self.who.default_suppression
        return Table(table.columns, hide_small_counts(table.rows, below))
