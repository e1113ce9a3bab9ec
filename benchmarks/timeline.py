"""Timeline: latency (p50, p99) of `timeline` and `show` for random clients, in-process and as a
CLI call, and the time of `report violations` over the whole ledger (from its projections),
in ledgers of each size asked for; against a raw read of the same client's stored rows (select
by client, decode each payload) measured in the same run.

    python -m benchmarks.timeline [--events 1000000 10000000] [--postgres postgresql://…/test]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import orjson

from benchmarks.common import cli, clients_for, demo_ledger, percentile, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.domain.references import client_id
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


def latencies(work: Callable[[str], Any], refs: list[str]) -> list[float]:
    samples = []
    for ref in refs:
        started = time.perf_counter()
        work(ref)
        samples.append(time.perf_counter() - started)
    return samples


def raw_reader(url: str, table: str) -> Callable[[str], Any]:
    """The client's stored rows selected by the driver alone, each payload decoded."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        statement = f"SELECT state FROM {table} WHERE originator_id = ? ORDER BY originator_version"
        return lambda ref: [
            orjson.loads(state) for (state,) in connection.execute(statement, (client_id(ref).hex,))
        ]
    import psycopg

    base, _, schema = url.partition("?schema=")
    postgres = psycopg.connect(base, autocommit=True)
    statement = (
        f'SELECT state FROM "{schema}".{table} WHERE originator_id = %s ORDER BY originator_version'
    )
    return lambda ref: [
        orjson.loads(state)
        for (state,) in postgres.execute(statement, (client_id(ref),), prepare=True)
    ]


def milliseconds(samples: list[float]) -> str:
    p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def measure(
    url: str, events: int, clients: int, samples: int, cli_samples: int
) -> list[tuple[str, str, str]]:
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    rng = random.Random(events)
    refs = [f"DEMO-{rng.randrange(1, clients + 1):07d}" for _ in range(samples)]
    ledger = Ledger(url)
    ProjectionRunner(ledger).catch_up()  # the report reads projections that are current
    raw = raw_reader(url, cast(Any, ledger.recorder).events_table_name)
    latencies(raw, refs[:20])  # warm the same pages for both
    raw_runs = latencies(raw, refs)
    rows = []
    size = f"{backend}, {events:,} events"
    for name, work in (("timeline", ledger.timeline), ("show", ledger.client_state)):
        ours = latencies(work, refs)
        ratio = percentile(ours, 0.5) / percentile(raw_runs, 0.5)
        print(f"{size}: {name} in-process {milliseconds(ours)}; raw {milliseconds(raw_runs)}")
        against = f"{ratio:.1f}x raw p50 (raw select + decode: {milliseconds(raw_runs)})"
        rows.append((f"`{name}` in-process ({size})", milliseconds(ours), against))
    for name in ("timeline", "show"):
        command = [str(SCRIPT), "--db", url, name]

        def call(ref: str, command: list[str] = command) -> object:
            return cli([*command, ref])

        as_cli = latencies(call, refs[:cli_samples])
        print(f"{size}: {name} as a CLI call {milliseconds(as_cli)}")
        rows.append(
            (f"`{name}` as a CLI call ({size})", milliseconds(as_cli), "process start included")
        )
    today = ledger.clock()
    reports = Reports(ledger)
    runs = [timed(lambda: reports.violations(ReportRequest(today=today))) for _ in range(3)]
    grouped = [
        timed(
            lambda: reports.violations(
                ReportRequest(today=today, by=("agency", "risk"), period="quarter")
            )
        )
        for _ in range(3)
    ]
    as_cli = [
        timed(lambda: cli([str(SCRIPT), "--db", url, "report", "violations"])) for _ in range(3)
    ]
    for label, figures in (
        ("`report violations`, in-process", runs),
        ("`report violations --by agency,risk --period quarter`, in-process", grouped),
        ("`report violations` as a CLI call", as_cli),
    ):
        figure = f"{statistics.median(figures):.2f} s (median of 3)"
        print(f"{size}: {label} {figure}")
        rows.append((f"{label} ({size})", figure, "from the projections, caught up first"))
    ledger.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--cli-samples", type=int, default=20)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    rows = []
    for size in args.events:
        clients = clients_for(size)
        for postgres in (None, args.postgres) if args.postgres else (None,):
            url, events = demo_ledger(clients, postgres)
            rows += measure(url, events, clients, args.samples, args.cli_samples)
    record("timeline", rows)


if __name__ == "__main__":
    main()
