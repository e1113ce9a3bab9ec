"""The runner turns pages into rows in worker processes, a chunk each, the next page while it
writes this one: the tables must be exactly those one process builds event by event."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from ast import literal_eval
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import psycopg_pool
import pytest
from eventsourcing.persistence import ConnectionUnavailableError, DatabaseError, OperationalError

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.encryption import new_key
from reentry_ledger.export.full import export_lines
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.ingest.jsonl import import_lines
from reentry_ledger.ledger_secrets import PROJECTION_IDS, LedgerSecrets
from reentry_ledger.projections.base import keyed_client_id
from reentry_ledger.projections.builds import BUILD_UPDATES, BUILDS
from reentry_ledger.projections.catalogue import PROJECTIONS, projection_named
from reentry_ledger.projections.database import staged_name
from reentry_ledger.projections.log import LogSource
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ProjectionStore
from tests.builders import TODAY, enroll_parolee, projection_contents
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres


@pytest.mark.parametrize("staged", [False, True], ids=["paged in", "staged build"])
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted at rest"])
def test_rows_made_by_workers_page_ahead_equal_rows_made_one_by_one(
    db_url: str, encrypted: bool, staged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if encrypted:
        monkeypatch.setenv("REENTRY_LEDGER_KEY", new_key())
    ledger = Ledger(db_url, clock=lambda: TODAY)
    build_demo(ledger, clients=250, seed=6)
    monkeypatch.setattr("reentry_ledger.projections.runner.CHUNK", 400)
    stage_from = 1 if staged else 10**9
    # pages of 4 runs of positions, each read by a worker
    ProjectionRunner(ledger, page_size=1600, workers=2, stage_from=stage_from).rebuild()
    by_workers = projection_contents(ledger)
    ProjectionRunner(ledger, page_size=7, workers=1).rebuild()  # small pages, all here
    assert projection_contents(ledger) == by_workers
    assert sum(len(rows) for rows in by_workers.values()) > 2000
    ledger.close()


def test_a_build_cut_short_is_carried_on_by_the_next_runner(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projection built from empty through staged tables commits page by page: after a
    crash its tables are still empty and it says "building"; the next runner (here with
    workers) carries on from the staged position and ends with the rows of a paged rebuild."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    runner, paged_in = build_cut_short(ledger, monkeypatch, pages=3)
    cut_short = runner.status()
    assert all(s.building and 0 < s.position < s.head for s in cut_short), cut_short
    assert not any(projection_contents(ledger).values())

    ProjectionRunner(ledger, page_size=400, workers=2, stage_from=1).catch_up()
    assert not any(s.building or s.lag for s in runner.status())
    assert projection_contents(ledger) == paged_in
    assert ledger_tables(runner) == set(), "staged tables and build rows are gone"
    ledger.close()


def build_cut_short(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch, pages: int
) -> tuple[ProjectionRunner, dict[str, list[str]]]:
    """A demo ledger whose projections are built from empty through staged tables until a
    power cut after `pages` pages; and the rows a paged rebuild gives, to compare with."""
    build_demo(ledger, clients=150, seed=5)
    ProjectionRunner(ledger, page_size=7, workers=0).rebuild()
    paged_in = projection_contents(ledger)
    runner = ProjectionRunner(ledger, page_size=400, workers=0, stage_from=1)
    for projection in PROJECTIONS:
        runner.store.clear(projection)
    write, written = ProjectionStore.write, []

    def power_cut(store: ProjectionStore, *args: Any) -> None:
        written.append(args[2])
        if len(written) > pages:
            raise RuntimeError("power cut")
        write(store, *args)

    monkeypatch.setattr(ProjectionStore, "write", power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        runner.catch_up()
    monkeypatch.setattr(ProjectionStore, "write", write)
    return runner, paged_in


def ledger_tables(runner: ProjectionRunner) -> set[str]:
    """What is left of builds: staged tables, and rows of builds under way."""
    store = runner.store
    rows = store.rows(f"SELECT name FROM {store.prefix}{BUILDS}")
    rows += store.rows(f"SELECT name FROM {store.prefix}{BUILD_UPDATES}")
    staged = [
        table
        for projection in PROJECTIONS
        for table in projection.tables
        if store.rows(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ? "
            "AND table_schema = ?"  # this ledger's, not another test's in its own schema
            if store.postgres
            else "SELECT COUNT(*) FROM sqlite_master WHERE name = ? AND ? IS NOT NULL",
            (staged_name(table), getattr(store.datastore, "schema", "") or ""),
        )[0][0]
    ]
    return {str(row[0]) for row in rows} | set(staged)


@pytest.mark.postgres
def test_runners_at_once_share_staged_builds_without_double_counting() -> None:
    """Three runners (each its own connections) build the projections from empty at once on
    PostgreSQL: each page of each build is claimed by one of them, and the rows equal a paged
    rebuild's exactly."""
    require_postgres()
    url = f"{POSTGRES_URL}?schema=t_{uuid.uuid4().hex[:12]}"
    ledger = Ledger(url, clock=lambda: TODAY)
    try:
        build_demo(ledger, clients=150, seed=4)
        runner = ProjectionRunner(ledger, page_size=7, workers=0)
        runner.rebuild()
        paged_in = projection_contents(ledger)
        for projection in PROJECTIONS:
            runner.store.clear(projection)
        ledgers = [Ledger(url, clock=lambda: TODAY) for _ in range(3)]
        runners = [
            ProjectionRunner(each, page_size=300, workers=0, stage_from=1) for each in ledgers
        ]
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda each: each.catch_up(), runners))
        assert not any(s.building or s.lag for s in runner.status())
        assert projection_contents(ledger) == paged_in
        assert ledger_tables(runner) == set()
        for each in ledgers:
            each.close()
    finally:
        ledger.close()
        drop_schema(url.rsplit("=", 1)[1])


