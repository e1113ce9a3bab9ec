"""The server's violation report read back as it was sent (ADR 47, "Later: the server"): asked
again while the projections stand where they were, `GET /api/reports/violations` and the web
page's CSV download send what they sent, working out no row; what they send is what making it
afresh sends (the document the command prints, the CSV of `--format csv`); each reader is sent
their own (an oversight reader after an agency's supervisor is sent the report suppressed and
snapped, and the other way round); and a report asked after new events counts them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import orjson
import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.server.operations import SNAPPED
from tests.server.test_operations_api import cli_json
from tests.server.test_pages import signed_in, table_cells
from tests.serving import Served

API = "/api/reports/violations"
CSV = "/reports/violations.csv"
ASKED = {"by": "agency,officer", "period": "quarter", "to": "2025-12-31"}


def casework(ledger: Ledger) -> None:
    """Twelve clients in each of two agencies, under two officers each, most with a technical
    violation and some with a new offence, through 2025."""
    for agency, worker in (("GA", "cw-ga"), ("GB", "cw-gb")):
        for number in range(1, 13):
            ref = f"{agency}-{number}"
            ledger.enroll(
                ref, actor=worker, start=date(2025, 1, number), agency=agency,
                officer=f"o-{agency}-{number % 2}", supervision="probation",
            )  # fmt: skip
            if number % 4:
                ledger.record_violation(
                    ref, actor=worker, on=date(2025, 3, number), technical=("curfew",)
                )
            if number % 5 == 0:
                ledger.record_violation(
                    ref, actor=worker, on=date(2025, 6, number), new_offence="misdemeanor",
                    basis="conviction",
                )  # fmt: skip


@pytest.fixture
def worked(served: Served) -> Served:
    casework(served.ledger)
    return served


@contextlib.contextmanager
def never_made() -> Iterator[None]:
    """Reports that fail if they work out their rows rather than read their text back."""
    failing = mock.Mock(side_effect=AssertionError("the report was made again"))
    with mock.patch("reentry_ledger.reports.service.report", failing):
        yield


def forget(served: Served) -> None:
    """Every kept answer and text deleted (where a report has made their table)."""
    store = ProjectionStore(served.ledger)
    with store.transaction() as cursor:
        if store.has_table(cursor, ANSWERS):
            store.forget_answers(cursor)


def sent(answer: Any) -> tuple[int, str, bytes, str | None]:
    """What a client receives that matters: status, type, body, the snapped range."""
    return (answer.status_code, answer.headers["content-type"], answer.content,
            answer.headers.get(SNAPPED))  # fmt: skip


def test_the_api_report_asked_again_sends_what_it_sent_without_working_out_a_row(
    worked: Served,
) -> None:
    first = worked.get("aud", API, params=ASKED)
    assert first.status_code == 200, first.text
    assert len(first.json()["groups"]) > 4, "groups to compare"
    with never_made():
        again = worked.get("aud", API, params=ASKED)
    assert sent(again) == sent(first)
    assert first.headers["content-type"] == "application/json"


def test_the_api_sends_the_document_the_command_prints_made_or_read_back(
    worked: Served,
) -> None:
    for params, options in (
        (ASKED, ("--by", "agency,officer", "--period", "quarter", "--to", "2025-12-31")),
        ({"suppress_below": 5, "to": "2025-12-31"}, ("--suppress-below", "5", "--to",
                                                     "2025-12-31")),
        ({"window": 30, "exclude_dismissed": "true", "to": "2025-12-31"},
         ("--window", "30", "--exclude-dismissed", "--to", "2025-12-31")),
    ):  # fmt: skip
        printed = cli_json(worked, "aud", "report", "violations", *options, "--format", "json")
        forget(worked)
        made = worked.get("aud", API, params=params)
        with never_made():
            read_back = worked.get("aud", API, params=params)
        assert made.json() == printed == read_back.json(), params
        # written compactly: a document of many groups is sent at half the indented size
        assert made.content == read_back.content == orjson.dumps(printed), params


def test_the_csv_download_is_read_back_as_sent_and_is_the_commands_csv(worked: Served) -> None:
    page = signed_in(worked, "sup-ga")
    query = {"by": ["agency", "officer"], "period": "quarter", "to": "2025-12-31"}
    first = page.get(CSV, params=query)
    assert first.status_code == 200, first.text
    with never_made():
        again = page.get(CSV, params=query)
    assert (again.status_code, again.headers["content-type"], again.content) == (
        first.status_code, first.headers["content-type"], first.content)  # fmt: skip
    assert again.headers["content-disposition"] == first.headers["content-disposition"]
    forget(worked)
    assert page.get(CSV, params=query).content == first.content  # made afresh: the same


def test_each_reader_is_sent_their_own_report_whoever_asked_first(worked: Served) -> None:
    """An oversight reader's report is suppressed and snapped to whole months; a supervisor's
    is not. Whichever asks first, the other is never sent the first's text."""
    params = {"by": "agency,officer", "from": "2025-01-10", "to": "2025-11-20"}
    afresh = {}
    for user in ("sup-ga", "ovs"):
        forget(worked)
        afresh[user] = sent(worked.get(user, API, params=params))
    assert afresh["sup-ga"] != afresh["ovs"]
    assert afresh["ovs"][3] is not None and afresh["sup-ga"][3] is None  # snapped for oversight
    withheld = [g for g in orjson.loads(afresh["ovs"][2])["groups"] if g["clients"] == "withheld"]
    assert withheld, "oversight's small groups are suppressed"
    assert all(isinstance(g["clients"], int) for g in orjson.loads(afresh["sup-ga"][2])["groups"])
    for order in (("sup-ga", "ovs"), ("ovs", "sup-ga")):
        forget(worked)
        for user in order:
            assert sent(worked.get(user, API, params=params)) == afresh[user], order
        for user in order:
            with never_made():
                assert sent(worked.get(user, API, params=params)) == afresh[user], order


