"""Defence calibration against the Ukrainian Air Force record and its out-of-sample check.

Pipeline (``python -m sim validate-model --refit --record CSV``)::

    observed = observed_monthly(csv)                       # sim.calibration.record
    fit = fit_defense(scenario, observed)                  # Oct 2024 - Mar 2025
    fitted = apply_parameters(scenario, parameters, fit)   # the Ukraine posture, fitted
    months = evaluate_months(fitted, observed, ...)        # Oct 2024 - Sep 2025, replicates
    write_calibration(...)                                 # sim/data/defense_calibration.json
    update_scenario_file(...)                              # fitted values into the YAML

**What is fitted.** A small set of uncertain defence parameters (:data:`DEFAULT_PARAMETERS`):
the probability that a Shahed is lost to electronic warfare (decoys 1.5 times as likely) and
the kill probability of the mobile-fire-group layer per tracked drone still flying
(``p_engage x pk``, split evenly). Every other input is the sourced value in the scenario file.

**Against what.** Month by month, the simulated neutralisation rate, (destroyed + lost to EW) /
launched, against the record's (destroyed + not_reach_goal) / launched, and the simulated EW
loss share, lost to EW / launched, against the record's not_reach_goal / launched ("locationally
lost", attributed to EW). The second series separates EW from the kinetic layers, which the
total alone cannot. From Aug 2025 the Air Force folds "suppressed" into "destroyed" and reports
not_reach_goal as 0: the sum stays comparable, the EW share does not, so it is used only up
to Jul 2025.

**How.** Residuals in percentage points, one per fit month and series, each month's simulated
rate pooled over ``replicates`` runs of the same seeds at every trial point (common random
numbers), so the residuals are nearly smooth in the parameters. Minimised by
:func:`scipy.optimize.least_squares` (trust-region reflective, bounds, central-difference
Jacobian with a step of 2 % of each parameter's range, much larger than the Monte Carlo
graininess of the residuals).

**Uncertainty.** From the Jacobian J that ``least_squares`` returns at the optimum: (1) curvature,
``s^2 (J'J)^-1`` with ``s^2`` the residual variance; (2) a bootstrap over months
(:func:`scipy.stats.bootstrap`, percentile intervals): resample the fit months with replacement
and re-solve the linearised least-squares problem; (3) Monte Carlo noise: the residuals at the
optimum under other seed sets, mapped to a parameter shift by one Gauss-Newton step. The total
standard deviation combines (2) and (3).

**Writing the scenario.** The fitted values are written into the scenario YAML with a
round-trip YAML library (``ruamel.yaml``): comments, order and layout are kept and only the
fitted values change. The scenario therefore stays one complete, readable file (what a user
runs is what they read), rather than a file that points at the calibration.

All randomness comes from seeded generators (:mod:`sim.model.rng` streams inside the model; a
``numpy`` ``Generator`` from a fixed seed for the bootstrap and the predictive draws).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.calibration.record import (
    EW_SHARE_LAST_MONTH,
    interception_rate,
    observed_monthly,
    sha256_of,
)
from sim.calibration.simulate import SIM_COUNTS, cut_period, pooled_monthly, simulate_months
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError

__all__ = [
    "DEFAULT_PARAMETERS", "EW_SHARE_LAST_MONTH", "FIT_MONTHS", "TEST_MONTHS", "FitParameter",
    "apply_parameters", "calibrate_defense", "evaluate_months", "fit_defense",
    "load_calibration", "observed_monthly", "parameter_overrides", "pooled_monthly",
    "residuals_at", "simulate_months", "summarise_errors", "update_scenario_file",
    "write_calibration",
]

DEFAULT_CALIBRATION_PATH = packaged_path("defense_calibration.json")
DEFAULT_SCENARIO_PATH = packaged_path("scenarios/ukraine-posture-2024.yaml")

FIT_MONTHS = ("2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03")
TEST_MONTHS = ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09")

TARGETS = {
    "in_sample_rate_mae_pp": 3.0,
    "in_sample_launch_error_pct": 15.0,
}
FIT_COMMAND = (
    "python -m sim validate-model --refit --record "
    "path/to/missile_attacks_daily_to_2025-09-30.csv"
)
CALIBRATION_FORMAT = 2
SIG_DIGITS = 6

Progress = Callable[[str], None] | None


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitParameter:
    """One fitted parameter and the scenario values it sets.

    Each target is ``(key_path, factor, power)``: the scenario value at ``key_path`` becomes
    ``factor * value ** power``. So one parameter can move several scenario values together
    (e.g. the EW loss probability of Shaheds and, 1.5 times it, of decoys).

    Attributes:
        name: identifier used in outputs.
        label: one-line meaning, for the report.
        targets: scenario values set by the parameter.
        lower, upper: bounds of the search.
        start: starting value of the search.
    """

    name: str
    label: str
    targets: tuple[tuple[str, float, float], ...]
    lower: float
    upper: float
    start: float

    def values(self, x: float) -> dict[str, float]:
        """Scenario values (key path -> value) for parameter value ``x``."""
        return {path: float(f * x**p) for path, f, p in self.targets}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label, "lower": self.lower, "upper": self.upper,
            "start": self.start,
            "targets": [{"path": p, "factor": f, "power": w} for p, f, w in self.targets],
        }


DEFAULT_PARAMETERS: tuple[FitParameter, ...] = (
    FitParameter(
        name="p_lost_ew_shahed",
        label="Probability that a Shahed is lost to electronic warfare en route (decoys: 1.5 x)",
        targets=(("threat.types.shahed.p_lost_ew", 1.0, 1.0),
                 ("threat.types.decoy.p_lost_ew", 1.5, 1.0)),
        lower=0.02, upper=0.66, start=0.30,
    ),
    FitParameter(
        name="fire_group_kill_prob",
        label="Mobile-fire-group kill probability per tracked drone still flying "
              "(p_engage x pk; p_engage = pk = sqrt)",
        targets=(("defense.layers.mobile_fire_groups.p_engage", 1.0, 0.5),
                 ("defense.layers.mobile_fire_groups.pk", 1.0, 0.5)),
        lower=0.25, upper=1.0, start=0.60,
    ),
)


def parameter_overrides(parameters: Sequence[FitParameter], theta: Sequence[float]
                        ) -> dict[str, float]:
    """Scenario overrides (key path -> value) for parameter values ``theta``."""
    out: dict[str, float] = {}
    for par, x in zip(parameters, theta, strict=True):
        out.update(par.values(float(x)))
    return out


def apply_parameters(scenario, parameters: Sequence[FitParameter], theta: Sequence[float]):
    """A validated copy of ``scenario`` with the parameters set to ``theta``."""
    from sim.config.io import with_overrides

    return with_overrides(scenario, parameter_overrides(parameters, theta), source="fit")


def _obs_for(observed: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    obs = observed.set_index("month") if "month" in observed.columns else observed
    missing = [m for m in months if m not in obs.index]
    if missing:
        raise DataFileError(f"record: no data for month(s) {', '.join(missing)}")
    return obs.loc[list(months)]


# --------------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------------


class _Objective:
    """Residuals (pp) of the fit months under fixed seeds; cached by parameter values.

    The residual vector holds, for each fit month in order, the rate residual and then (where
    the record has one) the EW-share residual; :attr:`row_month` gives each row's month index.
    """

    def __init__(self, scenario, parameters, obs, seed, replicates, ew_weight, progress,
                 executor=None):
        self.scenario = scenario
        self.parameters = list(parameters)
        self.obs = obs
        self.seed = seed
        self.replicates = replicates
        self.ew_weight = ew_weight
        self.progress = progress
        self.executor = executor
        self.cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.evaluations = 0
        rate_ok = np.isfinite(obs["interception_rate"].to_numpy(float))
        ew_ok = np.isfinite(obs["ew_share"].to_numpy(float)) & (ew_weight > 0)
        rows = []
        for i in range(len(obs)):
            if rate_ok[i]:
                rows.append((i, 0))
            if ew_ok[i]:
                rows.append((i, 1))
        self.rows = rows
        self.row_month = np.array([i for i, _ in rows], dtype=int)

    def monthly(self, theta, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """(rate residuals, EW-share residuals), pp, one per fit month (NaN: not used)."""
        seed = self.seed if seed is None else seed
        key = (seed, *(round(float(x), 10) for x in theta))
        if key in self.cache:
            return self.cache[key]
        sc = apply_parameters(self.scenario, self.parameters, theta)
        pooled = pooled_monthly(simulate_months(sc, seed, self.replicates,
                                                executor=self.executor))
        pooled = pooled.reindex(self.obs.index)
        r_rate = 100.0 * (pooled["interception_rate"].to_numpy(float)
                          - self.obs["interception_rate"].to_numpy(float))
        r_ew = 100.0 * (pooled["ew_share"].to_numpy(float)
                        - self.obs["ew_share"].to_numpy(float)) * self.ew_weight
        self.cache[key] = (r_rate, r_ew)
        self.evaluations += 1
        if self.progress is not None:
            vals = ", ".join(f"{p.name}={x:.4f}" for p, x in zip(self.parameters, theta,
                                                                  strict=True))
            self.progress(f"  eval {self.evaluations:3d}: {vals}: rate MAE "
                          f"{np.nanmean(np.abs(r_rate)):.2f} pp, EW MAE "
                          f"{np.nanmean(np.abs(r_ew)) if np.isfinite(r_ew).any() else math.nan:.2f} pp")
        return r_rate, r_ew

    def vector(self, theta, seed=None) -> np.ndarray:
        """The residual vector (layout of :attr:`rows`); non-finite values become 0 with a
        warning-free large penalty (a month the model does not simulate is an input error)."""
        r_rate, r_ew = self.monthly(theta, seed)
        v = np.array([r_rate[i] if k == 0 else r_ew[i] for i, k in self.rows], dtype=float)
        if not np.all(np.isfinite(v)):
            bad = sorted({self.obs.index[i] for (i, _), x in zip(self.rows, v, strict=True)
                          if not np.isfinite(x)})
            raise SimInputError(f"the simulation has no launches in fit month(s) "
                                f"{', '.join(map(str, bad))}; cannot compare rates")
        return v


def _bounds(parameters) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([p.lower for p in parameters], float),
            np.array([p.upper for p in parameters], float))


def _rng_kw(rng: np.random.Generator) -> dict[str, Any]:
    """``rng=`` for scipy >= 1.15, ``random_state=`` before."""
    import inspect

    name = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"
    return {name: rng}


def _gauss_newton_step(j: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The least-squares solution d of J d = r (minimum norm if J is rank deficient)."""
    return np.linalg.lstsq(j, r, rcond=None)[0]


