"""Volunteer matches (how each began and ended, with the registered volunteer's id) and the
volunteer register (agency, skills, capacity, registration, training, supervision sessions,
leaving): no names, nothing personal.

A term's end closes a match still open with it (`term_ended`): each end of a term (a discharge,
or a revocation decision that ended its term) is a row `term_ended` here, which closes the
client's open match, if there is one, and is ignored otherwise (as the case state does).
A volunteer's rows are keyed by its own aggregate's id, keyed as a client's (`client_id`)."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.codes import MatchEnding
from reentry_ledger.domain.events import (
    Corrected,
    Discharged,
    ViolationResponded,
    VolunteerMatched,
    VolunteerMatchEnded,
)
from reentry_ledger.domain.volunteer import (
    VolunteerLeft,
    VolunteerRegistered,
    VolunteerSupervised,
    VolunteerTrained,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement

TERM_ENDED = MatchEnding.TERM_ENDED.value
VOLUNTEER_EVENTS = {
    VolunteerTrained.TOPIC: "trained",
    VolunteerSupervised.TOPIC: "supervised",
    VolunteerLeft.TOPIC: "left",
}


class VolunteersProjection(Projection):
    name = "volunteers"
    description = (
        "volunteer matches begun and ended (a term's end among the endings), and the "
        "volunteer register: agency, skills, capacity, training, supervision, leaving (no names)"
    )
    topics = (
        VolunteerMatched.TOPIC,
        VolunteerMatchEnded.TOPIC,
        Discharged.TOPIC,
        ViolationResponded.TOPIC,
        VolunteerRegistered.TOPIC,
        *VOLUNTEER_EVENTS,
        Corrected.TOPIC,
    )
    version = 4  # 4: registered volunteers' ids, term ends, the register
    tables = {
        # event: matched, ended, or term_ended (a term's end: closes a match still open)
        "audit_matches": f"{FACT_COLUMNS}, event TEXT NOT NULL, ending TEXT, volunteer_id TEXT, "
        "PRIMARY KEY (client_id, number)",
        "audit_volunteers": f"{FACT_COLUMNS}, volunteer_id TEXT NOT NULL, agency TEXT NOT NULL, "
        "skills TEXT NOT NULL, capacity INTEGER NOT NULL, trained_on TEXT, "
        "PRIMARY KEY (client_id, number)",
        # event: trained, supervised (kind: individual or group; professional) or left
        "audit_volunteer_events": f"{FACT_COLUMNS}, event TEXT NOT NULL, kind TEXT, "
        "professional TEXT, PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_matches", "audit_volunteers", "audit_volunteer_events")
    indexes = ("audit_matches(volunteer_id)", "audit_volunteers(agency)")

    def facts(self, event: Recorded) -> Iterable[Statement]:
        topic = event.topic
        if topic == VolunteerMatched.TOPIC:
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'matched', NULL, ?)",
                (*event.key(), event.state.get("volunteer_id")),
            )
        elif topic == VolunteerMatchEnded.TOPIC:
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, 'ended', ?, NULL)",
                (*event.key(), event.code("ending")),
            )
        elif topic == Discharged.TOPIC or (
            topic == ViolationResponded.TOPIC and event["term_outcome"] is not None
        ):
            yield (
                "INSERT INTO {audit_matches} VALUES (?, ?, ?, ?, NULL, ?, ?, NULL)",
                (*event.key(), TERM_ENDED, TERM_ENDED),
            )
        elif topic == VolunteerRegistered.TOPIC:
            yield (
                "INSERT INTO {audit_volunteers} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["volunteer_id"],
                    event["agency"],
                    ",".join(event["skills"]),
                    event["capacity"],
                    event["trained_on"],
                ),
            )
        elif topic in VOLUNTEER_EVENTS:
            yield (
                "INSERT INTO {audit_volunteer_events} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                (
                    *event.key(),
                    VOLUNTEER_EVENTS[topic],
                    event.state.get("kind"),
                    event.state.get("professional"),
                ),
            )
