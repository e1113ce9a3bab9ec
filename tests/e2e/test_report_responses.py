"""`report responses` through the CLI, on both backends: the document it prints, its formats,
and its refusals of a wrong option (exit 2, a clean message, no trace, nothing printed on
stdout).

The ledger (recorded through the application; 2024, a leap year):
- GA-1, agency GA, from 1 Jan: V1 curfew 1 Feb, recommended warning 2 Feb, decided warning
  3 Feb; commendation 1 Mar, level_reduced 1 Apr. Open: 366 days at risk in 2024.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import Result

from reentry_ledger.application import Ledger
from tests.builders import TODAY

YEAR = ("--from", "2024-01-01", "--to", "2024-12-31")
# every column of the report, in order (docs/metrics.md, "Responses and incentives")
COLUMNS = [
    "clients", "days_at_risk",
    "decisions_warning", "decisions_increased_reporting", "decisions_curfew",
    "decisions_electronic_monitoring", "decisions_community_service",
    "decisions_treatment_referral", "decisions_custody_sanction", "decisions_other_sanction",
    "decisions_continuance", "decisions_revocation",
    "decisions", "sanctions", "recommendations", "recommendations_followed",
    "incentives_reduced_reporting", "incentives_curfew_lifted", "incentives_commendation",
    "incentives_early_discharge_recommended", "incentives_level_reduced", "incentives",
    "sanctions_per_100_person_years", "sanctions_per_100_person_years_low",
    "sanctions_per_100_person_years_high",
    "incentives_per_100_person_years", "incentives_per_100_person_years_low",
    "incentives_per_100_person_years_high",
    "incentive_to_sanction_ratio", "custody_days_decided",
]  # fmt: skip


@pytest.fixture
def recorded(db_url: str) -> None:
    ledger = Ledger(db_url, clock=lambda: TODAY)
    ledger.enroll("GA-1", actor="jdoe", start=date(2024, 1, 1), agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    v1 = ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 2, 1), technical=("curfew",))
    for on, recommendation in ((date(2024, 2, 2), True), (date(2024, 2, 3), False)):
        ledger.respond_to_violation(
            "GA-1", v1.new_id, "warning", actor="jdoe", on=on, recommendation=recommendation
        )
    ledger.grant_incentive("GA-1", actor="jdoe", on=date(2024, 3, 1), kind="commendation")
    ledger.grant_incentive("GA-1", actor="jdoe", on=date(2024, 4, 1), kind="level_reduced")
    ledger.close()


def refused(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    return result.stderr


def test_the_json_document_has_every_column_in_every_group(run, recorded) -> None:  # type: ignore[no-untyped-def]
    result = run("report", "responses", "--by", "agency", *YEAR, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [group] = document["groups"]
    assert list(group) == ["agency", *COLUMNS]
    assert set(document) == {"groups", "definitions_version"}
    # one warning decided (the recommendation is none), two incentives, 366 days at risk
    assert (group["decisions_warning"], group["decisions"], group["sanctions"]) == (1, 1, 1)
    assert (group["recommendations"], group["recommendations_followed"]) == (1, 1)
    assert (group["incentives"], group["days_at_risk"]) == (2, 366)
    assert group["incentive_to_sanction_ratio"] == 2.0  # 2 incentives / 1 sanction


def test_csv_carries_every_column_and_the_table_a_readable_few(run, recorded) -> None:  # type: ignore[no-untyped-def]
    csv = run("report", "responses", *YEAR, "--period", "year", "--format", "csv")
    assert csv.exit_code == 0, csv.output
    header, row = csv.stdout.splitlines()
    assert header.split(",") == ["period", *COLUMNS]
    assert row.startswith("2024,1,366,1,")
    table = run("report", "responses", *YEAR)
    assert table.exit_code == 0, table.output
    assert table.stdout.split("\n")[0].split() == [
        "clients", "days_at_risk", "decisions", "sanctions", "recommendations",
        "recommendations_followed", "incentives", "sanctions_per_100_person_years",
        "incentives_per_100_person_years", "incentive_to_sanction_ratio",
    ]  # fmt: skip


def test_small_counts_are_hidden_when_asked(run, recorded) -> None:  # type: ignore[no-untyped-def]
    result = run("report", "responses", *YEAR, "--suppress-below", "3", "--format", "json")
    [group] = json.loads(result.stdout)["groups"]
    # 1 client, 1 decision, 2 incentives: hidden, with the days and everything from them
    assert group["clients"] == group["decisions_warning"] == group["incentives"] == "withheld"
    assert group["days_at_risk"] == group["incentive_to_sanction_ratio"] == "withheld"
    assert group["decisions_curfew"] == 0  # zero is shown


def test_a_wrong_option_value_is_refused_cleanly(run, recorded) -> None:  # type: ignore[no-untyped-def]
    unknown = refused(run("report", "responses", "--by", "colour", *YEAR))
    assert unknown.startswith("Error: --by: unknown dimension 'colour' (known: agency,")
    for report in ("responses", "violations", "needs"):  # it had been taken as once
        twice = refused(run("report", report, "--by", "officer,risk,officer", *YEAR))
        assert twice == (
            "Error: --by: 'officer' given more than once (each dimension at most once)\n"
        )
    assert "'week' is not one of 'month', 'quarter', 'year'" in refused(
        run("report", "responses", "--period", "week")
    )
    backwards = run("report", "responses", "--from", "2024-02-01", "--to", "2024-01-01")
    assert refused(backwards) == "Error: --from 2024-02-01 is after --to 2024-01-01\n"
    assert "--format" in refused(run("report", "responses", "--format", "xml"))
    assert "--suppress-below" in refused(run("report", "responses", "--suppress-below", "1"))
