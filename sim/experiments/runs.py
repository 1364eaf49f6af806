"""Runs: ``run_one(scenario, seed, replicate) -> RunOutput`` and replicated runs with summaries.

This is the model as a function (EMA Workbench style): a scenario and a seed in, named
outcomes out. Sweeps, comparisons and notebooks all call :func:`run_one`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats

from sim.model.defense_model import DefenseModel


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


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else math.nan


def outcomes_of(model: DefenseModel) -> tuple[dict[str, float], dict]:
    """Scalar outcomes of a finished model run (definitions in ``docs/outcomes.md``)."""
    t = dict(model.totals)
    cost = float(model.capability.spend_eur[-1]) if len(model.dates) else 0.0
    out: dict[str, float] = {k: float(v) for k, v in t.items()}
    out["interception_rate"] = _ratio(t["destroyed"] + t["lost_ew"], t["launched"])
    out["kill_rate"] = _ratio(t["destroyed"], t["launched"])
    out["leak_rate"] = _ratio(t["leaked"], t["launched"])
    out["kinetic_coverage"] = _ratio(t["aimed_at_energy_stopped"], t["aimed_at_energy"])
    out["programme_cost_eur"] = cost
    out["budget_eur"] = float(model.spec.defense.budget_eur)
    out["budget_unspent_eur"] = float(model.spec.defense.budget_eur) - cost
    out["interceptors_ordered"] = float(model.capability.interceptors_ordered)
    out["interceptors_delivered"] = float(model.capability.interceptors_delivered[-1])
    out["programme_stock_end"] = float(model.programme_stock)
    out["attacker_value_killed_programme_eur"] = model.attacker_value_killed_programme
    out["cost_exchange_ratio"] = _ratio(model.attacker_value_killed_programme, cost)
    out["cost_per_kill_eur"] = _ratio(cost, t["interceptor_kills"])
    out["interceptors_per_kill"] = _ratio(t["interceptors_expended"], t["interceptor_kills"])
    out["defense_layer_cost_eur"] = float(model.layer_cost_eur)
    df = model.datacollector.get_model_vars_dataframe()
    for key in ("coverage_sites_fraction", "coverage_capacity_fraction"):
        out["geometric_" + key] = float(df[key].mean()) if len(df) else math.nan
    details: dict = {}
    if model.energy is not None:
        for k, v in model.energy.winter_outcomes().items():
            if isinstance(v, dict):
                details[k] = v
                for kk, vv in v.items():
                    out[f"{k}.{kk}"] = float(vv)
            else:
                out[k] = float(v)
    return out, details


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
    outcomes, details = outcomes_of(model)
    nights = pd.DataFrame(model.night_rows)
    nights.insert(0, "replicate", replicate)
    nights.insert(0, "seed", model.seed_root)
    hits = {
        sid: int(h) for sid, h in zip(model.sites["id"], model.hits_by_site, strict=True) if h
    }
    model.close()
    return RunOutput(outcomes=outcomes, nights=nights, hits_by_site=hits, details=details)


def mean_ci(values, level: float = 0.95) -> dict[str, float]:
    """Mean and two-sided t confidence interval of replicate values (NaNs dropped)."""
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    if len(v) == 0:
        return {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan, "std": math.nan, "n": 0}
    m = float(v.mean())
    if len(v) < 2:
        return {"mean": m, "ci_low": m, "ci_high": m, "std": 0.0, "n": 1}
    sd = float(v.std(ddof=1))
    h = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * sd / math.sqrt(len(v)))
    return {"mean": m, "ci_low": m - h, "ci_high": m + h, "std": sd, "n": int(len(v))}


HEADLINE = (
    "demand_served_fraction", "energy_not_served_mwh", "kinetic_coverage",
    "geometric_coverage_capacity_fraction", "launched", "destroyed", "lost_ew", "leaked",
    "interception_rate", "hits_on_sites", "interceptors_launched", "interceptor_kills",
    "programme_cost_eur", "cost_exchange_ratio",
)


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
    stats_by = {k: mean_ci([r.outcomes.get(k, math.nan) for r in runs]) for k in names}
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
    if runs[0].details:
        summary["details"] = runs[0].details if len(runs) == 1 else {
            k: {kk: float(np.mean([r.details[k][kk] for r in runs])) for kk in v}
            for k, v in runs[0].details.items()
        }
    summary["by_month"] = by_month(pd.concat([r.nights for r in runs], ignore_index=True))
    if len(runs) > 1:
        summary["outcomes"] = stats_by
    return summary


MONTHLY_SUMS = ("launched", "destroyed", "lost_ew", "leaked", "hits_on_sites", "aimed_at_energy",
                "aimed_at_energy_stopped", "interceptors_launched", "interceptor_kills")


def by_month(nights: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Calendar-month totals per replicate (replicate mean), with the month's kinetic coverage
    and neutralised share: when in the winter the drones get through."""
    if nights.empty:
        return {}
    month = nights["date"].str[:7]
    reps = max(int(nights["replicate"].nunique()), 1) if "replicate" in nights else 1
    cols = [c for c in MONTHLY_SUMS if c in nights]
    g = nights.groupby(month)[cols].sum() / reps
    out = {}
    for m, row in g.iterrows():
        d = {c: float(row[c]) for c in cols}
        d["kinetic_coverage"] = _ratio(row["aimed_at_energy_stopped"], row["aimed_at_energy"])
        d["interception_rate"] = _ratio(row["destroyed"] + row["lost_ew"], row["launched"])
        if "energy_served_mwh" in nights:
            sub = nights[month == m]
            d["demand_served_fraction"] = _ratio(sub["energy_served_mwh"].sum(),
                                                 sub["energy_demand_mwh"].sum())
        out[str(m)] = d
    return out


def run(scenario, seed: int | None = None, replicates: int = 1, overrides: dict | None = None,
        progress: bool = False, scenario_file: str | None = None) -> RunSet:
    """Run a scenario for several replicates and summarise (the ``sim run`` command).

    Args:
        scenario: a :class:`sim.scenario.Scenario` or a path to a YAML file.
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

