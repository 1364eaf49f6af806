"""A portfolio's money night by night: hand-computed deliveries, spend and limits of single
items; conservation and monotonicity over random cost models, money and periods (hypothesis);
the programme as one option; options independent of one another."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.io import with_overrides
from sim.config.portfolio import Portfolio
from sim.config.portfolio_options import OPTIONS, Item, MissileItem, Options
from sim.config.schema import Scenario
from sim.model.forces import force_schedule
from sim.model.forces.schedule import DAYS_PER_MONTH
from sim.model.portfolio import (
    LIMITS,
    item_schedule,
    limited_by_text,
    nights_frame,
    portfolio_schedule,
)

DAY0 = dt.date(2026, 1, 1)
PER_DAY = DAYS_PER_MONTH  # a max_per_month of one a day


def nights(n: int, start: dt.date = DAY0) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def item(**kw) -> Item:
    base = {"share": 1.0, "unit": "unit", "unit_cost_eur": 1.0, "lead_time_days": 0}
    return Item(**{**base, **kw})


# --------------------------------------------------------------------------- hand-computed cases
def test_delivery_rate_limits_then_money():
    s = item_schedule(item(max_per_month=PER_DAY), 10.0, DAY0, nights(20))
    assert s.bought == 10
    assert s.delivered.tolist() == [min(k + 1, 10) for k in range(20)]
    assert s.active.tolist() == s.delivered.tolist()
    assert np.allclose(s.spend_eur, s.delivered * 1.0)
    assert s.committed_eur == pytest.approx(10.0) and s.unused_eur == pytest.approx(0.0)
    assert s.binding_nightly.tolist() == ["production"] * 9 + ["money"] * 11
    assert s.limits["money"] == 10 and s.limits["production"] == 20
    assert s.first_delivery == DAY0


def test_running_cost_is_paid_for_every_night_served():
    # 10 a unit, 1 a unit a night, 5 nights: a unit costs 15 for the winter; 46 buys 3
    s = item_schedule(item(unit_cost_eur=10.0, running_cost_eur_per_unit_month=PER_DAY),
                      46.0, DAY0, nights(5))
    assert s.bought == 3
    assert s.spend_eur.tolist() == pytest.approx([30 + 3 * (k + 1) for k in range(5)])
    assert s.committed_eur == pytest.approx(45.0) and s.unused_eur == pytest.approx(1.0)
    assert set(s.binding_nightly) == {"money"}


def test_crews_trained_by_the_last_night_limit_what_is_bought():
    # one crew enters training a day from the decision and qualifies after 7 days; only those
    # entering by night 12 qualify by night 19: 13 crews, 13 units
    s = item_schedule(item(crews_per_unit=1, crews_per_month=PER_DAY, weeks_to_qualify=1),
                      1000.0, DAY0, nights(20))
    assert s.bought == 13 and s.limits["crews"] == 13
    assert s.delivered.tolist() == [13] * 20
    assert s.active.tolist() == [max(0, k - 6) for k in range(20)]
    assert s.crews_qualified.tolist() == s.active.tolist()
    assert s.binding_nightly.tolist() == ["time"] * 7 + ["crews"] * 12 + ["crews"]
    assert s.unused_eur == pytest.approx(1000 - 13)


def test_crews_without_a_training_limit_still_take_time_to_train():
    # all six crews start on the decision day and qualify a week later
    s = item_schedule(item(crews_per_unit=2, weeks_to_qualify=1, max_per_month=PER_DAY), 3.0,
                      DAY0, nights(20))
    assert s.bought == 3 and s.delivered.tolist() == [1, 2] + [3] * 18
    assert s.crews_qualified.tolist() == [0] * 7 + [6] * 13
    assert s.active.tolist() == [0] * 7 + [3] * 13
    assert s.binding_nightly.tolist() == ["time"] * 7 + ["money"] * 13
    # too late to train anyone: nothing bought, for lack of time
    late = item_schedule(item(crews_per_unit=1, weeks_to_qualify=4), 5.0, DAY0, nights(20))
    assert late.bought == 0 and set(late.binding_nightly) == {"time"}
    # no training at all: for lack of crews
    none = item_schedule(item(crews_per_unit=1, crews_per_month=0), 5.0, DAY0, nights(20))
    assert none.bought == 0 and set(none.binding_nightly) == {"crews"}


def test_sites_cap():
    s = item_schedule(item(max_units=3), 100.0, DAY0, nights(4))
    assert s.bought == 3 and s.delivered.tolist() == [3] * 4
    assert set(s.binding_nightly) == {"sites"}
    assert "sites: all 3" in s.binding_detail[0]


def test_lead_time_beyond_the_period_buys_nothing():
    s = item_schedule(item(lead_time_days=30), 100.0, DAY0, nights(20))
    assert s.bought == 0 and not s.delivered.any() and not s.spend_eur.any()
    assert s.unused_eur == 100.0 and set(s.binding_nightly) == {"time"}
    assert s.first_delivery is None


def test_lead_time_counts_from_the_decision():
    decision = DAY0 - dt.timedelta(days=10)
    s = item_schedule(item(lead_time_days=12, max_per_month=PER_DAY), 5.0, decision, nights(8))
    assert s.delivered.tolist() == [0, 0, 1, 2, 3, 4, 5, 5]
    assert s.binding_nightly.tolist()[:2] == ["time", "time"]
    assert s.first_delivery == DAY0 + dt.timedelta(days=2)


def test_nothing_for_sale():
    s = item_schedule(item(max_per_month=0), 100.0, DAY0, nights(5))
    assert s.bought == 0 and set(s.binding_nightly) == {"production"}
    assert "none for sale" in s.binding_detail[0]


def test_zero_money_delivers_nothing():
    s = item_schedule(item(max_per_month=PER_DAY, crews_per_unit=1), 0.0, DAY0, nights(5))
    assert s.bought == 0 and not s.delivered.any() and not s.active.any()
    assert not s.spend_eur.any() and set(s.binding_nightly) == {"money"}
    assert "no money" in s.binding_detail[0]


def test_fixed_cost_is_paid_once_on_the_decision_day():
    decision = DAY0 + dt.timedelta(days=2)
    s = item_schedule(item(fixed_cost_eur=5.0), 8.0, decision, nights(5))
    assert s.bought == 3
    assert s.spend_eur.tolist() == [0, 0, 8, 8, 8]
    assert item_schedule(item(fixed_cost_eur=5.0), 5.5, decision, nights(5)).bought == 0


def test_missile_item_takes_the_system_cost():
    mi = MissileItem(share=1.0, lead_time_days=0, max_per_month=None)
    s = item_schedule(mi, 10.0, DAY0, nights(3), unit="missile", unit_cost_eur=4.0)
    assert s.bought == 2 and s.unit == "missile"
    with pytest.raises(ValueError, match="unit cost must be > 0"):
        item_schedule(mi, 10.0, DAY0, nights(3), unit_cost_eur=0.0)


def test_report_line_names_the_limits():
    # from 28 Jan, first unit on 31 Jan, one a day: the tenth on 9 Feb; then money binds
    start = dt.date(2026, 1, 28)
    s = item_schedule(item(lead_time_days=3, max_per_month=PER_DAY), 10.5, start,
                      nights(40, start), name="groups", unit="fire group")
    assert s.binding == ("time", "money", "money")
    assert limited_by_text(s) == ("groups: 10 fire groups bought, 10 serving on the last night; "
                                  "limited by time (Jan 2026), money (Feb 2026 - Mar 2026); EUR "
                                  "0.0M unused")
    assert s.binding_detail[1] == ("money: 10 fire groups bought for this winter; EUR 0.0M left "
                                   "over buys less than one more")


# --------------------------------------------------------------------------- random inputs
costs = st.floats(1.0, 5e6)
optional_rate = st.one_of(st.none(), st.floats(0.0, 500.0))


@st.composite
def items(draw):
    return Item(
        share=1.0, unit="u", unit_cost_eur=draw(costs),
        fixed_cost_eur=draw(st.one_of(st.just(0.0), st.floats(0.0, 1e7))),
        running_cost_eur_per_unit_month=draw(st.one_of(st.just(0.0), st.floats(0.0, 1e5))),
        lead_time_days=draw(st.integers(0, 200)),
        max_per_month=draw(optional_rate),
        max_units=draw(st.one_of(st.none(), st.integers(0, 500))),
        crews_per_unit=draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        crews_per_month=draw(optional_rate),
        weeks_to_qualify=draw(st.floats(0.0, 12.0)),
    )


periods = st.tuples(st.integers(0, 120), st.integers(1, 200), st.integers(-60, 60))


def _period(p):
    start = dt.date(2025, 10, 1) + dt.timedelta(days=p[0])
    return nights(p[1], start), start + dt.timedelta(days=p[2])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(it=items(), money=st.floats(0.0, 3e8), period=periods)
def test_item_spend_never_exceeds_its_money_and_stocks_add_up(it, money, period):
    dates, decision = _period(period)
    s = item_schedule(it, money, decision, dates)
    assert s.spend_eur[-1] <= money * (1 + 1e-9) + 1e-6
    assert np.all(np.diff(s.spend_eur) >= -1e-6) and s.spend_eur[0] >= 0
    assert np.all(np.diff(s.delivered) >= 0) and np.all(s.active <= s.delivered)
    assert np.all(np.diff(s.active) >= 0)
    assert s.delivered[-1] == s.bought  # what is bought arrives this winter
    assert s.committed_eur == pytest.approx(float(s.spend_eur[-1]), rel=1e-9, abs=1e-6)
    assert s.unused_eur == pytest.approx(money - s.committed_eur, rel=1e-9, abs=1e-6)
    if it.max_units is not None:
        assert s.bought <= it.max_units
    if it.max_per_month is not None:
        per_day = it.max_per_month / DAYS_PER_MONTH
        assert np.all(np.diff(s.delivered) <= math.ceil(per_day))  # night to night
    assert set(s.binding_nightly) <= set(LIMITS)
    assert len(s.months) == len({d.strftime("%Y-%m") for d in dates})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(it=items(), m1=st.floats(0.0, 2e8), extra=st.floats(0.0, 2e8), period=periods)
def test_more_money_never_delivers_less(it, m1, extra, period):
    dates, decision = _period(period)
    a = item_schedule(it, m1, decision, dates)
    b = item_schedule(it, m1 + extra, decision, dates)
    assert b.bought >= a.bought
    assert np.all(b.delivered >= a.delivered) and np.all(b.active >= a.active)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(it=items(), period=periods)
def test_an_item_at_zero_money_delivers_nothing(it, period):
    dates, decision = _period(period)
    s = item_schedule(it, 0.0, decision, dates)
    assert s.bought == 0 and not s.delivered.any() and not s.spend_eur.any()
    assert set(s.binding_nightly) == {"money"}


# --------------------------------------------------------------------------- the portfolio
BASE = Scenario(name="t")


def scenario(**over):
    return with_overrides(BASE, over)


@st.composite
def portfolios(draw):
    names = draw(st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=len(OPTIONS),
                          unique=True))
    weights = draw(st.lists(st.floats(0.0, 1.0), min_size=len(names), max_size=len(names)))
    if draw(st.booleans()):
        total = sum(weights)
        shares = ([w / total for w in weights] if total > 0
                  else [1.0 / len(names)] * len(names))
        shares[-1] = max(0.0, 1.0 - sum(shares[:-1]))  # never -2e-16 from rounding
        return {"shares": dict(zip(names, shares, strict=True))}, 1.0
    return {"amounts_eur": dict(zip(names, weights, strict=True))}, sum(weights)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pf=portfolios(), budget=st.floats(0.0, 5e8), start=st.integers(0, 150),
       n=st.integers(1, 151))
def test_portfolio_spend_never_exceeds_the_budget(pf, budget, start, n):
    form, scale = pf
    if "amounts_eur" in form:  # amounts: fractions of the budget, summing to at most 1
        k = max(scale, 1.0)
        form = {"amounts_eur": {o: budget * w / k for o, w in form["amounts_eur"].items()}}
    sc = scenario(**{"defense.budget_eur": budget,
                     "period.start_date": (dt.date(2025, 10, 15)
                                           + dt.timedelta(days=start)).isoformat(),
                     "period.nights": n})
    portfolio = Portfolio.model_validate(form)  # the schedule alone (no missiles simulated)
    ps = portfolio_schedule(sc.defense, sc.period.dates, portfolio)
    assert ps.spend_eur[-1] <= budget * (1 + 1e-9) + 1e-3
    money = portfolio.money_eur(budget)
    for name, o in ps.options.items():
        assert o.money_eur == pytest.approx(money[name])
        assert o.spend_eur[-1] <= o.money_eur * (1 + 1e-9) + 1e-3, name
        if o.money_eur == 0:
            for i in o.items.values():
                assert not i.delivered.any() and not i.spend_eur.any(), (name, i.item)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(OPTIONS), b1=st.floats(0.0, 4e8), extra=st.floats(0.0, 4e8))
def test_more_budget_never_delivers_less(option, b1, extra):
    sc, p = BASE, Portfolio.single(option)
    a = portfolio_schedule(sc.defense, sc.period.dates, p, budget_eur=b1).options[option]
    b = portfolio_schedule(sc.defense, sc.period.dates, p, budget_eur=b1 + extra).options[option]
    for name, ia in a.items.items():
        ib = b.items[name]
        assert np.all(ib.delivered >= ia.delivered), (option, name)
        assert np.all(ib.active >= ia.active), (option, name)
    if option == "interceptor_drones":
        assert np.all(b.force.crews_active >= a.force.crews_active)


def test_no_portfolio_is_the_programme_alone(nl200m):
    ps = portfolio_schedule(nl200m.defense, nl200m.period.dates)
    f = force_schedule(nl200m.defense, nl200m.period.dates).programme
    prog = ps.options["interceptor_drones"]
    assert prog.money_eur == nl200m.defense.budget_eur
    np.testing.assert_array_equal(prog.force.delivered, f.delivered)
    np.testing.assert_array_equal(prog.items["programme"].delivered, f.delivered)
    np.testing.assert_array_equal(prog.spend_eur, f.spend_eur)
    assert prog.force.binding == f.binding
    for name in OPTIONS[1:]:
        assert ps.options[name].money_eur == 0
        assert not any(i.delivered.any() for i in ps.options[name].items.values())


def test_options_do_not_interact(nl200m):
    """An option's deliveries depend on its own money only: in a mix they equal the option
    alone with the same amount, and an option at zero money changes nothing for the others."""
    amounts = {"passive_protection": 6e7, "interceptor_drones": 1e8, "ew_stations": 0.0,
               "spares_and_repair": 4e7}
    mix = portfolio_schedule(nl200m.defense, nl200m.period.dates,
                             Portfolio(amounts_eur=amounts))
    without = portfolio_schedule(nl200m.defense, nl200m.period.dates, Portfolio(
        amounts_eur={k: v for k, v in amounts.items() if k != "ew_stations"}))
    for name, m in amounts.items():
        alone = portfolio_schedule(nl200m.defense, nl200m.period.dates,
                                   Portfolio(amounts_eur={name: m}))
        for iname, it in mix.options[name].items.items():
            other = alone.options[name].items[iname]
            np.testing.assert_array_equal(it.delivered, other.delivered)
            np.testing.assert_array_equal(it.spend_eur, other.spend_eur)
            np.testing.assert_array_equal(it.delivered,
                                          without.options[name].items[iname].delivered)


def test_missile_option_uses_the_systems_cost(nl200m):
    sc = with_overrides(nl200m, {
        "defense.missile_defense.systems.patriot.interceptor_cost_eur": 1e6,
        "defense.portfolio": {"amounts_eur": {"missile_interceptors": 1e7},
                              "options": {"missile_interceptors": {"items": {
                                  "patriot": {"share": 1.0, "max_per_month": None,
                                              "lead_time_days": 0},
                                  "samp_t": {"share": 0}, "nasams_iris_t": {"share": 0}}}}}})
    ps = portfolio_schedule(sc.defense, sc.period.dates)
    pat = ps.item("missile_interceptors", "patriot")
    assert pat.bought == 10 and pat.delivered[0] == 10 and pat.unit == "missile"


def test_winter_report_for_each_option_alone(nl200m):
    for name in OPTIONS:
        ps = portfolio_schedule(nl200m.defense, nl200m.period.dates, Portfolio.single(name))
        assert ps.spend_eur[-1] <= nl200m.defense.budget_eur + 1e-3
        text = ps.text()
        assert "limited by" in text and f"EUR {nl200m.defense.budget_eur / 1e6:,.1f}M" in text
        summary = ps.summary()
        assert set(summary["options"]) == set(OPTIONS)
        assert summary["options"][name]["money_eur"] == nl200m.defense.budget_eur
    frame = nights_frame(ps)
    assert set(frame.columns) >= {"date", "option", "item", "delivered", "active", "spend_eur",
                                  "binding"}
    n_items = sum(max(len(Options().items(o)), 1) for o in OPTIONS)
    assert len(frame) == n_items * nl200m.period.nights


def test_second_level_protection_in_winter_2025_26(nl200m):
    """Decided on 10 Oct 2025 with EUR 200M: the first sites are ready 120 days later (7 Feb
    2026) and four a month follow, so money is not what limits it this winter."""
    ps = portfolio_schedule(nl200m.defense, nl200m.period.dates,
                            Portfolio.single("passive_protection"))
    s = ps.item("passive_protection", "second_level")
    assert s.first_delivery == dt.date(2026, 2, 7)
    days = (dt.date(2026, 3, 31) - dt.date(2026, 2, 7)).days + 1
    assert s.bought == math.floor(4 / DAYS_PER_MONTH * days + 1e-9)
    assert s.binding[:3] == ("time", "time", "time") and s.binding[-1] == "production"
    assert s.unused_eur == pytest.approx(2e8 - s.bought * 2.6e6)


def test_docs_table_of_what_200m_buys_matches_the_schedule(nl200m):
    from tests.helpers import ROOT

    doc = (ROOT / "docs" / "portfolio.md").read_text(encoding="utf-8")
    dates = nl200m.period.dates

    def alone(option):
        return portfolio_schedule(nl200m.defense, dates, Portfolio.single(option)).options[option]

    f = alone("interceptor_drones").force
    assert (f"| interceptor drones | {f.bought['airframes']:,} airframes, {f.bought['crews']} "
            f"crews, {f.bought['sites']} sites |") in doc
    m = alone("missile_interceptors").items
    assert m["samp_t"].bought == 0 and (
        f"| missile interceptors | {m['patriot'].bought} PAC-3, {m['nasams_iris_t'].bought} "
        "IRIS-T/AMRAAM, no Aster |") in doc
    assert f"| mobile fire groups | {alone('mobile_fire_groups').items['groups'].bought} groups |" in doc
    assert f"| EW stations | {alone('ew_stations').items['stations'].bought} stations |" in doc
    pp = alone("passive_protection").items["second_level"]
    assert (f"| passive protection | {pp.bought} sites (second level), from "
            f"{pp.first_delivery.day} {pp.first_delivery:%b %Y} |") in doc
    sr = alone("spares_and_repair").items
    assert (f"| spares and repair | {sr['spare_autotransformers'].bought} autotransformers, "
            f"{sr['repair_crews'].bought} repair teams |") in doc
    dg = alone("distributed_generation").items
    assert all(i.bought == 0 for i in dg.values())
    lead = min(i.lead_time_days for i in Options().distributed_generation.items.values())
    first = nl200m.defense.programme.decision_date + dt.timedelta(days=lead)
    assert first.month == 4 and "| distributed generation | nothing before April 2026 |" in doc
