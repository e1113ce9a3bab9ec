"""Start-up: wall time of short CLI calls (`--help`, `show`, `timeline`, `report violations` on a
small SQLite demo ledger), each as a fresh process, against a bare interpreter importing what
any command needs at least (`python -c "import click, sqlite3"`), measured side by side: the
commands take turns, run after run, so a busy moment of the machine falls on all of them.

    python -m benchmarks.startup [--runs 15] [--clients 100]

Targets (issue 19): `--help` within 2x and `show`/`timeline` within 3x of the bare start.

Beside them, the floor of any command that reads the ledger's events, whatever our code does:
the interpreter importing the libraries the design fixes for it (click, sqlite3, eventsourcing's
application, pydantic) and validating one pydantic model (`FLOOR`), as `show` validates each
stored event it reads. Our own share of a call is its time less that floor's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from benchmarks.common import cli, demo_ledger, percentile, record, timed

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
BARE = 'bare `python -c "import click, sqlite3"`'
FLOOR_LABEL = "the libraries' floor (click, sqlite3, eventsourcing, one pydantic model validated)"
FLOOR = """import os
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")  # as the command runs (ADR 30)
import click, sqlite3, eventsourcing.application
from pydantic import BaseModel
class Event(BaseModel):
    number: int
Event(number=1)
"""
TARGETS = {"`--help`": 2.0, "`show REF`": 3.0, "`timeline REF`": 3.0}


def calls(url: str, ref: str) -> dict[str, list[str]]:
    """Each call, by its label: the bare interpreter first."""
    cli = [str(SCRIPT), "--db", url]
    return {
        BARE: [sys.executable, "-c", "import click, sqlite3"],
        FLOOR_LABEL: [sys.executable, "-c", FLOOR],
        "`--help`": [str(SCRIPT), "--help"],
        "`show REF`": [*cli, "show", ref],
        "`timeline REF`": [*cli, "timeline", ref],
        "`report violations`": [*cli, "report", "violations"],
    }


def run(command: list[str]) -> None:
    cli(command)


def measure(url: str, ref: str, runs: int) -> dict[str, list[float]]:
    commands = calls(url, ref)
    run([str(SCRIPT), "--db", url, "projections", "catch-up"])  # reports start current
    for command in commands.values():  # warm the file cache for every one
        run(command)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            times[label].append(timed(lambda command=command: run(command)))  # type: ignore[misc]
    return times


def target_verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return ""
    return f" (target {target:.0f}x: {'met' if ratio <= target else 'not met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="runs of each call, taking turns")
    parser.add_argument("--clients", type=int, default=100, help="clients in the demo ledger")
    args = parser.parse_args()
    url, events = demo_ledger(args.clients)
    times = measure(url, "DEMO-0000001", args.runs)
    bare, floor = statistics.median(times[BARE]), statistics.median(times[FLOOR_LABEL])
    rows = []
    size = f"SQLite, {events:,} events"
    for label, samples in times.items():
        median, p90 = statistics.median(samples), percentile(samples, 0.9)
        ratio = median / bare
        verdict = target_verdict(ratio, TARGETS.get(label))
        print(f"{label}: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms; {ratio:.1f}x bare"
              f"{verdict}")  # fmt: skip
        figure = f"median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms ({args.runs} runs)"
        against = "the baseline" if label == BARE else f"{ratio:.1f}x the bare start{verdict}"
        if label not in (BARE, FLOOR_LABEL, "`--help`"):
            against += f"; {(median - floor) * 1000:.0f} ms above the libraries' floor"
        where = "" if label in (BARE, FLOOR_LABEL, "`--help`") else f" ({size})"
        rows.append((f"{label} as a CLI call{where}", figure, against))
    record("startup", rows)


if __name__ == "__main__":
    main()
