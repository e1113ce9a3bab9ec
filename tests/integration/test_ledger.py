"""The ledger on each backend: the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

from reentry_ledger.application import Ledger
from reentry_ledger.domain.client import coded
from reentry_ledger.domain.codes import RiskLevel
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    RuleViolated,
)
from reentry_ledger.domain.events import Assessed
from reentry_ledger.domain.personal import new_client_key
from reentry_ledger.domain.references import client_id
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import VERSIONS
from tests.builders import TODAY, enroll_parolee, stamp


def stored_topics(ledger: Ledger, ref: str) -> list[str]:
    return [record.topic for record in ledger.recorder.select_events(client_id(ref))]


def test_a_clients_supervision_is_stored_and_read_back(db_url: str, ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.assess("GA-1", actor="jdoe", on=date(2025, 1, 15), instrument="ORAS", risk_level="high")
    referral = ledger.refer("GA-1", actor="jdoe", on=date(2025, 1, 20), service="housing")
    ledger.update_referral("GA-1", "R1", "accepted", actor="jdoe", on=date(2025, 1, 22))
    violation = ledger.record_violation(
        "GA-1", actor="asmith", on=date(2025, 3, 1), technical=("failure_to_report",)
    )
    ledger.respond_to_violation(
        "GA-1", "V1", "sanction", actor="asmith", on=date(2025, 3, 5), custody_days=3
    )
    ledger.discharge("GA-1", actor="jdoe", on=date(2025, 12, 31), outcome="successful")
    assert (referral.new_id, violation.new_id) == ("R1", "V1")

    reopened = Ledger(db_url, clock=lambda: TODAY)
    try:
        client = reopened.get_client("GA-1")
        assert client.version == 7
        assert client.state.risk_level == RiskLevel.HIGH
        assert client.state.referrals["R1"].status == "accepted"
        assert client.state.violations["V1"].responses[0].custody_days == 3
        assert client.state.outcome == "successful"
        assert [e.recorded_by for e in reopened.timeline("GA-1")][4] == "asmith"
    finally:
        reopened.close()


def test_refused_commands_leave_the_stored_events_unchanged(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.discharge("GA-1", actor="jdoe", on=date(2025, 6, 1), outcome="successful")
    before = ledger.recorder.select_events(client_id("GA-1"))
    with pytest.raises(RuleViolated):
        ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 7, 1), absconding=True)
    with pytest.raises(InvalidInput):
        ledger.assess("GA-1", actor="jdoe", instrument="ORAS", risk_level="hgh")
    with pytest.raises(RuleViolated, match="before the end of term 1"):
        enroll_parolee(ledger)  # a later term, dated before the first ended
    assert ledger.recorder.select_events(client_id("GA-1")) == before


def test_unknown_client_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(ClientNotFound, match="GA-404"):
        ledger.get_client("GA-404")
    with pytest.raises(ClientNotFound):
        ledger.assess("GA-404", actor="jdoe", instrument="ORAS", risk_level="low")


def test_stored_rows_carry_the_pinned_topics(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    ledger.assess("GA-1", actor="jdoe", on=date(2025, 1, 15), instrument="ORAS", risk_level="low")
    assert stored_topics(ledger, "GA-1") == [
        "reentry_ledger.domain.events:Enrolled",
        "reentry_ledger.domain.events:Assessed",
    ]


def test_events_stored_in_the_old_shape_are_upcast_on_read(ledger: Ledger) -> None:
    enroll_parolee(ledger)
    old_shape = {
        "recorded_at": "2025-02-01T10:00:00Z",
        "occurred_on": "2025-01-15",
        "recorded_by": "legacy-import",
        "instrument": "LSI-R",
        "instrument_version": None,
        "score": 31.0,
        "risk_level": "very_high",
        "needs": ["substance_use"],
        "responsivity": [],
        "strengths": [],
    }
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=client_id("GA-1"),
                originator_version=2,
                topic=Assessed.TOPIC,
                state=orjson.dumps(old_shape),
            )
        ]
    )
    client = ledger.get_client("GA-1")
    assert client.state.risk_level == RiskLevel.VERY_HIGH
    assert client.state.needs == ["substance_use"]
    # Reading upgrades nothing in place: the stored row keeps its original shape.
    stored = ledger.recorder.select_events(client_id("GA-1"))[1]
    assert orjson.loads(stored.state)["risk_level"] == "very_high"
    # and the client goes on from there
    ledger.assess("GA-1", actor="jdoe", on=date(2025, 6, 1), instrument="ORAS", risk_level="low")
    assert ledger.get_client("GA-1").state.risk_level == RiskLevel.LOW


def test_replay_reads_every_client_and_event(ledger: Ledger) -> None:
    for number in range(1, 6):
        enroll_parolee(ledger, f"GA-{number}")
        for _ in range(number):
            ledger.log_contact(f"GA-{number}", actor="jdoe", on=date(2025, 2, 1), note="n")
    report = ledger.replay(actor="jdoe")
    assert (report.clients, report.events) == (5, 5 + 15)
    assert ledger.replay("GA-3", actor="jdoe").events == 4


def test_client_ids_stream_in_pages(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reentry_ledger.application.base.PAGE_SIZE", 2)
    for number in range(1, 6):
        enroll_parolee(ledger, f"GA-{number}")
    assert list(ledger.client_ids()) == [client_id(f"GA-{n}") for n in range(1, 6)]


def test_the_later_of_two_writers_holding_the_same_version_gets_a_conflict(
    db_url: str, ledger: Ledger
) -> None:
    enroll_parolee(ledger)
    other = Ledger(db_url, clock=lambda: TODAY)
    try:
        mine, theirs = ledger.get_client("GA-1"), other.get_client("GA-1")
        mine.log_contact(stamp(date(2025, 2, 1)), kind=coded("casework"), note="mine")
        theirs.log_contact(stamp(date(2025, 2, 1)), kind=coded("casework"), note="theirs")
        ledger._save(mine)
        with pytest.raises(Conflict, match="another write to client 'GA-1' was recorded first"):
            other._save(theirs)
    finally:
        other.close()
    notes = [getattr(e, "note", None) for e in ledger.get_client("GA-1").history]
    assert notes == [None, "mine"]


def test_the_agencys_own_wording_is_stored_beside_each_code(ledger: Ledger) -> None:
    ledger.enroll(
        "IA-7",
        actor="import",
        start=date(2025, 1, 10),
        agency="5JD",
        officer="unknown",
        supervision={"code": "parole", "raw_text": "Parole Granted"},
    )
    ledger.record_violation(
        "IA-7",
        actor="import",
        on=date(2025, 4, 1),
        new_offence={"code": "unknown", "raw_text": "Other Criminal"},
    )
    ledger.respond_to_violation(
        "IA-7",
        "V1",
        {"code": "revocation", "raw_text": "Returned to prison"},
        actor="import",
        on=date(2025, 4, 1),
        decided_by={"code": "parole_board", "raw_text": "Board of Parole"},
    )
    data = [entry.data for entry in ledger.timeline("IA-7")]
    assert data[0]["supervision"] == {"code": "parole", "raw_text": "Parole Granted"}
    assert data[1]["new_offence"]["severity"] == {"code": "unknown", "raw_text": "Other Criminal"}
    assert data[2]["response"]["raw_text"] == "Returned to prison"
    assert data[2]["decided_by"] == {"code": "parole_board", "raw_text": "Board of Parole"}


def test_client_keys_stream_in_pages_and_all_come_back(ledger: Ledger) -> None:
    made = {str(uuid.UUID(int=number + 1)): new_client_key() for number in range(7)}
    ledger.keys.store_with([], new=made)
    assert list(ledger.keys.all(page=3)) == sorted(made.items())


def test_projections_stored_by_another_version_are_built_again(ledger: Ledger) -> None:
    for number in range(1, 4):
        enroll_parolee(ledger, f"GA-{number}")
    runner = ProjectionRunner(ledger)
    runner.catch_up()
    store = runner.store
    with store.transaction() as cursor:  # as an older release left them
        cursor.execute(store.sql(f"UPDATE {store.prefix}{VERSIONS} SET version = 1"))
        cursor.execute(store.sql("DELETE FROM {audit_clients} WHERE client_id <> ''",
                                 ["audit_clients"]))  # fmt: skip
    assert store.rows("SELECT COUNT(*) FROM {audit_clients}", tables=["audit_clients"]) == [(0,)]

    upgraded = ProjectionRunner(ledger)
    assert {status.lag for status in upgraded.status()} == {3}, "every projection starts again"
    upgraded.catch_up()
    assert store.rows("SELECT COUNT(*) FROM {audit_clients}", tables=["audit_clients"]) == [(3,)]


def test_the_events_table_keeps_its_name_so_stored_ledgers_still_open(ledger: Ledger) -> None:
    """The tables ledgers were stored in by earlier versions: SQLite's, then PostgreSQL's."""
    table = ledger.recorder.events_table_name.split(".")[-1]
    assert table in {"stored_events", "reentryledger_events"}