def test_workers_read_a_ledger_whose_path_needs_escaping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers open the SQLite file themselves, by URI: spaces, "#" and "?" in its path."""
    folder = tmp_path / "agency #1? 100% ledgers"
    folder.mkdir()
    ledger = Ledger(f"sqlite:///{quote(str(folder / 'case ledger.db'))}", clock=lambda: TODAY)
    assert (folder / "case ledger.db").exists()
    build_demo(ledger, clients=40, seed=2)
    ProjectionRunner(ledger, page_size=7, workers=0).rebuild()
    here = projection_contents(ledger)
    monkeypatch.setattr("reentry_ledger.projections.runner.CHUNK", 100)  # runs in workers
    ProjectionRunner(ledger, page_size=300, workers=2).rebuild()
    assert projection_contents(ledger) == here
    assert any(here.values())
    ledger.close()


def test_a_worker_that_cannot_read_the_log_stops_the_catch_up_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a conflict to retry for ever: the catch-up ends with an error saying so, and the
    projections keep the position they had."""
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    build_demo(ledger, clients=40, seed=2)

    def unreadable(*_: object) -> list[Any]:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(LogSource, "rows", unreadable)
    monkeypatch.setattr("reentry_ledger.projections.runner.CHUNK", 100)
    runner = ProjectionRunner(ledger, page_size=300, workers=2)
    with pytest.raises(DatabaseError, match="could not read the log: unable to open"):
        runner.catch_up()
    assert all(s.position == 0 for s in runner.status())
    ledger.close()


def sqlite_locked(tmp_path: Path) -> sqlite3.OperationalError:
    """SQLite's own refusal of a write while another connection holds the file."""
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        sqlite3.connect(path, timeout=0).execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        holder.close()
    raise AssertionError("the write was not refused")


def sqlite_damaged() -> sqlite3.OperationalError:
    """SQLite's error for a table that is not there (dropped by hand: a damaged ledger)."""
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM audit_clients")
    except sqlite3.OperationalError as error:
        return error
    raise AssertionError("the table was found")


