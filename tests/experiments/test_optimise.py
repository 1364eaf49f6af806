"""Tests of the optimiser (sim/experiments/optimise.py) and ``python -m sim optimise``.

Oracles: closed-form optima of toy objectives plugged into the same search (the objective is
injectable), the Euclidean projection onto the share bounds checked by its optimality
conditions, a tiny real instance whose best site is obvious, and the real model's demand served
as the programme gets more teams on the same seeds.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.config.io import load_scenario, with_overrides
from sim.experiments.optimise import (
    ATTACKERS,
    SPLIT_KEYS,
    SearchSpace,
    optimise,
    project_shares,
)
from sim.experiments.runs import run_one

NL = "scenarios/nl-200m.yaml"


@pytest.fixture(scope="module")
def nl():
    return load_scenario(NL)


# --------------------------------------------------------------------------- share bounds
@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.floats(0, 1), min_size=4, max_size=4),
       lo=st.floats(0, 0.25), width=st.floats(0, 1))
def test_shares_are_the_projection_onto_the_bounds(x, lo, width):
    """Within [lo, hi], summing to 1, and the Euclidean projection of x / sum(x): every share
    strictly inside the bounds moved by the same amount, those at a bound moved no less
    (lower bound) or no more (upper bound) than that."""
    hi = min(1.0, max(lo + width, 0.25))
    s = project_shares(x, lo, hi)
    assert s.sum() == pytest.approx(1.0, abs=1e-9)
    assert (s >= lo - 1e-9).all() and (s <= hi + 1e-9).all()
    y = np.asarray(x) / sum(x) if sum(x) > 0 else np.full(4, 0.25)
    move = s - y
    inside = (s > lo + 1e-7) & (s < hi - 1e-7)
    if inside.any():
        tau = move[inside][0]
        np.testing.assert_allclose(move[inside], tau, atol=1e-7)
        assert (move[s <= lo + 1e-7] >= tau - 1e-7).all()
        assert (move[s >= hi - 1e-7] <= tau + 1e-7).all()


# --------------------------------------------------------------------------- known optima
def test_the_search_finds_the_constrained_optimum_of_a_toy_split(nl):
    """Objective -|s - t|^2 over shares s in [0.05, 0.45] (plus a replicate's own offset, the
    same for every plan: common random numbers). Its optimum is the projection of t onto the
    bounds, by hand: t = (0.55, 0.25, 0.10, 0.10) -> (0.45, 0.25 + 1/30, 0.10 + 1/30,
    0.10 + 1/30)."""
    t = np.array([0.55, 0.25, 0.10, 0.10])
    best = np.array([0.45, 0.25 + 1 / 30, 0.10 + 1 / 30, 0.10 + 1 / 30])
    seen = []

    def evaluate(plan, attacker, reps):
        if plan is None:  # the shipped split (auto) scores below every feasible split
            return np.full(len(reps), -1.0) + np.asarray(reps) * 0.01
        s = np.array([plan.split[k] for k in SPLIT_KEYS])
        seen.append(s)
        return -np.sum((s - t) ** 2) + np.asarray(reps) * 0.01

    res = optimise(nl, trials=80, replicates=3, eval_replicates=4, evaluate=evaluate,
                   space=SearchSpace(basing="shipped", split="shares", min_share=0.05,
                                     max_share=0.45))
    seen = np.array(seen)
    assert (seen >= 0.05 - 1e-4).all() and (seen <= 0.45 + 1e-4).all()
    found = np.array([res.best.split[k] for k in SPLIT_KEYS])
    assert np.abs(found - best).max() < 0.04, found
    assert res.objective == pytest.approx(-np.sum((found - t) ** 2) + 0.01, abs=1e-9)
    ev = res.evaluation["by_attacker"]["static"]  # fresh replicates 3..6, paired: no noise
    assert ev["n"] == 4 and ev["diff"] == pytest.approx(1.0 - np.sum((found - t) ** 2))
    assert ev["ci_low"] == ev["ci_high"] == pytest.approx(ev["diff"])


def _mix_share(plan) -> float:
    w = plan.mix_weights
    return w.get("energy_sites", 0.0) / (w.get("energy_sites", 0.0) + w.get("corridors", 0.0))


TARGET = {"static": 0.2, "best_response": 0.6, "learning": 0.45}


def _toy_mix(plan, attacker, reps):
    w = 1.0 if plan is None else _mix_share(plan)  # shipped: all energy_sites
    return np.full(len(reps), -((w - TARGET[attacker]) ** 2))


@pytest.mark.parametrize("attacker,optimum", [("static", 0.2), ("best_response", 0.6),
                                              ("robust", 0.4)])
def test_the_robust_plan_is_the_max_min_of_a_toy_mix(nl, attacker, optimum):
    """Value of a mix with energy-site share w against attacker a: -(w - t_a)^2 with t = 0.2,
    0.6, 0.45. One attacker: w = t_a. Robust (the worst attacker): the max-min is w = 0.4,
    halfway between the two farthest targets (there the learning attacker is not the worst)."""
    space = SearchSpace(basing="mix", strategies=("energy_sites", "corridors"), split="shipped")
    res = optimise(nl, attacker=attacker, trials=60, replicates=1, eval_replicates=3,
                   evaluate=_toy_mix, space=space)
    assert _mix_share(res.best) == pytest.approx(optimum, abs=0.05)
    if attacker == "robust":
        assert res.settings["attackers"] == list(ATTACKERS)
        wc = res.evaluation["worst_case"]
        assert wc["worst_plan"] == pytest.approx(-((_mix_share(res.best) - 0.6) ** 2)
                                                 if _mix_share(res.best) < 0.4 else
                                                 -((_mix_share(res.best) - 0.2) ** 2))
        assert wc["worst_shipped"] == pytest.approx(-(0.8 ** 2))  # w = 1 vs static's 0.2
        assert wc["diff"] > 0.5


def test_a_tiny_real_instance_puts_its_one_site_at_the_only_big_target(nl):
    """The attacker aims only at CHP plants, by capacity squared: Kyiv CHP-5 draws two thirds
    of the drones and its neighbours (CHP-6, Darnytsia, within the 25 km envelope) most of
    the rest. One programme launch site (one crew), three candidates: Kyiv CHP-5, Burshtyn TPP
    and the Dniester HPP (both far west). The shipped plan puts it at the Dniester HPP; the
    search, maximising the programme's kills, must move it to Kyiv CHP-5, and the fresh
    replicates must show more kills. (Its effect on hits is a few per week: Ukraine's own
    force already defends Kyiv, so kills are the clear signal.)"""
    sc = with_overrides(nl, {
        "period.start_date": "2026-03-01", "period.nights": 8,
        "defense.programme.caps.max_sites": 1,
        "threat.targeting.weights_by_site_type": {"chp": 1.0},
        "threat.targeting.capacity_exponent": 2.0, "threat.targeting.energy_share": 1.0,
        "defense.basing.policy": "custom", "defense.basing.custom_sites": ["dniester_hpp"]})
    space = SearchSpace(basing="sites", split="shipped",
                        pool=("kyiv_chp5", "burshtyn_tpp", "dniester_hpp"))
    res = optimise(sc, trials=8, replicates=2, eval_replicates=2, outcome="interceptor_kills",
                   space=space)
    assert res.best.custom_sites[0] == "kyiv_chp5"
    assert res.objective > res.shipped_objective
    assert res.evaluation["by_attacker"]["static"]["diff"] > 0  # more kills than shipped


# --------------------------------------------------------------------------- stopping rule
def _noisy(delta: float, sd: float):
    """A toy objective on common random numbers: replicate r of the shipped plan scores
    0.9 + u_r (u_r the winter's luck, shared by every plan); any other plan scores that plus
    ``delta`` plus its own noise of standard deviation ``sd`` (seeded by the replicate)."""
    def evaluate(plan, attacker, reps):
        reps = np.asarray(reps)
        luck = np.array([np.random.default_rng(1000 + r).normal(0, 0.03) for r in reps])
        if plan is None:
            return 0.9 + luck
        own = np.array([np.random.default_rng(r).normal(0, sd) for r in reps])
        return 0.9 + luck + delta + own
    return evaluate


def test_the_stopping_rule_stops_when_the_interval_is_narrow_and_goes_on_when_it_is_not():
    """The final comparison runs replicates until the paired interval is no wider than the
    resolution: with no noise in the paired difference (common random numbers cancel the
    winter's luck) it stops at the first replicates; with some noise it goes on while the
    interval is wider and stops as soon as it is narrow; with a lot it runs to the cap."""
    from sim.experiments.optimise import Plan
    from sim.experiments.racing import sequential_gain

    plan = Plan(policy="cities")
    res = 0.002

    def run(sd, cap=96):
        seen = []
        out = sequential_gain(_noisy(0.001, sd), plan, ["static"], range(40, 44), +1, res, cap,
                              on_batch=lambda n, w: seen.append((n, w)))
        return out, seen

    out, seen = run(0.0)  # no noise: one batch, an interval of one value
    assert len(seen) == 1 and out["precise"] and len(out["replicates"]) == 4
    assert out["by_attacker"]["static"]["ci_low"] == pytest.approx(0.001)
    out, seen = run(0.002)  # some noise: keeps going while wide, stops once narrow
    assert len(seen) > 1 and out["precise"]
    assert all(w > res for _, w in seen[:-1]) and seen[-1][1] <= res
    assert [n for n, _ in seen] == sorted({n for n, _ in seen})  # more each time
    assert out["replicates"] == list(range(40, 40 + seen[-1][0]))  # fresh, consecutive
    assert out["width"] <= res < seen[-2][1]
    out, seen = run(0.05, cap=24)  # much noise: runs to the cap, says it is not precise
    assert not out["precise"] and len(out["replicates"]) == 24 and out["width"] > res
    assert all(w > res for _, w in seen)


def test_a_race_tells_apart_plans_a_resolution_apart_and_calls_equal_ones_equal():
    """Racing on common random numbers: a plan better by twice the resolution wins (its
    interval above 0), one worse by as much loses, an identical one is equal after the first
    replicates, and a very noisy one is left open at the cap."""
    from sim.experiments.optimise import Plan
    from sim.experiments.racing import CachedEvaluate, race

    res = 0.002
    plan = Plan(policy="cities")
    for delta, sd, verdict in ((2 * res, 0.002, "better"), (-2 * res, 0.002, "worse"),
                               (0.0, 0.0, "equal"), (0.0, 0.05, "open")):
        ev = CachedEvaluate(_noisy(delta, sd))
        out = race(ev, plan, None, ["static"], +1, 4, res, 48)
        assert out["verdict"] == verdict, (delta, sd, out)
        if verdict in ("better", "worse"):
            assert out["ci_low"] * out["ci_high"] > 0 and np.sign(out["diff"]) == np.sign(delta)
        if verdict == "equal":
            assert out["replicates"] == 4
        if verdict == "open":
            assert out["replicates"] == 48
        assert ev.runs == 2 * out["replicates"]  # each replicate of each plan run once


def test_racing_chooses_the_better_plan_not_the_luckiest_and_the_evaluation_is_precise(nl):
    """Two plans a resolution apart among equals whose noise is large: the search must end
    on the better one (its race against whatever is incumbent settles with replicates), and
    the fresh comparison must reach the resolution."""
    from sim.experiments.optimise import SearchSpace

    res = 0.002

    def evaluate(plan, attacker, reps):
        reps = np.asarray(reps)
        luck = np.array([np.random.default_rng(1000 + r).normal(0, 0.03) for r in reps])
        if plan is None or _mix_share(plan) > 0.5:  # the shipped plan, or mostly energy sites
            return 0.9 + luck
        own = np.array([np.random.default_rng(r).normal(0, 0.003) for r in reps])
        return 0.9 + luck + 2 * res + own  # mostly corridors: better by twice the resolution

    space = SearchSpace(basing="mix", strategies=("energy_sites", "corridors"), split="shipped")
    out = optimise(nl, trials=12, replicates=4, eval_replicates=4, evaluate=evaluate, space=space,
                   resolution=res, max_replicates=48, max_eval_replicates=96)
    assert _mix_share(out.best) < 0.5
    ev = out.evaluation
    assert ev["precise"] and ev["width"] <= res
    assert ev["by_attacker"]["static"]["ci_low"] > 0
    assert min(ev["replicates"]) >= 48  # fresh: beyond every replicate a race may use
    won = [t for t in out.trials if t.race["verdict"] == "better"]
    assert won and won[-1].number == out.best_trial


# --------------------------------------------------------------------------- more teams
def test_more_teams_never_lower_demand_served_against_the_static_attacker(nl):
    """The real model, a whole winter, the same seeds: the programme capped at 0, 4, 8 and (no cap)
    21 launch sites. Demand served never falls as sites are added, on any replicate, and rises
    on some (the comparison is not empty). The only tolerance is rounding (1e-12): the winter
    share is a ratio of sums of load-shedding solutions, and two runs with the same or fewer
    hits can differ in the last bits.

    Not a theorem of the model: an extra envelope re-routes drones (routes avoid known
    envelopes) and changes the greedy C2 order, so a drone can escape a national team it met
    before; over full winters demand served does fall now and then (docs/optimise.md, Limits;
    scripts/more_teams_scan.py). It holds on these seeds. A whole winter: from the 1 Nov 2025
    start the programme's extra sites change no demand served before its deliveries grow
    (the first 60 nights serve the same with 0 sites as with all)."""
    sc = with_overrides(nl, {"threat.attacker.strategy": "static"})
    caps = [0, 4, 8, None]
    rose = False
    for rep in (0, 9):
        served = [run_one(with_overrides(sc, {"defense.programme.caps.max_sites": c}),
                          replicate=rep).outcomes["demand_served_fraction"] for c in caps]
        assert all(b >= a - 1e-12 for a, b in zip(served, served[1:], strict=False)), (
            rep, served)
        rose |= served[-1] > served[0]
    assert rose


# --------------------------------------------------------------------------- the command
def _cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("args,words", [
    (["--trials", "0"], ["--trials", "at least one"]),
    (["--min-share", "0.5", "--max-share", "0.2"], ["--min-share 0.5 > --max-share 0.2",
                                                   "empty"]),
    (["--min-share", "0.3"], ["--min-share 0.3", "sum to 1.2 > 1", "empty"]),
    (["--max-share", "0.2"], ["--max-share 0.2", "sum to 0.8 < 1", "empty"]),
    (["--sites-from", "windmill,moon"], ["--sites-from windmill,moon", "matches no"]),
    (["--basing", "sites", "--candidates", "kyiv_chp5,atlantis"], ["--candidates",
                                                                   "atlantis"]),
    (["--basing", "sites", "--candidates", ","], ["--candidates", "empty"]),
    (["--basing", "shipped", "--split", "shipped"], ["nothing to search"]),
    (["--strategies", "energy_sites,moon"], ["--strategies", "moon"]),
    (["--outcome", "launched"], ["--outcome launched", "direction"]),
    (["--outcome", "happiness"], ["--outcome 'happiness'", "unknown"]),
    (["--nights", "0"], ["--nights", "at least one night"]),
    (["--set", "defense.basing.policy=moon"], ["defense.basing.policy"]),
])
def test_bad_input_exits_2_naming_the_option_and_the_reason(args, words):
    code, out, err = _cli("optimise", NL, "--quiet", *args)
    assert code == 2, (out, err)
    # one message: "error: ..." from the verb, or argparse's usage and "sim optimise: error: ..."
    assert "error: " in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


def test_a_missing_scenario_file_exits_2_naming_it(tmp_path):
    code, _, err = _cli("optimise", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err


def test_the_command_prints_the_plan_and_writes_an_overlay_that_runs(tmp_path, nl):
    out = tmp_path / "opt"
    code, text, err = _cli("optimise", NL, "--nights", "5", "--trials", "2", "--replicates", "1",
                           "--max-replicates", "1", "--eval-replicates", "2", "--workers", "1",
                           "--out", str(out))
    assert code == 0, err
    assert max(len(line) for line in text.splitlines()) <= 100
    for w in ("Plan (trial", "Basing:", "Split:", "Gain over the shipped plan", "95% interval",
              "2 fresh replicates (1-2"):
        assert w in text, w
    assert "trial   2/2" in err  # one progress line per trial
    overlay = yaml.safe_load((out / "plan.yaml").read_text())
    flat = {f"defense.{k}": v for k, v in overlay["defense"].items() if k == "split"}
    flat.update({f"defense.basing.{k}": v for k, v in overlay["defense"]["basing"].items()})
    planned = with_overrides(nl, flat)  # the overlay is valid scenario input
    assert planned.defense.basing.policy == "mix"
    assert load_scenario(out / "scenario.yaml").defense.basing == planned.defense.basing
    trials = json.loads((out / "trials.json").read_text())
    assert len(trials["trials"]) == 2 and trials["settings"]["nights"] == 5
    result = json.loads((out / "result.json").read_text())
    assert result["evaluation"]["replicates"] == [1, 2]
    sets = (out / "plan.txt").read_text().split("\n")
    assert sets[0].startswith("--set defense.basing.policy=mix")


# --------------------------------------------------------------------------- reported = simulated
def _plans_for_every_strategy(sc):
    from sim.experiments.optimise import Plan
    from sim.model.basing import STRATEGIES
    from sim.model.theatre import theatre_for

    sites = theatre_for(sc).sites
    op = sites[sites["status"] == "operational"]
    for name in STRATEGIES:
        if name == "custom":
            yield name, Plan(policy="custom", custom_sites=tuple(op["id"].iloc[[5, 0, 9]]))
        elif name == "mix":
            yield name, Plan(policy="mix", mix_weights={"grid_critical": 0.5, "cities": 0.3,
                                                         "corridors": 0.2})
        else:
            yield name, Plan(policy=name)


def test_simulated_plan_is_the_reported_plan_for_every_basing_strategy(nl):
    """The launch sites the optimiser reports for a plan (plan_sites) are the sites the model
    commissions and flies from, night by night, for every basing strategy. A grid setting that
    changes which sites are critical to the grid must move both (grid_critical, mix)."""
    from sim.experiments.optimise import plan_sites
    from sim.model.defense_model import DefenseModel
    from sim.model.theatre import clear_cache

    sc = with_overrides(nl, {"period.start_date": "2026-01-01", "period.nights": 6,
                             "energy.enabled": False, "energy.demand_scale_factor": 1.3,
                             "threat.missiles.enabled": False})
    seen = set()
    for name, plan in _plans_for_every_strategy(sc):
        clear_cache()  # the report and the run build their set-up independently
        reported = plan_sites(sc, plan)[["x_km", "y_km"]].to_numpy(float)
        clear_cache()
        m = DefenseModel(with_overrides(sc, plan.overrides(), source="plan"), seed=3)
        flown = 0
        while m.running:
            m.step()
            teams = m.tonight.teams
            xy = teams.xy[teams.programme == 1]
            np.testing.assert_allclose(xy, reported[: len(xy)], err_msg=name)
            flown = max(flown, len(xy))
        assert flown > 0, name
        np.testing.assert_allclose(m.forces[1].positions, reported, err_msg=name)
        seen.add(name)
    assert {"grid_critical", "mix", "custom"} <= seen
