"""The best mix of spending options: ``python -m sim optimise SCENARIO --portfolio``.

The search reuses the optimiser (:func:`sim.experiments.optimise.optimise`: optuna's seeded
multivariate TPE, common random numbers, ``robust`` as the worst attacker's mean) with a
different space: a *plan* is the shares of the budget over the options
(:class:`PortfolioPlan`, the override ``defense.portfolio: {shares: ...}``), drawn as one
number in [0, 1] per option projected onto the shares within ``[min_share, max_share]``
summing to 1 (:func:`sim.experiments.plans.project_shares`). The first trials are each option
alone (when ``min_share`` is 0), so the best single option is known on the search replicates
and the chosen mix is never worse than it there.

Evaluation: the chosen mix against the best single option (not against no spending) on fresh
replicates ``R..R+E-1`` (:func:`sim.experiments.racing.evaluate_gain`): the paired gain per
attacker and, with several attackers, in the worst case, each with its BCa bootstrap interval.
The verdict says plainly when no mix beats the best single option: the search chose a single
option, or the interval of the (worst-case) gain on fresh replicates reaches zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config.errors import SimInputError
from sim.config.portfolio import OPTIONS
from sim.experiments.optimise import (
    ModelEvaluator,
    OptimiseResult,
    optimise,
    outcome_sense,
)
from sim.experiments.plans import project_shares
from sim.experiments.racing import evaluate_gain

SHARE_DECIMALS = 3


@dataclass(frozen=True)
class PortfolioPlan:
    """Shares of the budget over the options, as scenario overrides.

    Attributes:
        shares: option -> share (summing to 1; options with no share left out).
        options: the cost models to keep (``defense.portfolio.options`` of the base scenario,
            as a mapping; ``None``: the packaged ones).
    """

    shares: tuple[tuple[str, float], ...]
    options: dict | None = field(default=None, compare=False, hash=False)

    @classmethod
    def of(cls, shares: dict[str, float], options: dict | None = None) -> PortfolioPlan:
        kept = {k: float(v) for k, v in shares.items() if v > 0}
        return cls(tuple(kept.items()), options)

    @property
    def share_map(self) -> dict[str, float]:
        return dict(self.shares)

    @property
    def single(self) -> str | None:
        """The option, when the whole budget goes to one."""
        return self.shares[0][0] if len(self.shares) == 1 else None

    def overrides(self) -> dict[str, Any]:
        p: dict[str, Any] = {"shares": self.share_map}
        if self.options:
            p["options"] = self.options
        return {"defense.portfolio": p}

    def text(self) -> str:
        return ", ".join(f"{k} {100 * v:.0f}%" for k, v in
                         sorted(self.shares, key=lambda kv: -kv[1]))

    # the optimiser's report and progress lines read these two
    def basing_text(self) -> str:
        return "portfolio"

    def split_text(self) -> str:
        return self.text()


def _round(shares: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """Shares rounded to :data:`SHARE_DECIMALS`, still summing to 1 (the largest takes the
    rest)."""
    r = np.round(np.asarray(shares, float), SHARE_DECIMALS)
    i = int(np.argmax(r))
    r[i] = 0.0
    r[i] = round(1.0 - float(r.sum()), SHARE_DECIMALS)
    return {k: float(v) for k, v in zip(names, r, strict=True)}


@dataclass
class PortfolioSpace:
    """The shares of the budget over ``options``, each within ``[min_share, max_share]``
    (a search space for :func:`sim.experiments.optimise.optimise`).

    Attributes:
        options: the options mixed (default all seven).
        min_share, max_share: bounds of each option's share.
    """

    options: tuple[str, ...] = OPTIONS
    min_share: float = 0.0
    max_share: float = 1.0
    cost_models: dict | None = None
    # what the optimiser asks of a space (the programme's basing and split stay as shipped)
    basing: str = "shipped"
    split: str = "shipped"
    sites_from: None = None

    def resolve(self, scenario, sites=None) -> PortfolioSpace:
        """Check the space against the scenario; keep its cost models."""
        bad = [o for o in self.options if o not in OPTIONS]
        if bad:
            from sim.config.io import did_you_mean

            raise SimInputError(f"--options: unknown option {bad[0]!r}"
                                f"{did_you_mean(bad[0], OPTIONS)}; options: {', '.join(OPTIONS)}")
        if len(set(self.options)) < 2:
            raise SimInputError("--options: a mix needs at least two options")
        k = len(self.options)
        if not (0 <= self.min_share <= self.max_share <= 1):
            raise SimInputError(f"--min-share {self.min_share:g} / --max-share "
                                f"{self.max_share:g}: need 0 <= min <= max <= 1")
        if k * self.min_share > 1 + 1e-12 or k * self.max_share < 1 - 1e-12:
            raise SimInputError(f"--min-share {self.min_share:g} / --max-share "
                                f"{self.max_share:g}: {k} options cannot have shares summing "
                                "to 1 within these bounds")
        if not scenario.energy.enabled:
            raise SimInputError("energy.enabled is false: a portfolio needs the energy model "
                                "(its options act on the power system)")
        p = scenario.defense.portfolio
        cost = p.options.model_dump(mode="json", exclude_unset=True) if p is not None else None
        return PortfolioSpace(tuple(dict.fromkeys(self.options)), self.min_share,
                              self.max_share, cost or None)

    def singles(self) -> list[dict[str, float]]:
        """The trial parameters of each option alone (none when ``min_share`` > 0)."""
        if self.min_share > 0 or self.max_share < 1:
            return []
        return [{f"w_{o}": float(o == s) for o in self.options} for s in self.options]

    def suggest(self, trial) -> PortfolioPlan:
        x = [trial.suggest_float(f"w_{o}", 0.0, 1.0) for o in self.options]
        if trial.number == 0:  # each option alone first (the first is enqueued already)
            for params in self.singles()[1:]:
                trial.study.enqueue_trial(params, skip_if_exists=True)
        s = project_shares(x, self.min_share, self.max_share)
        return PortfolioPlan.of(_round(s, self.options), self.cost_models)

    def shipped_params(self, scenario=None, ctx=None) -> dict | None:
        """The first trial: the first option alone."""
        s = self.singles()
        return s[0] if s else None

    def plan_of(self, option: str) -> PortfolioPlan:
        return PortfolioPlan.of({option: 1.0}, self.cost_models)

    def describe(self) -> str:
        return (f"shares of the budget over {', '.join(self.options)}, each in "
                f"[{self.min_share:g}, {self.max_share:g}]")


@dataclass
class PortfolioSearchResult:
    """What :func:`optimise_portfolio` found.

    Attributes:
        search: the optimiser's result (trials, the chosen plan and its objective).
        best: the chosen mix; ``best_single``: the best option alone on the search
            replicates, ``singles``: each option alone, its objective and means.
        evaluation: the mix against the best single option on fresh replicates
            (:func:`sim.experiments.racing.evaluate_gain`; ``{}`` when the search chose a
            single option or there are no fresh replicates).
        verdict: one plain sentence.
        settings: the search's settings.
    """

    search: OptimiseResult
    best: PortfolioPlan
    best_single: str
    singles: dict[str, dict]
    evaluation: dict
    verdict: str
    beats_single: bool
    settings: dict


def _verdict(best: PortfolioPlan, single: str, ev: dict, sense: int) -> tuple[str, bool]:
    if best.single is not None:
        return (f"No mix beats the best single option: the search's best plan is "
                f"{best.single} alone (on the search replicates).", False)
    if not ev:
        return (f"The best mix ({best.text()}) beats {single} alone on the search replicates; "
                "no fresh replicates to confirm it (--eval-replicates 0).", False)
    g = ev.get("worst_case") or next(iter(ev["by_attacker"].values()))
    lo, hi = g["ci_low"], g["ci_high"]
    better = lo > 0 if sense > 0 else hi < 0
    where = "in the worst case over attackers" if "worst_case" in ev else "on fresh replicates"
    if better:
        return (f"The mix ({best.text()}) beats the best single option ({single}) {where}: "
                "its interval excludes zero.", True)
    return (f"No mix beats the best single option ({single}) {where}: the interval of the "
            f"gain of the best mix ({best.text()}) reaches zero.", False)


def optimise_portfolio(scenario, *, budget_eur: float | None = None,
                       options: Sequence[str] = OPTIONS, min_share: float = 0.0,
                       max_share: float = 1.0, attacker: str = "robust", trials: int = 30,
                       replicates: int = 4, eval_replicates: int = 10, seed: int | None = None,
                       outcome: str = "demand_served_fraction", workers: int = 1,
                       evaluate=None,
                       on_trial: Callable | None = None,
                       on_stage: Callable[[str], None] | None = None) -> PortfolioSearchResult:
    """Search the shares of the budget, then compare the chosen mix with the best single
    option on fresh replicates (module docstring).

    Args:
        scenario: a validated scenario with the energy model on.
        budget_eur: the budget (default ``defense.budget_eur``; must be > 0).
        options: the options mixed; ``min_share``/``max_share``: bounds of each share.
        attacker: ``static``, ``best_response``, ``learning`` or ``robust`` (the worst).
        trials: optuna trials (at least the number of options when they are tried alone).
        replicates, eval_replicates, seed, outcome, workers: as for the optimiser.
        evaluate: the objective (default: the model, :class:`~sim.experiments.optimise.
            ModelEvaluator`); injectable for tests.

    Raises:
        SimInputError: bad settings (before any run).
    """
    from sim.config.io import with_overrides

    budget = float(scenario.defense.budget_eur if budget_eur is None else budget_eur)
    if not budget > 0:
        raise SimInputError("--budget: the money to spend must be > 0 EUR (e.g. --budget 2e8)")
    if budget != float(scenario.defense.budget_eur):
        scenario = with_overrides(scenario, {"defense.budget_eur": budget}, source="--budget")
    space = PortfolioSpace(tuple(options), min_share, max_share).resolve(scenario)
    singles = space.singles()
    if singles and trials < len(singles):
        raise SimInputError(f"--trials {trials}: at least {len(singles)} (each option alone "
                            "first, then mixes)")
    for o in space.options:  # every option alone must be a valid scenario (mechanisms on)
        with_overrides(scenario, space.plan_of(o).overrides(), source=f"option {o}")
    sense = outcome_sense(outcome)
    seed = int(scenario.seed if seed is None else seed)
    own = evaluate is None
    if own:
        evaluate = ModelEvaluator(scenario, seed, outcome, workers=workers)
    try:
        res = optimise(scenario, attacker=attacker, trials=trials, replicates=replicates,
                       eval_replicates=0, seed=seed, outcome=outcome, space=space,
                       evaluate=evaluate, on_trial=on_trial, on_stage=on_stage)
        by_single = {}
        for t in res.trials:
            if t.plan.single is not None and t.plan.single not in by_single:
                by_single[t.plan.single] = {"objective": t.objective, "means": t.means,
                                            "trial": t.number}
        if not by_single:  # min_share > 0: run each option alone on the search replicates
            train = list(range(replicates))
            atts = res.settings["attackers"]
            for o in space.options:
                means = {a: float(np.mean(evaluate(space.plan_of(o), a, train))) for a in atts}
                vals = np.array(list(means.values()))
                by_single[o] = {"objective": float(vals.min() if sense > 0 else vals.max()),
                                "means": means, "trial": None}
        best_single = max(by_single, key=lambda o: sense * by_single[o]["objective"])
        best = res.best
        ev: dict = {}
        fresh = list(range(replicates, replicates + eval_replicates))
        if fresh and best.single is None:
            if on_stage is not None:
                on_stage(f"evaluating the mix and {best_single} alone on {len(fresh)} fresh "
                         f"replicates ({fresh[0]}-{fresh[-1]})")
            single_plan = space.plan_of(best_single)

            def against_single(plan, att, reps):
                return evaluate(plan if plan is not None else single_plan, att, reps)

            ev = evaluate_gain(against_single, best, res.settings["attackers"], fresh, sense)
    finally:
        if own:
            evaluate.close()
    text, beats = _verdict(best, best_single, ev, sense)
    settings = {**res.settings, "portfolio": True, "options": list(space.options),
                "min_share": min_share, "max_share": max_share, "eval_replicates": fresh,
                "best_single": best_single}
    return PortfolioSearchResult(search=res, best=best, best_single=best_single,
                                 singles=by_single, evaluation=ev, verdict=text,
                                 beats_single=beats, settings=settings)


def report(result: PortfolioSearchResult, width: int = 100) -> str:
    """The printed report: the singles on the search replicates, the chosen mix, its gain over
    the best single option on fresh replicates, and the verdict."""
    import textwrap

    from sim.model.outcomes import OUTCOMES, format_value

    st = result.settings
    o = OUTCOMES[st["outcome"]]

    def v(x: float) -> str:
        return f"{100 * x:.3f}%" if o.kind == "share" else o.format(x)

    def d(x: float) -> str:
        return f"{100 * x:+.3f} pp" if o.kind == "share" else f"{x:+,.4g}"

    att = st["attacker"]
    against = ("the worst of the static, best-response and learning attackers" if att == "robust"
               else f"the {att.replace('_', '-')} attacker")
    head = (f"Best mix of spending options: {st['scenario']}, {st['nights']} nights from "
            f"{st['start_date']}, {format_value(st['budget_eur'], 'money')}, seed {st['seed']}")
    lines = [head[:width], "=" * min(len(head), width)]
    lines += textwrap.wrap(
        f"Objective: {o.label.lower()}, mean over {st['replicates']} replicates with common "
        f"random numbers, against {against}. Search: {st['trials']} trials of optuna TPE over "
        f"{st['space']}; each option alone first.", width)
    lines += ["", "Each option alone (search replicates):"]
    for name, s in sorted(result.singles.items(), key=lambda kv: -kv[1]["objective"]
                          * (1 if st["sense"] > 0 else -1)):
        means = ", ".join(f"{a} {v(m)}" for a, m in s["means"].items())
        lines.append(f"  {name:<24}{v(s['objective']):>10}   ({means})"[:width])
    best = result.search
    lines += [""] + textwrap.wrap(f"Best plan (trial {best.best_trial + 1} of "
                                  f"{len(best.trials)}): {result.best.text()}", width,
                                  subsequent_indent="  ")
    lines += [f"  objective on the search replicates: {v(best.objective)} (best single option, "
              f"{result.best_single}: {v(result.singles[result.best_single]['objective'])})"]
    ev = result.evaluation
    if ev:
        reps = ev["replicates"]
        lines += [""] + textwrap.wrap(
            f"Gain of the mix over {result.best_single} alone on {len(reps)} fresh replicates "
            f"({reps[0]}-{reps[-1]}, not used in the search), paired:", width)
        lines.append(f"  {'attacker':<16}{'single':>12}{'mix':>12}{'gain':>14}  "
                     f"{'95% interval':<28}")
        for a, s in ev["by_attacker"].items():
            lines.append(f"  {a:<16}{v(s['mean_a']):>12}{v(s['mean_b']):>12}{d(s['diff']):>14}"
                         f"  [{d(s['ci_low'])}, {d(s['ci_high'])}]")
        wc = ev.get("worst_case")
        if wc:
            lines.append(f"  {'worst case':<16}{v(wc['worst_shipped']):>12}"
                         f"{v(wc['worst_plan']):>12}{d(wc['diff']):>14}  "
                         f"[{d(wc['ci_low'])}, {d(wc['ci_high'])}]")
        lines.append("  gain = mix - best single option; interval: BCa bootstrap")
    lines += [""] + textwrap.wrap(result.verdict, width)
    return "\n".join(ln[:width] for ln in lines)
