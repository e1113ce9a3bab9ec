"""What counts as a revocation, for every report (docs/metrics.md, "Responses and revocations").

A revocation is a response of type `revocation` to a violation that counts: never a discharge
outcome (`revoked_technical` and `revoked_new_offence` are terminations), and a sanction, even
with custody days, is not one. A revocation *decision* is one that is not the officer's
recommendation (recommendations are never counted as decisions); a revocation stored before
decisions ended terms, even by the officer, is one. A revoked term is a term with a revocation
decision dated within it (counted once, on its first: reports/tallies.py).
"""

from __future__ import annotations

from typing import Protocol

from reentry_ledger.domain.codes import Response

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
