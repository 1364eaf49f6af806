"""Runs: ``run_one(scenario, seed, replicate) -> RunOutput`` and replicated runs with summaries.

This is the model as a function (EMA Workbench style): a scenario and a seed in, named
outcomes out. Sweeps, comparisons and notebooks all call :func:`run_one`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.experiments.stats import mean_ci_many
from sim.model.defense_model import DefenseModel
from sim.model.forces import binding_after_run
from sim.model.forces.report import limited_by_text
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
    """

    outcomes: dict[str, float]
    nights: pd.DataFrame
    hits_by_site: dict[str, int] = field(default_factory=dict)
    details: dict = field(default_factory=dict)


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
    details["limits"] = limits_of(model, nights)
    return out, details


LAUNCHED = {"national": "existing_interceptors_launched", "programme": "interceptors_launched"}


def limits_of(model: DefenseModel, nights: pd.DataFrame) -> dict:
    """What limited each interceptor force, month by month (:func:`sim.model.forces.
    binding_after_run`: the schedule's constraint, or ``geometry`` when drones leaked while
    crews and airframes were left over)."""
    out = {}
    for force in model.forces:
        labels, detail = binding_after_run(
            force.schedule, nights[LAUNCHED[force.name]].to_numpy(),
            nights[f"{force.name}_available"].to_numpy(), nights["leaked"].to_numpy())
        out[force.name] = {"months": list(force.schedule.months), "labels": list(labels),
                           "details": list(detail), "stock_end": int(force.stock)}
    return out


def summarize_limits(scenario, runs: list) -> dict:
    """The limits of the replicates together: each month's most common label over replicates
    and the words for the summary ("limited by ...")."""
    schedules = schedules_for(scenario)
    out: dict = {}
    lines = []
    for force in schedules.forces:
        per_run = [r.details["limits"][force.name] for r in runs if "limits" in r.details]
        if not per_run:
            continue
        months = per_run[0]["months"]
        labels = []
        for j in range(len(months)):
            votes = Counter(p["labels"][j] for p in per_run)
            labels.append(max(votes, key=lambda x: (votes[x], x == per_run[0]["labels"][j])))
        stock_end = float(np.mean([p["stock_end"] for p in per_run]))
        text = limited_by_text(force, tuple(labels), stock_end=round(stock_end))
        name = "Ukraine's own force" if force.name == "national" else "The programme"
        text = name + text[len(force.name):]
        out[force.name] = {"by_month": dict(zip(months, labels, strict=True)),
                           "unused_budget_eur": float(force.unused_eur),
                           "on_order_eur": float(force.on_order_eur),
                           "stock_end": stock_end, "text": text}
        lines.append(text)
    out["text"] = "\n".join(lines)
    return out


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
    """

    scenario: object
    seed: int
    runs: list[RunOutput]
    summary: dict
    nights: pd.DataFrame


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


def run(scenario, seed: int | None = None, replicates: int = 1, overrides: dict | None = None,
        progress: bool = False, scenario_file: str | None = None) -> RunSet:
    """Run a scenario for several replicates and summarise (the ``sim run`` command).

    Args:
        scenario: a :class:`sim.config.schema.Scenario` or a path to a YAML file.
        seed: root seed (default: the scenario's).
        replicates: number of replicates (replicate r uses ``SeedSequence([seed, r])``).
        overrides: ``{"defense.budget_eur": 4e8}``-style what-ifs.
        progress: show a progress bar on stderr.
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
    runs = []
    with tqdm(total=replicates * scenario.period.nights, desc=scenario.name, unit="night",
              disable=not progress, delay=0.5, leave=False) as bar:
        for r in range(replicates):
            runs.append(run_one(scenario, seed=seed, replicate=r, on_night=bar.update))
    summary = summarize(scenario, seed, runs, scenario_file)
    nights = pd.concat([r.nights for r in runs], ignore_index=True)
    return RunSet(scenario=scenario, seed=seed, runs=runs, summary=summary, nights=nights)

