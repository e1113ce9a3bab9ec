"""An import or a demo into a ledger that is not there yet makes it whole or not at all: when it
is refused, fails or is interrupted, no SQLite file and no PostgreSQL schema or table is left
behind, where before an empty ledger was ("nothing written" held for events, not for the
ledger's own tables)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner, Result

from reentry_ledger import making
from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import Conflict
from tests.builders import TODAY, enroll_parolee
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "legacy"
MAPPING = EXAMPLES / "mapping.toml"
GOOD = (EXAMPLES / "records.csv").read_text(encoding="utf-8")


def cli_run(*args: str, db: str) -> Result:
    env = {"REENTRY_LEDGER_DB": db, "REENTRY_LEDGER_ACTOR": "migrator"}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def bad_csv(tmp_path: Path) -> Path:
    """The example's rows, then a malformed one: refused whole, its line named."""
    source = tmp_path / "records.csv"
    source.write_text(GOOD + "X-1,bogus,,,\n", encoding="utf-8")
    return source


def bad_jsonl(tmp_path: Path) -> Path:
    source = tmp_path / "ledger.jsonl"
    source.write_bytes(b'{"bad": 1}\n')
    return source


REFUSALS = {
    "a malformed csv row": lambda tmp_path: (
        "import", str(bad_csv(tmp_path)), "--format", "csv", "--mapping", str(MAPPING)
    ),
    "a malformed jsonl line": lambda tmp_path: ("import", str(bad_jsonl(tmp_path)), "--format", "jsonl"),
    "csv without its mapping": lambda tmp_path: (
        "import", str(EXAMPLES / "records.csv"), "--format", "csv"
    ),
}  # fmt: skip


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of its own for the new ledger: what is in it afterwards is what was left."""
    made = tmp_path / "ledgers"
    made.mkdir()
    return made


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_import_into_a_new_sqlite_file_leaves_no_file(
    refusal: str, folder: Path, tmp_path: Path
) -> None:
    target = folder / "new.db"
    result = cli_run(*REFUSALS[refusal](tmp_path), db=f"sqlite:///{target}")
    assert result.exit_code == 2, result.output
    assert "Error: " in result.stderr, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == []  # no ledger, no hidden file either


def test_an_import_into_a_new_sqlite_file_makes_the_ledger_there_and_nothing_else(
    folder: Path,
) -> None:
    target = folder / "new.db"
    db = f"sqlite:///{target}"
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {p.name for p in folder.iterdir()} <= {"new.db", "new.db-wal", "new.db-shm"}
    events = json.loads(cli_run("timeline", "NW-0101", "--json", db=db).stdout)
    assert events[0]["type"] == "Enrolled"
    again = cli_run("enroll", "NW-0999", "--agency", "North", "--officer", "jt",
                    "--supervision", "probation", "--start", "2024-03-01", db=db)  # fmt: skip
    assert again.exit_code == 0, again.output  # an ordinary ledger, written as ever


def test_a_demo_into_a_new_sqlite_file_makes_it_there(folder: Path) -> None:
    target = folder / "demo.db"
    result = cli_run("demo", "--clients", "20", db=f"sqlite:///{target}")
    assert result.exit_code == 0, result.output
    assert target.is_file()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def import_signalled(folder: Path, tmp_path: Path, signalled: int) -> tuple[int, bytes]:
    """An import into a new ledger in `folder`, sent `signalled` while its lines are still
    coming (a line begun, not ended, and the ledger made aside): its exit code and stderr."""
    pipe = tmp_path / "arriving.jsonl"  # the import reads what we hand it, and waits for more
    os.mkfifo(pipe)
    env = {**os.environ, "REENTRY_LEDGER_DB": f"sqlite:///{folder / 'new.db'}"}
    process = subprocess.Popen(
        [str(SCRIPT), "import", str(pipe), "--format", "jsonl"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    with pipe.open("wb") as stream:
        stream.write(b'{"topic": "reentry_ledger')
        stream.flush()
        deadline = time.monotonic() + 30
        while not any(folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)  # the ledger is being made, aside
        assert [p.name for p in folder.iterdir()], "the import made no ledger to interrupt"
        process.send_signal(signalled)
        _, errors = process.communicate(timeout=30)
    return process.returncode, errors


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_an_import_interrupted_part_way_into_a_new_sqlite_file_leaves_no_file(
    folder: Path, tmp_path: Path
) -> None:
    """Ctrl-C while the lines are still coming: neither the ledger nor its hidden file stays."""
    returncode, errors = import_signalled(folder, tmp_path, signal.SIGINT)
    assert returncode == 130, errors  # as a shell tells an interrupted command (128 + SIGINT)
    assert errors.endswith(b"Interrupted.\n") and b"Traceback" not in errors
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
@pytest.mark.parametrize("between", [None, 0.05, 0.3])
def test_ctrl_c_during_a_demo_ends_it_at_once_and_leaves_no_file(
    folder: Path, between: float | None
) -> None:
    """SIGINT to the command's group (Ctrl-C), or to the command then its group (as `timeout
    -s INT` sends it, or Ctrl-C pressed twice), while its worker processes tell the demo's
    clients: a new user's trial found it printing "Interrupted." and then never ending (its
    workers' queues waited on at exit), and a worker's traceback."""
    env = {**os.environ, "REENTRY_LEDGER_DB": f"sqlite:///{folder / 'big.db'}"}
    process = subprocess.Popen(
        [str(SCRIPT), "demo", "--clients", "3000"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not any(folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the ledger is being made, aside
    time.sleep(2)  # the workers at work
    if between is not None:
        process.send_signal(signal.SIGINT)
        time.sleep(between)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        _, errors = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError("the demo did not end within 30 s of Ctrl-C") from None
    # 130, or ended by the second SIGINT itself as it exited (a shell tells both as 130)
    assert process.returncode in (130, -signal.SIGINT), errors
    assert b"Traceback" not in errors and errors.endswith(b"Interrupted.\n"), errors
    assert sorted(p.name for p in folder.iterdir()) == []


@pytest.mark.parametrize("name", ["x%41.db", "new#1.db", "a?b.db"])
def test_a_new_sqlite_file_whose_name_a_url_would_read_otherwise_is_made_whole(
    name: str, folder: Path
) -> None:
    # %, # and ? are a URL's: the file made aside must be opened by the name it is given
    target = folder / name
    db = f"sqlite:///{quote(str(target))}"
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    events = json.loads(cli_run("timeline", "NW-0101", "--json", db=db).stdout)
    assert events[0]["type"] == "Enrolled"


def test_a_new_sqlite_file_through_a_dangling_link_is_made_where_it_points(
    folder: Path, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (folder / "link.db").symlink_to(tmp_path / "real" / "ledger.db")
    db = f"sqlite:///{folder / 'link.db'}"
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "real" / "ledger.db").is_file()
    assert json.loads(cli_run("timeline", "NW-0101", "--json", db=db).stdout)


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_an_import_stopped_by_sigterm_into_a_new_sqlite_file_leaves_no_file(
    folder: Path, tmp_path: Path
) -> None:
    """SIGTERM (a service stopped, `kill`): as Ctrl-C, nothing stays, and it says so."""
    returncode, errors = import_signalled(folder, tmp_path, signal.SIGTERM)
    assert returncode == 128 + signal.SIGTERM, errors
    assert b"stopped by SIGTERM; nothing was written" in errors and b"Traceback" not in errors
    assert sorted(p.name for p in folder.iterdir()) == []


def test_a_refused_import_into_an_existing_sqlite_ledger_leaves_it_as_it_was(
    folder: Path, tmp_path: Path
) -> None:
    target = folder / "kept.db"
    db = f"sqlite:///{target}"
    assert cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                   "--mapping", str(MAPPING), db=db).exit_code == 0  # fmt: skip
    source = tmp_path / "more.csv"
    source.write_text(GOOD.splitlines()[0] + "\nX-1,bogus,,,\n", encoding="utf-8")
    result = cli_run("import", str(source), "--format", "csv", "--mapping", str(MAPPING), db=db)
    assert result.exit_code == 2, result.output
    assert target.is_file()
    assert json.loads(cli_run("timeline", "NW-0101", "--json", db=db).stdout)


def test_a_ledger_made_at_the_path_meanwhile_is_kept_and_the_import_says_so(
    folder: Path,
) -> None:
    """Another process made a ledger at the same path while this one was making its own: the
    other's is left as it is, and this one's is given up with a conflict (exit 5: try again)."""
    target = folder / "raced.db"
    db = f"sqlite:///{target}"
    closed: list[bool] = []
    with (
        pytest.raises(Conflict, match=r"raced\.db"),
        making.made_or_nothing(db, lambda: closed.append(True)) as url,
    ):
        assert url != db and not target.exists()  # made aside, under another name
        mine = Ledger(url, clock=lambda: TODAY)
        enroll_parolee(mine, "MINE-1")
        mine.close()
        other = Ledger(db, clock=lambda: TODAY)
        enroll_parolee(other, "OTHER-1")
        other.close()
    assert closed == [True]
    kept = Ledger(db, clock=lambda: TODAY)
    assert kept.exists("OTHER-1") and not kept.exists("MINE-1")
    kept.close()
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


# PostgreSQL: a schema that was not there is dropped; an empty schema that was (public, or one
# made by an administrator) is left as it was, with none of the ledger's tables in it


@pytest.fixture
def schema() -> Iterator[str]:
    require_postgres()
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    drop_schema(name)


def pg_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}schema={schema}"


def schema_contents(schema: str) -> tuple[bool, list[str], list[str]]:
    """Whether the schema is there, its relations and its functions."""
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        there = connection.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()[0]
        relations = connection.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s ORDER BY 1",
            (schema,),
        ).fetchall()
        functions = connection.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s ORDER BY 1",
            (schema,),
        ).fetchall()
    return bool(there), [r[0] for r in relations], [f[0] for f in functions]


@pytest.mark.postgres
@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_import_into_a_new_postgresql_schema_leaves_no_schema(
    refusal: str, schema: str, tmp_path: Path
) -> None:
    result = cli_run(*REFUSALS[refusal](tmp_path), db=pg_url(schema))
    assert result.exit_code == 2, result.output
    assert schema_contents(schema) == (False, [], [])


@pytest.mark.postgres
def test_a_refused_import_into_an_empty_postgresql_schema_leaves_it_empty(
    schema: str, tmp_path: Path
) -> None:
    with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'CREATE TABLE "{schema}".theirs (n integer)')  # someone else's
    result = cli_run(*REFUSALS["a malformed jsonl line"](tmp_path), db=pg_url(schema))
    assert result.exit_code == 2, result.output
    assert schema_contents(schema) == (True, ["theirs"], [])


@pytest.mark.postgres
@pytest.mark.parametrize("there", [True, False], ids=["schema there", "schema made"])
def test_a_failed_import_leaves_a_table_someone_else_made_in_the_schema_meanwhile(
    schema: str, there: bool
) -> None:
    db = pg_url(schema)
    if there:
        with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    with pytest.raises(RuntimeError, match="given up"), making.made_or_nothing(db, lambda: None):
        Ledger(db, clock=lambda: TODAY).close()  # the ledger's tables made
        with connect_postgres(parse_db_url(POSTGRES_URL)) as connection:
            connection.execute(f'CREATE TABLE "{schema}".colleagues (n integer)')
            connection.execute(f'INSERT INTO "{schema}".colleagues VALUES (42)')
        raise RuntimeError("given up")
    assert schema_contents(schema) == (True, ["colleagues"], [])  # the ledger's own, gone


@pytest.mark.postgres
def test_an_import_into_a_new_postgresql_schema_makes_the_ledger(schema: str) -> None:
    db = pg_url(schema)
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(cli_run("timeline", "NW-0101", "--json", db=db).stdout)


@pytest.mark.postgres
def test_a_failed_import_leaves_a_postgresql_ledger_another_process_wrote_meanwhile(
    schema: str,
) -> None:
    """The new schema's ledger took another's event before this import gave up: a ledger in
    use is not this import's to drop."""
    db = pg_url(schema)
    with pytest.raises(RuntimeError, match="given up"), making.made_or_nothing(db, lambda: None):
        other = Ledger(db, clock=lambda: TODAY)
        enroll_parolee(other, "OTHER-1")
        other.close()
        raise RuntimeError("given up")
    there, relations, _ = schema_contents(schema)
    assert there and relations
    kept = Ledger(db, clock=lambda: TODAY)
    assert kept.exists("OTHER-1")
    kept.close()


def making_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".making" in p.name)


def test_a_file_left_aside_by_a_killed_demo_goes_with_the_next_import_there(
    folder: Path,
) -> None:
    """Killed outright (SIGKILL, a power cut) part-way, a demo left its hidden file, with the
    events it had written: personal data nobody would look for. The next `import` or `demo`
    at the same path removes it, with its side files and its lock file."""
    target = folder / "new.db"
    env = {**os.environ, "REENTRY_LEDGER_DB": f"sqlite:///{target}"}
    demo = subprocess.Popen([str(SCRIPT), "demo", "--clients", "20000"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not any(name.endswith(".making") for name in making_in(folder)):
            assert time.monotonic() < deadline and demo.poll() is None, "no file made aside"
            time.sleep(0.05)
        time.sleep(0.5)  # writing
    finally:
        demo.kill()
        demo.wait()
    left = making_in(folder)
    assert any(name.endswith(".making") for name in left) and not target.exists()
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=f"sqlite:///{target}")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert making_in(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["new.db"]


def test_a_file_being_made_aside_by_a_running_process_is_left_to_it(folder: Path) -> None:
    """A file whose lock is held (another import making the same ledger, here this process)
    stays; so do files named like one without a lock file, a folder named like a lock file,
    and another ledger's. Later, made there, the one found there is swept as before."""
    target = folder / "new.db"
    with (
        pytest.raises(KeyboardInterrupt),
        making.made_or_nothing(f"sqlite:///{target}", lambda: None) as url,
    ):
        aside = Path(unquote(url.removeprefix("sqlite:///")))
        aside.write_bytes(b"being made")
        (folder / ".new.db.99999999999999999999-x.making").write_bytes(b"no lock file")
        (folder / ".new.db.def.making.lock").mkdir()
        (folder / ".other.db.0123.making").write_bytes(b"another ledger's")
        (folder / ".other.db.0123.making.lock").write_bytes(b"")
        making._swept(target)  # as another import to the same path would, meanwhile
        assert aside.exists() and Path(f"{aside}.lock").exists()
        raise KeyboardInterrupt  # this one given up: its own files go
    assert making_in(folder) == [
        ".new.db.99999999999999999999-x.making", ".new.db.def.making.lock",
        ".other.db.0123.making", ".other.db.0123.making.lock",
    ]  # fmt: skip
    making._swept(folder / "other.db")
    assert making_in(folder) == [".new.db.99999999999999999999-x.making", ".new.db.def.making.lock"]


def test_a_file_left_aside_goes_with_the_next_import_into_a_ledger_made_there_since(
    folder: Path,
) -> None:
    """A killed import's file, then a ledger made at the path by a command that records (not
    made aside): the next import into it removes the file all the same."""
    target = folder / "new.db"
    (folder / ".new.db.0a1b2c.making").write_bytes(b"events written before the kill")
    (folder / ".new.db.0a1b2c.making-journal").write_bytes(b"")
    (folder / ".new.db.0a1b2c.making.lock").write_bytes(b"")
    cli_run("enroll", "NW-0999", "--agency", "North", "--officer", "jt",
            "--supervision", "probation", "--start", "2024-03-01", db=f"sqlite:///{target}")  # fmt: skip
    result = cli_run("import", str(EXAMPLES / "records.csv"), "--format", "csv",
                     "--mapping", str(MAPPING), db=f"sqlite:///{target}")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert making_in(folder) == []


def test_a_new_ledger_held_open_is_named_by_its_own_path_not_the_hidden_one(
    folder: Path,
) -> None:
    """The file made aside could not be settled (another held a read open on it): the error
    names the ledger the user gave, not a hidden name they never typed."""
    target = folder / "held.db"
    db = f"sqlite:///{target}"
    readers: list[sqlite3.Connection] = []
    with (
        pytest.raises(making.NotSettled) as refused,
        making.made_or_nothing(db, lambda: None) as url,
    ):
        mine = Ledger(url, clock=lambda: TODAY)
        enroll_parolee(mine, "MINE-1")
        reader = sqlite3.connect(unquote(url.removeprefix("sqlite:///")), isolation_level=None)
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0] > 0
        readers.append(reader)  # its read stays open: the log cannot be emptied
        mine.close()
    for reader in readers:
        reader.close()
    assert str(target) in str(refused.value)
    assert ".making" not in str(refused.value)
    assert list(folder.iterdir()) == []
