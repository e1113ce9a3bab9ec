"""What a projection is: the events it reads, its tables, and the rows each event gives."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from reentry_ledger.domain.events import Corrected

Statement = tuple[str, tuple[Any, ...]]
ZERO = timedelta(0)
# What a correction yields in place of SQL: (when, client_id, number) of the event it retracts.
# The runner marks that event's row retracted in each of the projection's fact tables.
RETRACT = "RETRACT"

# Columns every fact table carries: whose event, which one, when it took effect, when it was
# recorded and, if a correction retracted it, when that correction was recorded. Every table's
# key is its leading columns (client_id, and number in a fact table): rows are kept in that order.
FACT_COLUMNS = (
    "client_id TEXT NOT NULL, number INTEGER NOT NULL, occurred_on TEXT NOT NULL, "
    "recorded_at TEXT NOT NULL, retracted_at TEXT"
)


def moment(value: datetime) -> str:
    """A recorded moment as fixed-width UTC text, so text order is time order."""
    utc = value if value.utcoffset() == ZERO else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def moment_text(stored: str) -> str:
    """`moment` of a stored moment: the forms pydantic writes for UTC are mended as text."""
    if stored.endswith("Z"):
        if len(stored) == 20:  # 2026-07-08T16:26:15Z
            return stored[:-1] + ".000000Z"
        if len(stored) == 27:  # 2026-07-08T16:26:15.123456Z
            return stored
    return moment(datetime.fromisoformat(stored))


def keyed_client_id(secret: bytes, stored: UUID | str) -> str:
    """A client's id as the projections keep it: a keyed derivation of the event log's id
    (itself a name-based UUID of the reference, so anyone could compute it from a reference).
    Without the ledger's secret, a row cannot be tied to a reference by guessing."""
    if isinstance(stored, UUID):
        raw = stored.bytes
    elif len(stored) == 32:  # SQLite's hex: the bytes without a UUID made of them
        raw = bytes.fromhex(stored)
    else:
        raw = UUID(stored).bytes
    # str(UUID(bytes=...)) of the first 16 bytes, written out directly
    text = hmac.digest(secret, raw, "sha256")[:16].hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def client_text(stored: UUID | str) -> str:
    """A client id as the projections keep it, the UUID's text: SQLite stores its hex."""
    if isinstance(stored, str) and len(stored) == 32:
        return f"{stored[:8]}-{stored[8:12]}-{stored[12:16]}-{stored[16:20]}-{stored[20:]}"
    return str(stored if isinstance(stored, UUID) else UUID(stored))


@dataclass(slots=True)
class Recorded:
    """An event as the log holds it, which is what projections read: its topic, whose and
    which event it is, and its stored state brought up to the class's current version.

    Projections read fields of the stored state rather than build each domain event: the stored
    form is the ledger's canonical, versioned form (hashes and exports are made of it), every
    event in it was validated when it was recorded, and validating millions again was most of a
    rebuild's work (ADR 0013). `verify` is what finds an altered stored event."""

    topic: str
    client_id: str
    number: int
    state: dict[str, Any]
    # Decrypts a personal value under the client's key (for projections that read personal
    # data: `Projection.personal`); None, or a key that is gone, reads as nothing.
    reveal: Callable[[str], str | None] | None = None
    lead: tuple[str, int, str, str] | None = None  # `key()`, once made

    def personal(self, path: str) -> str | None:
        """The personal text at a dotted path (`person.race.code`), decrypted; None where the
        path holds nothing or the client's key is gone (sealed)."""
        value: Any = self.state
        for name in path.split("."):
            value = value.get(name) if isinstance(value, dict) else None
        if value is None or self.reveal is None:
            return None
        return self.reveal(str(value))

    def __getitem__(self, field: str) -> Any:
        return self.state[field]

    def code(self, field: str) -> str | None:
        """A coded field's code, or None where the field is empty."""
        value = self.state[field]
        return None if value is None else str(value["code"])

    def key(self) -> tuple[str, int, str, str]:
        """Whose event, which one, when it took effect, when it was recorded: a fact's lead
        (made once an event, however many projections read it)."""
        if self.lead is None:
            self.lead = (
                self.client_id,
                self.number,
                self.state["occurred_on"],
                moment_text(self.state["recorded_at"]),
            )
        return self.lead


# What makes a projection's statements from an event (`Projection.reader`).
Makes = Callable[[Recorded], Iterable[Statement]]


class Projection:
    """A read model: subclasses name their tables and map events to SQL statements."""

    name: str
    description: str
    topics: tuple[str, ...]
    tables: dict[str, str]  # table name -> column definitions
    fact_tables: tuple[str, ...] = ()  # tables whose rows a correction can retract
    indexes: tuple[str, ...] = ()  # "table(column, ...)"
    # Statements that work a derived column out again for every row, from the rows it derives
    # from. An event that changes those rows yields the same statement for its client alone
    # (`refreshed`). A build from empty runs each once, whole, instead.
    refresh: tuple[str, ...] = ()
    # Raise when the tables or their rows change: stored tables of another version are
    # dropped and built again from the log. 1: before versions were recorded. 3: client ids
    # keyed by the ledger's secret.
    version: int = 3
    # Reads personal data (decrypted under each client's key as the log is read): only codes
    # a report counts by, and only while the key lasts.
    personal: bool = False

    def statements(self, event: Recorded) -> Iterable[Statement]:
        return self.reader(event.topic)(event)

    def reader(self, topic: str) -> Makes:
        """What makes the statements of an event of `topic`: a correction's retraction, or the
        facts of any other (looked up once per topic by a run of the log, not per event)."""
        return self.retract if topic == Corrected.TOPIC else self.facts

    def facts(self, event: Recorded) -> Iterable[Statement]:
        raise NotImplementedError

    def retract(self, correction: Recorded) -> Iterable[Statement]:
        if self.fact_tables:
            when = moment_text(correction["recorded_at"])
            yield RETRACT, (when, correction.client_id, correction["corrects"])

    def refreshed(self, statement: str, client_id: str) -> Statement:
        """A `refresh` statement for one client's row (its table is aliased `target`)."""
        return f"{statement} WHERE target.client_id = ?", (client_id,)

    def per_client(self) -> frozenset[str]:
        """The `refresh` statements as `refreshed` gives them."""
        return frozenset(self.refreshed(statement, "")[0] for statement in self.refresh)
