"""The access log in a store of its own (ADR 0027): a caseworker's read answers while an import
(or any writer) holds the ledger's write lock, the log stays hash-chained per reader and
verified, and the reads a ledger kept in its event table before stay where they are."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner, Result

from reentry_ledger import access_store, event_reads
from reentry_ledger.access_store import CLIENT_INDEX_NAME, TABLE, selected, sidecar_path
from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Actor
from reentry_ledger.backends import connect_postgres
from reentry_ledger.cli import cli
from reentry_ledger.domain.access import ClientRecordRead, access_log_id
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.integrity import chained, stored_state
from reentry_ledger.event_reads import reads_statement
from reentry_ledger.export.full import export_lines
from reentry_ledger.ingest.jsonl import import_lines
from reentry_ledger.verification import verify
from tests.builders import TODAY, enroll_parolee


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    app = Ledger(db_url, clock=lambda: TODAY)
    enroll_parolee(app)
    app.log_contact("GA-1", actor="jdoe", note="met")
    yield app
    app.close()


def invoke(db_url: str, *args: str, actor: str = "jdoe") -> Result:
    env = {"REENTRY_LEDGER_ACTOR": actor, "REENTRY_LEDGER_DB": db_url}
    return CliRunner().invoke(cli, list(args), env=env)


@contextmanager
def write_lock_held(ledger: Ledger) -> Iterator[None]:
    """Another connection holds the ledger's write lock, as an import does, until the end."""
    with held(ledger, ledger.backend.env.get("SQLITE_DBNAME"), "reentryledger_events"):
        yield


