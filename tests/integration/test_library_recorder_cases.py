"""The eventsourcing library's own recorder test cases, run against the recorders our ledger
configures (its SQLite and PostgreSQL settings and schemas), every case on both, the threaded
ones included: a server answers requests in worker threads over one ledger.

The threaded cases once crashed inside sqlite3 (a segfault) on SQLite. The cause was the
harness, not the recorder: the library's `test_concurrent_no_conflicts` leaves its two reader
threads running when it returns (it tells them to stop and does not wait), and our tearDown
then closed the ledger, and so the SQLite connections, under them. So tearDown waits for every
thread the test started before it closes the ledger, and fails, leaving the ledger open,
if one will not end. The server keeps the same order: it closes its ledger only after uvicorn
has drained the requests, and `LedgerService.close` takes the lock every request holds.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from typing import Any

from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    TrackingRecorderTestCase,
)

from reentry_ledger.application import Ledger
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

THREADS_END_WITHIN_SECONDS = 60


class JoinsItsThreads:
    """Waits, before the ledger is closed, for the threads the test started."""

    def setUp(self) -> None:
        self.threads_before = set(threading.enumerate())
        super().setUp()  # type: ignore[misc]

    def join_threads(self) -> None:
        deadline = time.monotonic() + THREADS_END_WITHIN_SECONDS
        started = set(threading.enumerate()) - self.threads_before
        for thread in started:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        running = [thread.name for thread in started if thread.is_alive()]
        if running:  # the ledger is left open: closing it under them could crash the process
            raise AssertionError(f"threads the test started are still running: {running}")


class SQLiteLedger(JoinsItsThreads):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp()
        self.ledger = Ledger(f"sqlite:///{self.folder}/ledger.db")
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.join_threads()
        self.ledger.close()


class PostgresLedger(JoinsItsThreads):
    def setUp(self) -> None:
        require_postgres()
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        self.ledger = Ledger(f"{POSTGRES_URL}?schema={self.schema}")
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.join_threads()
        self.ledger.close()
        drop_schema(self.schema)


class ApplicationRecorder:
    ledger: Ledger

    def create_recorder(self) -> Any:
        return self.ledger.recorder


class TrackingRecorder:
    ledger: Ledger

    def create_recorder(self) -> Any:
        return self.ledger.factory.tracking_recorder()


class TestSQLiteApplicationRecorder(SQLiteLedger, ApplicationRecorder, ApplicationRecorderTestCase):
    pass


class TestSQLiteTrackingRecorder(SQLiteLedger, TrackingRecorder, TrackingRecorderTestCase):
    pass


class TestPostgresApplicationRecorder(
    PostgresLedger, ApplicationRecorder, ApplicationRecorderTestCase
):
    pass


class TestPostgresTrackingRecorder(PostgresLedger, TrackingRecorder, TrackingRecorderTestCase):
    pass
