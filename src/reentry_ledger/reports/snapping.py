"""Whole calendar months for the oversight role (docs/metrics.md, "Small counts").

Two reports over ranges a few days apart differ by the people whose events fall in those days:
one discharge between `--to 2025-05-28` and `--to 2025-05-31` is one person's. For the
oversight role every range starts on the first day of its first month and ends on the last
day of its last whole month, a caseload's day is the last day of the last whole month, and
`--known-at` is the first moment (00:00 UTC) of its month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reentry_ledger.timeline import as_utc


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the last whole month that ends on or before `day`."""
    following = day + timedelta(days=1)
    return day if following.day == 1 else month_start(day) - timedelta(days=1)


def moment_start(moment: datetime) -> datetime:
    """The first moment (UTC) of the month `moment` falls in."""
    return as_utc(moment).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Snapped:
    """What a report was snapped to: its range (or day) and the moment known at."""

    first: date | None
    last: date
    known_at: datetime | None

    def describe(self) -> str:
        if self.first and self.first > self.last:
            text = "snapped to whole calendar months: the range holds none, so nothing is shown"
        else:
            span = f"{self.first}..{self.last}" if self.first else f"through {self.last}"
            text = f"snapped to whole calendar months: {span}"
        if self.known_at:
            text += f", as known at {as_utc(self.known_at).strftime('%Y-%m-%dT%H:%M:%SZ')}"
        return text

    def as_json(self) -> dict[str, str | None]:
        """What a report's JSON body and the API's X-Report-Snapped header say it was snapped
        to: the days, and the moment in UTC to the microsecond (null: none given)."""
        first = self.first.isoformat() if self.first else None
        known = as_utc(self.known_at).isoformat().replace("+00:00", "Z") if self.known_at else None
        return {"first": first, "last": self.last.isoformat(), "known_at": known}
