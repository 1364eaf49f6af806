"""Missile kernels (sim/model/missile_threat.py, sim/model/missile_defense.py) and the missile
scenario sections.

Oracles: conservation per night and class (hypothesis); the missile-defence closed form (with
S interceptors, two per ballistic missile and kill probability p, min(M, S/2) missiles are
engaged and the expected kills are min(M, S/2)(1 - (1 - p)^2)); the sampler against its own
expectation; common random numbers across defence variants.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.errors import DataFileError, ScenarioError
from sim.config.io import scenario_from_dict, with_overrides
from sim.config.missiles import MISSILE_CLASSES, MissileDefenseSystems
from sim.config.schema import Scenario
from sim.model import missile_defense as MD
from sim.model import missile_threat as M
from sim.model.night import MissileNight, Night
from sim.model.outcomes import OUTCOMES, nightly_columns
from sim.model.threat import sample_nightly_launches

N_SITES = 7
SITE_XY = np.column_stack([np.arange(N_SITES) * 10.0, np.zeros(N_SITES)])
SITE_P = np.full(N_SITES, 1.0 / N_SITES)
DEFAULT = Scenario(name="t")


def _one_system(stock: int, pk: float, shots: int = 2, cover: float = 1.0) -> MD.DefenseTable:
    cfg = MissileDefenseSystems(systems={
        "patriot": {"enabled": False}, "samp_t": {"enabled": False},
        "nasams_iris_t": {"enabled": False}, "s300_buk": {"enabled": False},
        "oracle": {
            "interceptors_start": stock, "resupply_per_month": 0, "interceptor_cost_eur": 1.0,
            "classes_engaged": ["ballistic"], "pk": {"ballistic": pk},
            "interceptors_per_engagement": {"ballistic": shots},
            "coverage_share": {"ballistic": cover},
        },
    })
    return MD.defense_table(cfg)


def _missile_row(raid, res, hits, table, stocks_end=None) -> dict:
    """Tonight's missile columns as the model's DataCollector reads them from the night."""
    night = Night(index=0, date=None, root=None, launches=0, n_sites=N_SITES)
    night.missiles = MissileNight(raid=raid, defense=res, table=table, hits=hits,
                                  stocks_end=res.stocks_after if stocks_end is None
                                  else stocks_end)
    cols = [c for c in nightly_columns(energy=False, missiles=True) if OUTCOMES[c].group
            == "missiles"]
    return {c: OUTCOMES[c].read(night) for c in cols}


def _raid(counts, rng, share=0.6) -> M.MissileRaid:
    return M.generate_missile_raid(counts, SITE_XY, SITE_P, rng, energy_share=share,
                                   unit_cost_eur=[1, 2, 3, 4])


# ------------------------------------------------------------------------------------------
# Conservation (hypothesis)
# ------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 60), min_size=4, max_size=4),
    stocks=st.lists(st.integers(0, 120), min_size=4, max_size=4),
    seed=st.integers(0, 2**31 - 1),
    p_hit=st.floats(0, 1),
)
def test_conservation_per_night_and_class(counts, stocks, seed, p_hit):
    table = MD.defense_table(DEFAULT.defense.missile_defense)
    rng = np.random.default_rng(seed)
    raid = _raid(counts, rng)
    stocks = np.array(stocks, dtype=np.int64)
    res = MD.engage_missiles(raid, stocks, table, rng)
    hits = M.missile_hits(raid, res.destroyed, p_hit, rng, N_SITES)
    rec = _missile_row(raid, res, hits, table)
    for i, c in enumerate(MISSILE_CLASSES):
        assert rec[f"missiles_launched_{c}"] == counts[i]
        assert rec[f"missiles_launched_{c}"] == (rec[f"missiles_destroyed_{c}"]
                                                 + rec[f"missiles_leaked_{c}"])
        assert 0 <= rec[f"missile_hits_on_sites_{c}"] <= rec[f"missiles_leaked_{c}"]
    assert rec["missiles_launched"] == rec["missiles_destroyed"] + rec["missiles_leaked"]
    assert rec["missiles_launched"] == sum(counts)
    # Interceptors: used = stock before - stock after, never negative, only by engaging systems.
    assert np.all(res.stocks_after >= 0)
    assert np.array_equal(stocks - res.stocks_after, res.interceptors_used_by_system)
    assert rec["missile_interceptors_used"] == int(stocks.sum() - res.stocks_after.sum())
    assert np.all(res.destroyed <= res.engaged)
    # Only systems that engage a class engaged its missiles; salvo sizes paid for exactly.
    eng = np.flatnonzero(res.engaged)
    assert np.all(table.cover[res.system[eng], raid.cls[eng]] > 0)
    spent = np.bincount(res.system[eng], table.shots[res.system[eng], raid.cls[eng]], table.n)
    assert np.array_equal(spent.astype(np.int64), res.interceptors_used_by_system)
    # Hits only from missiles aimed at sites that were not destroyed.
    assert hits.sum() <= int(((~res.destroyed) & (raid.target_kind == M.TARGET_SITE)).sum())
    assert hits.shape == (N_SITES, 4)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), mult=st.floats(0, 5), salvo_p=st.floats(0, 1))
def test_sampler_counts_are_valid(seed, mult, salvo_p):
    prof = M.packaged_missile_profile()
    dates = pd.date_range("2025-11-01", periods=60)
    rng = np.random.default_rng(seed)
    salvo = rng.random(60) < salvo_p
    out = M.sample_nightly_missiles(prof, dates, rng, salvo=salvo, intensity_multiplier=mult)
    assert out.counts.shape == (60, 4) and out.counts.dtype == np.int64
    assert np.all(out.counts >= 0) and out.combined.dtype == bool
    if mult == 0:
        assert out.counts.sum() == 0


# ------------------------------------------------------------------------------------------
# The missile-defence oracle
# ------------------------------------------------------------------------------------------


def _oracle_kills(stock: int, n_missiles: int, pk: float, reps: int, seed: int = 11):
    table = _one_system(stock, pk)
    rng = np.random.default_rng(seed)
    kills = np.empty(reps)
    for r in range(reps):
        raid = _raid([0, n_missiles, 0, 0], rng)
        res = MD.engage_missiles(raid, table.start, table, rng)
        engaged = int(res.engaged.sum())
        # At most S/2 missiles engaged: exactly min(M, floor(S/2)) with full coverage.
        assert engaged == min(n_missiles, stock // 2)
        assert int(res.interceptors_used_by_system.sum()) == 2 * engaged
        kills[r] = res.destroyed.sum()
    return kills


@pytest.mark.parametrize("stock,n_missiles", [(40, 30), (41, 30), (100, 12), (0, 5)])
def test_missile_defense_oracle(stock, n_missiles):
    p, reps = 0.6, 3000
    kills = _oracle_kills(stock, n_missiles, p, reps)
    engaged = min(n_missiles, stock // 2)
    q = 1 - (1 - p) ** 2
    expected = engaged * q
    se = math.sqrt(engaged * q * (1 - q) / reps)
    assert abs(kills.mean() - expected) <= 4 * se + 1e-12
    if engaged:
        # The check detects a wrong kill probability: p = 0.55 is rejected by a wide margin.
        q_wrong = 1 - (1 - 0.55) ** 2
        assert abs(kills.mean() - engaged * q_wrong) > 4 * se


def test_oracle_with_partial_coverage_and_one_shot():
    table = _one_system(1000, 0.7, shots=1, cover=0.25)
    rng = np.random.default_rng(3)
    eng, des = 0, 0
    for _ in range(400):
        raid = _raid([0, 50, 0, 0], rng)
        res = MD.engage_missiles(raid, table.start, table, rng)
        eng += res.engaged.sum()
        des += res.destroyed.sum()
    n = 400 * 50
    assert abs(eng / n - 0.25) < 4 * math.sqrt(0.25 * 0.75 / n)
    assert abs(des / n - 0.25 * 0.7) < 4 * math.sqrt(0.175 * 0.825 / n)


def test_expected_kill_share_matches_monte_carlo():
    table = MD.defense_table(DEFAULT.defense.missile_defense)
    big = MD.DefenseTable(**{**table.__dict__, "start": np.full(table.n, 10**6)})
    rng = np.random.default_rng(5)
    dest = np.zeros(4)
    n = 600
    for _ in range(n):
        raid = _raid([10, 10, 10, 10], rng)
        res = MD.engage_missiles(raid, big.start, big, rng)
        dest += np.bincount(raid.cls[res.destroyed], minlength=4)
    share = dest / (10 * n)
    expect = MD.expected_kill_share(table)
    se = np.sqrt(expect * (1 - expect) / (10 * n))
    assert np.all(np.abs(share - expect) <= 4 * se + 1e-9), (share, expect)


def test_allocation_rules():
    table = MD.defense_table(DEFAULT.defense.missile_defense)
    # Preference: cheapest interceptor first.
    assert list(table.cost_eur) == sorted(table.cost_eur)
    rng = np.random.default_rng(8)
    raid = _raid([40, 40, 5, 10], rng)
    res = MD.engage_missiles(raid, table.start, table, rng)
    ballistic_sys = {table.names[s] for s in res.system[(raid.cls == M.BALLISTIC) & res.engaged]}
    assert ballistic_sys <= {"patriot", "samp_t"}  # only systems that can engage ballistic
    # With no stock nothing is engaged, and nothing is spent.
    res0 = MD.engage_missiles(raid, np.zeros(table.n, np.int64), table, np.random.default_rng(8))
    assert not res0.engaged.any() and res0.interceptors_used_by_system.sum() == 0
    # Prefix rule: a stock of 3 against ballistic salvos of 2 engages one missile, spends 2.
    one = _one_system(3, 0.5)
    r = MD.engage_missiles(_raid([0, 4, 0, 0], rng), one.start, one, rng)
    assert r.engaged.sum() == 1 and r.stocks_after[0] == 1
    with pytest.raises(ValueError):
        MD.engage_missiles(raid, np.zeros(2, np.int64), table, rng)


def test_common_random_numbers_across_defense_variants():
    """Same night, same stream: a better pk kills a superset of the missiles."""
    lo = _one_system(1000, 0.4)
    hi = _one_system(1000, 0.7)
    for seed in range(20):
        raid = _raid([0, 30, 0, 0], np.random.default_rng(seed))
        a = MD.engage_missiles(raid, lo.start, lo, np.random.default_rng(100 + seed))
        b = MD.engage_missiles(raid, hi.start, hi, np.random.default_rng(100 + seed))
        assert np.array_equal(a.engaged, b.engaged)
        assert np.all(a.destroyed <= b.destroyed)
    # The number of uniforms drawn depends only on the number of missiles.
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    raid = _raid([3, 4, 1, 2], np.random.default_rng(0))
    MD.engage_missiles(raid, lo.start, lo, g1)
    MD.engage_missiles(raid, MD.initial_stocks(DEFAULT.defense.missile_defense),
                      DEFAULT.defense.missile_defense, g2)
    assert g1.random() == g2.random()


def test_resupply_and_drone_share():
    table = MD.defense_table(DEFAULT.defense.missile_defense)
    total = sum(MD.deliveries(table, k) for k in range(1, 366))
    assert np.allclose(total, np.floor(table.resupply_per_month * 365 / M.DAYS_PER_MONTH + 1e-9))
    assert MD.deliveries(table, 0).sum() == 0
    stocks = table.start.copy()
    assert np.array_equal(MD.resupply(stocks, table, 0), stocks)
    cap = MD.drone_allowance(stocks, table, 30)
    assert cap == min(30, int(stocks[table.drones].sum()))
    after, used = MD.spend_on_drones(stocks, table, 25)
    assert used.sum() == 25 and np.all(used[~table.drones] == 0)
    assert np.array_equal(after, stocks - used)
    first = int(np.flatnonzero(table.drones)[0])  # cheapest drone-capable system goes first
    assert used[first] == min(25, stocks[first])
    low = np.where(table.drones, 1, 50)
    assert MD.drone_allowance(low, table, 30) == int(table.drones.sum())
    with pytest.raises(ValueError):
        MD.spend_on_drones(low, table, 10)
def test_missile_hits_by_class():
    rng = np.random.default_rng(2)
    raid = _raid([10, 10, 10, 10], rng, share=1.0)
    none = np.zeros(raid.n, bool)
    h = M.missile_hits(raid, none, 1.0, rng, N_SITES)
    assert h.sum() == raid.n and np.array_equal(h.sum(0), [10, 10, 10, 10])
    assert np.array_equal(h.sum(1), np.bincount(raid.target, minlength=N_SITES))
    assert M.missile_hits(raid, none, 0.0, rng, N_SITES).sum() == 0
    assert M.missile_hits(raid, np.ones(raid.n, bool), 1.0, rng, N_SITES).sum() == 0
    to_city = _raid([5, 5, 5, 5], rng, share=0.0)
    assert M.missile_hits(to_city, np.zeros(20, bool), 1.0, rng, N_SITES).sum() == 0
    assert (to_city.target_kind == M.TARGET_CITY).all()


def test_damage_weights():
    w = M.damage_weight_by_weapon(DEFAULT.threat)
    assert w["shahed"] == 1.0 and w["decoy"] == 0.0
    assert w["cruise"] == pytest.approx(9 ** (2 / 3))
    assert w["kh22"] == pytest.approx(19 ** (2 / 3))
    lin = with_overrides(DEFAULT, {"threat.missiles.damage_scaling_exponent": 1.0})
    assert M.damage_weight_by_weapon(lin.threat)["ballistic"] == pytest.approx(480 / 50)
    d_units, m_units = M.weighted_hits(np.array([2, 0]), np.array([[1, 0, 0, 0], [0, 0, 1, 1]]), w)
    assert np.allclose(d_units, [2, 0])
    assert np.allclose(m_units, [w["cruise"], w["kh22"] + w["kh59"]])


# ------------------------------------------------------------------------------------------
# Nightly counts
# ------------------------------------------------------------------------------------------


def test_sampler_matches_its_expectation_with_drone_salvos():
    prof = M.packaged_missile_profile()
    tprof = {"reference_date": "2025-04-01", "trend_per_year": 0.0, "months": {
        str(m): {"p_attack_night": 0.9, "mean": 100, "dispersion": 5, "p_salvo": 0.2,
                 "salvo_mean": 400, "salvo_dispersion": 8} for m in range(1, 13)}}
    dates = pd.date_range("2025-10-01", periods=182)
    rng = np.random.default_rng(21)
    reps = 400
    tot = np.zeros((len(dates), 4))
    for _ in range(reps):
        _, salvo = sample_nightly_launches(tprof, dates, rng, return_salvo=True)
        tot += M.sample_nightly_missiles(prof, dates, rng, salvo=salvo).counts
    sim = tot.sum(0) / reps
    exp = M.expected_nightly_missiles(prof, dates, p_salvo_night=np.full(len(dates), 0.18)).sum(0)
    assert np.allclose(sim, exp, rtol=0.06), (sim, exp)
    # The intensity multiplier scales expected launches exactly, up and down.
    for g in (0.5, 2.0):
        tot_g = sum(M.sample_nightly_missiles(prof, dates, rng, intensity_multiplier=g).counts.sum(0)
                    for _ in range(reps)) / reps
        exp_g = M.expected_nightly_missiles(prof, dates, intensity_multiplier=g).sum(0)
        assert np.allclose(tot_g, exp_g, rtol=0.08), (g, tot_g, exp_g)


def test_salvo_flag_does_not_change_drone_draws():
    prof = {"reference_date": "2025-04-01", "trend_per_year": 0.3, "months": {
        str(m): {"p_attack_night": 0.9, "mean": 100, "dispersion": 5, "p_salvo": 0.3,
                 "salvo_mean": 400, "salvo_dispersion": 8} for m in range(1, 13)}}
    dates = pd.date_range("2025-11-01", periods=151)
    a = sample_nightly_launches(prof, dates, np.random.default_rng(4))
    b, salvo = sample_nightly_launches(prof, dates, np.random.default_rng(4), return_salvo=True)
    assert np.array_equal(a, b)
    assert salvo.any() and np.all(b[salvo] > 0)


def test_salvo_nights_raise_combined_strikes():
    prof = M.packaged_missile_profile()
    dates = pd.date_range("2025-12-01", periods=31)
    rng = np.random.default_rng(9)
    on = sum(M.sample_nightly_missiles(prof, dates, rng, salvo=np.ones(31, bool)).combined.sum()
             for _ in range(200))
    off = sum(M.sample_nightly_missiles(prof, dates, rng, salvo=np.zeros(31, bool)).combined.sum()
              for _ in range(200))
    assert on / (200 * 31) == pytest.approx(prof["p_combined_given_salvo"], abs=0.03)
    assert off / (200 * 31) == pytest.approx(prof["months"]["12"]["p_combined"], abs=0.02)


def test_keeping_the_monthly_rate_moves_strikes_onto_salvo_nights():
    """With keep_monthly_rate, a month's share of combined-strike nights stays the fitted one
    whatever the drones' salvo share: strikes move onto the salvo nights (at the fitted
    conditional rate while it fits, else all of them there)."""
    prof = M.packaged_missile_profile()
    dates = pd.date_range("2025-12-01", periods=31)
    marg = prof["months"]["12"]["p_combined_marginal"]
    rng = np.random.default_rng(4)
    for k in (0, 2, 31):
        salvo = np.zeros(31, bool)
        salvo[:k] = True
        runs = [M.sample_nightly_missiles(prof, dates, rng, salvo=salvo, keep_monthly_rate=True)
                for _ in range(400)]
        share = np.mean([r.combined.mean() for r in runs])
        assert share == pytest.approx(marg, abs=0.015), (k, share, marg)
        if 0 < k < 31:
            on = np.mean([r.combined[:k].mean() for r in runs])
            assert on == pytest.approx(min(prof["p_combined_given_salvo"], marg * 31 / k),
                                       abs=0.06)


def test_disabled_missiles_draw_nothing():
    dates = DEFAULT.period.dates
    rng = np.random.default_rng(1)
    out = M.nightly_missile_counts(DEFAULT.threat.missiles, dates, None, rng)
    assert out.counts.shape == (151, 4) and out.counts.sum() == 0 and not out.combined.any()
    assert rng.random() == np.random.default_rng(1).random()
    on = with_overrides(DEFAULT, {"threat.missiles.enabled": True})
    got = M.nightly_missile_counts(on.threat.missiles, dates, np.zeros(151, bool), rng)
    assert got.counts.sum() > 0
    custom = with_overrides(DEFAULT, {"threat.missiles.enabled": True,
                                      "threat.missiles.profile": "custom"})
    exp = M.expected_nightly_missiles(M.profile_for(custom.threat.missiles), dates).sum(0)
    want = [custom.threat.missiles.custom.combined_nights_per_month / M.DAYS_PER_MONTH * 151
            * custom.threat.missiles.custom.combined_launches[c]
            + custom.threat.missiles.custom.regular_launches_per_month[c] * 151 / M.DAYS_PER_MONTH
            for c in MISSILE_CLASSES]
    assert np.allclose(exp, want, rtol=1e-9)


def test_packaged_profile_checks_and_errors(tmp_path):
    prof = M.packaged_missile_profile()
    arr = M.profile_arrays(prof)
    assert arr.combined_mean.shape == (12, 4) and np.all(arr.regular_mean >= 1)
    bad = tmp_path / "p.json"
    import json

    broken = json.loads(json.dumps(prof))
    broken["months"]["3"]["p_present_regular"]["kh22"] = 1.5
    bad.write_text(json.dumps(broken))
    with pytest.raises(DataFileError, match=r"months\.3\.p_present_regular\.kh22"):
        M.load_missile_profile(bad)
    del broken["combined"]
    bad.write_text(json.dumps(broken))
    with pytest.raises(DataFileError, match="combined"):
        M.load_missile_profile(bad)


# ------------------------------------------------------------------------------------------
# Scenario sections
# ------------------------------------------------------------------------------------------


def test_defaults_off_and_partial_overrides():
    assert DEFAULT.threat.missiles.enabled is False
    sc = scenario_from_dict({"name": "x", "threat": {"missiles": {"classes": {
        "cruise": {"warhead_kg": 400}}}}, "defense": {"missile_defense": {"systems": {
            "patriot": {"pk": {"ballistic": 0.3}}}}}})
    assert sc.threat.missiles.classes["cruise"].warhead_kg == 400
    assert sc.threat.missiles.classes["cruise"].speed_kmh == 750
    assert set(sc.threat.missiles.classes) == set(MISSILE_CLASSES)
    pat = sc.defense.missile_defense.systems["patriot"]
    assert pat.pk["ballistic"] == 0.3 and pat.pk["cruise"] == 0.9
    again = with_overrides(sc, {"defense.missile_defense.systems.patriot.interceptors_start": 7})
    assert again.defense.missile_defense.systems["patriot"].interceptors_start == 7
    assert again.defense.missile_defense.systems["patriot"].pk["ballistic"] == 0.3


@pytest.mark.parametrize("data,path,words", [
    ({"threat": {"missiles": {"classes": {"kh101": {"warhead_kg": 1}}}}},
     "threat.missiles.classes", ["'kh101'", "cruise, ballistic, kh22, kh59"]),
    ({"defense": {"missile_defense": {"systems": {"patriot": {"pk": {"hypersonic": 0.5}}}}}},
     "defense.missile_defense.systems.patriot", ["'hypersonic'", "valid classes"]),
    ({"defense": {"missile_defense": {"systems": {"samp_t": {"classes_engaged": ["iskander"]}}}}},
     "defense.missile_defense.systems.samp_t", ["'iskander'", "valid classes"]),
    ({"defense": {"missile_defense": {"systems": {"patriot": {"interceptors_start": -5}}}}},
     "defense.missile_defense.systems.patriot.interceptors_start", ["greater than or equal"]),
    ({"defense": {"missile_defense": {"systems": {"s300_buk": {"resupply_per_month": -1}}}}},
     "defense.missile_defense.systems.s300_buk.resupply_per_month", ["greater than or equal"]),
    ({"threat": {"missiles": {"custom": {"combined_launches": {"zircon": 2}}}}},
     "threat.missiles.custom.combined_launches", ["'zircon'"]),
    ({"defense": {"missile_defense": {"systems": {"patriot": {
        "interceptors_per_engagement": {"ballistic": 5}}}}}},
     "defense.missile_defense.systems.patriot", ["between 1 and 4"]),
])
def test_bad_missile_input_names_key_path(data, path, words):
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict({"name": "x", **data}, "bad.yaml")
    msg = str(exc.value)
    assert f"bad.yaml: {path}" in msg, msg
    for w in words:
        assert w in msg, msg


def test_validate_cli_exits_2_on_bad_missile_yaml(tmp_path):
    for i, text in enumerate([
        "name: x\nthreat: {missiles: {classes: {kh101: {warhead_kg: 1}}}}\n",
        "name: x\ndefense: {missile_defense: {systems: {patriot: {interceptors_start: -3}}}}\n",
    ]):
        bad = tmp_path / f"bad{i}.yaml"
        bad.write_text(text)
        p = subprocess.run([sys.executable, "-m", "sim", "validate", str(bad)],
                           capture_output=True, text=True)
        assert p.returncode == 2, p.stderr
        assert str(bad) in p.stderr and "Traceback" not in p.stderr
        assert ("threat.missiles.classes" in p.stderr
                or "defense.missile_defense.systems.patriot.interceptors_start" in p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1
        assert p.stdout == ""


def test_missile_columns_add_up_and_are_all_read():
    """Every missile column of the registry is read from the night; launched = destroyed +
    leaked per class; the stock column is the stock at the end of the night."""
    rng = np.random.default_rng(0)
    table = MD.defense_table(DEFAULT.defense.missile_defense)
    raid = _raid([3, 2, 1, 1], rng)
    res = MD.engage_missiles(raid, MD.initial_stocks(table), table, rng)
    hits = M.missile_hits(raid, res.destroyed, 1.0, rng, N_SITES)
    end = res.stocks_after - 1
    rec = _missile_row(raid, res, hits, table, stocks_end=end)
    assert rec["missiles_launched"] == 7 == rec["missiles_destroyed"] + rec["missiles_leaked"]
    assert rec["missile_interceptor_stock"] == int(end.sum())
    assert rec["missile_interceptor_cost_eur"] == pytest.approx(
        float(res.interceptors_used_by_system @ table.cost_eur))
    assert rec["missile_hits_on_sites"] == sum(rec[f"missile_hits_on_sites_{c}"]
                                               for c in MISSILE_CLASSES)
