"""A report read while another process rebuilds the projections it reads answers with the
figures of the whole ledger, or says the ledger is busy: never with the emptied tables' figures.

Found by probing PostgreSQL under load as an operator would: a report caught its projections
up, then a `projections rebuild` elsewhere cleared them before the report read them, and it
printed "(no groups)" with exit 0. A report now looks whether any projection was cleared while
it read; if one was, it catches up again (joining the rebuild to its end) and reads again. Read
as they stand (`--no-catch-up`, a replica), where it may not catch up, it says so instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY


@pytest.fixture
def demo_ledger(db_url: str) -> Iterator[Ledger]:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=30, seed=5)
    ProjectionRunner(ledger).catch_up()
    yield ledger
    ledger.close()


def rebuilt_elsewhere(db_url: str, times: int = 1) -> Callable[[Reports], None]:
    """A `catch_up` for Reports after which another process's rebuild clears every projection
    (and has not refilled them yet), the first `times` catch-ups."""
    original = Reports.catch_up
    left = [times]

    def catch_up(reports: Reports) -> None:
        original(reports)
        if left[0] > 0:
            left[0] -= 1
            other = Ledger(db_url, clock=lambda: TODAY)
            try:
                store = ProjectionStore(other)
                for projection in PROJECTIONS:
                    store.clear(projection)
            finally:
                other.close()

    return catch_up


def grouped(reports: Reports) -> list[dict[str, Any]]:
    request = ReportRequest(today=TODAY, by=("agency", "risk"))
    groups: list[dict[str, Any]] = reports.violations(request)["groups"]
    return groups


def test_a_report_read_while_a_rebuild_clears_its_projections_counts_the_whole_ledger(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = grouped(Reports(demo_ledger, "jdoe"))
    assert sum(group["clients"] for group in expected) > 0

    monkeypatch.setattr(Reports, "catch_up", rebuilt_elsewhere(db_url))
    assert grouped(Reports(demo_ledger, "jdoe")) == expected


def test_a_report_whose_projections_are_cleared_at_every_reading_says_the_ledger_is_busy(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Reports, "catch_up", rebuilt_elsewhere(db_url, times=10))
    with pytest.raises(Conflict, match="rebuilt while the report read them"):
        grouped(Reports(demo_ledger, "jdoe"))


def test_a_report_read_as_they_stand_while_a_rebuild_clears_them_says_so(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Reports, "catch_up", rebuilt_elsewhere(db_url))
    with pytest.raises(Conflict, match="rebuilt while the report read them"):
        grouped(Reports(demo_ledger, "jdoe", catch_up=False))
