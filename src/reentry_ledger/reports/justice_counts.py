"""The Justice Counts supervision metrics the ledger can fill, for one calendar year.

Metric keys follow the framework's pattern `<SYSTEM>_<METRIC>` (SUPERVISION for all systems,
then PAROLE, PROBATION, OTHER_SUPERVISION), with its breakdown labels. Violations count each
incident once, as its most serious type; revocations come from responses, never discharges;
terminations exclude transfers, as the framework does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from reentry_ledger.reports.casework import OUTCOME_CLASS
from reentry_ledger.reports.facts import ClientFacts
from reentry_ledger.reports.revocations import is_revocation
from reentry_ledger.reports.suppression import marker, withheld

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
COLUMNS = ("year", "system", "metric", "breakdown", "value")


def system_of(supervision: str) -> str:
    return {"parole": "PAROLE", "probation": "PROBATION"}.get(supervision, "OTHER_SUPERVISION")


def justice_counts(clients: Iterable[ClientFacts], year: int) -> list[dict[str, Any]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    counts: dict[str, Counter[tuple[str, str]]] = defaultdict(_zeros)
    staff: dict[str, set[str]] = defaultdict(set)
    for client in clients:
        for system in ("SUPERVISION", system_of(client.supervision)):
            _tally(client, first, last, counts[system], staff[system])
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
                "SUPERVISION_TERMINATIONS", "CASELOADS_PEOPLE", "CASELOADS_STAFF")  # fmt: skip


def _order(item: tuple[tuple[str, str], int]) -> tuple[int, str]:
    (metric, breakdown), _ = item
    return METRIC_ORDER.index(metric), breakdown


def _tally(
    client: ClientFacts, first: date, last: date, counter: Counter[tuple[str, str]], staff: set[str]
) -> None:
    counter["SUPERVISION_STARTS", ""] += first <= client.start_on <= last
    categories = {v.violation_id: v.category for v in client.violations}
    for violation in client.violations:
        if first <= violation.on <= last:
            counter["SUPERVISION_VIOLATIONS", ""] += 1
            counter["SUPERVISION_VIOLATIONS", VIOLATION_TYPES[violation.category]] += 1
    for response in client.responses:
        if is_revocation(response.response) and first <= response.on <= last:
            counter["REVOCATIONS", ""] += 1
            counter["REVOCATIONS", VIOLATION_TYPES[categories[response.violation_id]]] += 1
    ended = client.discharged_on is not None and first <= client.discharged_on <= last
    if ended and client.outcome and client.outcome != "transferred":
        counter["SUPERVISION_TERMINATIONS", ""] += 1
        counter["SUPERVISION_TERMINATIONS", TERMINATION_TYPES[OUTCOME_CLASS[client.outcome]]] += 1
    if client.supervised_on(last):
        counter["CASELOADS_PEOPLE", ""] += 1
        staff.add(client.officer)


def _zeros() -> Counter[tuple[str, str]]:
    """Every metric and breakdown, at zero: each row is present whatever the data."""
    counter: Counter[tuple[str, str]] = Counter()
    for metric in METRIC_ORDER:
        counter[metric, ""] = 0
    for label in VIOLATION_TYPES.values():
        counter["SUPERVISION_VIOLATIONS", label] = counter["REVOCATIONS", label] = 0
    for label in TERMINATION_TYPES.values():
        counter["SUPERVISION_TERMINATIONS", label] = 0
    return counter


def suppressed(rows: list[dict[str, Any]], below: int | None) -> list[dict[str, Any]]:
    """The rows with small values hidden, and every total that would give one away: each
    metric's Total is the sum of its breakdowns, and each SUPERVISION value the sum of the
    three systems' (staff excepted: an officer may hold clients of several systems)."""
    if not below:
        return rows
    cells = {_cell(row): row["value"] for row in rows}
    totals: list[tuple[tuple[str, str, str], tuple[tuple[str, str, str], ...]]] = []
    for system, metric, breakdown in cells:
        if breakdown == "Total" and metric in ("SUPERVISION_VIOLATIONS", "REVOCATIONS",
                                                "SUPERVISION_TERMINATIONS"):  # fmt: skip
            labels = TERMINATION_TYPES if metric.endswith("TERMINATIONS") else VIOLATION_TYPES
            parts = tuple((system, metric, label) for label in labels.values())
            totals.append(((system, metric, breakdown), parts))
        if system == "SUPERVISION" and metric != "CASELOADS_STAFF":
            parts = tuple((s, metric, breakdown) for s in SYSTEMS[1:])
            totals.append(((system, metric, breakdown), parts))
    hidden = withheld(cells, below, cells, totals=totals)
    return [{**row, "value": marker(below)} if _cell(row) in hidden else row for row in rows]


def _cell(row: dict[str, Any]) -> tuple[str, str, str]:
    system = row["system"]
    return system, row["metric"][len(system) + 1 :], row["breakdown"]
