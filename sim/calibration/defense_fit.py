"""Defence calibration against the Ukrainian Air Force record and its out-of-sample check.

Pipeline (``python -m sim validate-model --refit --record CSV``)::

    observed = observed_monthly(csv)                       # sim.calibration.record
    fit = fit_defense(scenario, observed)                  # Oct 2024 - Mar 2025
    fitted = apply_parameters(scenario, parameters, fit)   # the Ukraine posture, fitted
    months = evaluate_months(fitted, observed, ...)        # Oct 2024 - Sep 2025, replicates
    write_calibration(...)                                 # sim/data/defense_calibration.json
    update_scenario_file(...)                              # fitted values into the YAML

This module holds the parameters and the fit; the evaluation month by month and the whole run
(:func:`~sim.calibration.defense_calibration.calibrate_defense`) are in
:mod:`sim.calibration.defense_calibration`, the file handling in
:mod:`sim.calibration.calibration_files`.

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

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sim.calibration.calibration_files import (  # noqa: F401 (part of this module's API)
    DEFAULT_CALIBRATION_PATH,
    REQUIRED_KEYS,
    SIG_DIGITS,
    clean_json,
    load_calibration,
    update_scenario_file,
    write_calibration,
)
from sim.calibration.record import (
    EW_SHARE_LAST_MONTH,
    observed_monthly,
)
from sim.calibration.simulate import cut_period, pooled_monthly, simulate_months
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError

__all__ = [
    "DEFAULT_PARAMETERS", "EW_SHARE_LAST_MONTH", "FIT_MONTHS", "TEST_MONTHS", "FitParameter",
    "apply_parameters", "fit_defense",
    "load_calibration", "observed_monthly", "parameter_overrides", "pooled_monthly",
    "residuals_at", "simulate_months", "update_scenario_file",
    "write_calibration",
]

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


def observed_months(observed: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
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
    obs = observed_months(observed, months)[["interception_rate", "ew_share"]].astype(float)
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
         "observed_ew_share": nan_to_none(obs["ew_share"].iloc[i]),
         "residual_rate_pp": float(r_rate[i]),
         "residual_ew_share_pp": nan_to_none(r_ew[i] / ew_weight if ew_weight else math.nan)}
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
    obs = observed_months(observed, months)[["interception_rate", "ew_share"]].astype(float)
    obj = _Objective(cut_period(scenario, months[-1]), list(parameters), obs, int(seed),
                     int(replicates), 1.0, None)
    r_rate, r_ew = obj.monthly(np.asarray(theta, float))
    return pd.DataFrame({"month": months, "residual_rate_pp": r_rate,
                         "residual_ew_share_pp": r_ew})


def nan_to_none(x):
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
