"""Where the ledger lives: a database URL turned into the library's persistence settings.

`sqlite:///path` (or a bare path) uses the library's SQLite module, the embedded default;
`postgresql://user:password@host:port/dbname?schema=name` uses its PostgreSQL module;
`&partitions=N` there makes a new ledger's event table partitioned by hash of the client id
(partitioning.py).
"""

from __future__ import annotations

import atexit
import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from reentry_ledger.domain.errors import InvalidInput

DEFAULT_DB = "sqlite:///reentry-ledger.db"
# a SQLite ledger's file and those SQLite keeps beside it: its write-ahead log and the log's
# index, a rollback journal (the suffixes of its name)
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")
DB_ENV_VAR = "REENTRY_LEDGER_DB"
SQLITE_LOCK_TIMEOUT_SECONDS = 15
POSTGRES_LOCK_TIMEOUT_SECONDS = 15  # a write waits this long for a lock an import holds


@dataclass(frozen=True)
class Backend:
    url: str
    kind: str  # "sqlite" or "postgresql"
    env: dict[str, str]
    schema: str | None = None
    read_only: bool = False  # opened only to read: nothing created, nothing written
    partitions: int | None = None  # PostgreSQL: a new event table in N hash partitions

    @property
    def in_memory(self) -> bool:
        """A SQLite ledger in memory (sqlite:///:memory:): one connection, for one command."""
        return self.kind == "sqlite" and self.env.get("SQLITE_DBNAME") == ":memory:"

    @property
    def display(self) -> str:
        """The URL without any password, for messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()


def resolve_db(option: str | None) -> str:
    """The option beats the environment variable, which beats the default."""
    return option or os.environ.get(DB_ENV_VAR) or DEFAULT_DB


SCHEMES = ("sqlite", "postgresql", "postgres")
USE = "use sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME"
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def parse_db_url(url: str, *, read_only: bool = False) -> Backend:
    """The backend a URL names, or InvalidInput saying what is wrong with it (and what was
    meant, where that is clear): nothing is opened or created here. A `read_only` backend
    creates no table or schema and writes nothing: SQLite opens the file with mode=ro."""
    backend = _parse(url)
    if not read_only:
        return backend
    env = {**backend.env, "CREATE_TABLE": "n"}
    if backend.kind == "sqlite":
        env["SQLITE_DBNAME"] = _read_only_sqlite(env["SQLITE_DBNAME"], url)
    return replace(backend, env=env, read_only=True)


def _read_only_sqlite(path: str, url: str) -> str:
    """A URI opening the file read-only. In a folder we may not write, where no write-ahead
    log is open, SQLite could not make the log's index beside it: the file is then opened as
    immutable (as a ledger on read-only media)."""
    if path == ":memory:" or path.startswith("file:"):
        return path
    file = Path(path)
    if not file.is_file():
        raise InvalidInput(no_ledger(path, url))
    return read_only_uri(file)


MAKES_NONE = (
    "a command that reads makes none (`demo`, `import` and every command that records make one)"
)


def no_ledger(path: str, url: str) -> str:
    return f"no ledger at {path!r} (from --db {url!r}): {MAKES_NONE}"


def check_ledger_exists(url: str) -> None:
    """For a command that reads: InvalidInput where `url` names a SQLite file that is not
    there, or a PostgreSQL schema without the ledger's event table (a mistyped path or
    schema, most likely), rather than a new, empty ledger made there and answered from as if
    it held nothing."""
    backend = _parse(url)
    if backend.kind == "postgresql":
        schema = backend.schema or "public"
        if not _holds_events(backend, schema):
            raise InvalidInput(
                f"no ledger in schema {schema!r} of {backend.display!r}: {MAKES_NONE}"
            )
        return
    path = backend.env.get("SQLITE_DBNAME", "")
    if path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
        raise InvalidInput(no_ledger(path, url))


EVENTS_TABLE = "reentryledger_events"  # the library's name for the Ledger's (application/)


def _holds_events(backend: Backend, schema: str) -> bool:
    """Whether the schema holds the ledger's event table; the connection that looked is handed
    on to the command's next (`connect_postgres`)."""
    connection = connect_postgres(backend)
    try:
        found = connection.execute(
            "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL",
            (schema, EVENTS_TABLE),
        ).fetchone()
    except BaseException:
        connection.close()
        raise
    _hand_on(backend, connection)
    return bool(found[0])


def read_only_uri(file: Path) -> str:
    """The URI opening an existing SQLite file read-only: immutable in a folder we may not
    write where no write-ahead log is open (the ledger's file, and its access log's)."""
    uri = f"file:{quote(str(file.resolve()))}?mode=ro"
    wal = file.with_name(file.name + "-wal")
    if not os.access(file.resolve().parent, os.W_OK) and not wal.exists():
        uri += "&immutable=1"
    return uri


