"""Endpoints beyond one client: reports, integrity (verify, digest), replay, exports, imports
and projections, each calling the application as the CLI's command does."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from reentry_ledger.server.service import LedgerService


def install(app: FastAPI, service: LedgerService, user: Callable[..., str]) -> None:
    """Registers the endpoints (to be filled in)."""
