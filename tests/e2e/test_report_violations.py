"""report violations on a small ledger built through the CLI, every number worked out by hand.

The ledger (year 2024 unless said):
- GA-1, agency GA, probation, from 1 Jan; assessed low 1 Jan; curfew breach 1 Mar, revoked by
  the court 10 Mar with 30 custody days, which ends the term (revoked_technical).
  Supervised 1 Jan-10 Mar: 31 + 29 + 10 = 70 days, all low.
- GA-2, agency GA, parole, from 1 Jun; assessed high 1 Jul; failure to report 15 Jul, sanction
  16 Jul with 3 custody days; felony 15 Aug, revoked by the court 20 Aug, which ends the term;
  a second term (parole) from 1 Sep, still open.
  Unassessed 1-30 Jun = 30 days; high 1 Jul-20 Aug = 31 + 20 = 51 days and 1 Sep-31 Dec =
  30 + 31 + 30 + 31 = 122 days: 173 days (the assessment carries over into the second term).
- GB-1, agency GB, probation, from 1 Jun 2023; assessed moderate 5 Jun 2023; curfew breach and
  absconding 1 Feb (one incident: absconding); a technical breach 1 Apr later retracted;
  revoked by the parole board 31 May (revoked_technical: absconding is a breach of a
  condition). In 2024: 31+29+31+30+31 = 152 days, moderate.
- GB-2, agency GB, from 5 Jan 2025: outside the range, never counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.reports import chart

YEAR = ["--from", "2024-01-01", "--to", "2024-12-31"]


def per_100_person_years(count: int, days: int) -> float:
    return round(100 * count / (days / 365.25), 4)


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "analyst"}

    def invoke(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


@pytest.fixture
def ledger(run):  # type: ignore[no-untyped-def]
    run(
        "enroll",
        "GA-1",
        "--agency",
        "GA",
        "--officer",
        "o-1",
        "--supervision",
        "probation",
        "--start",
        "2024-01-01",
    )
    run("assess", "GA-1", "--on", "2024-01-01", "--instrument", "ORAS", "--risk", "low")
    v = run("violation", "GA-1", "--on", "2024-03-01", "--technical", "curfew").strip()
    run("respond", "GA-1", v, "revocation", "--on", "2024-03-10", "--custody-days", "30",
        "--by", "court")  # fmt: skip

    run(
        "enroll",
        "GA-2",
        "--agency",
        "GA",
        "--officer",
        "o-1",
        "--supervision",
        "parole",
        "--start",
        "2024-06-01",
    )
    run("assess", "GA-2", "--on", "2024-07-01", "--instrument", "ORAS", "--risk", "high")
    t = run("violation", "GA-2", "--on", "2024-07-15", "--technical", "failure_to_report").strip()
    run("respond", "GA-2", t, "sanction", "--on", "2024-07-16", "--custody-days", "3")
    f = run("violation", "GA-2", "--on", "2024-08-15", "--new-offence", "felony").strip()
    run("respond", "GA-2", f, "revocation", "--on", "2024-08-20", "--by", "court")
    run("enroll", "GA-2", "--agency", "GA", "--officer", "o-1", "--supervision", "parole",
        "--start", "2024-09-01", "--start-reason", "release_to_parole")  # fmt: skip

    run(
        "enroll",
        "GB-1",
        "--agency",
        "GB",
        "--officer",
        "o-2",
        "--supervision",
        "probation",
        "--start",
        "2023-06-01",
    )
    run("assess", "GB-1", "--on", "2023-06-05", "--instrument", "ORAS", "--risk", "moderate")
    a = run(
        "violation", "GB-1", "--on", "2024-02-01", "--technical", "curfew", "--absconding"
    ).strip()
    run("violation", "GB-1", "--on", "2024-04-01", "--technical", "missed_drug_test")
    before_correction = json.loads(run("timeline", "GB-1", "--json"))[-1]["recorded_at"]
    run("correct", "GB-1", "4", "--reason", "the test was not due")
    run("respond", "GB-1", a, "revocation", "--on", "2024-05-31", "--by", "parole_board")

    run(
        "enroll",
        "GB-2",
        "--agency",
        "GB",
        "--officer",
        "o-2",
        "--supervision",
        "parole",
        "--start",
        "2025-01-05",
    )
    return before_correction


def report(run, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    document = json.loads(run("report", "violations", "--format", "json", *YEAR, *args))
    assert document["definitions_version"] == "4"
    return document["groups"]


def test_by_agency_and_risk(run, ledger) -> None:  # type: ignore[no-untyped-def]
    groups = report(run, "--by", "agency,risk", "--period", "year")
    assert [(g["agency"], g["risk"], g["period"]) for g in groups] == [
        ("GA", "unassessed", "2024"),
        ("GA", "low", "2024"),
        ("GA", "high", "2024"),
        ("GB", "moderate", "2024"),
    ]
    unassessed, low, high, moderate = groups
    assert (unassessed["clients"], unassessed["person_days"]) == (1, 30)
    assert unassessed["technical_violations"] == unassessed["new_offences"] == 0

    assert (low["clients"], low["person_days"], low["technical_violations"]) == (1, 70, 1)
    assert (low["revocations_technical"], low["custody_days_technical"]) == (1, 30)
    assert (low["revocation_decisions"], low["revocations_named_technical"]) == (1, 1)
    assert low["technical_revocation_share"] == 1.0
    assert low["technical_per_100_person_years"] == per_100_person_years(1, 70)
    assert low["technical_to_new_offence_ratio"] is None

    assert (high["clients"], high["person_days"]) == (1, 173)
    assert (high["technical_violations"], high["new_offences"], high["absconding"]) == (1, 1, 0)
    assert (high["clients_with_technical"], high["clients_with_new_offence"]) == (1, 1)
    assert (high["revocations_technical"], high["revocations_new_offence"]) == (0, 1)
    assert high["technical_revocation_share"] == 0.0
    assert high["custody_days_technical"] == 3  # a sanction's custody counts; it is no revocation
    assert (high["new_offences_basis_unknown"], high["new_offences_no_disposition"]) == (1, 1)
    assert high["technical_to_new_offence_ratio"] == 1.0
    assert high["technical_clients_per_100"] == 100.0

    assert (moderate["clients"], moderate["person_days"]) == (1, 152)
    assert (moderate["absconding"], moderate["technical_violations"]) == (1, 0)
    assert moderate["revocations_absconding"] == 1  # the board's, attributed to the absconding
    assert moderate["absconding_per_100_person_years"] == per_100_person_years(1, 152)


def test_one_group_without_by(run, ledger) -> None:  # type: ignore[no-untyped-def]
    [total] = report(run)
    assert "period" not in total and "agency" not in total
    assert total["clients"] == 3
    assert total["person_days"] == 70 + 30 + 173 + 152
    assert (total["technical_violations"], total["absconding"], total["new_offences"]) == (2, 1, 1)
    assert (total["clients_with_technical"], total["clients_with_new_offence"]) == (2, 1)
    assert (
        total["revocations_technical"],
        total["revocations_absconding"],
        total["revocations_new_offence"],
    ) == (1, 1, 1)
    assert (total["revocation_decisions"], total["revocations_named_technical"]) == (3, 1)
    # Wilson interval for 1 of 3 revoked terms at 95%: 6.15% to 79.23% (published tables).
    share = (
        total["technical_revocation_share"],
        total["technical_revocation_share_low"],
        total["technical_revocation_share_high"],
    )
    assert share == pytest.approx((0.3333, 0.0615, 0.7923), abs=0.0001)
    assert total["custody_days_technical"] == 33
    assert total["technical_to_new_offence_ratio"] == 2.0
    # Wilson interval for 2 of 3 clients at 95%: 20.77% to 93.85% (published tables).
    interval = (
        total["technical_clients_per_100"],
        total["technical_clients_per_100_low"],
        total["technical_clients_per_100_high"],
    )
    assert interval == pytest.approx((66.6667, 20.77, 93.85), abs=0.01)


def test_known_at_before_a_correction_counts_the_retracted_violation(run, ledger) -> None:  # type: ignore[no-untyped-def]
    [then] = report(run, "--known-at", ledger)
    assert then["technical_violations"] == 3
    assert then["clients_with_technical"] == 3
    [now] = report(run)
    assert now["technical_violations"] == 2


def test_quarters_split_person_days_and_events(run, ledger) -> None:  # type: ignore[no-untyped-def]
    groups = report(run, "--by", "agency", "--period", "quarter")
    ga = {g["period"]: g for g in groups if g["agency"] == "GA"}
    assert sorted(ga) == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert (ga["2024-Q1"]["person_days"], ga["2024-Q1"]["technical_violations"]) == (70, 1)
    assert ga["2024-Q2"]["person_days"] == 30  # GA-2 from 1 June
    # GA-2: 1 Jul-20 Aug and 1 Sep-30 Sep (between its terms, no one): 31 + 20 + 30
    assert (ga["2024-Q3"]["person_days"], ga["2024-Q3"]["new_offences"]) == (81, 1)
    assert ga["2024-Q4"]["person_days"] == 92
    gb = [g for g in groups if g["agency"] == "GB"]
    assert [(g["period"], g["person_days"]) for g in gb] == [("2024-Q1", 91), ("2024-Q2", 61)]


def test_from_to_filter_on_effective_dates(run, ledger) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(
        run(
            "report", "violations", "--format", "json", "--from", "2024-07-01", "--to", "2024-07-31"
        )
    )
    [july] = document["groups"]
    assert (july["clients"], july["person_days"], july["technical_violations"]) == (1, 31, 1)


def test_suppression_hides_small_counts_and_what_derives_from_them(run, ledger) -> None:  # type: ignore[no-untyped-def]
    [total] = report(run, "--suppress-below", "3")
    assert total["clients"] == 3
    assert total["technical_violations"] == "withheld"
    assert total["technical_per_100_person_years"] == "withheld"
    assert total["technical_to_new_offence_ratio"] == "withheld"
    assert total["person_days"] == 425
    # one revoked term of each kind: all three hidden, the share computed from them too
    assert total["revocations_technical"] == total["revocations_named_technical"] == "withheld"
    assert (
        total["technical_revocation_share"]
        == total["technical_revocation_share_high"]
        == "withheld"
    )
    assert total["revocation_decisions"] == 3


def test_json_is_byte_identical_across_runs_and_csv_has_the_same_columns(run, ledger) -> None:  # type: ignore[no-untyped-def]
    args = ["report", "violations", "--format", "json", "--by", "agency,risk", *YEAR]
    first, second = run(*args), run(*args)
    assert first == second
    csv_lines = run(
        "report", "violations", "--format", "csv", "--by", "agency,risk", *YEAR
    ).splitlines()
    assert csv_lines[0].split(",")[:3] == ["agency", "risk", "clients"]
    assert len(csv_lines) == 1 + 4


def test_every_metric_key_in_every_group(run, ledger) -> None:  # type: ignore[no-untyped-def]
    groups = report(run, "--by", "agency,officer,supervision,juvenile,risk", "--period", "month")
    keys = {tuple(g) for g in groups}
    assert len(keys) == 1
    for group in groups:
        for name in ("clients", "technical_violations", "revocations_technical"):
            assert isinstance(group[name], int)


def test_an_empty_ledger_reports_no_groups(run, db_url) -> None:  # type: ignore[no-untyped-def]
    Ledger(db_url).close()  # made, with no event (a report makes no ledger)
    assert json.loads(run("report", "violations", "--format", "json")) == {
        "groups": [],
        "definitions_version": "4",
    }


def test_a_report_catches_up_new_events_itself(run, ledger) -> None:  # type: ignore[no-untyped-def]
    assert report(run)[0]["new_offences"] == 1
    run("violation", "GA-2", "--on", "2024-09-01", "--new-offence", "misdemeanor")
    assert report(run)[0]["new_offences"] == 2


def test_chart_is_drawn(run, ledger, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the table, whose rows have no interval limits (it shows none): the chart's rows
    have them, or it would draw no interval and no point."""
    drawn: list[dict[str, object]] = []
    real = chart.draw
    monkeypatch.setattr(chart, "draw", lambda rows, *args: drawn.extend(rows) or real(rows, *args))
    target = tmp_path / "rates.svg"
    run("report", "violations", "--by", "agency", *YEAR, "--chart", str(target))
    assert target.read_text().lstrip().startswith("<?xml")
    ga = next(row for row in drawn if row["agency"] == "GA")
    rate, low, high = (ga[f"technical_per_100_person_years{s}"] for s in ("", "_low", "_high"))
    assert isinstance(low, float) and isinstance(high, float) and low < rate < high  # type: ignore[operator]


