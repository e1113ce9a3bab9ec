"""A report's counts, kept once asked, for as long as nothing they were counted from has moved
(ADR 33).

A report's counts depend only on its statements (the SQL, with its groups, periods, range and
options written in, and their parameters) and on the projections it reads. So once a report
has counted, its sums by group (the parts over different clients already added up: a few
thousand rows, not the millions counted) are kept in `report_kept_answers`, keyed by a digest
of the statements, beside the state of the projections they were counted at: every
projection's position, version and count of clears (a rebuild may come back to the same
position), and the position and versions the kept segments were cut at. A report asked again
while that state stands reads them back instead of counting: the same figures, in the time it
takes to read a few thousand rows.

Only answers of the current state are kept: keeping one deletes those of any other state, and
every page a catch-up or rebuild writes, and every clear, deletes them all in its own
transaction. So no count outlives the state it was counted at: after a seal is caught up,
nothing counted while the client was known is left (ADR 32). At most `MOST` answers are kept,
the latest counted.

Keeping an answer never holds a report up: on a ledger that may not be written (a replica), or
while another writer holds it (an import, a catch-up), the report answers without keeping it.
A report asked with `keep=False` (the comparisons in the tests) neither reads nor keeps one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import PersistenceError

from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ANSWERS, VERSIONS, ProjectionStore
from reentry_ledger.reports.tallies import Sums

ANSWERS_VERSION = 1  # of how an answer is kept: a new one never reads an older one's
MOST = 64  # answers kept: the latest counted
LOG = logging.getLogger(__name__)


def answered(
    store: ProjectionStore,
    statements: Sequence[str],
    parameters: dict[str, Any],
    count: Callable[[], Sums],
) -> Sums:
    """The sums `count` gives for `statements` (as their text and `parameters` define them):
    read back where they were kept at the projections' current state, else counted and kept
    (when the state did not move while they were counted)."""
    digest = hashlib.sha256(
        json.dumps([ANSWERS_VERSION, list(statements), parameters], sort_keys=True).encode()
    ).hexdigest()
    before, found = None, []
    with store.transaction(commit=False) as cursor:
        if store.has_table(cursor, ANSWERS):  # not on a ledger an earlier version set up
            before = state(store, cursor)
            statement = f"SELECT answer FROM {{{ANSWERS}}} WHERE digest = ? AND state = ?"
            found = fetched(cursor, store.sql(statement, (ANSWERS,)), (digest, before))
    if before is None:
        return count()
    if found:
        return loaded(str(found[0][0]))
    sums = count()
    if not store.ledger.backend.read_only:
        keep(store, digest, before, sums)
    return sums


def state(store: ProjectionStore, cursor: Any) -> str:
    """The projections' positions, versions and clears, and the kept segments' state, as
    text."""
    from reentry_ledger.reports.kept import kept_state  # it builds on the reports' modules

    positions = f"SELECT application_name, notification_id FROM {store.tracking_table}"
    versions = store.sql(f"SELECT name, version FROM {{{VERSIONS}}}", (VERSIONS,))
    kept = kept_state(store, cursor)
    return json.dumps(
        [
            sorted(map(list, fetched(cursor, store.sql(positions), ()))),
            sorted(map(list, fetched(cursor, versions, ()))),
            store.resets(cursor),
            list(kept) if kept else None,
        ]
    )


def keep(store: ProjectionStore, digest: str, counted_at: str, sums: Sums) -> None:
    """Keep `sums`, counted at the state `counted_at`, if that is still the state; without
    waiting for another writer (the report is answered whether or not they are kept)."""
    answer = dumped(sums)
    if answer is None:
        return

    def run(cursor: Any, statement: str, values: Sequence[Any]) -> None:
        cursor.execute(store.sql(statement, (ANSWERS,)), values)

    try:
        # not waiting for another writer: on SQLite, a write after the state is read is
        # refused at once while another connection writes (`ProjectionDatabase.transaction`)
        with store.transaction(wait=False) as cursor:
            if store.postgres:  # alone: no change to the projections under way (`moving`)
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (store.answers_key(),))
            if state(store, cursor) != counted_at:
                return  # the projections moved meanwhile: the counts may be of either state
            run(cursor, f"DELETE FROM {{{ANSWERS}}} WHERE state <> ? OR digest = ?",
                (counted_at, digest))  # fmt: skip
            found = fetched(cursor, store.sql(f"SELECT MAX(kept_at) FROM {{{ANSWERS}}}",
                                              (ANSWERS,)), ())  # fmt: skip
            kept_at = (int(found[0][0] or 0) if found else 0) + 1
            run(cursor, f"INSERT INTO {{{ANSWERS}}} (digest, state, answer, kept_at) "
                "VALUES (?, ?, ?, ?)", (digest, counted_at, answer, kept_at))  # fmt: skip
            run(cursor, f"DELETE FROM {{{ANSWERS}}} WHERE kept_at <= ?", (kept_at - MOST,))
    except PersistenceError as error:  # busy, locked, no connection free, or kept by another
        LOG.debug("report answer not kept: %s", error)  # report at the same moment


def dumped(sums: Sums) -> str | None:
    """`sums` as text (None when a group's value is not one JSON keeps exactly)."""
    kept = []
    for names, by_key in sums.items():
        rows = []
        for key, counts in by_key.items():
            values = [plain(value) for value in key]
            if any(value is NotImplemented for value in values):
                return None
            rows.append([values, counts])
        kept.append([list(names), rows])
    return json.dumps(kept)


def plain(value: Any) -> Any:
    """A group's value as JSON keeps it: text, a whole number, or nothing."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return NotImplemented


def loaded(answer: str) -> Sums:
    return {
        tuple(names): {tuple(key): counts for key, counts in rows}
        for names, rows in json.loads(answer)
    }
