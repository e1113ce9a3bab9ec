"""What a projection is: the events it reads, its tables, and the rows each event gives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from reentry_ledger.domain.events import ClientEvent, Corrected

Statement = tuple[str, tuple[Any, ...]]
ZERO = timedelta(0)

# Columns every fact table carries: whose event, which one, when it took effect, when it was
# recorded and, if a correction retracted it, when that correction was recorded.
FACT_COLUMNS = (
    "client_id TEXT NOT NULL, number INTEGER NOT NULL, occurred_on TEXT NOT NULL, "
    "recorded_at TEXT NOT NULL, retracted_at TEXT"
)


def moment(value: datetime) -> str:
    """A recorded moment as fixed-width UTC text, so text order is time order."""
    utc = value if value.utcoffset() == ZERO else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def fact_key(event: ClientEvent) -> tuple[str, int, str, str]:
    return (
        str(event.originator_id),
        event.number,
        event.occurred_on.isoformat(),
        moment(event.timestamp),
    )


class Projection:
    """A read model: subclasses name their tables and map events to SQL statements."""

    name: str
    description: str
    topics: tuple[str, ...]
    tables: dict[str, str]  # table name -> column definitions
    fact_tables: tuple[str, ...] = ()  # tables whose rows a correction can retract
    indexes: tuple[str, ...] = ()  # "table(column, ...)"
    # Raise when the tables or their rows change: stored tables of another version are
    # dropped and built again from the log. 1: before versions were recorded.
    version: int = 2

    def statements(self, event: ClientEvent) -> Iterable[Statement]:
        if isinstance(event, Corrected):
            return self.retract(event)
        return self.facts(event)

    def facts(self, event: ClientEvent) -> Iterable[Statement]:
        raise NotImplementedError

    def retract(self, correction: Corrected) -> Iterable[Statement]:
        client_id, when = str(correction.originator_id), moment(correction.timestamp)
        for table in self.fact_tables:
            yield (
                f"UPDATE {{{table}}} SET retracted_at = ? WHERE client_id = ? AND number = ?",
                (when, client_id, correction.corrects),
            )
