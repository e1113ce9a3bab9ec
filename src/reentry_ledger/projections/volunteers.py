"""Volunteer matches: when each began and how and when it ended."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import Corrected, VolunteerMatched, VolunteerMatchEnded
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class VolunteersProjection(Projection):
    name = "volunteers"
    description = "volunteer matches begun and ended (no volunteer names)"
    topics = (VolunteerMatched.TOPIC, VolunteerMatchEnded.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_matches": f"{FACT_COLUMNS}, event TEXT NOT NULL, ending TEXT, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_matches",)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == VolunteerMatched.TOPIC:
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'matched', NULL)",
                event.key(),
            )
        elif event.topic == VolunteerMatchEnded.TOPIC:
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'ended', ?)",
                (*event.key(), event.code("ending")),
            )
