"""A client's timeline: its events in recorded order, as of a date or as known at a moment.

`as_of` keeps what had taken effect by that date, with every retraction applied whatever its
own date (the corrected history). `known_at` keeps only what had been recorded by that moment,
so it alone can show an event before it was retracted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from reentry_ledger.domain.events import ClientEvent, Corrected

_COMMON_FIELDS = set(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "occurred_on",
        "recorded_by",
        "previous_hash",
        "event_hash",
    }
)


@dataclass(frozen=True)
class TimelineEntry:
    number: int
    type: str
    occurred_on: date
    recorded_at: datetime
    recorded_by: str
    data: dict[str, Any] = field(default_factory=dict)
    retracted_by: int | None = None
    corrects: int | None = None

    @property
    def gist(self) -> str | None:
        """What the fields alone say least plainly, in words: whether a response is the
        officer's recommendation or a decision, by whom, and the term a revocation decision
        ended; the revocation decision a discharge carries out."""
        data = self.data
        if self.type == "ViolationResponded":
            kind = "recommendation" if data.get("recommendation") else "decision"
            by = data.get("decided_by")
            who = by.get("code") if isinstance(by, dict) else by
            ended = data.get("term_outcome")
            return f"{kind} by {who}" + (f", which ended the term: {ended}" if ended else "")
        if self.type == "Discharged" and data.get("decision"):
            return f"carries out the revocation decision on {data['decision']}"
        if self.type in PLAN_GISTS:
            return PLAN_GISTS[self.type](data)
        return None

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "number": self.number,
            "type": self.type,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": iso_utc(self.recorded_at),
            "recorded_by": self.recorded_by,
        }
        if self.retracted_by is not None:
            entry["retracted_by"] = self.retracted_by
        if self.corrects is not None:
            entry["corrects"] = self.corrects
        entry["data"] = self.data
        return entry


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime) -> datetime:
    """A naive moment is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def timeline(
    history: Iterable[ClientEvent],
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> list[TimelineEntry]:
    known = list(history)
    if known_at is not None:
        moment = as_utc(known_at)
        known = [event for event in known if event.timestamp <= moment]
    retracted_by = {event.corrects: event.number for event in known if isinstance(event, Corrected)}
    return [
        entry(event, retracted_by.get(event.number))
        for event in known
        if as_of is None or event.occurred_on <= as_of
    ]


def entry(event: ClientEvent, retracted_by: int | None = None) -> TimelineEntry:
    data = event.model_dump(mode="json", exclude=_COMMON_FIELDS)
    data.pop("originator_topic", None)
    return TimelineEntry(
        number=event.number,
        type=type(event).__name__,
        occurred_on=event.occurred_on,
        recorded_at=event.timestamp,
        recorded_by=event.recorded_by,
        data=data,
        retracted_by=retracted_by,
        corrects=event.corrects if isinstance(event, Corrected) else None,
    )


# --- the case plan's events, in words (goals keep their ids: ADR 24) ---------------------------


def _code(value: Any) -> Any:
    return value.get("code") if isinstance(value, dict) else value


def _revision(data: dict[str, Any]) -> str:
    goals = data.get("goals") or []
    if data.get("replaces"):  # a plan recorded before goals had ids
        return "replaces the whole plan: " + ", ".join(str(g.get("goal_id")) for g in goals)
    places = [
        f"{g.get('goal_id')} {'(new) at' if g.get('need') else 'moved to'} {g.get('priority')}"
        for g in goals
    ]
    return ", ".join(places) + "; the other goals follow in their order"


PLAN_GISTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "CasePlanRevised": _revision,
    "GoalAdded": lambda d: (
        f"{d.get('goal_id')} added "
        + (f"at priority {d['priority']}" if d.get("priority") else "last in the plan")
    ),
    "GoalProgressed": lambda d: f"{d.get('goal_id')} now {_code(d.get('status'))}",
    "GoalReordered": lambda d: f"{d.get('goal_id')} moved to priority {d.get('priority')}",
    "CasePlanApproved": lambda d: (
        "approves the plan's open goals in order: " + ", ".join(map(str, d.get("goals") or []))
    ),
}
