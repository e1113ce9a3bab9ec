"""`report disparities` and `report cohorts` over the server: the API answers the document
the command prints with --format json, oversight's hidden (K = 10) and snapped as the service
does it, bad parameters refused with 400; through the server the CLI prints what it prints
against the database.

The server's ledger here runs on the real clock, as the CLI does against the database: a
cohort's follow-up is complete by today, whoever computes it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from reentry_ledger.application import Ledger, utc_today
from reentry_ledger.reports.snapping import month_end
from tests.server.test_operations_api import cli_json, error
from tests.server.test_remote_cli import casework, same
from tests.serving import Live, Served

RANGE = {"from": "2022-01-01", "to": "2025-12-31"}
DISPARITIES = {"by": "race", "metric": ["technical", "new_offence"], **RANGE}
COHORTS = {"start_period": "year", "follow": 36}  # oversight follows 36 months only
DISPARITY_ARGS = ("disparities", "--by", "race", "--metric", "technical", "--metric",
                  "new_offence", "--from", "2022-01-01", "--to", "2025-12-31")  # fmt: skip
COHORT_ARGS = ("cohorts", "--start-period", "year", "--follow", "36")


def people(ledger: Ledger) -> None:
    """Twelve white and eleven black clients enrolled in 2022, every third with a technical
    violation in its first months: groups big enough for oversight to see some counts, their
    three-year follow-up complete."""
    for number in range(23):
        ref, race = f"GP-{number}", "white" if number < 12 else "black"
        ledger.enroll(ref, actor="cw-ga", start=date(2022, 1 + number % 6, 1), agency="GA",
                      officer="o-1", supervision="probation", race=race, sex="male")  # fmt: skip
        if number % 3 == 0:
            ledger.record_violation(
                ref, actor="cw-ga", on=date(2022, 3 + number % 6, 10), technical=("curfew",)
            )


@pytest.fixture
def api(served: Served) -> Iterator[Served]:
    casework(served.ledger)
    people(served.ledger)
    served.ledger.clock = utc_today
    yield served


@pytest.fixture
def server(live: Live) -> Iterator[Live]:
    casework(live.ledger)
    people(live.ledger)
    live.ledger.clock = utc_today
    yield live


def test_the_api_answers_the_json_each_command_prints(api: Served) -> None:
    for path, params, command in (
        ("disparities", DISPARITIES, DISPARITY_ARGS),
        ("disparities", {"by": "sex", "period": "year", "to": "2025-12-31"},
         ("disparities", "--by", "sex", "--period", "year", "--to", "2025-12-31")),
        ("cohorts", COHORTS, COHORT_ARGS),
        ("cohorts", {**COHORTS, "by_month": "true"}, (*COHORT_ARGS, "--by-month")),
    ):  # fmt: skip
        for user in ("aud", "cw-ga", "ovs"):
            answer = api.get(user, f"/api/reports/{path}", params=params)
            assert answer.status_code == 200, answer.text
            printed = cli_json(api, user, "report", *command, "--format", "json")
            assert answer.json() == printed and printed["groups"], (user, path, params)


def hidden(rows: list[dict[str, Any]], column: str) -> list[Any]:
    return [row[column] for row in rows]


def test_oversight_gets_disparities_hidden_below_10_and_snapped_to_months(api: Served) -> None:
    params = {**DISPARITIES, "from": "2022-01-10", "to": "2025-11-20"}
    mine = api.get("aud", "/api/reports/disparities", params=params)
    theirs = api.get("ovs", "/api/reports/disparities", params=params)
    assert "x-report-snapped" not in mine.headers
    assert json.loads(theirs.headers["x-report-snapped"]) == {
        "first": "2022-01-01", "last": "2025-10-31", "known_at": None}  # fmt: skip
    assert theirs.json()["snapped_to_months"] is True
    columns = theirs.headers["x-report-columns"].split(",")
    assert columns[:3] == ["race", "metric", "reference"]
    counts = {(row["race"], row["metric"]): row["count"] for row in mine.json()["groups"]}
    shown = {(row["race"], row["metric"]): row["count"] for row in theirs.json()["groups"]}
    assert counts[("white", "technical")] == 4 and shown[("white", "technical")] == "withheld"
    assert {row["clients"] for row in theirs.json()["groups"] if row["race"] == "white"} == {12}
    assert "withheld" in hidden(theirs.json()["groups"], "clients")  # the casework's unknowns


def test_oversight_gets_cohorts_hidden_below_10_and_snapped_to_months(api: Served) -> None:
    mine = api.get("aud", "/api/reports/cohorts", params=COHORTS).json()
    answer = api.get("ovs", "/api/reports/cohorts", params=COHORTS)
    theirs = answer.json()
    whole_months = month_end(utc_today()).isoformat()
    assert mine["complete_by"] == utc_today().isoformat()
    assert theirs["complete_by"] == whole_months
    assert json.loads(answer.headers["x-report-snapped"])["last"] == whole_months
    assert answer.headers["x-report-table-columns"].startswith("start_period,terms,incomplete,")
    assert answer.headers["x-report-columns"].endswith(",revoked_per_100_high")
    (year_2022,) = [row for row in theirs["groups"] if row["start_period"] == "2022"]
    assert year_2022["terms"] == 23 and year_2022["technical"] == "withheld"
    assert year_2022["technical_per_100"] == "withheld"
    assert [row["technical"] for row in mine["groups"] if row["start_period"] == "2022"] == [8]


def test_bad_disparity_and_cohort_parameters_are_400_naming_them(api: Served) -> None:
    for path, params, named in (
        ("disparities", {"by": "colour"}, "--by: unknown dimension 'colour'"),
        ("disparities", {"reference": "green"}, "--reference: 'green' is not a race code"),
        ("disparities", {"metric": "speed"}, "--metric: unknown metric 'speed'"),
        ("disparities", {"from": "2025-02-01", "to": "2025-01-01"}, "--from 2025-02-01 is after"),
        ("disparities", {"period": "week"}, "period"),
        ("cohorts", {"start_period": "decade"}, "start_period: Value error, must be one of year"),
        ("cohorts", {"follow": 0}, "follow"),
        ("cohorts", {"follow": 241}, "follow"),
        ("cohorts", {"suppress_below": 1}, "suppress_below"),
        ("cohorts", {"known_at": "soon"}, "known_at"),
    ):
        status, kind, code, message = error(api.get("aud", f"/api/reports/{path}", params=params))
        assert (status, kind, code) == (400, "invalid_input", 2), (path, params, message)
        assert named in message, message


def test_blank_parameters_are_the_defaults(api: Served) -> None:
    blank = {"by": "", "reference": "", "period": "", "from": "", "known_at": "",
             "suppress_below": "", "to": "2025-12-31"}  # fmt: skip
    answer = api.get("aud", "/api/reports/disparities", params=blank)
    given = api.get("aud", "/api/reports/disparities", params={"to": "2025-12-31"})
    assert answer.status_code == 200 and answer.json() == given.json()
    blank = {"start_period": "", "follow": "", "by_month": "", "known_at": ""}
    answer = api.get("aud", "/api/reports/cohorts", params=blank)
    given = api.get("aud", "/api/reports/cohorts")
    assert answer.status_code == 200 and answer.json() == given.json()
    assert answer.json()["follow_months"] == 36 and answer.json()["start_period"] == "year"


def test_the_reports_print_the_same_through_the_server(server: Live) -> None:
    for user in ("aud", "ovs", "cw-ga"):
        for output in ("table", "csv", "json"):
            same(server, user, "report", *DISPARITY_ARGS, "--format", output, code=0)
            same(server, user, "report", *COHORT_ARGS, "--format", output, code=0)
        same(server, user, "report", *COHORT_ARGS, "--by-month", "--format", "csv", code=0)
        same(server, user, "report", "disparities", "--by", "age_band", "--to", "2025-12-31",
             "--reference", "25_34", "--period", "quarter", code=0)  # fmt: skip
    snapped = same(server, "ovs", "report", "cohorts", code=0)
    assert "snapped to whole calendar months" in snapped.stdout
    assert f"complete by {month_end(utc_today())}" in snapped.stdout


def test_refused_reports_are_refused_alike_through_the_server(server: Live) -> None:
    same(server, "cust", "report", *DISPARITY_ARGS, code=3)
    same(server, "cust", "report", *COHORT_ARGS, code=3)
    same(server, "aud", "report", "disparities", "--reference", "green", code=2)
    same(server, "aud", "report", "disparities", "--from", "2025-02-01", "--to", "2025-01-01",
         code=2)  # fmt: skip
    same(server, "aud", "report", "cohorts", "--follow", "0", code=2)
