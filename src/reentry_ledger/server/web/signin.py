"""Signing in (a password, or a token from `users token`) and out. A session is a cookie
holding a secret the ledger keeps only a hash of; it ends when its time is up
(`serve --session-minutes`), at sign-out, or when the user's tokens are revoked."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reentry_ledger.server.auth import SESSION_COOKIE, page_user
from reentry_ledger.server.throttle import Busy
from reentry_ledger.server.web import csrf
from reentry_ledger.server.web.rendering import SIGN_IN, PageRoute, local_path, render
from reentry_ledger.server.web.site import Site

# One message whatever was wrong: nothing says whether the name exists.
FAILED = "sign-in failed: the user name and password, or the token, are not right"
HELD_BACK = (
    "too many failed sign-ins for this name or from this address: try again in {minutes} "
    "minute(s), or sign in with a token"
)
BUSY = "the server is checking other sign-ins: try again in a moment"
# Why the sign-in page is shown to someone who had a session (`ended` in its address).
ENDED = {
    "yes": "Your session has ended (its time was up, you signed out, or your password or "
    "tokens changed): sign in again to go back to the page you asked for.",
    "unsaved": "Your session had ended, so what you had just sent was not recorded: sign in "
    "again to go back to the page, and send it again.",
}


def returning_to(address: str) -> str:
    """Where a sign-in goes on to: the page asked for, if it is one of this site's."""
    return address if local_path(address) else "/"


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @router.get(SIGN_IN)
    def sign_in_page(request: Request) -> Response:
        back = returning_to(request.query_params.get("next", ""))
        if page_user(request, site.service, site.settings) is not None:
            return RedirectResponse(back, status_code=303)
        ended = ENDED.get(request.query_params.get("ended", ""))
        return render(request, "sign_in.html", name="", error=None, ended=ended, next=back)

    @router.post(SIGN_IN)
    def sign_in(
        request: Request,
        name: str = Form(""),
        password: str = Form(""),
        token: str = Form(""),
        csrf_value: str = Form("", alias=csrf.FIELD),
        next_page: str = Form("/", alias="next"),
    ) -> Response:
        csrf.check(request, csrf_value)
        back = returning_to(next_page)

        def refused(status: int, error: str) -> Response:
            return render(
                request, "sign_in.html", status, name=name, error=error, ended=None, next=back
            )

        session, user, matches = None, None, False
        address = request.client.host if request.client else ""
        attempt = 0.0
        if not token.strip() and name:
            minutes, attempt = site.throttle.admitted(name, address)
            if minutes is not None:  # before any check: the right password too, as a guess
                error = HELD_BACK.format(minutes=minutes)
                return refused(429, error)
            with site.service.use() as ledger:
                stored = ledger.password_of(name)
            # Argon2 outside the lock (a flood of wrong passwords must not stall everyone),
            # a few at once (each holds some 64 MiB while it runs)
            try:
                with site.throttle.checking():
                    matches = stored.matches(password)
            except Busy:
                return refused(503, BUSY)
        with site.service.use() as ledger:
            if token.strip():
                user = ledger.authenticate_bearer(token.strip())
            elif name and matches and ledger.is_user(name):
                user = name
            if user is not None:
                session = ledger.open_session(user, site.settings.session_minutes)
        if session is None:  # a password's attempt was counted as a failure when admitted
            return refused(401, FAILED)
        if attempt:
            site.throttle.succeeded(name, address, attempt)
        response = RedirectResponse(back, status_code=303)
        seconds = int(site.settings.session_minutes * 60)
        csrf.set_cookie(response, SESSION_COOKIE, session, site.settings, max_age=seconds)
        return response

    @router.post("/sign-out")
    def sign_out(request: Request, csrf_value: str = Form("", alias=csrf.FIELD)) -> Response:
        csrf.check(request, csrf_value)
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            with site.service.use() as ledger:
                ledger.close_session(session)
        response = RedirectResponse(SIGN_IN, status_code=303)
        csrf.delete_cookie(response, SESSION_COOKIE, site.settings)
        return response

    return router
