"""One fit of the whole drone defence to the Air Force record up to an origin.

``python -m sim calibrate defence --origin 2025-09-30`` (writes ``sim/data/defence_fit.json``).

**What is simulated.** The 2024-25 posture (``scenarios/ukraine-posture-2024.yaml``) from the
first night of the record era used here (1 Oct 2024) to the origin, in one run: every stateful
part (the national force's crews, sites and stock, missile stocks) is carried night by night,
nothing restarts at a month boundary. Each night has the launches the record has on that night
(so the model's nights and the record's are the same sizes), and energy and missiles are off
(the drone layers only).

**What is fitted** (:data:`PARAMETERS`), jointly: EW (Shahed loss probability; decoys 1.5 times
as likely), the fire groups' kill probability per tracked drone still flying (``p_engage =
pk = sqrt(k)``), the probability that C2 cues an interceptor crew in time (the national
force's binding constraint besides crews on shift, sorties a crew flies and weather, which
are EST), the national force's training rate (its crews, stations and sites), the
short-warning front stream (``c`` drones a night plus a share ``s`` of the rest from Apr 2025,
no layer reaches them), and the share of drones flying high since Apr 2025. Then the
effectiveness noise (month and night) by matching the record's dispersion, and a second pass
refits the parameters with that noise in the model.

**Against what.** The record's monthly neutralised share (recent months count more), its EW
share, the nightly leak share by salvo size and the public interceptor tallies
(:mod:`sim.calibration.defense_record_targets`, which also tabulates the model against the
record at the fit).

**How.** Common random numbers (the same seeds and replicates at every trial point, and every
mechanism's draws keyed by date), ``scipy.optimize.least_squares`` with bounds; the standard
errors from the Jacobian at the optimum (``s^2 (J'J)^-1``).

Nothing after the origin is read: the record is cut at the origin before anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.defense_record_targets import (
    FIRST_NIGHT,
    HALF_LIFE_MONTHS,
    month_list,
    monthly_shares,
    record_nights_table,
    residuals,
    tables,
    targets,
)
from sim.calibration.record import Record, load_record
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError

DEFAULT_FIT_PATH = packaged_path("defence_fit.json")
TALLIES_PATH = packaged_path("interceptor_tallies.csv")
POSTURE = packaged_path("scenarios/ukraine-posture-2024.yaml")
HIGH_FROM = "2025-04"
FRONT_FROM = "2025-04"
FIT_FORMAT = 1
COMMAND = "python -m sim calibrate defence --origin {origin}"

#: EST values of what binds the national force's sorties (not fitted: the tallies are too few
#: to tell them apart from the cueing probability, which is fitted).
SORTIES_EST = {
    "defense.national_force.sorties.crews_on_shift_share": 0.5,
    "defense.national_force.sorties.sorties_per_crew_per_night": 3,
    "defense.national_force.sorties.p_fly_night": 0.85,
}


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    low: float
    high: float
    start: float


PARAMETERS = (
    Param("ew", "P(Shahed lost to EW); decoys 1.5x", 0.10, 0.60, 0.31),
    Param("fire_groups", "fire groups' kill probability per tracked drone still flying", 0.30,
          0.95, 0.80),
    Param("p_cued", "P(C2 cues an interceptor crew in time)", 0.05, 1.0, 0.6),
    Param("crews_per_month", "national crews entering training a month (stations and sites "
          "follow)", 1.0, 60.0, 8.0),
    Param("front_c", "front stream: drones a night whatever the salvo", 0.0, 40.0, 10.0),
    Param("front_s", "front stream: share of the other drones", 0.0, 0.15, 0.03),
    Param("high", f"share of Shahed-type drones flying 2-5 km from {HIGH_FROM}", 0.0, 0.8, 0.15),
)
NAMES = tuple(p.name for p in PARAMETERS)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def parse_origin(text: Any, record: Record, first: dt.date = FIRST_NIGHT) -> str:
    """The origin month (``YYYY-MM``) from ``2025-09-30`` or ``2025-09``; SimInputError unless
    it lies in the record and has at least three months of it before it (counting its own)."""
    s = str(text).strip()
    try:
        month = str(pd.Period(s[:7], freq="M"))
    except Exception as e:  # noqa: BLE001 - any parse failure is bad input
        raise SimInputError(f"--origin: {s!r} is not a date (write YYYY-MM-DD or YYYY-MM)") from e
    if len(s) > 7:
        try:
            d = dt.date.fromisoformat(s)
        except ValueError as e:
            raise SimInputError(f"--origin: {s!r} is not a date (YYYY-MM-DD)") from e
        if d != pd.Period(month, freq="M").end_time.date():
            raise SimInputError(f"--origin: {s} is not the last day of a month")
    months = record.months
    first_m = f"{first:%Y-%m}"
    if month not in months or month > record.last_month:
        raise SimInputError(f"--origin: {month} is outside the record ({months[0]} to "
                            f"{record.last_month})")
    n = len([m for m in months if first_m <= m <= month])
    if n < 3:
        raise SimInputError(f"--origin: {month} has {n} month(s) of the record before it from "
                            f"{first_m}; at least 3 are needed")
    return month


def load_tallies(path: str | Path | None = None, record: Record | None = None) -> pd.DataFrame:
    """The public interceptor-drone kill tallies (``sim/data/interceptor_tallies.csv``).

    Raises:
        DataFileError: missing columns, unreadable or unknown dates (outside the record),
            negative counts, a range upside down or a share above 1.
    """
    p = Path(path) if path is not None else TALLIES_PATH
    try:
        df = pd.read_csv(p, dtype={"night_from": str, "night_to": str})
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataFileError(f"{p}: cannot read the tallies ({e})") from e
    need = ("night_from", "night_to", "what", "kills_low", "kills_high", "launched", "use",
            "source")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataFileError(f"{p}: missing column(s) {', '.join(missing)}")
    known = None
    if record is not None and record.nights is not None:
        known = set(pd.to_datetime(record.nights["night"]).dt.date)
    for i, row in df.iterrows():
        where = f"{p}: row {i + 2}"
        for c in ("night_from", "night_to"):
            try:
                d = dt.date.fromisoformat(str(row[c]))
            except ValueError as e:
                raise DataFileError(f"{where}, {c}: {row[c]!r} is not a date") from e
            if known is not None and d not in known:
                raise DataFileError(f"{where}, {c}: {d} is not a night of the record")
        for c in ("kills_low", "kills_high", "launched"):
            v = row[c]
            if pd.notna(v) and (not math.isfinite(float(v)) or float(v) < 0):
                raise DataFileError(f"{where}, {c}: {v} must be a count >= 0")
        lo, hi, n = row["kills_low"], row["kills_high"], row["launched"]
        if pd.notna(hi) and pd.notna(lo) and float(hi) < float(lo):
            raise DataFileError(f"{where}: kills_high {hi} below kills_low {lo}")
        if pd.notna(n) and pd.notna(lo) and float(lo) > float(n):
            raise DataFileError(f"{where}: kills_low {lo} above launched {n} (a share above 1)")
        if row["use"] not in ("target", "context"):
            raise DataFileError(f"{where}, use: {row['use']!r} must be 'target' or 'context'")
    return df


# --------------------------------------------------------------------------------------------
# Scenario and simulation
# --------------------------------------------------------------------------------------------


def high_timeline(months: Sequence[str], h: float, shahed) -> dict:
    """Tactics timeline: from :data:`HIGH_FROM` a share ``h`` of drones in the 2-5 km band."""
    from sim.calibration.tactics_fit import HIGH_BAND_M

    out = {}
    for m in months:
        hm = float(min(max(h, 0.0), 1.0)) if m >= HIGH_FROM else 0.0
        out[m] = {"altitude_bands_m": [
            {"low_m": float(shahed.altitude_min_m), "high_m": float(shahed.altitude_max_m),
             "share": 1.0 - hm},
            {"low_m": HIGH_BAND_M[0], "high_m": HIGH_BAND_M[1], "share": hm}],
            "source": f"defence fit: {hm:.3f} of Shahed-type drones high"}
    return out


def parameter_overrides(theta: Sequence[float], months: Sequence[str] | None = None,
                        shahed=None) -> dict[str, Any]:
    """Scenario overrides of the fitted parameters (and the high share's timeline over
    ``months`` when given)."""
    t = dict(zip(NAMES, (float(x) for x in theta), strict=True))
    k = math.sqrt(min(max(t["fire_groups"], 0.0), 1.0))
    ov: dict[str, Any] = {
        "threat.types.shahed.p_lost_ew": t["ew"],
        "threat.types.decoy.p_lost_ew": min(1.0, 1.5 * t["ew"]),
        "defense.layers.mobile_fire_groups.p_engage": k,
        "defense.layers.mobile_fire_groups.pk": k,
        "defense.national_force.sorties.p_cued": t["p_cued"],
        "threat.front_stream.per_night": t["front_c"],
        "threat.front_stream.share_of_launched": t["front_s"],
        "threat.front_stream.from_month": FRONT_FROM,
        "defense.national_force.crews.trainee_crews_per_month": t["crews_per_month"],
        "defense.national_force.ground_stations.per_month": t["crews_per_month"],
        "defense.national_force.launch_sites.per_month": t["crews_per_month"] / 2.0,
    }
    if months is not None:
        ov["threat.tactics.timeline"] = high_timeline(months, t["high"], shahed)
    return ov


def fit_scenario(last_month: str, scenario=None):
    """The posture from 1 Oct 2024 to the end of ``last_month``: drones only, the EST sortie
    limits, the national force from its reference date."""
    from sim.config.io import load_scenario, with_overrides

    sc = scenario if scenario is not None else load_scenario(POSTURE)
    end = pd.Period(last_month, freq="M").end_time.date()
    nights = (end - FIRST_NIGHT).days + 1
    ov = {"period.start_date": FIRST_NIGHT.isoformat(), "period.nights": nights,
          "energy.enabled": False, "threat.missiles.enabled": False,
          "threat.tactics.timeline": {},
          "defense.national_force.reference_date": FIRST_NIGHT.isoformat(), **SORTIES_EST}
    return with_overrides(sc, ov, source="defence fit")


def record_launches(nights: pd.DataFrame, dates: Sequence[dt.date]) -> np.ndarray:
    """The record's launches on each date (0 where the record has no row)."""
    s = nights.assign(d=pd.to_datetime(nights["night"]).dt.date).groupby("d")["launched"].sum()
    return np.array([int(s.get(d, 0)) for d in dates], dtype=np.int64)


