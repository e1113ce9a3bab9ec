"""Which database errors mean another connection got there first, so that trying again may
succeed, and which mean something is wrong that waiting will not mend.

Told apart by the driver's error, which the library's own errors are raised from, without
importing the PostgreSQL driver: SQLite's result codes, PostgreSQL's SQLSTATE.
"""

from __future__ import annotations

import sqlite3

SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # sqlite3.h
SQLITE_BUSY_SNAPSHOT = 517  # sqlite3.h: SQLITE_BUSY | (2 << 8)
# PostgreSQL: a transaction rolled back for a conflict (class 40: serialization failure,
# deadlock), a connection failed (class 08); a lock not got, a lock or statement timeout, the
# server ending the connection (shut down, crashed, restarting: a failover)
LOST_CLASSES = ("40", "08")
LOCK_NOT_AVAILABLE = "55P03"  # a lock not got in time (lock_timeout), or NOWAIT
LOST_STATES = (LOCK_NOT_AVAILABLE, "57014", "57P01", "57P02", "57P03")
DRIVERS = ("psycopg", "psycopg_pool")
# PostgreSQL: no such table (42P01), no such schema (3F000)
GONE_STATES = ("42P01", "3F000")


def driver_error(error: BaseException) -> BaseException:
    """The driver's error a library error was raised from, else the error itself."""
    return error.__cause__ if error.__cause__ is not None else error


def is_driver_error(error: BaseException) -> bool:
    """A PostgreSQL driver's error (or its pool's), told apart without importing the driver."""
    return type(error).__module__.split(".")[0] in DRIVERS


def busy(error: BaseException) -> bool:
    """Was a SQLite write refused because another connection holds the ledger (SQLITE_BUSY or
    SQLITE_LOCKED, of any extended code)?"""
    cause = driver_error(error)
    if not isinstance(cause, sqlite3.Error):
        return False
    return (getattr(cause, "sqlite_errorcode", 0) or 0) & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def overtaken(error: BaseException) -> bool:
    """Was a SQLite write refused because another writer committed after the transaction's
    first read (SQLITE_BUSY_SNAPSHOT)? Refused at once, not after the busy wait: a new
    transaction reads past it. (A writer holding the ledger, as an import does, is refused
    after the wait, and is not this.)"""
    cause = driver_error(error)
    return getattr(cause, "sqlite_errorcode", None) == SQLITE_BUSY_SNAPSHOT


def lost_to_another(error: BaseException) -> bool:
    """Did the database refuse because of another connection or a lost connection, so that
    the same work tried again may succeed? On SQLite, `busy`; on PostgreSQL, a conflict, a
    lock or timeout, a connection the server ended or lost (a driver error with no SQLSTATE:
    also the driver's pool timing out); on either, no connection free in the pool's time (the
    library's `ConnectionUnavailableError`, a TimeoutError). Anything else (a full disk, a
    table dropped by hand) is not."""
    if isinstance(error, TimeoutError):
        return True
    cause = driver_error(error)
    if isinstance(cause, sqlite3.Error):
        return busy(cause)
    if not is_driver_error(cause):
        return False
    state = getattr(cause, "sqlstate", None)
    return state is None or state[:2] in LOST_CLASSES or state in LOST_STATES


def lock_not_got(error: BaseException) -> bool:
    """Was the work refused because another connection held what it needed for longer than
    it waited: SQLite's busy wait run out (SQLITE_BUSY, SQLITE_LOCKED), PostgreSQL's lock
    timeout (55P03, lock not available: an import holding the event table)? Nothing was
    written: trying again later may succeed."""
    cause = driver_error(error)
    if isinstance(cause, sqlite3.Error):
        return busy(cause)
    return is_driver_error(cause) and getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE


def ledger_gone(error: BaseException) -> bool:
    """Was the work refused because a table of the ledger, or its schema, is not there:
    removed while it ran (an import or demo making a new ledger drops what it made when it
    is stopped: making.py), or by hand?"""
    cause = driver_error(error)
    return is_driver_error(cause) and getattr(cause, "sqlstate", None) in GONE_STATES
