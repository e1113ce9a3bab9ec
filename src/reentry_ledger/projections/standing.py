"""The projections as they stand, for a ledger that may not be written (a read replica): their
positions and the head of the log, read without catching up, creating or writing anything.

A report normally catches its projections up first, which writes; on a streaming replica
(`report ... --no-catch-up`) it reads the tables as the primary's workers left them and says
how far they reach. Projections never built here (no tables, another version's tables, or a
build from empty not yet at the head, whose tables stay empty) are refused, not read as empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import PersistenceError

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import Conflict, LedgerError
from reentry_ledger.projections.base import Projection
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.projections.store import VERSIONS, ProjectionStore

CATCH_UP = "reentry-ledger projections catch-up"
# the live projections' names: their clears are a rebuild's (`projections verify` clears
# scratch projections of its own on every run)
LIVE = tuple(projection.name for projection in PROJECTIONS)


class ProjectionsNotBuilt(LedgerError):
    """A report asked for projections as they stand where they were never built (exit 1)."""


@dataclass(frozen=True)
class Standing:
    """Each projection's position, and the head of the event log, read one after the other."""

    positions: dict[str, int]
    head: int
    # each projection's count of clears (a rebuild), read before the positions: a report
    # read from them checks it has not moved (reports.service.settled)
    clears: list[tuple[str, int]] = field(default_factory=list)

    @property
    def behind(self) -> int:
        """Events the least advanced projection has not counted."""
        return self.head - min(self.positions.values(), default=self.head)

    def describe(self) -> str:
        """One line: the position (each projection's, where they differ) and the head."""
        found = set(self.positions.values())
        if len(found) == 1:
            where = f"position {found.pop()}"
        else:
            where = "positions " + ", ".join(f"{n} {p}" for n, p in self.positions.items())
        counted = (
            "every event counted" if self.behind <= 0 else f"{plural(self.behind)} not counted"
        )
        return f"projections as they stand: {where}; the ledger's head is {self.head} ({counted})"

    def as_metadata(self) -> dict[str, Any]:
        return {"caught_up": False, "positions": dict(self.positions), "head": self.head}


def standing(store: ProjectionStore, projections: Sequence[Projection] = PROJECTIONS) -> Standing:
    """The projections' positions as they stand, or ProjectionsNotBuilt naming the first that
    was never built in this database, or Conflict (busy) where one is being built from empty
    (nothing is created or written either way)."""
    with store.transaction(commit=False) as cursor:
        clears = store.resets(cursor, LIVE)
    versions = built_versions(store)
    try:
        builds = store.staged_positions()
    except PersistenceError:
        builds = {}
    for projection in projections:
        found = versions.get(projection.name)
        if found is None:
            raise not_built(projection.name, "has never been built in this database")
        if found != projection.version:
            raise not_built(
                projection.name,
                f"is at version {found} in this database, and this program reads version "
                f"{projection.version}",
            )
        if projection.name in builds:  # a rebuild, or a first catch-up, under way: it passes
            raise Conflict(
                f"projection {projection.name} is being built from empty (its staged rows "
                f"reach position {builds[projection.name]}; its tables fill when the build "
                "reaches the head), so there is nothing to read as it stands yet: report "
                "again when it ends (`projections status` says how far it is)"
            )
    with store.transaction(commit=False) as cursor:  # a table dropped by hand: none to read
        there = store.there(cursor, {table for p in projections for table in p.tables})
    for projection in projections:
        if lost := [table for table in projection.tables if table not in there]:
            raise not_built(projection.name, f"has lost its table {lost[0]} in this database")
    positions = {projection.name: at for projection, at in store.positions(projections).items()}
    return Standing(positions, store.ledger.recorder.max_notification_id() or 0, clears)


def built_versions(store: ProjectionStore) -> dict[str, int]:
    try:
        rows = store.rows(f"SELECT name, version FROM {store.prefix}{VERSIONS}")
    except PersistenceError:  # no table: no projection was ever made here
        return {}
    return {str(name): int(version) for name, version in rows}


def not_built(name: str, why: str) -> ProjectionsNotBuilt:
    return ProjectionsNotBuilt(
        f"projection {name} {why}, so there is nothing to read as it stands: run "
        f"`{CATCH_UP}` against the ledger's primary (a replica follows it), then report again"
    )


def as_they_stand(ledger: Ledger) -> tuple[ProjectionStore, Standing]:
    store = ProjectionStore(ledger)
    return store, standing(store)


def plural(events: int) -> str:
    return f"{events} event" if events == 1 else f"{events} events"
