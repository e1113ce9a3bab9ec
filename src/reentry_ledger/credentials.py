"""Credentials: bearer tokens, web sessions and passwords, kept beside the events as hashes.

Secrets are not records: a token's or a password's hash never enters the event log (which is
immutable, exported and kept for ever). The events say that a token was issued or revoked, or
a password set, by whom and when; the hashes live in the table `credentials`, where a
revocation, a new password or a user's removal deletes them.

- A token (`rlt_ID.SECRET`) and a session carry 256 random bits: a SHA-256 of the secret is
  enough to store (no one can guess it), and is quick to check on every request.
- A password is a person's, so it may be weak or used elsewhere: it is hashed with Argon2id
  (argon2-cffi), memory-hard, with a salt of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argon2 import PasswordHasher

TABLE = "credentials"
TOKEN_PREFIX = "rlt_"
MIN_PASSWORD_LENGTH = 12


@cache
def _hasher() -> PasswordHasher:
    """Argon2id, the library's defaults (RFC 9106's second choice); imported, like the hash
    below, by the first command that hashes or checks a password, not by every command."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _no_password() -> str:
    """A password hash of a password no one has: checked when the user has none, so a sign-in
    takes as long whether the user exists or not."""
    return _hasher().hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Credential:
    credential_id: str
    user: str
    kind: str  # "token", "session" or "password"
    digest: str
    expires_at: datetime | None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def new_secret() -> tuple[str, str, str]:
    """(id, secret, the bearer string `rlt_ID.SECRET`)."""
    credential_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return credential_id, secret, f"{TOKEN_PREFIX}{credential_id}.{secret}"


def split_bearer(text: str) -> tuple[str, str] | None:
    """The id and secret of a bearer string, or None if it is not one of ours."""
    if not text.startswith(TOKEN_PREFIX) or "." not in text:
        return None
    credential_id, _, secret = text[len(TOKEN_PREFIX) :].partition(".")
    if not credential_id or not secret or len(text) > 200:
        return None
    return credential_id, secret


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_hash(password: str) -> str:
    return _hasher().hash(password)


def password_matches(digest: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    no_password = _no_password()  # made by the first check, whether the user has one or not
    try:
        return _hasher().verify(digest or no_password, password) and digest is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class StoredPassword:
    """A user's password hash (None: the user has none, or is unknown)."""

    digest: str | None

    def matches(self, password: str) -> bool:
        return password_matches(self.digest, password)


def csrf_token(session_secret: str) -> str:
    """The token a session's forms carry: derived from the session's secret, which only the
    session's own cookie holds, so another site cannot know it."""
    return hmac.new(session_secret.encode(), b"csrf", hashlib.sha256).hexdigest()


class CredentialStore:
    """The `credentials` table, on the ledger's own database (SQLite or PostgreSQL)."""

    def __init__(self, ledger: Any) -> None:
        self.datastore: Any = ledger.recorder.datastore
        self.postgres = ledger.backend.kind == "postgresql"
        schema = getattr(self.datastore, "schema", None)
        self.table = f'"{schema}".{TABLE}' if self.postgres and schema else TABLE
        if not ledger.backend.read_only:
            self._execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (credential_id TEXT PRIMARY KEY, "
                "user_name TEXT NOT NULL, kind TEXT NOT NULL, digest TEXT NOT NULL, "
                "expires_at TEXT)",
                write=True,
            )

    def _execute(self, statement: str, params: tuple = (), write: bool = False) -> list[Any]:
        if self.postgres:
            statement = statement.replace("?", "%s")
        with self.datastore.transaction(commit=write) as cursor:
            cursor.execute(statement, params)
            return [] if write else list(cursor.fetchall())

    def put(self, credential: Credential) -> None:
        expires = credential.expires_at.isoformat() if credential.expires_at else None
        self._execute(
            f"DELETE FROM {self.table} WHERE credential_id = ?",
            (credential.credential_id,),
            write=True,
        )
        self._execute(
            f"INSERT INTO {self.table} (credential_id, user_name, kind, digest, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                credential.credential_id,
                credential.user,
                credential.kind,
                credential.digest,
                expires,
            ),
            write=True,
        )

    def get(self, credential_id: str) -> Credential | None:
        rows = self._execute(
            f"SELECT credential_id, user_name, kind, digest, expires_at FROM {self.table} "
            "WHERE credential_id = ?",
            (credential_id,),
        )
        if not rows:
            return None
        row = rows[0]
        values = (
            [row[k] for k in ("credential_id", "user_name", "kind", "digest", "expires_at")]
            if isinstance(row, dict)
            else list(row)
        )
        expires = datetime.fromisoformat(values[4]) if values[4] else None
        return Credential(values[0], values[1], values[2], values[3], expires)

    def delete(self, credential_id: str) -> None:
        self._execute(
            f"DELETE FROM {self.table} WHERE credential_id = ?", (credential_id,), write=True
        )

    def delete_user(self, user: str, kind: str | None = None) -> None:
        """Every credential of the user (of that kind)."""
        if kind is None:
            self._execute(f"DELETE FROM {self.table} WHERE user_name = ?", (user,), write=True)
        else:
            self._execute(
                f"DELETE FROM {self.table} WHERE user_name = ? AND kind = ?",
                (user, kind),
                write=True,
            )

    def purge_expired(self, now: datetime) -> None:
        self._execute(
            f"DELETE FROM {self.table} WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (now.isoformat(),),
            write=True,
        )


def expiry(now: datetime, days: float | None = None, minutes: float | None = None) -> datetime:
    return now + timedelta(days=days or 0, minutes=minutes or 0)


def utc_now() -> datetime:
    return datetime.now(UTC)
