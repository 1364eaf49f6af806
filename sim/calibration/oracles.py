"""Analytic oracles: closed-form results the engine must reproduce in limiting cases.

Each function runs the real engine (:func:`sim.model.engagement.run_interceptors`, or the whole
:class:`sim.model.defense_model.DefenseModel` for the layered case) in a limiting case with a known answer
and returns an :class:`OracleResult` (expected, observed, 95% CI, pass/fail by the 4-standard-
error rule). The tests (``tests/calibration/test_oracles.py``) and the validation report
(``python -m sim validate-model``) both call these functions, so the report shows exactly what
the tests check.

* independent shots: n single-shot sites along a route -> leak fraction (1 - pk)^n;
* shoot-look-shoot: one interceptor attacking up to m times -> leak (1 - pk)^m;
* fresh interceptors after each look: kills / shots = pk;
* saturation: c crews with one sortie each against a salvo of A > c -> kills c * pk;
* layered defence: leak = product of the layers' leak probabilities (full model);
* intercept geometry: head-on D / (v + w) and tail-chase D / (v - w).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

V_SHAHED_KMS = 185 / 3600


@dataclass
class OracleResult:
    """An analytic check: expected value, observed value and its 95% confidence interval.

    ``passed`` uses the tests' acceptance rule: ``|observed - expected| <= 4`` standard errors
    (a correct engine fails about once in 16,000 runs); deterministic checks use a relative
    tolerance of 1e-9.
    """

    name: str
    quantity: str
    expected: float
    observed: float
    ci_low: float
    ci_high: float
    n: int
    passed: bool
    source: str = ""
    extra: dict = field(default_factory=dict)

    def as_tuple(self) -> tuple[float, float, tuple[float, float]]:
        """``(expected, observed, (ci_low, ci_high))``."""
        return self.expected, self.observed, (self.ci_low, self.ci_high)


def _prop_result(name, quantity, expected, successes, n, source) -> OracleResult:
    obs = successes / n
    se_obs = math.sqrt(max(obs * (1 - obs), 1e-12) / n)
    se_exp = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
    return OracleResult(name, quantity, float(expected), float(obs), obs - 1.96 * se_obs,
                        obs + 1.96 * se_obs, int(n), abs(obs - expected) <= 4 * se_exp, source)


def _straight_raid(n, start=(0.0, -400.0), end=(0.0, 0.0), t_launch=None, kind=0):
    from sim.model.threat import Raid

    pts = np.zeros((n, 2, 2))
    pts[:, 0] = start
    pts[:, 1] = end
    t0 = np.zeros(n) if t_launch is None else np.asarray(t_launch, float)
    length = math.hypot(end[0] - start[0], end[1] - start[1])
    times = np.stack([t0, t0 + length / V_SHAHED_KMS], 1)
    return Raid(
        kind=np.full(n, kind), area=np.zeros(n, int), target_kind=np.zeros(n, int),
        target=np.zeros(n, int), pts=pts, times=times, speed_kms=np.full(n, V_SHAHED_KMS),
        altitude_m=np.full(n, 500.0), t_border=t0, cost_eur=np.full(n, 50_000.0),
    )


def _icfg(**kw):
    from sim.config.io import with_overrides
    from sim.config.schema import Scenario

    sc = with_overrides(Scenario(name="oracle"),
                        {f"defense.interceptor.{k}": v for k, v in kw.items()})
    return sc.defense.interceptor, sc.defense.crews


def _fight(raid, teams, interceptor, crews, seed, allocator="greedy"):
    from sim.model.engagement import run_interceptors

    return run_interceptors(
        raid, raid.t_launch.copy(), raid.t_impact.copy(), np.ones(raid.n, bool), teams,
        (10**9, 0), interceptor, crews, allocator, 30.0, np.random.default_rng(seed),
    )


def oracle_independent_shots(pk: float = 0.5, n_sites: int = 3, trials: int = 4000,
                             seed: int = 1) -> OracleResult:
    """n single-shot sites along a route: leak fraction ``(1 - pk)^n``."""
    from sim.model.engagement import Teams

    interceptor, crews = _icfg(pk=pk, reengage=False, look_s=1200)
    xy = np.array([[0.0, -300.0 + 100.0 * i] for i in range(n_sites)])
    rng = np.random.default_rng(seed)
    leaked = 0
    for _ in range(trials // 100):
        raid = _straight_raid(100, t_launch=np.arange(100) * 4000.0)
        teams = Teams(xy=xy, programme=np.zeros(n_sites, int), crews=np.ones(n_sites, int),
                      sorties_per_crew=100)
        res = _fight(raid, teams, interceptor, crews, int(rng.integers(1 << 30)))
        leaked += int((~res.killed).sum())
    n = (trials // 100) * 100
    return _prop_result("Independent shots", f"leak fraction, {n_sites} sites, pk={pk}",
                        (1 - pk) ** n_sites, leaked, n, "(1 - pk)^n")


def oracle_shoot_look_shoot(pk: float = 0.4, attacks: int = 3, trials: int = 4000,
                            seed: int = 7) -> OracleResult:
    """One interceptor re-attacking up to m times: leak ``(1 - pk)^m``."""
    from sim.model.engagement import Teams

    interceptor, crews = _icfg(pk=pk, reengage=True, max_attacks_per_sortie=attacks,
                               endurance_min=120, reattack_turn_s=5, p_recover_on_miss=0.0,
                               look_s=1e6)
    raid = _straight_raid(trials, t_launch=np.arange(trials) * 4000.0)
    teams = Teams(xy=np.array([[0.0, -100.0]]), programme=np.zeros(1, int),
                  crews=np.ones(1, int), sorties_per_crew=trials)
    res = _fight(raid, teams, interceptor, crews, seed)
    r = _prop_result("Shoot-look-shoot", f"leak fraction, one interceptor, {attacks} attacks, "
                     f"pk={pk}", (1 - pk) ** attacks, int((~res.killed).sum()), trials,
                     "(1 - pk)^m")
    r.extra = {"interceptors_per_drone": float(res.launched[0]) / trials}
    r.passed = r.passed and int(res.launched[0]) == trials
    return r


def oracle_fresh_interceptors(pk: float = 0.5, trials: int = 3000, seed: int = 3
                              ) -> OracleResult:
    """Shoot-look-shoot with a fresh interceptor after each miss: kills / shots = ``pk``."""
    from sim.model.engagement import Teams

    interceptor, crews = _icfg(pk=pk, reengage=False, look_s=20, p_recover_on_miss=0.0)
    crews = crews.model_copy(update={"reset_s": 0.0})
    raid = _straight_raid(trials, t_launch=np.arange(trials) * 4000.0)
    teams = Teams(xy=np.array([[0.0, -100.0]]), programme=np.zeros(1, int),
                  crews=np.ones(1, int), sorties_per_crew=10 * trials)
    res = _fight(raid, teams, interceptor, crews, seed)
    return _prop_result("Shoot-look-shoot, fresh interceptors", f"kills per shot, pk={pk}", pk,
                        int(res.kills[0]), int(res.launched[0]), "pk")


def oracle_saturation(pk: float = 0.7, crews_n: int = 5, salvo: int = 20, trials: int = 400,
                      seed0: int = 0, allocator: str = "greedy") -> OracleResult:
    """c crews with one sortie each against a simultaneous salvo of A > c: kills ``c * pk``."""
    from sim.model.engagement import Teams

    interceptor, crews = _icfg(pk=pk, reengage=False, look_s=1e6)
    kills = []
    ok = True
    for s in range(trials):
        raid = _straight_raid(salvo)
        teams = Teams(xy=np.array([[0.0, -50.0]]), programme=np.zeros(1, int),
                      crews=np.array([crews_n]), sorties_per_crew=1)
        res = _fight(raid, teams, interceptor, crews, seed0 + s, allocator)
        ok = ok and int(res.launched[0]) == crews_n
        kills.append(int(res.killed.sum()))
    k = np.array(kills, float)
    expected = crews_n * pk
    se = math.sqrt(crews_n * pk * (1 - pk) / trials)
    se_obs = float(k.std(ddof=1)) / math.sqrt(trials)
    obs = float(k.mean())
    return OracleResult("Saturation", f"kills per salvo of {salvo}, {crews_n} crews x 1 "
                        f"sortie, pk={pk}", expected, obs, obs - 1.96 * se_obs,
                        obs + 1.96 * se_obs, trials, ok and abs(obs - expected) <= 4 * se,
                        "c * pk")


def oracle_layered_defense(p_ew: float = 0.3, pk_i: float = 0.5, pk_m: float = 0.4,
                           pk_s: float = 0.6, nights: int = 30, seed: int = 11
                           ) -> OracleResult:
    """Full model, no capacity limits: leak = product of the layers' leak probabilities."""
    from sim.config.data import load_sites
    from sim.config.io import with_overrides
    from sim.config.schema import Scenario
    from sim.model.defense_model import DefenseModel

    months = {m: {"p_attack_night": 1.0, "mean": 100, "dispersion": 1e6} for m in range(1, 13)}
    sc = with_overrides(Scenario(name="layers"), {
        "period.nights": nights,
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
    sites = load_sites()
    one = sites[sites["id"] == sites[sites["type"] == "chp"]["id"].iloc[0]].reset_index(drop=True)
    model = DefenseModel(sc, seed=seed, sites=one)
    model.run()
    df = model.datacollector.get_model_vars_dataframe()
    n = int(df["launched"].sum())
    expected = (1 - p_ew) * (1 - pk_i) * (1 - pk_m) * (1 - pk_s)
    return _prop_result("Layered defence (full model)",
                        f"leak fraction, EW {p_ew}, interceptor {pk_i}, fire groups {pk_m}, "
                        f"missiles {pk_s}", expected, int(df["leaked"].sum()), n,
                        "product of (1 - p) over layers")


def _intercept_time(d_km: float, w: float, v: float, away: bool) -> float:
    from sim.model.geometry import intercept

    p0 = np.array([d_km, 0.0])
    p1 = np.array([2000.0 if away else -500.0, 0.0])
    dist = float(np.hypot(*(p1 - p0)))
    return intercept(np.array([p0, p1]), np.array([0.0, dist / w]), 0.0, 0.0, 0.0, v)


def oracle_head_on(d_km: float = 50.0, w_kmh: float = 185.0, v_kmh: float = 300.0
                   ) -> OracleResult:
    """Head-on intercept: closing time ``d / (v + w)`` (deterministic)."""
    w, v = w_kmh / 3600, v_kmh / 3600
    exp = d_km / (v + w)
    obs = _intercept_time(d_km, w, v, away=False)
    return OracleResult("Head-on intercept", f"time to intercept (s), {d_km:g} km, drone "
                        f"{w_kmh:g} km/h, interceptor {v_kmh:g} km/h", exp, obs, obs, obs, 1,
                        math.isclose(obs, exp, rel_tol=1e-9), "d / (v + w)")


def oracle_tail_chase(d_km: float = 10.0, w_kmh: float = 185.0, v_kmh: float = 300.0
                      ) -> OracleResult:
    """Tail chase: closing time ``d / (v - w)`` (deterministic)."""
    w, v = w_kmh / 3600, v_kmh / 3600
    exp = d_km / (v - w)
    obs = _intercept_time(d_km, w, v, away=True)
    return OracleResult("Tail chase", f"time to intercept (s), {d_km:g} km behind, drone "
                        f"{w_kmh:g} km/h, interceptor {v_kmh:g} km/h", exp, obs, obs, obs, 1,
                        math.isclose(obs, exp, rel_tol=1e-9), "d / (v - w)")


ORACLES: tuple[Callable[[], OracleResult], ...] = (
    oracle_independent_shots, oracle_shoot_look_shoot, oracle_fresh_interceptors,
    oracle_saturation, oracle_layered_defense, oracle_head_on, oracle_tail_chase,
)


def run_oracles() -> list[OracleResult]:
    """Run every analytic oracle with its fixed seed (about a second)."""
    return [f() for f in ORACLES]


