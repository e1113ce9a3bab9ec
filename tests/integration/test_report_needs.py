"""`report needs` (docs/metrics.md, "Services matched to needs"), counted by hand, on both
backends; as it stands, after a correction, rebuilt from the log; and as oversight sees it.

The ledger (today 15 Jan 2026; the report covers assessments dated in 2025):
- GA-1 (o-1): assessed high 1 Feb 2025, substance_use and school_work (again high, 1 Aug,
  substance_use: not counted twice). R1 substance_use 10 Feb (9 days): accepted, started,
  completed. R2 housing naming need school_work 15 Apr (73 days): declined (no_capacity).
- GA-2 (o-2): assessed moderate 1 Mar 2025, school_work; goal G1 (school_work) added. R1
  housing serving G1, 20 Mar (19 days): accepted, started. R2 employment 15 Jul (136 days: too
  late).
- GA-3 (o-1, reassigned to o-3 on 1 Feb): assessed high 10 Mar 2025, substance_use. R1
  substance_use 5 Jan, before the assessment: not counted.
- GA-4 (o-2): assessed high 1 Dec 2025, substance_use: its 90 days end after today
  (incomplete). R1 substance_use 5 Dec.
- GA-5 (o-1): assessed low 1 Nov 2024 (before the range), family_marital; R1 family.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.verify import verify
from reentry_ledger.reports.service import Reports

YEAR = (date(2025, 1, 1), date(2025, 12, 31))
COUNTED = ("clients", "incomplete", "followed", "referred_30", "referred_90", "started",
           "completed", "matching_referrals")  # fmt: skip


def enroll(ledger: Ledger, ref: str, officer: str, actor: str = "jdoe") -> None:
    ledger.enroll(ref, actor=actor, start=date(2024, 10, 1), agency="GA", officer=officer,
                  supervision="parole")  # fmt: skip


def refer(ledger: Ledger, ref: str, on: date, service: str, *steps: tuple[date, str],
          actor: str = "jdoe", **serving: Any) -> None:  # fmt: skip
    referral = ledger.refer(ref, actor=actor, on=on, service=service, **serving).new_id
    for day, status in steps:
        reason = "no_capacity" if status in ("declined", "dropped") else None
        ledger.update_referral(ref, referral, status, actor=actor, on=day, reason=reason)


def record(ledger: Ledger, actor: str = "jdoe") -> None:
    def assess(ref: str, on: date, risk: str, *needs: str) -> None:
        ledger.assess(ref, actor=actor, on=on, instrument="ORAS", risk_level=risk, needs=needs)

    for ref, officer in (("GA-1", "o-1"), ("GA-2", "o-2"), ("GA-3", "o-1"), ("GA-4", "o-2"),
                         ("GA-5", "o-1")):  # fmt: skip
        enroll(ledger, ref, officer, actor)
    assess("GA-1", date(2025, 2, 1), "high", "substance_use", "school_work")
    refer(ledger, "GA-1", date(2025, 2, 10), "substance_use", (date(2025, 2, 12), "accepted"),
          (date(2025, 2, 20), "started"), (date(2025, 5, 1), "completed"), actor=actor)  # fmt: skip
    refer(ledger, "GA-1", date(2025, 4, 15), "housing", (date(2025, 4, 20), "declined"),
          actor=actor, need="school_work")  # fmt: skip
    assess("GA-1", date(2025, 8, 1), "high", "substance_use")
    assess("GA-2", date(2025, 3, 1), "moderate", "school_work")
    goal = ledger.add_goal("GA-2", actor=actor, on=date(2025, 3, 2), need="school_work",
                           description="find work").new_id  # fmt: skip
    assert goal == "G1"
    refer(ledger, "GA-2", date(2025, 3, 20), "housing", (date(2025, 3, 25), "accepted"),
          (date(2025, 4, 1), "started"), actor=actor, goal=goal)  # fmt: skip
    refer(ledger, "GA-2", date(2025, 7, 15), "employment", actor=actor)
    refer(ledger, "GA-3", date(2025, 1, 5), "substance_use", actor=actor)
    ledger.reassign("GA-3", actor=actor, on=date(2025, 2, 1), officer="o-3")
    assess("GA-3", date(2025, 3, 10), "high", "substance_use")
    assess("GA-4", date(2025, 12, 1), "high", "substance_use")
    refer(ledger, "GA-4", date(2025, 12, 5), "substance_use", actor=actor)
    assess("GA-5", date(2024, 11, 1), "low", "family_marital")
    refer(ledger, "GA-5", date(2024, 11, 5), "family", actor=actor)


def needs(ledger: Ledger, actor: str = "jdoe", by: tuple[str, ...] = ("risk",),
          **options: Any) -> list[dict[str, Any]]:  # fmt: skip
    return Reports(ledger, actor).needs(*YEAR, by, **options).rows


def counts(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in COUNTED)


EXPECTED = [
    # need, risk: clients, incomplete, followed, referred 30, 90, started, completed, referrals
    ("school_work", "moderate", (1, 0, 1, 1, 1, 1, 0, 1)),  # GA-2: by its goal
    ("school_work", "high", (1, 0, 1, 0, 1, 0, 0, 1)),  # GA-1: R2 names the need, 73 days
    ("substance_use", "high", (3, 1, 2, 1, 1, 1, 1, 1)),  # GA-1, GA-3; GA-4 incomplete
    ("all_needs", "moderate", (1, 0, 1, 1, 1, 1, 0, 1)),
    ("all_needs", "high", (3, 1, 2, 1, 1, 1, 1, 2)),  # GA-1's R1 and R2, each once
]


def test_shares_referred_started_and_completed_by_need_and_risk(ledger: Ledger) -> None:
    record(ledger)
    rows = needs(ledger)
    assert [(r["need"], r["risk"], counts(r)) for r in rows] == EXPECTED
    substance = rows[2]
    shares = [substance[f"{m}_share"] for m in ("referred_30", "referred_90", "started",
                                                  "completed")]  # fmt: skip
    assert shares == [0.5, 0.5, 0.5, 0.5]
    assert substance["referrals_per_client"] == 0.5
    assert rows[4]["referrals_per_client"] == 1.0  # 2 referrals, 2 followed clients


def test_groups_are_the_term_as_reassigned_on_the_assessments_day(ledger: Ledger) -> None:
    record(ledger)
    rows = needs(ledger, by=("agency", "officer"))
    substance = [(r["agency"], r["officer"], r["clients"]) for r in rows
                 if r["need"] == "substance_use"]  # fmt: skip
    assert substance == [("GA", "o-1", 1), ("GA", "o-2", 1), ("GA", "o-3", 1)]


def test_a_retracted_referral_no_longer_counts_and_a_rebuild_agrees(ledger: Ledger) -> None:
    record(ledger)
    needs(ledger)  # caught up before the correction
    made = next(e for e in ledger.timeline("GA-1", actor="jdoe") if e.type == "Referred")
    ledger.correct("GA-1", made.number, actor="jdoe", reason="entered on the wrong client")
    after = needs(ledger)
    substance = next(r for r in after if (r["need"], r["risk"]) == ("substance_use", "high"))
    assert counts(substance) == (3, 1, 2, 0, 0, 0, 0, 0)
    runner = ProjectionRunner(ledger)
    assert verify(runner, ["referrals"]) == []  # caught up = built again from the log
    ProjectionRunner(ledger, stage_from=1).rebuild(["referrals"])  # through staged tables
    assert needs(ledger) == after


def test_the_range_and_the_report_day_decide_who_counts(ledger: Ledger) -> None:
    record(ledger)
    earlier = Reports(ledger, "jdoe").needs(date(2024, 1, 1), date(2024, 12, 31), ()).rows
    assert [(r["need"], counts(r)) for r in earlier] == [
        ("family_marital", (1, 0, 1, 1, 1, 0, 0, 1)),
        ("all_needs", (1, 0, 1, 1, 1, 0, 0, 1)),
    ]


@pytest.fixture
def overseen(ledger: Ledger) -> Ledger:
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("ov", "oversight", None)):  # fmt: skip
        ledger.add_user(name, role, agency, actor="aud")
    record(ledger, actor="sup-ga")
    return ledger


def test_oversight_sees_every_count_below_ten_hidden_with_the_shares_it_gives(
    overseen: Ledger,
) -> None:
    assert [counts(r) for r in needs(overseen, actor="aud")] == [e[2] for e in EXPECTED]
    for row in needs(overseen, actor="ov"):
        shown = {k: v for k, v in row.items() if k not in ("need", "risk")}
        # every count here is 1 to 3, or 0: the non-zero ones are hidden, and every share
        # or mean computed from a hidden one
        assert all(v in ("withheld", 0) for v in shown.values()), row
        assert row["clients"] == "withheld" and row["referrals_per_client"] == "withheld"


def test_known_at_a_moment_counts_only_what_was_recorded_by_then(ledger: Ledger) -> None:
    record(ledger)
    moment = datetime.now(UTC)
    refer(ledger, "GA-3", date(2025, 3, 12), "substance_use", (date(2025, 3, 14), "accepted"))
    now = needs(ledger)[2]
    then = needs(ledger, known_at=moment)[2]
    assert (then["need"], then["risk"]) == (now["need"], now["risk"]) == ("substance_use", "high")
    assert (then["referred_30"], now["referred_30"]) == (1, 2)  # GA-3's, recorded later
    # the report's day is the moment's date: every follow-up but GA-4's has ended
    assert (then["incomplete"], then["followed"]) == (1, 2)
