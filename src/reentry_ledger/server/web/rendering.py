"""Pages as HTML: the templates and their filters, and every refusal answered as a page with
the CLI's message and the API's status, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from reentry_ledger.case_summary import (
    approval_text,
    goal_texts,
    incentives_text,
    period_text,
    person_text,
    response_text,
    status_text,
    term_periods,
    term_text,
    violation_said,
)
from reentry_ledger.cli.errors import STORAGE_ERRORS, is_locked
from reentry_ledger.cli.render import brief
from reentry_ledger.contract import STATUS_BY_ERROR
from reentry_ledger.domain.errors import LedgerError
from reentry_ledger.reports.output import cell, escaped
from reentry_ledger.server.auth import SESSION_COOKIE
from reentry_ledger.server.errors import BodyTooLarge, error_kind
from reentry_ledger.server.web import csrf
from reentry_ledger.server.web.site import SignInNeeded, site_of
from reentry_ledger.timeline import iso_utc

log = logging.getLogger("reentry_ledger.server")
SIGN_IN = "/sign-in"
TITLES = {
    "invalid_input": "Not accepted",
    "not_permitted": "Not permitted",
    "refused": "Refused",
    "not_found": "Not found",
    "conflict": "Conflict",
    "verification_failed": "Verification failed",
    "failed": "Failed",
}


def shown(value: Any) -> str:
    """A value as the CLI's table prints it (withheld values as "withheld", nothing as blank)."""
    return escaped(cell(value))


def moment(value: datetime) -> str:
    return iso_utc(value)[:19].replace("T", " ") + " UTC"


def path(ref: str) -> str:
    """A client reference as part of a page's path."""
    return quote(ref, safe="/")


TEMPLATES = Environment(
    loader=PackageLoader("reentry_ledger.server", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters.update(shown=shown, brief=brief, moment=moment, path=path)
TEMPLATES.filters.update(  # a case's term, status and person, as `show` prints them
    term_text=term_text,
    status_text=status_text,
    period_text=period_text,
    term_periods=term_periods,
    person_text=person_text,
    violation_said=violation_said,
    response_text=response_text,
    incentives_text=incentives_text,
    goal_texts=goal_texts,
    approval_text=approval_text,
    capitalize_first=lambda text: text[:1].upper() + text[1:],
)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page, with the signed-in user's navigation and the token its forms carry."""
    token, new_secret = csrf.page_token(request)
    visitor = getattr(request.state, "visitor", None)
    html = TEMPLATES.get_template(template).render(
        visitor=visitor, csrf_field=csrf.FIELD, csrf=token, **context
    )
    response = HTMLResponse(html, status_code=status)
    if new_secret is not None:
        csrf.set_cookie(response, csrf.FORM_COOKIE, new_secret, site_of(request).settings)
    return response


def refusal(request: Request, kind: str, message: str, status: int | None = None) -> HTMLResponse:
    return render(
        request,
        "error.html",
        status or STATUS_BY_ERROR[kind],
        title=TITLES[kind],
        message=message,
    )


def sign_in_address(request: Request) -> str:
    """The sign-in page, to come back to the page asked for (a form's: the page it was on)
    and, where a session had been (its cookie sent), saying that it ended, and that a form
    sent was not recorded."""
    if request.method == "GET":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        same = referer.netloc == request.url.netloc
        back = referer.path + (f"?{referer.query}" if referer.query else "") if same else "/"
    asked = {"next": back} if local_path(back) and back != "/" else {}
    if request.cookies.get(SESSION_COOKIE):
        asked["ended"] = "unsaved" if request.method != "GET" else "yes"
    return f"{SIGN_IN}?{urlencode(asked)}" if asked else SIGN_IN


def local_path(address: str) -> bool:
    """An address on this site: a path, never another site's (`//host`, `/\\host`, a
    scheme), so that coming back after sign-in cannot send anyone elsewhere."""
    return (
        address.startswith("/")
        and not address.startswith(("//", "/\\"))
        and "\\" not in address
        and address.isprintable()
        and not urlsplit(address).netloc
    )


def error_page(request: Request, error: Exception) -> Response:
    """Any error of a page, as a page."""
    if isinstance(error, SignInNeeded):
        return RedirectResponse(sign_in_address(request), status_code=303)
    if isinstance(error, csrf.CsrfRefused):
        return refusal(request, "not_permitted", str(error))
    if isinstance(error, LedgerError):
        return refusal(request, error_kind(error), str(error))
    too_large = error.__cause__ if isinstance(error, HTTPException) else error
    if isinstance(too_large, BodyTooLarge):  # a form sent in chunks past the limit
        return refusal(request, "invalid_input", str(too_large), 413)
    if isinstance(error, RequestValidationError):
        return refusal(request, "invalid_input", "the page's address is not one this site made")
    if is_locked(error):
        return refusal(
            request, "conflict", "the ledger is busy: another process held it; try again"
        )
    if isinstance(error, STORAGE_ERRORS):
        log.error("database error on %s %s: %s", request.method, request.url.path, error)
        return refusal(request, "failed", "the database could not be used")
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return refusal(request, "failed", "unexpected error: the server's log has the details")


class PageRoute(APIRoute):
    """A page's route: whatever goes wrong is answered as a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:  # every error becomes a page, never a traceback
                return error_page(request, error)

        return answer
