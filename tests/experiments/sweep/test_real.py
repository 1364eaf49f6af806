"""The sweep machinery on the real model (short winters) and the shipped sweep files."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys

import pandas as pd
import yaml

from sim.model.outcomes import OUTCOMES
from tests.helpers import ROOT

SHORT = {"period.nights": 10, "period.start_date": "2026-01-01"}  # deliveries have started


def _mini_sweep(tmp_path, **spec):
    data = {
        "name": "mini",
        "base": str(ROOT / "scenarios" / "nl-200m.yaml"),
        "fixed": dict(SHORT),
        "levers": [{"key": "defense.budget_eur", "values": [0, 2.0e8, 1.0e9]}],
        "replicates": 2,
        "seed": 7,
        "nights_table": True,
    }
    data.update(spec)
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_funding_sweep():
    from sim.experiments.sweep.designs import generate_design
    from sim.experiments.sweep.engine import check_inputs, make_context, run_count
    from sim.experiments.sweep.model import SIM_MODEL
    from sim.experiments.sweep.spec import load_sweep

    loaded = load_sweep(ROOT / "sweeps" / "funding.yaml")
    assert loaded.base_path == (ROOT / "scenarios" / "nl-200m.yaml").resolve()
    budgets = loaded.spec.levers[0].values
    assert loaded.spec.levers[0].key == "defense.budget_eur"
    assert len(budgets) >= 8 and min(budgets) == 0 and max(budgets) == 1e9
    assert loaded.spec.replicates >= 10
    points, runs = run_count(loaded)
    attackers = loaded.spec.levers[1].values
    assert loaded.spec.levers[1].key == "threat.attacker.strategy"
    assert runs == len(budgets) * len(attackers) * loaded.spec.replicates
    design = generate_design(loaded)
    check_inputs(loaded, SIM_MODEL, design, make_context(loaded, SIM_MODEL))


def test_shipped_threat_uncertainty_sweep():
    from sim.experiments.sweep.designs import generate_design
    from sim.experiments.sweep.engine import check_inputs, make_context
    from sim.experiments.sweep.model import SIM_MODEL
    from sim.experiments.sweep.spec import load_sweep

    loaded = load_sweep(ROOT / "sweeps" / "threat-uncertainty.yaml")
    assert loaded.spec.design.kind == "latin_hypercube"
    keys = {f.key for f in loaded.spec.uncertainties}
    assert keys == {
        "threat.launches.intensity_multiplier",
        "threat.decoy_share",
        "defense.interceptor.pk",
        "defense.costs.interceptor_unit_cost_eur",
        "defense.programme.production.reference_per_day",
    }
    design = generate_design(loaded)
    check_inputs(loaded, SIM_MODEL, design, make_context(loaded, SIM_MODEL))


def test_real_backends_identical(tmp_path):
    """A sweep's results are the same bytes in this process, on 1 and on 2 worker processes
    (forked from a warmed-up fork server) and on a Dask local cluster."""
    from distributed import LocalCluster

    from sim.experiments.sweep.api import sweep
    from sim.experiments.sweep.evaluators import DaskEvaluator, ProcessEvaluator, SerialEvaluator

    path = _mini_sweep(tmp_path)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        evs = {
            "serial": SerialEvaluator(),
            "processes-1": ProcessEvaluator(1),
            "processes": ProcessEvaluator(2),
            "dask": DaskEvaluator(c.scheduler_address),
        }
        for name, ev in evs.items():
            with ev:
                sweep(path, out=tmp_path / name, evaluator=ev, progress=False)
    ref = pd.read_parquet(tmp_path / "serial" / "runs.parquet")
    assert len(ref) == 6
    assert {"interception_rate", "leaked", "programme_cost_eur", "demand_served_fraction"} <= set(ref.columns)
    # common random numbers: every budget level faces the same launches in replicate r
    assert (ref.groupby("replicate")["launched"].nunique() == 1).all()
    for name in ("processes-1", "processes", "dask"):
        assert filecmp.cmp(
            tmp_path / "serial" / "runs.parquet", tmp_path / name / "runs.parquet", shallow=False
        ), name
        assert filecmp.cmp(
            tmp_path / "serial" / "nights.parquet",
            tmp_path / name / "nights.parquet",
            shallow=False,
        ), name
    nights = pd.read_parquet(tmp_path / "serial" / "nights.parquet")
    assert len(nights) == 6 * 10 and list(nights.columns[:3]) == ["run_id", "point", "replicate"]


def test_real_compare_identical_and_improvement():
    from sim.config.io import load_scenario, with_overrides
    from sim.experiments.sweep.api import compare

    a = ROOT / "scenarios" / "nl-200m.yaml"
    same = compare(a, a, replicates=3, overrides=SHORT, backend="serial")
    assert (same["diff"].dropna() == 0).all() and not same["significant"].any()
    assert same.attrs["seed"] == load_scenario(a).seed  # default: scenario A's seed
    better = compare(
        a,
        ROOT / "scenarios" / "nl-400m.yaml",
        replicates=4,
        overrides={**SHORT, "period.nights": 15},
        backend="serial",
    ).set_index("outcome")
    assert better.loc["launched", "diff"] == 0
    assert better.loc["leaked", "diff"] < 0
    assert better.loc["interception_rate", "diff"] > 0
    s = with_overrides(load_scenario(a), SHORT)
    worse = compare(
        s, with_overrides(s, {"defense.interceptor.pk": 0.1}), replicates=3, backend="serial"
    ).set_index("outcome")
    assert worse.loc["interceptor_kills", "diff"] < 0 and worse.loc["interceptor_kills", "significant"]


def test_real_cli(tmp_path):
    path = _mini_sweep(tmp_path, nights_table=False)
    run = [sys.executable, "-m", "sim"]
    p = subprocess.run(
        [
            *run,
            "sweep",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--workers",
            "2",
            "--set",
            "period.nights=5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["status"] == "complete"
    p = subprocess.run(
        [*run, "sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2 and "different sweep" in p.stderr and "Traceback" not in p.stderr
    (tmp_path / "bad").mkdir()
    bad = _mini_sweep(tmp_path / "bad", levers=[{"key": "defense.budget", "values": [1, 2]}])
    p = subprocess.run(
        [*run, "sweep", str(bad), "--out", str(tmp_path / "b")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 2 and "defense.budget" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run(
        [
            *run,
            "compare",
            "scenarios/nl-200m.yaml",
            "scenarios/nl-400m.yaml",
            "--replicates",
            "2",
            "--set",
            "period.nights=3",
            "--workers",
            "1",
            "--json",
            str(tmp_path / "c.json"),
            "--outcomes",
            "leaked,launched",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert OUTCOMES["leaked"].label in p.stdout  # the registry's label
    assert json.loads((tmp_path / "c.json").read_text())["results"][1]["diff"] == 0
