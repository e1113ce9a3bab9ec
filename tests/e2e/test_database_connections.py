"""Connections on PostgreSQL: a command holds few of the server's connections at once, so a
role the server limits to a handful (as an agency limits each user's, against a server's
hundred in all) can still record, read and report. The library's default pool opened five
connections at start, whatever the command needed: `show` took seven at once (the set-up
lock's, the pool's five, the access log's) and a role limited to six could not read a client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

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
