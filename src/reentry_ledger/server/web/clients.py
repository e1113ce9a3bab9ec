"""A caseload, and one client: the case as it stands with the forms that record on it, and
its timeline (as of a date, or as known at a moment, corrections shown as such). Every read
is the application's, and so access-logged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.server.web import forms
from reentry_ledger.server.web.recording import CHOICES, DEFAULTS, last_event
from reentry_ledger.server.web.rendering import PageRoute, render
from reentry_ledger.server.web.site import Site

PAGE = 50  # clients a caseload page lists


def just_recorded(ledger: Ledger, ref: str, name: str, recorded: int | None) -> int | None:
    """The event a page says was just recorded (`?recorded=N`, where a form sends the user
    after writing): only the client's latest, by this user. A link may carry any number:
    "Recorded event 999." was shown on a client of 45 events."""
    if recorded is None:
        return None
    latest = ledger.latest_held(ref, actor=name)
    return recorded if latest and (latest.number, latest.recorded_by) == (recorded, name) else None


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @router.get("/clients")
    def caseload(request: Request) -> HTMLResponse:
        visitor = site.visitor(request)
        after = forms.whole("Page", request.query_params.get("after")) or 0
        with site.service.use() as ledger:
            listing = ledger.list_clients(actor=visitor.name, after=after, limit=PAGE)
        return render(request, "caseload.html", listing=listing, first_page=after == 0)

    @router.get("/clients/{ref:path}/timeline")
    def timeline(request: Request, ref: str) -> HTMLResponse:
        visitor = site.visitor(request)
        params = request.query_params
        chosen = {key: params.get(key, "") for key in ("as_of", "known_at")}
        context: dict[str, Any] = {
            "ref": ref,
            "chosen": chosen,
            "entries": [],
            "error": None,
            "recorded": None,
        }
        try:
            as_of = forms.day("As of", params.get("as_of"))
            known_at = forms.moment("As known at", params.get("known_at"))
            recorded = forms.whole("Recorded", params.get("recorded"), minimum=1)
        except InvalidInput as error:
            return render(request, "timeline.html", 400, **{**context, "error": str(error)})
        with site.service.use() as ledger:
            entries = ledger.timeline(ref, actor=visitor.name, as_of=as_of, known_at=known_at)
            recorded = just_recorded(ledger, ref, visitor.name, recorded)
        context.update(entries=entries, recorded=recorded)
        return render(request, "timeline.html", **context)

    @router.get("/clients/{ref:path}")
    def client(request: Request, ref: str) -> HTMLResponse:
        visitor = site.visitor(request)
        recorded = forms.whole("Recorded", request.query_params.get("recorded"), minimum=1)
        with site.service.use() as ledger:
            case = ledger.client_state(ref, actor=visitor.name)
            expected = last_event(ledger, ref, visitor.name)
            recorded = just_recorded(ledger, ref, visitor.name, recorded)
            # no forms for a client the user's agency no longer holds: its writes are refused
            may_record = ledger.records_casework(visitor.name) and expected != ""
            today = ledger.clock()
        return render(
            request, "client.html", ref=ref, case=case, expected=expected, recorded=recorded,
            today=today,
            choices=CHOICES, values=DEFAULTS, open_form=None, error=None, may_record=may_record,
        )  # fmt: skip

    return router
