"""The CSV files imported into a ledger, by their contents' digest (ADR 62): a file imported
twice recorded every row twice (its violations counted twice in the audit report), and only
an agency's ids within one file were checked. An import looks here once it has read its
file (the digest of the bytes read) and holds the ledger, and is refused a file held unless
told to import it once more (`--again`); it adds the file in the transaction that writes its
events, so a file is held exactly when its events are.

The register is a guard, not a record: the events are the record, and the register is not
part of the hash chain, an export or a restore (a restored copy holds no imports). Its table
is made by the first CSV import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TABLE = "imported_files"
COLUMNS = "digest, occurrence, name, imported_at, imported_by, rows, events"


@dataclass(frozen=True)
class ImportedFile:
    """A file imported: its digest, which import of it this was (0 the first), its name
    (without its folder), when and by whom, and what it made."""

    digest: str
    occurrence: int
    name: str
    imported_at: str  # ISO, UTC
    imported_by: str
    rows: int
    events: int

    def said(self) -> str:
        return (
            f"{self.name} on {self.imported_at[:16].replace('T', ' ')} UTC by "
            f"{self.imported_by} ({self.rows} rows, {self.events} events)"
        )


class ImportRegister:
    """The table `imported_files`, in the ledger's database (its schema on PostgreSQL)."""

    def __init__(self, ledger: Any) -> None:
        self.datastore: Any = ledger.recorder.datastore
        self.postgres = ledger.backend.kind == "postgresql"
        schema = getattr(self.datastore, "schema", None)
        self.qualified = f"{schema}.{TABLE}" if self.postgres and schema else TABLE
        self.table = f'"{schema}".{TABLE}' if self.postgres and schema else TABLE

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.postgres else statement

    def found(self, digest: str) -> list[ImportedFile]:
        """The imports of the file with this digest, the first first (none where no CSV import
        made the table yet)."""
        from reentry_ledger.projections.database import fetched

        with self.datastore.transaction(commit=False) as cursor:
            if self.postgres:  # looked for, not read: a missing table would end the transaction
                there = fetched(cursor, "SELECT to_regclass(%s)", (self.qualified,))[0][0]
            else:
                there = fetched(cursor, "SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,))
            if not there:
                return []
            statement = f"SELECT {COLUMNS} FROM {self.table} WHERE digest = ? ORDER BY occurrence"
            rows = fetched(cursor, self.sql(statement), (digest,))
        return [ImportedFile(*row) for row in rows]

    def statements(self) -> tuple[str, str]:
        """What makes the table where it is not, and what adds a file to it: the digest and
        its occurrence are its key, a backstop behind the look-up made under the lock."""
        create = (
            f"CREATE TABLE IF NOT EXISTS {self.table} (digest TEXT NOT NULL, occurrence "
            "INTEGER NOT NULL, name TEXT NOT NULL, imported_at TEXT NOT NULL, imported_by "
            "TEXT NOT NULL, rows INTEGER NOT NULL, events INTEGER NOT NULL, "
            "PRIMARY KEY (digest, occurrence))"
        )
        insert = self.sql(f"INSERT INTO {self.table} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)")
        return create, insert
