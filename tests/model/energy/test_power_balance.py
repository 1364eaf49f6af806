"""Hourly demand, imports, distributed generation and batteries, and the outcomes people
count: hours without power a day and the peak deficit. Balance, bounds and monotonicity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.config.data import load_sites
from sim.config.energy import EnergyConfig
from sim.config.errors import DataFileError
from sim.config.power_data import load_load_shape
from sim.model.energy.system import EnergySystem

START = dt.date(2026, 1, 5)
NIGHTS = 8
POWER = dict(state_as_of=dt.date(2025, 10, 1), load_profile="hourly", import_capacity_mw=2100,
             availability_fraction={"thermal": 0.8, "chp": 0.8, "hydro": 0.75,
                                    "pumped_storage": 0.6, "nuclear": 0.95})


def _hits(sites, night, scale=1):
    """Drone hits on the thermal plants and CHPs on the first nights."""
    n = len(sites)
    h = np.zeros(n, int)
    if night < 3:
        rows = sites.index[sites["type"].isin(["thermal", "chp"])
                           & (sites["status"] == "operational")].to_numpy()
        h[rows] = 3 * scale
    return {"drone": h}


def _winter(seed=1, nights=NIGHTS, scale=1, **kw):
    cfg = EnergyConfig(**{**POWER, **kw})
    sites = load_sites()
    es = EnergySystem(sites, cfg, START, nights, np.random.default_rng(seed))
    out = [es.night(k, _hits(sites, k, scale)) for k in range(nights)]
    return es, out


def test_served_plus_shed_is_demand_and_hours_stay_in_a_day():
    es, out = _winter(distributed_generation_mw=500, storage_mw=200)
    shed_any = False
    for o in out:
        assert o["energy_served_mwh"] + o["energy_not_served_mwh"] == pytest.approx(
            o["energy_demand_mwh"], rel=1e-9)
        assert 0.0 <= o["outage_hours_per_day"] <= 24.0
        assert o["peak_deficit_gw"] >= 0.0
        if o["energy_not_served_mwh"] <= 1e-6:
            assert o["outage_hours_per_day"] == 0.0 and o["peak_deficit_gw"] == 0.0
        else:
            shed_any = True
            assert o["outage_hours_per_day"] > 0.0
        # imports never above their capacity; supply covers what is served
        assert o["imports_used_mwh"] <= 2100 * 24 + 1e-6
        supply = (o["domestic_generation_mw"] + 2100 + 500 + 200) * 24
        assert o["energy_served_mwh"] <= supply + 1e-6
    assert shed_any, "the test should shed load on some day"
    w = es.winter_outcomes()
    assert all(0.0 <= v <= 24.0 for v in w["outage_hours_per_day_by_region"].values())


def test_nothing_shed_means_no_hours_without_power():
    # a mild month with everything available: nothing shed
    cfg = EnergyConfig(load_profile="hourly", import_capacity_mw=5000)
    es = EnergySystem(load_sites(), cfg, dt.date(2025, 5, 1), 3, np.random.default_rng(0))
    for k in range(3):
        o = es.night(k, np.zeros(len(es.sites), int))
        assert o["energy_not_served_mwh"] == 0.0
        assert o["outage_hours_per_day"] == 0.0 and o["peak_deficit_gw"] == 0.0


def test_more_damage_never_serves_more():
    _, lo = _winter(scale=1, exact_load_blocks=True)
    _, hi = _winter(scale=3, exact_load_blocks=True)
    for a, b in zip(lo, hi, strict=True):
        assert b["energy_served_mwh"] <= a["energy_served_mwh"] + 1e-6
        assert b["outage_hours_per_day"] >= a["outage_hours_per_day"] - 1e-9


def test_warmer_weather_never_sheds_more():
    _, cold = _winter(temperature_offset_c=-3.0, exact_load_blocks=True)
    _, warm = _winter(temperature_offset_c=3.0, exact_load_blocks=True)
    assert sum(o["energy_not_served_mwh"] for o in cold) > 0
    for c, w in zip(cold, warm, strict=True):
        assert w["energy_not_served_mwh"] <= c["energy_not_served_mwh"] + 1e-6
        assert w["outage_hours_per_day"] <= c["outage_hours_per_day"] + 1e-9


def test_imports_distributed_generation_and_batteries_each_shed_less():
    _, base = _winter(import_capacity_mw=0)
    _, imp = _winter(import_capacity_mw=0, import_capacity_mw_by_month={"2026-01": 2100})
    _, dg = _winter(import_capacity_mw=0, distributed_generation_mw=1000)
    _, st = _winter(import_capacity_mw=0, storage_mw=300)
    ens = {k: sum(o["energy_not_served_mwh"] for o in v)
           for k, v in {"base": base, "imp": imp, "dg": dg, "st": st}.items()}
    assert ens["base"] > ens["imp"] and ens["base"] > ens["dg"] and ens["base"] >= ens["st"]
    assert sum(o["imports_used_mwh"] for o in imp) > 0
    assert sum(o["imports_used_mwh"] for o in base) == 0
    # distributed generation covers at most its MW in any hour
    for a, b in zip(base, dg, strict=True):
        assert a["energy_not_served_mwh"] - b["energy_not_served_mwh"] <= 1000 * 24 + 1e-6


def test_packaged_load_shape_has_evening_peaks_and_the_spring_falls():
    shape = load_load_shape()
    assert shape.shape == (12, 24)
    for m in (0, 1, 10, 11):  # winter months: evening peak, morning shoulder, night trough
        assert 17 <= int(np.argmax(shape[m])) <= 20
        assert shape[m, 3] < shape[m, 9] < shape[m, 18]
    lv = EnergyConfig().month_level
    assert lv[2] < lv[0]  # March below January beyond heating


@pytest.mark.parametrize("edit, reason", [
    (lambda t: t.replace("1,5,0.72,", "1,5,0.72,\n1,5,0.72,", 1), "repeated"),
    (lambda t: "\n".join(ln for ln in t.splitlines() if not ln.startswith("2,7,")) + "\n",
     "must make the day"),
    (lambda t: t.replace("1,5,0.72,", "1,5,-0.72,", 1), r"not in \(0, 1\]"),
])
def test_bad_load_shape_is_refused(tmp_path, edit, reason):
    from sim.config.data import packaged_path

    f = tmp_path / "shape.csv"
    f.write_text(edit(packaged_path("load_shape.csv").read_text()))
    with pytest.raises(DataFileError, match=reason):
        load_load_shape(f)


def test_negative_imports_by_month_are_refused():
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        EnergyConfig(import_capacity_mw_by_month={"2026-01": -5})
    with pytest.raises(ValueError, match="not a month"):
        EnergyConfig(import_capacity_mw_by_month={"January": 5})
