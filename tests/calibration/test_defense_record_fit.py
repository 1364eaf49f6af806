"""The whole-defence fit (sim.calibration.defense_record_fit) and its rolling origin: bad input, no
look-ahead, state carried, recovery of known parameters, and the persistence baseline."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.calibration import defense_record_fit as F
from sim.calibration import defense_record_targets as T
from sim.calibration.defense_rolling_origin import persistence
from sim.calibration.record import load_record, record_from_nights
from sim.config.errors import DataFileError, SimInputError
from sim.config.io import load_scenario, with_overrides


@pytest.fixture(scope="module")
def record():
    return load_record()


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("origin", ["2025-10-31", "2024-11-30", "2025-09-15", "2022-01", "x"])
def test_bad_origin(record, origin):
    with pytest.raises(SimInputError):
        F.parse_origin(origin, record)


def test_good_origin(record):
    assert F.parse_origin("2025-09-30", record) == "2025-09"
    assert F.parse_origin("2024-12", record) == "2024-12"


def test_cli_bad_origin_exit_2(tmp_path):
    out = tmp_path / "fit.json"
    p = subprocess.run([sys.executable, "-m", "sim", "calibrate", "defence", "--origin",
                        "2024-11-30", "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 2
    assert "at least 3" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()


def _tallies(tmp_path, row):
    head = "night_from,night_to,what,kills_low,kills_high,launched,use,source\n"
    p = tmp_path / "t.csv"
    p.write_text(head + row + "\n")
    return p


@pytest.mark.parametrize("row,why", [
    ("2031-01-01,2031-01-01,x,1,2,10,target,s", "not a night of the record"),
    ("2025-09-06,2025-09-06,x,-1,2,10,target,s", ">= 0"),
    ("2025-09-06,2025-09-06,x,20,30,10,target,s", "share above 1"),
    ("2025-09-06,2025-09-06,x,5,2,10,target,s", "below kills_low"),
])
def test_bad_tallies(tmp_path, record, row, why):
    with pytest.raises(DataFileError, match=why):
        F.load_tallies(_tallies(tmp_path, row), record)


def test_shipped_tallies_valid(record):
    t = F.load_tallies(None, record)
    assert (t["use"] == "target").sum() >= 2


def test_negative_front_stream_is_rejected():
    sc = load_scenario("scenarios/winter-2025-26.yaml")
    with pytest.raises(SimInputError):
        with_overrides(sc, {"threat.front_stream.per_night": -1}, source="test")


# ------------------------------------------------------------------ state carried
def test_state_carried_into_a_later_start():
    """The national force's crews and stock on 1 Mar 2025 are the same whether the run
    started on 1 Oct 2024 or starts on 1 Mar 2025 from the carried state; without the
    reference date the force restarts (the old window defect)."""
    full = F.fit_scenario("2025-03")
    nights = F.simulate_nights(full, 3, 0)
    first = nights.index[nights["date"] == dt.date(2025, 3, 1)][0]
    expended = 0
    from sim.model.forces import force_schedule
    sched_full = force_schedule(full.defense, full.period.dates).national
    # expended before 1 Mar = delivered by 28 Feb - stock at the end of 28 Feb
    expended = int(sched_full.delivered[first - 1]) - int(nights.loc[first - 1, "national_stock"])
    later = with_overrides(full, {"period.start_date": "2025-03-01", "period.nights": 31,
                                  "defense.national_force.expended_before_start": expended},
                           source="test")
    sched_later = force_schedule(later.defense, later.period.dates).national
    assert sched_later.crews_active[0] == sched_full.crews_active[first]
    from sim.model.forces import ForceLedger
    led_full_stock = int(nights.loc[first - 1, "national_stock"]) + int(
        sched_full.delivered[first] - sched_full.delivered[first - 1])
    led = ForceLedger(sched_later)
    led.open_night(0)
    assert led.stock == led_full_stock
    restarted = with_overrides(later, {"defense.national_force.reference_date": None},
                               source="test")
    sched_re = force_schedule(restarted.defense, restarted.period.dates).national
    assert sched_re.crews_active[0] < sched_full.crews_active[first]


# ------------------------------------------------------------------ no look-ahead
def test_no_look_ahead(record):
    """Changing every record row after the origin leaves the fit unchanged."""
    n = record.nights.copy()
    after = pd.to_datetime(n["night"]) > pd.Timestamp("2024-12-31")
    n.loc[after, ["launched", "destroyed", "not_reach_goal", "neutralised"]] = [999, 1, 1, 2]
    other = record_from_nights(n, "altered")
    kw = {"replicates": 1, "max_nfev": 1, "noise": False,
          "fixed": {"fire_groups": 0.8, "p_cued": 0.6, "crews_per_month": 8.0,
                    "front_s": 0.0, "high": 0.0}}
    a = F.fit_defense_to_record("2024-12", record, **kw)
    b = F.fit_defense_to_record("2024-12", other, **kw)
    assert a["parameters"] == b["parameters"]
    assert a["tables"]["monthly"] == b["tables"]["monthly"]


# ------------------------------------------------------------------ recovery
def _synthetic(theta, seed, replicate, last="2024-12"):
    sc = F.fit_scenario(last)
    months = T.month_list("2024-10", last)
    rec = load_record()
    launches = F.record_launches(rec.nights, sc.period.dates)
    sc = with_overrides(sc, F.parameter_overrides(theta, months, sc.threat.types["shahed"]),
                        source="truth")
    sim = F.simulate_nights(sc, seed, replicate, launches)
    nights = pd.DataFrame({"night": [d.isoformat() for d in sim["date"]],
                           "launched": sim["launched"], "destroyed": sim["destroyed"],
                           "not_reach_goal": sim["lost_ew"], "neutralised": sim["neutralised"]})
    return record_from_nights(nights, "synthetic")


def test_recovers_ew_and_front_stream_from_synthetic_nights(monkeypatch):
    """Nights the model generated with known EW and front stream (another seed): the fit
    finds both again."""
    monkeypatch.setattr(F, "FRONT_FROM", "2024-10")
    truth = dict(zip(F.NAMES, [0.40, 0.8, 0.6, 8.0, 12.0, 0.0, 0.0], strict=True))
    rec = _synthetic(list(truth.values()), seed=11, replicate=0)
    fixed = {k: v for k, v in truth.items() if k not in ("ew", "front_c")}
    fit = F.fit_defense_to_record("2024-12", rec, replicates=1, max_nfev=6, noise=False, seed=12,
                        fixed=fixed, tallies=F.load_tallies().iloc[0:0])
    assert abs(fit["parameters"]["ew"]["value"] - 0.40) < 0.04
    assert abs(fit["parameters"]["front_c"]["value"] - 12.0) < 3.0


CUEING_FLAT = ("known defect of the record fit: in this window the national force's kills "
               "hardly change with cueing above about 0.45 (another limit binds there), so a fit "
               "started at 0.6 sees a flat loss and does not move; a start below the flat part "
               "or several starts would find it; drop the mark when a fit recovers it")
STEP_TOO_SMALL = ("known defect of the record fit: its finite-difference step (5 % of the value, "
                  "0.4 of 8 crews a month) is too small to change the whole crews the force "
                  "trains, so the loss looks flat; a larger step for this parameter would find "
                  "it; drop the mark when a fit recovers it")


@pytest.mark.parametrize("p_true", [0.8, pytest.param(0.3, marks=pytest.mark.xfail(
    strict=True, reason=CUEING_FLAT))])
def test_recovers_cueing_from_synthetic_nights(p_true):
    """Nights the model generated with a known C2 cueing probability (Oct 2024 - Jun 2025, when
    Ukraine's own force stops a tenth of the drones or more), every other parameter fixed at
    its truth and the same random numbers (the most favourable case): the fit finds the
    cueing again, from the start value (0.6) up and down."""
    truth = dict(zip(F.NAMES, [0.30, 0.8, p_true, 30.0, 0.0, 0.0, 0.0], strict=True))
    rec = _synthetic(list(truth.values()), seed=11, replicate=0, last="2025-06")
    fixed = {k: v for k, v in truth.items() if k != "p_cued"}
    fit = F.fit_defense_to_record("2025-06", rec, replicates=1, max_nfev=6, noise=False,
                                  seed=11, fixed=fixed, tallies=F.load_tallies().iloc[0:0])
    assert abs(fit["parameters"]["p_cued"]["value"] - p_true) < 0.08


@pytest.mark.xfail(strict=True, reason=STEP_TOO_SMALL)
def test_recovers_the_training_rate_from_synthetic_nights():
    """The same for the national crews entering training a month (truth 20, start 8)."""
    truth = dict(zip(F.NAMES, [0.30, 0.8, 0.6, 20.0, 0.0, 0.0, 0.0], strict=True))
    rec = _synthetic(list(truth.values()), seed=11, replicate=0, last="2025-06")
    fixed = {k: v for k, v in truth.items() if k != "crews_per_month"}
    fit = F.fit_defense_to_record("2025-06", rec, replicates=1, max_nfev=12, noise=False,
                                  seed=11, fixed=fixed, tallies=F.load_tallies().iloc[0:0])
    assert abs(fit["parameters"]["crews_per_month"]["value"] - 20.0) < 5.0


def test_front_stream_makes_the_leak_share_fall_with_salvo_size():
    """c drones a night that no layer reaches: the leak share falls with the salvo size as
    c / n + base (the record's shape), and the leakers grow by about c a night."""
    sc = F.fit_scenario("2025-04")
    sc = with_overrides(sc, {"period.start_date": "2025-04-01", "period.nights": 30,
                             "defense.national_force.reference_date": None}, source="test")
    launches = np.tile([30, 60, 150, 300, 500], 6)
    base = F.simulate_nights(sc, 5, 0, launches)
    on = with_overrides(sc, {"threat.front_stream.per_night": 15.0}, source="test")
    front = F.simulate_nights(on, 5, 0, launches)
    tb, tf = T.leak_table(base), T.leak_table(front)
    extra = ((front["launched"] - front["neutralised"]).mean()
             - (base["launched"] - base["neutralised"]).mean())
    assert 10 < extra < 16
    d = (tf["leak_share"] - tb["leak_share"]).to_numpy()
    assert d[0] > d[2] > d[4] > 0


# ------------------------------------------------------------------ persistence
def test_persistence_toy_series():
    s = pd.Series([1.0, 2.0, 4.0, 8.0], index=["2025-01", "2025-02", "2025-03", "2025-04"])
    assert persistence(s, "2025-03", 3) == pytest.approx(7 / 3)
    assert persistence(s, "2025-04", 1) == 8.0
    assert persistence(s, "2025-04", 3) == pytest.approx(14 / 3)
    with pytest.raises(ValueError):
        persistence(s, "2025-02", 3)


def test_recovers_night_noise_from_synthetic_nights():
    """Nights generated with a known night-to-night effectiveness noise: the fitted level
    comes back near it (the record's nightly spread beyond the model's own)."""
    truth = dict(zip(F.NAMES, [0.35, 0.8, 0.6, 8.0, 0.0, 0.0, 0.0], strict=True))
    sc = F.fit_scenario("2024-12")
    rec0 = load_record()
    launches = F.record_launches(rec0.nights, sc.period.dates)
    sc = with_overrides(sc, {**F.parameter_overrides(list(truth.values())),
                             "defense.effectiveness_noise.sigma_night": 0.8}, source="truth")
    sim = F.simulate_nights(sc, 21, 0, launches)
    rec = record_from_nights(pd.DataFrame({
        "night": [d.isoformat() for d in sim["date"]], "launched": sim["launched"],
        "destroyed": sim["destroyed"], "not_reach_goal": sim["lost_ew"],
        "neutralised": sim["neutralised"]}), "synthetic")
    fit = F.fit_defense_to_record("2024-12", rec, replicates=2, max_nfev=1, seed=22, fixed=truth,
                        tallies=F.load_tallies().iloc[0:0])
    assert 0.5 < fit["noise"]["sigma_night"] < 1.1


def test_winter_scenario_carries_the_shipped_fit():
    """scenarios/winter-2025-26.yaml holds the values of sim/data/defence_fit.json (origin
    2025-09: nothing after it), to the 4 digits written."""
    from sim.config.io import get_path

    fit = F.load_fit()
    assert fit["origin"] == "2025-09"
    sc = load_scenario("scenarios/winter-2025-26.yaml")
    for key, v in fit["overrides"].items():
        got = get_path(sc, key)
        if isinstance(v, str) or v is None:
            assert got == v, key
        else:
            assert float(got) == pytest.approx(float(v), rel=2e-3), key
    for m in sc.threat.tactics.timeline.values():
        assert m.altitude_bands_m[1].share == pytest.approx(fit["high_share"], rel=2e-3)
    nf = sc.defense.national_force
    assert nf.reference_date == T.FIRST_NIGHT


def test_mechanisms_off_by_default_draw_nothing():
    """With the schema defaults no mechanism acts: no shift, flying weather, every drone cued,
    none on a front route (so scenarios without them are unchanged)."""
    from sim.model.air_defense import conditions, shift_p
    from sim.model.rng import root_sequence

    sc = load_scenario("scenarios/ukraine-posture-2024.yaml")
    c = conditions(root_sequence(1, 0), dt.date(2025, 1, 5), sc.defense, sc.threat, 50)
    assert c.shift == 0.0 and c.fly and c.cued.all() and not c.front.any()
    assert shift_p(0.9, 0.0) == 0.9
    assert shift_p(0.5, math.log(3.0)) == pytest.approx(0.75)
    assert shift_p(1.0, -2.0) == 1.0
