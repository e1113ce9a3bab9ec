"""The Justice Counts supervision metrics the ledger can fill, for one calendar year.

Metric keys follow the framework's pattern `<SYSTEM>_<METRIC>` (SUPERVISION for all systems,
then PAROLE, PROBATION, OTHER_SUPERVISION), with its breakdown labels (docs/metrics.md,
"Justice Counts"). Everything is counted per term, in the system of the term it falls in; a
`reentry` term is not supervision and counts nowhere. Violations count each incident once, as
its most serious type; revocations come from responses, never discharges; terminations exclude
transfers, as the framework does. The daily population on 31 December is split by status that
day: hold or sanction (in custody), absconded, administrative (level administrative or
unsupervised), else active.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from reentry_ledger.reports.casework import OUTCOME_CLASS
from reentry_ledger.reports.facts import ClientFacts, TermFact
from reentry_ledger.reports.revocations import is_revocation
from reentry_ledger.reports.suppression import linked, marker, withheld

SYSTEMS = ("SUPERVISION", "PAROLE", "PROBATION", "OTHER_SUPERVISION")
VIOLATION_TYPES = {
    "technical": "Technical Violations",
    "absconding": "Absconding Violations",
    "new_offence": "New Offense Violations",
}
TERMINATION_TYPES = {
    "successful": "Successful Completions",
    "neutral": "Neutral Discharges",
    "unsuccessful": "Unsuccessful Discharges",
}
POPULATION_TYPES = {
    "active": "People on Active Supervision",
    "administrative": "People on Administrative Supervision",
    "absconded": "People who have Absconded from Supervision",
    "hold_or_sanction": "People Incarcerated on a Hold or Sanction while on Supervision",
}
NOT_SUPERVISION = "reentry"  # a term of reentry services only (e.g. discharged at sentence end)
ADMINISTRATIVE_LEVELS = ("administrative", "unsupervised")
COLUMNS = ("year", "system", "metric", "breakdown", "value")


def system_of(supervision: str) -> str:
    return {"parole": "PAROLE", "probation": "PROBATION"}.get(supervision, "OTHER_SUPERVISION")


def systems_of(term: TermFact | None) -> tuple[str, ...]:
    """The systems a fact of this term counts in: none outside supervision."""
    if term is None or term.supervision == NOT_SUPERVISION:
        return ()
    return "SUPERVISION", system_of(term.supervision)


def population_type(client: ClientFacts, term: TermFact, day: date) -> str:
    """The Justice Counts daily-population status of a client on a day of a term."""
    status = client.status_on(term, day)
    if status == "custody":
        return "hold_or_sanction"
    if status == "absconded":
        return "absconded"
    return "administrative" if client.level_on(term, day) in ADMINISTRATIVE_LEVELS else "active"


def justice_counts(clients: Iterable[ClientFacts], year: int) -> list[dict[str, Any]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    counts: dict[str, Counter[tuple[str, str]]] = defaultdict(_zeros)
    staff: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for client in clients:
        _tally(client, first, last, counts, staff)
    rows = []
    for system in SYSTEMS:
        counter = counts[system]
        counter["CASELOADS_STAFF", ""] = len(staff[system])
        for (metric, breakdown), value in sorted(counter.items(), key=_order):
            rows.append(
                {"year": year, "system": system, "metric": f"{system}_{metric}",
                 "breakdown": breakdown or "Total", "value": value}
            )  # fmt: skip
    return rows


METRIC_ORDER = ("SUPERVISION_STARTS", "SUPERVISION_VIOLATIONS", "REVOCATIONS",
                "SUPERVISION_TERMINATIONS", "POPULATION", "CASELOADS_PEOPLE",
                "CASELOADS_STAFF")  # fmt: skip
BREAKDOWNS = {
    "SUPERVISION_VIOLATIONS": VIOLATION_TYPES,
    "REVOCATIONS": VIOLATION_TYPES,
    "SUPERVISION_TERMINATIONS": TERMINATION_TYPES,
    "POPULATION": POPULATION_TYPES,
}


def _order(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (metric, breakdown), _ = item
    return METRIC_ORDER.index(metric), breakdown


def _tally(
    client: ClientFacts,
    first: date,
    last: date,
    counts: dict[str, Counter[tuple[str, str]]],
    staff: dict[str, set[tuple[str, str]]],
) -> None:
    def add(term: TermFact | None, metric: str, breakdown: str | None = None) -> None:
        for system in systems_of(term):
            counts[system][metric, ""] += 1
            if breakdown:
                counts[system][metric, breakdown] += 1

    for term in client.terms:
        if first <= term.start_on <= last:
            add(term, "SUPERVISION_STARTS")
        ended = term.end_on is not None and first <= term.end_on <= last
        if ended and term.outcome and term.outcome != "transferred":
            add(term, "SUPERVISION_TERMINATIONS", TERMINATION_TYPES[OUTCOME_CLASS[term.outcome]])
    categories = {v.violation_id: v.category for v in client.violations}
    for violation in client.violations:
        if first <= violation.on <= last:
            add(client.term_on(violation.on), "SUPERVISION_VIOLATIONS",
                VIOLATION_TYPES[violation.category])  # fmt: skip
    for response in client.responses:
        if is_revocation(response.response) and first <= response.on <= last:
            add(client.term_on(response.on), "REVOCATIONS",
                VIOLATION_TYPES[categories[response.violation_id]])  # fmt: skip
    held = client.term_on(last)
    if held is not None and systems_of(held):
        add(held, "POPULATION", POPULATION_TYPES[population_type(client, held, last)])
        add(held, "CASELOADS_PEOPLE")
        for system in systems_of(held):
            staff[system].add(client.officer_on(held, last))


def _zeros() -> Counter[tuple[str, str]]:
    """Every metric and breakdown, at zero: each row is present whatever the data."""
    counter: Counter[tuple[str, str]] = Counter()
    for metric in METRIC_ORDER:
        counter[metric, ""] = 0
    for metric, labels in BREAKDOWNS.items():
        for label in labels.values():
            counter[metric, label] = 0
    return counter


def suppressed(rows: list[dict[str, Any]], below: int | None) -> list[dict[str, Any]]:
    """The rows with small values hidden, and every total that would give one away: each
    metric's Total is the sum of its breakdowns, each SUPERVISION value the sum of the three
    systems' (staff excepted: an officer may hold clients of several systems), and the
    caseload's people are the daily population's Total (the same people on the same day), so
    each is hidden with the other."""
    if not below:
        return rows
    cells = {_cell(row): row["value"] for row in rows}
    totals: list[tuple[tuple[str, str, str], tuple[tuple[str, str, str], ...]]] = []
    for system, metric, breakdown in cells:
        if breakdown == "Total" and metric in BREAKDOWNS:
            parts = tuple((system, metric, label) for label in BREAKDOWNS[metric].values())
            totals.append(((system, metric, breakdown), parts))
        if breakdown == "Total" and metric == "POPULATION":
            totals += linked((system, metric, breakdown), (system, "CASELOADS_PEOPLE", "Total"))
        if system == "SUPERVISION" and metric != "CASELOADS_STAFF":
            parts = tuple((s, metric, breakdown) for s in SYSTEMS[1:])
            totals.append(((system, metric, breakdown), parts))
    hidden = withheld(cells, below, cells, totals=totals)
    return [{**row, "value": marker(below)} if _cell(row) in hidden else row for row in rows]


def _cell(row: dict[str, Any]) -> tuple[str, str, str]:
    system = row["system"]
    return system, row["metric"][len(system) + 1 :], row["breakdown"]
