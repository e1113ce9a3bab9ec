"""Where a legacy import sets its rows aside (ADR 57): in a temporary folder of its own, which
is gone afterwards; a folder without room is named as such, not as the ledger failing."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_csv_import_order import HEADER, MAPPING

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


def many_clients(path: Path, clients: int) -> None:
    rows = [HEADER]
    for n in range(clients):
        rows.append(f"C-{n},INTAKE,02/01/2024,North,jt,PROB,report_weekly;drug_testing,,")
        rows.append(f"C-{n},ASSESS,10/01/2024,,ORAS,H,substance_use;school_work,,")
    path.write_text("\n".join(rows) + "\n")


def import_with(
    tmp_path: Path, source: Path, limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The import as its own process, with TMPDIR its own folder; `limit`: the largest file
    it may write (a full disk, as the spill's writes meet it)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temporary), "REENTRY_LEDGER_ACTOR": "migrator",
           "REENTRY_LEDGER_DB": f"sqlite:///{tmp_path}/ledger.db"}  # fmt: skip
    env.pop("REENTRY_LEDGER_URL", None)

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [str(SCRIPT), "import", str(source), "--format", "csv", "--mapping", str(MAPPING)],
        env=env, capture_output=True, text=True, preexec_fn=limited, timeout=300,
    )  # fmt: skip


def test_the_rows_set_aside_are_gone_after_the_import(tmp_path: Path) -> None:
    source = tmp_path / "records.csv"
    many_clients(source, 200)
    done = import_with(tmp_path, source)
    assert done.returncode == 0, done.stderr
    assert "imported 400 rows as 400 events" in done.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_temporary_folder_without_room_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    """It said "the database could not be used: database or disk is full", of the ledger."""
    source = tmp_path / "records.csv"
    many_clients(source, 20_000)  # some 2.6 MB of rows, past the limit of 1 MB a file
    done = import_with(tmp_path, source, limit=1 << 20)
    assert done.returncode == 1, done.stderr
    assert f"could not be set aside in the temporary folder {tmp_path / 'tmp'}" in done.stderr
    assert "Nothing was written" in done.stderr and "database could not" not in done.stderr
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "ledger.db").exists()  # a new ledger: none left behind
