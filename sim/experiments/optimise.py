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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import SimInputError
from sim.experiments.stats import LEVEL, paired_stats
from sim.model.basing import STRATEGIES, BasingContext
from sim.model.outcomes import MAXIMIZE, MINIMIZE, OUTCOMES

ATTACKERS = ("static", "best_response", "learning")
"""Attacker strategies (``threat.attacker.strategy``); ``robust`` takes the worst of them."""

SPLIT_KEYS = ("interceptors", "crews", "sensors", "launch_sites")
"""The shares of a fixed split (``defense.split``): airframes, crews with their ground stations,
radars, launch sites."""

MIX_STRATEGIES = tuple(k for k in STRATEGIES if k not in ("custom", "mix"))
"""Strategies a ``mix`` plan weights."""

BASING_SPACES = ("mix", "sites", "shipped")
SPLIT_SPACES = ("search", "auto", "shares", "shipped")
CITY = "city"

INSTALL_HINT = 'the optimiser needs optuna: pip install "optuna>=3.6" (or pip install -e .)'


# --------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Plan:
    """A basing and a split of money, as scenario overrides.

    Attributes:
        policy: ``defense.basing.policy`` (``mix``, ``custom``, or the shipped policy).
        mix_weights: for ``mix``: strategy -> weight (summing to 1).
        custom_sites: for ``custom``: site or city ids in order of commissioning.
        site_types: ``defense.basing.site_types`` when the search set it (``sites_from``).
        split: ``"auto"``, a mapping of the four shares, or ``None`` (the shipped split).
    """

    policy: str | None = None
    mix_weights: dict[str, float] | None = None
    custom_sites: tuple[str, ...] | None = None
    site_types: tuple[str, ...] | None = None
    split: str | dict[str, float] | None = None

    def overrides(self) -> dict[str, Any]:
        """``--set``-style overrides (key path -> value) that turn a scenario into this plan."""
        o: dict[str, Any] = {}
        if self.policy is not None:
            o["defense.basing.policy"] = self.policy
        if self.mix_weights is not None:
            o["defense.basing.mix_weights"] = dict(self.mix_weights)
        if self.custom_sites is not None:
            o["defense.basing.custom_sites"] = list(self.custom_sites)
        if self.site_types is not None:
            o["defense.basing.site_types"] = list(self.site_types)
        if self.split is not None:
            o["defense.split"] = self.split if isinstance(self.split, str) else dict(self.split)
        return o

    def basing_text(self) -> str:
        """The basing in a few words."""
        if self.policy == "mix" and self.mix_weights:
            return "mix of " + ", ".join(f"{k} {v:.2f}" for k, v in self.mix_weights.items())
        if self.policy == "custom" and self.custom_sites is not None:
            head = ", ".join(self.custom_sites[:3])
            more = len(self.custom_sites) - 3
            return f"custom: {head}" + (f" and {more} more" if more > 0 else "")
        return "as shipped" if self.policy is None else str(self.policy)

    def split_text(self) -> str:
        """The split in a few words."""
        if self.split is None:
            return "as shipped"
        if isinstance(self.split, str):
            return "auto (balanced packages)"
        names = {"interceptors": "airframes", "crews": "crews", "sensors": "radars",
                 "launch_sites": "sites"}
        return ", ".join(f"{names[k]} {100 * self.split[k]:.0f}%" for k in SPLIT_KEYS)


def project_shares(x: Sequence[float], low: float, high: float) -> np.ndarray:
    """Shares within ``[low, high]`` summing to 1 from any point ``x`` of the unit cube: the
    Euclidean projection of ``x / sum(x)`` onto that set, ``clip(x / sum(x) + tau, low, high)``
    with ``tau`` found by :func:`scipy.optimize.brentq` (``sum(x) == 0``: equal shares).
    Needs ``len(x) * low <= 1 <= len(x) * high``."""
    from scipy.optimize import brentq

    x = np.asarray(x, float)
    k = len(x)
    y = x / x.sum() if x.sum() > 0 else np.full(k, 1.0 / k)

    def excess(tau: float) -> float:
        return float(np.clip(y + tau, low, high).sum() - 1.0)

    if abs(excess(0.0)) < 1e-12:
        return np.clip(y, low, high)
    tau = brentq(excess, -1.0 - high, 1.0 + high, xtol=1e-14)
    s = np.clip(y + tau, low, high)
    return s / s.sum() if abs(s.sum() - 1.0) > 1e-12 else s


