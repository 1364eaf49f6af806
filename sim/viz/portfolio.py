"""The figure of ``python -m sim portfolio``: what each way of spending the money gains over no
spending, against each attacker, with intervals (:mod:`sim.experiments.portfolio`)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.lines import Line2D

from sim.experiments.portfolio import SHORT
from sim.experiments.stats import INTERVAL_METHOD
from sim.viz.style import CYCLE, finish_axes, styled

DEMAND = "demand_served_fraction"
PANELS = (
    (DEMAND, "Demand served: gain over no spending (pp)", 100.0),
    ("outage_hours_per_day", "Hours without power a day: change", 1.0),
    ("hits_on_sites", "Drone hits on energy sites: change", 1.0),
    ("missile_hits_on_sites", "Missile hits on energy sites: change", 1.0),
)
MARKERS = ("o", "s", "D")


@styled
def plot_portfolio(table: pd.DataFrame, settings: dict, *, figsize=None):
    """One row per candidate (ordered by its gain in demand served against the first
    attacker), one panel per outcome (demand served in percentage points, drone and missile
    hits on energy sites), one marker per attacker: the mean paired gain over no spending and
    its interval; filled: the interval excludes 0.

    Args:
        table: the ``table`` of a :class:`sim.experiments.portfolio.PortfolioComparison`.
        settings: its ``settings`` (attackers, budget, replicates, level).
    """
    attackers = list(settings["attackers"])
    panels = [p for p in PANELS if f"{p[0]}_gain" in table.columns]
    first = table[table["attacker"] == attackers[0]].sort_values("rank")
    order = first["candidate"].tolist()
    labels = {c: "\n".join(textwrap.wrap(SHORT.get(c, lab if kind == "mix" else c), 26))
              for c, lab, kind in zip(table["candidate"], table["label"], table["kind"],
                                      strict=True)}
    n = len(order)
    fig, axes = plt.subplots(1, len(panels), sharey=True,
                             figsize=figsize or (4.0 * len(panels) + 1.8,
                                                      0.42 * n + 0.16 * sum(
                                                          v.count("\n") for v in labels.values())
                                                      + 1.9))
    axes = np.atleast_1d(axes)
    y = {c: n - 1 - i for i, c in enumerate(order)}
    dy = np.linspace(-0.18, 0.18, len(attackers)) if len(attackers) > 1 else [0.0]
    for ax, (o, title, scale) in zip(axes, panels, strict=True):
        for j, att in enumerate(attackers):
            t = table[table["attacker"] == att]
            col = CYCLE[j % len(CYCLE)]
            for _, r in t.iterrows():
                yy = y[r["candidate"]] + dy[j]
                g, lo, hi = (scale * r[f"{o}_{k}"] for k in ("gain", "low", "high"))
                ax.plot([lo, hi], [yy, yy], color=col, lw=2.0, solid_capstyle="butt")
                sig = bool(r[f"{o}_significant"])
                ax.plot(g, yy, MARKERS[j % len(MARKERS)], color=col, markersize=5.5,
                        markerfacecolor=col if sig else "white", markeredgewidth=1.4)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(title, loc="left", fontsize=9)
        finish_axes(ax, grid="x")
    axes[0].set_yticks([y[c] for c in order], [labels[c] for c in order])
    axes[0].set_ylim(-0.7, n - 0.3)
    handles = [Line2D([], [], color=CYCLE[j % len(CYCLE)], marker=MARKERS[j % len(MARKERS)],
                      lw=2.0, label=f"{a.replace('_', '-')} attacker")
               for j, a in enumerate(attackers)]
    axes[-1].legend(handles=handles, loc="lower right", fontsize=8)
    level = settings.get("level", 0.95)
    fig.suptitle(f"What EUR {settings['budget_eur'] / 1e6:,.0f}M could buy: each option alone "
                 f"(and each mix) against no spending ({settings.get('scenario', '')})\n"
                 f"Mean paired difference over {settings['replicates']} winters (common random "
                 f"numbers); bars: {100 * level:g}% interval ({INTERVAL_METHOD}); filled: the "
                 "interval excludes 0; sorted by the gain in demand served against the "
                 f"{attackers[0].replace('_', '-')} attacker", x=0.01, ha="left", fontsize=9.5)
    return fig, axes
