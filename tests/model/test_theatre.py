"""The theatre (sim/model/theatre.py): set-up built once per process and shared by every run
of a scenario, without sharing what a run changes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.config.io import with_overrides
from sim.experiments.runs import run_one
from sim.model.defense_model import DefenseModel
from sim.model.theatre import clear_cache, theatre_for
from tests.helpers import ROOT, short

# Two different scenarios: nl-200m as shipped (energy, missiles) and one with another basing,
# budget and attacker; short enough for a test.
A = {"period.nights": 8, "period.start_date": "2026-01-01"}
B = {**A, "defense.basing.policy": "grid_critical", "defense.budget_eur": 4e8,
     "threat.attacker.strategy": "learning", "threat.decoy_share": 0.4}

_FRESH = """
import json, sys
from sim.config.io import load_scenario, with_overrides
from sim.experiments.runs import run_one
sc = with_overrides(load_scenario("scenarios/nl-200m.yaml"), json.loads(sys.argv[1]))
r = run_one(sc, seed=7, replicate=1)
print(json.dumps({"nights": r.nights.to_json(), "outcomes": r.outcomes}))
"""


def _fresh(overrides: dict) -> dict:
    """One run in a fresh process."""
    p = subprocess.run([sys.executable, "-c", _FRESH, json.dumps(overrides)], cwd=ROOT,
                       capture_output=True, text=True, check=True,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    return json.loads(p.stdout)


def _here(sc) -> dict:
    r = run_one(sc, seed=7, replicate=1)
    return json.loads(json.dumps({"nights": r.nights.to_json(), "outcomes": r.outcomes}))


def test_runs_in_one_process_equal_runs_in_fresh_processes(nl200m):
    """Set-up sharing: runs of two scenarios in one process, interleaved, give what each gives
    in a fresh process of its own."""
    clear_cache()
    a, b = with_overrides(nl200m, A), with_overrides(nl200m, B)
    here = [_here(a), _here(b), _here(a), _here(b)]
    assert theatre_for(a) is theatre_for(with_overrides(nl200m, A))  # built once, reused
    assert theatre_for(a) is not theatre_for(b)
    fresh_a, fresh_b = _fresh(A), _fresh(B)
    assert here[0] == fresh_a and here[2] == fresh_a
    assert here[1] == fresh_b and here[3] == fresh_b
    assert here[0] != here[1]


def test_the_theatre_is_read_only_and_runs_leave_it_unchanged(nl200m):
    sc = short(nl200m, nights=6, **{"threat.attacker.strategy": "learning"})
    th = theatre_for(sc)
    sites_before = pd.util.hash_pandas_object(th.sites, index=True).to_numpy().copy()
    for a in (th.site_xy, th.site_p, th.site_value, th.area_share, th.interceptable,
              th.positions["programme"], th.schedules.programme.delivered,
              th.schedules.national.crews_active, th.surveillance_xy,
              th.missile_table.start, th.energy_network.g_units,
              th.energy_network.demand_scale, th.energy_network.row_av_mat):
        with pytest.raises(ValueError):
            a[...] = 0
    m = DefenseModel(sc, seed=1)
    m.run()
    assert m.theatre is th and m.energy.network is th.energy_network
    assert np.array_equal(pd.util.hash_pandas_object(th.sites, index=True).to_numpy(),
                          sites_before)
    # A second run of the same theatre starts from the same stocks and gives the same night.
    m2 = DefenseModel(sc, seed=1)
    m2.run()
    pd.testing.assert_frame_equal(m.datacollector.get_model_vars_dataframe(),
                                  m2.datacollector.get_model_vars_dataframe())
