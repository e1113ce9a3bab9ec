"""Access log: an auditor's reads of a log of many reads (ADR 54), on a ledger whose access log
holds `--reads` reads (20 readers, random clients, logged by the application's own `_log`):
the page of the 200 latest reads (all of them, one client's, one reader's) and a page of the
API's listing (1,000 reads, at its start and half-way), in-process, medians of 5; the whole
listing as `access-log` prints it (a CLI process, to /dev/null): seconds and peak memory; and
the 500 reads of a work list logged at once, and one at a time. Raw baselines in the same run:
the same rows selected with the driver (the same statement) and their states decoded
(`orjson.loads`); for the whole listing, a process doing that for every row; for the reads
logged, the same rows inserted with the driver in one transaction.

    python -m benchmarks.access_log [--reads 1000000] [--postgres postgresql://…/test]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson

from benchmarks.common import CACHE, record, timed
from benchmarks.memory import SCRIPT, peak
from reentry_ledger.access_store import TABLE, selected, sidecar_path
from reentry_ledger.application import Ledger
from reentry_ledger.backends import connect_postgres
from reentry_ledger.domain.access import ClientRecordRead

READERS = 20
CLIENTS = 18_000  # as many as the million-event demo has
RUNS = 5
CLIENT, READER = "DEMO-0000123", "officer-07"
LISTED = 500  # clients of a work list whose reads are logged at once
RAW_LISTING = """
import sys, orjson
url, table = sys.argv[1], sys.argv[2]
if not url.startswith("postgresql"):  # the SQLite log's file
    import sqlite3
    rows = sqlite3.connect(url).execute(f"SELECT state FROM {table} ORDER BY position")
else:
    import psycopg
    base, _, schema = url.partition("?schema=")
    rows = psycopg.connect(base).cursor(name="scan").execute(
        f'SELECT state FROM "{schema}".{table} ORDER BY position')
for (state,) in rows:
    orjson.loads(state)
"""


def ledger_with_reads(reads: int, postgres: str | None) -> str:
    """The URL of an empty ledger whose access log holds `reads` reads (made once, kept)."""
    CACHE.mkdir(exist_ok=True)
    url = (
        f"{postgres}?schema=bench_reads_{reads}"
        if postgres
        else f"sqlite:///{CACHE}/reads-{reads}.db"
    )
    ledger = Ledger(url)
    store = ledger.access_store
    have = store.head()
    if have < reads:
        started = time.perf_counter()
        # made without waiting for each read to reach the disk; measured as any ledger opens it
        store._connect().execute(
            "PRAGMA synchronous = OFF"
            if ledger.backend.kind == "sqlite"
            else "SET synchronous_commit = off"
        )
        actors = [ledger.actor(f"officer-{n:02d}") for n in range(READERS)]
        chosen = random.Random(reads + have)
        for _ in range(reads - have):
            client = f"DEMO-{chosen.randrange(1, CLIENTS):07d}"
            ledger._log(chosen.choice(actors), ClientRecordRead, client_ref=client,
                        view="timeline", as_of=None, known_at=None)  # fmt: skip
        print(f"logged {reads - have:,} reads in {time.perf_counter() - started:.0f} s")
    ledger.close()
    return url


def median_seconds(work: Callable[[], object]) -> float:
    return statistics.median(timed(work) for _ in range(RUNS))


class Raw:
    """The log's rows selected with the driver alone, their states decoded."""

    def __init__(self, ledger: Ledger) -> None:
        self.target: str | None = None  # the SQLite log's file
        if ledger.backend.kind == "sqlite":
            import sqlite3

            self.target = str(sidecar_path(ledger.backend))
            self.connection: Any = sqlite3.connect(self.target)
            self.mark = "?"
        else:
            self.connection = connect_postgres(ledger.backend)
            self.connection.execute(f'SET search_path TO "{ledger.backend.schema}"')
            self.mark = "%s"

    def rows(self, statement: str, params: tuple[Any, ...]) -> int:
        found = self.connection.execute(statement.replace("?", self.mark), params).fetchall()
        for row in found:
            orjson.loads(row[6])  # the state
        return len(found)


