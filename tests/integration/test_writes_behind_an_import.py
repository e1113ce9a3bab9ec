"""A write to a PostgreSQL ledger while an import holds its event table (a `COPY` holds the
table's lock until it commits) says the ledger is busy after the lock timeout, exit 5, nothing
written: as documented for SQLite.

Found by probing as an operator: a CLI `enroll` started during an import waited until the
import ended, with no timeout at all (opening the ledger ran the library's `CREATE UNIQUE INDEX
IF NOT EXISTS`, which waits for the table's lock even where the index exists); and a write
through an open ledger (the server's) waited out the lock timeout ten times over (the library
retries any operational error), 152 s at the default 15 s.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reentry_ledger import backends
from reentry_ledger.application import Ledger
from reentry_ledger.backends import EVENTS_TABLE, connect_postgres, parse_db_url
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import Conflict
from tests.builders import TODAY, enroll_parolee
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres

pytestmark = pytest.mark.postgres

LOCK_TIMEOUT = 2  # seconds, for the test; ten waits of it (the library's retries) take 20+
GIVE_UP = 15  # seconds: a write still waiting then is waiting for the import to end


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty ledger's URL on PostgreSQL: the event table's lock is PostgreSQL's (SQLite's
    busy wait is tested in test_concurrency and the import tests)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}schema={schema}"
    drop_schema(schema)


def hold_events(url: str) -> Any:
    """A connection holding the event table as an import's `COPY` does, until it rolls back."""
    backend = parse_db_url(url)
    importer = connect_postgres(backend)
    importer.execute("BEGIN")
    importer.execute(f'LOCK TABLE "{backend.schema}"."{EVENTS_TABLE}" IN EXCLUSIVE MODE')
    return importer


@pytest.fixture(params=[1, 0], ids=["a ledger of one client", "a new ledger"])
def import_holding(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[tuple[Any, int]]:
    """A ledger of one client (GA-1), or a new one (as an import into a new ledger is making
    it: its `COPY`'s rows not yet seen), whose event table another connection holds as an
    import's `COPY` does, until the test ends; and the count of its events."""
    monkeypatch.setattr(backends, "POSTGRES_LOCK_TIMEOUT_SECONDS", LOCK_TIMEOUT)
    setup = Ledger(postgres_url, clock=lambda: TODAY)
    if request.param:
        enroll_parolee(setup)
    setup.close()
    before = events_of(postgres_url)
    importer = hold_events(postgres_url)
    yield importer, before
    importer.rollback()
    importer.close()


def finished_while_held(importer: Any, work: Callable[[], Any]) -> Any:
    """What `work` returned or raised, given the lock is held; fails if it was still waiting
    after GIVE_UP seconds (the lock is then let go, so that the test ends)."""
    outcome: list[Any] = []

    def attempt() -> None:
        try:
            outcome.append(work())
        except Exception as error:
            outcome.append(error)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(GIVE_UP)
    if worker.is_alive():
        importer.rollback()
        worker.join(60)
        pytest.fail(f"the write still waited after {GIVE_UP} s (lock timeout {LOCK_TIMEOUT} s)")
    return outcome[0]


def events_of(url: str) -> int:
    ledger = Ledger(url, clock=lambda: TODAY)
    try:
        return len(ledger.recorder.select_notifications(start=None, limit=1000))
    finally:
        ledger.close()


def test_a_cli_write_during_an_import_says_busy_after_the_lock_timeout(
    postgres_url: str, import_holding: tuple[Any, int]
) -> None:
    importer, before = import_holding

    def enroll() -> Result:
        return CliRunner().invoke(
            cli,
            ["enroll", "GA-2", "--agency", "GA", "--officer", "o1", "--supervision", "parole"],
            env={"REENTRY_LEDGER_DB": postgres_url, "REENTRY_LEDGER_ACTOR": "jdoe"},
        )

    result = finished_while_held(importer, enroll)
    assert isinstance(result, Result), result
    assert result.exit_code == 5, result.output
    assert "busy" in result.output and "Traceback" not in result.output
    importer.rollback()
    assert events_of(postgres_url) == before


@pytest.mark.parametrize("notes_before", [0, 1], ids=["first note (a new key)", "later note"])
def test_a_write_through_an_open_ledger_during_an_import_says_busy_after_one_lock_timeout(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, notes_before: int
) -> None:
    monkeypatch.setattr(backends, "POSTGRES_LOCK_TIMEOUT_SECONDS", LOCK_TIMEOUT)
    ledger = Ledger(postgres_url, clock=lambda: TODAY)  # open before the import, as a server is
    try:
        enroll_parolee(ledger)
        for _ in range(notes_before):
            ledger.log_contact("GA-1", actor="jdoe", on=TODAY, note="seen at the office")
        held = [entry.type for entry in ledger.timeline("GA-1", actor="jdoe")]
        importer = hold_events(postgres_url)
        try:
            note = "seen at home"
            raised = finished_while_held(
                importer,
                lambda: ledger.log_contact("GA-1", actor="jdoe", on=TODAY, note=note),
            )
        finally:
            importer.rollback()
            importer.close()
        assert isinstance(raised, Conflict), raised
        assert "busy" in str(raised)
        assert [entry.type for entry in ledger.timeline("GA-1", actor="jdoe")] == held
    finally:
        ledger.close()


@pytest.mark.parametrize("unmade", ["tables", "schema"])
def test_a_write_behind_an_import_whose_new_ledger_is_unmade_says_the_ledger_is_not_there(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, unmade: str
) -> None:
    """An import into a new ledger that is stopped (Ctrl-C, SIGTERM) drops what it made: its
    tables, and its schema where it made that too (making.py). A command that waited behind
    it was told the database's own words alone, exit 1 ("could not be used: relation ...
    does not exist"), as if the database had failed."""
    monkeypatch.setattr(backends, "POSTGRES_LOCK_TIMEOUT_SECONDS", GIVE_UP)
    Ledger(postgres_url, clock=lambda: TODAY).close()
    importer = hold_events(postgres_url)
    outcome: list[Result] = []
    waiting = threading.Thread(
        target=lambda: outcome.append(
            CliRunner().invoke(
                cli,
                ["enroll", "GA-2", "--agency", "GA", "--officer", "o1", "--supervision", "parole"],
                env={"REENTRY_LEDGER_DB": postgres_url, "REENTRY_LEDGER_ACTOR": "jdoe"},
            )
        ),
        daemon=True,
    )
    waiting.start()
    waiting.join(2)  # the write waits for the import's lock
    schema = parse_db_url(postgres_url).schema
    if unmade == "schema":
        importer.execute(f'DROP SCHEMA "{schema}" CASCADE')
    else:
        found = importer.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))
        tables = ", ".join(f'"{schema}"."{table}"' for (table,) in found.fetchall())
        importer.execute(f"DROP TABLE {tables} CASCADE")
    importer.commit()
    importer.close()
    waiting.join(GIVE_UP)
    assert outcome, "the write still waited"
    result = outcome[0]
    assert result.exit_code == 4, result.output
    assert "is gone, removed while this command ran" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.output
