"""Paired comparisons with common random numbers (toy model)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml
from scipy import stats

from sim.cli import main
from sim.experiments.sweep.api import compare, sweep
from sim.experiments.sweep.compare import compare_tables, format_table, paired_stats
from sim.experiments.sweep.errors import CompareError
from sim.model.outcomes import OUTCOMES
from tests.fixtures.toy import TOY, TOY_SCENARIO, toy_override, write_toy_sweep

TOYREF = "tests.fixtures.toy:TOY"


@pytest.fixture
def scenarios(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump(TOY_SCENARIO))
    b.write_text(yaml.safe_dump(toy_override(TOY_SCENARIO, {"defense.budget_eur": 4e8})))
    return a, b


def test_identical_scenarios_give_exactly_zero(scenarios):
    a, _ = scenarios
    df = compare(a, a, replicates=8, model=TOY, backend="serial")
    assert (df["diff"] == 0).all()
    assert (df["ci_low"] == 0).all() and (df["ci_high"] == 0).all()
    assert not df["significant"].any()
    assert (df["n"] == 8).all()


def test_known_improvement_has_the_right_sign(scenarios):
    a, b = scenarios
    df = compare(a, b, replicates=10, model=TOY, backend="serial").set_index("outcome")
    assert df.loc["interception_rate", "diff"] > 0 and df.loc["interception_rate", "significant"]
    assert df.loc["interception_rate", "ci_low"] > 0
    assert df.loc["leaked", "diff"] < 0 and df.loc["leaked", "significant"]
    assert df.loc["launched", "diff"] == 0  # common random numbers: the same attacks
    # and the reverse comparison flips the sign
    rev = compare(b, a, replicates=10, model=TOY, backend="serial").set_index("outcome")
    assert rev.loc["interception_rate", "diff"] == pytest.approx(-df.loc["interception_rate", "diff"])


def test_compare_on_processes_matches_serial(scenarios):
    a, b = scenarios
    s = compare(a, b, replicates=6, model=TOY, backend="serial")
    p = compare(a, b, replicates=6, model=TOY, workers=2)
    assert s.equals(p)


def test_paired_stats_match_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(10, 2, 25)
    b = a + rng.normal(0.5, 1, 25)
    r = paired_stats(a, b)
    t = stats.ttest_rel(b, a)
    assert r["p_value"] == pytest.approx(t.pvalue)
    # The interval is the BCa bootstrap of the mean difference; on near-normal differences it
    # is close to the paired t interval.
    ci = t.confidence_interval(0.95)
    width = ci.high - ci.low
    assert r["ci_low"] == pytest.approx(ci.low, abs=0.2 * width)
    assert r["ci_high"] == pytest.approx(ci.high, abs=0.2 * width)
    assert r["significant"] == (t.pvalue < 0.05)


def test_paired_stats_edge_cases():
    r = paired_stats(np.array([1.0, 2.0]), np.array([2.0, 3.0]))  # constant difference
    assert r["diff"] == 1 and r["ci_low"] == r["ci_high"] == 1 and r["significant"] and r["p_value"] == 0
    r = paired_stats(np.array([1.0]), np.array([2.0]))
    assert math.isnan(r["ci_low"]) and not r["significant"]


def test_compare_tables_by_group():
    import pandas as pd

    a = pd.DataFrame({"point": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "y": [1.0, 2, 3, 4]})
    b = a.assign(y=a["y"] + [1, 1, 0, 0])
    df = compare_tables(a, b, ["y"], on=["point", "replicate"], by=["point"])
    assert list(df["diff"]) == [1.0, 0.0]
    assert "point" in format_table(df)
    with pytest.raises(CompareError, match="missing"):
        compare_tables(a, b, ["z"])


def test_compare_two_sweep_folders(tmp_path):
    pa = write_toy_sweep(tmp_path / "a", fixed={"defense.delivery.interceptors_per_month": 1000})
    pb = write_toy_sweep(tmp_path / "b", fixed={"defense.delivery.interceptors_per_month": 3000})
    sweep(pa, out=tmp_path / "ra", backend="serial", progress=False)
    sweep(pb, out=tmp_path / "rb", backend="serial", progress=False)
    pooled = compare(tmp_path / "ra", tmp_path / "rb").set_index("outcome")
    assert pooled.loc["interception_rate", "n"] == 120
    assert pooled.loc["interception_rate", "diff"] > 0
    assert pooled.loc["launched", "diff"] == 0
    assert pooled.attrs["crn"]
    per_point = compare(tmp_path / "ra", tmp_path / "rb", by_point=True)
    assert len(per_point[per_point["outcome"] == "leaked"]) == 40
    same = compare(tmp_path / "ra", tmp_path / "ra")
    assert (same["diff"] == 0).all()


def test_compare_cli_table_and_json(scenarios, tmp_path, capsys):
    a, b = scenarios
    out = tmp_path / "c.json"
    rc = main(
        [
            "compare",
            str(a),
            str(b),
            "--replicates",
            "5",
            "--workers",
            "1",
            "--model",
            TOYREF,
            "--json",
            str(out),
            "--no-progress",
            "--outcomes",
            "interception_rate,leaked",
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert OUTCOMES["interception_rate"].label in text and "B - A [95% interval]" in text
    assert "common random numbers" in text
    data = json.loads(out.read_text())
    assert data["replicates"] == 5 and data["crn"] is True
    assert [r["outcome"] for r in data["results"]] == ["interception_rate", "leaked"]
    rc = main(
        [
            "compare",
            str(a),
            str(a),
            "--replicates",
            "3",
            "--workers",
            "1",
            "--json",
            "-",
            "--model",
            TOYREF,
        ]
    )
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert all(r["diff"] == 0 for r in data["results"])


def test_compare_bad_inputs(scenarios, tmp_path, capsys):
    a, _ = scenarios
    assert main(["compare", str(a), str(tmp_path)]) == 2
    assert "two scenario files or two sweep result folders" in capsys.readouterr().err
    assert main(["compare", str(a), str(tmp_path / "nope.yaml")]) == 2
    assert main(["compare", str(a), str(a), "--replicates", "1", "--model", TOYREF]) == 2
    assert main(["compare", str(a), str(a), "--model", "nope:NOPE"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["compare", str(empty), str(empty)]) == 2
    assert "not a sweep results folder" in capsys.readouterr().err
