"""Workers: projection runners as separate processes against one PostgreSQL ledger. Clears
every projection, starts N `projections catch-up` processes at once, and reports the time until
all are done, the events each applied, and whether the tables they built together equal what
one process alone builds (row for row): the work is shared and nothing is counted twice.
The baseline is one process doing it all, in the same run.

    python -m benchmarks.workers --postgres postgresql://…/test [--events 1000000] [--workers 1 2 3]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import clients_for, demo_ledger, record
from reentry_ledger.application import Ledger
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore

SCRIPT = Path(sys.executable).parent / "reentry-ledger"


def fingerprint(store: ProjectionStore) -> str:
    """Every row of every projection table, in a stable order, hashed."""
    digest = hashlib.sha256()
    for projection in PROJECTIONS:
        for table in projection.tables:
            rows = store.rows(f"SELECT * FROM {{{table}}}", tables=[table])
            for row in sorted(repr(row) for row in rows):
                digest.update(row.encode())
    return digest.hexdigest()


def run(url: str, workers: int) -> tuple[float, list[int]]:
    ledger = Ledger(url)
    store = ProjectionStore(ledger)
    for projection in PROJECTIONS:
        store.clear(projection)
    ledger.close()
    started = time.perf_counter()
    command = [str(SCRIPT), "--db", url, "projections", "catch-up"]
    processes = [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    outputs = [process.communicate()[1] for process in processes]
    elapsed = time.perf_counter() - started
    if any(process.returncode for process in processes):
        raise SystemExit(f"a worker failed: {outputs}")
    applied = [int(m.group(1)) if (m := re.search(r"applied (\d+)", out)) else 0 for out in outputs]
    return elapsed, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    url, events = demo_ledger(clients_for(args.events), args.postgres)
    ProjectionRunner(Ledger(url))  # tables at this version before the runners start
    alone_seconds, _ = run(url, 1)
    ledger = Ledger(url)
    expected = fingerprint(ProjectionStore(ledger))
    rows = []
    for workers in args.workers:
        seconds, applied = run(url, workers)
        same = fingerprint(ProjectionStore(ledger)) == expected
        label = f"{workers} catch-up worker(s), PostgreSQL, {events:,} events"
        shares = " + ".join(f"{n:,}" for n in applied)
        print(f"{label}: {seconds:.1f} s; events applied per worker {shares}; same rows: {same}")
        rows.append((label, f"{seconds:.1f} s; applied {shares}",
                     f"{alone_seconds / seconds:.2f}x one process ({alone_seconds:.1f} s); "
                     f"{'same rows as one process' if same else 'ROWS DIFFER'}"))  # fmt: skip
    ledger.close()
    record("workers", rows)


if __name__ == "__main__":
    main()
