"""The ledger's database as the projections use it: names qualified by schema, the driver's
placeholder, transactions, each projection's position in the library's tracking table; and
rows as plain tuples, whichever the driver."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast
from weakref import WeakKeyDictionary

from eventsourcing.persistence import Tracking, TrackingRecorder

from reentry_ledger.application import Ledger
from reentry_ledger.projections.base import Projection, Statement


class ProjectionDatabase:
    """What every part of the projection store stands on: the ledger's own database."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.tracking = tracking_recorder(ledger)
        self.datastore: Any = self.tracking.datastore  # type: ignore[attr-defined]
        self.postgres = ledger.backend.kind == "postgresql"
        schema = getattr(self.datastore, "schema", None)
        self.prefix = f'"{schema}".' if self.postgres and schema else ""
        self.events_table: str = cast(Any, ledger.recorder).events_table_name
        self.tracking_table = self.prefix + getattr(
            self.tracking, "tracking_table_name", "tracking"
        )

    def sql(self, statement: str, tables: Iterable[str] = (), staged: bool = False) -> str:
        """Qualify {table} names (or name their staged tables), and use the driver's placeholder."""
        names = {name: self.prefix + (staged_name(name) if staged else name) for name in tables}
        statement = statement.format(**names) if names else statement
        return statement.replace("?", "%s") if self.postgres else statement

    @contextmanager
    def transaction(self, commit: bool = True, wait: bool = True) -> Iterator[Any]:
        """A transaction on a connection of the pool. Without `wait`, on SQLite: fail at once
        when the pool has no connection free, and take a connection without the pool's
        writer interlock (one writing thread of the process at a time), which would wait for
        another thread's write: SQLite's own lock refuses a write that would have to wait for
        another connection's, in a transaction that has read first (its busy handler is
        called only before a transaction's first read)."""
        if wait or self.postgres:
            with self.datastore.transaction(commit=commit) as cursor:
                yield cursor
            return
        pool = self.datastore.pool
        connection = pool.get_connection(timeout=0)
        try:
            with connection.transaction(commit=commit) as cursor:
                yield cursor
        finally:
            pool.put_connection(connection)

    def has_table(self, cursor: Any, table: str) -> bool:
        """Is there a table `table` (in the ledger's schema)? Looked for, not read: on
        PostgreSQL a statement on a missing table would end the caller's transaction."""
        if self.postgres:
            return bool(fetched(cursor, "SELECT to_regclass(%s)", (self.prefix + table,))[0][0])
        return bool(fetched(cursor, "SELECT 1 FROM sqlite_master WHERE name = ?", (table,)))

    def rows(
        self, statement: str, params: Sequence[Any] = (), tables: Iterable[str] = ()
    ) -> list[Any]:
        with self.transaction(commit=False) as cursor:
            return fetched(cursor, self.sql(statement, tables), params)

    def position(self, projection: Projection, cursor: Any = None) -> int:
        return self.positions([projection], cursor)[projection]

    def positions(
        self, projections: Sequence[Projection], cursor: Any = None
    ) -> dict[Projection, int]:
        """Each projection's position (0 before its first page), read in one statement."""
        if cursor is None:
            with self.transaction(commit=False) as reading:
                return self.positions(projections, reading)
        names = [projection.name for projection in projections]
        statement = (
            f"SELECT application_name, MAX(notification_id) FROM {self.tracking_table} "
            f"WHERE application_name IN ({', '.join('?' * len(names))}) GROUP BY application_name"
        )
        found = dict(fetched(cursor, self.sql(statement), names)) if names else {}
        return {projection: int(found.get(projection.name) or 0) for projection in projections}

    def track(self, cursor: Any, projection: Projection, notification_id: int) -> None:
        tracking = Tracking(projection.name, notification_id)
        self.tracking._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]


# Each open ledger's tracking recorder: the library makes its table each time it makes one (a
# statement or two on the server), and a command opens the projections' store several times
_TRACKING: WeakKeyDictionary[Ledger, TrackingRecorder] = WeakKeyDictionary()


def tracking_recorder(ledger: Ledger) -> TrackingRecorder:
    """The library's tracking recorder of the ledger's database, made once a ledger."""
    recorder = _TRACKING.get(ledger)
    if recorder is None:
        recorder = _TRACKING[ledger] = ledger.factory.tracking_recorder()
    return recorder


def staged_name(table: str) -> str:
    return f"{table}_staged"


def runs(statements: Sequence[Statement]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Group consecutive statements with the same text, keeping their order."""
    current = ""
    params: list[tuple[Any, ...]] = []
    for statement, values in statements:
        if statement != current and params:
            yield current, params
            params = []
        current = statement
        params.append(values)
    if params:
        yield current, params


def first_value(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def fetched(cursor: Any, statement: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
    cursor.execute(statement, params if isinstance(params, dict) else tuple(params))
    return [plain(row) for row in cursor.fetchall()]


def plain(row: Any) -> tuple[Any, ...]:
    """A row as a tuple, whichever the driver's row type (PostgreSQL's come as dicts)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
