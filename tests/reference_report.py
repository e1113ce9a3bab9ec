"""The violation report counted client by client and day by day, in Python: the reference the
database's query (reentry_ledger/reports/tallies.py) is checked against, read straight from
the definitions (docs/metrics.md, definitions version 4, and tallies.py's docstring).

Slow and plain on purpose: for every client and every day of the range it works out, from the
facts' data alone (none of ClientFacts' or Violation's helper methods, nor the ends
`facts.ends` gives the terms, nor domain/revocation.py), whether a term covered that day, what
the client's group was on it, and whether the client was at risk, then adds the day up.
Incidents and decisions go to the group of their own date; a revoked term to the group of its
first revocation decision's date. The rates and their intervals are then computed from these
counts by the report's own `rows` (the arithmetic is checked by hand in the tests).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest import mock

from reentry_ledger.reports import answers, lines
from reentry_ledger.reports.facts import ClientFacts, StatusFact, TermFact, Violation
from reentry_ledger.reports.periods import Period, split
from reentry_ledger.reports.tallies import DISPERSION
from reentry_ledger.reports.violations import COUNTS, ReportRequest, rows

UNASSESSED = "unassessed"  # the risk before the first assessment
UNSET = "unset"  # a term's level before any is set
UNKNOWN = "unknown"
BANDS = (("under_25", 25), ("25_34", 35), ("35_44", 45), ("45_54", 55))
ONE_DAY = timedelta(days=1)
SEVERITY = {"technical": 1, "absconding": 2, "new_offence": 3}  # the most serious is the highest
NOT_SUSTAINED = ("dismissed", "acquitted")  # set aside by --exclude-dismissed
INCIDENTS = {"technical": "technical_violations", "absconding": "absconding",
             "new_offence": "new_offences"}  # fmt: skip


@dataclass
class Term:
    """One term as the reference reads it: its first and last supervised day (last None: still
    open) and the status changes recorded while it ran."""

    fact: TermFact
    first: date
    last: date | None
    changes: list[StatusFact]

    def covers(self, day: date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)


def terms_of(client: ClientFacts) -> list[Term]:
    """Each term's days: from its start to its discharge (the first one recorded after its
    start and before the next term's start), never past the next term's start; without a
    discharge, through the day before the next term's start. A term that ends on the day the
    next one starts keeps that day: the next one's days begin the day after.
    Its status changes: those recorded after its start and before the next term's."""
    ordered = sorted(client.terms, key=lambda t: t.number)
    terms: list[Term] = []
    for position, term in enumerate(ordered):
        following = ordered[position + 1] if position + 1 < len(ordered) else None
        limit = following.number if following else None
        last = None
        for discharge in sorted(client.discharges, key=lambda d: d.number):
            if discharge.number > term.number and (limit is None or discharge.number < limit):
                last = discharge.on
                break
        if following is not None:
            last = following.start_on - ONE_DAY if last is None else min(last, following.start_on)
        first = term.start_on
        if terms and terms[-1].last is not None and terms[-1].last >= first:
            first = terms[-1].last + ONE_DAY
        changes = [
            change
            for change in client.status
            if change.number > term.number and (limit is None or change.number < limit)
        ]
        changes.sort(key=lambda c: (c.on, c.number))
        terms.append(Term(term, first, last, changes))
    return terms


def latest(changes: Sequence[StatusFact], kind: str, day: date) -> StatusFact | None:
    """The last change of `kind` dated on or before `day` (by date, then event number)."""
    found = None
    for change in changes:  # in order of (date, number)
        if change.kind == kind and change.on <= day:
            found = change
    return found


def periods_of(term: Term, kind: str) -> list[tuple[date, date | None]]:
    """The term's periods of one kind (custody, absconded): each from its start's date through
    the day before the first end recorded after it (by date, then number); None: still open
    when the term's days run out. A start and an end on the same day give no day."""
    found: list[tuple[date, date | None]] = []
    changes = [c for c in term.changes if c.kind == kind]
    for position, change in enumerate(changes):
        if not change.value:
            continue  # an end
        end = next((c.on for c in changes[position + 1 :] if not c.value), None)
        found.append((change.on, None if end is None else end - ONE_DAY))
    return found


def within(day: date, periods: Sequence[tuple[date, date | None]]) -> bool:
    return any(since <= day and (until is None or day <= until) for since, until in periods)


def band(client: ClientFacts, term: TermFact) -> str:
    """The age band the term's start gave, else from the birth year at the start's year."""
    if term.age_band != UNKNOWN:
        return term.age_band
    if client.birth_year is None:
        return UNKNOWN
    age = term.start_on.year - client.birth_year
    if age < 0:
        return UNKNOWN
    for name, below in BANDS:
        if age < below:
            return name
    return "55_and_older"


