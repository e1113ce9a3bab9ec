"""The ledger's own secrets: random bytes it makes for itself and never hands out.

One table, `ledger_secrets` (a name, the secret), beside `client_keys` and, like it, outside
the event log; under a ledger key (encryption at rest) each secret is stored encrypted with it.
A secret is made on first use. The de-identified export derives its pseudonym keys from the one
named `pseudonyms` (export/deidentified.py), the projections key their client ids with the one
named `projection client ids` (projections/base.py): no requester ever supplies or sees them.
"""

from __future__ import annotations

import secrets
from typing import Any

from eventsourcing.persistence import PersistenceError

from reentry_ledger.keys import TABLE as KEYS_TABLE

TABLE = "ledger_secrets"
PSEUDONYMS = "pseudonyms"
PROJECTION_IDS = "projection client ids"  # keys client ids in the projection tables


class LedgerSecrets:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        keys = ledger.keys  # the same database, schema and placeholders as the client keys
        self.datastore: Any = keys.datastore
        self.postgres: bool = keys.postgres
        self.sql = keys.sql
        self.table = keys.table.replace(KEYS_TABLE, TABLE)

    def secret(self, name: str) -> bytes:
        """The secret called `name`, made (32 random bytes) and stored if there is none yet.
        A ledger opened read-only makes it through a connection of its own that may write."""
        found = self.stored(name)
        if found is not None:
            return found
        if self.ledger.backend.read_only:
            return self.made_by_a_writer(name)
        return self.make(name)

    def stored(self, name: str) -> bytes | None:
        statement = self.sql(f"SELECT secret FROM {self.table} WHERE name = ?")
        try:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (name,))
                rows = list(cursor.fetchall())
        except PersistenceError:  # no table yet (a ledger that never made a secret)
            return None
        if not rows:
            return None
        stored = rows[0]["secret"] if isinstance(rows[0], dict) else rows[0][0]
        secret: bytes = self.ledger.mapper.unpack(bytes(stored))
        return secret

    def make(self, name: str) -> bytes:
        """Store a new secret unless another process stored one first; return the one stored."""
        kind = "BYTEA" if self.postgres else "BLOB"
        columns = f"name TEXT PRIMARY KEY, secret {kind} NOT NULL"
        insert = f"INSERT INTO {self.table} (name, secret) VALUES (?, ?) ON CONFLICT DO NOTHING"
        secret = self.ledger.mapper.pack(secrets.token_bytes(32))
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({columns})")
            cursor.execute(self.sql(insert), (name, secret))
        made = self.stored(name)
        assert made is not None  # just stored, by us or by a process that won the race
        return made

    def made_by_a_writer(self, name: str) -> bytes:
        from reentry_ledger.application import Ledger
        from reentry_ledger.backends import parse_db_url

        writer = Ledger(parse_db_url(self.ledger.backend.url), clock=self.ledger.clock)
        try:
            return LedgerSecrets(writer).make(name)
        finally:
            writer.close()
