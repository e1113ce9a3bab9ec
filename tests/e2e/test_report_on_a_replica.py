"""Reports on a read replica: `--no-catch-up` reads the projections as they stand, writes
nothing, and says how far they reach; without it, a database that refuses writes (a hot
standby, a read-only file) is named as such, with the option to use."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from tests.builders import TODAY, execute, projection_contents
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

Run = Callable[..., Result]
NOTE = "Note: projections as they stand: position 2; the ledger's head is 3 (1 event not counted)"


def invoke(url: str, *args: str) -> Result:
    env = {"REENTRY_LEDGER_DB": url, "REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_URL": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def ledger_with_a_new_violation(url: str) -> None:
    """GA-1 with one violation counted by the projections, and a second recorded after."""
    for args in (
        ("enroll", "GA-1", "--agency", "GA", "--officer", "o-1", "--supervision", "probation",
         "--start", "2024-01-01"),
        ("violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew"),
        ("report", "violations"),  # catches the projections up to position 2
        ("violation", "GA-1", "--on", "2024-04-01", "--technical", "curfew"),
    ):  # fmt: skip
        result = invoke(url, *args)
        assert result.exit_code == 0, result.output


def technical_violations(result: Result) -> int:
    assert result.exit_code == 0, result.output
    groups = json.loads(result.stdout)["groups"]
    return int(groups[0]["technical_violations"])


def positions(url: str) -> tuple[list[tuple[str, int]], dict[str, list[str]]]:
    """Each projection's position, and every row of every projection table."""
    ledger = Ledger(parse_db_url(url, read_only=True), clock=lambda: TODAY)
    try:
        store = ledger.reports(actor="jdoe", catch_up=False).store
        from reentry_ledger.projections.catalogue import PROJECTIONS

        found = [(p.name, store.position(p)) for p in PROJECTIONS]
        return found, projection_contents(ledger)
    finally:
        ledger.close()


def test_a_report_without_catch_up_shows_the_old_counts_and_where_the_projections_stand(
    db_url: str,
) -> None:
    ledger_with_a_new_violation(db_url)
    before = positions(db_url)
    result = invoke(db_url, "report", "violations", "--no-catch-up", "--format", "json")
    assert technical_violations(result) == 1  # the second violation is not counted yet
    assert NOTE in result.stderr
    assert json.loads(result.stdout)["projections"]["head"] == 3
    assert set(json.loads(result.stdout)["projections"]["positions"].values()) == {2}
    assert positions(db_url) == before  # no catch-up: positions and tables as they were
    caught_up = invoke(db_url, "report", "violations", "--format", "json")
    assert technical_violations(caught_up) == 2
    assert "projections as they stand" not in caught_up.stderr


def test_a_report_without_catch_up_writes_nothing_to_a_sqlite_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    ledger_with_a_new_violation(url)
    before = contents(tmp_path)
    result = invoke(url, "report", "violations", "--no-catch-up", "--by", "agency")
    assert result.exit_code == 0, result.output
    assert contents(tmp_path) == before