@contextmanager
def held(ledger: Ledger, sqlite_file: Any, table: str) -> Iterator[None]:
    """Another connection holds SQLite's `sqlite_file` for writing, or PostgreSQL's `table`
    in exclusive mode, until the end."""
    if ledger.backend.kind == "sqlite":
        connection = sqlite3.connect(sqlite_file, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    with connect_postgres(ledger.backend) as connection:
        connection.execute("BEGIN")
        connection.execute(f'LOCK TABLE "{ledger.backend.schema}".{table} IN EXCLUSIVE MODE')
        try:
            yield
        finally:
            connection.execute("ROLLBACK")


class StoreRows:
    """Direct access to the access log's store, as an attacker with the database has it."""

    def __init__(self, ledger: Ledger) -> None:
        self.backend = ledger.backend

    def plan(self, statement: str, params: tuple[Any, ...]) -> str:
        """The plan the database makes of `statement`, as text."""
        if self.backend.kind == "sqlite":
            path = sidecar_path(self.backend)
            assert path is not None
            with sqlite3.connect(path) as connection:
                return str(connection.execute(statement, params).fetchall())
        with connect_postgres(self.backend) as connection:
            connection.execute(f'SET search_path TO "{self.backend.schema}"')
            return str(connection.execute(statement.replace("?", "%s"), params).fetchall())

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        if self.backend.kind == "sqlite":
            path = sidecar_path(self.backend)
            assert path is not None
            with sqlite3.connect(path) as connection:
                connection.execute(statement, params)
            return
        with connect_postgres(self.backend) as connection:
            connection.execute(f'SET search_path TO "{self.backend.schema}"')
            connection.execute(statement.replace("?", "%s"), params)


def reads_by(db_url: str, client: str = "GA-1") -> list[dict[str, Any]]:
    result = invoke(db_url, "access-log", "--client", client, "--json")
    assert result.exit_code == 0, result.output
    reads: list[dict[str, Any]] = json.loads(result.stdout)
    return reads


def test_timeline_and_show_answer_while_another_writer_holds_the_ledger(
    ledger: Ledger, db_url: str
) -> None:
    with write_lock_held(ledger):
        timeline = invoke(db_url, "timeline", "GA-1")
        assert timeline.exit_code == 0, timeline.output
        assert "met" in timeline.stdout
        shown = invoke(db_url, "show", "GA-1")
        assert shown.exit_code == 0, shown.output
        views = [read["view"] for read in reads_by(db_url)]
        assert views == ["timeline", "show"]
    assert verify(ledger).ok


def test_the_work_list_and_a_progress_report_answer_while_another_writer_holds_the_ledger(
    ledger: Ledger, db_url: str
) -> None:
    # both read client records and log each read, as timeline and show do: no writer's lock
    # is asked for, so an import under way does not hold a caseworker's list up
    with write_lock_held(ledger):
        due = invoke(db_url, "report", "due", "--format", "json")
        assert due.exit_code == 0, due.output
        progress = invoke(db_url, "report", "progress", "GA-1", "--format", "md")
        assert progress.exit_code == 0, progress.output
        assert "GA-1" in progress.stdout
        views = [read["view"] for read in reads_by(db_url)]
        assert views == ["due", "progress report"]
    assert verify(ledger).ok


def test_reads_are_not_events_of_the_ledger(ledger: Ledger, db_url: str) -> None:
    head = ledger.recorder.max_notification_id()
    assert invoke(db_url, "timeline", "GA-1").exit_code == 0
    assert ledger.recorder.max_notification_id() == head
    assert [read["view"] for read in reads_by(db_url)] == ["timeline"]


def read_twice(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.timeline("GA-1", actor="jdoe")


def test_a_changed_client_in_a_stored_read_is_named_by_verify(ledger: Ledger, db_url: str) -> None:
    read_twice(ledger)
    StoreRows(ledger).execute(
        f"UPDATE {TABLE} SET client_ref = 'GA-9' WHERE reader = 'jdoe' AND number = 2"
    )
    result = verify(ledger)
    assert not result.ok
    assert "the access log of jdoe, event 2" in str(result.broken)
    assert "client_ref" in str(result.broken)
    cli_result = invoke(db_url, "verify")
    assert cli_result.exit_code != 0
    assert "the access log of jdoe" in cli_result.output


def test_a_changed_state_in_a_stored_read_is_named_by_verify(ledger: Ledger) -> None:
    read_twice(ledger)
    StoreRows(ledger).execute(
        f"UPDATE {TABLE} SET state = replace(state, '\"GA-1\"', '\"GA-9\"'), client_ref = 'GA-9' "
        "WHERE reader = 'jdoe' AND number = 2"
    )
    broken = str(verify(ledger).broken)
    assert "the access log of jdoe, event 2" in broken
    assert "does not match its hash" in broken


def test_a_read_deleted_from_the_middle_is_named_by_verify(ledger: Ledger, db_url: str) -> None:
    read_twice(ledger)
    StoreRows(ledger).execute(f"DELETE FROM {TABLE} WHERE reader = 'jdoe' AND number = 2")
    broken = str(verify(ledger).broken)
    assert "the access log of jdoe, event 3" in broken
    assert "events 2 to 2 are missing" in broken
    assert invoke(db_url, "verify").exit_code != 0


def old_read(ledger: Ledger, number: int, previous_hash: str) -> ClientRecordRead:
    """A read as ledgers stored them before the access log had its own store."""
    event = ClientRecordRead(
        originator_id=access_log_id("jdoe"),
        originator_version=number,
        timestamp=ClientRecordRead.create_timestamp(),
        occurred_on=TODAY,
        recorded_by="jdoe",
        client_ref="GA-1",
        view="show",
    )
    linked = chained(event, previous_hash)
    ledger.recorder.insert_events([ledger.mapper.to_stored_event(linked)])
    return linked


def test_reads_kept_in_the_event_table_are_listed_first_and_the_chain_goes_on(
    ledger: Ledger, db_url: str
) -> None:
    first = old_read(ledger, 1, "")
    old_read(ledger, 2, first.event_hash)
    ledger.log_read(Actor("jdoe", None), ledger.get_client("GA-1"), "timeline", None, None)
    assert [read["view"] for read in reads_by(db_url)] == ["show", "show", "timeline"]
    last = ledger.access_store.last("jdoe")
    assert last is not None and last[0] == 3  # numbered on from the event table's reads
    assert verify(ledger).ok


def test_an_export_carries_the_stored_reads_and_a_copy_exports_the_same_lines(
    ledger: Ledger, tmp_path: Any
) -> None:
    first = old_read(ledger, 1, "")
    ledger.log_read(Actor("jdoe", None), ledger.get_client("GA-1"), "timeline", None, None)
    exported = list(export_lines(ledger))
    assert sum(b'"ClientRecordRead"' in line for line in exported) == 2
    assert first.event_hash.encode() in b"".join(exported)
    copy = Ledger(f"sqlite:///{tmp_path}/copy.db", clock=lambda: TODAY)
    try:
        import_lines(copy, exported, "export")
        assert list(export_lines(copy)) == exported
        assert verify(copy).ok
        assert [read.view for read in copy.access_log(actor="jdoe")] == ["show", "timeline"]
    finally:
        copy.close()


def scans_for_reads(ledger: Ledger) -> Any:
    """The walk of the event table for the reads it holds, counted (a page at a time)."""
    from reentry_ledger.application import access

    return mock.patch.object(access, "reads_after", wraps=access.reads_after)


def test_listing_the_access_log_reads_no_event_where_the_event_table_holds_no_read(
    ledger: Ledger, db_url: str
) -> None:
    """Every listing of the access log walked the whole event table for the reads kept there
    before they had a store of their own (2.7 s at a million events, none there): a ledger
    that holds none is known to by an index of them, and is not walked."""
    ledger.log_read(Actor("jdoe", None), ledger.get_client("GA-1"), "timeline", None, None)
    with scans_for_reads(ledger) as walked:
        assert [read.view for read in ledger.access_log(actor="jdoe")] == ["timeline"]
    assert walked.call_count == 0
    first = old_read(ledger, 2, "")  # a read in the event table (an import brings them)
    with scans_for_reads(ledger) as walked:
        views = [read.view for read in ledger.access_log(actor="jdoe")]
    assert views == ["show", "timeline"] and walked.call_count > 0
    assert first.event_hash in str([read.event_hash for read in ledger.access_log(actor="jdoe")])


def test_a_ledger_set_up_without_the_index_of_reads_lists_them_as_before(
    ledger: Ledger, db_url: str
) -> None:
    old_read(ledger, 1, "")
    with ledger.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DROP INDEX {event_reads.qualified(ledger.recorder, event_reads.INDEX)}")
    reopened = Ledger(db_url, clock=lambda: TODAY)  # a ledger with events: not made again
    try:
        assert not event_reads.indexed(reopened)
        assert [read.view for read in reopened.access_log(actor="jdoe")] == ["show"]
    finally:
        reopened.close()


@pytest.mark.parametrize("limit", [1, 3, 4, 9])
@pytest.mark.parametrize(("client", "reader"), [(None, None), ("GA-1", None), (None, "jdoe"),
                                                ("GB-9", None), ("GA-1", "amy")])  # fmt: skip
def test_the_latest_reads_are_the_last_of_the_listing_newest_first(
    ledger: Ledger, limit: int, client: str | None, reader: str | None
) -> None:
    first = old_read(ledger, 1, "")  # in the event table: before every read in the store
    old_read(ledger, 2, first.event_hash)
    jdoe, amy, ga1 = Actor("jdoe", None), Actor("amy", None), ledger.get_client("GA-1")
    for who, view in [(jdoe, "timeline"), (amy, "show"), (jdoe, "show"), (amy, "timeline")]:
        ledger.log_read(who, ga1, view, None, None)
    ledger.log_ledger_read(amy, "replay")  # a read of every client
    listed = list(ledger.access_log(actor="aud", client_ref=client, reader=reader))
    latest = ledger.latest_reads(actor="aud", client_ref=client, reader=reader, limit=limit)
    assert [read.event_hash for read in latest] == [read.event_hash for read in reversed(listed)][
        :limit
    ]


def test_the_latest_reads_are_read_from_the_end_of_the_log_not_by_a_walk(
    ledger: Ledger,
) -> None:
    """The auditor's page of the latest reads walked every read (decoding each) to keep the
    last 200: minutes for a log of millions. It reads them from the end."""
    old_read(ledger, 1, "")  # the event table holds a read: walked only if the store is short
    ga1 = ledger.get_client("GA-1")
    for view in ("show", "timeline", "show"):
        ledger.log_read(Actor("amy", None), ga1, view, None, None)
    walk = mock.patch.object(ledger.access_store, "rows", side_effect=AssertionError("walked"))
    with walk, scans_for_reads(ledger) as scanned:
        latest = ledger.latest_reads(actor="aud", limit=2)
    assert [read.view for read in latest] == ["show", "timeline"]
    assert scanned.call_count == 0
    with walk, scans_for_reads(ledger) as scanned:  # more than the store holds: the rest
        assert [read.view for read in ledger.latest_reads(actor="aud", limit=9)] == [
            "show", "timeline", "show", "show"]  # fmt: skip
    assert scanned.call_count > 0


@pytest.mark.parametrize("limit", [0, -1, 1001])
def test_a_count_of_latest_reads_out_of_range_is_refused(ledger: Ledger, limit: int) -> None:
    with pytest.raises(InvalidInput, match=f"limit {limit}: give 1 to 1000 reads"):
        ledger.latest_reads(actor="aud", limit=limit)


def has_client_index(ledger: Ledger) -> bool:
    if ledger.backend.kind == "sqlite":
        path = sidecar_path(ledger.backend)
        with sqlite3.connect(path) as connection:
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                (CLIENT_INDEX_NAME,),
            ).fetchone()
        return found is not None
    with connect_postgres(ledger.backend) as connection:
        connection.execute(f'SET search_path TO "{ledger.backend.schema}"')
        (index,) = connection.execute("SELECT to_regclass(%s)", (CLIENT_INDEX_NAME,)).fetchone()
        return index is not None


def test_a_clients_reads_are_found_by_an_index_made_on_a_log_set_up_before_it_too(
    ledger: Ledger, db_url: str
) -> None:
    """An auditor's question, who read this record, read every row of the log (0.23 s a
    million reads, for 57 of them): a client's reads and the reads of the whole ledger are
    found by an index, which a log set up before has made when next written."""
    ga1 = ledger.get_client("GA-1")
    ledger.log_read(Actor("amy", None), ga1, "show", None, None)
    ledger.log_ledger_read(Actor("amy", None), "replay")
    assert has_client_index(ledger)
    ledger.close()
    StoreRows(ledger).execute(f"DROP INDEX {CLIENT_INDEX_NAME}")
    reopened = Ledger(db_url, clock=lambda: TODAY)
    try:
        reopened.log_read(Actor("amy", None), reopened.get_client("GA-1"), "timeline", None, None)
        assert has_client_index(reopened)
        views = [read.view for read in reopened.access_log(actor="aud", client_ref="GA-1")]
        assert views == ["show", "replay", "timeline"]
        assert [r.view for r in reopened.access_log(actor="aud", client_ref="GB-9")] == ["replay"]
    finally:
        reopened.close()
    if ledger.backend.kind == "sqlite":  # the listing's statement goes through it
        with sqlite3.connect(sidecar_path(ledger.backend)) as connection:
            statement, params = selected([], [], "GA-1", None, "DESC", 200)
            plan = connection.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
        assert CLIENT_INDEX_NAME in str(plan)


def pages_of(ledger: Ledger, limit: int, **filters: Any) -> list[list[str]]:
    """The event hashes of each page of the access log, `limit` a page, followed to the end."""
    pages, after = [], None
    while True:
        page = ledger.access_log_page(actor="aud", limit=limit, after=after, **filters)
        pages.append([read.event_hash for read in page.reads])
        if page.next_after is None:
            return pages
        after = page.next_after


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 1000])
@pytest.mark.parametrize(("client", "reader"), [(None, None), ("GA-1", None), (None, "jdoe"),
                                                ("GB-9", None), ("GA-1", "amy")])  # fmt: skip
