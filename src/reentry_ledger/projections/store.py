"""The projection tables and their positions, in the ledger's own database: making the tables,
reading and writing positions, and writing a page's rows in one transaction with the new
position, through the library's tracking recorder. One code path for SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from operator import itemgetter
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.domain import events
from reentry_ledger.projections.base import Projection
from reentry_ledger.projections.builds import (
    BUILD_RETRACTIONS,
    BUILD_UPDATES,
    BUILDS,
    StagedBuilds,
)
from reentry_ledger.projections.damage import applying
from reentry_ledger.projections.database import fetched, runs
from reentry_ledger.projections.log import LogReader, Rows
from reentry_ledger.projections.sharing import Sharing

VERSIONS = "projection_versions"  # which version of each projection its tables hold
# A correction's retraction, made on each fact table of a projection: paged in, one event's row
# at a time (when, client_id, number); in a build, every kept retraction at once
# (`builds.BUILD_RETRACTION`).
RETRACTION = "UPDATE {{{table}}} SET retracted_at = ? WHERE client_id = ? AND number = ?"


# An INSERT's values as `copy_form` reads them: a parameter, NULL, or a quoted text literal.
LITERAL = re.compile(r"\?|NULL|'[^',]*'")


@cache
def copy_form(
    statement: str, columns: str
) -> tuple[str, Callable[[tuple[Any, ...]], tuple[Any, ...]] | None] | None:
    """A plain `INSERT INTO {table} VALUES (?, NULL, 'text', ...)` into a table of `columns`
    (its definition), as what to `COPY` into ("{table}", and its columns where a `NULL`
    leaves one out: the column is then left NULL by the server, not sent row by row) and what
    makes a row of it from the statement's parameters (None: they are the row as they are); None
    for any other statement (written by `executemany`, as ever)."""
    found = re.fullmatch(r"INSERT INTO (\{\w+\}) VALUES \((.*)\)", statement)
    if found is None:
        return None
    items = [item.strip() for item in found.group(2).split(",")]
    if not all(LITERAL.fullmatch(item) for item in items):
        return None
    names = column_names(columns)
    if len(names) != len(items):
        return None
    kept = [name for name, item in zip(names, items, strict=True) if item != "NULL"]
    target = found.group(1) if len(kept) == len(names) else f"{found.group(1)} ({', '.join(kept)})"
    items = [item for item in items if item != "NULL"]
    if all(item == "?" for item in items):
        return target, None
    # Runs of parameters between literals: each literal's place and value.
    places: list[tuple[int, Any]] = []
    taken = 0
    for item in items:
        if item == "?":
            taken += 1
        else:
            places.append((taken, item[1:-1]))

    def widen(values: tuple[Any, ...]) -> tuple[Any, ...]:
        row: list[Any] = []
        start = 0
        for place, literal in places:
            row.extend(values[start:place])
            row.append(literal)
            start = place
        row.extend(values[start:])
        return tuple(row)

    return target, widen


def copy_form_of(
    statement: str, projection: Projection
) -> tuple[str, Callable[[tuple[Any, ...]], tuple[Any, ...]] | None] | None:
    """`copy_form` of one of the projection's statements, with its table's definition."""
    found = re.match(r"INSERT INTO \{(\w+)\}", statement)
    columns = projection.tables.get(found.group(1)) if found else None
    return None if columns is None else copy_form(statement, columns)


def column_names(columns: str) -> list[str]:
    """The columns a table's definition names, in order (its key constraint left aside)."""
    names, depth, item = [], 0, ""
    for char in columns + ",":
        if char == "," and depth == 0:
            if not item.strip().upper().startswith("PRIMARY KEY"):
                names.append(item.split()[0])
            item = ""
            continue
        depth += (char == "(") - (char == ")")
        item += char
    return names