def _round_shares(s: np.ndarray) -> dict[str, float]:
    """Shares rounded to 4 decimals, still summing to 1 (the largest takes the rest)."""
    r = np.round(np.asarray(s, float), 4)
    i = int(np.argmax(r))
    r[i] = 0.0
    r[i] = round(1.0 - float(r.sum()), 4)
    return {k: float(v) for k, v in zip(SPLIT_KEYS, r, strict=True)}


def _round_weights(w: dict[str, float]) -> dict[str, float]:
    """Mix weights normalised to sum 1 and rounded to 3 decimals, zeros dropped (at least one
    kept)."""
    total = sum(w.values())
    if total <= 0:
        return {next(iter(w)): 1.0}
    out = {k: round(v / total, 3) for k, v in w.items()}
    out = {k: v for k, v in out.items() if v > 0}
    return out or {max(w, key=w.get): 1.0}


# --------------------------------------------------------------------------- the search space
@dataclass
class SearchSpace:
    """What the optimiser may change, with its bounds (checked by :meth:`resolve`).

    Attributes:
        basing: ``mix``, ``sites`` or ``shipped`` (see the module text).
        strategies: the strategies a ``mix`` weights.
        sites_from: site types (and ``city``) eligible as launch sites; ``None``: the scenario's
            ``defense.basing.site_types`` (``sites``: and the cities).
        split: ``search``, ``auto``, ``shares`` or ``shipped``.
        min_share, max_share: bounds of each share of a fixed split.
        pool: candidate ids of the ``sites`` space: given, or set by :meth:`resolve` from
            ``sites_from``.
    """

    basing: str = "mix"
    strategies: tuple[str, ...] = MIX_STRATEGIES
    sites_from: tuple[str, ...] | None = None
    split: str = "search"
    min_share: float = 0.0
    max_share: float = 1.0
    pool: tuple[str, ...] = ()

    def resolve(self, scenario, sites: pd.DataFrame) -> SearchSpace:
        """Check the bounds against the scenario and fill the candidate pool.

        Raises:
            SimInputError: an empty space, naming the option and the reason: shares with
                ``min_share > max_share`` or bounds no four shares summing to 1 can meet, a
                site-type list that matches no operational site, unknown or shut candidate
                ids, no strategy to mix, or nothing to search.
        """
        if self.basing not in BASING_SPACES:
            raise SimInputError(f"--basing {self.basing!r}: expected one of {BASING_SPACES}")
        if self.split not in SPLIT_SPACES:
            raise SimInputError(f"--split {self.split!r}: expected one of {SPLIT_SPACES}")
        if self.basing == "shipped" and self.split == "shipped":
            raise SimInputError("--basing shipped --split shipped: nothing to search (empty "
                                "search space)")
        lo, hi, k = self.min_share, self.max_share, len(SPLIT_KEYS)
        for name, v in (("--min-share", lo), ("--max-share", hi)):
            if not (0.0 <= v <= 1.0) or math.isnan(v):
                raise SimInputError(f"{name} {v}: a share must be between 0 and 1")
        if self.split in ("search", "shares"):
            if lo > hi:
                raise SimInputError(f"--min-share {lo} > --max-share {hi}: empty share bounds")
            if k * lo > 1.0 + 1e-12:
                raise SimInputError(
                    f"--min-share {lo}: {k} shares of at least {lo} sum to {k * lo:g} > 1 "
                    "(empty share bounds)")
            if k * hi < 1.0 - 1e-12:
                raise SimInputError(
                    f"--max-share {hi}: {k} shares of at most {hi} sum to {k * hi:g} < 1 "
                    "(empty share bounds)")
        unknown = [s for s in self.strategies if s not in MIX_STRATEGIES]
        if unknown:
            raise SimInputError(f"--strategies: unknown strategy {unknown} (known: "
                                f"{', '.join(MIX_STRATEGIES)})")
        if self.basing == "mix" and not self.strategies:
            raise SimInputError("--strategies: no strategy to mix (empty list)")
        types = self.sites_from
        if types is not None:
            types = tuple(dict.fromkeys(types))
            if not types:
                raise SimInputError("--sites-from: empty list of site types")
        op = sites["status"].to_numpy() == "operational"
        site_types = tuple(t for t in (types or scenario.defense.basing.site_types) if t != CITY)
        eligible = sites["type"].isin(site_types).to_numpy() & op
        with_cities = CITY in (types or ()) or (types is None and self.basing == "sites")
        where = (f"--sites-from {','.join(types)}" if types is not None
                 else f"defense.basing.site_types {list(site_types)}")
        if self.basing == "sites":
            from sim.config.data import city_targets

            if self.pool:
                known = set(sites["id"]) | set(city_targets()["id"])
                bad = [c for c in self.pool if c not in known]
                if bad:
                    raise SimInputError(f"--candidates: unknown site or city id(s) {bad}")
                shut = [c for c in self.pool if c in set(sites["id"][~op])]
                if shut:
                    raise SimInputError(f"--candidates: not operational (occupied or destroyed) "
                                        f"{shut}")
                return replace(self, sites_from=types, pool=tuple(dict.fromkeys(self.pool)))
            pool = list(sites["id"].to_numpy()[eligible])
            if with_cities:
                pool += list(city_targets()["id"])
            if not pool:
                raise SimInputError(f"{where}: matches no operational energy site (types: "
                                    f"{', '.join(sorted(set(sites['type'][op])))}, or {CITY})")
            return replace(self, sites_from=types, pool=tuple(pool))
        needs_sites = self.basing == "mix" and any(
            s in ("energy_sites", "grid_critical", "threat_weighted") for s in self.strategies)
        if (needs_sites or types is not None) and not eligible.any() and not (
                self.basing == "mix" and CITY in (types or ()) and "cities" in self.strategies):
            raise SimInputError(f"{where}: matches no operational energy site (types: "
                                f"{', '.join(sorted(set(sites['type'][op])))})")
        return replace(self, sites_from=types)

    # -- trials -----------------------------------------------------------------------------
    def _site_types(self) -> tuple[str, ...] | None:
        if self.sites_from is None:
            return None
        return tuple(t for t in self.sites_from if t != CITY)

    def suggest(self, trial) -> Plan:
        """The plan of an optuna trial (define-by-run)."""
        plan = Plan(site_types=self._site_types() or None)
        if self.basing == "mix":
            w = {s: trial.suggest_float(f"w_{s}", 0.0, 1.0) for s in self.strategies}
            plan = replace(plan, policy="mix", mix_weights=_round_weights(w))
        elif self.basing == "sites":
            p = np.array([trial.suggest_float(f"p_{c}", 0.0, 1.0) for c in self.pool])
            order = np.argsort(-p, kind="stable")
            plan = replace(plan, policy="custom",
                           custom_sites=tuple(self.pool[i] for i in order))
        mode = self.split
        if mode == "search":
            mode = trial.suggest_categorical("split", ["auto", "shares"])
        if mode == "auto":
            plan = replace(plan, split="auto")
        elif mode == "shares":
            x = [trial.suggest_float(f"x_{k}", 0.0, 1.0) for k in SPLIT_KEYS]
            plan = replace(plan, split=_round_shares(
                project_shares(x, self.min_share, self.max_share)))
        return plan

    def shipped_params(self, scenario, ctx: BasingContext | None = None) -> dict | None:
        """Trial parameters that give the shipped plan, if the space can express it."""
        b, d = scenario.defense.basing, scenario.defense
        params: dict[str, Any] = {}
        if self.basing == "mix":
            if b.policy == "mix":
                w = {s: float(b.mix_weights.get(s, 0.0)) for s in self.strategies}
                if set(b.mix_weights) - set(self.strategies):
                    return None
            elif b.policy in self.strategies:
                w = {s: float(s == b.policy) for s in self.strategies}
            else:
                return None
            params.update({f"w_{s}": v for s, v in w.items()})
        elif self.basing == "sites":
            order: list[str] = []
            if b.policy == "custom":
                order = [c for c in b.custom_sites if c in self.pool]
            elif ctx is not None and STRATEGIES[b.policy].rank is not None:
                merit = STRATEGIES[b.policy].merit(ctx)
                order = [c for c in merit.sort_values(ascending=False, kind="stable").index
                         if c in self.pool]
            if not order:
                return None
            rank = {c: i for i, c in enumerate(order)}
            n = len(self.pool)
            params.update({f"p_{c}": (1.0 - rank[c] / n if c in rank else 0.0)
                           for c in self.pool})
        split = d.split
        if self.split in ("search", "auto", "shares"):
            if split == "auto":
                if self.split == "shares":
                    return None
                if self.split == "search":
                    params["split"] = "auto"
            else:
                s = np.array([getattr(split, k) for k in SPLIT_KEYS])
                if (self.split == "auto" or abs(s.sum() - 1.0) > 1e-9
                        or (s < self.min_share - 1e-12).any() or (s > self.max_share + 1e-12).any()):
                    return None
                if self.split == "search":
                    params["split"] = "shares"
                params.update({f"x_{k}": float(v) for k, v in zip(SPLIT_KEYS, s, strict=True)})
        return params

    def describe(self) -> str:
        """The space in a line."""
        if self.basing == "mix":
            b = f"basing: weights over {len(self.strategies)} strategies"
        elif self.basing == "sites":
            b = f"basing: priorities of {len(self.pool)} candidate sites"
        else:
            b = "basing: as shipped"
        if self.split == "search":
            s = f"split: auto or shares in [{self.min_share:g}, {self.max_share:g}]"
        elif self.split == "shares":
            s = f"split: shares in [{self.min_share:g}, {self.max_share:g}]"
        else:
            s = f"split: {self.split}"
        types = f"; sites from {','.join(self.sites_from)}" if self.sites_from else ""
        return f"{b}; {s}{types}"


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


