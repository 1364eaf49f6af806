"""Unit tests of sim/model/air_defense.py: electronic warfare, mobile fire groups, missile
defence (the layers that exist without the programme).

Oracles: binomial shares (EW loss per type, engagement and kill shares; 4 standard errors),
the uniform loss time on [t_border, t_border + 0.6 (t_impact - t_border)] (mean at 0.3 of the
span), exact eligibility and capping rules with p = 1, and common random numbers (hypothesis):
a drone's fate in a layer depends only on its own uniforms when the cap does not bind, and
every call draws the same number of uniforms whatever happened before.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import MissileDefenseLayer, MobileFireGroups, Threat
from sim.model.air_defense import electronic_warfare, fire_groups, sams_at_drones
from sim.model.threat import DECOY, JET, SHAHED, TYPE_NAMES
from tests.helpers import straight_raid

Z = 4.0


def within(observed, expected, se, z=Z) -> bool:
    return abs(observed - expected) <= z * se


def mixed_raid(n: int, seed: int = 0, alt=None):
    """n drones of the three types, random impact times and altitudes 0-5 km."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    t0 = rng.uniform(0, 20_000, n)
    length = rng.uniform(200, 900, n)
    alt = rng.uniform(0, 5000, n) if alt is None else alt
    border = rng.uniform(0, 150, n)
    return straight_raid(np.zeros((n, 2)), np.c_[length, np.zeros(n)], 0.05, alt, t0=t0,
                         t_border=t0 + np.minimum(border, length) / 0.05, kind=kind)


# --------------------------------------------------------------------------- electronic warfare
def test_ew_loss_share_per_type_matches_p_lost_ew():
    th = Threat()  # shahed 0.30, jet 0.10, decoy 0.45
    r = mixed_raid(60_000, seed=1)
    lost, t_lost = electronic_warfare(r, th, True, np.random.default_rng(2))
    for kind, name in enumerate(TYPE_NAMES):
        sel = r.kind == kind
        p = th.types[name].p_lost_ew
        se = math.sqrt(p * (1 - p) / sel.sum())
        assert within(lost[sel].mean(), p, se), name
        assert not within(lost[sel].mean(), p + 0.02, se), name  # a 2-point error is caught
    assert np.isinf(t_lost[~lost]).all() and np.isfinite(t_lost[lost]).all()


def test_ew_loss_time_is_uniform_over_the_first_60_percent_of_the_remaining_flight():
    r = mixed_raid(40_000, seed=3)
    lost, t_lost = electronic_warfare(r, Threat(), True, np.random.default_rng(4))
    span = r.t_impact - r.t_border
    f = (t_lost[lost] - r.t_border[lost]) / span[lost]
    assert f.min() >= 0.0 and f.max() <= 0.6
    assert f.max() > 0.599 and f.min() < 0.001
    se = 0.6 / math.sqrt(12) / math.sqrt(lost.sum())
    assert within(f.mean(), 0.3, se)
    assert not within(f.mean(), 0.5 * 0.65, se)  # a 65% bound (or a skewed draw) is caught
    # loss times lie between border entry and impact
    assert (t_lost[lost] >= r.t_border[lost]).all() and (t_lost[lost] < r.t_impact[lost]).all()


def test_ew_disabled_loses_nothing_and_uses_the_same_draws():
    r = mixed_raid(1000, seed=5)
    rng_on, rng_off = np.random.default_rng(6), np.random.default_rng(6)
    lost_on, _ = electronic_warfare(r, Threat(), True, rng_on)
    lost, t_lost = electronic_warfare(r, Threat(), False, rng_off)
    assert not lost.any() and np.isinf(t_lost).all() and lost_on.any()
    assert rng_on.random() == rng_off.random()  # same number of draws consumed


def test_ew_uses_the_types_own_probabilities():
    # all jets with p_lost_ew = 0 and Shaheds with 1: exact
    types = {**Threat().types}
    types["jet"] = types["jet"].model_copy(update={"p_lost_ew": 0.0})
    types["shahed"] = types["shahed"].model_copy(update={"p_lost_ew": 1.0})
    th = Threat(types=types)
    r = mixed_raid(3000, seed=7)
    lost, _ = electronic_warfare(r, th, True, np.random.default_rng(8))
    assert not lost[r.kind == JET].any() and lost[r.kind == SHAHED].all()


