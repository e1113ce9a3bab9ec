"""Exit codes, and turning errors into one clear line on stderr (a traceback only with --debug)."""

from __future__ import annotations

import sqlite3
import traceback

import click
from eventsourcing.domain import OriginatorVersionError
from eventsourcing.persistence import PersistenceError

from reentry_ledger.contention import is_driver_error, ledger_gone, lock_not_got
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    LedgerError,
    NotOnRecord,
    RuleViolated,
    VerificationFailed,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_NOT_FOUND = 4
EXIT_CONFLICT = 5
EXIT_TAMPERED = 6
EXIT_BROKEN_PIPE = 141  # as after SIGPIPE: the reader closed the pipe
EXIT_INTERRUPTED = 130  # as after SIGINT: Ctrl-C

EXIT_CODES: dict[type[LedgerError], int] = {
    InvalidInput: EXIT_USAGE,
    NotOnRecord: EXIT_NOT_FOUND,  # a refusal, told as not found: before RuleViolated
    RuleViolated: EXIT_REFUSED,
    ClientNotFound: EXIT_NOT_FOUND,
    Conflict: EXIT_CONFLICT,
    VerificationFailed: EXIT_TAMPERED,  # hashes, or a projection, disagree with the events
}


STORAGE_ERRORS = (PersistenceError, OSError, sqlite3.Error)


def is_locked(error: Exception) -> bool:
    """Another connection held the ledger longer than we waited: SQLite's busy timeout ran
    out, or PostgreSQL's lock timeout (an import holds the event table until it is done)."""
    said = isinstance(error, STORAGE_ERRORS) and "database is locked" in str(error)
    return said or lock_not_got(error)


def is_database_error(error: Exception) -> bool:
    """An error of the database or its driver, not of a file a command reads or writes (an
    OSError of Python's own)."""
    storage = isinstance(error, STORAGE_ERRORS) and type(error).__module__ != "builtins"
    return storage or is_driver_error(error)


def exit_code(error: LedgerError) -> int:
    for kind, code in EXIT_CODES.items():
        if isinstance(error, kind):
            return code
    return EXIT_FAILED


def report(error: Exception, *, debug: bool, database: str | None = None) -> int:
    """Print the error for a person and return the exit code. `database`: the ledger's, as
    messages name it (no password), for an error of the database itself."""
    if debug:
        traceback.print_exception(error)
    if isinstance(error, OriginatorVersionError):  # a read other than by a client's reference
        from reentry_ledger.application.base import sequence_broken

        error = sequence_broken(error, "the ledger")
    if isinstance(error, LedgerError):
        click.echo(f"Error: {error}", err=True)
        return exit_code(error)
    if is_locked(error):
        click.echo(
            "Error: the ledger is busy: another process held it longer than we waited (an "
            "import or demo holds it until it is done); nothing was written: try again",
            err=True,
        )
        return EXIT_CONFLICT
    gone = ledger_gone(error)
    if is_database_error(error):
        at = f" at {database}" if database else ""
        why = (
            ": a table of the ledger, or its schema, is gone, removed while this command ran "
            "(an import or demo making a new ledger removes what it made when it is stopped) "
            "or by hand; nothing was written"
            if gone
            else ""
        )
        click.echo(f"Error: the database{at} could not be used: {error}{why}", err=True)
    elif isinstance(error, OSError):
        click.echo(f"Error: a file could not be read or written: {error}", err=True)
    else:
        click.echo(f"Error: unexpected {type(error).__name__}: {error}", err=True)
    if not debug:
        click.echo("(run again with --debug for details)", err=True)
    return EXIT_NOT_FOUND if gone else EXIT_FAILED