def test_a_report_asked_after_new_events_counts_them(worked: Served) -> None:
    params = {"to": "2025-12-31"}
    before = worked.get("aud", API, params=params).json()["groups"][0]
    worked.ledger.record_violation(
        "GA-4", actor="cw-ga", on=date(2025, 9, 1), technical=("curfew",)
    )
    after = worked.get("aud", API, params=params).json()["groups"][0]
    assert after["technical_violations"] == before["technical_violations"] + 1
    page = signed_in(worked, "aud")
    csv_before = page.get(CSV, params=params).text
    worked.ledger.record_violation(
        "GB-4", actor="cw-gb", on=date(2025, 9, 2), technical=("curfew",)
    )
    assert page.get(CSV, params=params).text != csv_before


def test_the_same_reader_asking_for_json_and_csv_at_one_state_is_sent_each_format(
    worked: Served,
) -> None:
    params = {"by": "agency", "to": "2025-12-31"}
    document = worked.get("aud", API, params=params)
    page = signed_in(worked, "aud")
    csv = page.get(CSV, params=params)
    assert csv.text.startswith("agency,clients,"), csv.text[:80]
    with never_made():
        assert worked.get("aud", API, params=params).content == document.content
        assert page.get(CSV, params=params).content == csv.content


def test_a_report_known_at_two_moments_of_one_day_is_sent_each_moments_counts(
    worked: Served,
) -> None:
    """A violation recorded between two moments of the same day: asked as known at each,
    in either order, each is sent what the ledger knew then."""
    before = datetime.now(UTC).isoformat()
    worked.ledger.record_violation(
        "GA-4", actor="cw-ga", on=date(2025, 9, 1), technical=("curfew",)
    )
    after = datetime.now(UTC).isoformat()

    def technical(moment: str) -> int:
        params = {"known_at": moment, "to": "2025-12-31"}
        return int(
            worked.get("aud", API, params=params).json()["groups"][0]["technical_violations"]
        )

    counts = {moment: technical(moment) for moment in (before, after)}
    assert counts[after] == counts[before] + 1
    for moment in (after, before):  # the other order, each read back
        with never_made():
            assert technical(moment) == counts[moment]


def test_a_custodian_is_refused_a_report_another_reader_left_kept_and_nothing_moves(
    worked: Served,
) -> None:
    """Custodians take backups and read no report: a text kept by an auditor's request, asked
    for with the same query, is refused them (API and CSV) as before, and the kept rows
    stand as they were."""
    params = {"by": "agency", "to": "2025-12-31"}
    assert worked.get("aud", API, params=params).status_code == 200
    assert signed_in(worked, "aud").get(CSV, params=params).status_code == 200
    store = ProjectionStore(worked.ledger)
    kept = store.rows(f"SELECT digest, state, answer FROM {{{ANSWERS}}}", tables=[ANSWERS])
    assert any(str(digest).startswith("shown:") for digest, _, _ in kept)
    refused = worked.get("cust", API, params=params)
    assert refused.status_code == 403 and b"groups" not in refused.content
    page = signed_in(worked, "cust").get(CSV, params=params)
    assert page.status_code == 403 and "agency,clients" not in page.text
    after = store.rows(f"SELECT digest, state, answer FROM {{{ANSWERS}}}", tables=[ANSWERS])
    assert sorted(map(tuple, after)) == sorted(map(tuple, kept))


def test_the_report_page_and_its_chart_asked_again_show_the_table_without_working_out_a_row(
    worked: Served,
) -> None:
    """The web page reads its groups from the document the API sends, kept (the same reader,
    request and moment): asked again, its table and chart are made from it; the rows are
    those made afresh; and the API after the page is sent what the page was made from."""
    query = "by=agency&by=officer&period=quarter&to=2025-12-31"
    supervisor = signed_in(worked, "sup-ga")
    first = supervisor.get(f"/reports/violations?{query}")
    assert first.status_code == 200, first.text
    assert len(table_cells(first.text)) > 4, "rows to compare"
    with never_made():
        again = supervisor.get(f"/reports/violations?{query}")
        chart = supervisor.get(f"/reports/violations/chart.svg?{query}")
        sent_after = worked.get("sup-ga", API, params={**ASKED, "by": "agency,officer"})
    assert table_cells(again.text) == table_cells(first.text)
    assert chart.status_code == 200 and b"<svg" in chart.content[:500]
    assert sent_after.status_code == 200
    forget(worked)
    assert table_cells(supervisor.get(f"/reports/violations?{query}").text) == table_cells(
        first.text
    )  # made afresh: the same rows


def test_the_report_page_shows_each_reader_their_own_whoever_asked_first(
    worked: Served,
) -> None:
    query = "by=agency&by=officer&from=2025-01-10&to=2025-11-20"
    pages = {user: signed_in(worked, user) for user in ("sup-ga", "ovs")}
    afresh = {}
    for user, page in pages.items():
        forget(worked)
        afresh[user] = table_cells(page.get(f"/reports/violations?{query}").text)
    assert any("withheld" in row for row in afresh["ovs"])
    assert not any("withheld" in row for row in afresh["sup-ga"])
    for order in (("sup-ga", "ovs"), ("ovs", "sup-ga")):
        forget(worked)
        for user in (*order, *order):
            assert (
                table_cells(pages[user].get(f"/reports/violations?{query}").text) == (afresh[user])
            ), order
