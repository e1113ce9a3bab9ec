"""What counts as a revocation, for every report (docs/metrics.md, "Responses and revocations").

A revocation is a response of type `revocation` to a violation that counts: never a discharge
outcome (`revoked_technical` and `revoked_new_offence` are terminations), and a sanction, even
with custody days, is not one. A revocation *decision* is one that is not the officer's
recommendation (recommendations are never counted as decisions); a revocation stored before
decisions ended terms, even by the officer, is one. A revoked term is a term with a revocation
decision dated within it (counted once, on its first: reports/tallies.py).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS, Response
from reentry_ledger.domain.revocation import attributed
from reentry_ledger.reports.facts import ClientFacts, TermFact

REVOCATION = Response.REVOCATION.value


class Responded(Protocol):
    @property
    def response(self) -> str: ...
    @property
    def recommendation(self) -> bool: ...


def is_revocation(response: str) -> bool:
    """A response's code (as `audit_responses.response` holds it) is a revocation."""
    return response == REVOCATION


def is_revocation_decision(response: Responded) -> bool:
    """A response (`facts.ResponseFact`) is a revocation decided, not recommended."""
    return is_revocation(response.response) and not response.recommendation


def revocation_sql(column: str) -> str:
    """`is_revocation` as an SQL condition on a response code column."""
    return f"{column} = '{REVOCATION}'"


def revoked_terms(
    client: ClientFacts, window: int = REVOCATION_WINDOW_DAYS
) -> list[tuple[TermFact, date, str]]:
    """Each revoked term of a client, as the reports that count from facts read it (the
    violation report counts the same in SQL): the date of its first revocation decision (by
    date, then number) dated within it, and the category it is attributed to: the most
    serious of the term's violations in the window before that decision, else the category of
    the violation it names."""
    named = {violation.violation_id: violation for violation in client.violations}
    first: dict[int, tuple[TermFact, date, int, str]] = {}
    for response in client.responses:
        if not is_revocation_decision(response):
            continue
        term = client.term_on(response.on)
        if term is None:
            continue
        held = first.get(term.number)
        if held is None or (response.on, response.number) < held[1:3]:
            category = named[response.violation_id].category
            first[term.number] = (term, response.on, response.number, category)
    dated = [(violation.on, violation.category) for violation in client.violations]
    return [
        (term, on, attributed(on, term.first_day, dated, window) or category)
        for term, on, _, category in first.values()
    ]
