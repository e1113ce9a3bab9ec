"""Referrals in legacy CSV files: what a referral serves (`need`), and why one was declined or
dropped (`reason`, translated by a codes table, the agency's wording kept). A declined or
dropped row without a reason refuses the whole file, naming its line and the reason column:
the ledger never invents one. A blank cell may read as the mapping's `blank` text, so a file
that did not keep reasons says so in the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli
from tests.builders import recorded

HEADER = "case_no,record,date,agency,ref_no,service,need,status,why"
ROWS = [
    "GA-1,INTAKE,2024-01-02,GA,,,,parole,",
    "GA-1,REFER,2024-01-10,,A7,housing,,,",
    "GA-1,REFER,2024-01-11,,A8,employment,school_work,,",
    "GA-1,STATUS,2024-01-15,,A7,,,DEC,FULL",
    "GA-1,STATUS,2024-01-16,,A8,,,ACC,",
]
MAPPING = """
reference = "case_no"
kind_column = "record"

[codes.status]
DEC = "declined"
ACC = "accepted"

[codes.reasons]
FULL = "no_capacity"
"not recorded" = "other"

[kinds.INTAKE]
command = "enroll"
agency = "agency"
supervision = "status"

[kinds.REFER]
command = "refer"
key = "ref_no"
service = "service"
need = "need"

[kinds.STATUS]
command = "referral"
referral = "ref_no"
status = { column = "status", codes = "status" }
REASON
"""
WITH_REASON = 'reason = { column = "why", codes = "reasons" }'


@pytest.fixture
def run(db_url: str):
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "migrator"}

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def imported(run, tmp_path: Path, rows: list[str], reason: str = WITH_REASON) -> Result:
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING.replace("REASON", reason), encoding="utf-8")
    records = tmp_path / "records.csv"
    records.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return run("import", str(records), "--format", "csv", "--mapping", str(mapping))


def events(run) -> list[dict]:
    return json.loads(run("timeline", "GA-1", "--json").stdout)


def test_a_declined_referral_keeps_its_reason_and_a_referral_its_need(run, tmp_path: Path) -> None:
    result = imported(run, tmp_path, ROWS)
    assert result.exit_code == 0, result.output
    _, housing, work, declined, accepted = events(run)
    assert housing["data"]["need"] is None
    assert work["data"]["need"] == {"code": "school_work", "raw_text": None}
    assert declined["data"]["status"]["code"] == "declined"
    assert declined["data"]["reason"] == {"code": "no_capacity", "raw_text": "FULL"}
    assert accepted["data"]["reason"] is None


@pytest.mark.parametrize("reason", [WITH_REASON, ""], ids=["blank cell", "no reason column"])
def test_a_declined_row_without_a_reason_refuses_the_file(run, tmp_path: Path, reason: str) -> None:
    rows = [*ROWS[:3], "GA-1,STATUS,2024-01-15,,A7,,,DEC,", ROWS[4]]
    before = recorded(run("export").stdout)
    result = imported(run, tmp_path, rows, reason)
    assert result.exit_code == 2, result.output
    column = ", column 'why'" if reason else ""
    assert f"records.csv, line 5{column}: referral GA-1: a declined referral says why" in (
        result.stderr
    ), result.stderr
    assert "no_capacity, ineligible, client_declined, no_show, moved, other" in result.stderr
    assert "Traceback" not in result.output
    assert recorded(run("export").stdout) == before


def test_a_blank_reason_reads_as_the_mappings_wording(run, tmp_path: Path) -> None:
    rows = [*ROWS[:3], "GA-1,STATUS,2024-01-15,,A7,,,DEC,", ROWS[4]]
    blank = 'reason = { column = "why", codes = "reasons", blank = "not recorded" }'
    result = imported(run, tmp_path, rows, blank)
    assert result.exit_code == 0, result.output
    assert events(run)[3]["data"]["reason"] == {"code": "other", "raw_text": "not recorded"}


def test_a_reason_on_an_accepted_row_refuses_the_file(run, tmp_path: Path) -> None:
    rows = [*ROWS[:4], "GA-1,STATUS,2024-01-16,,A8,,,ACC,FULL"]
    result = imported(run, tmp_path, rows)
    assert result.exit_code == 2, result.output
    assert "line 6" in result.stderr, result.stderr
    assert "a reason goes with a declined or dropped referral, not accepted" in result.stderr
    shown = run("timeline", "GA-1")  # nothing of the file was stored, nor the new ledger
    assert shown.exit_code == 2 and "no ledger" in shown.stderr, shown.output
