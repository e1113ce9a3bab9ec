"""Export and import: a copy made through JSON lines is the same ledger, and an import that
fails or is killed part-way leaves the target exactly as it was."""

from __future__ import annotations

import base64
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from reentry_ledger import backends
from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Actor
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import InvalidInput, VerificationFailed
from reentry_ledger.domain.integrity import content_hash
from reentry_ledger.export.full import export_lines
from reentry_ledger.ingest import jsonl
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.ingest.jsonl import import_lines
from reentry_ledger.ingest.mapped import import_mapped
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


@pytest.fixture
def second_db(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Another empty ledger on the same backend as db_url."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/copy.db"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES_URL}?schema={schema}"
    drop_schema(schema)


def test_a_copy_through_jsonl_is_the_same_ledger(
    db_url: str, second_db: str, tmp_path: Path
) -> None:
    original = Ledger(db_url, clock=lambda: TODAY)
    built = build_demo(original, clients=4500, seed=11)
    assert built.events >= 100_000
    exported = tmp_path / "ledger.jsonl"
    with exported.open("wb") as stream:
        for line in export_lines(original):
            stream.write(line)

    copy = Ledger(second_db, clock=lambda: TODAY)
    with exported.open("rb") as stream:
        assert import_lines(copy, stream, str(exported)) == built.events

    assert b"".join(export_lines(copy)) == exported.read_bytes()
    for ref in ("DEMO-0000001", "DEMO-0002250", "DEMO-0004500"):
        assert copy.timeline(ref) == original.timeline(ref)
    request = ReportRequest(today=TODAY, by=("agency", "risk"), period="year")
    assert Reports(copy).violations(request) == Reports(original).violations(request)
    original.close()
    copy.close()


def write_lines(ledger: Ledger, path: Path) -> list[bytes]:
    """Write the whole export to `path`; return its event lines (the client-key lines and the
    closing record, which follow them, left out)."""
    lines = list(export_lines(ledger))
    path.write_bytes(b"".join(lines))
    return [line for line in lines if line.startswith(b'{"position"')]


def import_file(db: str, lines: list[bytes], path: Path):  # type: ignore[no-untyped-def]
    """Import `lines` written to `path` through the command line; the result, once the
    ledger is known to hold nothing from them if the import failed."""
    path.write_bytes(b"".join(lines))
    result = CliRunner().invoke(cli, ["--db", db, "import", str(path), "--format", "jsonl"])
    assert "Traceback" not in result.output
    if result.exit_code != 0:
        copy = Ledger(db, clock=lambda: TODAY)
        assert copy.recorder.max_notification_id() in (None, 0), "a refused import stored events"
        copy.close()
    return result


@pytest.fixture
def exported(db_url: str, tmp_path: Path) -> list[bytes]:
    """A small ledger's whole export: events, client keys (one client sealed), closing record."""
    original = Ledger(db_url, clock=lambda: TODAY)
    build_demo(original, clients=30, seed=8)
    original.seal("DEMO-0000003", reason="expungement order", actor="auditor")
    lines = list(export_lines(original))
    original.close()
    return lines


