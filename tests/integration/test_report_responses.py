"""`report responses`: incentives beside sanctions per 100 person-years at risk, decisions by
code, recommendations (never decisions), on both backends, every number counted by hand.

The main ledger (2024, a leap year; range 1 Jan-31 Dec 2024; agency GA, officer o-1):
- GA-1, parole, from 1 Jan, open all year: 366 supervised days.
  V1 curfew 1 Feb: recommended warning 2 Feb, decided warning 3 Feb (followed).
  V2 failure to report 1 Mar: recommended custody_sanction with 10 days 2 Mar, decided
  curfew 1 Apr (not followed; the recommendation's 10 days are no decision's).
  V3 missed drug test 1 Apr: decided custody_sanction with 5 days 2 Apr; in custody 2 Apr,
  out 7 Apr: 2-6 Apr = 5 days not at risk.
  V4 curfew 1 May: decided continuance 2 May (a decision, not a sanction).
  Incentives: commendation 1 Jun, reduced_reporting 1 Jul, commendation 1 Aug.
  Days at risk: 366 - 5 = 361.
- GA-2, parole, from 1 Jul. V1 new offence (misdemeanor, on a charge) 1 Sep: recommended
  revocation 2 Sep, revoked by the court 10 Sep with 90 custody days (followed); the
  decision ends the term: 1 Jul-10 Sep = 31 + 31 + 10 = 72 days, all at risk.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.reports.responses import DECISIONS, TOTALS
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import TODAY

FIRST, LAST = date(2024, 1, 1), date(2024, 12, 31)


def per_100_person_years(count: float, days: int) -> float:
    return round(100 * count / (days / 365.25), 4)


def enroll(ledger: Ledger, ref: str, start: date, actor: str = "jdoe") -> None:
    ledger.enroll(ref, actor=actor, start=start, agency="GA", officer="o-1", supervision="parole")


def groups(
    ledger: Ledger,
    actor: str = "jdoe",
    known_at: datetime | None = None,
    **asked: Any,
) -> list[dict[str, Any]]:
    request = ReportRequest(today=TODAY, first=FIRST, last=LAST, **asked)
    table = ledger.reports(actor=actor).responses(request, known_at)
    assert all(list(row) == list(table.columns) for row in table.rows)
    return table.as_document()["groups"]


@pytest.fixture
def recorded(ledger: Ledger) -> Ledger:
    enroll(ledger, "GA-1", date(2024, 1, 1))
    respond = ledger.respond_to_violation
    v1 = ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 2, 1), technical=("curfew",))
    respond("GA-1", v1.new_id, "warning", actor="jdoe", on=date(2024, 2, 2), recommendation=True)
    respond("GA-1", v1.new_id, "warning", actor="jdoe", on=date(2024, 2, 3))
    v2 = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2024, 3, 1), technical=("failure_to_report",)
    )
    respond("GA-1", v2.new_id, "custody_sanction", actor="jdoe", on=date(2024, 3, 2),
            custody_days=10, recommendation=True)  # fmt: skip
    respond("GA-1", v2.new_id, "curfew", actor="jdoe", on=date(2024, 4, 1))
    v3 = ledger.record_violation(
        "GA-1", actor="jdoe", on=date(2024, 4, 1), technical=("missed_drug_test",)
    )
    respond("GA-1", v3.new_id, "custody_sanction", actor="jdoe", on=date(2024, 4, 2),
            custody_days=5)  # fmt: skip
    ledger.start_custody("GA-1", actor="jdoe", on=date(2024, 4, 2), reason="sanction")
    ledger.end_custody("GA-1", actor="jdoe", on=date(2024, 4, 7))
    v4 = ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 5, 1), technical=("curfew",))
    respond("GA-1", v4.new_id, "continuance", actor="jdoe", on=date(2024, 5, 2))
    for on, kind in ((date(2024, 6, 1), "commendation"), (date(2024, 7, 1), "reduced_reporting"),
                     (date(2024, 8, 1), "commendation")):  # fmt: skip
        ledger.grant_incentive("GA-1", actor="jdoe", on=on, kind=kind)

    enroll(ledger, "GA-2", date(2024, 7, 1))
    offence = ledger.record_violation(
        "GA-2", actor="jdoe", on=date(2024, 9, 1), new_offence="misdemeanor", basis="charge"
    )
    respond("GA-2", offence.new_id, "revocation", actor="jdoe", on=date(2024, 9, 2),
            recommendation=True)  # fmt: skip
    respond("GA-2", offence.new_id, "revocation", actor="jdoe", on=date(2024, 9, 10),
            decided_by="court", custody_days=90)  # fmt: skip
    return ledger


def test_each_count_the_rates_and_the_ratio_by_hand(recorded: Ledger) -> None:
    [group] = groups(recorded, by=("agency",))
    assert group["agency"] == "GA"
    assert (group["clients"], group["days_at_risk"]) == (2, 361 + 72)
    # decisions on their own dates: warning, curfew, custody_sanction, continuance (GA-1),
    # revocation (GA-2); the three recommendations are none of them
    decided = {name: group[name] for name in DECISIONS if group[name]}
    assert decided == {"decisions_warning": 1, "decisions_curfew": 1,
                       "decisions_custody_sanction": 1, "decisions_continuance": 1,
                       "decisions_revocation": 1}  # fmt: skip
    assert group["decisions"] == 5
    assert group["sanctions"] == 4  # every decision but the continuance
    # recommended warning -> warning (followed), custody_sanction -> curfew (not),
    # revocation -> revocation (followed)
    assert (group["recommendations"], group["recommendations_followed"]) == (3, 2)
    # commendation 1 Jun and 1 Aug, reduced_reporting 1 Jul
    assert (group["incentives_commendation"], group["incentives_reduced_reporting"]) == (2, 1)
    assert group["incentives_curfew_lifted"] == group["incentives_level_reduced"] == 0
    assert group["incentives"] == 3
    # the decisions' custody days: 5 (custody sanction) + 90 (revocation); not the 10
    # recommended
    assert group["custody_days_decided"] == 95
    # 433 days at risk = 1.1855 person-years: 4 sanctions -> 337.4134, 3 incentives -> 253.0600
    assert group["sanctions_per_100_person_years"] == per_100_person_years(4, 433) == 337.4134
    assert group["incentives_per_100_person_years"] == per_100_person_years(3, 433) == 253.06
    # exact Poisson limits from the chi-square tables: 4 -> (chi2(.025, 8) / 2 = 1.0899,
    # chi2(.975, 10) / 2 = 10.2416); 3 -> (chi2(.025, 6) / 2 = 0.6187, chi2(.975, 8) / 2 =
    # 8.7673); each per the same person-years
    for rate, low, high in (("sanctions", 1.0899, 10.2416), ("incentives", 0.6187, 8.7673)):
        name = f"{rate}_per_100_person_years"
        assert group[f"{name}_low"] == pytest.approx(per_100_person_years(low, 433), abs=0.02)
        assert group[f"{name}_high"] == pytest.approx(per_100_person_years(high, 433), abs=0.02)
    assert group["incentive_to_sanction_ratio"] == 0.75  # 3 incentives / 4 sanctions


def test_decisions_count_in_the_period_of_their_own_date(recorded: Ledger) -> None:
    quarters = {g["period"]: g for g in groups(recorded, period="quarter")}
    assert list(quarters) == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    q1, q2, q3, q4 = quarters.values()
    # Q1: GA-1 91 days (31 + 29 + 31); the warning decided 3 Feb; both GA-1 recommendations
    # (the curfew that did not follow the second was decided 1 Apr, in Q2)
    assert (q1["clients"], q1["days_at_risk"], q1["decisions"]) == (1, 91, 1)
    assert (q1["recommendations"], q1["recommendations_followed"]) == (2, 1)
    # Q2: 91 days less 5 in custody; curfew 1 Apr, custody sanction 2 Apr, continuance 2 May;
    # commendation 1 Jun
    assert (q2["days_at_risk"], q2["decisions"], q2["sanctions"]) == (86, 3, 2)
    assert (q2["custody_days_decided"], q2["incentives"]) == (5, 1)
    assert q2["sanctions_per_100_person_years"] == per_100_person_years(2, 86)
    # Q3: GA-1 92 days + GA-2 72; the revocation 10 Sep (recommended 2 Sep); two incentives
    assert (q3["clients"], q3["days_at_risk"], q3["decisions_revocation"]) == (2, 164, 1)
    assert (q3["recommendations_followed"], q3["incentives"]) == (1, 2)
    assert q3["incentive_to_sanction_ratio"] == 2.0
    # Q4: GA-1 alone, nothing decided: no ratio without a sanction
    assert (q4["clients"], q4["days_at_risk"], q4["sanctions"]) == (1, 92, 0)
    assert q4["sanctions_per_100_person_years"] == 0.0
    assert q4["incentive_to_sanction_ratio"] is None


def test_a_decision_recorded_after_the_moment_is_not_counted(ledger: Ledger) -> None:
    """GA-1 from 1 Jan 2024: V1 (1 Feb) decided warning 2 Feb and V2 (1 Mar) recorded before
    T; after T, V2 decided curfew 2 Mar, a commendation 1 Apr, and V1 retracted."""
    enroll(ledger, "GA-1", date(2024, 1, 1))
    v1 = ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 2, 1), technical=("curfew",))
    ledger.respond_to_violation("GA-1", v1.new_id, "warning", actor="jdoe", on=date(2024, 2, 2))
    v2 = ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 3, 1), technical=("curfew",))
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    ledger.respond_to_violation("GA-1", v2.new_id, "curfew", actor="jdoe", on=date(2024, 3, 2))
    ledger.grant_incentive("GA-1", actor="jdoe", on=date(2024, 4, 1), kind="commendation")
    ledger.correct("GA-1", v1.number, actor="jdoe", reason="entered on the wrong client")

    [then] = groups(ledger, known_at=moment)
    assert (then["decisions_warning"], then["decisions_curfew"], then["decisions"]) == (1, 0, 1)
    assert then["incentives"] == 0
    [now] = groups(ledger)
    assert (now["decisions_warning"], now["decisions_curfew"], now["decisions"]) == (0, 1, 1)
    assert now["incentives"] == 1


def test_a_retracted_violation_takes_its_decision_and_recommendation_with_it(
    ledger: Ledger,
) -> None:
    """V1 recommended and decided warning; V2 recommended and decided curfew. V1 retracted
    takes both its responses; V2's decision retracted leaves its recommendation unfollowed."""
    enroll(ledger, "GA-1", date(2024, 1, 1))
    respond = ledger.respond_to_violation
    ids = []
    for month, code in ((2, "warning"), (3, "curfew")):
        violation = ledger.record_violation(
            "GA-1", actor="jdoe", on=date(2024, month, 1), technical=("curfew",)
        )
        respond("GA-1", violation.new_id, code, actor="jdoe", on=date(2024, month, 2),
                recommendation=True)  # fmt: skip
        decision = respond("GA-1", violation.new_id, code, actor="jdoe", on=date(2024, month, 3))
        ids.append((violation.number, decision.number))
    [before] = groups(ledger)
    counted = ("decisions", "recommendations", "recommendations_followed")
    assert [before[name] for name in counted] == [2, 2, 2]
    ledger.correct("GA-1", ids[0][0], actor="jdoe", reason="no curfew was set then")
    ledger.correct("GA-1", ids[1][1], actor="jdoe", reason="reversed on appeal")
    [after] = groups(ledger)
    assert [after[name] for name in counted] == [0, 1, 0]
    assert (after["decisions_warning"], after["decisions_curfew"], after["sanctions"]) == (0, 0, 0)


