"""Commands that only read (verify, digest, export, replay, access-log, users list) open the
ledger read-only: they work on a ledger file, and folder, that cannot be written, and a
read-only ledger writes nothing."""

from __future__ import annotations

import getpass
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports import tallies
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY, enroll_parolee
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

# Commands that only read: on a missing file or schema each had made an empty ledger (all but
# verify) and answered from it: "(no groups)", exit 0 (a new user's trial)
READING_COMMANDS = [
    ("verify",),
    ("report", "violations"),
    ("report", "caseload"),
    ("report", "volunteer-supervision"),
    ("projections", "status"),
    ("projections", "catch-up"),
    ("show", "GA-1"),
    ("timeline", "GA-1"),
    ("export",),
]


def enrolled_ledger(url: str) -> None:
    ledger = Ledger(url, clock=lambda: TODAY)
    enroll_parolee(ledger)
    ledger.log_contact("GA-1", actor="jdoe", note="met")
    ledger.close()


def chattr(flag: str, *paths: Path) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@pytest.fixture
def unwritable_ledger(tmp_path: Path) -> Iterator[Path]:
    """A SQLite ledger whose file and folder nobody may write, root included (immutable:
    chmod does not stop root, whom the tests run as)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "ledger.db"
    enrolled_ledger(f"sqlite:///{path}")
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db"]  # no -wal nor -shm left
    path.chmod(0o444)
    folder.chmod(0o555)
    chattr("+i", path, folder)
    try:
        yield path
    finally:
        chattr("-i", path, folder)
        folder.chmod(0o755)


def invoke(*args: str) -> Result:
    env = {"REENTRY_LEDGER_ACTOR": "auditor", "REENTRY_LEDGER_DB": None}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_verify_digest_and_export_work_on_a_ledger_that_cannot_be_written(
    unwritable_ledger: Path,
) -> None:
    url = f"sqlite:///{unwritable_ledger}"
    verified = invoke("verify", "--db", url)
    assert verified.exit_code == 0, verified.output
    assert verified.stdout == "verified 2 events of 1 client\n"
    digest = invoke("--db", url, "digest")
    assert digest.exit_code == 0, digest.output
    exported = invoke("--db", url, "export")
    assert exported.exit_code == 0, exported.output
    assert len(exported.stdout.splitlines()) == 4  # two events, the client's key, the closing
    assert sorted(p.name for p in unwritable_ledger.parent.iterdir()) == ["ledger.db"]


@pytest.mark.parametrize("args", [("replay",), ("access-log",), ("users", "list")], ids=" ".join)
def test_every_command_that_only_reads_works_on_a_ledger_that_cannot_be_written(
    unwritable_ledger: Path, args: tuple[str, ...]
) -> None:
    result = invoke("--db", f"sqlite:///{unwritable_ledger}", *args)
    assert result.exit_code == 0, result.output


def test_a_write_to_an_unwritable_ledger_fails_cleanly(unwritable_ledger: Path) -> None:
    result = invoke("contact", "GA-1", "--note", "x", "--db", f"sqlite:///{unwritable_ledger}")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


def test_a_ledger_opened_read_only_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/ledger.db"
    enrolled_ledger(url)
    ledger = Ledger(parse_db_url(url, read_only=True), clock=lambda: TODAY)
    try:
        assert ledger.backend.read_only
        assert ledger.replay(actor="jdoe").events == 2
        with pytest.raises(Exception, match=r"(?i)read.?only"):
            ledger.log_contact("GA-1", actor="jdoe", note="not stored")
    finally:
        ledger.close()


def schema_exists(schema: str) -> bool:
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    return bool(found[0])


@pytest.mark.postgres
def test_a_postgresql_ledger_opened_read_only_creates_nothing() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    try:
        with pytest.raises(Exception, match="does not exist"):
            Ledger(parse_db_url(url, read_only=True), clock=lambda: TODAY)
        assert not schema_exists(schema)
    finally:
        drop_schema(schema)


@pytest.mark.parametrize(
    "command",
    READING_COMMANDS,
)
def test_a_command_that_reads_on_a_missing_ledger_file_says_so_and_makes_none(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    path = tmp_path / "nothing.db"
    result = invoke(*command, "--db", f"sqlite:///{path}")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: no ledger at {str(path)!r} (from --db 'sqlite:///{path}'): a command that "
        "reads makes none (`demo`, `import` and every command that records make one)\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    "command",
    READING_COMMANDS,
    ids=" ".join,
)
def test_a_command_that_reads_on_a_missing_postgresql_schema_says_so_and_makes_none(
    command: tuple[str, ...],
) -> None:
    """A mistyped schema had been made by a report, which answered "(no groups)", exit 0."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?schema={schema}"
    try:
        result = invoke(*command, "--db", url)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"Error: no ledger in schema {schema!r} of {url!r}: a command that reads makes "
            "none (`demo`, `import` and every command that records make one)\n"
        )
        assert not schema_exists(schema)
    finally:
        drop_schema(schema)


