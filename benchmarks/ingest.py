"""Ingest: events per second of a bulk import (JSON lines) into SQLite, and PostgreSQL if given,
against inserting the same serialised rows with the raw driver into a table of the same shape
(the library's own: the same columns, keys and indexes), for a demo ledger of each size. On
PostgreSQL against two raw baselines: `COPY` in text, as the target was set against, and in
binary, as our imports send the rows since ADR 45 (faster still).

    python -m benchmarks.ingest [--events 100000 1000000] [--runs 3] [--postgres postgresql://…]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from benchmarks.common import clients_for, compare, exported, median_rate, record, timed
from reentry_ledger.application import Ledger
from reentry_ledger.ingest.bulk import BINARY_COLUMNS, encoded
from reentry_ledger.ingest.jsonl import import_lines
from reentry_ledger.sqlite_memory import without_memory_statistics

# The library's tables, column for column, key for key (eventsourcing.sqlite, .postgres).
SHAPE = (
    "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
    "PRIMARY KEY (originator_id, originator_version)"
)
POSTGRES_SHAPE = (
    "originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, state bytea, "
    "notification_id bigserial, PRIMARY KEY (originator_id, originator_version)"
)


def rows(path: Path) -> list[tuple[str, int, str, bytes]]:
    """The file's events as the raw baseline inserts them, held in memory (about 550 bytes
    an event: read line by line, each client's id and each topic kept once)."""
    out = []
    client, stored_id = "", ""
    with path.open("rb") as lines:
        for line in lines:
            record_ = orjson.loads(line)
            if "client_key" in record_ or "closing" in record_:
                continue
            if record_["client_id"] != client:
                client = record_["client_id"]
                stored_id = uuid.UUID(client).hex  # as the recorder stores it
            topic = sys.intern(record_["topic"])
            out.append((stored_id, record_["number"], topic, encoded(record_["state"])))
    return out


def ours(url: str, path: Path) -> None:
    ledger = Ledger(url)
    with path.open("rb") as stream:
        import_lines(ledger, stream, str(path))
    ledger.close()


def raw_sqlite(data: list[tuple[str, int, str, bytes]], folder: str) -> None:
    connection = sqlite3.connect(Path(folder) / "raw.db")
    connection.execute(f"CREATE TABLE stored_events ({SHAPE})")
    with connection:
        connection.executemany("INSERT INTO stored_events VALUES (?, ?, ?, ?)", data)
    connection.close()


def raw_postgres(url: str, data: list[tuple[Any, int, str, bytes]], schema: str) -> None:
    """`COPY` of the rows as they are: in text, or, where each client id is its 16 bytes
    (`binary_rows`), in binary, as our imports send them (ADR 45)."""
    import psycopg

    binary = bool(data) and isinstance(data[0][0], bytes)
    with psycopg.connect(url.split("?")[0]) as connection:
        table = f'"{schema}".stored_events'
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f"CREATE TABLE {table} ({POSTGRES_SHAPE})")
        connection.execute(f"CREATE UNIQUE INDEX ON {table} (notification_id)")
        columns = "originator_id, originator_version, topic, state"
        form = " (FORMAT BINARY)" if binary else ""
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN{form}") as copy,
        ):
            if binary:
                copy.set_types(list(BINARY_COLUMNS))
            for row in data:
                copy.write_row(row)
        connection.commit()


def binary_rows(data: list[tuple[str, int, str, bytes]]) -> list[tuple[bytes, int, str, bytes]]:
    """The rows with each client id as its 16 bytes, made before the timing starts."""
    return [(bytes.fromhex(client), number, topic, state) for client, number, topic, state in data]


def drop_schema(url: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(url.split("?")[0]) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def measure(size: int, runs: int, postgres: str | None) -> list[tuple[str, str, str]]:
    """Our imports first, then the raw baselines: the baselines hold every row in memory
    (gigabytes at ten million events), which our imports' worker processes must not inherit."""
    path, events = exported(clients_for(size))
    print(f"input: {path}, {events:,} events")

    def in_a_new_folder(work: Callable[[str], object]) -> float:
        """Seconds of `work` in a new folder, which is deleted afterwards (untimed)."""
        with tempfile.TemporaryDirectory() as folder:
            return timed(lambda: work(folder))

    def in_a_new_schema(work: Callable[[str], object]) -> float:
        """Seconds of `work` in a new schema, which is dropped afterwards (untimed)."""
        assert postgres is not None
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        try:
            return timed(lambda: work(schema))
        finally:
            drop_schema(postgres, schema)

    ours_sqlite = [
        in_a_new_folder(lambda folder: ours(f"sqlite:///{folder}/ledger.db", path))
        for _ in range(runs)
    ]
    ours_postgres = [
        in_a_new_schema(lambda schema: ours(f"{postgres}?schema={schema}", path))
        for _ in range(runs if postgres else 0)
    ]
    data = rows(path)
    raw_sqlite_runs = [
        in_a_new_folder(lambda folder: raw_sqlite(data, folder)) for _ in range(runs)
    ]
    raw_postgres_runs = [
        in_a_new_schema(lambda schema: raw_postgres(postgres or "", data, schema))
        for _ in range(runs if postgres else 0)
    ]
    binary = binary_rows(data) if postgres else []
    raw_binary_runs = [
        in_a_new_schema(lambda schema: raw_postgres(postgres or "", binary, schema))
        for _ in range(runs if postgres else 0)
    ]
    results = []
    for label, baseline, ours_runs, raw_runs in (
        ("SQLite import", "raw executemany", ours_sqlite, raw_sqlite_runs),
        ("PostgreSQL import", "raw COPY", ours_postgres, raw_postgres_runs),
        ("PostgreSQL import", "raw binary COPY", ours_postgres, raw_binary_runs),
    ):
        if ours_runs:
            ours_rate, raw_rate = median_rate(events, ours_runs), median_rate(events, raw_runs)
            figure, ratio = compare(label, ours_rate, baseline, raw_rate)
            if "binary" in baseline:
                label = f"{label}, against a binary COPY"
            results.append((f"{label} ({events:,} events)", figure, ratio))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    without_memory_statistics()  # SQLite as the command runs it, ours and raw (ADR 0031)
    record(
        "ingest", [row for size in args.events for row in measure(size, args.runs, args.postgres)]
    )


if __name__ == "__main__":
    main()
