"""An agency's own policy, kept on the ledger as events: today, its caps on the custody an
officer alone may decide as a sanction for a technical violation (DOMAIN.md: 14 days for a
first, 30 for a later one, unless the agency sets its own). One aggregate per agency, opened by
its first event; an agency that never set one keeps the defaults."""

# Annotations are evaluated as the module runs (no `from __future__ import annotations`):
# pydantic would otherwise compile and evaluate each field's string again for every model
# that inherits it, which made defining the models a large part of starting (ADR 0030).
from datetime import date
from typing import Any
from uuid import UUID, uuid5

from pydantic import Field

from reentry_ledger.domain.checks import Name
from reentry_ledger.domain.codes import DEFAULT_CUSTODY_CAPS
from reentry_ledger.domain.directory import OpenedAggregate, OpeningEvent
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.events import MAX_DAYS, LedgerEvent
from reentry_ledger.domain.recording import Stamp, keep, next_event
from reentry_ledger.domain.references import CLIENT_NAMESPACE

TOPIC_PREFIX = "reentry_ledger.domain.policy:"


def policy_id(agency: str) -> UUID:
    return uuid5(CLIENT_NAMESPACE, f"policy of agency {agency}")


class CustodyCapsSet(OpeningEvent):
    """The agency's caps (days) on an officer's custody sanction for its clients' first
    technical violation in a term, and for each later one, in force from its date."""

    TOPIC = TOPIC_PREFIX + "CustodyCapsSet"
    agency: Name = Field(min_length=1)
    first: int = Field(ge=0, le=MAX_DAYS)
    later: int = Field(ge=0, le=MAX_DAYS)

    def opens(self) -> type[Any]:
        return AgencyPolicy


class AgencyPolicy(OpenedAggregate):
    def __init__(self) -> None:
        super().__init__()
        # (in force from, (first, later)), each setting as recorded
        self.caps: list[tuple[date, tuple[int, int]]] = []

    def append_to_history(self, event: LedgerEvent) -> None:
        super().append_to_history(event)
        if isinstance(event, CustodyCapsSet):
            self.caps.append((event.occurred_on, (event.first, event.later)))

    def caps_on(self, day: date) -> tuple[int, int]:
        """The caps in force on `day`: the latest setting in force by then (by its date, then
        as recorded), else the defaults. A decision is held to the caps of its own date."""
        in_force = [(on, order) for order, (on, _) in enumerate(self.caps) if on <= day]
        return self.caps[max(in_force)[1]][1] if in_force else DEFAULT_CUSTODY_CAPS

    def set_custody_caps(self, stamp: Stamp, agency: str, first: int, later: int) -> None:
        """The caps in force from `stamp.on` (not in the future)."""
        if stamp.on > stamp.today:
            raise InvalidInput(f"date {stamp.on} is in the future (today is {stamp.today}, UTC)")
        if first < 0 or later < 0:
            raise InvalidInput("a custody cap is a number of days, 0 or more")
        if later < first:
            raise InvalidInput(
                f"the cap for a later technical violation ({later} days) is below the first's "
                f"({first} days)"
            )
        keep(self, next_event(self, CustodyCapsSet, stamp, agency=agency, first=first,
                              later=later))  # fmt: skip


def new_policy(agency: str, timestamp: Any) -> AgencyPolicy:
    policy: AgencyPolicy = AgencyPolicy.empty(policy_id(agency), timestamp)
    return policy
