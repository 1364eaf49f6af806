"""Figure style shared by every figure: the Okabe-Ito palette, print sizes, saving as PNG and
SVG with metadata, axis labels and units, and the replicate statistics a band shows."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.config.files import atomic_path
from sim.experiments.stats import mean_ci, paired_stats
from sim.model.outcomes import OUTCOMES

# --------------------------------------------------------------------------- style
#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
#: Colour cycle for series (most distinguishable first).
CYCLE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]

RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "figure.constrained_layout.use": True,
}

PNG_DPI = 200
LEVEL = 0.95


def styled(func):
    """Draw inside :data:`RC` (the figure keeps its look wherever it is displayed)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def finish_axes(ax, grid: str | None = "y") -> None:
    """Styling that must survive outside the rc context (ticks and grid are drawn lazily)."""
    ax.tick_params(labelsize=RC["xtick.labelsize"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if grid:
        ax.grid(True, axis=grid, color="#cccccc", linewidth=0.6, alpha=0.8)
        ax.set_axisbelow(True)


def new_axes(ax=None, figsize=(6.5, 4.0)):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def save_figure(fig, stem: str | Path, formats: Sequence[str] = ("png", "svg"),
                dpi: int = PNG_DPI) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg`` (each written to a temporary file and
    renamed, so a reader never sees half a figure). Returns the paths written."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        path = stem.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp, mpl.rc_context({"svg.fonttype": "none"}):
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))  # SVG text as text
        out.append(path)
    return out


def _metadata(fmt: str) -> dict:
    # Reproducible files: no creation date in PNG/SVG metadata.
    if fmt == "svg":
        return {"Date": None}
    if fmt == "png":
        return {"Software": None}
    return {}


# --------------------------------------------------------------------------- labels and units
#: How each kind of outcome of the registry (:mod:`sim.model.outcomes`) is plotted: the plot
#: kind (axis formatter), the scale from the stored unit and the unit shown on the axis.
_PLOT_KIND = {
    "share": ("frac", 1.0, None),
    "energy": ("gwh", 1e-3, "GWh"),
    "money": ("eur_m", 1e-6, "EUR million"),
    "power": ("gw", 1e-3, "GW"),
    "ratio": ("ratio", 1.0, None),
    "level": ("count", 1.0, None),
    "count": ("count", 1.0, None),
}
_SMALL_MONEY = {"cost_per_kill_eur"}  # per-unit amounts: EUR thousand


def _plot_kind(name: str) -> tuple[str, float, str | None]:
    o = OUTCOMES.get(name)
    if o is None:
        return "count", 1.0, None
    if name in _SMALL_MONEY:
        return "eur_k", 1e-3, "EUR thousand"
    kind, scale, unit = _PLOT_KIND.get(o.kind, ("count", 1.0, None))
    if kind == "count" and o.unit not in ("share", "ratio"):
        unit = o.unit
    if kind == "energy" and o.unit != "MWh":
        return "count", 1.0, o.unit
    return kind, scale, unit


#: sweep factor key -> axis label with unit.
FACTORS: dict[str, str] = {
    "defense.budget_eur": "Programme budget (EUR million)",
    "threat.launches.intensity_multiplier": "Attack intensity (× fitted launches)",
    "threat.decoy_share": "Decoy share of launches",
    "threat.jet_share": "Jet share of launches",
    "defense.interceptor.pk": "Interceptor kill probability (pk)",
    "defense.costs.interceptor_unit_cost_eur": "Interceptor unit cost (EUR)",
    "defense.delivery.interceptors_per_month": "Cap on interceptor deliveries (per month)",
    "defense.programme.production.reference_per_day": "Programme production, EUR 140M order (a day)",
    "defense.delivery.crews_per_month": "Programme training capacity (crews a month)",
    "defense.interceptor.speed_kmh": "Interceptor speed (km/h)",
    "defense.basing.policy": "Basing policy",
    "threat.targeting.p_hit": "Hit probability of a leaker (p_hit)",
    "threat.types.shahed.altitude_max_m": "Shahed cruise ceiling (m)",
    "threat.types.shahed.p_lost_ew": "Shahed loss to electronic warfare",
}


def outcome_label(name: str) -> str:
    """Axis label (with unit) of an outcome, from the outcome registry."""
    o = OUTCOMES.get(name)
    if o is None:
        return name.replace("_", " ").replace(".", ": ")
    unit = _plot_kind(name)[2]
    return f"{o.label} ({unit})" if unit else o.label


def nightly_label(column: str) -> str:
    """Axis label of a nightly column (``nights.parquet``), from the outcome registry. The
    nightly ``demand_served_fraction`` is the evening peak served that night (the registry's
    outcome of that name is its winter aggregate)."""
    if column == "demand_served_fraction" and "served_mw" in OUTCOMES:
        return OUTCOMES["served_mw"].label + " (%)"
    o = OUTCOMES.get(column)
    if o is not None and _plot_kind(column)[0] == "count":
        return o.label
    return frac_label(column)


