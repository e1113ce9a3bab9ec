"""Bulk writes in one transaction: an import or a demo is stored whole, or not at all.

The library's recorders insert one batch per transaction. Here we hold one transaction open
and hand it batch after batch through the recorder's own insert statement (SQLite's
`_insert_events`, PostgreSQL's `_insert_stored_events`, which also takes the table lock that
keeps notification ids in commit order). A process killed part-way leaves nothing behind:
SQLite rolls the journal back, PostgreSQL aborts the open transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict, RuleViolated
from reentry_ledger.domain.events import ClientEvent
from reentry_ledger.domain.personal import Protect, encrypt, new_client_key

BATCH = 2000


class BulkWriter:
    def __init__(self, ledger: Ledger, progress: Callable[[int], None] | None = None) -> None:
        self.ledger = ledger
        self.progress = progress
        self.pending: list[StoredEvent] = []
        self.written = 0
        self.keys: dict[str, bytes] = {}  # client keys made in this run, stored with the events
        self.pending_keys: list[tuple[str, bytes]] = []
        self._insert: Callable[[Sequence[StoredEvent]], Any] | None = None
        self._cursor_in_use: Any = None

    def require_empty(self) -> None:
        if self.ledger.recorder.max_notification_id():
            raise RuleViolated(
                f"the ledger at {self.ledger.backend.display} already holds events: "
                "import and demo write only into an empty ledger"
            )

    def add(self, events: Iterable[ClientEvent] | Sequence[Any]) -> None:
        mapper = self.ledger.mapper
        self.add_stored([mapper.to_stored_event(event) for event in events])

    def add_stored(self, stored: Sequence[StoredEvent]) -> None:
        self.pending.extend(stored)
        if len(self.pending) >= BATCH:
            self.flush()

    def protector(self, client: str) -> Protect:
        """Encrypts the client's personal fields under a key stored in this same transaction."""

        def protect(text: str) -> str:
            if client not in self.keys:
                self.add_key(client, new_client_key())
            return encrypt(self.keys[client], client, text)

        return protect

    def add_key(self, client: str, key: bytes) -> None:
        self.keys[client] = key
        self.pending_keys.append((client, key))

    def flush(self) -> None:
        if self.pending_keys and self._cursor_in_use is not None:
            store = self.ledger.keys
            for client, key in self.pending_keys:
                self._cursor_in_use.execute(
                    store.insert_statement(), store.insert_params(client, key)
                )
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
            with self._cursor(recorder) as (cursor, insert):
                self._insert, self._cursor_in_use = insert, cursor
                yield self
                self.flush()
        except IntegrityError as error:
            raise Conflict(f"an event was already stored, nothing was written: {error}") from None
        finally:
            self._insert = self._cursor_in_use = None

    @contextmanager
    def _cursor(
        self, recorder: Any
    ) -> Iterator[tuple[Any, Callable[[Sequence[StoredEvent]], Any]]]:
        if self.ledger.backend.kind == "postgresql":
            with (
                recorder.datastore.get_connection() as connection,
                connection.transaction(),
                connection.cursor() as cursor,
            ):
                yield cursor, lambda batch: recorder._insert_stored_events(cursor, batch)
        else:
            with recorder.datastore.transaction(commit=True) as cursor:
                yield cursor, lambda batch: recorder._insert_events(cursor, batch)
