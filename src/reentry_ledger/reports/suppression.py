"""Small counts hidden (docs/metrics.md, "Small counts"), for every report, in one place.

A count from 1 to K-1 is replaced with the marker "withheld" (primary suppression). So is every
value that would give a hidden one away, transitively: a value computed from a hidden value (a rate,
its interval, a median, person-days), and a total any of whose parts is hidden (complementary
suppression: with the total withheld too, a hidden part can move up or down with its totals
and every published value stays the same, so no hidden value can be solved for). Zero is shown.
One marker for all of them: a count hidden to protect another may be 25, and a rate is no
count, so none is marked as under K (and a block's parts, hidden together, look alike).
The oversight role sees reports with K = 10 unless it asks for more
(`authorization.OVERSIGHT_SUPPRESS_BELOW`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

Cell = TypeVar("Cell", bound=Hashable)

# Columns a report computes for suppression only (how many people a statistic is over); they
# start with "_" and are dropped before the report is shown.
PRIVATE = "_"


def threshold(asked: int | None, floor: int | None) -> int | None:
    """The K a report is shown with: the one asked for, but never below the actor's role's
    floor (oversight's 10), which applies when none is asked for."""
    if floor is None:
        return asked
    return max(asked or 0, floor)


# Every hidden value's marker, and what a table says of it when it shows one
WITHHELD = "withheld"
LEGEND = (
    f"{WITHHELD}: a count too small to show, or a value or total that would give one away "
    '(docs/metrics.md, "Small counts")'
)


def legend(rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> str | None:
    """What the marker means, for a table whose `columns` show it (None when they show
    nothing withheld)."""
    shown = tuple(columns)
    marked = (row for row in rows if WITHHELD in row.values())  # most rows: none
    found = any(row.get(column) == WITHHELD for row in marked for column in shown)
    return LEGEND if found else None


def is_small(value: Any, below: int) -> bool:
    is_count = isinstance(value, int) and not isinstance(value, bool)
    return is_count and 0 < value < below


def withheld(
    values: Mapping[Cell, Any],
    below: int,
    counts: Iterable[Cell],
    derived: Mapping[Cell, Sequence[Cell]] | None = None,
    totals: Iterable[tuple[Cell, Sequence[Cell]]] = (),
    seed: Iterable[Cell] = (),
) -> set[Cell]:
    """The cells to hide: each of `counts` from 1 to below-1 (and any `seed` cell), then,
    until nothing changes, each `derived` cell with a hidden source and each total with a
    hidden part."""
    hidden = {cell for cell in counts if is_small(values.get(cell), below)} | set(seed)
    rules = [*(derived or {}).items(), *totals]
    changed = True
    while changed:
        changed = False
        for cell, sources in rules:
            if cell not in hidden and hidden.intersection(sources):
                hidden.add(cell)
                changed = True
    return hidden


def linked(*cells: Cell) -> tuple[tuple[Cell, tuple[Cell, ...]], ...]:
    """Counts tied by arithmetic that is not a plain sum (one bounds another, or they balance
    with a count not shown): hidden together, so none bounds a hidden one down to its value.
    Each is a "total" of the others."""
    return tuple((cell, tuple(other for other in cells if other != cell)) for cell in cells)


# What each derived value of the violation report is computed from (a rate's limits with it).
DERIVED_FROM = {
    "person_days": ("clients",),
    "days_at_risk": ("clients",),
    "technical_clients_per_100": ("clients_with_technical", "clients"),
    "new_offence_clients_per_100": ("clients_with_new_offence", "clients"),
    "technical_per_100_person_years": ("technical_violations", "days_at_risk"),
    "absconding_per_100_person_years": ("absconding", "days_at_risk"),
    "new_offences_per_100_person_years": ("new_offences", "days_at_risk"),
    "technical_to_new_offence_ratio": ("technical_violations", "new_offences"),
    "technical_revocation_share": (
        "revocations_technical",
        "revocations_absconding",
        "revocations_new_offence",
    ),
    # the days the decisions on technical violations imposed, in the group of the decision's
    # date: hidden with the count of those decisions (never shown), so that one or two
    # custody sanctions in a group of few people do not show through
    "custody_days_technical": (
        "revocations_technical",
        "technical_violations",
        "_custody_decisions_technical",
    ),
}
# The violation report's breakdowns, each hidden as a block when any of its parts is: the
# parts by basis, and those by disposition, each sum to `new_offences` (shown: with two parts
# of a block hidden or more, one can move up as another moves down, and every shown value
# stays the same); the revoked terms by category sum to the revoked terms, which
# `revocation_decisions` nearly always equals (one decision ends a term), and the terms named
# technical differ from those attributed technical only by the terms another violation in the
# window outranked.
VIOLATION_LINKED = (
    *linked(
        "revocations_technical",
        "revocations_absconding",
        "revocations_new_offence",
        "revocations_named_technical",
    ),
    *linked("new_offences_arrest", "new_offences_charge", "new_offences_conviction",
            "new_offences_basis_unknown"),
    *linked("new_offences_pending", "new_offences_convicted", "new_offences_dismissed",
            "new_offences_acquitted", "new_offences_no_disposition"),
)  # fmt: skip


def suppress(
    row: dict[str, Any],
    below: int | None,
    counts: Iterable[str],
    derived: Mapping[str, Sequence[str]] = DERIVED_FROM,
    totals: Iterable[tuple[str, Sequence[str]]] = (),
    seed: Iterable[str] = (),
) -> dict[str, Any]:
    """The row with its small counts, and everything that would give them away, hidden
    (a derived value's `_low` and `_high` with it); private columns dropped. `seed`: cells
    hidden whatever their value (hidden in another report that shows them)."""
    shown = dict(row)  # a copy, less the private columns (most rows have none)
    for key in [key for key in shown if key[:1] == PRIVATE]:
        del shown[key]
    if not below:
        return shown
    counted = [name for name in counts if name not in derived]
    hidden = withheld(row, below, counted, derived, totals, seed)
    for name in hidden:
        for key in (name, f"{name}_low", f"{name}_high"):
            if key in shown:
                shown[key] = WITHHELD
    return shown
