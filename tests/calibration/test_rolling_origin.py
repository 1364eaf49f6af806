"""Rolling-origin validation (sim/calibration/rolling_origin.py) on records the model made itself.

A synthetic record is generated from known values: a launch profile with a growth trend
(written to a JSON file the scenario points at) and known defence parameters (EW loss
probability 0.25, fire-group kill probability 0.75), with the model's own launch sampler and
engine. The rolling-origin machinery must then

* recover the defence parameters and the launch trend when it fits on the months up to the
  origin, and forecast the next months with small errors;
* show small errors when given the true values, and large ones when given a wrong value
  (a wrong parameter is detected);
* skip mechanisms the schema does not know, and round-trip its result through JSON.

Sizes are small (a four-month scenario, few replicates) so that the file runs in seconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.calibration import rolling_origin as ro
from sim.calibration.defense_fit import DEFAULT_PARAMETERS, parameter_overrides
from sim.calibration.rolling_origin_fitters import fixed_fitter
from sim.calibration.threat_fit import write_threat_profile
from sim.config.data import packaged_path
from sim.config.errors import SimInputError
from sim.config.io import load_scenario, with_overrides

TRUE_THETA = (0.25, 0.75)  # p_lost_ew_shahed, fire_group_kill_prob
TRUE_TREND = 0.5


def _profile(mean: float) -> dict:
    return {
        "reference_date": "2024-10-01", "trend_per_year": TRUE_TREND,
        "months": {str(m): {"p_attack_night": 1.0, "mean": mean, "dispersion": 30.0,
                            "p_salvo": 0.0, "salvo_mean": 0.0, "salvo_dispersion": 1.0}
                   for m in range(1, 13)},
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Base scenario (Oct 2024 - Jan 2025, true launch profile), truth and its record."""
    tmp: Path = tmp_path_factory.mktemp("rolling")
    write_threat_profile(_profile(80.0), tmp / "truth.json")
    write_threat_profile(_profile(120.0), tmp / "wrong.json")
    base = with_overrides(load_scenario(packaged_path("scenarios/ukraine-posture-2024.yaml")), {
        "period.start_date": "2024-10-01", "period.nights": 123,
        "threat.launches.profile_file": str(tmp / "truth.json"),
        "threat.launches.apply_trend": True,
    })
    truth_ov = parameter_overrides(DEFAULT_PARAMETERS, TRUE_THETA)
    truth = with_overrides(base, truth_ov)
    record = ro.synthetic_record(truth, seed=11, history_from="2023-09-01", history_seed=5)
    return {"tmp": tmp, "base": base, "truth_ov": truth_ov, "record": record}


SMALL = ro.Settings(origins=("2024-11",), horizon=2, replicates=4, fit_replicates=2,
                    fit_maxfev=30)


def test_fits_recover_known_values_and_forecast_well(world):
    """Fit on Oct-Nov 2024 (and the threat on Dec 2023 - Nov 2024), forecast Dec-Jan.

    Tolerances: EW loss +-0.04 and kill probability +-0.08 (2 months of ~2,400 drones, one
    record replicate, 2 fit replicates: a few standard errors); trend +-0.35 a year (15
    months of monthly rates with ~4 % noise); forecast errors: neutralised share within
    3 pp on average (the target of the real validation), launches within 15 % on average.
    """
    res = ro.run_rolling_origin(world["record"], world["base"], mechanisms={},
                                settings=SMALL)
    fits = res.fits.set_index("fitter")
    assert fits.loc["defense", "p_lost_ew_shahed"] == pytest.approx(TRUE_THETA[0], abs=0.04)
    assert fits.loc["defense", "fire_group_kill_prob"] == pytest.approx(TRUE_THETA[1], abs=0.08)
    assert fits.loc["defense", "fit_months"] == "2024-10..2024-11"  # nothing after the origin
    assert fits.loc["threat", "fit_to"] == "2024-11-30"
    assert fits.loc["threat", "trend_per_year"] == pytest.approx(TRUE_TREND, abs=0.35)
    fc = res.full()
    assert sorted(set(fc["month"])) == ["2024-12", "2025-01"]
    assert set(fc["horizon"]) == {1, 2}
    summ = res.summary.set_index("quantity")
    assert summ.loc["drones_neutralised_share", "mae"] <= 3.0, fc
    assert summ.loc["drones_launched", "mae"] <= 15.0, fc
    assert summ["target_met"].all()
    assert res.ablation.empty


