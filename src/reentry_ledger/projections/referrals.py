"""Referrals to services and every change of their status; what each referral serves, and the
needs each assessment found (for `report needs`: docs/metrics.md, "Services matched to needs").

The needs an assessment found are kept here rather than beside its risk level (the `risk`
projection): `report needs` reads them with the referrals that meet them, so its facts change
together, under one version, and the violation report's `risk` tables are not built again when
they do. A goal's need is kept as the goal was added (a goal keeps its need for good), so a
referral naming a goal is tied to that goal's need.
"""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.events import (
    Assessed,
    CasePlanRevised,
    Corrected,
    GoalAdded,
    ReferralUpdated,
    Referred,
)
from reentry_ledger.projections.base import FACT_COLUMNS, Projection, Recorded, Statement


class ReferralsProjection(Projection):
    name = "referrals"
    description = (
        "referrals by service type, the goal or need each serves, their status changes (with "
        "the reason for a decline or drop), goals' needs and the needs assessments found"
    )
    topics = (
        Referred.TOPIC,
        ReferralUpdated.TOPIC,
        Assessed.TOPIC,
        CasePlanRevised.TOPIC,
        GoalAdded.TOPIC,
        Corrected.TOPIC,
    )
    version = 4  # 4: goal, need and reason; goals' needs; assessed needs
    tables = {
        "audit_referrals": f"{FACT_COLUMNS}, referral_id TEXT NOT NULL, service TEXT NOT NULL, "
        "goal_id TEXT, need TEXT, PRIMARY KEY (client_id, number)",
        "audit_referral_updates": f"{FACT_COLUMNS}, referral_id TEXT NOT NULL, "
        "status TEXT NOT NULL, reason TEXT, PRIMARY KEY (client_id, number)",
        # each goal added (by a plan revision or on its own) and the need it is tied to
        "audit_goal_needs": f"{FACT_COLUMNS}, goal_id TEXT NOT NULL, need TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number, goal_id)",
        # each criminogenic need an assessment found: one row per need
        "audit_assessed_needs": f"{FACT_COLUMNS}, need TEXT NOT NULL, "
        "PRIMARY KEY (client_id, number, need)",
    }
    fact_tables = (
        "audit_referrals",
        "audit_referral_updates",
        "audit_goal_needs",
        "audit_assessed_needs",
    )

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == Referred.TOPIC:
            yield (
                "INSERT INTO {audit_referrals} VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                (
                    *event.key(),
                    event["referral_id"],
                    event.code("service"),
                    event["goal_id"],
                    event.code("need"),
                ),
            )
        elif event.topic == ReferralUpdated.TOPIC:
            yield (
                "INSERT INTO {audit_referral_updates} VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                (*event.key(), event["referral_id"], event.code("status"), event.code("reason")),
            )
        elif event.topic == Assessed.TOPIC:
            needs = sorted({str(need["code"]) for need in event["needs"]})
            for need in needs:
                yield (
                    "INSERT INTO {audit_assessed_needs} VALUES (?, ?, ?, ?, NULL, ?)",
                    (*event.key(), need),
                )
        elif event.topic == GoalAdded.TOPIC:
            yield (
                "INSERT INTO {audit_goal_needs} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                (*event.key(), event["goal_id"], event.code("need")),
            )
        elif event.topic == CasePlanRevised.TOPIC:
            for goal in event["goals"]:
                if goal.get("need") is not None:  # a new goal (a moved one names only its id)
                    yield (
                        "INSERT INTO {audit_goal_needs} VALUES (?, ?, ?, ?, NULL, ?, ?)",
                        (*event.key(), goal["goal_id"], str(goal["need"]["code"])),
                    )
