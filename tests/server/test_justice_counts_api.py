"""GET /api/reports/justice-counts?month=M and `report justice-counts --month M` through the
server: the month's rows, as the command prints them (docs/metrics.md, "Justice Counts")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.test_operations_api import cli_json, error
from tests.server.test_remote_cli import casework, same
from tests.serving import Live, Served


@pytest.fixture
def api(served: Served) -> Iterator[Served]:
    casework(served.ledger)
    yield served


@pytest.fixture
def server(live: Live) -> Iterator[Live]:
    casework(live.ledger)
    yield live


def test_a_month_answers_the_document_its_command_prints(api: Served) -> None:
    for user in ("aud", "ovs"):
        answer = api.get(user, "/api/reports/justice-counts", params={"year": 2025, "month": 3})
        assert answer.status_code == 200, answer.text
        printed = cli_json(api, user, "report", "justice-counts", "--year", "2025", "--month", "3",
                           "--format", "json")  # fmt: skip
        assert answer.json() == printed
        assert {row["month"] for row in printed["groups"]} == {3}
    year = api.get("aud", "/api/reports/justice-counts", params={"year": 2025, "month": ""})
    assert {row["month"] for row in year.json()["groups"]} == {*range(1, 13), None}  # blank: none


def test_a_month_outside_one_to_twelve_is_refused_naming_it(api: Served) -> None:
    for month in (0, 13):
        answer = api.get(
            "aud", "/api/reports/justice-counts", params={"year": 2025, "month": month}
        )
        status, kind, code, message = error(answer)
        assert (status, kind, code) == (400, "invalid_input", 2) and "month" in message, message


def test_the_month_prints_the_same_through_the_server(server: Live) -> None:
    for user in ("aud", "ovs"):
        same(server, user, "report", "justice-counts", "--year", "2025", "--month", "9",
             "--format", "csv", code=0)  # fmt: skip
    same(server, "aud", "report", "justice-counts", "--year", "2025", "--month", "13", code=2)
