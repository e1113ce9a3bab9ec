"""The violation report's definitions version 3, each counted by hand on a small ledger: revoked
terms (once, on the first revocation decision, attributed to the most serious violation in the
window before it, beside the one the decision names), decisions against recommendations, new
offences by basis and by current disposition, --exclude-dismissed, and the intervals of rates
of repeated events, widened by client (docs/metrics.md, "Responses and revocations").

Every client is enrolled on 10 Jan 2025 (START) on parole; today is 15 Jan 2026.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.cli import cli
from reentry_ledger.domain.events import ViolationResponded
from reentry_ledger.reports.facts import FactReader
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.stats import poisson_interval
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY
from tests.integration.test_projection_property import legacy_revocation

REVOKED = ("revocations_technical", "revocations_absconding", "revocations_new_offence")


def enroll(ledger: Ledger, ref: str, officer: str = "o-17", start: date = START) -> None:
    ledger.enroll(
        ref, actor="jdoe", start=start, agency="GA", officer=officer, supervision="parole"
    )


def report(ledger: Ledger, *by: str, **asked: Any) -> list[dict[str, Any]]:
    request = ReportRequest(today=TODAY, by=by, **asked)
    return list(Reports(ledger, "jdoe").violations(request)["groups"])


def total(ledger: Ledger, **asked: Any) -> dict[str, Any]:
    [group] = report(ledger, **asked)
    return group


def revoked(group: dict[str, Any]) -> tuple[int, int, int]:
    technical, absconding, new_offence = (group[name] for name in REVOKED)
    return technical, absconding, new_offence


def technical(ledger: Ledger, ref: str, on: date) -> str:
    return ledger.record_violation(ref, actor="jdoe", on=on, technical=("curfew",)).new_id or ""


def revoke(ledger: Ledger, ref: str, violation_id: str, on: date, **extra: Any) -> None:
    ledger.respond_to_violation(
        ref, violation_id, "revocation", actor="jdoe", on=on, decided_by="court", **extra
    )


def test_a_violation_recommended_for_revocation_then_revoked_by_the_court_is_one_revoked_term(
    ledger: Ledger,
) -> None:
    enroll(ledger, "GA-1")
    v1 = technical(ledger, "GA-1", date(2025, 3, 1))
    ledger.respond_to_violation(
        "GA-1", v1, "revocation", actor="jdoe", on=date(2025, 3, 3), recommendation=True
    )  # the officer's recommendation
    revoke(ledger, "GA-1", v1, date(2025, 3, 20))  # the court's decision
    group = total(ledger)
    # two responses recorded, one decision: one revoked term, for the technical violation
    [client] = FactReader(store_of(ledger), None).clients()
    assert len(client.responses) == 2
    assert revoked(group) == (1, 0, 0)
    assert (group["revocation_decisions"], group["revocations_named_technical"]) == (1, 1)
    assert group["technical_revocation_share"] == 1.0
    # the term ended on the decision: 10 Jan..20 Mar = 22 + 28 + 20 = 70 days
    assert group["person_days"] == 70


def store_of(ledger: Ledger) -> Any:
    """The projections' store, caught up."""
    reports = Reports(ledger, "jdoe")
    reports.runner.catch_up()
    return reports.runner.store


def test_a_technical_violation_revoked_while_a_new_charge_is_pending_is_a_new_offence_revocation(
    ledger: Ledger,
) -> None:
    enroll(ledger, "GA-1")
    technical(ledger, "GA-1", date(2025, 3, 1))
    charge = (
        ledger.record_violation(
            "GA-1", actor="jdoe", on=date(2025, 3, 10), new_offence="felony", basis="charge"
        ).new_id
        or ""
    )
    ledger.record_disposition("GA-1", charge, "pending", actor="jdoe", on=date(2025, 3, 12))
    v3 = technical(ledger, "GA-1", date(2025, 3, 20))
    revoke(ledger, "GA-1", v3, date(2025, 4, 1))  # the decision names the technical one
    group = total(ledger)
    assert revoked(group) == (0, 0, 1)  # attributed: the charge, ten days before V3
    assert group["revocations_named_technical"] == 1  # the named reading: technical
    assert group["technical_revocation_share"] == 0.0
    assert group["revocation_decisions"] == 1


