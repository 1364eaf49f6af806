"""Figures of sweeps: outcomes against a lever (the budget curve, cost-effectiveness, a grid of
paired changes, outcomes by group), the tornado of a one-at-a-time sweep and sensitivity indices.

Each reads a runs table (or a sensitivity table) and returns ``(fig, ax)``; no model logic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.experiments.stats import INTERVAL_METHOD
from sim.model.outcomes import OUTCOMES
from sim.viz.style import (
    CYCLE,
    LEVEL,
    OKABE_ITO,
    eur_m_axis,
    factor_label,
    finish_axes,
    format_axis,
    frac_label,
    new_axes,
    outcome_label,
    paired_by,
    plot_kind,
    plot_scale,
    reference_level,
    styled,
    summarize_by,
)


def _numeric_levels(runs: pd.DataFrame, factor: str) -> bool:
    return factor in runs and pd.api.types.is_numeric_dtype(runs[factor])


def _band(ax, x, stats: pd.DataFrame, colour, label, scale=1.0, marker="o"):
    ax.fill_between(x, stats["ci_low"] * scale, stats["ci_high"] * scale, color=colour,
                    alpha=0.2, linewidth=0)
    ax.plot(x, stats["mean"] * scale, color=colour, marker=marker, markersize=4, label=label)


@styled
def plot_outcome_vs_factor(runs: pd.DataFrame, factor: str, outcomes: str | Sequence[str],
                           *, ax=None, level: float = LEVEL, by: str | None = None,
                           show_replicates: bool = True, title: str | None = None,
                           figsize=(6.5, 4.0)):
    """Outcome(s) against a numeric sweep factor: replicate mean with a ``level`` CI band.

    Args:
        runs: a runs table (one row per run; ``runs.parquet`` of a sweep).
        factor: the factor column (e.g. ``defense.budget_eur``).
        outcomes: one outcome or several of the same unit.
        by: draw one line per value of this column (e.g. a basing-policy lever).
        show_replicates: also draw each replicate as a faint dot.
    """
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    fig, ax = new_axes(ax, figsize)
    groups = [(None, runs)] if by is None else list(runs.groupby(by, sort=True))
    k = 0
    for gval, g in groups:
        for o in outcomes:
            if o not in g:
                raise KeyError(f"outcome {o!r} is not in the runs table")
            s = summarize_by(g, factor, o, level)
            if s.empty:
                continue
            colour = CYCLE[k % len(CYCLE)]
            k += 1
            scale = plot_scale(o)
            label = outcome_label(o) if len(outcomes) > 1 else None
            if gval is not None:
                label = f"{gval}" if label is None else f"{label}, {gval}"
            if show_replicates:
                v = g[[factor, o]].dropna()
                ax.scatter(v[factor], v[o] * scale, s=5, color=colour, alpha=0.25, linewidth=0)
            _band(ax, s[factor].to_numpy(float), s, colour, label, scale)
    if factor == "defense.budget_eur":
        eur_m_axis(ax.xaxis)
    ax.set_xlabel(factor_label(factor))
    ax.set_ylabel(frac_label(outcomes[0]) if len(outcomes) == 1 else _shared_ylabel(outcomes))
    format_axis(ax.yaxis, outcomes[0])
    if plot_kind(outcomes[0]) == "frac":
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, 0.0) if lo > -0.05 else lo, min(max(hi, 0.1), 1.0) if hi < 1.05 else hi)
    finish_axes(ax)
    n = int(runs.groupby(factor).size().min()) if len(runs) else 0
    _stats_legend(ax, n, level, show_replicates, loc="best")
    if title:
        ax.set_title(title, loc="left")
    return fig, ax


def _stats_legend(ax, n: int, level: float, show_replicates: bool, loc="best", **kw) -> None:
    """Legend of the series plus what the line, the band and the dots are."""
    handles, labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="#555555", marker="o", markersize=4, lw=1.5),
                Patch(facecolor="#555555", alpha=0.25, linewidth=0)]
    labels += [f"mean of {n} replicates",
               f"{int(round(level * 100))}% CI of the mean (BCa bootstrap)"]
    if show_replicates:
        handles.append(Line2D([], [], ls="", marker="o", markersize=3, color="#555555",
                              alpha=0.4))
        labels.append("one replicate")
    ax.legend(handles, labels, loc=loc, **kw)


def _shared_ylabel(outcomes: Sequence[str]) -> str:
    kinds = {plot_kind(o) for o in outcomes}
    if kinds == {"frac"}:
        return "Share (%)"
    return "Value"


@styled
def plot_coverage_vs_budget(runs: pd.DataFrame, *, ax=None, level: float = LEVEL,
                            outcomes: Sequence[str] = ("kinetic_coverage",
                                                       "geometric_coverage_capacity_fraction"),
                            factor: str = "defense.budget_eur", mark_eur: float | None = 2e8,
                            mark_label: str = "NL package, EUR 200M", title: str | None = None,
                            figsize=(7.0, 5.2)):
    """The headline chart: how much protection each funding level buys.

    Per budget level, the replicate mean (line) and its ``level`` confidence band of the share
    of drones aimed at energy sites that were stopped (all layers; the programme's marginal
    effect is the rise above EUR 0) and of the energy capacity inside an interceptor envelope.
    Each replicate is a faint dot. A vertical line marks ``mark_eur``.
    """
    outcomes = [o for o in outcomes if o in runs.columns]
    if not outcomes:
        raise KeyError("the runs table has none of the coverage outcomes")
    fig, ax = plot_outcome_vs_factor(runs, factor, outcomes, ax=ax, level=level,
                                     figsize=figsize)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("Share (%)")
    if mark_eur is not None:
        xs = runs[factor].to_numpy(float)
        if xs.min() <= mark_eur <= xs.max():
            ax.axvline(mark_eur, color="#555555", lw=0.9, ls=(0, (4, 3)), zorder=0)
            ax.annotate(mark_label, (mark_eur, 0.02), xytext=(4, 0), textcoords="offset points",
                        fontsize=8, color="#333333", rotation=90, va="bottom")
    n = int(runs.groupby(factor).size().min()) if len(runs) else 0
    ax.get_legend().remove()
    _stats_legend(ax, n, level, True, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncols=2)
    leg = ax.get_legend()  # below the axes, as a figure legend the layout makes room for
    handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
    leg.remove()
    ax.figure.legend(handles, labels, loc="outside lower center", ncols=2)
    ax.set_title(title or "What the interceptor budget buys over a winter", loc="left")
    return fig, ax


@styled
def plot_cost_effectiveness(runs: pd.DataFrame, *, factor: str = "defense.budget_eur",
                            level: float = LEVEL, figsize=(10.0, 4.0)):
    """Cost-exchange ratio and programme cost per kill against the budget (two panels).

    The cost-exchange ratio is the attacker's cost of the drones the programme destroyed per
    EUR the programme spent (above 1: the attacker loses more than the defender pays). Budget
    levels without a programme (EUR 0) have neither and are left out.
    """
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    for ax, o, colour in ((axes[0], "cost_exchange_ratio", CYCLE[0]),
                          (axes[1], "cost_per_kill_eur", CYCLE[1])):
        if o not in runs:
            ax.set_visible(False)
            continue
        s = summarize_by(runs, factor, o, level)
        if s.empty:
            ax.text(0.5, 0.5, "no programme kills at any level", ha="center",
                    transform=ax.transAxes)
        else:
            scale = plot_scale(o)
            v = runs[[factor, o]].replace([np.inf, -np.inf], np.nan).dropna()
            ax.scatter(v[factor], v[o] * scale, s=5, color=colour, alpha=0.25, linewidth=0)
            _band(ax, s[factor].to_numpy(float), s, colour, None, scale)
        if factor == "defense.budget_eur":
            eur_m_axis(ax.xaxis)
        ax.set_xlabel(factor_label(factor))
        ax.set_ylabel({"cost_exchange_ratio": "Attacker EUR destroyed per EUR spent",
                       "cost_per_kill_eur": "EUR thousand per kill"}[o])
        ax.set_ylim(bottom=0)
        finish_axes(ax)
    if "cost_exchange_ratio" in runs:
        # the break-even line stays in view when every ratio is below it
        axes[0].set_ylim(top=max(axes[0].get_ylim()[1], 1.15))
        axes[0].axhline(1.0, color="#555555", lw=0.9, ls=(0, (4, 3)))
        axes[0].annotate("break-even", (0.99, 1.0), xycoords=("axes fraction", "data"),
                         xytext=(0, 3), textcoords="offset points", ha="right", fontsize=8)
        axes[0].set_title("Cost-exchange ratio", loc="left")
    if "cost_per_kill_eur" in runs:
        axes[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axes[1].set_title("Programme cost per interceptor kill", loc="left")
    n = int(runs.groupby(factor).size().min()) if len(runs) else 0
    if axes[1].get_visible() and axes[1].lines:
        _stats_legend(axes[1], n, level, True, loc="best")
    if factor == "defense.budget_eur":
        for ax in axes:
            ax.set_xlim(left=0)
    return fig, axes


FUNDING_PANELS = ("demand_served_fraction", "energy_not_served_mwh", "hits_on_sites",
                  "interceptor_kills")


FACTOR_SECTIONS = ("defense", "threat", "period", "energy")


def pairing_columns(runs: pd.DataFrame, factor: str) -> list[str]:
    """What a run at one level of ``factor`` is paired with at the reference level on: the
    replicate (the same raids under common random numbers) and every other scenario key that
    varies in the table (another lever's level, an uncertainty's sampled value)."""
    others = [c for c in runs.columns if c != factor and "." in c
              and c.split(".")[0] in FACTOR_SECTIONS and c not in OUTCOMES
              and runs[c].nunique(dropna=False) > 1]
    return ["replicate", *others] if "replicate" in runs else others


@styled
def plot_outcomes_grid(runs: pd.DataFrame, factor: str,
                       outcomes: Sequence[str] = FUNDING_PANELS, *, level: float = LEVEL,
                       ncols: int = 2, title: str | None = None, figsize=None,
                       paired: bool = True, reference=None):
    """Small multiples: several outcomes (each in its own unit) against one numeric factor.

    ``paired`` (the default): each panel shows the change from a reference level of the factor
    (``reference``, default its lowest level: EUR 0 for a budget), paired on the same winters
    (:func:`sim.viz.style.paired_by`, pairs from :func:`pairing_columns`): the mean paired
    difference with its ``level`` interval (BCa bootstrap of the paired differences) and each
    pair as a dot. Unpaired bands of the levels overlap where the paired change is clear, so
    they read as "no effect" when there is one. ``paired=False``: the replicate mean of each
    level with its interval, and the replicates as dots."""
    outcomes = [o for o in outcomes if o in runs.columns and runs[o].notna().any()]
    if not outcomes:
        raise KeyError("none of the outcomes is in the runs table")
    nrows = math.ceil(len(outcomes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=figsize or (4.6 * ncols, 3.3 * nrows))
    keys = pairing_columns(runs, factor) if paired else []
    paired = paired and "replicate" in keys
    ref = reference_level(runs, factor, reference) if paired else None
    npairs = 0
    for k, ax in enumerate(axes.flat):
        if k >= len(outcomes):
            ax.set_visible(False)
            continue
        o = outcomes[k]
        scale = plot_scale(o)
        colour = CYCLE[k % 4]
        if paired:
            s = paired_by(runs, factor, o, ref, keys, level)
            base = runs.loc[runs[factor] == ref, [*keys, o]]
            m = runs[[*keys, factor, o]].merge(base, on=keys, suffixes=("", "_ref"))
            d = (m[o] - m[f"{o}_ref"]).replace([np.inf, -np.inf], np.nan)
            ok = d.notna()
            dscale = 100.0 if plot_kind(o) == "frac" else scale
            ax.scatter(m.loc[ok, factor], d[ok] * dscale, s=5, color=colour, alpha=0.25,
                       linewidth=0)
            s = s.dropna(subset=["diff"])
            x = s[factor].to_numpy(float)
            ax.fill_between(x, s["ci_low"] * dscale, s["ci_high"] * dscale, color=colour,
                            alpha=0.2, linewidth=0)
            ax.plot(x, s["diff"] * dscale, color=colour, marker="o", markersize=4)
            ax.axhline(0.0, color="#777777", lw=0.8, zorder=0)
            npairs = int(s.loc[s[factor] != ref, "n"].min()) if (s[factor] != ref).any() else 0
            unit = " (points)" if plot_kind(o) == "frac" else ""
            ax.set_title(f"{outcome_label(o)}{unit or _unit_suffix(o)}: change", loc="left",
                         fontsize=10)
            if plot_kind(o) == "frac":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+.1f}"))
            else:
                format_axis(ax.yaxis, o)
        else:
            s = summarize_by(runs, factor, o, level)
            v = runs[[factor, o]].replace([np.inf, -np.inf], np.nan).dropna()
            ax.scatter(v[factor], v[o] * scale, s=5, color=colour, alpha=0.25, linewidth=0)
            _band(ax, s[factor].to_numpy(float), s, colour, None, scale)
            ax.set_title(frac_label(o), loc="left", fontsize=10)
            format_axis(ax.yaxis, o)
        if factor == "defense.budget_eur":
            eur_m_axis(ax.xaxis)
        ax.set_xlabel(factor_label(factor))
        finish_axes(ax)
    n = int(runs.groupby(factor).size().min()) if len(runs) else 0
    what = factor_label(factor).split(" (")[0].lower()
    if paired:
        ref_text = (f"EUR {ref / 1e6:,.0f}M" if factor == "defense.budget_eur"
                    else f"{ref:g}" if isinstance(ref, float | int) else str(ref))
        fig.suptitle(title or f"What changes with the {what}: the difference from {ref_text} "
                     "on the same winters", x=0.01, ha="left", fontsize=11)
        fig.supxlabel(f"Line: mean of {npairs} paired differences from {ref_text} (the same "
                      "raids at both levels); band: its\n"
                      f"{int(round(100 * level))}% confidence interval ({INTERVAL_METHOD}); "
                      "dots: the pairs", fontsize=8, color="#444444")
    else:
        fig.suptitle(title or f"Outcomes against {what}", x=0.01, ha="left", fontsize=11)
        fig.supxlabel(f"Line: mean of {n} replicates; band: {int(round(100 * level))}% "
                      f"confidence interval of the mean ({INTERVAL_METHOD}); dots: replicates",
                      fontsize=8, color="#444444")
    return fig, axes


def _unit_suffix(o: str) -> str:
    lab = frac_label(o)
    return lab[len(outcome_label(o)):] if lab.startswith(outcome_label(o)) else ""


@styled
def plot_outcomes_by_group(runs: pd.DataFrame, by: str,
                           outcomes: Sequence[str] = ("kinetic_coverage", "demand_served_fraction",
                                                      "hits_on_sites", "cost_exchange_ratio"),
                           *, level: float = LEVEL, title: str | None = None, figsize=None):
    """Small multiples of bars: each outcome's replicate mean per value of ``by`` (e.g. a
    basing policy), with its ``level`` confidence interval."""
    outcomes = [o for o in outcomes if o in runs.columns and runs[o].notna().any()]
    if not outcomes:
        raise KeyError("none of the outcomes is in the runs table")
    ncols = min(2, len(outcomes))
    nrows = math.ceil(len(outcomes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=figsize or (4.6 * ncols, 3.0 * nrows))
    for k, ax in enumerate(axes.flat):
        if k >= len(outcomes):
            ax.set_visible(False)
            continue
        o = outcomes[k]
        s = summarize_by(runs, by, o, level)
        scale = plot_scale(o)
        x = np.arange(len(s))
        ax.bar(x, s["mean"] * scale, color=CYCLE[: len(s)], width=0.6,
               yerr=[(s["mean"] - s["ci_low"]) * scale, (s["ci_high"] - s["mean"]) * scale],
               error_kw={"elinewidth": 1, "capsize": 3})
        ax.set_xticks(x, [str(v) for v in s[by]])
        ax.set_title(frac_label(o), loc="left", fontsize=10)
        format_axis(ax.yaxis, o)
        finish_axes(ax)
    n = int(runs.groupby(by).size().min()) if len(runs) else 0
    fig.suptitle(title or f"Outcomes by {factor_label(by).lower()}", x=0.01, ha="left",
                 fontsize=11)
    fig.supxlabel(f"Bars: mean of {n} replicates; whiskers: {int(round(100 * level))}% "
                  "confidence interval of the mean (BCa bootstrap)", fontsize=8,
                  color="#444444")
    return fig, axes


# --------------------------------------------------------------------------- sensitivity
SENS_DEFAULT = ("kinetic_coverage", "demand_served_fraction", "interception_rate",
                "hits_on_sites", "energy_not_served_mwh")


def _pick_outcome(available: Iterable[str], preferred: Sequence[str]) -> str:
    available = list(available)
    for o in preferred:
        if o in available:
            return o
    return available[0]


@styled
def plot_sensitivity(table: pd.DataFrame, *, outcome: str | None = None,
                     policy_col: str | None = None, title: str | None = None, figsize=None):
    """Sensitivity indices of one outcome as horizontal bars, most influential factor on top.

    Reads the table of :func:`sim.experiments.sweep.api.sensitivity` (``sensitivity.csv``): Sobol'
    (``S1`` first-order and ``ST`` total-order, with bootstrap CIs), Morris (``mu_star`` with
    its CI, in units of the outcome per unit of the factor's normalised range) or RBD-FAST
    (``S1``). With several policies (levers crossed with the uncertainties), one panel each.
    """
    t = table.copy()
    index_cols = [c for c in ("S1", "ST", "mu_star") if c in t]
    valid = t[index_cols].notna().any(axis=1) if index_cols else pd.Series(False, t.index)
    if outcome is None:
        outcome = _pick_outcome(t.loc[valid, "outcome"].unique() if valid.any()
                                else t["outcome"].unique(), SENS_DEFAULT)
    if not (t["outcome"] == outcome).any():
        raise ValueError(f"no sensitivity indices for outcome {outcome!r}")
    t = t[(t["outcome"] == outcome) & valid]
    if t.empty:  # the outcome did not vary over the sampled futures (the analysis noted it)
        fig, ax = new_axes(None, figsize or (7.0, 2.0))
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"{outcome_label(outcome)}: the same in every sampled run,\n"
                "so no factor explains any of its variation", ha="center", va="center")
        return fig, np.array([ax])
    if "ST" in t and t["ST"].notna().any():
        cols, names = ["S1", "ST"], ["First-order S1", "Total-order ST"]
        xlabel = "Sobol' index (share of output variance)"
    elif "mu_star" in t and t["mu_star"].notna().any():
        cols, names = ["mu_star"], ["Morris μ*"]
        xlabel = f"Morris μ* ({_unit_of(outcome)} per factor range)"
    else:
        cols, names = ["S1"], ["First-order S1 (RBD-FAST)"]
        xlabel = "First-order index (share of output variance)"
    if policy_col is None:
        levers = [c for c in t.columns if c not in {"policy", "outcome", "factor", "note", "S1",
                                                    "S1_conf", "ST", "ST_conf", "mu", "mu_star",
                                                    "sigma", "mu_star_conf"}]
        policy_col = levers[0] if levers and t[levers[0]].nunique() > 1 else None
    groups = [(None, t)] if policy_col is None else list(t.groupby(policy_col, sort=False))
    order = (t.groupby("factor")[cols[-1]].mean().sort_values().index.tolist())
    nf = len(order)
    fig, axes = plt.subplots(1, len(groups), sharey=True, sharex=True, squeeze=False,
                             figsize=figsize or (4.2 * len(groups) + 2.6, 0.5 * nf + 1.8))
    axes = axes[0]
    h = 0.8 / len(cols)
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"]]
    for ax, (gval, g) in zip(axes, groups, strict=True):
        g = g.set_index("factor").reindex(order)
        y = np.arange(nf)
        for j, (c, nm) in enumerate(zip(cols, names, strict=True)):
            v = g[c].to_numpy(float)
            err = g[c + "_conf"].to_numpy(float) if c + "_conf" in g else None
            off = (j - (len(cols) - 1) / 2) * h
            ax.barh(y - off, v, height=h, color=colours[j], label=nm,
                    xerr=err, error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel(xlabel)
        if gval is not None:
            ax.set_title(f"{factor_label(policy_col)}: {gval}", loc="left", fontsize=10)
        finish_axes(ax, grid="x")
        if cols[0] != "mu_star":
            ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    axes[0].set_yticks(np.arange(nf), [factor_label(f) for f in order])
    axes[0].legend(loc="lower right")
    fig.suptitle(title or f"What matters most for: {outcome_label(outcome).lower()}",
                 x=0.01, ha="left", fontsize=11)
    return fig, axes


def _unit_of(outcome: str) -> str:
    return {"frac": "share", "gwh": "GWh", "eur_m": "EUR M", "eur_k": "EUR k",
            "count": "units", "ratio": "ratio", "gw": "GW"}.get(plot_kind(outcome), "units")


@styled
def plot_tornado(runs: pd.DataFrame, factors: Sequence[str], outcome: str, *,
                 quantile: float = 0.2, ax=None, title: str | None = None, figsize=None):
    """Tornado chart from a sampled sweep (Latin hypercube, Sobol', Morris).

    For each factor, the mean outcome over the runs in the lowest ``quantile`` of that
    factor's sampled values and over those in the highest, drawn as a bar around the overall
    mean; factors are sorted by swing. Other factors vary across both groups, so this is a
    global (averaged) effect, not a one-at-a-time sensitivity.
    """
    factors = [f for f in factors if f in runs and pd.api.types.is_numeric_dtype(runs[f])]
    if not factors:
        raise ValueError("no numeric factors to draw")
    v = runs[outcome].to_numpy(float)
    ok = np.isfinite(v)
    base = float(v[ok].mean())
    rows = []
    for f in factors:
        x = runs[f].to_numpy(float)
        lo_cut, hi_cut = np.nanquantile(x[ok], [quantile, 1 - quantile])
        lo = float(v[ok & (x <= lo_cut)].mean())
        hi = float(v[ok & (x >= hi_cut)].mean())
        rows.append((f, lo, hi, abs(hi - lo)))
    rows.sort(key=lambda r: r[3])
    fig, ax = new_axes(ax, figsize or (8.0, 0.55 * len(rows) + 1.8))
    scale = plot_scale(outcome)
    y = np.arange(len(rows))
    q = int(round(100 * quantile))
    for i, (_f, lo, hi, _s) in enumerate(rows):
        ax.barh(i, (lo - base) * scale, left=base * scale, color=OKABE_ITO["sky_blue"],
                height=0.6, label=f"lowest {q}% of the factor's range" if i == 0 else None)
        ax.barh(i, (hi - base) * scale, left=base * scale, color=OKABE_ITO["orange"],
                height=0.6, label=f"highest {q}% of the factor's range" if i == 0 else None)
    ax.axvline(base * scale, color="black", lw=0.9)
    ax.set_yticks(y, [factor_label(r[0]) for r in rows])
    ax.set_xlabel(frac_label(outcome) + "\n(bar ends: mean outcome; line: mean of all runs)")
    format_axis(ax.xaxis, outcome)
    finish_axes(ax, grid="x")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or f"Swing of the outcome across each factor's range\n"
                 f"({outcome_label(outcome).lower()})", loc="left")
    return fig, ax
