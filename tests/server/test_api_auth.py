"""Who a request comes from, tried as an attacker would: no token, a forged or stale one, a
request that names its own actor, a proxy header from the wrong address, a write that lost a
race. Each refusal answers the JSON error body and writes nothing."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from reentry_ledger.application import users as users_module
from reentry_ledger.cli import cli
from reentry_ledger.contract import STATUS_BY_ERROR
from reentry_ledger.credentials import utc_now
from reentry_ledger.domain.references import client_id
from reentry_ledger.server.app import create_app
from reentry_ledger.server.auth import SESSION_COOKIE, Settings
from tests.serving import Live, Served, enrolled

CONTACT = "/api/clients/GA-1/contacts"


def events(served: Served, ref: str = "GA-1") -> int:
    return len(served.ledger.recorder.select_events(client_id(ref)))


def assert_unauthenticated(answer: Any) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["type"] == "unauthenticated"
    assert answer.json()["error"]["exit_code"] == 3
    assert answer.headers["www-authenticate"] == "Bearer"


def post_as(served: Served, token: str, path: str = CONTACT, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return served.client.post(path, json=kwargs.pop("json", {"note": "n"}), headers=headers)


# --- 401 ---------------------------------------------------------------------------------------


NOT_A_BEARER_TOKEN = [
    "",
    "Bearer",
    "Bearer    ",
    "Basic YXVkOmNvcnJlY3QgaG9yc2UgYmF0dGVyeQ==",  # aud's password, as Basic
    "Token rlt_0123456789abcdef.secret",
    "Bearer not-one-of-ours",
    "Bearer rlt_.secret",
    "Bearer rlt_0123456789abcdef.",
    "Bearer rlt_' OR 1=1 --.x",
    "Bearer rlt_" + "a" * 5000,
]


def test_a_request_without_a_valid_bearer_token_is_unauthenticated_and_writes_nothing(
    served: Served,
) -> None:
    enrolled(served.ledger)
    assert_unauthenticated(served.client.get("/api/clients/GA-1"))
    assert_unauthenticated(served.client.post(CONTACT, json={"note": "n"}))
    for authorization in NOT_A_BEARER_TOKEN:
        headers = {"Authorization": authorization}
        assert_unauthenticated(served.client.get("/api/clients/GA-1", headers=headers))
        assert_unauthenticated(served.client.post(CONTACT, json={"note": "n"}, headers=headers))
    assert events(served) == 1


def test_an_unauthenticated_request_is_refused_before_its_body_is_read(served: Served) -> None:
    """Malformed JSON, deep or long: 401 first, whatever it holds; a body larger than any the
    endpoint takes is refused (413) before anything else, unread."""
    enrolled(served.ledger)
    for body in (b"{", b"\xff\xfe", b"[" * 100_000, b"x" * 900_000):
        answer = served.client.post(
            CONTACT, content=body, headers={"Content-Type": "application/json"}
        )
        assert_unauthenticated(answer)
    huge = served.client.post(
        CONTACT, content=b"x" * 5_000_000, headers={"Content-Type": "application/json"}
    )
    assert huge.status_code == 413 and huge.json()["error"]["type"] == "too_large"
    assert events(served) == 1


def test_a_token_with_a_forged_secret_is_unauthenticated(served: Served) -> None:
    enrolled(served.ledger)
    token_id, _, secret = served.tokens["sup-ga"].partition(".")
    forged = f"{token_id}.{secret[::-1]}"
    assert_unauthenticated(post_as(served, forged))
    assert_unauthenticated(post_as(served, f"{token_id}.{secret}x"))
    assert events(served) == 1


def test_an_expired_token_is_unauthenticated(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolled(served.ledger)
    token = served.ledger.issue_token("cw-ga", actor="sup-ga", expires_days=1)
    assert post_as(served, token).status_code == 200
    later = utc_now() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(users_module, "utc_now", lambda: later)
    assert_unauthenticated(post_as(served, token))
    assert served.get("cw-ga", "/api/clients/GA-1").status_code == 200  # its other token
    assert events(served) == 2


def test_a_revoked_token_is_unauthenticated_and_the_users_other_tokens_still_work(
    served: Served,
) -> None:
    enrolled(served.ledger)
    second = served.ledger.issue_token("cw-ga", actor="aud")
    second_id = second.split(".")[0].removeprefix("rlt_")
    revoked = served.client.request(
        "DELETE",
        "/api/users/cw-ga/tokens",
        json={"token_id": second_id},
        headers=served.headers("aud"),
    )
    assert revoked.status_code == 200, revoked.text
    assert_unauthenticated(post_as(served, second))
    assert post_as(served, served.tokens["cw-ga"]).status_code == 200
    every = served.client.delete("/api/users/cw-ga/tokens", headers=served.headers("sup-ga"))
    assert every.status_code == 200
    assert_unauthenticated(post_as(served, served.tokens["cw-ga"]))
    assert events(served) == 2


def test_a_token_issued_over_the_api_without_a_body_works_until_revoked(served: Served) -> None:
    enrolled(served.ledger)
    issued = served.client.post("/api/users/cw-ga/tokens", headers=served.headers("sup-ga"))
    assert issued.status_code == 200, issued.text
    assert post_as(served, issued.json()).status_code == 200
    refused = served.client.post("/api/users/cw-gb/tokens", headers=served.headers("sup-ga"))
    assert refused.status_code == 403  # a supervisor of GA issues none for GB's staff
    assert events(served) == 2


def test_a_token_revoked_on_the_command_line_is_refused_by_the_server_at_once(
    served: Served,
) -> None:
    enrolled(served.ledger)
    second = served.ledger.issue_token("cw-ga", actor="aud")
    token_id = second.split(".")[0].removeprefix("rlt_")
    revoke = ["--db", served.db_url, "--actor", "sup-ga", "users", "revoke-token", "cw-ga"]
    assert CliRunner().invoke(cli, [*revoke, "--id", token_id]).exit_code == 0
    assert_unauthenticated(post_as(served, second))
    assert post_as(served, served.tokens["cw-ga"]).status_code == 200
    assert CliRunner().invoke(cli, revoke).exit_code == 0
    assert_unauthenticated(post_as(served, served.tokens["cw-ga"]))
    assert events(served) == 2


def test_revoking_a_token_of_another_user_by_its_id_is_refused(served: Served) -> None:
    theirs = served.tokens["cw-gb"].split(".")[0].removeprefix("rlt_")
    answer = served.client.request(
        "DELETE",
        "/api/users/cw-ga/tokens",
        json={"token_id": theirs},
        headers=served.headers("sup-ga"),
    )
    assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_input"
    assert served.get("cw-gb", "/api/users").status_code == 403  # authenticated still


def test_a_removed_users_token_is_unauthenticated(served: Served) -> None:
    enrolled(served.ledger)
    removed = served.client.delete("/api/users/cw-ga", headers=served.headers("sup-ga"))
    assert removed.status_code == 200
    assert_unauthenticated(post_as(served, served.tokens["cw-ga"]))
    served.ledger.add_user("cw-ga", "caseworker", "GA", actor="aud")  # the same name again
    assert_unauthenticated(post_as(served, served.tokens["cw-ga"]))
    assert events(served) == 1


def test_a_web_session_is_not_an_api_credential(served: Served) -> None:
    """The API reads no cookie, so another site cannot make a signed-in browser write."""
    enrolled(served.ledger)
    session = served.ledger.open_session("sup-ga", 60)
    served.client.cookies.set(SESSION_COOKIE, session)
    assert_unauthenticated(served.client.post(CONTACT, json={"note": "n"}))
    assert_unauthenticated(post_as(served, session))
    served.client.cookies.clear()
    assert events(served) == 1


def test_an_unauthenticated_request_learns_nothing_about_clients(served: Served) -> None:
    enrolled(served.ledger)
    present = served.client.get("/api/clients/GA-1")
    absent = served.client.get("/api/clients/GA-404")
    assert_unauthenticated(present)
    assert present.json() == absent.json()


# --- no request names its own actor ------------------------------------------------------------


def test_an_actor_in_the_body_is_refused_and_nothing_written(served: Served) -> None:
    enrolled(served.ledger)
    answer = served.post("cw-ga", CONTACT, {"note": "n", "actor": "sup-ga"})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_input"
    assert "actor" in answer.json()["error"]["message"]
    enrolling = served.post(
        "cw-ga",
        "/api/clients",
        {"ref": "GA-2", "agency": "GA", "officer": "o", "supervision": "parole", "actor": "aud"},
    )
    assert enrolling.status_code == 400
    assert events(served) == 1 and events(served, "GA-2") == 0


def test_an_actor_query_parameter_does_not_change_who_acts(served: Served) -> None:
    enrolled(served.ledger)
    answer = served.post("cw-ga", CONTACT + "?actor=sup-ga", {"note": "n"})
    assert answer.status_code == 200
    timeline = served.get("cw-ga", "/api/clients/GA-1/timeline", params={"actor": "aud"})
    assert [entry["recorded_by"] for entry in timeline.json()] == ["cw-ga", "cw-ga"]
    log = served.get("aud", "/api/access-log", params={"client_ref": "GA-1"}).json()["reads"]
    assert [read["recorded_by"] for read in log] == ["cw-ga"]
    refused = served.client.get("/api/users?actor=aud", headers=served.headers("cw-ga"))
    assert refused.status_code == 403


# --- a reverse proxy that authenticates --------------------------------------------------------

PROXY = Settings(proxy_user_header="X-Remote-User", trusted_proxies=("127.0.0.1",))


def behind(served: Served, settings: Settings, host: str) -> TestClient:
    """The served ledger's server with these settings, reached from `host` (no lifespan: the
    served fixture closes the ledger)."""
    return TestClient(create_app(served.ledger, settings), client=(host, 40000))


def test_a_proxy_header_does_nothing_by_default(served: Served) -> None:
    enrolled(served.ledger)
    client = behind(served, Settings(), "127.0.0.1")
    assert_unauthenticated(client.post(CONTACT, json={}, headers={"X-Remote-User": "sup-ga"}))
    assert events(served) == 1


def test_a_trusted_proxy_names_the_user_who_acts(served: Served) -> None:
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    answer = client.post(CONTACT, json={"note": "n"}, headers={"X-Remote-User": "cw-ga"})
    assert answer.status_code == 200, answer.text
    assert served.ledger.timeline("GA-1", actor="aud")[-1].recorded_by == "cw-ga"
    assert client.get("/api/users", headers={"X-Remote-User": "cw-ga"}).status_code == 403


def test_a_proxy_header_from_an_untrusted_address_is_ignored(served: Served) -> None:
    enrolled(served.ledger)
    client = behind(served, PROXY, "10.9.8.7")
    spoofed = {"X-Remote-User": "sup-ga", "X-Forwarded-For": "127.0.0.1"}
    assert_unauthenticated(client.post(CONTACT, json={}, headers=spoofed))
    with_token = client.post(
        CONTACT, json={"note": "n"}, headers={**spoofed, **served.headers("cw-ga")}
    )
    assert with_token.status_code == 200
    assert served.ledger.timeline("GA-1", actor="aud")[-1].recorded_by == "cw-ga"
    assert events(served) == 2


def test_a_proxy_is_known_by_its_address_on_a_dual_stack_listener(served: Served) -> None:
    """Listening on `::`, an IPv4 peer arrives as ::ffff:a.b.c.d: still that address."""
    enrolled(served.ledger)
    trusted = behind(served, PROXY, "::ffff:127.0.0.1")
    answer = trusted.post(CONTACT, json={"note": "n"}, headers={"X-Remote-User": "cw-ga"})
    assert answer.status_code == 200, answer.text
    untrusted = behind(served, PROXY, "::ffff:10.9.8.7")
    assert_unauthenticated(untrusted.post(CONTACT, json={}, headers={"X-Remote-User": "cw-ga"}))
    assert events(served) == 2


def test_a_trusted_proxy_naming_no_user_is_unauthenticated(served: Served) -> None:
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    for name in ("mallory", "", " sup-ga", "SUP-GA"):
        assert_unauthenticated(client.post(CONTACT, json={}, headers={"X-Remote-User": name}))
    assert events(served) == 1


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/clients/GA-1/absconding", {"Content-Type": "application/x-www-form-urlencoded"}),
     ("/api/clients/GA-1/absconding", {}),
     ("/api/clients/GA-1/absconding", {"Content-Type": "multipart/form-data; boundary=x"}),
     (CONTACT, {"Content-Type": "text/plain"})],
)  # fmt: skip
def test_a_write_another_sites_form_could_send_is_refused_on_a_proxys_word(
    served: Served, path: str, headers: dict[str, str]
) -> None:
    """A browser sends the proxy's credentials with a form another site's page posts: the API
    took an empty form post as the signed-in caseworker's write (a client marked absconded)."""
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    body = '{"note": "n"}' if path == CONTACT else ""
    answer = client.post(path, content=body, headers={"X-Remote-User": "cw-ga", **headers})
    assert answer.status_code == 403, answer.text
    assert "proxy's word" in answer.json()["error"]["message"]
    assert events(served) == 1


