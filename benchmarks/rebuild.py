"""Rebuild: events per second of rebuilding every projection from scratch, against a raw scan
of the same stored events that only decodes each payload (median of several runs).

    python benchmarks/rebuild.py [--clients 4500] [--runs 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile

import orjson

from benchmarks.common import compare, exported_demo, median_rate, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.exchange import import_lines
from reentry_ledger.projections.runner import ProjectionRunner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=4500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    path, events = exported_demo(args.clients)
    db = f"{tempfile.mkdtemp()}/ledger.db"
    ledger = Ledger(f"sqlite:///{db}")
    with path.open("rb") as stream:
        import_lines(ledger, stream, str(path))
    runner = ProjectionRunner(ledger)

    def raw_scan() -> None:
        connection = sqlite3.connect(db)
        for (state,) in connection.execute("SELECT state FROM stored_events ORDER BY rowid"):
            orjson.loads(state)
        connection.close()

    ours_runs = [timed(runner.rebuild) for _ in range(args.runs)]
    raw_runs = [timed(raw_scan) for _ in range(args.runs)]
    ours_rate, raw_rate = median_rate(events, ours_runs), median_rate(events, raw_runs)
    print(f"input: {args.clients} demo clients, {events} events")
    figure, ratio = compare("SQLite rebuild", ours_rate, "raw scan + decode", raw_rate)
    record("rebuild", [(f"SQLite rebuild of all projections ({events:,} events)", figure, ratio)])
    ledger.close()


if __name__ == "__main__":
    main()
