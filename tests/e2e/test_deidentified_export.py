"""De-identified export: nothing that names a person, an officer, or says more than the month."""

from __future__ import annotations

import json
import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain import codes
from reentry_ledger.domain.events import EVENT_CLASSES
from reentry_ledger.export.deidentified import ALLOWED

SECRETS = ("Jane Doe", "GA-1", "o-17", "jdoe", "Harbour House", "v-204", "custody hearing",
           "Board of Parole", "entered on the wrong client", "her sister", "Class C felony",
           "Charged by the county", "Possession", "Revoke her", "Praised at review",
           "kept every appointment", "Found guilty", "Burglary 2nd")  # fmt: skip


def new_events_with_the_agencys_wording(url: str) -> None:
    """GA-1's new offence (its basis and type), the officer's recommendation, an incentive
    with a note, the board's revocation decision (ending the term) and the disposition after
    it: every code with the agency's own wording beside it, which must never leave."""
    ledger = Ledger(url)
    try:
        on = date(2024, 4, 1)
        ledger.record_violation(
            "GA-1", actor="jdoe", on=on,
            new_offence={"code": "felony", "raw_text": "Class C felony"},
            basis={"code": "charge", "raw_text": "Charged by the county"},
            offence_type={"code": "drug", "raw_text": "Possession"},
            description="her sister's car",
        )  # fmt: skip
        ledger.respond_to_violation(
            "GA-1", "V2", {"code": "revocation", "raw_text": "Revoke her"}, actor="jdoe",
            on=date(2024, 4, 2), recommendation=True,
        )  # fmt: skip
        ledger.grant_incentive(
            "GA-1", actor="jdoe", on=date(2024, 4, 3),
            kind={"code": "commendation", "raw_text": "Praised at review"},
            note="Jane Doe kept every appointment",
        )  # fmt: skip
        ledger.respond_to_violation(
            "GA-1", "V2", "revocation", actor="jdoe", on=date(2024, 4, 10),
            decided_by={"code": "parole_board", "raw_text": "Board of Parole"},
        )  # fmt: skip
        ledger.record_disposition(
            "GA-1", "V2", {"code": "convicted", "raw_text": "Found guilty"}, actor="jdoe",
            on=date(2024, 5, 1), offence_type={"code": "property", "raw_text": "Burglary 2nd"},
        )  # fmt: skip
    finally:
        ledger.close()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/ledger.db"
    env = {"REENTRY_LEDGER_DB": url, "REENTRY_LEDGER_ACTOR": "jdoe"}
    runner = CliRunner()
    for args in (
        ["enroll", "GA-1", "--name", "Jane Doe", "--agency", "GA", "--officer", "o-17",
         "--supervision", "parole", "--start", "2024-01-10", "--condition", "curfew"],
        ["assess", "GA-1", "--on", "2024-01-15", "--instrument", "ORAS", "--risk", "high",
         "--strength", "her sister"],
        ["refer", "GA-1", "--on", "2024-01-20", "--service", "housing", "--provider", "Harbour House"],
        ["match", "GA-1", "--on", "2024-01-21", "--volunteer", "v-204"],
        ["contact", "GA-1", "--on", "2024-02-02", "--note", "custody hearing next week"],
        ["violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew", "--description", "her sister called"],
        ["respond", "GA-1", "V1", "sanction", "--on", "2024-03-05", "--custody-days", "3"],
        ["correct", "GA-1", "5", "--reason", "entered on the wrong client", "--on", "2024-03-06"],
    ):  # fmt: skip
        assert runner.invoke(cli, args, env=env).exit_code == 0
    new_events_with_the_agencys_wording(url)
    assert runner.invoke(cli, ["users", "add", "aud", "--role", "auditor"], env=env).exit_code == 0
    added = ["--actor", "aud", "users", "add", "ov", "--role", "oversight"]
    assert runner.invoke(cli, added, env=env).exit_code == 0
    return url


