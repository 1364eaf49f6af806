"""Defence calibration against the Ukrainian Air Force record, out-of-sample check, oracles and
the validation report.

Pipeline (``python -m sim validate-model --refit --record CSV``)::

    observed = observed_monthly(csv)                       # the record, one row per month
    fit = fit_defense(scenario, observed)                  # Oct 2024 - Mar 2025
    fitted = apply_parameters(scenario, parameters, fit)   # the Ukraine posture, fitted
    months = evaluate_months(fitted, observed, ...)        # Oct 2024 - Sep 2025, replicates
    write_calibration(...)                                 # sim/data/defense_calibration.json
    write_report(out_dir)                                  # markdown + PNG figures

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

**How.** Objective: mean squared residual in percentage points over the fit months (both
series, equal weights), each month's simulated rate pooled over ``replicates`` runs of the same
seeds at every trial point (common random numbers), so the objective is nearly smooth in the
parameters. Minimised by Nelder-Mead (:func:`scipy.optimize.minimize`) on logit-transformed
parameters inside their bounds.

**Uncertainty.** From the Jacobian J of the residuals at the optimum (central differences,
same seeds): (1) curvature, ``s^2 (J'J)^-1`` with ``s^2`` the residual variance; (2) a bootstrap
over months: resample the fit months with replacement and re-solve the linearised least-squares
problem; (3) Monte Carlo noise: the residuals at the optimum under other seed sets, mapped to a
parameter shift by one Gauss-Newton step. The total standard deviation combines (2) and (3).

**Analytic oracles.** :func:`sim.oracles.run_oracles` runs the closed-form checks of the engine (the logic of
``tests/test_oracles.py`` and ``tests/model/test_geometry.py``) and returns expected and observed
values with confidence intervals for the report.

All randomness comes from seeded generators (:mod:`sim.rng` streams inside the model; a
``numpy`` ``Generator`` from a fixed seed for the bootstrap and the predictive draws).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from sim.calibration.oracles import OracleResult, run_oracles  # noqa: F401 (re-exported)
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError

DEFAULT_CALIBRATION_PATH = packaged_path("defense_calibration.json")
DEFAULT_SCENARIO_PATH = packaged_path("scenarios/ukraine-posture-2024.yaml")
DEFAULT_RECORD_NAME = "missile_attacks_daily_to_2025-09-30.csv"
DEFAULT_OUT_DIR = Path("results") / "validation"

FIT_MONTHS = ("2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03")
TEST_MONTHS = ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09")
EW_SHARE_LAST_MONTH = "2025-07"  # from 2025-08 not_reach_goal is folded into destroyed

TARGETS = {
    "in_sample_rate_mae_pp": 3.0,
    "in_sample_launch_error_pct": 15.0,
}
FIT_COMMAND = (
    "python -m sim validate-model --refit --record "
    "../shared/data/ukraine-air-attacks/missile_attacks_daily_to_2025-09-30.csv"
)
CALIBRATION_FORMAT = 1
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


# --------------------------------------------------------------------------------------------
# The record
# --------------------------------------------------------------------------------------------


def observed_monthly(path: str | Path) -> pd.DataFrame:
    """The record month by month, from the raw Air Force CSV or its monthly aggregate.

    Args:
        path: the Ivaniuk/Kaggle ``missile_attacks_daily`` CSV (raw record), or a monthly table
            with the columns of ``sim/data/air_force_monthly.csv``.

    Returns:
        Columns ``month`` (``YYYY-MM``), ``launched``, ``neutralised`` (destroyed +
        not_reach_goal), ``not_reach_goal``, ``rate`` (neutralised / launched) and ``ew_share``
        (not_reach_goal / launched; NaN from 2025-08, when the Air Force stopped reporting it).

    Raises:
        DataFileError: missing or unreadable file, or neither layout.
    """
    from sim.calibration.threat_fit import load_air_force_record, monthly_aggregates

    p = Path(path)
    if not p.exists():
        raise DataFileError(f"{p}: file not found (the Air Force record CSV is needed to refit)")
    if not p.is_file():
        raise DataFileError(f"{p}: not a regular file")
    try:
        head = pd.read_csv(p, nrows=0)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(f"{p}: cannot be read as a CSV file ({exc})") from exc
    monthly_cols = {"month", "launched", "neutralised", "not_reach_goal"}
    if monthly_cols <= set(head.columns):
        m = pd.read_csv(p, dtype={"month": str})
    else:
        m = monthly_aggregates(load_air_force_record(p))
    out = pd.DataFrame({
        "month": m["month"].astype(str),
        "launched": pd.to_numeric(m["launched"], errors="coerce"),
        "neutralised": pd.to_numeric(m["neutralised"], errors="coerce"),
        "not_reach_goal": pd.to_numeric(m["not_reach_goal"], errors="coerce"),
    })
    if out[["launched", "neutralised", "not_reach_goal"]].isna().any().any():
        raise DataFileError(f"{p}: non-numeric launched/neutralised/not_reach_goal values")
    launched = out["launched"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(launched > 0, out["neutralised"] / launched, np.nan)
        out["ew_share"] = np.where(
            (launched > 0) & (out["month"] <= EW_SHARE_LAST_MONTH),
            out["not_reach_goal"] / launched, np.nan,
        )
    return out.reset_index(drop=True)


def _obs_for(observed: pd.DataFrame, months: Sequence[str]) -> pd.DataFrame:
    obs = observed.set_index("month")
    missing = [m for m in months if m not in obs.index]
    if missing:
        raise DataFileError(f"record: no data for month(s) {', '.join(missing)}")
    return obs.loc[list(months)]


# --------------------------------------------------------------------------------------------
# Simulation by month
# --------------------------------------------------------------------------------------------

SIM_COUNTS = ("launched", "lost_ew", "destroyed", "destroyed_fire_groups", "destroyed_missiles",
              "destroyed_existing_interceptors", "tracked")


def _month_end(month: str) -> dt.date:
    p = pd.Period(month, freq="M")
    return p.end_time.date()


def _cut_period(scenario, last_month: str):
    """Scenario copy whose period ends with ``last_month`` (fits simulate only what they use)."""
    from sim.config.io import with_overrides

    start = scenario.period.start_date
    end = _month_end(last_month)
    nights = (end - start).days + 1
    if nights < 1:
        raise SimInputError(f"scenario starts {start}, after the fit months ending {end}")
    nights = min(nights, scenario.period.nights)
    return with_overrides(scenario, {"period.nights": nights}, source="fit period")


def simulate_months(scenario, seed: int, replicates: Sequence[int] | int,
                    scenarios: Sequence | None = None) -> pd.DataFrame:
    """Run replicates and sum each run's nights by calendar month.

    Args:
        scenario: the scenario (energy should be disabled for speed).
        seed: root seed.
        replicates: replicate numbers (or their count).
        scenarios: optional one scenario per replicate (predictive draws); default all the same.

    Returns:
        One row per replicate and month: ``replicate``, ``month`` and the counts
        :data:`SIM_COUNTS`, plus ``neutralised`` = destroyed + lost_ew.
    """
    from sim.experiments.runs import run_one

    reps = list(range(replicates)) if isinstance(replicates, int) else list(replicates)
    frames = []
    for i, r in enumerate(reps):
        sc = scenario if scenarios is None else scenarios[i]
        nights = run_one(sc, seed=seed, replicate=r).nights
        nights = nights.assign(month=nights["date"].str[:7])
        g = nights.groupby("month", sort=True)[list(SIM_COUNTS)].sum().reset_index()
        g.insert(0, "replicate", r)
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    out["neutralised"] = out["destroyed"] + out["lost_ew"]
    return out


def pooled_monthly(sim: pd.DataFrame) -> pd.DataFrame:
    """Monthly rates pooled over replicates: sum neutralised / sum launched (and EW share)."""
    g = sim.groupby("month", sort=True)[["launched", "neutralised", "lost_ew"]].sum()
    launched = g["launched"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        g["rate"] = np.where(launched > 0, g["neutralised"] / launched, np.nan)
        g["ew_share"] = np.where(launched > 0, g["lost_ew"] / launched, np.nan)
    return g


# --------------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------------


class _Objective:
    """Residuals (pp) of the fit months under fixed seeds; cached by parameter values."""

    def __init__(self, scenario, parameters, obs, seed, replicates, ew_weight, progress):
        self.scenario = scenario
        self.parameters = parameters
        self.obs = obs
        self.seed = seed
        self.replicates = replicates
        self.ew_weight = ew_weight
        self.progress = progress
        self.cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.evaluations = 0

    def monthly(self, theta, seed=None) -> tuple[np.ndarray, np.ndarray]:
        """(rate residuals, EW-share residuals), pp, one per fit month (NaN: not used)."""
        seed = self.seed if seed is None else seed
        key = (seed, *(round(float(x), 10) for x in theta))
        if key in self.cache:
            return self.cache[key]
        sc = apply_parameters(self.scenario, self.parameters, theta)
        pooled = pooled_monthly(simulate_months(sc, seed, self.replicates))
        pooled = pooled.reindex(self.obs.index)
        r_rate = 100.0 * (pooled["rate"].to_numpy(float) - self.obs["rate"].to_numpy(float))
        r_ew = 100.0 * (pooled["ew_share"].to_numpy(float)
                        - self.obs["ew_share"].to_numpy(float)) * self.ew_weight
        self.cache[key] = (r_rate, r_ew)
        self.evaluations += 1
        if self.progress is not None:
            vals = ", ".join(f"{p.name}={x:.4f}" for p, x in zip(self.parameters, theta,
                                                                  strict=True))
            self.progress(f"  eval {self.evaluations:3d}: {vals}: rate MAE "
                          f"{np.nanmean(np.abs(r_rate)):.2f} pp, EW MAE "
                          f"{np.nanmean(np.abs(r_ew)):.2f} pp")
        return r_rate, r_ew

    def residuals(self, theta, seed=None) -> np.ndarray:
        r_rate, r_ew = self.monthly(theta, seed)
        r = np.concatenate([r_rate, r_ew])
        return r[np.isfinite(r)]

    def value(self, theta) -> float:
        r = self.residuals(theta)
        return float(np.mean(r * r))


def _to_z(theta, parameters) -> np.ndarray:
    lo = np.array([p.lower for p in parameters])
    hi = np.array([p.upper for p in parameters])
    s = np.clip((np.asarray(theta, float) - lo) / (hi - lo), 1e-6, 1 - 1e-6)
    return special.logit(s)


def _from_z(z, parameters) -> np.ndarray:
    lo = np.array([p.lower for p in parameters])
    hi = np.array([p.upper for p in parameters])
    return lo + (hi - lo) * special.expit(np.asarray(z, float))


def _jacobian(obj: _Objective, theta: np.ndarray, parameters, rel_step: float):
    """Central-difference Jacobian of the per-month residuals (rate rows, then EW rows)."""
    m = len(obj.obs)
    jr = np.zeros((m, len(theta)))
    je = np.zeros((m, len(theta)))
    for i, par in enumerate(parameters):
        h = rel_step * (par.upper - par.lower)
        up = theta.copy()
        dn = theta.copy()
        up[i] = min(theta[i] + h, par.upper)
        dn[i] = max(theta[i] - h, par.lower)
        ru, eu = obj.monthly(up)
        rd, ed = obj.monthly(dn)
        jr[:, i] = (ru - rd) / (up[i] - dn[i])
        je[:, i] = (eu - ed) / (up[i] - dn[i])
    return jr, je


def _stack(jr, je, rr, re_, rows=None):
    """Stack the rows of the months ``rows`` (default all); drop residuals that are NaN."""
    if rows is not None:
        jr, je, rr, re_ = jr[rows], je[rows], rr[rows], re_[rows]
    j = np.vstack([jr, je])
    r = np.concatenate([rr, re_])
    ok = np.isfinite(r) & np.isfinite(j).all(1)
    return j[ok], r[ok]


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
    xatol: float = 0.01,
    fatol: float = 0.002,
    jacobian_step: float = 0.02,
    seed_sets: int = 4,
    bootstrap: int = 2000,
    bootstrap_seed: int = 20250401,
    progress: Progress = None,
) -> dict[str, Any]:
    """Fit defence parameters to the record's monthly neutralisation rate and EW share.

    Args:
        scenario: the base scenario (e.g. ``scenarios/ukraine-posture-2024.yaml``); it must
            cover ``fit_months``. Only the nights up to the last fit month are simulated.
        observed: :func:`observed_monthly` output (``month``, ``rate``, ``ew_share``).
        fit_months: the months fitted (``YYYY-MM``).
        parameters: what is fitted (:data:`DEFAULT_PARAMETERS`).
        seed: root seed of the fit's common random numbers (default: the scenario's).
        replicates: runs per trial point (replicates 0..n-1 of ``seed``).
        ew_weight: weight of the EW-share residuals relative to the rate residuals.
        maxfev, xatol, fatol: Nelder-Mead limits (xatol in logit units, fatol in pp^2).
        jacobian_step: finite-difference step, as a fraction of each parameter's range.
        seed_sets: other seed sets (``seed + k``) for the Monte Carlo part of the uncertainty.
        bootstrap: resamples of the month bootstrap (0: none).
        bootstrap_seed: seed of the bootstrap's generator.
        progress: optional callable receiving progress lines.

    Returns:
        A JSON-ready dict: ``parameters`` (estimate, bounds, standard errors, intervals,
        scenario values), ``objective``, ``evaluations``, ``seed``, ``replicates``,
        ``monthly_fit`` (residuals per month at the optimum) and the settings.
    """
    if replicates < 1:
        raise SimInputError("replicates must be >= 1")
    if not parameters:
        raise SimInputError("no parameters to fit")
    seed = int(scenario.seed if seed is None else seed)
    months = list(fit_months)
    obs = _obs_for(observed, months)[["rate", "ew_share"]].astype(float)
    sc = _cut_period(scenario, months[-1])
    obj = _Objective(sc, list(parameters), obs, seed, replicates, ew_weight, progress)
    t0 = time.perf_counter()

    z0 = _to_z([p.start for p in parameters], parameters)
    simplex = np.vstack([z0] + [z0 + 0.8 * np.eye(len(z0))[i] for i in range(len(z0))])
    res = optimize.minimize(
        lambda z: obj.value(_from_z(z, parameters)), z0, method="Nelder-Mead",
        options={"initial_simplex": simplex, "xatol": xatol, "fatol": fatol,
                 "maxfev": maxfev},
    )
    theta = _from_z(res.x, parameters)
    r_rate, r_ew = obj.monthly(theta)
    n_fit_evals = obj.evaluations

    # Uncertainty: Jacobian at the optimum, same seeds.
    jr, je = _jacobian(obj, theta, parameters, jacobian_step)
    j, r = _stack(jr, je, r_rate, r_ew)
    n_res, n_par = j.shape
    jtj = j.T @ j
    try:
        jtj_inv = np.linalg.inv(jtj)
    except np.linalg.LinAlgError:
        jtj_inv = np.linalg.pinv(jtj)
    dof = max(n_res - n_par, 1)
    s2 = float(r @ r) / dof
    cov_curv = s2 * jtj_inv

    # Month bootstrap of the linearised problem.
    rng = np.random.default_rng(bootstrap_seed)
    m = len(months)
    boot = []
    for _ in range(int(bootstrap)):
        rows = rng.integers(0, m, m)
        jb, rb = _stack(jr, je, r_rate, r_ew, rows)
        a = jb.T @ jb
        if jb.shape[0] < n_par or np.linalg.cond(a) > 1e12:
            continue
        boot.append(theta - np.linalg.solve(a, jb.T @ rb))
    boot = np.array(boot) if boot else np.zeros((0, n_par))
    lo_b = np.array([p.lower for p in parameters])
    hi_b = np.array([p.upper for p in parameters])
    boot = np.clip(boot, lo_b, hi_b)
    cov_boot = np.cov(boot.T).reshape(n_par, n_par) if len(boot) > 1 else np.zeros((n_par,) * 2)

    # Monte Carlo noise: other seed sets, one Gauss-Newton step from the optimum.
    shifts = []
    for k in range(1, int(seed_sets) + 1):
        rk_rate, rk_ew = obj.monthly(theta, seed=seed + k)
        _, rk = _stack(jr, je, rk_rate, rk_ew)
        shifts.append(theta - jtj_inv @ (j.T @ rk))
    shifts = np.array(shifts) if shifts else np.zeros((0, n_par))
    cov_seed = np.cov(shifts.T).reshape(n_par, n_par) if len(shifts) > 1 else np.zeros(
        (n_par, n_par))
    cov_total = cov_boot + cov_seed

    out_pars = []
    for i, par in enumerate(parameters):
        est = float(theta[i])
        sd_total = math.sqrt(max(cov_total[i, i], 0.0))
        out_pars.append({
            **par.to_dict(),
            "estimate": est,
            "se_curvature": math.sqrt(max(cov_curv[i, i], 0.0)),
            "sd_bootstrap_months": math.sqrt(max(cov_boot[i, i], 0.0)),
            "ci90_bootstrap_months": (
                [float(np.quantile(boot[:, i], 0.05)), float(np.quantile(boot[:, i], 0.95))]
                if len(boot) else [math.nan, math.nan]
            ),
            "sd_seed_sets": math.sqrt(max(cov_seed[i, i], 0.0)),
            "sd_total": sd_total,
            "at_bound": bool(abs(est - par.lower) < 1e-3 * (par.upper - par.lower)
                             or abs(est - par.upper) < 1e-3 * (par.upper - par.lower)),
            "scenario_values": par.values(est),
        })
    monthly_fit = [
        {"month": mo, "observed_rate": float(obs["rate"].iloc[i]),
         "observed_ew_share": _nan_to_none(obs["ew_share"].iloc[i]),
         "residual_rate_pp": float(r_rate[i]),
         "residual_ew_share_pp": _nan_to_none(r_ew[i] / ew_weight if ew_weight else math.nan)}
        for i, mo in enumerate(months)
    ]
    return {
        "method": (
            "Nelder-Mead (scipy.optimize.minimize) on logit-transformed bounded parameters; "
            "objective: mean squared residual (percentage points) of the monthly neutralisation "
            "rate and EW-loss share over the fit months, each pooled over the same replicates "
            "(common random numbers). Uncertainty from the Jacobian at the optimum (central "
            "differences): curvature s^2 (J'J)^-1, a bootstrap over months of the linearised "
            "problem, and other seed sets mapped by one Gauss-Newton step; sd_total combines "
            "the bootstrap and seed-set covariances."
        ),
        "fit_months": months,
        "seed": seed,
        "replicates": int(replicates),
        "seed_sets": [seed + k for k in range(1, int(seed_sets) + 1)],
        "ew_weight": float(ew_weight),
        "nights_simulated": int(sc.period.nights),
        "objective_pp2": float(res.fun),
        "converged": bool(res.success),
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
    obs = _obs_for(observed, months)[["rate", "ew_share"]].astype(float)
    obj = _Objective(_cut_period(scenario, months[-1]), list(parameters), obs, int(seed),
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

    Returns:
        One row per month with ``period`` (``fit`` or ``out_of_sample``), the record
        (``obs_launched``, ``obs_rate``, ``obs_ew_share``), the replicate median, mean and
        5-95 % of launches, neutralisation rate and EW share, the errors
        (``launch_error_pct`` = median vs record, ``rate_error_pp``, ``ew_error_pp``), the kill
        shares by layer and, with ``predictive``, ``pred_rate_p05``/``pred_rate_p95``.
    """
    months = list(fit_months) + list(test_months)
    obs = _obs_for(observed, months)
    sim = simulate_months(scenario, seed, replicates)
    sim = sim[sim["month"].isin(months)]
    launched = sim["launched"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = sim.assign(
            rate=np.where(launched > 0, sim["neutralised"] / launched, np.nan),
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
            "obs_rate": float(o["rate"]),
            "obs_ew_share": _nan_to_none(o["ew_share"]),
        }
        for col, name in (("launched", "launched"), ("rate", "rate"), ("ew_share", "ew_share")):
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
        ps = simulate_months(scenario, int(predictive["seed"]), n_pred, scenarios=scs)
        ps = ps[ps["month"].isin(months)]
        pl = ps["launched"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ps = ps.assign(rate=np.where(pl > 0, ps["neutralised"] / pl, np.nan))
        pq = ps.groupby("month")["rate"]
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


def _round_sig(x: float) -> float:
    if x == 0.0 or not math.isfinite(x):
        return x
    return float(f"{x:.{SIG_DIGITS - 1}e}")


def _clean(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, floats to 6 significant digits, NaN to null."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return None if not math.isfinite(f) else _round_sig(f)
    return obj


def write_calibration(calibration: dict[str, Any], path: str | Path) -> None:
    """Write the calibration JSON atomically (rounded, NaN as null)."""
    from sim.config.io import atomic_write_text

    atomic_write_text(Path(path), json.dumps(_clean(calibration), indent=2) + "\n")
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


_FITTED_LINE = re.compile(
    r"^(?P<head>\s*[A-Za-z_][\w]*:\s*)(?P<value>[-+0-9.eE]+)(?P<tail>\s*#\s*fitted:\s*"
    r"(?P<path>[\w.]+).*)$"
)


def update_scenario_file(path: str | Path, values: dict[str, float]) -> None:
    """Write fitted values into the lines of a scenario file marked ``# fitted: KEY.PATH``.

    Every key path in ``values`` must have exactly one marked line; comments and layout are
    kept. The file is rewritten atomically and then reloaded to check the values.

    Raises:
        SimInputError: a key path without a marked line, or the result does not validate.
    """
    from sim.config.io import atomic_write_text, get_path, load_scenario

    p = Path(path)
    mode = p.stat().st_mode & 0o777
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    found: dict[str, int] = {}
    for i, line in enumerate(lines):
        m = _FITTED_LINE.match(line.rstrip("\n"))
        if m and m.group("path") in values:
            key = m.group("path")
            found[key] = found.get(key, 0) + 1
            v = values[key]
            text = f"{v:.4g}" if abs(v) >= 1e-3 else f"{v:.3e}"
            end = "\n" if line.endswith("\n") else ""
            lines[i] = f"{m.group('head')}{text}{m.group('tail')}{end}"
    bad = [k for k in values if found.get(k) != 1]
    if bad:
        raise SimInputError(
            f"{p}: needs exactly one line marked '# fitted: KEY' for {', '.join(bad)}")
    atomic_write_text(p, "".join(lines))
    os.chmod(p, mode)
    sc = load_scenario(p)
    for k, v in values.items():
        got = float(get_path(sc, k))
        if abs(got - v) > 1e-3 * max(1.0, abs(v)):
            raise SimInputError(f"{p}: {k} reads back as {got}, expected {v}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
) -> dict[str, Any]:
    """The whole defence calibration: fit, evaluate, write the JSON (and the scenario).

    Seeds: the fit uses the scenario's seed S (replicates 0..fit_replicates-1), the seed-set
    spread S+1..S+seed_sets, the evaluation S+100 and the predictive band S+200, so in-sample
    errors are measured on runs the fit never saw.

    Args:
        record: the Air Force record CSV (raw, or monthly aggregates).
        scenario_path: the Ukraine-posture scenario to fit.
        out_path: where the calibration JSON goes.
        update_scenario: write the fitted values into the scenario's ``# fitted:`` lines.
        fit_replicates, eval_replicates, maxfev, seed_sets: sizes (see :func:`fit_defense`).
        progress: optional callable receiving progress lines.

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
                      progress=progress)
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
            "sha256": _sha256(record),
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
    try:
        return str(p.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------------------------
# Figures (each returns (fig, ax); no pyplot state, so they work headless and in notebooks)
# --------------------------------------------------------------------------------------------


def _months_frame(cal: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(cal["months"])


def _boundary(ax, df: pd.DataFrame, left: str = "defence fit",
              right: str = "out of sample") -> None:
    n_fit = int((df["period"] == "fit").sum())
    if 0 < n_fit < len(df):
        ax.axvline(n_fit - 0.5, color="0.3", ls="--", lw=1)
        tr = ax.get_xaxis_transform()
        ax.text(n_fit - 0.6, 0.98, left, ha="right", va="top", fontsize=8, color="0.3",
                transform=tr)
        ax.text(n_fit - 0.4, 0.98, right, ha="left", va="top", fontsize=8, color="0.3",
                transform=tr)


def _labels(df: pd.DataFrame) -> list[str]:
    return [pd.Period(m, freq="M").strftime("%b\n%Y") if i in (0, len(df) - 1) or
            m.endswith("-01") else pd.Period(m, freq="M").strftime("%b")
            for i, m in enumerate(df["month"])]


def plot_launches(cal: dict[str, Any]):
    """Monthly launches: simulated median and 90% band over replicates against the record."""
    from matplotlib.figure import Figure

    df = _months_frame(cal)
    x = np.arange(len(df))
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(x, df["sim_launched_p05"], df["sim_launched_p95"], color="C0", alpha=0.25,
                    label="simulated 5-95 % over replicates")
    ax.plot(x, df["sim_launched_median"], color="C0", marker="o", ms=3,
            label="simulated median")
    ax.plot(x, df["obs_launched"], color="k", marker="s", ls="none", ms=5,
            label="reported (Air Force)")
    ax.set_xticks(x, _labels(df), fontsize=8)
    ax.set_ylabel("Shahed-type drones launched per month")
    ax.set_ylim(0, None)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title("Launches: the threat profile is fitted to all 12 months (a consistency check)",
                 fontsize=9)
    _boundary(ax, df, right="defence out of sample")
    return fig, ax


def plot_neutralisation(cal: dict[str, Any]):
    """Monthly neutralisation rate and EW-loss share: simulated (median, bands) vs reported."""
    from matplotlib.figure import Figure

    df = _months_frame(cal)
    x = np.arange(len(df))
    fig = Figure(figsize=(8, 6.2), layout="constrained")
    ax, ax2 = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    if "pred_rate_p05" in df:
        ax.fill_between(x, 100 * df["pred_rate_p05"], 100 * df["pred_rate_p95"], color="C1",
                        alpha=0.15, label="5-95 % with parameter uncertainty")
    ax.fill_between(x, 100 * df["sim_rate_p05"], 100 * df["sim_rate_p95"], color="C1",
                    alpha=0.35, label="5-95 % over replicates")
    ax.plot(x, 100 * df["sim_rate_median"], color="C1", marker="o", ms=3,
            label="simulated median")
    ax.plot(x, 100 * df["obs_rate"], color="k", marker="s", ls="none", ms=5,
            label="reported (destroyed + not reached) / launched")
    ax.set_ylabel("Neutralised (%)")
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    _boundary(ax, df)
    ew_obs = pd.to_numeric(df["obs_ew_share"], errors="coerce")
    ax2.fill_between(x, 100 * df["sim_ew_share_p05"], 100 * df["sim_ew_share_p95"], color="C2",
                     alpha=0.3, label="simulated 5-95 %")
    ax2.plot(x, 100 * df["sim_ew_share_median"], color="C2", marker="o", ms=3,
             label="simulated median (lost to EW)")
    ax2.plot(x, 100 * ew_obs, color="k", marker="s", ls="none", ms=5,
             label="reported not_reach_goal (to Jul 2025)")
    ax2.set_ylabel("Lost to EW (%)")
    ax2.set_xticks(x, _labels(df), fontsize=8)
    ax2.legend(fontsize=8, loc="lower left")
    ax2.grid(alpha=0.3)
    _boundary(ax2, df)
    return fig, (ax, ax2)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _f(x, digits=1, pct=False) -> str:
    if x is None:
        return "n/a"
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.{digits}f}" if pct else f"{x:.{digits}f}"


def _pct_or_na(x) -> str:
    v = _f(x, 1, True)
    return v if v == "n/a" else f"{v} %"


def _fmt_sig(x) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def report_markdown(cal: dict[str, Any], oracles: Sequence[OracleResult] | None) -> str:
    """The validation page (markdown) for a calibration dict and oracle results."""
    s = cal["summary"]
    fit = cal["fit"]
    ev = cal["evaluation"]
    df = _months_frame(cal)
    L: list[str] = []
    a = L.append
    a("# Model validation: calibration to the public record\n")
    a(f"Scenario `{cal['scenario']['file']}` ({cal['scenario']['name']}), "
      f"{cal['scenario']['nights']} nights from {cal['scenario']['start_date']}. "
      f"Record: `{cal['record']['file']}` ({cal['record']['source']}; "
      f"{cal['record']['licence']}). Calibration created {cal.get('created', 'n/a')} by "
      f"`{cal.get('command', FIT_COMMAND)}`.\n")
    a("Neutralisation rate = (destroyed + lost to EW) / launched in the model, against "
      "(destroyed + not_reach_goal) / launched in the record. From Aug 2025 the Air Force "
      "counts EW-suppressed drones under 'destroyed' and reports not_reach_goal as 0: the sum "
      "is comparable over the whole year, the EW share only up to Jul 2025.\n")
    a("## Headline\n")
    a("| measure | value | target |")
    a("|---|---|---|")
    a(f"| In-sample ({fit['fit_months'][0]} to {fit['fit_months'][-1]}) neutralisation rate, "
      f"mean absolute error | **{_f(s['in_sample_rate_mae_pp'], 2)} pp** | <= "
      f"{s['targets']['in_sample_rate_mae_pp']:g} pp "
      f"({'met' if s['in_sample_rate_target_met'] else 'NOT met'}) |")
    a(f"| In-sample monthly launch totals, largest absolute error | "
      f"**{_f(s['in_sample_launch_max_abs_error_pct'], 1)} %** | <= "
      f"{s['targets']['in_sample_launch_error_pct']:g} % "
      f"({'met' if s['in_sample_launch_target_met'] else 'NOT met'}) |")
    a(f"| In-sample EW-loss share, mean absolute error | "
      f"{_f(s['in_sample_ew_share_mae_pp'], 2)} pp | (fitted, no target) |")
    a(f"| **Out-of-sample** ({ev['test_months'][0]} to {ev['test_months'][-1]}) "
      f"neutralisation rate, mean absolute error | **{_f(s['out_of_sample_rate_mae_pp'], 2)} "
      f"pp** (mean signed error {_f(s['out_of_sample_rate_bias_pp'], 2)} pp) | reported, not "
      f"tuned |")
    a(f"| Out-of-sample monthly launch totals, largest absolute error | "
      f"{_f(s['out_of_sample_launch_max_abs_error_pct'], 1)} % | reported |")
    a("")
    a("Errors use the median over replicates as the model's prediction. The evaluation runs "
      f"(seed {ev['seed']}, {ev['replicates']} replicates) are not those of the fit "
      f"(seed {fit['seed']}).\n")

    a("## Figures\n")
    a("![Monthly launches, simulated vs reported](launches.png)\n")
    a("![Monthly neutralisation rate and EW-loss share, simulated vs reported]"
      "(neutralisation.png)\n")

    a("## Fitted parameters\n")
    a(f"Fitted to the {len(fit['fit_months'])} months {fit['fit_months'][0]} to "
      f"{fit['fit_months'][-1]}: monthly neutralisation rate and EW-loss share, "
      f"{fit['replicates']} replicates of seed {fit['seed']} at every trial point (common "
      f"random numbers), {fit['evaluations']} objective evaluations, objective "
      f"{_fmt_sig(fit['objective_pp2'])} pp^2, converged: {fit['converged']}.\n")
    a("| parameter | meaning | estimate | SE (curvature) | 90 % CI (month bootstrap) | "
      "SD (seed sets) | SD total | bounds | scenario values |")
    a("|---|---|---|---|---|---|---|---|---|")
    for p in fit["parameters"]:
        ci = p["ci90_bootstrap_months"]
        vals = "; ".join(f"`{k}` = {v:.4g}" for k, v in p["scenario_values"].items())
        a(f"| `{p['name']}` | {p['label']} | **{p['estimate']:.4f}** | "
          f"{p['se_curvature']:.4f} | {_fmt_sig(ci[0])} to {_fmt_sig(ci[1])} | "
          f"{p['sd_seed_sets']:.4f} | {p['sd_total']:.4f} | [{p['lower']:g}, {p['upper']:g}]"
          f"{' (at bound)' if p['at_bound'] else ''} | {vals} |")
    a("")
    a("SE (curvature): s^2 (J'J)^-1 from the Jacobian of the monthly residuals. Month "
      "bootstrap: fit months resampled with replacement, linearised refit. Seed sets: the fit's "
      f"residuals under seeds {', '.join(str(x) for x in fit['seed_sets'])}, one Gauss-Newton "
      "step. SD total combines the bootstrap and seed-set spreads; the light band in the "
      "neutralisation figure draws parameters from it.\n")

    a("## Month by month\n")
    a("| month | period | launched: reported | simulated median (5-95 %) | error | "
      "neutralised: reported | simulated median (5-95 %) | error (pp) | EW share: reported | "
      "simulated | kills by fire groups / missiles / interceptors (share of launched) |")
    a("|---|---|---|---|---|---|---|---|---|---|---|")
    for _, r in df.iterrows():
        a(f"| {r['month']} | {'fit' if r['period'] == 'fit' else 'out of sample'} | "
          f"{int(r['obs_launched']):,} | {r['sim_launched_median']:,.0f} "
          f"({r['sim_launched_p05']:,.0f}-{r['sim_launched_p95']:,.0f}) | "
          f"{r['launch_error_pct']:+.1f} % | {_f(r['obs_rate'], 1, True)} % | "
          f"{_f(r['sim_rate_median'], 1, True)} % ({_f(r['sim_rate_p05'], 1, True)}-"
          f"{_f(r['sim_rate_p95'], 1, True)}) | {r['rate_error_pp']:+.1f} | "
          f"{_pct_or_na(r['obs_ew_share'])} | "
          f"{_f(r['sim_ew_share_median'], 1, True)} % | "
          f"{_f(r['share_fire_groups'], 1, True)} / {_f(r['share_missiles'], 1, True)} / "
          f"{_f(r['share_existing_interceptors'], 1, True)} % |")
    a("")

    a("## Analytic oracles\n")
    if oracles is None:
        a("Not run (`--skip-oracles`).\n")
    else:
        a("Closed-form results the engine must reproduce in limiting cases (the logic of "
          "`tests/test_oracles.py` and `tests/model/test_geometry.py`, run now with fixed seeds). "
          "Pass: |observed - expected| <= 4 standard errors (deterministic checks: relative "
          "error <= 1e-9).\n")
        a("| check | quantity | closed form | expected | observed | 95 % CI of observed | n "
          "| pass |")
        a("|---|---|---|---|---|---|---|---|")
        for o in oracles:
            ci = "exact" if o.n == 1 else f"{o.ci_low:.4f} to {o.ci_high:.4f}"
            a(f"| {o.name} | {o.quantity} | {o.source} | {o.expected:.4f} | {o.observed:.4f} | "
              f"{ci} | {o.n:,} | {'yes' if o.passed else '**NO**'} |")
        a("")

    a("## Reading this page\n")
    a("- The fit has two free parameters and twelve monthly numbers to match (six rates, six "
      "EW shares); the in-sample error mostly measures month-to-month swings the model does "
      "not try to explain: it holds tactics and the defence constant over the year.")
    a("- The out-of-sample months are a real test: nothing from Apr-Sep 2025 entered the "
      "defence fit (the launch profile, fitted separately, does cover the whole year, so the "
      "launch totals are not an out-of-sample test).")
    a("- What the model is good for and where not to trust it: `docs/trust.md`; method and "
      "limits: `docs/validation.md`.")
    a("")
    a("Rebuild this page: `python -m sim validate-model --out DIR` (no refit, about a second "
      f"plus the oracles); refit: `{FIT_COMMAND}` (a few minutes).\n")
    return "\n".join(L)


def check_report_dir(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Refuse a report folder that is a file, or that holds other files (unless overwrite).

    A folder holding an earlier report (``validation.md``) is replaced without asking.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SimInputError(f"--out {out}: exists and is not a folder")
    if (out.exists() and any(out.iterdir()) and not (out / "validation.md").exists()
            and not overwrite):
        raise SimInputError(
            f"--out {out}: folder holds other files and no earlier validation report; choose "
            f"another folder or pass --overwrite to replace it")
    return out


def write_report(out_dir: str | Path = DEFAULT_OUT_DIR,
                 calibration: str | Path | dict[str, Any] | None = None, *,
                 run_oracles_now: bool = True, overwrite: bool = False) -> Path:
    """Write the validation report: ``validation.md``, ``launches.png``,
    ``neutralisation.png``, ``months.csv``, ``oracles.csv`` and a copy of the calibration.

    The folder is assembled next to ``out_dir`` and swapped in only when complete. An existing
    folder is replaced if it holds an earlier report (``validation.md``) or if ``overwrite``;
    otherwise it is refused.

    Args:
        out_dir: the report folder.
        calibration: a calibration dict or JSON path (default: the shipped one).
        run_oracles_now: run the analytic oracles (about a second).
        overwrite: replace a non-empty folder that is not an earlier report.

    Returns:
        The path of ``validation.md``.

    Raises:
        SimInputError: unreadable calibration, or an output folder that would be clobbered.
    """
    from sim.config.io import StagedDir, atomic_write_text

    cal = calibration if isinstance(calibration, dict) else load_calibration(calibration)
    out = check_report_dir(out_dir, overwrite)
    oracles = run_oracles() if run_oracles_now else None
    with StagedDir(out) as stage:
        fig, _ = plot_launches(cal)
        fig.savefig(stage / "launches.png", dpi=120)
        fig, _ = plot_neutralisation(cal)
        fig.savefig(stage / "neutralisation.png", dpi=120)
        atomic_write_text(stage / "months.csv",
                          _months_frame(cal).to_csv(index=False, lineterminator="\n"))
        if oracles is not None:
            rows = [{"name": o.name, "quantity": o.quantity, "closed_form": o.source,
                     "expected": o.expected, "observed": o.observed, "ci_low": o.ci_low,
                     "ci_high": o.ci_high, "n": o.n, "passed": o.passed} for o in oracles]
            atomic_write_text(stage / "oracles.csv",
                              pd.DataFrame(rows).to_csv(index=False, lineterminator="\n"))
        atomic_write_text(stage / "calibration.json", json.dumps(_clean(cal), indent=2) + "\n")
        atomic_write_text(stage / "validation.md", report_markdown(cal, oracles))
        for f in stage.iterdir():  # mkstemp/mkdtemp create private files; a report is shared
            os.chmod(f, 0o644)
        os.chmod(stage, 0o755)
    return out / "validation.md"
