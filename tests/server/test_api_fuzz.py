"""The API fuzzed from its own OpenAPI document (schemathesis): whatever a signed-in user sends,
valid or not, the server never fails (no 500), answers only statuses it documents, and every
error is the documented JSON error body.

Run as a supervisor (who may write) and as oversight (who may read nothing of a client), on
SQLite, a few examples per operation (marked slow). Most requests name clients, referrals,
violations and users that exist, so they reach the application's rules, not only "not found";
the rest name made-up ones. What the fuzzing found is pinned down below, on both backends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reentry_ledger.application import Ledger
from reentry_ledger.server.app import create_app
from tests.builders import TODAY
from tests.serving import Served, cast_on, enrolled

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
CLIENTS = ("GA-1", "GA-2", "GB-1")
MANAGED = ("cw-ga", "cw-gb", "x-new")  # users a supervisor may (and may not) manage


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """The server over a ledger with the cast, and clients with something to act on."""
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    tokens = cast_on(ledger)
    for ref in CLIENTS:  # each with a referral R1 and a violation V1
        agency = ref.split("-")[0]
        by = "cw-ga" if agency == "GA" else "cw-gb"
        enrolled(ledger, ref, agency, by=by)
        ledger.refer(ref, actor=by, service="housing")
        ledger.record_violation(ref, actor=by, absconding=True)
    app = create_app(ledger)
    yield app, tokens
    shutdown_lifespans()  # the server closes its ledger, as when uvicorn stops
    ledger.close()


KNOWN = {"ref": CLIENTS, "name": MANAGED, "referral_id": ("R1",), "violation_id": ("V1",),
         "agency": ("GA", "GB"), "goal_id": ("G1",), "programme": ("Group",),
         "volunteer_id": ("VOL1",)}  # fmt: skip


def strategies(operation: Any) -> Iterator[Any]:
    """Valid and invalid requests to the operation: at paths made up, and at ones that exist."""
    names = re.findall(r"{(\w+)}", operation.path)
    existing = [{name: KNOWN[name][n % len(KNOWN[name])] for name in names} for n in range(3)]
    for mode in GenerationMode:
        yield operation.as_strategy(generation_mode=mode)
        for values in existing if names else []:
            yield operation.as_strategy(generation_mode=mode, path_parameters=values)


def problems(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(problems(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"


def fuzz(app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Every operation, fuzzed; what went wrong, by operation."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            found.append(f"the OpenAPI document: {result.err()}")
            continue
        operation = result.ok()

        @FUZZ
        @given(case=st.one_of(list(strategies(operation))))
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as error:
            found.append(f"{operation.label}: {problems(error)}")
    return found


def bearer(tokens: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[user]}"}


@pytest.mark.slow
def test_nothing_a_supervisor_sends_breaks_the_api(
    fuzzed: tuple[FastAPI, dict[str, str]],
) -> None:
    app, tokens = fuzzed
    assert fuzz(app, bearer(tokens, "sup-ga")) == []


@pytest.mark.slow
def test_nothing_oversight_sends_breaks_the_api(fuzzed: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = fuzzed
    assert fuzz(app, bearer(tokens, "ovs")) == []


# --- what the fuzzing found, pinned down on both backends --------------------------------------


def test_a_date_outside_the_ledgers_window_is_invalid_input_and_logs_no_read(
    served: Served,
) -> None:
    enrolled(served.ledger)
    for params in ({"as_of": "1899-12-31"}, {"known_at": "2300-01-01T00:00:00Z"}):
        answer = served.get("cw-ga", "/api/clients/GA-1/timeline", params=params)
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert (error["type"], error["exit_code"]) == ("invalid_input", 2)
        assert next(iter(params)) in error["message"] and "1900-01-01" in error["message"]
    assert list(served.ledger.access_log(actor="aud")) == []
    written = served.post("cw-ga", "/api/clients/GA-1/contacts", {"on": "1899-12-31"})
    assert written.status_code == 400 and "1900-01-01" in written.json()["error"]["message"]
    assert len(served.ledger.timeline("GA-1", actor="aud")) == 1


@pytest.mark.parametrize("status", ["bogus", {"raw_text": "in progress"}])
def test_an_unknown_referral_status_is_invalid_input(served: Served, status: Any) -> None:
    enrolled(served.ledger)
    served.ledger.refer("GA-1", actor="cw-ga", service="housing")
    answer = served.post("cw-ga", "/api/clients/GA-1/referrals/R1/status", {"status": status})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_input"
    assert len(served.ledger.timeline("GA-1", actor="aud")) == 2


@pytest.mark.parametrize("side", ["add", "remove"])
def test_a_condition_without_a_code_is_invalid_input_and_changes_nothing(
    served: Served, side: str
) -> None:
    enrolled(served.ledger)
    condition = {"raw_text": "no contact with the victim"}  # the wording, but no code
    answer = served.post("cw-ga", "/api/clients/GA-1/conditions", {side: [condition]})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["type"] == "invalid_input" and "code" in error["message"]
    assert len(served.ledger.timeline("GA-1", actor="aud")) == 1
