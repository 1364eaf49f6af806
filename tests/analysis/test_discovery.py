"""Scenario discovery (``sim discover``): PRIM and CART find a failure region planted in a
synthetic sweep, the boxes' statistics agree with a direct count, the EMA export round-trips,
and bad input exits 2 with one clear message.

The synthetic sweep folders (:mod:`tests.fixtures.planted`) are written in the sweep store's
format (``runs.parquet``, ``spec.json``, ``manifest.json``): uniform inputs, two replicates per
design point, an outcome that drops where the planted conditions hold, plus a little noise.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

from sim.analysis import discovery as disc
from sim.analysis import sweep_data
from tests.fixtures.planted import (
    KEYS,
    LEVER,
    X1,
    X2,
    X3,
    X4,
    corner,
    l_shape,
    moved,
    with_policy,
    write_sweep,
)

HAVE_EMA = disc.ema_available()
try:
    import sklearn  # noqa: F401

    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

if os.environ.get("CI") == "true" and not (HAVE_EMA and HAVE_SKLEARN):
    pytest.fail('CI must install the ema extra (pip install -e ".[test,ema]")', pytrace=False)

needs_ema = pytest.mark.skipif(
    not HAVE_EMA, reason='PRIM needs the EMA Workbench: pip install -e ".[ema]"'
)
needs_sklearn = pytest.mark.skipif(
    not HAVE_SKLEARN, reason='CART needs scikit-learn: pip install -e ".[ema]"'
)

TOL = 0.05

PLANTED = {
    "corner": (corner, {X1: (0.7, None), X2: (None, 0.3)}),
    "moved": (moved, {X3: (None, 0.4), X4: (0.5, None)}),
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("discovery")
    return {name: write_sweep(root / name, region) for name, (region, _) in PLANTED.items()}


def inside(x: pd.DataFrame, box: disc.Box) -> np.ndarray:
    """Points inside a box, counted directly from its restrictions (the oracle)."""
    m = np.ones(len(x), dtype=bool)
    for r in box.restrictions:
        col = x[r.name]
        if r.kind == "set":
            m &= col.astype(str).isin([str(v) for v in r.values]).to_numpy()
            continue
        v = col.to_numpy(dtype=float)
        if r.low_restricted:
            m &= v >= r.low if box.method == "prim" else v > r.low
        if r.high_restricted:
            m &= v <= r.high
    return m


def check_box(box: disc.Box, planted: dict, res: disc.DiscoveryResult) -> None:
    assert set(box.restricted) == set(planted), f"{box.label} restricts {box.restricted}"
    for name, (lo, hi) in planted.items():
        r = box.restriction(name)
        assert r.kind == "range"
        # a planted side within TOL of the planted limit; a free side within TOL of the full range
        assert abs(r.low - (0.0 if lo is None else lo)) <= TOL, (name, r.low, lo)
        assert abs(r.high - (1.0 if hi is None else hi)) <= TOL, (name, r.high, hi)
        assert r.low_restricted if lo is not None else r.high_restricted
    assert box.coverage >= 0.9 and box.density >= 0.9, (box.coverage, box.density)
    # the statistics agree with a direct count of the points inside the box's limits
    m = inside(res.x, box)
    assert m.sum() == box.n and res.y[m].sum() == box.n_fail
    assert box.coverage == pytest.approx(res.y[m].sum() / res.y.sum())
    assert box.density == pytest.approx(res.y[m].mean())
    assert box.mass == pytest.approx(m.mean())


# ---------------------------------------------------------------------------------------- PRIM
@needs_ema
@pytest.mark.parametrize("name", list(PLANTED))
def test_prim_finds_the_planted_box(folders, name):
    res = disc.discover(folders[name], "served", below=0.8, method="prim")
    assert res.n == 400 and 0.05 < res.n_fail / res.n < 0.25
    box = res.prim_boxes[0]
    check_box(box, PLANTED[name][1], res)
    assert box.meets_threshold
    words = {r.name: r.condition() for r in box.restrictions}
    assert all(w.startswith(("above 0.", "below 0.", "between 0.")) for w in words.values()), words
    # the chosen step is on the trajectory, and the trajectory starts with the whole space
    traj = res.trajectories[0]
    assert traj["coverage"].iloc[0] == pytest.approx(1.0)
    assert traj["density"].iloc[0] == pytest.approx(res.n_fail / res.n)
    assert bool(traj["chosen"].iloc[box.step])
    # one box explains all the failures, so covering stops there
    assert len(res.prim_boxes) == 1


@needs_ema
def test_prim_and_cart_restrict_a_categorical_lever(tmp_path):
    folder = write_sweep(tmp_path / "cat", with_policy, n=300)
    res = disc.discover(folder, "served", below=0.8)
    for box in (res.prim_boxes[0], *([res.cart_boxes[0]] if HAVE_SKLEARN else [])):
        assert box.restriction(LEVER) is not None, box.label
        assert box.restriction(LEVER).values == ("energy_sites",)
        assert abs(box.restriction(X1).low - 0.6) <= TOL
        assert box.density >= 0.9 and box.coverage >= 0.8
        m = inside(res.x, box)
        assert m.sum() == box.n and res.y[m].sum() == box.n_fail
    # without the levers the box can only describe x1, with a lower density
    res2 = disc.discover(folder, "served", below=0.8, levers=False, method="prim")
    assert LEVER not in res2.x.columns and LEVER not in res2.prim_boxes[0].restricted
    # restricted to one policy, the lever is gone and x1 alone explains the failures
    res3 = disc.discover(folder, "served", below=0.8, where={LEVER: "energy_sites"}, method="prim")
    assert res3.prim_boxes[0].restricted == [X1] and res3.n < 300


@needs_ema
def test_per_run_uses_every_run(folders):
    res = disc.discover(folders["corner"], "served", below=0.8, method="prim", per="run")
    assert res.n == 800
    assert set(res.prim_boxes[0].restricted) == {X1, X2}


def test_choose_step_rule():
    traj = pd.DataFrame({
        "coverage": [1.0, 0.9, 0.7, 0.5, 0.3],
        "density": [0.1, 0.4, 0.8, 0.8, 0.95],
        "res_dim": [0, 1, 2, 3, 3],
        "k": [100, 90, 70, 50, 30],
    })
    # F1 = 2 c d / (c + d): 0.18, 0.55, 0.747, 0.615, 0.456
    assert disc.choose_step(traj) == 2
    assert disc.choose_step(traj, 0.8) == 1
    assert disc.choose_step(traj, 1.0) == 0
    # the densest with coverage >= 0.5; the tie at 0.8 goes to more coverage
    assert disc.choose_step(traj, 0.5, "density") == 2
    assert disc.choose_step(traj, 0.0, "density") == 4
    with pytest.raises(disc.DiscoveryError):
        disc.choose_step(traj, 0.5, "best")


# ---------------------------------------------------------------------------------------- CART
@needs_sklearn
@pytest.mark.parametrize("name", list(PLANTED))
def test_cart_finds_the_planted_box(folders, name):
    res = disc.discover(folders[name], "served", below=0.8, method="cart")
    assert res.prim_boxes == [] and res.tree is not None
    check_box(res.cart_boxes[0], PLANTED[name][1], res)


@needs_sklearn
def test_cart_above_and_boxes_do_not_overlap(folders):
    # failure "above": the complement of the corner; several leaves, disjoint, covering it all
    res = disc.discover(folders["corner"], "served", above=0.8, method="cart")
    masks = [inside(res.x, b) for b in res.cart_boxes]
    assert len(masks) >= 2
    assert (np.sum(masks, axis=0) <= 1).all()
    assert sum(b.coverage for b in res.cart_boxes) == pytest.approx(
        res.y[np.any(masks, axis=0)].sum() / res.y.sum())


@needs_sklearn
def test_cart_boxes_from_nested_splits(tmp_path):
    """An L-shaped region: the tree splits x1 twice on one path (x1 <= 0.6, then x1 <= 0.2)."""
    folder = write_sweep(tmp_path / "l", l_shape, n=400)
    res = disc.discover(folder, "served", below=0.8, method="cart")
    got = sorted((round(b.restriction(X1).high, 1), b.restriction(X2) is not None) for b in res.cart_boxes)
    assert got == [(0.2, False), (0.6, True)] or got == [(0.2, True), (0.6, True)], got
    for b in res.cart_boxes:
        m = inside(res.x, b)  # the oracle: the box's limits select exactly its points
        assert m.sum() == b.n and res.y[m].sum() == b.n_fail
    assert sum(b.coverage for b in res.cart_boxes) >= 0.95


# ---------------------------------------------------------------------------------------- a real sweep
@needs_sklearn
def test_discovery_on_a_toy_model_sweep(tmp_path):
    """The sweep engine's own folder: in the toy model interception depends on pk most."""
    import sim.experiments.sweep.api as sw
    from tests.fixtures.toy import write_toy_sweep

    path = write_toy_sweep(
        tmp_path, levers=[{"key": "defense.basing.policy", "values": ["central", "edge"]}],
        uncertainties=[{"key": "defense.interceptor.pk", "low": 0.4, "high": 0.9},
                       {"key": "threat.decoy_share", "low": 0.1, "high": 0.6}],
        design={"kind": "latin_hypercube", "samples": 40}, replicates=2)
    sw.sweep(path, out=tmp_path / "out", workers=1, progress=False)
    runs = sw.load_results(tmp_path / "out")
    cut = float(runs.groupby("point")["interception_rate"].mean().quantile(0.3))
    res = disc.discover(tmp_path / "out", "interception_rate", below=cut, method="cart")
    box = res.cart_boxes[0]
    pk = box.restriction("defense.interceptor.pk")
    assert pk is not None and pk.high_restricted and not pk.low_restricted
    assert box.coverage >= 0.8


