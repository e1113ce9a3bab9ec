"""A report's counts kept once asked (ADR 33): read back while the projections stand where they
were counted, with the figures counting gives; gone as soon as a catch-up or a rebuild moves
the projections, so a seal leaves no count made while the client was known, and a rebuild that
repairs damaged rows is what the next report counts; never waited for, nor kept where the
ledger may not be written."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg

from reentry_ledger.application import Ledger
from reentry_ledger.backends import parse_db_url
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.catalogue import projection_named
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers, tallies
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY, execute
from tests.reference_report import counted_afresh


def ask(ledger: Ledger, *by: str, report: str = "violations", **asked: Any) -> Any:
    request = ReportRequest(today=TODAY, by=by, **asked)
    found = getattr(Reports(ledger, "jdoe"), report)(request, None)
    return found["groups"] if report == "violations" else found.rows


@contextlib.contextmanager
def never_counted() -> Iterator[None]:
    """Reports that fail if they count rather than read a kept answer back."""
    failing = mock.Mock(side_effect=AssertionError("the report counted again"))
    with mock.patch.object(tallies, "consistent_rows", failing):
        yield


def kept_answers(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every kept answer's row, as an operator reading the database finds them."""
    return [tuple(row) for row in ProjectionStore(ledger).rows(
        f"SELECT * FROM {{{ANSWERS}}}", tables=[ANSWERS])]  # fmt: skip


def demo(ledger: Ledger) -> Ledger:
    build_demo(ledger, clients=40, seed=3)
    return ledger


def test_a_report_asked_again_is_read_back_with_the_figures_counting_gives(
    ledger: Ledger,
) -> None:
    demo(ledger)
    first = ask(ledger, "officer", "risk", period="quarter")
    assert len(kept_answers(ledger)) == 1
    with never_counted():
        again = ask(ledger, "officer", "risk", period="quarter")
    with counted_afresh():
        counted = ask(ledger, "officer", "risk", period="quarter")
    assert again == first == counted
    assert first, "the demo gives groups to compare"


def test_the_responses_report_is_read_back_too(ledger: Ledger) -> None:
    demo(ledger)
    first = ask(ledger, "agency", report="responses", period="year")
    with never_counted(), mock.patch("reentry_ledger.reports.responses.consistent_rows",
                                     side_effect=AssertionError("counted again")):  # fmt: skip
        again = ask(ledger, "agency", report="responses", period="year")
    with counted_afresh():
        counted = ask(ledger, "agency", report="responses", period="year")
    assert again == first == counted


def test_another_grouping_range_or_option_is_counted_not_read_back(ledger: Ledger) -> None:
    demo(ledger)
    ask(ledger, "agency")
    for other in (
        {"by": ("officer",)},
        {"by": ("agency",), "period": "year"},
        {"by": ("agency",), "last": date(2025, 6, 30)},
        {"by": ("agency",), "exclude_dismissed": True},
        {"by": ("agency",), "window": 30},
    ):
        by = other.pop("by")
        with counted_afresh():
            counted = ask(ledger, *by, **other)
        assert ask(ledger, *by, **other) == counted
    assert len(kept_answers(ledger)) == 6


def test_a_catch_up_removes_every_answer_and_the_next_report_counts_the_new_events(
    ledger: Ledger,
) -> None:
    demo(ledger)
    before = ask(ledger, "agency")
    ask(ledger, "officer")
    assert len(kept_answers(ledger)) == 2
    for ref in (f"DEMO-{n:07d}" for n in range(1, 41)):
        with contextlib.suppress(RuleViolated):  # a client discharged by then
            ledger.record_violation(ref, actor="t", on=date(2025, 12, 1), technical=("curfew",))
            break
    ProjectionRunner(ledger).catch_up()
    assert kept_answers(ledger) == []  # gone with the catch-up, report or not
    after = ask(ledger, "agency")
    with counted_afresh():
        assert after == ask(ledger, "agency")
    assert after != before
    assert len(kept_answers(ledger)) == 1  # only the current state's


def test_a_seal_caught_up_leaves_no_count_made_while_the_client_was_known(ledger: Ledger) -> None:
    # An operator reading the database after a seal and its catch-up (no report since) finds
    # no answer counted while the client's race and age band were on the record
    for ref, race, born in (("GA-1", "asian", 1980), ("GA-2", "white", 1990)):
        ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer="o-17",
                      supervision="parole", race=race, birth_year=born)  # fmt: skip
    groups = ask(ledger, "race", "age_band", last=date(2025, 1, 19))
    assert [(g["race"], g["age_band"]) for g in groups] == [("asian", "45_54"), ("white", "35_44")]
    assert "asian" in str(kept_answers(ledger))

    ledger.seal("GA-1", actor="jdoe", reason="court order 12")
    ProjectionRunner(ledger).catch_up()
    assert kept_answers(ledger) == []
    groups = ask(ledger, "race", "age_band", last=date(2025, 1, 19))
    assert [(g["race"], g["age_band"]) for g in groups] == [
        ("unknown", "unknown"),
        ("white", "35_44"),
    ]
    assert "asian" not in str(kept_answers(ledger))


