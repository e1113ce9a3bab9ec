"""A report as shown, kept beside its answers (ADR 47): asked again while the projections stand
where they were, `report violations` prints what it printed, working out no row; what it
prints is exactly what making it afresh prints, in every format and with every option; it is
never another reader's (an oversight reader asking what an agency's supervisor asked is shown
its own report, suppressed and snapped, and the other way round); and it goes with the answers
at the next catch-up, so a seal leaves no text shown while the client was known."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import ClientNotFound, RuleViolated
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest

ASKED = ("--by", "officer,risk", "--period", "quarter")


@pytest.fixture
def demo_url(db_url: str) -> str:
    """A demo ledger of 40 clients, with an auditor (who may report), an oversight reader and
    a supervisor of the demo's first agency."""
    ledger = Ledger(db_url)
    try:
        build_demo(ledger, clients=40, seed=3)
        ledger.add_user("aud", "auditor", None, actor="aud")
        ledger.add_user("ov", "oversight", None, actor="aud")
        ledger.add_user("sup", "supervisor", "AG1", actor="aud")
    finally:
        ledger.close()
    return db_url


def shown(db_url: str, *args: str, actor: str = "aud") -> tuple[str, str]:
    """`report violations` with `args`, as `actor`: what it prints, and what it says on stderr."""
    command = ["--db", db_url, "--actor", actor, "report", "violations", *args]
    result: Result = CliRunner().invoke(cli, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


@contextlib.contextmanager
def never_made() -> Iterator[None]:
    """Reports that fail if they work out their rows rather than read their text back."""
    failing = mock.Mock(side_effect=AssertionError("the report was made again"))
    with mock.patch("reentry_ledger.reports.service.report", failing):
        yield


def afresh(db_url: str, *args: str, actor: str = "aud") -> tuple[str, str]:
    """The report made afresh: every kept answer and text deleted first."""
    forget(db_url)
    return shown(db_url, *args, actor=actor)


def forget(db_url: str) -> None:
    ledger = Ledger(db_url)
    try:
        store = ProjectionStore(ledger)
        with store.transaction() as cursor:
            store.forget_answers(cursor)
    finally:
        ledger.close()


def texts(db_url: str) -> list[tuple[Any, ...]]:
    """The kept answers' rows that are reports as shown."""
    return [row for row in kept(db_url) if str(row[0]).startswith(answers.SHOWN)]


def kept(db_url: str) -> list[tuple[Any, ...]]:
    """Every kept answer's row (answers and texts), as an operator reading the database finds
    them."""
    ledger = Ledger(db_url)
    try:
        return [tuple(row) for row in ProjectionStore(ledger).rows(
            f"SELECT * FROM {{{ANSWERS}}}", tables=[ANSWERS])]  # fmt: skip
    finally:
        ledger.close()


def test_a_report_asked_again_prints_what_it_printed_without_working_out_a_row(
    demo_url: str,
) -> None:
    first = shown(demo_url, *ASKED)
    assert len(kept(demo_url)) == 2  # its answer, and its text
    with never_made():
        again = shown(demo_url, *ASKED)
    assert again == first
    assert first[0].count("\n") > 10, "the demo gives groups to compare"


@pytest.mark.parametrize("output", ["table", "csv", "json"])
def test_each_format_and_option_reads_back_exactly_what_making_it_afresh_prints(
    demo_url: str, output: str
) -> None:
    legends = 0
    for options in (
        (),
        ("--suppress-below", "5"),
        ("--from", "2024-01-01", "--to", "2024-12-31"),
        ("--window", "30", "--exclude-dismissed"),
    ):
        args = (*ASKED, "--format", output, *options)
        first = shown(demo_url, *args)
        with never_made():
            again = shown(demo_url, *args)
        assert again == first == afresh(demo_url, *args), options
        legends += "withheld" in "".join(first)
    assert legends, "a suppressed report says what it withheld"


def test_the_same_report_in_each_format_is_shown_in_that_format(demo_url: str) -> None:
    outputs = ("table", "csv", "json")
    made = {output: shown(demo_url, *ASKED, "--format", output) for output in outputs}
    with never_made():
        again = {output: shown(demo_url, *ASKED, "--format", output) for output in outputs}
    assert again == made
    assert len(set(made.values())) == len(outputs)


@pytest.mark.parametrize("first_reader", ["sup", "ov"])
def test_an_oversight_reader_and_an_agency_supervisor_are_never_shown_each_others_report(
    demo_url: str, first_reader: str
) -> None:
    # The same command, asked by one reader and then by the other, while nothing moved: each
    # is shown what making it afresh for that reader shows. Oversight's counts below 10 are
    # hidden and its range snapped to whole months: a supervisor's text read back by an
    # oversight reader would give them away.
    second_reader = "ov" if first_reader == "sup" else "sup"
    first = shown(demo_url, *ASKED, actor=first_reader)
    second = shown(demo_url, *ASKED, actor=second_reader)
    assert first == afresh(demo_url, *ASKED, actor=first_reader)
    assert second == afresh(demo_url, *ASKED, actor=second_reader)
    assert first != second
    oversight = first if first_reader == "ov" else second
    assert "withheld" in "".join(oversight)


def record_a_violation(db_url: str) -> None:
    """A technical violation recorded for the first demo client the supervisor may write to,
    on 1 December 2025, and caught up."""
    ledger = Ledger(db_url)
    try:
        for ref in (f"DEMO-{n:07d}" for n in range(1, 41)):
            # a client discharged by then, or of another agency than the supervisor's
            with contextlib.suppress(RuleViolated, NotPermitted, ClientNotFound):
                ledger.record_violation(ref, actor="sup", on=date(2025, 12, 1),
                                        technical=("curfew",))  # fmt: skip
                break
        else:
            raise AssertionError("no client to record a violation for")
        ProjectionRunner(ledger).catch_up()
    finally:
        ledger.close()


def test_a_catch_up_removes_the_text_shown_and_the_next_report_shows_the_new_event(
    demo_url: str,
) -> None:
    before = shown(demo_url, "--by", "agency")
    record_a_violation(demo_url)
    assert kept(demo_url) == []  # gone with the catch-up, report or not
    after = shown(demo_url, "--by", "agency")
    assert after != before
    assert after == afresh(demo_url, "--by", "agency")


def test_a_seal_caught_up_leaves_no_text_shown_while_the_client_was_known(db_url: str) -> None:
    # An operator reading the database after a seal and its catch-up (no report since) finds
    # no text shown while the client's race was on the record
    ledger = Ledger(db_url)
    try:
        for ref, race in (("GA-1", "asian"), ("GA-2", "white")):
            ledger.enroll(ref, actor="jdoe", start=date(2024, 1, 1), agency="GA",
                          officer="o-17", supervision="parole", race=race)  # fmt: skip
    finally:
        ledger.close()
    asked = ("--by", "race", "--to", "2025-01-19")
    with_race = shown(db_url, *asked, actor="jdoe")
    assert "asian" in with_race[0]
    assert "asian" in str(kept(db_url))
    ledger = Ledger(db_url)
    try:
        ledger.seal("GA-1", actor="jdoe", reason="court order 12")
        ProjectionRunner(ledger).catch_up()
    finally:
        ledger.close()
    assert kept(db_url) == []
    after = shown(db_url, *asked, actor="jdoe")
    assert "asian" not in after[0]
    assert "asian" not in str(kept(db_url))


def test_a_catch_up_landing_while_a_report_is_made_leaves_its_text_unkept(demo_url: str) -> None:
    # Another process catches up after this report read the projections' state and before
    # it keeps its text: the text may be of either state, and is not kept
    from reentry_ledger.reports import service

    made = service.report

    def caught_up_meanwhile(*args: Any) -> Any:
        rows = made(*args)
        record_a_violation(demo_url)
        return rows

    with mock.patch.object(service, "report", caught_up_meanwhile):
        before = shown(demo_url, "--by", "agency")
    assert texts(demo_url) == []
    after = shown(demo_url, "--by", "agency")
    assert after != before
    assert after == afresh(demo_url, "--by", "agency")


def test_a_report_known_at_another_moment_is_not_read_back(db_url: str) -> None:
    ledger = Ledger(db_url)
    try:
        ledger.enroll("GA-1", actor="jdoe", start=date(2024, 1, 1), agency="GA",
                      officer="o-17", supervision="parole")  # fmt: skip
        time.sleep(0.01)
        before_the_violation = datetime.now(UTC)
        time.sleep(0.01)
        ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 3, 1), technical=("curfew",))
    finally:
        ledger.close()
    after_it = datetime.now(UTC) + timedelta(seconds=1)
    asked = ("--by", "agency", "--to", "2024-12-31", "--format", "json")
    counts = {}
    shown(db_url, *asked, actor="jdoe")  # the report of now: the kept segments cut
    for moment in (before_the_violation, after_it):
        first = shown(db_url, *asked, "--known-at", moment.isoformat(), actor="jdoe")
        with never_made():
            again = shown(db_url, *asked, "--known-at", moment.isoformat(), actor="jdoe")
        assert again == first
        counts[moment] = json.loads(first[0])["groups"][0]["technical_violations"]
    assert counts == {before_the_violation: 0, after_it: 1}


