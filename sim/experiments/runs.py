"""Runs: ``run_one(scenario, seed, replicate) -> RunOutput`` and replicated runs with summaries.

This is the model as a function (EMA Workbench style): a scenario and a seed in, named
outcomes out. Sweeps, comparisons and notebooks all call :func:`run_one`.

Net effects: :func:`run` of a scenario with a programme (``defense.budget_eur > 0``) also runs
its counterfactual, the same scenario with ``defense.budget_eur = 0``, on the same seed and
replicates (so the same launches), and summarises the registry's net outcomes
(:meth:`sim.model.registry.Registry.net_values`) with the paired statistics of
:mod:`sim.experiments.stats` in ``summary["net"]``. ``run(..., net=False)`` (``sim run
--gross-only``) skips it, at half the cost, and says so in the summary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.experiments.stats import mean_ci_many, paired_stats, ratio_of_means
from sim.model.defense_model import DefenseModel
from sim.model.forces.limits import (
    LimitsAccount,
    evidence_of_run,
    limits_account,
    pool_evidence,
)
from sim.model.outcomes import OUTCOMES
from sim.model.theatre import schedules_for, theatre_for


@dataclass
class RunOutput:
    """Outcomes of one run (one winter, one replicate).

    Attributes:
        outcomes: flat scalar outcomes (counts, rates, EUR, energy figures).
        nights: one row per night.
        hits_by_site: site id -> warhead hits over the winter.
        details: non-scalar outcomes (e.g. capacity-days lost by site type).
        net: the net outcomes of this replicate against its counterfactual (empty when none
            was run; :func:`run`).
    """

    outcomes: dict[str, float]
    nights: pd.DataFrame
    hits_by_site: dict[str, int] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    net: dict[str, float] = field(default_factory=dict)


def outcomes_of(model: DefenseModel, nights: pd.DataFrame | None = None
                ) -> tuple[dict[str, float], dict]:
    """Winter outcomes of a finished model run, aggregated from its nightly table by the
    outcome registry (definitions in ``docs/outcomes.md``).

    Returns:
        ``(outcomes, details)``: scalar outcomes, and grouped ones
        (``capacity_days_lost_by_type`` as a mapping type -> MW-days).
    """
    if nights is None:
        nights = model.datacollector.get_model_vars_dataframe()
    out = OUTCOMES.aggregate({c: nights[c].to_numpy() for c in nights.columns}, model.constants())
    details: dict = {}
    prefix = "capacity_days_lost_by_type."
    lost = {k[len(prefix):]: v for k, v in out.items() if k.startswith(prefix)}
    if lost:
        details["capacity_days_lost_by_type"] = lost
    prefix = "outage_hours_per_day_by_region."
    consts = model.constants()
    by_reg = {k[len(prefix):]: v for k, v in consts.items() if k.startswith(prefix)}
    if by_reg:
        details["outage_hours_per_day_by_region"] = by_reg
    details["limits"] = limits_of(model, nights)
    return out, details


LAUNCHED = {"national": "existing_interceptors_launched", "programme": "interceptors_launched"}


def limits_of(model: DefenseModel, nights: pd.DataFrame) -> dict:
    """What one run says about what limited each interceptor force, month by month
    (:func:`sim.model.forces.limits.evidence_of_run`: the schedule's constraint, or
    ``geometry`` when drones leaked while crews and airframes were left over), and the
    airframes it had left at the end."""
    out = {}
    for force in model.forces:
        ev = evidence_of_run(force.schedule, nights[LAUNCHED[force.name]].to_numpy(),
                             nights[f"{force.name}_available"].to_numpy(),
                             nights["leaked"].to_numpy())
        out[force.name] = {**ev, "stock_end": int(force.stock)}
    return out


def limits_account_of(scenario, runs: list) -> LimitsAccount:
    """The one account of what limited each force (:mod:`sim.model.forces.limits`) over the
    replicates: the forces' schedules with what the runs showed."""
    schedules = schedules_for(scenario)
    evidence = {}
    for force in schedules.forces:
        per_run = [r.details["limits"][force.name] for r in runs if "limits" in r.details]
        if per_run:
            evidence[force.name] = pool_evidence(per_run, [p["stock_end"] for p in per_run])
    return limits_account(schedules, evidence)


def summarize_limits(scenario, runs: list) -> dict:
    """``summary.json`` ``limits``: :meth:`sim.model.forces.limits.LimitsAccount.as_dict` of
    the replicates' account."""
    return limits_account_of(scenario, runs).as_dict()


def portfolio_summary(scenario) -> dict:
    """``defense.portfolio`` in the summary: per option its money, what it bought and
    delivered, the money spent and unused, each item's limit by month
    (:meth:`sim.model.portfolio.PortfolioSchedule.summary`) and the report in words
    (``text``). The schedule is the one the model applied (the theatre's)."""
    sched = theatre_for(scenario).portfolio.schedule
    return {**sched.summary(), "text": sched.text()}


