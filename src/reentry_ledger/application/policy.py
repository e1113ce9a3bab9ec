"""Agency policy: the custody caps an officer's sanction stays within (domain/policy.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from reentry_ledger.application.base import LedgerBase
from reentry_ledger.authorization import Permission
from reentry_ledger.domain.codes import DEFAULT_CUSTODY_CAPS
from reentry_ledger.domain.policy import AgencyPolicy, new_policy, policy_id


@dataclass(frozen=True)
class CustodyCaps:
    """The caps (days) in force for an agency's officers: on the custody an officer alone may
    decide for a term's first technical violation, and for each later one; `agency_set` says
    whether the agency set them (else they are the defaults)."""

    agency: str
    first: int
    later: int
    agency_set: bool


class Policies(LedgerBase):
    def set_custody_caps(
        self, agency: str, first: int, later: int, *, actor: str | None, on: date | None = None
    ) -> None:
        """The agency's caps (days) on an officer's custody sanction for a first and a later
        technical violation, in force from `on` (default today): set by a supervisor of that
        agency."""
        who = self.writer(actor, Permission.SET_POLICY)
        who.check_sets_policy_of(agency)
        policy = self.policy(agency) or new_policy(agency, self._now())
        policy.set_custody_caps(self.stamp(who.name, on), agency, first, later)
        self._save(policy)

    def custody_caps(self, agency: str, on: date | None = None) -> tuple[int, int]:
        """The caps in force for an agency's officers on a day (default today): its own, else
        the defaults."""
        policy = self.policy(agency)
        day = on or self.clock()
        return DEFAULT_CUSTODY_CAPS if policy is None else policy.caps_on(day)

    def custody_caps_in_force(
        self, agency: str, *, actor: str | None, on: date | None = None
    ) -> CustodyCaps:
        """The caps in force for an agency's officers on a day (default today), for its staff
        and auditors to read."""
        self.require(actor, Permission.READ_CLIENT)
        policy = self.policy(agency)
        day = on or self.clock()
        set_by_then = policy is not None and any(since <= day for since, _ in policy.caps)
        first, later = self.custody_caps(agency, day)
        return CustodyCaps(agency, first, later, set_by_then)

    def policy(self, agency: str) -> AgencyPolicy | None:
        try:
            policy: AgencyPolicy = self.repository.get(policy_id(agency))
        except AggregateNotFoundError:
            return None
        return policy
