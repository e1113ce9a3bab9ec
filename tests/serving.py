"""A served ledger for the server's tests: a cast of users, one of each role, with tokens and
passwords, and the server either in process (`TestClient`) or listening on a loopback port
(uvicorn in a thread) for the CLI's client and the browser.

The fixtures `served` (in process) and `live` (listening) run on both backends through
`db_url`; tests/server/conftest.py offers them to every test in tests/server/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reentry_ledger.application import Ledger
from reentry_ledger.server.app import create_app
from reentry_ledger.server.auth import Settings
from tests.builders import TODAY

PASSWORD = "correct horse battery"
# name: (role, agency)
CAST: dict[str, tuple[str, str | None]] = {
    "aud": ("auditor", None),
    "sup-ga": ("supervisor", "GA"),
    "cw-ga": ("caseworker", "GA"),
    "cw-gb": ("caseworker", "GB"),
    "ovs": ("oversight", None),
    "cust": ("custodian", None),
}


@dataclass
class Served:
    """A ledger with the cast as its users, and the server over it."""

    db_url: str
    ledger: Ledger
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    base_url: str = "http://testserver"

    def headers(self, user: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}", **extra}

    def get(self, user: str, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(user), **kwargs)

    def post(self, user: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = self.headers(user, **kwargs.pop("headers", {}))
        return self.client.post(path, json=json, headers=headers, **kwargs)


def cast_on(ledger: Ledger) -> dict[str, str]:
    """Adds the cast (as `aud`, the first user) with passwords; returns their tokens."""
    ledger.add_user("aud", "auditor", None, actor="aud")
    for name, (role, agency) in CAST.items():
        if name != "aud":
            ledger.add_user(name, role, agency, actor="aud")
    tokens = {}
    for name in CAST:
        tokens[name] = ledger.issue_token(name, actor="aud")
        ledger.set_password(name, PASSWORD, actor="aud")
    return tokens


def enrolled(ledger: Ledger, ref: str = "GA-1", agency: str = "GA", by: str = "cw-ga") -> None:
    ledger.enroll(ref, actor=by, start=TODAY, agency=agency, officer="o-1",
                  supervision="probation", name="Jo Example")  # fmt: skip


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    tokens = cast_on(ledger)
    app = create_app(ledger, Settings())
    with TestClient(app) as client:
        yield Served(db_url, ledger, client, tokens)
    ledger.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Live(Served):
    server: Any = None


@pytest.fixture
def live(db_url: str) -> Iterator[Live]:
    """The server listening on a loopback port, in a thread of the test's process."""
    import uvicorn

    ledger = Ledger(db_url, clock=lambda: TODAY)
    tokens = cast_on(ledger)
    app = create_app(ledger, Settings())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    client = TestClient(app, base_url=base)
    try:
        yield Live(db_url, ledger, client, tokens, base_url=base, server=server)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
