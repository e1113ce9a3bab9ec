"""A legacy CSV records every kind of event of a term and its status: who the client is, a
later term after a discharge, reassignments, levels, conditions, custody and absconding. A row
the command would refuse is refused with the command's words, naming its line, and nothing of
the file is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli
from tests.builders import recorded

MAPPING = """
reference = "case_no"
kind_column = "record"
date_format = "%d/%m/%Y"

[codes.supervision]
PROB = "probation"
PAR = "parole"

[codes.custody]
SANC = "sanction"
HOLD = "jail_hold"

[codes.sex]
F = "female"
M = "male"

[codes.race]
B = "black"
W = "white"

[codes.ethnicity]
H = "hispanic"
N = "not_hispanic"

[codes.why]
NEW = "new_sentence"
REL = "release_to_parole"

[codes.outcome]
COMP = "successful"
REVT = "revoked_technical"

[kinds.INTAKE]
command = "enroll"
agency = "office"
officer = "officer"
supervision = { column = "detail", codes = "supervision" }
conditions = { column = "list", split = ";" }
start_reason = { column = "why", codes = "why" }
sex = { column = "sex", codes = "sex" }
race = { column = "race", codes = "race" }
ethnicity = { column = "ethnicity", codes = "ethnicity" }
birth_year = "born"

[kinds.MOVE]
command = "reassign"
officer = "officer"
agency = "office"

[kinds.LEVEL]
command = "level"
level = "detail"

[kinds.ORDER]
command = "conditions"
add = { column = "list", split = ";" }
remove = { column = "removed", split = ";" }

[kinds.JAIL]
command = "custody"
reason = { column = "detail", codes = "custody" }

[kinds.FREED]
command = "custody-end"

[kinds.GONE]
command = "abscond"

[kinds.FOUND]
command = "return"

# The term's columns, put to other use: the incident's id in detail, the response in list, who
# decided in why.
[kinds.BREACH]
command = "violation"
key = "detail"
technical = "list"

[kinds.REVOKE]
command = "respond"
violation = "detail"
response = "list"
decided_by = "why"

