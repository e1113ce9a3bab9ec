"""The command runs SQLite without its memory statistics (ADR 0031).

SQLite counts every allocation it makes, for `sqlite3_status()`, unless told not to, and it
keeps that count under one lock for the whole process. A report's statements run side by
side, each on a connection of its own (reports/tallies.py, `consistent_rows`): with the count
kept, they queued for that lock at every allocation, and two halves of a statement took as
long side by side as one after the other. SQLite documents turning the count off
(`SQLITE_CONFIG_MEMSTATUS`; `SQLITE_DEFAULT_MEMSTATUS=0` is among its recommended build
options, as it makes every allocation cheaper). Python's sqlite3 module does not offer
`sqlite3_config`, so it is called through ctypes, on the library the module is linked with.

It may only be set while SQLite is shut down, and SQLite may only be shut down with no
connection open: the command does it first thing, before it opens any (`cli.main`), and so
does each server worker process before its ledger opens (`server.app.from_environment`:
`serve --workers N` starts them as processes of their own, not through the command). A process
does it once: asked again (`serve --workers 1` runs the app in the command's own process, its
connections open), it gives the first answer. Where the library cannot be reached (a Python
with SQLite built in) the process runs with the count kept, as before.
"""

from __future__ import annotations

import ctypes
import importlib.util

SQLITE_OK = 0
SQLITE_CONFIG_MEMSTATUS = 9  # sqlite3.h
_answer: list[bool] = []  # this process's, once asked


def without_memory_statistics() -> bool:
    """Turn SQLite's memory statistics off for this process; True when they are. The first
    call must come before any SQLite connection opens: the caller vouches for that. Later
    calls give its answer and leave SQLite alone."""
    if not _answer:
        _answer.append(_turned_off())
    return _answer[0]


def _turned_off() -> bool:
    found = importlib.util.find_spec("_sqlite3")
    if found is None or not found.origin or not found.has_location:
        return False
    try:
        library = ctypes.CDLL(found.origin)
        shutdown, config = library.sqlite3_shutdown, library.sqlite3_config
        initialize = library.sqlite3_initialize
    except (OSError, AttributeError):  # SQLite linked in, its functions not exported
        return False
    config.argtypes = [ctypes.c_int]  # the fixed argument: the rest are variadic (arm64)
    if shutdown() != SQLITE_OK:
        return False
    done = config(SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == SQLITE_OK
    return initialize() == SQLITE_OK and done
