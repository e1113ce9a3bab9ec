"""Users and their roles: who may act on this ledger. The first user added ends single-user
mode for good; after that, each change is made by a user who may manage that user."""

from __future__ import annotations

import hmac

from reentry_ledger.application.base import LedgerBase
from reentry_ledger.authorization import Actor, Permission
from reentry_ledger.credentials import (
    MIN_PASSWORD_LENGTH,
    Credential,
    CredentialStore,
    StoredPassword,
    expiry,
    new_secret,
    password_hash,
    secret_digest,
    split_bearer,
    utc_now,
)
from reentry_ledger.domain.directory import AGENCY_ROLES, MANAGERS, Directory, User, new_directory
from reentry_ledger.domain.errors import InvalidInput, NotOnRecord, RuleViolated


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
            raise NotOnRecord(f"no user {name!r}: this ledger has no users")
        user = directory.user(name)
        who.check_manages(user.role, user.agency, directory)
        directory.remove_user(self.stamp(who.name, None), name, reason)
        self._save(directory)
        self.credentials.delete_user(name)  # a removed user's tokens and sessions end with it

    def list_users(self, *, actor: str | None) -> list[User]:
        """The users, by name: an auditor's every one, a supervisor's those of its agency
        (the staff it manages; not other agencies' staff, nor who added them)."""
        who = self.require(actor, Permission.MANAGE_USERS)
        directory = self.directory()
        users = sorted(directory.users.values(), key=lambda u: u.name) if directory else []
        if who.role in AGENCY_ROLES:
            return [user for user in users if user.agency == who.agency]
        return users

    # --- credentials: who a server's request comes from ----------------------------------------

    @property
    def credentials(self) -> CredentialStore:
        if getattr(self, "_credentials", None) is None:
            self._credentials = CredentialStore(self)
        return self._credentials

    def _managed_user(self, name: str, actor: str | None) -> tuple[Directory, Actor]:
        """The directory and the actor, if the actor may manage user `name`."""
        who = self.writer(actor, Permission.MANAGE_USERS)
        directory = self.directory()
        if directory is None:
            raise NotOnRecord(f"no user {name!r}: this ledger has no users")
        user = directory.user(name)
        who.check_manages(user.role, user.agency, directory)
        return directory, who

    def issue_token(self, name: str, *, actor: str | None, expires_days: int | None = None) -> str:
        """A new bearer token for user `name`, returned once: only its hash is kept."""
        if expires_days is not None and not 1 <= expires_days <= 3650:
            raise InvalidInput(f"--expires {expires_days}: give 1 to 3650 days")
        directory, who = self._managed_user(name, actor)
        token_id, secret, bearer = new_secret()
        now = utc_now()
        expires_at = expiry(now, days=expires_days) if expires_days else None
        expires_on = expires_at.date() if expires_at else None
        directory.issue_token(self.stamp(who.name, None), name, token_id, expires_on)
        self._save(directory)
        self.credentials.put(Credential(token_id, name, "token", secret_digest(secret), expires_at))
        return bearer

    def revoke_tokens(self, name: str, *, actor: str | None, token_id: str | None = None) -> None:
        """Revoke one of user `name`'s tokens, or all of them (and end their web sessions)."""
        directory, who = self._managed_user(name, actor)
        if token_id is not None:
            stored = self.credentials.get(token_id)
            if stored is None or stored.user != name or stored.kind != "token":
                raise InvalidInput(f"user {name!r} has no token {token_id!r}")
        directory.revoke_tokens(self.stamp(who.name, None), name, token_id)
        # The credentials go first: should recording the revocation then fail, the token is
        # revoked unrecorded (retrying records it), never recorded revoked and still working.
        if token_id is None:
            self.credentials.delete_user(name, "token")
        else:
            self.credentials.delete(token_id)
        # Every web session of the user: a session does not say which token opened it, and
        # one opened with a leaked token must not outlive the token (the user signs in again)
        self.credentials.delete_user(name, "session")
        self._save(directory)

    def set_password(self, name: str, password: str, *, actor: str | None) -> None:
        """Set user `name`'s password for the web pages (hashed with Argon2id)."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"a password takes at least {MIN_PASSWORD_LENGTH} characters")
        directory, who = self._managed_user(name, actor)
        directory.set_password(self.stamp(who.name, None), name)
        self._save(directory)
        self.credentials.put(
            Credential(f"password:{name}", name, "password", password_hash(password), None)
        )
        self.credentials.delete_user(name, "session")

    def authenticate_bearer(self, bearer: str, kind: str = "token") -> str | None:
        """The user a token (or a session) belongs to, if it is valid, unexpired and the user
        is still one of the ledger's; otherwise None."""
        parts = split_bearer(bearer)
        if parts is None:
            return None
        stored = self.credentials.get(parts[0])
        if stored is None or stored.kind != kind or stored.expired(utc_now()):
            return None
        if not hmac.compare_digest(stored.digest, secret_digest(parts[1])):
            return None
        return stored.user if self.is_user(stored.user) else None

    def authenticate_password(self, name: str, password: str) -> str | None:
        """The user, if the password is theirs (as slow for an unknown name as a known one)."""
        matches = self.password_of(name).matches(password)
        return name if matches and self.is_user(name) else None

    def password_of(self, name: str) -> StoredPassword:
        """User `name`'s stored password hash, to check a password against without the
        ledger (Argon2 takes a tenth of a second: a server checks it outside its lock), then
        `is_user`: a removed user's password never signs in."""
        stored = self.credentials.get(f"password:{name}") if len(name) <= 64 else None
        digest = stored.digest if stored is not None and stored.kind == "password" else None
        return StoredPassword(digest)

    def open_session(self, name: str, minutes: float) -> str:
        """A web session for an authenticated user: its bearer string, for a cookie."""
        session_id, secret, bearer = new_secret()
        now = utc_now()
        self.credentials.purge_expired(now)
        self.credentials.put(
            Credential(
                session_id, name, "session", secret_digest(secret), expiry(now, minutes=minutes)
            )
        )
        return bearer

    def close_session(self, bearer: str) -> None:
        parts = split_bearer(bearer)
        if parts is not None:
            stored = self.credentials.get(parts[0])
            if stored is not None and stored.kind == "session":
                self.credentials.delete(parts[0])

    def is_user_directory_open(self) -> bool:
        """Has this ledger users (and so no single-user mode)?"""
        return self.known_directory() is not None

    def is_user(self, name: str) -> bool:
        directory = self.known_directory()
        return directory is not None and name in directory.users