def edited(line: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    record = orjson.loads(line)
    change(record["state"])
    return orjson.dumps(record) + b"\n"


def rewritten(line: bytes) -> bytes:
    """The event with another author, and hashed again to match."""
    record = orjson.loads(line)
    state = record["state"]
    state["recorded_by"] = "someone-else"
    state["event_hash"] = content_hash(
        record["client_id"], record["number"], record["topic"], state
    )
    return orjson.dumps(record) + b"\n"


def middle_event(lines: list[bytes]) -> int:
    """The index of an event line half-way through."""
    events = [n for n, line in enumerate(lines) if line.startswith(b'{"position"')]
    return events[len(events) // 2]


def test_an_export_ends_with_its_closing_record(exported: list[bytes]) -> None:
    closing = orjson.loads(exported[-1])["closing"]
    events = [line for line in exported if line.startswith(b'{"position"')]
    keys = [line for line in exported if line.startswith(b'{"client_key"')]
    # the 29 clients not sealed, and the register's 10 volunteers (two an agency)
    assert closing["events"] == len(events) and closing["keys"] == len(keys) == 29 + 10
    assert closing["clients"] == 30
    assert closing["digest"].startswith(f"reentry-ledger digest v1 position={len(events)} ")


def test_an_export_whose_event_hash_was_edited_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path
) -> None:
    n = middle_event(exported)
    exported[n] = edited(exported[n], lambda state: state.update(event_hash="0" * 64))
    result = import_file(second_db, exported, tmp_path / "edited.jsonl")
    assert result.exit_code == 6, result.output
    assert f"edited.jsonl, line {n + 1}: " in result.stderr
    assert "does not match its hash" in result.stderr


def key_lines(exported: list[bytes]) -> list[int]:
    return [n for n, line in enumerate(exported) if line.startswith(b'{"client_key"')]


@pytest.mark.parametrize("how", ["copied from another client", "its bytes changed"])
def test_an_export_whose_client_key_was_edited_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path, how: str
) -> None:
    """A key carries no hash of its own; without this, a client would read as [sealed] (or
    [unreadable]) in the copy with no seal on record."""
    first, second = key_lines(exported)[:2]
    if how == "copied from another client":
        exported[second] = exported[first]
    else:
        record = orjson.loads(exported[second])
        record["key"] = base64.b64encode(bytes(32)).decode()
        exported[second] = orjson.dumps(record) + b"\n"
    result = import_file(second_db, exported, tmp_path / "edited.jsonl")
    assert result.exit_code == 6, result.output
    assert "two keys" in result.stderr or "client keys differs" in result.stderr


def test_an_export_whose_event_data_was_edited_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path
) -> None:
    n = middle_event(exported)
    exported[n] = edited(exported[n], lambda state: state.update(recorded_by="someone-else"))
    result = import_file(second_db, exported, tmp_path / "edited.jsonl")
    assert result.exit_code == 6, result.output
    assert f"edited.jsonl, line {n + 1}: " in result.stderr


def test_an_export_whose_event_and_hash_were_both_rewritten_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path
) -> None:
    """Rehashed to match its new content, the event no longer matches the next one's link
    (or, as a client's last, the closing digest)."""
    n = middle_event(exported)
    exported[n] = rewritten(exported[n])
    result = import_file(second_db, exported, tmp_path / "edited.jsonl")
    assert result.exit_code == 6, result.output
    assert "edited.jsonl, line " in result.stderr


@pytest.mark.parametrize(
    "cut", [1, 2, 40, 400], ids=["closing record", "and a key", "all keys", "events"]
)
def test_an_export_cut_at_a_line_boundary_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path, cut: int
) -> None:
    result = import_file(second_db, exported[:-cut], tmp_path / "cut.jsonl")
    assert result.exit_code == 2, result.output
    assert "cut.jsonl" in result.stderr and "no closing record" in result.stderr


def test_lines_after_the_closing_record_are_refused(
    exported: list[bytes], second_db: str, tmp_path: Path
) -> None:
    lines = [*exported, exported[0]]
    result = import_file(second_db, lines, tmp_path / "more.jsonl")
    assert result.exit_code == 2, result.output
    assert f"more.jsonl, line {len(lines)}: " in result.stderr
    assert "after the closing record" in result.stderr


@pytest.mark.parametrize("what", ["a key removed", "two clients' events swapped"])
def test_an_export_that_disagrees_with_its_closing_record_is_refused(
    exported: list[bytes], second_db: str, tmp_path: Path, what: str
) -> None:
    lines = list(exported)
    if what == "a key removed":
        lines.remove(next(line for line in lines if line.startswith(b'{"client_key"')))
        expected = "keys"
    else:  # each client's chain intact, the order of the whole changed
        n = next(
            n for n in range(len(lines) - 1)
            if lines[n].startswith(b'{"position"') and lines[n + 1].startswith(b'{"position"')
            and orjson.loads(lines[n])["client_id"] != orjson.loads(lines[n + 1])["client_id"]
        )  # fmt: skip
        lines[n], lines[n + 1] = lines[n + 1], lines[n]
        expected = "digest"
    result = import_file(second_db, lines, tmp_path / "changed.jsonl")
    assert result.exit_code == 6, result.output
    assert f"changed.jsonl, line {len(lines)}: " in result.stderr
    assert expected in result.stderr


