"""Rebuild: events per second of rebuilding every projection from scratch, against a raw scan
of the same stored events that only decodes each payload, for a demo ledger of each size
(median of several runs; one run from five million events up), on SQLite and, when given, on
PostgreSQL (the same ledger copied into a schema).

    python -m benchmarks.rebuild [--events 100000 1000000 10000000] [--runs 3]
                                 [--postgres postgresql://…]
"""

from __future__ import annotations

import argparse
import sqlite3
from typing import Any, cast

import orjson

from benchmarks.common import clients_for, compare, demo_ledger, median_rate, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.sqlite_memory import without_memory_statistics


def raw_scan(path: str) -> None:
    connection = sqlite3.connect(path)
    for (state,) in connection.execute("SELECT state FROM stored_events ORDER BY rowid"):
        orjson.loads(state)
    connection.close()


def raw_scan_postgres(url: str, table: str) -> None:
    """Every stored event of the schema in order, read with psycopg (a server-side cursor, as
    our reads page through the log) and each payload decoded with orjson."""
    import psycopg

    base, schema = url.split("?schema=")
    with psycopg.connect(base) as connection, connection.cursor(name="raw_scan") as cursor:
        cursor.itersize = 10000
        cursor.execute(f'SELECT state FROM "{schema}".{table} ORDER BY notification_id')
        for (state,) in cursor:
            orjson.loads(state)


def measure(url: str, events: int, runs: int, label: str) -> tuple[str, str, str]:
    ledger = Ledger(url)
    runner = ProjectionRunner(ledger)
    ours_runs = [timed(runner.rebuild) for _ in range(runs)]
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        raw_runs = [timed(lambda: raw_scan(path)) for _ in range(runs)]
    else:
        table = cast(Any, ledger.recorder).events_table_name
        raw_runs = [timed(lambda: raw_scan_postgres(url, table)) for _ in range(runs)]
    ledger.close()
    ours_rate, raw_rate = median_rate(events, ours_runs), median_rate(events, raw_runs)
    print(f"input: {url}, {events:,} events")
    figure, ratio = compare(f"{label} rebuild", ours_rate, "raw scan + decode", raw_rate)
    return f"{label} rebuild of all projections ({events:,} events)", figure, ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    without_memory_statistics()  # SQLite as the command runs it, ours and raw (ADR 0031)
    results = []
    for size in args.events:
        runs = args.runs if size < 5_000_000 else 1
        url, events = demo_ledger(clients_for(size))
        results.append(measure(url, events, runs, "SQLite"))
        if args.postgres:
            url, events = demo_ledger(clients_for(size), args.postgres)
            results.append(measure(url, events, runs, "PostgreSQL"))
    record("rebuild", results)


if __name__ == "__main__":
    main()
