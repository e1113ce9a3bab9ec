"""Volunteer matches: when each began and how and when it ended."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    ClientEvent,
    Corrected,
    VolunteerMatched,
    VolunteerMatchEnded,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Statement, fact_key


class VolunteersProjection(Projection):
    name = "volunteers"
    description = "volunteer matches begun and ended (no volunteer names)"
    topics = (VolunteerMatched.TOPIC, VolunteerMatchEnded.TOPIC, Corrected.TOPIC)
    tables = {
        "audit_matches": f"{FACT_COLUMNS}, event TEXT NOT NULL, ending TEXT, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_matches",)

    def facts(self, event: ClientEvent) -> Iterable[Statement]:
        if isinstance(event, VolunteerMatched):
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'matched', NULL)",
                fact_key(event),
            )
        elif isinstance(event, VolunteerMatchEnded):
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'ended', ?)",
                (*fact_key(event), event.ending.code.value),
            )
