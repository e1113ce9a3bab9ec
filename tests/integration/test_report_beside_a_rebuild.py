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
from reentry_ledger.projections.verify import verify
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
            clear_every_projection(db_url)

    return catch_up


def clear_every_projection(db_url: str) -> None:
    """As another process's `projections rebuild` begins."""
    other = Ledger(db_url, clock=lambda: TODAY)
    try:
        store = ProjectionStore(other)
        for projection in PROJECTIONS:
            store.clear(projection)
    finally:
        other.close()


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


def test_a_projections_verify_beside_a_report_is_not_taken_for_a_rebuild(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # verify clears scratch projections of its own (`<name>_verifying`): the report read as
    # they stand was refused as if the projections had been rebuilt (a reviewer's probe)
    original = Reports.catch_up

    def verified_elsewhere(reports: Reports) -> None:
        original(reports)
        other = Ledger(db_url, clock=lambda: TODAY)
        try:
            assert verify(ProjectionRunner(other)) == []
        finally:
            other.close()

    expected = grouped(Reports(demo_ledger, "jdoe"))
    monkeypatch.setattr(Reports, "catch_up", verified_elsewhere)
    assert grouped(Reports(demo_ledger, "jdoe", catch_up=False)) == expected


def test_a_clear_just_after_the_catch_up_is_seen(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the count of clears was read after the catch-up: a clear between the two was taken as
    # where the reading began, and the report read emptied tables (a reviewer's probe)
    expected = grouped(Reports(demo_ledger, "jdoe"))
    original = ProjectionRunner.catch_up
    left = [1]

    def caught_up_then_cleared(runner: ProjectionRunner, *args: Any, **kwargs: Any) -> Any:
        done = original(runner, *args, **kwargs)
        if left[0]:
            left[0] -= 1
            clear_every_projection(db_url)
        return done

    monkeypatch.setattr(ProjectionRunner, "catch_up", caught_up_then_cleared)
    assert grouped(Reports(demo_ledger, "jdoe")) == expected


def test_a_clear_after_the_standing_was_read_is_seen(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read as they stand: a clear between reading the positions and the report was not seen
    reports = Reports(demo_ledger, "jdoe", catch_up=False)
    clear_every_projection(db_url)
    with pytest.raises(Conflict, match="rebuilt while the report read them"):
        grouped(reports)


def test_a_report_read_again_tells_its_notes_once(
    db_url: str, demo_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Reports, "catch_up", rebuilt_elsewhere(db_url))
    request = ReportRequest(today=TODAY, by=("agency",), suppress_below=3)
    demo_ledger.notices.clear()
    demo_ledger.add_user("aud", "auditor", None, actor="aud")
    demo_ledger.add_user("ov", "oversight", None, actor="aud")
    Reports(demo_ledger, "ov").violations(request)
    assert len(demo_ledger.notices) == 1, demo_ledger.notices
