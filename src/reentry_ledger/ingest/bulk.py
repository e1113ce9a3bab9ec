"""Bulk writes in one transaction: an import or a demo is stored whole, or not at all.

The library's recorders insert one batch per transaction, row by row (SQLite, to learn each
notification id) or as one array of composite values (PostgreSQL). A bulk load needs no ids
back, so here we hold one transaction open and hand it batch after batch in the driver's
fastest form, into the recorder's own table: SQLite `executemany` of the recorder's insert
statement; PostgreSQL `COPY`, after taking the recorder's table lock (which keeps notification
ids in commit order) and notifying its channel, as its own insert does. A process killed
part-way leaves nothing behind: SQLite rolls the journal back, PostgreSQL aborts the open
transaction. See docs/adr/0010.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError
from psycopg import Copy
from psycopg.sql import SQL, Identifier

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Actor, NotPermitted
from reentry_ledger.domain.errors import Conflict, RuleViolated
from reentry_ledger.domain.events import LedgerEvent
from reentry_ledger.domain.integrity import stored_state
from reentry_ledger.domain.personal import Protect, encryptor, new_client_key
from reentry_ledger.keys import TABLE as KEYS_TABLE

BATCH = 2000
# how a PostgreSQL bulk load sends the event table's columns (originator_id as its 16 bytes)
BINARY_COLUMNS = ("bytea", "int8", "text", "bytea")

# A row as bulk loads pass it around: originator id (hex), version, topic, encoded state
# (before any compression or encryption the ledger is configured with).
Row = tuple[str, int, str, bytes]


def row(stored: DomainEventProtocol[UUID]) -> Row:
    event = cast(LedgerEvent, stored)
    return (
        event.originator_id.hex,
        event.originator_version,
        event.TOPIC,
        encoded(stored_state(event)),
    )


def encoded(state: dict[str, Any]) -> bytes:
    """A state as JSON, in bytes of its own size. orjson's result keeps the buffer it was
    written into, 4 KB or more: a worker holding a batch of thousands grew its heap by that
    much and gave it back to the system, batch after batch (a second of page faults a million
    events, ADR 16)."""
    return bytes(memoryview(orjson.dumps(state)))


class BulkWriter:
    def __init__(
        self,
        ledger: Ledger,
        progress: Callable[[int], None] | None = None,
        *,
        by: Actor | None = None,
        signed_in: Callable[[], bool] | None = None,
    ) -> None:
        self.ledger = ledger
        # the importer of an import into a ledger in use (a CSV import), as checked before it
        # began: checked again (an import into an empty ledger checks that it still is), and
        # the credential it was asked with, where one was (a server's token)
        self.by = by
        self.signed_in = signed_in
        self.progress = progress
        self.pending: list[Row] = []
        self.written = 0
        self.keys: dict[str, bytes] = {}  # client keys made in this run, stored with the events
        self.pending_keys: list[tuple[str, bytes]] = []
        self._insert: Callable[[Sequence[Row]], Any] | None = None
        self._execute: Callable[[str, Sequence[Any]], Any] | None = None  # other statements
        mapper = ledger.mapper
        self._pack = mapper.pack if mapper.cipher or mapper.compressor else None
        self.into_empty = False  # set by require_empty: then SQLite may use a rollback journal

    def require_empty(self) -> None:
        """Asked before the work begins, and asked again once the ledger is held."""
        if self.ledger.recorder.max_notification_id():
            raise RuleViolated(
                f"the ledger at {self.ledger.backend.display} already holds events: "
                "import and demo write only into an empty ledger"
            )
        self.into_empty = True

    def check_again(self, holds_events: Callable[[], bool]) -> None:
        """Once this transaction holds the ledger (no other write can commit until it ends),
        what was asked before it did: an empty ledger may have been written to since; a CSV
        import reads its whole file first, minutes for a large one, in which its importer
        may have been removed, or a single-user ledger given users, or the credential it was
        asked with (`signed_in`, a server's token) revoked. `holds_events` asks
        through this transaction; the importer is read on other connections, which see
        every write committed before the ledger was held."""
        if self.into_empty:
            if holds_events():
                raise RuleViolated(
                    f"the ledger at {self.ledger.backend.display} already holds events, "
                    "written by another process since this import found it empty: nothing "
                    "was written"
                )
            return  # still empty, so without users: its importer acts as when it was asked
        # In memory, the one connection is this transaction's (and a CSV import refuses it)
        if self.by is None or self.ledger.backend.in_memory:
            return
        try:
            now: Actor | None = self.ledger.actor(self.by.name)
        except NotPermitted:
            now = None
        name = self.by.name
        if now == self.by:
            if self.signed_in is None or self.signed_in():
                return
            raise NotPermitted(
                f"{name}'s token was revoked or expired while this import read its file: "
                "nothing was written"
            )
        if self.by.role is None:
            happened = f"the ledger was given users, and {name} is not one of them"
        elif now is None:
            happened = f"{name} was removed"
        else:
            happened = f"{name}'s role or agency changed"
        raise NotPermitted(f"{happened} while this import read its file: nothing was written")

    def add(self, events: Iterable[DomainEventProtocol[UUID]]) -> None:
        self.add_rows([row(event) for event in events])

    def add_rows(self, rows: Sequence[Row]) -> None:
        if self._pack:
            pack = self._pack
            rows = [(id_, version, topic, pack(state)) for id_, version, topic, state in rows]
        self.pending.extend(rows)
        if len(self.pending) >= BATCH:
            self.flush()

    def protector(self, client: str) -> Protect:
        """Encrypts the client's personal fields under a key stored in this same transaction."""
        return protector(self.keys, client, self.add_key)

    def add_key(self, client: str, key: bytes) -> None:
        """Store a client's key with the events (held until the next flush, not kept)."""
        self.pending_keys.append((client, key))

    def execute(self, statement: str, params: Sequence[Sequence[Any]]) -> None:
        """Another statement (once for each of `params`) in the load's transaction, after the
        rows and keys added so far (`written` counts them)."""
        self.flush()
        if self._execute is not None:
            self._execute(statement, params)

    def flush(self) -> None:
        if self.pending_keys and self._execute is not None:
            store = self.ledger.keys
            params = [store.insert_params(client, key) for client, key in self.pending_keys]
            self._execute(store.insert_statement(), params)
            self.pending_keys = []
        if self.pending and self._insert is not None:
            self._insert(self.pending)
            self.written += len(self.pending)
            if self.progress:
                self.progress(len(self.pending))
            self.pending = []

    @contextmanager
    def transaction(self) -> Iterator[BulkWriter]:
        recorder: Any = self.ledger.recorder
        try:
            with self._cursor(recorder) as (execute, insert, holds_events):
                self._insert, self._execute = insert, execute
                self.check_again(holds_events)
                yield self
                self.flush()
        except IntegrityError as error:
            raise Conflict(f"an event was already stored, nothing was written: {error}") from None
        finally:
            self._insert = self._execute = None
        if self.ledger.backend.kind == "postgresql":
            self._analyze(recorder)

    def _analyze(self, recorder: Any) -> None:
        """PostgreSQL: gather the planner's statistics now. Until autovacuum gets to a table
        loaded in one go, the planner has none, and it reads one client's events by a
        parallel scan of the whole table (60 ms at 10 million events) instead of the key."""
        schema = Identifier(recorder.datastore.schema)
        with recorder.datastore.transaction(commit=True) as cursor:
            for table in (recorder.events_table_name, KEYS_TABLE):
                cursor.execute(SQL("ANALYZE {}.{}").format(schema, Identifier(table)))

    @contextmanager
    def _cursor(
        self, recorder: Any
    ) -> Iterator[
        tuple[
            Callable[[str, Sequence[Any]], Any],
            Callable[[Sequence[Row]], Any],
            Callable[[], bool],
        ]
    ]:
        """How to execute another statement (for each of its params), how to insert rows, and
        how to ask whether the ledger holds events, in the one transaction, which holds the
        ledger's write lock from the start."""
        if self.ledger.backend.kind == "postgresql":
            with (
                recorder.datastore.get_connection() as connection,
                connection.transaction(),
                connection.cursor() as cursor,
                ExitStack() as copying,
            ):
                # A bulk load holds its transaction while its workers make the next rows: on a
                # busy machine longer than the library's idle-in-transaction timeout (5 s),
                # after which the server would end it. For this transaction only, no timeout.
                cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                recorder._lock_table(cursor)
                recorder._notify_channel(cursor)
                table = SQL("{}.{}").format(
                    Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
                )
                # In binary: the server takes each value as it is, where in text it parses
                # every number and decodes every state from hex (ADR 45). A client id goes
                # as its 16 bytes, as the event table's uuid column receives it (a ledger
                # keeping ids as text is refused when it is opened: application/base.py).
                copy = SQL(
                    "COPY {} (originator_id, originator_version, topic, state) "
                    "FROM STDIN (FORMAT BINARY)"
                ).format(table)
                # One COPY takes batch after batch, so the server stores rows while we make
                # more, until another statement is to be executed: that ends it first.
                streams: list[Copy] = []

                def insert(rows: Sequence[Row]) -> None:
                    if not streams:
                        stream = copying.enter_context(cursor.copy(copy))
                        stream.set_types(BINARY_COLUMNS)
                        streams.append(stream)
                    write_row, fromhex = streams[0].write_row, bytes.fromhex
                    for client, version, topic, state in rows:
                        write_row((fromhex(client), version, topic, state))

                def execute(statement: str, params: Sequence[Any]) -> None:
                    if streams:
                        copying.close()
                        streams.clear()
                    cursor.executemany(statement, params)

                def holds_events() -> bool:
                    cursor.execute(SQL("SELECT 1 FROM {} LIMIT 1").format(table))
                    return cursor.fetchone() is not None

                yield execute, insert, holds_events
        else:
            with (
                recorder.datastore.get_connection(commit=True) as connection,
                connection.cursor() as driver_cursor,  # the driver's own cursor
                rollback_journal(driver_cursor.connection, self.into_empty),
                connection.transaction(commit=True) as cursor,
            ):
                # The write lock, taken now (the transaction's "BEGIN" defers it to its first
                # write), by a statement that writes and deletes nothing: from here, no other
                # write can commit until this one ends.
                table = recorder.events_table_name
                cursor.execute(f"DELETE FROM {table} WHERE 0")
                statement = recorder.insert_events_statement

                def holds_events() -> bool:
                    cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
                    return cursor.fetchone() is not None

                yield (
                    cursor.executemany,
                    lambda rows: cursor.executemany(statement, rows),
                    holds_events,
                )


@contextmanager
def rollback_journal(connection: sqlite3.Connection, into_empty: bool) -> Iterator[None]:
    """SQLite: load an empty ledger with a rollback journal rather than the write-ahead log,
    where no other connection has the file open. (A load into a ledger in use keeps the log:
    under a rollback journal, its own reads of existing clients, on other connections, would
    wait for its write lock.) Into an empty ledger, a rollback journal has nothing to
    save, and each page is written once; through the log, every page is written twice (log,
    then checkpoint), and pages written again during the load are logged again. A load killed
    part-way is rolled back all the same, by the journal left behind. Where another
    connection has the file open, the mode cannot change, and the load goes through the log
    as ever. See docs/adr/0014."""
    (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    if not into_empty or mode.lower() != "wal":  # in memory, or set otherwise: leave it be
        yield
        return
    try:
        (changed,) = connection.execute("PRAGMA journal_mode = DELETE").fetchone()
    except sqlite3.OperationalError:  # another connection has the file open (fails at once)
        changed = mode
    if changed.lower() != "wal":
        # SQLite (3.40) keeps the connection's cached pages across the switch: pages it read
        # before another process committed through the log (a user added to the new ledger)
        # would be written back over that commit. Its cache is let go of, to be read again.
        connection.execute("PRAGMA shrink_memory")
    try:
        yield
    finally:
        if changed.lower() != "wal":
            with suppress(sqlite3.OperationalError):  # a reader holds the file: the next
                connection.execute("PRAGMA journal_mode = WAL")  # ledger opened sets it


def protector(keys: dict[str, bytes], client: str, store: Callable[[str, bytes], None]) -> Protect:
    """Encrypts a client's personal fields, making the client's key (kept in `keys`, handed
    to `store`) on first use, and its cipher once."""
    made: list[Protect] = []

    def protect(text: str) -> str:
        if client not in keys:
            keys[client] = new_client_key()
            store(client, keys[client])
        if not made:
            made.append(encryptor(keys[client], client))
        return made[0](text)

    return protect
