"""The compiled kernels against their plain references (tests/model/reference_*.py) on random
inputs: the same sorties in the same order (drone, site, force, attacks, kill, recovery), the
same counts, times within 1e-9 s; the same entry and exit times, intercepts, positions and
routes (waypoints pushed out of defended circles, times, border crossings). Also: start-up
never imports numba."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.schema import Crews, Interceptor
from sim.model import geometry, sensors
from sim.model.engagement import Teams, run_interceptors
from sim.model.threat import _PUSH_PASSES as PUSH_PASSES
from sim.model.threat import Raid
from tests.helpers import ROOT
from tests.model import reference_engagement as ref_eng
from tests.model import reference_geometry as ref_geo

SEEDS = st.integers(0, 2**31 - 1)


def _routes(rng, n, legs, spread=150.0, speed_kms=185 / 3600):
    """n random routes of ``legs`` legs over a square of +-``spread`` km, launched within 2 h."""
    pts = rng.uniform(-spread, spread, (n, legs + 1, 2))
    seg = np.hypot(*np.moveaxis(np.diff(pts, axis=1), -1, 0)).reshape(n, legs)
    t0 = rng.uniform(0, 7200, n)
    times = np.concatenate([t0[:, None], t0[:, None] + np.cumsum(seg, 1) / speed_kms], 1)
    return pts, times


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, n=st.integers(0, 30), m=st.integers(0, 12), legs=st.integers(1, 4),
       shape=st.sampled_from(["scalar", "per_circle", "per_route", "per_pair"]))
def test_circle_entry_exit_matches_the_reference(seed, n, m, legs, shape):
    rng = np.random.default_rng(seed)
    pts, times = _routes(rng, n, legs)
    centres = rng.uniform(-150, 150, (m, 2))
    radii = {"scalar": np.float64(rng.uniform(5, 60)), "per_circle": rng.uniform(5, 60, m),
             "per_route": rng.uniform(5, 60, (n, 1)), "per_pair": rng.uniform(5, 60, (n, m))}[shape]
    got = geometry.circle_entry_exit(pts, times, centres, radii)
    want = ref_geo.circle_entry_exit(pts, times, centres, radii)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        np.testing.assert_array_equal(g, w)


@settings(max_examples=60, deadline=None)
@given(seed=SEEDS, n=st.integers(1, 30), m=st.integers(1, 8), legs=st.integers(1, 4),
       p=st.floats(0, 1))
def test_first_detection_matches_the_reference(seed, n, m, legs, p):
    rng = np.random.default_rng(seed)
    pts, times = _routes(rng, n, legs)
    xy = rng.uniform(-150, 150, (m, 2))
    reach = rng.uniform(5, 80, n)
    detects = rng.random((n, m)) < p
    np.testing.assert_array_equal(sensors.first_detection(pts, times, xy, reach, detects),
                                  ref_geo.first_detection(pts, times, xy, reach, detects))


@settings(max_examples=200, deadline=None)
@given(seed=SEEDS, legs=st.integers(1, 5), t=st.floats(-1000, 20000),
       v_kmh=st.floats(100, 700), t_max=st.one_of(st.just(np.inf), st.floats(0, 20000)))
def test_intercept_and_position_match_the_reference(seed, legs, t, v_kmh, t_max):
    rng = np.random.default_rng(seed)
    pts, times = _routes(rng, 1, legs)
    pts, times = pts[0], times[0]
    px, py = rng.uniform(-150, 150, 2)
    assert geometry.position_at(pts, times, t) == ref_geo.position_at(pts.tolist(),
                                                                      times.tolist(), t)
    got = geometry.intercept(pts, times, px, py, t, v_kmh / 3600, t_max)
    want = ref_geo.intercept(pts.tolist(), times.tolist(), px, py, t, v_kmh / 3600, t_max)
    assert got == want or abs(got - want) <= 1e-9


@settings(max_examples=80, deadline=None)
@given(seed=SEEDS, n=st.integers(0, 80), m=st.integers(0, 30), r=st.floats(0, 80),
       grid=st.booleans())
def test_within_reach_matches_the_reference(seed, n, m, r, grid):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-150, 150, (n, 2))
    centres = rng.uniform(-150, 150, (m, 2))
    if grid:  # points and centres on a grid: distances exactly at the radius
        pts, centres, r = np.round(pts / 10) * 10, np.round(centres / 10) * 10, round(r / 10) * 10
    np.testing.assert_array_equal(geometry.within_reach(pts, centres, r),
                                  ref_geo.within_reach(pts, centres, r))


@settings(max_examples=80, deadline=None)
@given(seed=SEEDS, n=st.integers(0, 60), z=st.integers(0, 15), k_wp=st.integers(0, 4),
       avoid=st.booleans())
def test_routes_match_the_reference(seed, n, z, k_wp, avoid):
    """Waypoints, push-out from overlapping circles, times and the border crossing."""
    from sim.model import kernels

    rng = np.random.default_rng(seed)
    start = rng.uniform(-300, 300, (n, 2))
    end = rng.uniform(-100, 100, (n, 2))
    offsets = rng.normal(0, 40, (n, k_wp))
    centres = rng.uniform(-120, 120, (z, 2))
    radii = rng.uniform(5, 40, z)
    avoid = avoid and z > 0 and k_wp > 0
    t_launch = rng.uniform(0, 7200, n)
    speed = rng.uniform(0.04, 0.15, n)
    border = rng.uniform(0, 600, n)
    got = kernels.routes(start, end, offsets, centres, radii, avoid, PUSH_PASSES, t_launch,
                         speed, border)
    want = ref_geo.routes(start, end, offsets, centres, radii, avoid, t_launch, speed, border)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    if avoid and n:  # a waypoint outside every circle it may leave stays where it was
        f = np.arange(1, k_wp + 1) / (k_wp + 1)
        vec = end - start
        normal = np.stack([-vec[:, 1], vec[:, 0]], 1) / np.hypot(*vec.T)[:, None]
        raw = start[:, None] + f[None, :, None] * vec[:, None] + offsets[..., None] * normal[:, None]
        free = ((end[:, None, :] - centres[None]) ** 2).sum(-1) > radii**2
        d2 = ((raw[:, :, None, :] - centres[None, None]) ** 2).sum(-1)
        clear = ~((d2 < radii**2) & free[:, None, :]).any(-1)
        np.testing.assert_allclose(got[0][:, 1:-1][clear], raw[clear], rtol=0, atol=1e-9)
        assert not np.allclose(got[0][:, 1:-1][~clear], raw[~clear]) or not (~clear).any()


def _night(rng, n, legs, n_sites):
    """A random night: drones flying across a field of launch sites, tracked at random times,
    some lost early, some not engageable."""
    pts, times = _routes(rng, n, legs, spread=120.0)
    kind = rng.choice([0, 1, 2], n, p=[0.7, 0.15, 0.15])
    speed = np.where(kind == 1, 500 / 3600, 185 / 3600)
    seg = np.hypot(*np.moveaxis(np.diff(pts, axis=1), -1, 0)).reshape(n, legs)
    times = np.concatenate([times[:, :1], times[:, :1] + np.cumsum(seg, 1) / speed[:, None]], 1)
    z = np.zeros(n, int)
    raid = Raid(kind=kind, area=z, target_kind=z, target=z, pts=pts, times=times,
                speed_kms=speed, altitude_m=rng.uniform(100, 3000, n), t_border=times[:, 0],
                cost_eur=np.zeros(n), evading=rng.random(n) < 0.2)
    t_track = np.where(rng.random(n) < 0.9, times[:, 0] + rng.uniform(0, 3000, n), np.inf)
    lost = rng.random(n) < 0.15
    t_gone = np.where(lost, times[:, 0] + rng.uniform(0, 1, n) * (times[:, -1] - times[:, 0]),
                      times[:, -1])
    engageable = rng.random(n) < 0.9
    teams = Teams(xy=rng.uniform(-120, 120, (n_sites, 2)),
                  programme=rng.integers(0, 2, n_sites), crews=rng.integers(1, 4, n_sites),
                  sorties_per_crew=int(rng.integers(0, 5)))
    return raid, t_track, t_gone, engageable, teams


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS, n=st.integers(0, 60), legs=st.integers(1, 3), n_sites=st.integers(0, 15),
       pool=st.tuples(st.integers(0, 40), st.integers(0, 40)),
       allocator=st.sampled_from(["greedy", "optimal"]), reengage=st.booleans(),
       attacks=st.integers(1, 3), pk=st.floats(0, 1), p_recover=st.floats(0, 1),
       look_s=st.floats(0, 300), delay_s=st.floats(0, 300), range_km=st.floats(5, 40),
       speed_kmh=st.floats(150, 600), reset_s=st.floats(0, 600), cycle_s=st.floats(1, 120),
       programme_pk=st.one_of(st.none(), st.just(0.0), st.floats(0, 1)))
def test_battle_matches_the_reference(seed, n, legs, n_sites, pool, allocator, reengage,
                                      attacks, pk, p_recover, look_s, delay_s, range_km,
                                      speed_kmh, reset_s, cycle_s, programme_pk):
    rng = np.random.default_rng(seed)
    raid, t_track, t_gone, engageable, teams = _night(rng, n, legs, n_sites)
    icfg = Interceptor(pk=pk, reengage=reengage, max_attacks_per_sortie=attacks,
                       p_recover_on_miss=p_recover, look_s=look_s, launch_delay_s=delay_s,
                       max_engagement_range_km=range_km, speed_kmh=speed_kmh,
                       pk_evading_factor=0.5)
    crews = Crews(reset_s=reset_s)
    args = (raid, t_track, t_gone, engageable, teams, pool, icfg, crews, allocator, cycle_s)
    got = run_interceptors(*args, np.random.default_rng(seed + 1), programme_pk=programme_pk)
    want = ref_eng.run_interceptors(*args, np.random.default_rng(seed + 1),
                                    programme_pk=programme_pk)
    if programme_pk == 0.0:  # C2 sends no programme interceptor that cannot kill
        assert not got.log.programme.any()
    for key in ("attacker", "team", "programme", "attacks", "killed", "recovered"):
        np.testing.assert_array_equal(getattr(got.log, key), getattr(want.log, key), err_msg=key)
    for key in ("t_launch", "t_end"):
        np.testing.assert_allclose(getattr(got.log, key), getattr(want.log, key), rtol=0,
                                   atol=1e-9, err_msg=key)
    np.testing.assert_array_equal(got.killed, want.killed)
    np.testing.assert_array_equal(got.kill_programme, want.kill_programme)
    np.testing.assert_allclose(got.t_kill, want.t_kill, rtol=0, atol=1e-9)
    for key in ("launched", "kills", "expended", "recovered"):
        np.testing.assert_array_equal(getattr(got, key), getattr(want, key), err_msg=key)


def test_a_busy_night_engages_and_matches_the_reference():
    """A night where crews, sorties and stock all run short (the random cases above may not
    reach every branch): many drones, few sites, shoot-look-shoot."""
    rng = np.random.default_rng(5)
    raid, t_track, t_gone, engageable, teams = _night(rng, 400, 3, 12)
    teams = Teams(xy=teams.xy, programme=teams.programme, crews=teams.crews, sorties_per_crew=3)
    icfg = Interceptor(reengage=True, max_engagement_range_km=40)
    for allocator in ("greedy", "optimal"):
        args = (raid, t_track, t_gone, engageable, teams, (25, 30), icfg, Crews(), allocator, 30.0)
        got = run_interceptors(*args, np.random.default_rng(9))
        want = ref_eng.run_interceptors(*args, np.random.default_rng(9))
        assert len(want.log.attacker) > 40 and want.killed.sum() > 10
        assert (want.log.attacks > 1).any() and want.log.recovered.any()
        np.testing.assert_array_equal(got.log.attacker, want.log.attacker)
        np.testing.assert_array_equal(got.log.team, want.log.team)
        np.testing.assert_allclose(got.t_kill, want.t_kill, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(got.expended, want.expended)


@pytest.mark.parametrize("argv", [["--help"], ["validate", "scenarios/nl-200m.yaml"]])
def test_start_up_does_not_import_numba(argv):
    code = ("import runpy, sys; sys.argv = ['sim', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('sim', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "print('numba' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "False"