# ---------------------------------------------------------------------------------------- export
@needs_ema
def test_export_round_trips_through_ema(folders, tmp_path):
    import ema_workbench

    for mean in (False, True):
        (path,) = disc.export_ema(folders["corner"], tmp_path / f"ema{mean}", mean=mean)
        assert path.name == "planted.tar.gz"
        experiments, outcomes = ema_workbench.load_results(str(path))
        exp0, out0 = disc.to_ema(folders["corner"], mean=mean)
        assert list(experiments.columns) == [*KEYS, LEVER, "scenario", "policy", "model"]
        assert len(experiments) == 400
        np.testing.assert_allclose(experiments[X1].to_numpy(), exp0[X1].to_numpy())
        assert set(experiments["policy"].astype(str)) == {"energy_sites", "corridors"}
        assert outcomes["served"].shape == ((400,) if mean else (400, 2))
        np.testing.assert_allclose(outcomes["served"], out0["served"])
    runs = pd.read_parquet(folders["corner"] / "runs.parquet")
    np.testing.assert_allclose(out0["served"], runs.groupby("point")["served"].mean().to_numpy())


def test_export_without_ema_writes_csv_and_npz(folders, tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_data, "ema_available", lambda: False)
    paths = disc.export_ema(folders["corner"], tmp_path / "plain")
    assert [p.name for p in paths] == ["experiments.csv", "outcomes.npz"]
    exp = pd.read_csv(paths[0])
    out = np.load(paths[1])
    assert len(exp) == 400 and out["served"].shape == (400, 2)
    runs = pd.read_parquet(folders["corner"] / "runs.parquet").sort_values(["point", "replicate"])
    np.testing.assert_allclose(out["served"].ravel(), runs["served"].to_numpy())


