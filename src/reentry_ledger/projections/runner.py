"""Catch projections up from the notification log, rebuild them, report their positions.

One code path for SQLite and PostgreSQL: pages are read from the event log after the tracked
position (the library's subscriptions are PostgreSQL-only), and each page's rows are written
in one transaction with the new position, through the library's tracking recorder.

Several runner processes may catch up the same projections of one PostgreSQL database: in
each page's transaction a runner first claims each projection (a transaction-scoped advisory
lock, free again at commit), reads its position under that claim, and skips the projections
another runner holds. Each runner counts the runners at work and claims at most its share. So
each page of each projection is applied once, by one runner, and runners share the projections
between them (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import orjson
from eventsourcing.persistence import (
    DatabaseError,
    MapperDeserialisationError,
    OperationalError,
    Tracking,
    TrackingRecorder,
)

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.persistence import PydanticMapper, current_state
from reentry_ledger.projections.base import (
    RETRACT,
    Projection,
    Recorded,
    Statement,
    client_text,
)
from reentry_ledger.projections.catalogue import PROJECTIONS, projection_named
from reentry_ledger.workers import Workers, available

PAGE_SIZE = 50000  # positions of the log a page spans
VERSIONS = "projection_versions"  # which version of each projection its tables hold
BUILDS = "projection_builds"  # projections being built from empty: how far their staged rows reach
BUILD_UPDATES = "projection_build_updates"  # a build's updates, applied once its rows are in place
BUILD_RETRACTIONS = "projection_build_retractions"  # and its retractions, likewise
UPDATES_PAGE = 10000  # a build's updates read back at a time
# A correction's retraction, made on each fact table of a projection: paged in, one event's row
# at a time (when, client_id, number); in a build, every kept retraction at once, the latest
# where an event was retracted twice (as applying them in order would leave it).
RETRACTION = "UPDATE {{{table}}} SET retracted_at = ? WHERE client_id = ? AND number = ?"
BUILD_RETRACTION = (
    "UPDATE {{{table}}} AS target SET retracted_at = r.retracted_at FROM (SELECT retracted_at, "
    "client_id, number, ROW_NUMBER() OVER (PARTITION BY client_id, number ORDER BY position "
    "DESC, step DESC) AS latest FROM {kept} WHERE name = ?) AS r WHERE r.latest = 1 "
    "AND target.client_id = r.client_id AND target.number = r.number"
)
# Build a projection from empty through staged tables when the log holds this many positions
# (measured: 0.46 s staged against 0.40 s paged in at 100,000; 3.7 s against 6.2 s at 1M).
STAGE_FROM = 250_000
WAIT = 0.05  # seconds between looks at projections another runner holds
RETRIES = 100  # pages in a row lost to another process's write: then the database is busy
ANALYZE_AFTER = 100_000  # events read in one catch-up or rebuild: then refresh statistics


@dataclass(frozen=True)
class Status:
    name: str
    description: str
    position: int  # of its rows, or while it is built from empty, of its staged rows
    head: int
    building: bool = False

    @property
    def lag(self) -> int:
        return self.head - self.position


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


class ProjectionStore:
    """The projection tables and tracking rows, in the ledger's own database."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.tracking: TrackingRecorder = ledger.factory.tracking_recorder()
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
    def transaction(self, commit: bool = True) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def create(self, projection: Projection) -> None:
        """Make the projection's tables, first dropping any made by another version of it
        (its position goes with them, so the next catch-up builds it again from the start)."""
        with self.transaction() as cursor:
            if self.postgres:  # runners starting together: one creates, the others wait
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key(projection),))
            versions = self.prefix + VERSIONS
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {versions} (name TEXT PRIMARY KEY, version INTEGER)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILDS} "
                "(name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILD_UPDATES} (name TEXT NOT NULL, "
                "client_id TEXT NOT NULL, position INTEGER NOT NULL, step INTEGER NOT NULL, "
                "statement TEXT NOT NULL, params TEXT NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILD_RETRACTIONS} (name TEXT NOT NULL, "
                "retracted_at TEXT NOT NULL, client_id TEXT NOT NULL, number INTEGER NOT NULL, "
                "position INTEGER NOT NULL, step INTEGER NOT NULL)"
            )
            name = (projection.name,)
            found = fetched(
                cursor, self.sql(f"SELECT version FROM {versions} WHERE name = ?"), name
            )
            if not found or found[0][0] != projection.version:
                for table in projection.tables:
                    cursor.execute(self.sql(f"DROP TABLE IF EXISTS {{{table}}}", [table]))
                self.forget(cursor, projection)
                cursor.execute(self.sql(f"DELETE FROM {versions} WHERE name = ?"), name)
                cursor.execute(
                    self.sql(f"INSERT INTO {versions} (name, version) VALUES (?, ?)"),
                    (projection.name, projection.version),
                )
            for table, columns in projection.tables.items():
                # SQLite: rows kept in key order, found in one descent rather than two.
                keyed = "PRIMARY KEY" in columns
                clustered = " WITHOUT ROWID" if keyed and not self.postgres else ""
                statement = f"CREATE TABLE IF NOT EXISTS {{{table}}} ({columns}){clustered}"
                cursor.execute(self.sql(statement, [table]))
            for index in projection.indexes:
                table, _, columns = index.partition("(")
                name_ = f"{table}_{columns.rstrip(')').replace(', ', '_')}_idx"
                statement = f"CREATE INDEX IF NOT EXISTS {name_} ON {{{table}}} ({columns}"
                cursor.execute(self.sql(statement, [table]))

    def events(self, cursor: Any, after: int, last: int, topics: Sequence[str]) -> list[StoredRow]:
        """The log's rows past `after` up to `last` with one of `topics`, read on this
        connection, states unsealed: for a database no other process can open."""
        here = self.log("")
        statement, params = here.statement(len(topics)), (after, last, *topics)
        if self.postgres:
            return here.unsealed(fetched(cursor, statement, params))
        raw = cursor.sqlite_cursor  # plain tuples, not the library's named rows: far cheaper
        raw.row_factory = None
        try:
            raw.execute(statement, params)
            return here.unsealed(raw.fetchall())
        finally:
            raw.row_factory = sqlite3.Row

    @cached_property
    def source(self) -> LogSource | None:
        """Where workers may read the log themselves (None: an in-memory SQLite database)."""
        env = self.ledger.backend.env
        if not self.postgres:
            path = env["SQLITE_DBNAME"]
            return None if path == ":memory:" or path.startswith("file:") else self.log(path)
        from psycopg.conninfo import make_conninfo

        return self.log(
            make_conninfo(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"] or None,
            )
        )

    def log(self, connect: str) -> LogSource:
        mapper = self.ledger.mapper
        unsealer = mapper if mapper.cipher or mapper.compressor else None
        kind = self.ledger.backend.kind
        return LogSource(kind, connect, self.prefix + self.events_table, unsealer)

    def position(self, projection: Projection, cursor: Any = None) -> int:
        if cursor is None:
            return self.tracking.max_tracking_id(projection.name) or 0
        statement = f"SELECT notification_id FROM {self.tracking_table} WHERE application_name = ?"
        found = fetched(cursor, self.sql(statement), (projection.name,))
        return int(found[0][0]) if found and found[0][0] is not None else 0

    def claim(self, cursor: Any, candidates: Sequence[Projection], share: int) -> list[Projection]:
        """The projections this transaction may apply events to, at most `share` of them: on
        PostgreSQL, those whose advisory lock it takes first (another runner holds the rest
        until it commits)."""
        if not self.postgres:
            return list(candidates)  # SQLite has one writer at a time
        claimed: list[Projection] = []
        for projection in candidates:
            if len(claimed) == share:
                break
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (self.lock_key(projection),))
            if first_value(cursor.fetchone()) is True:
                claimed.append(projection)
        return claimed

    @contextmanager
    def present(self) -> Iterator[Callable[[], int]]:
        """While a runner works, it is counted among the runners of this ledger (PostgreSQL: a
        session advisory lock under the ledger's key, held on a connection of its own).
        Yields the count of runners now at work, this one included."""
        if not self.postgres:
            yield lambda: 1
            return
        ledger_key = int.from_bytes(hashlib.sha256(self.prefix.encode()).digest()[:4]) >> 1
        me = random.randrange(1, 2**31)
        count = (
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objsubid = 2 AND classid = %s::oid AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )

        def runners() -> int:
            with connection.cursor() as cursor:
                cursor.execute(count, (ledger_key,))
                return int(first_value(cursor.fetchone()))

        with self.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s, %s)", (ledger_key, me))
            try:
                yield runners
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s, %s)", (ledger_key, me))

    def lock_key(self, projection: Projection) -> int:
        name = f"reentry-ledger projection {self.prefix}{projection.name}".encode()
        return int.from_bytes(hashlib.sha256(name).digest()[:8], "big", signed=True)

    def write(
        self,
        cursor: Any,
        page: dict[Projection, Rows],
        notification_id: int,
        builds: dict[Projection, int],
        head: int,
    ) -> None:
        """Write a page's rows for each projection and their new positions.

        A projection inserts only rows of its own events (each new), marks rows of earlier
        events retracted, and updates only rows already there or recomputes a value from what
        is there after each change it depends on; an event's statements touch only its own
        client's rows. So a page's inserts go first, each table's in one `executemany` in key
        order, then its retractions, then its updates in the order they came: the same tables
        as writing each event in turn, with far fewer round trips.

        A projection being built from empty (`builds`) takes this further across the whole log:
        its rows are appended to staged tables without keys, its retractions and updates kept,
        and once the build reaches `head` the rows go into the keyed tables in key order, the
        retractions are made in one statement per table, the updates follow client by client,
        each client's in the order they came, and each `refresh` runs once over every row
        instead of client by client (`finish_build`). Inserting millions of rows at random
        places in keyed tables was most of a rebuild's time; appending and sorting once is not.
        """
        for projection, rows in page.items():
            staged = projection in builds
            for statement, params in rows.inserts.items():
                if not staged:
                    params.sort(key=itemgetter(0, 1))  # (client_id, number): the primary key
                cursor.executemany(self.sql(statement, projection.tables, staged), params)
            if staged:
                self.stage_updates(cursor, projection, rows, notification_id)
                if notification_id >= head:
                    self.finish_build(cursor, projection, notification_id)
                continue
            if rows.retractions:
                for table in projection.fact_tables:
                    statement = self.sql(RETRACTION.format(table=table), projection.tables)
                    cursor.executemany(statement, rows.retractions)
            updates = [(statement, values) for _, statement, values in rows.updates]
            for statement, params in runs(updates):
                cursor.executemany(self.sql(statement, projection.tables), params)
            self.track(cursor, projection, notification_id)

    def track(self, cursor: Any, projection: Projection, notification_id: int) -> None:
        tracking = Tracking(projection.name, notification_id)
        self.tracking._insert_tracking(cursor, tracking)  # type: ignore[attr-defined]

    def builds(
        self, cursor: Any, claimed: Sequence[Projection], head: int, stage_from: int
    ) -> dict[Projection, int]:
        """The claimed projections being built from empty, with how far their staged rows
        reach. A claimed projection that has applied nothing yet begins its build here when
        the log holds at least `stage_from` positions (below that, paging in is quicker). A
        build whose staged rows already reach `head` (staged by a runner that saw a later
        head, and stopped) is finished here."""
        found = self.staged_positions(cursor)
        builds: dict[Projection, int] = {}
        for projection in claimed:
            if projection.name in found:
                if found[projection.name] >= head:
                    self.finish_build(cursor, projection, found[projection.name])
                else:
                    builds[projection] = found[projection.name]
            elif head >= max(stage_from, 1) and self.position(projection, cursor) == 0:
                for table in projection.tables:  # the same columns, without keys
                    cursor.execute(
                        f"CREATE TABLE {self.prefix}{staged_name(table)} AS "
                        f"SELECT * FROM {self.prefix}{table} WHERE 1 = 0"
                    )
                cursor.execute(
                    self.sql(f"INSERT INTO {self.prefix}{BUILDS} (name, position) VALUES (?, 0)"),
                    (projection.name,),
                )
                builds[projection] = 0
        return builds

    def staged_positions(self, cursor: Any = None) -> dict[str, int]:
        """The projections being built from empty, by name, and how far their staged rows reach."""
        statement = f"SELECT name, position FROM {self.prefix}{BUILDS}"
        found = self.rows(statement) if cursor is None else fetched(cursor, statement, ())
        return {str(name): int(position) for name, position in found}

    def stage_updates(self, cursor: Any, projection: Projection, rows: Rows, position: int) -> None:
        """Keep a page's retractions and updates of a build, in order (less the refreshes
        made whole at the end), and note how far the build reaches."""
        refreshes = projection.per_client()
        cursor.executemany(
            self.sql(
                f"INSERT INTO {self.prefix}{BUILD_UPDATES} "
                "(name, client_id, position, step, statement, params) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            [
                (projection.name, client, position, step, statement, orjson.dumps(values).decode())
                for step, (client, statement, values) in enumerate(rows.updates)
                if statement not in refreshes
            ],
        )
        cursor.executemany(
            self.sql(
                f"INSERT INTO {self.prefix}{BUILD_RETRACTIONS} "
                "(name, retracted_at, client_id, number, position, step) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            [
                (projection.name, *retraction, position, step)
                for step, retraction in enumerate(rows.retractions)
            ],
        )
        cursor.execute(
            self.sql(f"UPDATE {self.prefix}{BUILDS} SET position = ? WHERE name = ?"),
            (position, projection.name),
        )

    def finish_build(self, cursor: Any, projection: Projection, position: int) -> None:
        """Put a build's staged rows into the keyed tables in key order, then apply its updates
        in the order they came, and record its position: from now on it is caught up page by
        page."""
        for table, columns in projection.tables.items():
            staged = self.prefix + staged_name(table)
            cursor.execute(
                f"INSERT INTO {self.prefix}{table} SELECT * FROM {staged} "
                f"ORDER BY {primary_key(columns)}"
            )
            cursor.execute(f"DROP TABLE {staged}")
        for table in projection.fact_tables:
            statement = BUILD_RETRACTION.format(table=table, kept=self.prefix + BUILD_RETRACTIONS)
            cursor.execute(self.sql(statement, projection.tables), (projection.name,))
        kept = self.sql(
            f"SELECT statement, params FROM {self.prefix}{BUILD_UPDATES} WHERE name = ? "
            "ORDER BY client_id, position, step"
        )
        for batch in self.streamed(cursor, kept, (projection.name,)):
            statements = [(statement, tuple(orjson.loads(params))) for statement, params in batch]
            for statement, params in runs(statements):
                cursor.executemany(self.sql(statement, projection.tables), params)
        for statement in projection.refresh:
            cursor.execute(self.sql(statement, projection.tables))
        self.drop_build(cursor, projection)
        self.track(cursor, projection, position)

    def streamed(
        self, cursor: Any, statement: str, params: tuple[Any, ...]
    ) -> Iterator[list[tuple[Any, ...]]]:
        """A query's rows in batches, read alongside other statements in the same transaction
        (a second cursor on the same connection: SQLite's own, or PostgreSQL's server side)."""
        if self.postgres:
            reader = cursor.connection.cursor(name=f"stream_{random.randrange(2**31)}")
        else:
            reader = cursor.sqlite_cursor.connection.cursor()
            reader.row_factory = None
        try:
            reader.execute(statement, params)
            while batch := reader.fetchmany(UPDATES_PAGE):
                yield [plain(row) for row in batch]
        finally:
            reader.close()

    def drop_build(self, cursor: Any, projection: Projection) -> None:
        for table in projection.tables:
            cursor.execute(f"DROP TABLE IF EXISTS {self.prefix}{staged_name(table)}")
        for kept in (BUILDS, BUILD_UPDATES, BUILD_RETRACTIONS):
            cursor.execute(
                self.sql(f"DELETE FROM {self.prefix}{kept} WHERE name = ?"), (projection.name,)
            )

    def analyze(self, projections: Sequence[Projection]) -> None:
        """PostgreSQL: fresh planner statistics for tables that have just grown a lot (until
        autovacuum comes by, a table filled in one go has none, and reports plan badly)."""
        if self.postgres:
            with self.transaction() as cursor:
                for projection in projections:
                    for table in projection.tables:
                        cursor.execute(self.sql(f"ANALYZE {{{table}}}", [table]))

    def clear(self, projection: Projection) -> None:
        """Empty the projection's tables and forget its position, in one transaction."""
        with self.transaction() as cursor:
            for table in projection.tables:
                cursor.execute(self.sql(f"DELETE FROM {{{table}}}", [table]))
            self.forget(cursor, projection)

    def forget(self, cursor: Any, projection: Projection) -> None:
        """Drop the projection's position and any build under way: its next catch-up starts
        from the beginning."""
        cursor.execute(
            self.sql(f"DELETE FROM {self.tracking_table} WHERE application_name = ?"),
            (projection.name,),
        )
        self.drop_build(cursor, projection)

    def rows(
        self, statement: str, params: Sequence[Any] = (), tables: Iterable[str] = ()
    ) -> list[Any]:
        with self.transaction(commit=False) as cursor:
            return fetched(cursor, self.sql(statement, tables), params)


