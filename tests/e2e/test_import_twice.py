"""A CSV file imported twice recorded every row twice: its violations counted twice in the
audit report (found by a new user's probe, 2026-12-07). A file imported before (the same
bytes) is refused, naming when and by whom, with nothing written, unless `--again` (ADR 62)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result

from tests.builders import CSV_HEADER, CSV_MAPPING, recorded
from tests.e2e.acting import Run, invoker

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


def test_two_imports_of_a_file_at_once_cannot_both_commit(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second found the file not imported before the first committed (its look-up made
    # to say so): its entry collides with the first's, and nothing of it is written
    from reentry_ledger.ingest.imported import ImportRegister

    assert csv_import(run, tmp_path, ROWS).exit_code == 0
    notes = "GA-7,note,2024-02-05,,,,later\n"
    assert csv_import(run, tmp_path, notes).exit_code == 0
    before = events(run)
    monkeypatch.setattr(ImportRegister, "found", lambda self, digest: [])
    second = csv_import(run, tmp_path, notes)
    assert second.exit_code == 5, second.output  # a conflict: run again, it is refused
    assert "nothing was written" in second.stderr and "Traceback" not in second.output
    assert events(run) == before
