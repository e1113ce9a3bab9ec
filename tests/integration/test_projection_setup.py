"""Opening the projections: every command that reads them (a report, `projections status`,
`catch-up`, the server) first makes sure their tables are there, at the versions this
release defines. Where they are, that is a look, not a making: on PostgreSQL each statement
is a round trip to the server, and a report ran some 80 of them (ten transactions of `CREATE
... IF NOT EXISTS`) before it read anything, and some 30 more reading the projections'
positions one at a time. What was missing, dropped or left by another version is still made
again."""

from __future__ import annotations

from collections.abc import Iterator
from traceback import extract_stack

import psycopg
import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.projections.catalogue import PROJECTIONS, projection_named
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import VERSIONS, ProjectionStore
from reentry_ledger.projections.verify import verify
from tests.builders import enroll_parolee


def count(store: ProjectionStore, table: str) -> int:
    return int(store.rows(f"SELECT COUNT(*) FROM {{{table}}}", tables=[table])[0][0])


@pytest.fixture
def caught_up(ledger: Ledger) -> Ledger:
    for number in range(1, 4):
        enroll_parolee(ledger, f"GA-{number}")
    ProjectionRunner(ledger).catch_up()
    return ledger


def names_in(store: ProjectionStore) -> set[str]:
    """The tables and indexes in the ledger's database (its schema), less the indexes the
    database makes itself for keys."""
    if store.postgres:
        statement = (
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ? AND c.relkind IN ('r', 'i', 'p')"
        )
        found = store.rows(statement, (store.datastore.schema,))
    else:
        found = store.rows("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    names = {str(name) for (name,) in found}
    return {name for name in names if not name.startswith("sqlite_autoindex_")
            and not name.endswith(("_pkey", "_key"))}  # fmt: skip


def test_the_look_looks_for_every_table_and_index_the_making_makes(ledger: Ledger) -> None:
    # a table or index made but not looked for would never be made on a ledger set up before
    store = ProjectionStore(ledger)
    before = names_in(store)
    store.set_up()
    for projection in PROJECTIONS:
        store.create(projection)
    assert names_in(store) - before == store.wanted(PROJECTIONS)
    assert store.made(PROJECTIONS)


def test_a_projection_table_dropped_by_hand_is_built_again_from_the_start(
    caught_up: Ledger,
) -> None:
    """A table made again empty, while its projection's position stood at the head, would
    give whatever reads it (a caseload, a list of clients) nothing, as if caught up. The next
    runner takes the projection as one to build again from the start, as another version's:
    its other tables emptied (no row twice), the rest of the projections left where they are."""
    store = ProjectionStore(caught_up)
    before = {table: count(store, table) for table in ("audit_clients", "audit_terms")}
    assert before["audit_clients"] == 3 and before["audit_terms"] > 0
    with store.transaction() as cursor:
        cursor.execute(store.sql("DROP TABLE {audit_clients}", ["audit_clients"]))

    runner = ProjectionRunner(caught_up)
    head = runner.head()
    lags = {status.name: status.lag for status in runner.status()}
    assert lags.pop("clients") == head, "built again from the start"
    assert set(lags.values()) == {0}, "the others stand where they were"
    assert count(store, "audit_terms") == 0, "its other tables emptied with it"
    runner.catch_up()
    assert {table: count(store, table) for table in before} == before


def test_a_table_dropped_by_hand_is_said_and_verify_names_it(caught_up: Ledger) -> None:
    """Built again from the start, the projection is not quietly mended: the command that
    found the table missing says so (its notices), and `projections verify` names it as
    damage (exit 6), whichever command comes first."""
    store = ProjectionStore(caught_up)
    with store.transaction() as cursor:
        cursor.execute(store.sql("DROP TABLE {audit_terms}", ["audit_terms"]))
    caught_up.notices.clear()

    runner = ProjectionRunner(caught_up)
    assert caught_up.notices == [
        "projection clients: audit_terms was missing (dropped by hand?): its other tables "
        "emptied, it is built again from the start of the log"
    ]
    findings = verify(runner)
    assert [(f.name, f.why) for f in findings] == [
        ("clients", "audit_terms missing; emptied, to be built again from the start")
    ]
    assert "rebuild clients" in findings[0].message
    assert verify(ProjectionRunner(caught_up)) == [], "once built again, sound"


def test_an_index_dropped_by_hand_is_made_again_by_the_next_runner(caught_up: Ledger) -> None:
    store = ProjectionStore(caught_up)
    index = projection_named("clients").indexes[0]
    table, _, columns = index.partition("(")
    name = f"{table}_{columns.rstrip(')').replace(', ', '_')}_idx"
    with store.transaction() as cursor:
        cursor.execute(f"DROP INDEX {store.prefix}{name}")

    ProjectionRunner(caught_up)
    if store.postgres:
        found = store.rows("SELECT to_regclass(?)", (store.prefix + name,))
        assert found[0][0] is not None
    else:
        assert store.rows("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)) == [(1,)]


def test_the_shared_tables_dropped_by_hand_are_made_again(caught_up: Ledger) -> None:
    store = ProjectionStore(caught_up)
    with store.transaction() as cursor:
        cursor.execute(store.sql("DROP TABLE {report_kept_answers}", ["report_kept_answers"]))
        cursor.execute(f"DROP TABLE {store.prefix}{VERSIONS}")

    ProjectionRunner(caught_up).catch_up()
    assert count(store, "report_kept_answers") == 0
    # the versions forgotten: every projection is taken as another version's, built again
    assert count(store, "audit_clients") == 3
    assert count(store, VERSIONS) == len(PROJECTIONS)


@pytest.fixture
def statements() -> Iterator[list[tuple[str, str]]]:
    """Every statement run on PostgreSQL meanwhile, with the function of ours that ran it."""
    seen: list[tuple[str, str]] = []
    execute = psycopg.Cursor.execute

    def recorded(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
        ours = [f for f in extract_stack() if "/reentry_ledger/" in f.filename]
        caller = f"{ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].name}" if ours else "?"
        text = query if isinstance(query, str) else query.as_string(None)
        seen.append((caller, " ".join(str(text).split())))
        return execute(self, query, params, **kwargs)

    psycopg.Cursor.execute = recorded  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_projections_already_made_are_opened_with_a_look_not_a_making(
    caught_up: Ledger, statements: list[tuple[str, str]]
) -> None:
    ProjectionRunner(caught_up)
    made = [s for s in statements if s[1].upper().startswith(("CREATE", "DROP"))]
    assert made == [], "nothing to make"
    assert len(statements) <= 3, statements


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_runner_reads_every_projections_position_in_one_statement(
    caught_up: Ledger, statements: list[tuple[str, str]]
) -> None:
    runner = ProjectionRunner(caught_up)
    statements.clear()
    runner.status()
    tracking = [s for s in statements if "tracking" in s[1]]
    assert len(tracking) == 1, tracking

    enroll_parolee(caught_up, "GA-9")
    statements.clear()
    runner.catch_up()
    tracking = [s for s in statements if "tracking" in s[1] and s[1].startswith("SELECT")]
    # the status before; in the page's transaction the positions to look at and those
    # claimed; the next page's look, and the last: each of every projection at once
    assert len(tracking) <= 5, tracking
