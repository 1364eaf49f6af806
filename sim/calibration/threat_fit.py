"""Threat calibration: the nightly launch profile of Shahed-type drones, fitted to the record.

Source: "Massive Missile Attacks on Ukraine" by Petro Ivaniuk (Kaggle ``piterfm``), digitised
from Ukrainian Air Force reports, CC BY-NC-SA 4.0. The fitted profile is a derivative and is
shared under the same licence (see ``sim/data/README_threat.md``). How report rows become
nights is in :mod:`sim.calibration.air_force_file`.

Pipeline::

    nights = load_air_force_record(csv)        # sim.calibration.air_force_file: a row a night
    profile = fit_threat_profile(nights)        # seasonal nightly launch model + trend
    counts = sample_nightly_launches(profile, dates, rng,       # sim.model.threat
                                     intensity_multiplier=level_multiplier(profile, dates))

:func:`fit_profile_until` fits the same model on the twelve months up to a given month only
(the rolling-origin validation, :mod:`sim.calibration.rolling_origin`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from sim.calibration.air_force_file import load_air_force_record
from sim.calibration.record import (
    LICENCE,
    MONTHLY_CSV_NAME,
    NIGHTS_CSV_NAME,
    SOURCE,
    check_nights,
    monthly_aggregates,
    sha256_of,
    write_monthly_csv,
    write_nights_csv,
)
from sim.calibration.simulate import one_blas_thread
from sim.config.data import packaged_path
from sim.config.errors import DataFileError
from sim.config.files import read_json_object
from sim.model.threat import (
    level_multiplier,
    month_table,
    sample_nightly_launches,
    years_between,
)

DEFAULT_PROFILE_PATH = packaged_path("threat_profile.json")

TREND_FROM = "2023-09-01"
MIN_NIGHTS_FOR_TREND_MONTH = 20
SIG_DIGITS = 6

# Bounds of the maximum-likelihood fit (log scale for means and dispersions).
_LOG_MEAN_BOUNDS = (math.log(0.5), math.log(1e5))
_LOG_DISP_BOUNDS = (math.log(0.05), math.log(1e4))
_LOGIT_P_BOUNDS = (-20.0, 20.0)
_P_SNAP = 1e-6  # fitted probabilities below this are reported as exactly 0


# --------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------


def fit_trend(
    nights_df: pd.DataFrame, trend_from: str = TREND_FROM, trend_to: str | None = None
) -> dict[str, Any]:
    """Log-linear trend of the monthly mean launches per night.

    Ordinary least squares of ``log(launched / nights)`` on the month's midpoint in years, over
    the calendar months from ``trend_from`` to ``trend_to`` (default: the end of the table) that
    have at least 20 nights in the table and at least one launch.

    Returns:
        ``{"trend_per_year", "intercept", "origin", "months"}``: the slope (log rate per year),
        the intercept at ``origin`` (the first month's first day) and the months used.
    """
    df = check_nights(nights_df)
    lo = pd.Timestamp(trend_from)
    hi = pd.Timestamp(trend_to) if trend_to is not None else df["_night"].max()
    df = df[(df["_night"] >= lo) & (df["_night"] <= hi)]
    df = df.assign(month=df["_night"].dt.to_period("M"))
    g = df.groupby("month", sort=True)["launched"].agg(["size", "sum"])
    g = g[(g["size"] >= MIN_NIGHTS_FOR_TREND_MONTH) & (g["sum"] > 0)]
    if len(g) < 3:
        raise DataFileError(
            f"nights table: fewer than 3 usable months for the trend between {trend_from} and "
            f"{hi.date()}"
        )
    mid = pd.DatetimeIndex([p.start_time + (p.end_time - p.start_time) / 2 for p in g.index])
    t = years_between(mid, lo)
    y = np.log(g["sum"].to_numpy(dtype=float) / g["size"].to_numpy(dtype=float))
    slope, intercept = np.polyfit(t, y, 1)
    return {
        "trend_per_year": float(slope),
        "intercept": float(intercept),
        "origin": str(lo.date()),
        "months": [str(p) for p in g.index],
    }




# --------------------------------------------------------------------------------------------
# Negative binomial mixture likelihood
# --------------------------------------------------------------------------------------------


def nb_logpmf_grad(y: np.ndarray, m: np.ndarray, k: np.ndarray):
    """Log-probability of the clipped NB count ``max(1, X)``, X ~ NB(mean m, size k).

    Returns ``(logp, d logp / d log m, d logp / d log k)``. ``y == 1`` is censored: P(X <= 1).
    """
    km = k + m
    log_q = np.log(k) - np.log(km)  # log(k / (k + m))
    logp = (
        special.gammaln(y + k) - special.gammaln(k) - special.gammaln(y + 1.0)
        + k * log_q + y * (np.log(m) - np.log(km))
    )
    d_m = k * (y - m) / km
    d_k = k * (special.digamma(y + k) - special.digamma(k) + log_q + (m - y) / km)
    cens = y <= 1
    if np.any(cens):
        kc, mc, kmc, lqc = k[cens], m[cens], km[cens], log_q[cens]
        u = kc * mc / kmc
        logp[cens] = kc * lqc + np.log1p(u)
        d_m[cens] = -kc * mc / kmc + (kc * kc * mc / kmc**2) / (1.0 + u)
        d_k[cens] = kc * (lqc + mc / kmc) + (kc * mc * mc / kmc**2) / (1.0 + u)
    return logp, d_m, d_k


def _unpack(theta: np.ndarray, n_months: int):
    a = theta[:n_months]
    b = theta[n_months: 2 * n_months]
    c = theta[2 * n_months: 3 * n_months]
    return a, b, c, theta[3 * n_months], theta[3 * n_months + 1]


def _mixture_negloglik(theta, y, month, offset_log, n_months):
    """Negative log-likelihood and gradient of the nightly mixture on attack nights."""
    a, b, c, d, e = _unpack(theta, n_months)
    m_n = np.exp(a[month] + offset_log)
    k_n = np.exp(b[month])
    m_s = np.exp(d + offset_log)
    k_s = np.full_like(m_s, math.exp(e))
    p = special.expit(c[month])
    ln, gm_n, gk_n = nb_logpmf_grad(y, m_n, k_n)
    ls, gm_s, gk_s = nb_logpmf_grad(y, m_s, k_s)
    log1mp = -np.logaddexp(0.0, c[month])  # log(1 - p)
    logp = -np.logaddexp(0.0, -c[month])  # log(p)
    ll = np.logaddexp(log1mp + ln, logp + ls)
    w_n = np.exp(log1mp + ln - ll)
    w_s = 1.0 - w_n
    grad = np.empty_like(theta)
    grad[:n_months] = np.bincount(month, w_n * gm_n, n_months)
    grad[n_months: 2 * n_months] = np.bincount(month, w_n * gk_n, n_months)
    grad[2 * n_months: 3 * n_months] = np.bincount(month, w_s - p, n_months)
    grad[3 * n_months] = np.sum(w_s * gm_s)
    grad[3 * n_months + 1] = np.sum(w_s * gk_s)
    return -float(np.sum(ll)), -grad


def _moment_dispersion(z: np.ndarray) -> float:
    if len(z) < 2:
        return 5.0
    mu, var = float(np.mean(z)), float(np.var(z, ddof=1))
    if var <= mu:
        return 1e3
    return float(np.clip(mu * mu / (var - mu), 0.1, 1e3))


def _fit_mixture(y, month, offset_log, n_months, salvo_ratio_start=(2.5, 2.0, 3.5)):
    """Maximum-likelihood fit of the mixture; several deterministic starts, best one kept."""
    z = y / np.exp(offset_log)  # counts at reference level
    bounds = (
        [_LOG_MEAN_BOUNDS] * n_months + [_LOG_DISP_BOUNDS] * n_months
        + [_LOGIT_P_BOUNDS] * n_months + [_LOG_MEAN_BOUNDS, _LOG_DISP_BOUNDS]
    )
    best = None
    for ratio in salvo_ratio_start:
        med = np.array([np.median(z[month == j]) for j in range(n_months)])
        salvo = z > ratio * med[month]
        if salvo.sum() < 2:
            salvo = z >= np.quantile(z, 0.95)
        a0, b0, c0 = [], [], []
        for j in range(n_months):
            zj, sj = z[month == j], salvo[month == j]
            zn = zj[~sj] if (~sj).sum() >= 2 else zj
            a0.append(math.log(max(float(np.mean(zn)), 1.0)))
            b0.append(math.log(_moment_dispersion(zn)))
            frac = float(np.clip(sj.mean(), 0.01, 0.5))
            c0.append(math.log(frac / (1.0 - frac)))
        zs = z[salvo]
        theta0 = np.array(
            a0 + b0 + c0 + [math.log(float(np.mean(zs))), math.log(_moment_dispersion(zs))]
        )
        theta0 = np.clip(theta0, [lo for lo, _ in bounds], [hi for _, hi in bounds])
        res = optimize.minimize(
            _mixture_negloglik, theta0, args=(y, month, offset_log, n_months), jac=True,
            method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000, "ftol": 1e-13,
                                                       "gtol": 1e-8},
        )
        if best is None or res.fun < best.fun - 1e-9:
            best = res
    return best


# --------------------------------------------------------------------------------------------
# Profile fit
# --------------------------------------------------------------------------------------------


def _reference_date(fit_from: pd.Timestamp, fit_to: pd.Timestamp) -> pd.Timestamp:
    span = fit_to - fit_from + pd.Timedelta(days=1)
    return (fit_from + span / 2).normalize()


def fit_threat_profile(
    nights_df: pd.DataFrame,
    fit_from: str = "2024-10-01",
    fit_to: str = "2025-09-30",
    trend_from: str = TREND_FROM,
) -> dict[str, Any]:
    """Fit the seasonal nightly launch model to a nightly table.

    Generative model for a night in calendar month ``m`` with level multiplier ``g``
    (``g = exp(trend_per_year * years since reference_date)``, see :func:`level_multiplier`)::

        attack  ~ Bernoulli(p_attack_night[m])
        salvo   ~ Bernoulli(p_salvo[m])                      (only matters on attack nights)
        X       ~ NB(mean = g * mean[m],       size = dispersion[m])        if not salvo
                  NB(mean = g * salvo_mean[m], size = salvo_dispersion[m])  if salvo
        count   = max(1, X) on attack nights, 0 otherwise     (NB variance = mu + mu^2 / size)

    Fitting: ``p_attack_night`` is the share of nights with launches in month ``m`` of the fit
    window. On attack nights the two-component mixture is fitted by maximum likelihood
    (L-BFGS-B, analytic gradient, three deterministic starts): a month-specific normal component
    (mean, dispersion) and a month-specific salvo probability, with ONE salvo component
    (size at reference level, dispersion) shared by all months, because a single month holds
    0 to 11 salvo nights. Each night's means carry the trend offset ``g``, so every level in the
    profile is a level at ``reference_date`` (the middle of the fit window) and nights from
    different parts of the window are comparable. The trend is fitted first by
    :func:`fit_trend` over the months from ``trend_from`` to the end of the table.

    Args:
        nights_df: output of :func:`load_air_force_record` (needs ``night``, ``launched``;
            ``is_shahed``/``is_shahed_launched`` for the decoy share).
        fit_from, fit_to: inclusive fit window (dates of the nights); must cover all 12 months.
        trend_from: first month of the trend fit.

    Returns:
        The profile dict (see ``sim/data/README_threat.md``), floats not yet rounded.

    Raises:
        DataFileError: the fit window holds no data for some calendar month or no attack night.
    """
    df = check_nights(nights_df)
    lo, hi = pd.Timestamp(fit_from), pd.Timestamp(fit_to)
    if hi < lo:
        raise DataFileError(f"fit window: fit_to {fit_to} is before fit_from {fit_from}")
    ref = _reference_date(lo, hi)
    trend = fit_trend(df, trend_from=trend_from)
    rate = trend["trend_per_year"]

    win = df[(df["_night"] >= lo) & (df["_night"] <= hi)].copy()
    win["m"] = win["_night"].dt.month - 1
    counts = np.bincount(win["m"], minlength=12)
    if np.any(counts == 0):
        absent = [str(i + 1) for i in np.flatnonzero(counts == 0)]
        raise DataFileError(
            f"fit window {fit_from} to {fit_to}: no nights in calendar month(s) "
            f"{', '.join(absent)}; the window must cover all 12 months"
        )
    launched = win["launched"].to_numpy(dtype=float)
    attack = launched > 0
    if not np.any(attack):
        raise DataFileError(f"fit window {fit_from} to {fit_to}: no night with launches")
    attack_counts = np.bincount(win["m"][attack], minlength=12)
    p_attack = attack_counts / counts

    y = launched[attack]
    month = win["m"].to_numpy()[attack]
    offset_log = rate * years_between(win["_night"][attack], ref)
    with one_blas_thread():  # L-BFGS-B on 38 parameters: BLAS threads only cost time
        res = _fit_mixture(y, month, offset_log, 12)
    a, b, c, d, e = _unpack(res.x, 12)
    p_salvo = special.expit(c)
    p_salvo = np.where(p_salvo < _P_SNAP, 0.0, p_salvo)

    # Posterior salvo probability of each attack night, for the diagnostics.
    ln, _, _ = nb_logpmf_grad(y, np.exp(a[month] + offset_log), np.exp(b[month]))
    ls, _, _ = nb_logpmf_grad(y, np.exp(d + offset_log), np.full_like(y, math.exp(e)))
    pm = special.expit(c[month])
    post = pm * np.exp(ls) / (pm * np.exp(ls) + (1 - pm) * np.exp(ln))

    months: dict[str, dict[str, Any]] = {}
    for j in range(12):
        sel = win["m"].to_numpy() == j
        nights_j = win[sel]
        sel_att = month == j
        period = nights_j["_night"].dt.to_period("M")
        mid_dates = pd.DatetimeIndex(
            [p.start_time + (p.end_time - p.start_time) / 2 for p in sorted(set(period))]
        )
        months[str(j + 1)] = {
            "p_attack_night": float(p_attack[j]),
            "mean": float(math.exp(a[j])),
            "dispersion": float(math.exp(b[j])),
            "p_salvo": float(p_salvo[j]),
            "salvo_mean": float(math.exp(d)),
            "salvo_dispersion": float(math.exp(e)),
            "fit_months": sorted({str(p) for p in period}),
            "nights": int(sel.sum()),
            "attack_nights": int(sel_att.sum()),
            "observed_launched": int(nights_j["launched"].sum()),
            "observed_max_night": int(nights_j["launched"].max()),
            "expected_salvo_nights": round(float(post[sel_att].sum()), 3),
            "level_multiplier_at_fit_month": float(
                np.mean(np.exp(rate * years_between(mid_dates, ref)))
            ),
        }

    if "is_shahed" in df.columns and "is_shahed_launched" in df.columns:
        rep = df["is_shahed"].notna()
        denom = float(df.loc[rep, "is_shahed_launched"].sum())
        decoy = 1.0 - float(df.loc[rep, "is_shahed"].sum()) / denom if denom > 0 else None
        decoy_rows = int(rep.sum())
    else:
        decoy, decoy_rows = None, 0

    max_idx = int(df["launched"].to_numpy().argmax())
    return {
        "source": SOURCE,
        "licence": LICENCE,
        "fit_from": str(lo.date()),
        "fit_to": str(hi.date()),
        "method": (
            "Nights: Shahed-type rows (decoys included), national reports first, each report "
            "window assigned to the night (15:00 to 15:00) holding its midpoint. Per calendar "
            "month: p_attack_night = share of nights with launches; on attack nights "
            "count = max(1, X), X ~ (1 - p_salvo) NB(mean*g, dispersion) + "
            "p_salvo NB(salvo_mean*g, salvo_dispersion), NB size parametrisation "
            "(var = mu + mu^2/size), g = exp(trend_per_year * years since reference_date). "
            "Maximum likelihood (scipy L-BFGS-B) with month-specific normal component and "
            "salvo probability and one salvo component shared by all months. Means are levels "
            "at reference_date. Trend: OLS of log monthly mean launches per night on time, "
            f"months {trend['months'][0]} to {trend['months'][-1]}."
        ),
        "count_model": "max(1, NB); zero on non-attack nights",
        "levels_at": "reference_date",
        "reference_date": str(ref.date()),
        "trend_per_year": float(rate),
        "trend_from": trend["months"][0],
        "trend_to": trend["months"][-1],
        "trend_growth_factor_per_year": float(math.exp(rate)),
        "trend_per_year_fit_window": float(
            fit_trend(df, trend_from=str(lo.date()), trend_to=str(hi.date()))["trend_per_year"]
        ),
        "max_night": int(df["launched"].iloc[max_idx]),
        "max_night_date": str(df["_night"].iloc[max_idx].date()),
        "decoy_share": decoy,
        "decoy_share_rows": decoy_rows,
        "log_likelihood": float(-res.fun),
        "months": months,
    }


# --------------------------------------------------------------------------------------------
# Writing and loading
# --------------------------------------------------------------------------------------------


def round_all(obj: Any, digits: int = SIG_DIGITS) -> Any:
    """Copy of a JSON-like object with floats rounded to ``digits`` significant digits."""
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if x == 0.0 or not math.isfinite(x):
            return x
        return float(f"{x:.{digits - 1}e}")
    if isinstance(obj, dict):
        return {k: round_all(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [round_all(v, digits) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def write_threat_profile(profile: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write the profile as JSON atomically: floats rounded to 6 significant digits, 2-space
    indent (same profile, same bytes)."""
    from sim.config.files import atomic_write_json

    atomic_write_json(Path(path), round_all(dict(profile)))
    os.chmod(path, 0o644)  # a shipped data file is world-readable (mkstemp creates 0600)


def load_threat_profile(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read a threat profile JSON (default: the shipped ``sim/data/threat_profile.json``).

    Raises:
        DataFileError: missing file, invalid JSON, or missing/invalid keys.
    """

    p = Path(path) if path is not None else DEFAULT_PROFILE_PATH
    profile = read_json_object(p, what="threat profile")
    for key in ("reference_date", "trend_per_year", "months"):
        if key not in profile:
            raise DataFileError(f"{p}: missing key '{key}'")
    month_table(profile, where=str(p))
    return profile


def calibrate_threat(
    csv_path: str | os.PathLike, out_path: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Load the record, fit the profile and write it with the nightly and monthly tables.

    Args:
        csv_path: the Air Force record CSV.
        out_path: JSON output (default ``sim/data/threat_profile.json``). The monthly aggregates
            go to ``air_force_monthly.csv`` and the nights to ``air_force_nights.csv`` in the
            same directory.

    Returns:
        The profile as written (floats rounded to 6 significant digits). Same CSV, same bytes.
    """
    csv_path = Path(csv_path)
    nights = load_air_force_record(csv_path)
    try:
        profile = fit_threat_profile(nights)
    except DataFileError as exc:
        raise DataFileError(f"{csv_path}: {exc}") from exc
    profile = {
        **profile,
        "source_file": csv_path.name,
        "source_sha256": sha256_of(csv_path),
    }
    out = Path(out_path) if out_path is not None else DEFAULT_PROFILE_PATH
    write_monthly_csv(monthly_aggregates(nights), out.parent / MONTHLY_CSV_NAME)
    write_nights_csv(nights, out.parent / NIGHTS_CSV_NAME)
    write_threat_profile(profile, out)
    return round_all(profile)


def fit_profile_until(nights_df: pd.DataFrame, last_month: str,
                      trend_from: str = TREND_FROM) -> dict[str, Any]:
    """The profile fitted on the twelve calendar months ending with ``last_month`` only.

    Nights after ``last_month`` are dropped before anything is fitted (the trend too), so the
    result can be used to forecast the months after it. The profile's reference date is the
    middle of that twelve-month window.
    """
    end = pd.Period(last_month, freq="M")
    start = end - 11
    df = check_nights(nights_df)
    df = df[df["_night"] <= end.end_time.normalize()].drop(columns="_night")
    prof = fit_threat_profile(df, fit_from=str(start.start_time.date()),
                              fit_to=str(end.end_time.date()), trend_from=trend_from)
    prof["fitted_on_months_up_to"] = str(end)
    return prof


# --------------------------------------------------------------------------------------------
# Goodness of fit
# --------------------------------------------------------------------------------------------


def simulate_record(
    profile: Mapping[str, Any],
    nights_df: pd.DataFrame,
    rng: np.random.Generator,
    n_draws: int = 1000,
    thresholds: Sequence[int] = (300, 500),
) -> pd.DataFrame:
    """Compare the profile (with its trend multiplier) to the record month by month.

    Simulates every night of ``nights_df`` ``n_draws`` times with
    ``intensity_multiplier = level_multiplier(profile, nights)``.

    Returns:
        One row per month: ``month``, ``observed_total``, ``sim_mean_total``, ``sim_p05_total``,
        ``sim_p95_total``, ``ratio`` (sim mean / observed), and for each threshold T
        ``obs_share_gt_T`` and ``sim_share_gt_T`` (share of nights with more than T launches).
    """
    df = check_nights(nights_df)
    dates = pd.DatetimeIndex(df["_night"])
    mult = level_multiplier(profile, dates)
    months = dates.strftime("%Y-%m").to_numpy()
    labels, inv = np.unique(months, return_inverse=True)
    sims = np.stack(
        [sample_nightly_launches(profile, dates, rng, mult) for _ in range(n_draws)]
    )  # draws x nights
    totals = np.stack([np.bincount(inv, s, len(labels)) for s in sims])  # draws x months
    n_nights = np.bincount(inv, minlength=len(labels))
    obs = df["launched"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "month": labels,
            "observed_total": np.bincount(inv, obs, len(labels)).astype(np.int64),
            "sim_mean_total": totals.mean(axis=0),
            "sim_p05_total": np.quantile(totals, 0.05, axis=0),
            "sim_p95_total": np.quantile(totals, 0.95, axis=0),
        }
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = out["sim_mean_total"] / out["observed_total"]
    for t in thresholds:
        out[f"obs_share_gt_{t}"] = np.bincount(inv, obs > t, len(labels)) / n_nights
        sim_gt = (sims > t).sum(axis=0).astype(float)  # per night, count over draws
        out[f"sim_share_gt_{t}"] = np.bincount(inv, sim_gt, len(labels)) / (n_nights * n_draws)
    return out
