"""The violation report counted client by client, in Python: the reference the database's
query (reentry_ledger/reports/tallies.py) is checked against, read straight from
docs/metrics.md. Slow at scale, plain to read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reentry_ledger.reports.facts import ClientFacts
from reentry_ledger.reports.periods import Period, period_of, split
from reentry_ledger.reports.tallies import UNASSESSED
from reentry_ledger.reports.violations import COUNTS, ReportRequest, rows


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))


class RiskHistory:
    """The risk level in force on any day: the latest assessment on or before it."""

    def __init__(self, client: ClientFacts) -> None:
        ordered = sorted(client.assessments, key=lambda a: (a.on, a.number))
        self.changes = [(a.on, a.risk_level) for a in ordered]

    def on(self, day: date) -> str:
        level = UNASSESSED
        for since, risk in self.changes:
            if since > day:
                break
            level = risk
        return level

    def segments(self, first: date, last: date) -> list[tuple[date, date, str]]:
        """(from, to, level) pieces covering first..last inclusive."""
        cuts = [since for since, _ in self.changes if first < since <= last]
        starts = [first, *sorted(set(cuts))]
        ends = [*(start.fromordinal(start.toordinal() - 1) for start in starts[1:]), last]
        return [(s, e, self.on(s)) for s, e in zip(starts, ends, strict=True)]


def compute(
    clients: Iterable[ClientFacts], request: ReportRequest, earliest_start: date | None
) -> list[dict[str, Any]]:
    """One row per group with at least one client or event, sorted by its dimensions."""
    if earliest_start is None:
        return []
    first = request.first or earliest_start
    last = request.last or request.today
    periods = split(first, last, request.period)
    tallies: dict[tuple[Any, ...], Tally] = defaultdict(Tally)
    for client in clients:
        _tally_client(client, request, periods, first, last, tallies)
    return rows({key: tally.counts for key, tally in tallies.items()}, request)


def _tally_client(
    client: ClientFacts,
    request: ReportRequest,
    periods: Sequence[Period],
    first: date,
    last: date,
    tallies: dict[tuple[Any, ...], Tally],
) -> None:
    risk = RiskHistory(client)

    def key(period: Period, level: str) -> tuple[Any, ...]:
        values = {
            "agency": client.agency,
            "officer": client.officer,
            "supervision": client.supervision,
            "juvenile": client.juvenile,
            "risk": level,
            "period": period,
        }
        return tuple(values[d] for d in request.dimensions)

    held: set[tuple[Any, ...]] = set()
    begin = max(client.start_on, first)
    end = min(client.discharged_on or last, last)
    for period in periods:
        if period.end < begin or period.start > end:
            continue
        for seg_from, seg_to, level in risk.segments(begin, end):
            days = period.days_overlapping(seg_from, seg_to)
            if days:
                group = key(period, level)
                tallies[group].counts["person_days"] += days
                held.add(group)
    for group in held:
        tallies[group].counts["clients"] += 1

    categories = {v.violation_id: v.category for v in client.violations}
    with_technical: set[tuple[Any, ...]] = set()
    with_new_offence: set[tuple[Any, ...]] = set()
    for violation in client.violations:
        when = period_of(periods, violation.on) if first <= violation.on <= last else None
        if when is None:
            continue
        group = key(when, risk.on(violation.on))
        counts = tallies[group].counts
        if violation.category == "technical":
            counts["technical_violations"] += 1
            with_technical.add(group)
        elif violation.category == "absconding":
            counts["absconding"] += 1
        else:
            counts["new_offences"] += 1
            with_new_offence.add(group)
    for group in with_technical:
        tallies[group].counts["clients_with_technical"] += 1
    for group in with_new_offence:
        tallies[group].counts["clients_with_new_offence"] += 1

    for response in client.responses:
        when = period_of(periods, response.on) if first <= response.on <= last else None
        if when is None:
            continue
        counts = tallies[key(when, risk.on(response.on))].counts
        category = categories[response.violation_id]
        if response.response == "revocation":
            counts[f"revocations_{category}"] += 1
        if category == "technical" and response.custody_days:
            counts["custody_days_technical"] += response.custody_days
