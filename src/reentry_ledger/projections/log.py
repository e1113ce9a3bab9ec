"""Reading the notification log: where a worker process reads it, and the rows each projection
makes of a run of it (in a worker: plain data in and out)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eventsourcing.persistence import DatabaseError, MapperDeserialisationError

from reentry_ledger.domain.personal import SEALED, UNREADABLE, decrypt, is_protected
from reentry_ledger.persistence import PydanticMapper, current_state
from reentry_ledger.projections.base import (
    RETRACT,
    Makes,
    Projection,
    Recorded,
    Statement,
    client_text,
    keyed_client_id,
)
from reentry_ledger.projections.database import ProjectionDatabase, fetched

StoredRow = tuple[int, Any, int, str, bytes]  # position, client id, number, topic, state


class LogReader(ProjectionDatabase):
    """The store's reading of the log: on its own connection, or where workers read it."""

    def events(self, cursor: Any, after: int, last: int, topics: Sequence[str]) -> list[StoredRow]:
        """The log's rows past `after` up to `last` with one of `topics`, read on this
        connection, states unpacked: for a database no other process can open."""
        here = self.log("")
        statement, params = here.statement(len(topics)), (after, last, *topics)
        if self.postgres:
            return here.unpacked(fetched(cursor, statement, params))
        raw = cursor.sqlite_cursor  # plain tuples, not the library's named rows: far cheaper
        raw.row_factory = None
        try:
            raw.execute(statement, params)
            return here.unpacked(raw.fetchall())
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
        packed_by = mapper if mapper.cipher or mapper.compressor else None
        kind = self.ledger.backend.kind
        keys = self.ledger.keys.table
        return LogSource(kind, connect, self.prefix + self.events_table, packed_by, keys)


Update = tuple[str, str, tuple[Any, ...]]  # the client whose event made it, statement, values


@dataclass
class Rows:
    """A projection's rows from a run of events: inserts by statement, then retractions
    (when, client_id, number) and updates, each in order; and the fine parts of the clients
    whose events they are (every row an event makes is its own client's; a client's fine part
    is the first two characters of its id, its part the first: reports/answers.py), and the
    topics of the events of the run."""

    inserts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    retractions: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    parts: set[str] = field(default_factory=set)
    topics: set[str] = field(default_factory=set)

    def add(self, client_id: str, statements: Iterable[Statement]) -> None:
        self.parts.add(client_id[:2])
        inserts = self.inserts
        for statement, values in statements:
            same = inserts.get(statement)  # an insert this run has already had: most are
            if same is not None:
                same.append(values)
            elif statement.startswith("INSERT"):
                inserts[statement] = [values]
            elif statement == RETRACT:
                self.retractions.append(values)
            else:
                self.updates.append((client_id, statement, values))

    def extend(self, more: Rows) -> None:
        for statement, values in more.inserts.items():
            self.inserts.setdefault(statement, []).extend(values)
        self.retractions.extend(more.retractions)
        self.updates.extend(more.updates)
        self.parts.update(more.parts)
        self.topics.update(more.topics)


@dataclass(frozen=True)
class LogSource:
    """Where a worker process reads the log itself: a SQLite file or a PostgreSQL database
    (its own connection, kept for the life of the process). Positions up to the head are
    never written again, so a worker's reads agree with the writer's."""

    kind: str  # "sqlite" or "postgresql"
    connect: str  # the SQLite file, or a PostgreSQL connection string
    table: str  # the events table, qualified
    mapper: PydanticMapper | None  # to unpack states stored compressed or encrypted
    keys_table: str = ""  # the clients' keys, for projections that read personal data

    def statement(self, topics: int) -> str:
        """Rows past a position up to another, with one of `topics` topics, in order."""
        postgres = self.kind == "postgresql"
        position = "notification_id" if postgres else "rowid"
        marker = "%s" if postgres else "?"
        # PostgreSQL: the client id as text, as SQLite's is (hashed and compared far more
        # cheaply than a UUID object, which the driver would make for every row)
        client = "originator_id::text" if postgres else "originator_id"
        return (
            f"SELECT {position}, {client}, originator_version, topic, state "
            f"FROM {self.table} WHERE {position} > {marker} AND {position} <= {marker} "
            f"AND topic IN ({', '.join([marker] * topics)}) ORDER BY {position}"
        )

    def rows(self, after: int, last: int, topics: Sequence[str]) -> list[StoredRow]:
        statement, params = self.statement(len(topics)), (after, last, *topics)
        if self.kind == "postgresql":  # binary results: states as they are, not hex to undo
            found = opened(self).execute(statement, params, binary=True)
        else:
            found = opened(self).execute(statement, params)
        return self.unpacked(found.fetchall())

    def keys(self, clients: Iterable[Any]) -> dict[str, bytes]:
        """The keys of these clients (ids as the log stores them) that still exist."""
        wanted = sorted({client_text(client) for client in clients})
        marker = "%s" if self.kind == "postgresql" else "?"
        found: dict[str, bytes] = {}
        for start in range(0, len(wanted), 500):
            batch = wanted[start : start + 500]
            rows = opened(self).execute(
                f"SELECT client_id, key FROM {self.keys_table} "
                f"WHERE client_id IN ({', '.join([marker] * len(batch))})",
                batch,
            )
            for client, key in rows.fetchall():
                stored = bytes(key)
                found[client] = self.mapper.unpack(stored) if self.mapper else stored
        return found

    def unpacked(self, rows: list[StoredRow]) -> list[StoredRow]:
        if self.mapper is None:
            return rows
        unpack = self.mapper.unpack
        return [(n, c, v, topic, unpack(state)) for n, c, v, topic, state in rows]


