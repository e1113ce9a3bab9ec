"""A bulk load is one transaction: rows and client keys go in batch after batch (on
PostgreSQL through one COPY, ended whenever keys are written), and a fault anywhere in it
leaves the ledger as it was."""

from __future__ import annotations

import pathlib
import sqlite3
import uuid

import orjson
import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.ingest.bulk import BATCH, BulkWriter, Row, rollback_journal


def rows(client: uuid.UUID, count: int, first: int = 1) -> list[Row]:
    return [
        (client.hex, number, "tests:row", orjson.dumps({"n": number}))
        for number in range(first, first + count)
    ]


def stored(ledger: Ledger) -> list[tuple[str, int]]:
    return [
        (str(n.originator_id), n.originator_version)
        for n in ledger.recorder.select_notifications(start=1, limit=10 * BATCH)
    ]


def test_batches_and_keys_between_them_are_all_stored_in_order(ledger: Ledger) -> None:
    clients = [uuid.uuid4() for _ in range(3)]
    writer = BulkWriter(ledger)
    writer.require_empty()
    with writer.transaction():
        for client in clients:
            writer.add_rows(rows(client, BATCH + 1))
            writer.add_key(str(client), client.bytes)
    assert writer.written == 3 * (BATCH + 1)
    assert stored(ledger) == [
        (str(client), number) for client in clients for number in range(1, BATCH + 2)
    ]
    assert dict(ledger.keys.all()) == {str(client): client.bytes for client in clients}


def test_an_event_stored_twice_in_one_load_stores_nothing(ledger: Ledger) -> None:
    client, other = uuid.uuid4(), uuid.uuid4()
    writer = BulkWriter(ledger)
    with (
        pytest.raises(Conflict, match="already stored, nothing was written"),
        writer.transaction(),
    ):
        writer.add_rows(rows(client, BATCH))
        writer.add_key(str(client), client.bytes)
        writer.add_rows(rows(other, BATCH))
        writer.add_rows(rows(client, 1, first=BATCH))  # in a later batch, a later COPY
    assert stored(ledger) == []
    assert list(ledger.keys.all()) == []


def test_a_load_switched_to_a_rollback_journal_never_writes_over_a_later_commit(
    tmp_path: pathlib.Path,
) -> None:
    """SQLite: a load into an empty ledger switches its connection from the write-ahead log to
    a rollback journal (ADR 14). Where that connection had read the ledger (found it empty)
    before another process committed a write, SQLite kept its cached pages across the
    switch, and the load wrote over the commit: the users added to a new ledger while a
    restore began into it were gone, and `PRAGMA integrity_check` said ok."""
    path = tmp_path / "ledger.db"
    made = sqlite3.connect(path, isolation_level=None)
    made.execute("PRAGMA journal_mode = WAL")
    made.execute("CREATE TABLE events (n)")
    made.close()
    loader = sqlite3.connect(path, isolation_level=None)
    loader.execute("BEGIN")
    assert loader.execute("SELECT count(*) FROM events").fetchone() == (0,)  # found empty
    loader.execute("ROLLBACK")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("INSERT INTO events VALUES ('the first user')")
    other.close()
    with rollback_journal(loader, into_empty=True):
        assert loader.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        loader.execute("BEGIN")
        assert loader.execute("SELECT n FROM events").fetchall() == [("the first user",)]
        loader.execute("INSERT INTO events VALUES ('loaded')")
        loader.execute("COMMIT")
    loader.close()
    after = sqlite3.connect(path).execute("SELECT n FROM events ORDER BY rowid").fetchall()
    assert after == [("the first user",), ("loaded",)]
