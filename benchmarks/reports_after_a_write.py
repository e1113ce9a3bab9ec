"""Reports after a write: seconds of `report contacts`, `responses`, `caseload`,
`discharges`, `cohorts` and `needs` as CLI calls,
each asked right after a contact is recorded for one client (ADR 63: only the parts of the
clients with events since are counted again), against the raw baseline measured in the same
run: the same call with every kept answer deleted first, so that every client is counted.
The median of 3 of each, on a copy of the demo ledger (SQLite), or on PostgreSQL's.

    python -m benchmarks.reports_after_a_write [--events 1000000] [--postgres postgresql://…]
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable

from benchmarks.common import clients_for, demo_ledger, record
from benchmarks.reports import cli_seconds, forgetting, scratch
from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.sqlite_memory import without_memory_statistics

ASKED = [
    ("contacts",),
    ("contacts", "--by", "officer,level"),
    ("responses",),
    ("responses", "--by", "officer"),
    ("responses", "--by", "agency,risk", "--period", "quarter"),
    ("caseload", "--by", "officer"),
    ("discharges", "--by", "agency"),
    ("cohorts",),
    ("needs",),
]


def contact_recorder(ledger: Ledger) -> Callable[[], None]:
    """What records a contact for a demo client still supervised (another each time)."""
    numbers = iter(range(1, 10**9))

    def record_one() -> None:
        while True:
            reference = f"DEMO-{next(numbers):07d}"
            with contextlib.suppress(RuleViolated, InvalidInput):  # discharged, or none such
                ledger.log_contact(reference, actor="bench", on=ledger.clock(), kind="office")
                return

    return record_one


def measure(url: str, events: int) -> list[tuple[str, str, str]]:
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    ledger = Ledger(url)
    write, forget = contact_recorder(ledger), forgetting(ProjectionStore(ledger))
    rows = []
    for asked in ASKED:
        arguments = ["--db", url, "--actor", "bench", "report", *asked]
        cli_seconds(arguments)  # kept once, as a report asked before the write would be
        after = cli_seconds(arguments, write)
        afresh = cli_seconds(arguments, forget)
        what = f"`report {' '.join(asked)}` after a contact ({backend}, {events:,} events)"
        ratio = f"{after / afresh:.2f}x every client counted ({afresh:.2f} s)"
        print(f"{what}: {after:.2f} s; {ratio}")
        rows.append((what, f"{after:.2f} s (median of 3, CLI)", ratio))
    ledger.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    without_memory_statistics()
    rows = []
    for size in args.events:
        for postgres in [None, *([args.postgres] if args.postgres else [])]:
            url, events = demo_ledger(clients_for(size), postgres)
            with scratch(url) as copy:
                rows += measure(copy, events)
    record("reports_after_a_write", rows)


if __name__ == "__main__":
    main()
