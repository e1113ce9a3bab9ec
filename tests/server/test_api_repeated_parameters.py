"""A query parameter the API takes once, given more than once, is refused: FastAPI kept the last
(`by=officer&by=race` was the report by race alone, where the web form's repeated `by` is both);
a parameter that is a list (disparities' `metric`, projections' `names`) is taken as before."""

from __future__ import annotations

import pytest

from tests.serving import Served, enrolled


@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/reports/violations", "by=officer&by=race"),
        ("/api/reports/violations", "period=month&period=year"),
        ("/api/reports/responses", "by=agency&by=risk"),
        ("/api/reports/contacts", "by=officer&by=level"),
        ("/api/clients", "limit=5&limit=6"),
    ],
)
def test_a_single_parameter_given_twice_is_refused_saying_so(
    served: Served, path: str, query: str
) -> None:
    enrolled(served.ledger)
    answer = served.get("aud", f"{path}?{query}")
    assert answer.status_code == 400, answer.text
    name = query.split("=")[0]
    message = answer.json()["error"]["message"]
    assert f"{name} is given 2 times: give it once" in message


def test_a_list_parameter_is_taken_repeated_and_groups_combine_by_comma(served: Served) -> None:
    enrolled(served.ledger)
    compared = served.get(
        "aud", "/api/reports/disparities?metric=technical&metric=new_offence&to=2026-01-15"
    )
    assert compared.status_code == 200, compared.text
    both = served.get("aud", "/api/reports/violations?by=officer,race&to=2026-01-15")
    assert both.status_code == 200, both.text
    assert {"officer", "race"} <= set(both.json()["groups"][0])


def test_a_list_is_known_as_one_whether_or_not_it_may_be_none() -> None:
    from collections.abc import Sequence

    from reentry_ledger.server.auth import is_list

    assert all(is_list(kind) for kind in (list[str], list[str] | None, tuple[str, ...],
                                          Sequence[str] | None, set[int]))  # fmt: skip
    assert not any(is_list(kind) for kind in (str, str | None, int | None, bool))
