"""De-identified export: nothing that names a person, an officer, or says more than the month."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reentry_ledger.cli import cli
from reentry_ledger.domain.events import EVENT_CLASSES
from reentry_ledger.export.deidentified import ALLOWED

SECRETS = ("Jane Doe", "GA-1", "o-17", "jdoe", "Harbour House", "v-204", "custody hearing",
           "Board of Parole", "entered on the wrong client", "her sister")  # fmt: skip


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
        ["correct", "GA-1", "5", "--reason", "entered on the wrong client"],
    ):  # fmt: skip
        assert runner.invoke(cli, args, env=env).exit_code == 0
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
    ]  # fmt: skip (no user-directory or access-log records)
    assert {r["month"] for r in records} <= {"2024-01", "2024-02", "2024-03"} | {
        records[-1]["month"]
    }
    assert all(len(r["month"]) == 7 for r in records)
    assert records[0]["data"] == {"agency": "GA", "supervision": "parole", "conditions": ["curfew"],
                                  "juvenile": False, "expected_end": None, "start_reason": None,
                                  "condition_count": 1}  # fmt: skip
    assert records[5]["data"]["category"] == "technical"


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
