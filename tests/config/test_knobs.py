"""Every knob moves, and a key that does not is named (issue: no dead knob).

* Every key that a shipped sweep (``sweeps/*.yaml``), the dashboard's sliders
  (``sim/viz/dashboard.py``) or the README varies is in :data:`KNOBS`, and set to a low and a
  high value on one seed (the winter as shipped, ``scenarios/nl-200m.yaml``, two weeks of
  December), it moves the outcome its description says it moves.
* Each rule of :func:`sim.config.checks.dead_key_rules` is true: where ``validate`` warns that
  a key has no effect, setting it to two values changes no outcome.
* How two keys that set one thing compose: the intensity multiplier multiplies the level
  ``mean_per_night`` sets (a closed form: expected launches), and a tactics band without
  limits takes the Shahed type's.

``python -m tests.config.test_knobs`` prints the table of knobs (key, low, high, outcome and
the two values).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest
import yaml

from sim.config.checks import dead_key_rules, dead_keys, scenario_warnings, written_keys
from sim.config.io import load_scenario, scenario_keys, with_overrides
from tests.helpers import ROOT, SCENARIOS

SEED = 20251101
SHORT = {"period.start_date": "2025-12-01", "period.nights": 14}

# key -> (low, high, the outcome it must move). Base: nl-200m over SHORT.
KNOBS: dict[str, tuple] = {
    "defense.budget_eur": (0.0, 2e8, "interceptor_kills"),
    "threat.attacker.strategy": ("static", "learning", "hits_on_sites"),
    "threat.launches.intensity_multiplier": (0.5, 2.0, "launched"),
    "threat.decoy_share": (0.2, 0.6, "launched_decoy"),
    "threat.jet_share": (0.0, 0.1, "launched_jet"),
    "defense.interceptor.pk": (0.4, 0.85, "interceptor_kills"),
    "defense.programme.interceptor_pk": (0.0, 0.68, "interceptor_kills"),
    "threat.types.shahed.altitude_max_m": (1500, 5000, "destroyed_fire_groups"),
    "threat.targeting.p_hit": (0.4, 0.9, "hits_on_sites"),
    "threat.types.shahed.p_lost_ew": (0.1, 0.5, "lost_ew"),
    "defense.costs.interceptor_unit_cost_eur": (2500, 15000, "cost_per_kill_eur"),
    "defense.programme.production.reference_per_day": (130, 800, "interceptors_delivered"),
    "defense.basing.policy": ("energy_sites", "corridors", "geometric_coverage_sites_fraction"),
    "period.start_date": ("2025-12-01", "2026-01-15", "launched"),
    "period.nights": (7, 14, "energy_demand_mwh"),
    # sweeps/portfolio-ranking.yaml
    "threat.missiles.intensity_multiplier": (0.5, 2.0, "missiles_launched"),
    "energy.damage_scale": (0.5, 2.0, "energy_not_served_mwh"),
    "energy.repair_time_scale": (0.5, 2.0, "energy_not_served_mwh"),
    "defense.portfolio.option": ("interceptor_drones", "mobile_fire_groups",
                                 "destroyed_fire_groups"),
}

ECHO = {"budget_eur", "interceptor_unit_cost_eur"}
"""Outcomes that repeat an input: not an effect."""


# ------------------------------------------------------------------------------ where keys are varied
def sweep_keys() -> set[str]:
    keys = set()
    for f in sorted((ROOT / "sweeps").glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        keys |= {x["key"] for x in data.get("levers", []) + data.get("uncertainties", [])}
    return keys


KEY_RE = r"(?:defense|threat|period|energy)\.[a-z_0-9.]*[a-z_0-9]"


def dashboard_keys() -> set[str]:
    text = (ROOT / "sim" / "viz" / "dashboard.py").read_text(encoding="utf-8")
    body = text.split("overrides = {", 1)[1].split("}", 1)[0]  # DashboardModel's overrides
    return set(re.findall(rf'"({KEY_RE})"', body))


def readme_keys() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    keys = set(re.findall(rf"--set ({KEY_RE})=", text))
    keys |= set(re.findall(rf'"({KEY_RE})"\s*:', text))  # overrides={...} in the snippet
    keys |= set(re.findall(rf'"key":\s*"({KEY_RE})"', text))  # levers in the snippet
    return keys


def test_every_varied_key_is_in_the_table():
    found = {"sweeps": sweep_keys(), "dashboard": dashboard_keys(), "README": readme_keys()}
    assert all(found.values()), found  # the parsers still find what they look for
    for where, keys in found.items():
        missing = sorted(keys - set(KNOBS))
        assert not missing, f"{where} varies {missing}: add them to KNOBS"


# ------------------------------------------------------------------------------ the knobs move
@functools.lru_cache(maxsize=1)
def _base():
    return with_overrides(load_scenario(SCENARIOS / "nl-200m.yaml"), SHORT)


_RUNS: dict[str, dict] = {}


def _outcomes(overrides: dict) -> dict:
    """The outcomes of the short base scenario with ``overrides`` (one replicate, one seed)."""
    from sim.experiments.runs import run_one

    key = repr(sorted(overrides.items()))
    if key not in _RUNS:
        if any(k.startswith("period.") for k in overrides):  # cut the winter once, as asked
            sc = with_overrides(load_scenario(SCENARIOS / "nl-200m.yaml"), {**SHORT, **overrides})
        else:
            sc = with_overrides(_base(), overrides) if overrides else _base()
        _RUNS[key] = run_one(sc, SEED, 0).outcomes
    return _RUNS[key]


def knob_row(key: str) -> tuple:
    low, high, outcome = KNOBS[key]
    return key, low, high, outcome, _outcomes({key: low})[outcome], _outcomes({key: high})[outcome]


@pytest.mark.parametrize("key", sorted(KNOBS))
def test_the_knob_moves_its_outcome(key):
    _, low, high, outcome, a, b = knob_row(key)
    assert a != b, f"{key} = {low} and {high} give the same {outcome} ({a})"


def test_the_winter_scenarios_warn_about_nothing():
    """The shipped scenarios write no key without effect, and nothing implausible."""
    for f in sorted(SCENARIOS.glob("*.yaml")):
        found = scenario_warnings(load_scenario(f), scenario_keys(f))
        assert not found, [w.text(f.name) for w in found]


# ------------------------------------------------------------------------------ the warnings are true
MONTHS = ("2025-12",)

DEAD = [  # (overrides that make the rule fire, the dead key, two values)
    ({f"threat.tactics.timeline.{m}.decoy_share": 0.39 for m in MONTHS},
     "threat.decoy_share", 0.2, 0.6),
    ({f"threat.tactics.timeline.{m}.jet_share": 0.01 for m in MONTHS},
     "threat.jet_share", 0.0, 0.1),
    ({f"threat.tactics.timeline.{m}.altitude_bands_m":
      [{"low_m": 100, "high_m": 1000, "share": 0.8}, {"low_m": 2000, "high_m": 5000, "share": 0.2}]
      for m in MONTHS}, "threat.types.shahed.altitude_max_m", 1500, 5000),
    ({f"threat.tactics.timeline.{m}.altitude_bands_m":
      [{"low_m": 100, "high_m": 1000, "share": 0.8}, {"low_m": 2000, "high_m": 5000, "share": 0.2}]
      for m in MONTHS}, "threat.types.decoy.altitude_max_m", 1500, 5000),
    ({}, "threat.launches.salvo_probability", 0.0, 0.5),
    ({}, "defense.interceptor.pk_evading_factor", 0.2, 1.0),
    ({}, "defense.interceptor.reattack_turn_s", 5, 60),
    ({}, "defense.c2_cycle_s", 10, 120),
    ({}, "defense.layers.existing_interceptors.launch_sites", 1, 40),
    ({}, "defense.basing.corridor_depth_km", [20.0, 60.0], [80.0, 200.0]),
    ({}, "threat.attacker.sharpness", 2.0, 50.0),
    ({}, "threat.attacker.exploration", 0.01, 0.5),
    ({"defense.budget_eur": 0}, "defense.costs.interceptor_unit_cost_eur", 2500, 15000),
    ({"defense.budget_eur": 0}, "defense.delivery.crews_per_month", 10, 200),
    ({"defense.layers.electronic_warfare.enabled": False}, "threat.types.shahed.p_lost_ew", 0.1,
     0.5),
]


@pytest.mark.parametrize("setup,key,low,high", DEAD, ids=[d[1] for d in DEAD])
def test_a_key_validate_calls_dead_changes_nothing(setup, key, low, high):
    sc = with_overrides(_base(), setup) if setup else _base()
    assert [w.key for w in dead_keys(sc, [key])] == [key], dead_key_rules(sc)
    a = _outcomes({**setup, key: low})
    b = _outcomes({**setup, key: high})
    moved = sorted(k for k in a if k not in ECHO and not _same(a[k], b.get(k)))
    assert not moved, f"validate calls {key} dead here, but {moved} moved"


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))


def test_validate_prints_the_warning_and_still_passes(tmp_path, capsys):
    from sim.cli import main

    f = tmp_path / "every-month-decoys.yaml"
    winter = (SCENARIOS / "winter-2025-26.yaml").read_text(encoding="utf-8")
    f.write_text(winter.replace("        p_salvo: 0.23\n",
                                "        p_salvo: 0.23\n        decoy_share: 0.4\n"))
    code = main(["validate", str(f)])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning:" in err and "threat.decoy_share: no effect" in err
    assert "sets its own decoy_share" in err
    code = main(["validate", str(SCENARIOS / "nl-200m.yaml"), "--set", "defense.budget_eur=200",
                 "--set", "defense.interceptor.speed_kmh=150"])
    err = capsys.readouterr().err
    assert code == 0
    assert "defense.budget_eur: EUR 200 is under EUR 1M" in err
    assert "defense.interceptor.speed_kmh: 150 km/h is not faster" in err
    assert "threat.types.shahed.speed_kmh = 185" in err


def test_a_sweep_of_a_dead_key_is_warned(tmp_path, capsys):
    from sim.cli import main

    base = tmp_path / "base.yaml"
    base.write_text(f"base: {SCENARIOS / 'nl-200m.yaml'}\nname: b\n"
                    "defense: {allocator: greedy}\n")
    sweep = tmp_path / "s.yaml"
    sweep.write_text("name: s\nbase: base.yaml\nlevers:\n  - key: defense.c2_cycle_s\n"
                     "    values: [10, 60]\n  - key: defense.budget_eur\n    values: [0, 2e8]\n"
                     "replicates: 1\n")
    assert main(["validate", str(sweep)]) == 0
    err = capsys.readouterr().err
    assert "levers[0] (defense.c2_cycle_s): no effect" in err
    assert "defense.budget_eur" not in err


def test_written_keys():
    assert written_keys({"name": "x", "period": {"nights": 3}, "threat": {"decoy_share": 0.3,
                         "tactics": {"timeline": {"2025-11": {"p_salvo": 0.2}}}}}) == [
        "period.nights", "threat.decoy_share", "threat.tactics.timeline.2025-11.p_salvo"]


# ------------------------------------------------------------------------------ composition rules
def test_intensity_multiplies_the_level_mean_per_night_sets():
    """Expected launches a night = mean_per_night x intensity_multiplier (closed form of the
    sampler's model), and the draws follow it."""
    from sim.model.threat import expected_nightly_launches, nightly_launch_counts, profile_dict

    sc = load_scenario(SCENARIOS / "winter-2025-26.yaml")
    dates = sc.period.dates
    for g in (0.5, 1.0, 2.0):
        t = with_overrides(sc, {"threat.launches.intensity_multiplier": g}).threat
        counts = np.mean([nightly_launch_counts(t, dates, np.random.default_rng(s)).mean()
                          for s in range(40)])
        assert counts == pytest.approx(175 * g, rel=0.05), (g, counts)
    # the level the sampler is given: exactly mean_per_night x g in expectation
    from sim.model import threat as T

    t2 = with_overrides(sc, {"threat.launches.intensity_multiplier": 2.0}).threat
    seen = {}

    def spy(prof, d, rng, intensity_multiplier, **kw):
        seen["mult"] = np.asarray(intensity_multiplier, float)
        return np.zeros(len(d), dtype=np.int64)

    orig = T.sample_nightly_launches
    T.sample_nightly_launches = spy
    try:
        nightly_launch_counts(t2, dates, np.random.default_rng(0))
    finally:
        T.sample_nightly_launches = orig
    months = [d.strftime("%Y-%m") for d in dates]
    tl = t2.tactics.timeline
    e = expected_nightly_launches(profile_dict(t2.launches), dates, seen["mult"],
                                  np.array([tl[m].p_salvo for m in months], float),
                                  np.full(len(dates), np.nan))
    assert e.mean() == pytest.approx(350.0, rel=1e-6)  # the P(X = 0) term: not exactly linear


def test_a_band_without_limits_takes_the_shahed_types():
    from sim.model.threat import tactics_for

    sc = load_scenario(SCENARIOS / "winter-2025-26.yaml")
    for hi in (1500.0, 4000.0):
        t = with_overrides(sc, {"threat.types.shahed.altitude_max_m": hi}).threat
        bands = tactics_for(t, "2025-12").altitude_bands
        assert bands[0, :2].tolist() == [100.0, hi]
        assert bands[1, :2].tolist() == [2000.0, 5000.0]


def test_a_band_that_cannot_take_the_types_limit_names_both_keys(tmp_path, capsys):
    from sim.cli import main

    code = main(["validate", str(SCENARIOS / "nl-200m.yaml"), "--set",
                 "threat.tactics.timeline.2025-11.altitude_bands_m=[{low_m: 2000, share: 1.0}]"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "altitude_bands_m[0]: low_m 2000" in err
    assert "threat.types.shahed.altitude_max_m 1000" in err


def test_a_partly_given_drone_type_keeps_its_defaults_and_a_misspelt_one_is_named(capsys):
    from sim.cli import main

    sc = load_scenario(SCENARIOS / "winter-2025-26.yaml")
    assert sc.threat.types["decoy"].interceptable is True  # not in the file: the default
    code = main(["validate", str(SCENARIOS / "nl-200m.yaml"), "--set",
                 "threat.types.shahad={speed_kmh: 200}"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown drone type 'shahad'" in err and "did you mean 'shahed'" in err


# ------------------------------------------------------------------------------ the table
def table() -> list[tuple]:
    return [knob_row(k) for k in sorted(KNOBS)]


def _cell(v) -> str:
    if isinstance(v, float) and float(v).is_integer() and abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    print("| key | low | high | outcome | at low | at high | moved |")
    print("|---|---|---|---|---|---|---|")
    for key, low, high, outcome, a, b in table():
        print(f"| `{key}` | {_cell(low)} | {_cell(high)} | `{outcome}` | {_cell(a)} | {_cell(b)} "
              f"| {'yes' if a != b else 'NO'} |")
