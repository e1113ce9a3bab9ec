"""The violation report's segments, kept ahead of time (ADR 25).

Cutting every term into segments (`Query.segments`: its status changes and assessments, by
window functions) is nearly all of a report's work, and it is the same for every grouping and
every range. So it is kept in a table, `report_kept_segments`: each term cut over its whole
length, risk included, at the position the projections it is cut from had reached. A report
reads the kept segments that overlap its range, cut to the range, and counts from them
(`Query.kept`).

The kept table holds nothing personal: a segment's age band, which comes from the client's
birth year or a band its term's start gave, is looked up as a report reads the segments, from
who the client is now (the `people` projection), so a seal leaves no band behind once caught
up, whether or not a report has run since (ADR 32).

Before a report reads them they are brought up to those projections: the clients whose events
were recorded since are cut again (one statement per few hundred clients), and everything is
cut again when the projections' versions changed, one of them was cleared (a rebuild, which
may come back to the same position) or more events than `WHOLE_AFTER` came in.
A `--known-at` report, a ledger that may not be written (a replica) or that another writer
holds (an import) whose kept segments are behind, and projections at different positions, cut
every term again instead: the same figures, the slower way. A report's statements also check,
in their own snapshot, that the segments were cut at the position of the projections they read
them with (another process may catch up in between): if not, the report brings them up again,
and the second time cuts every term itself (`tallies.SegmentsBehind`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import OperationalError

from reentry_ledger.contention import busy, overtaken
from reentry_ledger.ledger_secrets import PROJECTION_IDS, LedgerSecrets
from reentry_ledger.projections.base import keyed_client_id
from reentry_ledger.projections.catalogue import projection_named
from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import DATED_TOPICS, VERSIONS, ProjectionStore
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.tallies import SEGMENT_ROW, TABLES, Dialect, Query, analytic

KEPT = "report_kept_segments"  # the first definition's, `report_segments`, is retired (store.py)
STATE = "report_segments_state"
# the projections whose tables the segments are cut from (terms and discharges, status,
# assessments, who people are)
SOURCES = ("clients", "status", "risk", "people")
# of the kept table's definition: a new one cuts every term again (2: a table of its own,
# without age bands; 3: a term that ended on the day the next began keeps that day)
KEPT_VERSION = 3
KEPT_ROW = tuple(column for column in SEGMENT_ROW if column != "age_band")
WHOLE_AFTER = 200_000  # events since the kept position past which every term is cut again
CHUNK = 400  # clients cut again per statement
ATTEMPTS = 3  # refreshes overtaken by another's in a row (SQLite): then the error stands
WHOLE = Period(date(1, 1, 1), date(9999, 12, 31), "whole")  # every term, uncut
CLIENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ADVISORY_KEY = 7_302_019_025  # PostgreSQL: one refresh at a time


def kept_segments(store: ProjectionStore) -> bool:
    """Bring the kept segments up to the projections they are cut from; True when a report
    may read them (they are current), False when it must cut the terms itself."""
    wanted = sources(store)
    if wanted is None:
        return False
    if kept_state(store) == wanted:
        return True
    if store.ledger.backend.read_only:
        return False
    attempt = 1
    while True:
        try:
            refresh(store, wanted)
            return True
        except OperationalError as error:
            # SQLite: another report's refresh committed after this one's first read, so
            # this one's first write is refused at once; the next attempt reads what it did
            if overtaken(error) and attempt < ATTEMPTS:
                attempt += 1
                continue
            # another writer holds the ledger (an import): a refresh reads before it writes,
            # and SQLite calls its busy handler only before a transaction's first read, so its
            # first write is refused at once; the report cuts every term itself, as on a replica
            if busy(error):
                return False
            raise


def source_names() -> tuple[str, ...]:
    """The names the source projections track their positions by."""
    return tuple(projection_named(name).name for name in SOURCES)


def sources(store: ProjectionStore) -> tuple[int, str] | None:
    """The position the source projections share, and their versions and how many times each
    was cleared (a rebuild back to the same position cuts every term again); None when they
    stand at different positions (a report then cuts the terms itself)."""
    positions = set(store.positions([projection_named(name) for name in SOURCES]).values())
    if len(positions) != 1:
        return None
    names = ", ".join(f"'{name}'" for name in SOURCES)
    with store.transaction(commit=False) as cursor:
        statement = f"SELECT name, version FROM {{{VERSIONS}}} WHERE name IN ({names})"
        found = fetched(cursor, store.sql(statement, (VERSIONS,)), ())
        resets = store.resets(cursor, source_names())
    versions = ",".join(f"{name}={version}" for name, version in sorted(map(tuple, found)))
    cleared = "".join(f";{name} cleared {count}" for name, count in resets)
    return positions.pop(), f"{KEPT_VERSION};{versions}{cleared}"


def kept_state(store: ProjectionStore, cursor: Any = None) -> tuple[int, str] | None:
    """The position and versions the kept segments were cut at; None before the first."""
    if cursor is None:
        with store.transaction(commit=False) as reading:
            return kept_state(store, reading)
    if not store.has_table(cursor, STATE):
        return None
    found = fetched(cursor, store.sql(f"SELECT position, versions FROM {{{STATE}}}", (STATE,)), ())
    return (int(found[0][0]), str(found[0][1])) if found else None


def refresh(store: ProjectionStore, wanted: tuple[int, str]) -> None:
    """Cut again the terms of the clients recorded since the kept position (or every term),
    in one transaction with the new position."""
    with store.transaction() as cursor:
        analytic(store, cursor)
        if store.postgres:  # first: two first reports at once would both create the tables
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
        create(store, cursor)
        had = kept_state(store, cursor)
        if had == wanted:
            return  # another report cut them meanwhile
        since = had[0] if had is not None and had[1] == wanted[1] else None
        if since is None or wanted[0] - since > WHOLE_AFTER or since > wanted[0]:
            cursor.execute(store.sql(f"DELETE FROM {{{KEPT}}}", (KEPT,)))
            cursor.execute(cut(store, None))
            if store.postgres:  # as the projections after a long catch-up (store.analyze): a
                # table filled in one go has no statistics until autovacuum comes by (if on)
                cursor.execute(store.sql(f"ANALYZE {{{KEPT}}}", (KEPT,)))
        else:
            clients = sorted(touched(store, since, wanted[0]))
            for start in range(0, len(clients), CHUNK):
                chunk = ", ".join(f"'{client}'" for client in clients[start : start + CHUNK])
                statement = f"DELETE FROM {{{KEPT}}} WHERE client_id IN ({chunk})"
                cursor.execute(store.sql(statement, (KEPT,)))
                cursor.execute(cut(store, f"t.client_id IN ({chunk})"))
        cursor.execute(store.sql(f"DELETE FROM {{{STATE}}}", (STATE,)))
        statement = f"INSERT INTO {{{STATE}}} (position, versions) VALUES (?, ?)"
        cursor.execute(store.sql(statement, (STATE,)), wanted)


def create(store: ProjectionStore, cursor: Any) -> None:
    days = "BIGINT" if store.postgres else "INTEGER"
    statements = (
        f"CREATE TABLE IF NOT EXISTS {{{KEPT}}} (client_id TEXT NOT NULL, term INTEGER NOT "
        "NULL, number INTEGER NOT NULL, supervision TEXT, agency TEXT, officer TEXT, level TEXT, "
        f"risk TEXT, at_risk INTEGER NOT NULL, seg_start {days} NOT NULL, "
        f"seg_end {days} NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {KEPT}_client_idx ON {{{KEPT}}} (client_id, seg_start)",
        # what a line's horizon looks for: the segments that start, or end, after a day
        # (lines.horizons)
        f"CREATE INDEX IF NOT EXISTS {KEPT}_start_day_idx ON {{{KEPT}}} (seg_start)",
        f"CREATE INDEX IF NOT EXISTS {KEPT}_end_day_idx ON {{{KEPT}}} (seg_end)",
        f"CREATE TABLE IF NOT EXISTS {{{STATE}}} (position BIGINT NOT NULL, "
        "versions TEXT NOT NULL)",
    )
    for statement in statements:
        cursor.execute(store.sql(statement, (KEPT, STATE)))


def cut(store: ProjectionStore, only: str | None) -> str:
    """INSERT the segments of every term (of the clients `only` names), uncut by any range."""
    query = Query(Dialect(store.postgres), ("risk",), [WHOLE], known=False)
    query.only = only
    columns = ", ".join(KEPT_ROW)
    statement = (
        f"INSERT INTO {{{KEPT}}} ({columns}) {query.context()} SELECT {columns} FROM segments"
    )
    return store.sql(statement, (*TABLES, KEPT))


def touched(store: ProjectionStore, since: int, until: int) -> set[str]:
    """The clients (as the projections key them) with events recorded after `since` up to
    `until`: read from the event log, page by page."""
    # written into the SQL: only ever a UUID's text
    return set(filter(CLIENT_ID.fullmatch, recorded_for(store, since, until)))


def recorded_for(store: ProjectionStore, since: int, until: int) -> Iterator[str]:
    """The client (as the projections key it) of each event recorded after `since` up to
    `until`, in order."""
    secret = LedgerSecrets(store.ledger).secret(PROJECTION_IDS)
    for originator in originators(store, since, until):
        yield keyed_client_id(secret, originator)


def originators(store: ProjectionStore, since: int, until: int) -> Iterator[Any]:
    for notification in notifications(store, since, until):
        yield notification.originator_id


def notifications(store: ProjectionStore, since: int, until: int) -> Iterator[Any]:
    """The events recorded after `since` up to `until`, as stored, in order."""
    recorder = store.ledger.recorder
    position = since
    while position < until:
        page: Sequence[Any] = recorder.select_notifications(
            start=position, limit=1000, stop=until, inclusive_of_start=False
        )
        if not page:
            return
        yield from page
        position = page[-1].id


def changed_from(store: ProjectionStore, since: int, until: int) -> date | None:
    """The first day the events recorded after `since` up to `until` could change a report's
    counts on: the day before the earliest day one occurred on (a margin: a term that starts
    ended the one before the day before, before definitions version 4, and still ends one with
    no discharge so); None where one could change an earlier day than its own
    (its topic not in `DATED_TOPICS`: a correction, a seal, a disposition...). With none,
    `date.max`."""
    unpack = store.ledger.mapper.unpack
    earliest = date.max
    for notification in notifications(store, since, until):
        if notification.topic not in DATED_TOPICS:
            return None
        state = orjson.loads(unpack(notification.state))
        earliest = min(earliest, date.fromisoformat(state["occurred_on"]))
    return earliest if earliest == date.max else date.fromordinal(earliest.toordinal() - 1)