def test_the_access_log_a_page_at_a_time_is_the_whole_listing_in_order(
    ledger: Ledger, limit: int, client: str | None, reader: str | None
) -> None:
    """The server sent the whole log in one answer, held in memory while it was made: at a
    million reads, gigabytes, and every other request of the process waiting. Page after page
    (the event table's reads, then the store's) is the listing, each read once."""
    first = old_read(ledger, 1, "")
    old_read(ledger, 2, first.event_hash)
    jdoe, amy, ga1 = Actor("jdoe", None), Actor("amy", None), ledger.get_client("GA-1")
    for who, view in [(jdoe, "timeline"), (amy, "show"), (jdoe, "show"), (amy, "timeline")]:
        ledger.log_read(who, ga1, view, None, None)
    ledger.log_ledger_read(amy, "replay")
    pages = pages_of(ledger, limit, client_ref=client, reader=reader)
    listed = [r.event_hash for r in ledger.access_log(actor="aud", client_ref=client,
                                                       reader=reader)]  # fmt: skip
    assert [hash_ for page in pages for hash_ in page] == listed
    assert all(len(page) == limit for page in pages[:-1]) and len(pages[-1]) <= limit
    assert len(pages) == max(1, -(-len(listed) // limit))  # no empty page after a full one


@pytest.mark.parametrize(
    "after", ["", "log", "log:", "log:-1", "log:x", "reads:3", f"log:{2**63}", "log:1 ", "é"]
)
def test_a_page_of_the_access_log_after_no_page_end_is_refused(ledger: Ledger, after: str) -> None:
    with pytest.raises(InvalidInput, match=r"give the next_after of a page \(events:N or log:N\)"):
        ledger.access_log_page(actor="aud", after=after)


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_page_of_the_access_log_of_a_size_out_of_range_is_refused(
    ledger: Ledger, limit: int
) -> None:
    with pytest.raises(InvalidInput, match=f"limit {limit}: give 1 to 1000 reads a page"):
        ledger.access_log_page(actor="aud", limit=limit)


def test_reads_become_visible_in_the_order_of_their_positions(ledger: Ledger, db_url: str) -> None:
    """A page of the log ends at a position, and the next starts after it: a read that became
    visible later than a read after it (PostgreSQL takes a position at insert, shows the row
    at commit: a slow commit) would be skipped by every page that followed. Reads are logged
    one at a time, each visible before the next takes its position."""
    ga1 = ledger.get_client("GA-1")
    for view in ("show", "show", "show"):
        ledger.log_read(Actor("jdoe", None), ga1, view, None, None)
    slow = Ledger(db_url, clock=lambda: TODAY)  # a read whose commit is slow
    connection = slow.access_store._connect()
    connection.execute("BEGIN")
    slow.log_read(Actor("amy", None), slow.get_client("GA-1"), "timeline", None, None)

    def log_two_later() -> None:
        for _ in range(2):
            ledger.log_read(Actor("jdoe", None), ga1, "timeline", None, None)

    later = threading.Thread(target=log_two_later)
    later.start()
    time.sleep(0.5)  # the later reads logged meanwhile, had they not waited their turn
    auditor = Ledger(db_url, clock=lambda: TODAY)  # its own connections: the thread's may wait
    seen = [row.position for row in auditor.access_store.rows()]
    connection.execute("COMMIT")
    later.join(timeout=20)
    slow.close()
    every = [row.position for row in auditor.access_store.rows()]
    auditor.close()
    assert len(every) == 6 and set(seen) <= set(every)
    assert all(position > max(seen) for position in set(every) - set(seen)), (seen, every)


@contextmanager
def log_locked(ledger: Ledger) -> Iterator[None]:
    """Another process holds the access log's table (as one making its index does)."""
    sqlite = ledger.backend.kind == "sqlite"
    with held(ledger, sidecar_path(ledger.backend) if sqlite else None, TABLE):
        yield


def test_a_log_whose_index_cannot_be_made_yet_is_still_written_and_listed(
    ledger: Ledger, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Making the index on a log set up before it waits for the log's table; one that waited
    past the timeout left the log unwritable for the process's life ("database is locked":
    every read refused), where it had been written before the index existed."""
    ledger.log_read(Actor("amy", None), ledger.get_client("GA-1"), "show", None, None)
    ledger.close()
    StoreRows(ledger).execute(f"DROP INDEX {CLIENT_INDEX_NAME}")
    monkeypatch.setattr(access_store, "INDEX_WAIT_SECONDS", 0.2)
    reopened = Ledger(db_url, clock=lambda: TODAY)
    try:
        with log_locked(reopened):
            assert reopened.access_store.head() == 1  # opened meanwhile, without its index
        assert not has_client_index(reopened)
        reopened.log_read(Actor("amy", None), reopened.get_client("GA-1"), "timeline", None, None)
        views = [read.view for read in reopened.access_log(actor="aud", client_ref="GA-1")]
        assert views == ["show", "timeline"]
    finally:
        reopened.close()
    again = Ledger(db_url, clock=lambda: TODAY)  # the next open makes it
    try:
        again.log_read(Actor("amy", None), again.get_client("GA-1"), "show", None, None)
        assert has_client_index(again)
    finally:
        again.close()


def test_the_reads_of_a_malformed_reference_are_refused_naming_it(
    ledger: Ledger, db_url: str
) -> None:
    """`access-log --client "GA 1"` printed an empty listing: a typing slip looked like a
    record no one had read. A reference no client can have is refused, as every command's."""
    result = invoke(db_url, "access-log", "--client", "GA 1")
    assert result.exit_code == 2 and "client reference 'GA 1' is malformed" in result.output
    for listing in (ledger.latest_reads, ledger.access_log_page):
        with pytest.raises(InvalidInput, match="client reference 'GA 1' is malformed"):
            listing(actor="aud", client_ref="GA 1")


def test_an_empty_access_log_says_no_reads(ledger: Ledger, db_url: str) -> None:
    result = invoke(db_url, "access-log", "--client", "GB-9")
    assert result.exit_code == 0 and result.stdout == "(no reads)\n"


def test_a_clients_latest_reads_are_found_by_the_index_in_a_log_of_many_without_statistics(
    ledger: Ledger,
) -> None:
    """PostgreSQL, without the table's statistics (a log not yet analysed), took a client's
    reads, asked for as one condition on two values, for common: it walked the log backwards
    by position to find them (0.8 s a million reads, for 55). Each value is a run of the
    client index."""
    rows = 1_000_000
    shape = (
        "(reader, number, topic, recorded_at, client_ref, view, state, event_hash, previous_hash)"
    )
    values = (
        "SELECT 'r' || (i - i / 20 * 20), i, 'read', '2026-01-01T00:00:00+00:00', "
        "'DEMO-' || (i - i / 18000 * 18000), 'show', '{}', 'h', 'p' FROM numbers"
    )
    ledger.log_read(Actor("amy", None), ledger.get_client("GA-1"), "show", None, None)
    if ledger.backend.kind == "sqlite":
        numbers = f"WITH RECURSIVE numbers(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM numbers WHERE i < {rows})"
        StoreRows(ledger).execute(f"{numbers} INSERT INTO {TABLE} {shape} {values}")
        explain = "EXPLAIN QUERY PLAN"
    else:
        numbers = f"WITH numbers(i) AS (SELECT generate_series(1, {rows}))"
        StoreRows(ledger).execute(f"INSERT INTO {TABLE} {shape} {numbers} {values}")
        explain = "EXPLAIN"
    for order, conditions, params in (("DESC", [], []), ("", ["position > ?"], [0])):
        statement, values_ = selected(conditions, params, "DEMO-0000123", None, order, 200)
        plan = StoreRows(ledger).plan(f"{explain} {statement}", values_)
        assert CLIENT_INDEX_NAME in plan and "position_key" not in plan, plan


def numbered_reads(first: int, refs: list[str], previous_hash: str) -> list[tuple[int, dict]]:
    """jdoe's reads of `refs`, numbered from `first` and chained on from `previous_hash`, as
    the ledger stores them."""
    numbered = []
    for number, ref in enumerate(refs, start=first):
        event = ClientRecordRead(
            originator_id=access_log_id("jdoe"), originator_version=number,
            timestamp=ClientRecordRead.create_timestamp(), occurred_on=TODAY,
            recorded_by="jdoe", client_ref=ref, view="due",
        )  # fmt: skip
        state = stored_state(chained(event, previous_hash))
        numbered.append((number, state))
        previous_hash = state["event_hash"]
    return numbered


def test_a_work_list_logs_the_clients_it_lists_in_the_order_read_one_chain(
    ledger: Ledger, db_url: str
) -> None:
    """The work list logs its clients at once (one commit, not one a client: most of a long
    list's time on a disk that flushes each), each listed client once, in the order read."""
    for ref in ("GA-2", "GA-3", "GA-4"):
        enroll_parolee(ledger, ref)
    listed = invoke(db_url, "report", "due", "--format", "json")
    assert listed.exit_code == 0, listed.output
    clients = list(dict.fromkeys(row["client"] for row in json.loads(listed.stdout)["items"]))
    assert sorted(clients) == ["GA-1", "GA-2", "GA-3", "GA-4"]  # each overdue for something
    rows = [row for row in Ledger(db_url).access_store.rows(reader="jdoe") if row.view == "due"]
    assert [row.client_ref for row in rows] == ["GA-1", "GA-2", "GA-3", "GA-4"]  # enrolled so
    assert [row.number for row in rows] == list(range(rows[0].number, rows[0].number + 4))
    assert verify(ledger).ok


def test_reads_stored_at_once_are_stored_all_or_none(ledger: Ledger) -> None:
    """A batch one of whose numbers another process took meanwhile leaves none of its reads:
    a list whose reads cannot all be logged shows none (and is logged again, whole)."""
    ledger.log_reads(Actor("jdoe", None), ["GA-1"], "show", None, None)
    store = ledger.access_store
    first = store.last("jdoe")
    assert first is not None
    batch = numbered_reads(2, ["GA-1", "GA-2", "GA-3"], first[1])
    assert store.insert("jdoe", ClientRecordRead.TOPIC, [batch[1]])  # number 3 taken meanwhile
    assert not store.insert("jdoe", ClientRecordRead.TOPIC, batch)
    assert [row.number for row in store.rows(reader="jdoe")] == [1, 3]


def test_a_batch_whose_numbers_were_taken_is_logged_again_after_them_chained(
    ledger: Ledger,
) -> None:
    ledger.log_reads(Actor("jdoe", None), ["GA-1"], "show", None, None)
    store = ledger.access_store
    stale, last = store.last("jdoe"), store.last
    calls = iter([stale])  # the first look at the log sees it before another read landed
    ledger.timeline("GA-1", actor="jdoe")  # that other read: number 2
    with mock.patch.object(store, "last", lambda reader: next(calls, None) or last(reader)):
        ledger.log_reads(Actor("jdoe", None), ["GA-1", "GA-1", "GA-1"], "caseload", None, None)
    rows = list(store.rows(reader="jdoe"))
    assert [(row.number, row.view) for row in rows] == [
        (1, "show"), (2, "timeline"), (3, "caseload"), (4, "caseload"), (5, "caseload")
    ]  # fmt: skip
    assert verify(ledger).ok


def test_the_reads_an_event_table_holds_are_found_by_their_index_not_by_a_walk(
    ledger: Ledger,
) -> None:
    """On a ledger restored from an export the old reads are events: every page of the access
    log walked the event table for them (the topics bound as parameters, which the partial
    index of reads does not serve): 0.6-1 s at a million events."""
    first = old_read(ledger, 1, "")
    old_read(ledger, 2, first.event_hash)
    assert [read.originator_version for read in ledger.access_log(actor="jdoe")] == [1, 2]
    if ledger.backend.kind == "sqlite":
        with ledger.recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute("EXPLAIN QUERY PLAN " + reads_statement(ledger.recorder), (0, 10))
            plan = str([tuple(row) for row in cursor.fetchall()])
        assert event_reads.INDEX in plan, plan


def test_a_batch_whose_commit_fails_leaves_the_log_out_of_any_transaction(tmp_path: Any) -> None:
    """A COMMIT refused (the log's file locked by a reader, out of WAL mode) left the log's
    connection inside the batch's transaction: later reads were "logged" into it, never
    committed, and shown (the review)."""
    real = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
    real.execute(f"CREATE TABLE {TABLE} (reader TEXT, number INTEGER, topic TEXT, "
                 "recorded_at TEXT, occurred_on TEXT, client_ref TEXT, view TEXT, as_of TEXT, "
                 "known_at TEXT, state TEXT, event_hash TEXT, previous_hash TEXT)")  # fmt: skip

    class CommitRefused:
        in_transaction = property(lambda self: real.in_transaction)

        def execute(self, statement: str, *args: Any) -> Any:
            if statement == "COMMIT":
                raise sqlite3.OperationalError("database is locked")
            return real.execute(statement, *args)

        def executemany(self, statement: str, rows: Any) -> Any:
            return real.executemany(statement, rows)

    rows = [("jdoe", n, "t", "", None, "GA-1", "show", None, None, "{}", "h", "p") for n in (1, 2)]
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        access_store._insert_sqlite(CommitRefused(), rows)  # type: ignore[arg-type]
    assert not real.in_transaction
    assert real.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0] == 0
