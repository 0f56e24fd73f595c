"""Paired bootstrap over members: how sure is a difference in a per-member metric.

Both models are scored on the same members, so the difference is taken member
by member and the members are resampled with replacement; the interval is the
2.5th and 97.5th percentile of the resampled mean differences. An interval that
includes zero is a match, one above zero a win, one below zero a loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairedInterval:
    mean: float  # mean of (a - b) over the members
    low: float
    high: float
    members: int
    resamples: int

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return "win"
        if self.high < 0:
            return "loss"
        return "match"


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> PairedInterval:
    """Interval of mean(a - b) for two per-member arrays in the same member order."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("a and b must be 1-D arrays over the same members")
    if len(a) == 0:
        return PairedInterval(0.0, 0.0, 0.0, 0, resamples)
    diff = a - b
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 256):  # blocks keep the index array small
        stop = min(start + 256, resamples)
        picks = rng.integers(0, len(diff), size=(stop - start, len(diff)))
        means[start:stop] = diff[picks].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return PairedInterval(float(diff.mean()), float(low), float(high), len(diff), resamples)