# --------------------------------------------------------------------------- fire groups
def fg(**kw) -> MobileFireGroups:
    base = {"p_engage": 1.0, "pk": 1.0, "max_altitude_m": 1500.0, "pk_jet_factor": 0.2,
            "engagements_per_night": 100_000}
    return MobileFireGroups(**{**base, **kw})


def test_fire_groups_engage_only_tracked_alive_low_drones():
    n = 5000
    r = mixed_raid(n, seed=9)
    rng = np.random.default_rng(10)
    alive = rng.random(n) < 0.7
    tracked = rng.random(n) < 0.6
    eng, kill = fire_groups(r, alive, tracked, fg(pk_jet_factor=1.0), np.random.default_rng(11))
    eligible = alive & tracked & (r.altitude_m <= 1500.0)
    np.testing.assert_array_equal(eng, eligible)
    np.testing.assert_array_equal(kill, eligible)
    # the altitude limit is inclusive
    r2 = straight_raid((0.0, 0.0), (300.0, 0.0), 0.05, [1500.0, 1500.01])
    e2, _ = fire_groups(r2, np.ones(2, bool), np.ones(2, bool), fg(), np.random.default_rng(0))
    assert e2.tolist() == [True, False]


def test_fire_groups_cap_takes_the_earliest_arrivals():
    n = 3000
    r = mixed_raid(n, seed=12, alt=np.full(n, 500.0))
    alive, tracked = np.ones(n, bool), np.ones(n, bool)
    cap = 400
    eng, kill = fire_groups(r, alive, tracked, fg(engagements_per_night=cap),
                            np.random.default_rng(13))
    assert eng.sum() == cap
    first = np.argsort(r.t_impact, kind="stable")[:cap]
    assert set(np.nonzero(eng)[0]) == set(first)
    # with p_engage < 1, the cap applies to the drones that meet a group, still by arrival
    eng2, _ = fire_groups(r, alive, tracked, fg(engagements_per_night=cap, p_engage=0.5),
                          np.random.default_rng(13))
    assert eng2.sum() == cap
    assert r.t_impact[eng2].max() <= np.sort(r.t_impact)[2 * cap + 200]
    # cap 0: nothing
    e0, k0 = fire_groups(r, alive, tracked, fg(engagements_per_night=0), np.random.default_rng(1))
    assert not e0.any() and not k0.any()


def test_fire_groups_kill_shares_with_the_jet_factor():
    n = 60_000
    r = mixed_raid(n, seed=14, alt=np.full(n, 800.0))
    cfg = fg(p_engage=0.8, pk=0.7, pk_jet_factor=0.3)
    eng, kill = fire_groups(r, np.ones(n, bool), np.ones(n, bool), cfg, np.random.default_rng(15))
    assert not (kill & ~eng).any()
    se_e = math.sqrt(0.8 * 0.2 / n)
    assert within(eng.mean(), 0.8, se_e)
    for kinds, p in (((SHAHED, DECOY), 0.8 * 0.7), ((JET,), 0.8 * 0.7 * 0.3)):
        sel = np.isin(r.kind, kinds)
        se = math.sqrt(p * (1 - p) / sel.sum())
        assert within(kill[sel].mean(), p, se), kinds
    jets = r.kind == JET
    se = math.sqrt(0.56 * 0.44 / jets.sum())
    assert not within(kill[jets].mean(), 0.56, se)  # ignoring the jet factor is caught


