"""The web pages: server-rendered (Jinja2), readable without JavaScript."""

from __future__ import annotations

from fastapi import FastAPI

from reentry_ledger.server.auth import Settings
from reentry_ledger.server.service import LedgerService


def install(app: FastAPI, service: LedgerService, settings: Settings) -> None:
    """Registers the pages (to be filled in)."""
