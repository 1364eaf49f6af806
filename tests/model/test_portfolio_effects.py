"""Each option of ``defense.portfolio`` acting through its mechanism of the model.

Closed forms in limiting cases: passive protection with damage factor f = 0.5 halves the
expected capacity lost on a one-site grid; a stock of k spare autotransformers covers exactly k
of m simultaneous losses; missile interceptors bought for a system with two shots per
ballistic missile engage at most S/2 of them (S the stock the money bought); c more repair
teams finish J equal jobs in ceil(J / c) x D days; fire groups with p_engage = pk = 1 kill
min(n, floor(cap x g)); an EW station adds its loss chance to the drones aimed at its site;
distributed generation serves min(D, supply + G) at its node; batteries cover the evening
peak up to their energy. And on the whole model: an option at zero money changes nothing,
the programme as an option is today's programme, and more money for one option never serves
less demand on the same seed against the static attacker.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from sim.config.errors import ScenarioError
from sim.config.io import with_overrides
from sim.config.portfolio import OPTIONS
from sim.config.schema import Scenario
from sim.experiments.runs import run_one
from sim.model import air_defense
from sim.model.defense_model import DefenseModel
from sim.model.energy.network import EnergyNetwork
from sim.model.energy.repairs import RepairBook
from sim.model.energy.system import EnergySystem
from sim.model.missile_threat import CLASSES, MissileRaid
from sim.model.night import Night
from sim.model.portfolio_effects import ew_station_losses
from sim.model.theatre import theatre_for
from sim.model.threat import TARGET_SITE
from tests.model.energy.test_system import hits_for, small_config, small_system, write_grid

START = dt.date(2025, 11, 1)


# --------------------------------------------------------------------------- scenarios
def lead_free(option: str) -> dict:
    """Every item of an option arriving without lead time (so a short period sees it)."""
    from sim.config.portfolio_options import option_defaults

    if option == "interceptor_drones":
        return {}
    items = option_defaults(option)["items"]
    return {option: {"items": {k: {"lead_time_days": 0} for k in items}}}


def winter(nl200m, nights: int = 20, start: str = "2026-01-05", **over) -> Scenario:
    return with_overrides(nl200m, {"period.start_date": start, "period.nights": nights, **over})


def with_portfolio(sc: Scenario, portfolio: dict | None, budget: float | None = None) -> Scenario:
    over = {"defense.portfolio": portfolio}
    if budget is not None:
        over["defense.budget_eur"] = budget
    return with_overrides(sc, over)


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


# --------------------------------------------------------------------------- whole model
def test_programme_as_an_option_is_todays_programme(nl200m):
    sc = winter(nl200m, 15)
    a = run_one(sc, seed=3)
    b = run_one(with_portfolio(sc, {"shares": {"interceptor_drones": 1.0}}), seed=3)
    frames_equal(a.nights, b.nights)
    assert a.outcomes == b.outcomes


@pytest.mark.parametrize("option", [o for o in OPTIONS if o != "interceptor_drones"])
def test_an_option_at_zero_money_changes_nothing(nl200m, option):
    sc = winter(nl200m, 12)
    base = run_one(sc, seed=5)
    zero = with_portfolio(sc, {"amounts_eur": {"interceptor_drones": 2e8, option: 0.0},
                               "options": lead_free(option)})
    frames_equal(base.nights, run_one(zero, seed=5).nights)


def test_no_budget_is_no_spending_whatever_the_shares(nl200m):
    sc = winter(nl200m, 10, **{"defense.budget_eur": 0})
    base = run_one(sc, seed=2)
    for option in OPTIONS:
        pf = {"shares": {option: 1.0}, "options": lead_free(option)}
        frames_equal(base.nights, run_one(with_portfolio(sc, pf), seed=2).nights)


MONEY = (0.0, 2e7, 2e8)


def scarce(nl200m, nights: int = 45) -> Scenario:
    """January and February nights against the static attacker with no missile-defence stock,
    spares or repair crews to spare, so that every option's money shows within a few weeks."""
    systems = {name: {"interceptors_start": 0, "resupply_per_month": 0}
               for name in nl200m.defense.missile_defense.systems}
    return winter(nl200m, nights, **{
        "threat.attacker.strategy": "static", "defense.missile_defense.systems": systems,
        "energy.spare_transformers": 0, "energy.spare_transformer_deliveries_per_30_days": 0,
        "energy.repair_crews": 4})


