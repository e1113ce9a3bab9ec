"""Case plans' goals (each with its need and target), where each goal stood, and approvals.

Only codes, ids and dates: a goal's text and a progress note are personal and stay out."""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    CasePlanApproved,
    CasePlanRevised,
    Corrected,
    GoalAdded,
    GoalProgressed,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement

GOAL = "INSERT INTO {audit_goals} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)"


class GoalsProjection(Projection):
    name = "goals"
    description = "case plans' goals (need, target), their progress, and plan approvals"
    topics = (
        GoalAdded.TOPIC,
        CasePlanRevised.TOPIC,
        GoalProgressed.TOPIC,
        CasePlanApproved.TOPIC,
        Corrected.TOPIC,
    )
    tables = {
        # one row per goal added, by `goal` (GoalAdded) or with a plan (CasePlanRevised);
        # `priority` the place it was given (NULL: last); `replaces` 1 for the goals of a plan
        # recorded before goals had ids, which replaced the term's plan before it
        "audit_goals": f"{FACT_COLUMNS}, goal_id TEXT NOT NULL, need TEXT NOT NULL, "
        "target TEXT, priority INTEGER, replaces INTEGER NOT NULL, "
        "PRIMARY KEY (client_id, number, goal_id)",
        "audit_goal_progress": f"{FACT_COLUMNS}, goal_id TEXT NOT NULL, status TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number)",
        # `goals`: the open goals approved, in order (ids the ledger assigns)
        "audit_plan_approvals": f"{FACT_COLUMNS}, goals TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number)",
    }
    fact_tables = ("audit_goals", "audit_goal_progress", "audit_plan_approvals")

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == GoalAdded.TOPIC:
            values = (event["goal_id"], event.code("need"), event["target"], event["priority"], 0)
            yield GOAL, (*event.key(), *values)
        elif event.topic == CasePlanRevised.TOPIC:
            replaces = 1 if event.state.get("replaces") else 0
            for goal in event["goals"]:
                if goal.get("need") is not None:
                    need = goal["need"]["code"]
                    values = (goal["goal_id"], need, None, goal["priority"], replaces)
                    yield GOAL, (*event.key(), *values)
        elif event.topic == GoalProgressed.TOPIC:
            yield (
                "INSERT INTO {audit_goal_progress} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*event.key(), event["goal_id"], event.code("status")),
            )
        elif event.topic == CasePlanApproved.TOPIC:
            yield (
                "INSERT INTO {audit_plan_approvals} VALUES (?, ?, ?, ?, NULL, ?)",
                (*event.key(), ",".join(event["goals"])),
            )
