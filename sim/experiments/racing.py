"""Racing plans on common random numbers, and the paired gain of a plan over the shipped one.

The optimiser (:mod:`sim.experiments.optimise`) scores plans with an *objective*
(:data:`Evaluate`: ``evaluate(plan, attacker, replicates) -> values``) whose replicates share
their seeds across plans, so two plans compare replicate by replicate, paired. This module holds
what it does with those paired values: :class:`CachedEvaluate` runs each (plan, attacker,
replicate) once; :func:`race` races a trial against the incumbent until the paired difference's
95% interval lies on one side of 0, or is narrower than the ``resolution`` (the smallest
difference worth telling apart, :func:`default_resolution`), or the replicate cap is reached;
:func:`sequential_gain` compares the chosen plan with the shipped one on fresh replicates until
the gain's interval is no wider than the resolution (:func:`evaluate_gain`: per attacker, and in
the worst case over attackers, :func:`worst_case_gain`). The method is described in
``docs/optimise.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from sim.experiments.plans import Plan
from sim.experiments.stats import LEVEL, paired_stats
from sim.model.outcomes import OUTCOMES

__all__ = ["DEFAULT_RESOLUTION", "MIN_INTERVAL_REPLICATES", "CachedEvaluate", "Evaluate",
           "default_resolution", "evaluate_gain", "race", "sequential_gain", "worst_case_gain"]


Evaluate = Callable[["Plan | None", str, Sequence[int]], np.ndarray]
"""``evaluate(plan, attacker, replicates) -> values``: the outcome of each replicate for a plan
(``None``: the shipped scenario) against an attacker strategy."""


DEFAULT_RESOLUTION = {"share": 0.002}
"""The smallest difference worth telling apart, by the outcome's kind, when none is given:
0.2 percentage points of a share (demand served: about 100 GWh of a winter's 48.8 TWh)."""


def default_resolution(outcome: str) -> float | None:
    """:data:`DEFAULT_RESOLUTION` for the outcome's kind (``None``: no sequential replicates)."""
    return DEFAULT_RESOLUTION.get(OUTCOMES[outcome].kind)


class CachedEvaluate:
    """An :data:`Evaluate` that runs each (plan, attacker, replicate) once; ``runs`` counts the
    winters actually simulated. Requests for several attackers go to the evaluator together
    when it can run them at once (``evaluate.many``, as
    :class:`sim.experiments.optimise.ModelEvaluator` does)."""

    def __init__(self, evaluate: Evaluate):
        self.evaluate = evaluate
        self.values: dict[tuple, float] = {}
        self.runs = 0

    @staticmethod
    def _key(plan: Plan | None) -> str:
        import json

        return "shipped" if plan is None else json.dumps(plan.overrides(), sort_keys=True,
                                                         default=str)

    def values_of(self, plan: Plan | None, attackers: Sequence[str], replicates: Sequence[int]
                  ) -> dict[str, np.ndarray]:
        """The outcome of each replicate against each attacker (attacker -> values)."""
        k = self._key(plan)
        todo = [(a, [int(r) for r in replicates if (k, a, int(r)) not in self.values])
                for a in attackers]
        todo = [(a, reps) for a, reps in todo if reps]
        if todo:
            batch = getattr(self.evaluate, "many", None)
            if batch is not None and len(todo) > 1:
                got = batch([(plan, a, reps) for a, reps in todo])
            else:
                got = [self.evaluate(plan, a, reps) for a, reps in todo]
            for (a, reps), vals in zip(todo, got, strict=True):
                vals = np.asarray(vals, float)
                if vals.shape != (len(reps),):
                    raise ValueError(f"the objective returned {vals.shape} values for "
                                     f"{len(reps)} replicates")
                self.runs += len(reps)
                for r, v in zip(reps, vals, strict=True):
                    self.values[(k, a, r)] = float(v)
        return {a: np.array([self.values[(k, a, int(r))] for r in replicates])
                for a in attackers}

    def __call__(self, plan: Plan | None, attacker: str, replicates: Sequence[int]) -> np.ndarray:
        return self.values_of(plan, (attacker,), replicates)[attacker]


def _gain(plan_vals: dict[str, np.ndarray], base_vals: dict[str, np.ndarray], sense: int
          ) -> dict[str, float]:
    """``plan - base``, paired: its mean and 95% interval for one attacker
    (:func:`sim.experiments.stats.paired_stats`), or in the worst case over several
    (:func:`worst_case_gain`)."""
    if len(plan_vals) == 1:
        (a,) = plan_vals
        return paired_stats(base_vals[a], plan_vals[a])
    return worst_case_gain(plan_vals, base_vals, sense)


MIN_INTERVAL_REPLICATES = 8
"""Replicates below which a bootstrap interval of noisy differences is not trusted to stop on
(its coverage is poor for a handful of values); differences that are the same on every
replicate (no noise) decide at once."""


def _next_n(n: int, width: float, resolution: float, cap: int, batch: int) -> int:
    """How many replicates to have next: about what the interval's width says is needed (it
    shrinks as 1/sqrt(n)), at least ``batch`` more, at most twice as many, at most ``cap``."""
    if not math.isfinite(width):  # one replicate: no interval yet
        return int(min(cap, n + batch))
    want = math.ceil(n * (width / resolution) ** 2 * 1.1) if resolution > 0 else cap
    return int(min(cap, max(n + batch, min(want, 2 * n))))


def race(evaluate: CachedEvaluate, plan: Plan | None, incumbent: Plan | None,
         attackers: Sequence[str], sense: int, first: int, resolution: float | None,
         cap: int, batch: int = 4) -> dict:
    """Race ``plan`` against ``incumbent`` on replicates ``0, 1, ...`` (common random numbers).

    After ``first`` replicates and after each further batch, the paired difference ``plan -
    incumbent`` (in the worst case over several attackers) and its 95% interval decide:
    ``better`` (above 0 in the outcome's good direction), ``worse`` (below), ``equal`` (0 inside
    an interval no wider than ``resolution``) or, at ``cap`` replicates, ``open``. With noise in
    the differences a verdict needs :data:`MIN_INTERVAL_REPLICATES` replicates and, for one
    attacker, the paired t-test's p-value below 5% as well. Without a resolution the race stops
    after ``first`` replicates (``open`` if undecided).

    Returns:
        ``verdict``, ``replicates``, ``diff``, ``ci_low``, ``ci_high`` (plan - incumbent).
    """
    n = max(1, int(first))
    cap = max(n, int(cap))
    while True:
        reps = list(range(n))
        g = _gain(evaluate.values_of(plan, attackers, reps),
                  evaluate.values_of(incumbent, attackers, reps), sense)
        lo, hi = sense * g["ci_low"], sense * g["ci_high"]
        lo, hi = min(lo, hi), max(lo, hi)
        width = hi - lo
        exact = width == 0  # the same difference on every replicate: no noise to wait out
        trusted = exact or (n >= MIN_INTERVAL_REPLICATES
                            and (len(attackers) > 1 or g.get("p_value", 0.0) < 1 - LEVEL))
        verdict = None
        if lo > 0 and trusted:
            verdict = "better"
        elif hi < 0 and trusted:
            verdict = "worse"
        elif (resolution is not None and width <= resolution  # (False for NaN: n = 1)
              and (exact or n >= MIN_INTERVAL_REPLICATES)):
            verdict = "equal"
        elif resolution is None or n >= cap:
            verdict = "open"
        if verdict is not None:
            return {"verdict": verdict, "replicates": n, "diff": g["diff"],
                    "ci_low": g["ci_low"], "ci_high": g["ci_high"]}
        n = _next_n(n, width, resolution, cap, batch)


def sequential_gain(evaluate: Evaluate, plan: Plan, attackers: Sequence[str],
                    replicates: Sequence[int], sense: int, resolution: float | None = None,
                    max_replicates: int | None = None, batch: int = 4,
                    on_batch: Callable[[int, float], None] | None = None) -> dict:
    """The plan against the shipped scenario on fresh replicates, paired, run until the gain's
    95% interval is no wider than ``resolution``.

    Starts with ``replicates`` (consecutive numbers); while the interval of the gain (one
    attacker: :func:`sim.experiments.stats.paired_stats`; several: the worst case,
    :func:`worst_case_gain`) is wider than ``resolution``, runs more of the following replicate
    numbers (about as many as the width says are needed, at least ``batch``, at most doubling)
    up to ``max_replicates`` in all. The rule looks at the width only, never at where the
    interval lies, so stopping does not bias it. Without a resolution: ``replicates`` only.

    Returns:
        :func:`evaluate_gain`'s dict plus ``resolution``, ``width`` (of the interval used),
        ``precise`` (whether it is within the resolution) and ``max_replicates``.
    """
    reps = [int(r) for r in replicates]
    if not reps:
        raise ValueError("no replicates to evaluate on")
    cap = max(len(reps), int(max_replicates or len(reps)))
    while True:
        out = evaluate_gain(evaluate, plan, attackers, reps, sense)
        g = out.get("worst_case") or out["by_attacker"][attackers[0]]
        width = abs(g["ci_high"] - g["ci_low"])
        precise = (resolution is not None and width <= resolution
                   and (width == 0 or len(reps) >= MIN_INTERVAL_REPLICATES))
        if on_batch is not None:
            on_batch(len(reps), width)
        if precise or resolution is None or len(reps) >= cap or math.isnan(width):
            out.update(resolution=resolution, width=width, precise=bool(precise),
                       max_replicates=cap)
            return out
        n = _next_n(len(reps), width, resolution, cap, batch)
        reps = reps + list(range(reps[-1] + 1, reps[-1] + 1 + n - len(reps)))


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
    both = getattr(evaluate, "values_of", None)  # a CachedEvaluate: all attackers at once
    if both is not None:
        vals_plan, vals_ship = both(plan, attackers, replicates), both(None, attackers, replicates)
    else:
        vals_plan = {a: np.asarray(evaluate(plan, a, replicates), float) for a in attackers}
        vals_ship = {a: np.asarray(evaluate(None, a, replicates), float) for a in attackers}
    out: dict = {"replicates": list(replicates),
                 "by_attacker": {a: paired_stats(vals_ship[a], vals_plan[a]) for a in attackers},
                 "values": {a: {"plan": vals_plan[a].tolist(), "shipped": vals_ship[a].tolist()}
                            for a in attackers}}
    if len(attackers) > 1:
        out["worst_case"] = worst_case_gain(vals_plan, vals_ship, sense)
    return out
