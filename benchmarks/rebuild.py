"""Rebuild: events per second of rebuilding every projection from scratch, against a raw scan
of the same stored events that only decodes each payload, for a demo ledger of each size
(median of several runs; one run from five million events up).

    python -m benchmarks.rebuild [--events 100000 1000000 10000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import sqlite3

import orjson

from benchmarks.common import clients_for, compare, demo_ledger, median_rate, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.projections.runner import ProjectionRunner


def raw_scan(path: str) -> None:
    connection = sqlite3.connect(path)
    for (state,) in connection.execute("SELECT state FROM stored_events ORDER BY rowid"):
        orjson.loads(state)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for size in args.events:
        url, events = demo_ledger(clients_for(size))
        ledger = Ledger(url)
        runner = ProjectionRunner(ledger)
        runs = args.runs if size < 5_000_000 else 1
        ours_runs = [timed(runner.rebuild) for _ in range(runs)]
        path = url.removeprefix("sqlite:///")
        raw_runs = [timed(lambda path=path: raw_scan(path)) for _ in range(runs)]  # type: ignore[misc]
        ledger.close()
        ours_rate, raw_rate = median_rate(events, ours_runs), median_rate(events, raw_runs)
        print(f"input: {url}, {events:,} events")
        figure, ratio = compare("SQLite rebuild", ours_rate, "raw scan + decode", raw_rate)
        results.append((f"SQLite rebuild of all projections ({events:,} events)", figure, ratio))
    record("rebuild", results)


if __name__ == "__main__":
    main()