def _parse(url: str) -> Backend:
    if not url.strip():
        raise InvalidInput(f"database URL is blank: {USE}")
    if "://" not in url:
        scheme = url.partition(":")[0].lower()
        if scheme in SCHEMES:
            raise InvalidInput(f"database URL {url!r} lacks '//' after '{scheme}:': {USE}")
        return _sqlite(url, url)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return _sqlite(url, _sqlite_path(url))
    if parts.scheme in ("postgresql", "postgres"):
        return _postgres(url)
    raise InvalidInput(f"database URL {url!r} has unknown scheme {parts.scheme!r}: {USE}")


def _sqlite_path(url: str) -> str:
    """The file a sqlite: URL names: sqlite:///relative/path, sqlite:////absolute/path, or
    sqlite:///:memory: (a ledger that lives only as long as the command)."""
    parts = urlsplit(url)
    if parts.netloc:
        meant = f"sqlite:///{parts.netloc}{parts.path}"
        raise InvalidInput(
            f"database URL {url!r} has two slashes, so {parts.netloc!r} would be a host, "
            f"which SQLite has not: a file is sqlite:///PATH (three slashes), e.g. {meant!r}"
        )
    if parts.query or parts.fragment:
        extra = "?" + parts.query if parts.query else "#" + parts.fragment
        raise InvalidInput(f"database URL {url!r}: SQLite takes no {extra!r}, only a path")
    path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if not path:
        raise InvalidInput(
            f"database URL {url!r} names no file: use sqlite:///PATH "
            "(or sqlite:///:memory: for a ledger kept in memory for one command)"
        )
    return path


def _sqlite(url: str, path: str) -> Backend:
    if path.startswith("file:"):  # as given bare: the library would open it as a URI
        raise InvalidInput(
            f"database URL {url!r} names a SQLite URI ({path!r}); give the file's path: "
            f"sqlite:///{path.removeprefix('file:').split('?')[0]}"
        )
    if path != ":memory:" and (":memory:" in path or "mode=memory" in path):
        # the library takes any such name for a database in memory (eventsourcing.sqlite,
        # `detect_memory_mode`), and SQLite for a file: one connection to a file
        raise InvalidInput(
            f"database URL {url!r}: a file name holding ':memory:' or 'mode=memory' would be "
            "taken for a ledger in memory; name the file otherwise (or give sqlite:///:memory:)"
        )
    if path != ":memory:":
        folder = Path(path).expanduser().parent
        if not folder.is_dir():
            raise InvalidInput(
                f"database folder {str(folder)!r} does not exist (from --db {url!r})"
            )
        path = str(Path(path).expanduser())
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
    }
    return Backend(url=url, kind="sqlite", env=env)


def _postgres(url: str) -> Backend:
    parts = urlsplit(url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise InvalidInput(f"database URL {url!r} names no database (…/DBNAME)")
    try:
        port = parts.port or 5432
    except ValueError:
        raise InvalidInput(f"database URL {url!r} has a malformed port") from None
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"schema", "partitions"})
    if unknown or parts.fragment:
        what = ", ".join(repr(key) for key in unknown) or repr("#" + parts.fragment)
        raise InvalidInput(
            f"database URL {url!r}: unknown {what}; it takes only schema=NAME and partitions=N"
        )
    schema = query.get("schema", [None])[0]
    if schema is not None:
        check_schema(schema, url)
    partitions = check_partitions(query.get("partitions", []), url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username) if parts.username else getpass.getuser(),
        "POSTGRES_PASSWORD": unquote(parts.password) if parts.password else "",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": str(POSTGRES_LOCK_TIMEOUT_SECONDS),
        # the pool opens one connection at first, others as work asks for them (up to 15, as
        # the library's 5 + 10): a command that needs one no longer opens five (ADR 41)
        "POSTGRES_POOL_SIZE": "1",
        "POSTGRES_MAX_OVERFLOW": "14",
        # the library's recorder, which opens a ledger an import holds, and at home in an event
        # table partitioned by client id
        "APPLICATION_RECORDER_TOPIC": "reentry_ledger.postgres_recorder:LedgerRecorder",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return Backend(url=url, kind="postgresql", env=env, schema=schema, partitions=partitions)


MAX_PARTITIONS = 1024