@pytest.mark.parametrize(("before", "attributed"), [(365, (0, 0, 1)), (366, (1, 0, 0))])
def test_the_window_holds_the_decisions_day_and_the_365_days_before_it(
    ledger: Ledger, before: int, attributed: tuple[int, int, int]
) -> None:
    decided = date(2026, 1, 12)
    enroll(ledger, "GA-1", start=date(2024, 12, 1))
    ledger.record_violation(
        "GA-1", actor="jdoe", on=decided - timedelta(days=before), new_offence="misdemeanor"
    )
    v2 = technical(ledger, "GA-1", date(2025, 12, 20))
    revoke(ledger, "GA-1", v2, decided)
    # the misdemeanour on day 365 before the decision is in the window; on day 366, not
    assert revoked(total(ledger)) == attributed
    # a window of 30 days holds only the technical violation 23 days before
    assert revoked(total(ledger, window=30)) == (1, 0, 0)


def test_with_no_violation_in_the_window_the_named_one_stands(ledger: Ledger) -> None:
    enroll(ledger, "GA-1")
    absconding = (
        ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 2, 1), absconding=True).new_id
        or ""
    )
    revoke(ledger, "GA-1", absconding, date(2025, 5, 1))  # 89 days later
    assert revoked(total(ledger)) == (0, 1, 0)
    assert revoked(total(ledger, window=10)) == (0, 1, 0)  # nothing in the window: the named


def test_excluding_dismissed_offences_moves_the_incident_and_the_revocations_attribution(
    ledger: Ledger,
) -> None:
    enroll(ledger, "GA-1", officer="o-1")
    # one incident: a curfew breach and a new charge (category new offence)
    both = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2025, 3, 1), technical=("curfew",), new_offence="felony",
        basis="charge",
    ).new_id or ""  # fmt: skip
    v2 = technical(ledger, "GA-1", date(2025, 3, 10))
    revoke(ledger, "GA-1", v2, date(2025, 4, 15))
    # after the term ended, the charge is dismissed (a disposition may come after the end)
    ledger.record_disposition("GA-1", both, "dismissed", actor="jdoe", on=date(2025, 6, 1))
    enroll(ledger, "GA-2", officer="o-2")
    alone = (
        ledger.record_violation(
            "GA-2", actor="jdoe", on=date(2025, 3, 1), new_offence="misdemeanor", basis="arrest"
        ).new_id
        or ""
    )
    ledger.record_disposition("GA-2", alone, "acquitted", actor="jdoe", on=date(2025, 5, 1))

    as_recorded = {g["officer"]: g for g in report(ledger, "officer")}
    ga1, ga2 = as_recorded["o-1"], as_recorded["o-2"]
    assert (ga1["technical_violations"], ga1["new_offences"]) == (1, 1)
    assert revoked(ga1) == (0, 0, 1)  # the charge was in the window
    assert (ga1["new_offences_charge"], ga1["new_offences_dismissed"]) == (1, 1)
    assert (ga2["new_offences"], ga2["clients_with_new_offence"]) == (1, 1)
    assert ga2["new_offences_acquitted"] == 1

    set_aside = {g["officer"]: g for g in report(ledger, "officer", exclude_dismissed=True)}
    ga1, ga2 = set_aside["o-1"], set_aside["o-2"]
    # GA-1's incident falls back to its curfew breach: two technical violations, no new
    # offence; its revocation is attributed to the most serious left, technical
    assert (ga1["technical_violations"], ga1["new_offences"]) == (2, 0)
    assert (ga1["clients_with_technical"], ga1["clients_with_new_offence"]) == (1, 0)
    assert revoked(ga1) == (1, 0, 0)
    assert ga1["new_offences_charge"] == ga1["new_offences_dismissed"] == 0
    # GA-2's incident had nothing but the acquitted offence: not counted at all
    assert (ga2["new_offences"], ga2["technical_violations"], ga2["absconding"]) == (0, 0, 0)
    assert (ga2["clients_with_new_offence"], ga2["new_offences_acquitted"]) == (0, 0)
    assert ga2["clients"] == 1  # still supervised


