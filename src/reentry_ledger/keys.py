"""Each client's own key for its personal data, kept beside the events; `seal` destroys it.

Keys live in the table `client_keys` (never in the event log, so destroying one leaves the log
and its hashes untouched). Under a ledger key (encryption at rest) they are stored encrypted
with it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from reentry_ledger.domain.errors import Conflict

TABLE = "client_keys"


class KeyStore:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self.datastore: Any = ledger.recorder.datastore
        self.postgres = ledger.backend.kind == "postgresql"
        schema = getattr(self.datastore, "schema", None)
        self.table = f'"{schema}".{TABLE}' if self.postgres and schema else TABLE
        kind = "BYTEA" if self.postgres else "BLOB"
        columns = f"client_id TEXT PRIMARY KEY, key {kind} NOT NULL"
        if not ledger.backend.read_only:
            self.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({columns})", rows=False)

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def execute(self, statement: str, params: tuple = (), rows: bool = True) -> list[Any]:
        """A read (rows=True) takes a reader connection; a write, the writer."""
        with self.datastore.transaction(commit=not rows) as cursor:
            cursor.execute(self.sql(statement), params)
            return list(cursor.fetchall()) if rows else []

    def get(self, client_id: str) -> bytes | None:
        with self.datastore.transaction(commit=False) as cursor:  # a reader connection
            return self.read_with(cursor, [client_id]).get(client_id)

    def read_with(self, cursor: Any, client_ids: Iterable[str]) -> dict[str, bytes]:
        """The keys of `client_ids` that are kept, read in a transaction already open: where
        the database is one connection (SQLite in memory), the one the caller holds."""
        found = {}
        statement = self.sql(f"SELECT key FROM {self.table} WHERE client_id = ?")
        for client_id in client_ids:
            cursor.execute(statement, (client_id,))
            rows = cursor.fetchall()
            if rows:
                stored = rows[0]["key"] if isinstance(rows[0], dict) else rows[0][0]
                found[client_id] = self.ledger.mapper.unpack(bytes(stored))
        return found

    def insert_statement(self) -> str:
        conflict = "ON CONFLICT (client_id) DO NOTHING"
        return self.sql(f"INSERT INTO {self.table} (client_id, key) VALUES (?, ?) {conflict}")

    def insert_params(self, client_id: str, key: bytes) -> tuple[str, bytes]:
        return client_id, self.ledger.mapper.pack(key)

    def destroy(self, client_id: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            self._delete(cursor, client_id)
        self._checkpoint()

    def store_with(
        self,
        events: Sequence[StoredEvent],
        new: dict[str, bytes] | None = None,
        destroy: str | None = None,
    ) -> None:
        """Store `events` together with the client keys they were encrypted under (`new`),
        or with a key's destruction (`destroy`, the seal): all of it in one transaction, or
        none. So a write that loses a race leaves no key behind, and a seal no readable data.
        Through the recorder's own insert, inside its transaction (as bulk loads do):
        PostgreSQL takes the table lock that keeps notification ids in commit order."""
        recorder: Any = self.ledger.recorder
        try:
            with self.datastore.transaction(commit=True) as cursor:
                for client_id, key in (new or {}).items():
                    insert = f"INSERT INTO {self.table} (client_id, key) VALUES (?, ?)"
                    cursor.execute(self.sql(insert), self.insert_params(client_id, key))
                if self.postgres:
                    recorder._insert_stored_events(cursor, events)
                else:
                    recorder._insert_events(cursor, events)
                if destroy is not None:
                    self._delete(cursor, destroy)
        except IntegrityError:
            raise Conflict("another write was recorded first; nothing was written") from None
        if destroy is not None:
            self._checkpoint()

    def _delete(self, cursor: Any, client_id: str) -> None:
        if not self.postgres:
            # Overwrite the deleted key's bytes in the file, whatever the build's default.
            cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute(self.sql(f"DELETE FROM {self.table} WHERE client_id = ?"), (client_id,))

    def _checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the file and empty it, so the page that held
        the key survives in neither (best effort: a reader may hold the log)."""
        if self.postgres:
            return
        with (
            suppress(Exception),
            self.datastore.get_connection(commit=True) as connection,
            connection.cursor() as cursor,  # outside a transaction, as a checkpoint must be
        ):
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def all(self, page: int = 1000) -> Iterator[tuple[str, bytes]]:
        """Every client's key, in client order, a page at a time: a national ledger holds
        millions."""
        last = ""
        statement = (
            f"SELECT client_id, key FROM {self.table} WHERE client_id > ? "
            "ORDER BY client_id LIMIT ?"
        )
        while rows := self.execute(statement, (last, page)):
            for row in rows:
                client_id, stored = (row["client_id"], row["key"]) if isinstance(row, dict) else row
                yield client_id, self.ledger.mapper.unpack(bytes(stored))
            last = client_id