def test_only_the_latest_answers_are_kept(ledger: Ledger) -> None:
    demo(ledger)
    with mock.patch.object(answers, "MOST", 2):
        for by in ("agency", "officer", "risk"):
            ask(ledger, by)
        assert len(kept_answers(ledger)) == 2
        with never_counted():
            ask(ledger, "risk")
            ask(ledger, "officer")
        ask(ledger, "agency")  # the first was let go: counted again


def test_while_another_writer_holds_the_answers_a_report_answers_without_keeping_its_own(
    ledger: Ledger, db_url: str
) -> None:
    demo(ledger)
    ask(ledger, "agency")  # kept; the segments kept for reports are current
    with counted_afresh():
        expected = ask(ledger, "officer")
    with holding_the_answers(ledger, db_url):
        assert ask(ledger, "officer") == expected  # answered, without waiting to keep it
    assert len(kept_answers(ledger)) == 1
    assert ask(ledger, "officer") == expected
    assert len(kept_answers(ledger)) == 2  # kept once the other let go


@contextlib.contextmanager
def holding_the_answers(ledger: Ledger, db_url: str) -> Iterator[None]:
    """Another writer in the middle of a transaction that holds the kept answers: SQLite's
    write lock (as an import holds it), PostgreSQL's lock between answers and changes to the
    projections (as a catch-up holds it while it writes a page)."""
    store = ProjectionStore(ledger)
    if store.postgres:
        connection = psycopg.connect(db_url.split("?")[0])
        connection.execute("SELECT pg_advisory_xact_lock_shared(%s)", (store.answers_key(),))
    else:
        connection = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.rollback()
        connection.close()


def tampered(ledger: Ledger) -> None:
    """Rows of the projections damaged by hand (as `verify` finds them, and a rebuild mends)."""
    demo(ledger)
    ProjectionRunner(ledger).catch_up()
    execute(ledger, "UPDATE {audit_terms} SET officer = 'TAMPERED'", ["audit_terms"])


def officers(groups: list[dict[str, Any]]) -> set[str]:
    return {group["officer"] for group in groups}


def test_a_rebuild_that_mends_damaged_rows_is_what_the_next_report_counts(ledger: Ledger) -> None:
    # the rebuild comes back to the same positions: neither the answer kept nor the segments
    # kept ahead (cut from the damaged rows) may be read as current
    tampered(ledger)
    assert "TAMPERED" in officers(ask(ledger, "officer"))
    ProjectionRunner(ledger).rebuild(["clients"])
    assert kept_answers(ledger) == []
    mended = ask(ledger, "officer")
    with counted_afresh():
        assert mended == ask(ledger, "officer")
    assert "TAMPERED" not in officers(mended)


def test_a_rebuild_landing_between_counting_and_keeping_keeps_nothing(
    ledger: Ledger, db_url: str
) -> None:
    # the violations' rows damaged (every one made technical), counted, then mended by another
    # process's rebuild before the answer is kept: back at the same positions, with the same
    # segments kept (the violations are not cut into them)
    demo(ledger)
    ProjectionRunner(ledger).catch_up()
    mended = ask(ledger, "agency")
    execute(ledger, "UPDATE {audit_violations} SET category = 'technical'", ["audit_violations"])
    real, calls = tallies.consistent_rows, iter(range(100))

    def counted_then_rebuilt(*args: Any, **kwargs: Any) -> Any:
        rows = real(*args, **kwargs)
        if next(calls) == 0:
            other = Ledger(db_url, clock=lambda: TODAY)
            ProjectionRunner(other).rebuild(["violations"])
            other.close()
        return rows

    execute(ledger, f"DELETE FROM {{{ANSWERS}}}", [ANSWERS])  # as the damage would, were it a page
    with mock.patch.object(tallies, "consistent_rows", counted_then_rebuilt):
        reports = Reports(ledger, "jdoe")
        reports.reading = True  # one reading: not read again on the clear (`settled`)
        request = ReportRequest(today=TODAY, by=("agency",))
        damaged = reports.violations(request, None)["groups"]  # counted before the rebuild
    assert damaged != mended
    assert ask(ledger, "agency") == mended


def test_a_projection_paged_in_while_an_answer_is_kept_leaves_no_answer_of_the_old_state(
    ledger: Ledger, db_url: str
) -> None:
    # a projection just cleared (a rebuild's first step: no position) gets its first page
    # from another process while a report keeps its answer
    demo(ledger)
    ProjectionRunner(ledger).catch_up()
    store = ProjectionStore(ledger)
    store.clear(projection_named("contacts"))
    real, calls = answers.state, iter(range(100))

    def paged_meanwhile(store_: Any, cursor: Any) -> str:
        found = real(store_, cursor)
        if next(calls) == 1:  # in `keep`, once it has read the state again
            moved = Ledger(db_url, clock=lambda: TODAY)
            thread = threading.Thread(target=ProjectionRunner(moved).catch_up)
            thread.start()
            thread.join(timeout=5)  # waits for the answer kept (PostgreSQL), or is refused
        return found

    with mock.patch.object(answers, "state", paged_meanwhile):
        Reports(ledger, "jdoe", catch_up=False).violations(ReportRequest(today=TODAY))
    ProjectionRunner(ledger).catch_up()
    with store.transaction(commit=False) as cursor:
        now = real(store, cursor)
    assert [row for row in kept_answers(ledger) if row[1] != now] == []