# --------------------------------------------------------------------------- missile defence
def test_sams_at_drones_engage_any_alive_drone_up_to_their_cap():
    n = 4000
    r = mixed_raid(n, seed=16)  # altitudes up to 5 km, no tracking needed
    alive = np.random.default_rng(17).random(n) < 0.5
    cfg = MissileDefenseLayer(p_engage=1.0, pk=1.0, missiles_per_night=100_000)
    eng, kill = sams_at_drones(r, alive, cfg, np.random.default_rng(18))
    np.testing.assert_array_equal(eng, alive)
    np.testing.assert_array_equal(kill, alive)  # no jet factor
    cap = 30
    eng, _ = sams_at_drones(r, alive, cfg.model_copy(update={"missiles_per_night": cap}),
                             np.random.default_rng(18))
    assert eng.sum() == cap and not (eng & ~alive).any()
    idx = np.nonzero(alive)[0]
    first = idx[np.argsort(r.t_impact[idx], kind="stable")[:cap]]
    assert set(np.nonzero(eng)[0]) == set(first)


def test_sams_at_drones_kill_share_is_p_engage_times_pk():
    n = 60_000
    r = mixed_raid(n, seed=19)
    cfg = MissileDefenseLayer(p_engage=0.15, pk=0.8, missiles_per_night=10**6)
    eng, kill = sams_at_drones(r, np.ones(n, bool), cfg, np.random.default_rng(20))
    p = 0.15 * 0.8
    se = math.sqrt(p * (1 - p) / n)
    assert within(kill.mean(), p, se)
    assert not within(kill.mean(), 0.15, se)  # pk = 1 would be caught
    assert within(eng.mean(), 0.15, math.sqrt(0.15 * 0.85 / n))
    # jets are killed as often as the others
    jets = r.kind == JET
    assert within(kill[jets].mean(), p, math.sqrt(p * (1 - p) / jets.sum()))


# --------------------------------------------------------------------------- common random numbers
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), p_a=st.floats(0, 1), p_b=st.floats(0, 1),
       p_engage=st.floats(0, 1), pk=st.floats(0, 1))
def test_a_drones_fate_depends_on_its_own_draws_only(seed, p_a, p_b, p_engage, pk):
    """Without a binding cap, what happens to drone i in a layer does not depend on which other
    drones survived the earlier layers, and each call consumes the same draws."""
    n = 200
    r = mixed_raid(n, seed=seed % 1000)
    g = np.random.default_rng(seed)
    alive_a, alive_b = g.random(n) < p_a, g.random(n) < p_b
    tracked = g.random(n) < 0.8
    both = alive_a & alive_b
    for layer in (
        lambda alive, rng: fire_groups(r, alive, tracked, fg(p_engage=p_engage, pk=pk), rng),
        lambda alive, rng: sams_at_drones(
            r, alive, MissileDefenseLayer(p_engage=p_engage, pk=pk, missiles_per_night=n), rng),
    ):
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
        ea, ka = layer(alive_a, rng_a)
        eb, kb = layer(alive_b, rng_b)
        np.testing.assert_array_equal(ea[both], eb[both])
        np.testing.assert_array_equal(ka[both], kb[both])
        assert not (ea & ~alive_a).any() and not (eb & ~alive_b).any()
        assert rng_a.random() == rng_b.random()


def test_empty_raid():
    r = straight_raid(np.zeros((0, 2)), np.zeros((0, 2)), 0.05, np.zeros(0))
    lost, t_lost = electronic_warfare(r, Threat(), True, np.random.default_rng(0))
    assert lost.shape == t_lost.shape == (0,)
    e, k = fire_groups(r, np.zeros(0, bool), np.zeros(0, bool), fg(), np.random.default_rng(0))
    assert e.shape == k.shape == (0,)
    e, k = sams_at_drones(r, np.zeros(0, bool), MissileDefenseLayer(), np.random.default_rng(0))
    assert e.shape == k.shape == (0,)


@pytest.mark.parametrize("p_engage,pk", [(0.0, 1.0), (1.0, 0.0)])
def test_zero_probabilities_kill_nothing(p_engage, pk):
    n = 500
    r = mixed_raid(n, seed=21, alt=np.full(n, 100.0))
    ones = np.ones(n, bool)
    _, k = fire_groups(r, ones, ones, fg(p_engage=p_engage, pk=pk), np.random.default_rng(0))
    assert not k.any()
    _, k = sams_at_drones(r, ones, MissileDefenseLayer(p_engage=p_engage, pk=pk),
                           np.random.default_rng(0))
    assert not k.any()
