"""How any aggregate of ours makes its next event: validated, linked into its hash chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import LedgerEvent
from reentry_ledger.domain.integrity import chained
from reentry_ledger.domain.personal import Protect, protect_paths

E = TypeVar("E", bound=LedgerEvent)


@dataclass(frozen=True)
class Stamp:
    """Who records an event, the date it took effect, and today's date (UTC) to check it by.

    `at` is the moment of recording; left out, it is now. Only imports and the demo set it.
    """

    on: date
    by: str
    today: date
    at: datetime | None = None
    protect: Protect | None = None  # encrypts personal fields under the client's own key


def describe(error: ValidationError) -> str:
    problems = []
    for detail in error.errors():
        where = ".".join(str(part) for part in detail["loc"] if part != "code")
        message = str(detail["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def validated(construct: Any) -> Any:
    try:
        return construct()
    except ValidationError as error:
        problem = InvalidInput(describe(error))
        locations = [detail["loc"] for detail in error.errors() if detail["loc"]]
        problem.field = str(locations[0][0]) if locations else None
        raise problem from None


def next_event(aggregate: Any, event_class: type[E], stamp: Stamp, **details: Any) -> E:
    """The aggregate's next event, checked, encrypted and chained, not yet applied."""
    return finished(aggregate, checked_event(aggregate, event_class, stamp, **details), stamp)


def checked_event(aggregate: Any, event_class: type[E], stamp: Stamp, **details: Any) -> E:
    """The aggregate's next event with its values checked: nothing encrypted yet."""
    event: E = validated(
        lambda: event_class(
            originator_id=aggregate.id,
            originator_version=aggregate.version + 1,
            timestamp=stamp.at or event_class.create_timestamp(),
            occurred_on=stamp.on,
            recorded_by=stamp.by,
            **details,
        )
    )
    return event


def finished(aggregate: Any, event: E, stamp: Stamp) -> E:
    """The event with its personal fields encrypted, linked into the aggregate's chain."""
    history = aggregate.history
    return chained(protected(event, stamp), previous_hash=history[-1].event_hash if history else "")


def protected(event: E, stamp: Stamp) -> E:
    """The event with its personal fields encrypted, when the stamp carries a key."""
    if stamp.protect is None or not event.PERSONAL:
        return event
    return protect_paths(event, event.PERSONAL, stamp.protect)


def keep(aggregate: Any, event: LedgerEvent) -> None:
    """Apply the event and hold it for saving."""
    event.mutate(aggregate)
    aggregate.pending_events.append(event)
