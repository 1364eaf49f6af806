"""Validation figures: the model against the Ukrainian Air Force record.

They draw results the calibration package computed (:mod:`sim.calibration`); nothing here
simulates or fits. ``python -m sim validate-model`` (:mod:`sim.cli.calibration`) saves them into
the report folder.

Functions:
    plot_launches(cal): monthly launches, simulated (median, 5-95 %) against the record.
    plot_neutralisation(cal): monthly neutralisation rate and EW-loss share against the record,
        fit and out-of-sample months.
    plot_validation(months): both quantities side by side (notebooks, ``sim.viz``).
    plot_rolling_origin(forecasts): the rolling-origin forecasts of each origin against the
        record (neutralised share and launches), full model.

``plot_launches``/``plot_neutralisation`` build a :class:`matplotlib.figure.Figure` without
pyplot state; ``plot_validation``/``plot_rolling_origin`` use pyplot (they show in notebooks).
Each returns ``(fig, ax)``.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim.viz.style import CYCLE, finish_axes, styled


def _months_frame(cal: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(cal["months"])


def _boundary(ax, df: pd.DataFrame, left: str = "defence fit",
              right: str = "out of sample") -> None:
    n_fit = int((df["period"] == "fit").sum())
    if 0 < n_fit < len(df):
        ax.axvline(n_fit - 0.5, color="0.3", ls="--", lw=1)
        tr = ax.get_xaxis_transform()
        ax.text(n_fit - 0.6, 0.98, left, ha="right", va="top", fontsize=8, color="0.3",
                transform=tr)
        ax.text(n_fit - 0.4, 0.98, right, ha="left", va="top", fontsize=8, color="0.3",
                transform=tr)


def _of(n) -> str:
    """``" of 20 replicates"`` (or ``" of the replicates"`` when the count is unknown)."""
    return f" of {int(n)} replicates" if n else " of the replicates"


def _labels(df: pd.DataFrame) -> list[str]:
    return [pd.Period(m, freq="M").strftime("%b\n%Y") if i in (0, len(df) - 1) or
            m.endswith("-01") else pd.Period(m, freq="M").strftime("%b")
            for i, m in enumerate(df["month"])]


def plot_launches(cal: dict[str, Any]):
    """Monthly launches: simulated median and 90% band over replicates against the record."""
    from matplotlib.figure import Figure

    df = _months_frame(cal)
    of = _of(cal.get("evaluation", {}).get("replicates"))
    x = np.arange(len(df))
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(x, df["sim_launched_p05"], df["sim_launched_p95"], color="C0", alpha=0.25,
                    label=f"simulated: 5th-95th percentile{of}")
    ax.plot(x, df["sim_launched_median"], color="C0", marker="o", ms=3,
            label=f"simulated: median{of}")
    ax.plot(x, df["obs_launched"], color="k", marker="s", ls="none", ms=5,
            label="reported (Air Force)")
    ax.set_xticks(x, _labels(df), fontsize=8)
    ax.set_ylabel("Shahed-type drones launched per month")
    ax.set_ylim(0, None)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title("Launches: the threat profile is fitted to all 12 months (a consistency check)",
                 fontsize=9)
    _boundary(ax, df, right="defence out of sample")
    return fig, ax


def plot_neutralisation(cal: dict[str, Any]):
    """Monthly neutralisation rate and EW-loss share: simulated (median, bands) vs reported."""
    from matplotlib.figure import Figure

    df = _months_frame(cal)
    ev = cal.get("evaluation", {})
    of = _of(ev.get("replicates"))
    x = np.arange(len(df))
    fig = Figure(figsize=(8, 6.2), layout="constrained")
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    if "pred_rate_p05" in df:
        ax.fill_between(x, 100 * df["pred_rate_p05"], 100 * df["pred_rate_p95"], color="C1",
                        alpha=0.15, label="5th-95th percentile with parameter uncertainty"
                        f"{_of(ev.get('predictive_replicates'))}")
    ax.fill_between(x, 100 * df["sim_rate_p05"], 100 * df["sim_rate_p95"], color="C1",
                    alpha=0.35, label=f"5th-95th percentile{of}")
    ax.plot(x, 100 * df["sim_rate_median"], color="C1", marker="o", ms=3,
            label=f"simulated: median{of}")
    ax.plot(x, 100 * df["obs_rate"], color="k", marker="s", ls="none", ms=5,
            label="reported (destroyed + not reached) / launched")
    ax.set_ylabel("Neutralised (%)")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    _boundary(ax, df)
    ew_obs = pd.to_numeric(df["obs_ew_share"], errors="coerce")
    ax2.fill_between(x, 100 * df["sim_ew_share_p05"], 100 * df["sim_ew_share_p95"], color="C2",
                     alpha=0.3, label=f"simulated: 5th-95th percentile{of}")
    ax2.plot(x, 100 * df["sim_ew_share_median"], color="C2", marker="o", ms=3,
             label=f"simulated: median{of} (lost to EW)")
    ax2.plot(x, 100 * ew_obs, color="k", marker="s", ls="none", ms=5,
             label="reported not_reach_goal (to Jul 2025)")
    ax2.set_ylabel("Lost to EW (%)")
    ax2.set_xticks(x, _labels(df), fontsize=8)
    ax2.legend(fontsize=8, loc="lower left")
    ax2.grid(alpha=0.3)
    _boundary(ax2, df)
    return fig, (ax, ax2)


# --------------------------------------------------------------------------- validation
@styled
def plot_validation(months: pd.DataFrame, *, replicates: int | None = None,
                    title: str | None = None, figsize=(10.0, 4.4)):
    """Simulated against recorded monthly launches and neutralisation rates (two panels).

    Args:
        months: one row per month, as
            :func:`sim.calibration.defense_calibration.evaluate_months` returns it (and as
            stored under ``months`` in ``sim/data/defense_calibration.json``): ``month``
            (``YYYY-MM``), optional ``period`` (``fit`` / ``out_of_sample``), the record
            ``obs_launched`` and ``obs_rate``, the simulated ``sim_launched_median`` and
            ``sim_rate_median`` with ``_p05``/``_p95`` bands, and optionally
            ``pred_rate_p05``/``pred_rate_p95`` (with parameter uncertainty).
        replicates: how many replicates the medians and bands are over (the shipped
            calibration's ``evaluation.replicates``); said in the legend.
    """
    of = _of(replicates)
    m = months.copy()
    x = pd.PeriodIndex(m["month"].astype(str), freq="M").to_timestamp() + pd.Timedelta(days=14)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    panels = (("launched", "Shahed-type drones launched per month", 1.0),
              ("rate", "Neutralised, destroyed or lost to EW (%)", 100.0))
    for ax, (base, ylabel, k) in zip(axes, panels, strict=True):
        if base == "rate" and {"pred_rate_p05", "pred_rate_p95"} <= set(m.columns):
            ax.fill_between(x, k * m["pred_rate_p05"], k * m["pred_rate_p95"], color=CYCLE[0],
                            alpha=0.12, lw=0,
                            label="simulated 5th-95th percentile, with parameter uncertainty")
        lo, hi = f"sim_{base}_p05", f"sim_{base}_p95"
        if lo in m and hi in m:
            ax.fill_between(x, k * m[lo], k * m[hi], color=CYCLE[0], alpha=0.3, lw=0,
                            label=f"simulated: 5th-95th percentile{of}")
        med = f"sim_{base}_median" if f"sim_{base}_median" in m else f"sim_{base}_mean"
        if med in m:
            ax.plot(x, k * m[med], color=CYCLE[0], marker="o", markersize=4, lw=1.6,
                    label=f"simulated: {'median' if med.endswith('median') else 'mean'}{of}")
        if f"obs_{base}" in m:
            ax.plot(x, k * m[f"obs_{base}"], color="black", marker="s", markersize=5, ls="none",
                    label="Air Force record")
        periods = set(m["period"]) if "period" in m else set()
        if {"fit", "out_of_sample"} <= periods:
            first = x[(m["period"] == "out_of_sample").to_numpy()].min() - pd.Timedelta(days=15)
            ax.axvspan(first, x.max() + pd.Timedelta(days=16), color="#EEEEEE", zorder=0, lw=0)
            ax.annotate("fit", (first, 1.0), xycoords=("data", "axes fraction"), xytext=(-4, -4),
                        textcoords="offset points", ha="right", va="top", fontsize=8)
            ax.annotate("out of sample", (first, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -4), textcoords="offset points", ha="left", va="top",
                        fontsize=8)
        ax.set_ylabel(ylabel)
        if base == "launched":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.set_ylim(bottom=0)
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        loc = mpl.dates.AutoDateLocator(minticks=4, maxticks=7)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
        finish_axes(ax)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(2, len(handles)),
               fontsize=8)
    fig.suptitle(title or "Simulated against the Ukrainian Air Force record, month by month",
                 x=0.01, ha="left")
    return fig, axes


@styled
def plot_rolling_origin(forecasts: pd.DataFrame, *, variant: str = "full",
                        replicates: int | None = None, title: str | None = None,
                        figsize=(10.0, 4.4)):
    """Rolling-origin forecasts against the record: neutralised share and launches of drones.

    Args:
        forecasts: the ``forecasts`` table of a rolling-origin result (columns ``variant``,
            ``origin``, ``month``, ``quantity``, ``observed``, ``sim_mean``, ``sim_p05``,
            ``sim_p95``).
        variant: which model variant to draw (``full`` or a mechanism switched off).
        replicates: replicates of each forecast (``settings.replicates`` of the result); said in
            the legend.
    """
    df = forecasts[forecasts["variant"] == variant]
    panels = (("drones_neutralised_share", "Drones neutralised (%)", 100.0),
              ("drones_launched", "Drones launched per month", 1.0))
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for ax, (q, ylabel, k) in zip(axes, panels, strict=True):
        d = df[df["quantity"] == q]
        if d.empty:
            ax.set_axis_off()
            continue
        obs = d.groupby("month")["observed"].first().sort_index()
        x_obs = pd.PeriodIndex(obs.index, freq="M").to_timestamp()
        for i, (origin, g) in enumerate(d.groupby("origin", sort=True)):
            g = g.sort_values("month")
            x = pd.PeriodIndex(g["month"], freq="M").to_timestamp()
            c = CYCLE[i % len(CYCLE)]
            ax.fill_between(x, k * g["sim_p05"], k * g["sim_p95"], color=c, alpha=0.2, lw=0)
            ax.plot(x, k * g["sim_mean"], color=c, marker="o", ms=3,
                    label=f"forecast from {pd.Period(origin, freq='M'):%b %Y} (mean and "
                    f"5th-95th percentile{_of(replicates)})")
        ax.plot(x_obs, k * obs.to_numpy(float), color="black", marker="s", ms=5, ls="none",
                label="Air Force record")
        ax.set_ylabel(ylabel)
        if k == 1.0:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.set_ylim(bottom=0)
        loc = mpl.dates.AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
        finish_axes(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(2, len(handles)),
                   fontsize=8)
    fig.suptitle(title or "Rolling origin: fitted on the record up to each origin, then "
                 "forecast", x=0.01, ha="left", fontsize=10)
    return fig, axes
