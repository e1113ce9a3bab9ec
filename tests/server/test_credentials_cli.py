"""Credentials on the command line: `users token`, `users revoke-token`, `users password`, and
`serve`, as an administrator uses them and as an attacker would try them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.directory import DIRECTORY_ID
from tests.serving import free_port

Run = Callable[..., Result]
TOKEN = re.compile(r"rlt_([0-9a-f]{16})\.[A-Za-z0-9_-]{43}")
SCRIPT = Path(sys.executable).parent / "reentry-ledger"


@pytest.fixture
def run(db_url: str) -> Run:
    """The CLI against a ledger on each backend, as the user named (none by default), with
    standard input when given."""
    runner = CliRunner()

    def invoke(*args: str, actor: str | None = None, input: str | None = None) -> Result:
        environment = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": actor}
        return runner.invoke(cli, list(args), env=environment, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def staffed(run: Run) -> Run:
    """A ledger with an auditor, a GA supervisor and a caseworker of each of GA and GB."""
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("cw-ga", "caseworker", "GA"), ("cw-gb", "caseworker", "GB")):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run(*add, actor="aud").exit_code == 0
    return run


def stored_credentials(db_url: str) -> list[tuple[Any, ...]]:
    ledger = Ledger(db_url)
    with ledger.credentials.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT * FROM {ledger.credentials.table}")
        rows = [tuple(row.values() if isinstance(row, dict) else row) for row in cursor.fetchall()]
    ledger.close()
    return rows


def user_events(db_url: str) -> int:
    ledger = Ledger(db_url)
    count = len(ledger.recorder.select_events(DIRECTORY_ID))
    ledger.close()
    return count


def stored_events(db_url: str) -> list[bytes]:
    ledger = Ledger(db_url)
    states = [n.state for n in ledger.recorder.select_notifications(start=None, limit=10_000)]
    ledger.close()
    return states


# --- users token -------------------------------------------------------------------------------


def test_users_token_prints_the_token_alone_on_stdout_and_its_id_on_stderr(staffed: Run) -> None:
    issued = staffed("users", "token", "cw-ga", "--expires", "90", actor="sup-ga")
    assert issued.exit_code == 0, issued.output
    [line] = issued.stdout.splitlines()
    matched = TOKEN.fullmatch(line)
    assert matched is not None, issued.stdout
    assert issued.stdout == line + "\n"
    assert matched.group(1) in issued.stderr and "90 days" in issued.stderr
    forever = staffed("users", "token", "cw-ga", actor="aud")
    assert "until revoked" in forever.stderr and TOKEN.fullmatch(forever.stdout.strip())


def test_only_the_tokens_hash_is_stored(staffed: Run, db_url: str, tmp_path: Path) -> None:
    token = staffed("users", "token", "cw-ga", actor="sup-ga").stdout.strip()
    token_id, secret = token.removeprefix("rlt_").split(".")
    stored = repr(stored_credentials(db_url)) + repr(stored_events(db_url))
    assert token_id in stored  # the id is on record: revocations name it
    assert secret not in stored and token not in stored
    assert f"{token_id}.{secret}" not in stored
    if db_url.startswith("sqlite"):
        files = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
        assert secret.encode() not in files and token_id.encode() in files


def test_the_event_log_says_a_token_was_issued_and_revoked_without_its_secret(
    staffed: Run,
) -> None:
    token = staffed("users", "token", "cw-ga", "--expires", "7", actor="sup-ga").stdout.strip()
    token_id, secret = token.removeprefix("rlt_").split(".")
    assert staffed("users", "revoke-token", "cw-ga", "--id", token_id, actor="aud").exit_code == 0
    exported = staffed("export", actor="aud").stdout
    assert secret not in exported
    events = [json.loads(line) for line in exported.splitlines()]
    issued = [e["state"] for e in events if e.get("type") == "TokenIssued"]
    revoked = [e["state"] for e in events if e.get("type") == "TokensRevoked"]
    assert [(e["name"], e["token_id"], e["recorded_by"]) for e in issued] == [
        ("cw-ga", token_id, "sup-ga")
    ]
    assert issued[0]["expires_on"] is not None
    assert [(e["name"], e["token_id"], e["recorded_by"]) for e in revoked] == [
        ("cw-ga", token_id, "aud")
    ]


def test_only_a_manager_of_the_user_may_issue_its_token(staffed: Run, db_url: str) -> None:
    before = user_events(db_url)
    own = staffed("users", "token", "cw-ga", actor="cw-ga")
    theirs = staffed("users", "token", "cw-gb", actor="sup-ga")
    auditor = staffed("users", "token", "aud", actor="sup-ga")
    stranger = staffed("users", "token", "cw-ga", actor="mallory")
    for refused in (own, theirs, auditor, stranger):
        assert refused.exit_code == 3, refused.output
        assert refused.stdout == "" and "Traceback" not in refused.stderr
    assert "agency GA only" in theirs.stderr
    assert user_events(db_url) == before
    assert stored_credentials(db_url) == []


@pytest.mark.parametrize("days", ["0", "-1", "3651", "soon"])
def test_a_token_expiry_out_of_range_is_refused(staffed: Run, days: str) -> None:
    refused = staffed("users", "token", "cw-ga", "--expires", days, actor="aud")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert "--expires" in refused.stderr


def test_revoke_token_ends_one_or_every_token(staffed: Run, db_url: str) -> None:
    first = staffed("users", "token", "cw-ga", actor="aud").stdout.strip()
    second = staffed("users", "token", "cw-ga", actor="aud").stdout.strip()
    first_id = TOKEN.fullmatch(first).group(1)  # type: ignore[union-attr]
    one = staffed("users", "revoke-token", "cw-ga", "--id", first_id, actor="sup-ga")
    assert one.exit_code == 0 and first_id in one.stderr
    ledger = Ledger(db_url)
    assert ledger.authenticate_bearer(first) is None
    assert ledger.authenticate_bearer(second) == "cw-ga"
    ledger.close()
    assert staffed("users", "revoke-token", "cw-ga", actor="sup-ga").exit_code == 0
    ledger = Ledger(db_url)
    assert ledger.authenticate_bearer(second) is None
    ledger.close()


def test_revoking_a_token_that_is_not_the_users_is_refused(staffed: Run) -> None:
    theirs = staffed("users", "token", "cw-gb", actor="aud").stdout.strip()
    theirs_id = TOKEN.fullmatch(theirs).group(1)  # type: ignore[union-attr]
    refused = staffed("users", "revoke-token", "cw-ga", "--id", theirs_id, actor="sup-ga")
    assert refused.exit_code == 2 and "has no token" in refused.stderr
    unknown = staffed("users", "revoke-token", "cw-ga", "--id", "0" * 16, actor="sup-ga")
    assert unknown.exit_code == 2
    assert staffed("users", "revoke-token", "cw-gb", actor="sup-ga").exit_code == 3


# --- users password ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [("token",), ("revoke-token",), ("remove",), ("password",)])
def test_a_user_that_is_not_there_is_not_found(
    staffed: Run, db_url: str, command: tuple[str, ...]
) -> None:
    """A mistyped name is told as not found (exit 4), as a client that is not there, not as a
    refusal by a rule (3); nothing is written."""
    before = stored_credentials(db_url)
    result = staffed("users", command[0], "nbody", *command[1:], actor="aud",
                     input="a long enough password\n")  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "no user 'nbody'" in result.output
    assert stored_credentials(db_url) == before


def test_users_password_reads_standard_input_and_stores_an_argon2id_hash(
    staffed: Run, db_url: str
) -> None:
    done = staffed("users", "password", "cw-ga", actor="sup-ga", input="a long passphrase\n")
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    [(_, user, kind, digest, _)] = [r for r in stored_credentials(db_url) if r[2] == "password"]
    assert (user, kind) == ("cw-ga", "password")
    assert digest.startswith("$argon2id$") and "a long passphrase" not in digest
    ledger = Ledger(db_url)
    assert ledger.authenticate_password("cw-ga", "a long passphrase") == "cw-ga"
    assert ledger.authenticate_password("cw-ga", "a long passphrase\n") is None
    assert ledger.authenticate_password("cw-gb", "a long passphrase") is None
    ledger.close()


def test_a_password_shorter_than_twelve_characters_is_refused(staffed: Run, db_url: str) -> None:
    refused = staffed("users", "password", "cw-ga", actor="aud", input="eleven char\n")
    assert refused.exit_code == 2 and "at least 12" in refused.stderr
    empty = staffed("users", "password", "cw-ga", actor="aud", input="")
    assert empty.exit_code == 2
    assert stored_credentials(db_url) == []


def test_only_a_manager_of_the_user_sets_its_password(staffed: Run, db_url: str) -> None:
    own = staffed("users", "password", "cw-ga", actor="cw-ga", input="a long passphrase\n")
    theirs = staffed("users", "password", "cw-gb", actor="sup-ga", input="a long passphrase\n")
    assert (own.exit_code, theirs.exit_code) == (3, 3)
    assert stored_credentials(db_url) == [] and user_events(db_url) == 4


# --- serve -------------------------------------------------------------------------------------


@pytest.fixture
def never_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` refusing its options must stop before it listens: if it did not, the test
    fails instead of serving for ever."""
    import uvicorn

    def listen(*_: object, **__: object) -> None:
        raise AssertionError("serve started listening")

    monkeypatch.setattr(uvicorn, "run", listen)


