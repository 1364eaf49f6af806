"""Sobol' indices and Morris screening through the sweep machinery."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.sweep.api import analyze_folder, sensitivity, sweep
from sim.experiments.sweep.errors import SensitivityError
from tests.fixtures.toy import ISHIGAMI_SCENARIO, ishigami_indices, write_toy_sweep

PI = math.pi


def _ishigami_sweep(tmp_path, **design):
    (tmp_path / "ish.yaml").write_text(yaml.safe_dump(ISHIGAMI_SCENARIO))
    spec = {
        "name": "ishigami",
        "model": "tests.fixtures.toy:ISHIGAMI",
        "base": "ish.yaml",
        "uncertainties": [{"key": f"x.x{i}", "low": -PI, "high": PI} for i in (1, 2, 3)],
        "design": design or {"kind": "sobol", "samples": 1024},
        "seed": 11,
        "max_runs": 50_000,
    }
    path = tmp_path / "ishigami.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_ishigami_sobol_indices(tmp_path):
    path = _ishigami_sweep(tmp_path)
    table = sensitivity(path, out=tmp_path / "out", backend="serial", progress=False, outcomes=["y"])
    exact = ishigami_indices()
    got = table.set_index("factor")
    for f in ("x.x1", "x.x2", "x.x3"):
        assert got.loc[f, "S1"] == pytest.approx(exact["S1"][f], abs=0.06)
        assert got.loc[f, "ST"] == pytest.approx(exact["ST"][f], abs=0.06)
        assert got.loc[f, "S1_conf"] > 0
    assert (tmp_path / "out" / "sensitivity.csv").exists()
    csv = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert list(csv["factor"]) == ["x.x1", "x.x2", "x.x3"]


def test_ishigami_second_order(tmp_path):
    path = _ishigami_sweep(tmp_path, kind="sobol", samples=512, second_order=True)
    analyze = sensitivity(path, out=tmp_path / "out", backend="serial", progress=False, outcomes=["y"])
    s2 = analyze.attrs["second_order"].set_index(["factor_1", "factor_2"])
    exact = ishigami_indices()
    s13 = exact["ST"]["x.x3"]  # x3 acts only through its interaction with x1
    assert s2.loc[("x.x1", "x.x3"), "S2"] == pytest.approx(s13, abs=0.1)
    assert abs(s2.loc[("x.x1", "x.x2"), "S2"]) < 0.1


def test_morris_screening_finds_the_inert_factor(tmp_path):
    path = write_toy_sweep(
        tmp_path,
        levers=[],
        uncertainties=[
            {"key": "defense.interceptor.pk", "low": 0.3, "high": 0.9},
            {"key": "threat.decoy_share", "low": 0.1, "high": 0.6},
            {"key": "defense.basing.policy", "values": ["central", "dispersed"]},
        ],
        design={"kind": "morris", "samples": 10, "levels": 4},
        replicates=2,
    )
    table = sensitivity(
        path,
        out=tmp_path / "out",
        backend="serial",
        progress=False,
        outcomes=["interception_rate", "hits_on_sites"],
    )
    t = table.set_index(["outcome", "factor"])
    assert {"mu", "mu_star", "sigma", "mu_star_conf"} <= set(table.columns)
    assert t.loc[("interception_rate", "defense.basing.policy"), "mu_star"] == 0  # toy ignores it
    assert t.loc[("interception_rate", "defense.interceptor.pk"), "mu_star"] > 0
    assert t.loc[("interception_rate", "threat.decoy_share"), "mu_star"] == 0
    assert t.loc[("hits_on_sites", "threat.decoy_share"), "mu_star"] > 0


def test_per_policy_indices_with_crossed_levers(tmp_path):
    path = write_toy_sweep(
        tmp_path,
        levers=[{"key": "defense.budget_eur", "values": [1e8, 4e8]}],
        uncertainties=[
            {"key": "defense.interceptor.pk", "low": 0.3, "high": 0.9},
            {"key": "threat.decoy_share", "low": 0.1, "high": 0.6},
        ],
        design={"kind": "sobol", "samples": 64},
        replicates=1,
    )
    table = sensitivity(
        path, out=tmp_path / "out", backend="serial", progress=False, outcomes=["interception_rate"]
    )
    assert sorted(table["defense.budget_eur"].unique()) == [1e8, 4e8]
    assert len(table) == 2 * 2
    assert (table.groupby("policy")["factor"].count() == 2).all()


def test_rbd_fast_on_latin_hypercube_folder(tmp_path):
    path = write_toy_sweep(
        tmp_path,
        levers=[],
        design={"kind": "latin_hypercube", "samples": 60},
        uncertainties=[
            {"key": "defense.interceptor.pk", "low": 0.3, "high": 0.9},
            {"key": "threat.decoy_share", "low": 0.1, "high": 0.6},
        ],
    )
    sweep(path, out=tmp_path / "out", backend="serial", progress=False)
    table = analyze_folder(tmp_path / "out", outcomes=["interception_rate"])
    t = table.set_index("factor")
    assert t.loc["defense.interceptor.pk", "S1"] > 0.8
    assert "ST" not in table.columns


def test_method_switches_the_design(tmp_path):
    path = write_toy_sweep(tmp_path, levers=[])  # a latin hypercube sweep
    table = sensitivity(
        path,
        method="sobol",
        samples=16,
        out=tmp_path / "s",
        backend="serial",
        progress=False,
        outcomes=["leaked"],
    )
    assert {"S1", "ST"} <= set(table.columns)
    assert pd.read_parquet(tmp_path / "s" / "runs.parquet")["point"].nunique() == 16 * 3


def test_sensitivity_errors(tmp_path, capsys):
    path = write_toy_sweep(
        tmp_path,
        levers=[{"key": "defense.budget_eur", "values": [0.0, 1e8]}],
        uncertainties=[],
        design={"kind": "full_factorial"},
    )
    sweep(path, out=tmp_path / "ff", backend="serial", progress=False)
    with pytest.raises(SensitivityError, match="does not support"):
        analyze_folder(tmp_path / "ff")
    assert main(["sensitivity", str(tmp_path / "ff")]) == 2
    assert main(["sensitivity", str(path), "--workers", "1"]) == 2
    assert "--method sobol" in capsys.readouterr().err
    lhs = write_toy_sweep(tmp_path / "l", levers=[])
    sweep(lhs, out=tmp_path / "lo", backend="serial", progress=False)
    with pytest.raises(SensitivityError, match="needs a design of kind sobol"):
        analyze_folder(tmp_path / "lo", method="sobol")
    with pytest.raises(SensitivityError, match="unknown outcome"):
        analyze_folder(tmp_path / "lo", outcomes=["nope"])


def test_sensitivity_cli_on_folder(tmp_path, capsys):
    path = _ishigami_sweep(tmp_path, kind="sobol", samples=64)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1", "--no-progress"]) == 0
    assert main(["sensitivity", str(tmp_path / "o"), "--outcomes", "y"]) == 0
    out = capsys.readouterr().out
    assert "x.x1" in out and "S1" in out
    assert (tmp_path / "o" / "sensitivity.csv").exists()


def test_rbd_fast_refuses_tiny_samples(tmp_path):
    path = write_toy_sweep(tmp_path, levers=[], design={"kind": "latin_hypercube", "samples": 10})
    sweep(path, out=tmp_path / "out", backend="serial", progress=False)
    with pytest.raises(SensitivityError, match="at least 24 sample points"):
        analyze_folder(tmp_path / "out", outcomes=["interception_rate"])
