"""Status within a term: who supervises (officer and agency), at what level, and the periods in
custody or absconded, each a change in force from its date until the next of its kind.

A row's `value` is what holds from its date: the officer (and `agency`), the level, the custody
reason ('' once custody ends), 'absconded' ('' on the return). A term's start sets every kind
afresh (its officer and agency, no level, neither in custody nor absconded), so nothing of an
earlier term runs on into a later one; reports read the term's start from `audit_terms`.
"""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Absconded,
    Corrected,
    CustodyEnded,
    CustodyStarted,
    LevelChanged,
    Reassigned,
    Returned,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement

KINDS = ("officer", "level", "custody", "absconded")
INSERT = "INSERT INTO {audit_status} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)"


class StatusProjection(Projection):
    name = "status"
    description = "status changes within a term: reassignments, levels, custody, absconding"
    topics = (
        Reassigned.TOPIC,
        LevelChanged.TOPIC,
        CustodyStarted.TOPIC,
        CustodyEnded.TOPIC,
        Absconded.TOPIC,
        Returned.TOPIC,
        Corrected.TOPIC,
    )
    tables = {
        "audit_status": f"{FACT_COLUMNS}, kind TEXT NOT NULL, value TEXT NOT NULL, agency TEXT, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_status",)
    indexes = ("audit_status(client_id, kind, occurred_on)",)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        topic = event.topic
        if topic == Reassigned.TOPIC:
            yield INSERT, (*event.key(), "officer", event["officer"], event["agency"])
        elif topic == LevelChanged.TOPIC:
            yield INSERT, (*event.key(), "level", event.code("level"), None)
        elif topic == CustodyStarted.TOPIC:
            yield INSERT, (*event.key(), "custody", event.code("reason"), None)
        elif topic == CustodyEnded.TOPIC:
            yield INSERT, (*event.key(), "custody", "", None)
        elif topic == Absconded.TOPIC:
            yield INSERT, (*event.key(), "absconded", "absconded", None)
        elif topic == Returned.TOPIC:
            yield INSERT, (*event.key(), "absconded", "", None)
