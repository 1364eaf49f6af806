"""Scoring a rolling-origin forecast against the record.

:func:`compare` sets the simulated months (one row per replicate and month) beside the record:
the neutralised share ((destroyed + not_reach_goal) / launched in the record, (destroyed + lost
to EW) / launched in the model) in percentage points and launches in %, for drones, and for
missiles by class when the model writes ``missiles_launched_<class>`` /
``missiles_destroyed_<class>`` nightly columns and the record has that class. The summary
(mean absolute error per variant and quantity, against :data:`TARGETS`) and the ablation table
(how much of the error each mechanism closes) are made from those rows. The validation that
produces the forecasts is :mod:`sim.calibration.rolling_origin`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.calibration.air_force_file import MISSILE_CLASS_NAMES, missile_column
from sim.calibration.fitters import FULL
from sim.calibration.record import Record
from sim.config.errors import SimInputError

TARGETS = {"neutralised_share_mae_pp": 3.0, "launches_mae_pct": 15.0}


def _quantities(record: Record, sim: pd.DataFrame) -> tuple[list[tuple], list[str]]:
    """(quantities to compare, notes). A quantity is (name, kind, unit, sim columns, record
    frame and columns)."""
    notes = []
    qs = [("drones_neutralised_share", "share", "pp", ("launched", "neutralised"), None),
          ("drones_launched", "count", "%", ("launched",), None)]
    rec_missiles = record.missiles()
    for c in MISSILE_CLASS_NAMES:
        s_launch, s_destr = missile_column("launched", c), missile_column("destroyed", c)
        in_sim = s_launch in sim.columns and s_destr in sim.columns
        in_rec = (not rec_missiles.empty) and (rec_missiles["missile_class"] == c).any()
        if in_sim and in_rec:
            qs.append((f"missiles_{c}_neutralised_share", "share", "pp", (s_launch, s_destr), c))
            qs.append((f"missiles_{c}_launched", "count", "%", (s_launch,), c))
        elif in_rec and not in_sim:
            notes.append(f"missiles ({c}): the variant with the missile stream switched off "
                         f"writes no {s_launch}/{s_destr} columns; not compared there")
        elif in_sim and not in_rec:
            notes.append(f"missiles ({c}): the record has no {c} missiles; not compared")
    return qs, notes


def _sim_missile_neutralised(sim: pd.DataFrame, cls: str) -> pd.Series:
    out = sim[missile_column("destroyed", cls)].astype(float)
    lost = missile_column("lost_ew", cls)
    if lost in sim.columns:
        out = out + sim[lost].astype(float)
    return out


def compare(record: Record, sim: pd.DataFrame, months: Sequence[str]
            ) -> tuple[pd.DataFrame, list[str]]:
    """Compare simulated months (one row per replicate and month) with the record.

    Returns:
        (rows with ``month``, ``quantity``, ``unit``, ``observed``, ``sim_mean``, ``sim_p05``,
        ``sim_p95``, ``error``; notes). Shares are compared in percentage points (error =
        simulated mean - observed, x 100), launches in % (simulated mean / observed - 1).
    """
    qs, notes = _quantities(record, sim)
    obs_d = record.monthly.set_index("month")
    rec_m = record.missiles()
    rec_m = rec_m.set_index(["missile_class", "month"]) if not rec_m.empty else rec_m
    rows = []
    for mo in months:
        s = sim[sim["month"] == mo]
        if s.empty:
            raise SimInputError(f"the forecast run does not cover month {mo}")
        for name, kind, unit, cols, cls in qs:
            if cls is None:
                if mo not in obs_d.index:
                    continue
                o_launch = float(obs_d.loc[mo, "launched"])
                o_neut = float(obs_d.loc[mo, "neutralised"])
                s_launch = s["launched"].to_numpy(float)
                s_neut = s["neutralised"].to_numpy(float)
            else:
                if (cls, mo) not in rec_m.index:
                    continue
                o_launch = float(rec_m.loc[(cls, mo), "launched"])
                o_neut = float(rec_m.loc[(cls, mo), "neutralised"])
                s_launch = s[cols[0]].to_numpy(float)
                s_neut = _sim_missile_neutralised(s, cls).to_numpy(float)
            if kind == "share":
                if o_launch <= 0:
                    continue
                obs = o_neut / o_launch
                with np.errstate(divide="ignore", invalid="ignore"):
                    v = np.where(s_launch > 0, s_neut / np.where(s_launch > 0, s_launch, 1),
                                 np.nan)
                v = v[np.isfinite(v)]
                if not len(v):
                    continue
                mean = float(np.mean(v))
                err = 100.0 * (mean - obs)
            else:
                obs = o_launch
                v = s_launch
                mean = float(np.mean(v))
                err = 100.0 * (mean / obs - 1.0) if obs > 0 else math.nan
            rows.append({"month": mo, "quantity": name, "unit": unit, "observed": obs,
                         "sim_mean": mean, "sim_p05": float(np.quantile(v, 0.05)),
                         "sim_p95": float(np.quantile(v, 0.95)), "error": err})
    return pd.DataFrame(rows), notes


def error_summary(forecasts: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (variant, q), g in forecasts.groupby(["variant", "quantity"], sort=False):
        e = g["error"].to_numpy(float)
        e = e[np.isfinite(e)]
        unit = g["unit"].iloc[0]
        target = TARGETS["neutralised_share_mae_pp"] if unit == "pp" else TARGETS[
            "launches_mae_pct"]
        mae = float(np.mean(np.abs(e))) if len(e) else math.nan
        rows.append({"variant": variant, "quantity": q, "unit": unit, "n": int(len(e)),
                     "mae": mae, "bias": float(np.mean(e)) if len(e) else math.nan,
                     "max_abs": float(np.max(np.abs(e))) if len(e) else math.nan,
                     "target_mae": target, "target_met": bool(mae <= target)})
    return pd.DataFrame(rows)


def ablation_table(summary: pd.DataFrame, mechanisms: Sequence[str]) -> pd.DataFrame:
    rows = []
    full = summary[summary["variant"] == FULL].set_index("quantity")
    for name in mechanisms:
        off = summary[summary["variant"] == name].set_index("quantity")
        for q in full.index:
            if q not in off.index:
                continue
            m_full, m_off = float(full.loc[q, "mae"]), float(off.loc[q, "mae"])
            closes = m_off - m_full
            rows.append({"mechanism": name, "quantity": q, "unit": full.loc[q, "unit"],
                         "mae_full": m_full, "mae_without": m_off, "closes": closes,
                         "share_of_error_closed": closes / m_off if m_off > 0 else math.nan})
    return pd.DataFrame(rows, columns=["mechanism", "quantity", "unit", "mae_full",
                                       "mae_without", "closes", "share_of_error_closed"])
