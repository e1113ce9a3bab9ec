"""The server: the JSON API, the web pages and the OpenAPI document, over one ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from reentry_ledger import __version__
from reentry_ledger.application import Ledger
from reentry_ledger.server import api, docs, errors, operations, pages
from reentry_ledger.server.auth import Settings, api_user
from reentry_ledger.server.limits import BodyLimit
from reentry_ledger.server.service import LedgerService

DESCRIPTION = """An event-sourced case ledger for community supervision and reentry casework.

Every request is made as the user its credentials name: `Authorization: Bearer TOKEN`
(issued by `reentry-ledger users token NAME`). What each user may do is their role's
(caseworker, supervisor, auditor, oversight, custodian), as on the command line. Every error
answers a JSON body `{"error": {"type", "exit_code", "message"}}`, its exit code the CLI's.
A write to a client may take `If-Match: "N"`, the number of the client's last event as you
saw it (the ETag of `GET /api/clients/{ref}`): it then answers 409 if the client has moved on.
A reference may hold `/` (`GET /api/clients/2024/0153/timeline` is client 2024/0153's
timeline); so `GET /api/clients/A/timeline` is client A's timeline, never the case of a client
`A/timeline` (whose case the command line reads).
"""

# Sent with every answer: no framing, no sniffing, no referrer, nothing cached; pages load
# only their own styles and images and run no script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(ledger: Ledger, settings: Settings | None = None) -> FastAPI:
    """The server for `ledger` (opened read-write; closed when the server stops)."""
    settings = settings or Settings()
    service = LedgerService(ledger)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()  # after the last request: no connection is closed under a reader

    app = FastAPI(
        title="reentry-ledger",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by docs.py, from this server's own files
        redoc_url=None,
        openapi_tags=[
            {"name": "casework", "description": "Record casework on a client: one event each."},
            {"name": "reads", "description": "A client's case and timeline (access-logged)."},
            {"name": "reports", "description": "Aggregate reports, as the CLI's `report`."},
            {"name": "audit", "description": "Verify, digest, access log, exports."},
            {"name": "operations", "description": "Replay and projections."},
            {"name": "users", "description": "Users, roles and credentials."},
            {"name": "policy", "description": "An agency's policy: its custody caps."},
            {"name": "programmes", "description": "Group programmes: places and sessions."},
            {"name": "volunteers", "description": "The volunteer register and its supervision."},
        ],
    )
    app.state.service = service
    app.state.settings = settings

    def user(request: Request) -> str:
        return api_user(request, service, settings)

    errors.install(app)
    docs.install(app)
    app.add_middleware(BodyLimit)
    api.install(app, service, user)
    operations.install(app, service, user)
    pages.install(app, service, settings)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app


def from_environment() -> FastAPI:
    """The app `serve` starts in each worker process, from the settings it handed over."""
    import json
    import os

    from reentry_ledger.backends import parse_db_url
    from reentry_ledger.cli.serve import SETTINGS_ENV_VAR
    from reentry_ledger.sqlite_memory import without_memory_statistics

    # a worker of `serve --workers N` is a process of its own: before its ledger opens, as
    # the command does (ADR 0031); in the command's own process, already done
    without_memory_statistics()
    given = json.loads(os.environ[SETTINGS_ENV_VAR])
    settings = Settings(
        given["session_minutes"],
        given["proxy_user_header"],
        tuple(given["trusted_proxies"]),
        given["secure_cookies"],
    )
    return create_app(Ledger(parse_db_url(given["db"])), settings)
