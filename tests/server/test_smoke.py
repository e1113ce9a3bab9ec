"""The server answers as the user its token names, and no one else."""

from __future__ import annotations

import httpx

from tests.serving import Live, Served, enrolled


def test_a_caseworker_reads_its_own_agencys_client_by_token(served: Served) -> None:
    enrolled(served.ledger)
    answer = served.get("cw-ga", "/api/clients/GA-1")
    assert answer.status_code == 200
    assert answer.json()["name"] == "Jo Example"
    assert answer.headers["etag"] == '"1"'


def test_another_agencys_caseworker_finds_no_such_client(served: Served) -> None:
    enrolled(served.ledger)
    answer = served.get("cw-gb", "/api/clients/GA-1")
    assert answer.status_code == 404
    assert answer.json()["error"]["exit_code"] == 4


def test_the_live_server_answers_over_loopback(live: Live) -> None:
    answer = httpx.get(f"{live.base_url}/api/users", headers=live.headers("aud"))
    assert answer.status_code == 200
    assert {u["name"] for u in answer.json()} >= {"aud", "cw-ga"}
