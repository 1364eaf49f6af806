"""The power system the way people live it: households' hours without power a day and the
evening peak deficit, month by month, for one or more runs side by side, and by oblast.

Both figures read what a run writes: the nights table (``nightly`` outcomes
``outage_hours_per_day`` and ``peak_deficit_gw``, one row per night and replicate) and the
summary's ``details.outage_hours_per_day_by_region``. A month's value of one replicate is the
mean over its nights (as the registry aggregates both outcomes); the bar is the mean over the
replicates, the whisker the lowest and highest replicate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from sim.config.data import load_regions
from sim.model.outcomes import OUTCOMES
from sim.viz.style import CYCLE, OKABE_ITO, finish_axes, styled

HOURS = "outage_hours_per_day"
DEFICIT = "peak_deficit_gw"
REGION_DETAIL = "outage_hours_per_day_by_region"


def _label(name: str) -> str:
    """The registry's label of an outcome with its unit: 'Peak deficit (mean of days), GW'."""
    o = OUTCOMES[name]
    return f"{o.label}, {o.unit}"


def monthly_by_replicate(nights: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per month, one column per replicate: the mean of ``column`` over the nights of
    that month in that replicate."""
    month = pd.to_datetime(nights["date"]).dt.strftime("%Y-%m")
    rep = nights["replicate"] if "replicate" in nights else pd.Series(0, index=nights.index)
    return nights[column].groupby([month.rename("month"), rep.rename("replicate")]).mean() \
        .unstack("replicate").sort_index()


def monthly_summary(nights: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per month: the mean over replicates of the monthly mean (``mean``), the lowest and
    highest replicate (``low``, ``high``) and the number of replicates (``n``)."""
    by_rep = monthly_by_replicate(nights, column)
    return pd.DataFrame({"mean": by_rep.mean(axis=1), "low": by_rep.min(axis=1),
                         "high": by_rep.max(axis=1), "n": by_rep.count(axis=1)})


@styled
def plot_outage_by_month(runs: Mapping[str, pd.DataFrame], *, figsize=(7.5, 5.2)):
    """Households' hours without power a day (top) and the peak deficit (bottom), month by
    month, one bar per run: the mean over replicate winters, whiskers from the lowest to the
    highest replicate.

    Args:
        runs: label -> nights table of a run (``sim.run(...).nights``), each with the energy
            model on.

    Returns:
        ``(fig, axes)``.
    """
    if not runs:
        raise ValueError("plot_outage_by_month needs at least one nights table")
    for label, nights in runs.items():
        missing = [c for c in (HOURS, DEFICIT, "date") if c not in nights]
        if missing:
            raise ValueError(f"{label}: the nights table has no {', '.join(missing)} "
                             "(is energy.enabled on?)")
    fig, axes = plt.subplots(2, 1, sharex=True, figsize=figsize, layout="constrained")
    summary = {(label, column): monthly_summary(nights, column)
               for label, nights in runs.items() for column in (HOURS, DEFICIT)}
    months = sorted(set().union(*(summary[label, HOURS].index for label in runs)))
    x = np.arange(len(months))
    width = 0.8 / len(runs)
    for ax, column in ((axes[0], HOURS), (axes[1], DEFICIT)):
        for j, label in enumerate(runs):
            s = summary[label, column].reindex(months)
            xs = x - 0.4 + width * (j + 0.5)
            col = CYCLE[j % len(CYCLE)]
            ax.bar(xs, s["mean"], width=width * 0.92, color=col, label=label)
            ax.errorbar(xs, s["mean"], yerr=[s["mean"] - s["low"], s["high"] - s["mean"]],
                        fmt="none", ecolor=OKABE_ITO["black"], elinewidth=0.8, capsize=2)
        ax.set_ylabel(_label(column).replace(" (", "\n("), fontsize=8.5)
        finish_axes(ax)
    axes[0].set_ylim(0, 24)
    axes[0].legend(loc="upper left", fontsize=8)
    axes[1].set_xticks(x, [pd.Timestamp(m + "-01").strftime("%b %Y") for m in months])
    reps = sorted({int(summary[label, HOURS]["n"].max()) for label in runs})
    fig.suptitle("Hours without power and the evening peak deficit, month by month\n"
                 f"bars: mean over {'/'.join(map(str, reps))} replicate winters; whiskers: "
                 "lowest and highest replicate", x=0.01, ha="left", fontsize=9.5)
    return fig, axes


@styled
def plot_outage_by_region(summary: Mapping, *, names: Mapping[str, str] | None = None,
                          figsize=None):
    """Households' hours without power a day by oblast over the winter (mean over the nights
    and replicates of a run), highest at the top.

    Args:
        summary: a run's summary (``sim.run(...).summary``), with the energy model on.
        names: oblast id -> name for the labels (default: the names of the packaged
            ``regions.csv``; an id it does not know is shown as it is).

    Returns:
        ``(fig, ax)``.
    """
    hours = (summary.get("details") or {}).get(REGION_DETAIL)
    if not hours:
        raise ValueError(f"the summary has no details.{REGION_DETAIL} (is energy.enabled on?)")
    s = pd.Series(hours, dtype=float).sort_values()
    if names is None:
        regions = load_regions()
        names = dict(zip(regions["id"], regions["name"], strict=True))
    labels = [names.get(k, k).replace(" (government-controlled part)", " (controlled part)")
              for k in s.index]
    fig, ax = plt.subplots(figsize=figsize or (6.5, 0.22 * len(s) + 1.4), layout="constrained")
    ax.barh(np.arange(len(s)), s.to_numpy(), color=OKABE_ITO["vermillion"])
    ax.set_yticks(np.arange(len(s)), labels, fontsize=8)
    ax.set_xlabel(_label(HOURS))
    ax.set_xlim(0, max(24.0 if s.max() > 12 else 12.0, float(s.max()) * 1.05))
    ax.set_title(f"{summary.get('scenario', '')}: hours without power a day by oblast\n"
                 f"mean over the nights of {summary.get('replicates', '?')} replicate winters",
                 loc="left", fontsize=9.5)
    finish_axes(ax, grid="x")
    return fig, ax