def risk_on(client: ClientFacts, day: date) -> str:
    """The latest assessment on or before the day (the higher number on a tie), across terms."""
    found = None
    for assessment in client.assessments:
        if assessment.on <= day and (
            found is None or (assessment.on, assessment.number) > (found.on, found.number)
        ):
            found = assessment
    return UNASSESSED if found is None else found.risk_level


class Client:
    """One client's group and risk on any day."""

    def __init__(self, facts: ClientFacts, periods: Sequence[Period]) -> None:
        self.facts = facts
        self.terms = terms_of(facts)
        self.periods = periods
        self.custody = [periods_of(t, "custody") for t in self.terms]
        self.absconded = [periods_of(t, "absconded") for t in self.terms]

    def term_index(self, day: date) -> int | None:
        covering = [i for i, term in enumerate(self.terms) if term.covers(day)]
        assert len(covering) <= 1, f"terms overlap on {day}: {covering}"
        return covering[0] if covering else None

    def group(self, day: date, dimensions: Sequence[str]) -> tuple[Any, ...] | None:
        """The client's group on the day (None: no term covers it)."""
        index = self.term_index(day)
        if index is None:
            return None
        term = self.terms[index]
        officer = latest(term.changes, "officer", day)
        level = latest(term.changes, "level", day)
        facts = self.facts
        values = {
            "agency": term.fact.agency if officer is None else officer.agency,
            "officer": term.fact.officer if officer is None else officer.value,
            "supervision": term.fact.supervision,
            "juvenile": facts.juvenile,
            "sex": facts.sex or UNKNOWN,
            "race": facts.race or UNKNOWN,
            "ethnicity": facts.ethnicity or UNKNOWN,
            "age_band": band(facts, term.fact),
            "term": "first" if term.fact.term == 1 else "later",
            "level": UNSET if level is None else level.value,
            "risk": risk_on(facts, day),
            "period": next(p for p in self.periods if p.start <= day <= p.end),
        }
        return tuple(values[d] for d in dimensions)

    def at_risk(self, day: date) -> bool:
        index = self.term_index(day)
        assert index is not None
        return not (within(day, self.custody[index]) or within(day, self.absconded[index]))


def compute(
    clients: Iterable[ClientFacts], request: ReportRequest, earliest_start: date | None
) -> list[dict[str, Any]]:
    """One row per group with at least one client or event, sorted by its dimensions."""
    if earliest_start is None:
        return []
    first = request.first or earliest_start
    last = request.last or request.today
    periods = split(first, last, request.period)
    counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((*COUNTS, *DISPERSION, "custody_decisions_technical"), 0)
    )
    for facts in clients:
        _count_client(Client(facts, periods), request, first, last, counts)
    return rows(dict(counts), request)


def disposition_of(violation: Violation) -> str | None:
    """The new offence's current disposition: the latest by date, then event number."""
    latest = None
    for on, number, code in violation.dispositions:
        if latest is None or (on, number) > latest[:2]:
            latest = (on, number, code)
    return None if latest is None else latest[2]


def counted_category(violation: Violation, exclude_dismissed: bool) -> str | None:
    """The incident's category as counted: as recorded; with --exclude-dismissed, a new offence
    whose current disposition is dismissed or acquitted is set aside, and the incident is what
    else it holds (absconding, then technical), or nothing."""
    if not exclude_dismissed:
        return violation.category
    if violation.new_offence is not None and disposition_of(violation) not in NOT_SUSTAINED:
        return "new_offence"
    if violation.absconding:
        return "absconding"
    return "technical" if violation.technical else None


