"""Where to put the programme's teams and how to split its money: a simulation optimiser.

A *plan* is the programme's basing and its split of money; the optimiser searches plans for the
best mean winter outcome over replicates run with common random numbers (the model as a noisy
function, EMA Workbench style). ``python -m sim optimise SCENARIO`` is the command; the method is
described in ``docs/optimise.md``.

Decision variables (:class:`SearchSpace`):

* **basing**, one of
  * ``mix`` (default): a weight in [0, 1] for each named basing strategy of
    :data:`sim.model.basing.STRATEGIES` (``energy_sites``, ``cities``, ``corridors``,
    ``grid_critical``, ``threat_weighted``); the plan's launch sites are the strategies' lists
    interleaved by weight (``defense.basing.policy: mix``);
  * ``sites``: a priority in [0, 1] for each candidate site (given ids, or the operational
    energy sites of the ``sites_from`` types and the cities if ``city`` is listed); the plan's
    launch sites
    are the candidates in order of priority (``defense.basing.policy: custom``). Meant for
    small candidate pools (a few tens): TPE needs many trials per dimension;
  * ``shipped``: the scenario's own basing (only the split is searched).

  The number of programme launch sites is not a decision: it comes from the programme's
  schedule (:func:`sim.model.forces.force_schedule`: what the money, the delivery rates and
  the training capacity give); the basing decides where they go and in which order they are
  commissioned.
* **split**: ``auto`` (balanced packages) or shares of the budget for airframes, crews (with
  their ground stations), radars and launch sites, each in ``[min_share, max_share]`` and
  summing to 1 (four numbers in [0, 1] projected onto that set); ``search`` (default) tries
  both, ``auto``/``shares`` only one, ``shipped`` keeps the scenario's.

Objective: the mean of one winter outcome (default ``demand_served_fraction``; better is the
outcome registry's ``direction``) over ``replicates`` replicates ``0..R-1`` of the seed, the same
for every plan (common random numbers: the raids do not depend on the defence), against one
attacker strategy (``threat.attacker.strategy``); ``robust``: the worst over the three attacker
strategies of that mean (a max-min plan).

Search: optuna's TPE sampler (multivariate, seeded: the same command gives the same trials)
for ``trials`` trials. The first trial is the shipped plan when the space can express it, so
the chosen plan is never worse than the shipped one on the replicates used to choose it.

Evaluation: the chosen plan and the shipped scenario are run again on ``eval_replicates`` fresh
replicates ``R..R+E-1`` (not those used to choose: the best of many noisy trials looks better
on its own replicates than it is). The gain is ``plan - shipped`` per replicate (paired), its
mean with the BCa bootstrap 95% interval and the paired t-test p-value
(:func:`sim.experiments.stats.paired_stats`); with ``robust``, for each attacker and for the
worst case (the worst attacker's mean), whose interval is a BCa bootstrap over replicates.

The objective is injectable (:class:`Evaluate`: ``evaluate(plan, attacker, replicates) ->
values``), so the same search runs on a toy model whose optimum is known (the tests do).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config.errors import SimInputError
from sim.experiments.plans import (
    ATTACKERS,
    BASING_SPACES,
    CITY,
    INSTALL_HINT,
    MIX_STRATEGIES,
    SPLIT_KEYS,
    SPLIT_SPACES,
    Plan,
    SearchSpace,
    plan_sites,
    programme_positions,
    project_shares,
)
from sim.experiments.stats import LEVEL, paired_stats
from sim.model.outcomes import MAXIMIZE, MINIMIZE, OUTCOMES

__all__ = ["ATTACKERS", "BASING_SPACES", "CITY", "INSTALL_HINT", "MIX_STRATEGIES", "SPLIT_KEYS",
           "SPLIT_SPACES", "Evaluate", "ModelEvaluator", "OptimiseResult", "Plan", "SearchSpace",
           "TrialRecord", "evaluate_gain", "optimise", "outcome_sense", "plan_sites",
           "programme_positions", "project_shares", "worst_case_gain"]


# --------------------------------------------------------------------------- evaluation
Evaluate = Callable[["Plan | None", str, Sequence[int]], np.ndarray]
"""``evaluate(plan, attacker, replicates) -> values``: the outcome of each replicate for a plan
(``None``: the shipped scenario) against an attacker strategy."""


def _run_value(args) -> float:
    scenario, seed, replicate, outcome = args
    from sim.experiments.runs import run_one

    return float(run_one(scenario, seed=seed, replicate=replicate).outcomes[outcome])


class ModelEvaluator:
    """The model as the objective: each replicate is :func:`sim.experiments.runs.run_one` of
    the scenario with the plan's overrides and the attacker strategy, with the same seed for
    every plan (common random numbers).

    Args:
        scenario: the validated base scenario (its period already shortened if wanted).
        seed: root seed.
        outcome: the outcome read from each run.
        workers: processes (1: in this process).
    """

    def __init__(self, scenario, seed: int, outcome: str, workers: int = 1):
        self.scenario = scenario
        self.seed = int(seed)
        self.outcome = outcome
        self.workers = max(int(workers), 1)
        self._pool = None

    def scenario_for(self, plan: Plan | None, attacker: str):
        """The scenario a plan and an attacker strategy give."""
        from sim.config.io import with_overrides

        o = plan.overrides() if plan is not None else {}
        o["threat.attacker.strategy"] = attacker
        return with_overrides(self.scenario, o, source="plan")

    def __call__(self, plan: Plan | None, attacker: str, replicates: Sequence[int]) -> np.ndarray:
        sc = self.scenario_for(plan, attacker)
        tasks = [(sc, self.seed, int(r), self.outcome) for r in replicates]
        if self.workers == 1 or len(tasks) == 1:
            return np.array([_run_value(t) for t in tasks])
        return np.array(list(self._executor().map(_run_value, tasks)))

    def _executor(self):
        if self._pool is None:
            from sim.experiments.pools import process_pool

            self._pool = process_pool(self.workers, preload=("sim.experiments.runs",))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def outcome_sense(outcome: str) -> int:
    """+1 if more of the outcome is better for the defence, -1 if less is.

    Raises:
        SimInputError: an unknown outcome, or one that is neither better high nor low.
    """
    if outcome not in OUTCOMES:
        known = ", ".join(o.name for o in OUTCOMES.headline() if o.direction != "info")
        raise SimInputError(f"--outcome {outcome!r}: unknown outcome (e.g. {known})")
    if OUTCOMES[outcome].over_nights == "net":
        raise SimInputError(f"--outcome {outcome}: a net outcome needs each plan's run paired "
                            f"with a run without the programme; optimise the outcome it is "
                            f"made of ({', '.join(OUTCOMES[outcome].needs)}): on the same "
                            "winters the counterfactual is the same for every plan")
    d = OUTCOMES[outcome].direction
    if d not in (MAXIMIZE, MINIMIZE):
        raise SimInputError(f"--outcome {outcome}: neither more nor less of it is better for the "
                            "defence (direction 'info'); choose an outcome to maximise or minimise")
    return 1 if d == MAXIMIZE else -1


@dataclass
class TrialRecord:
    """One trial: its plan, objective and the mean against each attacker."""

    number: int
    plan: Plan
    objective: float
    means: dict[str, float]
    seconds: float
    params: dict = field(default_factory=dict)


@dataclass
class OptimiseResult:
    """What :func:`optimise` found.

    Attributes:
        best: the chosen plan; ``best_trial``: its trial number; ``objective``: its objective
            on the replicates used to choose it.
        shipped_objective: the shipped plan's objective on those replicates.
        trials: every trial, in order.
        evaluation: the chosen plan against the shipped one on fresh replicates
            (:func:`evaluate_gain`).
        settings: what was run (outcome, attacker, trials, replicates, seed, nights, space).
    """

    best: Plan
    best_trial: int
    objective: float
    shipped_objective: float
    trials: list[TrialRecord]
    evaluation: dict
    settings: dict

    def trials_table(self) -> pd.DataFrame:
        """One row per trial: objective, means per attacker, plan text and parameters."""
        rows = []
        for t in self.trials:
            rows.append({"trial": t.number, "objective": t.objective,
                         **{f"mean_{a}": v for a, v in t.means.items()},
                         "basing": t.plan.basing_text(), "split": t.plan.split_text(),
                         "seconds": t.seconds})
        return pd.DataFrame(rows)


def _attackers(attacker: str) -> tuple[str, ...]:
    if attacker == "robust":
        return ATTACKERS
    if attacker not in ATTACKERS:
        raise SimInputError(f"--attacker {attacker!r}: expected one of "
                            f"{', '.join((*ATTACKERS, 'robust'))}")
    return (attacker,)


def _objective(means: dict[str, float], sense: int) -> float:
    """The worst attacker's mean, in the outcome's units."""
    vals = np.array(list(means.values()))
    return float(vals.min() if sense > 0 else vals.max())


def optimise(scenario, *, attacker: str = "static", trials: int = 30, replicates: int = 4,
             eval_replicates: int = 10, seed: int | None = None,
             outcome: str = "demand_served_fraction", space: SearchSpace | None = None,
             evaluate: Evaluate | None = None, sites: pd.DataFrame | None = None,
             on_trial: Callable[[TrialRecord, TrialRecord, int], None] | None = None,
             on_stage: Callable[[str], None] | None = None) -> OptimiseResult:
    """Search plans with optuna's TPE and evaluate the best against the shipped plan.

    Args:
        scenario: a validated scenario (shorten its period first for a quick search).
        attacker: ``static``, ``best_response``, ``learning`` or ``robust`` (the worst of them).
        trials: optuna trials (>= 1).
        replicates: replicates per trial (``0..R-1``, the same for every trial).
        eval_replicates: fresh replicates for the final comparison (``R..R+E-1``); 0: none.
        seed: root seed of the runs and of the sampler (default: the scenario's).
        outcome: the winter outcome to optimise (direction from the outcome registry).
        space: the search space (default :class:`SearchSpace`).
        evaluate: the objective (default :class:`ModelEvaluator`, the model itself).
        sites: the energy-site frame (default: the scenario's).
        on_trial: ``f(trial, best, n_trials)`` after each trial (progress lines).
        on_stage: ``f(text)`` when a stage starts (progress lines).

    Raises:
        SimInputError: bad settings or an empty search space (naming the option and why).
    """
    try:
        import optuna
    except ImportError:  # pragma: no cover - optuna is a dependency
        raise SimInputError(INSTALL_HINT) from None
    from sim.model.theatre import theatre_for

    if trials < 1:
        raise SimInputError(f"--trials {trials}: at least one trial is needed")
    if replicates < 1:
        raise SimInputError(f"--replicates {replicates}: at least one replicate is needed")
    if eval_replicates < 0:
        raise SimInputError(f"--eval-replicates {eval_replicates}: must be >= 0")
    sense = outcome_sense(outcome)
    atts = _attackers(attacker)
    seed = int(scenario.seed if seed is None else seed)
    theatre = theatre_for(scenario, sites)
    sites = theatre.sites
    space = (space or SearchSpace()).resolve(scenario, sites)
    own = evaluate is None
    if own:
        evaluate = ModelEvaluator(scenario, seed, outcome)
    ctx = theatre.basing_context()
    train = list(range(replicates))
    fresh = list(range(replicates, replicates + eval_replicates))
    records: list[TrialRecord] = []

    def score(plan: Plan | None) -> tuple[float, dict[str, float]]:
        means = {a: float(np.mean(evaluate(plan, a, train))) for a in atts}
        return _objective(means, sense), means

    try:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed % (2**32), multivariate=True, group=True,
                n_startup_trials=max(1, min(10, trials // 3)))
        study = optuna.create_study(direction="maximize" if sense > 0 else "minimize",
                                    sampler=sampler)
        shipped_params = space.shipped_params(scenario, ctx)
        if shipped_params is not None:
            study.enqueue_trial(shipped_params, skip_if_exists=True)
        best: TrialRecord | None = None

        def objective(trial) -> float:
            nonlocal best
            t0 = time.perf_counter()
            plan = space.suggest(trial)
            value, means = score(plan)
            rec = TrialRecord(trial.number, plan, value, means, time.perf_counter() - t0,
                              dict(trial.params))
            records.append(rec)
            if best is None or sense * (value - best.objective) > 0:
                best = rec
            if on_trial is not None:
                on_trial(rec, best, trials)
            return value

        if on_stage is not None:
            on_stage(f"searching: {trials} trials x {replicates} replicates x {len(atts)} "
                     f"attacker strateg{'y' if len(atts) == 1 else 'ies'}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
            study.optimize(objective, n_trials=trials, gc_after_trial=False)
        assert best is not None
        exact = (shipped_params is not None and records[0].params == shipped_params
                 and space.basing in ("mix", "shipped") and space.sites_from is None
                 and (space.split == "shipped" or scenario.defense.split == "auto"))
        # the first trial was the shipped plan itself (a mix of one strategy is that strategy)
        shipped_objective = records[0].objective if exact else score(None)[0]
        evaluation: dict = {}
        if fresh:
            if on_stage is not None:
                on_stage(f"evaluating the plan and the shipped basing on {len(fresh)} fresh "
                         f"replicates ({fresh[0]}-{fresh[-1]})")
            evaluation = evaluate_gain(evaluate, best.plan, atts, fresh, sense)
    finally:
        if own:
            evaluate.close()
    settings = {"outcome": outcome, "sense": sense, "attacker": attacker, "attackers": list(atts),
                "trials": trials, "replicates": replicates, "train_replicates": train,
                "eval_replicates": fresh, "seed": seed, "nights": scenario.period.nights,
                "start_date": scenario.period.start_date.isoformat(),
                "budget_eur": float(scenario.defense.budget_eur), "scenario": scenario.name,
                "space": space.describe(), "sampler": "optuna TPESampler(multivariate, group)",
                "shipped_in_trials": shipped_params is not None}
    return OptimiseResult(best=best.plan, best_trial=best.number, objective=best.objective,
                          shipped_objective=shipped_objective, trials=records,
                          evaluation=evaluation, settings=settings)


def worst_case_gain(plan: dict[str, np.ndarray], shipped: dict[str, np.ndarray], sense: int,
                    level: float = LEVEL) -> dict[str, float]:
    """The gain in the worst case over attackers, ``worst(plan) - worst(shipped)`` (worst: the
    lowest mean for an outcome to maximise, the highest for one to minimise), with a BCa
    bootstrap interval over replicates (each resample keeps a replicate's values against every
    attacker together: they share the raids' seeds). Arrays are per replicate, same order."""
    from scipy import stats

    a = np.stack([np.asarray(plan[k], float) for k in plan])
    b = np.stack([np.asarray(shipped[k], float) for k in plan])
    n = a.shape[1]

    def worst(m: np.ndarray) -> float:
        v = m.mean(axis=-1)
        return float(v.min() if sense > 0 else v.max())

    def stat(i) -> float:
        i = np.asarray(i, dtype=int)
        return worst(a[:, i]) - worst(b[:, i])

    diff = stat(np.arange(n))
    lo = hi = diff
    if n > 1 and not np.allclose(a, b):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap((np.arange(n),), stat, vectorized=False, method="BCa",
                                  n_resamples=2000, confidence_level=level,
                                  random_state=np.random.default_rng(20251101))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if not (math.isfinite(lo) and math.isfinite(hi)):  # degenerate: percentile interval
            boot = np.array([stat(np.random.default_rng(k).integers(0, n, n)) for k in range(2000)])
            lo, hi = (float(q) for q in np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]))
        lo, hi = min(lo, diff), max(hi, diff)
    return {"n": n, "worst_shipped": worst(b), "worst_plan": worst(a), "diff": diff,
            "ci_low": lo, "ci_high": hi, "significant": bool(lo > 0 or hi < 0)}


def evaluate_gain(evaluate: Evaluate, plan: Plan, attackers: Sequence[str],
                  replicates: Sequence[int], sense: int) -> dict:
    """The plan against the shipped scenario on the given replicates, paired, per attacker
    (:func:`sim.experiments.stats.paired_stats`: ``diff = plan - shipped``) and, with several
    attackers, in the worst case (:func:`worst_case_gain`)."""
    vals_plan = {a: np.asarray(evaluate(plan, a, replicates), float) for a in attackers}
    vals_ship = {a: np.asarray(evaluate(None, a, replicates), float) for a in attackers}
    out: dict = {"replicates": list(replicates),
                 "by_attacker": {a: paired_stats(vals_ship[a], vals_plan[a]) for a in attackers},
                 "values": {a: {"plan": vals_plan[a].tolist(), "shipped": vals_ship[a].tolist()}
                            for a in attackers}}
    if len(attackers) > 1:
        out["worst_case"] = worst_case_gain(vals_plan, vals_ship, sense)
    return out
