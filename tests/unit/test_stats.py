"""The intervals (reports/stats.py) against published tables and hand counts."""

from __future__ import annotations

import pytest

from reentry_ledger.reports.stats import (
    Z95,
    dispersion,
    overdispersed_interval,
    poisson_interval,
    wilson,
)


def test_the_wilson_z_is_the_two_sided_95_percent_normal_quantile() -> None:
    assert Z95 == 1.959963984540054
    # 1 of 3 at 95%: 6.15% to 79.23% (published tables)
    assert wilson(1, 3) == pytest.approx((1 / 3, 0.0615, 0.7923), abs=0.0001)


def test_a_count_that_is_not_whole_takes_the_gamma_quantiles() -> None:
    # 0.5 events: lower = chi-square(0.025; 1 df) / 2 = 0.000982 / 2, upper =
    # chi-square(0.975; 3 df) / 2 = 9.348 / 2 (published chi-square tables)
    low, high = poisson_interval(0.5)
    assert low == pytest.approx(0.000491, abs=0.000001)
    assert high == pytest.approx(4.674, abs=0.001)
    # between the limits of the whole counts around it
    assert poisson_interval(2)[0] < poisson_interval(2.5)[0] < poisson_interval(3)[0]
    assert poisson_interval(2)[1] < poisson_interval(2.5)[1] < poisson_interval(3)[1]


def test_the_dispersion_of_one_client_with_every_event() -> None:
    # y = (6, 0, 0), e = (100, 100, 100): Y = 6, E = 300, r·e = 2 each;
    # sum (y - r·e)² = 16 + 4 + 4 = 24; sums: y² = 36, y·e = 600, e² = 30000;
    # phi = 3/2 · 24 / 6 = 6
    assert dispersion(3, 6, 300, 36, 600, 30_000) == 6.0
    low, high = overdispersed_interval(6, 6.0)
    one_low, one_high = poisson_interval(1)  # 6 / 6 = 1 event
    assert (low, high) == (6 * one_low, 6 * one_high)


def test_the_dispersion_is_never_below_one_and_one_without_a_spread() -> None:
    # two clients with one event each in equal time: sum (y - r·e)² = 0, phi = max(1, 0)
    assert dispersion(2, 2, 200, 2, 200, 20_000) == 1.0
    assert dispersion(1, 5, 100, 25, 500, 10_000) == 1.0  # one client: nothing to compare
    assert dispersion(4, 0, 400, 0, 0, 40_000) == 1.0  # no event
    assert dispersion(4, 3, 0, 9, 0, 0) == 1.0  # no day at risk: no rate
    assert overdispersed_interval(4, 1.0) == poisson_interval(4)