def test_serve_refuses_a_ledger_with_no_users_and_says_what_to_do(
    run: Run, never_listening: None
) -> None:
    refused = run("serve", "--port", str(free_port()), actor=None)
    assert refused.exit_code == 2
    assert "no ledger with users" in refused.stderr and "--actor NAME users add" in refused.stderr
    assert "users token" in refused.stderr


def test_serve_refused_creates_no_ledger(run: Run, tmp_path: Path, never_listening: None) -> None:
    missing = tmp_path / "typo.db"
    refused = run("serve", "--db", f"sqlite:///{missing}", actor=None)
    assert refused.exit_code == 2 and not missing.exists()


def test_serve_refuses_a_port_another_program_listens_on(staffed: Run) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        refused = staffed("serve", "--port", str(port), actor=None)
    assert refused.exit_code == 1
    assert "cannot listen on 127.0.0.1" in refused.stderr and "serving" not in refused.stderr


def test_serve_refuses_a_trusted_proxy_without_its_header(
    staffed: Run, never_listening: None
) -> None:
    refused = staffed("serve", "--trusted-proxy", "10.0.0.1", actor=None)
    assert refused.exit_code == 2 and "--proxy-user-header" in refused.stderr


def test_serve_refuses_a_proxy_header_without_a_trusted_proxy(
    staffed: Run, never_listening: None
) -> None:
    refused = staffed("serve", "--proxy-user-header", "X-Remote-User", actor=None)
    assert refused.exit_code == 2 and "--trusted-proxy" in refused.stderr


