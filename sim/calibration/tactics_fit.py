"""Tactics fitted to the record: how many drones flew high, and how many were decoys, month by
month, and the persistence forecast of both.

The Air Force record gives no altitudes. What it shows is the neutralised share falling from
about 94 % (winter 2024-25) to 82-88 % (spring and summer 2025) while statements described
Shaheds climbing from 800-1,000 m to 3,000-5,000 m (1129th anti-aircraft regiment officer,
nenka.info; docs/sources.md). In the model a drone flying above the acoustic network's
ceiling is tracked only by radars, and one above the mobile fire groups' ceiling is out of their
reach. So the share of Shahed-type drones flying high, ``h``, is fitted month by month to the
record's neutralised share ((destroyed + locationally lost) / launched), with the defence
parameters already fitted (:mod:`sim.calibration.defense_fit`): a one-dimensional search per
month, on common random numbers, since the share neutralised falls as ``h`` rises.

Decoys: the record's "about N of them were Shaheds" figures (filled from July 2025) give the
decoy share of the months that have them.

Forecast (:func:`forecast_timeline`): the months after the last fitted one keep the mean of the
last ``persist_months`` fitted ``h`` and the last observed decoy share (persistence: tactics as
last seen). Nothing after the fit's last month is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.calibration.fitters import FitResult, Fitter
from sim.calibration.record import interception_rate
from sim.calibration.simulate import cut_period, months_between, simulate_months
from sim.config.io import with_overrides

HIGH_BAND_M = (2000.0, 5000.0)
"""Altitude band of drones flying high (m): above the fire groups' and the acoustic network's
reach. EST from the statement that drones moved up to 3,000-5,000 m (docs/sources.md)."""


def month_tactics(scenario, h: float, decoy_share: float | None = None) -> dict:
    """One month of the timeline: a share ``h`` of Shahed-type drones and decoys in the high
    band, the rest in the scenario's own Shahed altitude range."""
    t = scenario.threat.types["shahed"]
    h = float(min(max(h, 0.0), 1.0))
    out: dict = {"altitude_bands_m": [
        {"low_m": float(t.altitude_min_m), "high_m": float(t.altitude_max_m), "share": 1.0 - h},
        {"low_m": HIGH_BAND_M[0], "high_m": HIGH_BAND_M[1], "share": h},
    ], "source": f"fitted: {h:.3f} of Shahed-type drones high (sim.calibration.tactics_fit)"}
    if decoy_share is not None:
        out["decoy_share"] = float(decoy_share)
    return out


def observed_decoy_share(nights: pd.DataFrame, months: Sequence[str]) -> dict[str, float]:
    """Decoy share of each month from the record's 'of them N Shaheds' figures (months that
    have them): 1 - Shaheds / launched on the nights that report it."""
    if "is_shahed" not in nights or "is_shahed_launched" not in nights:
        return {}
    m = nights["night"].astype(str).str[:7]
    g = nights.groupby(m)[["is_shahed", "is_shahed_launched"]].sum()
    out = {}
    for month in months:
        if month in g.index and g.loc[month, "is_shahed_launched"] > 0:
            out[month] = float(1.0 - g.loc[month, "is_shahed"] / g.loc[month, "is_shahed_launched"])
    return out


def pooled_decoy_share(nights: pd.DataFrame, months: Sequence[str]) -> float | None:
    """Decoy share over several months together (the nights that report it), or None."""
    if "is_shahed" not in nights or "is_shahed_launched" not in nights:
        return None
    sel = nights["night"].astype(str).str[:7].isin(list(months))
    launched = float(nights.loc[sel, "is_shahed_launched"].fillna(0).sum())
    if launched <= 0:
        return None
    return 1.0 - float(nights.loc[sel, "is_shahed"].fillna(0).sum()) / launched


