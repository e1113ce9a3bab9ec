"""The reports an agency or oversight body asks for; each catches its projections up first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.violations import DEFINITIONS_VERSION, ReportRequest, compute
from reentry_ledger.timeline import as_utc


class Reports:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.runner = ProjectionRunner(ledger)

    def reader(self, known_at: datetime | None) -> FactReader:
        """Catch up first, so a report always reflects every event recorded before it."""
        self.runner.catch_up()
        return FactReader(self.runner.store, moment(as_utc(known_at)) if known_at else None)

    def violations(
        self, request: ReportRequest, known_at: datetime | None = None
    ) -> dict[str, Any]:
        reader = self.reader(known_at)
        groups = compute(reader.clients(), request, reader.earliest_start())
        return {"groups": groups, "definitions_version": DEFINITIONS_VERSION}
