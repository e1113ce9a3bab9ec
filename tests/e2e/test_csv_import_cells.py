"""A legacy file's cells, as an operator's export has them: a blank cell of a field a command
cannot do without, a flag that is neither yes nor no, a number that is not a whole one, an
agency id given twice. Each is refused naming its line and column, with exit 2 and nothing
written; a blank optional cell reads as the field left out (found by an operator's probe)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli

# Every column named as the field it holds.
MAPPING = """
reference = "ref"
kind_column = "kind"
[kinds.ENR]
command = "enroll"
agency = "agency"
officer = "officer"
supervision = "supervision"
expected_end = "expected_end"
age_band = "age_band"
birth_year = "birth_year"
[kinds.VIO]
command = "violation"
key = "key"
technical = { column = "technical", split = ";" }
absconding = "absconding"
violent = "violent"
new_offence = "new_offence"
[kinds.RSP]
command = "respond"
violation = "violation"
response = "response"
custody_days = "custody_days"
decided_by = "decided_by"
recommendation = "recommendation"
[kinds.ASS]
command = "assess"
instrument = "instrument"
risk_level = "risk_level"
score = "score"
[kinds.REF]
command = "refer"
key = "key"
service = "service"
[kinds.UPD]
command = "referral"
referral = "referral"
status = "status"
reason = "reason"
[kinds.LVL]
command = "level"
level = "level"
[kinds.DIS]
command = "discharge"
outcome = "outcome"
decision = { column = "decision", ids = "ledger" }
"""
COLUMNS = ["ref", "kind", "date", "agency", "officer", "supervision", "key", "technical",
           "absconding", "violation", "response", "custody_days", "instrument", "risk_level",
           "score", "service", "referral", "status", "reason", "level", "outcome",
           "expected_end", "age_band", "birth_year", "violent", "new_offence", "decided_by",
           "recommendation", "decision"]  # fmt: skip
ENROL = {"kind": "ENR", "date": "2024-01-02", "agency": "GA", "officer": "o1",
         "supervision": "parole"}  # fmt: skip
BREACH = {"kind": "VIO", "date": "2024-02-01", "key": "K1", "technical": "curfew"}
REFERRAL = {"kind": "REF", "date": "2024-02-01", "key": "Q1", "service": "housing"}


@pytest.fixture
def importing(tmp_path: Path, db_url: str):  # type: ignore[no-untyped-def]
    """Import rows (each a dict of its cells, client A-1 unless given) into the ledger."""
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "migrator"}
    (tmp_path / "mapping.toml").write_text(MAPPING)

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env)

    def load(*rows: dict[str, str]) -> Result:
        lines = [",".join(COLUMNS)]
        lines += [",".join({"ref": "A-1", **row}.get(c, "") for c in COLUMNS) for row in rows]
        source = tmp_path / "records.csv"
        source.write_text("\n".join(lines) + "\n")
        return run("import", str(source), "--format", "csv", "--mapping",
                   str(tmp_path / "mapping.toml"))  # fmt: skip

    load.run = run  # type: ignore[attr-defined]
    return load


def refused_whole(importing, result: Result, where: str, said: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert f"records.csv, {where}: {said}" in result.stderr
    assert "unexpected" not in result.stderr
    nothing = importing.run("export")
    assert nothing.exit_code == 2 and "no ledger" in nothing.stderr, nothing.output


@pytest.mark.parametrize(
    ("rows", "where", "said"),
    [
        (
            [ENROL, BREACH, {"kind": "RSP", "date": "2024-02-05", "violation": "K1"}],
            "line 4, column 'response'",
            "respond A-1: the cell is blank, and respond needs its response",
        ),
        (
            [ENROL, {"kind": "DIS", "date": "2024-06-01"}],
            "line 3, column 'outcome'",
            "discharge A-1: the cell is blank, and discharge needs its outcome",
        ),
        (
            [ENROL, {"kind": "LVL", "date": "2024-02-01", "level": "  "}],
            "line 3, column 'level'",
            "level A-1: the cell is blank, and level needs its level",
        ),
        (
            [ENROL, REFERRAL, {"kind": "UPD", "date": "2024-02-03", "referral": "Q1"}],
            "line 4, column 'status'",
            "referral A-1: the cell is blank, and referral needs its status",
        ),
        (
            [ENROL, {"kind": "RSP", "date": "2024-02-05", "response": "warning"}],
            "line 3, column 'violation'",
            "respond A-1: the cell is blank, and respond needs its violation",
        ),
        (
            [{**ENROL, "agency": ""}],
            "line 2, column 'agency'",
            "enroll A-1: the cell is blank, and enroll needs its agency",
        ),
    ],
    ids=["response", "outcome", "level", "status", "violation", "agency"],
)
def test_a_blank_cell_a_command_needs_is_refused_naming_its_column(
    importing, rows: list[dict[str, str]], where: str, said: str
) -> None:  # type: ignore[no-untyped-def]
    """Each stopped with "unexpected AttributeError" and exit 1, naming no line."""
    refused_whole(importing, importing(*rows), where, said)


def test_a_referral_status_not_ours_names_its_column(importing) -> None:  # type: ignore[no-untyped-def]
    result = importing(ENROL, REFERRAL, {"kind": "UPD", "date": "2024-02-03",
                                         "referral": "Q1", "status": "DECLINED"})  # fmt: skip
    refused_whole(importing, result, "line 4, column 'status'", "referral A-1: status")


def test_a_blank_officer_at_enrolment_is_unknown_as_when_the_column_is_not_mapped(
    importing,
) -> None:  # type: ignore[no-untyped-def]
    result = importing({**ENROL, "officer": " "})
    assert result.exit_code == 0, result.output
    enrolled = json.loads(importing.run("timeline", "A-1", "--json").stdout)[0]
    assert enrolled["data"]["officer"] == "unknown"


@pytest.mark.parametrize(
    ("rows", "command", "names"),
    [
        ([ENROL, BREACH, {**BREACH, "date": "2024-02-02"}], "violation", "violation"),
        ([ENROL, REFERRAL, {**REFERRAL, "date": "2024-02-02"}], "refer", "referral"),
    ],
    ids=["violation", "referral"],
)
def test_an_agency_id_given_twice_for_a_client_is_refused(
    importing, rows: list[dict[str, str]], command: str, names: str
) -> None:  # type: ignore[no-untyped-def]
    """Two incidents under one id: a later response to it went, silently, to the last."""
    key = rows[1]["key"]
    refused_whole(
        importing, importing(*rows), "line 4, column 'key'",
        f"{command} A-1: {key!r} was given on line 3 already: an agency's id names one {names}",
    )  # fmt: skip


@pytest.mark.parametrize("cell", ["maybe", "x", "2"])
def test_a_flag_that_is_neither_yes_nor_no_is_refused(importing, cell: str) -> None:  # type: ignore[no-untyped-def]
    """An absconding cell of "maybe" was read as no: the absconding was not counted."""
    refused_whole(
        importing, importing(ENROL, {**BREACH, "absconding": cell}),
        "line 3, column 'absconding'", f"{cell!r} is neither yes",
    )  # fmt: skip


def test_a_flag_blank_or_no_reads_as_no_and_yes_as_yes(importing) -> None:  # type: ignore[no-untyped-def]
    result = importing(ENROL, {**BREACH, "absconding": "n"},
                       {**BREACH, "key": "K2", "date": "2024-02-02", "absconding": "Yes"},
                       {**BREACH, "key": "K3", "date": "2024-02-03"})  # fmt: skip
    assert result.exit_code == 0, result.output
    events = json.loads(importing.run("timeline", "A-1", "--json").stdout)[1:]
    assert [event["data"]["absconding"] for event in events] == [False, True, False]


@pytest.mark.parametrize(
    ("column", "cell", "said"),
    [
        ("custody_days", "3.0", "'3.0' is not a whole number"),
        ("custody_days", "1_0", "'1_0' is not a whole number"),
        (
            "custody_days",
            "\N{ARABIC-INDIC DIGIT THREE}",
            "'\N{ARABIC-INDIC DIGIT THREE}' is not a whole",
        ),
        ("score", "nan", "'nan' is not a number"),
        ("score", "inf", "'inf' is not a number"),
        ("score", "1e400", "'1e400' is not a number"),
    ],
)
def test_a_number_that_is_not_one_is_refused(  # type: ignore[no-untyped-def]
    importing, column: str, cell: str, said: str
) -> None:
    """A score of nan or inf was stored, and shown as null; 1_0 custody days as 10."""
    row = (
        {"kind": "RSP", "date": "2024-02-05", "violation": "K1", "response": "custody_sanction"}
        if column == "custody_days"
        else {"kind": "ASS", "date": "2024-01-05", "instrument": "ORAS", "risk_level": "high"}
    )
    result = importing(ENROL, BREACH, {**row, column: cell})
    refused_whole(importing, result, f"line 4, column {column!r}", said)


RESPONSE = {"kind": "RSP", "date": "2024-02-05", "violation": "K1"}


@pytest.mark.parametrize(
    ("rows", "column", "said"),
    [
        ([{**ENROL, "expected_end": "2023-12-01"}], "expected_end", "expected end 2023-12-01"),
        ([{**ENROL, "age_band": "25-34"}], "age_band", "age band '25-34' is not one of"),
        ([{**ENROL, "birth_year": "2030"}], "birth_year", "birth year 2030 is after"),
        ([{**ENROL, "birth_year": "1960", "age_band": "under_25"}], "age_band",
         "age band under_25 disagrees with birth year 1960 (band 55_and_older at the start"),
        ([ENROL, {**BREACH, "violent": "Y"}], "violent", "violent describes a new offence"),
        ([ENROL, BREACH, {**RESPONSE, "response": "warning", "custody_days": "3"}],
         "custody_days", "custody days go with"),
        ([ENROL, BREACH, {**RESPONSE, "response": "warning", "decided_by": "court",
                          "recommendation": "Y"}], "recommendation", "a recommendation is"),
        ([ENROL, BREACH, {"kind": "DIS", "date": "2024-03-01", "outcome": "successful",
                          "decision": "V1"}], "decision", "a successful discharge cites no"),
    ],
    ids=["expected_end", "age_band", "birth_year", "band_and_year", "violent", "custody_days", "recommendation",
         "decision"],
)  # fmt: skip
def test_a_value_the_command_refuses_names_its_column(  # type: ignore[no-untyped-def]
    importing, rows: list[dict[str, str]], column: str, said: str
) -> None:
    """Each named its line, not the column at fault."""
    result = importing(*rows)
    assert result.exit_code == 2, result.output
    assert f"records.csv, line {len(rows) + 1}, column {column!r}: " in result.stderr
    assert said in result.stderr


def test_a_band_that_agrees_with_the_birth_year_is_kept(importing) -> None:  # type: ignore[no-untyped-def]
    result = importing({**ENROL, "birth_year": "2001", "age_band": "under_25"})
    assert result.exit_code == 0, result.output