def test_a_ledger_set_up_before_answers_were_kept_is_reported_as_it_stands(db_url: str) -> None:
    # a replica of a ledger whose projections an earlier version set up (no answers' table):
    # reports read as they stand, with nothing kept
    ledger = demo(Ledger(db_url, clock=lambda: TODAY))
    ProjectionRunner(ledger).catch_up()
    execute(ledger, f"DROP TABLE {{{ANSWERS}}}", [ANSWERS])
    request = ReportRequest(today=TODAY, by=("agency",))
    found = Reports(ledger, "jdoe", catch_up=False).violations(request)["groups"]
    ledger.close()
    replica = Ledger(parse_db_url(db_url, read_only=True), clock=lambda: TODAY)
    assert Reports(replica, "jdoe", catch_up=False).violations(request)["groups"] == found
    replica.close()
    assert found


def test_keeping_an_answer_does_not_wait_for_a_writer_in_the_same_process(
    ledger: Ledger,
) -> None:
    # the server: one ledger, many threads; another request's write (a catch-up's page) holds
    # the connection pool's one writer, and the ledger, while a report keeps its answer (the
    # pool would wait 5 s for its writer)
    demo(ledger)
    ask(ledger, "agency")
    store = ProjectionStore(ledger)
    holding, let_go, released = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction() as cursor:  # as a catch-up's page begins
            store.moving(cursor)
            statement = f"DELETE FROM {{{ANSWERS}}} WHERE digest = 'none'"
            cursor.execute(store.sql(statement, [ANSWERS]))
            holding.set()
            let_go.wait(60)  # until the report has answered (at most a minute)
        released.set()

    with counted_afresh():
        expected = ask(ledger, "officer")
    reports = Reports(ledger, "jdoe", catch_up=False)  # made as a request begins
    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(10)
    # however long the pool would wait for its writer
    with mock.patch.object(store.datastore.pool, "pool_timeout", 120, create=True):
        found = reports.violations(ReportRequest(today=TODAY, by=("officer",)))["groups"]
    answered_while_held = not released.is_set()
    let_go.set()
    thread.join()
    assert answered_while_held and found == expected
    assert len(kept_answers(ledger)) == 1  # its own not kept


def test_while_an_import_holds_a_sqlite_ledger_a_report_whose_segments_are_behind_answers(
    tmp_path: Path,
) -> None:
    # the segments kept ahead cannot be brought up while another writer holds the ledger: the
    # report cuts every term itself, as on a replica, rather than fail with "database is locked"
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger = demo(Ledger(url, clock=lambda: TODAY))
    ask(ledger, "agency")
    for ref in (f"DEMO-{n:07d}" for n in range(1, 41)):
        with contextlib.suppress(RuleViolated):  # a client discharged by then
            ledger.record_violation(ref, actor="t", on=date(2025, 12, 1), technical=("curfew",))
            break
    ProjectionRunner(ledger).catch_up()  # a runner's catch-up: the segments are left behind
    with holding_the_answers(ledger, url):
        found = Reports(ledger, "jdoe", catch_up=False).violations(
            ReportRequest(today=TODAY, by=("officer",))
        )["groups"]
    with counted_afresh():
        assert found == ask(ledger, "officer")
    ledger.close()


def test_keeping_an_answer_while_every_connection_is_in_use_leaves_the_process_able_to_write(
    tmp_path: Path,
) -> None:
    # a busy server: every connection of the SQLite pool taken by other requests' reads while
    # a report keeps its answer; it gives up at once, and takes nothing the process needs
    ledger = demo(Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY))
    ask(ledger, "agency")
    store = ProjectionStore(ledger)
    pool = store.datastore.pool
    held = [pool.get_connection(is_writer=False) for _ in range(pool.pool_size + pool.max_overflow)]
    answers.keep(store, "digest", "state", {("clients",): {("GA",): [1]}})
    for connection in held:
        pool.put_connection(connection)
    assert len(kept_answers(ledger)) == 1  # not kept
    with mock.patch.object(pool, "pool_timeout", 5):  # a write of the process, as a command's
        execute(ledger, f"DELETE FROM {{{ANSWERS}}} WHERE digest = 'none'", [ANSWERS])
    ask(ledger, "officer")
    assert len(kept_answers(ledger)) == 2
    ledger.close()


def test_a_projection_made_again_for_another_version_empties_the_answers(ledger: Ledger) -> None:
    demo(ledger)
    before = ask(ledger, "agency")
    execute(ledger, "UPDATE {projection_versions} SET version = 0 WHERE name = 'violations'",
            ["projection_versions"])  # fmt: skip
    ProjectionRunner(ledger)  # another version's tables are dropped, its position forgotten
    assert kept_answers(ledger) == []
    assert ask(ledger, "agency") == before  # caught up again from the start