@pytest.fixture
def overseen(ledger: Ledger) -> Ledger:
    """Ten GA clients from 1 Jan 2024 (3,660 days at risk); 12 warnings and 3 curfews
    decided; 11 commendations and 2 levels reduced. Users: an auditor, GA's supervisor (who
    records), an oversight user."""
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("ov", "oversight", None)):  # fmt: skip
        ledger.add_user(name, role, agency, actor="aud")
    for n in range(1, 11):
        enroll(ledger, f"GA-{n}", date(2024, 1, 1), actor="sup-ga")
    codes = ["warning"] * 10 + ["warning", "warning", "curfew", "curfew", "curfew"]
    refs = [f"GA-{n}" for n in range(1, 11)] + ["GA-1", "GA-2", "GA-3", "GA-4", "GA-5"]
    for day, (ref, code) in enumerate(zip(refs, codes, strict=True), start=1):
        violation = ledger.record_violation(
            ref, actor="sup-ga", on=date(2024, 2, day), technical=("curfew",)
        )
        ledger.respond_to_violation(
            ref, violation.new_id, code, actor="sup-ga", on=date(2024, 3, day)
        )
    for n, kind in [*((n, "commendation") for n in (*range(1, 11), 1)),
                    (6, "level_reduced"), (7, "level_reduced")]:  # fmt: skip
        ledger.grant_incentive(f"GA-{n}", actor="sup-ga", on=date(2024, 5, n), kind=kind)
    return ledger