def test_a_copy_keeps_its_sealed_client_sealed_and_the_others_readable(
    exported: list[bytes], second_db: str, tmp_path: Path
) -> None:
    result = import_file(second_db, exported, tmp_path / "whole.jsonl")
    assert result.exit_code == 0, result.output
    copy = Ledger(second_db, clock=lambda: TODAY)
    assert b"".join(export_lines(copy)) == b"".join(exported)
    copy.close()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: [*lines[:-1], b'{"topic": "nonsense"}\n'], "line {n}: unknown event topic"),
        (lambda lines: [*lines[:-1], lines[-1][:40] + b"\n"], "line {n}: not a JSON object"),
        # a line repeated: an edited file (exit 6), as one removed or moved
        (lambda lines: [*lines, lines[-1]], "line {n1}: client"),
        (
            lambda lines: [*lines[:-1], lines[-1].replace(b'"occurred_on":"', b'"occurred_on":"x')],
            "line {n}: malformed event",
        ),
    ],
    ids=["unknown topic", "truncated", "duplicate", "bad date"],
)
def test_a_faulty_line_stores_nothing(
    db_url: str, second_db: str, tmp_path: Path, damage, message: str
) -> None:  # type: ignore[no-untyped-def]
    original = Ledger(db_url, clock=lambda: TODAY)
    build_demo(original, clients=20, seed=2)
    lines = damage(write_lines(original, tmp_path / "good.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines))
    result = CliRunner().invoke(cli, ["--db", second_db, "import", str(bad), "--format", "jsonl"])
    assert result.exit_code == (6 if message.endswith("client") else 2), result.output
    assert message.format(n=len(lines), n1=len(lines)) in result.stderr
    copy = Ledger(second_db, clock=lambda: TODAY)
    assert copy.recorder.max_notification_id() in (None, 0)
    original.close()
    copy.close()


@pytest.mark.parametrize("where", ["a bad line", "an event out of its order"])
def test_a_fault_far_into_a_file_read_in_many_blocks_is_named_by_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=30, seed=2)
    lines = write_lines(original, tmp_path / "good.jsonl")
    fault = 300  # the line that is wrong, dozens of blocks in
    error: type = InvalidInput
    if where == "a bad line":
        lines[fault - 1] = b'{"topic": "nonsense"}\n'
        expected = "unknown event topic"
    else:  # two events of one client swapped: an edited file (exit 6), as a line removed is
        error = VerificationFailed
        clients = [orjson.loads(line)["client_id"] for line in lines]
        fault = next(n for n in range(fault, len(lines)) if clients[n - 1] == clients[n])
        lines[fault - 1], lines[fault] = lines[fault], lines[fault - 1]
        number = orjson.loads(lines[fault])["number"]
        expected = f"client {clients[fault]} event {number + 1} where event {number} was expected"
    monkeypatch.setattr(jsonl, "BLOCK", 2000)  # a few lines a block, cut mid-line
    refused_in_blocks(tmp_path, lines, error, f"line {fault}: {expected}")
    original.close()


def test_an_export_with_one_event_removed_is_refused_as_edited(tmp_path: Path) -> None:
    """Exit 6, as README says of an edited file (found by an operator's probe: exit 2)."""
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=3, seed=2)
    lines = write_lines(original, tmp_path / "good.jsonl")
    del lines[1]  # the first client's second event
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines))
    second = f"sqlite:///{tmp_path}/second.db"
    result = CliRunner().invoke(cli, ["--db", second, "import", str(bad), "--format", "jsonl"])
    assert result.exit_code == 6, result.output
    assert "line 2: client" in result.stderr and "where event 2 was expected" in result.stderr
    original.close()


