"""The server's load benchmark (benchmarks/server_load.py): a short run against the real server
finds every accepted write stored exactly once and reports its figures; and its exactly-once
check names each way a write can go wrong. No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.server_load import Write, differences

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_load_run_stores_every_accepted_write_exactly_once_and_reports_figures() -> None:
    results = ROOT / "docs" / "performance.md"
    before = results.read_text()
    command = [sys.executable, "-m", "benchmarks.server_load", "--backend", "sqlite",
               "--clients", "4", "--seconds", "3", "--workers", "1", "--clients-enrolled", "10",
               "--baseline-seconds", "1", "--cli-runs", "1", "--no-record"]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    accepted = re.search(r"exactly once: OK \(([\d,]+) writes\)", output)
    assert accepted and int(accepted[1].replace(",", "")) > 0, output
    served = re.search(r"1 worker\(s\), 4 clients, 3 s: .* ([\d,.]+) requests/s, p50 ", output)
    assert served and float(served[1].replace(",", "")) > 0, output
    assert re.search(r"  reads [\d,.]+/s, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms", output)
    assert re.search(r"  writes [\d,.]+/s, p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms", output)
    assert "  failures: 0" in output
    assert results.read_text() == before  # --no-record leaves the published figures alone


def test_the_load_benchmark_refuses_a_host_other_than_loopback() -> None:
    command = [sys.executable, "-m", "benchmarks.server_load", "--host", "0.0.0.0"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "loopback only" in run.stderr


ACCEPTED = Write("GA-0001", "load-0-1", "200", 2)


def test_the_exactly_once_check_passes_a_write_stored_once_under_its_answered_number() -> None:
    assert differences([ACCEPTED], {"load-0-1": [("GA-0001", 2)]}) == []


@pytest.mark.parametrize(
    ("writes", "found", "named"),
    [
        ([ACCEPTED], {}, "stored 0 times"),
        ([ACCEPTED], {"load-0-1": [("GA-0001", 2), ("GA-0001", 3)]}, "stored 2 times"),
        ([ACCEPTED], {"load-0-1": [("GA-0001", 3)]}, "stored as ('GA-0001', 3)"),
        ([ACCEPTED], {"load-0-1": [("GA-0003", 2)]}, "stored as ('GA-0003', 2)"),
        (
            [Write("GA-0001", "load-0-2", "409 lost race", None)],
            {"load-0-2": [("GA-0001", 2)]},
            "answered '409 lost race', yet stored",
        ),
        (
            [Write("GA-0001", "load-0-2", "500 unexpected error", None)],
            {"load-0-2": [("GA-0001", 2)]},
            "answered '500 unexpected error', yet stored",
        ),
        ([], {"load-9-9": [("GA-0001", 2)]}, "stored, never sent"),
    ],
    ids=["lost", "doubled", "misnumbered", "misplaced", "refused-stored", "failed-stored", "stray"],
)
def test_the_exactly_once_check_names_a_write_gone_wrong(
    writes: list[Write], found: dict[str, list[tuple[str, int]]], named: str
) -> None:
    problems = differences(writes, found)
    assert len(problems) == 1
    assert named in problems[0]


def test_a_write_left_unanswered_may_be_stored_once_or_not_at_all_never_twice() -> None:
    unanswered = Write("GA-0001", "load-0-3", "no answer: ReadTimeout", None)
    assert differences([unanswered], {}) == []
    assert differences([unanswered], {"load-0-3": [("GA-0001", 4)]}) == []
    twice = differences([unanswered], {"load-0-3": [("GA-0001", 4), ("GA-0001", 5)]})
    assert twice == ["load-0-3 (unanswered) stored 2 times"]
