"""Closed-form results the engine must reproduce in limiting cases (Monte Carlo, with a
confidence interval of 4 standard errors, so a correct engine fails about once in 16,000 runs
and a wrong one is caught).

* independent shots: n single-shot sites along a route -> leak fraction (1 - pk)^n;
* shoot-look-shoot: one interceptor attacking up to m times -> leak (1 - pk)^m, one
  interceptor per drone;
* saturation: c crews with one sortie each against a simultaneous salvo of A > c drones ->
  expected kills c * pk;
* layered defence: leak = product of the layers' leak probabilities (full model).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.engagement import Teams, run_interceptors
from sim.model import DefenseModel
from sim.scenario import Scenario, with_overrides
from sim.threat import Raid

V_SHAHED = 185 / 3600


def straight_raid(n, start=(0.0, -400.0), end=(0.0, 0.0), t_launch=None, kind=0):
    pts = np.zeros((n, 2, 2))
    pts[:, 0] = start
    pts[:, 1] = end
    t0 = np.zeros(n) if t_launch is None else np.asarray(t_launch, float)
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    times = np.stack([t0, t0 + length / V_SHAHED], 1)
    return Raid(
        kind=np.full(n, kind), area=np.zeros(n, int), target_kind=np.zeros(n, int),
        target=np.zeros(n, int), pts=pts, times=times, speed_kms=np.full(n, V_SHAHED),
        altitude_m=np.full(n, 500.0), t_border=t0, cost_eur=np.full(n, 50_000.0),
    )


def icfg(**kw):
    sc = with_overrides(Scenario(name="t"), {f"defense.interceptor.{k}": v for k, v in kw.items()})
    return sc.defense.interceptor, sc.defense.crews


def within(observed, expected_p, n, k=4.0):
    se = math.sqrt(max(expected_p * (1 - expected_p), 1e-12) / n)
    return abs(observed - expected_p) <= k * se


def fight(raid, teams, interceptor, crews, pool=(10**9, 0), seed=0, allocator="greedy"):
    t_track = raid.t_launch.copy()
    t_gone = raid.t_impact.copy()
    return run_interceptors(
        raid, t_track, t_gone, np.ones(raid.n, bool), teams, pool, interceptor, crews, allocator,
        30.0, np.random.default_rng(seed),
    )


def test_independent_shots_leak_is_one_minus_pk_to_the_n():
    pk, n_sites, trials = 0.5, 3, 4000
    # A miss is assessed for 1,200 s: long enough for the drone to leave a site's 25 km
    # envelope (~970 s at 185 km/h) and short enough to reach the next site 100 km on.
    interceptor, crews = icfg(pk=pk, reengage=False, look_s=1200)
    xy = np.array([[0.0, -300.0], [0.0, -200.0], [0.0, -100.0]])
    leaked = 0
    rng = np.random.default_rng(1)
    for _trial in range(trials // 100):
        # 100 drones far apart in time so that each site has a fresh crew for every drone.
        raid = straight_raid(100, t_launch=np.arange(100) * 4000.0)
        teams = Teams(xy=xy, programme=np.zeros(3, int), crews=np.full(3, 1), sorties_per_crew=100)
        res = fight(raid, teams, interceptor, crews, seed=int(rng.integers(1 << 30)))
        leaked += int((~res.killed).sum())
        assert res.launched[0] <= 3 * 100
    assert within(leaked / trials, (1 - pk) ** n_sites, trials)


def test_shoot_look_shoot_with_one_interceptor():
    pk, m, trials = 0.4, 3, 4000
    interceptor, crews = icfg(pk=pk, reengage=True, max_attacks_per_sortie=m, endurance_min=120,
                              reattack_turn_s=5, p_recover_on_miss=0.0, look_s=1e6)
    raid = straight_raid(trials, t_launch=np.arange(trials) * 4000.0)
    teams = Teams(xy=np.array([[0.0, -100.0]]), programme=np.zeros(1, int), crews=np.ones(1, int),
                  sorties_per_crew=trials)
    res = fight(raid, teams, interceptor, crews, seed=7)
    assert within(float((~res.killed).mean()), (1 - pk) ** m, trials)
    # One interceptor per drone whatever the number of attacks it flew.
    assert res.launched[0] == trials
    attacks = np.array(res.log.attacks)
    assert attacks.max() == m


def test_shoot_look_shoot_with_fresh_interceptors_uses_the_geometric_mean():
    pk, trials = 0.5, 3000
    # Misses are assessed (look) and a new interceptor is launched while the drone is in reach.
    interceptor, crews = icfg(pk=pk, reengage=False, look_s=20, p_recover_on_miss=0.0)
    raid = straight_raid(trials, t_launch=np.arange(trials) * 4000.0)
    teams = Teams(xy=np.array([[0.0, -100.0]]), programme=np.zeros(1, int), crews=np.ones(1, int),
                  sorties_per_crew=10 * trials)
    crews = crews.model_copy(update={"reset_s": 0.0})
    res = fight(raid, teams, interceptor, crews, seed=3)
    shots = np.bincount(np.array(res.log.attacker), minlength=trials)
    # Each further shot happens only after a miss: the number of shots per drone is truncated
    # geometric, and kills / shots estimate pk.
    assert within(res.kills[0] / res.launched[0], pk, int(res.launched[0]))
    assert shots.max() >= 2


@pytest.mark.parametrize("allocator", ["greedy", "optimal"])
def test_saturation_c_crews_against_a_salvo(allocator):
    pk, c, a, trials = 0.7, 5, 20, 400
    interceptor, crews = icfg(pk=pk, reengage=False, look_s=1e6)
    kills = []
    for s in range(trials):
        raid = straight_raid(a)  # all launched together on one route: a simultaneous salvo
        teams = Teams(xy=np.array([[0.0, -50.0]]), programme=np.zeros(1, int),
                      crews=np.array([c]), sorties_per_crew=1)
        res = fight(raid, teams, interceptor, crews, seed=s, allocator=allocator)
        assert res.launched[0] == c  # every crew flies its one sortie, no more
        kills.append(int(res.killed.sum()))
    kills = np.array(kills)
    se = math.sqrt(c * pk * (1 - pk) / trials)
    assert abs(kills.mean() - c * pk) <= 4 * se
    leak = a - kills.mean()
    assert abs(leak - (a - c * pk)) <= 4 * se


def test_layered_defence_is_product_of_layer_leaks():
    """Full model: EW, one interceptor shot, fire groups and missiles, no capacity limits."""
    p_ew, pk_i, pk_m, pk_s = 0.3, 0.5, 0.4, 0.6
    months = {m: {"p_attack_night": 1.0, "mean": 100, "dispersion": 1e6} for m in range(1, 13)}
    sc = with_overrides(Scenario(name="layers"), {
        "period.nights": 30,
        "threat.launches.profile": "custom",
        "threat.launches.monthly": months,
        "threat.decoy_share": 0.0, "threat.jet_share": 0.0,
        "threat.targeting.energy_share": 1.0,
        "threat.types.shahed.p_lost_ew": p_ew,
        "threat.routing.avoid_defended_zones": False,
        "defense.budget_eur": 0,
        "defense.sensors.acoustic.p_detect": 1.0,
        "defense.sensors.acoustic.max_altitude_m": 20000,
        "defense.sensors.surveillance.count": 0,
        "defense.interceptor.pk": pk_i,
        "defense.interceptor.reengage": False,
        "defense.interceptor.look_s": 1e7,
        "defense.interceptor.max_altitude_m": 20000,
        "defense.crews.crews_per_site": 50,
        "defense.crews.sorties_per_crew_per_night": 200,
        "defense.layers.existing_interceptors.launch_sites": 1,
        "defense.layers.existing_interceptors.interceptors_per_night": 100000,
        "defense.layers.existing_interceptors.basing": "energy_sites",
        "defense.layers.mobile_fire_groups.p_engage": 1.0,
        "defense.layers.mobile_fire_groups.max_altitude_m": 20000,
        "defense.layers.mobile_fire_groups.pk": pk_m,
        "defense.layers.mobile_fire_groups.engagements_per_night": 100000,
        "defense.layers.missile_defense.p_engage": 1.0,
        "defense.layers.missile_defense.pk": pk_s,
        "defense.layers.missile_defense.missiles_per_night": 100000,
        "energy.enabled": False,
    })
    from sim.infrastructure import load_sites

    sites = load_sites()
    one = sites[sites["id"] == sites[sites["type"] == "chp"]["id"].iloc[0]].reset_index(drop=True)
    model = DefenseModel(sc, seed=11, sites=one)
    model.run()
    df = pd.DataFrame(model.night_rows)
    n = int(df["launched"].sum())
    leak = df["leaked"].sum() / n
    expected = (1 - p_ew) * (1 - pk_i) * (1 - pk_m) * (1 - pk_s)
    assert n > 2000
    assert within(leak, expected, n)
    # Each layer's share of what reached it matches its kill probability.
    reached_i = n - df["lost_ew"].sum()
    assert within(df["destroyed_existing_interceptors"].sum() / reached_i, pk_i, reached_i)