def refused_in_blocks(tmp_path: Path, lines: list[bytes], error: type, match: str) -> None:
    """Importing `lines` with two workers raises `error`, matching `match`, and stores none."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"".join(lines))
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    with pytest.raises(error, match=match), bad.open("rb") as stream:
        import_lines(copy, stream, str(bad), workers=2)
    assert copy.recorder.max_notification_id() in (None, 0)
    copy.close()


def running(argument: str, within: float) -> list[str]:
    """Processes whose command line holds `argument`, once given `within` seconds to end."""
    deadline = time.monotonic() + within
    while True:
        found = [
            proc.name for proc in Path("/proc").iterdir()
            if proc.name.isdigit() and argument.encode() in read_or_empty(proc / "cmdline")
        ]  # fmt: skip
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended while we looked
        return b""


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"the console script is not installed ({SCRIPT})")
def test_an_import_killed_part_way_leaves_the_ledger_empty(
    db_url: str, second_db: str, tmp_path: Path
) -> None:
    original = Ledger(db_url, clock=lambda: TODAY)
    build_demo(original, clients=1000, seed=5)
    source = tmp_path / "ledger.jsonl"
    lines = write_lines(original, source)
    Ledger(second_db, clock=lambda: TODAY).close()  # creates the tables, then lets go:
    # alone with the file, a SQLite import loads through a rollback journal
    env = {**os.environ, "REENTRY_LEDGER_DB": second_db}
    pipe = tmp_path / "arriving.jsonl"  # the import reads what we hand it, and waits for more
    os.mkfifo(pipe)
    process = subprocess.Popen(
        [str(SCRIPT), "import", str(pipe), "--format", "jsonl"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with pipe.open("wb") as stream:
        stream.writelines(lines[: len(lines) // 2])  # many batches: written, not yet committed
        stream.flush()
        time.sleep(1.5)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert not running(str(pipe), within=5.0), "the import's worker processes outlived it"
    assert process.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    time.sleep(0.5)  # PostgreSQL notices the closed connection and aborts its transaction
    copy = Ledger(second_db, clock=lambda: TODAY)
    assert copy.recorder.max_notification_id() in (None, 0)
    if second_db.startswith("sqlite"):
        assert journal_mode(copy) == "wal", "the ledger did not go back to its write-ahead log"
    again = CliRunner().invoke(cli, ["--db", second_db, "import", str(source), "--format", "jsonl"])
    assert again.exit_code == 0, again.output
    original.close()
    copy.close()


def journal_mode(ledger: Ledger) -> str:
    with ledger.recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA journal_mode")
        return str(cursor.fetchone()[0])


def test_a_sqlite_import_leaves_the_ledger_on_its_write_ahead_log(tmp_path: Path) -> None:
    """The load itself goes through a rollback journal (docs/adr/0014); readers afterwards
    read beside a writer again."""
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=40, seed=3)
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    count = import_lines(copy, export_lines(original), "original")
    assert copy.recorder.max_notification_id() == count
    assert journal_mode(copy) == "wal"
    assert not (tmp_path / "copy.db-journal").exists()


def modes_during_the_load(path: Path, seen: list[str]) -> Callable[[int], None]:
    """A progress callback, which a load calls inside its transaction: it notes the journal
    mode another connection to `path` sees."""

    def progress(_: int) -> None:
        connection = sqlite3.connect(path)
        try:
            seen.append(str(connection.execute("PRAGMA journal_mode").fetchone()[0]))
        finally:
            connection.close()

    return progress


def test_an_import_into_an_empty_sqlite_ledger_loads_through_a_rollback_journal(
    tmp_path: Path,
) -> None:
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=40, seed=3)
    Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY).close()
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    seen: list[str] = []
    import_lines(
        copy, export_lines(original), "original", modes_during_the_load(tmp_path / "copy.db", seen)
    )
    assert seen and set(seen) == {"delete"}
    assert journal_mode(copy) == "wal"


def test_a_csv_import_into_a_ledger_in_use_keeps_the_write_ahead_log(tmp_path: Path) -> None:
    """It reads the clients already there while it loads: under a rollback journal those
    reads would wait for its own write lock."""
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", clock=lambda: TODAY)
    build_demo(ledger, clients=20, seed=3)
    legacy = Path(__file__).resolve().parents[2] / "examples" / "legacy"
    seen: list[str] = []
    progress = modes_during_the_load(path, seen)
    migrator = Actor("migrator", None)  # single-user mode: every role
    import_mapped(ledger, migrator, legacy / "records.csv", legacy / "mapping.toml", progress)
    assert seen and set(seen) == {"wal"}


def test_a_sqlite_import_beside_another_open_connection_goes_through_the_log_at_once(
    tmp_path: Path,
) -> None:
    """Another process with the file open keeps its write-ahead log: the import neither waits
    for it nor fails."""
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=40, seed=3)
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    reader = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    assert reader.recorder.max_notification_id() in (None, 0)  # its connection stays open
    started = time.monotonic()
    count = import_lines(copy, export_lines(original), "original")
    assert time.monotonic() - started < 4, "the import waited out the other connection's lock"
    assert reader.recorder.max_notification_id() == count
    assert journal_mode(reader) == "wal"
    reader.close()


@pytest.mark.postgres
def test_a_postgresql_import_leaves_the_planner_statistics_of_what_it_loaded(
    tmp_path: Path,
) -> None:
    """Without them, until autovacuum passes, reading one client scans the whole table."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=30, seed=3)
    copy = Ledger(f"{POSTGRES_URL}?schema={schema}", clock=lambda: TODAY)
    try:
        import_lines(copy, export_lines(original), "original")
        analysed = ProjectionStore(copy).rows(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = ? "
            "AND last_analyze IS NOT NULL",
            (schema,),
        )
        assert {"reentryledger_events", "client_keys"} <= {name for (name,) in analysed}
    finally:
        original.close()
        copy.close()
        drop_schema(schema)


