"""Every projection the ledger keeps, by name."""

from __future__ import annotations

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.projections.base import Projection
from reentry_ledger.projections.clients import ClientsProjection
from reentry_ledger.projections.contacts import ContactsProjection
from reentry_ledger.projections.goals import GoalsProjection
from reentry_ledger.projections.people import PeopleProjection
from reentry_ledger.projections.programmes import ProgrammesProjection
from reentry_ledger.projections.referrals import ReferralsProjection
from reentry_ledger.projections.risk import RiskProjection
from reentry_ledger.projections.status import StatusProjection
from reentry_ledger.projections.violations import ViolationsProjection
from reentry_ledger.projections.volunteers import VolunteersProjection

PROJECTIONS: tuple[Projection, ...] = (
    ClientsProjection(),
    RiskProjection(),
    ViolationsProjection(),
    ReferralsProjection(),
    VolunteersProjection(),
    StatusProjection(),
    PeopleProjection(),
    GoalsProjection(),
    ProgrammesProjection(),
    ContactsProjection(),
)


def projection_named(name: str) -> Projection:
    for projection in PROJECTIONS:
        if projection.name == name:
            return projection
    known = ", ".join(p.name for p in PROJECTIONS)
    raise InvalidInput(f"no projection named {name!r} (known: {known})")
