"""Domain errors. Each kind maps to one CLI exit code (see cli/errors.py)."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the ledger reports to a user."""


class InvalidInput(LedgerError):
    """A value is malformed or unknown (a bad date, an unknown code)."""

    field: str | None = None  # the event field at fault, when one is (its first)

    @classmethod
    def of(cls, field: str, message: str) -> InvalidInput:
        """The error, naming the field at fault (a CSV import names its column)."""
        error = cls(message)
        error.field = field
        return error


class VerificationFailed(LedgerError):
    """Hashes or a digest do not hold: the events were changed, removed or reordered."""


class RuleViolated(LedgerError):
    """A command was refused by a rule of the domain; nothing was recorded."""


class ClientNotFound(LedgerError):
    """No client is enrolled under the given reference."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no client with reference {ref!r}")
        self.ref = ref


class NotOnRecord(RuleViolated):
    """A client's event, referral, goal or violation that a command names is not on its
    record, or a user not in the ledger's directory: refused, and told as not found (exit 4,
    as a client that is not there)."""


class ClientAlreadyEnrolled(RuleViolated):
    def __init__(self, ref: str) -> None:
        super().__init__(f"client {ref!r} is already enrolled")
        self.ref = ref


class Conflict(LedgerError):
    """A concurrent write won the race for the same client, or the database stayed busy."""
