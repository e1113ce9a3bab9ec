"""The intervals (reports/stats.py) against published tables and hand counts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reentry_ledger.reports.stats import (
    Z95,
    _gamma_quantile,
    _lower_gamma_regularised,
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


def test_whole_counts_take_the_published_exact_poisson_limits() -> None:
    # Garwood's exact 95% limits (published tables: chi-square quantiles over 2)
    published = {0: (0.0, 3.6889), 1: (0.0253, 5.5716), 10: (4.7954, 18.3904),
                 100: (81.3640, 121.6268)}  # fmt: skip
    for count, limits in published.items():
        assert poisson_interval(count) == pytest.approx(limits, abs=0.0001)


@settings(max_examples=300, deadline=None)
@given(
    shape=st.floats(min_value=0.01, max_value=50_000, allow_nan=False),
    probability=st.sampled_from([0.025, 0.975]),
)
def test_a_gamma_quantile_is_where_the_gamma_distribution_reaches_its_probability(
    shape: float, probability: float
) -> None:
    x = _gamma_quantile(probability, shape)
    if x < 1e-12:  # a quantile this near 0 is found to 1e-15 of it, not of itself
        assert _lower_gamma_regularised(shape, 1e-12) >= probability
        return
    assert _lower_gamma_regularised(shape, x) == pytest.approx(probability, abs=1e-10)
    # and no lower, nor higher: a hair below x the distribution has not reached it yet, a
    # hair above it has (a search that stopped a step early is further off than that)
    assert _lower_gamma_regularised(shape, x * (1 - 1e-11)) < probability
    assert _lower_gamma_regularised(shape, x * (1 + 1e-11)) > probability


def test_gamma_quantiles_are_those_of_the_published_chi_square_tables() -> None:
    """Half the chi-square quantiles of the tables (3 decimals) at odd degrees of freedom: the
    gamma's shape, half of them, is not whole, as a count divided by its dispersion is not."""
    published = {(0.025, 3): 0.216, (0.975, 3): 9.348, (0.025, 5): 0.831, (0.975, 5): 12.833,
                 (0.025, 15): 6.262, (0.975, 15): 27.488}  # fmt: skip
    for (probability, freedom), chi_square in published.items():
        assert 2 * _gamma_quantile(probability, freedom / 2) == pytest.approx(chi_square, abs=5e-4)