def test_new_offences_by_basis_and_by_current_disposition(ledger: Ledger) -> None:
    enroll(ledger, "GA-1")

    def offence(on: date, basis: str | None) -> str:
        return (
            ledger.record_violation(
                "GA-1", actor="jdoe", on=on, new_offence="felony", basis=basis
            ).new_id
            or ""
        )

    arrest = offence(date(2025, 2, 1), "arrest")
    charge = offence(date(2025, 3, 1), "charge")
    conviction = offence(date(2025, 4, 1), "conviction")
    offence(date(2025, 5, 1), None)  # recorded without a basis, no disposition
    second_charge = offence(date(2025, 6, 1), "charge")
    # the arrest: pending, then convicted; recorded in the other order, the later date holds
    ledger.record_disposition("GA-1", arrest, "convicted", actor="jdoe", on=date(2025, 7, 1))
    ledger.record_disposition("GA-1", arrest, "pending", actor="jdoe", on=date(2025, 2, 2))
    ledger.record_disposition("GA-1", charge, "dismissed", actor="jdoe", on=date(2025, 7, 1))
    ledger.record_disposition("GA-1", conviction, "convicted", actor="jdoe", on=date(2025, 4, 2))
    ledger.record_disposition("GA-1", second_charge, "acquitted", actor="jdoe", on=date(2025, 8, 1))
    group = total(ledger)
    assert group["new_offences"] == 5
    # by basis: arrest 1, charge 2, conviction 1, not said 1 (sum 5)
    assert [group[f"new_offences_{b}"] for b in ("arrest", "charge", "conviction")] == [1, 2, 1]
    assert group["new_offences_basis_unknown"] == 1
    # by disposition as it now stands: convicted 2 (the arrest, the conviction), dismissed 1,
    # acquitted 1, none 1, pending 0 (the arrest's pending was overtaken)
    dispositions = ("pending", "convicted", "dismissed", "acquitted", "no_disposition")
    assert [group[f"new_offences_{d}"] for d in dispositions] == [0, 2, 1, 1, 1]
    # dismissed and acquitted set aside: 3 left (arrest, conviction, no basis), all convicted
    # or undisposed
    kept = total(ledger, exclude_dismissed=True)
    assert kept["new_offences"] == 3
    assert [kept[f"new_offences_{d}"] for d in dispositions] == [0, 2, 0, 0, 1]
    assert [kept[f"new_offences_{b}"] for b in ("arrest", "charge", "conviction")] == [1, 0, 1]


def test_custody_days_count_decisions_only(ledger: Ledger) -> None:
    enroll(ledger, "GA-1")
    v1 = technical(ledger, "GA-1", date(2025, 3, 1))
    ledger.respond_to_violation(
        "GA-1", v1, "custody_sanction", actor="jdoe", on=date(2025, 3, 2), custody_days=10,
        recommendation=True,
    )  # fmt: skip
    ledger.respond_to_violation(
        "GA-1", v1, "custody_sanction", actor="jdoe", on=date(2025, 3, 5), custody_days=5
    )
    group = total(ledger)
    assert group["custody_days_technical"] == 5  # not 10 + 5: a recommendation decides nothing
    assert revoked(group) == (0, 0, 0) and group["revocation_decisions"] == 0


def test_a_revocations_custody_goes_with_what_the_revocation_is_attributed_to(
    ledger: Ledger,
) -> None:
    """A revocation on a technical violation, with a felony charge in its window, is a
    revocation for a new offence: its 180 days in custody were counted as technical all the
    same (`custody_days_technical`), on the same row that called it a new offence's."""
    enroll(ledger, "GA-1")
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 3, 1), new_offence="felony",
                            basis="charge")  # fmt: skip
    v2 = technical(ledger, "GA-1", date(2025, 4, 1))
    revoke(ledger, "GA-1", v2, date(2025, 5, 1), custody_days=180)
    enroll(ledger, "GA-2")  # revoked on a technical violation alone: its days are technical
    revoke(ledger, "GA-2", technical(ledger, "GA-2", date(2025, 4, 1)), date(2025, 5, 1),
           custody_days=90)  # fmt: skip
    assert revoked(total(ledger)) == (1, 0, 1)
    group = total(ledger)
    assert group["custody_days_technical"] == 90