def test_oversight_sees_small_counts_hidden_and_no_total_that_gives_them_away(
    overseen: Ledger,
) -> None:
    [everything] = groups(overseen, actor="aud")
    assert (everything["decisions_warning"], everything["decisions_curfew"]) == (12, 3)
    totals = [everything[name] for name in ("decisions", "sanctions", "incentives")]
    assert totals == [15, 15, 13]  # 12 + 3 decisions, all sanctions; 11 + 2 incentives
    [seen] = groups(overseen, actor="ov")  # K = 10
    assert (seen["clients"], seen["days_at_risk"]) == (10, 3660)
    assert (seen["decisions_warning"], seen["incentives_commendation"]) == (12, 11)
    # 3 curfews and 2 levels reduced are hidden, and every total they are part of: shown,
    # decisions (15) less the warnings (12) would give the curfews away (3)
    for name in ("decisions_curfew", "decisions", "sanctions", "incentives_level_reduced",
                 "incentives"):  # fmt: skip
        assert seen[name] == "withheld", name
    # and every value computed from them, a rate's limits with it
    for rate in ("sanctions_per_100_person_years", "incentives_per_100_person_years"):
        assert [seen[rate + s] for s in ("", "_low", "_high")] == ["withheld"] * 3
    assert seen["incentive_to_sanction_ratio"] == "withheld"
    # zero is shown; custody days come from custody sanctions and revocations, none hidden
    assert (seen["decisions_revocation"], seen["custody_days_decided"]) == (0, 0)