# Tables earlier versions kept in the projections' database that must not outlive an upgrade,
# dropped whenever the projections are set up: `report_segments`, the first definition of the
# segments kept for reports, held age bands, which a seal must leave nowhere (ADR 32).
RETIRED = ("report_segments",)
# Reports' counts kept as asked (reports/answers.py, ADR 33): made with the projections and
# emptied by every page written to them and every clear, so no answer outlives the state it was
# counted at.
ANSWERS = "report_kept_answers"
# The same counts by part of the clients (the first character of their ids as the projections
# key them, or the first two), for a report asked again after new events: a clear deletes them
# all; a page written deletes the parts of the clients whose events it holds (`Rows.parts`)
# where one could change an earlier day than its own (`DATED_TOPICS`), and leaves the others to
# be mended (ADR 38); a report reads back only the parts none of whose clients has an event
# since, read from the event log (reports/answers.py, ADR 33)
ANSWER_PARTS = "report_kept_parts"
# A report split by period and kept whole is also kept as the part "" (of every client), which
# a page does not delete unless it holds an event of a topic outside `DATED_TOPICS`: asked
# again after new events, its periods that end before the earliest day they could change are
# read back (reports/answers.py, `mended`; ADR 37), as those of a report kept by part are, of
# the parts the events' clients are in (ADR 38). Each of these changes a client's record from the
# day it occurred on (a term that starts ends the one before the day before) or not at all
# for a report's counts; a disposition changes the period of the offence it disposes of, a
# response the violation's (a violation not sustained), a correction the day of what it
# corrects, a seal every day (ADR 32: nothing counted while the client was known is kept).
DATED_TOPICS = frozenset(
    event.TOPIC
    for event in (
        events.Enrolled, events.TermStarted, events.Reassigned, events.LevelChanged,
        events.ConditionsChanged, events.CustodyStarted, events.CustodyEnded,
        events.Absconded, events.Returned, events.Assessed, events.CasePlanRevised,
        events.GoalAdded, events.GoalProgressed, events.GoalReordered,
        events.CasePlanApproved, events.Referred, events.ReferralUpdated,
        events.ContactLogged, events.VolunteerMatched, events.VolunteerMatchEnded,
        events.ProgrammeEnrolled, events.ProgrammeSessionAttended,
        events.ProgrammeSessionMissed, events.ProgrammeEnded, events.ViolationRecorded,
        events.IncentiveGranted, events.Discharged,
    )
)  # fmt: skip
WHOLE_PART = ""  # the part of every client: a report kept whole
# How many times each projection was cleared (a rebuild): its position goes back to 0 and may
# come back to where it was, over rows made again, so what was read at a position is known to
# be current only beside this count (ADR 33)
RESETS = "projection_resets"