# ---------------------------------------------------------------------------------------- CLI
@pytest.fixture
def cli(capsys):
    from sim.cli import main

    def call(*argv):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code
        out, err = capsys.readouterr()
        return rc, out, err

    return call


@needs_ema
@needs_sklearn
def test_cli_prints_a_table_within_100_columns_and_writes_files(folders, tmp_path, cli):
    out = tmp_path / "disc"
    rc, text, err = cli("discover", folders["moved"], "--outcome", "served", "--below", "0.8",
                        "--out", out, "--export", tmp_path / "ema")
    assert rc == 0, err
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "PRIM box 1: coverage" in text and "CART box 1: coverage" in text
    assert f"  {X3}: [0, 0.4" in text or f"  {X3}: [0, 0.3" in text
    assert "(full range [0, 1])" in text
    for name in ("boxes.json", "boxes.csv", "trajectory.csv", "discovery.png", "discovery.svg",
                 "cart_tree.png"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "boxes.json").read_text())
    assert saved["criterion"] == "served < 0.8" and saved["boxes"][0]["method"] == "prim"
    assert (tmp_path / "ema" / "planted.tar.gz").is_file()


@needs_sklearn
def test_cli_default_out_folder_and_json(folders, cli):
    rc, text, _ = cli("discover", folders["corner"], "--outcome", "served", "--below", "0.8",
                      "--method", "cart", "--no-figure", "--json")
    assert rc == 0
    data = json.loads(text)
    assert {r["name"] for r in data["boxes"][0]["restrictions"]} == {X1, X2}
    assert (folders["corner"] / "discovery_served" / "boxes.csv").is_file()


