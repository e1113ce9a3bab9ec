"""Violation incidents (their most serious category, a new offence's basis and type), the
responses to them (recommendations and decisions), the dispositions of new offences, and
incentives."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Corrected,
    DispositionRecorded,
    IncentiveGranted,
    ViolationRecorded,
    ViolationResponded,
    most_serious,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class ViolationsProjection(Projection):
    name = "violations"
    description = (
        "violation incidents by category, responses (recommendations and decisions), "
        "dispositions of new offences, and incentives"
    )
    topics = (
        ViolationRecorded.TOPIC,
        ViolationResponded.TOPIC,
        DispositionRecorded.TOPIC,
        IncentiveGranted.TOPIC,
        Corrected.TOPIC,
    )
    version = 4  # 4: basis and type of new offences, recommendations, dispositions, incentives
    tables = {
        "audit_violations": f"{FACT_COLUMNS}, violation_id TEXT NOT NULL, "
        "category TEXT NOT NULL, technical TEXT NOT NULL, absconding INTEGER NOT NULL, "
        "new_offence TEXT, violent INTEGER NOT NULL, basis TEXT, offence_type TEXT, "
        "PRIMARY KEY (client_id, number)",
        # `recommendation` 1: the officer's recommendation, never counted as a decision;
        # `term_outcome`: the revoked outcome of a revocation decision that ended its term.
        "audit_responses": f"{FACT_COLUMNS}, violation_id TEXT NOT NULL, "
        "response TEXT NOT NULL, custody_days INTEGER, decided_by TEXT NOT NULL, "
        "recommendation INTEGER NOT NULL, term_outcome TEXT, PRIMARY KEY (client_id, number)",
        "audit_dispositions": f"{FACT_COLUMNS}, violation_id TEXT NOT NULL, "
        "disposition TEXT NOT NULL, offence_type TEXT, PRIMARY KEY (client_id, number)",
        "audit_incentives": f"{FACT_COLUMNS}, kind TEXT NOT NULL, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_violations", "audit_responses", "audit_dispositions", "audit_incentives")
    # the violations and decisions dated after a day: a report's line holds up to the first
    # (reports/lines.py, `horizons`)
    indexes = ("audit_violations(occurred_on)", "audit_responses(occurred_on)")

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == ViolationRecorded.TOPIC:
            offence = event["new_offence"]
            yield (
                "INSERT INTO {audit_violations} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["violation_id"],
                    most_serious(offence is not None, event["absconding"]).value,
                    ",".join(breach["code"] for breach in event["technical"]),
                    int(event["absconding"]),
                    offence["severity"]["code"] if offence else None,
                    int(bool(offence and offence["violent"])),
                    _code(offence, "basis"),
                    _code(offence, "offence_type"),
                ),
            )
        elif event.topic == ViolationResponded.TOPIC:
            yield (
                "INSERT INTO {audit_responses} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["violation_id"],
                    event.code("response"),
                    event["custody_days"],
                    event.code("decided_by"),
                    int(event["recommendation"]),
                    event["term_outcome"],
                ),
            )
        elif event.topic == DispositionRecorded.TOPIC:
            yield (
                "INSERT INTO {audit_dispositions} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                (
                    *event.key(),
                    event["violation_id"],
                    event.code("disposition"),
                    event.code("offence_type"),
                ),
            )
        elif event.topic == IncentiveGranted.TOPIC:
            yield (
                "INSERT INTO {audit_incentives} VALUES (?, ?, ?, ?, NULL, ?)",
                (*event.key(), event.code("kind")),
            )


def _code(offence: dict | None, name: str) -> str | None:
    value = offence.get(name) if offence else None
    return None if value is None else str(value["code"])
