"""What the command line prints: tables within 100 columns, one label and unit per outcome (from
the outcome registry) in run, compare and sweep tables, euros formatted, and the summary that
ends a sweep."""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.cli.run import summary_table
from sim.cli.sweep import sweep_summary
from sim.experiments.sweep.compare import compare_tables, format_comparison
from sim.model.outcomes import OUTCOMES
from tests.fixtures.toy import TOY_SCENARIO, toy_override, write_toy_sweep
from tests.helpers import SCENARIOS

WIDTH = 100
NL = str(SCENARIOS / "nl-200m.yaml")
RAW_FLOAT = re.compile(r"\d\.\d+e[+-]\d\d")  # 1.771e+08


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.fixture(scope="module")
def run_summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["run", NL, "--out", str(out), "--replicates", "3", "--quiet",
                 "--set", "period.nights=40", "--set", "period.start_date=2025-11-20"]) == 0
    return json.loads((out / "summary.json").read_text())


def test_run_summary_table_fits_in_every_case(run_summary):
    text = summary_table(run_summary)
    assert widest(text) <= WIDTH, text
    for o in OUTCOMES.headline():
        if run_summary.get(o.name) is not None:
            assert o.label in text.replace("\n", " ") or o.label.split()[0] in text, o.label
    # Extremes: a long name, huge money, long labels of limits, many sites, one replicate.
    s = copy.deepcopy(run_summary)
    s["scenario"] = "a-very-long-scenario-name-" * 8
    s["budget_eur"] = 123_456_789_012.0
    s["programme_cost_eur"] = 98_765_432_109.0
    s["outcomes"]["programme_cost_eur"].update(ci_low=1e9, ci_high=2e11)
    s["limits"]["text"] = "The programme: " + "limited by crews, " * 30
    s["hits_by_site"] = {f"site_with_a_long_identifier_{i}": 1234.0 for i in range(9)}
    for reps in (3, 1):
        s["replicates"] = reps
        if reps == 1:
            del s["outcomes"]  # one replicate: one draw, no intervals
        text = summary_table(s)
        assert widest(text) <= WIDTH, text
        assert not RAW_FLOAT.search(text)
        assert "EUR 98.77bn" in text
    # no interval for one draw: neither for the net effects nor for the levels
    assert "ONE DRAW" in text and "[" not in text.split("\n\n", 1)[1]


def test_one_label_per_outcome_in_run_and_compare(run_summary, tmp_path, capsys):
    """kinetic_coverage (a share) and aimed_at_energy_stopped (a count) keep their own labels
    wherever they appear."""
    share, count = OUTCOMES["kinetic_coverage"], OUTCOMES["aimed_at_energy_stopped"]
    assert share.label != count.label and share.unit == "share" and count.unit == "drones"
    assert share.label in summary_table(run_summary)
    rng = np.random.default_rng(1)
    a = pd.DataFrame({"replicate": range(5), "kinetic_coverage": rng.uniform(0.8, 0.9, 5),
                      "aimed_at_energy_stopped": rng.integers(900, 1000, 5).astype(float)})
    b = a.assign(kinetic_coverage=a["kinetic_coverage"] + 0.02)
    text = format_comparison(compare_tables(a, b))
    assert share.label in text and count.label in text
    row = next(ln for ln in text.splitlines() if ln.startswith(share.label))
    assert "%" in row and "+2.0 pp" in row and row.rstrip().endswith("*")


def test_compare_table_fits_and_formats_values():
    rng = np.random.default_rng(7)
    n = 8
    names = ["launched", "kinetic_coverage", "programme_cost_eur", "budget_eur",
             "energy_not_served_mwh", "cost_exchange_ratio", "water_outage_hours",
             "capacity_days_lost_by_type.substation_750", "toy_outcome_with_a_long_name"]
    a = pd.DataFrame({"replicate": range(n)})
    for k in names:
        a[k] = rng.uniform(1, 2, n) * {"programme_cost_eur": 1.771e8, "budget_eur": 2e8,
                                       "kinetic_coverage": 0.4}.get(k, 1000.0)
    b = a.copy()
    b["programme_cost_eur"] *= 2.1
    b["budget_eur"] *= 2
    b["launched"] += rng.normal(0, 5, n)
    text = format_comparison(compare_tables(a, b))
    assert widest(text) <= WIDTH, text
    assert not RAW_FLOAT.search(text), text
    assert "EUR " in text and re.search(r"\+EUR \d", text)
    assert "toy_outcome_with_a_long_name" in text  # names the registry does not know: as is
    assert "(utility-hours)" in text and "(MW-days)" in text  # units the cells do not show
    assert "Drones launched" in text and "(drones)" not in text  # the label names the unit
    # one block per design point for sweep folders compared point by point
    a2, b2 = a.assign(point=np.arange(n) % 2), b.assign(point=np.arange(n) % 2)
    by_point = format_comparison(compare_tables(a2, b2, on=["point", "replicate"],
                                                by=["point"]))
    assert "Design point 0" in by_point and "Design point 1" in by_point
    assert widest(by_point) <= WIDTH


