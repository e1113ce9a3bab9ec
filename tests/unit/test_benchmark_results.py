"""How a benchmark run rewrites its section of docs/performance.md (benchmarks/common.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import common

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