[kinds.CLOSE]
command = "discharge"
outcome = { column = "detail", codes = "outcome" }
"""

HEADER = "case_no,record,date,office,officer,detail,list,removed,why,sex,race,ethnicity,born"
ROWS = [
    "GA-1,INTAKE,02/01/2023,North,jt,PROB,report_weekly;drug_testing,,NEW,F,B,N,1990",  # 2
    "GA-1,LEVEL,10/01/2023,,,medium,,,,,,,",  # 3
    "GA-1,ORDER,01/02/2023,,,,curfew,drug_testing,,,,,",  # 4
    "GA-1,JAIL,01/03/2023,,,SANC,,,,,,,",  # 5
    "GA-1,FREED,05/03/2023,,,,,,,,,,",  # 6
    "GA-1,GONE,01/04/2023,,,,,,,,,,",  # 7
    "GA-1,FOUND,20/04/2023,,,,,,,,,,",  # 8
    "GA-1,MOVE,01/05/2023,North,mo,,,,,,,,",  # 9
    "GA-1,BREACH,25/05/2023,,,X-1,curfew,,,,,,",  # 10
    "GA-1,REVOKE,01/06/2023,,,X-1,revocation,,court,,,,",  # 11: the court's decision ends it
    "GA-1,INTAKE,01/09/2023,South,kb,PAR,report_monthly,,REL,,,,",  # 12: a later term
    "GA-1,JAIL,01/10/2023,,,HOLD,,,,,,,",  # 13
    "GA-1,MOVE,01/11/2023,West,wp,,,,,,,,",  # 14
    "GA-1,CLOSE,01/12/2023,,,COMP,,,,,,,",  # 15: ends the term and the custody with it
]


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "migrator"}

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def import_rows(run, tmp_path: Path, rows: list[str], name: str = "records") -> Result:  # type: ignore[no-untyped-def]
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return run("import", str(path), "--format", "csv", "--mapping", str(mapping))


def test_every_kind_of_term_and_status_event_imports_and_shows_in_the_timeline(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    result = import_rows(run, tmp_path, ROWS)
    assert result.exit_code == 0, result.output
    assert f"imported {len(ROWS)} rows as {len(ROWS)} events" in result.stderr
    events = json.loads(run("timeline", "GA-1", "--json").stdout)
    assert [e["type"] for e in events] == [
        "Enrolled",
        "LevelChanged",
        "ConditionsChanged",
        "CustodyStarted",
        "CustodyEnded",
        "Absconded",
        "Returned",
        "Reassigned",
        "ViolationRecorded",
        "ViolationResponded",
        "TermStarted",
        "CustodyStarted",
        "Reassigned",
        "Discharged",
    ]
    data = [e["data"] for e in events]
    assert data[0]["start_reason"] == {"code": "new_sentence", "raw_text": "NEW"}
    assert data[0]["person"] == {
        "sex": {"code": "female", "raw_text": "F"},
        "race": {"code": "black", "raw_text": "B"},
        "ethnicity": {"code": "not_hispanic", "raw_text": "N"},
        "birth_year": "1990",
    }
    assert data[1]["level"]["code"] == "medium"
    assert [c["code"] for c in data[2]["added"]] == ["curfew"]
    assert [c["code"] for c in data[2]["removed"]] == ["drug_testing"]
    assert data[3]["reason"] == {"code": "sanction", "raw_text": "SANC"}
    assert (data[7]["officer"], data[7]["agency"]) == ("mo", "North")
    assert data[9]["decided_by"]["code"] == "court"
    assert data[9]["term_outcome"] == "revoked_technical"  # no discharge follows it
    assert data[10]["term"] == 2
    assert (data[10]["agency"], data[10]["officer"]) == ("South", "kb")
    assert data[10]["start_reason"]["code"] == "release_to_parole"
    assert data[11]["reason"]["code"] == "jail_hold"
    assert (data[12]["officer"], data[12]["agency"]) == ("wp", "West")


BAD = {
    "unknown level": (
        7,
        ("GA-1,LEVEL,01/05/2023,,,extreme,,,,,,,",),
        2,
        "line 9, column 'detail': level GA-1: level: Input should be 'maximum', 'high'",
    ),
    "custody-end without custody": (
        7,
        ("GA-1,FREED,01/05/2023,,,,,,,,,,",),
        3,
        "line 9: custody-end GA-1: client 'GA-1' is not in custody",
    ),
    "custody while absconded": (
        6,
        ("GA-1,JAIL,05/04/2023,,,HOLD,,,,,,,",),
        3,
        "line 8: custody GA-1: client 'GA-1' is absconded since 2023-04-01: record the "
        "return (return) first",
    ),
    "a change of status dated before the last": (
        7,
        ("GA-1,LEVEL,02/04/2023,,,low,,,,,,,",),
        3,
        "line 9: level GA-1: date 2023-04-02 is before the client's latest change of status "
        "(2023-04-20)",
    ),
    "removing a condition the term does not have": (
        2,
        ("GA-1,ORDER,01/02/2023,,,,,curfew,,,,,",),
        3,
        "line 4: conditions GA-1: client 'GA-1' has no condition curfew to remove",
    ),
    "a later term that gives who the person is again": (
        10,
        ("GA-1,INTAKE,01/09/2023,South,kb,PAR,,,REL,M,,,",),
        2,
        "line 12, column 'sex': enroll GA-1: client 'GA-1' is already enrolled: a later term "
        "takes the term's values only",
    ),
    "an unknown birth year": (
        0,
        ("GA-2,INTAKE,02/01/2023,North,jt,PROB,,,,,,,19x0",),
        2,
        "line 2, column 'born': enroll GA-2: birth year '19x0' is not a year",
    ),
    "a race not in the mapping's codes": (
        0,
        ("GA-2,INTAKE,02/01/2023,North,jt,PROB,,,,,Q,,",),
        2,
        "line 2, column 'race': 'Q' is not in the mapping's codes.race (nor one of our codes)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_refused_row_names_its_line_and_nothing_of_the_file_is_written(
    run, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    existing = import_rows(run, tmp_path, ["GA-7,INTAKE,01/06/2022,South,kb,PAR,curfew,,,,,,"], "a")
    assert existing.exit_code == 0, existing.output
    before = recorded(run("export").stdout)
    at, inserted, code, message = BAD[name]
    result = import_rows(run, tmp_path, [*ROWS[:at], *inserted, *ROWS[at:]], "bad")
    assert result.exit_code == code, result.output
    assert f"bad.csv, {message}" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert recorded(run("export").stdout) == before
    assert run("show", "GA-1").exit_code == 4  # not even the rows before the refused one


def test_a_mapping_of_a_change_of_conditions_names_what_it_adds_or_removes(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        "reference = 'case_no'\nkind_column = 'record'\n[kinds.X]\ncommand = 'conditions'\n",
        encoding="utf-8",
    )
    path = tmp_path / "records.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    result = run("import", str(path), "--format", "csv", "--mapping", str(mapping))
    assert result.exit_code == 2
    assert "kinds.X (conditions) must name the column of add or remove" in result.stderr


def test_a_client_the_file_moves_to_another_agency_is_no_longer_the_importers(
    db_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()

    def run(actor: str, *args: str) -> Result:
        return runner.invoke(cli, ["--db", db_url, "--actor", actor, *args])

    assert run("aud", "users", "add", "aud", "--role", "auditor").exit_code == 0
    added = run("aud", "users", "add", "sup", "--role", "supervisor", "--agency", "North")
    assert added.exit_code == 0, added.output
    # a client moves only to an agency with staff (ADR 55)
    assert (
        run("aud", "users", "add", "sup-s", "--role", "supervisor", "--agency", "South").exit_code
        == 0
    )
    before = recorded(run("aud", "export").stdout)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "moved.csv"
    rows = [ROWS[0], "GA-1,MOVE,01/05/2023,South,kb,,,,,,,,", "GA-1,GONE,01/06/2023,,,,,,,,,,"]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    result = run("sup", "import", str(path), "--format", "csv", "--mapping", str(mapping))
    assert result.exit_code == 3, result.output
    assert "line 4, column 'case_no': abscond GA-1: client 'GA-1' is not enrolled" in result.stderr
    assert recorded(run("aud", "export").stdout) == before
