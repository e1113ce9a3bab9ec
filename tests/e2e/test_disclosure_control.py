"""Small counts against a determined reader: each attack of issue 14 ("Small counts"), run as
the oversight role through the CLI, on both backends (docs/metrics.md, "Small counts").

The ledger (users: an auditor added first, then an oversight user and agency supervisors):
- GA-1..GA-10, parole, from 1 Jan 2024: a curfew breach on 1 Mar, revoked by the parole board
  on 5 Mar (which ends the term); a second term from 1 Apr, discharged successful on 15 May.
- GA-11, parole, from 1 Jan 2024: absconding on 1 Apr, revoked by the parole board on 5 Apr; a
  second term from 1 May, discharged early on 29 Jun (the one discharge that a range ending 28
  or 29 June would tell apart).
- GA-1 was also referred to housing on 1 Feb, accepted 5 Feb, started 13 Feb: 12 days.
- GB-1, agency GB, probation, from 1 Mar 2024: nothing else (a group of one, no violations).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.cli import cli

Run = Callable[..., Result]
DISCHARGE_TOTALS = (
    ("successful_total", ("successful", "early")),
    ("neutral", ("transferred", "death", "other")),
    ("unsuccessful", ("revoked_technical", "revoked_new_offence", "absconded")),
)
DIMENSIONS = {"agency", "officer", "supervision", "juvenile", "risk", "period", "service"}


@pytest.fixture
def run(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(actor: str, *args: str) -> Result:
        result = runner.invoke(cli, ["--db", db_url, "--actor", actor, *args])
        assert result.exit_code == 0, (args, result.output)
        return result

    return invoke


@pytest.fixture
def ledger(run: Run) -> Run:
    run("aud", "users", "add", "aud", "--role", "auditor")
    run("aud", "users", "add", "ov", "--role", "oversight")
    run("aud", "users", "add", "sup", "--role", "supervisor", "--agency", "GA")
    run("aud", "users", "add", "sup-gb", "--role", "supervisor", "--agency", "GB")
    for n in range(1, 12):
        ref = f"GA-{n}"
        run("sup", "enroll", ref, "--agency", "GA", "--officer", "o-1", "--supervision", "parole",
            "--start", "2024-01-01")  # fmt: skip
        if n == 1:
            referral = run("sup", "refer", ref, "--on", "2024-02-01", "--service", "housing")
            referral_id = referral.stdout.strip()
            run("sup", "referral", ref, referral_id, "accepted", "--on", "2024-02-05")
            run("sup", "referral", ref, referral_id, "started", "--on", "2024-02-13")
        kind, on, revoked, again, outcome, ended = (
            ("--technical", "2024-03-01", "2024-03-05", "2024-04-01", "successful", "2024-05-15")
            if n <= 10
            else ("--absconding", "2024-04-01", "2024-04-05", "2024-05-01", "early", "2024-06-29")
        )
        args = [kind, "curfew"] if kind == "--technical" else [kind]
        violation = run("sup", "violation", ref, "--on", on, *args).stdout.strip()
        run("sup", "respond", ref, violation, "revocation", "--on", revoked, "--by", "parole_board")
        run("sup", "enroll", ref, "--agency", "GA", "--officer", "o-1", "--supervision", "parole",
            "--start", again, "--start-reason", "release_to_parole")  # fmt: skip
        run("sup", "discharge", ref, "--on", ended, "--outcome", outcome)
    run("sup-gb", "enroll", "GB-1", "--agency", "GB", "--officer", "o-2", "--supervision",
        "probation", "--start", "2024-03-01")  # fmt: skip
    return run


def groups(run: Run, actor: str, *args: str) -> list[dict[str, Any]]:
    document = json.loads(run(actor, "report", *args, "--format", "json").stdout)
    return list(document["groups"])


def solvable(values: dict[Any, Any], relations: Sequence[tuple[Any, Sequence[Any]]]) -> list[Any]:
    """The relations `total = sum(parts)` with exactly one value hidden: it can be solved for."""
    return [
        (total, parts)
        for total, parts in relations
        if [isinstance(values[cell], str) for cell in (total, *parts)].count(True) == 1
    ]


def test_nothing_computed_over_hidden_people_is_shown_zero_rates_included(ledger: Run) -> None:
    year = ["--from", "2024-01-01", "--to", "2024-12-31"]
    gb = next(g for g in groups(ledger, "ov", "violations", "--by", "agency", *year)
              if g["agency"] == "GB")  # fmt: skip
    assert gb["clients"] == "withheld" and gb["technical_violations"] == 0
    shown = {
        key: value for key, value in gb.items() if key not in DIMENSIONS and value != "withheld"
    }
    # only counts of zero, and what has no value at all, may be shown: not a rate of 0 per
    # person-year, nor its upper limit, which would give the person-days away
    assert all(value in (0, None) for value in shown.values()), shown
    # a limit is shown only where it has no value (the technical share of no revoked term)
    assert all(
        shown[key] is None
        for key in shown
        if key.endswith(("_per_100_person_years", "_high", "_low"))
    )
    assert not any(key.endswith("_per_100_person_years") for key in shown)
    by_quarter = groups(ledger, "ov", "violations", "--by", "agency", "--period", "quarter", *year)
    for group in by_quarter:
        if group["clients"] == "withheld":
            assert group["person_days"] == group["days_at_risk"] == "withheld"
            assert all(group[key] == "withheld" for key in group if "_per_100" in key), group


def test_oversight_cannot_lower_its_threshold(ledger: Run) -> None:
    [lowered] = groups(ledger, "ov", "caseload", "--on", "2024-12-31", "--suppress-below", "2")
    assert lowered["active_clients"] == "withheld"
    [asked] = groups(ledger, "aud", "caseload", "--on", "2024-12-31", "--suppress-below", "2")
    assert asked["active_clients"] == "withheld"  # GB-1: others get what they ask for
    [exact] = groups(ledger, "aud", "caseload", "--on", "2024-12-31")
    assert exact["active_clients"] == 1


def test_a_median_of_fewer_than_k_people_is_hidden(ledger: Run) -> None:
    [housing] = groups(ledger, "ov", "referrals", "--to", "2024-12-31")
    assert housing["made"] == "withheld" and housing["median_days_to_start"] == "withheld"
    assert "_started_clients" not in housing
    [exact] = groups(ledger, "aud", "referrals", "--to", "2024-12-31")
    assert exact["median_days_to_start"] == 12
    [asked] = groups(ledger, "aud", "referrals", "--to", "2024-12-31", "--suppress-below", "5")
    assert asked["median_days_to_start"] == "withheld"


def test_discharge_totals_do_not_give_a_hidden_outcome_away(ledger: Run) -> None:
    [row] = groups(ledger, "ov", "discharges", "--from", "2024-01-01", "--to", "2024-06-30")
    assert row["successful"] == 10 and row["early"] == "withheld"
    assert row["successful_total"] == "withheld"  # else successful_total - successful = early
    assert row["revoked_technical"] == row["unsuccessful"] == 11  # each first term, revoked
    assert solvable(row, DISCHARGE_TOTALS) == []
    [exact] = groups(ledger, "aud", "discharges", "--from", "2024-01-01", "--to", "2024-06-30")
    assert exact["successful_total"] == 11
    [asked] = groups(ledger, "sup", "discharges", "--to", "2024-06-30", "--suppress-below", "3")
    assert (asked["successful_total"], asked["early"]) == ("withheld", "withheld")


def test_justice_counts_totals_do_not_give_a_hidden_breakdown_away(ledger: Run) -> None:
    rows = groups(ledger, "ov", "justice-counts", "--year", "2024")
    values = {(r["month"], r["metric"], r["breakdown"]): r["value"] for r in rows}
    technical, absconding = "Technical Violations", "Absconding Violations"
    successful = "Successful Completions of Supervision"
    assert values[3, "PAROLE_SUPERVISION_VIOLATIONS", technical] == 10  # GA-1..GA-10
    assert values[4, "PAROLE_SUPERVISION_VIOLATIONS", absconding] == "withheld"  # GA-11
    assert values[4, "PAROLE_SUPERVISION_VIOLATIONS", None] == "withheld"  # else 1 - 0 = 1
    assert values[5, "PAROLE_SUPERVISION_TERMINATIONS", successful] == 10
    assert values[6, "PAROLE_SUPERVISION_TERMINATIONS", None] == "withheld"  # GA-11's early one
    systems = ("PAROLE", "PROBATION", "OTHER_SUPERVISION")
    relations = []
    for month in range(1, 13):
        for metric in ("SUPERVISION_VIOLATIONS", "REVOCATIONS", "SUPERVISION_TERMINATIONS",
                       "POPULATION"):  # fmt: skip
            for system in ("SUPERVISION", *systems):
                name = f"{system}_{metric}"
                parts = [(month, name, b) for m, n, b in values if (m, n) == (month, name) and b]
                relations.append(((month, name, None), parts))
    for month, metric, breakdown in list(values):
        if metric.startswith("SUPERVISION_") and metric != "SUPERVISION_CASELOADS_STAFF":
            suffix = metric.removeprefix("SUPERVISION_")
            parts = [(month, f"{s}_{suffix}", breakdown) for s in systems]
            relations.append(((month, metric, breakdown), parts))
    assert solvable(values, relations) == []
    exact = groups(ledger, "aud", "justice-counts", "--year", "2024")
    assert {"year": 2024, "month": 4, "system": "PAROLE", "metric": "PAROLE_SUPERVISION_VIOLATIONS",
            "breakdown_category": None, "breakdown": None, "value": 1} in exact  # fmt: skip


def test_revoked_terms_by_kind_do_not_give_a_hidden_one_away(ledger: Run) -> None:
    """11 revoked terms in 2024, 10 technical and 1 absconding, by 11 decisions: with the one
    absconding hidden, decisions - technical - new offence = 11 - 10 - 0 would give it away, so
    the revoked terms by kind (and those named technical) are hidden as a block."""
    year = ["--from", "2024-01-01", "--to", "2024-12-31"]
    [exact] = groups(ledger, "aud", "violations", *year)
    kinds = ("revocations_technical", "revocations_absconding", "revocations_new_offence")
    assert [exact[k] for k in kinds] == [10, 1, 0]
    assert (exact["revocation_decisions"], exact["revocations_named_technical"]) == (11, 10)
    [row] = groups(ledger, "ov", "violations", *year)
    assert row["revocation_decisions"] == 11
    assert [row[k] for k in (*kinds, "revocations_named_technical")] == ["withheld"] * 4
    assert row["technical_revocation_share"] == row["technical_revocation_share_low"] == "withheld"
    relations = [("revocation_decisions", kinds), ("revocations_named_technical", kinds[:1])]
    assert solvable(row, relations) == []


def test_a_count_withheld_to_protect_another_is_not_said_to_be_small(ledger: Run) -> None:
    """The 10 technical revocations are hidden only because the one absconding beside them is:
    both show the same marker, which claims no bound (the marker "<10" had told the reader that
    10 was under 10), and the table says what the marker means; CSV says it on stderr, and a table
    with nothing withheld says nothing."""
    year = ["--from", "2024-01-01", "--to", "2024-12-31"]
    [row] = groups(ledger, "ov", "violations", *year)
    assert row["revocations_technical"] == row["revocations_absconding"] == "withheld"
    assert row["absconding_per_100_person_years"] == "withheld"  # a rate: no bound either
    legend = (
        "withheld: a count too small to show, or a value or total that would give one away "
        '(docs/metrics.md, "Small counts")'
    )
    table = ledger("ov", "report", "violations", *year)
    assert legend in table.stdout.splitlines() and "<10" not in table.stdout
    as_csv = ledger("ov", "report", "violations", *year, "--format", "csv")
    assert legend not in as_csv.stdout and legend in as_csv.stderr.splitlines()
    assert legend not in ledger("aud", "report", "violations", *year).stdout


def test_two_nearby_ranges_give_the_same_report(ledger: Run) -> None:
    for report in (["discharges"], ["violations"], ["volunteers"], ["referrals"]):
        before = ledger("ov", "report", *report, "--to", "2024-06-27", "--format", "json").stdout
        after = ledger("ov", "report", *report, "--to", "2024-06-29", "--format", "json").stdout
        assert before == after, report
        assert json.loads(after)["snapped_to_months"] is True
        # which months, as the table's last line says them (JSON had only `true`)
        snapped = {"first": "2024-01-01", "last": "2024-05-31", "known_at": None}
        assert json.loads(after)["snapped"] == snapped, report
    audited = [
        groups(ledger, "aud", "discharges", "--to", day)[0]["early"]
        for day in ("2024-06-27", "2024-06-29")
    ]
    assert audited == [0, 1]  # the attack, as others may see it
    caseloads = [
        ledger("ov", "report", "caseload", "--on", day, "--format", "json").stdout
        for day in ("2024-06-28", "2024-06-30", "2024-07-03")
    ]
    assert caseloads[0] != caseloads[1] == caseloads[2]  # the caseload on 31 May, then 30 June
    table = ledger("ov", "report", "discharges", "--to", "2024-06-29").stdout
    assert "snapped to whole calendar months: 2024-01-01..2024-05-31" in table.splitlines()[-1]
    assert (
        "snapped_to_months" not in ledger("aud", "report", "discharges", "--format", "json").stdout
    )


def test_known_at_snaps_to_the_start_of_its_month(ledger: Run) -> None:
    now = datetime.now(UTC)
    month = now.strftime("%Y-%m-01T00:00:00Z")
    args = ["discharges", "--to", "2024-06-30", "--known-at"]
    # everything above was recorded this month: as known at its first moment, nothing was
    assert groups(ledger, "ov", *args, now.isoformat()) == groups(ledger, "ov", *args, month) == []
    assert groups(ledger, "aud", *args, now.isoformat())[0]["successful"] == 10
    table = ledger("ov", "report", *args, now.isoformat()).stdout
    assert f"as known at {month}" in table
    document = json.loads(ledger("ov", "report", *args, now.isoformat(), "--format", "json").stdout)
    assert document["snapped"]["known_at"] == month


def test_oversight_cannot_compare_cohorts_of_different_lengths(db_url: str, ledger: Run) -> None:
    """`--follow 10` against `--follow 11` would give away a month's count the by-month table
    hides: the oversight role follows terms 36 months only, and nothing else runs."""
    refused = CliRunner().invoke(
        cli, ["--db", db_url, "--actor", "ov", "report", "cohorts", "--follow", "11"]
    )
    assert refused.exit_code == 3
    assert "36 months only" in refused.output
    assert groups(ledger, "ov", "cohorts", "--follow", "36")  # the standard follow-up runs
    assert groups(ledger, "aud", "cohorts", "--follow", "11")  # others ask what they need


def test_a_known_at_snapped_to_a_month_ends_the_range_before_it(ledger: Run) -> None:
    """Oversight's --known-at is read as of the start of its month: the range must not run on
    through that month, counting days the ledger did not yet know about (issue 16)."""
    late = ledger("ov", "report", "violations", "--known-at", "2024-06-30T23:59:59Z")
    footer = late.output.splitlines()[-1]
    assert footer.endswith("2024-05-31, as known at 2024-06-01T00:00:00Z"), footer


def test_oversights_range_into_the_future_is_cut_to_the_months_ended_by_today(ledger: Run) -> None:
    # other roles are refused a --to after today (test_report_range_end); oversight's range is
    # snapped to whole months ended by today, and says so, so "this year" still answers
    later = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()
    for report, option in (("violations", "--to"), ("discharges", "--to"), ("caseload", "--on")):
        ahead = ledger("ov", "report", report, option, later, "--format", "json").stdout
        assert json.loads(ahead)["snapped_to_months"] is True
        assert json.loads(ahead)["groups"] == groups(ledger, "ov", report)


def test_oversight_asking_for_a_threshold_below_its_floor_is_told_it_is_raised(
    ledger: Run,
) -> None:
    """Oversight's `--suppress-below 5` is shown as with 10, the role's floor: said on stderr
    (it had been raised without a word, so the reader took the counts withheld for those under 5)."""
    asked = ledger("ov", "report", "violations", "--suppress-below", "5")
    floor = ledger("ov", "report", "violations")
    assert asked.stdout == floor.stdout
    assert "Note: --suppress-below 5 is below the oversight role's floor: counts from 1 to 9 " \
        "are hidden" in asked.stderr  # fmt: skip
    assert "Note:" not in floor.stderr
    assert "Note:" not in ledger("ov", "report", "violations", "--suppress-below", "12").stderr
