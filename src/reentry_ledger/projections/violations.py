"""Violation incidents (with their most serious category) and the responses to them."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    ClientEvent,
    Corrected,
    ViolationRecorded,
    ViolationResponded,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Statement, fact_key


class ViolationsProjection(Projection):
    name = "violations"
    description = "violation incidents by category, and responses (warning, sanction, revocation)"
    topics = (ViolationRecorded.TOPIC, ViolationResponded.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_violations": f"{FACT_COLUMNS}, violation_id TEXT NOT NULL, "
        "category TEXT NOT NULL, technical TEXT NOT NULL, absconding INTEGER NOT NULL, "
        "new_offence TEXT, violent INTEGER NOT NULL, PRIMARY KEY (client_id, number)",
        "audit_responses": f"{FACT_COLUMNS}, violation_id TEXT NOT NULL, "
        "response TEXT NOT NULL, custody_days INTEGER, decided_by TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_violations", "audit_responses")

    def facts(self, event: ClientEvent) -> Iterable[Statement]:
        if isinstance(event, ViolationRecorded):
            offence = event.new_offence
            yield (
                "INSERT INTO {audit_violations} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                (
                    *fact_key(event),
                    event.violation_id,
                    event.category.value,
                    ",".join(breach.code.value for breach in event.technical),
                    int(event.absconding),
                    offence.severity.code.value if offence else None,
                    int(bool(offence and offence.violent)),
                ),
            )
        elif isinstance(event, ViolationResponded):
            yield (
                "INSERT INTO {audit_responses} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (
                    *fact_key(event),
                    event.violation_id,
                    event.response.code.value,
                    event.custody_days,
                    event.decided_by.code.value,
                ),
            )
