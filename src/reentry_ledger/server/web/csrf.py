"""Cross-site request forgery: every form carries a token only this site's pages can know.

A signed-in session's token is derived from the session's own secret (the part of its cookie
after the "."), which no other site can read. Forms shown before there is a session (the
sign-in page) or to a user a trusted proxy signed in carry a token derived from a random
secret in a cookie of their own, `rl_form`, set with the page. Both cookies are HttpOnly and
SameSite=Strict, so a post from another site carries neither. A post whose token is missing
or wrong is refused (403) before anything is read or written; tokens are compared in
constant time.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from reentry_ledger.credentials import csrf_token, split_bearer
from reentry_ledger.server.auth import SESSION_COOKIE, Settings

FORM_COOKIE = "rl_form"
FIELD = "csrf"  # the hidden field every form carries


class CsrfRefused(Exception):
    def __init__(self) -> None:
        super().__init__(
            "the form was refused: it did not come from this site's own page, or the page "
            "is too old; open the page again and resubmit"
        )


def secret_of(request: Request) -> str | None:
    """The secret this browser's forms are signed with: its session's, else its form cookie's."""
    parts = split_bearer(request.cookies.get(SESSION_COOKIE, ""))
    if parts is not None:
        return parts[1]
    form = request.cookies.get(FORM_COOKIE, "")
    return form if 32 <= len(form) <= 100 else None


def page_token(request: Request) -> tuple[str, str | None]:
    """The token for a page's forms, and a new form secret to set as a cookie if none was."""
    secret = secret_of(request)
    if secret is not None:
        return csrf_token(secret), None
    new = secrets.token_urlsafe(32)
    return csrf_token(new), new


def check(request: Request, given: str) -> None:
    """Refuse the post unless it carries this browser's token."""
    secret = secret_of(request)
    expected = csrf_token(secret).encode() if secret is not None else b""
    if not expected or not hmac.compare_digest(expected, given.encode()):
        raise CsrfRefused


def set_cookie(
    response: Response, name: str, value: str, settings: Settings, max_age: int | None = None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def delete_cookie(response: Response, name: str, settings: Settings) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies
    )
