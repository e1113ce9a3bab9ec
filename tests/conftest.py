"""Fixtures shared by every test: a ledger on each backend, a fixed clock.

PostgreSQL tests use a fresh schema each, dropped afterwards. Without a reachable server they
skip with the reason, except under CI=true, where they must run and so fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from tests.builders import TODAY

POSTGRES_URL = os.environ.get(
    "REENTRY_LEDGER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can."""
    try:
        with connect_postgres(parse_db_url(POSTGRES_URL)):
            return None
    except Exception as error:
        return f"no PostgreSQL at {POSTGRES_URL} ({type(error).__name__}: {error})"


_POSTGRES_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    if not _POSTGRES_PROBLEM:
        _POSTGRES_PROBLEM.append(postgres_unavailable())
    problem = _POSTGRES_PROBLEM[0]
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires the PostgreSQL tests to run: {problem}")
    pytest.skip(reason=problem)


def drop_schema(schema: str) -> None:
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A URL for an empty ledger, on SQLite (a temporary file) and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ledger.db"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}schema={schema}"
    drop_schema(schema)


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    app = Ledger(db_url, clock=lambda: TODAY)
    yield app
    app.close()


@pytest.fixture
def run(db_url: str) -> object:
    """The CLI against a ledger on each backend, as `jdoe` unless told otherwise (a test
    module may define a `run` of its own)."""
    runner = CliRunner()

    def invoke(*args: str, actor: str | None = "jdoe", **env: str) -> Result:
        environment = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": actor, **env}
        return runner.invoke(cli, list(args), env=environment, catch_exceptions=False)

    return invoke
