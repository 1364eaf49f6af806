"""Tactics that change month by month, and kill probabilities that depend on the target."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pytest

from sim.config.data import load_sites
from sim.config.errors import ScenarioError
from sim.config.io import with_overrides
from sim.config.schema import Scenario
from sim.config.tactics import KillTable
from sim.model.air_defense import fire_groups
from sim.model.engagement import interceptor_pk
from sim.model.threat import (
    DECOY,
    JET,
    generate_raid,
    nightly_launch_counts,
    tactics_for,
    target_weights,
)

MONTHS = ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]


def _scenario(timeline: dict, **over) -> Scenario:
    data = {"name": "t", "threat": {"tactics": {"timeline": timeline}}}
    sc = Scenario.model_validate(data)
    return with_overrides(sc, over) if over else sc


def _timeline(**fields) -> dict:
    return {m: dict(fields) for m in MONTHS}


def test_timeline_must_cover_the_period_exactly():
    _scenario(_timeline(decoy_share=0.4))  # all five months of the default winter: fine
    tl = _timeline(decoy_share=0.4)
    del tl["2026-01"]
    with pytest.raises(ScenarioError, match=r"threat\.tactics\.timeline: .*2026-01.*missing"):
        _scenario_from(tl)
    tl = _timeline(decoy_share=0.4)
    tl["2026-04"] = {"decoy_share": 0.4}
    with pytest.raises(ScenarioError, match=r"2026-04 lie outside the period"):
        _scenario_from(tl)
    with pytest.raises(ScenarioError, match="YYYY-MM"):
        _scenario_from({"Nov 2025": {}})


def _scenario_from(timeline):
    from sim.config.io import scenario_from_dict

    return scenario_from_dict({"name": "t", "threat": {"tactics": {"timeline": timeline}}},
                              "t.yaml")


@pytest.mark.parametrize(("month", "message"), [
    ({"decoy_share": 1.2}, "less than or equal to 1"),
    ({"decoy_share": 0.7, "jet_share": 0.4}, "decoy_share \\+ jet_share"),
    ({"altitude_bands_m": [{"low_m": 0, "high_m": 1000, "share": 0.5}]}, "sum to 1"),
    ({"altitude_bands_m": [{"low_m": 900, "high_m": 100, "share": 1.0}]}, "high_m must be"),
    ({"evading_share": -0.1}, "greater than or equal to 0"),
])
def test_bad_months_are_refused_with_the_key_path(month, message):
    tl = _timeline()
    tl["2025-12"] = month
    with pytest.raises(ScenarioError, match=message) as err:
        _scenario_from(tl)
    assert "threat.tactics.timeline.2025-12" in str(err.value)


@pytest.mark.parametrize(("table", "message"), [
    ({"x": [0, 1000, 1000], "factor": [1, 0.5, 0.2]}, "strictly increasing"),
    ({"x": [2000, 1000], "factor": [1, 0.5]}, "strictly increasing"),
    ({"x": [0, 1000], "factor": [1, 1.5]}, r"in \[0, 1\]"),
    ({"x": [0, 1000, 2000], "factor": [1, 0.5]}, "must match"),
    ({"x": [0], "factor": [1]}, "at least 2"),
])
def test_kill_tables_must_be_functions_of_their_input(table, message):
    with pytest.raises(ScenarioError, match=message) as err:
        with_overrides(Scenario(name="t"), {"defense.interceptor.pk_by_altitude_m": table})
    assert "defense.interceptor.pk_by_altitude_m" in str(err.value)


def test_bad_timeline_file_exits_2_and_names_the_key(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("name: bad\nperiod: {start_date: 2025-11-01, nights: 30}\n"
                 "threat:\n  tactics:\n    timeline:\n      '2025-12': {decoy_share: 0.3}\n")
    p = subprocess.run([sys.executable, "-m", "sim", "validate", str(f)], capture_output=True,
                       text=True)
    assert p.returncode == 2
    assert "threat.tactics.timeline" in p.stderr and "Traceback" not in p.stderr


def _raid(sc, n=20000, seed=1, month="2025-12"):
    sites = load_sites()
    p = target_weights(sites, sc.threat.targeting)
    t = tactics_for(sc.threat, month) if sc.threat.tactics.timeline else None
    return generate_raid(sc.threat, n, sites[["x_km", "y_km"]].to_numpy(float), p,
                         np.zeros((0, 2)), np.zeros(0), np.random.default_rng(seed),
                         np.random.default_rng(seed + 1), tactics=t)


def test_altitude_bands_and_shares_of_the_month():
    bands = [{"low_m": 100, "high_m": 1000, "share": 0.25},
             {"low_m": 2000, "high_m": 5000, "share": 0.75}]
    sc = _scenario(_timeline(altitude_bands_m=bands, decoy_share=0.5, jet_share=0.05))
    r = _raid(sc)
    n = r.n
    decoy = (r.kind == DECOY).mean()
    jet = (r.kind == JET).mean()
    se = np.sqrt(0.25 / n)
    assert abs(decoy - 0.5) < 4 * se and abs(jet - 0.05) < 4 * np.sqrt(0.05 * 0.95 / n)
    alt = r.altitude_m[r.kind != JET]
    low = (alt <= 1000).mean()
    assert abs(low - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(alt))
    assert alt.min() >= 100 and alt.max() <= 5000
    assert not ((alt > 1000) & (alt < 2000)).any()  # nothing between the bands
    # Jets keep their type's range.
    jt = sc.threat.types["jet"]
    ja = r.altitude_m[r.kind == JET]
    assert ja.min() >= jt.altitude_min_m and ja.max() <= jt.altitude_max_m


def test_a_band_without_limits_takes_each_drone_types_own_range():
    """``{share: 0.6}`` with the Shahed type at 100-1,000 m and the decoy type at 1,500-2,500 m:
    Shaheds fly in the first, decoys in the second; moving the decoys' range moves only the
    decoys (the same uniform per drone: the Shaheds' altitudes stay bit for bit)."""
    bands = [{"share": 0.6}, {"low_m": 4000, "high_m": 5000, "share": 0.4}]
    over = {"threat.types.shahed.altitude_min_m": 100, "threat.types.shahed.altitude_max_m": 1000,
            "threat.types.decoy.altitude_min_m": 1500, "threat.types.decoy.altitude_max_m": 2500}
    sc = _scenario(_timeline(altitude_bands_m=bands, decoy_share=0.5), **over)
    r = _raid(sc)
    low = r.altitude_m < 4000
    sh, de = (r.kind != DECOY) & (r.kind != JET), r.kind == DECOY
    assert r.altitude_m[sh & low].min() >= 100 and r.altitude_m[sh & low].max() <= 1000
    assert r.altitude_m[de & low].min() >= 1500 and r.altitude_m[de & low].max() <= 2500
    assert abs((r.altitude_m[de] >= 4000).mean() - 0.4) < 0.02  # the high band for both
    moved = _raid(with_overrides(sc, {"threat.types.decoy.altitude_max_m": 3500}))
    np.testing.assert_array_equal(moved.altitude_m[sh], r.altitude_m[sh])
    assert moved.altitude_m[de & low].max() > 2500
    t = tactics_for(sc.threat, "2025-12")
    assert t.altitude_bands[0, :2].tolist() == [100, 1000]
    assert t.decoy_altitude_bands[0, :2].tolist() == [1500, 2500]


def test_a_band_the_decoys_range_leaves_empty_is_refused():
    ok = _scenario(_timeline(altitude_bands_m=[{"low_m": 900, "share": 1.0}]))
    with pytest.raises(ScenarioError, match=r"threat\.types\.decoy\.altitude_max_m 800.*decoy"):
        with_overrides(ok, {"threat.types.decoy.altitude_max_m": 800})


def test_constant_tactics_give_the_same_raid_as_no_timeline():
    plain = Scenario(name="t")
    same = _scenario(_timeline())  # months with no values: the constants
    a, b = _raid(plain), _raid(same)
    for f in ("kind", "target", "altitude_m", "times"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


def test_evasion_draws_do_not_move_the_raid():
    a = _raid(Scenario(name="t"))
    b = _raid(_scenario(_timeline(evading_share=0.3)))
    np.testing.assert_array_equal(a.target, b.target)
    np.testing.assert_array_equal(a.times, b.times)
    ev = b.evading[b.kind != DECOY]
    assert abs(ev.mean() - 0.3) < 4 * np.sqrt(0.21 / len(ev))
    assert not b.evading[b.kind == DECOY].any()


def test_salvo_months_change_only_those_months():
    dates = [dt.date(2025, 11, 1) + dt.timedelta(days=i) for i in range(151)]
    base = Scenario(name="t")
    tl = _timeline()
    tl["2026-01"] = {"p_salvo": 1.0, "salvo_mean": 700}
    sc = _scenario(tl)
    a = nightly_launch_counts(base.threat, dates, np.random.default_rng(3))
    b = nightly_launch_counts(sc.threat, dates, np.random.default_rng(3))
    jan = np.array([d.month == 1 for d in dates])
    np.testing.assert_array_equal(a[~jan], b[~jan])
    attack = b[jan] > 0
    assert b[jan][attack].mean() > 400 > a[jan][attack].mean()


def test_interceptor_pk_is_the_product_of_its_factors():
    sc = with_overrides(Scenario(name="t"), {
        "defense.interceptor.pk": 0.8,
        "defense.interceptor.pk_jet_factor": 0.5,
        "defense.interceptor.pk_by_altitude_m": {"x": [1000, 3000], "factor": [1.0, 0.5]},
        "defense.interceptor.pk_by_speed_kmh": {"x": [200, 600], "factor": [1.0, 0.0]},
        "defense.interceptor.pk_evading_factor": 0.5,
    })

    class R:
        kind = np.array([0, 0, 0, JET])
        altitude_m = np.array([500.0, 2000.0, 4000.0, 500.0])
        speed_kms = np.array([185, 185, 185, 400]) / 3600.0
        evading = np.array([False, True, False, False])

    pk = interceptor_pk(R, sc.defense.interceptor)
    np.testing.assert_allclose(pk, [0.8, 0.8 * 0.75 * 0.5, 0.8 * 0.5, 0.8 * 0.5 * 0.5])


def test_fire_groups_lose_reach_with_altitude():
    """A fire group's kills fall with the altitude table (same uniforms: common random
    numbers), and nothing above its ceiling is engaged."""
    base = Scenario(name="t")
    table = {"x": [0, 1500], "factor": [1.0, 0.2]}
    cfg0 = base.defense.layers.mobile_fire_groups.model_copy(update={"engagements_per_night": 10**6})
    cfg1 = with_overrides(base, {"defense.layers.mobile_fire_groups.pk_by_altitude_m": table}
                          ).defense.layers.mobile_fire_groups.model_copy(
                              update={"engagements_per_night": 10**6})
    r = _raid(base, n=5000)
    alive = np.ones(r.n, bool)
    e0, k0 = fire_groups(r, alive, alive, cfg0, np.random.default_rng(5))
    e1, k1 = fire_groups(r, alive, alive, cfg1, np.random.default_rng(5))
    np.testing.assert_array_equal(e0, e1)
    assert (k1 <= k0).all() and k1.sum() < k0.sum()
    assert not e0[r.altitude_m > cfg0.max_altitude_m].any()


def test_kill_table_interpolates_and_is_flat_beyond_the_ends():
    from sim.model.engagement import table_factor

    t = KillTable(x=[0, 1000, 3000], factor=[1.0, 0.8, 0.2])
    np.testing.assert_allclose(table_factor(t, np.array([-5, 0, 500, 2000, 9000])),
                               [1.0, 1.0, 0.9, 0.5, 0.2])
