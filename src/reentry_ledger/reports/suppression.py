"""Small counts hidden (docs/metrics.md, "Small counts"), for every report, in one place.

A count from 1 to K-1 is replaced with the marker "<K", and in the violation report every value
derived from a hidden count too. Zero is shown. The oversight role sees reports with K = 10
unless it asks for a threshold of its own (`authorization.OVERSIGHT_SUPPRESS_BELOW`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def threshold(asked: int | None, floor: int | None) -> int | None:
    """The K a report is shown with: the one asked for, but never below the actor's role's
    floor (oversight's 10), which applies when none is asked for."""
    if floor is None:
        return asked
    return max(asked or 0, floor)


# What each derived value of the violation report is computed from: suppressing a count
# suppresses these too.
DERIVED_FROM = {
    "person_days": ("clients",),
    "technical_clients_per_100": ("clients_with_technical", "clients"),
    "new_offence_clients_per_100": ("clients_with_new_offence", "clients"),
    # per person-year: over person_days, which derives from clients
    "technical_per_100_person_years": ("technical_violations", "clients"),
    "absconding_per_100_person_years": ("absconding", "clients"),
    "new_offences_per_100_person_years": ("new_offences", "clients"),
    "technical_to_new_offence_ratio": ("technical_violations", "new_offences"),
    "revocation_share_technical": (
        "revocations_technical",
        "revocations_absconding",
        "revocations_new_offence",
    ),
    "custody_days_technical": ("revocations_technical", "technical_violations"),
}


def suppress(row: dict[str, Any], below: int | None, counts: Iterable[str]) -> dict[str, Any]:
    """Replace `counts` from 1 to below-1 (those not derived from others), and everything
    derived from them, with a marker."""
    if not below:
        return row
    marker = f"<{below}"
    suppressible = [name for name in counts if name not in DERIVED_FROM]
    hidden = {name for name in suppressible if 0 < row[name] < below}
    result = dict(row)
    for name in hidden:
        result[name] = marker
    for derived, sources in DERIVED_FROM.items():
        if hidden.intersection(sources):
            for key in (derived, f"{derived}_low", f"{derived}_high"):
                if key in result:
                    result[key] = marker
    return result


def hide_small_counts(rows: list[dict[str, Any]], below: int | None) -> list[dict[str, Any]]:
    """Counts from 1 to below-1 replaced with a marker (the year is no count): the casework
    reports and Justice Counts, whose values derive from no hidden count."""
    if not below:
        return rows
    return [hide_small_counts_in(row, below) for row in rows]


def hide_small_counts_in(row: dict[str, Any], below: int) -> dict[str, Any]:
    def small(key: str, value: Any) -> bool:
        is_count = isinstance(value, int) and not isinstance(value, bool) and key != "year"
        return is_count and 0 < value < below

    return {key: f"<{below}" if small(key, value) else value for key, value in row.items()}
