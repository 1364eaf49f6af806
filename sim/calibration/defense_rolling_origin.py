"""Rolling origin of the defence fit against persistence.

``python -m sim calibrate defence --rolling`` (writes ``sim/data/defence_rolling.json``).

At each origin (the end of every month from Mar to Aug 2025) the whole defence is refitted on
the record up to it (:func:`sim.calibration.defense_record_fit.fit_defense_to_record`; nothing after the
origin is read), and the months after it (horizons 1 to 6, cut at the end of the record) are
forecast:

* the model: one run from 1 Oct 2024 through the forecast months (state carried), the
  record's launches up to the origin and, after it, nights drawn at random from the last
  three months before the origin (each replicate its own draw: the launch forecast is the
  persistence of the nightly record, so its errors are persistence's by construction); the
  fitted high share, front stream, noise and cueing kept as fitted; ``replicates`` runs on a
  seed the fit never used. The 90 % interval is the 5-95 % range over replicates.
* persistence: the mean of the last three months' values (:func:`persistence`, ``k = 3``),
  and last-month persistence (``k = 1``), by the same function for the report and for the
  tested toy series.

Ablation: each mechanism off (the front stream, the sortie limits and cueing, the noise),
refitted at each origin, forecast the same way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration import defense_record_fit as F
from sim.calibration import defense_record_targets as T
from sim.calibration.record import Record
from sim.config.data import packaged_path

DEFAULT_PATH = packaged_path("defence_rolling.json")
ORIGINS = ("2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08")
HORIZON = 6
VARIANTS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_front_stream": {"fixed": {"front_c": 0.0, "front_s": 0.0}},
    "no_sortie_limits": {"fixed": {"p_cued": 1.0},
                         "extra": {"defense.national_force.sorties.crews_on_shift_share": 1.0,
                                   "defense.national_force.sorties.sorties_per_crew_per_night":
                                   None,
                                   "defense.national_force.sorties.p_fly_night": 1.0}},
    "no_noise": {"noise": False},
}


def persistence(series: pd.Series, origin: str, k: int = 3) -> float:
    """Persistence forecast made at ``origin``: the mean of the last ``k`` values of
    ``series`` (indexed by ``YYYY-MM``) up to and including ``origin``."""
    s = series.sort_index()
    s = s[s.index <= origin]
    if len(s) < k:
        raise ValueError(f"persistence needs {k} months up to {origin}, has {len(s)}")
    return float(s.iloc[-k:].mean())


def _months_after(origin: str, horizon: int, last: str) -> list[str]:
    out = []
    p = pd.Period(origin, freq="M")
    for h in range(1, horizon + 1):
        m = str(p + h)
        if m > last:
            break
        out.append(m)
    return out


def forecast(fit: dict[str, Any], record: Record, origin: str, months: Sequence[str],
             replicates: int, seed: int, extra: dict | None = None) -> pd.DataFrame:
    """The model's forecast of ``months`` from a fit at ``origin``: one row per replicate and
    month (``launched``, ``share``, ``national_share``)."""
    from sim.config.io import with_overrides

    sc = F.fit_scenario(months[-1])
    if extra:
        sc = with_overrides(sc, extra, source="ablation")
    all_months = T.month_list(f"{T.FIRST_NIGHT:%Y-%m}", months[-1])
    ov = dict(fit["overrides"])
    if extra:
        ov.update(extra)
    ov["threat.tactics.timeline"] = F.high_timeline(all_months, fit["high_share"],
                                                    sc.threat.types["shahed"])
    sc = with_overrides(sc, ov, source="defence fit")
    dates = sc.period.dates
    nights = record.until(origin).require_nights("the forecast")
    base = F.record_launches(nights, dates)
    recent = T.month_list(str(pd.Period(origin, freq="M") - 2), origin)
    pool = T.record_nights_table(record.until(origin))
    pool = pool[pool["month"].isin(recent)]["launched"].to_numpy()
    after = np.array([f"{d:%Y-%m}" > origin for d in dates])
    rows = []
    for r in range(replicates):
        rng = np.random.default_rng([seed, r, 7])
        launches = base.copy()
        launches[after] = rng.choice(pool, size=int(after.sum()), replace=True)
        sim = F.simulate_nights(sc, seed, r, launches)
        g = sim[sim["month"].isin(months)].groupby("month")[
            ["launched", "neutralised", "national_kills"]].sum()
        for m in months:
            rows.append({"replicate": r, "month": m, "launched": float(g.loc[m, "launched"]),
                         "share": float(g.loc[m, "neutralised"] / max(g.loc[m, "launched"], 1)),
                         "national_share": float(g.loc[m, "national_kills"]
                                                 / max(g.loc[m, "launched"], 1))})
    return pd.DataFrame(rows)


def rolling_origin(record: Record, *, origins: Sequence[str] = ORIGINS, horizon: int = HORIZON,
                   replicates: int = 10, fit_replicates: int = 1, max_nfev: int = 6,
                   variants: dict[str, dict] | None = None, tallies=None,
                   seed: int = 20241001, progress=None) -> dict[str, Any]:
    """Fit at each origin, forecast, compare with the record and with persistence."""
    variants = VARIANTS if variants is None else variants
    t0 = time.time()
    rn = T.record_nights_table(record)
    mo = rn.groupby("month")[["launched", "neutralised"]].sum()
    share = mo["neutralised"] / mo["launched"]
    launched = mo["launched"].astype(float)
    days = pd.Series({m: pd.Period(m, freq="M").days_in_month for m in mo.index})
    rows, fits = [], []
    for origin in origins:
        months = _months_after(origin, horizon, record.last_month)
        if not months:
            continue
        for name, v in variants.items():
            t1 = time.time()
            fit = F.fit_defense_to_record(origin, record, replicates=fit_replicates, max_nfev=max_nfev,
                                seed=seed, tallies=tallies, noise=v.get("noise", True),
                                fixed=v.get("fixed"), extra=v.get("extra"))
            fc = forecast(fit, record, origin, months, replicates, seed + 100, v.get("extra"))
            fits.append({"origin": origin, "variant": name, "seconds": round(time.time() - t1, 1),
                         **{k: round(p["value"], 4) for k, p in fit["parameters"].items()},
                         **{k: fit["noise"][k] for k in ("sigma_month", "sigma_night")}})
            for h, m in enumerate(months, start=1):
                f = fc[fc["month"] == m]
                for q, obs, sims in (("neutralised_share_pp", 100 * share[m], 100 * f["share"]),
                                     ("launches", launched[m], f["launched"])):
                    rows.append({"origin": origin, "variant": name, "month": m, "horizon": h,
                                 "quantity": q, "observed": float(obs),
                                 "forecast": float(sims.mean()),
                                 "q05": float(sims.quantile(0.05)),
                                 "q95": float(sims.quantile(0.95))})
                if name == "full":
                    for k, label in ((3, "persistence_3m"), (1, "persistence_1m")):
                        rows.append({"origin": origin, "variant": label, "month": m,
                                     "horizon": h, "quantity": "neutralised_share_pp",
                                     "observed": float(100 * share[m]),
                                     "forecast": 100 * persistence(share, origin, k),
                                     "q05": math.nan, "q95": math.nan})
                        per_night = launched / days
                        rows.append({"origin": origin, "variant": label, "month": m,
                                     "horizon": h, "quantity": "launches",
                                     "observed": float(launched[m]),
                                     "forecast": persistence(per_night, origin, k) * days[m],
                                     "q05": math.nan, "q95": math.nan})
            if progress:
                progress(f"origin {origin} {name}: {time.time() - t1:.0f} s")
    fc = pd.DataFrame(rows)
    fc["error"] = fc["forecast"] - fc["observed"]
    fc.loc[fc["quantity"] == "launches", "error"] = 100 * (
        fc["forecast"] / fc["observed"] - 1)[fc["quantity"] == "launches"]
    fc["covered"] = np.where(fc["q05"].notna(),
                             (fc["observed"] >= fc["q05"]) & (fc["observed"] <= fc["q95"]),
                             np.nan)
    return {"origins": list(origins), "horizon": horizon,
            "settings": {"replicates": replicates, "fit_replicates": fit_replicates,
                         "max_nfev": max_nfev, "seed": seed, "workers": 1,
                         "seconds": round(time.time() - t0, 1)},
            "command": "python -m sim calibrate defence --rolling",
            "forecasts": fc.to_dict("records"), "fits": fits,
            "summary": summary(fc).to_dict("records"),
            "by_horizon": summary(fc, by_horizon=True).to_dict("records")}


def summary(fc: pd.DataFrame, by_horizon: bool = False) -> pd.DataFrame:
    """MAE, mean error and 90 % coverage per variant and quantity (and horizon). Errors are
    points for the share and % for launches."""
    keys = ["quantity", "variant"] + (["horizon"] if by_horizon else [])
    g = fc.groupby(keys)
    out = pd.DataFrame({"n": g.size(), "mae": g["error"].apply(lambda e: float(e.abs().mean())),
                        "mean_error": g["error"].mean(),
                        "coverage_90": g["covered"].mean()}).reset_index()
    return out


def write(res: dict[str, Any], path: str | Path) -> None:
    F.write_fit(res, path)


def markdown(res: dict[str, Any]) -> str:
    s = pd.DataFrame(res["summary"])
    lines = ["| quantity | forecast | months | MAE | mean error | 90% coverage |",
             "|---|---|---:|---:|---:|---:|"]
    for _, r in s.sort_values(["quantity", "variant"]).iterrows():
        unit = "pp" if r["quantity"].endswith("pp") else "%"
        cov = "" if pd.isna(r["coverage_90"]) else f"{100 * r['coverage_90']:.0f}%"
        lines.append(f"| {r['quantity']} | {r['variant']} | {int(r['n'])} | "
                     f"{r['mae']:.1f} {unit} | {r['mean_error']:+.1f} {unit} | {cov} |")
    h = pd.DataFrame(res["by_horizon"])
    h = h[h["quantity"] == "neutralised_share_pp"]
    piv = h.pivot(index="horizon", columns="variant", values="mae")
    lines += ["", "MAE of the neutralised share (points) by horizon:", "",
              "| horizon | " + " | ".join(piv.columns) + " |",
              "|---:|" + "---:|" * len(piv.columns)]
    for hz, r in piv.iterrows():
        lines.append(f"| {hz} | " + " | ".join(f"{x:.1f}" for x in r) + " |")
    return "\n".join(lines)
