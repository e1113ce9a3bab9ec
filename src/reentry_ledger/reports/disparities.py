"""Disparities: each group's rate beside a reference group's, with the rate ratio and its
95% interval (docs/metrics.md, "Disparities").

Built on the violation report's grouped counts (`tallies`): for each group of one personal
dimension (race, ethnicity, sex, age band), a count of events and its days at risk; the rate
is per 100 person-years at risk. The rate ratio's interval is the log method:
exp(ln RR ± 1.96 · sqrt(1/a + 1/b)), for event counts a and b, undefined when either is 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from reentry_ledger.domain.codes import AgeBand, Ethnicity, Race, Sex, values
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.stats import Z95
from reentry_ledger.reports.suppression import suppress
from reentry_ledger.reports.violations import counted, rounded, withheld_counts

DAYS_PER_YEAR = 365.25
CODES: dict[str, type[StrEnum]] = {
    "race": Race,
    "ethnicity": Ethnicity,
    "sex": Sex,
    "age_band": AgeBand,
}
DEFAULT_REFERENCE = {"race": "white"}  # else the group with the most days at risk
# The metric's name, and the violation report's count it is the rate of.
METRICS = {
    "technical": "technical_violations",
    "new_offence": "new_offences",
    "revocations_technical": "revocations_technical",
}
VALUES = (
    "clients", "count", "days_at_risk", "rate_per_100_person_years", "reference_count",
    "reference_days_at_risk", "reference_rate_per_100_person_years", "rate_ratio",
    "rate_ratio_low", "rate_ratio_high",
)  # fmt: skip
COUNTS = ("clients", "count", "reference_count", "_reference_clients")
# What each derived value is computed from: hidden with any of them.
DERIVED = {
    "days_at_risk": ("clients",),
    "rate_per_100_person_years": ("count", "days_at_risk"),
    "reference_days_at_risk": ("_reference_clients",),
    "reference_rate_per_100_person_years": ("reference_count", "reference_days_at_risk"),
    "rate_ratio": (
        "count",
        "reference_count",
        "rate_per_100_person_years",
        "reference_rate_per_100_person_years",
    ),
}


@dataclass(frozen=True)
class DisparityRequest:
    today: date
    by: str = "race"
    reference: str | None = None  # default: DEFAULT_REFERENCE, else the largest group
    metrics: tuple[str, ...] = tuple(METRICS)
    period: str | None = None
    first: date | None = None
    last: date | None = None
    suppress_below: int | None = None

    def __post_init__(self) -> None:
        if self.by not in CODES:
            raise InvalidInput(f"--by: unknown dimension {self.by!r} (known: {', '.join(CODES)})")
        codes = values(CODES[self.by])
        if self.reference is not None and self.reference not in codes:
            raise InvalidInput(
                f"--reference: {self.reference!r} is not a {self.by} code "
                f"(known: {', '.join(codes)})"
            )
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or not self.metrics:
            raise InvalidInput(
                f"--metric: unknown metric {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(METRICS)}, all)"
            )

    @property
    def dimensions(self) -> tuple[str, ...]:
        return (self.by, "period") if self.period else (self.by,)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.dimensions, "metric", "reference", *VALUES)


def disparities(
    store: ProjectionStore,
    request: DisparityRequest,
    known_at: str | None,
    earliest_start: date | None,
) -> list[dict[str, Any]]:
    """One row per group, period and metric, sorted; small counts hidden."""
    return rows(counted(store, request, known_at, earliest_start), request)


def reference_group(
    counts: dict[tuple[Any, ...], dict[str, int]], request: DisparityRequest
) -> str:
    """The code the others are compared with: the one asked for, else the default for the
    dimension, else the known group (never `unknown`) with the most days at risk over the
    whole range (the first in the code list's order on a tie)."""
    if request.reference is not None:
        return request.reference
    if request.by in DEFAULT_REFERENCE:
        return DEFAULT_REFERENCE[request.by]
    days: Counter[str] = Counter()
    for key, group in counts.items():
        days[key[0]] += group.get("days_at_risk", 0)
    codes = [code for code in values(CODES[request.by]) if code != "unknown"]
    return max(codes, key=lambda code: (days[code], -codes.index(code)))


def rows(
    counts: dict[tuple[Any, ...], dict[str, int]], request: DisparityRequest
) -> list[dict[str, Any]]:
    reference = reference_group(counts, request)
    codes = values(CODES[request.by])
    result, below = [], request.suppress_below
    # what the violation report of the same grouping withholds, by group: hidden here too (a
    # revocation count of a block with a small part: shown here, it gave the block away)
    hidden = {key: withheld_counts(group, below) for key, group in counts.items()}
    for key in sorted(counts, key=lambda k: (k[1:], codes.index(k[0]) if k[0] in codes else 99)):
        group, rest = counts[key], key[1:]
        versus = counts.get((reference, *rest), {})
        versus_hidden = hidden.get((reference, *rest), set())
        for metric in request.metrics:
            row: dict[str, Any] = {request.by: key[0]}
            if rest:
                period = rest[0]
                row["period"] = period.label if isinstance(period, Period) else period
            row |= compared(metric, reference, group, versus, key[0] == reference)
            seed = [cell for cell, withheld in (("count", hidden[key]),
                                                ("reference_count", versus_hidden))
                    if METRICS[metric] in withheld]  # fmt: skip
            result.append(suppress(row, below, COUNTS, DERIVED, seed=seed))
    return result


def compared(
    metric: str, reference: str, group: dict[str, int], versus: dict[str, int], same: bool
) -> dict[str, Any]:
    count, days = group.get(METRICS[metric], 0), group.get("days_at_risk", 0)
    reference_count = versus.get(METRICS[metric], 0)
    reference_days = versus.get("days_at_risk", 0)
    rate, reference_rate = (
        per_100_person_years(count, days),
        per_100_person_years(reference_count, reference_days),
    )
    ratio, low, high = rate_ratio(count, days, reference_count, reference_days)
    if same and ratio is not None:  # the reference against itself: 1, with no interval
        ratio, low, high = 1.0, None, None
    return {
        "metric": metric,
        "reference": reference,
        "clients": group.get("clients", 0),
        "count": count,
        "days_at_risk": days,
        "rate_per_100_person_years": rounded(rate),
        "reference_count": reference_count,
        "reference_days_at_risk": reference_days,
        "reference_rate_per_100_person_years": rounded(reference_rate),
        "rate_ratio": rounded(ratio),
        "rate_ratio_low": rounded(low),
        "rate_ratio_high": rounded(high),
        "_reference_clients": versus.get("clients", 0),
    }


def per_100_person_years(count: int, days: int) -> float | None:
    return 100 * count / (days / DAYS_PER_YEAR) if days else None


def rate_ratio(
    a: int, days_a: int, b: int, days_b: int, z: float = Z95
) -> tuple[float | None, float | None, float | None]:
    """(a / days_a) / (b / days_b) and its log-method interval: the ratio is undefined
    without days on either side or without reference events; the interval, when either
    count is 0 (0 where the group has none)."""
    if not days_a or not days_b or not b:
        return None, None, None
    ratio = (a / days_a) / (b / days_b)
    if not a:
        return ratio, None, None
    spread = z * math.sqrt(1 / a + 1 / b)
    return ratio, ratio * math.exp(-spread), ratio * math.exp(spread)


def parse_metrics(chosen: Sequence[str]) -> tuple[str, ...]:
    """`--metric` values (repeatable; `all` for every one), in the report's order."""
    if not chosen or "all" in chosen:
        return tuple(METRICS)
    return tuple(m for m in METRICS if m in chosen) + tuple(m for m in chosen if m not in METRICS)