def test_a_term_with_two_revocation_decisions_stored_before_counts_once_on_the_first(
    ledger: Ledger,
) -> None:
    """Revocations stored before decisions ended terms stay decisions (even the officer's) and
    end nothing: a term may hold two, and the discharge citing one ends it."""
    enroll(ledger, "GA-1")
    v1 = technical(ledger, "GA-1", date(2025, 3, 1))
    legacy_revocation(ledger, "GA-1", v1, date(2025, 3, 10), discharged=False)
    v2 = technical(ledger, "GA-1", date(2025, 4, 1))
    legacy_revocation(ledger, "GA-1", v2, date(2025, 4, 10), discharged=True)  # discharged 17 Apr
    decisions = [e for e in ledger.get_client("GA-1").history if isinstance(e, ViolationResponded)]
    assert [(e.decided_by.code, e.term_outcome) for e in decisions] == [("officer", None)] * 2
    by_month = {g["period"]: g for g in report(ledger, period="month", last=date(2025, 4, 30))}
    # the term counts once, in March, on its first decision; April holds the second decision
    assert (revoked(by_month["2025-03"]), by_month["2025-03"]["revocation_decisions"]) == (
        (1, 0, 0), 1
    )  # fmt: skip
    assert (revoked(by_month["2025-04"]), by_month["2025-04"]["revocation_decisions"]) == (
        (0, 0, 0), 1
    )  # fmt: skip
    # the discharge that cites the second decision ended the term on 17 Apr
    assert by_month["2025-04"]["person_days"] == 17


def test_a_reinstatement_reopens_the_term_and_it_is_no_longer_revoked(ledger: Ledger) -> None:
    enroll(ledger, "GA-1")
    v1 = technical(ledger, "GA-1", date(2025, 3, 1))
    revoke(ledger, "GA-1", v1, date(2025, 3, 20))
    assert revoked(total(ledger, last=date(2025, 12, 31))) == (1, 0, 0)
    decision = len(ledger.get_client("GA-1").history)
    ledger.correct("GA-1", decision, actor="jdoe", reason="overturned on appeal", on=TODAY)
    group = total(ledger, last=date(2025, 12, 31))
    assert revoked(group) == (0, 0, 0) and group["revocation_decisions"] == 0
    assert group["person_days"] == 356  # 10 Jan..31 Dec: the term runs on


def test_an_absconded_discharge_is_no_revocation_and_an_unsuccessful_discharge(
    ledger: Ledger,
) -> None:
    enroll(ledger, "GA-1")
    ledger.record_violation("GA-1", actor="jdoe", on=date(2025, 3, 1), absconding=True)
    ledger.discharge("GA-1", actor="jdoe", on=date(2025, 6, 30), outcome="absconded")
    group = total(ledger)
    assert group["absconding"] == 1
    assert revoked(group) == (0, 0, 0) and group["revocation_decisions"] == 0
    [discharges] = Reports(ledger, "jdoe").discharges(None, None).rows
    assert (discharges["absconded"], discharges["unsuccessful"], discharges["neutral"]) == (1, 1, 0)


DAYS = 100  # each client below: 10 Jan..19 Apr 2025, every day at risk
LAST = START + timedelta(days=DAYS - 1)
YEARS = 2 * DAYS / 365.25


def test_one_client_with_many_violations_widens_the_interval_beyond_poisson(
    ledger: Ledger,
) -> None:
    enroll(ledger, "GA-1")
    enroll(ledger, "GA-2")
    for day in (1, 2, 3, 4):
        technical(ledger, "GA-1", date(2025, 2, day))
    group = total(ledger, last=LAST)
    # y = (4, 0), e = (100, 100): Y = 4, E = 200, r = 0.02, r·e = 2 each;
    # sum (y - r·e)² = (4 - 2)² + (0 - 2)² = 8; phi = 2/(2-1) · 8 / 4 = 4.
    # The interval: the exact Poisson limits of 4 / 4 = 1 event (0.0253, 5.5716), times 4.
    low, high = poisson_interval(1)
    assert (round(low, 4), round(high, 4)) == (0.0253, 5.5716)  # published Garwood limits
    assert group["technical_per_100_person_years"] == round(100 * 4 / YEARS, 4)  # 730.5
    assert group["technical_per_100_person_years_low"] == round(100 * 4 * low / YEARS, 4)
    assert group["technical_per_100_person_years_high"] == round(100 * 4 * high / YEARS, 4)
    # wider than the Poisson interval of 4 events (1.0899, 10.2416) on both sides
    plain_low, plain_high = poisson_interval(4)
    assert group["technical_per_100_person_years_low"] < 100 * plain_low / YEARS
    assert group["technical_per_100_person_years_high"] > 100 * plain_high / YEARS


