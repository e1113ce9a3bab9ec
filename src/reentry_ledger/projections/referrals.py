"""Referrals to services and every change of their status."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import Corrected, ReferralUpdated, Referred
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


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

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == Referred.TOPIC:
            yield (
                "INSERT INTO {audit_referrals} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*event.key(), event["referral_id"], event.code("service")),
            )
        elif event.topic == ReferralUpdated.TOPIC:
            yield (
                "INSERT INTO {audit_referral_updates} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*event.key(), event["referral_id"], event.code("status")),
            )
