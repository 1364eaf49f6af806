"""Conservation laws, determinism, common random numbers and the budget (issue: core engine)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.io import with_overrides
from sim.experiments.runs import run_one
from sim.model.defense_model import DefenseModel
from tests.helpers import short


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budget=st.floats(0, 1e9),
    pk=st.floats(0, 1),
    decoy=st.floats(0, 0.8),
    intensity=st.floats(0.1, 4.0),
    reengage=st.booleans(),
    allocator=st.sampled_from(["greedy", "optimal"]),
    policy=st.sampled_from(["energy_sites", "cities", "corridors"]),
    seed=st.integers(0, 2**31),
)
def test_conservation_every_night(nl200m, budget, pk, decoy, intensity, reengage, allocator,
                                  policy, seed):
    sc = short(nl200m, nights=6, **{
        "defense.budget_eur": budget, "defense.interceptor.pk": pk, "threat.decoy_share": decoy,
        "threat.launches.intensity_multiplier": intensity, "defense.interceptor.reengage": reengage,
        "defense.allocator": allocator, "defense.basing.policy": policy, "energy.enabled": False,
    })
    model = DefenseModel(sc, seed=seed)
    programme = model.forces[1]
    stock_before = []
    while model.running:
        model.step()
        stock_before.append(programme.available)  # tonight's stock, at most the crews' sorties
    df = model.datacollector.get_model_vars_dataframe()
    # Every drone launched ends in exactly one category.
    assert (df["launched"] == df["destroyed"] + df["lost_ew"] + df["leaked"]).all()
    assert (df["destroyed"] == df["destroyed_programme"] + df["destroyed_existing_interceptors"]
            + df["destroyed_fire_groups"] + df["destroyed_missiles"]).all()
    assert (df["launched"] == df["launched_shahed"] + df["launched_jet"]
            + df["launched_decoy"]).all()
    # Interceptors launched never exceed what is in stock that night plus the ones recovered
    # after a miss and flown again.
    assert ((df["interceptors_launched"] - df["interceptors_recovered"]).to_numpy()
            <= np.array(stock_before)).all()
    assert (df["interceptor_kills"] == df["destroyed_programme"]).all()
    assert (df["interceptors_expended"] + df["interceptors_recovered"]
            == df["interceptors_launched"]).all()
    assert (df["existing_interceptors_launched"] - df["existing_interceptors_recovered"]
            <= df["national_available"]).all()
    # Stocks never go negative; a force flies no more than it has.
    assert (df["national_stock"] >= 0).all() and (df["programme_stock"] >= 0).all()
    # Hits only by warhead drones that reached their target.
    assert (df["hits_on_sites"] <= df["leaked_warhead"]).all()
    # Spend never exceeds the budget.
    assert (df["programme_spend_eur"] <= budget + 1e-6).all()
    if budget == 0:
        assert df["interceptors_launched"].sum() == 0


def test_zero_budget_gives_no_programme_but_existing_layers_remain(baseline):
    r = run_one(short(baseline, nights=10, **{"energy.enabled": False}), seed=3)
    o = r.outcomes
    assert o["interceptors_launched"] == 0 and o["programme_cost_eur"] == 0
    assert o["destroyed_fire_groups"] > 0 and o["lost_ew"] > 0
    assert o["existing_interceptor_kills"] > 0


def test_determinism_and_replicates(nl200m):
    sc = short(nl200m, nights=8, **{"energy.enabled": False})
    a = run_one(sc, seed=5, replicate=0)
    b = run_one(sc, seed=5, replicate=0)
    c = run_one(sc, seed=5, replicate=1)
    pd.testing.assert_frame_equal(a.nights, b.nights)
    assert a.outcomes == b.outcomes
    assert not a.nights["launched"].equals(c.nights["launched"])


def test_common_random_numbers_same_raids_across_policies(nl200m):
    lo = short(nl200m, nights=8, **{"defense.budget_eur": 0})
    hi = short(nl200m, nights=8, **{"defense.budget_eur": 8e8})
    a, b = run_one(lo, seed=9), run_one(hi, seed=9)
    for col in ("launched", "launched_shahed", "launched_decoy", "aimed_at_energy"):
        assert a.nights[col].equals(b.nights[col]), col


FASTER = {"defense.delivery.interceptors_per_month": 24000, "defense.delivery.crews_per_month": 80,
          "defense.delivery.launch_sites_per_month": 80, "defense.delivery.radars_per_month": 20}


@pytest.mark.parametrize("seed", range(6))
def test_larger_budget_does_not_lower_destroyed(nl200m, seed):
    """With common random numbers, more money never destroys fewer drones.

    Budgets EUR 0, 200M and 400M (the last with doubled delivery rates, as in nl-400m) face
    the same raids. Tolerance: 1% of launched drones, allowed for interactions between
    layers (a drone the programme kills can free a capped fire-group engagement for another
    drone); on seeds 0-5 the tolerance was needed 0 times (tests/model/test_defense_model.py, rerun with
    pytest -k larger_budget).
    """
    base = short(nl200m, nights=20, **{"energy.enabled": False})
    runs = [
        run_one(with_overrides(base, {"defense.budget_eur": 0}), seed=seed),
        run_one(with_overrides(base, {"defense.budget_eur": 2e8}), seed=seed),
        run_one(with_overrides(base, {"defense.budget_eur": 4e8, **FASTER}), seed=seed),
    ]
    launched = runs[0].outcomes["launched"]
    for lo, hi in zip(runs, runs[1:], strict=False):
        assert hi.outcomes["launched"] == launched
        assert hi.outcomes["destroyed"] >= lo.outcomes["destroyed"] - 0.01 * launched
        assert (hi.outcomes["destroyed"] + hi.outcomes["lost_ew"]
                >= lo.outcomes["destroyed"] + lo.outcomes["lost_ew"] - 0.01 * launched)
    # The programme makes a difference at all.
    assert runs[1].outcomes["destroyed"] > runs[0].outcomes["destroyed"]


def test_agents_carry_the_night(nl200m):
    from sim.model.agents import (
        AttackDrone,
        AttackPlanner,
        EnergySite,
        InterceptorSortie,
        InterceptorTeam,
        Radar,
    )

    sc = short(nl200m, nights=40, **{"energy.enabled": False,
                                       "defense.delivery.first_delivery_date": "2025-11-02"})
    m = DefenseModel(sc, seed=2)
    for _ in range(3):
        m.step()
    # Persistent agents: one attack planner, the sites, the teams of both forces.
    assert len(m.agents_by_type[AttackPlanner]) == 1
    assert len(m.agents_by_type[EnergySite]) == len(m.sites)
    teams = m.agents_by_type[InterceptorTeam]
    assert len(teams) >= sc.defense.layers.existing_interceptors.launch_sites
    assert any(t.programme for t in teams) and any(not t.programme for t in teams)
    assert len(m.agents_by_type[Radar]) >= sc.defense.sensors.surveillance.count
    # The teams' crews are the forces' crews on duty tonight.
    assert sum(t.crews for t in m.teams) == m.record["programme_crews"] + m.record[
        "national_crews"]
    # Tonight's drones and sorties are agents on demand, and only tonight's.
    drones = m.drones
    assert len(drones) == m.record["launched"] == len(m.agents_by_type[AttackDrone])
    fates = [d.fate for d in drones]
    assert fates.count("leaked") == m.record["leaked"]
    assert fates.count("ew") == m.record["lost_ew"]
    sorties = m.sorties
    assert len(sorties) == (m.record["interceptors_launched"]
                            + m.record["existing_interceptors_launched"])
    assert sum(s.killed for s in sorties) == (m.record["interceptor_kills"]
                                              + m.record["existing_interceptor_kills"])
    m.step()
    assert len(m.drones) == m.record["launched"] == len(m.agents_by_type[AttackDrone])
    assert len(m.agents_by_type.get(InterceptorSortie, [])) <= len(sorties) + len(m.sorties)


def test_every_deciding_agent_steps_and_views_say_so():
    """Each agent class either decides something in ``step(night)`` or is a plain view that
    says so in its docstring."""
    import inspect

    from sim.model import agents

    classes = [c for _, c in inspect.getmembers(agents, inspect.isclass)
               if issubclass(c, agents.SimAgent) and c is not agents.SimAgent]
    assert classes
    for c in classes:
        steps = "step" in vars(c)
        view = "plain view" in " ".join((c.__doc__ or "").split())
        assert steps != view, c.__name__
        if steps:
            assert list(inspect.signature(c.step).parameters) == ["self", "night"], c.__name__


class _SealedModel(DefenseModel):
    """A model whose attributes only its own code (and Mesa's) may set once it is built."""

    _sealed = False

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self._sealed = True

    def __setattr__(self, name, value):
        if self._sealed:
            import sys
            from pathlib import Path

            caller = Path(sys._getframe(1).f_code.co_filename)
            own = caller.name == "defense_model.py" or "mesa" in caller.parts
            if not own:
                raise AttributeError(f"{caller.name} set model.{name} during a night")
        super().__setattr__(name, value)


@pytest.mark.parametrize("strategy", ["static", "learning"])
def test_no_agent_writes_to_the_model(nl200m, strategy):
    sc = short(nl200m, nights=12, **{"threat.attacker.strategy": strategy,
                                       "defense.delivery.first_delivery_date": "2025-11-02"})
    m = _SealedModel(sc, seed=4)
    m.run()  # every phase, energy and missiles on
    assert m.night == 12 and len(m.drones) == m.record["launched"]
    with pytest.raises(AttributeError, match="set model.night"):
        m.planner.model.night = 0  # the seal works: a write from outside the model fails
    # and it is the model's own run: the same numbers as an unsealed one
    ref = DefenseModel(sc, seed=4)
    ref.run()
    pd.testing.assert_frame_equal(m.datacollector.get_model_vars_dataframe(),
                                  ref.datacollector.get_model_vars_dataframe())


def test_datacollector_is_the_nightly_store(nl200m):
    from sim.model.outcomes import INDEX_COLUMNS, OUTCOMES, nightly_columns

    m = DefenseModel(short(nl200m, nights=3), seed=1)
    m.run()
    df = m.datacollector.get_model_vars_dataframe()
    # The columns are the registry's nightly outcomes (after which night it is) ...
    assert list(df.columns) == [*INDEX_COLUMNS, *nightly_columns(
        energy=True, missiles=m.missile_planner is not None)]
    assert len(df) == 3 and not hasattr(m, "night_rows")
    # ... each read from the night by the reader the registry declares.
    row = df.iloc[-1]
    for c in df.columns:
        read = INDEX_COLUMNS[c] if c in INDEX_COLUMNS else OUTCOMES[c].read
        assert read(m.tonight) == row[c], c
    out = run_one(short(nl200m, nights=3), seed=1)
    pd.testing.assert_frame_equal(out.nights.drop(columns=["seed", "replicate"]),
                                  df.reset_index(drop=True), check_dtype=False)


def test_closed_model_is_freed(nl200m):
    """Sweeps run thousands of winters per process: a finished model must not stay alive."""
    import gc
    import weakref

    m = DefenseModel(short(nl200m, nights=2), seed=1)
    m.run()
    assert len(m.drones) > 0  # made the night's agents too
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