def _toy_scenarios(tmp_path):
    files = []
    for name, budget in (("a", 1e8), ("b", 4e8)):
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump(toy_override(TOY_SCENARIO, {"defense.budget_eur": budget})))
        files.append(str(f))
    return files


def test_compare_command_output(tmp_path, capsys):
    a, b = _toy_scenarios(tmp_path)
    code = main(["compare", a, b, "--replicates", "5", "--workers", "1", "--no-progress",
                 "--model", "tests.fixtures.toy:TOY"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert widest(out) <= WIDTH, out
    assert not RAW_FLOAT.search(out)
    assert "B - A [95% interval]" in out and "common random numbers" in out


def test_compare_help_has_no_double_percent(capsys):
    assert main(["compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "95%" in out and "%%" not in out


def test_a_sweep_ends_with_a_summary_table(tmp_path, capsys):
    path = write_toy_sweep(tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].startswith("Summary: mean over 30 runs per row")
    assert widest(out) <= WIDTH
    assert "defense.budget_eur" in out
    for level in ("EUR 0", "EUR 100.0M", "EUR 200.0M", "EUR 400.0M"):
        assert any(ln.startswith(level) for ln in lines), level
    assert OUTCOMES["demand_served_fraction"].label in out and "%" in out
    runs = pd.read_parquet(tmp_path / "o" / "runs.parquet")
    # the means are those of the runs at each level
    mean0 = runs.loc[runs["defense.budget_eur"] == 0, "hits_on_sites"].mean()
    row0 = next(ln for ln in lines if ln.startswith("EUR 0"))
    assert f"{mean0:,.0f}" in row0


def test_sweep_summary_rows_per_point_or_all_runs(tmp_path):
    runs = pd.DataFrame({"run_id": range(12), "point": np.repeat(range(4), 3),
                         "replicate": np.tile(range(3), 4), "seed": 1,
                         "defense.interceptor.pk": np.repeat([0.4, 0.5, 0.6, 0.7], 3),
                         "kinetic_coverage": np.linspace(0.5, 0.9, 12),
                         "hits_on_sites": np.arange(12.0) * 1000})
    text = sweep_summary(runs, levers=[])
    assert "Design" in text and len([ln for ln in text.splitlines()
                                     if re.match(r"\d ", ln)]) == 4
    assert widest(text) <= WIDTH
    text = sweep_summary(runs, levers=[], max_rows=2)
    assert "all runs" in text
    toy = pd.DataFrame({"run_id": range(4), "point": [0, 0, 1, 1], "replicate": [0, 1] * 2,
                        "seed": 1, "x": [1.0, 1, 2, 2], "y_out": [0.5, 0.7, 1.5, 1.7]})
    text = sweep_summary(toy, levers=["x"])
    assert "y_out" in text and widest(text) <= WIDTH


def test_any_table_fits(tmp_path):
    """The generic table (sensitivity indices) wraps its widest text column to fit."""
    from sim.experiments.sweep.compare import format_table

    df = pd.DataFrame({"outcome": ["energy_not_served_mwh_missiles"] * 3,
                       "factor": ["defense.costs.interceptor_unit_cost_eur"] * 3,
                       "note": ["constant or missing outcome, nothing to attribute"] * 3,
                       "S1": [0.1, 0.2, 0.3], "S1_conf": [0.01] * 3, "ST": [0.5] * 3,
                       "ST_conf": [0.02] * 3})
    text = format_table(df)
    assert widest(text) <= WIDTH and "defense.costs.interceptor_unit_cost_eur" in text
