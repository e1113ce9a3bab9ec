"""A file's rows, client by client, with one client's rows in memory at a time.

A legacy export may list its rows by date, clients interleaved. Each row is recorded on its
client's aggregate, whose events (and state) stay in memory until the client is handed to the
bulk writer: were every client held to the end of the file, memory would grow with the file
(3.9 GB for a million rows). So the rows are first set aside, in file order, in a SQLite
database of their own in a new temporary folder (removed when done), keyed by client and line,
then read back in key order: client by client, in the order each client first appears, each
client's rows in file order. A client's rows depend on no other client's, so the events are
those of the file read in its own order (ADR 57).
"""

from __future__ import annotations

import marshal
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path

from reentry_ledger.domain.errors import LedgerError

Row = tuple[int, dict[str, str]]  # (line number, the row by column)
SPILL = 10_000  # rows written to the spill at a time


class NoRoomToSpill(LedgerError):
    """The temporary folder could not hold the rows set aside (exit 1)."""


@contextmanager
def by_client(
    rows: Iterable[Row], client_of: Callable[[dict[str, str]], str]
) -> Iterator[tuple[list[str], Iterator[tuple[str, list[Row]]]]]:
    """Every client of `rows`, read through first, and then (client, its rows) for each."""
    with tempfile.TemporaryDirectory(prefix="reentry-ledger-import-") as folder:
        spill = sqlite3.connect(Path(folder) / "rows.db")
        try:
            with room(folder):
                # Kept in its key's order as it is written: read back without a sort (which
                # would take as much room again); a file of its own, never to be recovered.
                spill.execute("PRAGMA journal_mode = OFF")
                spill.execute("PRAGMA synchronous = OFF")
                spill.execute(
                    "CREATE TABLE spilled (client INTEGER, line INTEGER, cells BLOB, "
                    "PRIMARY KEY (client, line)) WITHOUT ROWID"
                )
                clients, header = spilled(spill, rows, client_of)
            yield clients, read_back(spill, clients, header, folder)
        finally:
            spill.close()


def spilled(
    spill: sqlite3.Connection, rows: Iterable[Row], client_of: Callable[[dict[str, str]], str]
) -> tuple[list[str], tuple[str, ...]]:
    """Write the rows into the spill; the clients, numbered by first appearance, and the
    columns."""
    numbers: dict[str, int] = {}
    header: tuple[str, ...] = ()
    batch: list[tuple[int, int, bytes]] = []
    insert = "INSERT INTO spilled VALUES (?, ?, ?)"
    for line, row in rows:
        header = header or tuple(row)
        number = numbers.setdefault(client_of(row), len(numbers))
        # marshal: any text a file's encoding may decode to (a lone surrogate too), and fast
        batch.append((number, line, marshal.dumps(tuple(row.values()))))
        if len(batch) >= SPILL:
            spill.executemany(insert, batch)
            batch = []
    spill.executemany(insert, batch)
    spill.commit()
    return list(numbers), header


def read_back(
    spill: sqlite3.Connection, clients: list[str], header: tuple[str, ...], folder: str
) -> Iterator[tuple[str, list[Row]]]:
    with room(folder):  # (around a yield: what the caller raises does not come in here)
        cursor = spill.execute("SELECT client, line, cells FROM spilled ORDER BY client, line")
        for number, rows in groupby(cursor, key=lambda each: int(each[0])):
            yield (
                clients[number],
                [
                    (line, dict(zip(header, marshal.loads(cells), strict=True)))
                    for _, line, cells in rows
                ],
            )


@contextmanager
def room(folder: str) -> Iterator[None]:
    """The spill's own errors (a full disk), told as the temporary folder's, not the ledger's."""
    try:
        yield
    except sqlite3.Error as error:
        where = str(Path(folder).parent)
        raise NoRoomToSpill(
            f"the rows could not be set aside in the temporary folder {where} ({error}): "
            "an import needs about twice the file's size there; give it a "
            "folder with room in TMPDIR. Nothing was written"
        ) from None
