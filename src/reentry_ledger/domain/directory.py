"""Who may use the ledger: users and their roles, kept on the ledger as events.

One directory per ledger. Its first event opens it; with no directory the ledger runs in
single-user mode (any named actor acts, holding every role).
"""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from reentry_ledger.domain.checks import Name, Text, shown
from reentry_ledger.domain.errors import InvalidInput, NotOnRecord, RuleViolated
from reentry_ledger.domain.events import LedgerEvent
from reentry_ledger.domain.recording import Stamp, keep, next_event
from reentry_ledger.domain.references import CLIENT_NAMESPACE

DIRECTORY_ID = uuid5(CLIENT_NAMESPACE, "directory of users")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    OVERSIGHT = "oversight"
    CUSTODIAN = "custodian"


AGENCY_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}
MANAGERS = {Role.SUPERVISOR, Role.AUDITOR}  # the roles that may manage users


class OpeningEvent(LedgerEvent):
    """An event that opens its aggregate when it is the first."""

    def mutate(self, aggregate: Any) -> Any:
        if aggregate is None:
            aggregate = self.opens().empty(self.originator_id, self.timestamp)
        return super().mutate(aggregate)

    def opens(self) -> type[Any]:
        raise NotImplementedError


class OpenedAggregate(Aggregate):
    """An aggregate opened by its first event (no separate creation event)."""

    def __init__(self) -> None:
        self.history: list[LedgerEvent] = []

    @classmethod
    def empty(cls, aggregate_id: UUID, timestamp: Any) -> Any:
        aggregate = cls.__new__(cls)
        aggregate.__base_init__(
            originator_id=aggregate_id, originator_version=0, timestamp=timestamp
        )
        aggregate.__init__()  # type: ignore[misc]
        return aggregate

    def append_to_history(self, event: LedgerEvent) -> None:
        self.history.append(event)


class DirectoryEvent(OpeningEvent):
    def opens(self) -> type[Any]:
        return Directory


class UserAdded(DirectoryEvent):
    TOPIC = "reentry_ledger.domain.directory:UserAdded"
    name: Name
    role: Role
    agency: Name | None = None


class UserRemoved(DirectoryEvent):
    TOPIC = "reentry_ledger.domain.directory:UserRemoved"
    name: Name
    reason: Text | None = None


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    agency: str | None
    added_on: date
    added_by: str


class TokenIssued(DirectoryEvent):
    """A bearer token was issued to a user: only its id and expiry are on record (its secret's
    hash lies in the credentials table, never in the events)."""

    TOPIC = "reentry_ledger.domain.directory:TokenIssued"
    name: Name
    token_id: Name
    expires_on: date | None = None


class TokensRevoked(DirectoryEvent):
    """A user's tokens were revoked: one (`token_id`) or all of them."""

    TOPIC = "reentry_ledger.domain.directory:TokensRevoked"
    name: Name
    token_id: Name | None = None


class PasswordSet(DirectoryEvent):
    """A user's password for the web pages was set (its hash lies in the credentials table)."""

    TOPIC = "reentry_ledger.domain.directory:PasswordSet"
    name: Name


class Directory(OpenedAggregate):
    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, User] = {}

    def append_to_history(self, event: LedgerEvent) -> None:
        super().append_to_history(event)
        if isinstance(event, UserAdded):
            self.users[event.name] = User(
                event.name, event.role, event.agency, event.occurred_on, event.recorded_by
            )
        elif isinstance(event, UserRemoved):
            self.users.pop(event.name, None)

    def add_user(self, stamp: Stamp, name: str, role: str, agency: str | None) -> None:
        if not _NAME.fullmatch(name):
            raise InvalidInput(
                f"user name {shown(name)} is malformed: 1-64 letters, digits, . _ @ -"
            )
        if name in self.users:
            raise RuleViolated(f"user {name!r} already exists ({self.users[name].role})")
        if role in AGENCY_ROLES and not agency:
            raise InvalidInput(f"a {role} belongs to an agency: give --agency")
        if role not in AGENCY_ROLES and agency:
            raise InvalidInput(f"a {role} works across agencies: leave out --agency")
        keep(self, next_event(self, UserAdded, stamp, name=name, role=role, agency=agency))

    def remove_user(self, stamp: Stamp, name: str, reason: str | None) -> None:
        user = self.user(name)
        if user.role == Role.AUDITOR and self.count(Role.AUDITOR) == 1:
            raise RuleViolated(
                f"{name!r} is the ledger's last auditor and cannot be removed: "
                "add another auditor first"
            )
        managers = [u for u in self.users.values() if u.role in MANAGERS and u.name != name]
        if not managers:
            raise RuleViolated(
                f"removing {name!r} would leave no one who can manage users: add an auditor first"
            )
        keep(self, next_event(self, UserRemoved, stamp, name=name, reason=reason))

    def issue_token(self, stamp: Stamp, name: str, token_id: str, expires_on: date | None) -> None:
        self.user(name)
        keep(self, next_event(self, TokenIssued, stamp, name=name, token_id=token_id,
                              expires_on=expires_on))  # fmt: skip

    def revoke_tokens(self, stamp: Stamp, name: str, token_id: str | None) -> None:
        self.user(name)
        keep(self, next_event(self, TokensRevoked, stamp, name=name, token_id=token_id))

    def set_password(self, stamp: Stamp, name: str) -> None:
        self.user(name)
        keep(self, next_event(self, PasswordSet, stamp, name=name))

    def user(self, name: str) -> User:
        if name not in self.users:
            raise NotOnRecord(f"no user {name!r}")  # not found (exit 4), as a client
        return self.users[name]

    def count(self, role: Role) -> int:
        return sum(1 for user in self.users.values() if user.role == role)

    def has(self, role: Role) -> bool:
        return self.count(role) > 0


def new_directory(timestamp: Any) -> Directory:
    directory: Directory = Directory.empty(DIRECTORY_ID, timestamp)
    return directory
