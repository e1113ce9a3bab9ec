"""Timelines as of a date (corrected history) and as known at a moment (the record then)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from reentry_ledger.domain.client import Client, coded
from reentry_ledger.timeline import timeline
from tests.builders import TODAY, new_client, stamp


def client_with_a_retracted_violation() -> Client:
    client = new_client()  # 1, 2025-01-10
    client.assess(stamp(date(2025, 1, 15)), instrument="ORAS", risk_level=coded("high"))  # 2
    client.record_violation(stamp(date(2025, 3, 1)), technical=[coded("curfew")])  # 3
    client.correct(stamp(TODAY), 3, "entered on the wrong client")  # 4
    return client


def test_full_timeline_marks_retracted_events_and_what_corrections_correct() -> None:
    entries = timeline(client_with_a_retracted_violation().history)
    assert [(e.number, e.type) for e in entries] == [
        (1, "Enrolled"),
        (2, "Assessed"),
        (3, "ViolationRecorded"),
        (4, "Corrected"),
    ]
    assert entries[2].retracted_by == 4
    assert entries[3].corrects == 3
    assert entries[3].data["reason"] == "entered on the wrong client"


def test_as_of_keeps_events_that_took_effect_by_that_date() -> None:
    entries = timeline(client_with_a_retracted_violation().history, as_of=date(2025, 1, 31))
    assert [e.number for e in entries] == [1, 2]


def test_as_of_applies_a_retraction_whatever_the_retractions_own_date() -> None:
    entries = timeline(client_with_a_retracted_violation().history, as_of=date(2025, 3, 31))
    assert [(e.number, e.retracted_by) for e in entries] == [(1, None), (2, None), (3, 4)]


def test_known_at_shows_an_event_before_it_was_retracted() -> None:
    client = client_with_a_retracted_violation()
    before_correction = client.history[2].recorded_at
    entries = timeline(client.history, known_at=before_correction)
    assert [(e.number, e.retracted_by) for e in entries] == [(1, None), (2, None), (3, None)]


def test_known_at_takes_naive_moments_as_utc_and_honours_offsets() -> None:
    client = client_with_a_retracted_violation()
    moment = client.history[1].recorded_at.astimezone(UTC)
    naive = moment.replace(tzinfo=None)
    assert [e.number for e in timeline(client.history, known_at=naive)] == [1, 2]
    in_new_york = moment.astimezone(timezone(timedelta(hours=-5)))
    assert [e.number for e in timeline(client.history, known_at=in_new_york)] == [1, 2]


def test_known_at_before_enrolment_is_empty() -> None:
    client = new_client()
    assert timeline(client.history, known_at=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_json_entries_carry_the_required_fields() -> None:
    entry = timeline(client_with_a_retracted_violation().history)[2].as_json()
    assert {"number", "type", "occurred_on", "recorded_at", "recorded_by", "retracted_by"} <= set(
        entry
    )
    assert entry["occurred_on"] == "2025-03-01"
    assert entry["recorded_at"].endswith("Z")