def test_true_values_forecast_well_and_a_wrong_value_is_detected(world):
    """Forecasts with fixed values (no fit): the truth gives small errors; a wrong defence
    parameter shows in the neutralised share, a wrong launch level in the launches."""
    base, truth_ov, tmp = world["base"], world["truth_ov"], world["tmp"]
    settings = ro.Settings(origins=("2024-11",), horizon=2, replicates=2)

    def run(overrides):
        res = ro.run_rolling_origin(world["record"], base, mechanisms={}, settings=settings,
                                    fitters=[fixed_fitter("known", overrides)])
        return res.summary.set_index("quantity")["mae"]

    good = run(truth_ov)
    assert good["drones_neutralised_share"] <= 1.5 and good["drones_launched"] <= 12.0, good
    wrong_ew = run(parameter_overrides(DEFAULT_PARAMETERS, (0.45, TRUE_THETA[1])))
    assert wrong_ew["drones_neutralised_share"] >= 4.0, wrong_ew
    wrong_launches = run({**truth_ov, "threat.launches.profile_file": str(tmp / "wrong.json")})
    assert wrong_launches["drones_launched"] >= 30.0, wrong_launches
    assert wrong_launches["drones_neutralised_share"] <= 3.0, wrong_launches


def test_mechanisms_ablation_and_result_round_trip(world, tmp_path):
    """A mechanism the schema lacks is skipped and named; a known one gives an ablation row
    with common random numbers (same forecast seed); the result survives JSON."""
    mech = {"launch_trend": {"threat.launches.apply_trend": False},
            "national_force": {"defense.national_force.enabled": False}}
    settings = ro.Settings(origins=("2024-11",), horizon=2, replicates=2, refit_ablations=False)
    res = ro.run_rolling_origin(world["record"], world["base"], mechanisms=mech,
                                settings=settings,
                                fitters=[fixed_fitter("known", world["truth_ov"])])
    assert list(res.meta["mechanisms"]["used"]) == ["launch_trend"]
    assert "defense.national_force.enabled" in res.meta["mechanisms"]["skipped"]["national_force"]
    abl = res.ablation.set_index("quantity")
    # Without the trend the launches fall short (the truth grows 50 % a year): the trend
    # closes most of the launch error.
    assert abl.loc["drones_launched", "mae_without"] > abl.loc["drones_launched", "mae_full"]
    assert abl.loc["drones_launched", "closes"] == pytest.approx(
        abl.loc["drones_launched", "mae_without"] - abl.loc["drones_launched", "mae_full"])
    path = tmp_path / "ro.json"
    ro.write_result(res, path)
    back = ro.load_result(path)
    assert list(back.forecasts.columns) == list(res.forecasts.columns)
    assert np.allclose(back.forecasts["error"], res.forecasts["error"], rtol=1e-5)
    assert back.meta["settings"]["forecast_seed"] == world["base"].seed + 100


def test_schema_knows_and_bad_origins(world):
    assert ro.schema_knows("threat.launches.apply_trend")
    assert ro.schema_knows("threat.types.anything.p_lost_ew")  # a free-form mapping key
    assert not ro.schema_knows("threat.launches.apply_trend.deeper")
    assert not ro.schema_knows("defense.national_force.enabled")
    for origins, needle in ((("2025-01",), "nothing left"), (("2024-09",), "before the"),
                            (("soon",), "not a month")):
        with pytest.raises(SimInputError, match=needle):
            ro.run_rolling_origin(world["record"], world["base"], mechanisms={},
                                  settings=ro.Settings(origins=origins))
    with pytest.raises(SimInputError, match="reserved"):
        ro.split_mechanisms({"full": {}})


def test_missiles_by_class_are_compared_when_the_model_writes_them():
    """The hook for missiles: nightly columns missiles_launched_<class> and
    missiles_destroyed_<class> in the model's output are compared with the record's classes;
    a class the model lacks is named in the notes."""
    import pandas as pd

    from sim.calibration.forecast_scoring import compare
    from sim.calibration.record import load_record

    record = load_record()  # shipped nightly record: cruise Apr 2025 = 92 launched, 56 stopped
    sim = pd.DataFrame({
        "replicate": [0, 1], "month": ["2025-04", "2025-04"],
        "launched": [2600, 2700], "neutralised": [2470, 2565],
        "missiles_launched_cruise": [90, 94], "missiles_destroyed_cruise": [54, 47],
    })
    table, notes = compare(record, sim, ["2025-04"])
    t = table.set_index("quantity")
    assert set(t.index) == {"drones_neutralised_share", "drones_launched",
                            "missiles_cruise_neutralised_share", "missiles_cruise_launched"}
    assert t.loc["missiles_cruise_launched", "observed"] == 92
    assert t.loc["missiles_cruise_launched", "error"] == pytest.approx(100 * (92 / 92 - 1))
    assert t.loc["missiles_cruise_neutralised_share", "observed"] == pytest.approx(56 / 92)
    assert t.loc["missiles_cruise_neutralised_share", "sim_mean"] == pytest.approx(
        (54 / 90 + 47 / 94) / 2)
    assert t.loc["drones_neutralised_share", "error"] == pytest.approx(
        100 * (0.95 - 2238 / 2646), abs=1e-6)
    assert any("ballistic" in n and "writes no" in n for n in notes)
