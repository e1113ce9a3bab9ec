"""Group programmes: each programme (its agency, name, service and planned sessions) and the
sessions it held (how many attended and missed), from the programme's own events; and each
client's places in them: enrolled, each session attended or missed, ended (no names; a
programme's rows are keyed by its id, as a client's by the client's)."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Corrected,
    ProgrammeEnded,
    ProgrammeEnrolled,
    ProgrammeSessionAttended,
    ProgrammeSessionMissed,
)
from reentry_ledger.domain.programme import ProgrammeAdded, ProgrammeSessionHeld
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement

PLACE = "INSERT INTO {audit_places} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)"
PLACE_EVENTS = {
    ProgrammeEnrolled.TOPIC: "enrolled",
    ProgrammeSessionAttended.TOPIC: "attended",
    ProgrammeSessionMissed.TOPIC: "missed",
    ProgrammeEnded.TOPIC: "ended",
}


class ProgrammesProjection(Projection):
    name = "programmes"
    description = "group programmes, their sessions, and clients' places and attendance"
    topics = (
        ProgrammeAdded.TOPIC,
        ProgrammeSessionHeld.TOPIC,
        *PLACE_EVENTS,
        Corrected.TOPIC,
    )
    tables = {
        # `client_id`: the programme's id, keyed as a client's is
        "audit_programmes": f"{FACT_COLUMNS}, agency TEXT NOT NULL, name TEXT NOT NULL, "
        "service TEXT NOT NULL, sessions INTEGER, PRIMARY KEY (client_id, number)",
        "audit_programme_sessions": f"{FACT_COLUMNS}, attended INTEGER NOT NULL, "
        "missed INTEGER NOT NULL, PRIMARY KEY (client_id, number)",
        # `event`: enrolled (`detail`: the service), attended, missed, ended (`detail`: outcome)
        "audit_places": f"{FACT_COLUMNS}, programme TEXT NOT NULL, event TEXT NOT NULL, "
        "detail TEXT, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_places",)

    def facts(self, event: Recorded) -> Iterable[Statement]:
        topic = event.topic
        if topic == ProgrammeAdded.TOPIC:
            yield (
                "INSERT INTO {audit_programmes} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (*event.key(), event["agency"], event["name"], event["service"],
                 event["sessions"]),
            )  # fmt: skip
        elif topic == ProgrammeSessionHeld.TOPIC:
            yield (
                "INSERT INTO {audit_programme_sessions} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*event.key(), event["attended"], event["missed"]),
            )
        elif topic in PLACE_EVENTS:
            detail = (
                event.code("service")
                if topic == ProgrammeEnrolled.TOPIC
                else event.code("outcome")
                if topic == ProgrammeEnded.TOPIC
                else None
            )
            yield PLACE, (*event.key(), event["programme"], PLACE_EVENTS[topic], detail)
