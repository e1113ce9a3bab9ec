"""A report whose range ends today, kept as a line through the days that follow (ADR 35): the
next day's report, with no event since, reads back what was counted the day before, moved to
its day, with the figures counting every client on that day gives; after new events only the
parts of their clients are counted; anything dated after the day counted ends the line there."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports import answers, tallies
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY, kept_parts
from tests.reference_report import counted_afresh

# groupings kept whole, in 16 parts and in 256 parts (on a ledger past PARTS_FROM events)
GROUPINGS = [((), None), (("risk",), None), (("agency",), "quarter"), (("officer",), "month")]


def ask(ledger: Ledger, on: date, *by: str, **asked: Any) -> Any:
    request = ReportRequest(today=on, by=by, **asked)
    return Reports(ledger, "jdoe").violations(request)["groups"]


@contextlib.contextmanager
def statements_run() -> Iterator[list[int]]:
    """How many times the reports inside ran their statements (counted, not read back)."""
    runs: list[int] = []
    real = tallies.consistent_rows

    def spy(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    with mock.patch.object(tallies, "consistent_rows", spy):
        yield runs


@pytest.fixture(params=[True, False], ids=["parted", "whole"])
def demo(ledger: Ledger, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """A demo ledger caught up; its reports counted part by part, as past `PARTS_FROM`
    events, or whole."""
    build_demo(ledger, clients=40, seed=3)
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0 if request.param else tallies.PARTS_FROM):
        yield ledger


def afresh(ledger: Ledger, on: date, *by: str, **asked: Any) -> Any:
    with counted_afresh():
        return ask(ledger, on, *by, **asked)


@pytest.mark.parametrize(("by", "period"), GROUPINGS)
def test_the_next_days_report_reads_back_the_line_counted_the_day_before(
    demo: Ledger, by: tuple[str, ...], period: str | None
) -> None:
    counted = ask(demo, TODAY, *by, period=period)
    assert counted == afresh(demo, TODAY, *by, period=period)
    for later in (1, 2, 13):  # in the same month (TODAY is the 15th of January)
        on = TODAY + timedelta(days=later)
        with statements_run() as runs:
            found = ask(demo, on, *by, period=period)
        assert runs == []  # read back, moved to its day
        assert found == afresh(demo, on, *by, period=period)
        assert found != counted  # clients still supervised have days more


# a month, a quarter or a year begun since the day counted (TODAY is 2026-01-15): the days
# asked on, some periods on
NEW_PERIODS = [
    ("month", date(2026, 2, 1)),
    ("month", date(2026, 2, 20)),
    ("month", date(2026, 4, 3)),  # three months on: February and March whole
    ("quarter", date(2026, 4, 1)),
    ("quarter", date(2026, 8, 30)),
    ("year", date(2027, 1, 5)),
]


@pytest.mark.parametrize("by", [(), ("risk",), ("officer",)], ids=["ungrouped", "risk", "officer"])
@pytest.mark.parametrize(("period", "on"), NEW_PERIODS)
def test_the_first_report_of_a_new_period_runs_the_line_on_into_it(
    demo: Ledger, by: tuple[str, ...], period: str, on: date
) -> None:
    # with nothing recorded since and nothing dated after the day counted, every client still
    # supervised at the end of the last period is supervised all through the ones begun since
    ask(demo, TODAY, *by, period=period)
    with statements_run() as runs:
        found = ask(demo, on, *by, period=period)
    assert runs == []  # read back, run on into the new periods
    assert found == afresh(demo, on, *by, period=period)
    assert {row["period"] for row in found} > {row["period"] for row in afresh(demo, TODAY, *by,
                                                                             period=period)}  # fmt: skip
    later = on + timedelta(days=3)
    with statements_run() as runs:  # and kept as the new report's line
        found = ask(demo, later, *by, period=period)
    assert runs == []
    assert found == afresh(demo, later, *by, period=period)


def test_after_new_events_a_new_months_report_counts_only_their_clients_parts(
    ledger: Ledger,
) -> None:
    build_demo(ledger, clients=40, seed=3)
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0):
        ask(ledger, TODAY, "risk", period="month")
        supervised = supervised_client(ledger)
        ledger.record_violation(supervised, actor="t", on=TODAY, technical=("curfew",))
        ProjectionRunner(ledger).catch_up()
        on = date(2026, 2, 3)
        with mock.patch.object(tallies, "part_ranges", wraps=tallies.part_ranges) as ranges:
            found = ask(ledger, on, "risk", period="month")
        counted = [part for call in ranges.call_args_list for part in call.args[0]]
        assert len(counted) == 1  # the part of the client recorded for
        assert found == afresh(ledger, on, "risk", period="month")
        with statements_run() as runs:  # the other parts kept for the new report too
            assert ask(ledger, on, "risk", period="month") == found
        assert runs == []
        other = next(ref for ref in supervised_clients(ledger) if ref != supervised)
        ledger.record_violation(other, actor="t", on=TODAY, technical=("curfew",))
        ProjectionRunner(ledger).catch_up()
        with mock.patch.object(tallies, "part_ranges", wraps=tallies.part_ranges) as ranges:
            found = ask(ledger, on, "risk", period="month")
        counted = [part for call in ranges.call_args_list for part in call.args[0]]
        assert len(counted) == 1  # the new report's parts read back: all but the one
        assert found == afresh(ledger, on, "risk", period="month")


@pytest.mark.parametrize("parted", [True, False], ids=["parted", "whole"])
def test_something_dated_in_a_new_period_ends_the_line_run_on_into_it(
    ledger: Ledger, parted: bool
) -> None:
    # a report of December, then of January days before, on and after a violation dated
    # January 10 (recorded first: no date is ever in the future)
    three_clients(ledger)
    ledger.record_violation("GA-2", actor="t", on=date(2026, 1, 10), technical=("curfew",))
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0 if parted else tallies.PARTS_FROM):
        ask(ledger, date(2025, 12, 20), "risk", period="month")
        for day, read_back in ((5, True), (9, True), (10, False), (12, True)):
            on = date(2026, 1, day)
            with statements_run() as runs:
                found = ask(ledger, on, "risk", period="month")
            assert runs == ([] if read_back else [1])
            assert found == afresh(ledger, on, "risk", period="month")


def test_a_range_that_ends_before_today_is_not_a_line(demo: Ledger) -> None:
    # `--to` today is the report of today (the same line); a day before, a range of its own,
    # kept for that range only (counted once, read back on any day after)
    ask(demo, TODAY, last=TODAY)
    on = TODAY + timedelta(days=1)
    with statements_run() as runs:
        ask(demo, on)
    assert runs == []
    with statements_run() as runs:
        found = ask(demo, on, last=TODAY)
    assert runs
    assert found == afresh(demo, on, last=TODAY)
    with statements_run() as runs:
        assert ask(demo, on + timedelta(days=1), last=TODAY) == found
    assert runs == []


def test_after_new_events_the_next_days_report_counts_only_their_clients_parts(
    ledger: Ledger,
) -> None:
    build_demo(ledger, clients=40, seed=3)
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0):
        ask(ledger, TODAY, "risk")
        supervised = supervised_client(ledger)
        ledger.record_violation(supervised, actor="t", on=TODAY, technical=("curfew",))
        ProjectionRunner(ledger).catch_up()
        on = TODAY + timedelta(days=3)
        with mock.patch.object(tallies, "part_ranges", wraps=tallies.part_ranges) as ranges:
            found = ask(ledger, on, "risk")
        counted = [part for call in ranges.call_args_list for part in call.args[0]]
        assert len(counted) == 1  # the part of the client recorded for
        assert len(answers.FINE_PARTS) > 1
        assert found == afresh(ledger, on, "risk")


def supervised_client(ledger: Ledger) -> str:
    """A demo client still supervised today."""
    for ref in supervised_clients(ledger):
        return ref
    raise AssertionError("no demo client still supervised")


def supervised_clients(ledger: Ledger) -> Iterator[str]:
    for n in range(1, 41):
        client = ledger.get_client(f"DEMO-{n:07d}")
        if not client.state.is_discharged and not client.state.sealed:
            yield f"DEMO-{n:07d}"


def three_clients(ledger: Ledger) -> None:
    for ref in ("GA-1", "GA-2", "GA-3"):
        ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer="o-17",
                      supervision="parole")  # fmt: skip


@pytest.mark.parametrize("parted", [True, False], ids=["parted", "whole"])
@pytest.mark.parametrize("dated", ["violation", "discharge", "decision"])
def test_something_dated_after_the_day_counted_ends_the_line_there(
    ledger: Ledger, dated: str, parted: bool
) -> None:
    # recorded before the report, dated after its last day (a report of an earlier day: no
    # date is ever in the future): the figures change on that day, the line ends before it
    three_clients(ledger)
    if dated == "violation":
        ledger.record_violation("GA-2", actor="t", on=TODAY, technical=("curfew",))
    elif dated == "discharge":
        ledger.discharge("GA-2", actor="t", on=TODAY - timedelta(days=1), outcome="successful")
    else:  # a decision on a violation dated before the day counted
        earlier = TODAY - timedelta(days=20)
        found = ledger.record_violation("GA-2", actor="t", on=earlier, technical=("curfew",))
        ledger.respond_to_violation("GA-2", str(found.new_id), "revocation", actor="jdoe",
                                    on=TODAY, decided_by="court")  # fmt: skip
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0 if parted else tallies.PARTS_FROM):
        ask(ledger, TODAY - timedelta(days=6), "risk")
        # before it read back; on and past it counted (then kept as a line of that day)
        for days, read_back in ((-4, True), (-1, True), (0, False), (1, True), (3, True)):
            on = TODAY + timedelta(days=days)
            with statements_run() as runs:
                found = ask(ledger, on, "risk")
            assert runs == ([] if read_back else [1])
            assert found == afresh(ledger, on, "risk")


def test_a_line_is_not_read_back_for_a_day_before_its_own(demo: Ledger) -> None:
    ask(demo, TODAY)
    on = TODAY - timedelta(days=1)
    with statements_run() as runs:
        found = ask(demo, on)
    assert runs
    assert found == afresh(demo, on)


def test_a_line_moved_twice_agrees_with_a_fresh_count(demo: Ledger) -> None:
    # parts counted on one day, a whole line kept on the next (with them, moved), read back
    # on a third
    ask(demo, TODAY, "risk")
    supervised = supervised_client(demo)
    demo.record_violation(supervised, actor="t", on=TODAY, technical=("curfew",))
    ProjectionRunner(demo).catch_up()
    tomorrow = TODAY + timedelta(days=1)
    assert ask(demo, tomorrow, "risk") == afresh(demo, tomorrow, "risk")
    for later in (2, 9):
        on = TODAY + timedelta(days=later)
        with statements_run() as runs:
            found = ask(demo, on, "risk")
        assert runs == []
        assert found == afresh(demo, on, "risk")


def test_a_part_kept_holds_no_date_of_a_client_sealed_since(ledger: Ledger) -> None:
    # a line's horizon is its part's own: after a seal caught up, no part left holds the
    # date of the sealed client's violation (ADR 32, 33)
    three_clients(ledger)
    ledger.record_violation("GA-2", actor="t", on=TODAY, technical=("curfew",))
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0):
        ask(ledger, TODAY - timedelta(days=6), "risk")
    horizon = [(TODAY - timedelta(days=6)).toordinal(), (TODAY - timedelta(days=1)).toordinal()]
    assert str(horizon).replace(" ", "") in str(kept_parts(ledger)).replace(" ", "")
    ledger.seal("GA-2", actor="jdoe", reason="court order 12")
    ProjectionRunner(ledger).catch_up()
    left = kept_parts(ledger)
    assert left  # the other parts stay
    assert str(horizon[1]) not in str(left)


def test_a_part_counted_again_keeps_the_horizon_of_its_own_clients(ledger: Ledger) -> None:
    # after an event, the one part counted again reads the dates of its own clients alone
    three_clients(ledger)
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(tallies, "PARTS_FROM", 0):
        ask(ledger, TODAY - timedelta(days=6), "risk")
        ledger.record_violation("GA-2", actor="t", on=TODAY, technical=("curfew",))
        ProjectionRunner(ledger).catch_up()
        for days, read_back in ((-5, False), (-2, True), (0, False)):
            on = TODAY + timedelta(days=days)
            with statements_run() as runs:
                found = ask(ledger, on, "risk")
            assert runs == ([] if read_back else [1])
            assert found == afresh(ledger, on, "risk")
