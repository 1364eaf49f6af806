"""Statistics over replicates: an outcome's mean with its interval, and paired differences.

Every table and figure that shows a mean over replicates gets it here, so the interval method is
the same everywhere (docs/outcomes.md names it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

LEVEL = 0.95


def _finite(values: Iterable) -> np.ndarray:
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    return v[np.isfinite(v)]


def mean_ci(values, level: float = LEVEL) -> dict[str, float]:
    """Mean and two-sided t confidence interval of replicate values (NaNs dropped).

    Returns:
        ``{"mean", "ci_low", "ci_high", "std", "n"}``.
    """
    v = _finite(values)
    if len(v) == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "std": math.nan, "n": 0}
    m = float(v.mean())
    if len(v) < 2:
        return {"mean": m, "ci_low": m, "ci_high": m, "std": 0.0, "n": 1}
    sd = float(v.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * sd / math.sqrt(len(v)))
    return {"mean": m, "ci_low": m - h, "ci_high": m + h, "std": sd, "n": int(len(v))}


def paired_stats(a, b, level: float = LEVEL) -> dict:
    """Statistics of the paired difference ``b - a`` of two alternatives run on the same
    replicates (common random numbers): the paired t-test of :func:`scipy.stats.ttest_rel`
    and its confidence interval.

    When every paired difference is identical the interval is that single value (zero for
    identical inputs: not significant; anything else: significant, with p-value 0).

    Returns:
        ``n, mean_a, mean_b, diff, sd_diff, ci_low, ci_high, p_value, significant, rel_diff``.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    n = len(a)
    d = b - a
    mean_a = float(a.mean()) if n else math.nan
    mean_b = float(b.mean()) if n else math.nan
    diff = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and np.all(d == d[0]):
        sd = 0.0
        lo = hi = diff
        p = 1.0 if diff == 0 else 0.0
    elif n > 1:
        res = stats.ttest_rel(b, a)
        ci = res.confidence_interval(confidence_level=level)
        lo, hi, p = float(ci.low), float(ci.high), float(res.pvalue)
    else:
        lo = hi = p = math.nan
    significant = bool(n > 1 and (lo > 0 or hi < 0))
    rel = diff / abs(mean_a) if n and mean_a != 0.0 and not math.isnan(mean_a) else math.nan
    return {
        "n": n,
        "mean_a": mean_a,
        "mean_b": mean_b,
        "diff": diff,
        "sd_diff": sd,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
        "significant": significant,
        "rel_diff": rel,
    }
