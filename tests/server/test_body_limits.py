"""A request's body has a limit: a JSON command 1 MiB, a CSV import 256 MiB. Over it, the
answer is 413 with the JSON error body, and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator

from reentry_ledger.server.limits import JSON_LIMIT
from tests.serving import Served, enrolled


def events(served: Served) -> int:
    return len(served.ledger.timeline("GA-1", actor="aud"))


def test_a_note_larger_than_a_json_body_may_be_is_refused_and_not_recorded(
    served: Served,
) -> None:
    enrolled(served.ledger)
    before = events(served)
    answer = served.post("cw-ga", "/api/clients/GA-1/contacts", {"note": "x" * JSON_LIMIT})
    assert answer.status_code == 413
    assert answer.json()["error"]["type"] == "too_large"
    assert answer.json()["error"]["exit_code"] == 2
    assert events(served) == before


def test_a_body_sent_in_chunks_is_cut_off_at_the_limit(served: Served) -> None:
    enrolled(served.ledger)
    before = events(served)

    def chunks() -> Iterator[bytes]:
        yield b'{"note": "'
        for _ in range(JSON_LIMIT // 65536 + 2):
            yield b"y" * 65536
        yield b'"}'

    answer = served.client.post(
        "/api/clients/GA-1/contacts",
        content=chunks(),
        headers=served.headers("cw-ga", **{"Content-Type": "application/json"}),
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["type"] == "too_large"
    assert events(served) == before


def test_a_note_under_the_limit_is_recorded(served: Served) -> None:
    enrolled(served.ledger)
    answer = served.post("cw-ga", "/api/clients/GA-1/contacts", {"note": "z" * 100_000})
    assert answer.status_code == 200
