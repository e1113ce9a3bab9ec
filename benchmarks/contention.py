"""Contention: a caseworker's `timeline` while others write. Latency (p50, p99) of `timeline`
for random clients, in-process through the application, opened as the CLI opens it for a read
(read-only, its read logged in the access log's own store: ADR 0027), as one reader: first with
the ledger idle, then with writer processes running (each a loop of contacts on random clients,
as a caseworker records them). The busy p99 against the idle p99 of the same run is the figure
(target: within 2x). Beside it, in the same run: the reader while as many processes only burn
CPU (what sharing the machine's cores costs, with no database contention), and the reader as
reads were logged before (in the event table, through its insert lock, the ledger opened
read-write) with the same writers running; and the reader while another connection holds the
ledger's write lock throughout, as an import does (before, each read waited 15 s and failed).

    python -m benchmarks.contention [--events 100000] [--postgres postgresql://…/test]
        [--sqlite] [--writers 4] [--samples 400]

The demo ledger is built with seed 8 (its own cached file and schema: the seed-7 ledgers other
benchmarks read are never written here).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sqlite3
import time
from multiprocessing.synchronize import Event as EventType
from typing import Any

from benchmarks.common import clients_for, demo_ledger, percentile, record
from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Actor
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.cli.context import opened_to_read_and_log
from reentry_ledger.domain.access import ClientRecordRead, LedgerRead, access_log_id
from reentry_ledger.domain.integrity import chained

SEED = 8


def refs_for(clients: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"DEMO-{rng.randrange(1, clients + 1):07d}" for _ in range(count)]


def writer(url: str, clients: int, number: int, stop: EventType, counts: Any) -> None:
    """Contacts on random clients until told to stop; counts what it wrote."""
    ledger = Ledger(url)
    rng = random.Random(number)
    written = 0
    try:
        while not stop.is_set():
            ref = f"DEMO-{rng.randrange(1, clients + 1):07d}"
            try:
                ledger.log_contact(ref, actor=f"writer-{number}", note="benchmark contact")
                written += 1
            except Exception:  # a client closed or sealed: another client
                continue
    finally:
        counts[number] = written
        ledger.close()


def burner(number: int, stop: EventType, counts: Any) -> None:
    """Only CPU, no database: what the writers' share of the two cores costs a reader alone."""
    rounds = 0
    while not stop.is_set():
        sum(range(10_000))
        rounds += 1
    counts[number] = 0


def lock_holder(url: str, number: int, stop: EventType, counts: Any) -> None:
    """Holds the ledger's write lock, as an import does, until told to stop (one of them)."""
    counts[number] = 0
    if number:
        return
    backend = parse_db_url(url)
    if backend.kind == "sqlite":
        connection = sqlite3.connect(backend.env["SQLITE_DBNAME"], isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        stop.wait()
        connection.execute("ROLLBACK")
        return
    with connect_postgres(backend) as postgres:
        postgres.execute("BEGIN")
        postgres.execute(f'LOCK TABLE "{backend.schema}".reentryledger_events IN EXCLUSIVE MODE')
        stop.wait()
        postgres.execute("ROLLBACK")


class EventTableLog(Ledger):
    """The ledger as it logged reads before ADR 0027: in the event table, through the library's
    insert (its table lock), opened read-write. Only for the comparison."""

    name = "ReentryLedger"  # the library would name a subclass's tables after it

    def _log(self, who: Actor, kind: type[ClientRecordRead | LedgerRead], **fields: Any) -> None:
        log_id = access_log_id(who.name)
        last = self.recorder.select_events(log_id, desc=True, limit=1)
        previous_hash = self.mapper.stored_state(last[0])["event_hash"] if last else ""
        event = kind(
            originator_id=log_id,
            originator_version=last[0].originator_version + 1 if last else 1,
            timestamp=self._now(),
            occurred_on=self.clock(),
            recorded_by=who.name,
            **fields,
        )
        self.recorder.insert_events([self.mapper.to_stored_event(chained(event, previous_hash))])


def timeline_latencies(url: str, refs: list[str], before: bool = False) -> list[float]:
    ledger = EventTableLog(url) if before else opened_to_read_and_log(url)
    reader = "reader-before" if before else "reader"
    try:
        for ref in refs[:20]:  # warm the pages
            ledger.timeline(ref, actor=reader)
        samples = []
        for ref in refs:
            started = time.perf_counter()
            ledger.timeline(ref, actor=reader)
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        ledger.close()


def while_running(
    target: Any, args: tuple[Any, ...], count: int, work: Any
) -> tuple[list[float], int, float]:
    """`work()`'s samples while `count` processes run `target`; what they wrote, and for how
    long the work ran."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    counts = context.Manager().dict()
    processes = [
        context.Process(target=target, args=(*args, number, stop, counts))
        for number in range(count)
    ]
    for process in processes:
        process.start()
    time.sleep(3)  # the processes start and get going
    started = time.perf_counter()
    samples = work()
    elapsed = time.perf_counter() - started
    stop.set()
    for process in processes:
        process.join()
    return samples, sum(counts.values()), elapsed


def milliseconds(samples: list[float]) -> str:
    p50, p99 = percentile(samples, 0.5) * 1000, percentile(samples, 0.99) * 1000
    return f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def measure(url: str, clients: int, events: int, writers: int, samples: int) -> list[Any]:
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    size = f"{backend}, {events:,} events"
    idle = timeline_latencies(url, refs_for(clients, samples, 1))
    idle_p99 = percentile(idle, 0.99)
    print(f"{size}: timeline idle {milliseconds(idle)}")
    rows = [(f"`timeline` in-process, idle ({size})", milliseconds(idle), "(the baseline)")]
    phases = (
        (f"{writers} CPU-bound processes, no database", burner, (), False),
        (f"{writers} writer processes", writer, (url, clients), False),
        (f"{writers} writer processes, reads logged in the event table (before)", writer,
         (url, clients), True),
        ("the ledger's write lock held throughout (as an import holds it)", lock_holder, (url,),
         False),
    )  # fmt: skip
    for label, target, args, before in phases:
        refs = refs_for(clients, samples, 2)
        busy, written, elapsed = while_running(
            target,
            args,
            writers,
            lambda refs=refs, before=before: timeline_latencies(url, refs, before),
        )
        ratio = percentile(busy, 0.99) / idle_p99
        wrote = f"; {written:,} contacts written meanwhile ({written / elapsed:,.1f}/s)"
        print(
            f"{size}: timeline with {label}: {milliseconds(busy)}"
            f"{wrote if written else ''}; p99 {ratio:.2f}x idle p99"
        )
        rows.append(
            (
                f"`timeline` in-process, {label} ({size})",
                milliseconds(busy),
                f"p99 {ratio:.2f}x idle p99{wrote if written else ''}",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite", action="store_true", help="measure SQLite too")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    clients = clients_for(args.events)
    rows = []
    url, events = demo_ledger(clients, args.postgres, seed=SEED)
    rows += measure(url, clients, events, args.writers, args.samples)
    if args.sqlite:
        url, events = demo_ledger(clients, seed=SEED)
        rows += measure(url, clients, events, args.writers, args.samples)
    record("Contention: reads while others write", rows)


if __name__ == "__main__":
    main()