def test_one_violation_at_most_each_over_equal_time_keeps_the_poisson_interval(
    ledger: Ledger,
) -> None:
    for n in range(1, 9):
        enroll(ledger, f"GA-{n}")
        if n <= 4:
            technical(ledger, f"GA-{n}", date(2025, 2, n))
    group = total(ledger, last=LAST)
    # y = (1, 1, 1, 1, 0, 0, 0, 0), e = 100 each: Y = 4, E = 800, r·e = 0.5 each;
    # sum (y - r·e)² = 8 · 0.25 = 2; phi = 8/7 · 2 / 4 = 4/7, below 1: phi = 1, Poisson.
    years = 8 * DAYS / 365.25
    low, high = poisson_interval(4)
    assert (round(low, 4), round(high, 4)) == (1.0899, 10.2416)  # published Garwood limits
    assert group["technical_per_100_person_years_low"] == round(100 * low / years, 4)
    assert group["technical_per_100_person_years_high"] == round(100 * high / years, 4)


def test_the_cli_takes_the_window_and_sets_dismissed_offences_aside(
    db_url: str, ledger: Ledger
) -> None:
    enroll(ledger, "GA-1")
    charge = (
        ledger.record_violation(
            "GA-1", actor="jdoe", on=date(2025, 3, 1), new_offence="felony", basis="charge"
        ).new_id
        or ""
    )
    v2 = technical(ledger, "GA-1", date(2025, 3, 20))
    revoke(ledger, "GA-1", v2, date(2025, 4, 1))
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "jdoe"}

    def groups(*args: str) -> list[dict[str, Any]]:
        result = runner.invoke(cli, ["report", "violations", "--format", "json", *args], env=env)
        assert result.exit_code == 0, result.output
        return list(json.loads(result.stdout)["groups"])

    [default] = groups()
    assert revoked(default) == (0, 0, 1)  # the charge, 31 days before the decision
    [narrow] = groups("--window", "30")
    assert revoked(narrow) == (1, 0, 0)  # out of a 30-day window: the technical one
    assert narrow == total(ledger, window=30)
    ledger.record_disposition("GA-1", charge, "dismissed", actor="jdoe", on=date(2025, 5, 1))
    [set_aside] = groups("--exclude-dismissed")
    assert (set_aside["new_offences"], revoked(set_aside)) == (0, (1, 0, 0))
    refused = runner.invoke(cli, ["report", "violations", "--window", "0"], env=env)
    assert refused.exit_code == 2
    assert "Invalid value for '--window': 0 is not in the range x>=1" in refused.output
    assert "Traceback" not in refused.output


def test_oversight_is_held_to_the_default_window(ledger: Ledger) -> None:
    """The report with a window a day apart, compared, moves one revoked term from one
    violation to another: it told an oversight reader that exactly one term had an absconding
    47 days before its revocation, and (by each grouping in turn) who, withheld cells
    recovered exactly. Oversight counts in the default window, as it counts cohorts of the
    default length."""
    enroll(ledger, "GA-1")
    absconded = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2025, 2, 13), absconding=True
    ).new_id
    assert absconded
    v2 = technical(ledger, "GA-1", date(2025, 3, 20))
    revoke(ledger, "GA-1", v2, date(2025, 4, 1))
    ledger.add_user("aud", "auditor", None, actor="jdoe")  # users from here on
    ledger.add_user("ov", "oversight", None, actor="aud")
    for window in (46, 47, 1, 364):
        with pytest.raises(NotPermitted, match="--window"):
            Reports(ledger, "ov").violations(ReportRequest(today=TODAY, window=window))
    default = Reports(ledger, "ov").violations(ReportRequest(today=TODAY))
    spelt_out = Reports(ledger, "ov").violations(ReportRequest(today=TODAY, window=365))
    assert default == spelt_out and default["groups"]
    narrow = Reports(ledger, "aud").violations(ReportRequest(today=TODAY, window=46))
    wide = Reports(ledger, "aud").violations(ReportRequest(today=TODAY, window=47))
    assert revoked(narrow["groups"][0]) != revoked(wide["groups"][0])  # what the window moves


