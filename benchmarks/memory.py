"""Memory: peak resident memory of a full rebuild of the projections and of an export, over a
ledger of each size asked for, each run as its own CLI process (with its worker processes,
summed); against a raw process that scans the same stored events with the driver alone,
decoding each payload.

    python -m benchmarks.memory [--events 10000000] [--postgres postgresql://…/test]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

from benchmarks.common import clients_for, demo_ledger, record
from reentry_ledger.application import Ledger

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
RAW_SCAN = """
import sys, orjson
url, table = sys.argv[1], sys.argv[2]
if url.startswith("sqlite"):
    import sqlite3
    rows = sqlite3.connect(url.removeprefix("sqlite:///")).execute(
        f"SELECT state FROM {table} ORDER BY rowid")
else:
    import psycopg
    base, _, schema = url.partition("?schema=")
    connection = psycopg.connect(base)
    rows = connection.cursor(name="scan").execute(
        f'SELECT state FROM "{schema}".{table} ORDER BY notification_id')
for (state,) in rows:
    orjson.loads(state)
"""


def peak(command: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) of a process and its worker processes together, sampled
    every 0.1 s from /proc, and its seconds; its output thrown away."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    highest = 0
    while process.poll() is None:
        highest = max(highest, tree_rss(process.pid))
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if process.returncode:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed: {error}")
    return highest / 1024, elapsed


def tree_rss(pid: int) -> int:
    """Resident KiB of a process and all its descendants (0 for one that has just ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        children = " ".join(
            Path(task, "children").read_text() for task in Path(f"/proc/{pid}/task").iterdir()
        ).split()
    except (OSError, StopIteration):
        return 0
    return rss + sum(tree_rss(int(child)) for child in children)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    rows = []
    for size in args.events:
        for postgres in (None, args.postgres) if args.postgres else (None,):
            url, events = demo_ledger(clients_for(size), postgres)
            backend = "PostgreSQL" if postgres else "SQLite"
            ledger = Ledger(url)
            table = cast(Any, ledger.recorder).events_table_name
            ledger.close()
            raw, raw_seconds = peak([sys.executable, "-c", RAW_SCAN, url, table])
            for name, command in (
                ("rebuild", [str(SCRIPT), "--db", url, "projections", "rebuild"]),
                ("export", [str(SCRIPT), "--db", url, "export"]),
            ):
                megabytes, seconds = peak(command)
                label = f"peak memory of `{name}` ({backend}, {events:,} events)"
                print(f"{label}: {megabytes:.0f} MB in {seconds:.0f} s; raw scan {raw:.0f} MB")
                rows.append((label, f"{megabytes:.0f} MB ({seconds:.0f} s)",
                             f"{megabytes / raw:.1f}x raw scan + decode ({raw:.0f} MB, "
                             f"{raw_seconds:.0f} s)"))  # fmt: skip
    record("memory", rows)


if __name__ == "__main__":
    main()
