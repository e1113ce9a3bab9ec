"""Referrals to services and every change of their status."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import ClientEvent, Corrected, ReferralUpdated, Referred
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Statement, fact_key


class ReferralsProjection(Projection):
    name = "referrals"
    description = "referrals by service type and their status changes"
    topics = (Referred.TOPIC, ReferralUpdated.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_referrals": f"{FACT_COLUMNS}, referral_id TEXT NOT NULL, service TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number)",
        "audit_referral_updates": f"{FACT_COLUMNS}, referral_id TEXT NOT NULL, "
        "status TEXT NOT NULL, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_referrals", "audit_referral_updates")

    def facts(self, event: ClientEvent) -> Iterable[Statement]:
        if isinstance(event, Referred):
            yield (
                "INSERT INTO {audit_referrals} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*fact_key(event), event.referral_id, event.service.code.value),
            )
        elif isinstance(event, ReferralUpdated):
            yield (
                "INSERT INTO {audit_referral_updates} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*fact_key(event), event.referral_id, event.status.code.value),
            )