def measure(url: str, reads: int) -> list[tuple[str, str, str]]:
    ledger = Ledger(url)
    backend = "PostgreSQL" if ledger.backend.kind == "postgresql" else "SQLite"
    size = f"{backend}, {reads:,} reads"
    raw = Raw(ledger)
    rows: list[tuple[str, str, str]] = []

    def compared(what: str, ours: Callable[[], object], baseline: Callable[[], object]) -> None:
        mine, theirs = median_seconds(ours), median_seconds(baseline)
        figure = f"{mine * 1000:.1f} ms"
        ratio = f"{mine / theirs:.1f}x raw ({theirs * 1000:.2f} ms)"
        print(f"{what} ({size}): {figure}; {ratio}")
        rows.append((f"{what} ({size})", figure, ratio))

    for label, client, reader in (("all", None, None), ("one client's", CLIENT, None),
                                  ("one reader's", None, READER)):  # fmt: skip
        compared(
            f"the 200 latest reads, {label}",
            partial(ledger.latest_reads, actor=None, client_ref=client, reader=reader, limit=200),
            partial(raw.rows, *selected([], [], client, reader, "DESC", 200)),
        )
    half = ledger.access_store.head() // 2
    for label, after, position in (("the first", None, 0), ("half-way", f"log:{half}", half)):
        compared(
            f"a page of 1,000 reads of the API's listing, {label}",
            partial(ledger.access_log_page, actor=None, after=after, limit=1000),
            partial(raw.rows, *selected(["position > ?"], [position], None, None, "", 1001)),
        )
    logged_at_once(ledger, raw, rows, size)
    listing, seconds = peak([str(SCRIPT), "--db", url, "access-log"])
    raw_peak, raw_seconds = peak([sys.executable, "-c", RAW_LISTING, raw.target or url, TABLE])
    what = f"`access-log`, every read, as a CLI process ({size})"
    figure = f"{seconds:.1f} s, peak {listing:.0f} MB"
    ratio = f"{seconds / raw_seconds:.1f}x raw ({raw_seconds:.1f} s, peak {raw_peak:.0f} MB)"
    print(f"{what}: {figure}; {ratio}")
    rows.append((what, figure, ratio))
    ledger.close()
    return rows


def logged_at_once(ledger: Ledger, raw: Raw, rows: list[tuple[str, str, str]], size: str) -> None:
    """A work list's reads (`LISTED` clients) logged at once, as `report due` and a caseload
    page log them (one transaction), and one at a time (a commit each, as they were), against
    the same rows inserted with the driver in one transaction (medians of `RUNS`)."""
    who, refs = ledger.actor("officer-list"), [f"DEMO-{n:07d}" for n in range(1, LISTED + 1)]
    at_once = median_seconds(partial(ledger.log_reads, who, refs, "due", None, None))

    def one_at_a_time() -> None:
        for ref in refs:
            ledger.log_reads(who, [ref], "due", None, None)

    singly = median_seconds(one_at_a_time)
    numbers = iter(range(1, 10**9))
    states = [read.state for read in ledger.access_store.rows(reader="officer-list")][:LISTED]
    columns = (
        "reader, number, topic, recorded_at, client_ref, view, state, event_hash, previous_hash"
    )
    statement = f"INSERT INTO {TABLE} ({columns}) VALUES ({', '.join([raw.mark] * 9)})"

    def raw_insert() -> None:
        values = [("raw-list", next(numbers), ClientRecordRead.TOPIC, state["recorded_at"],
                   state["client_ref"], "due", orjson.dumps(state).decode(),
                   state["event_hash"], state["previous_hash"]) for state in states]  # fmt: skip
        # one transaction, committed (sqlite3's connection as a context; psycopg's own)
        with raw.connection if raw.target else raw.connection.transaction():
            raw.connection.cursor().executemany(statement, values)

    baseline = median_seconds(raw_insert)
    for what, mine in (("at once", at_once), ("one at a time, a commit each", singly)):
        label = f"{LISTED} reads of a work list logged {what} ({size})"
        figure, ratio = (
            f"{mine * 1000:.1f} ms",
            f"{mine / baseline:.1f}x raw ({baseline * 1000:.2f} ms)",
        )
        print(f"{label}: {figure}; {ratio}")
        rows.append((label, figure, ratio))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    rows = measure(ledger_with_reads(args.reads, None), args.reads)
    if args.postgres:
        rows += measure(ledger_with_reads(args.reads, args.postgres), args.reads)
    record("access_log", rows)


if __name__ == "__main__":
    main()