@pytest.mark.postgres
def test_the_missing_schema_message_never_shows_the_password() -> None:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(POSTGRES_URL)  # the test server's password, or one its trust auth ignores
    user, secret = parts.username or getpass.getuser(), parts.password or "hunter2"
    netloc = f"{user}:{secret}@{parts.hostname}:{parts.port or 5432}"
    url = parts._replace(netloc=netloc, query=f"schema={schema}").geturl()
    try:
        result = invoke("report", "violations", "--db", url)
        assert result.exit_code == 2, result.output
        assert f"{user}:***@" in result.stderr and secret not in result.output
        assert not schema_exists(schema)
    finally:
        drop_schema(schema)


@pytest.mark.parametrize("command", ["timeline", "show"])
def test_a_client_read_that_cannot_be_logged_is_not_shown(
    unwritable_ledger: Path, command: str
) -> None:
    result = invoke(command, "GA-1", "--db", f"sqlite:///{unwritable_ledger}")
    assert result.exit_code != 0, result.output
    assert "the record was not shown" in result.stderr
    assert "met" not in result.stdout
    assert "Traceback" not in result.output
    assert sorted(p.name for p in unwritable_ledger.parent.iterdir()) == ["ledger.db"]


def test_an_archive_copied_with_its_access_log_can_be_verified_exported_and_audited(
    tmp_path: Path,
) -> None:
    """A backup copies the ledger and its access-log file (ADR 27); archived, both may not be
    written, and every command that only reads still works (the log's file opened immutable,
    as the ledger's)."""
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "ledger.db"
    enrolled_ledger(f"sqlite:///{path}")
    url = f"sqlite:///{path}"
    read = invoke("timeline", "GA-1", "--db", url)
    assert read.exit_code == 0, read.output
    backup = sqlite3.connect(path)  # as a backup is taken: the write-ahead log checkpointed
    backup.execute("PRAGMA journal_mode=DELETE")
    backup.close()
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.db", "ledger.db.access-log"]
    for file in folder.iterdir():
        file.chmod(0o444)
    folder.chmod(0o555)
    chattr("+i", *folder.iterdir(), folder)
    try:
        for args in (("verify",), ("digest",), ("export",), ("access-log", "--client", "GA-1")):
            result = invoke("--db", url, *args)
            assert result.exit_code == 0, (args, result.output)
        audited = invoke("--db", url, "access-log", "--client", "GA-1")
        assert "timeline" in audited.stdout
    finally:
        chattr("-i", *folder.iterdir(), folder)
        folder.chmod(0o755)


def test_a_report_on_a_ledger_opened_read_only_runs_its_statements_side_by_side(
    tmp_path: Path,
) -> None:
    """Each statement on a connection of its own, as on any file (only a ledger in memory,
    one connection, runs them one after another): a replica's reports are as fast."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    enrolled_ledger(url)
    written = Ledger(url, clock=lambda: TODAY)
    ProjectionRunner(written).catch_up()
    written.close()
    ledger = Ledger(parse_db_url(url, read_only=True), clock=lambda: TODAY)
    try:
        with mock.patch.object(
            tallies, "ThreadPoolExecutor", wraps=tallies.ThreadPoolExecutor
        ) as side_by_side:
            found = Reports(ledger, "jdoe").violations(ReportRequest(today=TODAY))
        assert side_by_side.called
        assert found["groups"][0]["clients"] == 1
    finally:
        ledger.close()
