"""A ledger that an import or a demo makes is made whole or not at all (ADR 36).

An import is all or nothing for events, but opening a ledger that is not there yet makes its
file (SQLite) or its schema and tables (PostgreSQL) before the first line is read. So a refused
import into a new ledger left an empty one behind, which a later command took for a ledger.

- SQLite: a new file is made aside, under a hidden name in the same folder, and given its own
  name only once the command is done (`os.link`, which never replaces a file: where another
  process made a ledger there meanwhile, that one stays and this one is given up, as a
  conflict). Refused, failed or interrupted (Ctrl-C, SIGTERM), the aside file is removed;
  nobody else knew its name. Killed outright (SIGKILL, a power cut), it stays, hidden, with
  nothing at the ledger's own name, until the next command that makes a ledger there: its
  name holds the machine and the process that made it, and a file whose process is gone is
  removed. A name already taken, by a file or a link, is opened in place, as ever.
- PostgreSQL: when the command fails, the ledger's own tables, type and function that it made
  are dropped, and the schema if it made that too and nothing else is in it; only while the
  ledger's event table is still empty, under its lock, so a ledger another process wrote to
  meanwhile is left as it is. Nothing else is dropped: a table someone else made in the
  schema meanwhile stays.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import sqlite3
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
    if path == ":memory:" or target.exists() or target.is_symlink():
        with _closing(close):
            yield url
        return
    target = target.absolute()
    _swept(target)
    aside = aside_for(target)
    try:
        with _closing(close):
            yield f"sqlite:///{quote(str(aside), safe='/')}"
        _settled(aside, target)
        _named(aside, target)
    finally:
        _removed(aside)


def aside_for(target: Path, pid: int | None = None) -> Path:
    """The hidden name a new ledger at `target` is made under, by the process `pid` (this
    one) on this machine: `.NAME.MACHINE-PID-RANDOM.making`."""
    made_by = f"{_machine()}-{os.getpid() if pid is None else pid}"
    return target.with_name(f".{target.name}.{made_by}-{uuid.uuid4().hex[:12]}.making")


def _machine() -> str:
    """This machine, as a folder shared between machines tells them apart."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _swept(target: Path) -> None:
    """Remove the files left aside for `target` by processes of this machine that are gone
    (killed outright while making it); those of a process still running, or of another
    machine, are left to it."""
    prefix = f".{target.name}.{_machine()}-"
    with suppress(OSError):
        for file in target.parent.iterdir():
            name = file.name
            if not name.startswith(prefix) or not name.endswith(".making"):
                continue  # a side file goes with its ledger's
            pid = name.removeprefix(prefix).split("-", 1)[0]
            if pid.isdigit() and not _running(int(pid)):
                _removed(file)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def _removed(file: Path) -> None:
    """A file made aside, and its side files (those SQLite keeps by its name)."""
    for suffix in SQLITE_SIDECARS:
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
            f"the new ledger at {str(target)!r} was still held open by another process as it "
            "was being made; nothing of it was kept: try again"
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