@pytest.fixture
def demo_runner(tmp_path: Path) -> Iterator[ProjectionRunner]:
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    build_demo(ledger, clients=5, seed=2)
    yield ProjectionRunner(ledger, workers=0)
    ledger.close()


def failing(monkeypatch: pytest.MonkeyPatch, error: Exception) -> list[int]:
    """`ProjectionStore.claim` failing with `error` as the library raises it (its own
    OperationalError from the driver's, or its own error as it is), with `RETRIES` 2: the
    calls, one per attempt."""
    calls: list[int] = []

    def fail(*_: object) -> None:
        calls.append(1)
        if isinstance(error, OperationalError):
            raise error
        raise OperationalError(error) from error

    monkeypatch.setattr(ProjectionStore, "claim", fail)
    monkeypatch.setattr("reentry_ledger.projections.runner.RETRIES", 2)
    return calls


def test_a_catch_up_that_keeps_losing_to_other_writers_says_the_database_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_runner: ProjectionRunner
) -> None:
    calls = failing(monkeypatch, sqlite_locked(tmp_path))
    with pytest.raises(Conflict, match="stayed busy: database is locked"):
        demo_runner.catch_up()
    assert len(calls) == 3  # tried again, RETRIES times


def test_a_catch_up_that_fails_for_another_reason_says_so_at_once_not_that_it_is_busy(
    monkeypatch: pytest.MonkeyPatch, demo_runner: ProjectionRunner
) -> None:
    # every OperationalError had been taken for a busy database: a damaged ledger was tried
    # for 5 s (RETRIES waits) and then called busy
    calls = failing(monkeypatch, sqlite_damaged())
    with pytest.raises(OperationalError, match="no such table: audit_clients"):
        demo_runner.catch_up()
    assert calls == [1]


def test_a_catch_up_waiting_for_a_connection_another_thread_holds_tries_again(
    monkeypatch: pytest.MonkeyPatch, demo_runner: ProjectionRunner
) -> None:
    calls = failing(monkeypatch, ConnectionUnavailableError("timed out waiting for one"))
    with pytest.raises(Conflict, match="stayed busy: timed out"):
        demo_runner.catch_up()
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("state", "retried"),
    [
        ("40001", True),  # serialization failure: lost to another transaction
        ("40P01", True),  # deadlock
        ("55P03", True),  # lock not available
        ("57014", True),  # cancelled: a lock or statement timeout
        ("08006", True),  # the connection failed
        ("57P01", True),  # the server ended the connection (a restart, a failover)
        ("57P02", True),  # the server crashed
        ("57P03", True),  # the server cannot take connections yet
        (None, True),  # the connection was lost (no state)
        ("pool", True),  # the driver's pool had no connection free in time
        ("53100", False),  # disk full
        ("42P01", False),  # no such table
    ],
)
def test_a_postgresql_catch_up_tries_again_only_after_losing_to_another(
    monkeypatch: pytest.MonkeyPatch, demo_runner: ProjectionRunner, state: str | None,
    retried: bool,
) -> None:  # fmt: skip
    error = (
        psycopg_pool.PoolTimeout("lost: no connection free")
        if state == "pool"
        else psycopg.errors.lookup(state)("lost")
        if state
        else psycopg.OperationalError("lost")
    )
    calls = failing(monkeypatch, error)
    with pytest.raises(Conflict if retried else OperationalError, match="lost"):
        demo_runner.catch_up()
    assert len(calls) == (3 if retried else 1)


