"""Energy consequence model: damage and repair by component, demand, load shedding, outcomes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.data import load_regions, load_sites
from sim.config.energy import SITE_TYPES, EnergyConfig
from sim.config.errors import DataFileError
from sim.config.grid_data import load_grid
from sim.model.energy.demand import daily_temperature_c, demand_scale
from sim.model.energy.system import NIGHT_KEYS, EnergySystem

START = dt.date(2025, 11, 1)

# ---------------------------------------------------------------- a small hand-built grid
#   pp_p (plant, 1000 MW) --330 kV-- cs_a (load A 300 MW) --750 kV-- ss_x (750 kV substation,
#   one 1000 MVA autotransformer group) --330 kV-- cs_b (load B 400 MW + water utility 40 MW)
#   X's group is the only way to region B. An occupied plant hangs on an occupied node.
HEADER = "id,name,type,lat,lon,capacity_mw,gas_mcm_per_day,operator,oblast,region_id,status,"
SITES = (
    HEADER
    + """estimate,source,node,units
plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,operational,False,test,pp_p,2
sub_x,Bridge X,substation_750,50.0,31.0,1000,0,x,A,reg_a,operational,False,test,ss_x,
water_w,Water W,water_utility,50.0,32.0,40,0,x,B,reg_b,operational,False,test,cs_b,1
gas_g,Gas G,gas_production,49.0,32.0,0,10,x,B,reg_b,operational,True,test,,2
plant_occ,Occupied plant,nuclear,47.5,34.6,5000,0,x,A,reg_a,occupied,False,test,pp_occ,
"""
)
REGIONS = """id,name,lat,lon,peak_demand_mw,source
reg_a,Region A,50.0,30.0,300,test
reg_b,Region B,50.0,32.0,440,test
"""
NODES = (
    "id,name,kind,lat,lon,voltage_kv,region_id,status,at750_count,at750_mva,at750_x_pu,"
    "lt_count,lt_mva,interconnector,islanded_reason\n"
) + """pp_p,P,plant,50.0,30.0,330,reg_a,operational,0,0,0,0,0,,
cs_a,A,city,50.0,30.5,330,reg_a,operational,0,0,0,0,0,,
ss_x,X,substation,50.0,31.0,750,reg_a,operational,1,1000,0.01,0,0,,
cs_b,B,city,50.0,32.0,330,reg_b,operational,0,0,0,0,0,,
pp_occ,Occ,plant,47.5,34.6,750,reg_a,occupied,0,0,0,0,0,,
"""
LINES = """id,from_node,to_node,voltage_kv,circuits,x_ohm,rating_mw,status
l_pa,pp_p,cs_a,330,1,10,2000,operational
l_ax,cs_a,ss_x,750,1,20,2000,operational
l_xb,ss_x,cs_b,330,1,10,2000,operational
l_occ,pp_occ,ss_x,750,1,20,2000,occupied
"""
LOADS = """node,region_id,share_of_region
cs_a,reg_a,1.0
cs_b,reg_b,1.0
"""


def write_grid(tmp_path: Path, **files: str) -> dict[str, Path]:
    content = {"sites": SITES, "regions": REGIONS, "nodes": NODES, "lines": LINES,
               "loads": LOADS, **files}
    out = {}
    for name, text in content.items():
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text)
    return out


def small_system(tmp_path: Path, nights: int = 12, cfg: EnergyConfig | None = None, **files):
    p = write_grid(tmp_path, **files)
    sites = load_sites(p["sites"])
    regions = load_regions(p["regions"])
    grid = load_grid(p["nodes"], p["lines"], p["loads"], regions)
    es = EnergySystem(sites, cfg or small_config(), START, nights, np.random.default_rng(0),
                      regions=regions, grid=grid)
    return sites, es


def small_config(**kw) -> EnergyConfig:
    base = dict(
        availability_fraction={t: 1.0 for t in SITE_TYPES},
        damage_fraction_per_hit={"substation_750": 1.0, "thermal": 0.5, "gas_production": 0.5,
                                 "line": 1.0},
        repair_days={
            "substation_750": {"median_days": 5, "sigma": 0.0},
            "thermal": {"median_days": 3, "sigma": 0.0},
            "gas_production": {"median_days": 2, "sigma": 0.0},
            "line": {"median_days": 2, "sigma": 0.0},
        },
        spare_transformers=10,
        import_capacity_mw=0.0,
        import_region_ids=[],
        base_load_fraction=1.0,  # demand = peak every night
        line_bay_damage_per_hit=0.0,
        exact_load_blocks=True,
    )
    base.update(kw)
    return EnergyConfig(**base)


def hits_for(sites: pd.DataFrame, **by_id: int) -> np.ndarray:
    h = np.zeros(len(sites), dtype=int)
    for sid, n in by_id.items():
        h[sites.index[sites["id"] == sid][0]] = n
    return h


def test_bridge_loss_cuts_region_exactly_and_repair_restores(tmp_path):
    sites, es = small_system(tmp_path)
    zero = hits_for(sites)
    out = [es.night(0, zero)]
    assert out[0]["served_mw"] == pytest.approx(740)
    assert set(out[0]) == set(NIGHT_KEYS)
    out.append(es.night(1, hits_for(sites, sub_x=1)))  # the only group at X lost on night 1
    for k in range(2, 8):
        out.append(es.night(k, zero))
    served = [o["served_mw"] for o in out]
    # Region B (400 MW + 40 MW water) is cut exactly while X is down: nights 1..5
    for k in range(1, 6):
        assert served[k] == pytest.approx(300, abs=1e-6), k
        assert out[k]["water_outage_hours"] == pytest.approx(24.0)
        assert out[k]["deficit_gt_10pct"] == 1.0
        assert out[k]["regions_deficit_gt_10pct"] == 1.0
        assert out[k]["transformers_down"] == 1.0
    # documented: a hit on night n with a D-day repair is back on night n + D (1 + 5 = 6)
    assert served[6] == pytest.approx(740)
    assert out[6]["water_outage_hours"] == 0.0
    assert out[6]["sites_damaged"] == 0.0
    wo = es.winter_outcomes()
    assert wo["nights_deficit_gt_10pct"] == 5.0
    assert wo["water_outage_hours"] == pytest.approx(5 * 24.0)
    assert wo["capacity_days_lost_by_type"]["substation_750"] == pytest.approx(5 * 1000.0)
    assert wo["grid_nodes"] == 4.0 and wo["grid_links"] == 3.0
    # all of region B's load (440 MW at peak, scaled by each block) is unserved for 5 nights
    blocks = zip(es.config.load_block_hours, es.config.load_block_factors, strict=True)
    assert wo["energy_not_served_mwh"] == pytest.approx(
        5 * sum(h * (400.0 * f + 40.0) for h, f in blocks), abs=1.0
    )


def test_hit_on_component_already_down_extends_repair(tmp_path):
    sites, es = small_system(tmp_path, 14, small_config(max_parallel_repairs_per_site=1))
    served = []
    for k in range(14):
        h = hits_for(sites, sub_x=1) if k in (0, 2) else hits_for(sites)
        served.append(es.night(k, h)["served_mw"])
    # first job: nights 0..4 down, done on night 5; the second, queued, needs 5 more days
    assert all(s == pytest.approx(300, abs=1e-6) for s in served[:10])
    assert served[10] == pytest.approx(740)


def test_repaired_component_can_be_hit_again(tmp_path):
    sites, es = small_system(tmp_path, 14)
    served = [es.night(k, hits_for(sites, sub_x=int(k in (0, 7))))["served_mw"] for k in range(14)]
    assert served[5] == pytest.approx(740) and served[6] == pytest.approx(740)
    assert served[7] == pytest.approx(300) and served[11] == pytest.approx(300)
    assert served[12] == pytest.approx(740)


def test_spares_exhausted_gives_long_repair(tmp_path):
    cfg = small_config(
        spare_transformers=0,
        spare_transformer_deliveries_per_30_days=0.0,
        substation_repair_without_spare_750={"median_days": 9, "sigma": 0.0, "min_days": 1},
    )
    sites, es = small_system(tmp_path, 12, cfg)
    served = [es.night(k, hits_for(sites, sub_x=int(k == 0)))["served_mw"] for k in range(12)]
    assert served[8] == pytest.approx(300, abs=1e-6)
    assert served[9] == pytest.approx(740)
    assert es.spares_left == 0.0


def test_line_hit_and_weapon_weight(tmp_path):
    """A line row is a damageable component; a cruise missile weighs 8 drone hits by
    default, so a 0.125-per-hit damage fraction on a 1-circuit line is a sure loss."""
    sites_csv = SITES + "l_xb,Line X-B,line,50.0,31.5,2000,0,x,B,reg_b,operational,True,t,,\n"
    cfg = small_config(damage_fraction_per_hit={"line": 0.125})
    sites, es = small_system(tmp_path, 6, cfg, sites=sites_csv)
    z = hits_for(sites)
    o = es.night(0, {"cruise": hits_for(sites, l_xb=1), "drone": z})
    assert o["served_mw"] == pytest.approx(300) and o["lines_down"] == 1.0
    assert o["energy_not_served_mwh_missiles"] == pytest.approx(o["energy_not_served_mwh"])
    assert o["energy_not_served_mwh_drones"] == 0.0
    o = es.night(1, z)
    o = es.night(2, z)  # 2-day line repair: back on night 2
    assert o["served_mw"] == pytest.approx(740) and o["lines_down"] == 0.0
    assert es.winter_outcomes()["energy_loss_share_missiles"] == pytest.approx(1.0)


def test_plant_units_and_expected_damage(tmp_path):
    # plant P: 2 units of 500 MW; damage 0.5 per hit x 2 units = exactly one unit per hit
    sites, es = small_system(tmp_path, 6)
    o = es.night(0, hits_for(sites, plant_p=1))
    assert o["generating_units_down"] == 1.0
    assert o["capacity_down_mw"] == pytest.approx(500.0)
    assert o["served_mw"] == pytest.approx(500.0)  # 500 MW left for 740 MW of demand
    assert o["water_outage_hours"] == 0.0  # the water utility is served first
    assert es.availability[sites.index[sites["id"] == "plant_p"][0]] == pytest.approx(0.5)


def test_gas_and_occupied_and_decoy_free(tmp_path):
    sites, es = small_system(tmp_path, 4)
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


def test_hits_interface_errors(tmp_path):
    sites, es = small_system(tmp_path, 3)
    with pytest.raises(ValueError, match="expected 0"):
        es.night(1, hits_for(sites))
    with pytest.raises(ValueError, match="shape"):
        es.night(0, np.zeros(3, int))
    with pytest.raises(ValueError, match="weapon class"):
        es.night(0, {"laser": hits_for(sites)})


def test_site_row_with_unknown_node_is_a_data_error(tmp_path):
    bad = SITES.replace("plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,operational,False,"
                        "test,pp_p,2", "plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,"
                        "operational,False,test,pp_nowhere,2")
    with pytest.raises(DataFileError, match=r"sites.csv: row 2, field node: unknown grid node"):
        small_system(tmp_path, sites=bad)


BAD_GRID = {
    "line_to_missing_node": ("lines", LINES + "l_bad,cs_a,cs_zz,330,1,10,100,operational\n",
                             r"lines.csv: row 6, field to_node: node 'cs_zz'"),
    "duplicate_node": ("nodes", NODES + "cs_a,A2,city,50,30.6,330,reg_a,operational,0,0,0,0,0,,\n",
                       r"nodes.csv: row 7, field id: duplicate id 'cs_a'"),
    "negative_rating": ("lines", LINES.replace("l_xb,ss_x,cs_b,330,1,10,2000",
                                               "l_xb,ss_x,cs_b,330,1,10,-5"),
                        r"lines.csv: row 4, field rating_mw: negative"),
    "negative_transformer": ("nodes", NODES.replace("1,1000,0.01", "1,-1000,0.01"),
                             r"nodes.csv: row 4, field at750_mva: negative"),
    "outside_theatre": ("nodes", NODES.replace("cs_a,A,city,50.0,30.5", "cs_a,A,city,10.0,30.5"),
                        r"nodes.csv: row 3, field lat/lon"),
    "disconnected_demand": ("lines", LINES.replace("l_xb,ss_x,cs_b,330,1,10,2000,operational",
                                                   "l_xb,ss_x,cs_b,330,1,10,2000,destroyed"),
                            r"nodes.csv: row 5, field islanded_reason: demand node 'cs_b'"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRID))
def test_bad_grid_file_names_file_row_field(case, tmp_path):
    which, text, pattern = BAD_GRID[case]
    with pytest.raises(DataFileError, match=pattern):
        small_system(tmp_path, **{which: text})


def test_disconnected_demand_node_with_a_reason_is_accepted(tmp_path):
    lines = LINES.replace("l_xb,ss_x,cs_b,330,1,10,2000,operational",
                          "l_xb,ss_x,cs_b,330,1,10,2000,destroyed")
    nodes = NODES.replace("cs_b,B,city,50.0,32.0,330,reg_b,operational,0,0,0,0,0,,",
                          "cs_b,B,city,50.0,32.0,330,reg_b,operational,0,0,0,0,0,,line cut (test)")
    sites, es = small_system(tmp_path, 2, lines=lines, nodes=nodes)
    assert es.night(0, hits_for(sites))["served_mw"] == pytest.approx(300)


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
    with pytest.raises(ValueError, match="node-level grid"):
        EnergyConfig(grid_links_file="links.csv")
    with pytest.raises(ValueError, match="weapon class"):
        EnergyConfig(damage_weight_by_weapon={"nuke": 1.0})
    assert EnergyConfig(damage_weight_by_weapon={"kh22": 20}).damage_weight_by_weapon["cruise"] == 8
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
    assert wo["grid_nodes"] > 100 and wo["grid_links"] > 150
    ok = (sites["status"] == "operational").to_numpy()
    assert wo["min_available_capacity_mw"] < sites.loc[ok, "capacity_mw"].sum()
    assert es.lp.solves <= 2  # the season's highest demand is solved once


def random_hits(sites, rng, lam):
    ok = (sites["status"] == "operational").to_numpy()
    w = np.where(ok, np.sqrt(sites["capacity_mw"].to_numpy() + 50.0), 1.0)
    w /= w.sum()
    return np.bincount(rng.choice(len(sites), rng.poisson(lam), p=w), minlength=len(sites))


def test_conservation_every_night(sites):
    rng = np.random.default_rng(5)
    es = EnergySystem(sites, EnergyConfig(cold_snap_nights=10), START, 90, np.random.default_rng(2))
    for k in range(90):
        hits = {"drone": random_hits(sites, rng, 3.0)}
        if k % 15 == 7:
            hits["cruise"] = random_hits(sites, rng, 20.0)
        o = es.night(k, hits)
        assert o["served_mw"] <= o["demand_mw"] + 1e-6
        assert o["served_mw"] <= o["available_generation_mw"] + 1e-6
        assert o["energy_served_mwh"] <= o["energy_demand_mwh"] + 1e-6
        assert o["energy_not_served_mwh"] >= 0.0
        assert o["energy_not_served_mwh_drones"] + o["energy_not_served_mwh_missiles"] == (
            pytest.approx(o["energy_not_served_mwh"]))
        assert 0.0 <= o["demand_served_fraction"] <= 1.0
        assert 0.0 <= o["water_outage_hours"] <= 24.0 * 6
        assert 0.0 <= o["heat_not_served_mwh_th"] <= o["heat_demand_mwh_th"] + 1e-6
    wo = es.winter_outcomes()
    assert wo["energy_not_served_mwh"] > 0.0
    assert 0.0 < wo["energy_loss_share_missiles"] < 1.0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 1000), extra=st.integers(1, 4), night=st.integers(0, 5))
def test_more_damage_never_serves_more(sites, seed, extra, night):
    """Extra hits on one night (everything else equal) never increase served demand on that
    night or later (exact blocks, unlimited crews and spares, so that repair order and spare
    use do not depend on the damage). The extra hits fall on rows not hit again later, so the
    rows' own random streams stay aligned between the two worlds. Water utilities are left out:
    losing a critical load frees capacity that the priority rule kept for it."""
    n = len(sites)
    cfg = EnergyConfig(repair_crews=10_000, max_parallel_repairs_per_site=1000,
                       cold_snap_nights=3, cold_snap_start_offset_days=2,
                       exact_load_blocks=True, spare_transformers=10_000)
    a = EnergySystem(sites, cfg, START, 6, np.random.default_rng(seed))
    b = EnergySystem(sites, cfg, START, 6, np.random.default_rng(seed))
    roll = np.random.default_rng(seed + 1)
    hits = [random_hits(sites, roll, 4.0) for _ in range(6)]
    later = np.zeros(n, bool)
    for h in hits[night + 1:]:
        later |= h > 0
    more = (roll.random(n) < 0.05) & ~later & (sites["type"] != "water_utility").to_numpy()
    for k in range(6):
        oa = a.night(k, hits[k])
        ob = b.night(k, hits[k] + (more * extra if k == night else 0))
        assert ob["served_mw"] <= oa["served_mw"] + 1e-6
        assert ob["energy_served_mwh"] <= oa["energy_served_mwh"] + 1e-6


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


def test_a_heavy_winter_needs_at_most_two_solves_a_night(sites):
    """A 151-night winter with drone hits every night and a missile salvo every 12 nights
    needs at most two load-shedding solves a night (the evening peak, and the lowest block
    when a branch binds). Its speed is measured by ``python scripts/bench_energy.py`` and
    ``python -m sim bench``, not here."""
    rng = np.random.default_rng(11)
    hits = [{"drone": random_hits(sites, rng, 8.0)} for _ in range(151)]
    for k in range(5, 151, 12):
        hits[k]["cruise"] = random_hits(sites, rng, 25.0)
    es = EnergySystem(sites, EnergyConfig(), START, 151, np.random.default_rng(4))
    for k in range(151):
        es.night(k, hits[k])
    assert 0 < es.lp.solves <= 2 * 151


def test_fast_block_rule_matches_exact_blocks(sites):
    """The fast rule for the lower load blocks (closed form, or the LP's sensitivities at the
    peak and the lowest block) stays within 2 % of solving every block, and the evening peak
    is identical."""
    rng = np.random.default_rng(21)
    hits = [{"drone": random_hits(sites, rng, 10.0)} for _ in range(40)]
    for k in range(3, 40, 9):
        hits[k]["cruise"] = random_hits(sites, rng, 15.0)
    tabs = []
    for exact in (True, False):
        es = EnergySystem(sites, EnergyConfig(exact_load_blocks=exact), START, 40,
                          np.random.default_rng(7))
        for k in range(40):
            es.night(k, hits[k])
        tabs.append(es.night_table())
    ex, fa = tabs
    assert ex["energy_not_served_mwh"].sum() > 0
    np.testing.assert_allclose(fa["served_mw"], ex["served_mw"], rtol=1e-6, atol=1e-3)
    assert fa["energy_not_served_mwh"].sum() == pytest.approx(ex["energy_not_served_mwh"].sum(),
                                                              rel=0.02)
    assert fa["lp_solves"].sum() < ex["lp_solves"].sum()
