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
for ``trials`` trials, each scored on the first ``replicates`` replicates (the objective TPE
learns from). The first trial is the shipped plan when the space can express it.

Choice (racing on common random numbers): each trial races the incumbent (the best plan so far; at
first the first trial) replicate by replicate, paired. After its first ``replicates`` replicates and
after each further batch, the paired difference's 95% interval (BCa bootstrap,
:func:`sim.experiments.stats.paired_stats`; in the worst case over attackers,
:func:`sim.experiments.racing.worst_case_gain`) decides: above 0, the trial becomes the incumbent;
below 0, it is dropped; narrower than ``resolution`` (the smallest difference worth telling apart;
default 0.2 percentage points for a share such as demand served) with 0 inside, the two are equal to
within that resolution and the incumbent stays (ties keep the earlier plan). Otherwise more
replicates are run, up to ``max_replicates``; a race still open there keeps the incumbent (without a
resolution, the best mean on the first replicates is chosen, as a plain search). So the chosen plan
beat every plan it replaced on replicates enough to tell a ``resolution`` difference apart, never
the luckiest of many noisy means (:func:`sim.experiments.racing.race`).

Evaluation: the chosen plan and the shipped scenario are run again on fresh replicates (from ``R =
max_replicates``, never used in the search: the best of many trials looks better on its own
replicates than it is), at first ``eval_replicates`` of them, then more in batches until the paired
gain's 95% interval is no wider than ``resolution`` (or ``max_eval_replicates``): two plans whose
means differ by the resolution are then told apart at 95% confidence
(:func:`sim.experiments.racing.sequential_gain`). The gain is ``plan - shipped`` per replicate
(paired), its mean with the BCa bootstrap 95% interval and the paired t-test p-value; with
``robust``, for each attacker and for the worst case (the worst attacker's mean), whose interval is
a BCa bootstrap over replicates. This stopping rule looks only at the interval's width, not at where
it lies, so the interval keeps its 95% coverage.

Runs are cached by plan, attacker and replicate: a plan suggested twice and the incumbent's
replicates are run once. The racing, the cache and the evaluation on fresh replicates are
:mod:`sim.experiments.racing`; this module holds the model as the objective
(:class:`ModelEvaluator`), the records of a search and the search itself (:func:`optimise`).

The objective is injectable (:data:`sim.experiments.racing.Evaluate`: ``evaluate(plan, attacker,
replicates) -> values``), so the same search runs on a toy model whose optimum is known (the tests
do).
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
from sim.experiments.racing import (
    CachedEvaluate,
    Evaluate,
    default_resolution,
    race,
    sequential_gain,
)
from sim.model.outcomes import MAXIMIZE, MINIMIZE, OUTCOMES

__all__ = ["ATTACKERS", "BASING_SPACES", "CITY", "INSTALL_HINT", "MIX_STRATEGIES", "SPLIT_KEYS",
           "SPLIT_SPACES", "ModelEvaluator", "OptimiseResult", "Plan", "SearchSpace",
           "TrialRecord", "optimise", "outcome_sense", "plan_sites", "programme_positions",
           "project_shares"]


# --------------------------------------------------------------------------- evaluation
def _run_value(args) -> float:
    scenario, seed, replicate, outcome = args
    from sim.experiments.pools import release_memory
    from sim.experiments.runs import run_one

    value = float(run_one(scenario, seed=seed, replicate=replicate).outcomes[outcome])
    release_memory()
    return value


class ModelEvaluator:
    """The model as the objective: each replicate is :func:`sim.experiments.runs.run_one` of
    the scenario with the plan's overrides and the attacker strategy, with the same seed for
    every plan (common random numbers).

    Args:
        scenario: the validated base scenario (its period already shortened if wanted).
        seed: root seed.
        outcome: the outcome read from each run.
        workers: processes (1: in this process; ``None``: every available core).
    """

    def __init__(self, scenario, seed: int, outcome: str, workers: int | None = 1):
        from sim.experiments.pools import available_cores

        self.scenario = scenario
        self.seed = int(seed)
        self.outcome = outcome
        self.workers = max(int(available_cores() if workers is None else workers), 1)
        self._pool = None

    def scenario_for(self, plan: Plan | None, attacker: str):
        """The scenario a plan and an attacker strategy give."""
        from sim.config.io import with_overrides

        o = plan.overrides() if plan is not None else {}
        o["threat.attacker.strategy"] = attacker
        return with_overrides(self.scenario, o, source="plan")

    def __call__(self, plan: Plan | None, attacker: str, replicates: Sequence[int]) -> np.ndarray:
        return self.many([(plan, attacker, replicates)])[0]

    def many(self, requests: Sequence[tuple]) -> list[np.ndarray]:
        """Several ``(plan, attacker, replicates)`` requests at once (all their runs go to the
        worker processes together); their values in the same order."""
        tasks, sizes = [], []
        for plan, attacker, replicates in requests:
            sc = self.scenario_for(plan, attacker)
            tasks += [(sc, self.seed, int(r), self.outcome) for r in replicates]
            sizes.append(len(replicates))
        if self.workers == 1 or len(tasks) <= 1:
            vals = [_run_value(t) for t in tasks]
        else:
            vals = list(self._executor().map(_run_value, tasks))
        out, i = [], 0
        for k in sizes:
            out.append(np.array(vals[i:i + k], dtype=float))
            i += k
        return out

    def _executor(self):
        if self._pool is None:
            from sim.experiments.pools import process_pool

            self._pool = process_pool(self.workers, preload=("sim.experiments.runs",
                                                                  "sim.experiments.warmup"))
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
    """One trial: its plan, objective and the mean against each attacker (on the first
    replicates, the same for every trial), and its race against the incumbent.

    Attributes:
        race: ``verdict`` (``better``: it became the incumbent; ``worse``; ``equal``: within the
            resolution; ``open``: undecided at the replicate cap; ``first``: the first trial),
            ``replicates`` run, the paired ``diff`` against the incumbent (trial - incumbent)
            and its 95% interval ``ci_low``, ``ci_high``, and the incumbent's trial number
            ``against``.
    """

    number: int
    plan: Plan
    objective: float
    means: dict[str, float]
    seconds: float
    params: dict = field(default_factory=dict)
    race: dict = field(default_factory=dict)


@dataclass
class OptimiseResult:
    """What :func:`optimise` found.

    Attributes:
        best: the chosen plan (the incumbent after the last race); ``best_trial``: its trial
            number; ``objective``: its objective on the first replicates (the search's).
        shipped_objective: the shipped plan's objective on those replicates.
        trials: every trial, in order.
        evaluation: the chosen plan against the shipped one on fresh replicates
            (:func:`sim.experiments.racing.sequential_gain`).
        settings: what was run (outcome, attacker, trials, replicates, resolution, seed,
            nights, space).
        runs: winters simulated (after the cache).
    """

    best: Plan
    best_trial: int
    objective: float
    shipped_objective: float
    trials: list[TrialRecord]
    evaluation: dict
    settings: dict
    runs: int = 0

    def trials_table(self) -> pd.DataFrame:
        """One row per trial: objective, means per attacker, the race, plan text and
        parameters."""
        rows = []
        for t in self.trials:
            rows.append({"trial": t.number, "objective": t.objective,
                         **{f"mean_{a}": v for a, v in t.means.items()},
                         "verdict": t.race.get("verdict"), "replicates": t.race.get("replicates"),
                         "diff_vs_incumbent": t.race.get("diff"),
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
             resolution: float | None | str = "default", max_replicates: int = 32,
             max_eval_replicates: int = 96,
             on_trial: Callable[[TrialRecord, TrialRecord, int], None] | None = None,
             on_stage: Callable[[str], None] | None = None) -> OptimiseResult:
    """Search plans with optuna's TPE, race each against the incumbent on common random numbers
    and evaluate the chosen plan against the shipped one on fresh replicates (module docstring).

    Args:
        scenario: a validated scenario (shorten its period first for a quick search).
        attacker: ``static``, ``best_response``, ``learning`` or ``robust`` (the worst of them).
        trials: optuna trials (>= 1).
        replicates: the first replicates of every trial (``0..R-1``, the same for every trial;
            TPE learns from their mean) and of every race.
        eval_replicates: the first fresh replicates of the final comparison; 0: none.
        seed: root seed of the runs and of the sampler (default: the scenario's).
        outcome: the winter outcome to optimise (direction from the outcome registry).
        space: the search space (default :class:`SearchSpace`).
        evaluate: the objective (default :class:`ModelEvaluator`, the model itself).
        sites: the energy-site frame (default: the scenario's).
        resolution: the smallest difference in the outcome (its stored units: 0.002 is 0.2
            points of a share) to tell apart at 95% confidence; ``"default"``:
            :func:`sim.experiments.racing.default_resolution`; ``None``: no sequential
            replicates (the best mean on the first ``replicates`` replicates is chosen, and the
            evaluation uses ``eval_replicates`` only).
        max_replicates: replicates a race may use (``0..max_replicates-1``).
        max_eval_replicates: fresh replicates the evaluation may use.
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
    if isinstance(resolution, str):
        resolution = default_resolution(outcome)
    if resolution is not None and not (resolution > 0 and math.isfinite(resolution)):
        raise SimInputError(f"--resolution {resolution}: must be a positive number")
    max_replicates = max(int(max_replicates), replicates)
    max_eval_replicates = max(int(max_eval_replicates), eval_replicates)
    atts = _attackers(attacker)
    seed = int(scenario.seed if seed is None else seed)
    theatre = theatre_for(scenario, sites)
    sites = theatre.sites
    space = (space or SearchSpace()).resolve(scenario, sites)
    own = evaluate is None
    if own:
        evaluate = ModelEvaluator(scenario, seed, outcome)
    runs = CachedEvaluate(evaluate)
    ctx = theatre.basing_context()
    train = list(range(replicates))
    fresh = list(range(max_replicates, max_replicates + eval_replicates))
    records: list[TrialRecord] = []

    def score(plan: Plan | None) -> tuple[float, dict[str, float]]:
        vals = runs.values_of(plan, atts, train)
        means = {a: float(np.mean(vals[a])) for a in atts}
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
            if best is None:
                verdict = {"verdict": "first", "replicates": replicates}
            else:
                verdict = race(runs, plan, best.plan, atts, sense, replicates, resolution,
                               max_replicates)
                verdict["against"] = best.number
            rec = TrialRecord(trial.number, plan, value, means, time.perf_counter() - t0,
                              dict(trial.params), verdict)
            records.append(rec)
            if (best is None or verdict["verdict"] == "better"
                    or (resolution is None and sense * (value - best.objective) > 0)):
                best = rec  # without a resolution: the best mean on the first replicates
            if on_trial is not None:
                on_trial(rec, best, trials)
            return value

        if on_stage is not None:
            how = (f"racing each against the best so far until a difference of "
                   f"{_resolution_text(outcome, resolution)} is told apart "
                   f"(at most {max_replicates} replicates)" if resolution is not None
                   else f"{replicates} replicates each")
            on_stage(f"searching: {trials} trials, {how}, against {len(atts)} attacker "
                     f"strateg{'y' if len(atts) == 1 else 'ies'}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
            study.optimize(objective, n_trials=trials, gc_after_trial=False)
        assert best is not None
        shipped_objective = score(None)[0]
        evaluation: dict = {}
        if fresh:
            if on_stage is not None:
                on_stage(f"evaluating the plan and the shipped plan on fresh replicates from "
                         f"{fresh[0]}"
                         + (f" until the 95% interval of the gain is within "
                            f"{_resolution_text(outcome, resolution)} (at most "
                            f"{max_eval_replicates})" if resolution is not None else ""))
            evaluation = sequential_gain(runs, best.plan, atts, fresh, sense, resolution,
                                         max_eval_replicates)
    finally:
        if own:
            evaluate.close()
    settings = {"outcome": outcome, "sense": sense, "attacker": attacker, "attackers": list(atts),
                "trials": trials, "replicates": replicates, "train_replicates": train,
                "resolution": resolution, "max_replicates": max_replicates,
                "max_eval_replicates": max_eval_replicates,
                "eval_replicates": evaluation.get("replicates", []), "seed": seed,
                "nights": scenario.period.nights,
                "start_date": scenario.period.start_date.isoformat(),
                "budget_eur": float(scenario.defense.budget_eur), "scenario": scenario.name,
                "space": space.describe(), "sampler": "optuna TPESampler(multivariate, group)",
                "shipped_in_trials": shipped_params is not None, "runs": runs.runs}
    return OptimiseResult(best=best.plan, best_trial=best.number, objective=best.objective,
                          shipped_objective=shipped_objective, trials=records,
                          evaluation=evaluation, settings=settings, runs=runs.runs)


def _resolution_text(outcome: str, resolution: float | None) -> str:
    """The resolution in the outcome's units (percentage points for a share)."""
    if resolution is None:
        return "n/a"
    o = OUTCOMES[outcome]
    if o.kind == "share":
        return f"{100 * resolution:g} points"
    return f"{o.format(resolution)}"