def factor_label(key: str) -> str:
    """Axis label (with unit) of a sweep factor."""
    if key in FACTORS:
        return FACTORS[key]
    last = key.split(".")[-1]
    unit = {"_eur": " (EUR)", "_km": " (km)", "_kmh": " (km/h)", "_s": " (s)", "_m": " (m)"}
    for suf, u in unit.items():
        if last.endswith(suf):
            return last[: -len(suf)].replace("_", " ").capitalize() + u
    return last.replace("_", " ").capitalize()


def plot_kind(name: str) -> str:
    return _plot_kind(name)[0]


def plot_scale(name: str) -> float:
    """Multiplier from the outcome's stored unit to its plotted unit."""
    return _plot_kind(name)[1]


def format_axis(axis, name: str) -> None:
    kind = plot_kind(name)
    if kind == "frac":
        axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    elif kind in ("count", "gwh", "eur_m", "eur_k", "gw"):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def eur_m_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}"))


def frac_label(name: str) -> str:
    lab = outcome_label(name)
    return lab + " (%)" if plot_kind(name) == "frac" else lab


# --------------------------------------------------------------------------- statistics helpers
def _mean_ci(values: np.ndarray, level: float = LEVEL, name: str | None = None
             ) -> tuple[float, float, float]:
    """Mean and interval over replicates (:func:`sim.experiments.stats.mean_ci`), inside the
    bounds of outcome ``name``."""
    o = OUTCOMES.get(name) if name else None
    s = mean_ci(list(np.asarray(values, float)), level, o.lower if o else None,
                o.upper if o else None)
    return s["mean"], s["ci_low"], s["ci_high"]


def summarize_by(runs: pd.DataFrame, by: str | Sequence[str], outcome: str,
                 level: float = LEVEL) -> pd.DataFrame:
    """Mean and interval (:func:`_mean_ci`) of ``outcome`` over replicates, per value of ``by``.

    Returns one row per group: the ``by`` column(s), ``mean``, ``ci_low``, ``ci_high``, ``n``.
    """
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, g in runs.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        v = g[outcome].to_numpy(float)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            continue
        m, lo, hi = _mean_ci(v, level, outcome)
        rows.append({**dict(zip(by, key, strict=True)), "mean": m, "ci_low": lo, "ci_high": hi,
                     "n": len(v)})
    return pd.DataFrame(rows, columns=[*by, "mean", "ci_low", "ci_high", "n"])




def reference_level(runs: pd.DataFrame, factor: str, reference=None):
    """The level differences are taken from: ``reference`` if given (it must be a level of
    ``factor``), else the lowest level (EUR 0 for a budget)."""
    levels = sorted(runs[factor].dropna().unique())
    if not levels:
        raise ValueError(f"{factor}: no levels in the runs table")
    if reference is None:
        return levels[0]
    if reference not in levels:
        raise ValueError(f"reference {reference!r} is not a level of {factor} ({levels})")
    return reference


def paired_by(runs: pd.DataFrame, factor: str, outcome: str, reference=None,
              pair_on: Sequence[str] = ("replicate",), level: float = LEVEL) -> pd.DataFrame:
    """Paired differences of ``outcome`` from a reference level of ``factor``: at each level,
    the mean over replicates of (the level's value - the reference's value on the same winter)
    and its interval (:func:`sim.experiments.stats.paired_stats`, BCa bootstrap of the paired
    differences). Runs are paired on ``pair_on`` (the replicate, and any other factor that
    varies, so that each difference is between two runs that faced the same raids).

    Returns one row per level: ``factor``, ``diff``, ``ci_low``, ``ci_high``, ``n``,
    ``mean`` (the level's own mean) and ``reference`` (the reference level).
    """
    ref = reference_level(runs, factor, reference)
    keys = list(pair_on)
    base = runs.loc[runs[factor] == ref, [*keys, outcome]]
    rows = []
    for lev, g in runs.groupby(factor, sort=True):
        m = g[[*keys, outcome]].merge(base, on=keys, suffixes=("", "_ref"))
        st = paired_stats(m[f"{outcome}_ref"].to_numpy(float), m[outcome].to_numpy(float), level)
        rows.append({factor: lev, "diff": st["diff"], "ci_low": st["ci_low"],
                     "ci_high": st["ci_high"], "n": st["n"], "mean": st["mean_b"],
                     "reference": ref})
    return pd.DataFrame(rows, columns=[factor, "diff", "ci_low", "ci_high", "n", "mean",
                                       "reference"])
