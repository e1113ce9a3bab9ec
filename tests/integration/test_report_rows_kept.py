"""The reports worked out from every client's facts (cohorts, caseload, discharges, referrals,
volunteers, needs, programmes, contacts, volunteers' supervision, Justice Counts), kept beside
the answers once made (reports/shown.py, `kept_rows`; contacts, cohorts, caseload and
discharges by part of the clients since ADR 63): asked again while the projections stand
where they were, each prints what it printed without reading a client's facts (at a million
events each read them all again, 0.5-4 s a call); what it prints read back is what making it
afresh prints, in every format; a reader is never shown another's (oversight's suppressed and
snapped); and the rows go with the answers at the next catch-up, so a new event is counted."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import orjson
import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers
from tests.integration import test_report_shown

demo_url = test_report_shown.demo_url  # the fixture: a demo ledger of 40 clients and users
YEAR = str(date.today().year - 1)
# (the command and its options, what works its rows out from the facts)
REPORTS = [
    (("cohorts",), "reentry_ledger.reports.cohorts.cohorts"),
    (("cohorts", "--by-month", "--follow", "12", "--start-period", "quarter"),
     "reentry_ledger.reports.cohorts.cohorts"),
    (("caseload", "--by", "agency,supervision"), "reentry_ledger.reports.casework.caseload"),
    (("discharges", "--by", "agency"), "reentry_ledger.reports.casework.discharges"),
    (("referrals",), "reentry_ledger.reports.casework.referrals"),
    (("volunteers",), "reentry_ledger.reports.casework.volunteers"),
    (("needs",), "reentry_ledger.reports.needs.report"),
    (("programmes",), "reentry_ledger.reports.programmes.report"),
    (("contacts", "--by", "officer"), "reentry_ledger.reports.contacts.counted"),
    (("volunteer-supervision", "--by-agency"), "reentry_ledger.reports.volunteers.supervision"),
    (("justice-counts", "--year", YEAR), "reentry_ledger.reports.service.justice_counts"),
]  # fmt: skip
FORMATS = ("table", "csv", "json")


def printed(db_url: str, command: tuple[str, ...], output: str, actor: str = "aud") -> str:
    arguments = ["--db", db_url, "--actor", actor, "report", *command, "--format", output]
    result: Result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def forget(db_url: str) -> None:
    """Every kept answer and text deleted (where a report has made their table)."""
    ledger = Ledger(db_url)
    try:
        store = ProjectionStore(ledger)
        with store.transaction() as cursor:
            if store.has_table(cursor, ANSWERS):
                store.forget_answers(cursor)
    finally:
        ledger.close()


@contextlib.contextmanager
def never_worked_out(target: str) -> Iterator[None]:
    with mock.patch(target, mock.Mock(side_effect=AssertionError("the rows were made again"))):
        yield


@pytest.mark.parametrize("command, works_out", REPORTS, ids=[" ".join(c) for c, _ in REPORTS])
def test_a_report_asked_again_prints_what_it_printed_without_reading_the_facts(
    demo_url: str,
    command: tuple[str, ...],
    works_out: str,
) -> None:
    forget(demo_url)
    made = {output: printed(demo_url, command, output) for output in FORMATS}
    assert made["csv"].count("\n") > 1, made["csv"]  # rows to compare
    with never_worked_out(works_out):
        for output in FORMATS:
            assert printed(demo_url, command, output) == made[output], output


def test_each_reader_is_shown_their_own_whoever_asked_first(demo_url: str) -> None:
    command = ("caseload", "--by", "agency,supervision")
    afresh = {}
    for actor in ("sup", "ov"):
        forget(demo_url)
        afresh[actor] = printed(demo_url, command, "csv", actor)
    assert afresh["sup"] != afresh["ov"] and "withheld" in afresh["ov"]
    for order in (("sup", "ov"), ("ov", "sup")):
        forget(demo_url)
        for actor in (*order, *order):
            assert printed(demo_url, command, "csv", actor) == afresh[actor], order


def test_a_new_event_is_counted_at_the_next_report(demo_url: str) -> None:
    command = ("caseload", "--by", "agency")

    def active(agency: str) -> int:
        rows = orjson.loads(printed(demo_url, command, "json", "sup"))["groups"]
        return sum(row["active_clients"] for row in rows if row["agency"] == agency)

    before = active("AG1")
    assert active("AG1") == before  # read back
    ledger = Ledger(demo_url)
    try:
        ledger.enroll("NEW-1", actor="sup", start=ledger.clock(), agency="AG1", officer="o-9",
                      supervision="probation")  # fmt: skip
    finally:
        ledger.close()
    assert active("AG1") == before + 1


def test_a_report_known_at_two_moments_is_shown_each_moments_rows(demo_url: str) -> None:
    """An enrolment recorded between two moments: the caseload known at each, asked in
    either order and again, counts what the ledger knew then."""
    command = ("caseload", "--by", "agency")
    ledger = Ledger(demo_url)
    try:
        before = datetime.now(UTC)
        time.sleep(0.01)
        ledger.enroll("NEW-1", actor="sup", start=ledger.clock() - timedelta(days=1),
                      agency="AG1", officer="o-9", supervision="probation")  # fmt: skip
        time.sleep(0.01)
        after = datetime.now(UTC)
    finally:
        ledger.close()

    def active(moment: datetime) -> int:
        asked = (*command, "--known-at", moment.isoformat())
        rows = orjson.loads(printed(demo_url, asked, "json", "sup"))["groups"]
        return sum(row["active_clients"] for row in rows if row["agency"] == "AG1")

    counts = {moment: active(moment) for moment in (before, after)}
    assert counts[after] == counts[before] + 1
    for moment in (after, before, after, before):
        assert active(moment) == counts[moment]


def test_each_form_of_a_report_at_one_state_is_its_own(demo_url: str) -> None:
    forget(demo_url)
    summary = printed(demo_url, ("cohorts",), "csv")
    by_month = printed(demo_url, ("cohorts", "--by-month"), "csv")
    assert summary.startswith("start_period,terms,incomplete,")
    assert by_month.startswith("start_period,month,terms,")
    forget(demo_url)
    assert printed(demo_url, ("cohorts", "--by-month"), "csv") == by_month
    assert printed(demo_url, ("cohorts",), "csv") == summary


def test_a_seal_caught_up_leaves_no_rows_kept_while_the_client_was_known(db_url: str) -> None:
    # An operator reading the database after a seal and its catch-up (no report since) finds
    # no rows kept while the client was on the record: the only client of its agency
    ledger = Ledger(db_url)
    try:
        ledger.enroll("GZ-1", actor="jdoe", start=date(2024, 1, 1), agency="GZ", officer="o-1",
                      supervision="parole")  # fmt: skip
    finally:
        ledger.close()
    assert '"GZ"' in printed(db_url, ("caseload", "--by", "agency"), "json", "jdoe")
    assert "GZ" in str(test_report_shown.kept(db_url))
    ledger = Ledger(db_url)
    try:
        ledger.seal("GZ-1", actor="jdoe", reason="court order 12")
        ProjectionRunner(ledger).catch_up()
    finally:
        ledger.close()
    assert test_report_shown.kept(db_url) == []


def test_the_rows_kept_at_one_state_are_at_most_rows_most(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reports asked at many moments (a supervisor's --known-at is not snapped) each kept
    their rows, none taking a turn among the answers: nothing was let go until the next
    catch-up. At most `ROWS_MOST` are kept at once."""
    monkeypatch.setattr(answers, "ROWS_MOST", 5)
    forget(demo_url)
    now = datetime.now(UTC)
    for hours in range(12):
        moment = (now - timedelta(hours=hours)).isoformat()
        printed(demo_url, ("programmes", "--known-at", moment), "csv", "sup")
    rows_kept = [row for row in test_report_shown.kept(demo_url) if row[0].startswith(answers.ROWS)]
    assert 0 < len(rows_kept) <= 5
    latest = (now - timedelta(hours=11)).isoformat()
    with never_worked_out("reentry_ledger.reports.programmes.report"):  # the latest still kept
        printed(demo_url, ("programmes", "--known-at", latest), "csv", "sup")
