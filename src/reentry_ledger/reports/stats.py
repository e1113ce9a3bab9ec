"""Confidence intervals: Wilson for proportions, exact (Garwood) Poisson for counts.

The Poisson limits are quantiles of the gamma distribution, found by bisection on the
regularised incomplete gamma function (series and continued fraction, as in Numerical Recipes).
"""

from __future__ import annotations

import math

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
            if abs(term) < abs(total) * 1e-15:
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
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return 1.0 - math.exp(log_prefix) * h


def _gamma_quantile(probability: float, shape: float) -> float:
    low, high = 0.0, max(1.0, shape)
    while _lower_gamma_regularised(shape, high) < probability:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if _lower_gamma_regularised(shape, middle) < probability:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def poisson_interval(count: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact 95% limits for the mean of a Poisson count."""
    lower = 0.0 if count == 0 else _gamma_quantile(alpha / 2, count)
    upper = _gamma_quantile(1 - alpha / 2, count + 1)
    return lower, upper
