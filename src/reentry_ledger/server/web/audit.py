"""For auditors: a verify run with its result and the ledger's digest (as `verify` and
`digest`, against a published digest line if given), the latest run's kept to show, and the
access log."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from reentry_ledger.authorization import Permission
from reentry_ledger.credentials import utc_now
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.server.web import csrf
from reentry_ledger.server.web.rendering import PageRoute, render
from reentry_ledger.server.web.site import Site
from reentry_ledger.verification import DIGEST_LINE, Digest, Verification

SHOWN_READS = 200  # the access log page shows the latest reads


def digest_line(text: str) -> Digest | None:
    """A digest line pasted in (never a file's name: the server's files are not the form's)."""
    text = text.strip()
    if not text:
        return None
    if not DIGEST_LINE.fullmatch(text):
        raise InvalidInput(
            "Against: paste a line printed by `digest`: "
            "'reentry-ledger digest v1 position=N sha256=HEX'"
        )
    return Digest.parse(text)


@dataclass(frozen=True)
class Verified:
    """A verification this server ran: its result, against what, when, and for whom."""

    result: Verification
    against: Digest | None
    notices: list[str]
    at: datetime
    by: str


class Latest:
    """The latest verification this server process ran, shown by the digest page: a page
    view verifies nothing (the whole ledger, every hash again: 12 s at a million events).
    Kept in memory, never in the database, whose rows a verification is there to check."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verified: Verified | None = None

    def get(self) -> Verified | None:
        with self._lock:
            return self._verified

    def set(self, verified: Verified) -> None:
        with self._lock:
            self._verified = verified


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)
    latest = Latest()

    @router.get("/audit")
    def digest(request: Request) -> HTMLResponse:
        visitor = site.visitor(request)
        with site.service.use() as ledger:
            ledger.require(visitor.name, Permission.AUDIT)
        return render(request, "audit.html", latest=latest.get(), against_text="")

    @router.post("/audit/verify")
    def verify(
        request: Request, against: str = Form(""), token: str = Form("", alias=csrf.FIELD)
    ) -> HTMLResponse:
        site.visitor(request)
        csrf.check(request, token)
        try:
            reference = digest_line(against)
        except InvalidInput as error:
            return render(
                request, "verified.html", 400, result=None, against=None, notices=[],
                against_text=against, error=str(error),
            )  # fmt: skip
        visitor = site.visitor(request)
        with site.service.use() as ledger:
            result = ledger.verify(reference, actor=visitor.name)
            notices = list(ledger.notices)
        latest.set(Verified(result, reference, notices, utc_now(), visitor.name))
        status = 409 if result.broken else 200  # as the API answers verification_failed
        return render(
            request, "verified.html", status, result=result, against=reference, notices=notices,
            against_text="", error=None,
        )  # fmt: skip

    def access_log(request: Request, client: str = "", reader: str = "") -> HTMLResponse:
        visitor = site.visitor(request)
        try:
            with site.service.use() as ledger:
                latest = ledger.latest_reads(
                    actor=visitor.name, client_ref=client.strip() or None,
                    reader=reader.strip() or None, limit=SHOWN_READS,
                )  # fmt: skip
        except InvalidInput as error:  # beside the form, the filters kept to mend
            return render(
                request, "access_log.html", 400, reads=[], client=client, reader=reader,
                shown=SHOWN_READS, error=str(error),
            )  # fmt: skip
        return render(
            request, "access_log.html", reads=latest, client=client, reader=reader,
            shown=SHOWN_READS, error=None,
        )  # fmt: skip

    @router.get("/audit/access-log")
    def access_log_page(request: Request) -> HTMLResponse:
        return access_log(request)

    # Filters are posted, so neither a client's reference nor a user's name is in an address.
    @router.post("/audit/access-log")
    def access_log_filtered(
        request: Request, client: str = Form(""), reader: str = Form(""),
        token: str = Form("", alias=csrf.FIELD),
    ) -> HTMLResponse:  # fmt: skip
        site.visitor(request)
        csrf.check(request, token)
        return access_log(request, client, reader)

    return router
