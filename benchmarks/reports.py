"""Reports: seconds of `report violations`, ungrouped and by each documented grouping, as CLI
calls (the median of 3, less the median of `reentry-ledger --help`, floored at 0.1 s) and
in-process, in ledgers of each size asked for, after the projections are caught up; each
grouping's figure beside its ratio to the ungrouped report measured in the same run. Each is
measured four ways (ADR 33):
- counted: nothing kept (each run after the kept answers and their parts are deleted), as
  the first report of a day is;
- read back: the answer kept by the report before it, as a report asked again while the
  projections stand (as a CLI call, the text it printed, kept beside the answer: ADR 47; the
  in-process figure makes the rows from the answer, `Reports.violations`);
- after 1 new event, after 10: each run after a violation is recorded for each of 1 (or 10)
  more clients and the projections caught up (untimed), as a report asked again after a
  little casework: the parts of those clients counted, the others read back;
- the next day: each run after the kept answers are deleted and the report counted today
  (untimed), asked for tomorrow (ADR 35: the line counted today, moved to tomorrow), in-process
  only (a CLI call's today is the machine's);
- a new period: the same, asked on the first day of the report's next period (a report not
  split by period: of the next month), as the first report of a month, quarter or year is (ADR
  35, "Later": the line run on into it), in-process only.

The SQLite ledger is copied first (the cached demo stays as it was built); the PostgreSQL one
is itself a copy made for the benchmarks, and keeps the violations recorded.

    python -m benchmarks.reports [--events 1000000] [--postgres postgresql://…/test]
                                 [--postgres-only]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import CACHE, cli, clients_for, demo_ledger, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.periods import split
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from reentry_ledger.sqlite_memory import without_memory_statistics

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
RUNS = 3
FLOOR = 0.1  # seconds: a CLI call's own work is never counted as less
# (dimensions, period): the ungrouped report, each dimension alone, and two wider groupings
GROUPINGS: list[tuple[tuple[str, ...], str | None]] = [
    ((), None),
    *(((d,), None) for d in DIMENSIONS if d != "period"),
    ((), "quarter"),
    (("agency", "risk"), "quarter"),
    (("officer",), "month"),
]


def label(by: tuple[str, ...], period: str | None) -> str:
    words = ["report violations"]
    if by:
        words.append(f"--by {','.join(by)}")
    if period:
        words.append(f"--period {period}")
    return f"`{' '.join(words)}`"


def cli_seconds(arguments: list[str], before: Callable[[], None] = lambda: None) -> float:
    """The median of `RUNS` calls of the CLI with `arguments` (`before`: done before each,
    untimed)."""
    command = [str(SCRIPT), *arguments]
    return median_of(lambda: cli(command), before)


def in_process_seconds(
    reports: Reports, request: ReportRequest, before: Callable[[], None] = lambda: None
) -> float:
    """The median of `RUNS` reports made in this process."""
    return median_of(lambda: reports.violations(request), before)


def median_of(work: Callable[[], object], before: Callable[[], None]) -> float:
    runs = []
    for _ in range(RUNS):
        before()
        runs.append(timed(work))
    return statistics.median(runs)


def forgetting(store: ProjectionStore) -> Callable[[], None]:
    """What deletes the kept answers, so that the next report counts."""

    def forget() -> None:
        with store.transaction() as cursor:
            store.forget_answers(cursor)

    return forget


def counting(
    forget: Callable[[], None], reports: Reports, request: ReportRequest
) -> Callable[[], None]:
    """What deletes the kept answers and counts `request` afresh (kept as a line, ADR 35)."""

    def count() -> None:
        forget()
        reports.violations(request)

    return count


def next_period(day: date, unit: str) -> date:
    """The first day of the month, quarter or year after the one `day` is in."""
    return split(day, day + timedelta(days=400), unit)[1].start


def recording(ledger: Ledger, clients: int) -> Callable[[], None]:
    """What records a technical violation for each of `clients` more clients (demo clients
    still supervised, a new one each time) and catches the projections up."""
    numbers = iter(range(1, 10**9))
    runner = ProjectionRunner(ledger)

    def record_new() -> None:
        recorded = 0
        while recorded < clients:
            reference = f"DEMO-{next(numbers):07d}"
            with contextlib.suppress(RuleViolated, InvalidInput):  # discharged, or none such
                ledger.record_violation(
                    reference, actor="bench", on=ledger.clock(), technical=("curfew",)
                )
                recorded += 1
        runner.catch_up()

    return record_new


@contextlib.contextmanager
def scratch(url: str) -> Iterator[str]:
    """A SQLite ledger's copy, deleted after (the cached demo stays as it was built); a
    PostgreSQL one as it is (a copy made for the benchmarks)."""
    if not url.startswith("sqlite:///"):
        yield url
        return
    copy = CACHE / "reports-scratch.db"
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    try:
        yield f"sqlite:///{copy}"
    finally:
        for path in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
            path.unlink(missing_ok=True)


def measure(url: str, events: int) -> list[tuple[str, str, str]]:
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    size = f"{backend}, {events:,} events"
    ledger = Ledger(url)
    caught_up = timed(ProjectionRunner(ledger).catch_up)
    print(f"{size}: projections caught up in {caught_up:.1f} s")
    today = ledger.clock()
    reports = Reports(ledger)
    start = cli_seconds(["--help"])
    print(f"{size}: `reentry-ledger --help` {start:.2f} s (subtracted from each CLI call)")
    rows: list[tuple[str, str, str]] = []
    forget = forgetting(ProjectionStore(ledger))
    ways = (
        ("counted", forget),
        ("read back", lambda: None),
        ("after 1 new event", recording(ledger, 1)),
        ("after 10 new events", recording(ledger, 10)),
        ("the next day", timedelta(days=1)),
        ("a new period", None),
    )
    for how, before in ways:
        ungrouped_cli = ungrouped_in = 0.0
        for by, period in GROUPINGS:
            request = ReportRequest(today=today, by=by, period=period)
            if before is None or isinstance(before, timedelta):
                # counted today, untimed; asked for tomorrow, or the next period's first day
                counted_today = counting(forget, reports, request)
                later = today + before if before else next_period(today, period or "month")
                in_process = in_process_seconds(reports, replace(request, today=later),
                                                counted_today)  # fmt: skip
                cli = None
            else:
                in_process = in_process_seconds(reports, request, before)
                arguments = ["--db", url, "report", "violations", "--to", today.isoformat()]
                if by:
                    arguments += ["--by", ",".join(by)]
                if period:
                    arguments += ["--period", period]
                cli = max(FLOOR, cli_seconds(arguments, before) - start)
            if not by and not period:
                ungrouped_cli, ungrouped_in = cli or 0.0, in_process
            ratio = f"{in_process / ungrouped_in:.2f}x in-process"
            figure = f"in-process {in_process:.2f} s"
            if cli is not None:
                ratio = f"{cli / ungrouped_cli:.2f}x ungrouped {how} as a CLI call, {ratio}"
                figure = f"CLI {cli:.2f} s, {figure}"
            what = f"{label(by, period)}, {how} ({size})"
            print(f"{what}: {figure}; {ratio}")
            rows.append((what, figure, ratio))
    ledger.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--postgres-only", action="store_true", help="with --postgres: no SQLite")
    args = parser.parse_args()
    if args.postgres_only and not args.postgres:
        parser.error("--postgres-only needs --postgres")
    without_memory_statistics()  # in-process reports run as the command runs them (ADR 0031)
    backends = [] if args.postgres_only else [None]
    backends += [args.postgres] if args.postgres else []
    rows = []
    for size in args.events:
        for postgres in backends:
            url, events = demo_ledger(clients_for(size), postgres)
            with scratch(url) as copy:
                rows += measure(copy, events)
    record("reports", rows)


if __name__ == "__main__":
    main()
