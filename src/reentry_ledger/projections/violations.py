"""Violation incidents (with their most serious category) and the responses to them."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Corrected,
    ViolationRecorded,
    ViolationResponded,
    most_serious,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


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

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == ViolationRecorded.TOPIC:
            offence = event["new_offence"]
            yield (
                "INSERT INTO {audit_violations} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["violation_id"],
                    most_serious(offence is not None, event["absconding"]).value,
                    ",".join(breach["code"] for breach in event["technical"]),
                    int(event["absconding"]),
                    offence["severity"]["code"] if offence else None,
                    int(bool(offence and offence["violent"])),
                ),
            )
        elif event.topic == ViolationResponded.TOPIC:
            yield (
                "INSERT INTO {audit_responses} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["violation_id"],
                    event.code("response"),
                    event["custody_days"],
                    event.code("decided_by"),
                ),
            )
