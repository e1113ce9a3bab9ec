"""What a revocation is attributed to (docs/metrics.md, "Revocations"; ADR 0022).

A revoked term is attributed to the most serious violation of that term recorded as having
happened in the window before the decision (its own day and the `window_days` before it), not
only to the violation the decision names: a technical violation revoked while a new charge is
pending is a revocation for the new offence. Recidiviz does the same with its
most-severe-violation rule; the window here is in days, 365 unless told.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS, DischargeOutcome, ViolationCategory

SEVERITY = (ViolationCategory.NEW_OFFENCE, ViolationCategory.ABSCONDING,
            ViolationCategory.TECHNICAL)  # fmt: skip


def attributed(
    decided_on: date,
    term_start: date,
    violations: Iterable[tuple[date, str]],
    window_days: int = REVOCATION_WINDOW_DAYS,
) -> str | None:
    """The most serious category among the term's violations (date, category) dated within
    the window before the decision; None when there are none (the named one then stands)."""
    earliest = max(term_start, decided_on - timedelta(days=window_days))
    found = {category for on, category in violations if earliest <= on <= decided_on}
    return next((category.value for category in SEVERITY if category.value in found), None)


def revoked_outcome(category: str) -> DischargeOutcome:
    """The outcome of a term revoked for a violation of `category` (absconding is the breach
    of a condition: revoked_technical)."""
    if category == ViolationCategory.NEW_OFFENCE:
        return DischargeOutcome.REVOKED_NEW_OFFENCE
    return DischargeOutcome.REVOKED_TECHNICAL
