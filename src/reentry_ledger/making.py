"""A ledger that an import or a demo makes is made whole or not at all (ADR 36).

An import is all or nothing for events, but opening a ledger that is not there yet makes its
file (SQLite) or its schema and tables (PostgreSQL) before the first line is read. So a refused
import into a new ledger left an empty one behind, which a later command took for a ledger.

- SQLite: a new file is made aside, under a hidden name in the same folder, and given its own
  name only once the command is done (`os.link`, which never replaces a file: where another
  process made a ledger there meanwhile, that one stays and this one is given up, as a
  conflict). Refused, failed or interrupted (Ctrl-C, SIGTERM), the aside file is removed;
  nobody else knew its name. Killed outright (SIGKILL, a power cut), it stays, hidden, with
  nothing at the ledger's own name, until the next `import` or `demo` at that path: while it
  is made, a lock file beside it is held locked (`flock`, which the system lets go of when
  the process ends, whatever its machine or container); a file whose lock nobody holds is
  removed. A name already taken, by a file or a link, is opened in place, as ever.
- PostgreSQL: when the command fails, the ledger's own tables, type and function that it made
  are dropped, and the schema if it made that too and nothing else is in it; only while the
  ledger's event table is still empty, under its lock, so a ledger another process wrote to
  meanwhile is left as it is. Nothing else is dropped: a table someone else made in the
  schema meanwhile stays.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reentry_ledger import access_store, keys, ledger_secrets
from reentry_ledger.backends import (
    EVENTS_TABLE,
    SQLITE_SIDECARS,
    Backend,
    connect_postgres,
    parse_db_url,
)
from reentry_ledger.domain.errors import Conflict, LedgerError

# what opening a PostgreSQL ledger makes in its schema: the library's event table (its
# sequence and index go with it), type and function, the tables of the keys, the ledger's
# secrets and the access log
OWN_TABLES = (EVENTS_TABLE, keys.TABLE, ledger_secrets.TABLE, access_store.TABLE)
OWN_TYPE = "stored_event_uuid"
OWN_FUNCTION = "es_insert_events_uuid"


class NotSettled(LedgerError):
    """The new ledger's file could not be made whole (its write-ahead log held by another)."""


@contextmanager
def made_or_nothing(url: str, close: Callable[[], None]) -> Iterator[str]:
    """The URL to open the ledger at `url` by, for a command that may make it; `close`
    closes whatever the command opened there (called before the context ends, either way)."""
    backend = parse_db_url(url)
    if backend.kind == "postgresql":
        made = _made_in(backend)
        try:
            with _closing(close):
                yield url
        except BaseException:
            if made is not None:
                _unmake(backend, made)
            raise
        return
    path = backend.env["SQLITE_DBNAME"]
    target = Path(path)
    if backend.in_memory:
        with _closing(close):
            yield url
        return
    _swept(target.absolute())
    if target.exists() or target.is_symlink():
        with _closing(close):
            yield url
        return
    target = target.absolute()
    aside = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}{MAKING}")
    with _held(Path(f"{aside}{LOCK}")):
        try:
            with _closing(close):
                yield f"sqlite:///{quote(str(aside), safe='/')}"
            _settled(aside, target)
            _named(aside, target)
        finally:
            _removed(aside)


MAKING = ".making"  # a new ledger's hidden name ends so, and its lock file's with `LOCK`
LOCK = ".lock"


@contextmanager
def _held(lock: Path) -> Iterator[None]:
    """The lock file `lock`, made and held locked for the block, then removed. Where the
    system has no `flock` (Windows), none: a file left by a killed process then stays."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the systems the ledger runs on
        yield
        return
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        with suppress(FileNotFoundError):
            lock.unlink()
        os.close(descriptor)


def _swept(target: Path) -> None:
    """Remove the files left aside for `target` by processes killed while they made it: those
    whose lock file (`_held`) nobody holds locked. One that cannot be removed (another
    user's) is left, and the others are still looked at."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the systems the ledger runs on
        return
    prefix = f".{target.name}."
    try:
        names = [entry.name for entry in os.scandir(target.parent)]
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(MAKING + LOCK)):
            continue
        lock = target.parent / name
        with suppress(OSError):
            if not stat.S_ISREG(lock.lstat().st_mode):
                continue
            descriptor = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: still making
                _removed(lock.with_name(name.removesuffix(LOCK)))
                lock.unlink()
            finally:
                os.close(descriptor)


