"""The violation-rate metrics: technical violations against new offences, by group.

Every definition is in docs/metrics.md; the names here are the report's keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, Protocol

from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.dimensions import DIMENSIONS, ORDERS
from reentry_ledger.reports.periods import Period, split
from reentry_ledger.reports.stats import dispersion, overdispersed_interval, wilson
from reentry_ledger.reports.suppression import DERIVED_FROM, VIOLATION_LINKED, suppress, withheld
from reentry_ledger.reports.tallies import BY_BASIS, BY_DISPOSITION, DISPERSION, tallies

# 2: terms, days at risk, people, level; 3: revoked terms attributed in a window, decisions,
# new offences by basis and disposition, intervals corrected for overdispersion; 4: the day
# one term ends and the next begins is the ending term's
DEFINITIONS_VERSION = "4"
DAYS_PER_YEAR = 365.25

REVOCATIONS = ("revocations_technical", "revocations_absconding", "revocations_new_offence")
COUNTS = (
    "clients",
    "person_days",
    "days_at_risk",
    "technical_violations",
    "absconding",
    "new_offences",
    "clients_with_technical",
    "clients_with_new_offence",
    *BY_BASIS,
    *BY_DISPOSITION,
    *REVOCATIONS,
    "revocations_named_technical",
    "revocation_decisions",
    "custody_days_technical",
)
RATES = (
    "technical_clients_per_100",
    "new_offence_clients_per_100",
    "technical_per_100_person_years",
    "absconding_per_100_person_years",
    "new_offences_per_100_person_years",
)
# each per-person-year rate and the count it is the rate of
PER_PERSON_YEAR = (
    ("technical_per_100_person_years", "technical_violations"),
    ("absconding_per_100_person_years", "absconding"),
    ("new_offences_per_100_person_years", "new_offences"),
)
# each share of the group's clients (per 100) and the clients it counts
SHARE_OF_CLIENTS = (
    ("technical_clients_per_100", "clients_with_technical"),
    ("new_offence_clients_per_100", "clients_with_new_offence"),
)
WITH_LIMITS = ("", "_low", "_high")
METRICS = (
    *COUNTS[:8],
    *(f"{rate}{suffix}" for rate in RATES for suffix in WITH_LIMITS),
    "technical_to_new_offence_ratio",
    *BY_BASIS,
    *BY_DISPOSITION,
    *REVOCATIONS,
    *(f"technical_revocation_share{suffix}" for suffix in WITH_LIMITS),
    "revocations_named_technical",
    "revocation_decisions",
    "custody_days_technical",
)

# what a table shows of them: the counts and rates, without their limits
TABLE_METRICS = (
    *COUNTS[:6],  # clients, person-days, days at risk, and each kind of event
    "technical_per_100_person_years",
    "new_offences_per_100_person_years",
    "technical_to_new_offence_ratio",
    "revocations_technical",
    "revocations_absconding",
    "revocations_new_offence",
    "technical_revocation_share",  # of every revoked term: the three before it
)


def shown_columns(dimensions: Sequence[str], output: str) -> list[str]:
    """The columns a report shows as `output` (table, csv, json): a table's are fewer."""
    return [*dimensions, *(TABLE_METRICS if output == "table" else METRICS)]


@dataclass(frozen=True)
class ReportRequest:
    today: date  # open enrolments run to --to, else to today (UTC)
    by: tuple[str, ...] = ()
    period: str | None = None
    first: date | None = None  # --from
    last: date | None = None  # --to
    suppress_below: int | None = None
    window: int = REVOCATION_WINDOW_DAYS  # --window: days before a revocation decision
    exclude_dismissed: bool = False  # --exclude-dismissed
    # the rates' interval limits (None without): a table shows none, and the exact Poisson
    # limits are most of the time a report of thousands of groups takes once counted
    limits: bool = True

    def __post_init__(self) -> None:
        if self.window < 1:
            raise InvalidInput(f"--window: {self.window} is not a number of days (at least 1)")

    @property
    def dimensions(self) -> tuple[str, ...]:
        chosen = list(self.by)
        if self.period and "period" not in chosen:
            chosen.append("period")
        return tuple(d for d in DIMENSIONS if d in chosen)


def report(
    store: ProjectionStore,
    request: ReportRequest,
    known_at: str | None,
    earliest_start: date | None,
) -> list[dict[str, Any]]:
    """One row per group with at least one client or event, sorted by its dimensions."""
    return rows(counted(store, request, known_at, earliest_start), request)


class Ranged(Protocol):
    """What a grouped request over a range gives (a ReportRequest, a DisparityRequest)."""

    @property
    def today(self) -> date: ...
    @property
    def first(self) -> date | None: ...
    @property
    def last(self) -> date | None: ...
    @property
    def period(self) -> str | None: ...
    @property
    def dimensions(self) -> tuple[str, ...]: ...


