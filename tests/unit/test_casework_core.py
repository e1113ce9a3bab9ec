"""The casework core: goals keep their identity, each term has its own plan, and what a
term's end closes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.domain.events import CasePlanRevised
from reentry_ledger.domain.state import add_months
from tests.builders import new_client, stamp


def plan_of(client: Client) -> list[tuple[str, str, str]]:
    return [(g.goal_id, g.need, str(g.status)) for g in client.state.plan_goals]


def test_goals_keep_their_ids_through_progress_reorder_and_a_plan_revision() -> None:
    client = new_client()
    g1 = client.add_goal(stamp(date(2025, 2, 1)), need=coded("school_work"), description="job")
    g2 = client.add_goal(
        stamp(date(2025, 2, 1)), need=coded("substance_use"), description="treatment",
        priority=1, target=date(2025, 6, 1),
    )  # fmt: skip
    assert (g1, g2) == ("G1", "G2")
    assert [g.goal_id for g in client.state.plan_goals] == ["G2", "G1"]
    client.progress_goal(stamp(date(2025, 3, 1)), "G1", status=coded("in_progress"), note="cv")
    client.reorder_goal(stamp(date(2025, 3, 2)), "G1", priority=1)
    ids = client.revise_plan(
        stamp(date(2025, 3, 3)), goals=[(coded("family_marital"), "mend ties"), "G2"]
    )
    assert ids == ["G3", "G2"]
    assert plan_of(client) == [
        ("G3", "family_marital", "not_started"),
        ("G2", "substance_use", "not_started"),
        ("G1", "school_work", "in_progress"),
    ]


def test_a_goal_past_its_target_is_overdue_until_achieved_and_an_abandoned_one_is_not() -> None:
    client = new_client()
    client.add_goal(stamp(date(2025, 2, 1)), need=coded("school_work"), description="job",
                    target=date(2025, 3, 1))  # fmt: skip
    goal = client.state.goals["G1"]
    assert not goal.overdue_on(date(2025, 3, 1)) and goal.overdue_on(date(2025, 3, 2))
    client.progress_goal(stamp(date(2025, 3, 5)), "G1", status=coded("abandoned"))
    assert not client.state.goals["G1"].overdue_on(date(2025, 4, 1))
    with pytest.raises(RuleViolated, match=r"G1 .* is abandoned since 2025-03-05"):
        client.progress_goal(stamp(date(2025, 3, 6)), "G1", status=coded("in_progress"))


@pytest.mark.parametrize(
    ("call", "refused"),
    [
        (lambda c: c.reorder_goal(stamp(date(2025, 3, 1)), "G1", priority=3), "outside the plan"),
        (lambda c: c.progress_goal(stamp(date(2025, 3, 1)), "G9", status=coded("achieved")),
         "no goal 'G9' \\(its goals: G1"),
        (lambda c: c.progress_goal(stamp(date(2025, 1, 5)), "G1", status=coded("achieved")),
         "before goal G1's last change"),
        (lambda c: c.progress_goal(stamp(date(2025, 3, 1)), "G1", status=coded("done")),
         "not a goal status"),
        (lambda c: c.add_goal(stamp(date(2025, 3, 1)), need=coded("school_work"),
                              description="x", priority=5), "outside the plan: 1 to 2"),
        (lambda c: c.add_goal(stamp(date(2025, 3, 1)), need=coded("school_work"),
                              description="x", target=date(2025, 2, 1)), "before the goal's date"),
    ],
)  # fmt: skip
def test_goal_commands_refuse_what_the_plan_does_not_allow(call: Any, refused: str) -> None:
    client = new_client()
    client.add_goal(stamp(date(2025, 2, 1)), need=coded("school_work"), description="job")
    before = len(client.history)
    with pytest.raises((RuleViolated, InvalidInput), match=refused):
        call(client)
    assert len(client.history) == before


def test_plan_approval_covers_the_plan_as_it_stands_and_lapses_when_it_changes() -> None:
    client = new_client()
    with pytest.raises(RuleViolated, match="no open goals"):
        client.approve_plan(stamp(date(2025, 2, 1)))
    client.add_goal(stamp(date(2025, 2, 1)), need=coded("school_work"), description="job")
    client.approve_plan(stamp(date(2025, 2, 2), by="sup"))
    assert client.state.plan_approved_as_it_stands
    with pytest.raises(RuleViolated, match="approved as it stands on 2025-02-02"):
        client.approve_plan(stamp(date(2025, 2, 3), by="sup"))
    client.add_goal(stamp(date(2025, 2, 4)), need=coded("substance_use"), description="rehab")
    assert not client.state.plan_approved_as_it_stands
    with pytest.raises(RuleViolated, match=r"2025-02-03 is before the plan's latest change"):
        client.approve_plan(stamp(date(2025, 2, 3), by="sup"))  # a plan it never saw
    assert client.state.plan_approved is not None and client.state.plan_approved.by == "sup"


def test_a_new_term_starts_an_empty_plan_and_the_old_terms_goals_are_closed_to_changes() -> None:
    client = new_client()
    client.add_goal(stamp(date(2025, 2, 1)), need=coded("school_work"), description="job")
    client.match_volunteer(stamp(date(2025, 2, 2)), volunteer_id="VOL1")
    client.enrol_in_programme(stamp(date(2025, 2, 3)), programme="Anger", service=coded("family"))
    client.discharge(stamp(date(2025, 4, 1)), outcome=coded("successful"))
    state = client.state
    assert state.matches[-1].ending == "term_ended" and state.matches[-1].ended_on == date(
        2025, 4, 1
    )
    assert (state.programmes["Anger"].outcome, state.programmes["Anger"].ended_on) == (
        "term_ended", date(2025, 4, 1))  # fmt: skip
    client.start_term(stamp(date(2025, 5, 1)), agency="GA", officer="o-1",
                      supervision=coded("probation"))  # fmt: skip
    assert client.state.plan_goals == []
    with pytest.raises(RuleViolated, match=r"G1 .* belongs to term 1, which has ended"):
        client.progress_goal(stamp(date(2025, 5, 2)), "G1", status=coded("achieved"))
    assert client.add_goal(stamp(date(2025, 5, 2)), need=coded("family_marital"),
                           description="x") == "G2"  # fmt: skip


def test_a_plan_recorded_before_goals_had_ids_reads_as_goals_that_replace_the_plan() -> None:
    stored = {"originator_version": 7, "goals": [
        {"priority": 1, "description": "d1", "need": {"code": "school_work", "raw_text": None}},
        {"priority": 2, "description": "d2", "need": {"code": "family_marital", "raw_text": None}},
    ]}  # fmt: skip
    CasePlanRevised.upcast_v1_v2(stored)
    assert [g["goal_id"] for g in stored["goals"]] == ["G7.1", "G7.2"]
    assert stored["replaces"] is True


def test_declined_and_dropped_referrals_say_why_and_others_do_not() -> None:
    client = new_client()
    r1 = client.refer(
        stamp(date(2025, 2, 1)), service=coded("housing"), need=coded("family_marital")
    )
    with pytest.raises(InvalidInput, match="says why"):
        client.update_referral(stamp(date(2025, 2, 2)), r1, coded("declined"))
    with pytest.raises(InvalidInput, match="not accepted"):
        client.update_referral(stamp(date(2025, 2, 2)), r1, coded("accepted"), coded("moved"))
    client.update_referral(stamp(date(2025, 2, 2)), r1, coded("declined"), coded("no_capacity"))
    assert client.state.referrals[r1].reason == "no_capacity"
    assert client.state.referrals[r1].need == "family_marital"
    with pytest.raises(InvalidInput, match=r"a goal .* or a need .*, not both"):
        client.refer(stamp(date(2025, 2, 3)), service=coded("housing"), goal_id="G1",
                     need=coded("school_work"))  # fmt: skip


def test_programme_sessions_need_an_open_place_and_term_ended_is_never_typed() -> None:
    client = new_client()
    with pytest.raises(RuleViolated, match="held no place in programme 'Anger' on 2025-02-02"):
        client.record_session(stamp(date(2025, 2, 2)), programme="Anger", attended=True)
    client.enrol_in_programme(stamp(date(2025, 2, 3)), programme="Anger", service=coded("family"))
    client.record_session(stamp(date(2025, 2, 4)), programme="Anger", attended=True)
    client.record_session(stamp(date(2025, 2, 11)), programme="Anger", attended=False)
    with pytest.raises(InvalidInput, match="term_ended is the ledger's"):
        client.end_programme(stamp(date(2025, 2, 12)), programme="Anger",
                             outcome=coded("term_ended"))  # fmt: skip
    client.end_programme(stamp(date(2025, 2, 12)), programme="Anger", outcome=coded("completed"))
    place = client.state.programmes["Anger"]
    assert (place.attended, place.missed, place.outcome) == (
        [date(2025, 2, 4)], [date(2025, 2, 11)], "completed")  # fmt: skip


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [(date(2025, 1, 31), 1, date(2025, 2, 28)), (date(2024, 8, 31), 6, date(2025, 2, 28)),
     (date(2025, 3, 15), 12, date(2026, 3, 15)), (date(2025, 11, 30), 3, date(2026, 2, 28))],
)  # fmt: skip
def test_months_are_added_to_the_last_day_a_short_month_has(
    day: date, months: int, due: date
) -> None:
    assert add_months(day, months) == due


def test_reassessment_falls_due_by_the_risk_level_found() -> None:
    client = new_client()
    client.assess(stamp(date(2025, 2, 10)), instrument="ORAS", risk_level=coded("high"))
    assert client.state.reassessment_due == date(2025, 8, 10)
    client.assess(stamp(date(2025, 3, 10)), instrument="ORAS", risk_level=coded("low"))
    assert client.state.reassessment_due == date(2026, 3, 10)


def test_a_new_term_owes_its_own_intake_assessment_and_an_ended_term_owes_none() -> None:
    client = new_client()
    assert client.state.reassessment_due == date(2025, 2, 9)  # 30 days after 2025-01-10
    client.assess(stamp(date(2025, 2, 1)), instrument="ORAS", risk_level=coded("low"))
    client.discharge(stamp(date(2025, 6, 1)), outcome=coded("successful"))
    assert client.state.reassessment_due is None
    client.start_term(stamp(date(2025, 9, 1)), agency="GA", officer="o-1",
                      supervision=coded("probation"))  # fmt: skip
    assert client.state.reassessment_due == date(2025, 10, 1)  # not 2026-02-01 from term 1


def test_oversight_cannot_add_up_the_endings_of_matches_to_a_hidden_total() -> None:
    from reentry_ledger.reports.casework import ENDINGS, VOLUNTEER_COUNTS, VOLUNTEER_LINKED
    from reentry_ledger.reports.suppression import withheld

    row = {"matched": 3, "ended": 0, "active_at_end": 3, **dict.fromkeys(ENDINGS, 0)}
    hidden = withheld(row, 10, VOLUNTEER_COUNTS, totals=VOLUNTEER_LINKED)
    assert {"matched", "ended", "active_at_end", *ENDINGS} <= hidden


def test_oversight_cannot_bound_hidden_volunteers_by_their_months() -> None:
    from reentry_ledger.reports.suppression import withheld
    from reentry_ledger.reports.volunteers import COUNTS, DERIVED, TOTALS

    row = {"volunteers": 2, "volunteer_months": 70, "volunteer_months_supervised": 30,
           "sessions": 40, "sessions_individual": 10, "sessions_group": 30}  # fmt: skip
    hidden = withheld(row, 10, COUNTS, DERIVED, TOTALS)
    assert {"volunteers", "volunteer_months", "sessions_per_volunteer_month"} <= hidden
