"""Connections on PostgreSQL: a command holds few of the server's connections at once, so a
role the server limits to a handful (as an agency limits each user's, against a server's
hundred in all) can still record, read and report. The library's default pool opened five
connections at start, whatever the command needed: `show` took seven at once (the set-up
lock's, the pool's five, the access log's) and a role limited to six could not read a client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from traceback import extract_stack

import pytest
from click.testing import CliRunner, Result
from eventsourcing.persistence import PersistenceError

from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

# the set-up lock's connection, the pool's first, the access log's: all a command needs at
# once on a small ledger (a report of a large one runs its parts side by side, on more)
CONNECTIONS = 3


@pytest.fixture
def limited() -> Iterator[str]:
    """A URL to an empty ledger in a schema owned by a role allowed `CONNECTIONS` at once."""
    require_postgres()
    schema, role = f"t_{uuid.uuid4().hex[:12]}", f"limited_{uuid.uuid4().hex[:12]}"
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT {CONNECTIONS}")
        connection.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {role}")
        database = connection.execute("SELECT current_database()").fetchone()[0]
        connection.execute(f'GRANT CREATE ON DATABASE "{database}" TO {role}')
    url = f"{POSTGRES_URL}?schema={schema}".replace("://postgres@", f"://{role}@", 1)
    assert role in url
    try:
        yield url
    finally:
        drop_schema(schema)
        with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


def invoke(url: str, *args: str) -> Result:
    result = CliRunner().invoke(
        cli, list(args), env={"REENTRY_LEDGER_DB": url, "REENTRY_LEDGER_ACTOR": "jdoe"}
    )
    assert result.exit_code == 0, result.output
    assert "too many connections" not in result.output
    return result


@pytest.mark.postgres
def test_a_role_allowed_three_connections_records_reads_and_reports(limited: str) -> None:
    invoke(limited, "enroll", "GA-1", "--agency", "GA", "--officer", "o1", "--supervision",
           "parole", "--start", "2024-01-10")  # fmt: skip
    invoke(limited, "violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew")
    assert "GA-1" in invoke(limited, "show", "GA-1").output
    assert "curfew" in invoke(limited, "timeline", "GA-1").output
    report = invoke(limited, "report", "violations", "--by", "agency", "--format", "csv")
    assert report.output.splitlines()[1].startswith("GA,1,")
    assert "violations" in invoke(limited, "projections", "status").output.split()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each connection the driver opens from now on, by the function of ours (or the pool's
    thread) that opened it: the pool's go through the connection class, ours through
    `psycopg.connect` (the same method, bound when psycopg is imported)."""
    import psycopg

    made: list[str] = []
    connect = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def counted(cls: type, *args: object, **kwargs: object) -> object:
        callers = [f"{frame.name} ({Path(frame.filename).name})" for frame in extract_stack()
                   if "reentry_ledger" in frame.filename or "psycopg_pool" in frame.filename]  # fmt: skip
        made.append(callers[-1] if callers else "?")
        return connect(cls, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(counted))
    monkeypatch.setattr(psycopg, "connect", psycopg.Connection.connect)
    return made


@pytest.fixture
def ledger_url() -> Iterator[str]:
    """A ledger with one client and a violation, in a schema of its own."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    try:
        invoke(url, "enroll", "GA-1", "--agency", "GA", "--officer", "o1", "--supervision",
               "parole", "--start", "2024-01-10")  # fmt: skip
        invoke(url, "violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew")
        invoke(url, "report", "violations")  # the projections made and caught up
        yield url
    finally:
        drop_schema(schema)


# Each connection a command opens is a server process forked and a sign-in (over a network,
# with TLS and a password exchange, some round trips each): a command opens those it uses.
# Reading a client: the pool's, and the access log's (which takes over the connection that
# found the ledger there). Recording: the set-up lock's, and the pool's. A report: the set-up
# lock's (which found the ledger there), and the pool's two (its catch-up's presence among
# the runners, a session lock, held while it reads and writes on the other: ADR 44).
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("command", "most"),
    [
        (("show", "GA-1"), 2),
        (("timeline", "GA-1"), 2),
        (("contact", "GA-1", "--kind", "office", "--on", "2024-03-02"), 2),
        (("report", "violations"), 3),
    ],
)
def test_a_command_opens_each_connection_it_needs_once(
    ledger_url: str, opened: list[str], command: tuple[str, ...], most: int
) -> None:
    invoke(ledger_url, *command)
    assert len(opened) <= most, opened


def test_a_ledger_whose_pool_cannot_connect_says_the_database_could_not_be_used() -> None:
    """Opened read-only (no set-up lock), the pool's first connection is the first: its
    failure is the library's storage error, which the command reports without a traceback.
    No server needed: nothing listens on port 1."""
    backend = parse_db_url("postgresql://nobody@127.0.0.1:1/nothing", read_only=True)
    backend = replace(backend, env={**backend.env, "POSTGRES_CONNECT_TIMEOUT": "1"})
    with pytest.raises(PersistenceError, match="pool initialization incomplete"):
        Ledger(backend)
