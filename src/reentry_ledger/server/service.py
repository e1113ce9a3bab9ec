"""The ledger a server process serves, used by one request at a time.

A FastAPI server answers each request in a worker thread. The application object holds
per-command state (its notices, the If-Match of a write) and the SQLite recorder's
connections must not be closed under a reader, so a process serves requests to its ledger one
at a time, behind one lock, and concurrency comes from worker processes (`serve --workers N`),
each with its own ledger, as concurrent CLI commands are: SQLite's file lock and busy timeout,
or PostgreSQL's transactions, keep their writes apart (ADR 0019).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reentry_ledger.application import Ledger
from reentry_ledger.application.recording import expecting


class LedgerService:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.lock = threading.Lock()

    @contextmanager
    def use(self, expected: int | None = None) -> Iterator[Ledger]:
        """The ledger, for this request alone (writes expecting the client's last event to
        be number `expected`, when given)."""
        with self.lock, expecting(expected):
            self.ledger.notices.clear()
            yield self.ledger

    def close(self) -> None:
        with self.lock:
            self.ledger.close()
