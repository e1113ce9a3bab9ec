"""The pydantic mapper: round trips, upcasting of old shapes, topics that survive a move."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import uuid4

import orjson
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic

from reentry_ledger.domain.client import coded
from reentry_ledger.domain.codes import Need, RiskLevel
from reentry_ledger.domain.events import EVENT_CLASSES, Assessed, ClientEvent
from reentry_ledger.persistence import STABLE_TOPICS, OrjsonTranscoder, PydanticMapper
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
    client.record_violation(
        stamp(date(2025, 2, 1)), new_offence={"severity": coded("felony"), "violent": True}
    )
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
    assert "class_version" not in enrolled_state
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


@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "compressed and encrypted"])
def test_reading_a_row_straight_from_its_json_gives_the_same_event(sealed: bool) -> None:
    """The rebuild's fast read must agree with the mapper's, for every kind of event,
    at the current class version and at an older one it must upcast."""
    from eventsourcing.cipher import AESCipher
    from eventsourcing.compressor import ZlibCompressor
    from eventsourcing.utils import Environment

    cipher = AESCipher(Environment(env={"CIPHER_KEY": AESCipher.create_key(16)}))
    mapper = PydanticMapper(
        transcoder=OrjsonTranscoder(),
        compressor=ZlibCompressor() if sealed else None,
        cipher=cipher if sealed else None,
    )
    client = new_client()
    client.assess(stamp(date(2025, 1, 15)), instrument="ORAS", risk_level=coded("high"))
    client.refer(stamp(date(2025, 1, 16)), service=coded("housing"))
    client.log_contact(stamp(date(2025, 1, 17)), kind=coded("casework"), note="n")
    client.record_violation(stamp(date(2025, 2, 1)), absconding=True)
    client.correct(stamp(date(2025, 2, 2)), 4, "wrong entry")
    stored = [mapper.to_stored_event(event) for event in client.collect_events()]
    stored.append(
        StoredEvent(uuid4(), 2, Assessed.TOPIC, mapper.seal(orjson.dumps(assessed_v1_state())))
    )
    for row in stored:
        fast = mapper.event_from_row(row.topic, row.originator_id.hex, row.originator_version,
                                     row.state)  # fmt: skip
        assert fast == mapper.to_domain_event(row)
        assert type(fast) is type(mapper.to_domain_event(row))
