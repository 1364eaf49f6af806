"""The winter timeline: launches, available capacity against demand, and demand served night by
night, with replicate bands (reads a nights table; returns ``(fig, ax)``).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.viz.style import (
    CYCLE,
    OKABE_ITO,
    factor_label,
    finish_axes,
    nightly_label,
    outcome_label,
    styled,
)


# --------------------------------------------------------------------------- timelines
def _dates(nights: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(nights["date"])


def _timeline_stats(nights: pd.DataFrame, col: str, lo_q: float, hi_q: float) -> pd.DataFrame:
    g = nights.groupby("date")[col]
    out = pd.DataFrame({"mean": g.mean(), "lo": g.quantile(lo_q), "hi": g.quantile(hi_q),
                        "n": g.size()})
    out.index = pd.to_datetime(out.index)
    return out.sort_index()


_FRAMED = {"frameon": True, "framealpha": 0.9, "facecolor": "white", "edgecolor": "none"}


def first_delivery(nights: pd.DataFrame) -> pd.Timestamp | None:
    """Date of the programme's first delivery in a nights table: the first night with
    programme launch sites active (``programme_sites`` > 0) or interceptors delivered
    (``programme_delivered`` > 0), in any replicate; ``None`` if there is none (EUR 0) or the
    table has neither column."""
    active = pd.Series(False, index=nights.index)
    for col in ("programme_sites", "programme_delivered"):
        if col in nights:
            active |= nights[col].fillna(0) > 0
    if not active.any():
        return None
    return pd.to_datetime(nights.loc[active, "date"]).min()


def _replicates(nights: pd.DataFrame) -> str:
    """How many replicates each date of the table averages: ``"5"`` or ``"3-5"``."""
    if "replicate" not in nights or not len(nights):
        return "1"
    keys = [c for c in ("point", "scenario") if c in nights]
    n = nights.groupby([*keys, "date"])["replicate"].nunique()
    lo, hi = int(n.min()), int(n.max())
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


@styled
def plot_winter_timeline(nights: pd.DataFrame, *, by: str | None = None,
                         labels: dict | None = None, band: tuple[float, float] = (0.1, 0.9),
                         delivery: bool = True, title: str | None = None,
                         figsize=(8.0, 7.4)):
    """The winter night by night: launches, available capacity against demand, demand served.

    Three panels sharing the date axis. Bars and lines are means over the replicates (the
    legend says how many); bands span the ``band`` quantiles of the replicates (10th-90th
    percentile by default: the spread of winters, not a confidence interval). With ``by`` (e.g.
    a budget column or ``scenario``), one line per value. A vertical line marks the programme's
    first delivery (:func:`first_delivery`).

    Args:
        nights: one row per night and replicate (``nights.parquet``), with ``date``,
            ``launched`` and, when the energy model is on, ``available_generation_mw``,
            ``demand_mw`` and ``demand_served_fraction``; ``programme_sites`` or
            ``programme_delivered`` for the delivery marker.
        by: column splitting the rows into series.
        labels: series value -> legend label.
        delivery: mark the programme's first delivery.
    """
    has_energy = ("available_generation_mw" in nights
                  and nights["available_generation_mw"].notna().any())
    nrows = 3 if has_energy else 1
    ratios = [1, 1.6, 1.3][:nrows]
    fig, axes = plt.subplots(nrows, 1, figsize=figsize if has_energy else (figsize[0], 3.4),
                             sharex=True, height_ratios=ratios, squeeze=False)
    axes = axes[:, 0]
    groups = [(None, nights)] if by is None else list(nights.groupby(by, sort=True))
    labels = labels or {}
    multi = len(groups) > 1
    reps = _replicates(nights)
    launch_stats = [_timeline_stats(g, "launched", *band)["mean"] for _v, g in groups]
    same_launches = all(ls.equals(launch_stats[0]) for ls in launch_stats)
    launched_label = f"{nightly_label('launched')}, mean of {reps} replicates"
    if same_launches:  # common random numbers: one set of raids for every series
        s = launch_stats[0]
        axes[0].bar(s.index, s.to_numpy(), width=1.0, color=OKABE_ITO["grey"], linewidth=0,
                    label=launched_label)
    if has_energy:
        d = _timeline_stats(groups[0][1], "demand_mw", *band) / 1e3
        axes[1].plot(d.index, d["mean"], color="black", lw=1.2, ls=(0, (4, 2)),
                     label=outcome_label("demand_mw").split(" (")[0])
    alpha = 0.2 if not multi else 0.12
    styles = ["-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2))]  # tell overlapping series apart
    for k, (gval, g) in enumerate(groups):
        colour = CYCLE[k % len(CYCLE)]
        ls = styles[k % len(styles)]
        lab = labels.get(gval, _series_label(by, gval)) if gval is not None else None
        g_reps = g["replicate"].nunique() if "replicate" in g else 1
        if not same_launches:
            axes[0].plot(launch_stats[k].index, launch_stats[k].to_numpy(), color=colour, lw=1.0,
                         label=lab)
        if not has_energy:
            continue
        a = _timeline_stats(g, "available_generation_mw", *band) / 1e3
        f = _timeline_stats(g, "demand_served_fraction", *band)
        if g_reps > 1:
            axes[1].fill_between(a.index, a["lo"], a["hi"], color=colour, alpha=alpha, lw=0)
            axes[2].fill_between(f.index, f["lo"], f["hi"], color=colour, alpha=alpha, lw=0)
        axes[1].plot(a.index, a["mean"], color=colour, lw=1.6, ls=ls,
                     label=lab or outcome_label("available_generation_mw").split(" (")[0])
        axes[2].plot(f.index, f["mean"], color=colour, lw=1.6, ls=ls, label=lab)
    axes[0].set_ylabel("Drones launched\nper night")
    axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if has_energy:
        axes[1].set_ylabel("Power (GW)")
        axes[2].set_ylabel(nightly_label("demand_served_fraction").replace(" served",
                                                                           "\nserved"))
        axes[2].yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        axes[2].set_ylim(min(0.5, float(np.nanmin(nights["demand_served_fraction"])) - 0.05)
                         if nights["demand_served_fraction"].notna().any() else 0, 1.02)
        axes[1].legend(loc="best", ncols=2 if multi else 1)
    for ax in axes:
        finish_axes(ax)
    loc = mpl.dates.AutoDateLocator(minticks=4, maxticks=8)
    axes[-1].xaxis.set_major_locator(loc)
    axes[-1].xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(loc))
    # The programme's first delivery, per series when they differ (none at EUR 0).
    marks = []
    if delivery:
        firsts = {gval: first_delivery(g) for gval, g in groups}
        dates = sorted({d for d in firsts.values() if d is not None})
        for d in dates:
            who = [labels.get(v, _series_label(by, v)) for v, f in firsts.items()
                   if f == d and v is not None]
            text = f"First programme delivery, {d:%d %b %Y}"
            if multi and len(who) < len(groups):
                text += f" ({', '.join(who)})"
            for ax in axes:
                ax.axvline(d, color=OKABE_ITO["green"], lw=1.2, ls=(0, (4, 2)), zorder=3)
            if len(dates) == 1:  # label the line itself too
                axes[-1].annotate(f"First programme\ndelivery, {d:%d %b}", (d, 0.45),
                                  xycoords=("data", "axes fraction"), xytext=(4, 0),
                                  textcoords="offset points", fontsize=8, va="center",
                                  color=OKABE_ITO["green"])
            marks.append(Line2D([], [], color=OKABE_ITO["green"], lw=1.2, ls=(0, (4, 2)),
                                label=text))
    top_handles, top_labels = axes[0].get_legend_handles_labels()
    top_handles += marks
    top_labels += [m.get_label() for m in marks]
    if top_handles:
        leg = axes[0].legend(top_handles, top_labels, loc="upper left", fontsize=8,
                             ncols=2 if len(top_handles) > 3 else 1, **_FRAMED)
        leg.set_zorder(5)
    if has_energy and nights.get("replicate", pd.Series([0])).nunique() > 1:
        axes[2].legend(handles=[Line2D([], [], color="#555555", lw=1.4),
                                Patch(facecolor="#555555", alpha=0.25, linewidth=0)],
                       labels=[f"mean of {reps} replicates",
                               f"{int(band[0] * 100)}th-{int(band[1] * 100)}th percentile of "
                               "the replicates (the spread of winters, not a confidence "
                               "interval)"], loc="lower left", fontsize=8, **_FRAMED)
    axes[0].set_title(title or "The winter night by night", loc="left")
    return fig, axes


def _series_label(by: str | None, value) -> str:
    if by == "defense.budget_eur" or (by or "").endswith("budget_eur"):
        return f"EUR {float(value) / 1e6:,.0f}M"
    if isinstance(value, float):
        return f"{factor_label(by)} = {value:g}" if by else f"{value:g}"
    return str(value)
