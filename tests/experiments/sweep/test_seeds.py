"""A sweep, compare or optimise given no seed uses the base scenario's seed (issue: seeds), as
the schema says, also when that scenario takes its seed from the scenario it starts from
(``nl-200m.yaml`` has none of its own: ``base: winter-2025-26.yaml`` gives 20251101)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.config.io import load_scenario
from sim.experiments.sweep.spec import load_sweep
from tests.helpers import SCENARIOS

NL = SCENARIOS / "nl-200m.yaml"
WINTER_SEED = 20251101
SHORT = {"period.start_date": "2025-12-01", "period.nights": 2}


def test_the_base_scenario_takes_its_seed_from_its_own_base():
    assert "seed" not in yaml.safe_load(NL.read_text())
    assert load_scenario(NL).seed == WINTER_SEED


def test_a_sweep_without_seed_uses_the_base_scenarios(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"name: s\nbase: {NL}\nlevers:\n  - key: defense.budget_eur\n"
                 "    values: [0, 2.0e8]\nreplicates: 1\n")
    assert load_sweep(f).spec.seed == WINTER_SEED
    f2 = tmp_path / "s2.yaml"
    f2.write_text(f.read_text() + "seed: 7\n")
    assert load_sweep(f2).spec.seed == 7  # a seed given wins
    runs = sim.sweep({"name": "s", "base": str(NL), "fixed": SHORT, "replicates": 1,
                      "levers": [{"key": "defense.budget_eur", "values": [0, 2e8]}]},
                     out=tmp_path / "o", workers=1, progress=False)
    assert set(runs["seed"]) == {WINTER_SEED}
    # ... and its replicate 0 faces the raids of `run` of the same scenario
    one = sim.run(NL, replicates=1, overrides={**SHORT, "defense.budget_eur": 2e8})
    row = runs[runs["defense.budget_eur"] == 2e8].iloc[0]
    assert row["launched"] == one.summary["launched"]


def test_compare_without_seed_uses_scenario_as(tmp_path):
    diff = sim.compare(NL, SCENARIOS / "baseline.yaml", replicates=2, overrides=SHORT, workers=1)
    assert diff.attrs["seed"] == WINTER_SEED
    other = tmp_path / "other-seed.yaml"
    other.write_text(f"base: {NL}\nname: o\nseed: 5\n")
    assert sim.compare(other, NL, replicates=2, overrides=SHORT, workers=1).attrs["seed"] == 5


def test_optimise_without_seed_uses_the_scenarios():
    from sim.experiments.optimise import SearchSpace, optimise

    def evaluate(plan, attacker, reps):
        return np.zeros(len(reps))

    res = optimise(load_scenario(NL), trials=1, replicates=1, eval_replicates=0,
                   evaluate=evaluate, space=SearchSpace(basing="shipped", split="shares"))
    assert res.settings["seed"] == WINTER_SEED


@pytest.mark.parametrize("cmd", ["sweep", "validate"])
def test_the_sweep_command_reports_the_seed_it_uses(cmd, tmp_path, capsys):
    from sim.cli import main

    f = tmp_path / "s.yaml"
    f.write_text(f"name: s\nbase: {NL}\nlevers:\n  - key: defense.budget_eur\n"
                 "    values: [0, 2.0e8]\nreplicates: 1\nfixed:\n  period.nights: 2\n"
                 "  period.start_date: 2025-12-01\n")
    argv = [cmd, str(f)] + (["--out", str(tmp_path / "o"), "--workers", "1", "--no-progress"]
                            if cmd == "sweep" else [])
    assert main(argv) == 0
    if cmd == "sweep":
        assert set(pd.read_parquet(tmp_path / "o" / "runs.parquet")["seed"]) == {WINTER_SEED}
    else:
        assert f"seed {WINTER_SEED}" in capsys.readouterr().out