def run_one(scenario, seed: int | None = None, replicate: int = 0, on_night=None) -> RunOutput:
    """Simulate one winter.

    Args:
        scenario: a validated scenario.
        seed: root seed (default: the scenario's).
        replicate: replicate number (its own random streams).
        on_night: optional callable ``f(n)`` called after each night (progress bars).
    """
    model = DefenseModel(scenario, seed=seed, replicate=replicate)
    while model.running:
        model.step()
        if on_night is not None:
            on_night(1)
    nights = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    outcomes, details = outcomes_of(model, nights)
    nights.insert(0, "replicate", replicate)
    nights.insert(0, "seed", model.seed_root)
    hits = {
        sid: int(h) for sid, h in zip(model.sites["id"], model.hits_by_site, strict=True) if h
    }
    return RunOutput(outcomes=outcomes, nights=nights, hits_by_site=hits, details=details)


@dataclass
class RunSet:
    """Replicated runs of one scenario, with their summary.

    Attributes:
        scenario: the scenario run.
        seed: root seed.
        runs: one :class:`RunOutput` per replicate.
        summary: the content of ``summary.json``.
        nights: all replicates' nightly rows.
        counterfactual: the same replicates with no programme (``defense.budget_eur = 0``),
            ``None`` when not run (no programme, or ``net=False``).
    """

    scenario: object
    seed: int
    runs: list[RunOutput]
    summary: dict
    nights: pd.DataFrame
    counterfactual: RunSet | None = None


def summarize(scenario, seed: int, runs: list[RunOutput], scenario_file: str | None = None
              ) -> dict:
    """Build ``summary.json``: outcome values (replicate means) and, with several replicates,
    each outcome's mean and 95% confidence interval under ``outcomes``."""
    from sim import __version__

    names = list(runs[0].outcomes)
    summary: dict = {
        "scenario": scenario.name,
        "scenario_file": scenario_file,
        "description": scenario.description,
        "seed": seed,
        "replicates": len(runs),
        "nights": scenario.period.nights,
        "start_date": scenario.period.start_date.isoformat(),
        "budget_eur": float(scenario.defense.budget_eur),
        "sim_version": __version__,
    }
    regs = [OUTCOMES.get(k) for k in names]
    cis = mean_ci_many([[r.outcomes.get(k, math.nan) for r in runs] for k in names],
                       lower=[o.lower if o else None for o in regs],
                       upper=[o.upper if o else None for o in regs])
    stats_by = dict(zip(names, cis, strict=True))
    for k in names:
        v = stats_by[k]["mean"]
        if k in summary:
            continue
        summary[k] = v
    site_ids = sorted({s for r in runs for s in r.hits_by_site})
    summary["hits_by_site"] = {
        s: (runs[0].hits_by_site.get(s, 0) if len(runs) == 1
            else float(np.mean([r.hits_by_site.get(s, 0) for r in runs])))
        for s in sorted(site_ids, key=lambda s: -sum(r.hits_by_site.get(s, 0) for r in runs))
    }
    numeric = {k: v for k, v in runs[0].details.items() if k != "limits"}
    if numeric:
        summary["details"] = {
            k: {kk: float(np.mean([r.details[k][kk] for r in runs])) for kk in v}
            for k, v in numeric.items()
        }
    summary["limits"] = summarize_limits(scenario, runs)
    if scenario.defense.portfolio is not None:  # each option: money, deliveries, limits
        summary["portfolio"] = portfolio_summary(scenario)
    summary["by_month"] = by_month(pd.concat([r.nights for r in runs], ignore_index=True))
    if len(runs) > 1:
        summary["outcomes"] = stats_by
    return summary


