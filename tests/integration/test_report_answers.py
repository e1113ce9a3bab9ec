"""A report's counts kept once asked (ADR 33): read back while the projections stand where they
were counted, with the figures counting gives; gone as soon as a catch-up moves the projections,
so a seal leaves no count made while the client was known; never waited for, nor kept where
the ledger may not be written."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any
from unittest import mock

import psycopg

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers, tallies
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY


def ask(ledger: Ledger, *by: str, report: str = "violations", **asked: Any) -> Any:
    request = ReportRequest(today=TODAY, by=by, **asked)
    found = getattr(Reports(ledger, "jdoe"), report)(request, None)
    return found["groups"] if report == "violations" else found.rows


@contextlib.contextmanager
def counted_afresh() -> Iterator[None]:
    """Reports counted as if no answer were kept (and none kept)."""
    with mock.patch.object(answers, "answered", lambda store, asked, parameters, count: count()):
        yield


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
    # the connections wait for a busy ledger as before (SQLite's wait put back)
    if ledger.backend.kind != "postgresql":
        waits = ProjectionStore(ledger).rows("PRAGMA busy_timeout")
        assert int(waits[0][0]) > 0


@contextlib.contextmanager
def holding_the_answers(ledger: Ledger, db_url: str) -> Iterator[None]:
    """Another writer in the middle of a transaction that holds the kept answers: SQLite's
    write lock (as an import holds it), PostgreSQL's lock on the projections' positions (as
    a catch-up holds it while it writes a page)."""
    store = ProjectionStore(ledger)
    if store.postgres:
        connection = psycopg.connect(db_url.split("?")[0])
        tracking = store.tracking_table
        connection.execute(f"UPDATE {tracking} SET notification_id = notification_id")
    else:
        connection = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.rollback()
        connection.close()