def test_oversight_is_refused_the_report_without_dismissed_charges(ledger: Ledger) -> None:
    """Two readings, compared, would give away the dismissed charges hidden below the floor."""
    enroll(ledger, "GA-1")
    offence = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2025, 3, 1), new_offence="felony", basis="charge"
    ).new_id
    ledger.record_disposition("GA-1", offence or "", "dismissed", actor="jdoe", on=date(2025, 4, 1))
    ledger.add_user("aud", "auditor", None, actor="jdoe")  # users from here on
    ledger.add_user("ov", "oversight", None, actor="aud")
    asked = ReportRequest(today=TODAY, exclude_dismissed=True)
    with pytest.raises(NotPermitted, match="--exclude-dismissed"):
        Reports(ledger, "ov").violations(asked)
    assert Reports(ledger, "ov").violations(ReportRequest(today=TODAY))["groups"]
    assert Reports(ledger, "aud").violations(asked)["groups"][0]["new_offences"] == 0


def test_a_report_from_a_later_day_reads_each_decided_clients_history_from_before_it(
    ledger: Ledger,
) -> None:
    """A range that starts after some of the history: a term's first revocation decision
    before the range leaves its second one in the range no revoked term; a first decision in
    the range is attributed to a new offence dated before the range, in the window; a decision
    in the range of a client never revoked in it still counts its custody days. (The statement
    reads the decisions in the range and every decision of the clients revoked in it, ADR 40.)"""
    for ref in ("GA-1", "GA-2", "GA-3", "GA-4"):
        enroll(ledger, ref)
    v1 = technical(ledger, "GA-1", date(2025, 3, 1))
    legacy_revocation(ledger, "GA-1", v1, date(2025, 3, 10), discharged=False)
    v2 = technical(ledger, "GA-1", date(2025, 4, 1))
    legacy_revocation(ledger, "GA-1", v2, date(2025, 4, 10), discharged=True)
    ledger.record_violation("GA-2", actor="jdoe", on=date(2025, 3, 20), new_offence="misdemeanor")
    revoke(ledger, "GA-2", technical(ledger, "GA-2", date(2025, 4, 5)), date(2025, 4, 15))
    v3 = technical(ledger, "GA-3", date(2025, 4, 2))
    ledger.respond_to_violation(
        "GA-3", v3, "custody_sanction", actor="jdoe", on=date(2025, 4, 4), custody_days=5
    )
    revoke(ledger, "GA-4", technical(ledger, "GA-4", date(2025, 2, 1)), date(2025, 2, 20))
    later = total(ledger, first=date(2025, 4, 1))
    assert revoked(later) == (0, 0, 1)  # GA-2's, attributed to the misdemeanour of March
    assert (later["revocation_decisions"], later["revocations_named_technical"]) == (2, 1)
    assert later["custody_days_technical"] == 5
    assert later["clients"] == 3  # GA-4's term ended on its decision, before the range
    # the same as the ledger stood a moment ago: every term cut again, no segment kept
    request = ReportRequest(today=TODAY, first=date(2025, 4, 1), last=TODAY)
    [as_it_stood] = Reports(ledger, "jdoe").violations(request, datetime.now(UTC))["groups"]
    assert as_it_stood == later
    whole = total(ledger)
    assert revoked(whole) == (2, 0, 1) and whole["revocation_decisions"] == 4


