"""The `goals` projection: goals with their need and target, progress and approvals, on both
backends; caught up event by event it equals a rebuild, a correction marks its row retracted,
and no goal text or note reaches a table."""

from __future__ import annotations

from datetime import date

from reentry_ledger.application import Ledger
from reentry_ledger.projections.runner import ProjectionRunner
from tests.builders import enroll_parolee, projection_contents

GOALS = (
    "SELECT goal_id, need, target, priority, replaces, retracted_at IS NOT NULL "
    "FROM {audit_goals} ORDER BY number, goal_id"
)
PROGRESS = (
    "SELECT goal_id, status, retracted_at IS NOT NULL FROM {audit_goal_progress} ORDER BY number"
)
APPROVALS = "SELECT occurred_on, goals FROM {audit_plan_approvals}"


def record(ledger: Ledger, runner: ProjectionRunner) -> None:
    """The history, caught up after each event (as the runner follows a live ledger)."""
    steps = [
        lambda: enroll_parolee(ledger, "GA-1"),
        lambda: ledger.add_goal("GA-1", actor="jdoe", on=date(2025, 2, 1), need="school_work",
                                description="secret job text", target=date(2025, 6, 30)),
        lambda: ledger.revise_plan("GA-1", actor="jdoe", on=date(2025, 2, 2),
                                   goals=[("substance_use", "secret rehab text"),
                                          ("family_marital", "secret family text"), "G1"]),
        lambda: ledger.progress_goal("GA-1", "G1", actor="jdoe", on=date(2025, 3, 1),
                                     status="in_progress", note="secret note"),
        lambda: ledger.progress_goal("GA-1", "G2", actor="jdoe", on=date(2025, 3, 2),
                                     status="achieved"),
        lambda: ledger.correct("GA-1", 5, actor="sup", reason="wrong goal"),
        lambda: ledger.approve_plan("GA-1", actor="sup", on=date(2025, 3, 3)),
    ]  # fmt: skip
    for step in steps:
        step()
        runner.catch_up()


def test_goals_progress_and_approvals_are_projected_and_rebuild_to_the_same_rows(
    ledger: Ledger,
) -> None:
    runner = ProjectionRunner(ledger)
    record(ledger, runner)
    store = runner.store
    assert store.rows(GOALS, tables=["audit_goals"]) == [
        ("G1", "school_work", "2025-06-30", None, 0, False),
        ("G2", "substance_use", None, 1, 0, False),
        ("G3", "family_marital", None, 2, 0, False),
    ]
    assert store.rows(PROGRESS, tables=["audit_goal_progress"]) == [
        ("G1", "in_progress", False),
        ("G2", "achieved", True),  # retracted by the correction
    ]
    # G2's achievement retracted: the open goals G2, G3, G1 in their order
    assert store.rows(APPROVALS, tables=["audit_plan_approvals"]) == [("2025-03-03", "G2,G3,G1")]

    followed = projection_contents(ledger)
    runner.rebuild(["goals"])
    assert projection_contents(ledger) == followed
    assert "secret" not in repr(followed)
