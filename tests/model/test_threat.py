"""Unit tests of sim/model/threat.py against closed forms and conservation properties.

* ``sample_nightly_launches``: the sample mean (and the mean per calendar month) matches the
  closed-form mean of the mixture attack x [(1 - p_salvo) max(1, NB) + p_salvo max(1, NB')],
  ``E max(1, X) = mu + P(X = 0) = mu + (k / (k + mu))^k``, within 4 standard errors (the
  standard error from the closed-form variance, ``E max(1, X)^2 = mu + mu^2 / k + mu^2 + P0``).
* ``target_weights``: a hand-computed five-site case.
* ``generate_raid``: type and area shares (binomial, 4 SE), routes from launch area to target,
  constant speed on every leg, border time ``t_launch + border_km / speed``, envelopes
  avoided, and common random numbers across threat variants (hypothesis).

Each statistical check also shows that a deliberately wrong parameter is rejected, so that
the tolerance is not so wide that the test cannot fail.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.data import city_targets, launch_areas, load_sites
from sim.config.errors import DataFileError, ScenarioError
from sim.config.schema import Threat
from sim.model.threat import (
    DECOY,
    JET,
    SHAHED,
    TARGET_CITY,
    TARGET_SITE,
    TYPE_NAMES,
    area_weights,
    generate_raid,
    sample_nightly_launches,
    target_weights,
)

Z = 4.0  # tolerance in standard errors: a correct sampler fails about once in 16,000 seeds


# --------------------------------------------------------------------------- helpers
def month(p_attack, mean, disp, p_salvo=0.0, salvo_mean=0.0, salvo_disp=1.0):
    return {"p_attack_night": p_attack, "mean": mean, "dispersion": disp, "p_salvo": p_salvo,
            "salvo_mean": salvo_mean, "salvo_dispersion": salvo_disp}


def flat_profile(**kw):
    return {"months": {str(m): month(**kw) for m in range(1, 13)}}


def _max1_moments(mu: float, k: float) -> tuple[float, float]:
    """E max(1, X) and E max(1, X)^2 for X ~ NB(mean mu, size k) (closed form)."""
    p0 = (k / (k + mu)) ** k
    return mu + p0, mu + mu * mu / k + mu * mu + p0


def launch_moments(m: dict, mult: float = 1.0) -> tuple[float, float]:
    """Closed-form mean and variance of one night's count under a month's parameters."""
    mu_n, mu_s = m["mean"] * mult, m["salvo_mean"] * mult
    e1n, e2n = _max1_moments(mu_n, m["dispersion"]) if mu_n > 0 else (0.0, 0.0)
    e1s, e2s = _max1_moments(mu_s, m["salvo_dispersion"]) if mu_s > 0 else (0.0, 0.0)
    ps, pa = m["p_salvo"], m["p_attack_night"]
    e1 = pa * ((1 - ps) * e1n + ps * e1s)
    e2 = pa * ((1 - ps) * e2n + ps * e2s)
    return e1, e2 - e1 * e1


def nights(n: int, start=dt.date(2025, 1, 1)) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def within(observed, expected, se, z=Z) -> bool:
    return abs(observed - expected) <= z * se


# --------------------------------------------------------------------------- launches
def test_zero_probability_or_zero_multiplier_gives_no_launches():
    d = nights(400)
    prof = flat_profile(p_attack=0.0, mean=50, disp=2, p_salvo=0.5, salvo_mean=400)
    assert sample_nightly_launches(prof, d, np.random.default_rng(1)).sum() == 0
    prof = flat_profile(p_attack=1.0, mean=50, disp=2, p_salvo=0.5, salvo_mean=400)
    assert sample_nightly_launches(prof, d, np.random.default_rng(1),
                                   intensity_multiplier=0.0).sum() == 0
    # and every attack night has at least one drone (count = max(1, X))
    c = sample_nightly_launches(flat_profile(p_attack=1.0, mean=0.5, disp=0.3), d,
                                np.random.default_rng(2))
    assert c.min() >= 1


def test_mean_matches_the_mixture_closed_form_and_a_wrong_parameter_is_rejected():
    m = month(0.6, 40.0, 1.5, p_salvo=0.1, salvo_mean=300.0, salvo_disp=4.0)
    prof = {"months": {str(i): m for i in range(1, 13)}}
    n = 40_000
    c = sample_nightly_launches(prof, nights(n), np.random.default_rng(7))
    mean, var = launch_moments(m)
    se = math.sqrt(var / n)
    assert within(c.mean(), mean, se)
    assert c.var() == pytest.approx(var, rel=0.05)
    # The check has power: a 5% error in p_attack, or leaving out the salvo component, is
    # detected.
    assert not within(c.mean(), launch_moments({**m, "p_attack_night": 0.57})[0], se)
    assert not within(c.mean(), launch_moments({**m, "p_salvo": 0.0})[0], se)


def test_attack_nights_have_at_least_one_drone_in_the_mean():
    # Small mean, strong dispersion: P(X = 0) = (0.5 / 1.5)^0.5 = 0.577, so the floor
    # max(1, X) adds 0.577 to the mean (1.577 instead of 1.0).
    m = month(1.0, 1.0, 0.5)
    prof = {"months": {str(i): m for i in range(1, 13)}}
    n = 20_000
    c = sample_nightly_launches(prof, nights(n), np.random.default_rng(8))
    mean, var = launch_moments(m)
    assert mean == pytest.approx(1.0 + math.sqrt(1 / 3))
    se = math.sqrt(var / n)
    assert within(c.mean(), mean, se)
    assert not within(c.mean(), 1.0, se)  # the plain negative-binomial mean is rejected
    assert c.min() == 1


def test_intensity_multiplier_scales_the_means_per_night():
    m = month(0.8, 30.0, 2.0, p_salvo=0.2, salvo_mean=200.0, salvo_disp=3.0)
    prof = {"months": {str(i): m for i in range(1, 13)}}
    n = 30_000
    mult = np.where(np.arange(n) % 2 == 0, 0.5, 2.0)
    c = sample_nightly_launches(prof, nights(n), np.random.default_rng(11),
                                intensity_multiplier=mult)
    for half, f in ((c[0::2], 0.5), (c[1::2], 2.0)):
        mean, var = launch_moments(m, f)
        assert within(half.mean(), mean, math.sqrt(var / len(half)))
    mean_wrong, var_wrong = launch_moments(m, 1.0)
    assert not within(c[0::2].mean(), mean_wrong, math.sqrt(var_wrong / (n // 2)))


def test_each_calendar_month_uses_its_own_parameters():
    # Month j: p_attack = j / 13, mean = 10 j. An off-by-one month lookup is caught.
    months = {str(j): month(j / 13, 10.0 * j, 2.0) for j in range(1, 13)}
    prof = {"months": months}
    d = nights(40 * 365, dt.date(1990, 1, 1))
    c = sample_nightly_launches(prof, d, np.random.default_rng(3))
    by_month = pd.Series(c).groupby([x.month for x in d])
    for j, grp in by_month:
        mean, var = launch_moments(months[str(j)])
        se = math.sqrt(var / len(grp))
        assert within(grp.mean(), mean, se), j
        if j < 12:
            assert not within(grp.mean(), launch_moments(months[str(j + 1)])[0], se), j


def test_max_per_night_caps_without_changing_the_draws():
    prof = flat_profile(p_attack=1.0, mean=100, disp=1.0, p_salvo=0.3, salvo_mean=800)
    d = nights(500)
    free = sample_nightly_launches(prof, d, np.random.default_rng(5))
    capped = sample_nightly_launches(prof, d, np.random.default_rng(5), max_per_night=150)
    assert capped.max() == 150 and (free > 150).any()
    np.testing.assert_array_equal(capped, np.minimum(free, 150))
    with pytest.raises(ValueError, match="max_per_night"):
        sample_nightly_launches(prof, d, np.random.default_rng(5), max_per_night=-1)


def test_same_seed_same_counts_and_return_salvo_changes_nothing():
    prof = flat_profile(p_attack=0.7, mean=60, disp=1.2, p_salvo=0.15, salvo_mean=500)
    d = nights(20_000)
    a = sample_nightly_launches(prof, d, np.random.default_rng(42))
    b, salvo = sample_nightly_launches(prof, d, np.random.default_rng(42), return_salvo=True)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.int64 and salvo.dtype == bool
    assert not np.array_equal(a, sample_nightly_launches(prof, d, np.random.default_rng(43)))
    # salvo flags only on attack nights, with share p_salvo among them
    assert (a[salvo] > 0).all()
    attack = a > 0
    share = salvo[attack].mean()
    assert within(share, 0.15, math.sqrt(0.15 * 0.85 / attack.sum()))
    assert not within(share, 0.12, math.sqrt(0.15 * 0.85 / attack.sum()))


def test_launch_sampler_bad_input():
    d = nights(3)
    prof = flat_profile(p_attack=0.5, mean=10, disp=1.0)
    with pytest.raises(TypeError):
        sample_nightly_launches(prof, d, 1)  # not a Generator
    with pytest.raises(ValueError, match="intensity_multiplier"):
        sample_nightly_launches(prof, d, np.random.default_rng(0), intensity_multiplier=-1.0)
    bad = flat_profile(p_attack=1.5, mean=10, disp=1.0)
    with pytest.raises(DataFileError, match=r"months\.1\.p_attack_night"):
        sample_nightly_launches(bad, d, np.random.default_rng(0))
    del prof["months"]["7"]
    with pytest.raises(DataFileError, match=r"months\.7 is missing"):
        sample_nightly_launches(prof, d, np.random.default_rng(0))
    assert sample_nightly_launches(flat_profile(p_attack=1, mean=1, disp=1), [],
                                   np.random.default_rng(0)).shape == (0,)


# --------------------------------------------------------------------------- target weights
def toy_sites() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["a", "b", "c", "d", "e", "f"],
        "type": ["thermal", "hydro", "nuclear", "thermal", "gas_production", "made_up"],
        "capacity_mw": [1000.0, 400.0, 2000.0, 500.0, 0.0, 300.0],
        "gas_mcm_per_day": [0.0, 0.0, 0.0, 0.0, 5.0, 0.0],
        "status": ["operational", "operational", "operational", "occupied", "operational",
                   "operational"],
    })


def test_target_weights_hand_computed():
    t = Threat().targeting  # thermal 3, hydro 2, nuclear 0, gas_production 2; exponent 0.5
    w = target_weights(toy_sites(), t)
    # size = max(capacity, 100 x gas mcm/day) + 50 MW; weight = type weight x size^0.5
    raw = np.array([3 * math.sqrt(1050), 2 * math.sqrt(450), 0.0, 0.0, 2 * math.sqrt(550), 0.0])
    np.testing.assert_allclose(w, raw / raw.sum(), rtol=1e-12)
    assert w.sum() == pytest.approx(1.0)
    # nuclear (type weight 0), occupied, and a type without a weight get nothing
    assert w[2] == w[3] == w[5] == 0.0
    # the exponent matters: exponent 1 gives other shares
    t1 = t.model_copy(update={"capacity_exponent": 1.0})
    raw1 = np.array([3 * 1050, 2 * 450, 0, 0, 2 * 550, 0.0])
    np.testing.assert_allclose(target_weights(toy_sites(), t1), raw1 / raw1.sum(), rtol=1e-12)
    assert not np.allclose(target_weights(toy_sites(), t1), w)


def test_target_weights_all_zero_is_zero_not_nan():
    sites = toy_sites().assign(status="destroyed")
    w = target_weights(sites, Threat().targeting)
    assert (w == 0).all()


def test_packaged_sites_weights_sum_to_one():
    sites = load_sites()
    w = target_weights(sites, Threat().targeting)
    assert w.sum() == pytest.approx(1.0)
    assert (w[sites["status"].to_numpy() != "operational"] == 0).all()
    assert (w[sites["type"].to_numpy() == "nuclear"] == 0).all()


# --------------------------------------------------------------------------- raids
SITES = load_sites()
SITE_XY = SITES[["x_km", "y_km"]].to_numpy(float)
AREAS = launch_areas()
AREA_XY = AREAS[["x_km", "y_km"]].to_numpy(float)
CITY_XY = city_targets()[["x_km", "y_km"]].to_numpy(float)
NO_ZONES = (np.zeros((0, 2)), np.zeros(0))


def raid(threat: Threat, n: int, seed: int = 0, zones=NO_ZONES, site_p=None, area_w=None):
    site_p = target_weights(SITES, threat.targeting) if site_p is None else site_p
    return generate_raid(threat, n, SITE_XY, site_p, zones[0], zones[1],
                         np.random.default_rng(seed), np.random.default_rng(seed + 1000),
                         area_w=area_w)


def test_raid_shapes_and_empty_raid():
    th = Threat()
    k = th.routing.waypoints
    r = raid(th, 50)
    assert r.n == 50
    assert r.pts.shape == (50, k + 2, 2) and r.times.shape == (50, k + 2)
    for a in (r.kind, r.area, r.target_kind, r.target, r.speed_kms, r.altitude_m, r.t_border,
              r.cost_eur):
        assert a.shape == (50,)
    e = raid(th, 0)
    assert e.n == 0 and e.pts.shape == (0, k + 2, 2) and e.times.shape == (0, k + 2)
    assert e.t_launch.shape == e.t_impact.shape == (0,)


def test_type_shares_and_per_type_attributes():
    th = Threat(decoy_share=0.3, jet_share=0.1)
    n = 20_000
    r = raid(th, n, seed=3)
    for kind, p in ((DECOY, 0.3), (JET, 0.1), (SHAHED, 0.6)):
        share = (r.kind == kind).mean()
        se = math.sqrt(p * (1 - p) / n)
        assert within(share, p, se), kind
        assert not within(share, p + 0.02, se), kind  # a 2-point error is detected
    for kind, name in enumerate(TYPE_NAMES):
        t = th.types[name]
        sel = r.kind == kind
        assert np.allclose(r.speed_kms[sel], t.speed_kmh / 3600)
        assert (r.altitude_m[sel] >= t.altitude_min_m).all()
        assert (r.altitude_m[sel] <= t.altitude_max_m).all()
        assert (r.cost_eur[sel] == t.unit_cost_eur).all()
    np.testing.assert_array_equal(r.warhead, r.kind != DECOY)


def test_launch_areas_follow_their_weights():
    n = 20_000
    # default: the record's weights; then a custom two-area threat
    for th in (Threat(), Threat(launch_areas={"kursk": 3.0, "chauda": 1.0})):
        w = area_weights(th)
        assert w.sum() == pytest.approx(1.0)
        r = raid(th, n, seed=5)
        counts = np.bincount(r.area, minlength=len(AREAS))
        for a, p in enumerate(w):
            se = math.sqrt(max(p * (1 - p), 1e-12) / n)
            assert within(counts[a] / n, p, se), AREAS["id"].iat[a]
    assert counts[AREAS.index[AREAS["id"] == "kursk"][0]] / n == pytest.approx(0.75, abs=0.02)
    # an explicit area_w overrides the threat's
    only = np.zeros(len(AREAS))
    only[4] = 1.0
    assert (raid(Threat(), 500, area_w=only).area == 4).all()


def test_launch_areas_bad_ids_or_weights_are_scenario_errors():
    with pytest.raises(ScenarioError, match=r"threat\.launch_areas.*nowhere"):
        area_weights(Threat(launch_areas={"kursk": 1.0, "nowhere": 2.0}))
    with pytest.raises(ScenarioError, match=r"threat\.launch_areas"):
        area_weights(Threat(launch_areas={"kursk": -1.0, "oryol": 2.0}))
    with pytest.raises(ScenarioError, match=r"threat\.launch_areas"):
        area_weights(Threat(launch_areas={"kursk": 0.0}))


def test_targets_follow_energy_share_and_site_weights():
    th = Threat(targeting={"energy_share": 0.4})
    p = target_weights(SITES, th.targeting)
    n = 30_000
    r = raid(th, n, seed=9)
    to_site = r.target_kind == TARGET_SITE
    assert within(to_site.mean(), 0.4, math.sqrt(0.24 / n))
    assert not within(to_site.mean(), 0.43, math.sqrt(0.24 / n))
    counts = np.bincount(r.target[to_site], minlength=len(SITES))
    assert counts[p == 0].sum() == 0  # never a zero-weight site
    m = to_site.sum()
    for i in np.nonzero(p)[0]:
        assert within(counts[i] / m, p[i], math.sqrt(p[i] * (1 - p[i]) / m)), SITES["id"].iat[i]
    # no site has positive weight -> every drone goes to a city
    r0 = raid(th, 200, site_p=np.zeros(len(SITES)))
    assert (r0.target_kind == TARGET_CITY).all()


def test_routes_start_at_the_area_end_at_the_target_at_constant_speed():
    th = Threat(decoy_share=0.3, jet_share=0.1, routing={"waypoints": 3})
    r = raid(th, 2_000, seed=13)
    np.testing.assert_allclose(r.pts[:, 0], AREA_XY[r.area])
    end = np.where((r.target_kind == TARGET_SITE)[:, None], SITE_XY[r.target],
                   CITY_XY[np.minimum(r.target, len(CITY_XY) - 1)])
    np.testing.assert_allclose(r.pts[:, -1], end)
    seg = np.hypot(*np.moveaxis(np.diff(r.pts, axis=1), -1, 0))
    dt_ = np.diff(r.times, axis=1)
    assert (dt_ >= 0).all()
    np.testing.assert_allclose(seg, dt_ * r.speed_kms[:, None], rtol=1e-9, atol=1e-9)
    # launches inside the window
    assert (r.t_launch >= 0).all() and (r.t_launch <= th.arrival.launch_window_h * 3600).all()
    # border entry: border_km along the route at the drone's speed (or the impact if shorter)
    border = AREAS["border_km"].to_numpy(float)[r.area]
    total = seg.sum(1)
    np.testing.assert_allclose(r.t_border, r.t_launch + np.minimum(border, total) / r.speed_kms,
                               rtol=1e-9, atol=1e-6)
    assert (r.t_border <= r.t_impact + 1e-9).all()


def test_launch_times_come_in_waves():
    th = Threat(arrival={"waves": 3, "launch_window_h": 6.0, "wave_spread_h": 0.1})
    r = raid(th, 6_000, seed=17)
    h = r.t_launch / 3600
    # three waves centred at 1, 3 and 5 h, each about a third of the drones
    wave = np.digitize(h, [2.0, 4.0])
    for w, centre in enumerate((1.0, 3.0, 5.0)):
        sel = wave == w
        assert within(sel.mean(), 1 / 3, math.sqrt(2 / 9 / len(h)))
        assert h[sel].mean() == pytest.approx(centre, abs=0.01)


def _zones():
    """Three disjoint envelopes across the main approach from the east and north-east."""
    centres = np.array([[150.0, 150.0], [50.0, 0.0], [-100.0, 150.0]])
    return centres, np.array([40.0, 40.0, 40.0])


def test_waypoints_avoid_envelopes_except_the_one_holding_the_target():
    centres, radii = _zones()
    th = Threat(routing={"waypoints": 3, "dogleg_km": 80.0, "avoid_defended_zones": True,
                         "avoid_margin_km": 10.0})
    r = raid(th, 5_000, seed=19, zones=(centres, radii))
    wp = r.pts[:, 1:-1]  # (N, K, 2)
    d = np.hypot(wp[..., None, 0] - centres[:, 0], wp[..., None, 1] - centres[:, 1])  # (N,K,Z)
    reach = radii + 10.0
    end = r.pts[:, -1]
    holds_target = np.hypot(end[:, None, 0] - centres[:, 0],
                            end[:, None, 1] - centres[:, 1]) <= reach  # (N, Z)
    inside = d < reach - 1e-6
    assert not (inside & ~holds_target[:, None, :]).any()
    # without avoidance, the same routes do cross the envelopes (the test can fail)
    th_off = th.model_copy(update={"routing": th.routing.model_copy(
        update={"avoid_defended_zones": False})})
    r_off = raid(th_off, 5_000, seed=19, zones=(centres, radii))
    wp = r_off.pts[:, 1:-1]
    d = np.hypot(wp[..., None, 0] - centres[:, 0], wp[..., None, 1] - centres[:, 1])
    assert ((d < reach - 1e-6) & ~holds_target[:, None, :]).sum() > 50


def test_routing_stream_only_moves_waypoints():
    th = Threat()
    site_p = target_weights(SITES, th.targeting)
    a = generate_raid(th, 300, SITE_XY, site_p, *NO_ZONES, np.random.default_rng(1),
                      np.random.default_rng(2))
    b = generate_raid(th, 300, SITE_XY, site_p, *NO_ZONES, np.random.default_rng(1),
                      np.random.default_rng(3))
    for f in ("kind", "area", "target_kind", "target", "altitude_m", "cost_eur"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.t_launch, b.t_launch)
    np.testing.assert_array_equal(a.pts[:, [0, -1]], b.pts[:, [0, -1]])
    assert not np.allclose(a.pts[:, 1:-1], b.pts[:, 1:-1])


@settings(max_examples=40, deadline=None)
@given(
    d1=st.floats(0.0, 0.9), d2=st.floats(0.0, 0.9), e_share=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_raising_decoy_share_only_turns_shaheds_into_decoys(d1, d2, e_share, seed):
    """Common random numbers: two threat variants with the same streams face the same drones;
    raising decoy_share turns some Shaheds into decoys and changes nothing else (targets,
    areas, launch times, routes)."""
    lo, hi = sorted((d1, d2))
    targeting = {"energy_share": e_share}
    a = raid(Threat(decoy_share=lo, jet_share=0.0, targeting=targeting), 300, seed=seed % 10**6)
    b = raid(Threat(decoy_share=hi, jet_share=0.0, targeting=targeting), 300, seed=seed % 10**6)
    for f in ("area", "target_kind", "target"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.t_launch, b.t_launch)
    np.testing.assert_array_equal(a.pts, b.pts)
    changed = a.kind != b.kind
    assert ((a.kind[changed] == SHAHED) & (b.kind[changed] == DECOY)).all()
    assert (b.kind[a.kind == DECOY] == DECOY).all()


def test_raising_decoy_share_with_jets_only_turns_shaheds_into_decoys():
    a = raid(Threat(decoy_share=0.30, jet_share=0.05), 2_000, seed=23)
    b = raid(Threat(decoy_share=0.40, jet_share=0.05), 2_000, seed=23)
    changed = a.kind != b.kind
    assert ((a.kind[changed] == SHAHED) & (b.kind[changed] == DECOY)).all()


def test_waypoints_avoid_overlapping_envelopes():
    centres = np.array([[150.0, 150.0], [200.0, 150.0], [175.0, 195.0]])
    radii = np.full(3, 40.0)
    th = Threat(routing={"waypoints": 3, "dogleg_km": 80.0, "avoid_margin_km": 10.0})
    r = raid(th, 5_000, seed=29, zones=(centres, radii))
    wp = r.pts[:, 1:-1]
    d = np.hypot(wp[..., None, 0] - centres[:, 0], wp[..., None, 1] - centres[:, 1])
    end = r.pts[:, -1]
    holds_target = np.hypot(end[:, None, 0] - centres[:, 0],
                            end[:, None, 1] - centres[:, 1]) <= radii + 10.0
    assert not ((d < radii + 10.0 - 1e-6) & ~holds_target[:, None, :]).any()