def simulate_nights(scenario, seed: int, replicate: int, launches: np.ndarray | None = None
                    ) -> pd.DataFrame:
    """One run, night by night: ``date``, ``launched``, ``neutralised``, ``lost_ew``,
    ``national_kills`` (and the forces' state: ``national_stock``, ``national_crews``).
    ``launches``: the nightly counts to use instead of the model's own draws."""
    from sim.calibration.simulate import one_blas_thread
    from sim.model.defense_model import DefenseModel

    with one_blas_thread():
        model = DefenseModel(scenario, seed=seed, replicate=replicate)
        if launches is not None:
            model.launch_counts = np.asarray(launches, dtype=np.int64)
        rows = []
        while model.running:
            model.step()
            n = model.tonight
            rows.append((n.date, n.raid.n, n.by_fate["ew"], n.destroyed,
                         n.kills_by_force["national"], n.forces["national"].stock,
                         n.forces["national"].crews_active))
    df = pd.DataFrame(rows, columns=["date", "launched", "lost_ew", "destroyed",
                                     "national_kills", "national_stock", "national_crews"])
    df["neutralised"] = df["lost_ew"] + df["destroyed"]
    df["month"] = [f"{d:%Y-%m}" for d in df["date"]]
    df["replicate"] = replicate
    return df