# --------------------------------------------------------------------------- reporting helpers
def programme_positions(scenario) -> int:
    """Launch-site positions the programme uses (its most sites, or radars if more: radars go
    to the first positions too), from its schedule."""
    from sim.model.theatre import positions_needed, schedules_for

    return positions_needed(schedules_for(scenario).programme)


def plan_sites(scenario, plan: Plan | None = None, sites: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """The programme's launch sites under a plan, in order of commissioning: position (km), the
    nearest energy site or city (name, type, oblast of the nearest energy site) and the distance
    to it (km).

    The sites are those the model simulates: the programme's positions in the plan's theatre
    (:func:`sim.model.theatre.theatre_for`), as many as the programme uses
    (:func:`programme_positions`)."""
    from sim.config.data import city_targets
    from sim.config.io import with_overrides
    from sim.model.theatre import theatre_for

    if plan is not None:
        scenario = with_overrides(scenario, plan.overrides(), source="plan")
    theatre = theatre_for(scenario, sites)
    sites = theatre.sites
    xy = theatre.positions["programme"]
    cities = city_targets()
    s_xy = sites[["x_km", "y_km"]].to_numpy(float)
    c_xy = cities[["x_km", "y_km"]].to_numpy(float)
    rows = []
    for k, p in enumerate(xy):
        ds = np.hypot(*(s_xy - p).T)
        dc = np.hypot(*(c_xy - p).T)
        i, j = int(np.argmin(ds)), int(np.argmin(dc))
        if dc[j] < ds[i]:
            name, typ, dist = cities["name"].iat[j], CITY, float(dc[j])
        else:
            name, typ, dist = sites["name"].iat[i], sites["type"].iat[i], float(ds[i])
        rows.append({"order": k + 1, "x_km": float(p[0]), "y_km": float(p[1]), "near": name,
                     "type": typ, "oblast": str(sites["oblast"].iat[i]), "distance_km": dist})
    return pd.DataFrame(rows)