def test_a_read_another_sites_page_asks_for_is_refused_on_a_proxys_word(served: Served) -> None:
    """Nor is a read another site's page makes logged as the user's (its answer the page could
    not see, but the access log would say the caseworker read the client)."""
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    cross = {"X-Remote-User": "cw-ga", "Sec-Fetch-Site": "cross-site"}
    assert client.get("/api/clients/GA-1/timeline", headers=cross).status_code == 403
    answer = client.post(CONTACT, json={"note": "n"}, headers=cross)
    assert answer.status_code == 403
    assert served.get("aud", "/api/access-log", params={"client_ref": "GA-1"}).json()["reads"] == []
    same = {"X-Remote-User": "cw-ga", "Sec-Fetch-Site": "same-origin"}
    assert client.get("/api/clients/GA-1/timeline", headers=same).status_code == 200
    assert client.post("/api/clients/GA-1/absconding", json={}, headers=same).status_code == 200
    assert events(served) == 2


def test_a_delete_on_a_proxys_word_needs_no_body_type(served: Served) -> None:
    """Another site's page cannot send a DELETE without the server's leave: refusing one with
    no body type refused a supervisor's own revocation of a token (the review)."""
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    issued = served.client.post("/api/users/cw-ga/tokens", headers=served.headers("sup-ga"))
    assert issued.status_code == 200, issued.text
    revoked = client.delete("/api/users/cw-ga/tokens", headers={"X-Remote-User": "sup-ga"})
    assert revoked.status_code == 200, revoked.text


