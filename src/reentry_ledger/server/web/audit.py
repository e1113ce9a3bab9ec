"""For auditors: the ledger's digest (verified first, as `digest`), a verify run with its
result (as `verify`, against a published digest line if given), and the access log."""

from __future__ import annotations

from collections import deque

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.server.web import csrf
from reentry_ledger.server.web.rendering import PageRoute, render
from reentry_ledger.server.web.site import Site
from reentry_ledger.verification import DIGEST_LINE, Digest

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


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    def verified(request: Request, template: str, against: Digest | None) -> HTMLResponse:
        visitor = site.visitor(request)
        with site.service.use() as ledger:
            result = ledger.verify(against, actor=visitor.name)
            notices = list(ledger.notices)
        status = 409 if result.broken else 200  # as the API answers verification_failed
        return render(
            request, template, status, result=result, against=against, notices=notices,
            against_text="", error=None,
        )  # fmt: skip

    @router.get("/audit")
    def digest(request: Request) -> HTMLResponse:
        return verified(request, "audit.html", None)

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
        return verified(request, "verified.html", reference)

    def access_log(request: Request, client: str = "", reader: str = "") -> HTMLResponse:
        visitor = site.visitor(request)
        with site.service.use() as ledger:
            reads = ledger.access_log(
                actor=visitor.name, client_ref=client.strip() or None, reader=reader.strip() or None
            )
            latest = list(deque(reads, maxlen=SHOWN_READS))
        latest.reverse()
        return render(
            request, "access_log.html", reads=latest, client=client, reader=reader,
            shown=SHOWN_READS,
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
