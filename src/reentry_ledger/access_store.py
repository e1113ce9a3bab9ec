"""Where reads are logged: a store of its own, so a read never waits on a write (ADR 0027).

PostgreSQL: the table `access_log` in the ledger's schema, inserted into row by row (a
duplicate number is retried by the caller), never under a table lock. SQLite allows one writer
per file, so the log lives beside the ledger in a file of its own, `<ledger>.access-log`
(write-ahead log, its own busy timeout): a backup copies both files. Each row holds one read
exactly as the event table would have stored it (its state, hash-chained per reader with the
same hashing), with the columns an auditor filters on beside it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from reentry_ledger.backends import (
    SETUP_LOCK_KEY,
    Backend,
    connect_postgres,
    parse_db_url,
    read_only_uri,
)
from reentry_ledger.domain.access import WHOLE_LEDGER

SIDECAR_SUFFIX = ".access-log"
BUSY_TIMEOUT_SECONDS = 15
PAGE_ROWS = 1000  # rows `rows` reads at a time
INDEX_WAIT_SECONDS = 5  # how long an open waits to make the log's index on a log set up before
TABLE = "access_log"
COLUMNS = "position, reader, number, topic, client_ref, view, state, event_hash, previous_hash"
_COLUMNS_WRITTEN = (
    "reader, number, topic, recorded_at, occurred_on, client_ref, view, as_of, known_at, state, "
    "event_hash, previous_hash"
)
INSERT = f"INSERT INTO {TABLE} ({_COLUMNS_WRITTEN}) VALUES ({', '.join(['?'] * 12)})"
# PostgreSQL takes a row's position (an identity) at insert and shows the row at commit: two
# reads logged at once could be seen out of order, and a page of the log that ended past the
# later skip the other for good. Each insert takes the log's turn first (a lock held to its
# commit, of this schema's log alone), so a read is seen before the next takes a position.
LOG_TURN = 0x61636C67  # the advisory lock's class, with the schema's hash ("aclg")
INSERT_IN_TURN = (
    f"WITH turn AS (SELECT pg_advisory_xact_lock({LOG_TURN}, hashtext(current_schema()))) "
    f"INSERT INTO {TABLE} ({_COLUMNS_WRITTEN}) SELECT {', '.join(['%s'] * 12)} FROM turn"
)
# A client's reads, found at once (an auditor asks who read a record): with the reads of the
# whole ledger, whose rows name no client but WHOLE_LEDGER (`selected`)
CLIENT_INDEX_NAME = "access_log_client_idx"
CLIENT_INDEX = f"CREATE INDEX IF NOT EXISTS {CLIENT_INDEX_NAME} ON {TABLE} (client_ref, position)"


@dataclass(frozen=True)
class StoredRead:
    """One row of the access log."""

    position: int
    reader: str
    number: int
    topic: str
    client_ref: str
    view: str
    state: dict[str, Any]
    event_hash: str
    previous_hash: str


def sidecar_path(backend: Backend) -> Path | None:
    """The SQLite access log's file beside the ledger's (None for a ledger in memory)."""
    path = parse_db_url(backend.url).env["SQLITE_DBNAME"]
    if path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).with_name(Path(path).name + SIDECAR_SUFFIX)


class AccessStore:
    """The access log's rows: the last of a reader's, a new one, and all of them in order."""

    def __init__(self, backend: Backend, writable: bool) -> None:
        self.backend = backend
        self.writable = writable  # a ledger opened read-only may still log its reads here
        self._lock = threading.Lock()
        self._connection: Any = None
        self._missing = False  # read-only, and there is no log yet: it reads as empty
        self._unwritable: str | None = None  # why a writable store could not be written

    # --- connections ---------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._connection is not None or self._missing:
            return self._connection
        if self.backend.kind == "postgresql":
            self._connection = self._connect_postgres()
        else:
            self._connection = self._connect_sqlite()
        return self._connection

    def _connect_sqlite(self) -> sqlite3.Connection | None:
        path = sidecar_path(self.backend)
        if path is None:
            return self._open_sqlite(":memory:", uri=False)
        if self.writable:
            try:
                return self._open_sqlite(str(path), uri=False)
            except sqlite3.OperationalError as error:
                # a folder, or file, that may not be written (an archive): read what is there
                self._unwritable = str(error)
        if not path.is_file():
            self._missing = True
            return None
        return self._open_sqlite(read_only_uri(path), uri=True)  # as the ledger's own file

    def _open_sqlite(self, target: str, uri: bool) -> sqlite3.Connection:
        connection = sqlite3.connect(
            target, timeout=BUSY_TIMEOUT_SECONDS, uri=uri, isolation_level=None,
            check_same_thread=False,
        )  # fmt: skip
        if uri:  # read-only
            return connection
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                "position INTEGER PRIMARY KEY AUTOINCREMENT, reader TEXT NOT NULL, "
                "number INTEGER NOT NULL, topic TEXT NOT NULL, recorded_at TEXT NOT NULL, "
                "occurred_on TEXT, client_ref TEXT NOT NULL, view TEXT NOT NULL, "
                "as_of TEXT, known_at TEXT, state TEXT NOT NULL, event_hash TEXT NOT NULL, "
                "previous_hash TEXT NOT NULL, UNIQUE (reader, number))"
            )
        except sqlite3.OperationalError:
            connection.close()
            raise
        # The index on a log set up before it: busy past the timeout (another process makes
        # it), the disk full, it waits for a later open; the log is listed without it.
        connection.execute(f"PRAGMA busy_timeout = {int(INDEX_WAIT_SECONDS * 1000)}")
        with suppress(sqlite3.OperationalError):
            connection.execute(CLIENT_INDEX)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        return connection

    def _connect_postgres(self) -> Any:
        connection = connect_postgres(self.backend)
        schema = self.backend.schema
        if schema:
            from psycopg import sql

            connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        table, index = connection.execute(
            "SELECT to_regclass(%s), to_regclass(%s)", (TABLE, CLIENT_INDEX_NAME)
        ).fetchone()
        if table is None and not self.writable:
            connection.close()
            self._missing = True
            return None
        if self.writable and (table is None or index is None):  # a log set up before: indexed
            from psycopg import Error

            connection.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
            try:
                if table is None:
                    create_postgres_table(connection)
                else:  # the index alone, waiting for the table no longer than SQLite would
                    connection.execute(f"SET lock_timeout = '{INDEX_WAIT_SECONDS}s'")
                    connection.execute(CLIENT_INDEX)
            except Error:
                if table is None:
                    raise
                # as on SQLite: the log is listed without it, and a later open makes it
            finally:
                connection.execute("RESET lock_timeout")
                connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
        return connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # --- rows ------------------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.backend.kind == "postgresql" else text

    def last(self, reader: str) -> tuple[int, str] | None:
        """The reader's last number and hash in this store, if any."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return None
            row = connection.execute(
                self._sql(
                    f"SELECT number, event_hash FROM {TABLE} WHERE reader = ? "
                    "ORDER BY number DESC LIMIT 1"
                ),
                (reader,),
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def insert(
        self, reader: str, topic: str, numbered: Sequence[tuple[int, dict[str, Any]]]
    ) -> bool:
        """Store reads of one reader (each its number and state), all or none, in one
        transaction (one commit, one flush to disk, for a page of a caseload or a work list);
        False when one of the numbers was taken meanwhile (none is stored)."""
        rows = [
            (
                reader, number, topic, state["recorded_at"], state.get("occurred_on"),
                state.get("client_ref", WHOLE_LEDGER), state["view"], state.get("as_of"),
                state.get("known_at"),
                orjson.dumps(state).decode(), state["event_hash"], state["previous_hash"],
            )
            for number, state in numbered
        ]  # fmt: skip
        with self._lock:
            connection = self._connect()
            if connection is None or self._unwritable is not None or not self.writable:
                why = self._unwritable or "attempt to write a readonly database"
                raise sqlite3.OperationalError(why)
            try:
                if self.backend.kind == "sqlite":
                    _insert_sqlite(connection, rows)
                else:
                    with connection.transaction():
                        connection.cursor().executemany(INSERT_IN_TURN, rows)
            except Exception as error:
                if _duplicate(error):
                    return False
                raise
        return True

    def holds_reads(self) -> bool:
        """Whether the log holds any read, without making its store where there is none (a
        new SQLite ledger's file beside it)."""
        path = sidecar_path(self.backend) if self.backend.kind == "sqlite" else None
        if path is not None and not path.is_file():
            return False
        return self.head() > 0

    def head(self) -> int:
        """The position of the last row (0 when there is none)."""
        with self._lock:
            connection = self._connect()
            if connection is None:
                return 0
            row = connection.execute(f"SELECT MAX(position) FROM {TABLE}").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def rows(
        self,
        client_ref: str | None = None,
        reader: str | None = None,
        upto: int | None = None,
        after: int = 0,
    ) -> Iterator[StoredRead]:
        """The rows in recorded order after position `after` and up to `upto` (those of a
        client include reads of the whole ledger), page by page."""
        conditions = ["position > ?", *(["position <= ?"] if upto is not None else [])]
        position = after
        while True:
            params = [position, *([upto] if upto is not None else [])]
            page = self._select(*selected(conditions, params, client_ref, reader, "", PAGE_ROWS))
            if not page:
                return
            yield from page
            position = page[-1].position

    def latest(
        self, count: int, client_ref: str | None = None, reader: str | None = None
    ) -> list[StoredRead]:
        """The last `count` rows (of a client, with the reads of the whole ledger; of a
        reader), newest first: read from the end, not by a walk of every row."""
        return self._select(*selected([], [], client_ref, reader, "DESC", count))

    def _select(self, statement: str, params: tuple[Any, ...]) -> list[StoredRead]:
        with self._lock:
            connection = self._connect()
            if connection is None:
                return []
            found = connection.execute(self._sql(statement), params).fetchall()
        return [stored(row) for row in found]


def stored(row: tuple[Any, ...]) -> StoredRead:
    """A row of `COLUMNS` as a `StoredRead`."""
    position, reader, number, topic, client_ref, view, state, event_hash, previous = row
    return StoredRead(
        int(position), reader, int(number), topic, client_ref, view, orjson.loads(state),
        event_hash, previous,
    )  # fmt: skip


def selected(
    conditions: list[str],
    params: list[Any],
    client_ref: str | None,
    reader: str | None,
    order: str,
    limit: int,
) -> tuple[str, tuple[Any, ...]]:
    """The statement (and its values) of the first `limit` rows by position (`order`: "" or
    "DESC") where `conditions` hold, of the `reader`, of the client `client_ref` with the
    reads of the whole ledger (whose column says WHOLE_LEDGER, which no client's reference can
    be). A client's are two runs of the client index, each in order, merged: as one condition,
    a planner without the table's statistics took it for common and walked every row by
    position (PostgreSQL, 0.8 s a million reads) to find a client's few."""
    where, values = list(conditions), list(params)
    if reader is not None:
        where.append("reader = ?")
        values.append(reader)
    if client_ref is None:
        clauses = " AND ".join(where) or "TRUE"
        statement = f"SELECT {COLUMNS} FROM {TABLE} WHERE {clauses} ORDER BY position {order}"
        return f"{statement} LIMIT ?", (*values, limit)
    clauses = " AND ".join(["client_ref = ?", *where])
    run = f"SELECT {COLUMNS} FROM {TABLE} WHERE {clauses} ORDER BY position {order} LIMIT ?"
    statement = (
        f"SELECT * FROM ({run}) AS client_reads UNION ALL SELECT * FROM ({run}) AS whole_reads "
        f"ORDER BY position {order} LIMIT ?"
    )
    return statement, (client_ref, *values, limit, WHOLE_LEDGER, *values, limit, limit)


def create_postgres_table(connection: Any) -> None:
    """The access log's table, in the schema on the connection's search path."""
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "position BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE, reader TEXT NOT NULL, "
        "number INTEGER NOT NULL, topic TEXT NOT NULL, recorded_at TIMESTAMPTZ NOT NULL, "
        "occurred_on DATE, client_ref TEXT NOT NULL, view TEXT NOT NULL, as_of DATE, "
        "known_at TIMESTAMPTZ, state TEXT NOT NULL, event_hash TEXT NOT NULL, "
        "previous_hash TEXT NOT NULL, PRIMARY KEY (reader, number))"
    )
    connection.execute(CLIENT_INDEX)


def _insert_sqlite(connection: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """`rows` in one transaction of a connection in autocommit (one row: as it is)."""
    if len(rows) == 1:
        connection.execute(INSERT, rows[0])
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.executemany(INSERT, rows)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:  # not where SQLite rolled it back itself
            connection.execute("ROLLBACK")
        raise


def _duplicate(error: Exception) -> bool:
    text = str(error).lower()
    return "unique" in text or "duplicate key" in text
