"""How much a request may send: a JSON command is small, a CSV import may be large. A body
over its limit is refused with 413 and the JSON error body before the route reads it all
(declared with Content-Length) or as soon as it passes the limit (sent in chunks)."""

from __future__ import annotations

from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reentry_ledger.server.errors import BodyTooLarge, error_response

JSON_LIMIT = 1024 * 1024  # 1 MiB: a note of a million characters is not a note
IMPORT_LIMIT = 256 * 1024 * 1024  # a CSV import, streamed to a temporary file
LARGE_BODIES = {"/api/imports/csv": IMPORT_LIMIT}


def refused(path: str, message: str) -> Response:
    """413: the API's JSON error body, or a page for the web pages' forms."""
    if path.startswith("/api/"):
        return error_response("too_large", message)
    page = f"<!doctype html><title>Not accepted</title><h1>Not accepted</h1><p>{message}</p>"
    return HTMLResponse(page, status_code=413)


def limit_for(path: str) -> int:
    return LARGE_BODIES.get(path, JSON_LIMIT)


def too_large(limit: int) -> str:
    return f"the request's body is larger than this endpoint takes ({limit // 1024} KiB)"


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refused(scope["path"], too_large(limit))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(too_large(limit))
            return message

        await self.app(scope, counted, send)
