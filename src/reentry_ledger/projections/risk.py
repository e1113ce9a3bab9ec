"""Assessments: the risk level in force on any day is the latest assessment on or before it."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import Assessed, Corrected
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class RiskProjection(Projection):
    name = "risk"
    description = "risk/needs assessments (risk level, instrument, score)"
    topics = (Assessed.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_assessments": f"{FACT_COLUMNS}, risk_level TEXT NOT NULL, "
        "instrument TEXT NOT NULL, score REAL, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_assessments",)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        yield (
            "INSERT INTO {audit_assessments} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
            (*event.key(), event.code("risk_level"), event["instrument"], event["score"]),
        )
