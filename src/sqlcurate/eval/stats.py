"""Confidence intervals for the rates an eval reports (accuracy on a few dozen items is noisy; say how
noisy)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion. Unlike the normal approximation it stays inside
    [0, 1] and is sensible at 0/n and n/n, which small eval sets hit often."""
    assert 0 <= successes <= n, f"successes must be in [0, n], got {successes}/{n}"
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # exact ends at 0/n and n/n (the formula reaches them only up to rounding)
    lo = 0.0 if successes == 0 else max(0.0, center - half)
    hi = 1.0 if successes == n else min(1.0, center + half)
    return (lo, hi)
