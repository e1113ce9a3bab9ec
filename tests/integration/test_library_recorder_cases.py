"""The eventsourcing library's own recorder test cases, run against the recorders our ledger
configures (its SQLite and PostgreSQL settings and schemas).

On PostgreSQL every case runs. On SQLite the library's threaded cases (many threads sharing one
recorder) are not run: the library runs them with a 100-connection pool, while our SQLite
ledger is used by one thread per process (the CLI); concurrency between processes on SQLite is
covered by tests/integration/test_concurrency.py. Its insert/select and tracking cases run.
"""

from __future__ import annotations

import tempfile
import uuid
from typing import Any

from eventsourcing.tests.persistence import (
    ApplicationRecorderTestCase,
    RecorderTestCase,
    TrackingRecorderTestCase,
)

from reentry_ledger.application import Ledger
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres


class SQLiteLedger:
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp()
        self.ledger = Ledger(f"sqlite:///{self.folder}/ledger.db")
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.ledger.close()


class PostgresLedger:
    def setUp(self) -> None:
        require_postgres()
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        self.ledger = Ledger(f"{POSTGRES_URL}?schema={self.schema}")
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
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


class TestSQLiteApplicationRecorder(SQLiteLedger, ApplicationRecorder, RecorderTestCase):
    def test_insert_select(self) -> None:
        ApplicationRecorderTestCase.test_insert_select(self)  # type: ignore[arg-type]


class TestSQLiteTrackingRecorder(SQLiteLedger, TrackingRecorder, TrackingRecorderTestCase):
    pass


class TestPostgresApplicationRecorder(
    PostgresLedger, ApplicationRecorder, ApplicationRecorderTestCase
):
    pass


class TestPostgresTrackingRecorder(PostgresLedger, TrackingRecorder, TrackingRecorderTestCase):
    pass
