"""Comparisons: paired differences B - A with their confidence intervals (from a comparison
table or its JSON), scenario labels, and the most-hit energy sites (each returns ``(fig, ax)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.experiments.stats import INTERVAL_METHOD
from sim.model.outcomes import OUTCOMES
from sim.viz.map import SITE_MARKERS
from sim.viz.style import (
    CYCLE,
    LEVEL,
    OKABE_ITO,
    finish_axes,
    new_axes,
    outcome_label,
    plot_kind,
    styled,
)

# --------------------------------------------------------------------------- comparisons
COMPARE_DEFAULT = (
    "kinetic_coverage", "interception_rate", "demand_served_fraction", "energy_not_served_mwh",
    "nights_deficit_gt_10pct", "hits_on_sites", "leaked", "interceptor_kills",
    "interceptors_launched", "geometric_coverage_capacity_fraction", "cost_exchange_ratio",
    "cost_per_kill_eur",
)


def _fmt_value(name: str, v: float, unit: bool = True) -> str:
    """A signed value in the outcome's plotted unit (percentage points for shares)."""
    if v is None or not np.isfinite(v):
        return "n/a"
    kind = plot_kind(name)
    num, u = {
        "frac": (f"{100 * v:+.1f}", " pp"),
        "eur_k": (f"{v / 1e3:+,.1f}", " EUR k"),
        "eur_m": (f"{v / 1e6:+,.1f}", " EUR M"),
        "gwh": (f"{v / 1e3:+,.0f}", " GWh"),
        "gw": (f"{v / 1e3:+,.1f}", " GW"),
        "ratio": (f"{v:+.2f}", ""),
    }.get(kind, (f"{v:+,.0f}", ""))
    return num + (u if unit else "")


def _fmt_diff(name: str, d: float, lo: float, hi: float) -> str:
    return (f"{_fmt_value(name, d)}  [{_fmt_value(name, lo, False)}, "
            f"{_fmt_value(name, hi, False)}]")


@styled
def plot_comparison(table: pd.DataFrame, *, outcomes: Sequence[str] | None = None,
                    labels: tuple[str, str] = ("A", "B"), ax=None, level: float | None = None,
                    title: str | None = None, figsize=None):
    """Paired comparison B - A: each outcome's mean difference with its confidence interval.

    The x axis is the difference relative to A's mean (%), so outcomes of different units
    share one axis; the right-hand column gives the absolute difference in the outcome's unit
    (percentage points for shares). Filled markers: the interval excludes zero.

    Args:
        table: the comparison table of :func:`sim.experiments.sweep.api.compare` (columns ``outcome``,
            ``mean_a``, ``mean_b``, ``diff``, ``ci_low``, ``ci_high``, ``significant``), or the
            ``results`` of its JSON report as a DataFrame.
        outcomes: outcomes to show (default: the headline outcomes present).
        labels: names of A and B for the title.
    """
    t = table.copy()
    if "point" in t.columns:  # by-point comparisons: label rows with their point
        t["outcome_label"] = (t["outcome"].map(outcome_label) + " (point "
                              + t["point"].astype(str) + ")")
    else:
        t["outcome_label"] = t["outcome"].map(outcome_label)
    if outcomes is None:
        outcomes = [o for o in COMPARE_DEFAULT if o in set(t["outcome"])]
        if not outcomes:
            outcomes = list(dict.fromkeys(t["outcome"]))[:12]
    t = t[t["outcome"].isin(outcomes)]
    t = t.assign(_order=t["outcome"].map({o: i for i, o in enumerate(outcomes)}))
    t = t.sort_values(["_order"] + (["point"] if "point" in t else [])).reset_index(drop=True)
    t = t[np.isfinite(t["diff"].astype(float))]
    if t.empty:
        raise ValueError("no comparable outcomes in the table")
    denom = t["mean_a"].abs().replace(0, np.nan)
    rel = 100 * t["diff"] / denom
    rlo = 100 * t["ci_low"] / denom
    rhi = 100 * t["ci_high"] / denom
    n = len(t)
    if ax is None:
        fig, (ax, tax) = plt.subplots(1, 2, figsize=figsize or (10.5, 0.42 * n + 1.7),
                                      width_ratios=[2.2, 1.15], sharey=True)
    else:
        fig, tax = ax.figure, None
    y = np.arange(n)[::-1]
    sig = t["significant"].astype(bool).to_numpy()
    c = OKABE_ITO["blue"]
    for i in range(n):
        if not np.isfinite(rel.iat[i]):
            ax.text(0, y[i], f"{labels[0]} = 0", ha="center", va="center", fontsize=8,
                    color="#555555")
            continue
        ax.plot([rlo.iat[i], rhi.iat[i]], [y[i], y[i]], color=c, lw=2.0, solid_capstyle="butt")
        ax.plot(rel.iat[i], y[i], "o", color=c, markersize=6,
                markerfacecolor=c if sig[i] else "white", markeredgewidth=1.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, t["outcome_label"])
    ax.set_xlabel(f"{labels[1]} − {labels[0]}, relative to {labels[0]} (%)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}%" if v else "0"))
    lim = np.nanmax(np.abs(np.r_[rlo.to_numpy(float), rhi.to_numpy(float)])) if n else 1.0
    lim = 1.0 if not np.isfinite(lim) or lim == 0 else lim * 1.15
    ax.set_xlim(-lim, lim)
    if lim > 60:  # a few large relative changes would flatten the rest: linear to +-10%, log beyond
        ax.set_xscale("symlog", linthresh=10, linscale=0.6)
        ax.set_xlim(-lim * 1.5, lim * 1.5)
        ax.set_xlabel(ax.get_xlabel() + "; log scale beyond ±10%")
    ax.set_ylim(-0.7, n - 0.3)
    finish_axes(ax, grid="x")
    if tax is not None:
        tax.set_axis_off()
        for i in range(n):
            o = t["outcome"].iat[i]
            tax.text(0.0, y[i], _fmt_diff(o, t["diff"].iat[i], t["ci_low"].iat[i],
                                          t["ci_high"].iat[i]), va="center", fontsize=8)
        tax.text(0.0, n - 0.45, "Difference [CI]", fontsize=8, fontweight="bold",
                 va="bottom")
        tax.set_xlim(0, 1)
    lvl = level or table.attrs.get("level", LEVEL)
    reps = int(t["n"].max()) if "n" in t else None
    sub = (f"Mean difference over {reps} paired replicates (common random numbers); "
           if reps else "Mean difference over paired replicates; ") + (
        f"bars: {int(round(100 * lvl))}% confidence\ninterval of the mean difference "
        f"({INTERVAL_METHOD}); "
        "filled dot: the interval excludes 0")
    fig.suptitle(title or f"{labels[1]} against {labels[0]}", x=0.01, ha="left", fontsize=11)
    ax.set_title(sub, loc="left", fontsize=8, color="#444444")
    if ax.get_xscale() == "linear":
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=6, symmetric=True))
    else:
        ax.xaxis.set_major_locator(mpl.ticker.SymmetricalLogLocator(linthresh=10, base=10))
        ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,g}%" if v else "0"))
    return fig, ax