def served_by_money(sc: Scenario, option: str, seed: int) -> list[float]:
    out = []
    for m in MONEY:
        pf = {"amounts_eur": {option: m}, "options": lead_free(option)}
        out.append(run_one(with_portfolio(sc, pf, budget=2e8), seed=seed)
                   .outcomes["demand_served_fraction"])
    return out


def rises(values: list[float]) -> bool:
    return all(b >= a - 1e-12 for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize("option", [o for o in OPTIONS if o != "interceptor_drones"])
def test_more_money_never_serves_less_demand_against_the_static_attacker(nl200m, option):
    """Common random numbers: the same seed, the static attacker (it does not see the
    defence), each option's items arriving without lead time. These options act after the
    raid is launched (missile stocks, EW near the sites, fire groups after the interceptors,
    damage, repairs, supply), so the same drones fly and more money only takes away hits or
    damage. The most money must also serve more on some seed (the check can fail)."""
    sc = scarce(nl200m)
    gained = False
    for seed in (1, 2):
        served = served_by_money(sc, option, seed)
        assert rises(served), (option, seed, served)
        gained |= served[-1] > served[0]
    assert gained, f"{option}: EUR 200M changed nothing"


def test_more_programme_money_never_serves_less_on_average(nl200m):
    """The programme's teams move the raid itself (drones route around the interceptor
    envelopes they know of), so two budgets do not fly the same drones and a seed can serve
    less with more money (seed 1, 25 January nights: EUR 20M serves 0.5 pp less than
    nothing). The mean over seeds still rises, up to the noise of a raid that moves: from the
    start state of 1 Oct 2025 (the damage ledger) the two larger budgets serve the same to
    within 0.01 pp over four seeds, so a step may fall by at most 0.1 pp; the most money must
    serve more than none."""
    sc = scarce(nl200m, 30)
    served = np.mean([served_by_money(sc, "interceptor_drones", s) for s in (1, 2, 3, 4)],
                     axis=0)
    assert all(b >= a - 1e-3 for a, b in zip(served, served[1:], strict=False)), served
    assert served[-1] > served[0], served


def test_unwired_options_are_refused(nl200m, monkeypatch):
    """An option whose effect the model does not apply cannot take money (no silent no-op)."""
    import sim.config.portfolio as P

    monkeypatch.setattr(P, "WIRED", frozenset({"interceptor_drones"}))
    with pytest.raises(ScenarioError, match=r"defense\.portfolio\.shares\.ew_stations: "
                                            r"electronic-warfare stations: the model does not "
                                            r"apply this option yet"):
        with_portfolio(nl200m, {"shares": {"ew_stations": 1.0}})
    with_portfolio(nl200m, {"amounts_eur": {"interceptor_drones": 1e8, "ew_stations": 0.0}})


def test_options_whose_mechanism_is_off_are_refused(nl200m):
    with pytest.raises(ScenarioError, match=r"shares\.missile_interceptors: .*missiles are not "
                                            r"simulated"):
        with_overrides(nl200m, {"threat.missiles.enabled": False, "defense.portfolio":
                                {"shares": {"missile_interceptors": 1.0}}})
    with pytest.raises(ScenarioError, match=r"shares\.mobile_fire_groups: .*engages nothing"):
        with_overrides(nl200m, {"defense.layers.mobile_fire_groups.p_engage": 0.0,
                                "defense.portfolio": {"shares": {"mobile_fire_groups": 1.0}}})


def test_node_weights_name_load_nodes(nl200m):
    pf = {"shares": {"distributed_generation": 1.0},
          "options": {"distributed_generation": {"node_weights": {"no_such_node": 1.0}}}}
    with pytest.raises(ScenarioError, match=r"node_weights: 'no_such_node' is not a grid node"):
        theatre_for(with_portfolio(winter(nl200m, 3), pf))


# --------------------------------------------------------------------------- missiles
def oracle_scenario(nl200m, money: float) -> Scenario:
    """One missile-defence system, two shots per ballistic missile, no stock of its own: all
    its interceptors are what the portfolio buys (EUR 1M each, delivered before night 0)."""
    systems = {name: {"enabled": False} for name in nl200m.defense.missile_defense.systems}
    systems["oracle"] = {
        "interceptors_start": 0, "resupply_per_month": 0, "interceptor_cost_eur": 1e6,
        "classes_engaged": ["ballistic"], "pk": {"ballistic": 0.5},
        "interceptors_per_engagement": {"ballistic": 2}, "coverage_share": {"ballistic": 1.0}}
    items = {name: {"share": 0.0} for name in nl200m.defense.missile_defense.systems}
    items["oracle"] = {"share": 1.0, "lead_time_days": 0}
    sc = winter(nl200m, 3, start="2025-11-01", **{"defense.missile_defense.systems": systems})
    return with_portfolio(sc, {"amounts_eur": {"missile_interceptors": money},
                               "options": {"missile_interceptors": {"items": items}}}, 2e8)


@pytest.mark.parametrize("money, ballistic", [(0.0, 5), (7e6, 10), (8e6, 3), (31e6, 40)])
def test_missile_stock_bought_engages_at_most_half_as_many_ballistic_missiles(
        nl200m, money, ballistic):
    sc = oracle_scenario(nl200m, money)
    model = DefenseModel(sc, seed=0)
    stock = int(money // 1e6)
    night = Night(index=0, date=model.dates[0], root=model.root, launches=0,
                  n_sites=len(model.sites))
    cls = np.full(ballistic, CLASSES.index("ballistic"))
    night.missile_raid = MissileRaid(cls=cls, target_kind=np.zeros(ballistic, int),
                                     target=np.zeros(ballistic, int),
                                     target_xy=np.zeros((ballistic, 2)),
                                     cost_eur=np.zeros(ballistic))
    model.command._missiles(night)
    res = night.missiles.defense
    assert int(res.engaged.sum()) == min(ballistic, stock // 2)
    assert int(res.interceptors_used_by_system.sum()) == 2 * min(ballistic, stock // 2)
    assert int(res.stocks_after.sum()) == stock - 2 * min(ballistic, stock // 2)


def test_missile_deliveries_add_to_the_stock_night_by_night(nl200m):
    """Without missiles and SAM shots at drones the stock is the start, the resupply and the
    portfolio's deliveries, exactly."""
    sc = winter(nl200m, 40, start="2026-01-01", **{
        "threat.missiles.intensity_multiplier": 0.0,
        "defense.layers.missile_defense.missiles_per_night": 0})
    base = DefenseModel(sc, seed=0)
    pf = DefenseModel(with_portfolio(sc, {"shares": {"missile_interceptors": 1.0}}), seed=0)
    lv = pf.theatre.portfolio
    for _ in range(40):
        base.step()
        pf.step()
    delivered = lv.missiles_new.sum(axis=0)
    assert delivered.sum() > 0
    np.testing.assert_array_equal(pf.command.missile_stock - base.command.missile_stock,
                                  delivered)


# --------------------------------------------------------------------------- fire groups and EW
class _Raid:
    def __init__(self, n: int, target_site: int = 0, kind: int = 0):
        self.n = n
        self.kind = np.full(n, kind)
        self.altitude_m = np.full(n, 100.0)
        self.t_impact = np.linspace(1000.0, 2000.0, n)
        self.t_border = np.full(n, 100.0)
        self.target_kind = np.full(n, TARGET_SITE)
        self.target = np.full(n, target_site)


@pytest.mark.parametrize("groups, cap, n", [(0, 10, 50), (900, 10, 50), (450, 10, 12),
                                            (2700, 7, 100)])
def test_fire_groups_kill_min_n_and_cap_times_g(nl200m, groups, cap, n):
    sc = with_overrides(nl200m, {"defense.layers.mobile_fire_groups.p_engage": 1.0,
                                 "defense.layers.mobile_fire_groups.pk": 1.0,
                                 "defense.layers.mobile_fire_groups.engagements_per_night": cap})
    base = sc.defense.portfolio  # none: build the level by hand
    assert base is None
    from sim.model.portfolio_effects import PortfolioLevels

    g = (900 + groups) / 900
    lv = PortfolioLevels.__new__(PortfolioLevels)
    object.__setattr__(lv, "fire_group_factor", np.array([g]))
    object.__setattr__(lv, "_cache", {})
    cfg = lv.fire_group_config(sc.defense.layers.mobile_fire_groups, 0)
    raid = _Raid(n)
    alive = np.ones(n, bool)
    _, killed = air_defense.fire_groups(raid, alive, alive, cfg, np.random.default_rng(0))
    assert int(killed.sum()) == min(n, math.floor(cap * g + 1e-9))


def test_fire_groups_meet_more_drones_as_one_minus_the_miss_chance_to_the_g():
    from sim.model.portfolio_effects import PortfolioLevels

    lv = PortfolioLevels.__new__(PortfolioLevels)
    object.__setattr__(lv, "fire_group_factor", np.array([2.5]))
    object.__setattr__(lv, "_cache", {})
    cfg = Scenario(name="t").defense.layers.mobile_fire_groups.model_copy(
        update={"p_engage": 0.3, "pk": 1.0, "engagements_per_night": 10**6})
    cfg = lv.fire_group_config(cfg, 0)
    n = 20000
    raid = _Raid(n)
    alive = np.ones(n, bool)
    engaged, _ = air_defense.fire_groups(raid, alive, alive, cfg, np.random.default_rng(1))
    p = 1 - 0.7 ** 2.5
    assert abs(engaged.mean() - p) <= 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("p_ew, extra", [(0.4, 0.2), (0.0, 0.5), (0.3, 0.0)])
def test_ew_station_adds_its_chance_to_drones_aimed_at_its_site(p_ew, extra):
    n = 20000
    raid = _Raid(n, target_site=1)
    rng = np.random.default_rng(7)
    lost = rng.random(n) < p_ew
    t_lost = np.where(lost, 500.0, np.inf)
    guarded = np.array([False, True, False])
    p_extra = np.array([extra, 0.0, 0.0])  # by type: shahed, jet, decoy
    lost2, t2 = ew_station_losses(raid, guarded, p_extra, lost, t_lost,
                                  np.random.default_rng(8))
    p = 1 - (1 - p_ew) * (1 - extra)
    assert abs(lost2.mean() - p) <= 4 * math.sqrt(p * (1 - p) / n) + 1e-12
    assert np.all(lost2[lost]) and np.all(t2[lost] == 500.0)  # a station only adds losses
    new = lost2 & ~lost
    assert np.all(t2[new] >= raid.t_impact[new] - 0.1 * (raid.t_impact[new] - 100.0))
    # unguarded site: nothing changes
    raid0 = _Raid(n, target_site=0)
    lost3, _ = ew_station_losses(raid0, guarded, p_extra, lost, t_lost, np.random.default_rng(8))
    np.testing.assert_array_equal(lost3, lost)


def test_ew_stations_guard_the_most_critical_sites_first(nl200m):
    sc = with_portfolio(winter(nl200m, 30, start="2026-01-01"),
                        {"shares": {"ew_stations": 1.0}, "options": lead_free("ew_stations")})
    th = theatre_for(sc)
    lv = th.portfolio
    k = len(th.dates) - 1
    guarded = lv.guarded(k)
    n = int(lv.ew_active[k])
    assert n > 0 and guarded.sum() == n
    from sim.model.basing import site_criticality

    crit = site_criticality(th.sites, sc.energy)
    assert crit[guarded].min() >= crit[~guarded & th.site_operational].max() - 1e-9


# --------------------------------------------------------------------------- energy
def one_site(tmp_path, units: int, damage: float, **cfg):
    """The small test grid with one damageable site: plant P (``units`` units of 1000/units MW
    each) hit by drones with damage fraction ``damage``."""
    text = ("id,name,type,lat,lon,capacity_mw,gas_mcm_per_day,operator,oblast,region_id,status,"
            "estimate,source,node,units\n"
            f"plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,operational,False,test,pp_p,"
            f"{units}\n")
    conf = small_config(damage_fraction_per_hit={"thermal": damage}, **cfg)
    return small_system(tmp_path, 4, conf, sites=text)


def _units_out(book: RepairBook, nights: int, factor: float | None) -> np.ndarray:
    hits = {"drone": np.ones(book.network.n_sites, np.int64)}
    out = np.zeros(nights)
    for k in range(nights):
        book.job_group = book.job_group[:0]
        book.job_rem = book.job_rem[:0]
        book.job_mw = book.job_mw[:0]
        book.job_missile = book.job_missile[:0]
        book.damage_factor = (None if factor is None else
                              (np.full(book.network.n_sites, factor),
                               np.ones(book.network.n_sites)))
        book.add_hits(hits, k)
        out[k] = book.units_down().sum()
    return out


def test_protection_halves_the_capacity_lost_exactly_when_a_hit_takes_whole_units(tmp_path):
    sites, es = one_site(tmp_path, units=4, damage=0.5)  # a hit: x = 0.5 x 4 = 2 units
    book = RepairBook(es.network, np.random.default_rng(0))
    full = _units_out(book, 50, None)
    half = _units_out(RepairBook(es.network, np.random.default_rng(0)), 50, 0.5)
    assert np.all(full == 2) and np.all(half == 1)  # 500 MW and 250 MW lost per hit


def test_protection_factor_half_halves_the_expected_capacity_lost(tmp_path):
    sites, es = one_site(tmp_path, units=10, damage=0.37)  # x = 3.7 units, f x = 1.85
    n = 4000
    full = _units_out(RepairBook(es.network, np.random.default_rng(1)), n, None)
    half = _units_out(RepairBook(es.network, np.random.default_rng(1)), n, 0.5)
    unit_mw = 100.0
    for got, x in ((full, 3.7), (half, 1.85)):
        frac = x - int(x)  # int(x) surely, one more with probability frac
        se = math.sqrt(frac * (1 - frac) / n)
        assert abs(got.mean() - x) <= 4 * se, (got.mean(), x)
    assert np.all(half <= full)  # the same draws: protection never adds damage
    assert unit_mw * half.mean() / (unit_mw * full.mean()) == pytest.approx(0.5, abs=0.03)


def at_grid(tmp_path, units: int, spare_days: int = 5, no_spare_days: int = 60, **kw):
    """The small grid with an autotransformer node of ``units`` groups; one hit takes them
    all."""
    from tests.model.energy import test_system as T

    nodes = T.NODES.replace("ss_x,X,substation,50.0,31.0,750,reg_a,operational,1,1000,0.01",
                            f"ss_x,X,substation,50.0,31.0,750,reg_a,operational,{units},1000,0.01")
    cfg = small_config(spare_transformers=0, spare_transformer_deliveries_per_30_days=0.0,
                       repair_days={"substation_750": {"median_days": spare_days, "sigma": 0.0}},
                       substation_repair_without_spare_750={"median_days": no_spare_days,
                                                            "sigma": 0.0, "min_days": 1},
                       **kw)
    return small_system(tmp_path, 10, cfg, nodes=nodes)


@pytest.mark.parametrize("units, spares", [(5, 3), (5, 0), (4, 4), (3, 7)])
def test_k_spares_cover_exactly_k_simultaneous_losses(tmp_path, units, spares):
    sites, es = at_grid(tmp_path, units)
    es.repairs.spares_left += spares  # what the portfolio's deliveries do (GridOperator)
    es.night(0, hits_for(sites, sub_x=1))
    rem = np.sort(es.repairs.job_rem)
    assert len(rem) == units
    covered = min(spares, units)
    assert list(rem) == [5] * covered + [60] * (units - covered)
    assert es.repairs.spares_left == spares - covered


@pytest.mark.parametrize("jobs, crews", [(6, 2), (7, 3), (5, 5), (4, 1)])
def test_more_repair_teams_finish_equal_jobs_in_ceil_j_over_c_times_d(tmp_path, jobs, crews):
    sites, es = at_grid(tmp_path, jobs, no_spare_days=4, repair_crews=0,
                        max_parallel_repairs_per_site=100)
    book = es.repairs
    book.extra_crews = float(crews)  # no crews of its own: all are the option's teams
    es.night(0, hits_for(sites, sub_x=1))
    days = 0
    while book.job_group.size:
        book.advance()
        days += 1
    assert days == math.ceil(jobs / crews) * 4


def local_grid(tmp_path, **cfg):
    """Plant P (2 x 500 MW) feeding city A (740 MW at the peak) over one line; with blocks of
    4 h at the peak and 20 h at 0.6 of it."""
    regions = "id,name,lat,lon,peak_demand_mw,source\nreg_a,Region A,50.0,30.0,740,test\n"
    nodes = ("id,name,kind,lat,lon,voltage_kv,region_id,status,at750_count,at750_mva,"
             "at750_x_pu,lt_count,lt_mva,interconnector,islanded_reason\n"
             "pp_p,P,plant,50.0,30.0,330,reg_a,operational,0,0,0,0,0,,\n"
             "cs_a,A,city,50.0,30.5,330,reg_a,operational,0,0,0,0,0,,\n")
    lines = ("id,from_node,to_node,voltage_kv,circuits,x_ohm,rating_mw,status\n"
             "l_pa,pp_p,cs_a,330,1,10,2000,operational\n")
    loads = "node,region_id,share_of_region\ncs_a,reg_a,1.0\n"
    sites = ("id,name,type,lat,lon,capacity_mw,gas_mcm_per_day,operator,oblast,region_id,"
             "status,estimate,source,node,units\n"
             "plant_p,Plant P,thermal,50.0,30.0,1000,0,x,A,reg_a,operational,False,test,pp_p,2\n")
    p = write_grid(tmp_path, sites=sites, regions=regions, nodes=nodes, lines=lines,
                   loads=loads)
    from sim.config.data import load_regions, load_sites
    from sim.config.grid_data import load_grid

    s = load_sites(p["sites"])
    r = load_regions(p["regions"])
    grid = load_grid(p["nodes"], p["lines"], p["loads"], r)
    conf = small_config(damage_fraction_per_hit={"thermal": 0.5}, load_block_hours=[4.0, 20.0],
                        load_block_factors=[1.0, 0.6], **cfg)
    net = EnergyNetwork(s, conf, START, 6, regions=r, grid=grid, local_generation=True)
    return s, EnergySystem(s, conf, START, 6, np.random.default_rng(0), network=net)


@pytest.mark.parametrize("gen_mw", [0.0, 100.0, 240.0, 500.0])
def test_distributed_generation_serves_min_of_demand_and_supply_plus_it(tmp_path, gen_mw):
    sites, es = local_grid(tmp_path)
    es.set_local(np.array([gen_mw]), None, 2.0)
    o = es.night(0, hits_for(sites, plant_p=1))  # one unit out: 500 MW for 740 MW
    assert o["served_mw"] == pytest.approx(min(740.0, 500.0 + gen_mw))


@pytest.mark.parametrize("battery_mw, hours", [(200.0, 2.0), (1000.0, 2.0), (100.0, 8.0)])
def test_batteries_cover_the_peak_up_to_their_energy(tmp_path, battery_mw, hours):
    sites, es = local_grid(tmp_path)
    es.set_local(np.array([0.0]), np.array([battery_mw]), hours)
    o = es.night(0, hits_for(sites, plant_p=1))
    # the 20 h block (444 MW) is served in full, so the batteries recharge; at the 4 h peak
    # they give min(shed, P x min(1, hours / 4))
    assert o["served_mw"] == pytest.approx(500.0 + min(240.0, battery_mw * min(1.0, hours / 4)))


def test_batteries_do_nothing_when_no_block_leaves_a_surplus(tmp_path):
    sites, es = local_grid(tmp_path)
    es.set_local(np.array([0.0]), np.array([1000.0]), 4.0)
    o = es.night(0, hits_for(sites, plant_p=2))  # both units out: nothing to recharge from
    assert o["served_mw"] == pytest.approx(0.0)
