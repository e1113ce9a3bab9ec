"""How a case's term, status, person, violations and incentives read to people, one phrase
each: shared by `show` and the client's web page, so the two say the same."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from reentry_ledger.domain.state import (
    CaseState,
    GoalState,
    ResponseState,
    StatusPeriod,
    ViolationState,
)

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
    """active, in custody since D (reason), absconded since D, discharged (outcome on D), or
    revoked (outcome on D, by the decision on V): a revocation decision ended the term."""
    if case.outcome is not None:
        if case.revoked_by is not None:
            return (
                f"revoked ({case.outcome} on {case.discharged_on}, "
                f"by the decision on {case.revoked_by})"
            )
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


def violation_text(violation: ViolationState) -> str:
    """E.g. "V2 2024-04-01 new_offence: curfew, new offence (felony, violent, basis charge,
    type drug); disposition dismissed since 2024-06-01" (the current disposition)."""
    v = violation
    return f"{v.violation_id} {v.occurred_on} {v.category}: {violation_said(v)}"


def violation_said(violation: ViolationState) -> str:
    """What the violation was, and its new offence's current disposition."""
    v = violation
    kinds = [*v.technical, *(["absconding"] if v.absconding else [])]
    if v.new_offence:
        said = [v.new_offence, *(["violent"] if v.violent else [])]
        said += [f"basis {v.basis}"] if v.basis else []
        said += [f"type {v.offence_type}"] if v.offence_type else []
        kinds.append(f"new offence ({', '.join(said)})")
    text = ", ".join(kinds)
    if v.dispositions:
        on, disposition = v.dispositions[-1]
        text += f"; disposition {disposition} since {on}"
    return text


def response_text(response: ResponseState, case: CaseState, violation_id: str) -> str:
    """E.g. "recommendation: revocation on 2024-04-05, by officer", or "decision: revocation
    on 2024-04-10, by parole_board: ended term 1 (revoked_new_offence)"."""
    r = response
    kind = "recommendation" if r.recommendation else "decision"
    days = f", {r.custody_days} days in custody" if r.custody_days else ""
    text = f"{kind}: {r.response} on {r.occurred_on}{days}, by {r.decided_by}"
    if r.ends_term:
        ended = [t for t in case.terms if t.revoked_by == violation_id]
        text += (
            f": ended term {ended[0].term} ({ended[0].outcome})" if ended else ": ended the term"
        )
    return text


def incentives_text(case: CaseState) -> str:
    """E.g. "commendation 2024-04-06; curfew_lifted 2024-05-01", or "none"."""
    return "; ".join(f"{kind} {on}" for on, kind in case.incentives) or "none"


def plan_lines(case: CaseState, today: date) -> list[str]:
    """`show`'s goals, one a line in order of priority (priority, id, need, text, status,
    target, and `overdue` while the term is open), then the plan's approval."""
    lines = [
        ("goals        " if n == 1 else " " * 13) + text
        for n, text in enumerate(goal_texts(case, today), start=1)
    ] or ["goals        -"]
    return [*lines, f"plan         {approval_text(case)}"]


def goal_texts(case: CaseState, today: date) -> list[str]:
    """The current plan's goals as `show` says them, in order of priority."""
    return [goal_text(n, goal, case, today) for n, goal in enumerate(case.plan_goals, start=1)]


def approval_text(case: CaseState) -> str:
    """E.g. "approved on 2025-02-01 by sup (event 9); unchanged since", or "not approved"."""
    approval = case.plan_approved
    if approval is None:
        return "not approved"
    since = "unchanged since" if case.plan_approved_as_it_stands else "changed since"
    return f"approved on {approval.on} by {approval.by} (event {approval.number}); {since}"


def goal_text(priority: int, goal: GoalState, case: CaseState, today: date) -> str:
    said = [str(goal.status)] + ([f"target {goal.target}"] if goal.target else [])
    if not case.is_discharged and goal.overdue_on(today):
        said.append("overdue")
    return f"{priority}. {goal.goal_id} {goal.need}: {goal.description}  ({', '.join(said)})"


def goals_json(case: CaseState, today: date) -> list[dict[str, Any]]:
    """The current plan's goals in order of priority, as `show --json` gives them."""
    return [
        {"priority": n, **asdict(goal),
         "overdue": not case.is_discharged and goal.overdue_on(today)}
        for n, goal in enumerate(case.plan_goals, start=1)
    ]  # fmt: skip
