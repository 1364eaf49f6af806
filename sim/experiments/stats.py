"""Statistics over replicates: an outcome's mean with its interval, and paired differences.

Every table and figure that shows a mean over replicates gets it here, so the interval method is
the same everywhere (docs/outcomes.md names it): a BCa bootstrap of the mean, kept inside the
outcome's bounds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats

LEVEL = 0.95

INTERVAL_METHOD = "BCa bootstrap"
"""The name of the interval method every table, figure and doc gives (a test checks that the
docs name it and no other)."""


def _finite(values: Iterable) -> np.ndarray:
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    return v[np.isfinite(v)]


def mean_ci(values, level: float = LEVEL, lower: float | None = None,
            upper: float | None = None) -> dict[str, float]:
    """Mean of replicate values and its confidence interval (NaNs dropped).

    The interval is the bias-corrected and accelerated (BCa) bootstrap of the mean
    (:func:`scipy.stats.bootstrap`, 2,000 resamples, a fixed seed so summaries are
    reproducible): it follows the skew of the outcome and, being made of resampled means, never
    leaves the range of the values; it is also clipped to the outcome's bounds (``lower``,
    ``upper``, from the outcome registry). With one replicate there is no interval (the bounds
    equal the value: one draw); with all values equal the interval is that value.

    Returns:
        ``{"mean", "ci_low", "ci_high", "std", "n"}``.
    """
    return mean_ci_many([values], level, [lower], [upper])[0]


def mean_ci_many(rows, level: float = LEVEL, lower=None, upper=None) -> list[dict[str, float]]:
    """:func:`mean_ci` of several outcomes at once (one bootstrap call for all rows with the
    same number of finite values)."""
    rows = [_finite(r) for r in rows]
    k = len(rows)
    lower = list(lower) if lower is not None else [None] * k
    upper = list(upper) if upper is not None else [None] * k
    out: list[dict[str, float] | None] = [None] * k
    by_n: dict[int, list[int]] = {}
    for i, v in enumerate(rows):
        n = len(v)
        if n == 0:
            out[i] = {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                      "std": math.nan, "n": 0}
        elif n == 1 or np.all(v == v[0]):
            m = float(v.mean())
            out[i] = {"mean": m, "ci_low": m, "ci_high": m,
                      "std": 0.0 if n > 1 else math.nan, "n": n}
        else:
            by_n.setdefault(n, []).append(i)
    for n, idx in by_n.items():
        data = np.stack([rows[i] for i in idx])
        res = stats.bootstrap((data,), np.mean, confidence_level=level, n_resamples=2000,
                              method="BCa", axis=-1, vectorized=True,
                              random_state=np.random.default_rng(20251101))
        lo = np.atleast_1d(res.confidence_interval.low)
        hi = np.atleast_1d(res.confidence_interval.high)
        for j, i in enumerate(idx):
            v = rows[i]
            m = float(v.mean())
            a, b = float(lo[j]), float(hi[j])
            if not (math.isfinite(a) and math.isfinite(b)):  # a degenerate resample: percentiles
                a, b = (float(q) for q in np.quantile(v, [(1 - level) / 2, (1 + level) / 2]))
            a, b = min(a, m), max(b, m)
            if lower[i] is not None:
                a, b, m = max(a, lower[i]), max(b, lower[i]), max(m, lower[i])
            if upper[i] is not None:
                a, b, m = min(a, upper[i]), min(b, upper[i]), min(m, upper[i])
            out[i] = {"mean": m, "ci_low": a, "ci_high": b, "std": float(v.std(ddof=1)),
                      "n": n}
    return out


def paired_stats(a, b, level: float = LEVEL) -> dict:
    """Statistics of the paired difference ``b - a`` of two alternatives run on the same
    replicates (common random numbers): the mean difference with the BCa bootstrap interval of
    :func:`mean_ci` (it stays inside the range of the paired differences), and the p-value of
    the paired t-test (:func:`scipy.stats.ttest_rel`).

    When every paired difference is identical the interval is that single value (zero for
    identical inputs: not significant; anything else: significant, with p-value 0).

    ``mean_a`` and ``mean_b`` are each over every replicate that has a value: an outcome that A
    does not have (a cost per kill without a programme) keeps B's mean; the difference, its
    interval and ``n`` are over the replicates where both have one.

    Returns:
        ``n, mean_a, mean_b, diff, sd_diff, ci_low, ci_high, p_value, significant, rel_diff``.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    fa, fb = a[~np.isnan(a)], b[~np.isnan(b)]
    mean_a = float(fa.mean()) if len(fa) else math.nan
    mean_b = float(fb.mean()) if len(fb) else math.nan
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    n = len(a)
    d = b - a
    diff = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    if n > 1 and np.all(d == d[0]):
        sd = 0.0
        lo = hi = diff
        p = 1.0 if diff == 0 else 0.0
    elif n > 1:
        ci = mean_ci(d, level)
        lo, hi, p = ci["ci_low"], ci["ci_high"], float(stats.ttest_rel(b, a).pvalue)
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


def ratio_of_means(num, den, level: float = LEVEL) -> dict:
    """A ratio of two outcomes' means over the same replicates, ``mean(num) / mean(den)`` (a
    cost per net drone stopped: the spend over the net effect), with its BCa bootstrap interval
    resampling the replicates in pairs (:func:`scipy.stats.bootstrap`, ``paired=True``, the
    same resamples and seed as :func:`mean_ci`).

    The ratio is undefined (NaN) when ``mean(den)`` is not above 0. When the resampled
    denominator can reach 0 or below, the interval has no upper end (``ci_high`` is ``inf``):
    the data do not rule out an effect of nothing, so no cost is too high.

    Returns:
        ``{"mean", "ci_low", "ci_high", "n"}`` (``mean`` is the ratio).
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den)
    num, den = num[ok], den[ok]
    n = len(num)
    nan = {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "n": n}
    if n == 0 or not den.mean() > 0:
        return nan
    r = float(num.mean() / den.mean())
    if n == 1 or (np.all(num == num[0]) and np.all(den == den[0])):
        return {"mean": r, "ci_low": r, "ci_high": r, "n": n}

    def stat(x, y, axis=-1):
        my = np.mean(y, axis=axis)
        return np.where(my > 0, np.mean(x, axis=axis) / np.where(my > 0, my, 1.0), np.inf)

    import warnings

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        # resamples whose denominator is not above 0 are infinite: BCa then warns, and the
        # percentiles below take over
        warnings.simplefilter("ignore")
        res = stats.bootstrap((num, den), stat, paired=True, vectorized=True,
                              confidence_level=level, n_resamples=2000, method="BCa",
                              random_state=np.random.default_rng(20251101))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    dist = np.asarray(res.bootstrap_distribution, dtype=float)
    if not (math.isfinite(lo) and math.isfinite(hi)):  # degenerate or unbounded: percentiles
        with np.errstate(invalid="ignore"):
            lo, hi = (float(q) for q in np.quantile(dist, [(1 - level) / 2, (1 + level) / 2]))
    if np.mean(~np.isfinite(dist)) > (1 - level) / 2:
        hi = math.inf
    return {"mean": r, "ci_low": min(lo, r), "ci_high": max(hi, r), "n": n}
