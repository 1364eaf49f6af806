"""Unit tests of sim/model/sensors.py: when does C2 get a track on each drone?

Oracles: the 4/3-earth radar horizon ``4.12 (sqrt(h) + sqrt(a))`` km; the closed-form time at
which a straight route at distance b from a radar enters a circle of radius R,
``t0 + (L - sqrt(R^2 - b^2)) / v`` for a route starting L km before the point of closest
approach; binomial shares for the acoustic and radar detection probabilities (4 standard
errors); and monotonicity (hypothesis): a sensor added never makes a track later.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.data import load_sites
from sim.config.schema import RadarSpec, Sensors, Threat
from sim.model.sensors import first_detection, radar_horizon_km, track_times
from sim.model.threat import Raid, generate_raid, target_weights
from tests.helpers import straight_raid

NO_ACOUSTIC = Sensors(acoustic={"p_detect": 0.0})


def entry_time(L, b, R, v, t0=0.0):
    """Closed form: a route along y = b from x = -L, speed v, enters the circle |p| < R."""
    if abs(b) >= R:
        return math.inf
    return t0 + (L - math.sqrt(R * R - b * b)) / v


# --------------------------------------------------------------------------- horizon
def test_radar_horizon_closed_form():
    # h = 25 m, a = 100 m: 4.12 (5 + 10) = 61.8 km; a = 0 gives the antenna term only
    assert radar_horizon_km(25.0, np.array([100.0]))[0] == pytest.approx(61.8)
    np.testing.assert_allclose(radar_horizon_km(16.0, np.array([0.0, 400.0, 3600.0])),
                               4.12 * np.array([4.0, 24.0, 64.0]))
    # a negative altitude is clamped to the ground, not a NaN
    assert radar_horizon_km(16.0, np.array([-5.0]))[0] == pytest.approx(4.12 * 4.0)
    # a deliberately wrong horizon (the geometric one, 3.57 km/sqrt(m)) differs by > 10%
    assert radar_horizon_km(25.0, np.array([100.0]))[0] > 1.1 * 3.57 * 15.0


# --------------------------------------------------------------------------- radar entry
@pytest.mark.parametrize("altitude_m,range_km,b_km", [
    (2000.0, 40.0, 10.0),   # range binds: horizon 4.12 (sqrt 15 + sqrt 2000) = 200 km
    (100.0, 120.0, 20.0),   # horizon binds: 4.12 (sqrt 15 + 10) = 57.2 km
    (50.0, 120.0, 0.0),     # straight over the radar
])
def test_straight_route_is_tracked_where_it_enters_the_cover(altitude_m, range_km, b_km):
    L, v, t0, latency = 300.0, 185 / 3600, 1000.0, 12.0
    spec = RadarSpec(range_km=range_km, mast_height_m=15.0, p_detect=1.0, latency_s=latency)
    r = straight_raid((-L, b_km), (L, b_km), v, altitude_m, t0=t0)
    reach = min(range_km, 4.12 * (math.sqrt(15.0) + math.sqrt(altitude_m)))
    t = track_times(r, NO_ACOUSTIC, [(np.zeros((1, 2)), spec)], np.random.default_rng(0))
    expected = entry_time(L, b_km, reach, v, t0) + latency
    assert t[0] == pytest.approx(expected, rel=1e-9)
    # using the other radius (range alone, or horizon alone) would be detected: > 10 s apart
    other = range_km if reach != range_km else 4.12 * (math.sqrt(15.0) + math.sqrt(altitude_m))
    assert abs(entry_time(L, b_km, other, v, t0) + latency - t[0]) > 10.0


def test_route_outside_the_cover_is_never_tracked_and_inside_from_the_start_is():
    spec = RadarSpec(range_km=40.0, mast_height_m=15.0, p_detect=1.0, latency_s=0.0)
    radar = np.zeros((1, 2))
    miss = straight_raid((-300.0, 40.5), (300.0, 40.5), 0.05, 3000.0)
    assert np.isinf(track_times(miss, NO_ACOUSTIC, [(radar, spec)], np.random.default_rng(0)))[0]
    inside = straight_raid((5.0, 5.0), (300.0, 5.0), 0.05, 3000.0, t0=77.0)
    assert track_times(inside, NO_ACOUSTIC, [(radar, spec)], np.random.default_rng(0))[0] == 77.0


def test_earliest_radar_wins_and_each_group_adds_its_latency():
    L, v = 400.0, 0.05
    r = straight_raid((-L, 0.0), (L, 0.0), v, 3000.0)
    a = RadarSpec(range_km=30.0, p_detect=1.0, latency_s=5.0)
    b = RadarSpec(range_km=30.0, p_detect=1.0, latency_s=300.0)
    east, west = np.array([[200.0, 0.0]]), np.array([[-200.0, 0.0]])
    rng = np.random.default_rng
    t = track_times(r, NO_ACOUSTIC, [(east, a), (west, b)], rng(0))[0]
    # west radar entered at x = -230 (t = 170/v), east at x = 170 (t = 570/v)
    assert t == pytest.approx(min(170 / v + 300.0, 570 / v + 5.0))
    assert t == pytest.approx(170 / v + 300.0)
    # a large latency can make the later radar's track the earlier one
    slow = RadarSpec(range_km=30.0, p_detect=1.0, latency_s=10_000.0)
    assert track_times(r, NO_ACOUSTIC, [(east, a), (west, slow)], rng(0))[0] == pytest.approx(
        570 / v + 5.0)


def test_a_second_visit_does_not_get_a_second_chance():
    # A dog-leg route entering the same cover twice: one detection draw, at first entry.
    pts = np.array([[[-100.0, 0.0], [100.0, 0.0], [100.0, 100.0], [-100.0, -100.0]]])
    seg = np.hypot(*np.diff(pts[0], axis=0).T)
    times = np.concatenate([[0.0], np.cumsum(seg) / 0.05])[None, :]
    radar = np.zeros((1, 2))
    reach = np.array([30.0])
    # the last leg alone (through the radar) would be detected ...
    last = first_detection(pts[:, 2:], times[:, 2:], radar, reach, np.array([[True]]))
    assert last[0] == pytest.approx(times[0, 2] + (math.hypot(100, 100) - 30) / 0.05)
    # ... but a drone missed at its first entry is not detected on the second visit
    never = first_detection(pts, times, radar, reach, np.array([[False]]))
    assert np.isinf(never[0])
    first = first_detection(pts, times, radar, reach, np.array([[True]]))
    assert first[0] == pytest.approx(70 / 0.05)


# --------------------------------------------------------------------------- acoustic
def test_acoustic_detects_below_the_ceiling_with_p_detect_after_latency():
    n = 20_000
    rng = np.random.default_rng(1)
    alt = np.where(np.arange(n) % 2 == 0, rng.uniform(0, 1000, n), rng.uniform(1000.01, 5000, n))
    alt[0] = 1000.0  # "at 1,000 m and below": the ceiling itself counts as low
    t_border = rng.uniform(0, 20_000, n)
    r = straight_raid((-300.0, 0.0), (300.0, 0.0), 0.05, alt, t_border=t_border)
    s = Sensors(acoustic={"p_detect": 0.7, "max_altitude_m": 1000.0, "latency_s": 45.0})
    t = track_times(r, s, [], np.random.default_rng(2))
    low = alt <= 1000.0
    assert np.isinf(t[~low]).all()
    det = np.isfinite(t)
    np.testing.assert_allclose(t[det], t_border[det] + 45.0)
    share, se = det[low].mean(), math.sqrt(0.7 * 0.3 / low.sum())
    assert abs(share - 0.7) <= 4 * se
    assert abs(share - 0.73) > 4 * se  # a 3-point error is detected
    # the same stream, p_detect 0 or 1
    assert np.isinf(track_times(r, s.model_copy(update={"acoustic": s.acoustic.model_copy(
        update={"p_detect": 0.0})}), [], np.random.default_rng(2))).all()
    t1 = track_times(r, s.model_copy(update={"acoustic": s.acoustic.model_copy(
        update={"p_detect": 1.0})}), [], np.random.default_rng(2))
    assert np.isfinite(t1[low]).all()


def test_radar_detection_share_is_p_detect():
    n = 20_000
    r = straight_raid(np.c_[np.full(n, -300.0), np.linspace(-20, 20, n)],
                      np.c_[np.full(n, 300.0), np.linspace(-20, 20, n)], 0.05, 3000.0)
    spec = RadarSpec(range_km=40.0, p_detect=0.6, latency_s=0.0)
    t = track_times(r, NO_ACOUSTIC, [(np.zeros((1, 2)), spec)], np.random.default_rng(3))
    share, se = np.isfinite(t).mean(), math.sqrt(0.24 / n)
    assert abs(share - 0.6) <= 4 * se
    assert abs(share - 0.63) > 4 * se


# --------------------------------------------------------------------------- monotonicity
SITES = load_sites()
SITE_XY = SITES[["x_km", "y_km"]].to_numpy(float)


def night_raid(seed: int, n: int = 150) -> Raid:
    th = Threat()
    return generate_raid(th, n, SITE_XY, target_weights(SITES, th.targeting), np.zeros((0, 2)),
                         np.zeros(0), np.random.default_rng(seed), np.random.default_rng(seed + 1))


xy_strategy = st.lists(st.tuples(st.floats(-600, 600), st.floats(-400, 500)), min_size=1,
                       max_size=8).map(lambda v: np.array(v, float))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), first=xy_strategy, extra=xy_strategy,
    p_ac=st.floats(0, 1), p1=st.floats(0, 1), p2=st.floats(0, 1),
    range2=st.floats(5, 150), latency2=st.floats(0, 600),
)
def test_adding_a_radar_group_never_makes_a_track_later(seed, first, extra, p_ac, p1, p2,
                                                        range2, latency2):
    r = night_raid(seed)
    s = Sensors(acoustic={"p_detect": p_ac})
    g1 = (first, RadarSpec(range_km=60.0, p_detect=p1, latency_s=10.0))
    g2 = (extra, RadarSpec(range_km=range2, p_detect=p2, latency_s=latency2))
    a = track_times(r, s, [g1], np.random.default_rng(seed))
    b = track_times(r, s, [g1, g2], np.random.default_rng(seed))
    assert (b <= a).all()
    # and an empty group or radars that never detect change nothing
    c = track_times(r, s, [g1, (np.zeros((0, 2)), g2[1])], np.random.default_rng(seed))
    np.testing.assert_array_equal(a, c)
    dead = (extra, RadarSpec(range_km=range2, p_detect=0.0))
    np.testing.assert_array_equal(a, track_times(r, s, [g1, dead], np.random.default_rng(seed)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), first=xy_strategy, extra=xy_strategy)
def test_adding_certain_radars_to_a_group_never_makes_a_track_later(seed, first, extra):
    r = night_raid(seed)
    spec = RadarSpec(range_km=60.0, p_detect=1.0)
    a = track_times(r, NO_ACOUSTIC, [(first, spec)], np.random.default_rng(seed))
    b = track_times(r, NO_ACOUSTIC, [(np.vstack([first, extra]), spec)],
                    np.random.default_rng(seed))
    assert (b <= a).all()


def test_appending_a_radar_to_a_group_keeps_the_other_radars_draws():
    r = night_raid(1, n=2000)
    spec = RadarSpec(range_km=60.0, p_detect=0.5)
    s = Sensors(acoustic={"p_detect": 0.5})
    a = track_times(r, s, [(SITE_XY[:10], spec)], np.random.default_rng(5))
    b = track_times(r, s, [(SITE_XY[:11], spec)], np.random.default_rng(5))
    assert (b <= a).all()
