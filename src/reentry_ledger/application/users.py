"""Users and their roles: who may act on this ledger. The first user added ends single-user
mode for good; after that, each change is made by a user who may manage that user."""

from __future__ import annotations

from reentry_ledger.application.base import LedgerBase
from reentry_ledger.authorization import Permission
from reentry_ledger.domain.directory import MANAGERS, User, new_directory
from reentry_ledger.domain.errors import InvalidInput, RuleViolated


class Users(LedgerBase):
    def add_user(self, name: str, role: str, agency: str | None, *, actor: str | None) -> None:
        directory = self.directory()
        who = self.writer(actor, Permission.MANAGE_USERS)
        if directory is not None:
            who.check_manages(role, agency, directory)
        elif role not in MANAGERS:
            raise RuleViolated(
                f"the first user must be an auditor or a supervisor, who can add the others, "
                f"not a {role}"
            )
        directory = directory or new_directory(self._now())
        directory.add_user(self.stamp(who.name, None), name, role, agency)
        self._save(directory)

    def remove_user(self, name: str, *, actor: str | None, reason: str | None = None) -> None:
        who = self.writer(actor, Permission.MANAGE_USERS)
        directory = self.directory()
        if directory is None:
            raise InvalidInput(f"no user {name!r}: this ledger has no users")
        user = directory.user(name)
        who.check_manages(user.role, user.agency, directory)
        directory.remove_user(self.stamp(who.name, None), name, reason)
        self._save(directory)

    def list_users(self, *, actor: str | None) -> list[User]:
        self.require(actor, Permission.MANAGE_USERS)
        directory = self.directory()
        return sorted(directory.users.values(), key=lambda u: u.name) if directory else []