def simulate(scenario, seed: int, replicates: int, launches=None) -> pd.DataFrame:
    return pd.concat([simulate_nights(scenario, seed, r, launches) for r in range(replicates)],
                     ignore_index=True)


# --------------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------------

Progress = Callable[[str], None] | None


def fit_defense_to_record(origin: str, record: Record | None = None, *, replicates: int = 2,
                max_nfev: int = 12, seed: int = 20241001, tallies: pd.DataFrame | None = None,
                scenario=None, noise: bool = True, fixed: dict[str, float] | None = None,
                extra: dict[str, Any] | None = None, progress: Progress = None
                ) -> dict[str, Any]:
    """Fit the defence on the record up to ``origin`` (``YYYY-MM``). Returns the fit as a
    dict (:func:`write_fit` writes it). ``fixed``: parameters held at a value; ``extra``:
    scenario overrides (an ablation switches a mechanism off with these)."""
    from scipy import optimize

    from sim.config.io import with_overrides

    t0 = time.time()
    rec = (record if record is not None else load_record()).until(origin)
    if tallies is None:
        tallies = load_tallies(record=None)
    sc = fit_scenario(origin, scenario)
    if extra:
        sc = with_overrides(sc, extra, source="defence fit")
    dates = sc.period.dates
    launches = record_launches(rec.require_nights("the defence fit"), dates)
    months = month_list(f"{FIRST_NIGHT:%Y-%m}", origin)
    shahed = sc.threat.types["shahed"]
    tg = targets(rec, origin, tallies)
    fixed = dict(fixed or {})
    free = [p for p in PARAMETERS if p.name not in fixed]
    lo = np.array([p.low for p in free])
    hi = np.array([p.high for p in free])
    x0 = np.array([p.start for p in free])
    calls = {"n": 0}

    def full(x) -> list[float]:
        it = iter(x)
        return [fixed[p.name] if p.name in fixed else float(next(it)) for p in PARAMETERS]

    base = {"sc": sc}

    def scen(theta):
        return with_overrides(base["sc"], parameter_overrides(theta, months, shahed),
                              source="fit")

    def fun(x):
        calls["n"] += 1
        sim = simulate(scen(full(x)), seed, replicates, launches)
        r = residuals(sim, tg)
        if progress and calls["n"] % 10 == 0:
            progress(f"  {calls['n']} evaluations, loss {float(r @ r):.1f}")
        return r

    # Pass 1 without noise; then the noise matched to the record's dispersion; pass 2 refits
    # with that noise in the model (the noise lowers the mean effectiveness of layers near
    # certainty, so the parameters must be fitted with it).
    noise_fit = {"sigma_month": 0.0, "sigma_night": 0.0}
    x = x0
    for k in range(2 if noise else 1):
        if free:
            res = optimize.least_squares(fun, x, bounds=(lo, hi), diff_step=0.05,
                                         max_nfev=max_nfev if k == 0 else max(max_nfev // 2, 2),
                                         x_scale=hi - lo)
            x, jac, r = res.x, res.jac, res.fun
        else:
            jac, r = np.zeros((0, 0)), fun(x)
        if noise and k == 0:
            fitted = scen(full(x))
            sim = simulate(fitted, seed, replicates, launches)
            noise_fit = estimate_noise(fitted, sim, rec, origin, seed, replicates, launches)
            base["sc"] = with_overrides(sc, {
                "defense.effectiveness_noise.sigma_month": noise_fit["sigma_month"],
                "defense.effectiveness_noise.sigma_night": noise_fit["sigma_night"]},
                source="defence fit noise")
    theta = full(x)
    dof = max(len(r) - len(free), 1)
    s2 = float(r @ r) / dof
    sd = np.full(len(free), np.nan)
    if free:
        try:
            cov = s2 * np.linalg.pinv(jac.T @ jac)
            sd = np.sqrt(np.clip(np.diag(cov), 0, None))
        except np.linalg.LinAlgError:
            pass
    sd_by = dict(zip([p.name for p in free], sd, strict=True))
    sim = simulate(scen(theta), seed, replicates, launches)
    out = {
        "format": FIT_FORMAT, "origin": origin,
        "data_range": f"{FIRST_NIGHT:%Y-%m-%d}..{pd.Period(origin, freq='M').end_time.date()}",
        "command": COMMAND.format(origin=pd.Period(origin, freq="M").end_time.date()),
        "record": {"source": rec.source, "sha256": rec.sha256},
        "settings": {"replicates": replicates, "max_nfev": max_nfev, "seed": seed,
                     "half_life_months": HALF_LIFE_MONTHS, "evaluations": calls["n"],
                     "seconds": round(time.time() - t0, 1)},
        "parameters": {p.name: {"value": float(v), "sd": (float(sd_by[p.name])
                                                         if p.name in sd_by else 0.0),
                                "low": p.low, "high": p.high, "label": p.label,
                                "fixed": p.name in fixed}
                       for p, v in zip(PARAMETERS, theta, strict=True)},
        "noise": noise_fit,
        "est": SORTIES_EST,
        "residual_constant": {"used": False, "note": "none: the front stream carries the "
                              "nightly leak (threat.front_stream)"},
        "loss": float(r @ r),
        "overrides": {**parameter_overrides(theta),
                      "defense.effectiveness_noise.sigma_month": noise_fit["sigma_month"],
                      "defense.effectiveness_noise.sigma_night": noise_fit["sigma_night"],
                      **SORTIES_EST},
        "high_share": float(theta[NAMES.index("high")]),
        "tables": tables(sim, rec, origin, tallies),
    }
    return out


def estimate_noise(fitted, sim, rec: Record, origin: str, seed: int, replicates: int,
                   launches) -> dict[str, float]:
    """Noise levels matching the record's dispersion: the spread of the record's monthly
    (nightly) neutralised share around the fitted model's, less the model's own spread
    without noise, mapped to logit units by a run at a known noise level."""
    from sim.config.io import with_overrides

    first = f"{FIRST_NIGHT:%Y-%m}"
    rn = record_nights_table(rec)
    rn = rn[(rn["month"] >= first) & (rn["month"] <= origin)]
    rec_m = monthly_shares(rn)["share"]
    mod_m = monthly_shares(sim)["share"].reindex(rec_m.index)
    resid_rec = (rec_m - mod_m).to_numpy()
    resid_rec = resid_rec - resid_rec.mean()
    sd_rec = float(np.sqrt(np.mean(resid_rec ** 2)))

    def monthly_sd(s):  # spread of each replicate's monthly shares around their mean
        by = s.groupby(["replicate", "month"])[["neutralised", "launched"]].sum()
        sh = (by["neutralised"] / by["launched"]).unstack("month")
        return float(np.sqrt(np.nanmean((sh - sh.mean()).to_numpy() ** 2)))

    def nightly(s):
        d = s[s["launched"] >= 50]
        return d["neutralised"] / d["launched"]

    probe = 0.5
    sp = simulate(with_overrides(fitted, {"defense.effectiveness_noise.sigma_month": probe,
                                          "defense.effectiveness_noise.sigma_night": probe},
                                 source="noise probe"), seed + 1, max(replicates, 2), launches)
    s0 = simulate(fitted, seed + 1, max(replicates, 2), launches)
    sd0, sdp = monthly_sd(s0), monthly_sd(sp)
    g = math.sqrt(max(sdp ** 2 - sd0 ** 2, 1e-12)) / probe
    sigma_month = math.sqrt(max(sd_rec ** 2 - sd0 ** 2, 0.0)) / g
    # nights: the record's nightly spread around its month's share, beyond the model's
    rn2 = rn[rn["launched"] >= 50]
    rec_n = (rn2["neutralised"] / rn2["launched"]) - rn2["month"].map(rec_m)
    sd_rec_n = float(rec_n.std())

    def within(s):
        d = s[s["launched"] >= 50]
        sh = d["neutralised"] / d["launched"]
        mm = d.groupby(["replicate", "month"])["neutralised"].transform("sum") / \
            d.groupby(["replicate", "month"])["launched"].transform("sum")
        return float((sh - mm).std())

    n0, npb = within(s0), within(sp)
    gn = math.sqrt(max(npb ** 2 - n0 ** 2, 1e-12)) / probe
    sigma_night = math.sqrt(max(sd_rec_n ** 2 - n0 ** 2, 0.0)) / gn
    return {"sigma_month": round(min(sigma_month, 5.0), 4),
            "sigma_night": round(min(sigma_night, 5.0), 4),
            "record_monthly_sd_pp": round(100 * sd_rec, 2),
            "model_monthly_sd_pp_without_noise": round(100 * sd0, 2),
            "record_nightly_sd_pp": round(100 * sd_rec_n, 2),
            "model_nightly_sd_pp_without_noise": round(100 * n0, 2)}


def write_fit(fit: dict[str, Any], path: str | Path) -> None:
    from sim.calibration.defense_fit import write_calibration

    write_calibration(fit, path)


def load_fit(path: str | Path | None = None) -> dict[str, Any]:
    p = Path(path) if path is not None else DEFAULT_FIT_PATH
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataFileError(f"{p}: cannot read the defence fit ({e})") from e