_OPENED: dict[tuple[int, int, str, str], Any] = {}


def opened(source: LogSource) -> Any:
    """This thread's connection to the log (autocommit: each read sees what is committed).
    Keyed by process: a forked worker never uses a connection its parent opened; and by
    thread: a server answers requests in a pool of threads, and a SQLite connection may be
    used only in the thread that opened it."""
    key = (os.getpid(), threading.get_ident(), source.kind, source.connect)
    if key not in _OPENED:
        if source.kind == "postgresql":
            import psycopg

            _OPENED[key] = psycopg.connect(source.connect, autocommit=True)
        else:
            uri = Path(source.connect).resolve().as_uri()  # spaces, "#" and "?" escaped
            _OPENED[key] = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None)
    return _OPENED[key]


# The projections, their positions, the log (or its rows and the keys of their clients), the
# run of positions, and the ledger's secret that client ids are keyed with.
Handed = tuple[list[StoredRow], dict[str, bytes]]
Work = tuple[list[Projection], dict[str, int], LogSource | Handed, tuple[int, int], bytes]


def personal_topics(projections: Iterable[Projection]) -> set[str]:
    return {topic for p in projections if p.personal for topic in p.topics}


def revealer(keys: dict[str, bytes], client: Any) -> Callable[[str], str | None]:
    """Decrypts the client's personal values; None once its key is gone (or where unreadable)."""
    text = client_text(client)
    key = keys.get(text)

    def reveal(value: str) -> str | None:
        if not is_protected(value):
            return value
        plain = decrypt(key, text, value)
        return None if plain in (SEALED, UNREADABLE) else plain

    return reveal


def rows_of(work: Work) -> tuple[list[Rows], int]:
    """Each projection's rows from a run of the log, and the count of events read. The worker
    reads the run itself from `source` (or is handed its rows, for a database it cannot open)
    and decodes each event once. Runs in a worker process: plain data in and out."""
    projections, since, source, (low, high), secret = work
    topics = sorted({topic for projection in projections for topic in projection.topics})
    personal = personal_topics(projections)
    try:
        if isinstance(source, LogSource):
            events = source.rows(low, high, topics)
            owners = [row[1] for row in events if row[3] in personal]
            keys = source.keys(owners) if owners else {}
        else:
            events, keys = source
    except Exception as error:  # not a conflict to retry: the log cannot be read from here
        raise DatabaseError(f"a projection worker could not read the log: {error}") from None
    made = [Rows() for _ in projections]
    # by topic: who reads it, from which position, into which rows, by which of its methods
    readers: dict[str, list[tuple[Projection, int, Rows, Makes]]] = {}
    for projection, rows in zip(projections, made, strict=True):
        for topic in projection.topics:
            makes = projection.reader(topic)
            readers.setdefault(topic, []).append((projection, since[projection.name], rows, makes))
    clients: dict[Any, str] = {}  # each client's id as the projections keep it, made once
    for notification_id, client, number, topic, state in events:
        event: Recorded | None = None
        for projection, after, rows, makes in readers.get(topic, ()):
            if notification_id > after:
                try:
                    if event is None:
                        if client not in clients:
                            clients[client] = keyed_client_id(secret, client)
                        event = Recorded(
                            topic,
                            clients[client],
                            number,
                            current_state(topic, state),
                            revealer(keys, client) if topic in personal else None,
                        )
                    rows.add(event.client_id, makes(event))
                except (KeyError, TypeError, ValueError) as error:
                    raise MapperDeserialisationError(
                        f"cannot project stored event {client} #{number} ({topic}) into "
                        f"{projection.name}: {type(error).__name__} {error}"
                    ) from error
    topics_read = {row[3] for row in events}  # once a run, not once an event
    for rows in made:
        rows.topics.update(topics_read)
    return made, len(events)