def counted(
    store: ProjectionStore, request: Ranged, known_at: str | None, earliest_start: date | None
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Each group's counts over the request's range, split into its periods (from the earliest
    enrolment unless told; none on a ledger with no enrolment)."""
    if earliest_start is None:
        return {}
    periods = split(request.first or earliest_start, request.last or request.today, request.period)
    return tallies(
        store,
        request.dimensions,
        periods,
        known_at,
        getattr(request, "window", REVOCATION_WINDOW_DAYS),
        getattr(request, "exclude_dismissed", False),
        ends_today=(request.last or request.today) == request.today,
    )


def rows(
    counts_by_group: dict[tuple[Any, ...], dict[str, int]], request: ReportRequest
) -> list[dict[str, Any]]:
    """The report's rows from each group's counts: rates, intervals, order, suppression."""
    dimensions, zeros = request.dimensions, dict.fromkeys((*COUNTS, *DISPERSION), 0)
    columns, limits = (*dimensions, *METRICS), request.limits
    result = [
        dict(zip(columns, _values(key, {**zeros, **counts}, limits), strict=True))
        for key, counts in counts_by_group.items()
    ]
    if not request.suppress_below:
        result.sort(key=sorting(dimensions))
        return result  # nothing to hide: a row holds no private column (`suppress`)
    for row, counts in zip(result, counts_by_group.values(), strict=True):
        row.update(_private(counts))
    result.sort(key=sorting(dimensions))
    return [
        suppress(row, request.suppress_below, HIDDEN_BY, totals=VIOLATION_LINKED) for row in result
    ]


# the counts a row is not shown but hides others with (`DERIVED_FROM`), by their names in the
# report's sums
PRIVATE_COUNTS = {"_custody_decisions_technical": "custody_decisions_technical"}
HIDDEN_BY = (*COUNTS, *PRIVATE_COUNTS)  # every count whose small values are hidden


def _private(counts: Mapping[str, int]) -> dict[str, int]:
    return {name: counts.get(summed, 0) for name, summed in PRIVATE_COUNTS.items()}


def withheld_counts(counts: dict[str, int], below: int | None) -> set[str]:
    """The counts a group's row withholds (`rows`: small ones, what is derived from them,
    the blocks they are part of), for a report that shows them otherwise (disparities)."""
    if not below:
        return set()
    values = {**dict.fromkeys(COUNTS, 0), **counts, **_private(counts)}
    return withheld(values, below, [c for c in HIDDEN_BY if c not in DERIVED_FROM], DERIVED_FROM,
                    VIOLATION_LINKED)  # fmt: skip


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# each run of counts a row shows as they are, taken from a group's counts at once (made once,
# not once a group: a report by officer and month has 100,000 groups)
_FIRST_COUNTS = itemgetter(*COUNTS[:8])
_LATER_COUNTS = itemgetter(*BY_BASIS, *BY_DISPOSITION)
_REVOCATIONS = itemgetter(*REVOCATIONS)
_LAST_COUNTS = itemgetter(*COUNTS[COUNTS.index("revocations_named_technical") :])
_NONE: tuple[None, None, None] = (None, None, None)


def _values(key: tuple[Any, ...], counts: dict[str, int], limits: bool = True) -> list[Any]:
    """A group's row as values, in the order of its own values then `METRICS` (whose names
    are made once, not once a group): its counts, and rates with their limits (None without
    `limits`)."""
    interval = wilson if limits else _without_limits
    values = [value.label if isinstance(value, Period) else value for value in key]
    values += _FIRST_COUNTS(counts)
    clients = counts["clients"]
    for _, numerator in SHARE_OF_CLIENTS:
        share = interval(counts[numerator], clients)
        values += _NONE if share is None else [None if v is None else round(100 * v, 4)
                                               for v in share]  # fmt: skip
    # every per-person-year rate is per year at risk: not in custody, not absconded
    for _, numerator in PER_PERSON_YEAR:
        values += per_person_year(counts, numerator, limits)
    new = counts["new_offences"]
    values.append(round(counts["technical_violations"] / new, 4) if new else None)
    values += _LATER_COUNTS(counts)
    revocations = _REVOCATIONS(counts)
    values += revocations
    share = interval(revocations[0], sum(revocations))  # of the revoked terms
    values += _NONE if share is None else map(rounded, share)
    values += _LAST_COUNTS(counts)
    return values


def _without_limits(successes: int, trials: int) -> tuple[float, None, None] | None:
    """A proportion as `wilson` gives it, without its limits."""
    return None if trials == 0 else (successes / trials, None, None)


def per_person_year(
    counts: Mapping[str, int], numerator: str, limits: bool = True
) -> tuple[float | None, ...]:
    """`numerator` per 100 person-years at risk and its limits (`WITH_LIMITS`), rounded; None
    without a day at risk. People with several events spread the count wider than Poisson:
    the limits are corrected by client (stats.dispersion), from the group's `clients`,
    `days_at_risk` and the count's sums (`tallies.dispersion_names`)."""
    count, days = counts[numerator], counts["days_at_risk"]
    if not days:
        return _NONE
    years = days / DAYS_PER_YEAR
    if not limits:
        return round(100 * count / years, 4), None, None
    phi = dispersion(
        counts["clients"],
        count,
        days,
        counts[f"{numerator}_squares"],
        counts[f"{numerator}_by_days"],
        counts["days_at_risk_squares"],
    )
    low, high = overdispersed_interval(count, phi)
    return (round(100 * count / years, 4), round(100 * low / years, 4),
            round(100 * high / years, 4))  # fmt: skip


def sort_key(dimensions: Sequence[str], row: dict[str, Any]) -> tuple[Any, ...]:
    """Groups in order: risk, level and age band in their own order, the rest as they sort."""
    return tuple(ORDERS[d].get(row[d], 9) if d in ORDERS else row[d] for d in dimensions)


def sorting(dimensions: Sequence[str]) -> Callable[[dict[str, Any]], Any]:
    """`sort_key` of a row, made once a report: where no dimension has an order of its own,
    the row's values as they are, taken at once (a report by officer and month sorts 100,000)."""
    if not dimensions or any(d in ORDERS for d in dimensions):
        return lambda row: sort_key(dimensions, row)
    return itemgetter(*dimensions)  # one dimension: its value, which sorts as its 1-tuple