def _removed(file: Path) -> None:
    """A file made aside, its side files first (a kill in between leaves the file, which its
    lock file still names, rather than a side file nobody would look for)."""
    for suffix in (*SQLITE_SIDECARS[1:], SQLITE_SIDECARS[0]):
        with suppress(FileNotFoundError):
            Path(f"{file}{suffix}").unlink()


@contextmanager
def _closing(close: Callable[[], None]) -> Iterator[None]:
    """`close` after the block; when the block failed, its error stands, not close's."""
    try:
        yield
    except BaseException:
        with suppress(Exception):
            close()
        raise
    close()


def _settled(file: Path, target: Path) -> None:
    """Everything in the file itself, none of it left in a write-ahead log beside it (which
    keeps the name it was made under). Refused, the ledger is named as given (`target`)."""
    connection = sqlite3.connect(file)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    wal = Path(f"{file}-wal")
    if busy or (wal.exists() and wal.stat().st_size):
        raise NotSettled(
            f"the new ledger at {str(target)!r} was still held open (a read of it not ended) "
            "as it was being made; nothing of it was kept: try again"
        )


def _named(aside: Path, target: Path) -> None:
    """Give the file made aside the ledger's own name, never over another's file."""
    try:
        os.link(aside, target)
        return
    except FileExistsError:
        raise _made_meanwhile(target) from None
    except OSError as error:  # a file system without hard links
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
    if os.path.lexists(target):
        raise _made_meanwhile(target)
    os.rename(aside, target)  # the name free a moment ago: taken since, only in a race


def _made_meanwhile(target: Path) -> Conflict:
    return Conflict(
        f"a ledger was made at {str(target)!r} by another process meanwhile; this one was "
        "given up and nothing of it was kept: try again"
    )


@dataclass(frozen=True)
class Made:
    """What is there in a PostgreSQL schema before a command that may make a ledger in it."""

    schema: str
    schema_made: bool  # the schema was not there
    tables: frozenset[str]  # of `OWN_TABLES`, those there
    typed: bool  # `OWN_TYPE` there
    function: bool  # `OWN_FUNCTION` there


def _made_in(backend: Backend) -> Made | None:
    """What is there before the command (None: a ledger already, none of it the command's)."""
    schema = backend.schema or "public"
    with connect_postgres(backend) as connection:
        there = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        if there.fetchone() is None:
            return Made(schema, True, frozenset(), False, False)
        tables, typed, function = _own(connection, schema)
    return None if EVENTS_TABLE in tables else Made(schema, False, tables, typed, function)


def _own(connection: Any, schema: str) -> tuple[frozenset[str], bool, bool]:
    """Which of the ledger's own tables, type and function are in `schema`."""
    tables = connection.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
        (schema, list(OWN_TABLES)),
    ).fetchall()
    typed = connection.execute(
        "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = %s AND t.typname = %s",
        (schema, OWN_TYPE),
    ).fetchone()
    function = connection.execute(
        "SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = %s AND p.proname = %s",
        (schema, OWN_FUNCTION),
    ).fetchone()
    return frozenset(str(row[0]) for row in tables), typed is not None, function is not None


def _unmake(backend: Backend, made: Made) -> None:
    """Drop what the command made of the ledger's own, and the schema if it made that and
    it is left empty; only while the ledger holds no event (best effort: what cannot be
    dropped, one held by another or that another's depends on, stays, and the command's own
    error stands)."""
    from psycopg import sql

    schema = sql.Identifier(made.schema)
    with suppress(Exception), connect_postgres(backend) as connection, connection.transaction():
        connection.execute("SET LOCAL lock_timeout = '5s'")
        tables, typed, function = _own(connection, made.schema)
        if EVENTS_TABLE in tables:
            events = sql.Identifier(made.schema, EVENTS_TABLE)
            connection.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(events))
            if connection.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(events)).fetchone():
                return  # another process wrote to it meanwhile: a ledger in use
        drops = []
        if function and not made.function:
            drops.append(
                sql.SQL("DROP FUNCTION {}.{}").format(schema, sql.Identifier(OWN_FUNCTION))
            )
        drops += [
            sql.SQL("DROP TABLE {}").format(sql.Identifier(made.schema, table))
            for table in sorted(tables - made.tables)
        ]
        if typed and not made.typed:
            drops.append(sql.SQL("DROP TYPE {}").format(sql.Identifier(made.schema, OWN_TYPE)))
        if made.schema_made:
            drops.append(sql.SQL("DROP SCHEMA {}").format(schema))  # only if left empty
        for drop in drops:
            with suppress(Exception), connection.transaction():  # a savepoint each
                connection.execute(drop)
