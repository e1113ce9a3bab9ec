"""The web pages: server-rendered (Jinja2), readable without JavaScript, for a laptop or a
phone (server/web/ holds them, one module per concern; server/templates and server/static
their templates and stylesheet). Public without signing in: the sign-in page and /static."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from reentry_ledger.server.auth import Settings
from reentry_ledger.server.service import LedgerService
from reentry_ledger.server.web import audit, clients, comparisons, recording, reports, signin
from reentry_ledger.server.web.rendering import PageRoute, render
from reentry_ledger.server.web.site import Site


def install(app: FastAPI, service: LedgerService, settings: Settings) -> None:
    """Registers the pages, and /static."""
    site = Site(service, settings)
    app.state.pages = site
    for module in (signin, reports, comparisons, clients, recording, audit):
        app.include_router(module.routes(site))
    app.include_router(home(site))
    static = files("reentry_ledger.server") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")


def home(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @router.get("/")
    def landing(request: Request) -> Response:
        """Each role's first page."""
        return RedirectResponse(site.visitor(request).landing, status_code=303)

    @router.get("/home")
    def signed_in(request: Request) -> HTMLResponse:
        """For a role with no pages of its own (the custodian's work is the CLI's)."""
        site.visitor(request)
        return render(request, "home.html")

    return router
