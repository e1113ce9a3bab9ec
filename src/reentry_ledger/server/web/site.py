"""Who is signed in to the pages, and what their role is shown first. The role chooses the
navigation only: what a user may do is the application's to decide, on every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from reentry_ledger.domain.directory import Role
from reentry_ledger.server.auth import Settings, page_user
from reentry_ledger.server.service import LedgerService
from reentry_ledger.server.throttle import SignInThrottle

REPORT = ("Violation report", "/reports/violations")
REPORTS = (REPORT, ("Disparities", "/reports/disparities"), ("Cohorts", "/reports/cohorts"))
CASELOAD = ("Caseload", "/clients")
NAVIGATION: dict[str | None, tuple[tuple[str, str], ...]] = {
    Role.OVERSIGHT: (*REPORTS, ("Definitions", "/definitions")),
    Role.CASEWORKER: (CASELOAD, *REPORTS),
    Role.SUPERVISOR: (CASELOAD, *REPORTS),
    Role.AUDITOR: (("Digest and verify", "/audit"), ("Access log", "/audit/access-log"), *REPORTS),
}


class SignInNeeded(Exception):
    """No one is signed in: the page answers with the sign-in page's address."""


@dataclass(frozen=True)
class Visitor:
    name: str
    role: str | None

    @property
    def navigation(self) -> tuple[tuple[str, str], ...]:
        return NAVIGATION.get(self.role, ())

    @property
    def landing(self) -> str:
        return self.navigation[0][1] if self.navigation else "/home"


@dataclass(frozen=True)
class Site:
    """What every page works with: the ledger's service and the server's settings."""

    service: LedgerService
    settings: Settings
    throttle: SignInThrottle = field(default_factory=SignInThrottle)  # password guessing

    def visitor(self, request: Request) -> Visitor:
        """The signed-in user (by session cookie, or a trusted proxy), else SignInNeeded."""
        name = page_user(request, self.service, self.settings)
        if name is None:
            raise SignInNeeded
        with self.service.use() as ledger:
            role = ledger.actor(name).role
        visitor = Visitor(name, role)
        request.state.visitor = visitor  # for the navigation of any page, errors included
        return visitor


def site_of(request: Request) -> Site:
    site: Site = request.app.state.pages
    return site
