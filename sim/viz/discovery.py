"""Figures of scenario discovery (:mod:`sim.analysis.discovery`).

* :func:`plot_discovery`: the PRIM peeling trajectory (coverage against density, the chosen box
  marked, CART's boxes beside it) and the boxes' limits on each restricted input, as a share of
  its full range.
* :func:`plot_cart_tree`: the CART classification tree (scikit-learn's ``plot_tree``).

Both return ``(fig, ax)`` like the other figures; save with :func:`sim.viz.style.save_figure`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.analysis.discovery import Box, DiscoveryResult, Restriction
from sim.viz.style import CYCLE, OKABE_ITO, factor_label, finish_axes, outcome_label, styled

_MARKERS = {"prim": "o", "cart": "s"}


def _box_colour(i: int) -> str:
    return CYCLE[i % len(CYCLE)]


def _short(v) -> str:
    f = float(v)
    if f == 0:
        return "0"
    if abs(f) >= 1e6:
        return f"{f:.3g}"
    if abs(f) >= 1000:
        return f"{f:,.0f}"
    return f"{f:.3g}"


def _trajectory(ax, res: DiscoveryResult, colours: dict[tuple[str, int], str]) -> None:
    base = res.n_fail / res.n
    ax.axhline(base, color=OKABE_ITO["grey"], lw=0.9, ls="--")
    ax.annotate(f"share failing overall ({base:.0%})", (0.02, base), xycoords=("axes fraction", "data"),
                xytext=(0, 3), textcoords="offset points", fontsize=8, color=OKABE_ITO["grey"])
    handles = []
    for traj in res.trajectories:
        b = int(traj["box"].iloc[0])
        first = b == 1
        sc = ax.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis",
                        s=16 if first else 9, alpha=1.0 if first else 0.45, zorder=2,
                        vmin=0, vmax=max(1, int(max(t["res_dim"].max() for t in res.trajectories))))
        if first:
            cbar = ax.figure.colorbar(sc, ax=ax, pad=0.01, fraction=0.05)
            cbar.set_label("Restricted inputs", fontsize=8)
            cbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            cbar.ax.tick_params(labelsize=8)
    for box in res.boxes:
        c = colours[(box.method, box.index)]
        ax.scatter([box.coverage], [box.density], s=110, facecolors="none", edgecolors=c, linewidths=2,
                   marker=_MARKERS[box.method], zorder=3)
        handles.append(Line2D([], [], marker=_MARKERS[box.method], ls="", markerfacecolor="none",
                              markeredgecolor=c, markeredgewidth=2, markersize=8, label=box.label))
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlabel("Coverage (share of all failures inside the box)")
    ax.set_ylabel("Density (share of the box's points that fail)")
    ax.set_title("PRIM peeling trajectory" if res.trajectories else "Boxes: coverage and density")
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.18),
                  ncol=min(4, len(handles)), fontsize=8)
    finish_axes(ax, grid="both")


def _limits(ax, res: DiscoveryResult, boxes: list[Box], colours: dict[tuple[str, int], str]) -> None:
    names: list[str] = []
    for b in boxes:
        for r in b.restrictions:
            if r.name not in names:
                names.append(r.name)
    if not names:
        ax.text(0.5, 0.5, "no input restricted", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    k = len(boxes)
    offsets = np.linspace(-0.22, 0.22, k) if k > 1 else np.array([0.0])
    for row, name in enumerate(names):
        y0 = len(names) - 1 - row
        full = res.full[name]
        labelled: set[str] = set()
        ax.plot([0, 1], [y0, y0], color="#dddddd", lw=7, solid_capstyle="butt", zorder=1)
        if full.kind == "range":
            ax.text(-0.02, y0, _short(full.full_low), ha="right", va="center", fontsize=7,
                    color=OKABE_ITO["grey"])
            ax.text(1.02, y0, _short(full.full_high), ha="left", va="center", fontsize=7,
                    color=OKABE_ITO["grey"])
        else:
            cats = list(full.full_values)
            xs = np.linspace(0.1, 0.9, len(cats)) if len(cats) > 1 else np.array([0.5])
        for j, b in enumerate(boxes):
            r: Restriction | None = b.restriction(name)
            c = colours[(b.method, b.index)]
            yy = y0 + offsets[j]
            if full.kind == "set" and j == 0:
                for xv, cat in zip(xs, cats, strict=True):
                    ax.text(xv, y0 - 0.5, str(cat), ha="center", va="bottom", fontsize=7,
                            color=OKABE_ITO["grey"])
            if r is None:  # this box leaves the input free
                continue
            if full.kind == "range":
                lo, hi = r.normalised()
                ax.plot([lo, hi], [yy, yy], color=c, lw=3.2, solid_capstyle="butt", zorder=3)
                for restricted, xv, v in ((r.low_restricted, lo, r.low), (r.high_restricted, hi, r.high)):
                    if restricted and _short(v) not in labelled:  # a limit shared by boxes: once
                        labelled.add(_short(v))
                        ax.text(xv, yy + 0.06, _short(v), ha="center", va="bottom", fontsize=7, color=c)
            else:
                for xv, cat in zip(xs, cats, strict=True):
                    inside = cat in set(r.values)
                    ax.scatter([xv], [yy], s=30, marker=_MARKERS[b.method], zorder=3,
                               facecolors=c if inside else "white", edgecolors=c)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([factor_label(n) for n in reversed(names)], fontsize=8)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_xlim(-0.12, 1.12)
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["low end", "middle", "high end"])
    ax.set_xlabel("Box limits within the full range (log scale for log inputs)")
    ax.set_title("Restricted inputs")
    handles = [Line2D([], [], color=colours[(b.method, b.index)], lw=3, marker=_MARKERS[b.method],
                      markersize=5, label=b.label) for b in boxes]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(4, len(boxes)),
              fontsize=8)
    finish_axes(ax, grid=None)


@styled
def plot_discovery(res: DiscoveryResult, *, max_boxes: int = 4, title: str | None = None):
    """The peeling trajectory and the limits of the boxes found (at most ``max_boxes``, PRIM
    first). Returns ``(fig, axes)`` with two panels."""
    boxes = (res.prim_boxes + res.cart_boxes)[:max_boxes]
    colours = {(b.method, b.index): _box_colour(i) for i, b in enumerate(res.boxes)}
    names = {r.name for b in boxes for r in b.restrictions}
    height = max(3.8, 1.2 + 0.55 * len(names))
    fig, axes = plt.subplots(1, 2, figsize=(11.0, height), width_ratios=[1.0, 1.25])
    _trajectory(axes[0], res, colours)
    _limits(axes[1], res, boxes, colours)
    sign = "<" if res.direction == "below" else ">"
    fig.suptitle(title or f"Where {outcome_label(res.outcome).lower()} {sign} {_short(res.value)}: "
                 f"{res.n_fail} of {res.n} {'design points' if res.per == 'point' else 'runs'}")
    return fig, axes


@styled
def plot_cart_tree(res: DiscoveryResult, *, ax=None, fontsize: int = 7):
    """The CART tree of a discovery (each node: its split, points, and failing share)."""
    from sklearn.tree import plot_tree

    if res.tree is None:
        raise ValueError("this discovery ran without CART (method='prim')")
    depth = int(res.tree.get_depth())
    leaves = int(res.tree.get_n_leaves())
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(16.0, max(7.0, 1.25 * leaves)), 1.6 + 1.3 * depth))
    else:
        fig = ax.figure
    plot_tree(res.tree, feature_names=res.tree_features, class_names=["holds", "fails"], filled=True,
              impurity=False, rounded=True, fontsize=fontsize, ax=ax)
    sign = "<" if res.direction == "below" else ">"
    ax.set_title(f"CART: where {outcome_label(res.outcome).lower()} {sign} {_short(res.value)}")
    return fig, ax
