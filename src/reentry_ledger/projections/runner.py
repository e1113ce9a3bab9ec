"""Catch projections up from the notification log, rebuild them, report their positions.

One code path for SQLite and PostgreSQL: pages are read from the event log after the tracked
position (the library's subscriptions are PostgreSQL-only), each turned into rows by worker
processes (log.py) and written in one transaction with the new position (store.py). A
projection built from empty is staged and put in place at the end (builds.py); several runner
processes may share the projections of one PostgreSQL database (sharing.py).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import OperationalError

from reentry_ledger.application import Ledger
from reentry_ledger.contention import lost_to_another
from reentry_ledger.domain.errors import Conflict
from reentry_ledger.ledger_secrets import PROJECTION_IDS, LedgerSecrets
from reentry_ledger.projections.base import Projection, client_text
from reentry_ledger.projections.builds import STAGE_FROM
from reentry_ledger.projections.catalogue import PROJECTIONS, projection_named
from reentry_ledger.projections.damage import ProjectionDamaged
from reentry_ledger.projections.log import Rows, Work, personal_topics, rows_of
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.workers import Workers, available

PAGE_SIZE = 50000  # positions of the log a page spans
WAIT = 0.05  # seconds between looks at projections another runner holds
RETRIES = 100  # pages in a row lost to another process's write: then the database is busy
ANALYZE_AFTER = 100_000  # events read in one catch-up or rebuild: then refresh statistics
CHUNK = 2500  # positions of the log a worker reads and turns into rows at a time


@dataclass(frozen=True)
class Status:
    name: str
    description: str
    position: int  # of its rows, or while it is built from empty, of its staged rows
    head: int
    building: bool = False

    @property
    def damaged(self) -> bool:
        """Its position is past the head of the log: no runner put it there."""
        return self.position > self.head

    @property
    def lag(self) -> int | None:
        return None if self.damaged else self.head - self.position

    @property
    def state(self) -> str:
        if self.damaged:
            return f"damaged ({past_the_head(self.position, self.head)}): rebuild {self.name}"
        if self.building:
            return "building"
        return NOT_BUILT if self.position == 0 < self.head else "built"


# of a projection that has taken in no event of a log that holds some (never built, cleared)
NOT_BUILT = "not built: the next catch-up builds it"


def past_the_head(position: int, head: int) -> str:
    return f"position {position} past the head {head}"


class ProjectionRunner:
    def __init__(
        self,
        ledger: Ledger,
        projections: Sequence[Projection] = PROJECTIONS,
        page_size: int = PAGE_SIZE,
        workers: int | None = None,
        stage_from: int = STAGE_FROM,
    ) -> None:
        self.ledger = ledger
        self.workers = available() if workers is None else workers
        self.store = ProjectionStore(ledger)
        self.secret = LedgerSecrets(ledger).secret(PROJECTION_IDS)
        self.projections = list(projections)
        self.page_size = page_size
        self.stage_from = stage_from
        self.store.open_all(self.projections)

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def status(self) -> list[Status]:
        # Positions first, then the head: a position another runner writes meanwhile is never
        # past the head read after it (so is never taken for damage).
        builds = self.store.staged_positions()
        positions = self.store.positions(self.projections)
        head = self.head()
        return [
            Status(p.name, p.description, builds[p.name], head, building=True)
            if p.name in builds
            else Status(p.name, p.description, positions[p], head)
            for p in self.projections
        ]

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply every event recorded since each projection's position. Returns events read.
        A projection whose position is past the head of the log is damaged: it would never
        apply the events recorded up to its position, so it is named rather than caught up."""
        self.check_positions(self.projections)
        return self._advance(self.projections, progress)

    def check_positions(self, projections: Sequence[Projection]) -> None:
        chosen = {p.name for p in projections}
        for status in self.status():
            if status.name in chosen and status.damaged:
                raise ProjectionDamaged(status.name, past_the_head(status.position, status.head))

    def rebuild(
        self, names: Sequence[str] = (), progress: Callable[[int], None] | None = None
    ) -> int:
        chosen = [projection_named(n) for n in names] if names else self.projections
        for projection in chosen:
            self.store.clear(projection)
        return self._advance(chosen, progress)

    def _advance(
        self,
        projections: Sequence[Projection],
        progress: Callable[[int], None] | None,
        until: int | None = None,
    ) -> int:
        """Bring the projections up to the head of the log as it is now, page by page, each
        page in one transaction. Returns the events this runner read for them.

        A page is one pass over the log from the furthest-behind position: each event is
        decoded once and given to every claimed projection that has not applied it and reads
        its topic. While one page is written, worker processes already turn the next into
        rows (used if the positions are then as foreseen). Projections another runner holds
        are left to it; this runner returns once every one of them has reached the head,
        whoever brought it there. `until`: a head to stop at, rather than the head as it is now."""
        head, read, busy = self.head() if until is None else until, 0, 0
        start = random.randrange(len(projections))  # runners look in different orders
        order = [*projections[start:], *projections[:start]]
        with Workers(self.workers) as workers, self.store.present() as runners:
            ahead: Page | None = None
            while True:
                try:
                    with self.store.transaction() as cursor:
                        if self.store.postgres:  # it waits on its workers: on a busy machine
                            # longer than the library's idle-in-transaction timeout (5 s)
                            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
                        at = self.store.positions(order, cursor)
                        hint = [p for p in order if at[p] < head]
                        share = -(-len(hint) // runners())  # a fair share, rounded up
                        claimed = self.store.claim(cursor, hint, share)
                        builds = self.store.builds(cursor, claimed, head, self.stage_from)
                        at = self.store.positions(claimed, cursor)
                        positions = {p: builds.get(p, at[p]) for p in claimed}
                        behind = [p for p in claimed if positions[p] < head]
                        count = 0
                        if behind:
                            page = ahead
                            if page is None or not page.planned_from(positions, behind):
                                page = self._read(cursor, workers, behind, positions, head)
                            after = {**positions, **dict.fromkeys(page.readers, page.last)}
                            following = [p for p in claimed if after[p] < head]
                            ahead = None
                            if following:  # the next page, turned into rows while this is written
                                ahead = self._read(cursor, workers, following, after, head)
                            count = self._write(cursor, page, builds, head)
                except OperationalError as error:
                    if not lost_to_another(error):  # not busy: waiting will not mend it
                        raise
                    ahead = None
                    busy += 1
                    if busy > RETRIES:
                        raise Conflict(f"the database stayed busy: {error}") from error
                    time.sleep(WAIT)
                    continue
                busy = 0
                read += count
                if progress and count:
                    progress(count)
                if behind:
                    continue
                reached = self.store.positions(projections).values()
                if all(position >= head for position in reached):
                    if read >= ANALYZE_AFTER:
                        self.store.analyze(projections)
                    return read
                time.sleep(WAIT)  # the rest are another runner's, for now

    def _read(
        self,
        cursor: Any,
        workers: Workers,
        behind: list[Projection],
        positions: dict[Projection, int],
        head: int,
    ) -> Page:
        """Set workers reading the next page of the log, each a run of positions, and turning
        it into rows. A page spans `page_size` positions, or up to the head: each position
        then says "applied everything up to here", so the lag is honest."""
        position = min(positions[p] for p in behind)
        last = min(position + self.page_size, head)
        readers = [p for p in behind if positions[p] < last]
        since = {p.name: positions[p] for p in readers}
        runs = [(low, min(low + CHUNK, last)) for low in range(position, last, CHUNK)]
        source = self.store.source
        chunks: list[Work]
        if source is None:  # a database only this connection sees: read here, hand rows over
            topics = sorted({topic for p in readers for topic in p.topics})
            personal = personal_topics(readers)
            chunks = []
            for run in runs:
                events = self.store.events(cursor, *run, topics)
                owners = {client_text(row[1]) for row in events if row[3] in personal}
                keys = self.ledger.keys.read_with(cursor, owners)  # the one connection
                chunks.append((readers, since, (events, keys), run, self.secret))
        else:
            chunks = [(readers, since, source, run, self.secret) for run in runs]
        return Page(
            {p: positions[p] for p in behind}, readers, last, workers.start(rows_of, chunks)
        )

    def _write(self, cursor: Any, page: Page, builds: dict[Projection, int], head: int) -> int:
        """Write a page's rows; returns the events read for it."""
        rows, count = {p: Rows() for p in page.readers}, 0
        for chunk, read in page.rows():
            count += read
            for projection, made in zip(page.readers, chunk, strict=True):
                rows[projection].extend(made)
        self.store.write(cursor, rows, page.last, builds, head)
        return count


@dataclass
class Page:
    """A page of the log on its way into the projections."""

    since: dict[Projection, int]  # the positions it was read from
    readers: list[Projection]  # the projections it brings forward, to `last`
    last: int
    rows: Callable[[], list[tuple[list[Rows], int]]]  # each chunk's: each reader's, events read

    def planned_from(self, positions: dict[Projection, int], behind: list[Projection]) -> bool:
        return self.since == {p: positions[p] for p in behind}
