"""Where the ranking of options flips (sim.analysis.ranking): on a planted sweep whose best
option changes exactly where x1 > 0.7, the futures that flip are those, and PRIM's box bounds
x1 from below near 0.7 and leaves x2 free."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.ranking import FLIP, flips_as_sweep, ranking_by_future, where_ranking_flips
from sim.analysis.sweep_data import DiscoveryError, FactorInfo, SweepData

LEVER = "defense.portfolio.option"


def planted(n: int = 120, seed: int = 0) -> SweepData:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.random(n), rng.random(n)
    rows = []
    for i in range(n):
        for opt in ("drones", "spares", "missiles"):
            for r in range(2):
                value = {"drones": 1.0, "spares": 0.99, "missiles": 0.98}[opt]
                if opt == "missiles" and x1[i] > 0.7:
                    value = 1.02  # more missiles: the missile option wins
                rows.append({"run_id": len(rows), "point": i * 3, "replicate": r, "seed": 1,
                             LEVER: opt, "x1": x1[i], "x2": x2[i],
                             "demand_served_fraction": value + 0.001 * r})
    factors = {LEVER: FactorInfo(LEVER, "lever", values=("drones", "spares", "missiles")),
               "x1": FactorInfo("x1", "uncertainty", 0.0, 1.0),
               "x2": FactorInfo("x2", "uncertainty", 0.0, 1.0)}
    spec = {"name": "planted", "levers": [{"key": LEVER}],
            "uncertainties": [{"key": "x1", "low": 0, "high": 1}, {"key": "x2", "low": 0, "high": 1}]}
    return SweepData(Path("planted"), pd.DataFrame(rows), spec, factors)


def test_futures_flip_exactly_where_the_planted_option_wins():
    data = planted()
    t = ranking_by_future(data)
    assert t.attrs["reference"] == "drones"  # best in most futures
    np.testing.assert_array_equal(t["flips"].to_numpy(), t["x1"].to_numpy() > 0.7)
    assert set(t.loc[t["flips"], "best"]) == {"missiles"}
    assert (t.loc[~t["flips"], "second"] == "spares").all()
    assert t.loc[t["flips"], "margin"].to_numpy() == pytest.approx(0.02)
    assert (t.loc[t["flips"], "reference_rank"] == 2).all()
    derived, _ = flips_as_sweep(data)
    assert len(derived.runs) == len(t) and set(derived.runs[FLIP]) == {0.0, 1.0}


def test_prim_finds_the_region_where_it_flips():
    pytest.importorskip("ema_workbench")
    res, t = where_ranking_flips(planted())
    box = res.prim_boxes[0]
    lims = {r.name: r for r in box.restrictions}
    assert "x1" in lims and "x2" not in lims
    assert lims["x1"].low == pytest.approx(0.7, abs=0.06)
    assert box.density >= 0.9 and box.coverage >= 0.9


def test_a_ranking_that_never_flips_says_so():
    data = planted()
    runs = data.runs.copy()
    runs.loc[runs[LEVER] == "missiles", "demand_served_fraction"] = 0.5
    data = SweepData(data.folder, runs, data.spec, data.factors)
    with pytest.raises(DiscoveryError, match="does not flip within the sampled ranges"):
        where_ranking_flips(data)


def test_bad_lever_or_reference():
    with pytest.raises(DiscoveryError, match="is not a lever"):
        ranking_by_future(planted(), lever="x1")
    with pytest.raises(DiscoveryError, match="reference 'ew' is not a value"):
        ranking_by_future(planted(), reference="ew")


def test_a_tie_is_no_flip():
    data = planted()
    runs = data.runs.copy()
    runs["demand_served_fraction"] = 1.0  # every option does the same everywhere
    t = ranking_by_future(SweepData(data.folder, runs, data.spec, data.factors),
                          reference="spares")
    assert not t["flips"].any() and (t["best"] == "spares").all() and (t["margin"] == 0).all()
