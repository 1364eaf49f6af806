"""Intervals over replicates stay inside the outcome's bounds, also on skewed outcomes."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.stats import mean_ci, mean_ci_many, paired_stats


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), shape=st.floats(0.05, 3.0), p_zero=st.floats(0, 0.9),
       scale=st.floats(1e-3, 1e7), seed=st.integers(0, 2**31))
def test_totals_stay_at_or_above_zero(n, shape, p_zero, scale, seed):
    """Heavily skewed totals (many zeros, a long tail) keep their interval at or above 0 and
    around the mean."""
    rng = np.random.default_rng(seed)
    v = np.where(rng.random(n) < p_zero, 0.0, rng.gamma(shape, scale, n))
    ci = mean_ci(v, lower=0.0)
    assert 0.0 <= ci["ci_low"] <= ci["mean"] <= ci["ci_high"]
    assert ci["ci_high"] <= v.max() + 1e-9 * max(1.0, v.max())


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), a=st.floats(0.05, 50), b=st.floats(0.05, 50),
       seed=st.integers(0, 2**31))
def test_shares_stay_in_the_unit_interval(n, a, b, seed):
    """Shares near 0 or 1 (beta-distributed, skewed) keep their interval in [0, 1]."""
    rng = np.random.default_rng(seed)
    v = rng.beta(a, b, n)
    ci = mean_ci(v, lower=0.0, upper=1.0)
    assert 0.0 <= ci["ci_low"] <= ci["mean"] <= ci["ci_high"] <= 1.0


def test_a_symmetric_t_interval_would_leave_the_bounds():
    """The case the bounds guard against: one bad winter among good ones. A t interval on these
    shares goes above 1; ours does not."""
    from scipy import stats

    v = np.array([1.0, 1.0, 1.0, 0.93, 1.0, 1.0, 0.999, 1.0, 1.0, 1.0])
    t = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=v.std(ddof=1) / math.sqrt(len(v)))
    assert t[1] > 1.0
    ci = mean_ci(v, lower=0.0, upper=1.0)
    assert ci["ci_high"] <= 1.0 and ci["ci_low"] < ci["mean"]


def test_one_draw_has_no_interval_and_equal_values_a_point():
    one = mean_ci([0.7])
    assert one["n"] == 1 and one["ci_low"] == one["ci_high"] == 0.7
    same = mean_ci([3.0, 3.0, 3.0])
    assert same["ci_low"] == same["ci_high"] == 3.0 and same["std"] == 0.0
    assert mean_ci([])["n"] == 0


def test_many_at_once_equals_one_by_one():
    rows = [[1.0, 2.0, 4.0, 8.0], [0.1, 0.2, 0.25, 0.3], [5.0, 5.0, 5.0, 5.0]]
    many = mean_ci_many(rows)
    for r, m in zip(rows, many, strict=True):
        one = mean_ci(r)
        assert m["mean"] == one["mean"] and m["n"] == one["n"]
    assert many[2]["ci_low"] == many[2]["ci_high"] == 5.0


def test_reproducible():
    v = np.random.default_rng(1).lognormal(0, 1, 12)
    assert mean_ci(v) == mean_ci(v)
    a, b = v, v * 1.1
    assert paired_stats(a, b) == paired_stats(a, b)
