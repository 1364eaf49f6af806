"""Unit tests of sim/model/basing.py: where the interceptor launch sites go.

Oracles computed independently of the module: the eligible sites sorted by value with pandas,
the threat direction as the record-weighted mean of the launch areas, a largest-remainder
(Hamilton) apportionment in exact fractions, and the corridor geometry (distance along the
axis from the launch area towards the value-weighted centroid of the sites, offset across it).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.data import city_targets, launch_areas, load_sites
from sim.config.errors import ScenarioError
from sim.config.schema import Basing, Threat
from sim.model.basing import base_positions
from sim.model.threat import target_weights

SITES = load_sites()
SITE_XY = SITES[["x_km", "y_km"]].to_numpy(float)
CITIES = city_targets()
CITY_XY = CITIES[["x_km", "y_km"]].to_numpy(float)
AREAS = launch_areas()
AREA_XY = AREAS[["x_km", "y_km"]].to_numpy(float)
THREAT = Threat()
VALUE = target_weights(SITES, THREAT.targeting)


def positions(policy, n, basing=None, threat=THREAT, value=VALUE):
    return base_positions(policy, n, SITES, value, threat, basing or Basing())


def hamilton(weights, n) -> list[int]:
    """Largest-remainder apportionment in exact arithmetic (ties to the earlier entry)."""
    w = [Fraction(x).limit_denominator(10**9) for x in weights]
    q = [x * n / sum(w) for x in w]
    base = [math.floor(x) for x in q]
    order = sorted(range(len(q)), key=lambda i: (-(q[i] - base[i]), i))
    for i in order[: n - sum(base)]:
        base[i] += 1
    return base


def eligible_in_value_order(basing: Basing) -> list[int]:
    df = SITES.assign(value=VALUE)
    ok = df["type"].isin(basing.site_types) & (df["status"] == "operational")
    return list(df[ok].sort_values("value", ascending=False, kind="stable").index)


# --------------------------------------------------------------------------- energy sites
def test_energy_sites_first_at_the_most_valuable_eligible_sites_then_rings_12_km_off():
    b = Basing()
    order = eligible_in_value_order(b)
    m = len(order)
    pos = positions("energy_sites", 3 * m + 2, b)
    assert pos.shape == (3 * m + 2, 2)
    np.testing.assert_allclose(pos[:m], SITE_XY[order])
    # the threat direction: launch areas weighted by the record's weights
    w = AREAS["weight"].to_numpy(float)
    threat_xy = (AREA_XY * (w / w.sum())[:, None]).sum(0)
    ring1, ring2 = pos[m:2 * m], pos[2 * m:3 * m]
    for ring in (ring1, ring2):
        np.testing.assert_allclose(np.hypot(*(ring - SITE_XY[order]).T), 12.0)
    towards = threat_xy - SITE_XY[order]
    towards /= np.hypot(*towards.T)[:, None]
    np.testing.assert_allclose(((ring1 - SITE_XY[order]) * towards).sum(1), 12.0)  # facing it
    np.testing.assert_allclose(((ring2 - SITE_XY[order]) * towards).sum(1), 12.0 * -0.5,
                               atol=1e-3)  # 120 degrees round
    ring3 = pos[3 * m:]  # the third ring starts: 240 degrees round, the other side
    np.testing.assert_allclose(np.hypot(*(ring3 - SITE_XY[order[:2]]).T), 12.0)
    np.testing.assert_allclose(((ring3 - SITE_XY[order[:2]]) * towards[:2]).sum(1), -6.0,
                               atol=1e-3)
    assert not np.allclose(ring3, ring2[:2])
    # a short fleet takes a prefix
    np.testing.assert_allclose(positions("energy_sites", 5, b), pos[:5])


def test_energy_sites_only_eligible_types_and_operational_sites():
    b = Basing(site_types=["hydro"])
    order = eligible_in_value_order(b)
    pos = positions("energy_sites", len(order), b)
    assert set(SITES["type"].iloc[order]) == {"hydro"}
    np.testing.assert_allclose(pos, SITE_XY[order])
    occupied = SITES.index[(SITES["type"] == "hydro") & (SITES["status"] != "operational")]
    for i in occupied:
        assert not np.isclose(np.hypot(*(pos - SITE_XY[i]).T), 0).any()
    # a deliberately wrong site type list is an error naming the key path
    with pytest.raises(ScenarioError, match=r"defense\.basing\.site_types"):
        positions("energy_sites", 3, Basing(site_types=["windmill"]))


# --------------------------------------------------------------------------- cities
def _owner(pos: np.ndarray, xy: np.ndarray, radius: float) -> np.ndarray:
    d = np.hypot(pos[:, None, 0] - xy[:, 0], pos[:, None, 1] - xy[:, 1])
    owner = np.argmin(np.abs(d - radius), 1)
    np.testing.assert_allclose(d[np.arange(len(pos)), owner], radius)
    return owner


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 300))
def test_cities_apportioned_by_weight_on_15_km_rings(n):
    pos = positions("cities", n)
    assert pos.shape == (n, 2)
    counts = np.bincount(_owner(pos, CITY_XY, 15.0), minlength=len(CITIES))
    assert counts.tolist() == hamilton(CITIES["weight"].tolist(), n)
    q = CITIES["weight"].to_numpy(float) * n / CITIES["weight"].sum()
    assert (counts >= np.floor(q)).all() and (counts <= np.ceil(q)).all() and counts.sum() == n


def test_every_prefix_of_the_cities_list_is_shared_by_weight():
    n = 80
    pos = positions("cities", n)
    owner = _owner(pos, CITY_XY, 15.0)
    w = CITIES["weight"].to_numpy(float)
    for k in (10, 20, 40):
        counts = np.bincount(owner[:k], minlength=len(w))
        assert (np.abs(counts - w / w.sum() * k) < 1.0 + 1e-9).all(), k


# --------------------------------------------------------------------------- corridors
def _corridor_frame(a: int, value=VALUE):
    aim = (SITE_XY * value[:, None]).sum(0) / value.sum()
    start = AREA_XY[a]
    d = aim - start
    length = np.hypot(*d)
    d = d / length
    return start, d, np.array([-d[1], d[0]]), length


@pytest.mark.parametrize("n,depths", [(40, [40.0, 120.0]), (7, [40.0, 120.0]),
                                      (60, [30.0, 80.0, 150.0]), (13, [50.0])])
def test_corridors_lie_on_the_axes_at_the_given_depths(n, depths):
    """Each approach axis gets its largest-remainder share of the sites, at the given depths
    inside Ukrainian-controlled airspace, in rows 25 km apart centred on the axis (the list is
    interleaved across axes, so the positions are compared as a set)."""
    b = Basing(corridor_depth_km=depths)
    pos = positions("corridors", n, b)
    assert pos.shape == (n, 2)
    w = AREAS["weight"].to_numpy(float)
    k = hamilton(w.tolist(), n)
    border = AREAS["border_km"].to_numpy(float)
    expected = []
    for a, ka in enumerate(k):
        start, d, normal, length = _corridor_frame(a)
        rows = -(-ka // len(depths))
        for m in range(ka):
            along = min(border[a] + depths[m % len(depths)], length)
            across = ((m // len(depths)) - (rows - 1) / 2) * 25.0
            expected.append(start + along * d + across * normal)
    expected = np.array(expected).reshape(-1, 2)
    order = np.lexsort(expected.T)
    np.testing.assert_allclose(pos[np.lexsort(pos.T)], expected[order], atol=1e-9)


def _axis_of(p):
    """The launch area on whose approach axis a corridor position lies."""
    for a in range(len(AREAS)):
        start, d, normal, _ = _corridor_frame(a)
        rel = p - start
        if abs(rel @ normal) < 1e-6 and rel @ d > 0:
            return a
    return -1


def test_every_prefix_of_the_corridors_list_is_shared_by_weight():
    n = 60
    pos = positions("corridors", n)
    owner = np.array([_axis_of(p) for p in pos])
    w = AREAS["weight"].to_numpy(float)
    for k in (6, 12, 30):
        counts = np.bincount(owner[:k][owner[:k] >= 0], minlength=len(w))
        # sites off the axis (rows beside it) are not attributed; the ones on it are not above
        # their quota
        assert (counts <= w / w.sum() * k + 1.0 + 1e-9).all(), k


def test_corridors_follow_custom_launch_area_weights():
    th = Threat(launch_areas={"kursk": 1.0, "chauda": 1.0})
    pos = positions("corridors", 4, threat=th)
    a_kursk = int(AREAS.index[AREAS["id"] == "kursk"][0])
    a_chauda = int(AREAS.index[AREAS["id"] == "chauda"][0])
    owners = []
    for p in pos:
        for a in (a_kursk, a_chauda):
            start, d, normal, _ = _corridor_frame(a)
            if abs((p - start) @ normal) < 1e-9:
                owners.append(a)
    assert sorted(owners) == sorted([a_kursk, a_kursk, a_chauda, a_chauda])


# --------------------------------------------------------------------------- custom
def test_custom_sites_in_order_then_cycling_on_an_8_km_ring():
    ids = ["kyiv", SITES["id"].iat[3], "lviv"]
    b = Basing(policy="custom", custom_sites=ids)
    pos = positions("custom", 8, b)
    ref = np.array([CITY_XY[0], SITE_XY[3], CITY_XY[CITIES.index[CITIES["id"] == "lviv"][0]]])
    np.testing.assert_allclose(pos[:3], ref)
    for m in range(3, 8):
        assert np.hypot(*(pos[m] - ref[m % 3])) == pytest.approx(8.0)
    assert len({tuple(np.round(p, 6)) for p in pos}) == 8  # no two sites on the same spot


def test_custom_bad_ids_are_scenario_errors_naming_the_key():
    with pytest.raises(ScenarioError, match=r"defense\.basing\.custom_sites.*atlantis"):
        positions("custom", 2, Basing(policy="custom", custom_sites=["kyiv", "atlantis"]))
    with pytest.raises(ScenarioError, match=r"defense\.basing\.custom_sites"):
        positions("custom", 2, Basing(policy="custom", custom_sites=[]))
    with pytest.raises(ScenarioError, match=r"defense\.basing\.policy"):
        positions("ring_of_fire", 2)


@pytest.mark.parametrize("policy", ["energy_sites", "cities", "corridors", "custom"])
def test_no_sites_gives_an_empty_array(policy):
    out = positions(policy, 0, Basing(custom_sites=["kyiv"]))
    assert out.shape == (0, 2)


# --------------------------------------------------------------------------- the registry
def test_the_registry_names_are_the_schema_names():
    from sim.config.schema import BASING_POLICIES
    from sim.model.basing import STRATEGIES

    assert tuple(STRATEGIES) == BASING_POLICIES
    assert all(s.summary for s in STRATEGIES.values())
    with pytest.raises(ValueError, match="policy"):
        Basing(policy="ring_of_fire")


def test_grid_critical_ranks_by_the_load_shed_without_the_site():
    """Oracle: a plant's criticality is the load the grid sheds at the design peak when the
    plant is marked destroyed in the site table (a separate path through the grid model)."""
    import datetime as dt

    from sim.config.energy import EnergyConfig
    from sim.model.basing import site_criticality
    from sim.model.energy.system import EnergySystem

    crit = site_criticality(SITES)
    b = Basing()
    ok = SITES["type"].isin(b.site_types).to_numpy() & (SITES["status"] == "operational").to_numpy()
    order = sorted(np.flatnonzero(ok), key=lambda i: (-crit[i], -VALUE[i], i))
    pos = positions("grid_critical", 10, b)
    np.testing.assert_allclose(pos, SITE_XY[order[:10]])
    plants = [i for i in np.flatnonzero(ok & (SITES["type"] == "thermal").to_numpy())
              if crit[i] > 1.0]
    assert plants, "some plant's loss sheds load at the design peak"
    i = max(plants, key=lambda j: crit[j])
    gone = SITES.copy()
    gone.loc[i, "status"] = "destroyed"
    es = EnergySystem(gone, EnergyConfig(), dt.date(2026, 1, 1), 1, np.random.default_rng(0))
    es.lp.set_scale(1.0)
    res = es.lp.solve()
    assert crit[i] == pytest.approx(res.demand_mw - res.served_mw, rel=1e-6, abs=1e-3)
    assert (crit[~(SITES["status"] == "operational").to_numpy()] == 0).all()


def test_threat_weighted_ranks_by_value_times_nearness_to_the_launch_areas():
    w = AREAS["weight"].to_numpy(float)
    w = w / w.sum()
    b = Basing()
    merit = {}
    for i, row in SITES.iterrows():
        if row["type"] in b.site_types and row["status"] == "operational":
            exposure = sum(w[a] / max(math.dist((row["x_km"], row["y_km"]), AREA_XY[a]), 10.0)
                           for a in range(len(AREAS)))
            merit[i] = VALUE[i] * exposure
    order = sorted(merit, key=lambda i: (-merit[i], -VALUE[i], i))
    np.testing.assert_allclose(positions("threat_weighted", 15, b), SITE_XY[order[:15]])


@pytest.mark.parametrize("name", ["energy_sites", "cities", "corridors", "grid_critical",
                                  "threat_weighted"])
def test_a_mix_of_one_strategy_is_that_strategy(name):
    mix = Basing(policy="mix", mix_weights={name: 0.7})
    np.testing.assert_allclose(positions("mix", 150, mix), positions(name, 150))


def test_a_mix_shares_every_prefix_by_weight_and_never_doubles_a_site():
    """Two strategies that pick the same places (energy sites by value and by grid
    criticality) give one launch site per place; every prefix follows the weights."""
    w = {"energy_sites": 0.5, "grid_critical": 0.25, "corridors": 0.25}
    mix = positions("mix", 60, Basing(policy="mix", mix_weights=w))
    lists = {k: positions(k, 60) for k in w}  # (corridor lists depend on their length)
    owner = []
    for p in mix:
        hits = [k for k, lst in lists.items() if np.isclose(np.hypot(*(lst - p).T), 0).any()]
        assert hits
        owner.append(hits)
    d = np.hypot(*(mix[:, None, :] - mix[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    shared = (d < 1.0).any(1)  # only sites one strategy itself doubles may be that close
    for j in np.flatnonzero(shared):
        k = int(np.flatnonzero(d[j] < 1.0)[0])
        assert set(owner[j]) & set(owner[k])
    corr = np.array(["corridors" in o for o in owner])
    for k in (8, 20, 40, 60):  # corridors never coincide with a site: always on quota
        assert abs(corr[:k].sum() - k / 4) <= 1, k
    with pytest.raises(ValueError, match="mix_weights"):
        Basing(policy="mix")
    with pytest.raises(ValueError, match="unknown strategy"):
        Basing(policy="mix", mix_weights={"moon": 1.0})
