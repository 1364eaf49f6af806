"""Energy consequence model: grid flow, damage and repair, demand, outcomes, speed."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.data import load_links, load_regions, load_sites
from sim.config.energy import SITE_TYPES, EnergyConfig
from sim.config.errors import DataFileError
from sim.model.energy.demand import daily_temperature_c, demand_scale
from sim.model.energy.grid import Grid
from sim.model.energy.system import EnergySystem

START = dt.date(2025, 11, 1)

# ---------------------------------------------------------------- a small hand-built grid
#   plant P (1000 MW, region A) -> A ;  A <-> X (330 kV substation, 1000 MW) <-> B
#   X is the only bridge to region B.  Demand: A 300 MW, B 400 MW; water utility W in B (40 MW).
HEADER = "id,name,type,lat,lon,capacity_mw,gas_mcm_per_day,operator,oblast,region_id,status,"
SITES = (
    HEADER
    + """estimate,source
plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,operational,False,test
sub_x,Bridge X,substation_330,50.0,31.0,1000,0,x,A,reg_a,operational,False,test
water_w,Water W,water_utility,50.0,32.0,40,0,x,B,reg_b,operational,False,test
gas_g,Gas G,gas_production,49.0,32.0,0,10,x,B,reg_b,operational,True,test
plant_occ,Occupied plant,nuclear,47.5,34.6,5000,0,x,A,reg_a,occupied,False,test
"""
)
REGIONS = """id,name,lat,lon,peak_demand_mw,source
reg_a,Region A,50.0,30.0,300,test
reg_b,Region B,50.0,32.0,440,test
"""
LINKS = """from_id,to_id,capacity_mw,bidirectional,source
plant_p,reg_a,1000,False,test
reg_a,sub_x,1000,True,test
sub_x,reg_b,1000,True,test
plant_occ,reg_a,5000,False,test
"""


def small_grid(tmp_path: Path, regions: str = REGIONS, links: str = LINKS):
    (tmp_path / "sites.csv").write_text(SITES)
    (tmp_path / "regions.csv").write_text(regions)
    (tmp_path / "links.csv").write_text(links)
    return (
        load_sites(tmp_path / "sites.csv"),
        load_regions(tmp_path / "regions.csv"),
        load_links(tmp_path / "links.csv"),
    )


def small_config(**kw) -> EnergyConfig:
    base = dict(
        availability_fraction={t: 1.0 for t in SITE_TYPES},
        damage_fraction_per_hit={"substation_330": 1.0, "thermal": 0.5, "gas_production": 0.5},
        repair_days={
            "substation_330": {"median_days": 5, "sigma": 0.0},
            "thermal": {"median_days": 3, "sigma": 0.0},
            "gas_production": {"median_days": 2, "sigma": 0.0},
        },
        spare_transformers=10,
        import_capacity_mw=0.0,
        import_region_ids=[],
        base_load_fraction=1.0,  # demand = peak every night
    )
    base.update(kw)
    return EnergyConfig(**base)


def hits_for(sites: pd.DataFrame, **by_id: int) -> np.ndarray:
    h = np.zeros(len(sites), dtype=int)
    for sid, n in by_id.items():
        h[sites.index[sites["id"] == sid][0]] = n
    return h


def test_bridge_loss_cuts_region_exactly_and_repair_restores(tmp_path):
    sites, regions, links = small_grid(tmp_path)
    es = EnergySystem(
        sites, small_config(), START, 12, np.random.default_rng(0), regions=regions, links=links
    )
    zero = hits_for(sites)
    out = [es.night(0, zero)]
    assert out[0]["served_mw"] == pytest.approx(740)
    out.append(es.night(1, hits_for(sites, sub_x=1)))  # bridge lost on night 1
    for k in range(2, 8):
        out.append(es.night(k, zero))
    served = [o["served_mw"] for o in out]
    # Region B (400 MW + 40 MW water) is cut exactly while X is down: nights 1..5
    for k in range(1, 6):
        assert served[k] == pytest.approx(300, abs=0.1), k
        assert out[k]["water_outage_hours"] == pytest.approx(24.0)
        assert out[k]["deficit_gt_10pct"] == 1.0
        assert out[k]["regions_deficit_gt_10pct"] == 1.0
    # documented: a hit on night n with a D-day repair is back on night n + D (1 + 5 = 6)
    assert served[6] == pytest.approx(740)
    assert out[6]["water_outage_hours"] == 0.0
    assert out[6]["sites_damaged"] == 0.0
    wo = es.winter_outcomes()
    assert wo["nights_deficit_gt_10pct"] == 5.0
    assert wo["water_outage_hours"] == pytest.approx(5 * 24.0)
    assert wo["capacity_days_lost_by_type"]["substation_330"] == pytest.approx(5 * 1000.0)
    # all of region B's load (440 MW at peak, scaled by each block) is unserved for 5 nights
    blocks = zip(es.config.load_block_hours, es.config.load_block_factors, strict=True)
    assert wo["energy_not_served_mwh"] == pytest.approx(
        5 * sum(h * 440.0 * f for h, f in blocks), abs=1.0
    )


def test_hit_on_site_already_down_extends_repair(tmp_path):
    sites, regions, links = small_grid(tmp_path)
    cfg = small_config(max_parallel_repairs_per_site=1)
    es = EnergySystem(sites, cfg, START, 14, np.random.default_rng(0), regions=regions, links=links)
    served = []
    for k in range(14):
        h = hits_for(sites, sub_x=1) if k in (0, 2) else hits_for(sites)
        served.append(es.night(k, h)["served_mw"])
    # first job: nights 0..4 down, done on night 5; second queued job needs 5 more days
    assert all(s == pytest.approx(300, abs=0.1) for s in served[:10])
    assert served[10] == pytest.approx(740)


def test_spares_exhausted_gives_long_repair(tmp_path):
    sites, regions, links = small_grid(tmp_path)
    cfg = small_config(
        spare_transformers=0,
        spare_transformer_deliveries_per_30_days=0.0,
        substation_repair_without_spare={"median_days": 9, "sigma": 0.0, "min_days": 1},
    )
    es = EnergySystem(sites, cfg, START, 12, np.random.default_rng(0), regions=regions, links=links)
    served = [es.night(k, hits_for(sites, sub_x=int(k == 0)))["served_mw"] for k in range(12)]
    assert served[8] == pytest.approx(300, abs=0.1)
    assert served[9] == pytest.approx(740)


def test_gas_and_occupied_and_decoy_free(tmp_path):
    sites, regions, links = small_grid(tmp_path)
    es = EnergySystem(
        sites, small_config(), START, 4, np.random.default_rng(0), regions=regions, links=links
    )
    o = es.night(0, hits_for(sites, gas_g=1, plant_occ=7))
    assert o["gas_output_lost_mcm"] == pytest.approx(5.0)
    assert o["gas_output_mcm"] == pytest.approx(5.0)
    # the occupied plant gives nothing and takes no damage
    assert o["available_generation_mw"] == pytest.approx(1000.0)
    assert es.availability[sites.index[sites["id"] == "plant_occ"][0]] == 1.0
    assert o["served_mw"] == pytest.approx(740)
    es.night(1, hits_for(sites))
    o = es.night(2, hits_for(sites))
    assert o["gas_output_lost_mcm"] == 0.0  # 2-day repair done


def test_region_without_supply_is_a_data_error(tmp_path):
    regions = REGIONS + "reg_c,Region C,49.0,30.0,100,test\n"
    sites, regions_df, links = small_grid(tmp_path, regions=regions)
    with pytest.raises(DataFileError) as exc:
        EnergySystem(
            sites,
            small_config(),
            START,
            3,
            np.random.default_rng(0),
            regions=regions_df,
            links=links,
        )
    msg = str(exc.value)
    assert "regions.csv" in msg and "row 4" in msg and "field id" in msg and "reg_c" in msg


def test_bad_link_endpoint_is_a_data_error(tmp_path):
    sites, regions, links = small_grid(tmp_path, links=LINKS + "water_w,reg_a,10,False,x\n")
    with pytest.raises(DataFileError, match=r"links.csv: row 6, field from_id: 'water_w'"):
        Grid(sites, regions, links)
    sites, regions, links = small_grid(tmp_path, links=LINKS + "nowhere,reg_a,10,False,x\n")
    with pytest.raises(DataFileError, match=r"row 6, field from_id: unknown"):
        Grid(sites, regions, links)


def test_config_partial_dicts_keep_defaults_and_reject_unknown():
    cfg = EnergyConfig(damage_fraction_per_hit={"thermal": 0.3})
    assert cfg.damage_fraction_per_hit["thermal"] == 0.3
    assert set(cfg.damage_fraction_per_hit) == set(SITE_TYPES)
    with pytest.raises(ValueError):
        EnergyConfig(damage_fraction_per_hit={"windfarm": 0.3})
    with pytest.raises(ValueError):
        EnergyConfig(not_a_field=1)
    with pytest.raises(ValueError):
        EnergyConfig(load_block_hours=[12, 10], load_block_factors=[1.0, 0.8])
    for name, field in EnergyConfig.model_fields.items():
        assert field.description, name


# ---------------------------------------------------------------- packaged grid
@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return load_sites()


def test_no_attacks_full_service(sites):
    es = EnergySystem(sites, EnergyConfig(), START, 151, np.random.default_rng(1))
    zero = np.zeros(len(sites), dtype=int)
    for k in range(151):
        o = es.night(k, zero)
        assert o["demand_served_fraction"] == 1.0
    wo = es.winter_outcomes()
    assert wo["demand_served_fraction"] == 1.0
    assert wo["energy_not_served_mwh"] == 0.0
    assert wo["nights_deficit_gt_10pct"] == 0.0
    assert wo["water_outage_hours"] == 0.0
    assert wo["gas_output_lost_mcm"] == 0.0
    assert set(wo["capacity_days_lost_by_type"]) == set(SITE_TYPES)
    # occupied/destroyed sites are excluded from supply
    ok = (sites["status"] == "operational").to_numpy()
    assert wo["min_available_capacity_mw"] < sites.loc[ok, "capacity_mw"].sum()
    assert es.grid.solves <= 2


def random_hits(sites, rng, lam):
    ok = (sites["status"] == "operational").to_numpy()
    w = np.where(ok, np.sqrt(sites["capacity_mw"].to_numpy() + 50.0), 1.0)
    w /= w.sum()
    return np.bincount(rng.choice(len(sites), rng.poisson(lam), p=w), minlength=len(sites))


def test_conservation_every_night(sites):
    rng = np.random.default_rng(5)
    es = EnergySystem(sites, EnergyConfig(cold_snap_nights=10), START, 90, np.random.default_rng(2))
    for k in range(90):
        o = es.night(k, random_hits(sites, rng, 3.0))
        assert o["served_mw"] <= o["demand_mw"] + 1e-6
        assert o["served_mw"] <= o["available_generation_mw"] + 1e-6
        assert o["energy_served_mwh"] <= o["energy_demand_mwh"] + 1e-6
        assert o["energy_not_served_mwh"] >= 0.0
        assert 0.0 <= o["demand_served_fraction"] <= 1.0
        assert 0.0 <= o["water_outage_hours"] <= 24.0 * 6
    wo = es.winter_outcomes()
    assert wo["energy_not_served_mwh"] > 0.0


def test_flow_matches_networkx(sites):
    es = EnergySystem(sites, EnergyConfig(), START, 5, np.random.default_rng(3))
    rng = np.random.default_rng(9)
    for k in range(5):
        es.night(k, random_hits(sites, rng, 15.0))
    f = float(es.demand_scale[4])
    var = es._var(f)
    ours = es.grid.solve(var).served_mw
    ref = nx.maximum_flow_value(es.grid.to_networkx(var), "S", "T")
    assert ours == pytest.approx(ref, abs=0.1 * len(var))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.lists(st.integers(0, 2), min_size=55, max_size=55),
    extra=st.lists(st.integers(0, 2), min_size=55, max_size=55),
    seed=st.integers(0, 1000),
)
def test_more_damage_never_serves_more(sites, base, extra, seed):
    """Hits h2 >= h1 (site by site, every night) never increase served demand on any night."""
    n = len(sites)
    assert n == 55
    h1 = np.array(base)
    h2 = h1 + np.array(extra)
    cfg = EnergyConfig(repair_crews=10_000, cold_snap_nights=3, cold_snap_start_offset_days=2)
    a = EnergySystem(sites, cfg, START, 6, np.random.default_rng(seed))
    b = EnergySystem(sites, cfg, START, 6, np.random.default_rng(seed))
    roll = np.random.default_rng(seed + 1)
    for k in range(6):
        mask = roll.random(n) < 0.3  # the same sites are attacked in both worlds
        oa = a.night(k, h1 * mask)
        ob = b.night(k, h2 * mask)
        assert ob["served_mw"] <= oa["served_mw"] + 1e-6
        assert ob["energy_served_mwh"] <= oa["energy_served_mwh"] + 1e-6
        assert ob["water_outage_hours"] >= oa["water_outage_hours"] - 1e-6
        assert ob["gas_output_lost_mcm"] >= oa["gas_output_lost_mcm"] - 1e-9


def test_nights_in_order_and_hits_shape(sites):
    es = EnergySystem(sites, EnergyConfig(), START, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="expected 0"):
        es.night(1, np.zeros(len(sites), int))
    with pytest.raises(ValueError, match="shape"):
        es.night(0, np.zeros(3, int))


def test_demand_follows_temperature_and_cold_snap():
    t = daily_temperature_c(START, 151)
    t_cold = daily_temperature_c(
        START, 151, cold_snap_start_offset_days=60, cold_snap_nights=7, cold_snap_delta_c=-10.0
    )
    np.testing.assert_allclose(t_cold[60:67], t[60:67] - 10.0)
    np.testing.assert_allclose(t_cold[:60], t[:60])
    assert t[75] < t[0]  # mid-January colder than 1 November
    s = demand_scale(t)
    assert s[75] > s[0]
    assert demand_scale(np.array([-10.0]))[0] == pytest.approx(1.0)  # design temperature


def test_speed_151_nights_heavy(sites):
    """A 151-night winter with hits every night stays well under 1 s (generous bound for CI)."""
    rng = np.random.default_rng(11)
    hits = [random_hits(sites, rng, 8.0) for _ in range(151)]
    es = EnergySystem(sites, EnergyConfig(), START, 151, np.random.default_rng(4))
    t0 = time.perf_counter()
    for k in range(151):
        es.night(k, hits[k])
    elapsed = time.perf_counter() - t0
    assert es.grid.solves <= 151 + 1  # at most one multi-copy solve per night
    assert elapsed < 1.0, elapsed
