"""What the whole-defence fit is fitted against: the Air Force record's targets, and the tables
of model against record.

**Against what.** Residuals in percentage points: (1) each month's neutralised share
((destroyed + not_reach_goal) / launched), weighted by recency (half-life
:data:`HALF_LIFE_MONTHS` months back from the origin: recent months count more); (2) the EW
share up to Jul 2025 (the record stops reporting "locationally lost" in Aug 2025); (3) the
nightly leak share by salvo size (:data:`SALVO_BINS`) over the last six months to the origin:
the shape monthly totals cannot identify; (4) the public interceptor tallies
(``sim/data/interceptor_tallies.csv``, rows ``use == target``): the national force's share of
launched on that night, penalised outside the claimed range.

The record is read from :data:`FIRST_NIGHT` (1 Oct 2024, the first night of the record era
the fit uses) to the origin. :func:`targets` builds the targets (:class:`Targets`),
:func:`residuals` scores a simulation against them, :func:`tables` sets the model beside the
record at the fit (monthly shares, the national force's share, the leak by salvo size and
quarter, the tallies). The fit itself is :mod:`sim.calibration.defense_record_fit`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.record import Record

FIRST_NIGHT = dt.date(2024, 10, 1)
HALF_LIFE_MONTHS = 4.0
EW_LAST_MONTH = "2025-07"
SALVO_BINS = (0, 50, 100, 200, 400, 10**9)
SALVO_LABELS = ("<=50", "51-100", "101-200", "201-400", ">400")


def month_list(first: str, last: str) -> list[str]:
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def salvo_bin(launched) -> np.ndarray:
    return np.digitize(np.asarray(launched, float), SALVO_BINS[1:-1], right=True)


def leak_table(nights: pd.DataFrame) -> pd.DataFrame:
    """Leak share ((launched - neutralised) / launched, pooled) by salvo bin: ``bin``,
    ``label``, ``nights``, ``launched``, ``leaked``, ``leak_share``."""
    d = nights[nights["launched"] > 0]
    b = salvo_bin(d["launched"])
    g = d.assign(bin=b, leaked=d["launched"] - d["neutralised"]).groupby("bin").agg(
        nights=("launched", "size"), launched=("launched", "sum"), leaked=("leaked", "sum"))
    g = g.reindex(range(len(SALVO_LABELS)), fill_value=0)
    g["label"] = SALVO_LABELS
    with np.errstate(divide="ignore", invalid="ignore"):
        g["leak_share"] = np.where(g["launched"] > 0, g["leaked"] / g["launched"], np.nan)
    return g.reset_index()


def monthly_shares(nights: pd.DataFrame) -> pd.DataFrame:
    g = nights.groupby("month")[["launched", "neutralised", "lost_ew"]].sum()
    g["share"] = g["neutralised"] / g["launched"]
    g["ew_share"] = g["lost_ew"] / g["launched"]
    return g


def record_nights_table(record: Record) -> pd.DataFrame:
    n = record.require_nights("the defence fit")
    d = pd.to_datetime(n["night"]).dt.date
    return pd.DataFrame({"date": d, "launched": n["launched"].astype(int),
                         "neutralised": n["neutralised"].astype(int),
                         "lost_ew": n["not_reach_goal"].astype(int),
                         "month": [f"{x:%Y-%m}" for x in d]})


@dataclass
class Targets:
    months: list[str]
    share: np.ndarray  # record's monthly neutralised share
    weight: np.ndarray  # recency weights
    ew_months: list[str]
    ew_share: np.ndarray
    leak_months: list[str]
    leak: np.ndarray  # record's leak share by salvo bin (nan: empty bin)
    tallies: list[tuple[dt.date, float, float]]  # night, share low, share high


def targets(record: Record, origin: str, tallies: pd.DataFrame | None) -> Targets:
    rn = record_nights_table(record)
    first = f"{FIRST_NIGHT:%Y-%m}"
    months = month_list(first, origin)
    rn = rn[(rn["month"] >= first) & (rn["month"] <= origin)]
    mo = monthly_shares(rn)
    share = np.array([mo.loc[m, "share"] for m in months])
    age = np.arange(len(months))[::-1]
    weight = 0.5 ** (age / HALF_LIFE_MONTHS)
    ew_months = [m for m in months if m <= EW_LAST_MONTH]
    ew = np.array([mo.loc[m, "ew_share"] for m in ew_months])
    leak_months = months[-6:]
    lt = leak_table(rn[rn["month"].isin(leak_months)])
    tl = []
    if tallies is not None:
        for _, r in tallies[tallies["use"] == "target"].iterrows():
            d = dt.date.fromisoformat(str(r["night_from"]))
            if f"{d:%Y-%m}" > origin or pd.isna(r["launched"]):
                continue
            hi = r["kills_high"] if pd.notna(r["kills_high"]) else r["kills_low"]
            tl.append((d, float(r["kills_low"]) / float(r["launched"]),
                       float(hi) / float(r["launched"])))
    return Targets(months, share, weight, ew_months, ew, leak_months,
                   lt["leak_share"].to_numpy(float), tl)


def residuals(sim: pd.DataFrame, t: Targets) -> np.ndarray:
    """Residuals (percentage points) of a simulation (replicates pooled) against the targets."""
    mo = monthly_shares(sim)
    r = [100 * (mo.reindex(t.months)["share"].to_numpy() - t.share) * np.sqrt(t.weight)]
    r.append(100 * (mo.reindex(t.ew_months)["ew_share"].to_numpy() - t.ew_share)
             * math.sqrt(0.5))
    lt = leak_table(sim[sim["month"].isin(t.leak_months)])["leak_share"].to_numpy(float)
    ok = np.isfinite(t.leak)
    r.append(100 * np.nan_to_num(lt[ok] - t.leak[ok]))
    for d, lo, hi in t.tallies:
        s = sim[sim["date"] == d]
        share = float(s["national_kills"].sum() / max(s["launched"].sum(), 1))
        r.append(np.array([100 * (share - min(max(share, lo), hi)) + 100 * (share - 0.5 * (lo + hi))
                           * 0.25]))
    return np.nan_to_num(np.concatenate(r))


def tables(sim: pd.DataFrame, rec: Record, origin: str, tallies) -> dict[str, Any]:
    """Model vs record at the fit: monthly shares, national force's share of launched by
    month, and the leak share by salvo size by quarter."""
    first = f"{FIRST_NIGHT:%Y-%m}"
    rn = record_nights_table(rec)
    rn = rn[(rn["month"] >= first) & (rn["month"] <= origin)]
    rm, sm = monthly_shares(rn), monthly_shares(sim)
    nat = sim.groupby("month")[["national_kills", "launched"]].sum()
    monthly = [{"month": m, "record_share": float(rm.loc[m, "share"]),
                "model_share": float(sm.loc[m, "share"]),
                "national_kills_per_replicate": float(nat.loc[m, "national_kills"]
                                                      / sim["replicate"].nunique()),
                "national_share_of_launched": float(nat.loc[m, "national_kills"]
                                                    / nat.loc[m, "launched"])}
               for m in rm.index]
    quarters = []
    q_rec = pd.PeriodIndex(rn["month"], freq="M").asfreq("Q").astype(str)
    q_sim = pd.PeriodIndex(sim["month"], freq="M").asfreq("Q").astype(str)
    for q in sorted(set(q_rec)):
        a = leak_table(rn[q_rec == q])
        b = leak_table(sim[q_sim == q])
        for i in range(len(SALVO_LABELS)):
            quarters.append({"quarter": q, "salvo": SALVO_LABELS[i],
                             "record_nights": int(a.loc[i, "nights"]),
                             "record_leak_share": _f(a.loc[i, "leak_share"]),
                             "model_leak_share": _f(b.loc[i, "leak_share"])})
    tl = []
    if tallies is not None:
        for _, r in tallies.iterrows():
            d0 = dt.date.fromisoformat(str(r["night_from"]))
            d1 = dt.date.fromisoformat(str(r["night_to"]))
            s = sim[(sim["date"] >= d0) & (sim["date"] <= d1)]
            if s.empty:
                continue
            reps = sim["replicate"].nunique()
            tl.append({"nights": f"{d0}..{d1}", "what": r["what"], "use": r["use"],
                       "claimed_kills": f"{_i(r['kills_low'])}-{_i(r['kills_high'])}",
                       "model_national_kills": round(float(s["national_kills"].sum()) / reps, 1),
                       "model_launched": round(float(s["launched"].sum()) / reps, 1)})
    return {"monthly": monthly, "leak_by_salvo": quarters, "tallies": tl}


def _f(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def _i(x) -> str:
    return "" if pd.isna(x) else str(int(x))
