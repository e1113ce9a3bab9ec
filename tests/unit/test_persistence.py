"""The pydantic mapper: round trips, upcasting of old shapes, topics that survive a move."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, ClassVar
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic
from hypothesis import given
from hypothesis import strategies as st

from reentry_ledger.domain.client import coded
from reentry_ledger.domain.codes import Need, RiskLevel
from reentry_ledger.domain.events import (
    EVENT_CLASSES,
    Assessed,
    ClientEvent,
    Discharged,
    ViolationResponded,
)
from reentry_ledger.domain.integrity import stored_state
from reentry_ledger.persistence import (
    STABLE_TOPICS,
    OrjsonTranscoder,
    PydanticMapper,
    current_state,
)
from reentry_ledger.projections.base import moment, moment_text
from tests.builders import new_client, stamp

# The topics stored events carry today. Changing one orphans stored events: never edit,
# only add (and register the old topic for a class that moves).
PINNED_TOPICS = {
    "Enrolled": "reentry_ledger.domain.events:Enrolled",
    "Assessed": "reentry_ledger.domain.events:Assessed",
    "CasePlanRevised": "reentry_ledger.domain.events:CasePlanRevised",
    "Referred": "reentry_ledger.domain.events:Referred",
    "ReferralUpdated": "reentry_ledger.domain.events:ReferralUpdated",
    "ContactLogged": "reentry_ledger.domain.events:ContactLogged",
    "VolunteerMatched": "reentry_ledger.domain.events:VolunteerMatched",
    "VolunteerMatchEnded": "reentry_ledger.domain.events:VolunteerMatchEnded",
    "ViolationRecorded": "reentry_ledger.domain.events:ViolationRecorded",
    "ViolationResponded": "reentry_ledger.domain.events:ViolationResponded",
    "Discharged": "reentry_ledger.domain.events:Discharged",
    "Corrected": "reentry_ledger.domain.events:Corrected",
    "ClientSealed": "reentry_ledger.domain.events:ClientSealed",
    "TermStarted": "reentry_ledger.domain.events:TermStarted",
    "Reassigned": "reentry_ledger.domain.events:Reassigned",
    "LevelChanged": "reentry_ledger.domain.events:LevelChanged",
    "ConditionsChanged": "reentry_ledger.domain.events:ConditionsChanged",
    "CustodyStarted": "reentry_ledger.domain.events:CustodyStarted",
    "CustodyEnded": "reentry_ledger.domain.events:CustodyEnded",
    "Absconded": "reentry_ledger.domain.events:Absconded",
    "Returned": "reentry_ledger.domain.events:Returned",
    "DispositionRecorded": "reentry_ledger.domain.events:DispositionRecorded",
    "IncentiveGranted": "reentry_ledger.domain.events:IncentiveGranted",
    "GoalAdded": "reentry_ledger.domain.events:GoalAdded",
    "GoalProgressed": "reentry_ledger.domain.events:GoalProgressed",
    "GoalReordered": "reentry_ledger.domain.events:GoalReordered",
    "CasePlanApproved": "reentry_ledger.domain.events:CasePlanApproved",
    "ProgrammeEnrolled": "reentry_ledger.domain.events:ProgrammeEnrolled",
    "ProgrammeSessionAttended": "reentry_ledger.domain.events:ProgrammeSessionAttended",
    "ProgrammeSessionMissed": "reentry_ledger.domain.events:ProgrammeSessionMissed",
    "ProgrammeEnded": "reentry_ledger.domain.events:ProgrammeEnded",
}


@pytest.fixture
def mapper() -> PydanticMapper:
    return PydanticMapper(transcoder=OrjsonTranscoder())


def test_every_event_class_keeps_its_pinned_topic() -> None:
    assert {cls.__name__: cls.TOPIC for cls in EVENT_CLASSES} == PINNED_TOPICS
    assert STABLE_TOPICS["reentry_ledger.domain.client:Client"].__name__ == "Client"


def test_events_round_trip_through_the_mapper(mapper: PydanticMapper) -> None:
    client = new_client()
    client.assess(
        stamp(date(2025, 1, 15)),
        instrument="ORAS",
        score=23.5,
        risk_level=coded("high", "Hoog"),
        needs=[coded("substance_use")],
    )
    client.record_violation(stamp(date(2025, 2, 1)), new_offence=coded("felony"), violent=True)
    for event in client.collect_events():
        stored = mapper.to_stored_event(event)
        assert stored.topic == PINNED_TOPICS[type(event).__name__]
        assert mapper.to_domain_event(stored) == event


def test_stored_state_says_recorded_at_and_current_class_version(mapper: PydanticMapper) -> None:
    client = new_client()
    client.assess(stamp(date(2025, 1, 15)), instrument="ORAS", risk_level=coded("low"))
    enrolled, assessed = (mapper.to_stored_event(e) for e in client.collect_events())
    enrolled_state = orjson.loads(enrolled.state)
    assert "recorded_at" in enrolled_state and "timestamp" not in enrolled_state
    assert enrolled_state["class_version"] == 2
    assert orjson.loads(assessed.state)["class_version"] == 2


def assessed_v1_state() -> dict[str, Any]:
    """An Assessed event as version 1 stored it: bare code strings, no class_version."""
    return {
        "recorded_at": "2024-02-01T10:00:00Z",
        "occurred_on": "2024-01-15",
        "recorded_by": "legacy",
        "instrument": "LSI-R",
        "instrument_version": None,
        "score": 31.0,
        "risk_level": "very_high",
        "needs": ["antisocial_associates", "substance_use"],
        "responsivity": [],
        "strengths": ["family support"],
    }


def test_version_1_assessment_is_upcast_when_read(mapper: PydanticMapper) -> None:
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic=Assessed.TOPIC,
        state=orjson.dumps(assessed_v1_state()),
    )
    event = mapper.to_domain_event(stored)
    assert isinstance(event, Assessed)
    assert event.risk_level.code == RiskLevel.VERY_HIGH
    assert event.risk_level.raw_text is None
    assert [need.code for need in event.needs] == [
        Need.ANTISOCIAL_ASSOCIATES,
        Need.SUBSTANCE_USE,
    ]
    assert event.occurred_on == date(2024, 1, 15)


class RenamedEvent(ClientEvent):
    """Stands for a class that moved: its stored topic is still the old one."""

    TOPIC: ClassVar[str] = "reentry_ledger.domain.old_module:OldName"
    remark: str


def test_a_moved_class_still_reads_events_stored_under_its_old_topic(
    mapper: PydanticMapper,
) -> None:
    register_topic("reentry_ledger.domain.old_module:OldName", RenamedEvent)
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=3,
        topic="reentry_ledger.domain.old_module:OldName",
        state=orjson.dumps(
            {
                "recorded_at": "2024-02-01T10:00:00Z",
                "occurred_on": "2024-01-15",
                "recorded_by": "legacy",
                "remark": "kept",
            }
        ),
    )
    event = mapper.to_domain_event(stored)
    assert isinstance(event, RenamedEvent)
    assert event.remark == "kept"
    assert mapper.to_stored_event(event).topic == "reentry_ledger.domain.old_module:OldName"


def test_what_projections_read_is_the_state_the_event_would_store(
    mapper: PydanticMapper,
) -> None:
    """Projections read the stored state, not the event (ADR 0013): for every kind of event,
    at the current class version, at an older one it must upcast, and in a shorter form that
    leaves a defaulted field out, it must be what the event read back would store."""
    client = new_client()
    client.assess(stamp(date(2025, 1, 15)), instrument="ORAS", risk_level=coded("high"))
    client.refer(stamp(date(2025, 1, 16)), service=coded("housing"))
    client.log_contact(stamp(date(2025, 1, 17)), kind=coded("casework"), note="n")
    violation = client.record_violation(stamp(date(2025, 2, 1)), absconding=True)
    client.respond_to_violation(stamp(date(2025, 2, 2)), violation, response=coded("warning"))
    client.correct(stamp(date(2025, 2, 3)), 4, "wrong entry")
    stored = [mapper.to_stored_event(event) for event in client.collect_events()]
    stored.append(StoredEvent(uuid4(), 2, Assessed.TOPIC, orjson.dumps(assessed_v1_state())))
    response = next(row for row in stored if row.topic == ViolationResponded.TOPIC)
    shorter = orjson.loads(response.state)  # without its defaulted fields
    del shorter["decided_by"], shorter["custody_days"]
    stored.append(StoredEvent(uuid4(), 6, response.topic, orjson.dumps(shorter)))
    for row in stored:
        as_the_event_stores_it = stored_state(mapper.ledger_event(row))
        as_the_event_stores_it.pop("class_version", None)
        assert current_state(row.topic, row.state) == as_the_event_stores_it


@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=2))]
        ),
    )
)
def test_a_stored_moment_reads_as_the_same_fixed_width_text(recorded_at: datetime) -> None:
    """Projections turn the stored text of a moment into the same text as the moment itself,
    whether or not it has microseconds and whatever its offset: rows sort in time order."""
    stored = Discharged.model_validate(
        {"originator_id": uuid4(), "originator_version": 2, "timestamp": recorded_at,
         "occurred_on": date(2025, 1, 1), "recorded_by": "jdoe", "outcome": coded("successful")}
    )  # fmt: skip
    text = stored_state(stored)["recorded_at"]
    assert moment_text(text) == moment(recorded_at)
