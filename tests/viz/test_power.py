"""The power figures (sim.viz.power): each bar is the number it says it is."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from sim.viz import plot_outage_by_month, plot_outage_by_region  # noqa: E402
from sim.viz.power import DEFICIT, HOURS, monthly_summary  # noqa: E402


def _nights(values: np.ndarray, months=("2025-11", "2025-12")) -> pd.DataFrame:
    """A nights table whose nights in month m of replicate r all hold values[r, m] hours (and a
    tenth of it in GW), on 3 nights of each month."""
    rows = []
    for r in range(values.shape[0]):
        for j, mo in enumerate(months):
            for day in (1, 2, 3):
                rows.append({"replicate": r, "date": f"{mo}-0{day}",
                             HOURS: values[r, j], DEFICIT: values[r, j] / 10})
    return pd.DataFrame(rows)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 24), st.floats(0, 24)), min_size=1, max_size=6))
def test_a_months_bar_is_the_mean_of_the_replicates_and_the_whiskers_their_range(vals):
    v = np.array(vals)
    s = monthly_summary(_nights(v), HOURS)
    assert list(s.index) == ["2025-11", "2025-12"]
    np.testing.assert_allclose(s["mean"], v.mean(axis=0))
    np.testing.assert_allclose(s["low"], v.min(axis=0))
    np.testing.assert_allclose(s["high"], v.max(axis=0))
    assert (s["n"] == len(v)).all()


def test_the_bars_of_each_run_and_panel_are_its_monthly_means():
    a = np.array([[2.0, 6.0], [4.0, 10.0]])
    b = np.array([[1.0, 3.0], [1.0, 5.0]])
    fig, axes = plot_outage_by_month({"without": _nights(a), "with": _nights(b)})
    try:
        for ax, scale in ((axes[0], 1.0), (axes[1], 0.1)):
            heights = [p.get_height() for p in ax.patches]
            np.testing.assert_allclose(heights, scale * np.r_[a.mean(axis=0), b.mean(axis=0)])
        assert [t.get_text() for t in axes[1].get_xticklabels()] == ["Nov 2025", "Dec 2025"]
    finally:
        plt.close(fig)


def test_a_table_without_the_energy_outcomes_is_refused():
    with pytest.raises(ValueError, match="energy.enabled"):
        plot_outage_by_month({"no energy": pd.DataFrame({"date": ["2025-11-01"]})})
    with pytest.raises(ValueError, match="energy.enabled"):
        plot_outage_by_region({"details": {}})


def test_oblasts_are_sorted_with_their_hours_and_names():
    hours = {"lviv": 2.0, "kharkiv": 9.5, "kyiv_city": 6.0}
    fig, ax = plot_outage_by_region({"scenario": "x", "replicates": 2,
                                     "details": {"outage_hours_per_day_by_region": hours}})
    try:
        assert [p.get_width() for p in ax.patches] == [2.0, 6.0, 9.5]  # highest at the top
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[-1].startswith("Kharkiv") and "Lviv" in labels[0]
    finally:
        plt.close(fig)
