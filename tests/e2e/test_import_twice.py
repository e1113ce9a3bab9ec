"""A CSV file imported twice recorded every row twice: its violations counted twice in the
audit report (found by a new user's probe, 2026-12-07). A file imported before (the same
bytes) is refused, naming when and by whom, with nothing written, unless `--again` (ADR 62)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result

from tests.builders import CSV_HEADER, CSV_MAPPING, recorded
from tests.e2e.acting import Run, invoker, ok, stored

ROWS = "GA-7,intake,2024-02-01,GA,o,parole,\nGA-7,note,2024-02-03,,,,seen\n"


@pytest.fixture
def run(db_url: str) -> Run:
    return invoker(db_url)


def csv_import(run: Run, tmp_path: Path, rows: str, *extra: str) -> Result:
    (tmp_path / "m.toml").write_text(CSV_MAPPING)
    (tmp_path / "rows.csv").write_text(CSV_HEADER + rows)
    return run("jdoe", "import", str(tmp_path / "rows.csv"), "--format", "csv",
               "--mapping", str(tmp_path / "m.toml"), *extra)  # fmt: skip


def events(run: Run) -> list[str]:
    exported = run("jdoe", "export")
    assert exported.exit_code == 0, exported.output
    return recorded(exported.stdout)


def test_a_file_imported_before_is_refused_and_nothing_is_written(run: Run, tmp_path: Path) -> None:
    assert csv_import(run, tmp_path, ROWS).exit_code == 0
    before = events(run)
    again = csv_import(run, tmp_path, ROWS)
    assert again.exit_code == 3, again.output
    said = again.stderr
    assert "rows.csv: this file was imported already, as rows.csv on " in said
    assert "by jdoe (2 rows, 2 events): nothing was written" in said and "--again" in said
    assert "Traceback" not in again.output
    assert events(run) == before


def test_a_file_is_imported_once_more_when_asked_and_other_files_as_ever(
    run: Run, tmp_path: Path
) -> None:
    assert csv_import(run, tmp_path, ROWS).exit_code == 0
    once_more = csv_import(run, tmp_path, "GA-7,note,2024-02-04,,,,seen again\n")
    assert once_more.exit_code == 0, once_more.output  # another file: its own bytes
    assert csv_import(run, tmp_path, ROWS).exit_code == 3
    notes = "GA-7,note,2024-02-05,,,,later\n"
    assert csv_import(run, tmp_path, notes).exit_code == 0
    asked = csv_import(run, tmp_path, notes, "--again")
    assert asked.exit_code == 0, asked.output
    assert sum('"position"' in line for line in events(run)) == 5  # intake, four notes
    third = csv_import(run, tmp_path, notes)
    assert third.exit_code == 3 and "(2 times; the last: rows.csv on " in third.stderr


def test_again_is_for_csv_only(run: Run, tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("")
    refused = run("jdoe", "import", str(tmp_path / "e.jsonl"), "--format", "jsonl", "--again")
    assert refused.exit_code == 2 and "--again is for --format csv" in refused.stderr


def test_an_import_of_the_file_committed_while_it_is_read_is_seen(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the file is looked up once it is read whole and the ledger held: the same file imported
    # by another process meanwhile refuses this one, nothing of it written (found by a review:
    # it was looked up before, and both committed, or collided as "an event was stored")
    from reentry_ledger.application import Ledger
    from reentry_ledger.ingest import mapped

    assert csv_import(run, tmp_path, ROWS).exit_code == 0
    notes = "GA-7,note,2024-02-05,,,,later\n"
    (tmp_path / "notes.csv").write_text(CSV_HEADER + notes)
    read_rows = mapped.read_rows

    def reading(*args: object, **kwargs: object) -> object:
        monkeypatch.setattr(mapped, "read_rows", read_rows)
        other = Ledger(db_url)  # another process, its own connections
        try:
            other.import_csv(tmp_path / "notes.csv", tmp_path / "m.toml", actor="jdoe")
        finally:
            other.close()
        return read_rows(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mapped, "read_rows", reading)
    second = csv_import(run, tmp_path, notes)
    assert second.exit_code == 3, second.output
    assert "this file was imported already, as notes.csv on " in second.stderr
    assert sum('"position"' in line for line in events(run)) == 3  # intake, two notes once


def test_a_file_read_through_a_pipe_is_imported_and_held(db_url: str, tmp_path: Path) -> None:
    # its digest is of the bytes the import reads: a pipe is read once (found by a review:
    # the digest read it first, and the import found it empty, or waited for it forever)
    import os
    import subprocess
    import sys
    import threading

    (tmp_path / "m.toml").write_text(CSV_MAPPING)
    pipe, command = tmp_path / "rows.csv", Path(sys.executable).parent / "reentry-ledger"
    for expected in (0, 3):
        os.mkfifo(pipe)
        writer = threading.Thread(target=pipe.write_text, args=(CSV_HEADER + ROWS,), daemon=True)
        writer.start()
        done = subprocess.run(
            [str(command), "--db", db_url, "--actor", "jdoe", "import", str(pipe), "--format",
             "csv", "--mapping", str(tmp_path / "m.toml")],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == expected, done.stderr
        pipe.unlink()


def test_an_entry_deleted_from_the_register_lets_the_file_in_again(
    run: Run, db_url: str, tmp_path: Path
) -> None:
    # ADR 62: deleting an entry only lets a file be imported again (found by a review: the
    # next import numbered itself by the entries left, and collided with the one after)
    from reentry_ledger.application import Ledger
    from reentry_ledger.ingest.imported import ImportRegister

    notes = "GA-7,note,2024-02-05,,,,later\n"
    assert csv_import(run, tmp_path, ROWS).exit_code == 0
    assert csv_import(run, tmp_path, notes).exit_code == 0
    assert csv_import(run, tmp_path, notes, "--again").exit_code == 0
    ledger = Ledger(db_url)
    register = ImportRegister(ledger)
    with ledger.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(register.sql(f"DELETE FROM {register.table} WHERE occurrence = 0"))
    ledger.close()
    again = csv_import(run, tmp_path, notes, "--again")
    assert again.exit_code == 0, again.output


def test_another_agency_importing_the_same_file_is_refused_its_rows_not_told_of_the_import(
    run: Run, tmp_path: Path, db_url: str
) -> None:
    """GB's supervisor sending the bytes of GA's import was told "imported already, as
    rows.csv on ... by sup-ga": a guess of another agency's records confirmed, with who made
    them. Now the rows are refused as any of GA's would be, and nothing is said of the import."""
    ok(run, "aud", "users", "add", "aud", "--role", "auditor")
    for name, agency in (("sup-ga", "GA"), ("sup-gb", "GB")):
        ok(run, "aud", "users", "add", name, "--role", "supervisor", "--agency", agency)
    (tmp_path / "m.toml").write_text(CSV_MAPPING)
    (tmp_path / "rows.csv").write_text(CSV_HEADER + ROWS)
    args = ["import", str(tmp_path / "rows.csv"), "--format", "csv",
            "--mapping", str(tmp_path / "m.toml")]  # fmt: skip
    ok(run, "sup-ga", *args)
    before = stored(db_url)
    guessed = run("sup-gb", *args)
    assert guessed.exit_code == 3, guessed.output
    assert "imported already" not in guessed.stderr and "sup-ga" not in guessed.stderr
    assert stored(db_url) == before
    assert "imported already, as rows.csv" in run("sup-ga", *args).stderr  # its own, told
