"""The posture defence's calibration run: the fit (:mod:`sim.calibration.defense_fit`), the
month-by-month evaluation in and out of sample (:func:`evaluate_months`, :func:`summarise_errors`)
and :func:`calibrate_defense`, which fits, evaluates, writes ``sim/data/defense_calibration.json``
and updates the scenario (``python -m sim validate-model``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.calibration_files import load_calibration, update_scenario_file, write_calibration
from sim.calibration.defense_fit import (
    CALIBRATION_FORMAT,
    DEFAULT_CALIBRATION_PATH,
    DEFAULT_PARAMETERS,
    DEFAULT_SCENARIO_PATH,
    FIT_COMMAND,
    FIT_MONTHS,
    TARGETS,
    TEST_MONTHS,
    Progress,
    apply_parameters,
    estimates,
    fit_defense,
    nan_to_none,
    observed_months,
    parameter_overrides,
)
from sim.calibration.record import (
    interception_rate,
    observed_monthly,
    sha256_of,
)
from sim.calibration.simulate import SIM_COUNTS, simulate_months
from sim.config.errors import SimInputError


def evaluate_months(
    scenario,
    observed: pd.DataFrame,
    fit_months: Sequence[str] = FIT_MONTHS,
    test_months: Sequence[str] = TEST_MONTHS,
    *,
    seed: int,
    replicates: int = 20,
    predictive: dict[str, Any] | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Simulate the scenario's whole period and compare it with the record month by month.

    Args:
        scenario: the fitted scenario (its period must cover both month sets).
        observed: :func:`observed_monthly` output.
        fit_months, test_months: in-sample and out-of-sample months.
        seed: root seed of the evaluation runs (use one the fit did not use).
        replicates: runs at the fitted values (point prediction and band).
        predictive: optional ``{"parameters", "theta", "cov", "seed", "replicates",
            "draw_seed"}``: extra runs, each with parameters drawn from N(theta, cov) (clipped
            to the bounds), for a band that includes parameter uncertainty.
        executor: optional executor for the replicates.

    Returns:
        One row per month with ``period`` (``fit`` or ``out_of_sample``), the record
        (``obs_launched``, ``obs_rate``, ``obs_ew_share``), the replicate median, mean and
        5-95 % of launches, neutralisation rate and EW share, the errors
        (``launch_error_pct`` = median vs record, ``rate_error_pp``, ``ew_error_pp``), the kill
        shares by layer and, with ``predictive``, ``pred_rate_p05``/``pred_rate_p95``.
    """
    months = list(fit_months) + list(test_months)
    obs = observed_months(observed, months)
    sim = simulate_months(scenario, seed, replicates, executor=executor)
    sim = sim[sim["month"].isin(months)]
    launched = sim["launched"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = sim.assign(
            interception_rate=interception_rate(sim["destroyed"], sim["lost_ew"], launched),
            ew_share=np.where(launched > 0, sim["lost_ew"] / launched, np.nan),
        )
    q = sim.groupby("month")
    rows = []
    for mo in months:
        if mo not in q.groups:
            raise SimInputError(f"scenario period does not cover month {mo}")
        s = q.get_group(mo)
        o = obs.loc[mo]
        tot = s[list(SIM_COUNTS)].sum()
        row = {
            "month": mo,
            "period": "fit" if mo in fit_months else "out_of_sample",
            "obs_launched": int(o["launched"]),
            "obs_rate": float(o["interception_rate"]),
            "obs_ew_share": nan_to_none(o["ew_share"]),
        }
        for col, name in (("launched", "launched"), ("interception_rate", "rate"),
                          ("ew_share", "ew_share")):
            v = s[col].to_numpy(float)
            row[f"sim_{name}_median"] = float(np.median(v))
            row[f"sim_{name}_mean"] = float(np.mean(v))
            row[f"sim_{name}_p05"] = float(np.quantile(v, 0.05))
            row[f"sim_{name}_p95"] = float(np.quantile(v, 0.95))
        row["launch_error_pct"] = 100.0 * (row["sim_launched_median"] / row["obs_launched"] - 1)
        row["rate_error_pp"] = 100.0 * (row["sim_rate_median"] - row["obs_rate"])
        row["ew_error_pp"] = (None if row["obs_ew_share"] is None
                              else 100.0 * (row["sim_ew_share_median"] - row["obs_ew_share"]))
        n = float(tot["launched"]) or math.nan
        row["share_fire_groups"] = float(tot["destroyed_fire_groups"]) / n
        row["share_missiles"] = float(tot["destroyed_missiles"]) / n
        row["share_existing_interceptors"] = float(tot["destroyed_existing_interceptors"]) / n
        row["share_tracked"] = float(tot["tracked"]) / n
        rows.append(row)
    table = pd.DataFrame(rows)

    if predictive:
        pars = list(predictive["parameters"])
        theta = np.asarray(predictive["theta"], float)
        cov = np.asarray(predictive["cov"], float)
        n_pred = int(predictive.get("replicates", replicates))
        rng = np.random.default_rng(int(predictive["draw_seed"]))
        lo = np.array([p.lower for p in pars])
        hi = np.array([p.upper for p in pars])
        draws = np.clip(rng.multivariate_normal(theta, cov, size=n_pred, method="svd"), lo, hi)
        scs = [apply_parameters(scenario, pars, d) for d in draws]
        ps = simulate_months(scenario, int(predictive["seed"]), n_pred, scenarios=scs,
                             executor=executor)
        ps = ps[ps["month"].isin(months)]
        ps = ps.assign(interception_rate=interception_rate(ps["destroyed"], ps["lost_ew"],
                                                           ps["launched"]))
        pq = ps.groupby("month")["interception_rate"]
        table["pred_rate_p05"] = [float(pq.get_group(mo).quantile(0.05)) for mo in months]
        table["pred_rate_p95"] = [float(pq.get_group(mo).quantile(0.95)) for mo in months]
    return table


def out_of_sample(table: pd.DataFrame) -> dict[str, Any]:
    """Out-of-sample errors month by month from an :func:`evaluate_months` table.

    Returns:
        ``{"months": [{"month", "obs_rate", "sim_rate_median", "rate_error_pp"}...],
        "rate_mae_pp", "rate_bias_pp", "launch_mae_pct"}`` over the out-of-sample rows.
    """
    t = table[table["period"] == "out_of_sample"]
    return {
        "months": t[["month", "obs_rate", "sim_rate_median", "rate_error_pp"]].to_dict("records"),
        "rate_mae_pp": float(np.mean(np.abs(t["rate_error_pp"]))) if len(t) else math.nan,
        "rate_bias_pp": float(np.mean(t["rate_error_pp"])) if len(t) else math.nan,
        "launch_mae_pct": float(np.mean(np.abs(t["launch_error_pct"]))) if len(t) else math.nan,
    }


def summarise_errors(table: pd.DataFrame) -> dict[str, Any]:
    """Headline errors against the issue's targets."""
    fit = table[table["period"] == "fit"]
    oos = out_of_sample(table)
    ew = fit["ew_error_pp"].dropna().astype(float)
    s = {
        "in_sample_rate_mae_pp": float(np.mean(np.abs(fit["rate_error_pp"]))),
        "in_sample_rate_bias_pp": float(np.mean(fit["rate_error_pp"])),
        "in_sample_ew_share_mae_pp": float(np.mean(np.abs(ew))) if len(ew) else math.nan,
        "in_sample_launch_max_abs_error_pct": float(np.max(np.abs(fit["launch_error_pct"]))),
        "in_sample_launch_mae_pct": float(np.mean(np.abs(fit["launch_error_pct"]))),
        "out_of_sample_rate_mae_pp": oos["rate_mae_pp"],
        "out_of_sample_rate_bias_pp": oos["rate_bias_pp"],
        "out_of_sample_launch_max_abs_error_pct": float(
            np.max(np.abs(table.loc[table["period"] == "out_of_sample", "launch_error_pct"]))
        ) if (table["period"] == "out_of_sample").any() else math.nan,
        "out_of_sample_launch_mae_pct": oos["launch_mae_pct"],
        "targets": dict(TARGETS),
    }
    s["in_sample_rate_target_met"] = s["in_sample_rate_mae_pp"] <= TARGETS["in_sample_rate_mae_pp"]
    s["in_sample_launch_target_met"] = (
        s["in_sample_launch_max_abs_error_pct"] <= TARGETS["in_sample_launch_error_pct"]
    )
    return s


def calibrate_defense(
    record: str | Path,
    scenario_path: str | Path = DEFAULT_SCENARIO_PATH,
    out_path: str | Path = DEFAULT_CALIBRATION_PATH,
    *,
    update_scenario: bool = True,
    fit_replicates: int = 4,
    eval_replicates: int = 20,
    maxfev: int = 80,
    seed_sets: int = 4,
    progress: Progress = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """The whole defence calibration: fit, evaluate, write the JSON (and the scenario).

    Seeds: the fit uses the scenario's seed S (replicates 0..fit_replicates-1), the seed-set
    spread S+1..S+seed_sets, the evaluation S+100 and the predictive band S+200, so in-sample
    errors are measured on runs the fit never saw.

    Args:
        record: the Air Force record CSV (raw, nightly table or monthly aggregates).
        scenario_path: the Ukraine-posture scenario to fit.
        out_path: where the calibration JSON goes.
        update_scenario: write the fitted values into the scenario file.
        fit_replicates, eval_replicates, maxfev, seed_sets: sizes (see :func:`fit_defense`).
        progress: optional callable receiving progress lines.
        executor: optional executor for the replicates.

    Returns:
        The calibration dict as written.
    """
    from sim.config.io import load_scenario

    record = Path(record)
    observed = observed_monthly(record)
    scenario_path = Path(scenario_path)
    scenario = load_scenario(scenario_path)
    say = progress or (lambda _msg: None)
    say(f"Fitting {', '.join(p.name for p in DEFAULT_PARAMETERS)} to {FIT_MONTHS[0]}.."
        f"{FIT_MONTHS[-1]} ({fit_replicates} replicates per trial point)")
    fit = fit_defense(scenario, observed, FIT_MONTHS, DEFAULT_PARAMETERS,
                      replicates=fit_replicates, maxfev=maxfev, seed_sets=seed_sets,
                      progress=progress, executor=executor)
    theta = estimates(fit)
    fitted = apply_parameters(scenario, DEFAULT_PARAMETERS, theta)
    seed = int(scenario.seed)
    say(f"Evaluating Oct 2024 - Sep 2025 ({eval_replicates} replicates at the estimate and "
        f"{eval_replicates} with parameter draws)")
    table = evaluate_months(
        fitted, observed, FIT_MONTHS, TEST_MONTHS, seed=seed + 100, replicates=eval_replicates,
        predictive={"parameters": DEFAULT_PARAMETERS, "theta": theta,
                    "cov": fit["covariance_total"], "seed": seed + 200,
                    "replicates": eval_replicates, "draw_seed": seed + 300},
        executor=executor,
    )
    values = parameter_overrides(DEFAULT_PARAMETERS, theta)
    cal = {
        "what": "Defence calibration of the Ukraine-posture scenario against the Ukrainian Air "
                "Force record (monthly neutralisation rate), with an out-of-sample check.",
        "format": CALIBRATION_FORMAT,
        "created": dt.date.today().isoformat(),
        "command": FIT_COMMAND,
        "record": {
            "file": record.name,
            "sha256": sha256_of(record),
            "source": "Petro Ivaniuk / Kaggle piterfm, 'Massive Missile Attacks on Ukraine', "
                      "from Ukrainian Air Force reports",
            "licence": "CC BY-NC-SA 4.0 (the monthly figures below are derived aggregates)",
        },
        "scenario": {
            "file": _display_path(scenario_path),
            "name": scenario.name,
            "seed": seed,
            "start_date": scenario.period.start_date.isoformat(),
            "nights": scenario.period.nights,
            "fitted_values": values,
        },
        "fit": fit,
        "evaluation": {
            "seed": seed + 100,
            "replicates": int(eval_replicates),
            "predictive_seed": seed + 200,
            "predictive_draw_seed": seed + 300,
            "predictive_replicates": int(eval_replicates),
            "point": "median over replicates (launch_error_pct and rate_error_pp use it)",
            "fit_months": list(FIT_MONTHS),
            "test_months": list(TEST_MONTHS),
        },
        "months": table.to_dict("records"),
        "summary": summarise_errors(table),
    }
    write_calibration(cal, out_path)
    if update_scenario:
        update_scenario_file(scenario_path, values)
    return load_calibration(out_path)


def _display_path(p: Path) -> str:
    """A packaged scenario by its name in the repository, else the path as given."""
    try:
        if p.resolve().parent == DEFAULT_SCENARIO_PATH.resolve().parent:
            return f"scenarios/{p.name}"
    except OSError:
        pass
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)
