"""The violation report counted by the database (one query per kind of count) gives exactly
what counting the same facts client by client gives, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.violations import ReportRequest, report
from tests.builders import TODAY
from tests.reference_report import compute

REQUESTS = [
    ReportRequest(today=TODAY),
    ReportRequest(today=TODAY, by=DIMENSIONS[:5], period="quarter"),
    ReportRequest(
        today=TODAY,
        by=("risk", "supervision"),
        period="month",
        first=date(2024, 2, 14),
        last=date(2025, 3, 31),
    ),
    ReportRequest(today=TODAY, by=("agency", "juvenile"), period="year", suppress_below=5),
    ReportRequest(
        today=TODAY, by=("agency", "level"), period="quarter", window=60, exclude_dismissed=True
    ),
]
IDS = ["whole", "every dimension", "range", "year", "window and dismissed set aside"]


@pytest.mark.parametrize("request_", REQUESTS, ids=IDS)
def test_the_database_counts_what_the_client_by_client_reference_counts(
    db_url: str, request_: ReportRequest
) -> None:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=300, seed=4)
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    stamps = sorted(
        event.timestamp for event in ledger.get_client("DEMO-0000007").history
    )  # a moment in the middle of the demo's recording
    for known_at in (None, moment(stamps[len(stamps) // 2])):
        reader = FactReader(runner.store, known_at)
        earliest = reader.earliest_start()
        expected = compute(reader.clients(), request_, earliest)
        assert expected, "the demo population gives groups to compare"
        assert report(runner.store, request_, known_at, earliest) == expected
    ledger.close()
