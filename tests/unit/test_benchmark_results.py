"""benchmarks/common.py: how a run rewrites its section of docs/performance.md, and the export
the ingest benchmark loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import common
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.export.full import export_lines
from reentry_ledger.ingest.jsonl import import_lines
from tests.builders import TODAY, enroll_parolee

EARLIER = """# Performance

## rebuild

Measured 2026-11-29 15:34 UTC on x86_64, CPython 3.11.7.

| what | figure | ratio to raw baseline |
|---|---|---|
| SQLite rebuild (100,053 events) | 1 events/s | 0.4 |
| PostgreSQL rebuild (100,053 events) | 4 events/s | 0.3 |
| SQLite rebuild (10,000,799 events) | 2 events/s | 0.4 |
| PostgreSQL rebuild (998,648 events) | 3 events/s | 0.3 |

## timeline

untouched
"""


def test_a_run_replaces_what_it_measured_and_keeps_other_sizes_and_databases_marked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "performance.md"
    results.write_text(EARLIER)
    monkeypatch.setattr(common, "RESULTS", results)
    common.record("rebuild", [("SQLite rebuild (102,310 events)", "9 events/s", "0.2")])
    common.record("rebuild", [("SQLite rebuild (102,310 events)", "8 events/s", "0.2")])
    text = results.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "what" not in line]
    assert rows == [
        "| SQLite rebuild (102,310 events) | 8 events/s | 0.2 |",
        "| PostgreSQL rebuild (100,053 events), measured 2026-11-29 15:34 UTC | 4 events/s | 0.3 |",
        "| SQLite rebuild (10,000,799 events), measured 2026-11-29 15:34 UTC | 2 events/s | 0.4 |",
        "| PostgreSQL rebuild (998,648 events), measured 2026-11-29 15:34 UTC | 3 events/s | 0.3 |",
    ]
    assert text.endswith("## timeline\n\nuntouched\n")


def test_a_benchmarks_export_leaves_out_every_read_so_it_imports_whole(tmp_path: Path) -> None:
    """One reader's access log holds its reads of a client and of the whole ledger; the ingest
    benchmark's export had left out only the first kind, so a ledger another benchmark had
    read and exported gave a log starting at its 1001st event, which the import refused."""
    url = f"sqlite:///{tmp_path}/read.db"
    ledger = Ledger(url, clock=lambda: TODAY)
    enroll_parolee(ledger)
    ledger.close()
    env = {"REENTRY_LEDGER_ACTOR": "jdoe", "REENTRY_LEDGER_DB": None}
    for command in (["timeline", "GA-1"], ["export"]):  # a client's read, then the ledger's
        assert CliRunner().invoke(cli, ["--db", url, *command], env=env).exit_code == 0
    ledger = Ledger(url)
    lines = list(common.without_reads(export_lines(ledger)))
    ledger.close()
    assert not [line for line in lines if b"reentry_ledger.domain.access:" in line]
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db")
    try:
        import_lines(copy, iter(lines), "the benchmark's export")
        assert copy.recorder.max_notification_id() == 1  # the enrolment
    finally:
        copy.close()