def _interception_rate(scenario, month: str, h: float, decoy: float | None, seed: int,
                       replicates: int) -> float:
    months = [m for m in scenario.period.months]
    timeline = {m: month_tactics(scenario, h if m == month else 0.0, decoy if m == month else None)
                for m in months}
    sc = with_overrides(scenario, {"threat.tactics.timeline": timeline,
                                   "energy.enabled": False}, source="tactics fit")
    # From the scenario's first night to the month: the national force's crews, sites and
    # stock carried (a one-month window restarted the force at its starting size).
    sim = simulate_months(cut_period(sc, month), seed, replicates)
    sim = sim[sim["month"] == month]
    return float(interception_rate(sim["destroyed"].sum(), sim["lost_ew"].sum(),
                                   sim["launched"].sum())[0])


def fit_high_shares(scenario, observed: Mapping[str, float], decoy: Mapping[str, float],
                    seed: int, replicates: int = 2, tol: float = 0.02) -> dict[str, float]:
    """The share of drones flying high in each month of ``observed`` (month -> neutralised
    share), by bisection on [0, 1] (0 when even h = 0 neutralises less than observed, 1 when
    h = 1 still neutralises more)."""
    out = {}
    for month, target in observed.items():
        if not math.isfinite(target):
            continue
        d = decoy.get(month)
        lo, hi = 0.0, 1.0
        f_lo = _interception_rate(scenario, month, lo, d, seed, replicates)
        if f_lo <= target:
            out[month] = 0.0
            continue
        f_hi = _interception_rate(scenario, month, hi, d, seed, replicates)
        if f_hi >= target:
            out[month] = 1.0
            continue
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if _interception_rate(scenario, month, mid, d, seed, replicates) > target:
                lo = mid
            else:
                hi = mid
        out[month] = 0.5 * (lo + hi)
    return out


def forecast_timeline(scenario, high: Mapping[str, float], decoy: Mapping[str, float],
                      persist_months: int = 3) -> dict[str, dict]:
    """A timeline over the scenario's whole period: fitted months as fitted, later months the
    mean of the last ``persist_months`` fitted shares and the last observed decoy share."""
    fitted = sorted(high)
    recent = [high[m] for m in fitted[-persist_months:]]
    h_next = float(np.mean(recent)) if recent else 0.0
    d_known = sorted(decoy)
    d_next = decoy[d_known[-1]] if d_known else None
    last = fitted[-1] if fitted else None
    out = {}
    for m in scenario.period.months:
        if m in high:
            out[m] = month_tactics(scenario, high[m], decoy.get(m))
        elif last is None or m > last:
            out[m] = month_tactics(scenario, h_next, d_next)
            out[m]["source"] = (f"forecast: mean of the last {len(recent)} fitted months "
                                f"({h_next:.3f}), decoys as last observed")
        else:
            out[m] = month_tactics(scenario, 0.0, decoy.get(m))
    return out


def tactics_fitter(replicates: int = 2, persist_months: int = 3, first_month: str | None = None):
    """Rolling-origin fitter: fit the high share on the scenario's months up to the origin
    (and the record's decoy shares), forecast by persistence (:func:`forecast_timeline`)."""
    def fit(ctx) -> FitResult:
        if ctx.variant == "tactics":  # the mechanism switched off: constant tactics
            return FitResult(overrides={}, info={"skipped": "mechanism off"})
        sc = ctx.scenario
        first = first_month or f"{sc.period.start_date:%Y-%m}"
        months = [m for m in months_between(first, ctx.origin) if m in set(ctx.record.months)]
        monthly = ctx.record.monthly.set_index("month")
        observed = {m: float(monthly.loc[m, "interception_rate"]) for m in months}
        decoy = observed_decoy_share(ctx.record.require_nights("the tactics fit"), months)
        high = fit_high_shares(sc, observed, decoy, ctx.seed, replicates)
        timeline = forecast_timeline(sc, high, decoy, persist_months)
        info = {"fit_months": f"{months[0]}..{months[-1]}" if months else "",
                **{f"high_{m}": round(v, 3) for m, v in high.items()},
                **{f"decoy_{m}": round(v, 3) for m, v in decoy.items()}}
        return FitResult(overrides={"threat.tactics.timeline": timeline}, info=info)

    return Fitter("tactics", fit)