def test_a_page_another_site_embeds_is_not_the_users_on_a_proxys_word(served: Served) -> None:
    """A web page another site's page asks for (an image, a frame) logged a read as the
    user's; the user following a link from another site still reads it."""
    enrolled(served.ledger)
    client = behind(served, PROXY, "127.0.0.1")
    embedded = {"X-Remote-User": "cw-ga", "Sec-Fetch-Site": "cross-site",
                "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}  # fmt: skip
    page = client.get("/clients/GA-1/timeline", headers=embedded, follow_redirects=False)
    assert page.status_code in (302, 303, 401), page.status_code
    assert served.get("aud", "/api/access-log", params={"client_ref": "GA-1"}).json()["reads"] == []
    followed = {**embedded, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert client.get("/clients/GA-1/timeline", headers=followed).status_code == 200
    reads = served.get("aud", "/api/access-log", params={"client_ref": "GA-1"}).json()["reads"]
    assert [read["recorded_by"] for read in reads] == ["cw-ga"]


# --- If-Match ----------------------------------------------------------------------------------


def test_a_write_with_a_stale_if_match_is_a_conflict_and_writes_nothing(served: Served) -> None:
    enrolled(served.ledger)
    etag = served.get("cw-ga", "/api/clients/GA-1").headers["etag"]
    first = served.post("cw-ga", CONTACT, {"note": "a"}, headers={"If-Match": etag})
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    stale = served.post("sup-ga", CONTACT, {"note": "b"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert (stale.json()["error"]["type"], stale.json()["error"]["exit_code"]) == ("conflict", 5)
    assert "moved on" in stale.json()["error"]["message"]
    assert events(served) == 2
    fresh = served.get("sup-ga", "/api/clients/GA-1").headers["etag"]
    assert served.post("sup-ga", CONTACT, {}, headers={"If-Match": fresh}).status_code == 200
    assert served.post("sup-ga", CONTACT, {}, headers={"If-Match": "W/" + fresh}).status_code == 409


MALFORMED_IF_MATCH = [b"abc", b"-1", b"1.0", b'"1', b"1, 2", b"9" * 13, b"*", b"\xb2", b"\xd9\xa1"]


def test_a_malformed_if_match_is_invalid_input_and_writes_nothing(live: Live) -> None:
    """Sent over a socket as bytes: a header may carry any octet (`\xb2` reads as "²")."""
    enrolled(live.ledger)
    answers = {}
    signed_in = {name.encode(): value.encode() for name, value in live.headers("cw-ga").items()}
    for if_match in MALFORMED_IF_MATCH:
        answer = httpx.post(
            f"{live.base_url}{CONTACT}", json={}, headers={**signed_in, b"If-Match": if_match}
        )
        error = answer.json().get("error", {})
        answers[if_match] = (answer.status_code, error.get("type"), "If-Match" in str(error))
    assert answers == {if_match: (400, "invalid_input", True) for if_match in MALFORMED_IF_MATCH}
    assert len(live.ledger.recorder.select_events(client_id("GA-1"))) == 1


def test_concurrent_writes_expecting_the_same_event_one_wins_the_rest_conflict(
    live: Live,
) -> None:
    enrolled(live.ledger)
    answers: list[int] = []
    start = threading.Barrier(6)

    def write(user: str) -> None:
        start.wait()
        answer = httpx.post(
            f"{live.base_url}{CONTACT}",
            json={"note": "n"},
            headers=live.headers(user, **{"If-Match": '"1"'}),
            timeout=30,
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=write, args=(u,)) for u in ["cw-ga", "sup-ga"] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409, 409, 409, 409, 409]
    assert len(live.ledger.recorder.select_events(client_id("GA-1"))) == 2


def test_concurrent_requests_on_many_clients_are_all_answered(live: Live) -> None:
    """Readers and writers at once, on both backends (SQLite included): every request
    answered, none lost, none failed."""
    refs = [f"GA-{n}" for n in range(6)]
    for ref in refs:
        enrolled(live.ledger, ref)
    failures: list[str] = []

    def work(ref: str) -> None:
        with httpx.Client(base_url=live.base_url, timeout=60) as client:
            for n in range(5):
                wrote = client.post(
                    f"/api/clients/{ref}/contacts",
                    json={"note": f"{n}"},
                    headers=live.headers("cw-ga"),
                )
                read = client.get(f"/api/clients/{ref}/timeline", headers=live.headers("aud"))
                if (wrote.status_code, read.status_code) != (200, 200):
                    failures.append(f"{ref}: {wrote.text} {read.text}")

    threads = [threading.Thread(target=work, args=(ref,)) for ref in refs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [len(live.ledger.recorder.select_events(client_id(r))) for r in refs] == [6] * 6


# --- public -----------------------------------------------------------------------------------


def test_the_api_description_and_docs_are_public(served: Served) -> None:
    assert served.client.get("/openapi.json").status_code == 200
    docs = served.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_every_api_operation_documents_its_errors_as_the_json_error_body(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    detail = {"$ref": "#/components/schemas/ErrorDetail"}
    # the error body, or one carrying more beside it (a damaged projection's findings)
    error_bodies = [
        {"$ref": f"#/components/schemas/{name}"}
        for name, schema in schemas.items()
        if schema.get("properties", {}).get("error") == detail
    ]
    statuses = {str(status) for status in STATUS_BY_ERROR.values()}
    undocumented = []
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for verb, operation in operations.items():
            for status in statuses:
                documented = operation["responses"].get(status, {})
                schema = documented.get("content", {}).get("application/json", {}).get("schema")
                if schema not in error_bodies:
                    undocumented.append(f"{verb.upper()} {path} {status}")
    assert undocumented == []
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_api_description_says_how_to_authenticate(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]
    for path, operations in document["paths"].items():
        if path.startswith("/api/"):
            for operation in operations.values():
                assert operation["security"] == [{name: []} for name in schemes], path


def test_an_unknown_api_path_answers_the_json_error_body(served: Served) -> None:
    answer = served.get("aud", "/api/no-such-thing")
    assert answer.status_code == 404 and answer.json()["error"]["exit_code"] == 4
    wrong_verb = served.client.patch("/api/users", headers=served.headers("aud"))
    assert wrong_verb.status_code == 405 and "error" in wrong_verb.json()


def test_no_endpoint_takes_free_text_or_a_secret_in_its_query_string(served: Served) -> None:
    """Query strings land in access logs and browser histories: notes, reasons, names and
    passwords travel in bodies only."""
    document = served.client.get("/openapi.json").json()
    in_queries = {
        parameter["name"]
        for operations in document["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    free_text = {"note", "reason", "description", "name", "password", "token", "goals",
                 "strengths", "responsivity", "provider", "volunteer"}  # fmt: skip
    assert in_queries & free_text == set()
    assert "reason" in document["components"]["schemas"]["RemoveUserRequest"]["properties"]


def test_a_path_the_server_has_not_says_so_rather_than_not_found(served: Served) -> None:
    """A mistyped server URL (…/api as its root) must not read as a missing client."""
    answer = served.get("aud", "/api/api/clients/GA-1")
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    assert "this server has no GET /api/api/clients/GA-1" in message and "/docs" in message
