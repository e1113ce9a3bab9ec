"""Volunteers' supervision: `report volunteer-supervision` (docs/volunteers.md).

Befriending volunteers are supervised monthly, in a group and one to one (DOMAIN.md). Over the
calendar months a range touches (the service asks for whole months only: a month cut short
would count its volunteer-months without all its sessions), by agency if asked, from the
register (the `volunteers` projection): a volunteer is active in a month when registered by
its last day and not left before its first; each active volunteer-month counts once, and is
supervised when it holds at least one supervision session. Sessions are counted per volunteer
(a group session of four volunteers is four)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.snapping import month_start
from reentry_ledger.reports.suppression import linked

COLUMNS = ("volunteers", "volunteer_months", "volunteer_months_supervised",
           "share_months_supervised", "sessions", "sessions_individual", "sessions_group",
           "sessions_per_volunteer_month")  # fmt: skip
COUNTS = ("volunteers", "volunteer_months", "volunteer_months_supervised", "sessions",
          "sessions_individual", "sessions_group")  # fmt: skip
DERIVED = {
    "share_months_supervised": ("volunteer_months_supervised", "volunteer_months"),
    "sessions_per_volunteer_month": ("sessions", "volunteer_months"),
}
# A volunteer is active 1 to N months of the range: volunteer-months bound the volunteers (and
# the other way), so each is hidden with the other.
TOTALS = (
    ("sessions", ("sessions_individual", "sessions_group")),
    *linked("volunteers", "volunteer_months"),
)
REGISTER = (
    "SELECT v.client_id, v.agency, v.occurred_on, (SELECT MIN(e.occurred_on) FROM "
    "{audit_volunteer_events} e WHERE e.client_id = v.client_id AND e.event = 'left' "
    "AND e.retracted_at IS NULL) FROM {audit_volunteers} v WHERE v.retracted_at IS NULL"
)
SESSIONS = (
    "SELECT client_id, occurred_on, kind FROM {audit_volunteer_events} "
    "WHERE event = 'supervised' AND retracted_at IS NULL AND occurred_on >= ? AND occurred_on <= ?"
)
TABLES = ["audit_volunteers", "audit_volunteer_events"]


def earliest(store: ProjectionStore) -> date | None:
    """The first registration's date, if any."""
    rows = store.rows("SELECT MIN(occurred_on) FROM {audit_volunteers}", (), TABLES[:1])
    return date.fromisoformat(rows[0][0]) if rows and rows[0][0] else None


def last_of(start: date) -> date:
    """The last day of the month beginning on `start`."""
    return next_month(start) - timedelta(days=1)


def next_month(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def months(first: date, last: date) -> list[date]:
    """The first day of each calendar month first..last touches."""
    found, day = [], month_start(first)
    while day <= last:
        found.append(day)
        day = next_month(day)
    return found


def supervision(
    store: ProjectionStore, first: date, last: date, by: Sequence[str]
) -> list[dict[str, Any]]:
    """Per group (all, or by agency): active volunteers, volunteer-months, those supervised,
    sessions by kind, and sessions per volunteer-month."""
    agency_of: dict[str, str] = {}
    active: dict[str, list[date]] = {}  # volunteer -> its active months in the range
    for volunteer, agency, registered, left in store.rows(REGISTER, (), TABLES):
        agency_of[volunteer] = agency
        active[volunteer] = [
            start
            for start in months(first, last)
            if date.fromisoformat(registered) <= last_of(start)
            and (left is None or date.fromisoformat(left) >= start)
        ]
    supervised: set[tuple[str, date]] = set()
    counters: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)

    def key(volunteer: str) -> tuple[Any, ...]:
        return (agency_of[volunteer],) if by else ()

    for volunteer, on, kind in store.rows(SESSIONS, (first.isoformat(), last.isoformat()), TABLES):
        counter = counters[key(volunteer)]
        counter["sessions"] += 1
        counter[f"sessions_{kind}"] += 1
        supervised.add((volunteer, month_start(date.fromisoformat(on))))
    for volunteer, started in active.items():
        if started:
            counter = counters[key(volunteer)]
            counter["volunteers"] += 1
            counter["volunteer_months"] += len(started)
            counter["volunteer_months_supervised"] += sum(
                (volunteer, month) in supervised for month in started
            )
    rows = []
    for group in sorted(counters):
        counter = counters[group]
        row: dict[str, Any] = dict(zip(by, group, strict=True))
        row.update({column: counter[column] for column in COUNTS})
        months_active = counter["volunteer_months"]
        row["share_months_supervised"] = (
            round(counter["volunteer_months_supervised"] / months_active, 3)
            if months_active
            else None
        )
        row["sessions_per_volunteer_month"] = (
            round(counter["sessions"] / months_active, 2) if months_active else None
        )
        rows.append({column: row[column] for column in (*by, *COLUMNS)})
    return rows
