"""An import writes with its importer's authority as it stands when the import holds the
ledger, not as it stood when the import began. A CSV import reads its whole file before it
takes the ledger (minutes, for a large one): a user removed meanwhile, or a single-user
actor of a ledger that gained users meanwhile, must not have the file committed under
their name afterwards. An import into an empty ledger must find it still empty then."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from reentry_ledger.application import Ledger
from reentry_ledger.ingest import jsonl, mapped
from tests.builders import CSV_HEADER, CSV_MAPPING, TODAY, recorded
from tests.e2e.acting import Run, invoker

ROWS = "GA-7,intake,2024-02-01,GA,o,parole,\nGA-7,note,2024-02-03,,,,seen\n"


@pytest.fixture
def run(db_url: str) -> Run:
    return invoker(db_url)


def meanwhile(db_url: str, act: Callable[[Ledger], None]) -> None:
    """What another process does while the import runs: its own ledger, its own connections."""
    other = Ledger(db_url, clock=lambda: TODAY)
    try:
        act(other)
    finally:
        other.close()


def while_the_file_is_read(
    monkeypatch: pytest.MonkeyPatch, db_url: str, act: Callable[[Ledger], None]
) -> None:
    """`act` done by another process once the CSV import has begun reading its file."""
    read_rows = mapped.read_rows

    def reading(*args: Any, **kwargs: Any) -> Iterator[tuple[int, dict[str, str]]]:
        rows = read_rows(*args, **kwargs)
        first = next(rows, None)
        meanwhile(db_url, act)
        if first is not None:
            yield first
        yield from rows

    monkeypatch.setattr(mapped, "read_rows", reading)


def csv_import(run: Run, actor: str, tmp_path: Path) -> Result:
    (tmp_path / "m.toml").write_text(CSV_MAPPING)
    (tmp_path / "rows.csv").write_text(CSV_HEADER + ROWS)
    return run(actor, "import", str(tmp_path / "rows.csv"), "--format", "csv",
               "--mapping", str(tmp_path / "m.toml"))  # fmt: skip


def events(run: Run, actor: str) -> list[str]:
    exported = run(actor, "export")
    assert exported.exit_code == 0, exported.output
    return recorded(exported.stdout)


def backup_of_one_client(tmp_path: Path) -> Path:
    """A backup of a ledger of one client whose record jdoe read (the export holds the read)."""
    source = invoker(f"sqlite:///{tmp_path}/source.db")
    assert source("jdoe", "enroll", "GA-1", "--agency", "GA", "--officer", "o",
                  "--supervision", "parole").exit_code == 0  # fmt: skip
    assert source("jdoe", "show", "GA-1").exit_code == 0
    (tmp_path / "backup.jsonl").write_text(source("jdoe", "export").stdout)
    return tmp_path / "backup.jsonl"


def test_a_supervisor_removed_while_their_import_reads_its_file_writes_nothing(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA")):
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run("aud", *add).exit_code == 0
    before = events(run, "aud")
    while_the_file_is_read(
        monkeypatch, db_url, lambda other: other.remove_user("sup-ga", actor="aud")
    )
    result = csv_import(run, "sup-ga", tmp_path)
    assert result.exit_code == 3, result.output
    assert (
        "sup-ga was removed while this import read its file: nothing was written" in result.stderr
    )
    assert "Traceback" not in result.output
    after = events(run, "aud")
    assert len(after) == len(before) + 1  # the removal, and nothing of the file
    assert not any("GA-7" in line for line in after)
    assert run("sup-ga", "show", "GA-7").exit_code == 3


def test_a_single_user_import_writes_nothing_once_the_ledger_has_users(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("jdoe", "enroll", "GA-1", "--agency", "GA", "--officer", "o",
               "--supervision", "parole", "--start", "2024-01-01").exit_code == 0  # fmt: skip
    while_the_file_is_read(
        monkeypatch, db_url, lambda other: other.add_user("aud", "auditor", None, actor="jdoe")
    )
    result = csv_import(run, "jdoe", tmp_path)
    assert result.exit_code == 3, result.output
    assert "given users, and jdoe is not one of them" in result.stderr
    assert not any("GA-7" in line for line in events(run, "aud"))


def test_a_restore_into_a_ledger_written_to_after_it_was_found_empty_writes_nothing(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = backup_of_one_client(tmp_path)
    meanwhile(db_url, lambda _: None)  # the ledger made, empty
    blocks = jsonl.blocks

    def found_empty_then_written(*args: Any, **kwargs: Any) -> Any:
        meanwhile(db_url, lambda other: other.add_user("aud", "auditor", None, actor="jdoe"))
        return blocks(*args, **kwargs)

    monkeypatch.setattr(jsonl, "blocks", found_empty_then_written)
    result = run("jdoe", "import", str(backup), "--format", "jsonl")
    assert result.exit_code != 0, result.output
    assert "already holds events" in result.stderr and "Traceback" not in result.output
    assert not any("GA-1" in line for line in events(run, "aud"))


def test_a_refused_attempt_on_a_new_ledger_does_not_spoil_a_restore_into_it(
    run: Run, tmp_path: Path
) -> None:
    # a single-user ledger logged the refusal as the reader's first read: the restored
    # reads, numbered from 1 too, then failed `verify`, and so did every backup of it
    backup = backup_of_one_client(tmp_path)
    assert run("jdoe", "contact", "GA-1", "--note", "x").exit_code == 4
    assert run("jdoe", "timeline", "GA-1").exit_code == 4
    restored = run("jdoe", "import", str(backup), "--format", "jsonl")
    assert restored.exit_code == 0, restored.output
    assert run("jdoe", "verify").exit_code == 0


def test_a_restore_into_a_ledger_whose_access_log_holds_reads_is_refused(
    run: Run, db_url: str, tmp_path: Path
) -> None:
    backup = backup_of_one_client(tmp_path)
    meanwhile(db_url, lambda _: None)  # the ledger made, empty
    assert run("jdoe", "export").exit_code == 0  # of it: a read of the ledger, logged
    refused = run("jdoe", "import", str(backup), "--format", "jsonl")
    assert refused.exit_code == 3, refused.output
    assert "access log" in refused.stderr and "Traceback" not in refused.output
    assert run("jdoe", "verify").exit_code == 0
    assert run("jdoe", "show", "GA-1").exit_code == 4  # nothing of the backup