def by_month(nights: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Calendar-month values of the registry's monthly outcomes (sums are replicate means;
    shares are computed from those sums): when in the winter the drones get through."""
    if nights.empty:
        return {}
    month = nights["date"].str[:7]
    reps = max(int(nights["replicate"].nunique()), 1) if "replicate" in nights else 1
    out = {}
    for m, sub in nights.groupby(month, sort=True):
        cols = {c: sub[c].to_numpy() for c in sub.columns}
        vals = OUTCOMES.aggregate(cols, monthly_only=True)
        out[str(m)] = {k: (v / reps if OUTCOMES[k].over_nights == "sum" else v)
                       for k, v in vals.items()}
    return out


COUNTERFACTUAL = {"defense.budget_eur": 0.0}
"""What the counterfactual changes: no programme; everything else, the seed and the replicates
stay, so replicate r of both faces the same launches."""


def counterfactual_of(scenario):
    """The scenario without its programme (:data:`COUNTERFACTUAL`)."""
    from sim.config.io import with_overrides

    return with_overrides(scenario, COUNTERFACTUAL)


def net_summary(runs: list[RunOutput], counterfactual: list[RunOutput]) -> dict:
    """``summary["net"]``: each net outcome of the registry over the replicates, paired with
    the counterfactual's (same seed and replicate), and each replicate's net values stored in
    its ``RunOutput.net``.

    Differences (``gain``, ``avoided``) get :func:`sim.experiments.stats.paired_stats`: the
    mean difference, its BCa interval, the p-value of the paired t-test and both means
    (``with_programme``, ``without_programme``); ratios get
    :func:`sim.experiments.stats.ratio_of_means`. With one replicate there is no interval.
    """
    nan = math.nan
    if len(runs) != len(counterfactual):
        raise ValueError("a net effect needs the counterfactual of every replicate")
    for b, a in zip(runs, counterfactual, strict=True):
        b.net = OUTCOMES.net_values(b.outcomes, a.outcomes)
    out: dict = {}
    for o in OUTCOMES.net_outcomes():
        if not any(o.name in r.net for r in runs):
            continue
        if o.net == "ratio":
            num, den = o.needs
            st = ratio_of_means([r.outcomes.get(num, nan) for r in runs],
                                [r.net.get(den, nan) for r in runs])
            entry = {"mean": st["mean"], "ci_low": st["ci_low"], "ci_high": st["ci_high"],
                     "n": st["n"]}
        else:
            (x,) = o.needs
            with_p = [r.outcomes.get(x, nan) for r in runs]
            without = [r.outcomes.get(x, nan) for r in counterfactual]
            st = (paired_stats(without, with_p) if o.net == "gain"
                  else paired_stats(with_p, without))
            entry = {"mean": st["diff"], "ci_low": st["ci_low"], "ci_high": st["ci_high"],
                     "n": st["n"], "p_value": st["p_value"],
                     "with_programme": st["mean_b"] if o.net == "gain" else st["mean_a"],
                     "without_programme": st["mean_a"] if o.net == "gain" else st["mean_b"]}
        if len(runs) == 1:
            entry.update(ci_low=nan, ci_high=nan)
        out[o.name] = entry
    return out


def run(scenario, seed: int | None = None, replicates: int = 1, overrides: dict | None = None,
        progress: bool = False, scenario_file: str | None = None, net: bool = True) -> RunSet:
    """Run a scenario for several replicates and summarise (the ``sim run`` command).

    Args:
        scenario: a :class:`sim.config.schema.Scenario` or a path to a YAML file.
        seed: root seed (default: the scenario's).
        replicates: number of replicates (replicate r uses ``SeedSequence([seed, r])``).
        overrides: ``{"defense.budget_eur": 4e8}``-style what-ifs.
        progress: show a progress bar on stderr.
        net: with a programme, also run the counterfactual (the same replicates with
            ``defense.budget_eur = 0``) and summarise the net effects in ``summary["net"]``;
            False skips it (half the work) and the summary says the figures are gross.
    """
    from tqdm.auto import tqdm

    from sim.config.io import load_scenario, with_overrides

    if not isinstance(scenario, BaseModel):
        scenario_file = scenario_file or str(scenario)
        scenario = load_scenario(scenario)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    if replicates < 1:
        raise ValueError("replicates must be >= 1")
    seed = int(scenario.seed if seed is None else seed)
    has_programme = float(scenario.defense.budget_eur) > 0
    cf_scenario = counterfactual_of(scenario) if net and has_programme else None
    runs, cf_runs = [], []
    passes = 2 if cf_scenario is not None else 1
    desc = scenario.name + (" and without the programme" if cf_scenario is not None else "")
    with tqdm(total=passes * replicates * scenario.period.nights, desc=desc, unit="night",
              disable=not progress, delay=0.5, leave=False) as bar:
        for r in range(replicates):
            runs.append(run_one(scenario, seed=seed, replicate=r, on_night=bar.update))
            if cf_scenario is not None:
                cf_runs.append(run_one(cf_scenario, seed=seed, replicate=r, on_night=bar.update))
    summary = summarize(scenario, seed, runs, scenario_file)
    nights = pd.concat([r.nights for r in runs], ignore_index=True)
    counterfactual = None
    if cf_scenario is not None:
        counterfactual = RunSet(
            scenario=cf_scenario, seed=seed, runs=cf_runs,
            summary=summarize(cf_scenario, seed, cf_runs, scenario_file),
            nights=pd.concat([r.nights for r in cf_runs], ignore_index=True))
        summary["net"] = {
            "computed": True,
            "counterfactual": ("the same scenario, seed and replicates with defense.budget_eur "
                               "= 0 (no programme): the same launches"),
            "identity": "net_drones_stopped = interceptor_kills - displacement",
            "outcomes": net_summary(runs, cf_runs),
        }
    elif has_programme:
        summary["net"] = {"computed": False,
                          "reason": "skipped (--gross-only, or net=False): the programme's "
                          "figures are gross, before what it displaces"}
    else:
        summary["net"] = {"computed": False,
                          "reason": "no programme (defense.budget_eur is 0): nothing to net"}
    return RunSet(scenario=scenario, seed=seed, runs=runs, summary=summary, nights=nights,
                  counterfactual=counterfactual)

