"""A file's rows, client by client, with one client's rows in memory at a time.

A legacy export may list its rows by date, clients interleaved. Each row is recorded on its
client's aggregate, whose events (and state) stay in memory until the client is handed to the
bulk writer: were every client held to the end of the file, memory would grow with the file
(4.6 KB a row, 4.3 GB for a million rows). So the rows are first spilled, in file order, to a
temporary SQLite database (deleted when closed, kept on disk past a small page cache), then
read back client by client, in the order each client first appears, each client's rows in
file order. A client's rows depend on no other client's, so the events are those of the file
read in its own order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby

import orjson

Row = tuple[int, dict[str, str]]  # (line number, the row by column)
SPILL = 10_000  # rows written to the spill at a time


@contextmanager
def by_client(
    rows: Iterable[Row], client_of: Callable[[dict[str, str]], str]
) -> Iterator[tuple[list[str], Iterator[tuple[str, list[Row]]]]]:
    """Every client of `rows`, read through first, and then (client, its rows) for each."""
    spill = sqlite3.connect("")  # a private temporary database, removed when closed
    try:
        spill.execute("CREATE TABLE spilled (client INTEGER, line INTEGER, cells BLOB)")
        numbers: dict[str, int] = {}
        header: tuple[str, ...] = ()
        batch: list[tuple[int, int, bytes]] = []
        for line, row in rows:
            header = header or tuple(row)
            number = numbers.setdefault(client_of(row), len(numbers))
            batch.append((number, line, orjson.dumps(list(row.values()))))
            if len(batch) >= SPILL:
                spill.executemany("INSERT INTO spilled VALUES (?, ?, ?)", batch)
                batch = []
        spill.executemany("INSERT INTO spilled VALUES (?, ?, ?)", batch)
        clients = list(numbers)
        yield clients, read_back(spill, clients, header)
    finally:
        spill.close()


def read_back(
    spill: sqlite3.Connection, clients: list[str], header: tuple[str, ...]
) -> Iterator[tuple[str, list[Row]]]:
    cursor = spill.execute("SELECT client, line, cells FROM spilled ORDER BY client, line")
    for number, spilled in groupby(cursor, key=lambda each: int(each[0])):
        rows = [
            (line, dict(zip(header, orjson.loads(cells), strict=True)))
            for _, line, cells in spilled
        ]
        yield clients[number], rows