def export(db: str, *args: str, actor: str = "ov") -> list[dict]:
    result = CliRunner().invoke(
        cli, ["--db", db, "--actor", actor, "export", "--deidentified", *args]
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_no_names_notes_officers_or_days(db: str) -> None:
    records = export(db, "--k-anonymity", "1", actor="aud")  # one client: k 1 shows its months
    text = json.dumps(records)
    for secret in SECRETS:
        assert secret not in text
    assert "raw_text" not in text and "recorded" not in text
    assert [r["type"] for r in records] == [
        "Enrolled",
        "Assessed",
        "Referred",
        "VolunteerMatched",
        "ContactLogged",
        "ViolationRecorded",
        "ViolationResponded",
        "Corrected",
        "ViolationRecorded",
        "ViolationResponded",
        "IncentiveGranted",
        "ViolationResponded",
        "DispositionRecorded",
    ]  # fmt: skip (no user-directory or access-log records)
    assert {r["month"] for r in records} == {"2024-01", "2024-02", "2024-03", "2024-04",
                                             "2024-05"}  # fmt: skip
    assert records[0]["data"] == {"agency": "GA", "supervision": "parole", "conditions": ["curfew"],
                                  "juvenile": False, "expected_end": None, "start_reason": None,
                                  "condition_count": 1}  # fmt: skip
    assert records[5]["data"]["category"] == "technical"


def test_the_new_events_leave_as_codes_only(db: str) -> None:
    records = export(db, "--k-anonymity", "1", actor="aud")
    data = [r["data"] for r in records[8:]]  # V2, its recommendation, the incentive...
    assert data[0]["new_offence"] == {"severity": "felony", "violent": False, "basis": "charge",
                                      "offence_type": "drug"}  # fmt: skip
    assert data[0]["category"] == "new_offence"
    assert data[1] == {"violation_id": "V2", "response": "revocation", "custody_days": None,
                       "decided_by": "officer", "recommendation": True,
                       "term_outcome": None}  # fmt: skip
    assert data[2] == {"kind": "commendation"}  # never the note
    assert data[3] == {"violation_id": "V2", "response": "revocation", "custody_days": None,
                       "decided_by": "parole_board", "recommendation": False,
                       "term_outcome": "revoked_new_offence"}  # fmt: skip
    assert data[4] == {"violation_id": "V2", "disposition": "convicted", "offence_type": "property"}


# Every string a code list holds, and the names of the events.
CODES = {member.value for item in vars(codes).values()
         if isinstance(item, type) and issubclass(item, StrEnum) and item is not StrEnum
         for member in item} | {event_class.__name__ for event_class in EVENT_CLASSES}  # fmt: skip
RELEASED_SHAPES = re.compile(r"P-[0-9a-f]{20}|[RV][1-9][0-9]*|[0-9]{4}(-[0-9]{2}|-Q[1-4])?|GA")


def texts(value: Any) -> list[str]:
    """Every string in a value, through dicts (keys left out) and lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    return []


def test_every_released_text_is_a_code_an_assigned_id_or_a_period(db: str) -> None:
    """Walks every field of every record: nothing typed leaves, not even a code's wording."""
    records = export(db, "--k-anonymity", "1", actor="aud")
    found = [text for record in records for text in texts(record)]
    assert len(found) > 50  # a walk that found nothing would prove nothing
    loose = {text for text in found if text not in CODES and not RELEASED_SHAPES.fullmatch(text)}
    assert loose == set()


def test_oversight_may_export_de_identified_data_only(db: str) -> None:
    full = CliRunner().invoke(cli, ["--db", db, "--actor", "ov", "export"])
    assert full.exit_code == 3


def test_a_lone_client_is_left_out_of_an_oversight_export(db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "--actor", "ov", "export", "--deidentified"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "k achieved: none (nothing released); generalised: 0 records; suppressed: 1 clients" in (
        result.stderr
    )


def test_every_event_type_has_an_allow_list() -> None:
    assert set(ALLOWED) == {event_class.__name__ for event_class in EVENT_CLASSES}