def test_a_report_of_another_day_is_not_read_back(db_url: str) -> None:
    # An open term's days run to today: the report of the next day, with nothing recorded
    # overnight, is made again
    days = iter([date(2025, 6, 1), date(2025, 6, 2)])
    figures: list[int] = []
    for day in days:
        ledger = Ledger(db_url, clock=lambda day=day: day)
        try:
            if not figures:
                ledger.enroll("GA-1", actor="jdoe", start=date(2025, 1, 1), agency="GA",
                              officer="o-17", supervision="parole")  # fmt: skip
            reports = Reports(ledger, "jdoe")
            request = ReportRequest(today=day, by=("agency",))
            text = reports.violations_shown(request, None, "json")[0].text
            made = reports.violations_shown(request, None, "json", keep=False)[0].text
            assert text == made
            figures.append(json.loads(text)["groups"][0]["person_days"])
        finally:
            ledger.close()
    assert figures == [152, 153]


def test_read_as_they_stand_after_a_kept_text_says_where_they_stand(demo_url: str) -> None:
    shown(demo_url, "--by", "agency", "--format", "json")
    stdout, _ = shown(demo_url, "--by", "agency", "--format", "json", "--no-catch-up")
    assert "projections" in json.loads(stdout)
    _, stderr = shown(demo_url, "--by", "agency", "--no-catch-up")
    assert "Note: " in stderr


