"""A ledger that an import or a demo makes is made whole or not at all.

An import is all or nothing for events, but opening a ledger that is not there yet makes its
file (SQLite) or its schema and tables (PostgreSQL) before the first line is read. So a refused
import into a new ledger left an empty one behind, which a later command took for a ledger.

- SQLite: a new file is made aside, under a hidden name in the same folder, and linked to its
  own name only once the command is done (`os.link`, which never replaces a file: where
  another process made a ledger there meanwhile, that one stays and this one is given up, as a
  conflict). Refused, failed or interrupted, the aside file is removed; nobody else knew its
  name. (Killed outright, it stays, hidden, with nothing at the ledger's own name.)
- PostgreSQL: what the command made is dropped when it fails: the schema, where it was not
  there before, else the tables and functions that were not. Only while the ledger's event
  table is still empty, under its lock: a ledger another process wrote to meanwhile is left
  as it is.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from reentry_ledger.backends import EVENTS_TABLE, Backend, connect_postgres, parse_db_url
from reentry_ledger.domain.errors import Conflict

# beside the ledger's file: its write-ahead log and its index, a rollback journal
SIDE_FILES = ("-wal", "-shm", "-journal")
ACCESS_LOG_SUFFIX = ".access-log"  # access_store.SIDECAR_SUFFIX: not imported, to stay light


@contextmanager
def made_or_nothing(url: str, close: Callable[[], None]) -> Iterator[str]:
    """The URL to open the ledger at `url` by, for a command that may make it; `close`
    closes whatever the command opened there (called before the context ends, either way)."""
    backend = parse_db_url(url)
    if backend.kind == "postgresql":
        with _postgres(backend, close):
            yield url
        return
    path = backend.env["SQLITE_DBNAME"]
    if path == ":memory:" or Path(path).exists():
        try:
            yield url
        finally:
            close()
        return
    target = Path(path).absolute()
    aside = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.making")
    try:
        try:
            yield f"sqlite:///{aside}"
        finally:
            close()
        _settled(aside)
        try:
            os.link(aside, target)
        except FileExistsError:
            raise Conflict(
                f"a ledger was made at {str(target)!r} by another process meanwhile; this "
                "one was given up and nothing of it was kept: try again"
            ) from None
        log = aside.with_name(aside.name + ACCESS_LOG_SUFFIX)
        if log.exists():
            with suppress(FileExistsError):
                os.link(log, target.with_name(target.name + ACCESS_LOG_SUFFIX))
    finally:
        for name in (aside.name, *(aside.name + s for s in (*SIDE_FILES, ACCESS_LOG_SUFFIX))):
            with suppress(FileNotFoundError):
                (aside.parent / name).unlink()


def _settled(file: Path) -> None:
    """Everything in the file itself, none of it left in a write-ahead log beside it (which
    keeps the name it was made under)."""
    connection = sqlite3.connect(file)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        connection.close()


@contextmanager
def _postgres(backend: Backend, close: Callable[[], None]) -> Iterator[None]:
    schema = backend.schema or "public"
    with connect_postgres(backend) as connection:
        there = _schema_there(connection, schema)
        if there and _has_events_table(connection, schema):
            made_before = None  # a ledger already: nothing of it is this command's
        else:
            made_before = _contents(connection, schema) if there else ((), ())
    try:
        yield
    except BaseException:
        with suppress(Exception):
            close()
        if made_before is not None:
            _unmake(backend, schema, there, made_before)
        raise
    close()


def _schema_there(connection: Any, schema: str) -> bool:
    found = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    return found.fetchone() is not None


def _has_events_table(connection: Any, schema: str) -> bool:
    found = connection.execute(
        "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, EVENTS_TABLE)
    )
    return found.fetchone()[0] is not None


# what is dropped of each kind of relation the command made (its indexes, its tables' own
# sequences and their partitions go with its tables; "c", a composite type of its own)
DROPPED = {
    "r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "c": "TYPE",
}  # fmt: skip
Contents = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]


def _contents(connection: Any, schema: str) -> Contents:
    """The schema's relations (kind, name) and its functions (name and arguments)."""
    relations = connection.execute(
        "SELECT c.relkind::text, c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
        (schema,),
    ).fetchall()
    functions = connection.execute(
        "SELECT format('%%I(%%s)', p.proname, pg_get_function_identity_arguments(p.oid)) "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
        (schema,),
    ).fetchall()
    return tuple((str(k), str(n)) for k, n in relations), tuple(str(f[0]) for f in functions)


def _unmake(backend: Backend, schema: str, there: bool, before: Contents) -> None:
    """Drop what the command made in `schema`, if its ledger holds no event (best effort: a
    failure to drop leaves it, and the command's own error stands)."""
    from psycopg import sql

    with suppress(Exception), connect_postgres(backend) as connection, connection.transaction():
        connection.execute("SET LOCAL lock_timeout = '5s'")
        if _has_events_table(connection, schema):
            events = sql.Identifier(schema, EVENTS_TABLE)
            connection.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(events))
            if connection.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(events)).fetchone():
                return  # another process wrote to it meanwhile: a ledger in use
        if not there:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
            return
        relations, functions = _contents(connection, schema)
        for kind, name in relations:
            if (kind, name) not in before[0] and kind in DROPPED:
                connection.execute(
                    sql.SQL("DROP {} IF EXISTS {} CASCADE").format(
                        sql.SQL(DROPPED[kind]), sql.Identifier(schema, name)
                    )
                )
        for signature in functions:
            if signature not in before[1]:
                connection.execute(
                    sql.SQL("DROP FUNCTION IF EXISTS {}.{} CASCADE").format(
                        sql.Identifier(schema), sql.SQL(signature)
                    )
                )
