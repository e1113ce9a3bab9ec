"""`report contacts` and `report responses` kept by part of the clients (ADR 63): asked again
after new events, each reads back the parts none of whose clients has an event since and
counts only the others (at a million events, 2.5-4.8 s after any write, as every client was
counted again; now 0.3-0.6 s); what it prints is exactly what counting every client afresh
prints, after events of every kind; and a seal, once caught up, leaves nothing counted while
the client was known."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.base import keyed_client_id
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWER_PARTS, ANSWERS, ProjectionStore
from reentry_ledger.reports import contacts, needs, responses, tallies
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.service import Reports
from tests.conftest import POSTGRES_URL, require_postgres
from tests.integration import test_report_shown

demo_url = test_report_shown.demo_url  # the fixture: a demo ledger of 40 clients and users
BY_OFFICER = ("contacts", "--by", "officer,level")  # kept in 16 parts
WHOLE = ("contacts",)  # kept in 256 parts
# the reports of counts alone (`Reports.counted_rows`) and cohorts, and how many characters their
# parts are
COUNTS_ALONE = [
    (("caseload", "--by", "officer"), 1),
    (("caseload", "--by", "agency,supervision"), 2),
    (("discharges", "--by", "agency"), 2),
    (("cohorts", "--follow", "12"), 1),
    (("cohorts", "--by-month", "--follow", "12", "--start-period", "quarter"), 1),
]
FROM_FACTS = [(BY_OFFICER, 1), (WHOLE, 2), *COUNTS_ALONE]
FROM_FACTS_IDS = ["contacts-16", "contacts-256", "caseload-16", "caseload-256", "discharges",
                  "cohorts", "cohorts-by-month"]  # fmt: skip
TODAY = date.today()


@pytest.fixture(autouse=True)
def by_part(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept by part on a ledger of any size (past `PARTS_FROM` events: 200,000)."""
    monkeypatch.setattr(tallies, "PARTS_FROM", 0)


