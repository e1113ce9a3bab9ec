"""The interactive API documentation (`/docs`), served from this server alone: Swagger UI's
files come from the `fastapi-offline` package (Swagger UI 5, which reads OpenAPI 3.1), not a
CDN, so the page works on a closed agency network and runs no third party's script. Its one
inline script is allowed by its hash, nothing else."""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
SWAGGER_UI = importlib.resources.files("fastapi_offline") / "static"


def page() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="reentry-ledger API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon.png",
    )


def policy(html: str) -> str:
    """The Content-Security-Policy of the docs page: its own files, and its inline script."""
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


DOCS = page()
DOCS_POLICY = policy(bytes(DOCS.body).decode())


def install(app: FastAPI) -> None:
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS.body, headers={"Content-Security-Policy": DOCS_POLICY})