def test_no_hidden_part_can_be_solved_for_from_what_oversight_sees(overseen: Ledger) -> None:
    """The attack: each hidden decision or incentive count, as a total less its other parts."""
    [seen] = groups(overseen, actor="ov")
    shown = {name: value for name, value in seen.items() if isinstance(value, int | float)}
    for total, parts in TOTALS:
        hidden = [part for part in parts if part not in shown]
        if hidden:
            assert total not in shown, f"{total} less its shown parts gives {hidden} away"
    # decisions_curfew = decisions - (the other decisions_*): decisions is withheld
    assert "decisions_curfew" not in shown and "decisions" not in shown
    # nor from a rate (sanctions = rate x person-years / 100) or the ratio
    assert not {"sanctions_per_100_person_years", "incentive_to_sanction_ratio"} & set(shown)


GROUPINGS = [("officer", "supervision", "juvenile"), ("sex", "race", "ethnicity", "age_band"),
             ("term", "level", "risk")]  # fmt: skip
SUMMED = ("decisions", "sanctions", "recommendations", "recommendations_followed", "incentives",
          "custody_days_decided", "days_at_risk")  # fmt: skip


@pytest.mark.parametrize("by", GROUPINGS)
def test_any_grouping_splits_the_same_counts(recorded: Ledger, by: tuple[str, ...]) -> None:
    """Every decision, recommendation and incentive falls in exactly one group: summed over
    the groups (by month too), 5 decisions, 4 sanctions, 3 recommendations (2 followed), 3
    incentives, 95 custody days decided and 433 days at risk."""
    found = groups(recorded, by=by, period="month")
    summed = {name: sum(group[name] for group in found) for name in SUMMED}
    assert summed == {"decisions": 5, "sanctions": 4, "recommendations": 3,
                      "recommendations_followed": 2, "incentives": 3,
                      "custody_days_decided": 95, "days_at_risk": 433}  # fmt: skip


@pytest.fixture
def concentrated(ledger: Ledger) -> Ledger:
    """Two agencies, every client from 1 Jan 2024, open all year, never in custody: 366 days
    at risk each. GA: GA-1 has six violations, each decided warning (six sanctions), GA-2 and
    GA-3 none; one commendation each. GB: GB-1 and GB-2 one violation each, decided curfew;
    GB-3 and GB-4 none; no incentive."""
    for agency, clients in (("GA", 3), ("GB", 4)):
        for n in range(1, clients + 1):
            ledger.enroll(f"{agency}-{n}", actor="jdoe", start=FIRST, agency=agency,
                          officer=f"o-{agency}", supervision="parole")  # fmt: skip
    for ref, code, months in (("GA-1", "warning", range(2, 8)), ("GB-1", "curfew", (2,)),
                              ("GB-2", "curfew", (3,))):  # fmt: skip
        for month in months:
            violation = ledger.record_violation(
                ref, actor="jdoe", on=date(2024, month, 1), technical=("curfew",)
            )
            ledger.respond_to_violation(
                ref, violation.new_id, code, actor="jdoe", on=date(2024, month, 2)
            )
    for n in range(1, 4):
        ledger.grant_incentive(f"GA-{n}", actor="jdoe", on=date(2024, 9, n), kind="commendation")
    return ledger


