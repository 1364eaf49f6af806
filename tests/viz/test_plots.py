"""Figures (`sim.viz`) and `python -m sim plot` on the outputs of run, sweep and compare."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from sim.cli import main  # noqa: E402
from sim.experiments.stats import mean_ci  # noqa: E402
from sim.model.defense_model import DefenseModel  # noqa: E402
from sim.viz import figures as plots
from sim.viz import map as vmap
from sim.viz import style  # noqa: E402
from tests.helpers import ROOT, SCENARIOS, short  # noqa: E402

NL = str(SCENARIOS / "nl-200m.yaml")
CORRIDORS = str(SCENARIOS / "nl-200m-corridors.yaml")
# A few nights in January 2026: the programme has deliveries from the first night.
FAST = {"period.nights": 4, "period.start_date": "2026-01-10"}
FAST_SET = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]
PALETTE = {c.lower() for c in style.OKABE_ITO.values()} | {"#555555", "#bbbbbb", "#9a9a9a"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def night_model(nl200m):
    model = DefenseModel(short(nl200m, nights=3, **{"period.start_date": "2026-01-10"}))
    for _ in range(3):
        model.step()
    return model


@pytest.fixture(scope="module")
def runs():
    """A synthetic runs table: 3 budget levels x 5 replicates (seeded)."""
    rng = np.random.default_rng(7)
    rows = []
    for b in (0.0, 1e8, 2e8):
        for r in range(5):
            prog = b > 0
            rows.append({
                "defense.budget_eur": b, "replicate": r, "seed": 1, "point": int(b / 1e8),
                "kinetic_coverage": 0.7 + 0.1 * prog + 0.01 * rng.standard_normal(),
                "geometric_coverage_capacity_fraction": 0.2 + 0.4 * prog,
                "demand_served_fraction": 0.8 + 0.1 * prog + 0.01 * rng.standard_normal(),
                "energy_not_served_mwh": 1e5 * (1 - 0.5 * prog) * (1 + 0.1 * rng.random()),
                "hits_on_sites": 300 - 100 * prog + rng.integers(0, 20),
                "interceptor_kills": 5000.0 * prog + rng.integers(0, 50),
                "cost_exchange_ratio": (2.0 + 0.1 * rng.standard_normal()) if prog else np.nan,
                "cost_per_kill_eur": (2e4 + 1e3 * rng.standard_normal()) if prog else np.nan,
            })
    return pd.DataFrame(rows)


def _nights(reps=3, n=20, levels=(None,)):
    rng = np.random.default_rng(3)
    rows = []
    dates = pd.date_range("2025-11-01", periods=n).strftime("%Y-%m-%d")
    for lv in levels:
        for r in range(reps):
            for k, d in enumerate(dates):
                row = {"replicate": r, "night": k, "date": d,
                       "launched": int(rng.integers(50, 300)),
                       "available_generation_mw": 18000 - 100 * k + 200 * rng.standard_normal(),
                       "demand_mw": 15000 + 20 * k,
                       "demand_served_fraction": min(1.0, 1.1 - 0.01 * k + 0.02 * rng.random())}
                if lv is not None:
                    row["defense.budget_eur"] = lv
                rows.append(row)
    return pd.DataFrame(rows)


def _colours(ax):
    out = set()
    for line in ax.get_lines():
        c = line.get_color()
        if isinstance(c, str) and c not in ("none",):
            out.add(to_hex(c).lower())
    return out


# ------------------------------------------------------------------------------------ outline
def test_outline_is_packaged_with_its_source():
    rings = vmap.ukraine_outline_lonlat()
    assert len(rings) == 1 and len(rings[0]) > 90
    lon, lat = rings[0][:, 0], rings[0][:, 1]
    assert 22 < lon.min() < 23 and 40 < lon.max() < 41 and 44 < lat.min() < 45.5
    xy = vmap.ukraine_outline_km()[0]
    assert -700 < xy[:, 0].min() < -500 and 550 < xy[:, 0].max() < 700
    readme = (ROOT / "sim" / "data" / "README_boundaries.md").read_text()
    assert "Natural Earth" in readme and "public domain" in readme


# ------------------------------------------------------------------------------------ map
def test_map_of_a_night(night_model):
    fig, ax = vmap.plot_map(night_model)
    assert "km" in ax.get_xlabel() and "km" in ax.get_ylabel()
    assert night_model.record["date"] in ax.get_title(loc="left")
    texts = {t.get_text() for a in fig.axes for leg in a.artists
             if hasattr(leg, "get_texts") for t in leg.get_texts()}
    titles = {leg.get_title().get_text() for a in fig.axes for leg in a.artists
              if hasattr(leg, "get_title")}
    assert {"Energy sites", "Site type", "Capacity", "Defence and threat",
            "Tonight's drones"} <= titles
    assert any(t.startswith("Programme launch sites") for t in texts)
    assert any(t.startswith("Reached its target area") or t.startswith("Shot down") for t in texts)
    # every site is drawn, in palette colours
    n_sites = sum(len(c.get_offsets()) for c in ax.collections
                  if c.get_zorder() == 7)
    assert n_sites == len(night_model.sites)
    states = vmap.site_states(night_model)
    assert set(states) <= set(vmap.SITE_STATES)
    assert (states == "not_operational").sum() == (night_model.sites["status"] != "operational").sum()


def test_static_map_and_map_into_a_bare_figure(night_model):
    from matplotlib.figure import Figure

    fig, ax = vmap.plot_map(None)
    assert "Energy sites" in ax.get_title(loc="left")
    bare = Figure(figsize=(8, 5), layout="constrained")
    fig2, ax2 = vmap.plot_map(night_model, fig=bare)
    assert fig2 is bare and len(bare.axes) == 2


def test_animation_writes_a_gif(night_model, tmp_path):
    from PIL import Image

    path = tmp_path / "night.gif"
    anim, fig = vmap.animate_night(night_model, path, frames=3, dpi=30)
    with Image.open(path) as im:
        assert im.format == "GIF" and im.n_frames == 3


def _outside_canvas(fig, tol: float = 1.0) -> list[str]:
    """Texts (labels, ticks, titles, legend entries) that the saved canvas would cut off."""
    from matplotlib.text import Text

    if not hasattr(fig.canvas, "get_renderer"):  # a figure made without pyplot
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    fb = fig.bbox
    ticks, drawn_ticks = set(), set()  # tick labels: only those of ticks inside the view
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update({id(tick.label1), id(tick.label2)})
                if lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    drawn_ticks.update({id(tick.label1), id(tick.label2)})
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in ticks and id(t) not in drawn_ticks:
            continue
        b = t.get_window_extent(r)
        if b.x0 < fb.x0 - tol or b.x1 > fb.x1 + tol or b.y0 < fb.y0 - tol or b.y1 > fb.y1 + tol:
            out.append(t.get_text())
    return out


def _legend_entries(fig) -> dict:
    """Legend label -> its handle, over every legend of the figure."""
    out = {}
    for a in fig.axes:
        for leg in [*a.artists, a.get_legend()]:
            if leg is None or not hasattr(leg, "legend_handles"):
                continue
            for h, t in zip(leg.legend_handles, leg.get_texts(), strict=True):
                out[t.get_text()] = h
    return out


def test_map_legend_shows_the_envelopes_as_drawn(night_model):
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Circle

    fig, ax = vmap.plot_map(night_model)
    teams = night_model.teams
    n_own = sum(not t.programme for t in teams)
    n_prog = sum(t.programme for t in teams)
    assert n_own > 0 and n_prog > 0
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    entries = _legend_entries(fig)
    own = entries[next(k for k in entries if k.startswith("Their envelopes"))]
    prog = entries[next(k for k in entries if k.startswith("Programme envelopes"))]

    def look(p):  # what is drawn: colours, the dash pattern, the line width
        return (to_rgba(p.get_facecolor()), to_rgba(p.get_edgecolor()),
                p._unscaled_dash_pattern, round(p.get_linewidth(), 3))

    drawn = [look(c) for c in circles]
    assert drawn.count(look(own)) == n_own  # dashed, empty: Ukraine's own units
    assert drawn.count(look(prog)) == n_prog  # filled green: the programme
    assert look(own) != look(prog) and len(circles) == n_own + n_prog
    assert f"Ukraine's own interceptor units ({n_own})" in entries
    assert f"Programme launch sites ({n_prog})" in entries
    radars = night_model.sensor_network.radars
    assert f"Ukraine's radars ({sum(not r.programme for r in radars)})" in entries
    assert f"Programme radars ({sum(r.programme for r in radars)})" in entries
    assert not any(k.startswith("Existing") for k in entries)
    n_prog_sorties = sum(s.programme for s in night_model.sorties)
    assert f"Programme sorties ({n_prog_sorties})" in entries


def test_map_layers_have_distinct_markers(night_model):
    fig, ax = vmap.plot_map(night_model)
    entries = _legend_entries(fig)
    markers = {k: h.get_marker() for k, h in entries.items()
               if hasattr(h, "get_marker") and h.get_linestyle() in ("None", "", " ")}
    by_layer = {}
    for k, m in markers.items():
        if k in vmap.SITE_MARKERS or k.startswith(("Launch area", "Ukraine's radars")):
            by_layer[k.split(" (")[0]] = m
        elif k.startswith(("Ukraine's own", "Programme launch")):  # one shape, two fills
            by_layer["Interceptor launch sites"] = m
    assert by_layer["Launch area"] != by_layer["Water utility"]
    own = next(h for k, h in entries.items() if k.startswith("Ukraine's own"))
    prog = next(h for k, h in entries.items() if k.startswith("Programme launch"))
    assert own.get_marker() == prog.get_marker()
    assert own.get_markerfacecolor() != prog.get_markerfacecolor()
    assert len(set(by_layer.values())) == len(by_layer), by_layer  # one shape per layer
    # the markers drawn are the legend's
    drawn = {c.get_paths()[0].vertices.round(3).tobytes() for c in ax.collections
             if hasattr(c, "get_offsets") and len(c.get_paths())}
    assert len(drawn) >= len(set(by_layer.values()))


@pytest.mark.parametrize("legend_loc, size", [("right", (10.0, 6.6)), ("below", (7.0, 8.6))])
def test_map_text_stays_on_the_canvas(night_model, legend_loc, size):
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    vmap.plot_map(night_model, fig=fig, legend_loc=legend_loc,
                  note="Shown: the most launches while the programme is active (night index 2, "
                  "replicate 0; another: --night N)")
    assert _outside_canvas(fig) == []


def test_pick_night_prefers_nights_with_the_programme():
    rows = []
    for rep in (0, 1):
        for k in range(10):
            launched = {2: 900, 7: 500}.get(k, 100) if rep == 0 else 50 + (k == 9) * 5000
            rows.append({"replicate": rep, "night": k, "launched": launched,
                         "programme_sites": 0 if k < 5 else 3})
    nights = pd.DataFrame(rows)
    night, why = vmap.pick_night(nights)
    assert night == 7 and "programme is active" in why  # not 2 (no programme), not rep 1's 9
    night, why = vmap.pick_night(nights.assign(programme_sites=0))
    assert night == 2 and "never active" in why
    assert vmap.pick_night(nights, 4) == (4, "the night asked for")
    d = nights.drop(columns="programme_sites").assign(
        programme_delivered=lambda f: np.where(f["night"] >= 8, 10, 0))
    assert vmap.pick_night(d)[0] == 8


# ------------------------------------------------------------------------------------ sweeps
def test_summarize_by_matches_mean_ci(runs):
    s = style.summarize_by(runs, "defense.budget_eur", "kinetic_coverage")
    assert list(s["defense.budget_eur"]) == [0.0, 1e8, 2e8]
    ref = mean_ci(runs.loc[runs["defense.budget_eur"] == 1e8, "kinetic_coverage"].tolist())
    row = s[s["defense.budget_eur"] == 1e8].iloc[0]
    assert row["mean"] == pytest.approx(ref["mean"]) and row["ci_low"] == pytest.approx(ref["ci_low"])
    # NaN outcomes (no programme at EUR 0) leave that level out
    s = style.summarize_by(runs, "defense.budget_eur", "cost_exchange_ratio")
    assert list(s["defense.budget_eur"]) == [1e8, 2e8]


def test_headline_chart(runs):
    fig, ax = plots.plot_coverage_vs_budget(runs)
    assert ax.get_xlabel() == "Programme budget (EUR million)"
    assert ax.get_ylabel() == "Share (%)"
    assert ax.get_ylim() == (0.0, 1.0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Share of drones aimed at energy that were stopped" in labels
    assert "95% CI of the mean (BCa bootstrap)" in labels
    # the line is the replicate mean; the band is drawn
    means = runs.groupby("defense.budget_eur")["kinetic_coverage"].mean().to_numpy()
    line = next(ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3)
    assert np.allclose(line.get_ydata(), means)
    assert any(type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")
               for c in ax.collections)
    assert _colours(ax) <= PALETTE
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "100%" in ticks


def test_cost_effectiveness_and_grids(runs):
    fig, axes = plots.plot_cost_effectiveness(runs)
    assert axes[0].get_ylabel() and axes[1].get_ylabel() == "EUR thousand per kill"
    line = next(ln for ln in axes[1].get_lines() if len(ln.get_xdata()) == 2)
    assert np.allclose(line.get_ydata(), runs.groupby("defense.budget_eur")[
        "cost_per_kill_eur"].mean().dropna().to_numpy() / 1e3)
    fig, axes = plots.plot_outcomes_grid(runs, "defense.budget_eur")
    assert sum(a.get_visible() for a in axes.flat) == 4
    assert "(GWh)" in axes.flat[1].get_title(loc="left")
    assert "(points): change" in axes.flat[0].get_title(loc="left")
    fig, axes = plots.plot_outcomes_grid(runs, "defense.budget_eur", paired=False)
    assert "(GWh)" in axes.flat[1].get_title(loc="left")
    fig, axes = plots.plot_outcomes_by_group(runs, "defense.budget_eur")
    assert len([a for a in axes.flat if a.get_visible()]) == 4


def test_outcome_vs_factor_by_series(runs):
    r = pd.concat([runs.assign(policy="a"), runs.assign(policy="b")])
    fig, ax = plots.plot_outcome_vs_factor(r, "defense.budget_eur", "demand_served_fraction",
                                           by="policy")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "a" in labels and "b" in labels


def test_winter_timeline():
    fig, axes = plots.plot_winter_timeline(_nights())
    assert len(axes) == 3
    assert "(GW)" in axes[1].get_ylabel() and "(%)" in axes[2].get_ylabel()
    assert axes[1].collections  # replicate band
    fig, axes = plots.plot_winter_timeline(_nights(levels=(0.0, 2e8)), by="defense.budget_eur")
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert "EUR 0M" in labels and "EUR 200M" in labels
    # without the energy model: launches only
    fig, axes = plots.plot_winter_timeline(_nights(reps=1).drop(
        columns=["available_generation_mw", "demand_mw", "demand_served_fraction"]))
    assert len(axes) == 1


def _delivery_lines(ax):
    return [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2
            and ln.get_xdata()[0] == ln.get_xdata()[1]]


def test_timeline_marks_the_first_delivery_and_says_what_is_a_mean():
    import matplotlib.dates as mdates

    nights = _nights(reps=3)
    nights["programme_sites"] = np.where(nights["night"] >= 6, 2, 0)
    first = pd.Timestamp(nights.loc[nights["night"] == 6, "date"].iloc[0])
    assert plots.first_delivery(nights) == first
    fig, axes = plots.plot_winter_timeline(nights)
    for ax in axes:  # one labelled line, on every panel, at the first delivery
        lines = _delivery_lines(ax)
        assert len(lines) == 1
        assert mdates.num2date(mdates.date2num(lines[0].get_xdata()[0])).date() == first.date()
    top = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert "Drones launched, mean of 3 replicates" in top
    assert f"First programme delivery, {first:%d %b %Y}" in top
    bottom = [t.get_text() for t in axes[2].get_legend().get_texts()]
    assert "mean of 3 replicates" in bottom and any("not a confidence interval" in t
                                                    for t in bottom)
    assert any("First programme" in t.get_text() for t in axes[2].texts)
    assert _outside_canvas(fig) == []
    # one series never delivers (EUR 0): the line belongs to the other, and says so
    two = _nights(levels=(0.0, 2e8))
    two["programme_sites"] = np.where((two["defense.budget_eur"] > 0) & (two["night"] >= 3), 1, 0)
    fig, axes = plots.plot_winter_timeline(two, by="defense.budget_eur")
    top = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any(t.startswith("First programme delivery") and t.endswith("(EUR 200M)")
               for t in top)
    # no programme columns, or no delivery: no line
    for table in (_nights(), nights.assign(programme_sites=0)):
        fig, axes = plots.plot_winter_timeline(table)
        assert not _delivery_lines(axes[0])
        assert plots.first_delivery(table) is None


def test_every_replicate_figure_says_mean_of_n_and_how_the_interval_is_made(runs):
    n = int(runs.groupby("defense.budget_eur").size().min())
    fig, ax = plots.plot_coverage_vs_budget(runs)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"mean of {n} replicates" in labels
    assert "95% CI of the mean (BCa bootstrap)" in labels
    assert _outside_canvas(fig) == []
    fig, axes = plots.plot_cost_effectiveness(runs)
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert f"mean of {n} replicates" in labels and any("BCa" in t for t in labels)
    for fn in (plots.plot_outcomes_grid, plots.plot_outcomes_by_group):
        fig, _ = fn(runs, "defense.budget_eur", **({"paired": False}
                                                   if fn is plots.plot_outcomes_grid else {}))
        note = fig.get_supxlabel()
        assert f"mean of {n} replicates" in note and "BCa bootstrap" in note, fn.__name__
        assert _outside_canvas(fig) == [], fn.__name__
    fig, _ = plots.plot_outcomes_grid(runs, "defense.budget_eur")
    note = fig.get_supxlabel()
    assert f"mean of {n} paired differences from EUR 0M" in note and "BCa bootstrap" in note
    assert _outside_canvas(fig) == []


def test_sweep_grid_plots_paired_differences_from_the_reference():
    """Oracle: each replicate's winter shifts every level by the same large amount (common
    random numbers), the budget adds a small fixed gain. Unpaired bands of the levels overlap;
    the paired difference is exactly the gain, its interval a point, the replicates' own
    differences the dots. Another lever (the attacker) is paired on too, not pooled into
    pairs across attackers."""
    rows = []
    for strat, shift in (("static", 0.0), ("learning", -0.02)):
        for b, gain in ((0.0, 0.0), (1e8, 0.004), (2e8, 0.006)):
            for r in range(6):
                winter = 0.1 * np.sin(r + 1.0)  # +-0.1 from one winter to the next
                rows.append({"defense.budget_eur": b, "threat.attacker.strategy": strat,
                             "replicate": r, "demand_served_fraction": 0.8 + winter + shift + gain,
                             "hits_on_sites": 300.0 - 1000 * gain + 50 * winter})
    runs = pd.DataFrame(rows)
    assert plots.pairing_columns(runs, "defense.budget_eur") == ["replicate",
                                                                  "threat.attacker.strategy"]
    s = plots.summarize_by(runs, "defense.budget_eur", "demand_served_fraction")
    assert s["ci_low"].max() < s["ci_high"].min()  # unpaired bands overlap: "no effect"
    fig, axes = plots.plot_outcomes_grid(runs, "defense.budget_eur",
                                         ("demand_served_fraction", "hits_on_sites"))
    line = next(ln for ln in axes.flat[0].get_lines() if len(ln.get_xdata()) == 3)
    np.testing.assert_allclose(line.get_ydata(), [0.0, 0.4, 0.6], atol=1e-9)  # points
    line = next(ln for ln in axes.flat[1].get_lines() if len(ln.get_xdata()) == 3)
    np.testing.assert_allclose(line.get_ydata(), [0.0, -4.0, -6.0], atol=1e-9)
    d = plots.paired_by(runs, "defense.budget_eur", "demand_served_fraction",
                        pair_on=["replicate", "threat.attacker.strategy"])
    assert (d["ci_low"] == d["diff"]).all() and (d["ci_high"] == d["diff"]).all()
    assert d["n"].tolist() == [12, 12, 12]
    d = plots.paired_by(runs, "defense.budget_eur", "demand_served_fraction", reference=2e8,
                        pair_on=["replicate", "threat.attacker.strategy"])
    np.testing.assert_allclose(d["diff"], [-0.006, -0.002, 0.0], atol=1e-12)
    with pytest.raises(ValueError, match="not a level"):
        plots.paired_by(runs, "defense.budget_eur", "hits_on_sites", reference=5e7)


def test_comparison_forest_plot():
    t = pd.DataFrame([
        {"outcome": "kinetic_coverage", "n": 10, "mean_a": 0.8, "mean_b": 0.77, "diff": -0.03,
         "ci_low": -0.04, "ci_high": -0.02, "significant": True},
        {"outcome": "hits_on_sites", "n": 10, "mean_a": 300.0, "mean_b": 320.0, "diff": 20.0,
         "ci_low": -5.0, "ci_high": 45.0, "significant": False},
        {"outcome": "interceptor_kills", "n": 10, "mean_a": 0.0, "mean_b": 0.0, "diff": 0.0,
         "ci_low": 0.0, "ci_high": 0.0, "significant": False},
    ])
    fig, ax = plots.plot_comparison(t, labels=("energy_sites", "corridors"))
    assert "relative to energy_sites" in ax.get_xlabel()
    ylabels = [t.get_text() for t in ax.get_yticklabels()]
    assert ylabels[0] == "Share of drones aimed at energy that were stopped"
    right = [t.get_text() for t in fig.axes[1].texts]
    assert "-3.0 pp  [-4.0, -2.0]" in right and "+20  [-5, +45]" in right
    assert any("energy_sites = 0" in t.get_text() for t in ax.texts)
    assert "10 paired replicates" in ax.get_title(loc="left")
    assert "(BCa bootstrap)" in ax.get_title(loc="left")
    assert ax.get_xscale() == "linear"
    # a few large relative changes: log scale beyond +-10%, so the small ones stay readable
    big = t.copy()
    big.loc[1, ["diff", "ci_low", "ci_high"]] = [900.0, 800.0, 1000.0]
    fig, ax = plots.plot_comparison(big)
    assert ax.get_xscale() == "symlog" and "log scale" in ax.get_xlabel()


def test_sensitivity_bars_and_tornado(runs):
    factors = ["f1", "f2", "f3"]
    sobol = pd.DataFrame([{"policy": p, "lever": name, "outcome": "kinetic_coverage",
                           "factor": f, "S1": s1, "S1_conf": 0.05, "ST": s1 + 0.1,
                           "ST_conf": 0.05}
                          for p, name in ((0, "x"), (1, "y"))
                          for f, s1 in zip(factors, (0.5, 0.2, 0.05), strict=True)])
    fig, axes = plots.plot_sensitivity(sobol)
    assert len(axes) == 2 and "Sobol'" in axes[0].get_xlabel()
    assert [t.get_text() for t in axes[0].get_yticklabels()][-1] == "F1"  # largest on top
    morris = sobol.drop(columns=["S1", "S1_conf", "ST", "ST_conf", "policy", "lever"]).assign(
        mu_star=[0.1, 0.05, 0.01] * 2, mu_star_conf=0.01).iloc[:3]
    fig, axes = plots.plot_sensitivity(morris)
    assert "Morris" in axes[0].get_xlabel()
    # an outcome that never varied: the analysis notes it, the figure says so
    const = pd.DataFrame({"outcome": "hits_on_sites", "factor": factors, "S1": np.nan,
                          "S1_conf": np.nan, "note": "constant or missing outcome"})
    fig, axes = plots.plot_sensitivity(pd.concat([morris, const]), outcome="hits_on_sites")
    assert "the same in every sampled run" in axes[0].texts[0].get_text()
    with pytest.raises(ValueError, match="no sensitivity indices"):
        plots.plot_sensitivity(morris, outcome="not_an_outcome")
    rng = np.random.default_rng(1)
    lhs = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
    lhs["kinetic_coverage"] = 0.5 + 0.3 * lhs["a"] + 0.01 * lhs["b"]
    fig, ax = plots.plot_tornado(lhs, ["a", "b"], "kinetic_coverage")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["B", "A"]  # biggest swing on top


def test_hits_by_site_and_validation():
    fig, ax = plots.plot_hits_by_site({"burshtyn_tpp": 10, "kyivska_750": 4, "nope": 1})
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names[-1] == "Burshtyn TPP" and "nope" in names
    months = pd.DataFrame({
        "month": ["2024-10", "2024-11", "2024-12", "2025-01"],
        "period": ["fit", "fit", "out_of_sample", "out_of_sample"],
        "obs_launched": [1900, 2400, 1800, 2600], "obs_rate": [0.92, 0.94, 0.97, 0.95],
        "sim_launched_median": [1920, 2390, 1850, 2640],
        "sim_launched_p05": [1700, 2100, 1600, 2300], "sim_launched_p95": [2100, 2800, 2100, 2900],
        "sim_rate_median": [0.94] * 4, "sim_rate_p05": [0.93] * 4, "sim_rate_p95": [0.95] * 4,
    })
    fig, axes = plots.plot_validation(months, replicates=20)
    assert "per month" in axes[0].get_ylabel() and "(%)" in axes[1].get_ylabel()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "simulated: median of 20 replicates" in labels
    assert _outside_canvas(fig) == []


def test_hits_by_site_label_inside_the_canvas():
    """The sites with the longest names: the axis label and the names stay on the saved
    canvas (the label used to run off the right edge), and the axis says over how many
    replicates the hits are a mean."""
    from sim.config.data import load_sites

    sites = load_sites()
    longest = sites.assign(n=sites["name"].str.len()).sort_values("n", ascending=False)
    hits = {i: 20.0 - k for k, i in enumerate(longest["id"].head(15))}
    fig, ax = plots.plot_hits_by_site({"hits_by_site": hits, "replicates": 7})
    fig.canvas.draw()
    label = ax.xaxis.label.get_window_extent(fig.canvas.get_renderer())
    assert fig.bbox.x0 <= label.x0 and label.x1 <= fig.bbox.x1 and fig.bbox.y0 <= label.y0
    assert _outside_canvas(fig) == []
    assert "mean of 7 replicates" in ax.get_xlabel()
    assert ax.get_xlabel().startswith("Drone hits on energy sites")  # the registry's label


def test_save_figure_writes_png_and_svg(runs, tmp_path):
    fig, _ = plots.plot_coverage_vs_budget(runs)
    paths = style.save_figure(fig, tmp_path / "sub" / "headline")
    assert [p.name for p in paths] == ["headline.png", "headline.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()[:500]
    assert "Programme budget (EUR million)</text>" in paths[1].read_text()  # text, not paths
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["headline.png", "headline.svg"]
    mode = paths[0].stat().st_mode & 0o777
    assert mode & 0o044, oct(mode)  # readable by others (not a 0600 temporary file)


# ------------------------------------------------------------------------------------ sim plot
def _plot(args, capsys):
    code = main(["plot", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plot_run_folder(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", NL, "--out", str(out), "--replicates", "2", "--quiet", *FAST_SET]) == 0
    capsys.readouterr()
    code, stdout, err = _plot([str(out)], capsys)
    assert code == 0, err
    for name in ("timeline", "map", "hits_by_site"):
        assert (out / f"{name}.png").is_file() and (out / f"{name}.svg").is_file(), name
    assert str(out / "timeline.png") in stdout
    svg = (out / "map.svg").read_text()  # text kept as text: the title says which night, why
    assert "the most launches while the programme is active" in svg
    assert "Programme launch sites (" in svg and "own interceptor units (" in svg
    assert "mean of 2 replicates" in (out / "hits_by_site.svg").read_text()
    assert "First programme delivery" in (out / "timeline.svg").read_text()
    # another folder, PNG only, a chosen night, no map
    code, _, err = _plot([str(out), "--out", str(tmp_path / "figs"), "--formats", "png",
                          "--no-map"], capsys)
    assert code == 0, err
    assert (tmp_path / "figs" / "timeline.png").is_file()
    assert not list((tmp_path / "figs").glob("*.svg")) and not (tmp_path / "figs" / "map.png").exists()
    code, _, err = _plot([str(out), "--night", "99"], capsys)
    assert code == 2 and "--night 99" in err


def test_plot_sweep_folder(tmp_path, capsys):
    from sim.experiments.sweep.api import sweep

    spec = {"name": "tiny-funding", "base": NL, "fixed": FAST,
            "levers": [{"key": "defense.budget_eur", "values": [0, 1e8, 2e8]}],
            "design": {"kind": "full_factorial"}, "replicates": 2, "seed": 5,
            "nights_table": True}
    folder = tmp_path / "sweep"
    sweep(spec, out=folder, workers=1, progress=False)
    code, _, err = _plot([str(folder)], capsys)
    assert code == 0, err
    for name in ("coverage_vs_budget", "cost_effectiveness", "outcomes_vs_budget", "timeline"):
        assert (folder / f"{name}.png").is_file(), name


def test_plot_sensitivity_sweep_folder(tmp_path, capsys):
    from sim.experiments.sweep.api import sensitivity

    spec = {"name": "tiny-uncertainty", "base": NL, "fixed": FAST,
            "uncertainties": [{"key": "defense.interceptor.pk", "low": 0.4, "high": 0.9},
                              {"key": "threat.launches.intensity_multiplier", "low": 0.5,
                               "high": 2.0}],
            "design": {"kind": "morris", "samples": 2}, "replicates": 1, "seed": 9}
    folder = tmp_path / "sens"
    sensitivity(spec, out=folder, workers=1, progress=False)
    code, _, err = _plot([str(folder)], capsys)
    assert code == 0, err
    assert (folder / "sensitivity_kinetic_coverage.png").is_file()
    assert (folder / "tornado.png").is_file()


def test_plot_comparison_folder(tmp_path, capsys):
    from sim.experiments.sweep.api import compare
    from sim.experiments.sweep.compare import to_json

    df = compare(NL, CORRIDORS, replicates=2, overrides=FAST, workers=1)
    folder = tmp_path / "cmp"
    folder.mkdir()
    (folder / "comparison.json").write_text(to_json(df, **df.attrs))
    code, _, err = _plot([str(folder)], capsys)
    assert code == 0, err
    assert (folder / "comparison.png").is_file() and (folder / "comparison.svg").is_file()


def test_plot_bad_input(tmp_path, capsys):
    code, _, err = _plot([str(tmp_path / "missing")], capsys)
    assert code == 2 and "no such results folder" in err
    code, _, err = _plot([str(tmp_path)], capsys)
    assert code == 2 and "no results found" in err
    f = tmp_path / "file.txt"
    f.write_text("x")
    code, _, err = _plot([str(f)], capsys)
    assert code == 2 and "not a folder" in err
    code, _, err = _plot([str(tmp_path), "--formats", "bmp"], capsys)
    assert code == 2 and "bmp" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json")
    pd.DataFrame({"night": [0]}).to_parquet(bad / "nights.parquet")
    code, _, err = _plot([str(bad)], capsys)
    assert code == 2 and "summary.json" in err


def test_plot_command_is_registered():
    env = {**os.environ, "MPLBACKEND": "Agg"}
    p = subprocess.run([sys.executable, "-m", "sim", "plot", "--help"], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 0 and "RESULTS_DIR" in p.stdout
