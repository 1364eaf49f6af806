"""The power system's data files: the dated damage ledger (``sim/data/energy_damage_ledger.csv``:
what was destroyed, damaged and repaired, read by :func:`load_damage_ledger` and checked against
the sites by :func:`check_ledger_components`) and the hourly load shape by month
(``sim/data/load_shape.csv``, :func:`load_load_shape`). Bad rows raise
:class:`~sim.config.errors.DataFileError` naming the file, the row and the reason.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.data import file_cached, packaged_path, read_csv_checked, row_no, strip_text, to_float
from sim.config.energy import (
    LEDGER_RECORD_END,
    LEDGER_RECORD_START,
)
from sim.config.errors import DataFileError

LEDGER_COLUMNS: tuple[str, ...] = ("date", "component", "event", "out_share", "repaired_share",
                                   "repaired_date", "source")
LEDGER_EVENTS: tuple[str, ...] = ("damaged", "destroyed")


def _ledger_date(v: str, path: Path, i: int, col: str):
    import datetime as _dt

    try:
        d = _dt.date.fromisoformat(str(v).strip())
    except ValueError:
        raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {v!r} is not a date "
                            "(YYYY-MM-DD)") from None
    if not LEDGER_RECORD_START <= d <= LEDGER_RECORD_END:
        raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {d} is outside the record "
                            f"({LEDGER_RECORD_START} to {LEDGER_RECORD_END})")
    return d


@file_cached("energy_damage_ledger.csv")
def load_damage_ledger(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the energy damage ledger (``sim/data/energy_damage_ledger.csv``).

    One row per damage event: ``date`` (YYYY-MM-DD, within the record), ``component`` (a site
    id of the component table), ``event`` (damaged or destroyed), ``out_share`` (share of the
    component's nameplate units put out, 0-1), ``repaired_share`` (share of that brought back,
    0-1; empty = 0) by ``repaired_date`` (on or after ``date``; empty when nothing was
    repaired), ``source``.

    Returns:
        The rows with ``date`` and ``repaired_date`` as :class:`datetime.date` (``None`` when
        empty) and the shares as float; ``attrs["path"]`` holds the file path.

    Raises:
        DataFileError: naming the file, row and field: a missing column, a date outside the
            record, an unknown event, a share outside [0, 1] (negative or a repaired share
            above 1), a repair dated before the damage, a repaired share without a date.
            Unknown components are checked against the sites table where the ledger is used
            (:func:`check_ledger_components`).
    """
    path = packaged_path("energy_damage_ledger.csv") if path is None else Path(path)
    df = read_csv_checked(path, LEDGER_COLUMNS)
    strip_text(df, ("date", "component", "event", "out_share", "repaired_share", "repaired_date"))
    dates, rdates, outs, reps = [], [], [], []
    for i, row in enumerate(df.itertuples(index=False)):
        d = _ledger_date(row.date, path, i, "date")
        if row.event not in LEDGER_EVENTS:
            raise DataFileError(f"{path}: row {row_no(i)}, field event: {row.event!r} is not one "
                                f"of {', '.join(LEDGER_EVENTS)}")
        vals = []
        for col in ("out_share", "repaired_share"):
            v = getattr(row, col)
            if col == "repaired_share" and v == "":
                v = "0"
            try:
                x = float(v)
            except ValueError:
                raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {v!r} is not a "
                                    "number") from None
            if not (math.isfinite(x) and 0.0 <= x <= 1.0):
                raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {x} must be a share "
                                    "between 0 and 1")
            vals.append(x)
        rd = None
        if row.repaired_date != "":
            rd = _ledger_date(row.repaired_date, path, i, "repaired_date")
            if rd < d:
                raise DataFileError(f"{path}: row {row_no(i)}, field repaired_date: repair on "
                                    f"{rd} before the damage on {d}")
        elif vals[1] > 0:
            raise DataFileError(f"{path}: row {row_no(i)}, field repaired_date: empty, but "
                                f"repaired_share is {vals[1]}")
        dates.append(d)
        rdates.append(rd)
        outs.append(vals[0])
        reps.append(vals[1])
    df["date"] = dates
    df["repaired_date"] = rdates
    df["out_share"] = np.array(outs, float)
    df["repaired_share"] = np.array(reps, float)
    df.attrs["path"] = str(path)
    return df


def check_ledger_components(ledger: pd.DataFrame, site_ids) -> None:
    """Every ledger row names a component of the sites table (``DataFileError`` otherwise)."""
    ids = set(site_ids)
    path = ledger.attrs.get("path", "damage ledger")
    for i, c in enumerate(ledger["component"].tolist()):
        if c not in ids:
            raise DataFileError(f"{path}: row {row_no(i)}, field component: unknown component "
                                f"{c!r} (not a site id of the component table)")


@file_cached("load_shape.csv")
def load_load_shape(path: str | Path | None = None) -> np.ndarray:
    """Load the hourly load shape by month (``sim/data/load_shape.csv``).

    Args:
        path: CSV with columns ``month`` (1-12), ``hour`` (0-23) and ``factor`` (demand in that
            hour relative to the month's highest hour, in (0, 1]); each month must give all 24
            hours once, with a highest factor of exactly 1. ``None``: the packaged file.

    Returns:
        A 12 x 24 array (January first, hour 0 first).

    Raises:
        DataFileError: naming the file, row and field: a missing column, a month or hour out
            of range or repeated, a factor outside (0, 1], a month whose hours do not make the
            day (24 hours) or whose highest hour is not 1.
    """
    path = packaged_path("load_shape.csv") if path is None else Path(path)
    df = read_csv_checked(path, ("month", "hour", "factor"))
    months = to_float(df, "month", path)
    hours = to_float(df, "hour", path)
    fac = to_float(df, "factor", path)
    out = np.full((12, 24), np.nan)
    for i in range(len(df)):
        m, h, f = months[i], hours[i], fac[i]
        if m != int(m) or not 1 <= m <= 12:
            raise DataFileError(f"{path}: row {row_no(i)}, field month: {m:g} is not 1..12")
        if h != int(h) or not 0 <= h <= 23:
            raise DataFileError(f"{path}: row {row_no(i)}, field hour: {h:g} is not 0..23")
        if not 0.0 < f <= 1.0:
            raise DataFileError(f"{path}: row {row_no(i)}, field factor: {f:g} is not in (0, 1]")
        if not np.isnan(out[int(m) - 1, int(h)]):
            raise DataFileError(f"{path}: row {row_no(i)}, field hour: month {int(m)} hour "
                                f"{int(h)} repeated")
        out[int(m) - 1, int(h)] = f
    for m in range(12):
        n = int(np.sum(~np.isnan(out[m])))
        if n != 24:
            raise DataFileError(f"{path}: field hour: month {m + 1} gives {n} hours; the hours "
                                "of a month must make the day (0..23, 24 hours)")
        if abs(out[m].max() - 1.0) > 1e-9:
            raise DataFileError(f"{path}: field factor: month {m + 1} has a highest hour of "
                                f"{out[m].max():g}; it must be exactly 1 (the month's peak)")
    return out
