"""Confidence intervals: Wilson for proportions, exact (Garwood) Poisson for counts, and the
Poisson interval widened for counts of repeated events (quasi-Poisson, docs/metrics.md).

The Poisson limits are quantiles of the gamma distribution, found by Halley's method
(bisection where a step would leave its bracket) on the regularised incomplete gamma function
(series and continued fraction, as in Numerical Recipes);
the gamma's shape need not be a whole number, so a count divided by a dispersion has limits too.
"""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float, float] | None:
    """Proportion and its Wilson score interval, or None when there are no trials."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return p, max(0.0, centre - half), min(1.0, centre + half)


def _lower_gamma_regularised(a: float, x: float) -> float:
    """P(a, x): the lower incomplete gamma function over the complete one."""
    if x <= 0:
        return 0.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if term < total * 1e-15:  # both positive: x > 0, a > 0
                break
        return total * math.exp(log_prefix)
    # Continued fraction for Q(a, x) (modified Lentz).
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if -tiny < d < tiny else d
        c = b + an / c
        c = tiny if -tiny < c < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if -1e-15 < delta - 1 < 1e-15:
            break
    return 1.0 - math.exp(log_prefix) * h


@lru_cache(maxsize=4_096)  # about 1 MB; whole counts are what come back
def _gamma_quantile(probability: float, shape: float) -> float:
    """x with P(shape, x) = probability, to the float's precision: Halley's steps on P (its
    slope is the gamma density g, whose own slope is g times (shape - 1) / x - 1) from the
    Wilson-Hilferty approximation (a cube of a normal quantile), kept inside a bracket that
    shrinks with every step and halved where a step would leave it. A Halley step cubes the
    error: one that moves x by less than `SETTLED` of it leaves an error near its cube, so it
    is the last, and two evaluations of P nearly always do (Newton's steps, from a bracket
    found first, took six or seven: most of a report of thousands of groups, whose counts
    divided by their dispersion are not whole). Remembered: a report asks the same few shapes
    (small whole counts) for thousands of groups."""
    low, high = 0.0, math.inf
    log_gamma = math.lgamma(shape)
    cube = 1 - 1 / (9 * shape) + NormalDist().inv_cdf(probability) / (3 * math.sqrt(shape))
    x = shape * cube**3 if cube > 0 else 0.0
    if not x > 0:
        x = max(1.0, shape)
    for _ in range(200):
        error = _lower_gamma_regularised(shape, x) - probability
        if error == 0:
            return x
        if error < 0:
            low = x
        else:
            high = x
        density = math.exp((shape - 1) * math.log(x) - x - log_gamma)
        following, settled = math.nan, 1e-15
        if density > 0:
            step = error / density
            bend = 1 - step * ((shape - 1) / x - 1) / 2
            if bend > 0.5:  # Halley's step; else Newton's, whose error is only squared
                step, settled = step / bend, SETTLED
            following = x - step
        if low < following < high:
            if abs(following - x) <= settled * following:
                return following
            x = following
        elif high < math.inf:  # outside the bracket (or no step): halve it
            x = (low + high) / 2
            if high - low <= 1e-15 * high:
                return x
        else:
            x *= 2
    return x


SETTLED = 1e-7  # a Halley step this small (of x) leaves an error near its cube: none a float holds


def poisson_interval(count: float, alpha: float = 0.05) -> tuple[float, float]:
    """Exact 95% limits for the mean of a Poisson count (a count that is not a whole number,
    as a count divided by a dispersion is, takes the same gamma quantiles)."""
    lower = 0.0 if count == 0 else _gamma_quantile(alpha / 2, count)
    upper = _gamma_quantile(1 - alpha / 2, count + 1)
    return lower, upper


def dispersion(
    clients: int, count: int, days: int, squares: int, by_days: int, days_squares: int
) -> float:
    """How much wider than Poisson a group's count of repeated events spreads, by client: for
    clients i with y_i events in e_i days at risk (`count` = sum y_i, `days` = sum e_i,
    `squares` = sum y_i², `by_days` = sum y_i·e_i, `days_squares` = sum e_i²) and the rate
    r = count / days, phi = n/(n-1) · sum (y_i - r·e_i)² / count, never below 1; 1 when there
    is no event, no day at risk or a single client. Computed exactly from the integer sums, so
    the same sums always give the same phi."""
    if count == 0 or days == 0 or clients < 2:
        return 1.0
    # sum (y_i - r e_i)², expanded, times days² (a whole number); Python divides whole
    # numbers exactly and rounds once, as the fraction it stands for would be
    spread = squares * days * days - 2 * count * by_days * days + count * count * days_squares
    return max(1.0, clients * spread / ((clients - 1) * count * days * days))


def overdispersed_interval(count: int, phi: float, alpha: float = 0.05) -> tuple[float, float]:
    """95% limits for the mean of a count with dispersion `phi`: the exact Poisson limits of
    count / phi, times phi (the Poisson limits themselves when phi is 1)."""
    if phi == 1:
        return poisson_interval(count, alpha)
    low, high = poisson_interval(count / phi, alpha)
    return low * phi, high * phi
