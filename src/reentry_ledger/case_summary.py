"""How a case's term, status and person read to people, one phrase each: shared by `show` and
the client's web page, so the two say the same."""

from __future__ import annotations

from reentry_ledger.domain.state import CaseState, StatusPeriod

UNKNOWN = "unknown"


def term_text(case: CaseState) -> str:
    """E.g. "2 (of 2) from 2025-03-01, start reason release_to_parole"."""
    term = case.current_term
    reason = f", start reason {term.start_reason}" if term.start_reason else ""
    return f"{case.term} (of {len(case.terms)}) from {term.start}{reason}"


def period_text(period: StatusPeriod) -> str:
    """E.g. "in custody (sanction) since 2024-03-05, until 2024-03-08"."""
    words = "in custody" if period.kind == "custody" else "absconded"
    reason = f" ({period.reason})" if period.reason else ""
    until = f", until {period.until}" if period.until else ""
    if period.closed_by_term:
        until = f", through the term's end on {period.until}"
    return f"{words}{reason} since {period.since}{until}"


def status_text(case: CaseState) -> str:
    """active, in custody since D (reason), absconded since D, or discharged (outcome on D)."""
    if case.outcome is not None:
        return f"discharged ({case.outcome} on {case.discharged_on})"
    for kind in ("custody", "absconded"):
        period = case.open_period(kind)
        if period is not None:
            return period_text(period)
    return "active"


def term_periods(case: CaseState) -> list[StatusPeriod]:
    """The custody and absconding periods of the current term, in order."""
    start = case.current_term.start
    return [period for period in case.periods if period.since >= start]


def person_text(case: CaseState) -> str:
    """E.g. "sex female, race black, ethnicity not_hispanic, born 1990" (as decrypted)."""
    return (
        f"sex {case.sex or UNKNOWN}, race {case.race or UNKNOWN}, "
        f"ethnicity {case.ethnicity or UNKNOWN}, born {case.birth_year or UNKNOWN}"
    )
