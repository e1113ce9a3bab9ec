"""Contacts logged with a client, by kind (casework, office, home, field, phone_video,
collateral, group): no notes."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import ContactLogged, Corrected
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class ContactsProjection(Projection):
    name = "contacts"
    description = "contacts logged, by kind (no notes)"
    topics = (ContactLogged.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_contacts": f"{FACT_COLUMNS}, kind TEXT NOT NULL, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_contacts",)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == ContactLogged.TOPIC:
            yield (
                "INSERT INTO {audit_contacts} VALUES (?, ?, ?, ?, NULL, ?)",
                (
                    *event.key(),
                    event.code("kind"),
                ),
            )