def contents(folder: Path) -> dict[str, str]:
    """The ledger's file and its write-ahead log, byte for byte (not the log's shared-memory
    index, which every reader marks)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if not p.name.endswith("-shm")
    }


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@pytest.fixture
def read_only_ledger(tmp_path: Path) -> Iterator[str]:
    """A SQLite ledger file of mode 0444 in a folder of mode 0555, immutable too (the tests
    run as root, whom a mode does not stop)."""
    folder = tmp_path / "replica"
    folder.mkdir()
    primary, path = tmp_path / "primary.db", folder / "ledger.db"
    ledger_with_a_new_violation(f"sqlite:///{primary}")
    with closing(sqlite3.connect(primary)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)  # a copy, as a replica holds it
        copy.execute("PRAGMA journal_mode=DELETE")
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]
    path.chmod(0o444)
    folder.chmod(0o555)
    chattr("+i", path, folder)
    try:
        yield f"sqlite:///{path}"
    finally:
        chattr("-i", path, folder)
        folder.chmod(0o755)


REPORTS = [
    ("violations", "--by", "agency,risk", "--period", "year"),
    ("responses",),
    ("disparities",),
    ("caseload",),
    ("discharges",),
    ("referrals",),
    ("volunteers",),
    ("justice-counts", "--year", "2024"),
    ("cohorts",),
    ("programmes",),
    ("contacts",),
    ("needs",),
    ("volunteer-supervision",),
]


@pytest.mark.parametrize("args", REPORTS, ids=lambda args: args[0])
def test_every_report_reads_a_read_only_sqlite_ledger_without_catch_up(
    read_only_ledger: str, args: tuple[str, ...]
) -> None:
    result = invoke(read_only_ledger, "report", *args, "--no-catch-up")
    assert result.exit_code == 0, result.output
    assert NOTE in result.stderr


def test_a_report_that_must_catch_up_on_a_read_only_ledger_suggests_no_catch_up(
    read_only_ledger: str,
) -> None:
    result = invoke(read_only_ledger, "report", "violations")
    assert result.exit_code == 1, result.output
    assert "--no-catch-up" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [("due",), ("progress", "GA-1")], ids=lambda args: args[0])
def test_a_report_naming_clients_on_a_read_only_ledger_is_refused_as_unlogged(
    read_only_ledger: str, args: tuple[str, ...]
) -> None:
    # the work list and a progress report read client records, and every such read is logged:
    # where the access log cannot be written (a replica), the records are not shown, and that
    # is said, rather than the driver's words about a read-only database
    result = invoke(read_only_ledger, "report", *args)
    assert result.exit_code != 0
    assert "the access log cannot be written" in result.stderr
    assert "the record was not shown" in result.stderr
    assert "GA-1" not in result.stdout
    assert "Traceback" not in result.output


def test_projections_never_built_are_refused_not_read_as_empty(db_url: str) -> None:
    result = invoke(db_url, "enroll", "GA-1", "--agency", "GA", "--officer", "o-1",
                    "--supervision", "probation", "--start", "2024-01-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    refused = invoke(db_url, "report", "violations", "--no-catch-up")
    assert refused.exit_code == 1, refused.output
    assert "has never been built in this database" in refused.stderr
    assert "projections catch-up" in refused.stderr
    assert "Traceback" not in refused.output


def test_a_projection_being_built_from_empty_is_busy_not_a_failure(db_url: str) -> None:
    """A rebuild's build from empty (its tables empty until it reaches the head): a report read
    as the projections stand meanwhile was exit 1 with advice to run a catch-up on the primary
    (an operator's probe); it is a state that passes, so busy, exit 5: report again later."""
    result = invoke(db_url, "enroll", "GA-1", "--agency", "GA", "--officer", "o-1",
                    "--supervision", "probation", "--start", "2024-01-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    caught_up = invoke(db_url, "projections", "catch-up")
    assert caught_up.exit_code == 0, caught_up.output
    ledger = Ledger(db_url, clock=lambda: TODAY)
    try:  # as a rebuild leaves it while it stages its rows
        execute(ledger, "INSERT INTO {projection_builds} (name, position) VALUES ('clients', 1)",
                ["projection_builds"])  # fmt: skip
    finally:
        ledger.close()
    refused = invoke(db_url, "report", "violations", "--no-catch-up")
    assert refused.exit_code == 5, refused.output
    assert "is being built from empty" in refused.stderr
    assert "report again when it" in refused.stderr and "Traceback" not in refused.output


def test_a_projection_table_dropped_by_hand_is_named_not_read(db_url: str) -> None:
    """As the projections stand, a table dropped by hand (on the primary, or the replica's
    copy) has nothing to read: named, not a database error."""
    ledger_with_a_new_violation(db_url)
    ledger = Ledger(db_url, clock=lambda: TODAY)
    try:
        store = ledger.reports(actor="jdoe").store
        with store.transaction() as cursor:
            cursor.execute(store.sql("DROP TABLE {audit_terms}", ["audit_terms"]))
    finally:
        ledger.close()
    refused = invoke(db_url, "report", "violations", "--no-catch-up")
    assert refused.exit_code == 1, refused.output
    assert "projection clients has lost its table audit_terms" in refused.stderr
    assert "Traceback" not in refused.output


def test_no_catch_up_is_refused_with_a_server(tmp_path: Path) -> None:
    env = {"REENTRY_LEDGER_URL": "http://127.0.0.1:9", "REENTRY_LEDGER_DB": None}
    result = CliRunner().invoke(cli, ["report", "violations", "--no-catch-up"], env=env)
    assert result.exit_code == 2, result.output
    assert "--no-catch-up is refused" in result.stderr


@pytest.fixture
def standby() -> Iterator[tuple[str, str]]:
    """A PostgreSQL ledger, and a URL to it as a role every transaction of which is read-only,
    as on a hot standby (default_transaction_read_only), allowed to read its tables only."""
    require_postgres()
    schema, role = f"t_{uuid.uuid4().hex[:12]}", f"standby_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    ledger_with_a_new_violation(url)
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        connection.execute(f"CREATE ROLE {role} LOGIN")
        connection.execute(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        connection.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        connection.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    as_standby = url.replace("://postgres@", f"://{role}@", 1)
    assert as_standby != url
    try:
        yield url, as_standby
    finally:
        drop_schema(schema)
        with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
            connection.execute(f"DROP OWNED BY {role}")
            connection.execute(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_a_report_answers_through_a_connection_that_refuses_writes(
    standby: tuple[str, str],
) -> None:
    primary, replica = standby
    before = positions(primary)
    result = invoke(replica, "report", "violations", "--no-catch-up", "--format", "json")
    assert technical_violations(result) == 1
    assert NOTE in result.stderr
    assert positions(primary) == before


@pytest.mark.postgres
def test_a_report_that_must_catch_up_through_a_connection_that_refuses_writes_says_so(
    standby: tuple[str, str],
) -> None:
    _, replica = standby
    result = invoke(replica, "report", "violations")
    assert result.exit_code == 1, result.output
    assert "read-only transaction" in result.stderr
    assert "add --no-catch-up" in result.stderr
    assert "Traceback" not in result.output
