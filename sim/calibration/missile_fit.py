"""Missile calibration from the Ukrainian Air Force record (the second threat stream).

Source: "Massive Missile Attacks on Ukraine" by Petro Ivaniuk (Kaggle ``piterfm``), digitised
from Ukrainian Air Force reports, CC BY-NC-SA 4.0; weapon catalogue ``missiles_and_uavs.csv``
from the same dataset. The profile and monthly aggregates written by :func:`calibrate_missiles`
(``sim/data/missile_profile.json``) are derivatives, shared under the same licence (see
``sim/data/README_threat.md``).

Pipeline::

    nights = load_missile_record(csv)                   # one row per night, counts by class
    w = salvo_weights(load_air_force_record(csv), threat_profile)   # P(drone salvo | record)
    profile = fit_missile_profile(nights, w, fit_to="2025-09-30")
    sim.model.missile_threat.sample_nightly_missiles(profile, dates, rng, salvo=flags)

**Classes and nights.** How report labels become the classes ``cruise``, ``ballistic``,
``kh22``, ``kh59`` (and ``other``, left out of the model) and report windows become nights,
national rows first per class: :mod:`sim.calibration.missile_record`.

**Model** (fitted per calendar month over the 12 months ending at ``fit_to``): see
:mod:`sim.model.missile_threat`. A combined-strike night has at least 10 missiles of the four
classes. The drone big-salvo flag is not in the record; each night's probability of being a
drone salvo night, ``w``, is the posterior of the drone threat profile's mixture given the
night's drone count (:func:`salvo_weights`). Then P(combined | salvo) = sum(w C) / sum(w),
pooled over the window, and P(combined | not salvo)[m] = sum((1 - w) C) / sum(1 - w) over month
m. Sizes: per class, P(present) and a negative binomial of (count - 1) on present nights,
fitted by maximum likelihood (mean = sample mean, size by a bounded 1-D search), pooled over the
window, separately for combined and other nights; the mean on combined nights is then made
month-specific, shrunk towards the pooled mean with the weight of 2 nights. P(present) on other
nights is per calendar month. The ``recent`` entry is the same fit over the last
``level_months`` months before ``fit_to`` with no seasonal shape: a trend-free level for
forecasts from an origin.

All randomness in this module's users comes from passed generators; the fit is deterministic.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from sim.calibration.air_force_file import load_air_force_record
from sim.calibration.missile_record import ALL_CLASSES, class_counts, load_missile_record
from sim.calibration.record import LICENCE
from sim.calibration.threat_fit import (
    load_threat_profile,
    nb_logpmf_grad,
    round_all,
    write_threat_profile,
)
from sim.config.data import packaged_path
from sim.config.errors import DataFileError
from sim.model.missile_threat import (
    CLASSES,
    COMBINED_MIN_MISSILES,
    DAYS_PER_MONTH,
    PROFILE_NAME,
    expected_nightly_missiles,
    profile_arrays,
)
from sim.model.threat import MONTH_KEYS, as_datetime_index, level_multiplier, month_table

DEFAULT_PROFILE_PATH = packaged_path(PROFILE_NAME)
SOURCE = (
    'Petro Ivaniuk / Kaggle piterfm, "Massive Missile Attacks on Ukraine" '
    "(missile_attacks_daily.csv, missiles_and_uavs.csv), from Ukrainian Air Force reports"
)
DEFAULT_FIT_TO = "2025-09-30"
LEVEL_MONTHS = 6
SHRINK_NIGHTS = 2.0

_LOG_K_BOUNDS = (math.log(0.05), math.log(1e4))


# --------------------------------------------------------------------------------------------
# Salvo weights
# --------------------------------------------------------------------------------------------


def salvo_weights(drone_nights: pd.DataFrame, threat_profile: Mapping[str, Any],
                  dates=None) -> np.ndarray:
    """Posterior probability that each night was a drone big-salvo night.

    Uses the drone threat profile's mixture (``p_salvo``, normal and salvo components, levels
    scaled by :func:`sim.model.threat.level_multiplier`) and each night's Shahed-type count from
    :func:`sim.calibration.air_force_file.load_air_force_record`. Nights without drones get 0.

    Args:
        drone_nights: columns ``night``, ``launched``.
        threat_profile: the drone profile (e.g. the packaged ``threat_profile.json``).
        dates: nights to return (default: those of ``drone_nights``); missing nights get 0.

    Returns:
        float array, one weight per night.
    """
    table = month_table(threat_profile)
    d_idx = as_datetime_index(drone_nights["night"])
    y = drone_nights["launched"].to_numpy(dtype=float)
    m = d_idx.month.to_numpy() - 1
    g = level_multiplier(threat_profile, d_idx)
    par = table[m]
    i = {k: j for j, k in enumerate(MONTH_KEYS)}
    w = np.zeros(len(y))
    att = (y > 0) & (par[:, i["p_salvo"]] > 0)
    if att.any():
        ya = y[att]
        ln, _, _ = nb_logpmf_grad(ya, par[att, i["mean"]] * g[att], par[att, i["dispersion"]])
        ls, _, _ = nb_logpmf_grad(ya, par[att, i["salvo_mean"]] * g[att],
                                   par[att, i["salvo_dispersion"]])
        ps = par[att, i["p_salvo"]]
        w[att] = special.expit(np.log(ps) + ls - np.log1p(-np.minimum(ps, 1 - 1e-12)) - ln)
    if dates is None:
        return w
    s = pd.Series(w, index=d_idx.normalize())
    return s.reindex(as_datetime_index(dates).normalize()).fillna(0.0).to_numpy()


# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------


def _nb_size_mle(y: np.ndarray) -> float:
    """Maximum-likelihood NB size for counts y >= 0 with the mean fixed at the sample mean."""
    y = np.asarray(y, dtype=float)
    if y.size < 2 or y.mean() <= 0:
        return 1.0
    mu = float(y.mean())

    def nll(logk: float) -> float:
        k = math.exp(logk)
        return -float(np.sum(special.gammaln(y + k) - special.gammaln(k) + k * math.log(k / (k + mu))
                             + y * math.log(mu / (k + mu))))

    res = optimize.minimize_scalar(nll, bounds=_LOG_K_BOUNDS, method="bounded",
                                   options={"xatol": 1e-8})
    return float(math.exp(res.x))


def _size_fit(x: np.ndarray) -> tuple[float, float, float]:
    """(p_present, mean_present, dispersion) of counts x >= 0 (one class, some nights)."""
    if x.size == 0:
        return 0.0, 1.0, 1.0
    present = x > 0
    if not present.any():
        return 0.0, 1.0, 1.0
    y = x[present] - 1.0
    return float(present.mean()), float(1.0 + y.mean()), _nb_size_mle(y)


def _shrunk_mean(x: np.ndarray, pooled: float) -> float:
    xp = x[x > 0]
    return float((xp.sum() + SHRINK_NIGHTS * pooled) / (xp.size + SHRINK_NIGHTS))


def _shrunk_share(x: np.ndarray, pooled: float) -> float:
    return float(((x > 0).sum() + SHRINK_NIGHTS * pooled) / (x.size + SHRINK_NIGHTS))


def _tier_entry(x: np.ndarray, comb: np.ndarray, w: np.ndarray, pooled_comb_mean: np.ndarray,
                pooled_comb_present: np.ndarray) -> dict[str, Any]:
    """p_combined, p_combined_marginal, combined means and regular presence over some nights."""
    notw = 1.0 - w
    p_comb = float((notw * comb).sum() / notw.sum()) if notw.sum() > 0 else float(comb.mean())
    reg = ~comb
    return {
        "p_combined": p_comb,
        "p_combined_marginal": float(comb.mean()) if comb.size else 0.0,
        "p_present_combined": {
            c: _shrunk_share(x[comb, j], pooled_comb_present[j]) for j, c in enumerate(CLASSES)
        },
        "combined_mean_present": {
            c: _shrunk_mean(x[comb, j], pooled_comb_mean[j]) for j, c in enumerate(CLASSES)
        },
        "p_present_regular": {
            c: float((x[reg, j] > 0).mean()) if reg.any() else 0.0 for j, c in enumerate(CLASSES)
        },
    }


def _window(nights_df: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    d = pd.to_datetime(nights_df["night"])
    return ((d >= lo) & (d <= hi)).to_numpy()


def fit_missile_profile(
    nights_df: pd.DataFrame,
    salvo_weight: np.ndarray | None = None,
    fit_to: str | None = None,
    fit_from: str | None = None,
    level_months: int = LEVEL_MONTHS,
) -> dict[str, Any]:
    """Fit the nightly missile model to a nightly table.

    Args:
        nights_df: :func:`load_missile_record` output (only data up to ``fit_to`` is used).
        salvo_weight: per night of ``nights_df``, the probability that it was a drone big-salvo
            night (:func:`salvo_weights`, or known 0/1 flags); None: no salvo coupling
            (P(combined | salvo) is then not fitted).
        fit_to: last night of the fit (inclusive; default the table's last night). Rolling-origin
            validation passes the day before an origin.
        fit_from: first night (default: 12 months before ``fit_to``, plus one day).
        level_months: months before ``fit_to`` for the ``recent`` level.

    Returns:
        The profile dict (format in ``sim/data/README_threat.md``), floats not rounded.

    Raises:
        DataFileError: the window misses a calendar month or holds no missile.
    """
    d = pd.to_datetime(nights_df["night"])
    hi = pd.Timestamp(fit_to) if fit_to is not None else d.max()
    lo = pd.Timestamp(fit_from) if fit_from is not None else hi - pd.DateOffset(years=1) + \
        pd.Timedelta(days=1)
    if hi < lo:
        raise DataFileError(f"fit window: fit_to {hi.date()} is before fit_from {lo.date()}")
    if level_months < 1:
        raise DataFileError("level_months must be >= 1")
    w_all = np.zeros(len(nights_df)) if salvo_weight is None else np.asarray(salvo_weight, float)
    if w_all.shape != (len(nights_df),):
        raise DataFileError(f"salvo_weight has {w_all.size} values for {len(nights_df)} nights")
    sel = _window(nights_df, lo, hi)
    win = nights_df[sel]
    months = pd.to_datetime(win["night"]).dt.month.to_numpy() - 1
    n_by_month = np.bincount(months, minlength=12)
    if np.any(n_by_month == 0):
        absent = ", ".join(str(i + 1) for i in np.flatnonzero(n_by_month == 0))
        raise DataFileError(
            f"fit window {lo.date()} to {hi.date()}: no nights in calendar month(s) {absent}; "
            f"the window must cover all 12 months"
        )
    x = class_counts(win)
    if x.sum() == 0:
        raise DataFileError(f"fit window {lo.date()} to {hi.date()}: no missile launches")
    w = w_all[sel]
    comb = x.sum(axis=1) >= COMBINED_MIN_MISSILES

    combined, regular = {}, {}
    for j, c in enumerate(CLASSES):
        p, mu, k = _size_fit(x[comb, j])
        combined[c] = {"p_present": p, "mean_present": mu, "dispersion": k}
        _, mu_r, k_r = _size_fit(x[~comb, j])
        regular[c] = {"mean_present": mu_r, "dispersion": k_r}
    pooled = np.array([combined[c]["mean_present"] for c in CLASSES])
    pooled_p = np.array([combined[c]["p_present"] for c in CLASSES])
    p_salvo = float((w * comb).sum() / w.sum()) if w.sum() >= 1.0 else None

    month_entries: dict[str, dict[str, Any]] = {}
    for m in range(12):
        s = months == m
        entry = _tier_entry(x[s], comb[s], w[s], pooled, pooled_p)
        entry.update({
            "fit_months": sorted(set(pd.to_datetime(win["night"][s]).dt.strftime("%Y-%m"))),
            "nights": int(s.sum()),
            "combined_nights": int(comb[s].sum()),
            "expected_salvo_nights": round(float(w[s].sum()), 3),
            "observed_launched": {c: int(x[s, j].sum()) for j, c in enumerate(CLASSES)},
        })
        month_entries[str(m + 1)] = entry

    rec_lo = max(lo, hi + pd.Timedelta(days=1) - pd.DateOffset(months=level_months))
    rs = _window(win, rec_lo, hi)
    recent = _tier_entry(x[rs], comb[rs], w[rs], pooled, pooled_p)
    recent.update({
        "from": str(rec_lo.date()),
        "to": str(hi.date()),
        "nights": int(rs.sum()),
        "combined_nights": int(comb[rs].sum()),
        "monthly_launches": {c: float(x[rs, j].sum() * DAYS_PER_MONTH / rs.sum())
                             for j, c in enumerate(CLASSES)},
    })

    dest = class_counts(win, "destroyed")
    nrg = class_counts(win, "not_reach_goal")
    kill, neut = {}, {}
    for j, c in enumerate(CLASSES):
        lau = x[:, j].sum()
        kill[c] = float(dest[:, j].sum() / lau) if lau > 0 else None
        neut[c] = float((dest[:, j] + nrg[:, j]).sum() / lau) if lau > 0 else None

    other = win["launched_other"].to_numpy(dtype=float) if "launched_other" in win else np.zeros(0)
    return {
        "source": SOURCE,
        "licence": LICENCE,
        "classes": list(CLASSES),
        "fit_from": str(lo.date()),
        "fit_to": str(hi.date()),
        "combined_min_missiles": COMBINED_MIN_MISSILES,
        "shrink_nights": SHRINK_NIGHTS,
        "method": (
            "Nights 15:00-15:00, report windows by midpoint, national rows first per night and "
            "class. Combined-strike night: >= 10 missiles of cruise+ballistic+kh22+kh59. "
            "P(combined | drone salvo) pooled and P(combined | no salvo) per calendar month, "
            "weighting nights by the drone profile's posterior salvo probability. Per class and "
            "tier: P(present) and count-1 ~ NB (ML size, mean = sample mean), pooled; combined "
            "means per month shrunk to the pooled mean (2 nights' weight); P(present) on other "
            "nights per month. 'recent': the same over the last level_months months, no season."
        ),
        "p_combined_given_salvo": p_salvo,
        "expected_salvo_nights": round(float(w.sum()), 3),
        "combined": combined,
        "regular": regular,
        "months": month_entries,
        "recent": recent,
        "level_months": int(level_months),
        "kill_share": kill,
        "neutralised_share": neut,
        "observed_launched": {c: int(x[:, j].sum()) for j, c in enumerate(CLASSES)},
        "observed_other_launched": int(other.sum()),
        "combined_nights": int(comb.sum()),
    }


# --------------------------------------------------------------------------------------------
# Aggregates and checks
# --------------------------------------------------------------------------------------------


def monthly_aggregates(nights_df: pd.DataFrame) -> pd.DataFrame:
    """Monthly launches, kills and strike nights by class (``other`` included).

    Returns:
        Long table: ``month`` (YYYY-MM), ``class``, ``nights``, ``launched``, ``destroyed``,
        ``not_reach_goal``, ``kill_share`` (destroyed / launched, NaN with none),
        ``strike_nights`` (nights with launches of the class), ``combined_nights`` (of the month).
    """
    df = nights_df.copy()
    df["month"] = pd.to_datetime(df["night"]).dt.strftime("%Y-%m")
    df["_comb"] = class_counts(df).sum(axis=1) >= COMBINED_MIN_MISSILES
    g = df.groupby("month", sort=True)
    rows = []
    for month, grp in g:
        for c in ALL_CLASSES:
            lau = int(grp[f"launched_{c}"].sum())
            des = int(grp[f"destroyed_{c}"].sum())
            rows.append({
                "month": month, "class": c, "nights": int(len(grp)), "launched": lau,
                "destroyed": des, "not_reach_goal": int(grp[f"not_reach_goal_{c}"].sum()),
                "kill_share": des / lau if lau else math.nan,
                "strike_nights": int((grp[f"launched_{c}"] > 0).sum()),
                "combined_nights": int(grp["_comb"].sum()),
            })
    return pd.DataFrame(rows)


def drone_salvo_probability(threat_profile: Mapping[str, Any], dates) -> np.ndarray:
    """P(a night is a drone big-salvo night) under the drone profile: p_attack * p_salvo."""
    table = month_table(threat_profile)
    m = as_datetime_index(dates).month.to_numpy() - 1
    i = {k: j for j, k in enumerate(MONTH_KEYS)}
    return table[m, i["p_attack_night"]] * table[m, i["p_salvo"]]


def expected_vs_observed(profile: Mapping[str, Any], nights_df: pd.DataFrame,
                         threat_profile: Mapping[str, Any] | None = None,
                         use_recent: bool = False) -> pd.DataFrame:
    """Expected monthly launches by class under ``profile`` against the record.

    With ``threat_profile`` the combined-strike rate mixes the salvo and no-salvo rates with the
    drone profile's salvo probability; without it the marginal monthly rate is used.

    Returns:
        Long table: ``month``, ``class``, ``observed``, ``expected``.
    """
    dates = pd.to_datetime(nights_df["night"])
    ps = None if threat_profile is None else drone_salvo_probability(threat_profile, dates)
    e = expected_nightly_missiles(profile, dates, p_salvo_night=ps, use_recent=use_recent)
    x = class_counts(nights_df)
    month = dates.dt.strftime("%Y-%m").to_numpy()
    labels, inv = np.unique(month, return_inverse=True)
    rows = []
    for j, c in enumerate(CLASSES):
        obs = np.bincount(inv, x[:, j], len(labels))
        exp = np.bincount(inv, e[:, j], len(labels))
        rows += [{"month": lab, "class": c, "observed": float(o), "expected": float(v)}
                 for lab, o, v in zip(labels, obs, exp, strict=True)]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _jsonable_monthly(monthly: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in monthly.to_dict(orient="records"):
        ks = rec["kill_share"]
        rec["kill_share"] = None if ks is None or (isinstance(ks, float) and math.isnan(ks)) \
            else float(ks)
        out.append(rec)
    return out


def calibrate_missiles(
    record_csv: str | os.PathLike,
    out_path: str | os.PathLike | None = None,
    fit_to: str | None = None,
    catalogue_csv: str | os.PathLike | None = None,
    threat_profile: Mapping[str, Any] | str | os.PathLike | None = None,
    level_months: int = LEVEL_MONTHS,
) -> dict[str, Any]:
    """Load the record, fit the missile profile and write it with the monthly aggregates.

    Args:
        record_csv: the Air Force record CSV.
        out_path: JSON output (default ``sim/data/missile_profile.json``).
        fit_to: last night of the fit (default 2025-09-30); only earlier data are used.
        catalogue_csv: ``missiles_and_uavs.csv`` (default: beside ``record_csv`` if present).
        threat_profile: drone profile (dict or JSON path) for the salvo weights; default the
            packaged ``threat_profile.json``. For a rolling origin pass the drone fit of that
            origin.
        level_months: months of the ``recent`` level.

    Returns:
        The profile as written (floats rounded to 6 significant digits). Same inputs, same bytes.
    """
    record_csv = Path(record_csv)
    nights = load_missile_record(record_csv, catalogue_csv)
    drones = load_air_force_record(record_csv)
    if threat_profile is None or isinstance(threat_profile, str | os.PathLike):
        threat_profile = load_threat_profile(threat_profile)
    fit_to = fit_to or DEFAULT_FIT_TO
    end = pd.Timestamp(fit_to)
    nights = nights[pd.to_datetime(nights["night"]) <= end].reset_index(drop=True)
    w = salvo_weights(drones, threat_profile, dates=nights["night"])
    try:
        profile = fit_missile_profile(nights, w, fit_to=fit_to, level_months=level_months)
    except DataFileError as exc:
        raise DataFileError(f"{record_csv}: {exc}") from None
    attrs = load_missile_record(record_csv, catalogue_csv).attrs
    profile.update({
        "source_file": record_csv.name,
        "source_sha256": hashlib.sha256(record_csv.read_bytes()).hexdigest(),
        "threat_profile_reference_date": threat_profile.get("reference_date"),
        "labels": attrs["labels"],
        "regional_rows_used": attrs["regional_rows_used"],
        "regional_rows_dropped": attrs["regional_rows_dropped"],
        "blank_launched_rows": attrs["blank_launched_rows"],
        "monthly": _jsonable_monthly(monthly_aggregates(nights)),
    })
    out = Path(out_path) if out_path is not None else DEFAULT_PROFILE_PATH
    profile = round_all(profile)
    profile_arrays(json.loads(json.dumps(profile)), where=str(out))  # never write a profile
    write_threat_profile(profile, out)  # the model refuses
    return json.loads(out.read_text(encoding="utf-8"))
