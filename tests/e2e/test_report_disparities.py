"""report disparities through the CLI on a small ledger, every number worked out by hand.

Needs the violation report's `race` dimension and `days_at_risk` (reports/tallies.py).

The ledger (2025):
- W1, white, from 1 Jan, open: 365 supervised days, less a custody sanction from 1 Mar to
  11 Mar (custody 1-10 Mar: 10 days) = 355 days at risk; a curfew breach on 1 Feb.
- B1, black, from 1 Jul, open: 184 days at risk; curfew breaches on 1 Aug and 1 Sep.
Technical: white 100 * 1 / (355 / 365.25) = 102.8873 per 100 person-years; black
100 * 2 / (184 / 365.25) = 397.0109; ratio (2/184) / (1/355) = 3.8587, interval
3.8587 · exp(∓1.96 · sqrt(1/2 + 1/1)) = 0.3499 .. 42.5545.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest

from reentry_ledger.application import Ledger

YEAR = ["--from", "2025-01-01", "--to", "2025-12-31"]


@pytest.fixture
def people(ledger: Ledger) -> Ledger:
    for ref, start, race in (("W1", date(2025, 1, 1), "white"), ("B1", date(2025, 7, 1), "black")):
        ledger.enroll(ref, actor="jdoe", start=start, agency="GA", officer="o-1",
                      supervision="parole", race=race)  # fmt: skip
    ledger.start_custody("W1", actor="jdoe", on=date(2025, 3, 1), reason="sanction")
    ledger.end_custody("W1", actor="jdoe", on=date(2025, 3, 11))
    for ref, on in (("W1", date(2025, 2, 1)), ("B1", date(2025, 8, 1)), ("B1", date(2025, 9, 1))):
        ledger.record_violation(ref, actor="jdoe", on=on, technical=("curfew",))
    return ledger


def groups(run: Callable[..., object], *args: str, actor: str = "jdoe") -> list[dict]:
    result = run("report", "disparities", *YEAR, "--format", "json", *args, actor=actor)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    return json.loads(result.stdout)["groups"]  # type: ignore[attr-defined]


def test_technical_rate_by_race_beside_white(run, people) -> None:  # type: ignore[no-untyped-def]
    black, white = groups(run, "--metric", "technical")
    assert (black["race"], black["reference"], black["days_at_risk"]) == ("black", "white", 184)
    assert (white["days_at_risk"], white["count"]) == (355, 1)
    assert black["rate_per_100_person_years"] == 397.0109
    assert black["reference_rate_per_100_person_years"] == 102.8873
    assert (black["rate_ratio"], black["rate_ratio_low"], black["rate_ratio_high"]) == (
        3.8587, 0.3499, 42.5545,
    )  # fmt: skip


def test_every_metric_by_default_and_all_hidden_for_oversight(run, people) -> None:  # type: ignore[no-untyped-def]
    assert [row["metric"] for row in groups(run)][:3] == [
        "technical", "new_offence", "revocations_technical",
    ]  # fmt: skip
    run("users", "add", "jdoe", "--role", "auditor")
    run("users", "add", "ov", "--role", "oversight")
    black = groups(run, "--metric", "technical", actor="ov")[0]
    assert black["count"] == black["rate_ratio"] == black["rate_ratio_high"] == "withheld"
