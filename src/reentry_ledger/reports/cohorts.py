"""Cohorts of terms by when they started, each followed for a fixed number of months
(docs/metrics.md, "Cohorts").

Of the terms starting in each period whose follow-up is complete by the report's date: how
many had a first technical violation, a first new offence and a revocation decision within the
follow-up, per 100 terms with Wilson intervals, and (by month) how many had by the end of each
month of follow-up. A term's follow-up runs from its first day for `follow` months; it counts
the term's own events (dated within the term) in that time. Terms whose follow-up has not ended
by the report's date are left out of the shares and counted as `incomplete`, whether or not
they have ended: keeping the ended ones would keep the early failures and drop the successes.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.facts import ClientFacts, TermFact
from reentry_ledger.reports.revocations import revoked_terms
from reentry_ledger.reports.stats import wilson
from reentry_ledger.reports.suppression import WITHHELD, is_small

START_PERIODS = ("year", "fiscal_year", "quarter", "month")
FOLLOW = 36
MEASURES = ("technical", "new_offence", "revoked")
COUNTS = ("terms", "incomplete", *MEASURES)
# What each per-100 value is computed from (hidden with them, its limits too).
DERIVED = {f"{measure}_per_100": (measure, "terms") for measure in MEASURES}
RATES = tuple(f"{m}_per_100{suffix}" for m in MEASURES for suffix in ("", "_low", "_high"))
COLUMNS = ("start_period", "terms", "incomplete",
           *(c for m in MEASURES for c in (m, f"{m}_per_100", f"{m}_per_100_low",
                                           f"{m}_per_100_high")))  # fmt: skip
TABLE_COLUMNS = ("start_period", "terms", "incomplete",
                 *(c for m in MEASURES for c in (m, f"{m}_per_100")))  # fmt: skip
MONTH_COLUMNS = ("start_period", "month", "terms",
                 *(c for m in MEASURES for c in (m, f"{m}_per_100")))  # fmt: skip


def start_period(day: date, unit: str) -> str:
    """The label of the period a term starting on `day` belongs to; a fiscal year runs
    1 July to 30 June and is named by the year it ends in (FY2012: July 2011 to June 2012)."""
    if unit == "year":
        return f"{day.year}"
    if unit == "fiscal_year":
        return f"FY{day.year + (day.month >= 7)}"
    if unit == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it has no such day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def follow_up_end(start: date, follow: int) -> date:
    """The last day of a follow-up of `follow` months from `start` (the day before the same
    date `follow` months on: 2010-01-01 for 36 months ends on 2012-12-31)."""
    return add_months(start, follow) - timedelta(days=1)


def month_of(start: date, day: date) -> int:
    """Which month of follow-up `day` falls in, from 1 (`start` itself is in month 1)."""
    month = max(1, (day.year - start.year) * 12 + day.month - start.month)
    while month > 1 and add_months(start, month - 1) > day:
        month -= 1
    while add_months(start, month) <= day:
        month += 1
    return month


def firsts(client: ClientFacts, term: TermFact, last: date) -> dict[str, date]:
    """The first day of each measure within the term and its follow-up (through `last`): a
    technical violation, a new offence (by the violation's category), the term's revocation
    (`revoked_terms`: its first revocation decision, as the violation report counts it)."""
    found: dict[str, date] = {}

    def seen(measure: str, day: date) -> None:
        if term.start_on <= day <= last and (measure not in found or day < found[measure]):
            found[measure] = day

    for violation in client.violations:
        if term.covers(violation.on) and violation.category in ("technical", "new_offence"):
            seen(violation.category, violation.on)
    for revoked, decided_on, _ in revoked_terms(client):
        if revoked is term:
            seen("revoked", decided_on)
    return found


@dataclass
class Cohort:
    terms: int = 0
    incomplete: int = 0
    by_month: dict[str, list[int]] = field(default_factory=dict)  # new firsts in each month

    def add(self, months: dict[str, int], follow: int) -> None:
        self.terms += 1
        for measure in MEASURES:
            counts = self.by_month.setdefault(measure, [0] * (follow + 1))
            if measure in months:
                counts[months[measure]] += 1

    def within(self, measure: str, month: int) -> int:
        """Terms with a first `measure` by the end of month `month` of follow-up."""
        return sum(self.by_month.get(measure, [])[1 : month + 1])


def known_unit(unit: str) -> None:
    """Refuse a start period that is not one of `START_PERIODS`."""
    if unit not in START_PERIODS:
        raise InvalidInput(f"--start-period: {unit!r} is not one of {', '.join(START_PERIODS)}")


def summed(cohort: Cohort, follow: int) -> list[int]:
    """A cohort as the sums it is made of: its terms, those incomplete, and each measure's
    new firsts in each month of follow-up (from month 0), measure after measure; the sums of
    two cohorts of different clients, added value by value, are their cohort together."""
    empty = [0] * (follow + 1)
    return [cohort.terms, cohort.incomplete,
            *(n for measure in MEASURES for n in cohort.by_month.get(measure, empty))]  # fmt: skip


def of_sums(values: Sequence[int], follow: int) -> Cohort:
    """The cohort whose sums (`summed`) are `values`."""
    months = follow + 1
    by_month = {
        measure: list(values[2 + n * months : 2 + (n + 1) * months])
        for n, measure in enumerate(MEASURES)
    }
    return Cohort(values[0], values[1], by_month)


def cohorts(
    clients: Iterable[ClientFacts], unit: str, follow: int, as_of: date
) -> dict[str, Cohort]:
    """Each start period's cohort, followed `follow` months; complete by `as_of`."""
    known_unit(unit)
    found: dict[str, Cohort] = defaultdict(Cohort)
    for client in clients:
        for term in client.terms:
            cohort = found[start_period(term.start_on, unit)]
            last = follow_up_end(term.start_on, follow)
            if last > as_of:
                cohort.incomplete += 1
                continue
            days = firsts(client, term, last)
            cohort.add({m: month_of(term.start_on, day) for m, day in days.items()}, follow)
    return dict(sorted(found.items()))


def rates(row: dict[str, Any]) -> dict[str, Any]:
    """Each measure per 100 terms, with its Wilson interval (None without terms)."""
    for measure in MEASURES:
        interval = wilson(row[measure], row["terms"])
        for suffix, value in zip(("", "_low", "_high"), interval or (None,) * 3, strict=True):
            row[f"{measure}_per_100{suffix}"] = None if value is None else round(100 * value, 4)
    return row


def summary_rows(found: dict[str, Cohort], follow: int) -> list[dict[str, Any]]:
    return [
        rates({"start_period": period, "terms": cohort.terms, "incomplete": cohort.incomplete,
               **counts(cohort, follow)})
        for period, cohort in found.items()
    ]  # fmt: skip


def month_rows(found: dict[str, Cohort], follow: int) -> list[dict[str, Any]]:
    """The cumulative counts and rates by month of follow-up, one row per period and month."""
    return [
        rates({"start_period": period, "month": month, "terms": cohort.terms,
               **counts(cohort, month)})
        for period, cohort in found.items()
        for month in range(1, follow + 1)
    ]  # fmt: skip


def counts(cohort: Cohort, month: int) -> dict[str, int]:
    return {measure: cohort.within(measure, month) for measure in MEASURES}


def hidden_summary(row: dict[str, Any], below: int | None) -> dict[str, Any]:
    """A summary row with counts from 1 to below-1 hidden, and the rates computed from them."""
    if not below:
        return row
    shown = dict(row)
    for name in COUNTS:
        if is_small(row.get(name), below):
            shown[name] = WITHHELD
    for rate, sources in DERIVED.items():
        if any(shown[source] == WITHHELD for source in sources):
            for suffix in ("", "_low", "_high"):
                if f"{rate}{suffix}" in shown:
                    shown[f"{rate}{suffix}"] = WITHHELD
    return shown


def hidden_months(rows: list[dict[str, Any]], below: int | None) -> list[dict[str, Any]]:
    """The by-month rows with small counts hidden, and rates computed from them. A month's
    cumulative count is also hidden when it rises from a later shown month's by 1 to below-1
    (walking back from the last month, which is shown as the summary shows it): any two
    shown counts of one period then differ by 0 or by at least `below`, so no small number
    of terms can be found by subtraction."""
    if not below:
        return rows
    shown = [hidden_summary(row, below) for row in rows]
    for period_rows in _by_period(shown, rows):
        for measure in MEASURES:
            later: int | None = None
            for shown_row, row in reversed(period_rows):
                value = row[measure]
                if shown_row[measure] == WITHHELD or (
                    later is not None and is_small(later - value, below)
                ):
                    _hide(shown_row, measure, below)
                    continue
                later = value
    return shown


def _by_period(
    shown: list[dict[str, Any]], rows: list[dict[str, Any]]
) -> Iterator[list[tuple[dict[str, Any], dict[str, Any]]]]:
    groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for shown_row, row in zip(shown, rows, strict=True):
        groups[row["start_period"]].append((shown_row, row))
    yield from groups.values()


def _hide(row: dict[str, Any], measure: str, below: int) -> None:
    for name in (measure, f"{measure}_per_100", f"{measure}_per_100_low",
                 f"{measure}_per_100_high"):  # fmt: skip
        row[name] = WITHHELD
