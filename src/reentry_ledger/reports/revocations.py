"""What counts as a revocation, for every report (docs/metrics.md, "Responses and revocations").

A revocation is a response of type `revocation` to a violation that counts: never a discharge
outcome (`revoked_technical` and `revoked_new_offence` are terminations), and a sanction, even
with custody days, is not one. It is counted by the type of the violation it answers.
"""

from __future__ import annotations

from reentry_ledger.domain.codes import Response

REVOCATION = Response.REVOCATION.value


def is_revocation(response: str) -> bool:
    """A response's code (as `audit_responses.response` holds it) is a revocation."""
    return response == REVOCATION


def revocation_sql(column: str) -> str:
    """`is_revocation` as an SQL condition on a response code column."""
    return f"{column} = '{REVOCATION}'"