@pytest.mark.parametrize("address", ["proxy.example.org", "10.0.0.0/33", "300.1.1.1", ""])
def test_serve_refuses_a_malformed_trusted_proxy(
    staffed: Run, address: str, never_listening: None
) -> None:
    refused = staffed(
        "serve", "--proxy-user-header", "X-Remote-User", "--trusted-proxy", address, actor=None
    )
    assert refused.exit_code == 2 and "--trusted-proxy" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_serve_help_says_how_to_start_it(run: Run) -> None:
    shown = run("serve", "--help", actor=None)
    assert shown.exit_code == 0
    for option in ("--port", "--host", "--proxy-user-header", "--trusted-proxy", "--workers"):
        assert option in shown.stdout


@contextmanager
def serving(db_url: str, *options: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`reentry-ledger --db URL serve --port P ...` in a process of its own, until stopped."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REENTRY_")}
    server = subprocess.Popen(
        [str(SCRIPT), "--db", db_url, "serve", "--port", str(port), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not start: {server.communicate()}") from None
                time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_serve_answers_a_new_users_first_request_and_stops_cleanly_on_sigterm(
    staffed: Run, db_url: str
) -> None:
    token = staffed("users", "token", "aud", actor="aud").stdout.strip()
    with serving(db_url) as (base, server):
        answer = httpx.get(f"{base}/api/users", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        assert [user["name"] for user in answer.json()] == ["aud", "cw-ga", "cw-gb", "sup-ga"]
        assert httpx.get(f"{base}/api/users").status_code == 401
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    # uvicorn drains the requests, runs the shutdown (the ledger closed), then ends by the
    # signal it was sent, as a service manager expects of a clean stop
    assert server.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert "Traceback" not in stderr and token not in stderr
    assert "serving" in stderr and "/docs" in stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_serve_takes_the_proxys_address_from_the_connection_not_from_forwarded_headers(
    staffed: Run, db_url: str
) -> None:
    """X-Forwarded-For is whatever the sender wrote: a request from outside the trusted
    network that claims to come through the proxy is not the proxy's."""
    options = ("--proxy-user-header", "X-Remote-User", "--trusted-proxy", "10.0.0.0/8")
    with serving(db_url, *options) as (base, _):
        spoofed = {
            "X-Remote-User": "aud",
            "X-Forwarded-For": "10.1.2.3",
            "Forwarded": "for=10.1.2.3",
        }
        answer = httpx.get(f"{base}/api/users", headers=spoofed)
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "unauthenticated"


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_serve_with_two_workers_answers_concurrent_writers_and_keeps_every_write(
    staffed: Run, db_url: str
) -> None:
    """Two processes, each with its own ledger, as `--workers` runs them: SQLite's file lock
    (or PostgreSQL's transactions) keep their writes apart, and a race is a 409, never a loss."""
    token = staffed("users", "token", "cw-ga", actor="aud").stdout.strip()
    signed_in = {"Authorization": f"Bearer {token}"}
    refs = [f"GA-{n}" for n in range(4)]
    with serving(db_url, "--workers", "2") as (base, server):
        for ref in refs:
            enrol = {"ref": ref, "agency": "GA", "officer": "o", "supervision": "parole"}
            assert httpx.post(f"{base}/api/clients", json=enrol, headers=signed_in).is_success
        moved_on = httpx.post(f"{base}/api/clients/{refs[0]}/contacts", json={}, headers=signed_in)
        assert moved_on.status_code == 200  # so If-Match "1" is stale from here on
        answers: list[int] = []

        def write(ref: str) -> None:
            with httpx.Client(base_url=base, headers=signed_in, timeout=60) as client:
                for _ in range(5):
                    answers.append(client.post(f"/api/clients/{ref}/contacts", json={}).status_code)
                raced = client.post(
                    f"/api/clients/{refs[0]}/contacts", json={}, headers={"If-Match": '"1"'}
                )
                answers.append(raced.status_code)

        threads = [threading.Thread(target=write, args=(ref,)) for ref in refs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert sorted(answers) == [200] * 20 + [409] * 4
    ledger = Ledger(db_url)
    assert [ledger.get_client(ref).version for ref in refs] == [7, 6, 6, 6]
    ledger.close()
