"""Runs: ``run_one(scenario, seed, replicate) -> RunOutput`` and replicated runs with summaries.

This is the model as a function (EMA Workbench style): a scenario and a seed in, named
outcomes out. Sweeps, comparisons and notebooks all call :func:`run_one`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sim.model import DefenseModel


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
    out["budget_eur"] = float(model.scenario.defense.budget_eur)
    out["budget_unspent_eur"] = float(model.scenario.defense.budget_eur) - cost
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


def run_one(scenario, seed: int | None = None, replicate: int = 0) -> RunOutput:
    """Simulate one winter.

    Args:
        scenario: a validated scenario.
        seed: root seed (default: the scenario's).
        replicate: replicate number (its own random streams).
    """
    model = DefenseModel(scenario, seed=seed, replicate=replicate)
    model.run()
    outcomes, details = outcomes_of(model)
    nights = pd.DataFrame(model.night_rows)
    nights.insert(0, "replicate", replicate)
    nights.insert(0, "seed", model.seed_root)
    hits = {
        sid: int(h) for sid, h in zip(model.sites["id"], model.hits_by_site, strict=True) if h
    }
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
