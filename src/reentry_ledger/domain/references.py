"""Client references: the agency's own identifier, mapped deterministically to an aggregate id."""

from __future__ import annotations

import re
from uuid import UUID, uuid5

from reentry_ledger.domain.checks import shown
from reentry_ledger.domain.errors import InvalidInput

# Fixed forever: changing it would orphan every stored client.
CLIENT_NAMESPACE = UUID("5b0c8a52-3f0e-4b8e-9c1e-2f7d6a1e0c11")

_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


def check_reference(ref: str) -> str:
    """Return the reference if it is well formed, else raise InvalidInput."""
    if not _REFERENCE.fullmatch(ref):
        raise InvalidInput(
            f"client reference {shown(ref)} is malformed: use 1-64 letters, digits, '.', '_', '/' "
            "or '-', starting with a letter or digit (e.g. GA-000123)"
        )
    return ref


def well_formed(ref: str) -> bool:
    try:
        check_reference(ref)
    except InvalidInput:
        return False
    return True


def client_id(ref: str) -> UUID:
    """The aggregate id of the client with this reference (case-sensitive, stable)."""
    return uuid5(CLIENT_NAMESPACE, check_reference(ref))