def test_a_runner_that_saw_an_earlier_head_finishes_a_build_that_already_reaches_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stopped part-way at position P, then a runner whose head is P (it read the head
    before the other went on): it finishes the build rather than wait for ever."""
    ledger = Ledger(db_url, clock=lambda: TODAY)
    runner, paged_in = build_cut_short(ledger, monkeypatch, pages=2)
    staged = {s.position for s in runner.status()}
    assert len(staged) == 1 and all(s.building for s in runner.status())

    earlier = ProjectionRunner(ledger, page_size=400, workers=0, stage_from=1)
    monkeypatch.setattr(earlier, "head", lambda: min(staged))
    waits: list[float] = []

    def wait(seconds: float) -> None:  # a runner waiting for another: here, none will come
        waits.append(seconds)
        assert len(waits) < 20, "the runner waits for a build nobody will finish"

    monkeypatch.setattr("reentry_ledger.projections.runner.time.sleep", wait)
    earlier.catch_up()
    assert not any(s.building for s in runner.status())
    assert {s.position for s in runner.status()} == staged
    runner.catch_up()
    assert projection_contents(ledger) == paged_in
    ledger.close()


@pytest.mark.postgres
@pytest.mark.parametrize("staged", [False, True], ids=["paged in", "staged build"])
def test_postgresql_projections_hold_the_rows_sqlite_projections_hold(
    tmp_path: Path, staged: bool
) -> None:
    """PostgreSQL's projection rows are written in bulk (`COPY`), SQLite's by `executemany` of
    each statement: the same ledger, copied from one to the other, projects the same rows."""
    require_postgres()
    here = Ledger(f"sqlite:///{tmp_path}/ledger.db", clock=lambda: TODAY)
    build_demo(here, clients=60, seed=5)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    there = Ledger(f"{POSTGRES_URL}?schema={schema}", clock=lambda: TODAY)
    try:
        import_lines(there, export_lines(here), "the SQLite ledger")
        stage_from = 1 if staged else 10**9
        for ledger in (here, there):
            ProjectionRunner(ledger, page_size=500, workers=1, stage_from=stage_from).rebuild()
        rows = projection_contents(there)
        assert rows == in_ids_of(there, here, projection_contents(here))
        assert sum(len(each) for each in rows.values()) > 1000
    finally:
        there.close()
        here.close()
        drop_schema(schema)


def in_ids_of(there: Ledger, here: Ledger, contents: dict[str, list[str]]) -> dict[str, list[str]]:
    """`here`'s projection rows with the ids its projections keep (keyed by its own secret)
    written as `there`'s projections keep the same clients' and programmes' ids."""
    ids = {
        keyed_client_id(secret(here), stored): keyed_client_id(secret(there), stored)
        for (stored,) in ProjectionStore(here).rows(
            "SELECT DISTINCT originator_id FROM stored_events"
        )
    }
    return {
        table: sorted(
            repr(tuple(ids.get(value, value) for value in literal_eval(row))) for row in rows
        )
        for table, rows in contents.items()
    }


def secret(ledger: Ledger) -> bytes:
    return LedgerSecrets(ledger).secret(PROJECTION_IDS)


def test_a_clear_waits_for_a_page_being_applied_and_leaves_nothing_of_it(ledger: Ledger) -> None:
    """A rebuild beside another runner (PostgreSQL) cleared a projection while that runner
    applied a page: the page's rows and position, read before the clear, were committed after
    it, and the projection said "built" with the rows before the page lost (an operator's
    probe: 884 clients missing, the report's figures wrong with exit 0). A clear now waits
    for the page, then empties it too."""
    enroll_parolee(ledger)
    runner = ProjectionRunner(ledger, workers=0)
    runner.catch_up()
    store, people = runner.store, projection_named("people")
    table = "audit_age_bands"
    with store.transaction() as cursor:  # a runner's page, under its claim
        assert store.claim(cursor, [people], 1) == [people]
        cursor.execute(
            store.sql(f"INSERT INTO {{{table}}} (client_id, number, age_band) VALUES (?, ?, ?)",
                      [table]),
            ("page", 1, "under_25"),
        )  # fmt: skip
        store.track(cursor, people, 10**6)
        clearing = threading.Thread(target=store.clear, args=(people,))
        clearing.start()
        clearing.join(timeout=1.0)
        assert clearing.is_alive(), "the clear went ahead of the page"
    clearing.join(timeout=60)
    assert not clearing.is_alive()
    assert store.rows(store.sql(f"SELECT COUNT(*) FROM {{{table}}}", [table]))[0][0] == 0
    assert store.positions([people])[people] == 0