def check_partitions(given: list[str], url: str) -> int | None:
    """The number of hash partitions a URL asks for (`partitions=N`, 2 to 1024), if any."""
    if not given:
        return None
    if len(given) > 1:
        raise InvalidInput(f"database URL {url!r} gives partitions= {len(given)} times: once")
    text = given[0].strip()
    if not text.isdigit() or not 2 <= int(text) <= MAX_PARTITIONS:
        raise InvalidInput(
            f"partitions={given[0]!r} in {url!r} is not a whole number from 2 to "
            f"{MAX_PARTITIONS}: the event table's hash partitions by client id"
        )
    return int(text)


def check_schema(schema: str, url: str) -> None:
    """A schema name PostgreSQL keeps as written: lower-case letters, digits and _ (it folds
    an unquoted name to lower case, so `Probe_Up` would be created, then not found)."""
    if _SCHEMA.fullmatch(schema):
        return
    if _SCHEMA.fullmatch(schema.lower()):
        raise InvalidInput(
            f"schema {schema!r} in {url!r} has capitals, which PostgreSQL folds to lower case: "
            f"write it as {schema.lower()!r}"
        )
    raise InvalidInput(
        f"schema {schema!r} in {url!r} is not a plain name: 1-63 lower-case letters, digits "
        "and _, not starting with a digit"
    )


# Key of the PostgreSQL advisory lock held while a process creates tables and functions:
# the library's CREATE OR REPLACE FUNCTION fails when two processes run it at once.
SETUP_LOCK_KEY = 0x5EE7_1ED6


# A connection a command opened to find its ledger there (`check_ledger_exists`), kept for the
# next connection it opens to the same database as the same user: the set-up lock's, or the
# access log's. Each connection is a server process forked and a sign-in (over a network, with
# TLS and a password exchange, several round trips): a command opens each it needs once (ADR
# 44). Only a connection in autocommit that ran one query is handed on: a new one's state; and
# only within the process that opened it (a forked worker has its own connections).
_handed_on: dict[tuple[str, ...], tuple[int, Any]] = {}


def _signed_in_as(backend: Backend) -> tuple[str, ...]:
    env = backend.env
    return tuple(env[key] for key in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME",
                                      "POSTGRES_USER", "POSTGRES_PASSWORD"))  # fmt: skip


def _hand_on(backend: Backend, connection: Any) -> None:
    _close_handed_on(_signed_in_as(backend))
    _handed_on[_signed_in_as(backend)] = os.getpid(), connection


def _close_handed_on(*keys: tuple[str, ...]) -> None:
    """Close the connections handed on for `keys` (all of them without) and not taken."""
    for key in keys or list(_handed_on):
        left = _handed_on.pop(key, None)
        if left is not None and left[0] == os.getpid():
            left[1].close()


atexit.register(_close_handed_on)  # one not taken is closed as the process ends


def connect_postgres(backend: Backend) -> Any:
    """A connection in autocommit: the one handed on to this command, if any, else a new one."""
    handed_on = _handed_on.pop(_signed_in_as(backend), None)
    if handed_on is not None and handed_on[0] == os.getpid() and not handed_on[1].closed:
        return handed_on[1]
    import psycopg

    env = backend.env
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        autocommit=True,
    )


def pool_ready(datastore: Any) -> None:
    """Open the library's connection pool and wait for its first connection before anything
    asks for one (ADR 44). Opened on first use, without waiting, as the library opens it, the
    first caller waits while the pool's thread connects, and psycopg_pool, seeing a caller
    wait, opens another connection for it: every command opened two where it needed one."""
    import psycopg
    from eventsourcing.persistence import OperationalError

    pool = datastore.pool
    try:
        pool.open(wait=True, timeout=pool.timeout)
    except psycopg.OperationalError as error:  # as the library's own first use raises it
        raise OperationalError(str(error)) from error


@contextmanager
def setting_up(backend: Backend) -> Iterator[None]:
    """Hold the set-up lock (PostgreSQL) and create the schema named in the URL, if missing
    (not when the backend is read-only: then nothing is created)."""
    if backend.kind != "postgresql" or backend.read_only:
        yield
        return
    from psycopg import sql

    with connect_postgres(backend) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK_KEY,))
        try:
            made = False
            if backend.schema:
                schema = sql.Identifier(backend.schema)
                there = "SELECT 1 FROM pg_namespace WHERE nspname = %s"
                if connection.execute(there, (backend.schema,)).fetchone() is None:
                    connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
                    made = True
            try:
                yield
            except BaseException:  # refused while set up (a setting, a key): no empty schema
                if made:  # left behind; RESTRICT: never one that holds anything
                    with suppress(Exception):
                        connection.execute(sql.SQL("DROP SCHEMA {} RESTRICT").format(schema))
                raise
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
