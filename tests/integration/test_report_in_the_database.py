"""The violation report counted by the database (one query per kind of count) gives exactly
what counting the same facts client by client gives, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import itertools
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from functools import partial
from typing import Any
from unittest import mock

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports import kept, tallies, violations
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.tallies import id_ranges
from reentry_ledger.reports.violations import ReportRequest, report
from tests.builders import TODAY
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres
from tests.reference_report import compute, counted_afresh

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
    ReportRequest(today=TODAY, by=("race", "age_band", "term"), period="year"),
]
IDS = ["whole", "every dimension", "range", "year", "window and dismissed set aside", "the rest"]


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
        # as a large ledger is counted: in parts over clients, side by side (counted again,
        # not read back from the answer the first report kept)
        with (
            mock.patch.object(tallies, "client_parts", lambda store: id_ranges(5)),
            counted_afresh(),
        ):
            assert report(runner.store, request_, known_at, earliest) == expected
    ledger.close()


def test_a_catch_up_landing_between_the_statements_does_not_mix_two_states(db_url: str) -> None:
    """A report's statements run side by side, each in its own transaction: when another
    process catches the projections up between two of them, the report is still that of one
    state of the ledger (they run again in one transaction), never counts from both."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=60, seed=4)
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    request_ = ReportRequest(today=TODAY, by=("agency",), period="quarter")
    reader = FactReader(runner.store, None)
    before = report(runner.store, request_, None, reader.earliest_start())
    recorded = 0
    for ref in (f"DEMO-{n:07d}" for n in range(1, 61)):  # two violations, not yet caught up
        with contextlib.suppress(RuleViolated):  # a client discharged by then
            ledger.record_violation(ref, actor="t", on=date(2025, 12, 1), technical=("curfew",))
            recorded += 1
        if recorded == 2:
            break
    first_read, caught_up = threading.Event(), threading.Event()
    real = tallies.snapshot
    calls = itertools.count()

    def snapshot(store: Any, cursor: Any, *kept_from: Any) -> Any:
        if next(calls) == 0:  # the first statement reads the state before the catch-up
            state = real(store, cursor, *kept_from)
            first_read.set()
            caught_up.wait(30)
            return state
        if not caught_up.is_set():  # the second lands after it
            first_read.wait(30)
            ProjectionRunner(Ledger(db_url, clock=lambda: TODAY)).catch_up()
            caught_up.set()
        return real(store, cursor, *kept_from)

    # every term cut by the statements themselves (as for `--known-at`): the kept segments'
    # own check would otherwise catch this catch-up first
    with (
        mock.patch.object(tallies, "snapshot", snapshot),
        mock.patch.object(violations, "tallies", partial(tallies.tallies, keep=False)),
    ):
        found = report(runner.store, request_, None, reader.earliest_start())
    runner.catch_up()
    after = report(runner.store, request_, None, reader.earliest_start())
    assert before != after, "the two violations change the report"
    assert found == after
    ledger.close()


def by_officer_on_a_demo(
    db_url: str, clients: int, seed: int
) -> tuple[Ledger, ProjectionRunner, ReportRequest, Any]:
    """A demo ledger with its projections caught up, the report by officer asked of it, and
    its earliest start."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=clients, seed=seed)
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    earliest = FactReader(runner.store, None).earliest_start()
    return ledger, runner, ReportRequest(today=TODAY, by=("officer",)), earliest


def test_a_catch_up_landing_after_the_kept_segments_are_brought_up_is_not_mixed_in(
    db_url: str,
) -> None:
    """The kept segments are brought up to the projections before the statements read them:
    when another process catches up in between, the statements read violations the segments
    do not place yet (a reassignment moves them to a new officer). The report is then that of
    the ledger after the catch-up, not one with the new violations under the old officers."""
    ledger, runner, request_, earliest = by_officer_on_a_demo(db_url, clients=60, seed=4)
    before = report(runner.store, request_, None, earliest)
    moved = 0
    for ref in (f"DEMO-{n:07d}" for n in range(1, 61)):  # not yet caught up
        with contextlib.suppress(RuleViolated):  # a client discharged by then
            ledger.reassign(ref, actor="t", on=date(2025, 11, 1), officer="NEW-OFFICER")
            ledger.record_violation(ref, actor="t", on=date(2025, 12, 1), technical=("curfew",))
            moved += 1
        if moved == 2:
            break
    real = kept.kept_segments
    calls = itertools.count()

    def brought_up_then_caught_up(store: Any) -> bool:
        current = real(store)
        if next(calls) == 0:  # another process catches up right after
            ProjectionRunner(Ledger(db_url, clock=lambda: TODAY)).catch_up()
        return current

    # counted, not read back from the answer `before` kept
    with mock.patch.object(kept, "kept_segments", brought_up_then_caught_up), counted_afresh():
        found = report(runner.store, request_, None, earliest)
    after = report(runner.store, request_, None, earliest)
    assert "NEW-OFFICER" in {row["officer"] for row in after} and after != before
    assert found == after
    ledger.close()


def test_two_reports_bringing_the_kept_segments_up_at_once_both_answer(db_url: str) -> None:
    """Two processes' reports find the kept segments behind the projections and bring them up
    together: the one whose refresh read the old position after the other's had begun, and
    commits second, must still answer (SQLite: its snapshot is older than the other's commit,
    so its first write is refused at once, not after a wait), with the figures of one report
    made alone."""
    ledger, runner, request_, earliest = by_officer_on_a_demo(db_url, clients=30, seed=5)
    report(runner.store, request_, None, earliest)  # the segments kept at this position
    ledger.record_violation("DEMO-0000001", actor="t", on=date(2025, 12, 1), technical=("curfew",))
    runner.catch_up()  # the projections move on; the kept segments are behind them
    other = ProjectionRunner(Ledger(db_url, clock=lambda: TODAY)).store
    real = kept.kept_state
    calls = itertools.count()
    pool = ThreadPoolExecutor(1)
    started: list[Future[bool]] = []

    def read_then_overtaken(store: Any, cursor: Any = None) -> Any:
        state = real(store, cursor)
        if cursor is not None and next(calls) == 0:  # in this refresh, after its first read
            started.append(pool.submit(kept.kept_segments, other))  # another process's
            if not store.postgres:  # SQLite lets it commit meanwhile; PostgreSQL's lock
                started[0].result()  # keeps it waiting until this refresh commits
        return state

    with mock.patch.object(kept, "kept_state", read_then_overtaken):
        found = report(runner.store, request_, None, earliest)
    assert started and started[0].result(timeout=60)  # the other brought them up too
    pool.shutdown()
    with mock.patch.object(violations, "tallies", partial(tallies.tallies, keep=False)):
        assert found == report(runner.store, request_, None, earliest)  # every term cut again
    ledger.close()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("server", "in_a_report"),
    [("4MB", "64MB"), ("256kB", "64MB"), ("64MB", "64MB"), ("1GB", "1GB")],
)
def test_a_report_raises_postgresql_work_mem_to_64mb_and_keeps_a_larger_setting(
    server: str, in_a_report: str
) -> None:
    """Sorts and hashes of a report's statements get 64 MB (PostgreSQL's default 4 MB spilled
    them to disk); a server set to give more keeps its setting."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    ledger = Ledger(f"{POSTGRES_URL}?schema={schema}")
    store = ProjectionStore(ledger)
    try:
        with store.transaction(commit=False) as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{server}'")
            tallies.analytic(store, cursor)
            assert fetched(cursor, "SHOW work_mem", ())[0][0] == in_a_report
    finally:
        ledger.close()
        drop_schema(schema)