@pytest.mark.parametrize("period", [None, "month"])
def test_a_range_counts_the_violations_dated_on_its_first_and_last_days_and_none_outside(
    ledger: Ledger, period: str | None
) -> None:
    """Violations are counted in the range by their own day: those of its first and last days
    counted, those of the day before and the day after not; a new offence in it by its
    disposition as it now stands, though decided after the range; and a revocation decided in
    the range attributed to a violation dated before it. (The by-client statement reads only
    the violations dated in the range; the decisions' statement, every one.)"""
    enroll(ledger, "GA-1")
    for day in (date(2025, 2, 28), date(2025, 3, 1), date(2025, 5, 31), date(2025, 6, 1)):
        technical(ledger, "GA-1", day)
    charge = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2025, 4, 10), new_offence="felony", basis="charge"
    ).new_id or ""  # fmt: skip
    ledger.record_disposition("GA-1", charge, "convicted", actor="jdoe", on=date(2025, 7, 1))
    enroll(ledger, "GA-2")
    before = technical(ledger, "GA-2", date(2025, 2, 20))
    revoke(ledger, "GA-2", before, date(2025, 3, 5))
    asked = {"first": date(2025, 3, 1), "last": date(2025, 5, 31), "period": period}
    groups = report(ledger, **asked)
    whole = {
        name: sum(group[name] for group in groups)
        for name in ("technical_violations", "new_offences", "new_offences_charge",
                     "new_offences_convicted", "clients_with_technical", "revocation_decisions",
                     "revocations_named_technical", *REVOKED)
    }  # fmt: skip
    assert whole == {
        "technical_violations": 2, "new_offences": 1, "new_offences_charge": 1,
        "new_offences_convicted": 1, "clients_with_technical": 1 if period is None else 2,
        "revocation_decisions": 1, "revocations_named_technical": 1,
        "revocations_technical": 1, "revocations_absconding": 0, "revocations_new_offence": 0,
    }  # fmt: skip
    if period:  # each in the month of its own day
        by_month = {g["period"]: g for g in groups}
        assert [by_month[m]["technical_violations"] for m in ("2025-03", "2025-04", "2025-05")] == [
            1, 0, 1,
        ]  # fmt: skip
        assert by_month["2025-04"]["new_offences_convicted"] == 1
        assert by_month["2025-03"]["revocations_technical"] == 1


def test_oversight_is_not_shown_the_custody_days_of_one_sanction_in_a_later_month(
    ledger: Ledger,
) -> None:
    """A curfew breach on 30 Jan, a custody sanction of 5 days decided on 3 Feb: February's
    group has no technical violation nor revocation, whose hiding hid the custody days, so
    they showed: one decision's days (found by a probe of the server as oversight). They are
    hidden with the count of the decisions that imposed them."""
    for n in range(1, 13):
        enroll(ledger, f"GA-{n}")
    breach = technical(ledger, "GA-1", date(2025, 1, 30))
    ledger.respond_to_violation("GA-1", breach, "custody_sanction", actor="jdoe",
                                on=date(2025, 2, 3), custody_days=5)  # fmt: skip
    ledger.add_user("aud", "auditor", None, actor="jdoe")
    ledger.add_user("jdoe", "supervisor", "GA", actor="aud")
    ledger.add_user("ov", "oversight", None, actor="aud")
    asked = ReportRequest(today=TODAY, period="month", last=date(2025, 3, 31))
    exact = {g["period"]: g for g in Reports(ledger, "aud").violations(asked)["groups"]}
    assert (exact["2025-02"]["technical_violations"], exact["2025-02"]["custody_days_technical"],
            exact["2025-02"]["revocations_technical"]) == (0, 5, 0)  # fmt: skip
    shown = {g["period"]: g for g in Reports(ledger, "ov").violations(asked)["groups"]}
    february = shown["2025-02"]
    assert (february["clients"], february["technical_violations"]) == (12, 0)
    assert february["custody_days_technical"] == "withheld"
    assert not any(key.startswith("_") for key in february)
    # ten decisions' days are shown
    for n in range(2, 11):
        found = technical(ledger, f"GA-{n}", date(2025, 1, 30))
        ledger.respond_to_violation(f"GA-{n}", found, "custody_sanction", actor="jdoe",
                                    on=date(2025, 2, 3), custody_days=5)  # fmt: skip
    shown = {g["period"]: g for g in Reports(ledger, "ov").violations(asked)["groups"]}
    assert shown["2025-02"]["custody_days_technical"] == 50
