"""The Iowa releases file: per-agency counts from the report equal those counted straight from
the CSV with the standard library; a return is a revocation decision that ends the term."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from reentry_ledger.cli import cli
from reentry_ledger.ingest.iowa import (
    deciding_body,
    offence_type_for,
    race_and_ethnicity,
    severity_for,
    supervision_for,
)
from tests.shared_data import IOWA, require


def expected_by_agency(path: Path) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            agency = row["Main Supervising District"].strip() or "unknown"
            counter = counts.setdefault(agency, Counter())
            counter["clients"] += 1
            if row["Recidivism Type"] == "Tech":
                counter["technical_violations"] += 1
                counter["revocations_technical"] += 1
            elif row["Recidivism Type"] == "New":
                counter["new_offences"] += 1
                counter["revocations_new_offence"] += 1
    return {agency: dict(counter) for agency, counter in counts.items()}


def test_report_by_agency_matches_counts_from_the_csv(db_url: str) -> None:
    path = require(IOWA)
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "importer"}
    imported = runner.invoke(cli, ["import", str(path), "--format", "iowa"], env=env)
    assert imported.exit_code == 0, imported.output
    assert "imported 17060 clients" in imported.stderr
    assert "New Offense Classification: 'Public Order' x 13" in imported.stderr

    result = runner.invoke(
        cli, ["report", "violations", "--by", "agency", "--format", "json"], env=env
    )
    groups = {g["agency"]: g for g in json.loads(result.stdout)["groups"]}
    expected = expected_by_agency(path)
    assert set(groups) == set(expected)
    for agency, counts in expected.items():
        for metric in ("clients", "technical_violations", "new_offences",
                       "revocations_technical", "revocations_new_offence"):  # fmt: skip
            assert groups[agency][metric] == counts.get(metric, 0), (agency, metric)

    for line in ("New Offense Type: 'Flight/Escape' x 12", "New Offense Type: 'Assault' x 3",
                 "New Offense Type: 'Drug Possession' x 2", "New Offense Type: 'Sex' x 1",
                 "New Offense Type: 'Traffic' x 1"):  # fmt: skip
        assert line in imported.stderr  # the 19 rows whose new-offence columns are shifted

    timeline = runner.invoke(cli, ["timeline", "IA-2010-1", "--json"], env=env)
    events = json.loads(timeline.stdout)
    # Row 1: FY2010, 7JD, Parole, returned after 433 days for a new C Felony (Drug,
    # Trafficking): a conviction, and the Board of Parole's revocation, which ends the term.
    assert [e["type"] for e in events] == ["Enrolled", "ViolationRecorded", "ViolationResponded"]
    assert events[0]["data"]["agency"] == "7JD"
    assert events[0]["data"]["supervision"] == {"code": "parole", "raw_text": "Parole"}
    assert events[0]["data"]["details"]["Offense Subtype"] == "Robbery"
    assert events[0]["data"]["details"]["New Offense Sub Type"] == "Trafficking"
    assert events[1]["occurred_on"] == "2011-03-10"  # 2010-01-01 + 365 + 68 days
    assert events[1]["data"]["new_offence"]["severity"] == {
        "code": "felony",
        "raw_text": "C Felony",
    }
    assert events[1]["data"]["new_offence"]["basis"] == {"code": "conviction", "raw_text": "New"}
    assert events[1]["data"]["new_offence"]["offence_type"] == {
        "code": "drug",
        "raw_text": "Drug",
    }
    decision = events[2]
    assert decision["occurred_on"] == "2011-03-10"
    assert decision["data"]["response"]["code"] == "revocation"
    assert decision["data"]["decided_by"] == {"code": "parole_board", "raw_text": "Parole"}
    assert decision["data"]["recommendation"] is False
    assert decision["data"]["term_outcome"] == "revoked_new_offence"
    # Row 2: discharged at the end of the sentence (no supervision), returned after 453 days
    # for a technical violation: a court's decision.
    second = json.loads(runner.invoke(cli, ["timeline", "IA-2010-2", "--json"], env=env).stdout)
    assert [e["type"] for e in second] == ["Enrolled", "ViolationRecorded", "ViolationResponded"]
    assert second[1]["data"]["technical"] == [{"code": "other_condition", "raw_text": "Tech"}]
    assert second[2]["data"]["decided_by"] == {
        "code": "court",
        "raw_text": "Discharged \u2013 End of Sentence",
    }
    assert second[2]["data"]["term_outcome"] == "revoked_technical"
    enrolled = events[0]["data"]
    assert enrolled["start_reason"] == {"code": "release_to_parole", "raw_text": "Parole"}
    assert enrolled["person"]["race"] == {"code": "black", "raw_text": "Black"}
    assert enrolled["person"]["ethnicity"] == {"code": "not_hispanic", "raw_text": "Non-Hispanic"}
    assert enrolled["person"]["sex"] == {"code": "male", "raw_text": "Male"}
    assert enrolled["age_band"] == {"code": "25_34", "raw_text": "25-34"}

    # Non-returners' terms end with their follow-up: no one is under supervision in 2025.
    counts = runner.invoke(
        cli, ["report", "justice-counts", "--year", "2025", "--format", "json"], env=env
    )
    caseload = [g for g in json.loads(counts.stdout)["groups"] if "CASELOADS" in g["metric"]]
    assert {g["value"] for g in caseload} == {0}


@pytest.mark.parametrize(
    ("release_type", "supervision"),
    [
        ("Paroled w/Immediate Discharge", "reentry"),
        ("Parole", "parole"),
        ("Parole Granted", "parole"),
        ("Paroled to Detainer - INS", "parole"),
        ("Interstate Compact Parole", "parole"),
        ("Discharged \u2013 End of Sentence", "reentry"),  # an en dash, as in the file
        ("Discharged - Expiration of Sentence", "reentry"),
        ("Special Sentence", "post_release"),
        ("Released to Special Sentence", "post_release"),
        ("", None),
        ("Shock Probation", None),
    ],
)
def test_release_types_map_by_the_published_rules(
    release_type: str, supervision: str | None
) -> None:
    assert supervision_for(release_type) == supervision


@pytest.mark.parametrize(
    ("classification", "severity"),
    [("D Felony", "felony"), ("Felony - Enhancement to Original Penalty", "felony"),
     ("Aggravated Misdemeanor", "misdemeanor"), ("Simple Misdemeanor", "misdemeanor"),
     ("Public Order", "unknown"), ("", "unknown")],
)  # fmt: skip
def test_new_offence_classes_map_to_a_severity(classification: str, severity: str) -> None:
    assert severity_for(classification) == severity


@pytest.mark.parametrize(
    ("text", "offence_type"),
    [("Violent", "violent"), ("Property", "property"), ("Drug", "drug"),
     ("Public Order", "public_order"), ("Other", "other"), (" Drug ", "drug"),
     ("Flight/Escape", None), ("Assault", None), ("", None)],
)  # fmt: skip
def test_new_offence_types_are_iowas_own_five(text: str, offence_type: str | None) -> None:
    assert offence_type_for(text) == offence_type


@pytest.mark.parametrize(
    ("release_type", "body"),
    [("Parole", "parole_board"), ("Paroled to Detainer - INS", "parole_board"),
     ("Special Sentence", "parole_board"), ("Released to Special Sentence", "parole_board"),
     ("Discharged - Expiration of Sentence", "court"),
     ("Paroled w/Immediate Discharge", "court"), ("Work Release", "court"), ("", "court")],
)  # fmt: skip
def test_a_return_is_decided_by_the_board_of_parole_after_a_release_to_supervision_else_a_court(
    release_type: str, body: str
) -> None:
    assert deciding_body(supervision_for(release_type)) == body


@pytest.mark.parametrize(
    ("text", "race", "ethnicity"),
    [("White - Non-Hispanic", "white", "not_hispanic"), ("Black - Hispanic", "black", "hispanic"),
     ("American Indian or Alaska Native - Hispanic", "american_indian_alaska_native", "hispanic"),
     ("Asian or Pacific Islander - Non-Hispanic", "asian", "not_hispanic"),
     ("White -", "white", "unknown"), ("N/A -", "unknown", "unknown"), ("", "unknown", "unknown")],
)  # fmt: skip
def test_race_and_ethnicity_split_into_our_codes_keeping_each_part_as_written(
    text: str, race: str, ethnicity: str
) -> None:
    found = race_and_ethnicity(text)
    assert (found[0]["code"], found[1]["code"]) == (race, ethnicity)
    assert " - ".join(filter(None, (found[0]["raw_text"], found[1]["raw_text"]))) == (
        text.removesuffix(" -")
    )


HEADER = (
    "Fiscal Year Released,Recidivism Reporting Year,Main Supervising District,Release Type,"
    "Race - Ethnicity,Age At Release ,Sex,Offense Classification,Offense Type,Offense Subtype,"
    "Return to Prison,Days to Return,Recidivism Type,New Offense Classification,New Offense Type,"
    "New Offense Sub Type,Target Population\n"
)


def test_values_of_other_years_are_mapped_by_the_same_rules_never_refused(
    tmp_path: Path, db_url: str
) -> None:
    path = tmp_path / "fy2014.csv"
    path.write_text(
        HEADER
        + "2014,2017, 3JD ,Work Release,White,25-34,Female,C Felony,Drug,Trafficking,Yes,,Tech,,,,No\n"
        + "2014,2017,,Parole,White,25-34,Male,D Felony,Property,Theft,Yes,30,Escape,,,,No\n"
        + "2014,2017,1JD,Special Sentence,Black - Hispanic,35-44,Male,C Felony,Violent,Sex,Yes,"
        "100,New,Aggravated Misdemeanor,Sex Offender Registry,Other Public Order,Yes\n",
        encoding="utf-8",
    )
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "importer"}
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "iowa"], env=env)
    assert result.exit_code == 0, result.output
    assert "Release Type: 'Work Release' x 1" in result.stderr
    assert "Recidivism Type: 'Escape' x 1" in result.stderr
    assert "Days to Return: '(blank, Tech)' x 1" in result.stderr
    assert "New Offense Type: 'Sex Offender Registry' x 1" in result.stderr
    events = json.loads(
        CliRunner().invoke(cli, ["timeline", "IA-2014-1", "--json"], env=env).stdout
    )
    assert events[0]["data"]["agency"] == "3JD"
    assert events[0]["data"]["supervision"] == {"code": "unknown", "raw_text": "Work Release"}
    assert events[1]["occurred_on"] == "2016-12-31"  # end of the three-year follow-up
    assert "Days to Return missing" in events[1]["data"]["description"]
    # Release Type unknown: the return is a court's decision.
    assert events[2]["data"]["decided_by"] == {"code": "court", "raw_text": "Work Release"}
    assert events[2]["data"]["term_outcome"] == "revoked_technical"
    third = json.loads(CliRunner().invoke(cli, ["timeline", "IA-2014-3", "--json"], env=env).stdout)
    # A special sentence is supervised as if on parole: the Board of Parole decides. A type
    # with no rule is left out of the new offence (counted above), kept as written in details.
    assert [e["type"] for e in third] == ["Enrolled", "ViolationRecorded", "ViolationResponded"]
    offence = third[1]["data"]["new_offence"]
    assert offence["severity"] == {"code": "misdemeanor", "raw_text": "Aggravated Misdemeanor"}
    assert (offence["basis"]["code"], offence["offence_type"]) == ("conviction", None)
    assert third[0]["data"]["details"]["New Offense Type"] == "Sex Offender Registry"
    assert third[2]["data"]["decided_by"]["code"] == "parole_board"
    assert third[2]["data"]["term_outcome"] == "revoked_new_offence"
    second = json.loads(
        CliRunner().invoke(cli, ["timeline", "IA-2014-2", "--json"], env=env).stdout
    )
    # No return: the term ends on the last day of the three-year follow-up.
    assert [e["type"] for e in second] == ["Enrolled", "Discharged"]
    assert second[1]["occurred_on"] == "2016-12-31"
    assert second[1]["data"]["outcome"]["code"] == "other"
    assert "three-year follow-up" in second[1]["data"]["note"]


def test_a_bad_row_stores_nothing_and_names_line_and_column(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "2014,2017,3JD,Parole,White,25-34,Female,C Felony,Drug,Trafficking,No,,No Recidivism,,,,No\n"
        + "2014,2017,3JD,Parole,White,25-34,Female,C Felony,Drug,Trafficking,Yes,soon,Tech,,,,No\n",
        encoding="utf-8",
    )
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "importer"}
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "iowa"], env=env)
    assert result.exit_code == 2
    assert (
        f"{path}, line 3, column 'Days to Return': 'soon' is not a number of days" in result.stderr
    )
    shown = CliRunner().invoke(cli, ["show", "IA-2014-1"], env=env)
    assert shown.exit_code == 2 and "no ledger" in shown.stderr  # not even its tables


@pytest.mark.parametrize(
    ("year", "days", "column", "message"),
    [
        ("1800", "30", "Fiscal Year Released",
         "1800 is not a fiscal year the ledger takes (released 1800-01-01: dates run from "
         "1900-01-01 to today"),
        ("2030", "30", "Fiscal Year Released", "2030 is not a fiscal year the ledger takes"),
        ("2014", "99999", "Days to Return",
         "99999 is past the three-year follow-up (0 to 1095 days)"),
        ("2014", "1096", "Days to Return", "1096 is past the three-year follow-up"),
    ],
)  # fmt: skip
def test_a_date_out_of_range_names_its_line_and_column(
    tmp_path: Path, db_url: str, year: str, days: str, column: str, message: str
) -> None:
    """Each said only "occurred_on: 2283-10-16 is outside the dates..." or "is in the future",
    with no file, line or column; a return 13 years into the three-year follow-up was stored
    (found by an operator's probe)."""
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "2014,2017,3JD,Parole,White,25-34,Female,C Felony,Drug,Trafficking,No,,No Recidivism,,,,No\n"
        + f"{year},2017,3JD,Parole,White,25-34,Female,C Felony,Drug,Trafficking,Yes,{days},"
        "Tech,,,,No\n",
        encoding="utf-8",
    )
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "importer"}
    result = CliRunner().invoke(cli, ["import", str(path), "--format", "iowa"], env=env)
    assert result.exit_code == 2, result.output
    assert f"{path}, line 3, column '{column}': {message}" in result.stderr
    shown = CliRunner().invoke(cli, ["show", "IA-2014-1"], env=env)
    assert shown.exit_code == 2 and "no ledger" in shown.stderr
