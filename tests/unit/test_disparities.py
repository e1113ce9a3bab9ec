"""Disparity rows from grouped counts, checked against numbers worked out by hand.

White: 20 clients, 7,305 days at risk (20 person-years), 10 technical violations, 4 new
offences, 2 revocations for technical violations. Black: 12 clients, 1,461 days (4 years),
6 technical, no new offence, 1 revocation.
- technical: 100 * 10 / 20 = 50 and 100 * 6 / 4 = 150 per 100 person-years; ratio 3;
  interval 3 · exp(∓1.96 · sqrt(1/6 + 1/10)) = 1.0903 .. 8.2543.
- new offences: 0 against 20; ratio 0, no interval (a count of 0).
- revocations: 25 against 10; ratio 2.5, interval 2.5 · exp(∓1.96 · sqrt(1/1 + 1/2)) =
  0.2267 .. 27.5705.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.disparities import DisparityRequest, rate_ratio, rows

WHITE = {"clients": 20, "days_at_risk": 7305, "technical_violations": 10, "new_offences": 4,
         "revocations_technical": 2}  # fmt: skip
BLACK = {"clients": 12, "days_at_risk": 1461, "technical_violations": 6, "new_offences": 0,
         "revocations_technical": 1}  # fmt: skip
COUNTS: dict[tuple[Any, ...], dict[str, int]] = {("white",): WHITE, ("black",): BLACK}
TODAY = date(2026, 1, 15)


def by_metric(result: list[dict[str, Any]], group: str) -> dict[str, dict[str, Any]]:
    return {row["metric"]: row for row in result if row["race"] == group}


def test_rates_ratio_and_interval_beside_white_by_default() -> None:
    black = by_metric(rows(COUNTS, DisparityRequest(TODAY)), "black")
    technical = black["technical"]
    assert technical["reference"] == "white"
    assert (technical["rate_per_100_person_years"],
            technical["reference_rate_per_100_person_years"]) == (150.0, 50.0)  # fmt: skip
    assert (technical["rate_ratio"], technical["rate_ratio_low"],
            technical["rate_ratio_high"]) == (3.0, 1.0903, 8.2543)  # fmt: skip
    assert (black["new_offence"]["rate_ratio"], black["new_offence"]["rate_ratio_low"]) == (
        0.0,
        None,
    )
    revocations = black["revocations_technical"]
    assert (revocations["rate_per_100_person_years"], revocations["rate_ratio"]) == (25.0, 2.5)
    assert (revocations["rate_ratio_low"], revocations["rate_ratio_high"]) == (0.2267, 27.5705)


def test_groups_in_code_order_the_reference_against_itself() -> None:
    result = rows(COUNTS, DisparityRequest(TODAY, metrics=("technical",)))
    assert [row["race"] for row in result] == ["black", "white"]
    assert (result[1]["rate_ratio"], result[1]["rate_ratio_low"]) == (1.0, None)


def test_another_reference_and_no_ratio_without_reference_events() -> None:
    request = DisparityRequest(TODAY, reference="black", metrics=("new_offence",))
    white = by_metric(rows(COUNTS, request), "white")["new_offence"]
    assert (white["reference_count"], white["rate_ratio"], white["rate_ratio_high"]) == (
        0,
        None,
        None,
    )


def test_without_a_default_the_reference_is_the_group_with_most_days_at_risk() -> None:
    counts = {("female",): {**BLACK}, ("male",): {**WHITE}}
    [female, male] = rows(counts, DisparityRequest(TODAY, by="sex", metrics=("technical",)))
    assert female["reference"] == male["reference"] == "male"
    assert female["rate_ratio"] == 3.0


def test_small_counts_hide_the_rates_and_every_ratio_built_on_them() -> None:
    black = by_metric(rows(COUNTS, DisparityRequest(TODAY, suppress_below=5)), "black")
    technical, revocations = black["technical"], black["revocations_technical"]
    assert technical["rate_ratio_high"] == 8.2543  # 6 against 10: both shown
    assert revocations["count"] == revocations["rate_per_100_person_years"] == "withheld"
    assert (
        revocations["reference_count"]
        == revocations["reference_rate_per_100_person_years"]
        == "withheld"
    )
    assert revocations["rate_ratio"] == revocations["rate_ratio_low"] == "withheld"
    assert "_reference_clients" not in revocations


def test_rate_ratio_is_undefined_without_days_at_risk() -> None:
    assert rate_ratio(3, 0, 4, 100) == (None, None, None)


def test_a_reference_that_is_not_a_code_is_refused() -> None:
    with pytest.raises(InvalidInput, match="--reference: 'purple' is not a race code"):
        DisparityRequest(TODAY, reference="purple")
