"""Clients and discharges: who was under supervision where, from when to when."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import ClientEvent, Corrected, Discharged, Enrolled
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Statement, fact_key


class ClientsProjection(Projection):
    name = "clients"
    description = "enrolments (agency, officer, supervision, juvenile, start) and discharges"
    topics = (Enrolled.TOPIC, Discharged.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_clients": (
            "client_id TEXT PRIMARY KEY, agency TEXT NOT NULL, officer TEXT NOT NULL, "
            "supervision TEXT NOT NULL, juvenile INTEGER NOT NULL, start_on TEXT NOT NULL, "
            "expected_end TEXT, recorded_at TEXT NOT NULL"
        ),
        "audit_discharges": f"{FACT_COLUMNS}, outcome TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_discharges",)

    def facts(self, event: ClientEvent) -> Iterable[Statement]:
        if isinstance(event, Enrolled):
            client_id, _, start_on, recorded_at = fact_key(event)
            end = event.expected_end.isoformat() if event.expected_end else None
            yield (
                "INSERT INTO {audit_clients} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    client_id,
                    event.agency,
                    event.officer,
                    event.supervision.code.value,
                    int(event.juvenile),
                    start_on,
                    end,
                    recorded_at,
                ),
            )
        elif isinstance(event, Discharged):
            yield (
                "INSERT INTO {audit_discharges} VALUES (?, ?, ?, ?, NULL, ?)",
                (*fact_key(event), event.outcome.code.value),
            )
