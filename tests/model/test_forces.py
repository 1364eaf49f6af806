"""The two interceptor forces (national baseline, funded programme) night by night:
conservation laws over random inputs, monotonicity in money, caps, binding-constraint labels in
hand-computed cases, and bad input."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.errors import ScenarioError
from sim.config.io import load_scenario, scenario_from_dict, with_overrides
from sim.config.schema import Scenario
from sim.model.forces import (
    DAYS_PER_MONTH,
    LABELS,
    ForceLedger,
    binding_after_run,
    force_schedule,
    production_rate,
)
from sim.model.forces.report import limited_by_text

ROOT = Path(__file__).resolve().parents[2]
BASE = Scenario(name="t")
ARRAYS = ("delivered", "crews_qualified", "crews_active", "ground_stations", "radars",
          "sites_ready", "sites_active")


def scenario(**over):
    return with_overrides(BASE, over)


def schedule(sc):
    return force_schedule(sc.defense, sc.period.dates)


# --------------------------------------------------------------------------- random inputs
@st.composite
def inputs(draw):
    """Random scenario overrides covering both forces and both splits (budget left out)."""
    start = dt.date(2025, 9, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
    ov = {
        "period.start_date": start.isoformat(),
        "period.nights": draw(st.integers(1, 200)),
        "defense.programme.decision_date": (
            dt.date(2025, 8, 1) + dt.timedelta(days=draw(st.integers(0, 250)))).isoformat(),
        "defense.programme.contracting_lead_days": draw(st.integers(0, 120)),
        "defense.programme.training.start_days": draw(st.integers(0, 60)),
        "defense.programme.training.weeks_to_qualify": draw(st.floats(0, 12)),
        "defense.programme.training.attrition_per_month": draw(st.floats(0, 0.3)),
        "defense.programme.production.curve": draw(st.sampled_from(["power", "saturating"])),
        "defense.programme.production.exponent": draw(st.floats(0.1, 1.0)),
        "defense.programme.production.base_per_day": draw(st.floats(0, 200)),
        "defense.programme.package.crews_per_ground_station": draw(st.integers(1, 4)),
        "defense.programme.package.sites_per_radar": draw(st.integers(1, 5)),
        "defense.delivery.crews_per_month": draw(st.floats(0, 200)),
        "defense.delivery.ground_stations_per_month": draw(st.floats(0, 200)),
        "defense.delivery.launch_sites_per_month": draw(st.floats(0, 200)),
        "defense.delivery.radars_per_month": draw(st.floats(0, 50)),
        "defense.costs.interceptor_unit_cost_eur": draw(st.floats(500, 50_000)),
        "defense.costs.crew_training_cost_eur": draw(st.floats(0, 200_000)),
        "defense.costs.crew_cost_eur_per_month": draw(st.floats(0, 100_000)),
        "defense.crews.crews_per_site": draw(st.integers(1, 6)),
        "defense.crews.sorties_per_crew_per_night": draw(st.integers(0, 20)),
        "defense.crews.expected_airframes_per_crew_per_night": draw(st.floats(0, 10)),
        "defense.national_force.crews.at_start": draw(st.integers(0, 300)),
        "defense.national_force.crews.trainee_crews_per_month": draw(st.floats(0, 100)),
        "defense.national_force.crews.weeks_to_qualify": draw(st.floats(0, 12)),
        "defense.national_force.crews.attrition_per_month": draw(st.floats(0, 0.5)),
        "defense.national_force.ground_stations.at_start": draw(st.integers(0, 300)),
        "defense.national_force.ground_stations.per_month": draw(st.floats(0, 100)),
        "defense.national_force.launch_sites.at_start": draw(st.integers(0, 100)),
        "defense.national_force.launch_sites.per_month": draw(st.floats(0, 50)),
        "defense.national_force.production.mission_share": draw(st.floats(0, 1)),
        "defense.national_force.production.stock_at_start": draw(st.integers(0, 50_000)),
    }
    if draw(st.booleans()):
        ov["defense.split"] = "auto"
    else:
        w = draw(st.lists(st.floats(0, 1), min_size=5, max_size=5))
        tot = sum(w) or 1.0
        ov["defense.split"] = {k: x / tot * 0.999 for k, x in zip(
            ("interceptors", "crews", "sensors", "launch_sites"), w[:4], strict=True)}
    if draw(st.booleans()):
        ov["defense.national_force.production.ramp"] = None
        ov["defense.national_force.production.per_day_by_month"] = {
            f"2025-{m:02d}": draw(st.floats(0, 2000)) for m in draw(
                st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))}
    if draw(st.booleans()):
        ov["defense.programme.caps"] = {
            "max_crews": draw(st.one_of(st.none(), st.integers(0, 300))),
            "max_interceptors": draw(st.one_of(st.none(), st.integers(0, 200_000))),
            "max_sites": draw(st.one_of(st.none(), st.integers(0, 100))),
            "max_ground_stations": draw(st.one_of(st.none(), st.integers(0, 300))),
            "max_radars": draw(st.one_of(st.none(), st.integers(0, 50))),
            "max_interceptors_per_month": draw(st.one_of(st.none(), st.floats(0, 50_000))),
        }
    return ov


FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --------------------------------------------------------------------------- conservation
@FAST
@given(ov=inputs(), budget=st.floats(0, 2e9))
def test_schedules_respect_training_stock_and_budget(ov, budget):
    sc = scenario(**ov, **{"defense.budget_eur": budget})
    fs = schedule(sc)
    n = sc.period.nights
    for f in fs.forces:
        assert len(f.delivered) == n
        # Trained crews never exceed what training could have qualified by then.
        assert (f.crews_qualified <= np.floor(f.training_capacity + 1e-6)).all()
        assert (f.crews_active <= f.crews_qualified).all()
        assert (f.crews_active <= f.ground_stations * f.crews_per_station).all()
        assert (f.crews_active <= f.sites_ready * f.crews_per_site).all()
        assert (f.sites_active <= f.sites_ready).all()
        assert (f.sites_active * f.crews_per_site >= f.crews_active).all()
        # Airframes arrive, never leave: deliveries are cumulative.
        assert (np.diff(f.delivered) >= 0).all() and (f.delivered >= 0).all()
        assert set(f.binding_nightly.tolist()) <= set(LABELS)
        assert len(f.months) == len(f.binding) == len(f.binding_detail)
    p = fs.programme
    # Spend never exceeds the budget, on any night; it never falls.
    assert (p.spend_eur <= budget * (1 + 1e-12) + 1e-6).all()
    assert (np.diff(p.spend_eur) >= -1e-6).all()
    assert p.committed_eur <= budget * (1 + 1e-12) + 1e-6
    assert p.unused_eur >= 0 and p.on_order_eur >= 0
    assert math.isclose(p.unused_eur, budget - p.committed_eur, abs_tol=1e-3) or p.unused_eur == 0
    # Nothing arrives beyond what was bought.
    assert (p.delivered <= p.bought["airframes"]).all()
    assert (p.crews_qualified <= p.bought["crews"]).all()
    assert (p.ground_stations <= p.bought["ground_stations"]).all()
    assert (p.sites_ready <= p.bought["sites"]).all()
    assert (p.radars <= p.bought["radars"]).all()
    caps = sc.defense.programme.caps
    for key, cap in (("crews", caps.max_crews), ("airframes", caps.max_interceptors),
                     ("sites", caps.max_sites), ("ground_stations", caps.max_ground_stations),
                     ("radars", caps.max_radars)):
        if cap is not None:
            assert p.bought[key] <= cap
    if budget == 0:
        assert p.delivered.sum() == 0 and p.crews_qualified.sum() == 0
        assert set(p.binding) == {"money"}


@FAST
@given(ov=inputs(), budget=st.floats(0, 1e9), data=st.data())
def test_airframes_used_never_exceed_delivered_plus_stock(ov, budget, data):
    """The nightly ledger the model keeps: stock = delivered - expended never goes negative and
    a force never flies more than its sortie capacity or its stock."""
    sc = scenario(**ov, **{"defense.budget_eur": budget})
    for f in schedule(sc).forces:
        ledger = ForceLedger(f)
        for k in range(len(f.dates)):
            available = ledger.open_night(k)
            assert 0 <= available <= f.sortie_capacity[k]
            used = data.draw(st.integers(0, available))
            ledger.expend(used)
            assert ledger.stock >= 0
            if f.stock_carries:
                assert ledger.expended + ledger.stock == f.delivered[k]
        with pytest.raises(ValueError):
            ledger.expend(ledger.stock + 1)


# --------------------------------------------------------------------------- money
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(ov=inputs(), b1=st.one_of(st.floats(0, 1.5e9), st.floats(0, 5e7)),
       extra=st.floats(0, 1.5e9))
def test_more_money_never_buys_less(ov, b1, extra):
    """Budgets 1% apart (steps smaller than one crew's package) and one far above: each buys at
    least as much as the one below, on every night."""
    budgets = [b1 * (1 + 0.01 * k) for k in range(8)] + [b1 * 1.07 + extra]
    runs = [schedule(scenario(**ov, **{"defense.budget_eur": b})) for b in budgets]
    for lo, hi in zip(runs, runs[1:], strict=False):
        for name in ARRAYS:
            a, b = getattr(lo.programme, name), getattr(hi.programme, name)
            assert (b >= a).all(), name
            # The national force does not depend on the programme's money.
            assert (getattr(lo.national, name) == getattr(hi.national, name)).all()
        for key, v in lo.programme.bought.items():
            assert hi.programme.bought[key] >= v, key


@FAST
@given(ov=inputs(), factor=st.floats(1.0, 5.0))
def test_money_above_what_the_caps_allow_buys_nothing(ov, factor):
    """split: auto. Whatever binds (scenario caps, training capacity, the crews' sortie
    capacity), money beyond what the programme can commit buys nothing more and is reported
    unused."""
    ov = {**ov, "defense.split": "auto"}
    top = schedule(scenario(**ov, **{"defense.budget_eur": 1e12})).programme
    budget = top.committed_eur * factor + 1.0
    p = schedule(scenario(**ov, **{"defense.budget_eur": budget})).programme
    for name in ARRAYS:
        assert (getattr(p, name) == getattr(top, name)).all(), name
    assert p.bought == top.bought
    assert p.unused_eur == pytest.approx(budget - top.committed_eur, rel=1e-9, abs=1e-3)


@FAST
@given(ov=inputs(), b=st.floats(1e10, 1e11), factor=st.floats(1.0, 5.0))
def test_fixed_split_money_above_the_caps_buys_nothing(ov, b, factor):
    """A fixed split: once every envelope is above its cap, more money buys nothing."""
    ov = {**ov, "defense.split": {"interceptors": 0.4, "crews": 0.3, "sensors": 0.2,
                                  "launch_sites": 0.1},
          "defense.programme.caps": {"max_interceptors": 50_000, "max_radars": 20,
                                     "max_sites": 40}}
    lo = schedule(scenario(**ov, **{"defense.budget_eur": b})).programme
    hi = schedule(scenario(**ov, **{"defense.budget_eur": b * factor})).programme
    for name in ARRAYS:
        assert (getattr(lo, name) == getattr(hi, name)).all(), name
    assert lo.bought == hi.bought and lo.bought["airframes"] == 50_000


def test_explicit_caps_stop_money_and_say_so():
    sc = scenario(**{"defense.budget_eur": 4e8, "defense.programme.caps.max_crews": 30,
                     "defense.programme.caps.max_interceptors": 10_000})
    p = schedule(sc).programme
    p2 = schedule(with_overrides(sc, {"defense.budget_eur": 8e8})).programme
    assert p.bought["crews"] == 30 and p.bought["airframes"] == 10_000
    assert p2.bought == p.bought
    assert (p2.delivered == p.delivered).all()
    assert p2.unused_eur == pytest.approx(p.unused_eur + 4e8)


def test_the_default_programme_scales_until_training_binds():
    """Under the defaults EUR 100M buys less than 200M, 400M more airframes than 200M, and
    400M and 800M the same (limited by crews), with the extra money reported unused."""
    out = {}
    for b in (0, 1e8, 2e8, 4e8, 8e8):
        out[b] = schedule(scenario(**{"defense.budget_eur": b})).programme
    assert out[0].bought["airframes"] == 0
    assert out[1e8].bought["crews"] < out[2e8].bought["crews"]
    assert out[2e8].bought["airframes"] < out[4e8].bought["airframes"]
    assert out[4e8].bought == out[8e8].bought
    assert out[8e8].unused_eur == pytest.approx(out[4e8].unused_eur + 4e8)
    assert out[8e8].binding[-1] == "crews"
    assert "limited by" in limited_by_text(out[8e8]) and "crews" in limited_by_text(out[8e8])


# --------------------------------------------------------------------------- closed forms
def test_production_curves_closed_form():
    sc = scenario()
    pr = sc.defense.programme.production
    assert production_rate(pr, 0) == 0
    assert production_rate(pr, 1.4e8) == pytest.approx(400)
    assert production_rate(pr, 5.6e8) == pytest.approx(800)  # 4x the money, 2x the rate
    sat = with_overrides(sc, {"defense.programme.production.curve": "saturating"})
    p = sat.defense.programme.production
    assert production_rate(p, 1.4e8) == pytest.approx(500)
    assert production_rate(p, 1e15) == pytest.approx(1000, rel=1e-6)


def test_airframe_deliveries_closed_form():
    """All money to airframes: N = budget / unit cost, delivered at the power-curve rate from
    the decision date plus the lead time."""
    sc = scenario(**{
        "defense.budget_eur": 1.4e8, "period.start_date": "2025-12-01", "period.nights": 120,
        "defense.split": {"interceptors": 1.0, "crews": 0, "sensors": 0, "launch_sites": 0}})
    p = schedule(sc).programme
    assert p.first_delivery == dt.date(2025, 12, 1)
    n = int(1.4e8 / 4000)
    expected = np.minimum(n, np.floor(400 * (np.arange(120) + 1)))
    assert (p.delivered == expected).all()
    assert p.bought["crews"] == 0 and p.crews_qualified.max() == 0


def test_national_pipeline_closed_form():
    """No attrition, 2 weeks to qualify, 30.4375 trainees a month (one a day), steady pipeline
    at the start: one more crew qualifies every day."""
    sc = scenario(**{
        "defense.national_force.crews.at_start": 10,
        "defense.national_force.crews.trainee_crews_per_month": DAYS_PER_MONTH,
        "defense.national_force.crews.weeks_to_qualify": 2,
        "defense.national_force.crews.attrition_per_month": 0,
        "defense.national_force.production.mission_share": 0.5,
        "defense.national_force.production.stock_at_start": 100,
        "defense.national_force.production.ramp": None,
        "defense.national_force.production.per_day_by_month": {"2025-11": 200, "2025-12": 400},
    })
    f = schedule(sc).national
    k = np.arange(len(f.dates))
    assert (f.crews_qualified == 10 + k + 1).all()
    assert (f.crews_qualified <= np.floor(f.training_capacity + 1e-6)).all()
    assert f.crews_in_training[0] == 14
    # 100 in stock, then 100 a day in November, 200 a day from December (arrive by the night).
    assert f.delivered[0] == 100 and f.delivered[1] == 200
    assert f.delivered[30] == 100 + 30 * 100  # 1 Dec: 30 November days
    assert f.delivered[31] == 100 + 30 * 100 + 200


def test_ramp_as_known_on_1_october_2025():
    from sim.model.forces.national import national_production_per_day

    pr = scenario().defense.national_force.production
    days = [dt.date(2025, 8, 1), dt.date(2025, 9, 1), dt.date(2025, 11, 1), dt.date(2026, 1, 1),
            dt.date(2026, 3, 1)]
    got = national_production_per_day(pr, days)
    assert got[0] == got[1] == 300 and got[3] == got[4] == 1000
    assert got[2] == pytest.approx(300 + 700 * 61 / 122)


# --------------------------------------------------------------------------- labels
def labels_by_month(f):
    return dict(zip(f.months, f.binding, strict=True))


def test_label_time_before_the_lead_time():
    p = schedule(scenario(**{"defense.budget_eur": 2e8})).programme
    lab = labels_by_month(p)
    assert lab["2025-11"] == "time"  # first deliveries 1 Dec 2025, first crews 28 Nov
    assert p.binding_nightly[p.dates.index(dt.date(2025, 11, 27))] == "time"
    assert "time" not in p.binding_nightly[p.dates.index(dt.date(2025, 12, 1)):].tolist()


def test_label_crews_when_money_is_huge_and_trainees_few():
    p = schedule(scenario(**{"defense.budget_eur": 5e9, "defense.delivery.crews_per_month": 3})
                 ).programme
    assert set(labels_by_month(p).values()) - {"time"} == {"crews"}
    assert "3 crews a month" in p.binding_detail[-1]


def test_label_money_when_money_is_tiny():
    p = schedule(scenario(**{"defense.budget_eur": 3e6})).programme
    lab = labels_by_month(p)
    assert lab["2026-02"] == lab["2026-03"] == "money"
    assert p.bought["crews"] > 0  # some crews, fewer than training could give
    assert schedule(scenario(**{"defense.budget_eur": 0})).programme.binding[0] == "money"


def test_label_stations_and_sites_and_airframes_national():
    few_stations = schedule(scenario(**{
        "defense.national_force.ground_stations.at_start": 3,
        "defense.national_force.ground_stations.per_month": 0})).national
    assert set(few_stations.binding) == {"stations"}
    assert (few_stations.crews_active == 3).all()
    few_sites = schedule(scenario(**{
        "defense.national_force.launch_sites.at_start": 2,
        "defense.national_force.launch_sites.per_month": 0})).national
    assert set(few_sites.binding) == {"sites"}
    assert (few_sites.crews_active == 2 * 2).all() and (few_sites.sites_active == 2).all()
    no_airframes = schedule(scenario(**{
        "defense.national_force.production.mission_share": 0,
        "defense.national_force.production.stock_at_start": 0})).national
    assert set(no_airframes.binding) == {"airframes"}


def test_label_stations_for_the_programme_when_stations_lag():
    p = schedule(scenario(**{"defense.budget_eur": 2e8,
                             "defense.delivery.ground_stations_per_month": 5})).programme
    assert labels_by_month(p)["2026-02"] == "stations"


def test_geometry_after_the_run():
    f = schedule(scenario()).national
    n = len(f.dates)
    stock = f.delivered.astype(float)
    # Drones leaked every night while the force launched nothing: geometry.
    lab, det = binding_after_run(f, np.zeros(n), stock, np.ones(n))
    assert set(lab) == {"geometry"} and det[0].startswith("geometry")
    # It launched all it could: the schedule's label stands.
    lab2, _ = binding_after_run(f, np.minimum(f.sortie_capacity, stock), stock, np.ones(n))
    assert lab2 == f.binding
    # Nothing leaked: the schedule's label stands.
    lab3, _ = binding_after_run(f, np.zeros(n), stock, np.zeros(n))
    assert lab3 == f.binding
    text = limited_by_text(f, lab, stock_end=123)
    assert text.startswith("Ukraine's own force: what it can fly is limited by ground stations")
    assert "what it stops is limited by geometry" in text and "123 airframes unused" in text


# --------------------------------------------------------------------------- earlier behaviour
def test_fixed_rates_keeps_the_earlier_rule():
    sc = with_overrides(load_scenario(ROOT / "scenarios" / "nl-200m.yaml"), {
        "defense.programme.model": "fixed_rates",
        "defense.split": {"interceptors": 0.7, "crews": 0.12, "sensors": 0.12,
                          "launch_sites": 0.06}})
    p = schedule(sc).programme
    dates = sc.period.dates
    i0 = dates.index(dt.date(2025, 12, 1))
    assert (p.delivered[:i0] == 0).all()
    assert p.bought["airframes"] == 35_000
    assert p.delivered[i0] == 12_000  # the old fixed monthly batch
    assert p.delivered[i0 + 20] == 12_000
    assert p.delivered[dates.index(dt.date(2026, 2, 1))] == 35_000


def test_fixed_national_layer_is_the_earlier_constant():
    sc = scenario(**{"defense.national_force.model": "fixed"})
    f = schedule(sc).national
    assert (f.sites_active == 12).all() and (f.max_per_night == 60).all()
    assert not f.stock_carries
    ledger = ForceLedger(f)
    assert ledger.open_night(0) == 60
    ledger.expend(10)
    assert ledger.open_night(1) == 60  # the allowance does not carry over


# --------------------------------------------------------------------------- bad input
BAD = {
    "negative production": ({"per_day_by_month": {"2025-11": -5}},
                            "defense.national_force.production.per_day_by_month.2025-11"),
    "negative stock": ({"stock_at_start": -1},
                       "defense.national_force.production.stock_at_start"),
    "month 13": ({"per_day_by_month": {"2025-13": 5}},
                 "defense.national_force.production.per_day_by_month.2025-13"),
    "not a month": ({"per_day_by_month": {"Nov": 5}},
                    "defense.national_force.production.per_day_by_month.Nov"),
    "a date, not a month": ({"per_day_by_month": {dt.date(2025, 11, 1): 5}},
                            "defense.national_force.production.per_day_by_month"),
    "both forms": ({"per_day_by_month": {"2025-11": 5},
                    "ramp": {"start_month": "2025-09", "start_per_day": 1,
                             "target_per_day": 2, "reach_month": "2025-10"}},
                   "defense.national_force.production"),
    "ramp backwards": ({"ramp": {"start_month": "2025-09", "start_per_day": 1,
                                 "target_per_day": 2, "reach_month": "2025-01"}},
                       "defense.national_force.production.ramp"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_production_names_the_key_path(case):
    production, path = BAD[case]
    data = {"name": "x", "defense": {"national_force": {"production": production}}}
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "bad.yaml")
    msg = str(exc.value)
    assert msg.startswith("bad.yaml: ") and path in msg


def test_bad_stocks_name_the_key_path():
    for key, path in (({"crews": {"at_start": -3}}, "defense.national_force.crews.at_start"),
                      ({"ground_stations": {"per_month": -1}},
                       "defense.national_force.ground_stations.per_month"),
                      ({"launch_sites": {"at_start": -2}},
                       "defense.national_force.launch_sites.at_start")):
        with pytest.raises(ScenarioError, match=path.replace(".", r"\.")):
            scenario_from_dict({"name": "x", "defense": {"national_force": key}}, "f.yaml")
    with pytest.raises(ScenarioError, match=r"defense\.programme\.caps\.max_crews"):
        scenario_from_dict({"name": "x", "defense": {"programme": {"caps": {"max_crews": -1}}}})


def test_cli_validate_and_run_exit_2_and_write_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndefense:\n  national_force:\n    production:\n"
                   "      per_day_by_month: {2025-11: -5}\n", encoding="utf-8")
    env_path = str(ROOT)
    for args in (["validate", str(bad)], ["run", str(bad), "--out", str(tmp_path / "out")]):
        r = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                           env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=120)
        assert r.returncode == 2, r.stderr
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "Traceback" not in r.stderr
        assert str(bad) in lines[0]
        assert "defense.national_force.production.per_day_by_month.2025-11" in lines[0]
    assert not (tmp_path / "out").exists()


def test_shipped_scenarios_still_validate():
    for p in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = load_scenario(p)
        schedule(sc)