class ProjectionStore(LogReader, StagedBuilds, Sharing):
    """The projection tables and tracking rows, in the ledger's own database."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        # the projections this store found a table of missing, and built again from the start
        # (`create`), with those tables: `projections verify` names them
        self.lost_tables: dict[str, list[str]] = {}

    def set_up(self) -> None:
        """Drop the tables `RETIRED` names, where an earlier version left them, and make the
        tables every projection shares: the kept answers (`ANSWERS`, `ANSWER_PARTS`) and the
        count of clears (`RESETS`)."""
        with self.transaction() as cursor:
            if self.postgres:  # runners starting together: one creates, the others wait
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.set_up_key(),))
            for table in RETIRED:
                cursor.execute(self.sql(f"DROP TABLE IF EXISTS {{{table}}}", [table]))
            for statement in (
                f"CREATE TABLE IF NOT EXISTS {{{ANSWERS}}} (digest TEXT PRIMARY KEY, "
                "state TEXT NOT NULL, answer TEXT NOT NULL, kept_at BIGINT NOT NULL)",
                f"CREATE TABLE IF NOT EXISTS {{{ANSWER_PARTS}}} (digest TEXT NOT NULL, "
                "part TEXT NOT NULL, sums TEXT NOT NULL, kept_at BIGINT NOT NULL, "
                "since BIGINT NOT NULL, standing TEXT NOT NULL, PRIMARY KEY (digest, part))",
                f"CREATE TABLE IF NOT EXISTS {{{RESETS}}} (name TEXT PRIMARY KEY, "
                "resets BIGINT NOT NULL)",
            ):
                cursor.execute(self.sql(statement, [ANSWERS, ANSWER_PARTS, RESETS]))

    def moving(self, cursor: Any) -> None:
        """Within a transaction about to change what the projections hold (and to empty the
        kept answers after it, `forget_answers`): on PostgreSQL, take the answers' lock,
        shared. Keeping an answer takes it alone (answers.keep), so an answer is kept either
        before the change commits (and emptied by it) or after (and sees the new state)."""
        if self.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", (self.answers_key(),))

    def open_all(self, projections: Sequence[Projection]) -> None:
        """Make the shared tables (`set_up`) and each projection's (`create`), unless all of
        them are there already at the projections' versions, with nothing retired left: then
        one look, two statements, and nothing made or locked (ADR 46)."""
        if not self.made(projections):
            self.set_up()
            for projection in projections:
                self.create(projection)

    def made(self, projections: Sequence[Projection]) -> bool:
        """Whether every table and index `set_up` and `create` make for `projections`
        (`wanted`) is there, none that `RETIRED` names is, and the versions table holds each
        one's version."""
        wanted = self.wanted(projections)
        with self.transaction(commit=False) as cursor:
            if self.there(cursor, {*wanted, *RETIRED}) != wanted:
                return False
            found = fetched(cursor, f"SELECT name, version FROM {self.prefix}{VERSIONS}", ())
        versions = dict(found)
        return all(versions.get(p.name) == p.version for p in projections)

    @staticmethod
    def wanted(projections: Sequence[Projection]) -> set[str]:
        """The names of the tables and indexes `set_up` and `create` make for `projections`
        (a test holds the two to each other)."""
        wanted = {ANSWERS, ANSWER_PARTS, RESETS, VERSIONS, BUILDS, BUILD_UPDATES, BUILD_RETRACTIONS}
        for projection in projections:
            wanted.update(projection.tables)
            wanted.update(index_name(index) for index in projection.indexes)
        return wanted

    def create(self, projection: Projection) -> None:
        """Make the projection's tables, first dropping any made by another version of it, or
        all of them where one is missing (`missing`, said in the ledger's notices): its
        position goes with them, so the next catch-up builds it again from the start."""
        with self.transaction() as cursor:
            if self.postgres:  # runners starting together: one creates, the others wait
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key(projection),))
            versions = self.prefix + VERSIONS
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {versions} (name TEXT PRIMARY KEY, version INTEGER)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILDS} "
                "(name TEXT PRIMARY KEY, position INTEGER NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILD_UPDATES} (name TEXT NOT NULL, "
                "client_id TEXT NOT NULL, position INTEGER NOT NULL, step INTEGER NOT NULL, "
                "statement TEXT NOT NULL, params TEXT NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.prefix}{BUILD_RETRACTIONS} (name TEXT NOT NULL, "
                "retracted_at TEXT NOT NULL, client_id TEXT NOT NULL, number INTEGER NOT NULL, "
                "position INTEGER NOT NULL, step INTEGER NOT NULL)"
            )
            name = (projection.name,)
            found = fetched(
                cursor, self.sql(f"SELECT version FROM {versions} WHERE name = ?"), name
            )
            current = bool(found) and found[0][0] == projection.version
            missing = self.missing(cursor, projection) if current else []
            if not current or missing:
                self.moving(cursor)
                for table in projection.tables:
                    cursor.execute(self.sql(f"DROP TABLE IF EXISTS {{{table}}}", [table]))
                self.forget(cursor, projection)
                self.count_reset(cursor, projection)
                cursor.execute(self.sql(f"DELETE FROM {versions} WHERE name = ?"), name)
                cursor.execute(
                    self.sql(f"INSERT INTO {versions} (name, version) VALUES (?, ?)"),
                    (projection.name, projection.version),
                )
            for table, columns in projection.tables.items():
                # SQLite: rows kept in key order, found in one descent rather than two.
                keyed = "PRIMARY KEY" in columns
                clustered = " WITHOUT ROWID" if keyed and not self.postgres else ""
                statement = f"CREATE TABLE IF NOT EXISTS {{{table}}} ({columns}){clustered}"
                cursor.execute(self.sql(statement, [table]))
            for index in projection.indexes:
                table, _, columns = index.partition("(")
                made = index_name(index)
                statement = f"CREATE INDEX IF NOT EXISTS {made} ON {{{table}}} ({columns}"
                cursor.execute(self.sql(statement, [table]))
        if missing:  # said once it is done: a table made again empty would have given
            # whatever reads it nothing, at the position its rows had reached
            self.lost_tables[projection.name] = missing
            self.ledger.notices.append(lost_notice(projection.name, missing))

    def missing(self, cursor: Any, projection: Projection) -> list[str]:
        """The projection's tables that are not there (dropped by hand)."""
        there = self.there(cursor, set(projection.tables))
        return [table for table in projection.tables if table not in there]

    def there(self, cursor: Any, names: set[str]) -> set[str]:
        """Those of the tables and indexes `names` that are there, looked for at once."""
        ordered = sorted(names)
        if self.postgres:
            statement = "SELECT n FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NOT NULL"
            found = fetched(cursor, statement, ([self.prefix + name for name in ordered],))
            return {str(name).removeprefix(self.prefix) for (name,) in found}
        marks = ", ".join("?" * len(ordered))
        statement = f"SELECT name FROM sqlite_master WHERE name IN ({marks})"
        return {str(name) for (name,) in fetched(cursor, statement, ordered)}

    def write(
        self,
        cursor: Any,
        page: dict[Projection, Rows],
        notification_id: int,
        builds: dict[Projection, int],
        head: int,
    ) -> None:
        """Write a page's rows for each projection and their new positions.

        A projection inserts only rows of its own events (each new), marks rows of earlier
        events retracted, and updates only rows already there or recomputes a value from what
        is there after each change it depends on; an event's statements touch only its own
        client's rows. So a page's inserts go first, each table's in one `executemany` in key
        order, then its retractions, then its updates in the order they came: the same tables
        as writing each event in turn, with far fewer round trips.

        A projection being built from empty (`builds`) takes this further across the whole log:
        its rows are appended to staged tables without keys, its retractions and updates kept,
        and once the build reaches `head` the rows go into the keyed tables in key order, the
        retractions are made in one statement per table, the updates follow client by client,
        each client's in the order they came, and each `refresh` runs once over every row
        instead of client by client (`finish_build`). Inserting millions of rows at random
        places in keyed tables was most of a rebuild's time; appending and sorting once is not.
        """
        self.moving(cursor)
        for projection, rows in page.items():
            with applying(projection.name):
                self.write_rows(cursor, projection, rows, notification_id, builds, head)
        self.forget_answers(
            cursor,
            {part for rows in page.values() for part in rows.parts},
            {topic for rows in page.values() for topic in rows.topics},
        )

    def write_rows(
        self,
        cursor: Any,
        projection: Projection,
        rows: Rows,
        notification_id: int,
        builds: dict[Projection, int],
        head: int,
    ) -> None:
        staged = projection in builds
        self.insert_rows(cursor, projection, rows, staged)
        if staged:
            self.stage_updates(cursor, projection, rows, notification_id)
            if notification_id >= head:
                self.finish_build(cursor, projection, notification_id)
            return
        if rows.retractions:
            for table in projection.fact_tables:
                statement = self.sql(RETRACTION.format(table=table), projection.tables)
                cursor.executemany(statement, rows.retractions)
        updates = [(statement, values) for _, statement, values in rows.updates]
        for statement, params in runs(updates):
            cursor.executemany(self.sql(statement, projection.tables), params)
        self.track(cursor, projection, notification_id)

    def insert_rows(self, cursor: Any, projection: Projection, rows: Rows, staged: bool) -> None:
        for statement, params in rows.inserts.items():
            if not staged:
                params.sort(key=itemgetter(0, 1))  # (client_id, number): the primary key
            form = copy_form_of(statement, projection) if self.postgres else None
            if form is None:
                cursor.executemany(self.sql(statement, projection.tables, staged), params)
            else:
                table, widen = form
                self.copy_rows(cursor, self.sql(table, projection.tables, staged), widen, params)

    def copy_rows(
        self,
        cursor: Any,
        table: str,
        widen: Callable[[tuple[Any, ...]], tuple[Any, ...]] | None,
        params: list[tuple[Any, ...]],
    ) -> None:
        """PostgreSQL: a statement's rows written by one `COPY` rather than an `executemany`
        of its `INSERT` (each row a round of the driver's pipeline: most of a rebuild's time
        on PostgreSQL). The same rows, the same keys checked; a literal of the statement's
        `VALUES` is put in its column."""
        with cursor.copy(f"COPY {table} FROM STDIN") as copy:
            write_row = copy.write_row
            if widen is None:
                for values in params:
                    write_row(values)
            else:
                for values in params:
                    write_row(widen(values))

    def analyze(self, projections: Sequence[Projection]) -> None:
        """PostgreSQL: fresh planner statistics for tables that have just grown a lot (until
        autovacuum comes by, a table filled in one go has none, and reports plan badly)."""
        if self.postgres:
            with self.transaction() as cursor:
                for projection in projections:
                    for table in projection.tables:
                        cursor.execute(self.sql(f"ANALYZE {{{table}}}", [table]))

    def clear(self, projection: Projection) -> None:
        """Empty the projection's tables and forget its position, in one transaction, and
        count the clear (`RESETS`). On PostgreSQL, under the projection's claim (`hold`): a
        runner applying a page to it finishes first, so that no page read from a position
        before the clear is committed after it (a rebuild beside another runner kept that
        page's rows and position over the emptied tables: the rows before it lost, silently)."""
        with self.transaction() as cursor:
            self.hold(cursor, projection)
            self.moving(cursor)
            for table in projection.tables:
                cursor.execute(self.sql(f"DELETE FROM {{{table}}}", [table]))
            self.forget(cursor, projection)
            self.count_reset(cursor, projection)

    def count_reset(self, cursor: Any, projection: Projection) -> None:
        """Add one to the projection's count of clears (`RESETS`: its tables emptied or made
        again, its position forgotten), and empty the kept answers."""
        name = (projection.name,)
        statement = f"UPDATE {{{RESETS}}} SET resets = resets + 1 WHERE name = ?"
        cursor.execute(self.sql(statement, [RESETS]), name)
        statement = (
            f"INSERT INTO {{{RESETS}}} (name, resets) SELECT ?, 1 WHERE NOT EXISTS "
            f"(SELECT 1 FROM {{{RESETS}}} WHERE name = ?)"
        )
        cursor.execute(self.sql(statement, [RESETS]), name * 2)
        self.forget_answers(cursor)

    def forget_answers(
        self, cursor: Any, parts: Iterable[str] | None = None, topics: Iterable[str] = ()
    ) -> None:
        """Delete the kept answers; and where an event of `topics` could change a day before
        its own (`DATED_TOPICS`), the answers kept whole as a part (`WHOLE_PART`) and the parts
        that hold the clients of the fine `parts` (None: every part): a part holds the clients
        whose ids start with its characters, so those of a fine part lie in each part it starts
        with (reports/answers.py). Parts whose clients have only events of `DATED_TOPICS` are
        left to be mended: a report finds them from the event log (`still_current`)."""
        cursor.execute(self.sql(f"DELETE FROM {{{ANSWERS}}}", [ANSWERS]))
        if parts is None:
            cursor.execute(self.sql(f"DELETE FROM {{{ANSWER_PARTS}}}", [ANSWER_PARTS]))
            return
        if DATED_TOPICS.issuperset(topics):
            return  # to be mended (a report reads which parts have events since from the log)
        statement = f"DELETE FROM {{{ANSWER_PARTS}}} WHERE part = ?"
        cursor.execute(self.sql(statement, [ANSWER_PARTS]), (WHOLE_PART,))
        if chosen := sorted({part[:n] for part in parts for n in range(1, len(part) + 1)}):
            marks = ", ".join("?" for _ in chosen)
            statement = f"DELETE FROM {{{ANSWER_PARTS}}} WHERE part IN ({marks})"
            cursor.execute(self.sql(statement, [ANSWER_PARTS]), chosen)

    def resets(self, cursor: Any, names: Sequence[str] | None = None) -> list[tuple[str, int]]:
        """How many times each projection (of `names`, else all) was cleared, by name (none
        on a ledger not yet set up by this version)."""
        if not self.has_table(cursor, RESETS):
            return []
        found = fetched(cursor, self.sql(f"SELECT name, resets FROM {{{RESETS}}}", [RESETS]), ())
        return sorted((str(name), int(count)) for name, count in found
                      if names is None or name in names)  # fmt: skip

    def forget(self, cursor: Any, projection: Projection) -> None:
        """Drop the projection's position and any build under way: its next catch-up starts
        from the beginning."""
        cursor.execute(
            self.sql(f"DELETE FROM {self.tracking_table} WHERE application_name = ?"),
            (projection.name,),
        )
        self.drop_build(cursor, projection)


def index_name(index: str) -> str:
    """The name of a projection's index, as `table(column, ...)`, in its schema."""
    table, _, columns = index.partition("(")
    return f"{table}_{columns.rstrip(')').replace(', ', '_')}_idx"


def lost_notice(name: str, tables: Sequence[str]) -> str:
    were = "was" if len(tables) == 1 else "were"
    return (
        f"projection {name}: {', '.join(tables)} {were} missing (dropped by hand?): its other "
        "tables emptied, it is built again from the start of the log"
    )
