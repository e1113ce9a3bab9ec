"""Reporting periods: calendar months, quarters or years, clipped to the reported range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

UNITS = ("month", "quarter", "year")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    def days_overlapping(self, first: date, last: date) -> int:
        return max(0, (min(last, self.end) - max(first, self.start)).days + 1)


def _next_start(day: date, unit: str) -> date:
    if unit == "year":
        return date(day.year + 1, 1, 1)
    months = 3 if unit == "quarter" else 1
    month = ((day.month - 1) // months) * months + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _label(day: date, unit: str) -> str:
    if unit == "year":
        return f"{day.year}"
    if unit == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def split(first: date, last: date, unit: str | None) -> list[Period]:
    """The periods covering first..last (inclusive); one period when unit is None."""
    if last < first:
        return []
    if unit is None:
        return [Period(first, last, f"{first.isoformat()}..{last.isoformat()}")]
    periods, start = [], first
    while start <= last:
        end = min(last, _next_start(start, unit) - timedelta(days=1))
        periods.append(Period(start, end, _label(start, unit)))
        start = end + timedelta(days=1)
    return periods


def period_of(periods: Sequence[Period], day: date) -> Period | None:
    for period in periods:
        if period.start <= day <= period.end:
            return period
    return None