def test_open_enrolments_run_to_today_without_to(run, ledger) -> None:  # type: ignore[no-untyped-def]
    today = date.today()
    groups = json.loads(
        run("report", "violations", "--format", "json", "--by", "agency", "--from", "2024-01-01")
    )["groups"]
    ga = next(g for g in groups if g["agency"] == "GA")
    ga2_days = 30 + 31 + 20 + (today - date(2024, 9, 1)).days + 1  # its two terms
    assert ga["person_days"] == 70 + ga2_days


def rows(run, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(run("report", *args, "--format", "json"))["groups"]


def test_caseload_on_a_day(run, ledger) -> None:  # type: ignore[no-untyped-def]
    # 1 March 2024: GA-1 (until 10 Mar) and GB-1 (until 31 May); GA-2 starts 1 June.
    assert rows(run, "caseload", "--on", "2024-03-01", "--by", "agency") == [
        {"agency": "GA", "active_clients": 1},
        {"agency": "GB", "active_clients": 1},
    ]
    # 1 July 2024: only GA-2.
    assert rows(run, "caseload", "--on", "2024-07-01", "--by", "agency,officer") == [
        {"agency": "GA", "officer": "o-1", "active_clients": 1}
    ]


def test_discharges_by_outcome_and_class(run, ledger) -> None:  # type: ignore[no-untyped-def]
    [total] = rows(run, "discharges", *YEAR)
    # each revocation decision ended its term: GA-1 and GB-1 technical (GB-1's absconding is
    # a breach of a condition), GA-2's first term for its new offence
    assert (total["revoked_technical"], total["revoked_new_offence"]) == (2, 1)
    assert (total["absconded"], total["successful"]) == (0, 0)
    assert (total["unsuccessful"], total["successful_total"], total["neutral"]) == (3, 0, 0)


def test_referral_outcomes_and_days_to_start(run, ledger) -> None:  # type: ignore[no-untyped-def]
    run("refer", "GA-2", "--on", "2024-09-03", "--service", "housing")
    run("referral", "GA-2", "R1", "accepted", "--on", "2024-09-05")
    run("referral", "GA-2", "R1", "started", "--on", "2024-09-13")
    run("refer", "GA-2", "--on", "2024-09-04", "--service", "housing")
    run("referral", "GA-2", "R2", "declined", "--reason", "no_capacity", "--on", "2024-09-06")
    [housing] = rows(run, "referrals", *YEAR)
    assert housing == {
        "service": "housing", "made": 2, "accepted": 1, "declined": 1, "started": 1,
        "completed": 0, "dropped": 0, "median_days_to_start": 10,
    }  # fmt: skip


def test_volunteer_matches(run, ledger) -> None:  # type: ignore[no-untyped-def]
    run("match", "GA-2", "--on", "2024-09-10", "--volunteer", "v-1")
    run("unmatch", "GA-2", "--on", "2024-10-10", "--ending", "failed")
    run("match", "GA-2", "--on", "2024-10-20", "--volunteer", "v-2")
    [ga] = rows(run, "volunteers", *YEAR, "--by", "agency")
    assert ga == {
        "agency": "GA",
        "matched": 2,
        "ended": 1,
        "active_at_end": 1,
        "median_days_matched": 30,
        "ended_completed": 0,
        "ended_failed": 1,
        "ended_taken_back": 0,
        "ended_client_withdrew": 0,
        "ended_volunteer_withdrew": 0,
        "ended_term_ended": 0,
    }


def test_justice_counts_for_a_year(run, ledger) -> None:  # type: ignore[no-untyped-def]
    lines = run("report", "justice-counts", "--year", "2024", "--format", "csv").splitlines()
    assert lines[0] == "year,month,system,metric,breakdown_category,breakdown,value"
    values = {tuple(line.split(",")[1:6]): line.split(",")[6] for line in lines[1:]}
    starts = "SUPERVISION_SUPERVISION_STARTS"
    assert values["1", "SUPERVISION", starts, "", ""] == "1"  # GA-1
    assert values["6", "SUPERVISION", starts, "", ""] == "1"  # GA-2
    assert values["1", "PROBATION", "PROBATION_SUPERVISION_STARTS", "", ""] == "1"
    violations = ("SUPERVISION", "SUPERVISION_SUPERVISION_VIOLATIONS", "violation_type")
    assert values["3", *violations, "Technical Violations"] == "1"  # GA-1's curfew breach
    assert values["7", *violations, "Technical Violations"] == "1"  # GA-2's failure to report
    assert values["8", *violations, "New Offense Violations"] == "1"  # GA-2's felony
    # GA-2's felony, revoked by the court on 20 Aug: a parole revocation for a new offense
    assert values["8", "PAROLE", "PAROLE_REVOCATIONS", "", ""] == "1"
    revoked = ("PAROLE", "PAROLE_REVOCATIONS", "revocations_type")
    assert values["8", *revoked, "Revocations for New Offense Violations"] == "1"
    assert values["1", "OTHER_SUPERVISION", "OTHER_SUPERVISION_SUPERVISION_STARTS", "", ""] == "0"


def test_projection_commands(run, ledger) -> None:  # type: ignore[no-untyped-def]
    run("projections", "catch-up")
    status = json.loads(run("projections", "status", "--json"))
    assert {s["name"] for s in status} == {
        "clients",
        "risk",
        "violations",
        "referrals",
        "volunteers",
        "status",
        "people",
        "programmes",
        "contacts",
        "goals",
    }
    assert all(s["lag"] == 0 and s["position"] == s["head"] for s in status)
    run("contact", "GA-2", "--on", "2024-09-01")
    lagging = json.loads(run("projections", "status", "--json"))
    assert all(s["lag"] == 1 for s in lagging)
    before = run("report", "violations", "--format", "json", *YEAR)
    run("projections", "rebuild", "violations")
    assert run("report", "violations", "--format", "json", *YEAR) == before


@pytest.mark.parametrize("command", [["violations", "--by", "agency"], ["caseload"]])
def test_a_report_runs_without_the_cycle_collector_and_leaves_it_as_it_found_it(
    run: Callable[..., str], ledger: object, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    # a report of 100,000 groups holds millions of objects, which each of Python's full
    # collections walked again (ADR 43): the report's own objects hold no cycles to collect
    import gc

    from reentry_ledger.reports import output

    seen = []
    as_table = output.as_table
    for where in ("reentry_ledger.cli.reports", "reentry_ledger.reports.shown"):
        monkeypatch.setattr(
            f"{where}.as_table", lambda *args: seen.append(gc.isenabled()) or as_table(*args)
        )
    assert gc.isenabled()
    run("report", *command)  # (this module's `run` checks the exit code)
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        run("report", *command)
        assert not gc.isenabled()  # left off, as it was
    finally:
        gc.enable()