def _count_client(
    client: Client,
    request: ReportRequest,
    first: date,
    last: date,
    counts: dict[tuple[Any, ...], dict[str, int]],
) -> None:
    dimensions = request.dimensions
    days_at_risk: dict[tuple[Any, ...], int] = defaultdict(int)  # this client's, by group
    events: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    day = first
    while day <= last:
        group = client.group(day, dimensions)
        if group is not None:
            counts[group]["person_days"] += 1
            counts[group]["days_at_risk"] += client.at_risk(day)
            days_at_risk[group] += client.at_risk(day)
        day += ONE_DAY
    for group in days_at_risk:
        counts[group]["clients"] += 1

    def counted_group(on: date) -> tuple[Any, ...] | None:
        return client.group(on, dimensions) if first <= on <= last else None

    facts = client.facts
    exclude = request.exclude_dismissed
    category = {v.violation_id: counted_category(v, exclude) for v in facts.violations}
    recorded = {v.violation_id: v.category for v in facts.violations}
    for violation in facts.violations:
        group = counted_group(violation.on)
        kind = category[violation.violation_id]
        if group is None or kind is None:
            continue
        counts[group][INCIDENTS[kind]] += 1
        events[group][kind] += 1
        if kind == "new_offence":
            basis = violation.basis or "basis_unknown"
            counts[group][f"new_offences_{basis}"] += 1
            disposition = disposition_of(violation) or "no_disposition"
            counts[group][f"new_offences_{disposition}"] += 1
    for group, found in events.items():
        counts[group]["clients_with_technical"] += found["technical"] > 0
        counts[group]["clients_with_new_offence"] += found["new_offence"] > 0
    # the dispersion's sums: this client's count and days at risk in each group
    for group, days in days_at_risk.items():
        counts[group]["days_at_risk_squares"] += days * days
        for kind, name in INCIDENTS.items():
            count = events[group][kind] if group in events else 0
            counts[group][f"{name}_squares"] += count * count
            counts[group][f"{name}_by_days"] += count * days

    decisions = [r for r in facts.responses if not r.recommendation and r.violation_id in category]
    # each term's first revocation decision: its custody days go with what it is attributed to
    firsts = {
        min(revoking, key=lambda d: (d.on, d.number)).number
        for term in client.terms
        if (revoking := [d for d in decisions if d.response == "revocation" and term.covers(d.on)])
    }
    for decision in decisions:
        group = counted_group(decision.on)
        if group is None:
            continue
        counts[group]["revocation_decisions"] += decision.response == "revocation"
        technical = category[decision.violation_id] == "technical"
        if technical and decision.custody_days and decision.number not in firsts:
            counts[group]["custody_days_technical"] += decision.custody_days
            counts[group]["custody_decisions_technical"] += 1  # not shown: hides the days

    for term in client.terms:
        revoking = [d for d in decisions if d.response == "revocation" and term.covers(d.on)]
        if not revoking:
            continue
        decided = min(revoking, key=lambda d: (d.on, d.number))
        group = counted_group(decided.on)
        if group is None:
            continue
        since = max(term.first, decided.on - timedelta(days=request.window))
        in_window = [
            category[v.violation_id]
            for v in facts.violations
            if since <= v.on <= decided.on and category[v.violation_id] is not None
        ]
        named = category[decided.violation_id] or recorded[decided.violation_id]
        attributed = max(in_window, key=SEVERITY.__getitem__) if in_window else named
        counts[group][f"revocations_{attributed}"] += 1
        counts[group]["revocations_named_technical"] += named == "technical"
        if attributed == "technical" and decided.custody_days:
            counts[group]["custody_days_technical"] += decided.custody_days
            counts[group]["custody_decisions_technical"] += 1


def day_by_day(facts: ClientFacts, first: date, last: date) -> list[tuple[Any, ...]]:
    """Each day's (term, agency, officer, level, status, age band), or (None,) with no term:
    for checking ClientFacts' helpers (term_on, officer_on, level_on, status_on, age_band)."""
    client = Client(facts, split(first, last, None))
    found: list[tuple[Any, ...]] = []
    day = first
    while day <= last:
        index = client.term_index(day)
        if index is None:
            found.append((None,))
        else:
            term = client.terms[index]
            agency, officer, level = client.group(day, ("agency", "officer", "level")) or ()
            status = (
                "custody"
                if within(day, client.custody[index])
                else "absconded"
                if within(day, client.absconded[index])
                else "active"
            )
            found.append((term.fact.number, agency, officer, level, status, band(facts, term.fact)))
        day += ONE_DAY
    return found


def helpers_day_by_day(facts: ClientFacts, first: date, last: date) -> list[tuple[Any, ...]]:
    """The same, from ClientFacts' own helpers."""
    found: list[tuple[Any, ...]] = []
    day = first
    while day <= last:
        term = facts.term_on(day)
        if term is None:
            found.append((None,))
        else:
            agency, officer = facts.officer_on(term, day)
            found.append(
                (
                    term.number,
                    agency,
                    officer,
                    facts.level_on(term, day),
                    facts.status_on(term, day),
                    facts.age_band(term),
                )
            )
        day += ONE_DAY
    return found


@contextlib.contextmanager
def counted_afresh() -> Iterator[None]:
    """Reports counted as if no answer were kept (reports/answers.py), and none kept: what a
    report read back is compared with (a line's slopes left out, as `answered` leaves them)."""
    with mock.patch.object(
        answers, "answered", lambda store, asked, parameters, count, *_: lines.figures(count())
    ):
        yield