def test_sanctions_held_by_one_client_widen_the_interval_beyond_poisson(
    concentrated: Ledger,
) -> None:
    ga, _ = groups(concentrated, by=("agency",))
    assert (ga["agency"], ga["clients"], ga["days_at_risk"], ga["sanctions"]) == ("GA", 3, 1098, 6)
    # 6 sanctions in 1,098 days at risk (3.0062 person-years): 199.5902 per 100
    assert ga["sanctions_per_100_person_years"] == per_100_person_years(6, 1098) == 199.5902
    # the dispersion by client, by hand: y = (6, 0, 0), e = (366, 366, 366), Y = 6,
    # E = 1,098, r = 6 / 1,098, so r·e_i = 2 for each; sum (y_i - r·e_i)² = 16 + 4 + 4 = 24;
    # phi = n / (n - 1) * 24 / Y = 3/2 * 4 = 6. The limits: the exact Poisson limits of
    # Y / phi = 1 (chi2(.025, 2) / 2 = 0.0253, chi2(.975, 4) / 2 = 5.5716) times 6 =
    # (0.1519, 33.4297) sanctions, per the same person-years
    low, high = 6 * 0.025318, 6 * 5.571643
    name = "sanctions_per_100_person_years"
    assert ga[f"{name}_low"] == pytest.approx(per_100_person_years(low, 1098), abs=0.01)
    assert ga[f"{name}_high"] == pytest.approx(per_100_person_years(high, 1098), abs=0.01)
    # wider on both sides than Poisson for 6 independent events (chi2(.025, 12) / 2 = 2.2019,
    # chi2(.975, 14) / 2 = 13.0595): 73.2461 to 434.4238 per 100 person-years
    assert ga[f"{name}_low"] < per_100_person_years(2.2019, 1098)
    assert ga[f"{name}_high"] > per_100_person_years(13.0595, 1098)


def test_events_spread_one_a_client_keep_the_poisson_interval(concentrated: Ledger) -> None:
    ga, gb = groups(concentrated, by=("agency",))
    # GB's sanctions: y = (1, 1, 0, 0), e = 366 each, Y = 2, r·e_i = 0.5; sum (y_i - r·e_i)²
    # = 4 * 0.25 = 1; phi = 4/3 * 1/2 = 0.6667, floored at 1: the exact Poisson limits of 2
    # (chi2(.025, 4) / 2 = 0.2422, chi2(.975, 6) / 2 = 7.2247) over 1,464 days at risk
    assert (gb["agency"], gb["clients"], gb["days_at_risk"], gb["sanctions"]) == ("GB", 4, 1464, 2)
    name = "sanctions_per_100_person_years"
    assert gb[name] == per_100_person_years(2, 1464) == 49.8975
    assert gb[f"{name}_low"] == pytest.approx(per_100_person_years(0.2422, 1464), abs=0.01)
    assert gb[f"{name}_high"] == pytest.approx(per_100_person_years(7.2247, 1464), abs=0.01)
    # GA's incentives: one each, y = (1, 1, 1), r·e_i = 1: the sum is 0, phi = 1: the exact
    # Poisson limits of 3 (chi2(.025, 6) / 2 = 0.6187, chi2(.975, 8) / 2 = 8.7673)
    name = "incentives_per_100_person_years"
    assert (ga["incentives"], ga[name]) == (3, per_100_person_years(3, 1098))
    assert ga[f"{name}_low"] == pytest.approx(per_100_person_years(0.6187, 1098), abs=0.01)
    assert ga[f"{name}_high"] == pytest.approx(per_100_person_years(8.7673, 1098), abs=0.01)


def test_oversight_is_not_shown_the_custody_days_of_one_decision_among_many(
    ledger: Ledger,
) -> None:
    """Twelve revocations, one carrying 20 custody days: the days were shown beside the
    twelve decisions (hidden with the decisions' counts only), the days of one decision
    (found by a review). They are hidden with the count of the decisions that carry them."""
    for n in range(1, 13):
        enroll(ledger, f"GA-{n}", date(2024, 1, 1))
        found = ledger.record_violation(f"GA-{n}", actor="jdoe", on=date(2024, 2, 1),
                                        technical=("curfew",))  # fmt: skip
        days = {"custody_days": 20} if n == 1 else {}
        ledger.respond_to_violation(f"GA-{n}", found.new_id, "revocation", actor="jdoe",
                                    on=date(2024, 2, 20), decided_by="court", **days)  # fmt: skip
    ledger.add_user("aud", "auditor", None, actor="jdoe")
    ledger.add_user("ov", "oversight", None, actor="aud")
    [exact] = groups(ledger, actor="aud")
    assert (exact["decisions_revocation"], exact["custody_days_decided"]) == (12, 20)
    [seen] = groups(ledger, actor="ov")
    assert seen["decisions_revocation"] == 12
    assert seen["custody_days_decided"] == "withheld"
    assert not any(name.startswith("_") for name in seen)
