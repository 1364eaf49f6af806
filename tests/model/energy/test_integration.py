"""Energy consequences inside the simulation: coverage outcomes and bad site files."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.cli import main
from sim.config.io import with_overrides
from sim.experiments.runs import run_one
from tests.helpers import SCENARIOS


@pytest.mark.parametrize("seed", [1, 2])
def test_programme_serves_at_least_as_much_demand_as_baseline(baseline, nl200m, seed):
    b = run_one(with_overrides(baseline, {"period.nights": 90}), seed=seed)
    p = run_one(with_overrides(nl200m, {"period.nights": 90}), seed=seed)
    assert b.nights["launched"].equals(p.nights["launched"])  # same raids
    assert p.outcomes["demand_served_fraction"] >= b.outcomes["demand_served_fraction"]
    assert p.outcomes["energy_not_served_mwh"] <= b.outcomes["energy_not_served_mwh"]
    assert p.outcomes["hits_on_sites"] <= b.outcomes["hits_on_sites"]


def test_coverage_outcomes_present_per_night_and_winter(nl200m):
    r = run_one(with_overrides(nl200m, {"period.nights": 45}), seed=4)
    o = r.outcomes
    for key in ("demand_served_fraction", "energy_not_served_mwh", "nights_deficit_gt_10pct",
                "min_available_capacity_mw", "gas_output_lost_mcm", "water_outage_hours",
                "kinetic_coverage", "geometric_coverage_sites_fraction",
                "geometric_coverage_capacity_fraction", "capacity_days_lost_by_type.thermal"):
        assert key in o, key
    assert 0 <= o["demand_served_fraction"] <= 1 and 0 <= o["kinetic_coverage"] <= 1
    n = r.nights
    assert (n["served_mw"] <= n["demand_mw"] + 1e-6).all()
    assert (n["served_mw"] <= n["available_generation_mw"] + 1e-6).all()
    # Before the first deliveries (1 Dec) the programme covers nothing; afterwards it does.
    assert n.loc[n["date"] < "2025-12-01", "coverage_capacity_fraction"].max() < n[
        "coverage_capacity_fraction"].max()


BAD_SITES = {
    "missing_column": (lambda df: df.drop(columns=["capacity_mw"]), "capacity_mw"),
    "duplicate_id": (lambda df: pd.concat([df, df.iloc[[0]]]), "duplicate"),
    "outside_theatre": (lambda df: df.assign(lat=df["lat"].where(df.index != 3, 10.0)), "lat"),
    "negative_capacity": (
        lambda df: df.assign(capacity_mw=df["capacity_mw"].where(df.index != 2, -5)),
        "capacity_mw"),
}


@pytest.mark.parametrize("case", sorted(BAD_SITES))
def test_bad_site_file_exit_2_naming_file_row_field(case, tmp_path, capsys):
    from importlib import resources

    with resources.files("sim").joinpath("data/energy_sites.csv").open() as fh:
        df = pd.read_csv(fh)
    bad = BAD_SITES[case][0](df)
    f = tmp_path / "sites.csv"
    bad.to_csv(f, index=False)
    code = main(["run", str(SCENARIOS / "nl-200m.yaml"), "--set", f"sites_file={f}",
                 "--set", "period.nights=3", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(f) in err and BAD_SITES[case][1] in err and "Traceback" not in err
    if case != "missing_column":
        assert "row" in err
    assert not (tmp_path / "o").exists()


BAD_GRID = {
    "line_to_missing_node": ("grid_lines.csv", "grid_lines_file",
                             lambda df: pd.concat([df, df.iloc[[0]].assign(id="l_x", to_node="cs_x")]),
                             "to_node"),
    "duplicate_node": ("grid_nodes.csv", "grid_nodes_file",
                       lambda df: pd.concat([df, df.iloc[[3]]]), "duplicate"),
    "negative_rating": ("grid_lines.csv", "grid_lines_file",
                        lambda df: df.assign(rating_mw=df["rating_mw"].where(df.index != 5, -1)),
                        "rating_mw"),
    "outside_theatre": ("grid_nodes.csv", "grid_nodes_file",
                        lambda df: df.assign(lat=df["lat"].where(df.index != 2, 80.0)), "lat"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRID))
def test_bad_grid_file_exit_2_naming_file_row_field(case, tmp_path, capsys):
    from importlib import resources

    name, key, edit, word = BAD_GRID[case]
    with resources.files("sim").joinpath(f"data/{name}").open() as fh:
        df = pd.read_csv(fh, keep_default_na=False)
    f = tmp_path / name
    edit(df).to_csv(f, index=False)
    code = main(["run", str(SCENARIOS / "nl-200m.yaml"), "--set", f"energy.{key}={f}",
                 "--set", "period.nights=3", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(f) in err and word in err and "row" in err and "Traceback" not in err
