"""A projection found damaged: its tables or its position no longer agree with the events.

Its tables were edited or emptied by hand, or its tracking position moved: past the head of the
log, or back behind rows already in its tables (applying those events again would collide with
them). Nothing the runner does makes that right by itself; a rebuild does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from reentry_ledger.domain.errors import VerificationFailed


def rebuild_command(name: str) -> str:
    return f"reentry-ledger projections rebuild {name}"


class ProjectionDamaged(VerificationFailed):
    """A projection's tables or position disagree with the events (exit 6, as verification)."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"projection {name} is damaged ({why}): run `{rebuild_command(name)}`")
        self.name = name
        self.why = why


def integrity_errors() -> tuple[type[Exception], ...]:
    """The drivers' errors for a row that breaks a key (PostgreSQL's driver only if present)."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency, but SQLite needs no driver
        return (sqlite3.IntegrityError,)
    return sqlite3.IntegrityError, psycopg.IntegrityError


@contextmanager
def applying(name: str) -> Iterator[None]:
    """Rows of events past its position written for projection `name`: a row already there means
    its position was moved back behind its rows (a row is only ever inserted for a new event)."""
    try:
        yield
    except integrity_errors() as error:
        why = "its tables already hold rows of events after its tracking position"
        raise ProjectionDamaged(name, why) from error
