"""The ledger's PostgreSQL recorder: the library's, opened where an import holds the event table.

An import's `COPY` holds the event table's lock (EXCLUSIVE) until it commits, as every write
takes it for a moment to keep notification ids in commit order. A write waits for it up to the
lock timeout (backends.POSTGRES_LOCK_TIMEOUT_SECONDS) and is then told the ledger is busy. Two
things in the library waited longer (ADR 0058):

- Opening a ledger runs the library's `CREATE UNIQUE INDEX IF NOT EXISTS` on the event table,
  which takes a lock on the table before it looks whether the index exists, and with no lock
  timeout: every command that records, started during an import, waited for the import to end.
  An index that exists is not made again here: looked up in the catalogue, which takes no lock.
- The library tries a write again on any operational error, ten times: a write behind an
  import waited ten lock timeouts (152 s at 15 s). A lock not got is not tried again here
  (a lost connection still is, as the library does).

It also opens an event table partitioned by hash of the client id (partitioning.py): there it
leaves out the unique index on the notification id, which PostgreSQL cannot make on such a
table (the table has its plain index of that name).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from random import random
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from reentry_ledger.contention import lock_not_got

ATTEMPTS, PAUSE = 10, 0.2  # the library's, for a lost connection

INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s"


class LedgerRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        found = self.indexes_found()
        self.sql_create_statements = [
            statement
            for statement in self.sql_create_statements
            if not any(made_index(statement.as_string(), index) for index in found)
        ]
        super().create_table()

    def indexes_found(self) -> set[str]:
        """The event table's indexes: a partitioned table's plain index on the notification id
        has the name of the library's unique one, so that is left out there too."""
        schema, table = self.datastore.schema, self.events_table_name
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(INDEXES, (schema, table))
            return {first(row) for row in cursor.fetchall()}

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        insert = PostgresApplicationRecorder.insert_events.__wrapped__
        attempt = 1
        while True:
            try:
                return insert(self, stored_events, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if lock_not_got(error) or attempt == ATTEMPTS:
                    raise
            attempt += 1
            time.sleep(PAUSE * (1 + 0.1 * (random() - 0.5)))


def made_index(statement: str, index: str) -> bool:
    """Whether `statement` makes the index named `index` (as the library writes it)."""
    return "CREATE" in statement and " INDEX " in statement and f'"{index}"' in statement


def first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