def test_a_command_on_a_ledger_a_load_holds_says_it_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a bulk load holds an empty SQLite ledger (docs/adr/0014), other commands wait
    out the lock timeout and then say so, with exit code 5, not a driver's message."""
    path = tmp_path / "ledger.db"
    Ledger(f"sqlite:///{path}", clock=lambda: TODAY).close()
    monkeypatch.setattr(backends, "SQLITE_LOCK_TIMEOUT_SECONDS", 1)
    load = sqlite3.connect(path, isolation_level=None)
    assert load.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    load.execute("BEGIN EXCLUSIVE")  # as a load does once it writes
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "projections", "status"])
    load.execute("ROLLBACK")
    load.close()
    assert result.exit_code == 5, result.output
    assert "the ledger is busy" in result.output
    assert "Traceback" not in result.output


def test_a_rewritten_event_is_found_where_its_client_runs_on_in_the_next_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link from a block's last event to its client's next, in the next block, is checked
    by the writer, not by either worker."""
    original = Ledger(f"sqlite:///{tmp_path}/original.db", clock=lambda: TODAY)
    build_demo(original, clients=30, seed=2)
    lines = list(export_lines(original))
    monkeypatch.setattr(jsonl, "BLOCK", 2000)
    starts = [first for first, _ in jsonl.blocks(io.BytesIO(b"".join(lines)))]
    clients = [orjson.loads(line).get("client_id") for line in lines]
    n = next(  # the index of a block's last line, its client's events going on after it
        first - 2
        for first in starts[1:]
        if clients[first - 2] and clients[first - 2] == clients[first - 1]
    )
    lines[n] = rewritten(lines[n])
    refused_in_blocks(tmp_path, lines, VerificationFailed, f"line {n + 2}: its previous-event")
    original.close()