def test_a_chart_after_the_same_report_was_kept_draws_every_group(
    demo_url: str, tmp_path: Path
) -> None:
    first = shown(demo_url, "--by", "agency", "--format", "csv")
    drawn = []
    with mock.patch("reentry_ledger.reports.chart.draw",
                    lambda groups, *_: drawn.append(len(groups))):  # fmt: skip
        stdout, _ = shown(demo_url, "--by", "agency", "--format", "csv",
                          "--chart", str(tmp_path / "rates.png"))  # fmt: skip
    assert stdout == first[0]
    assert drawn == [first[0].count("\n") - 1]  # every group, as the CSV shows them


def test_a_text_takes_no_turn_of_the_answers_and_only_the_latest_are_kept(
    demo_url: str,
) -> None:
    # Each answer kept takes a turn; the latest 64 answers and the parts of the latest 16
    # are kept. A report's text takes its answer's turn, so it pushes none of them out; the
    # texts beside the latest 8 answers are kept.
    groupings = ("agency", "officer", "supervision", "juvenile", "sex", "race", "ethnicity",
                 "age_band", "term", "level", "risk", "agency,risk")  # fmt: skip
    for by in groupings:
        shown(demo_url, "--by", by)
    rows = kept(demo_url)
    turns = sorted(int(row[3]) for row in rows if not str(row[0]).startswith(answers.SHOWN))
    assert turns == list(range(1, len(groupings) + 1))
    assert sorted(int(row[3]) for row in texts(demo_url)) == turns[-answers.SHOWN_MOST :]


def test_a_table_read_back_holding_a_control_character_is_made_again(demo_url: str) -> None:
    # Someone who may write to the database puts a terminal's escape into a kept table: the
    # table, which escapes every control character it is made of, is made again
    first = shown(demo_url, *ASKED)
    ledger = Ledger(demo_url)
    try:
        store = ProjectionStore(ledger)
        with store.transaction() as cursor:
            statement = f"UPDATE {{{ANSWERS}}} SET answer = ? WHERE digest LIKE ?"
            forged = json.dumps(["\x1b[2J\x1b[Hall clear\n", None])
            cursor.execute(store.sql(statement, [ANSWERS]), (forged, f"{answers.SHOWN}%"))
    finally:
        ledger.close()
    assert shown(demo_url, *ASKED) == first


def test_a_text_kept_by_other_code_is_not_read_back(demo_url: str) -> None:
    # The same report, the same versions, but the code that writes it out changed since
    # (`made_by`): made again
    from reentry_ledger.reports import service

    first = shown(demo_url, *ASKED)
    making = mock.Mock(wraps=service.report)
    with mock.patch.object(service, "report", making), \
            mock.patch("reentry_ledger.reports.shown.made_by", return_value="other code"):  # fmt: skip
        again = shown(demo_url, *ASKED)
    assert making.called
    assert again == first