def _bad_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    no_unc = write_sweep(tmp_path / "no_unc", corner, n=40, uncertainties=False)
    return empty, no_unc


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("missing", "no such folder"),
        ("empty", "no runs.parquet"),
        ("no_unc", "no uncertainties"),
        ("outcome", "available outcomes: served, hits_on_sites"),
        ("none_fail", "none of the 400 design points fails"),
        ("all_fail", "all 400 design points fail"),
        ("nan", "is not a number"),
        ("both", "not allowed with argument"),
        ("where", "no runs have that value"),
    ],
)
def test_cli_bad_input_exits_2(case, needle, folders, tmp_path, cli):
    empty, no_unc = _bad_folders(tmp_path)
    good = folders["corner"]
    argv = {
        "missing": [tmp_path / "nope", "--outcome", "served", "--below", "0.8"],
        "empty": [empty, "--outcome", "served", "--below", "0.8"],
        "no_unc": [no_unc, "--outcome", "served", "--below", "0.8"],
        "outcome": [good, "--outcome", "servd", "--below", "0.8"],
        "none_fail": [good, "--outcome", "served", "--below", "0.1"],
        "all_fail": [good, "--outcome", "served", "--below", "5"],
        "nan": [good, "--outcome", "served", "--below", "abc"],
        "both": [good, "--outcome", "served", "--below", "1", "--above", "0"],
        "where": [good, "--outcome", "served", "--below", "0.8", "--where", f"{LEVER}=airports"],
    }[case]
    rc, out, err = cli("discover", *argv, "--method", "cart", "--no-figure")
    assert rc == 2
    assert needle in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 12


def test_missing_ema_says_how_to_install(folders, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    rc, _, err = cli("discover", folders["corner"], "--outcome", "served", "--below", "0.8",
                     "--no-figure")
    assert rc == 2 and 'pip install -e ".[ema]"' in err and "--method cart" in err
    with pytest.raises(disc.MissingExtraError):
        disc.discover(folders["corner"], "served", below=0.8, method="prim")


@needs_ema
@needs_sklearn
def test_figure_functions_return_fig_and_axes(folders, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.viz.discovery import plot_cart_tree, plot_discovery
    from sim.viz.style import save_figure

    res = disc.discover(folders["corner"], "served", below=0.8)
    fig, axes = plot_discovery(res)
    assert len(axes) == 2
    labels = [t.get_text() for t in axes[1].get_yticklabels()]
    assert len(labels) == 2  # the two restricted inputs
    paths = save_figure(fig, tmp_path / "d")
    assert all(p.stat().st_size > 0 for p in paths)
    fig2, ax2 = plot_cart_tree(res)
    plt.close(fig)
    plt.close(fig2)
