"""Several runner processes catching up the same projections of one PostgreSQL database.

In each page's transaction a runner first claims each projection (a transaction-scoped advisory
lock, free again at commit), reads its position under that claim, and skips the projections
another runner holds. Each runner counts the runners at work and claims at most its share. So
each page of each projection is applied once, by one runner, and runners share the projections
between them (docs/scaling.md). SQLite has one writer at a time: nothing to share.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from reentry_ledger.projections.base import Projection
from reentry_ledger.projections.database import ProjectionDatabase, first_value


class Sharing(ProjectionDatabase):
    """The store's claims and advisory locks between runner processes."""

    def claim(self, cursor: Any, candidates: Sequence[Projection], share: int) -> list[Projection]:
        """The projections this transaction may apply events to, at most `share` of them: on
        PostgreSQL, those whose advisory lock it takes first (another runner holds the rest
        until it commits)."""
        if not self.postgres:
            return list(candidates)  # SQLite has one writer at a time
        claimed: list[Projection] = []
        for projection in candidates:
            if len(claimed) == share:
                break
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (self.lock_key(projection),))
            if first_value(cursor.fetchone()) is True:
                claimed.append(projection)
        return claimed

    def hold(self, cursor: Any, projection: Projection) -> None:
        """Claim the projection for this transaction, waiting for the runner that holds it
        (to change it otherwise than by a page: a clear)."""
        if self.postgres:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key(projection),))

    @contextmanager
    def present(self) -> Iterator[Callable[[], int]]:
        """While a runner works, it is counted among the runners of this ledger (PostgreSQL: a
        session advisory lock under the ledger's key, held on a connection of its own).
        Yields the count of runners now at work, this one included."""
        if not self.postgres:
            yield lambda: 1
            return
        ledger_key = int.from_bytes(hashlib.sha256(self.prefix.encode()).digest()[:4]) >> 1
        me = random.randrange(1, 2**31)
        count = (
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objsubid = 2 AND classid = %s::oid AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )

        def runners() -> int:
            with connection.cursor() as cursor:
                cursor.execute(count, (ledger_key,))
                return int(first_value(cursor.fetchone()))

        with self.datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(%s, %s)", (ledger_key, me))
            try:
                yield runners
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s, %s)", (ledger_key, me))

    def lock_key(self, projection: Projection) -> int:
        return advisory_key(f"reentry-ledger projection {self.prefix}{projection.name}")

    def answers_key(self) -> int:
        """The lock between keeping a report's answer and changing the projections (shared by
        the changes, taken alone by the keeping: answers.keep)."""
        return advisory_key(f"reentry-ledger answers {self.prefix}")

    def set_up_key(self) -> int:
        """The lock of the tables every projection shares (`ProjectionStore.set_up`)."""
        return advisory_key(f"reentry-ledger set-up {self.prefix}")


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock's key for `name`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