def fit_defense(
    scenario,
    observed: pd.DataFrame,
    fit_months: Sequence[str] = FIT_MONTHS,
    parameters: Sequence[FitParameter] = DEFAULT_PARAMETERS,
    *,
    seed: int | None = None,
    replicates: int = 4,
    ew_weight: float = 1.0,
    maxfev: int = 80,
    diff_step: float = 0.02,
    seed_sets: int = 4,
    bootstrap: int = 2000,
    bootstrap_seed: int = 20250401,
    progress: Progress = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Fit defence parameters to the record's monthly neutralisation rate and EW share.

    Args:
        scenario: the base scenario (e.g. ``scenarios/ukraine-posture-2024.yaml``); it must
            cover ``fit_months``. Only the nights up to the last fit month are simulated.
        observed: :func:`~sim.calibration.record.observed_monthly` output (``month``,
            ``interception_rate``,
            ``ew_share``).
        fit_months: the months fitted (``YYYY-MM``).
        parameters: what is fitted (:data:`DEFAULT_PARAMETERS`).
        seed: root seed of the fit's common random numbers (default: the scenario's).
        replicates: runs per trial point (replicates 0..n-1 of ``seed``).
        ew_weight: weight of the EW-share residuals relative to the rate residuals.
        maxfev: most simulated trial points of the search, Jacobian evaluations included
            (least_squares iterations = maxfev // (1 + 2 x parameters)).
        diff_step: finite-difference step, as a fraction of each parameter's range.
        seed_sets: other seed sets (``seed + k``) for the Monte Carlo part of the uncertainty.
        bootstrap: resamples of the month bootstrap (0: none).
        bootstrap_seed: seed of the bootstrap's generator.
        progress: optional callable receiving progress lines.
        executor: optional executor running the replicates of a trial point in parallel.

    Returns:
        A JSON-ready dict: ``parameters`` (estimate, bounds, standard errors, intervals,
        scenario values), ``objective``, ``evaluations``, ``seed``, ``replicates``,
        ``monthly_fit`` (residuals per month at the optimum) and the settings.
    """
    if replicates < 1:
        raise SimInputError("replicates must be >= 1")
    if not parameters:
        raise SimInputError("no parameters to fit")
    parameters = list(parameters)
    seed = int(scenario.seed if seed is None else seed)
    months = list(fit_months)
    obs = _obs_for(observed, months)[["interception_rate", "ew_share"]].astype(float)
    sc = cut_period(scenario, months[-1])
    obj = _Objective(sc, parameters, obs, seed, replicates, ew_weight, progress, executor)
    n_par = len(parameters)
    if len(obj.rows) < n_par:
        raise SimInputError(f"{len(obj.rows)} monthly figures cannot fit {n_par} parameters")
    lo, hi = _bounds(parameters)
    span = hi - lo
    t0 = time.perf_counter()

    # Search in unit coordinates u = (theta - lower) / (upper - lower), so one relative
    # finite-difference step is the same share of every parameter's range.
    def to_theta(u):
        return lo + span * np.clip(np.asarray(u, float), 0.0, 1.0)

    u0 = np.clip((np.array([p.start for p in parameters]) - lo) / span, 0.0, 1.0)
    res = optimize.least_squares(
        lambda u: obj.vector(to_theta(u)), u0, jac="3-point", bounds=(0.0, 1.0),
        method="trf", diff_step=diff_step, x_scale=1.0, xtol=1e-3, ftol=1e-4, gtol=1e-6,
        max_nfev=max(2, int(maxfev) // (1 + 2 * n_par)),
    )
    theta = to_theta(res.x)
    n_fit_evals = obj.evaluations
    r = obj.vector(theta)
    r_rate, r_ew = obj.monthly(theta)
    j = res.jac / span[None, :]  # d residual / d theta
    n_res = len(r)

    # (1) Curvature.
    jtj_inv = np.linalg.pinv(j.T @ j)
    dof = max(n_res - n_par, 1)
    s2 = float(r @ r) / dof
    cov_curv = s2 * jtj_inv

    # (2) Month bootstrap of the linearised problem (scipy.stats.bootstrap, percentile).
    m = len(months)
    row_month = obj.row_month

    def refit(month_idx, axis=-1):
        rows = np.concatenate([np.flatnonzero(row_month == k) for k in np.atleast_1d(month_idx)])
        return np.clip(theta - _gauss_newton_step(j[rows], r[rows]), lo, hi)

    if bootstrap and m >= 2:
        rng = np.random.default_rng(bootstrap_seed)
        bres = stats.bootstrap((np.arange(m),), refit, n_resamples=int(bootstrap),
                               vectorized=False, method="percentile", confidence_level=0.90,
                               **_rng_kw(rng))
        boot = np.asarray(bres.bootstrap_distribution, float).reshape(n_par, -1).T
        ci_lo = np.atleast_1d(bres.confidence_interval.low)
        ci_hi = np.atleast_1d(bres.confidence_interval.high)
        cov_boot = np.atleast_2d(np.cov(boot.T))
    else:
        boot = np.zeros((0, n_par))
        ci_lo = ci_hi = np.full(n_par, math.nan)
        cov_boot = np.zeros((n_par, n_par))

    # (3) Monte Carlo noise: other seed sets, one Gauss-Newton step from the optimum.
    shifts = np.array([theta - _gauss_newton_step(j, obj.vector(theta, seed=seed + k))
                       for k in range(1, int(seed_sets) + 1)]).reshape(-1, n_par)
    cov_seed = (np.atleast_2d(np.cov(shifts.T)) if len(shifts) > 1
                else np.zeros((n_par, n_par)))
    cov_total = cov_boot + cov_seed

    out_pars = []
    for i, par in enumerate(parameters):
        est = float(theta[i])
        out_pars.append({
            **par.to_dict(),
            "estimate": est,
            "se_curvature": math.sqrt(max(cov_curv[i, i], 0.0)),
            "sd_bootstrap_months": math.sqrt(max(cov_boot[i, i], 0.0)),
            "ci90_bootstrap_months": [float(ci_lo[i]), float(ci_hi[i])],
            "sd_seed_sets": math.sqrt(max(cov_seed[i, i], 0.0)),
            "sd_total": math.sqrt(max(cov_total[i, i], 0.0)),
            "at_bound": bool(abs(est - par.lower) < 1e-3 * (par.upper - par.lower)
                             or abs(est - par.upper) < 1e-3 * (par.upper - par.lower)),
            "scenario_values": par.values(est),
        })
    monthly_fit = [
        {"month": mo, "observed_rate": float(obs["interception_rate"].iloc[i]),
         "observed_ew_share": _nan_to_none(obs["ew_share"].iloc[i]),
         "residual_rate_pp": float(r_rate[i]),
         "residual_ew_share_pp": _nan_to_none(r_ew[i] / ew_weight if ew_weight else math.nan)}
        for i, mo in enumerate(months)
    ]
    return {
        "method": (
            "scipy.optimize.least_squares (trust-region reflective, bounds, central differences "
            f"with a step of {diff_step:g} of each parameter's range) on the residuals "
            "(percentage points) of the monthly neutralisation rate and EW-loss share over the "
            "fit months, each pooled over the same replicates (common random numbers). "
            "Uncertainty from the Jacobian at the optimum: curvature s^2 (J'J)^-1, a "
            "bootstrap over months of the linearised problem (scipy.stats.bootstrap, "
            "percentile), and other seed sets mapped by one Gauss-Newton step; sd_total "
            "combines the bootstrap and seed-set covariances."
        ),
        "fit_months": months,
        "seed": seed,
        "replicates": int(replicates),
        "seed_sets": [seed + k for k in range(1, int(seed_sets) + 1)],
        "ew_weight": float(ew_weight),
        "nights_simulated": int(sc.period.nights),
        "objective_pp2": float(np.mean(r * r)),
        "converged": bool(res.status > 0),
        "optimizer_message": str(res.message),
        "evaluations": int(n_fit_evals),
        "evaluations_total": int(obj.evaluations),
        "seconds": round(time.perf_counter() - t0, 1),
        "bootstrap": {"resamples": int(len(boot)), "seed": int(bootstrap_seed)},
        "covariance_total": cov_total.tolist(),
        "covariance_curvature": cov_curv.tolist(),
        "parameters": out_pars,
        "monthly_fit": monthly_fit,
    }


def residuals_at(
    scenario,
    observed: pd.DataFrame,
    theta: Sequence[float],
    fit_months: Sequence[str] = FIT_MONTHS,
    parameters: Sequence[FitParameter] = DEFAULT_PARAMETERS,
    *,
    seed: int,
    replicates: int,
) -> pd.DataFrame:
    """The fit's monthly residuals (pp) at parameter values ``theta`` under given seeds.

    Same simulation as one trial point of :func:`fit_defense`: replicates 0..n-1 of ``seed``,
    nights up to the last fit month, rates pooled over the replicates.

    Returns:
        One row per fit month: ``month``, ``residual_rate_pp``, ``residual_ew_share_pp``
        (NaN where the record has no EW share).
    """
    months = list(fit_months)
    obs = _obs_for(observed, months)[["interception_rate", "ew_share"]].astype(float)
    obj = _Objective(cut_period(scenario, months[-1]), list(parameters), obs, int(seed),
                     int(replicates), 1.0, None)
    r_rate, r_ew = obj.monthly(np.asarray(theta, float))
    return pd.DataFrame({"month": months, "residual_rate_pp": r_rate,
                         "residual_ew_share_pp": r_ew})


def _nan_to_none(x):
    x = float(x)
    return None if not math.isfinite(x) else x


def estimates(fit: dict[str, Any]) -> np.ndarray:
    """The fitted parameter values of a :func:`fit_defense` result, in order."""
    return np.array([p["estimate"] for p in fit["parameters"]], dtype=float)


def parameters_from_fit(fit: dict[str, Any]) -> tuple[FitParameter, ...]:
    """Rebuild the :class:`FitParameter` list stored in a fit result."""
    return tuple(
        FitParameter(
            name=p["name"], label=p["label"], lower=float(p["lower"]), upper=float(p["upper"]),
            start=float(p["start"]),
            targets=tuple((t["path"], float(t["factor"]), float(t["power"])) for t in p["targets"]),
        )
        for p in fit["parameters"]
    )


# --------------------------------------------------------------------------------------------
# Evaluation: in-sample and out-of-sample, month by month
# --------------------------------------------------------------------------------------------


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
    obs = _obs_for(observed, months)
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
            "obs_ew_share": _nan_to_none(o["ew_share"]),
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


# --------------------------------------------------------------------------------------------
# Calibration file and scenario update
# --------------------------------------------------------------------------------------------


def clean_json(obj: Any, digits: int = SIG_DIGITS) -> Any:
    """JSON-ready copy: numpy scalars to Python, floats to 6 significant digits, NaN to null."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_json(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean_json(obj.tolist(), digits)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        if not math.isfinite(f):
            return None
        return f if f == 0.0 else float(f"{f:.{digits - 1}e}")
    return obj


def write_calibration(calibration: dict[str, Any], path: str | Path) -> None:
    """Write the calibration JSON atomically (rounded, NaN as null, world-readable)."""
    from sim.config.io import atomic_write_json

    atomic_write_json(Path(path), clean_json(calibration))
    os.chmod(path, 0o644)  # a shipped data file is world-readable (mkstemp creates 0600)


REQUIRED_KEYS = ("fit", "evaluation", "months", "summary", "scenario")


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """Read a calibration JSON (default: the shipped ``sim/data/defense_calibration.json``).

    Raises:
        DataFileError: missing file, invalid JSON or missing keys.
    """
    p = Path(path) if path is not None else DEFAULT_CALIBRATION_PATH
    try:
        cal = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataFileError(
            f"{p}: file not found; run `python -m sim validate-model --refit --record CSV` to "
            f"create it") from exc
    except IsADirectoryError as exc:
        raise DataFileError(f"{p}: is a directory, not a calibration JSON file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{p}: not a readable JSON file ({exc})") from exc
    if not isinstance(cal, dict):
        raise DataFileError(f"{p}: top level must be a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in cal]
    if missing:
        raise DataFileError(f"{p}: missing key(s) {', '.join(missing)}")
    if not isinstance(cal["months"], list) or not cal["months"]:
        raise DataFileError(f"{p}: 'months' must be a non-empty list")
    return cal


def _round_trip_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines or folded text
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def update_scenario_file(path: str | Path, values: dict[str, float]) -> None:
    """Write fitted values into a scenario YAML file at their key paths.

    The file is read and written with a round-trip YAML library (``ruamel.yaml``): comments,
    key order, quoting and layout are kept; only the values at the given key paths change
    (rounded to 4 significant digits). Every key path must already be in the file (a fitted
    value is never added silently). The file is rewritten atomically, keeps its permissions,
    and is reloaded through the normal scenario loader to check the values.

    Raises:
        SimInputError: a key path not in the file, a file that is not a YAML mapping, or a
            result that does not validate.
    """
    from ruamel.yaml.error import YAMLError

    from sim.config.io import atomic_write_text, get_path, load_scenario

    p = Path(path)
    mode = p.stat().st_mode & 0o777
    y = _round_trip_yaml()
    try:
        doc = y.load(p.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise SimInputError(f"{p}: not a readable YAML file ({exc})") from None
    if not isinstance(doc, dict):
        raise SimInputError(f"{p}: top level must be a mapping")
    for key, v in values.items():
        node = doc
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                raise SimInputError(f"{p}: has no '{key}' to write the fitted value into")
            node = nxt
        if parts[-1] not in node:
            raise SimInputError(f"{p}: has no '{key}' to write the fitted value into")
        node[parts[-1]] = float(f"{float(v):.4g}")
    buf = io.StringIO()
    y.dump(doc, buf)
    atomic_write_text(p, buf.getvalue())
    os.chmod(p, mode)
    sc = load_scenario(p)
    for k, v in values.items():
        got = float(get_path(sc, k))
        if abs(got - v) > 1e-3 * max(1.0, abs(v)):
            raise SimInputError(f"{p}: {k} reads back as {got}, expected {v}")


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
