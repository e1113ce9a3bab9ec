"""Checking the projections against the events (`reentry-ledger projections verify`).

A projection's tables can be edited or emptied by hand, and its tracking position moved, without
the runner seeing it. To check one, it is caught up to the head of the log as it is now, then
built again from the start of the log into scratch tables beside its own (by the runner, page by
page, as any build: never the whole log in memory), and the two compared as sets by the
database (`EXCEPT`, both ways). The scratch tables are dropped at the end, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reentry_ledger.domain.errors import Conflict
from reentry_ledger.projections.base import RETRACT, Makes, Projection, Recorded, Statement
from reentry_ledger.projections.catalogue import projection_named
from reentry_ledger.projections.damage import ProjectionDamaged, rebuild_command
from reentry_ledger.projections.runner import ProjectionRunner, past_the_head
from reentry_ledger.projections.store import VERSIONS, ProjectionStore

SCRATCH = "_verifying"  # the scratch tables' suffix, and the scratch projections' names'


@dataclass(frozen=True)
class Finding:
    name: str  # the damaged projection
    why: str

    @property
    def message(self) -> str:
        return f"projection {self.name} is damaged ({self.why}); fix: {rebuild_command(self.name)}"


class Scratch(Projection):
    """A projection's double: the same rows from the same events, in tables of other names, with
    a position of its own."""

    def __init__(self, live: Projection) -> None:
        self.live = live
        self.name = live.name + SCRATCH
        self.description = live.description
        self.topics = live.topics
        self.version = live.version
        self.personal = live.personal
        self.tables = {table + SCRATCH: columns for table, columns in live.tables.items()}
        self.fact_tables = tuple(table + SCRATCH for table in live.fact_tables)
        self.indexes = tuple(index.replace("(", f"{SCRATCH}(", 1) for index in live.indexes)
        self.refresh = tuple(self.renamed(statement) for statement in live.refresh)

    def renamed(self, statement: str) -> str:
        for table in self.live.tables:
            statement = statement.replace(f"{{{table}}}", f"{{{table}{SCRATCH}}}")
        return statement

    def reader(self, topic: str) -> Makes:
        return self.renamed_statements

    def renamed_statements(self, event: Recorded) -> Iterable[Statement]:
        for statement, values in self.live.statements(event):
            yield (statement if statement == RETRACT else self.renamed(statement)), values


def verify(runner: ProjectionRunner, names: Sequence[str] = ()) -> list[Finding]:
    """The damaged projections among `names` (default: the runner's), each with what is wrong."""
    chosen = [projection_named(name) for name in names] if names else runner.projections
    head, findings = runner.head(), []
    sound: list[Projection] = []
    statuses = {status.name: status for status in runner.status()}
    for projection in chosen:
        status = statuses[projection.name]
        if lost := runner.store.lost_tables.get(projection.name):  # found as the runner opened
            findings.append(Finding(projection.name, lost_why(lost)))
            continue
        if status.damaged:
            findings.append(Finding(projection.name, past_the_head(status.position, status.head)))
            continue
        try:
            runner._advance([projection], None, until=head)  # the same events as its double
        except ProjectionDamaged as damage:
            findings.append(Finding(projection.name, damage.why))
            continue
        sound.append(projection)
    if sound:
        findings += compared(runner, sound, head)
    order = [p.name for p in chosen]
    return sorted(findings, key=lambda finding: order.index(finding.name))


def lost_why(tables: Sequence[str]) -> str:
    return f"{', '.join(tables)} missing; emptied, to be built again from the start"


def compared(runner: ProjectionRunner, projections: list[Projection], head: int) -> list[Finding]:
    """Each projection against its double, built from the log up to `head`."""
    doubles = [Scratch(projection) for projection in projections]
    scratch = ProjectionRunner(
        runner.ledger, doubles, runner.page_size, runner.workers, runner.stage_from
    )
    store, findings = scratch.store, []
    try:
        for double in doubles:
            store.clear(double)  # what a verify cut short left
        scratch._advance(doubles, None, until=head)
        for projection in projections:
            if store.position(projection) != head:
                raise Conflict(
                    f"projection {projection.name} moved on while it was verified (events were "
                    "recorded meanwhile): verify it again"
                )
            differences = [difference(store, table) for table in projection.tables]
            if found := [text for text in differences if text]:
                findings.append(Finding(projection.name, "; ".join(found)))
    finally:
        for double in doubles:
            discard(store, double)
    return findings


def difference(store: ProjectionStore, table: str) -> str:
    """How a table differs from its double: rows the events do not give, rows they give that it
    lacks ("" when none)."""
    live, double = store.prefix + table, store.prefix + table + SCRATCH

    def count(first: str, second: str) -> int:
        statement = f"SELECT COUNT(*) FROM (SELECT * FROM {first} EXCEPT SELECT * FROM {second}) d"
        return int(store.rows(statement)[0][0])

    extra, missing = count(live, double), count(double, live)
    if not extra and not missing:
        return ""
    return f"{table}: {missing} rows of the events missing or changed, {extra} rows not theirs"


def discard(store: ProjectionStore, double: Projection) -> None:
    """Drop a double's tables, position, build and version."""
    with store.transaction() as cursor:
        for table in double.tables:
            cursor.execute(store.sql(f"DROP TABLE IF EXISTS {{{table}}}", [table]))
        store.forget(cursor, double)
        cursor.execute(
            store.sql(f"DELETE FROM {store.prefix}{VERSIONS} WHERE name = ?"), (double.name,)
        )