def staged_name(table: str) -> str:
    return f"{table}_staged"


def primary_key(columns: str) -> str:
    """The key columns in column definitions: "PRIMARY KEY (a, b)" or "a TEXT PRIMARY KEY"."""
    if "PRIMARY KEY (" in columns:
        return columns.split("PRIMARY KEY (", 1)[1].split(")", 1)[0]
    before = columns.split(" PRIMARY KEY", 1)[0]
    return before.rsplit(",", 1)[-1].split()[0]


def first_value(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def fetched(cursor: Any, statement: str, params: Sequence[Any] | dict[str, Any]) -> list[Any]:
    cursor.execute(statement, params if isinstance(params, dict) else tuple(params))
    return [plain(row) for row in cursor.fetchall()]


def plain(row: Any) -> tuple[Any, ...]:
    """A row as a tuple, whichever the driver's row type (PostgreSQL's come as dicts)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class ProjectionRunner:
    def __init__(
        self,
        ledger: Ledger,
        projections: Sequence[Projection] = PROJECTIONS,
        page_size: int = PAGE_SIZE,
        workers: int | None = None,
        stage_from: int = STAGE_FROM,
    ) -> None:
        self.ledger = ledger
        self.workers = available() if workers is None else workers
        self.store = ProjectionStore(ledger)
        self.projections = list(projections)
        self.page_size = page_size
        self.stage_from = stage_from
        for projection in self.projections:
            self.store.create(projection)

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def status(self) -> list[Status]:
        head = self.head()
        builds = self.store.staged_positions()
        return [
            Status(p.name, p.description, builds[p.name], head, building=True)
            if p.name in builds
            else Status(p.name, p.description, self.store.position(p), head)
            for p in self.projections
        ]

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply every event recorded since each projection's position. Returns events read."""
        return self._advance(self.projections, progress)

    def rebuild(
        self, names: Sequence[str] = (), progress: Callable[[int], None] | None = None
    ) -> int:
        chosen = [projection_named(n) for n in names] if names else self.projections
        for projection in chosen:
            self.store.clear(projection)
        return self._advance(chosen, progress)

    def _advance(
        self, projections: Sequence[Projection], progress: Callable[[int], None] | None
    ) -> int:
        """Bring the projections up to the head of the log as it is now, page by page, each
        page in one transaction. Returns the events this runner read for them.

        A page is one pass over the log from the furthest-behind position: each event is
        decoded once and given to every claimed projection that has not applied it and reads
        its topic. While one page is written, worker processes already turn the next into
        rows (used if the positions are then as foreseen). Projections another runner holds
        are left to it; this runner returns once every one of them has reached the head,
        whoever brought it there."""
        head, read, busy = self.head(), 0, 0
        start = random.randrange(len(projections))  # runners look in different orders
        order = [*projections[start:], *projections[:start]]
        with Workers(self.workers) as workers, self.store.present() as runners:
            ahead: Page | None = None
            while True:
                try:
                    with self.store.transaction() as cursor:
                        hint = [p for p in order if self.store.position(p, cursor) < head]
                        share = -(-len(hint) // runners())  # a fair share, rounded up
                        claimed = self.store.claim(cursor, hint, share)
                        builds = self.store.builds(cursor, claimed, head, self.stage_from)
                        positions = {
                            p: builds[p] if p in builds else self.store.position(p, cursor)
                            for p in claimed
                        }
                        behind = [p for p in claimed if positions[p] < head]
                        count = 0
                        if behind:
                            page = ahead
                            if page is None or not page.planned_from(positions, behind):
                                page = self._read(cursor, workers, behind, positions, head)
                            after = {**positions, **dict.fromkeys(page.readers, page.last)}
                            following = [p for p in claimed if after[p] < head]
                            ahead = None
                            if following:  # the next page, turned into rows while this is written
                                ahead = self._read(cursor, workers, following, after, head)
                            count = self._write(cursor, page, builds, head)
                except OperationalError as error:  # SQLite: another process wrote first
                    ahead = None
                    busy += 1
                    if busy > RETRIES:
                        raise Conflict(f"the database stayed busy: {error}") from error
                    time.sleep(WAIT)
                    continue
                busy = 0
                read += count
                if progress and count:
                    progress(count)
                if behind:
                    continue
                if all(self.store.position(p) >= head for p in projections):
                    if read >= ANALYZE_AFTER:
                        self.store.analyze(projections)
                    return read
                time.sleep(WAIT)  # the rest are another runner's, for now

    def _read(
        self,
        cursor: Any,
        workers: Workers,
        behind: list[Projection],
        positions: dict[Projection, int],
        head: int,
    ) -> Page:
        """Set workers reading the next page of the log, each a run of positions, and turning
        it into rows. A page spans `page_size` positions, or up to the head: each position
        then says "applied everything up to here", so the lag is honest."""
        position = min(positions[p] for p in behind)
        last = min(position + self.page_size, head)
        readers = [p for p in behind if positions[p] < last]
        since = {p.name: positions[p] for p in readers}
        runs = [(low, min(low + CHUNK, last)) for low in range(position, last, CHUNK)]
        source = self.store.source
        chunks: list[Work]
        if source is None:  # a database only this connection sees: read here, hand rows over
            topics = sorted({topic for p in readers for topic in p.topics})
            chunks = [
                (readers, since, self.store.events(cursor, low, high, topics), (low, high))
                for low, high in runs
            ]
        else:
            chunks = [(readers, since, source, run) for run in runs]
        return Page(
            {p: positions[p] for p in behind}, readers, last, workers.start(rows_of, chunks)
        )

    def _write(self, cursor: Any, page: Page, builds: dict[Projection, int], head: int) -> int:
        """Write a page's rows; returns the events read for it."""
        rows, count = {p: Rows() for p in page.readers}, 0
        for chunk, read in page.rows():
            count += read
            for projection, made in zip(page.readers, chunk, strict=True):
                rows[projection].extend(made)
        self.store.write(cursor, rows, page.last, builds, head)
        return count


Update = tuple[str, str, tuple[Any, ...]]  # the client whose event made it, statement, values


@dataclass
class Rows:
    """A projection's rows from a run of events: inserts by statement, then retractions
    (when, client_id, number) and updates, each in order."""

    inserts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    retractions: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)

    def add(self, client_id: str, statements: Iterable[Statement]) -> None:
        for statement, values in statements:
            if statement.startswith("INSERT"):
                self.inserts.setdefault(statement, []).append(values)
            elif statement == RETRACT:
                self.retractions.append(values)
            else:
                self.updates.append((client_id, statement, values))

    def extend(self, more: Rows) -> None:
        for statement, values in more.inserts.items():
            self.inserts.setdefault(statement, []).extend(values)
        self.retractions.extend(more.retractions)
        self.updates.extend(more.updates)


@dataclass
class Page:
    """A page of the log on its way into the projections."""

    since: dict[Projection, int]  # the positions it was read from
    readers: list[Projection]  # the projections it brings forward, to `last`
    last: int
    rows: Callable[[], list[tuple[list[Rows], int]]]  # each chunk's: each reader's, events read

    def planned_from(self, positions: dict[Projection, int], behind: list[Projection]) -> bool:
        return self.since == {p: positions[p] for p in behind}


CHUNK = 2500  # positions of the log a worker reads and turns into rows at a time
StoredRow = tuple[int, Any, int, str, bytes]  # position, client id, number, topic, state


@dataclass(frozen=True)
class LogSource:
    """Where a worker process reads the log itself: a SQLite file or a PostgreSQL database
    (its own connection, kept for the life of the process). Positions up to the head are
    never written again, so a worker's reads agree with the writer's."""

    kind: str  # "sqlite" or "postgresql"
    connect: str  # the SQLite file, or a PostgreSQL connection string
    table: str  # the events table, qualified
    mapper: PydanticMapper | None  # to unseal states stored compressed or encrypted

    def statement(self, topics: int) -> str:
        """Rows past a position up to another, with one of `topics` topics, in order."""
        postgres = self.kind == "postgresql"
        position = "notification_id" if postgres else "rowid"
        marker = "%s" if postgres else "?"
        return (
            f"SELECT {position}, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE {position} > {marker} AND {position} <= {marker} "
            f"AND topic IN ({', '.join([marker] * topics)}) ORDER BY {position}"
        )

    def rows(self, after: int, last: int, topics: Sequence[str]) -> list[StoredRow]:
        found = opened(self).execute(self.statement(len(topics)), (after, last, *topics))
        return self.unsealed(found.fetchall())

    def unsealed(self, rows: list[StoredRow]) -> list[StoredRow]:
        if self.mapper is None:
            return rows
        unseal = self.mapper.unseal
        return [(n, c, v, topic, unseal(state)) for n, c, v, topic, state in rows]


_OPENED: dict[tuple[int, str, str], Any] = {}


def opened(source: LogSource) -> Any:
    """This process's connection to the log (autocommit: each read sees what is committed).
    Keyed by process too: a forked worker never uses a connection its parent opened."""
    key = (os.getpid(), source.kind, source.connect)
    if key not in _OPENED:
        if source.kind == "postgresql":
            import psycopg

            _OPENED[key] = psycopg.connect(source.connect, autocommit=True)
        else:
            uri = Path(source.connect).resolve().as_uri()  # spaces, "#" and "?" escaped
            _OPENED[key] = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    return _OPENED[key]


Work = tuple[list[Projection], dict[str, int], LogSource | list[StoredRow], tuple[int, int]]


def rows_of(work: Work) -> tuple[list[Rows], int]:
    """Each projection's rows from a run of the log, and the count of events read. The worker
    reads the run itself from `source` (or is handed its rows, for a database it cannot open)
    and decodes each event once. Runs in a worker process: plain data in and out."""
    projections, since, source, (low, high) = work
    topics = sorted({topic for projection in projections for topic in projection.topics})
    try:
        events = source.rows(low, high, topics) if isinstance(source, LogSource) else source
    except Exception as error:  # not a conflict to retry: the log cannot be read from here
        raise DatabaseError(f"a projection worker could not read the log: {error}") from None
    made = [Rows() for _ in projections]
    readers: dict[str, list[tuple[Projection, int, Rows]]] = {}  # by topic
    for projection, rows in zip(projections, made, strict=True):
        for topic in projection.topics:
            readers.setdefault(topic, []).append((projection, since[projection.name], rows))
    clients: dict[Any, str] = {}  # each client's id as the projections keep it, made once
    for notification_id, client, number, topic, state in events:
        event: Recorded | None = None
        for projection, after, rows in readers.get(topic, ()):
            if notification_id > after:
                try:
                    if event is None:
                        if client not in clients:
                            clients[client] = client_text(client)
                        event = Recorded(
                            topic, clients[client], number, current_state(topic, state)
                        )
                    rows.add(event.client_id, projection.statements(event))
                except (KeyError, TypeError, ValueError) as error:
                    raise MapperDeserialisationError(
                        f"cannot project stored event {client} #{number} ({topic}) into "
                        f"{projection.name}: {type(error).__name__} {error}"
                    ) from error
    return made, len(events)