@pytest.fixture
def clients_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the clients whose facts a report reads."""
    read: list[str] = []
    original = FactReader.pages

    def spied(reader: FactReader) -> Iterator[Any]:
        for page in original(reader):
            read.extend(client.client_id for client in page)
            yield page

    monkeypatch.setattr(FactReader, "pages", spied)
    return read


def printed(db_url: str, command: tuple[str, ...], output: str = "csv") -> str:
    arguments = ["--db", db_url, "--actor", "aud", "report", *command, "--format", output]
    result: Result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def afresh(db_url: str, command: tuple[str, ...]) -> str:
    """The report counted over every client at once, not by part: every kept answer and part
    deleted first."""
    test_report_shown.forget(db_url)
    with mock.patch.object(tallies, "PARTS_FROM", 10**12):
        return printed(db_url, command)


def client_id(db_url: str, ref: str) -> str:
    """The client's id as the projections key it (keyed by the ledger's secret)."""
    ledger = Ledger(db_url)
    try:
        return keyed_client_id(ProjectionRunner(ledger).secret, ledger.get_client(ref).id)
    finally:
        ledger.close()


def enrolled(db_url: str, ref: str, officer: str = "AG1-o001") -> str:
    """A client under high supervision for a year and more (its months are measured)."""
    ledger = Ledger(db_url)
    try:
        start = TODAY - timedelta(days=430)
        ledger.enroll(ref, actor="sup", start=start, agency="AG1", officer=officer,
                      supervision="probation")  # fmt: skip
        ledger.change_level(ref, actor="sup", on=start, level="high")
        for months in range(0, 420, 30):
            ledger.log_contact(ref, actor="sup", on=start + timedelta(days=months), kind="home")
    finally:
        ledger.close()
    return client_id(db_url, ref)


def recorded(db_url: str, write: str, ref: str) -> None:
    ledger = Ledger(db_url)
    try:
        day = TODAY - timedelta(days=40)
        if write == "contact":
            ledger.log_contact(ref, actor="sup", on=day, kind="office")
        elif write == "level":
            ledger.change_level(ref, actor="sup", on=day, level="maximum")
        elif write == "custody":
            ledger.start_custody(ref, actor="sup", on=day, reason="jail_hold")
        elif write == "correction":
            ledger.correct(ref, 3, actor="sup", reason="entered on the wrong client")
        elif write == "reassignment":
            ledger.reassign(ref, actor="sup", on=day, officer="AG1-o002")
        elif write == "discharge":
            ledger.discharge(ref, actor="sup", on=day, outcome="successful")
    finally:
        ledger.close()


@pytest.mark.parametrize("command, length", FROM_FACTS, ids=FROM_FACTS_IDS)
def test_after_a_new_contact_only_the_part_of_its_client_is_read(
    demo_url: str, clients_read: list[str], command: tuple[str, ...], length: int
) -> None:
    moved = enrolled(demo_url, "P-1")
    printed(demo_url, command)  # counted, and kept by part
    everyone = len(set(clients_read))
    recorded(demo_url, "contact", "P-1")
    clients_read.clear()
    after = printed(demo_url, command)
    assert clients_read, "the part of the client recorded for is counted again"
    assert {client[:length] for client in clients_read} == {moved[:length]}
    assert len(clients_read) < everyone
    assert after == afresh(demo_url, command)
    assert after.count("\n") > 1, after  # rows to compare


@pytest.mark.parametrize(
    "write", ["contact", "level", "custody", "correction", "reassignment", "discharge"]
)
@pytest.mark.parametrize("command", [c for c, _ in FROM_FACTS], ids=FROM_FACTS_IDS)
def test_what_is_read_back_and_counted_again_is_what_every_client_counted_afresh_gives(
    demo_url: str, command: tuple[str, ...], write: str
) -> None:
    for ref in ("P-1", "P-2", "P-3"):
        enrolled(demo_url, ref)
    counted_again_as_afresh(demo_url, command, lambda ref: recorded(demo_url, write, ref),
                            lambda: recorded(demo_url, "contact", "P-2"))  # fmt: skip


def counted_again_as_afresh(
    db_url: str, command: tuple[str, ...], write: Callable[[str], None], last: Callable[[], None]
) -> None:
    """The report kept; `write` for P-1, then P-3, the report asked after each (read back in
    part, kept again); then `last`: what is printed is the report counted over every client
    at once, and is read back whole when asked again."""
    printed(db_url, command)
    for ref in ("P-1", "P-3"):
        write(ref)
        printed(db_url, command)
    last()
    after = printed(db_url, command)
    assert after == afresh(db_url, command)
    assert printed(db_url, command) == after


def test_a_report_asked_again_reads_no_client(demo_url: str, clients_read: list[str]) -> None:
    made = printed(demo_url, BY_OFFICER)
    clients_read.clear()
    assert printed(demo_url, BY_OFFICER) == made
    assert clients_read == []


def test_a_seal_caught_up_leaves_nothing_counted_while_the_client_was_known(
    demo_url: str,
) -> None:
    """An operator reading the database after a seal and its catch-up (no report since) finds
    no sum kept while the client was on the record: the only client of its officer."""
    enrolled(demo_url, "GZ-1", officer="o-sealed")
    assert "o-sealed" in printed(demo_url, BY_OFFICER)
    assert "o-sealed" in str(kept_by_part(demo_url))
    ledger = Ledger(demo_url)
    try:
        ledger.seal("GZ-1", actor="sup", reason="court order 12")
        ProjectionRunner(ledger).catch_up()
    finally:
        ledger.close()
    assert "o-sealed" not in str(kept_by_part(demo_url))
    # counted again from what the projections hold now (a sealed client's contacts still
    # count, as in every report: nothing personal is in a count)
    assert printed(demo_url, BY_OFFICER) == afresh(demo_url, BY_OFFICER)


def kept_by_part(db_url: str) -> list[tuple[Any, ...]]:
    """Every kept answer and part, as an operator reading the database finds them."""
    ledger = Ledger(db_url)
    try:
        store = ProjectionStore(ledger)
        return [
            tuple(row)
            for table in (ANSWERS, ANSWER_PARTS)
            for row in store.rows(f"SELECT * FROM {{{table}}}", tables=[table])
        ]
    finally:
        ledger.close()


RESPONSES = [("responses", "--by", "officer"), ("responses", "--by", "agency,risk", "--period",
             "quarter")]  # fmt: skip


def responded(db_url: str, write: str, ref: str) -> None:
    ledger = Ledger(db_url)
    try:
        day = TODAY - timedelta(days=40)
        if write == "violation and response":
            found = ledger.record_violation(ref, actor="sup", on=day,
                                            technical=("failure_to_report",))  # fmt: skip
            assert found.new_id is not None
            ledger.respond_to_violation(ref, found.new_id, "warning", actor="sup", on=day)
        elif write == "incentive":
            ledger.grant_incentive(ref, actor="sup", on=day, kind="commendation")
        elif write == "correction":  # of the latest event: the response, or the incentive
            number = len(ledger.get_client(ref).history)
            ledger.correct(ref, number, actor="sup", reason="recorded in error")
    finally:
        ledger.close()


@pytest.mark.parametrize("write", ["violation and response", "incentive", "correction"])
@pytest.mark.parametrize("command", RESPONSES, ids=["officer", "agency-risk-quarter"])
def test_responses_read_back_and_counted_again_are_what_every_client_counted_afresh_gives(
    demo_url: str, command: tuple[str, ...], write: str
) -> None:
    for ref in ("P-1", "P-2", "P-3"):
        enrolled(demo_url, ref)
        responded(demo_url, "violation and response", ref)
    counted_again_as_afresh(demo_url, command, lambda ref: responded(demo_url, write, ref),
                            lambda: responded(demo_url, "incentive", "P-2"))  # fmt: skip


@pytest.mark.parametrize("command", [*(c for c, _ in FROM_FACTS), *RESPONSES])
def test_a_report_whose_whole_was_let_go_reads_back_every_part(
    demo_url: str, clients_read: list[str], command: tuple[str, ...]
) -> None:
    """The whole kept let go (as another answer kept at another state lets it go) and every
    part current: every part is read back, none counted (an empty list of parts to count
    raised IndexError)."""
    made = printed(demo_url, command)
    ledger = Ledger(demo_url)
    try:
        store = ProjectionStore(ledger)
        with store.transaction() as cursor:
            cursor.execute(store.sql(f"DELETE FROM {{{ANSWERS}}}", [ANSWERS]))
    finally:
        ledger.close()
    clients_read.clear()
    assert printed(demo_url, command) == made
    assert clients_read == []


def test_the_facts_of_the_parts_counted_again_are_read_alone(demo_url: str) -> None:
    """Two parts far apart, counted again: only their clients' contacts are read (a page of
    clients spanning both read every contact between them)."""
    ledger = Ledger(demo_url)
    try:
        ProjectionRunner(ledger).catch_up()
        store = ProjectionStore(ledger)
        reader = FactReader(store, None)
        ids = sorted(client.client_id for client in reader.clients())
        parts = sorted({ids[0][0], ids[-1][0]})
        assert parts[0] != parts[-1]
        fetched: list[str] = []
        original = store.rows

        def spied(statement: str, *args: Any, **kwargs: Any) -> Any:
            found = original(statement, *args, **kwargs)
            if "audit_contacts" in statement:
                fetched.extend(row[0] for row in found)
            return found

        with mock.patch.object(store, "rows", spied):
            counted = contacts.counted(reader.of_parts(parts), date(2000, 1, 1), TODAY, (), 1)
        assert set(counted) <= set(parts)
        assert fetched and {client[0] for client in fetched} <= set(parts)
    finally:
        ledger.close()


@pytest.mark.postgres
def test_every_part_is_read_where_the_collation_sorts_punctuation_before_digits() -> None:
    """PostgreSQL with an ICU collation (as an agency's server may be set up: en-US) sorts
    ':' before the digits: a part's clients bounded by the character after its last (':'
    after '9') were read as none, and the report printed and kept too few."""
    require_postgres()
    name = f"t_icu_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                      "LOCALE 'C.UTF-8' TEMPLATE template0")  # fmt: skip
    try:
        url = urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{name}"))
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT '9a' < ':'").fetchone() == (False,)
        ledger = Ledger(url)
        try:
            build_demo(ledger, clients=60, seed=3)
        finally:
            ledger.close()
        for command in (BY_OFFICER, WHOLE):
            arguments = ["--db", url, "--actor", "demo", "report", *command, "--format", "csv"]
            with mock.patch.object(tallies, "PARTS_FROM", 10**12):
                whole = CliRunner().invoke(cli, arguments, catch_exceptions=False).stdout
            test_report_shown.forget(url)
            by_part = CliRunner().invoke(cli, arguments, catch_exceptions=False).stdout
            assert by_part == whole and whole.count("\n") > 1, command
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


NEEDS = [("needs",), ("needs", "--by", "officer"), ("needs", "--by", "agency,risk")]


def assessed(db_url: str, write: str, ref: str) -> None:
    ledger = Ledger(db_url)
    try:
        day = TODAY - timedelta(days=200)
        if write == "assessment":
            ledger.assess(ref, actor="sup", on=day, instrument="LSI-R", risk_level="high",
                          needs=("substance_use", "school_work"))  # fmt: skip
        elif write == "referral":
            ledger.refer(ref, actor="sup", on=day + timedelta(days=3), service="substance_use")
        elif write == "correction":  # of the latest event
            number = len(ledger.get_client(ref).history)
            ledger.correct(ref, number, actor="sup", reason="recorded in error")
    finally:
        ledger.close()


# the reports counted in SQL by part (over ranges of ids), what records for a client, and what
SQL_REPORTS = [
    *((responses, responded, "violation and response", command) for command in RESPONSES),
    *((needs, assessed, "assessment", command) for command in NEEDS),
]


@pytest.mark.parametrize(
    "module, write, what, command", SQL_REPORTS, ids=lambda value: getattr(value, "__name__", None)
)
def test_a_report_counted_in_sql_counts_again_only_the_part_of_the_client_recorded_for(
    demo_url: str,
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    write: Callable[[str, str, str], None],
    what: str,
    command: tuple[str, ...],
) -> None:
    moved = enrolled(demo_url, "P-1")
    printed(demo_url, command)  # counted, and kept by part
    asked: list[list[str]] = []
    original = module.part_ranges

    def spied(parts: list[str]) -> Any:
        asked.append(list(parts))
        return original(parts)

    monkeypatch.setattr(module, "part_ranges", spied)
    write(demo_url, what, "P-1")
    after = printed(demo_url, command)
    assert asked == [[moved[: len(asked[0][0])]]]
    assert after == afresh(demo_url, command)
    assert after.count("\n") > 1, after


@pytest.mark.parametrize("write", ["assessment", "referral", "correction"])
@pytest.mark.parametrize("command", NEEDS, ids=["whole", "officer", "agency-risk"])
def test_needs_read_back_and_counted_again_are_what_every_client_counted_afresh_gives(
    demo_url: str, command: tuple[str, ...], write: str
) -> None:
    for ref in ("P-1", "P-2", "P-3"):
        enrolled(demo_url, ref)
        assessed(demo_url, "assessment", ref)
    counted_again_as_afresh(demo_url, command, lambda ref: assessed(demo_url, write, ref),
                            lambda: assessed(demo_url, "referral", "P-2"))  # fmt: skip


def test_cohorts_of_an_unknown_start_period_are_refused_on_a_ledger_with_no_client(
    db_url: str,
) -> None:
    """Asked of the service (as the server's callers and scripts may), an unknown start
    period was refused only where some client's terms were counted: on a ledger with none,
    an empty report came back."""
    ledger = Ledger(db_url)
    try:
        with pytest.raises(InvalidInput, match="--start-period: 'decade'"):
            Reports(ledger, "jdoe").cohorts("decade")
    finally:
        ledger.close()