def comparison_from_json(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """Read a comparison JSON report (``sim compare --json``): ``(table, metadata)``."""
    data = json.loads(Path(path).read_text())
    meta = {k: v for k, v in data.items() if k != "results"}
    df = pd.DataFrame(data["results"])
    for c in ("mean_a", "mean_b", "diff", "sd_diff", "ci_low", "ci_high", "p_value", "rel_diff"):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    df.attrs.update(meta)
    return df, meta


def scenario_label(path_or_name: str) -> str:
    """A short name for a scenario file or folder (``nl-200m`` for ``scenarios/nl-200m.yaml``)."""
    return Path(str(path_or_name)).stem or str(path_or_name)


# --------------------------------------------------------------------------- runs
@styled
def plot_hits_by_site(hits: dict | pd.Series, *, top: int = 15, replicates: int | None = None,
                      ax=None, title: str | None = None, figsize=None):
    """The most-hit energy sites over the winter (mean hits per replicate), by site type.

    Args:
        hits: site id -> hits (``summary["hits_by_site"]`` of ``sim run``), or the whole
            ``summary`` (its ``hits_by_site`` and ``replicates`` are read).
        replicates: replicates the hits are a mean of (said on the axis).
    """
    import textwrap

    from sim.config.data import load_sites

    if isinstance(hits, dict) and "hits_by_site" in hits:
        replicates = hits.get("replicates", replicates) if replicates is None else replicates
        hits = hits["hits_by_site"]
    s = pd.Series(hits, dtype=float).sort_values(ascending=False).head(top)[::-1]
    sites = load_sites().set_index("id")
    # Long names on two lines (a bracketed part such as "(330 kV)" kept on one).
    names = [textwrap.fill(re.sub(r"\([^)]*\)", lambda m: m.group(0).replace(" ", "\u00a0"),
                                  str(sites["name"].get(i, i))), 40) for i in s.index]
    lines = sum(n.count("\n") + 1 for n in names)
    figsize = figsize or (7.0, max(3.0, 0.2 * lines + 0.06 * len(names) + 1.4))
    types = [sites["type"].get(i, "") for i in s.index]
    group_of = {t: g for g, (_m, ts) in SITE_MARKERS.items() for t in ts}
    gcol = {g: CYCLE[k] for k, g in enumerate(SITE_MARKERS)}
    fig, ax = new_axes(ax, figsize)
    colours = [gcol.get(group_of.get(t), OKABE_ITO["grey"]) for t in types]
    ax.barh(np.arange(len(s)), s.to_numpy(), color=colours)
    ax.set_yticks(np.arange(len(s)), names, fontsize=8)
    mean = (f"mean of {int(replicates)} replicates" if replicates and int(replicates) > 1
            else "one replicate" if replicates else "mean over the replicates")
    ax.set_xlabel(f"{OUTCOMES['hits_on_sites'].label} over the winter, per site\n({mean})")
    finish_axes(ax, grid="x")
    present = [g for g in SITE_MARKERS if any(group_of.get(t) == g for t in types)]
    ax.legend(handles=[Patch(color=gcol[g], label=g) for g in present], loc="lower right")
    ax.set_title(title or f"The {len(s)} most-hit energy sites", loc="left")
    return fig, ax
