"""The Justice Counts supervision metrics the ledger can fill, month by month (docs/metrics.md,
"Justice Counts").

Keys, breakdown labels and columns are the framework's, as its implementation defines them
(Recidiviz/pulse-data at 4ee035b3e546: recidiviz/justice_counts/metrics/supervision.py,
dimensions/supervision.py, metricfiles/supervision.py, metric_definition.py). A metric's key is
`"_".join([system, metric_type])`, so the combined system's violations are
SUPERVISION_SUPERVISION_VIOLATIONS and probation's PROBATION_SUPERVISION_VIOLATIONS. Systems:
SUPERVISION (all), PAROLE, PROBATION and OTHER_SUPERVISION (every other supervision type); we
have no pretrial supervision, so PRETRIAL_SUPERVISION is left out, and a `reentry` term is not
supervision and counts nowhere. A fact counts in the system of the term it falls in.

Monthly metrics have a row for each month; Reconvictions is annual (no month). The aggregate
row of a metric has no breakdown, as in the framework's upload files.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from reentry_ledger.domain.codes import Disposition
from reentry_ledger.reports.facts import ClientFacts, TermFact, Violation
from reentry_ledger.reports.revocations import revoked_terms
from reentry_ledger.reports.suppression import WITHHELD, linked, withheld

SYSTEMS = ("SUPERVISION", "PAROLE", "PROBATION", "OTHER_SUPERVISION")
NOT_SUPERVISION = "reentry"  # a term of reentry services only (e.g. discharged at sentence end)
ADMINISTRATIVE_LEVELS = ("administrative", "unsupervised")
COLUMNS = ("year", "month", "system", "metric", "breakdown_category", "breakdown", "value")


@dataclass(frozen=True)
class Metric:
    """One Justice Counts metric: its MetricType, its breakdown (the metric file's
    disaggregation column and the dimension's labels, in the framework's order)."""

    kind: str
    breakdown_category: str | None = None
    labels: tuple[str, ...] = ()
    annual: bool = False


VIOLATIONS = Metric(
    "SUPERVISION_VIOLATIONS",
    "violation_type",
    ("Technical Violations", "Absconding Violations", "New Offense Violations",
     "Other Violations", "Unknown Violations"),
)  # fmt: skip
STARTS = Metric("SUPERVISION_STARTS")  # its offense-type breakdown is optional: not filled
POPULATION = Metric(
    "POPULATION",
    "supervision_type",
    ("People on Active Supervision", "People on Administrative Supervision",
     "People who have Absconded from Supervision",
     "People Incarcerated on a Hold or Sanction while on Supervision",
     "Other Supervision Status", "Unknown Supervision Status"),
)  # fmt: skip
TERMINATIONS = Metric(
    "SUPERVISION_TERMINATIONS",
    "discharges_type",
    ("Successful Completions of Supervision", "Neutral Discharges from Supervision",
     "Unsuccessful Discharges from Supervision", "Other Discharges from Supervision",
     "Unknown Discharges from Supervision"),
)  # fmt: skip
RECONVICTIONS = Metric("RECONVICTIONS", annual=True)
CASELOADS_PEOPLE = Metric("CASELOADS_PEOPLE")
CASELOADS_STAFF = Metric("CASELOADS_STAFF")
REVOCATIONS = Metric(
    "REVOCATIONS",
    "revocations_type",
    ("Revocations for Technical Violations", "Revocations for New Offense Violations",
     "Revocations for Other Reasons", "Revocations for Unknown Reasons"),
)  # fmt: skip
# In the order metrics/supervision.py defines them (Staff, annual, is not filled).
METRICS = (VIOLATIONS, STARTS, POPULATION, TERMINATIONS, RECONVICTIONS, CASELOADS_PEOPLE,
           CASELOADS_STAFF, REVOCATIONS)  # fmt: skip
BY_KIND = {metric.kind: metric for metric in METRICS}

VIOLATION_TYPE = dict(
    zip(("technical", "absconding", "new_offence"), VIOLATIONS.labels, strict=False)
)
# Revocations have no absconding type: the technical type excludes "Absconding violation" by
# default, so a revocation attributed to absconding is one "for Other Reasons" (neither
# technical nor a new offense).
REVOCATION_TYPE = {
    "technical": REVOCATIONS.labels[0],
    "new_offence": REVOCATIONS.labels[1],
    "absconding": REVOCATIONS.labels[2],
}
POPULATION_TYPE = dict(
    zip(
        ("active", "administrative", "absconded", "hold_or_sanction"),
        POPULATION.labels,
        strict=False,
    )
)
SUCCESSFUL, NEUTRAL, UNSUCCESSFUL, _OTHER, UNKNOWN_DISCHARGE = TERMINATIONS.labels
# The framework's default includes: an absconded discharge and a death are neutral, a
# revocation unsuccessful; `other` (no clear success or failure) neutral, as DOMAIN.md has it.
# Transfers are not discharges (excluded by default).
DISCHARGE_TYPE = {
    "successful": SUCCESSFUL,
    "early": SUCCESSFUL,
    "death": NEUTRAL,
    "absconded": NEUTRAL,
    "other": NEUTRAL,
    "revoked_technical": UNSUCCESSFUL,
    "revoked_new_offence": UNSUCCESSFUL,
}
TRANSFERRED = "transferred"

Cell = tuple[int | None, str, str, str | None]  # month (None: annual), system, kind, label


def system_of(supervision: str) -> str:
    return {"parole": "PAROLE", "probation": "PROBATION"}.get(supervision, "OTHER_SUPERVISION")


def systems_of(term: TermFact | None) -> tuple[str, ...]:
    """The systems a fact of this term counts in: none outside supervision."""
    if term is None or term.supervision == NOT_SUPERVISION:
        return ()
    return "SUPERVISION", system_of(term.supervision)


# Why a term began that makes it no new case: moved in from another district or office of the
# jurisdiction (the framework leaves transfers out of New Cases, as out of discharges), or the
# revoked term going on; and what makes it one whatever came the day before: a new sentence, a
# release from custody to supervision
NOT_NEW_CASE = frozenset({"transfer_in", "reinstated"})
NEW_CASE = frozenset({"new_sentence", "release_to_parole", "release_to_post_release"})


def new_case(client: ClientFacts, term: TermFact) -> bool:
    """Whether `term` starts a new case (SUPERVISION_STARTS): by why it began where that was
    recorded; else (no reason, or `other`) when the client was under no supervision term the
    day before, a term straight after another being the same case going on."""
    if term.start_reason in NOT_NEW_CASE:
        return False
    if term.start_reason in NEW_CASE:
        return True
    return not systems_of(client.term_on(term.start_on - timedelta(days=1)))


def last_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def population_type(client: ClientFacts, term: TermFact, day: date) -> str:
    """The Justice Counts daily-population status of a client on a day of a term."""
    status = client.status_on(term, day)
    if status == "custody":
        return "hold_or_sanction"
    if status == "absconded":
        return "absconded"
    return "administrative" if client.level_on(term, day) in ADMINISTRATIVE_LEVELS else "active"


def convicted_on(violation: Violation) -> date | None:
    """When a violation's new offence was convicted, as known: its own date when it was
    recorded on a conviction (and no later disposition says otherwise), else the date the
    current run of `convicted` dispositions began; None if it does not stand convicted."""
    if violation.new_offence is None:
        return None
    current = violation.disposition
    if violation.basis == "conviction" and current in (None, Disposition.CONVICTED):
        return violation.on
    if current != Disposition.CONVICTED:
        return None
    since = None
    for on, _, code in sorted(violation.dispositions):
        since = (since or on) if code == Disposition.CONVICTED else None
    return since


class Tally:
    """Counts per cell: events (each counts), and people (each counts once per cell)."""

    def __init__(self) -> None:
        self.events: Counter[Cell] = Counter()
        self.people: dict[Cell, set[Hashable]] = defaultdict(set)

    def count(self, month: int | None, term: TermFact | None, kind: str, label: str) -> None:
        for system in systems_of(term):
            self.events[month, system, kind, None] += 1
            self.events[month, system, kind, label] += 1

    def person(self, month: int | None, term: TermFact | None, kind: str, who: Hashable) -> None:
        for system in systems_of(term):
            self.people[month, system, kind, None].add(who)

    def value(self, cell: Cell) -> int:
        return self.events[cell] + len(self.people.get(cell, ()))


def justice_counts(
    clients: Iterable[ClientFacts], year: int, months: Sequence[int], annual: bool = True
) -> list[dict[str, Any]]:
    """The rows of the monthly metrics for each of `months` of `year`, then (if `annual`)
    the annual ones; every row present, zero or not."""
    tally = Tally()
    for client in clients:
        _tally(client, year, months, annual, tally)
    rows = []
    for month in months:
        rows += _rows(tally, year, month, [metric for metric in METRICS if not metric.annual])
    if annual:
        rows += _rows(tally, year, None, [metric for metric in METRICS if metric.annual])
    return rows


def _rows(tally: Tally, year: int, month: int | None, metrics: list[Metric]) -> list[dict]:
    rows = []
    for system in SYSTEMS:
        for metric in metrics:
            for label in (None, *metric.labels):
                rows.append(
                    {"year": year, "month": month, "system": system,
                     "metric": "_".join([system, metric.kind]),
                     "breakdown_category": metric.breakdown_category if label else None,
                     "breakdown": label,
                     "value": tally.value((month, system, metric.kind, label))}
                )  # fmt: skip
    return rows


def _tally(
    client: ClientFacts, year: int, months: Sequence[int], annual: bool, tally: Tally
) -> None:
    def month_of(day: date) -> int | None:
        return day.month if day.year == year and day.month in months else None

    for term in client.terms:
        started = month_of(term.start_on)
        if started and new_case(client, term):
            tally.person(started, term, STARTS.kind, client.client_id)
        ended = month_of(term.end_on) if term.end_on else None
        if ended and term.outcome != TRANSFERRED:
            label = DISCHARGE_TYPE.get(term.outcome or "", UNKNOWN_DISCHARGE)
            tally.count(ended, term, TERMINATIONS.kind, label)
    for violation in client.violations:
        if found := month_of(violation.on):
            tally.count(found, client.term_on(violation.on), VIOLATIONS.kind,
                        VIOLATION_TYPE[violation.category])  # fmt: skip
    for term, decided_on, category in revoked_terms(client):
        if found := month_of(decided_on):
            tally.count(found, term, REVOCATIONS.kind, REVOCATION_TYPE[category])
    for month in months:
        day = last_of_month(year, month)
        held = client.term_on(day)
        if held is None or not systems_of(held):
            continue
        kind = POPULATION_TYPE[population_type(client, held, day)]
        tally.count(month, held, POPULATION.kind, kind)
        tally.person(month, held, CASELOADS_PEOPLE.kind, client.client_id)
        tally.person(month, held, CASELOADS_STAFF.kind, client.officer_on(held, day))
    if annual:
        for violation in client.violations:
            convicted = convicted_on(violation)
            if convicted and convicted.year == year:
                tally.person(None, client.term_on(violation.on), RECONVICTIONS.kind,
                             client.client_id)  # fmt: skip


def suppressed(rows: list[dict[str, Any]], below: int | None) -> list[dict[str, Any]]:
    """The rows with small values hidden, and every value that would give one away:
    - each metric's aggregate is the sum of its breakdowns;
    - each SUPERVISION value is the sum of the three systems' (staff excepted: an officer may
      hold clients of several systems);
    - the caseload's people are the daily population's aggregate (the same people, the same
      day), and the revocations' aggregate is the unsuccessful discharges of the same month
      (a revocation decision ends its term that day): each is hidden with the other.
    Every relation is within one month (no monthly metric has an annual row), so a month's
    rows are the same whether the month is asked for alone or with its year."""
    if not below:
        return rows
    cells = {_cell(row): row["value"] for row in rows}
    totals: list[tuple[Cell, tuple[Cell, ...]]] = []
    for cell in cells:
        month, system, kind, label = cell
        if label is None and BY_KIND[kind].labels:
            totals.append(
                (cell, tuple((month, system, kind, part) for part in BY_KIND[kind].labels))
            )
        if system == "SUPERVISION" and kind != CASELOADS_STAFF.kind:
            totals.append((cell, tuple((month, part, kind, label) for part in SYSTEMS[1:])))
        if label is None and kind == POPULATION.kind:
            totals += linked(cell, (month, system, CASELOADS_PEOPLE.kind, None))
        if label is None and kind == REVOCATIONS.kind:
            totals += linked(cell, (month, system, TERMINATIONS.kind, UNSUCCESSFUL))
    hidden = withheld(cells, below, cells, totals=totals)
    # `report caseload` on the same day gives each system's population away: with one part
    # of it hidden, the others would give that one away, so every part that is not zero goes
    seed = hidden | whole_populations(cells, hidden)
    hidden = withheld(cells, below, cells, totals=totals, seed=seed)
    return [{**row, "value": WITHHELD} if _cell(row) in hidden else row for row in rows]


def whole_populations(cells: dict[Cell, Any], hidden: set[Cell]) -> set[Cell]:
    """Each system's daily population parts that are not zero, where one of them is hidden
    (a SUPERVISION part is the systems' sum, hidden with theirs)."""
    found: set[Cell] = set()
    for month, system, kind, label in hidden:
        if kind == POPULATION.kind and label is not None and system != "SUPERVISION":
            parts = ((month, system, kind, part) for part in POPULATION.labels)
            found.update(part for part in parts if cells.get(part))
    return found


def _cell(row: dict[str, Any]) -> Cell:
    system = row["system"]
    return row["month"], system, row["metric"][len(system) + 1 :], row["breakdown"]
