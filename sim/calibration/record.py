"""The Ukrainian Air Force record: its layouts, nights, months and observed rates.

Source: "Massive Missile Attacks on Ukraine" by Petro Ivaniuk (Kaggle ``piterfm``), digitised
from Ukrainian Air Force reports, CC BY-NC-SA 4.0. The nightly and monthly tables written here
(``sim/data/air_force_nights.csv``, ``sim/data/air_force_monthly.csv``) are derivatives and are
shared under the same licence (``sim/data/README_threat.md``).

Three layouts are read, each recognised by its columns:

* the raw record, the Ivaniuk/Kaggle ``missile_attacks_daily.csv`` (one row per weapon model and
  report window): :func:`~sim.calibration.air_force_file.load_air_force_record` turns it into
  one row per night (read once per process);
* the nightly table (``sim/data/air_force_nights.csv``, shipped): the same nights, so the fits
  run on a machine without the raw record;
* the monthly aggregate (``sim/data/air_force_monthly.csv``, shipped): enough for the observed
  monthly rates, not for the threat fit.

:class:`Record` holds a record in memory (nights if known, months always) and cuts it at a
month (:meth:`Record.until`), which is how the rolling-origin validation keeps the forecast
months out of every fit.

The rules that turn report rows into nights, and the missile classes of the record's labels,
are in :mod:`sim.calibration.air_force_file`.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.air_force_file import (
    MISSILE_CLASS_NAMES,
    MISSILE_FIELDS,
    REQUIRED_COLUMNS,
    load_air_force_record,
    missile_column,
    read_record_csv,
)
from sim.config.data import packaged_path
from sim.config.errors import DataFileError
from sim.model.outcomes import OUTCOMES

SOURCE = (
    'Petro Ivaniuk / Kaggle piterfm, "Massive Missile Attacks on Ukraine" '
    "(missile_attacks_daily.csv), from Ukrainian Air Force reports"
)
LICENCE = (
    "CC BY-NC-SA 4.0 (attribution, non-commercial, share-alike). Derived aggregates and fitted "
    "parameters from the Ivaniuk dataset, shared under the same licence."
)
MONTHLY_CSV_NAME = "air_force_monthly.csv"
NIGHTS_CSV_NAME = "air_force_nights.csv"

EW_SHARE_LAST_MONTH = "2025-07"  # from 2025-08 not_reach_goal is folded into destroyed

MONTHLY_COLUMNS = ("month", "launched", "neutralised", "not_reach_goal")


# --------------------------------------------------------------------------------------------
# Monthly aggregates
# --------------------------------------------------------------------------------------------


def check_nights(nights_df: pd.DataFrame) -> pd.DataFrame:
    """A sorted copy of a nightly table with ``_night`` (Timestamp); checks the columns."""
    missing = [c for c in ("night", "launched") if c not in nights_df.columns]
    if missing:
        raise DataFileError(f"nights table: missing column(s) {', '.join(missing)}")
    out = nights_df.copy()
    out["_night"] = pd.to_datetime(out["night"]).dt.normalize()
    return out.sort_values("_night").reset_index(drop=True)


def monthly_aggregates(nights_df: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a nightly table (from :func:`load_air_force_record`) per calendar month.

    Returns:
        Columns ``month`` (``YYYY-MM``), ``nights`` (nights of the month in the table),
        ``attack_nights`` (nights with launches), ``launched``, ``destroyed``, ``not_reach_goal``,
        ``neutralised``, ``neutralisation_rate`` (neutralised / launched, NaN with no launches),
        ``max_night`` and ``mean_per_attack_night`` (NaN with no attack night). Shahed-type
        drones only (the layout of ``sim/data/air_force_monthly.csv``).
    """
    df = check_nights(nights_df)
    for col in ("destroyed", "not_reach_goal"):
        if col not in df.columns:
            df[col] = 0
    if "neutralised" not in df.columns:
        df["neutralised"] = df["destroyed"] + df["not_reach_goal"]
    df["month"] = df["_night"].dt.strftime("%Y-%m")
    df["attack"] = df["launched"] > 0
    g = df.groupby("month", sort=True)
    out = pd.DataFrame(
        {
            "nights": g.size(),
            "attack_nights": g["attack"].sum(),
            "launched": g["launched"].sum(),
            "destroyed": g["destroyed"].sum(),
            "not_reach_goal": g["not_reach_goal"].sum(),
            "neutralised": g["neutralised"].sum(),
            "max_night": g["launched"].max(),
        }
    ).reset_index()
    for col in ("nights", "attack_nights", "launched", "destroyed", "not_reach_goal",
                "neutralised", "max_night"):
        out[col] = out[col].astype(np.int64)
    launched = out["launched"].to_numpy(dtype=float)
    attack = out["attack_nights"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["neutralisation_rate"] = np.where(
            launched > 0, out["neutralised"] / np.where(launched > 0, launched, 1), np.nan
        )
        out["mean_per_attack_night"] = np.where(attack > 0, launched / np.where(attack > 0,
                                                                                 attack, 1), np.nan)
    return out[
        ["month", "nights", "attack_nights", "launched", "destroyed", "not_reach_goal",
         "neutralised", "neutralisation_rate", "max_night", "mean_per_attack_night"]
    ]


def missile_monthly(nights_df: pd.DataFrame) -> pd.DataFrame:
    """Missiles by class and month from a nightly table (empty if it has no missile columns).

    Returns:
        Long table: ``month``, ``missile_class``, ``launched``, ``destroyed``,
        ``not_reach_goal``, ``neutralised``, ``rate`` (neutralised / launched, NaN with none).
    """
    df = check_nights(nights_df)
    df["month"] = df["_night"].dt.strftime("%Y-%m")
    frames = []
    for c in MISSILE_CLASS_NAMES:
        cols = {f: missile_column(f, c) for f in MISSILE_FIELDS}
        if not all(col in df.columns for col in cols.values()):
            continue
        g = df.groupby("month", sort=True)[list(cols.values())].sum()
        g.columns = list(cols)
        g = g.reset_index()
        g.insert(1, "missile_class", c)
        frames.append(g)
    if not frames:
        return pd.DataFrame(columns=["month", "missile_class", *MISSILE_FIELDS, "neutralised",
                                     "rate"])
    out = pd.concat(frames, ignore_index=True)
    out["neutralised"] = out["destroyed"] + out["not_reach_goal"]
    launched = out["launched"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(launched > 0, out["neutralised"] / launched, np.nan)
    return out.sort_values(["missile_class", "month"]).reset_index(drop=True)


def interception_rate(destroyed, lost_ew, launched) -> np.ndarray:
    """The outcome registry's ``interception_rate``, (destroyed + lost to EW) / launched (NaN
    with no launches), of each row: the one definition that the fits and checks compare with
    the record's (destroyed + locationally lost) / launched."""
    rate = OUTCOMES["interception_rate"]
    rows = zip(*(np.asarray(x, float).reshape(-1) for x in (destroyed, lost_ew, launched)),
               strict=True)
    return np.array([rate.derive({"destroyed": d, "lost_ew": e, "launched": n})
                     for d, e, n in rows], dtype=float)


def observed_rates(monthly: pd.DataFrame, where: str = "record") -> pd.DataFrame:
    """Observed monthly rates from a table with ``month, launched, neutralised, not_reach_goal``.

    Returns:
        Columns ``month`` (``YYYY-MM``), ``launched``, ``neutralised``, ``not_reach_goal``,
        ``interception_rate`` (neutralised / launched: the registry's outcome of that name, with
        the record's "locationally lost" as the EW loss) and ``ew_share`` (not_reach_goal /
        launched; NaN from 2025-08, when the Air Force stopped reporting it separately).
    """
    out = pd.DataFrame({
        "month": monthly["month"].astype(str),
        "launched": pd.to_numeric(monthly["launched"], errors="coerce"),
        "neutralised": pd.to_numeric(monthly["neutralised"], errors="coerce"),
        "not_reach_goal": pd.to_numeric(monthly["not_reach_goal"], errors="coerce"),
    })
    if out[["launched", "neutralised", "not_reach_goal"]].isna().any().any():
        raise DataFileError(f"{where}: non-numeric launched/neutralised/not_reach_goal values")
    launched = out["launched"].to_numpy(float)
    out["interception_rate"] = interception_rate(
        out["neutralised"] - out["not_reach_goal"], out["not_reach_goal"], launched)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ew_share"] = np.where(
            (launched > 0) & (out["month"] <= EW_SHARE_LAST_MONTH),
            out["not_reach_goal"] / launched, np.nan,
        )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Reading any layout
# --------------------------------------------------------------------------------------------


def layout(path: Path) -> str:
    """``raw``, ``nights`` or ``monthly``: which layout of the record a CSV file has."""
    head = read_record_csv(path, nrows=0)
    cols = set(head.columns)
    if set(REQUIRED_COLUMNS) <= cols:
        return "raw"
    if {"night", "launched", "destroyed", "not_reach_goal"} <= cols:
        return "nights"
    if set(MONTHLY_COLUMNS) <= cols:
        return "monthly"
    raise DataFileError(
        f"{path}: not an Air Force record: expected the raw Ivaniuk/Kaggle layout (columns "
        f"{', '.join(REQUIRED_COLUMNS)}), a nightly table like sim/data/{NIGHTS_CSV_NAME} or a "
        f"monthly aggregate like sim/data/{MONTHLY_CSV_NAME}")


def read_nights_csv(path: str | os.PathLike) -> pd.DataFrame:
    """Read a nightly table written by :func:`write_nights_csv` (the shipped one by default)."""
    p = Path(path)
    df = read_record_csv(p, dtype={"night": str})
    try:
        df["night"] = pd.to_datetime(df["night"], format="%Y-%m-%d").dt.date
    except (ValueError, TypeError) as exc:
        raise DataFileError(f"{p}: column 'night' must hold dates YYYY-MM-DD ({exc})") from exc
    for col in df.columns:
        if col in ("night", "is_shahed"):
            continue
        v = pd.to_numeric(df[col], errors="coerce")
        if v.isna().any() or (v < 0).any():
            row = int((v.isna() | (v < 0)).idxmax())
            raise DataFileError(f"{p}: row {row + 2}, column '{col}': not a count >= 0")
        df[col] = v.astype(np.int64)
    if "is_shahed" in df.columns:
        df["is_shahed"] = pd.to_numeric(df["is_shahed"], errors="coerce").astype(float)
    if "neutralised" not in df.columns:
        df["neutralised"] = df["destroyed"] + df["not_reach_goal"]
    return df


def load_nights(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Nightly table from the raw record or a nightly CSV (default: the shipped one)."""
    p = Path(path) if path is not None else packaged_path(NIGHTS_CSV_NAME)
    kind = layout(p)
    if kind == "raw":
        return load_air_force_record(p)
    if kind == "nights":
        return read_nights_csv(p)
    raise DataFileError(f"{p}: a monthly aggregate has no nights; give the raw record or a "
                        f"nightly table")


def observed_monthly(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The record month by month (drones), from any of the three layouts.

    Args:
        path: the raw record, a nightly table or a monthly aggregate (default: the shipped
            monthly aggregate ``sim/data/air_force_monthly.csv``).

    Returns:
        :func:`observed_rates` of the months.

    Raises:
        DataFileError: missing or unreadable file, or none of the layouts.
    """
    p = Path(path) if path is not None else packaged_path(MONTHLY_CSV_NAME)
    if not p.exists():
        raise DataFileError(f"{p}: file not found (the Air Force record CSV is needed to refit)")
    kind = layout(p)
    if kind == "monthly":
        return observed_rates(read_record_csv(p, dtype={"month": str}), str(p))
    return observed_rates(monthly_aggregates(load_nights(p)), str(p))


def sha256_of(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Record:
    """The record in memory.

    Attributes:
        monthly: :func:`observed_rates` layout (drones), one row per month.
        nights: the nightly table, or None when only a monthly aggregate was read.
        source: where it came from (file name, or a description).
        sha256: of the source file, if read from one.
        last_month: the last month included (``YYYY-MM``).
    """

    monthly: pd.DataFrame
    nights: pd.DataFrame | None = None
    source: str = "record"
    sha256: str | None = None

    @property
    def last_month(self) -> str:
        return str(self.monthly["month"].iloc[-1])

    @property
    def months(self) -> list[str]:
        return [str(m) for m in self.monthly["month"]]

    def until(self, month: str) -> Record:
        """The record cut after ``month`` (``YYYY-MM``): nothing later is visible."""
        month = str(pd.Period(month, freq="M"))
        monthly = self.monthly[self.monthly["month"] <= month].reset_index(drop=True)
        nights = None
        if self.nights is not None:
            end = pd.Period(month, freq="M").end_time.normalize()
            keep = pd.to_datetime(self.nights["night"]) <= end
            nights = self.nights[keep.to_numpy()].reset_index(drop=True)
        return replace(self, monthly=monthly, nights=nights,
                       source=f"{self.source} up to {month}")

    def require_nights(self, what: str) -> pd.DataFrame:
        if self.nights is None:
            raise DataFileError(
                f"{self.source}: {what} needs the nightly record (the raw Air Force CSV or "
                f"sim/data/{NIGHTS_CSV_NAME}), not a monthly aggregate")
        return self.nights

    def observed(self, months) -> pd.DataFrame:
        """Rows of :attr:`monthly` for ``months``, indexed by month; error if one is missing."""
        obs = self.monthly.set_index("month")
        missing = [m for m in months if m not in obs.index]
        if missing:
            raise DataFileError(f"{self.source}: no data for month(s) {', '.join(missing)}")
        return obs.loc[list(months)]

    def missiles(self) -> pd.DataFrame:
        """:func:`missile_monthly` of the nights (empty without nights or missile columns)."""
        if self.nights is None:
            return missile_monthly(pd.DataFrame({"night": [], "launched": []}))
        return missile_monthly(self.nights)


def record_from_nights(nights: pd.DataFrame, source: str = "nights table",
                       sha256: str | None = None) -> Record:
    """A :class:`Record` from a nightly table (e.g. a synthetic one)."""
    return Record(monthly=observed_rates(monthly_aggregates(nights), source), nights=nights,
                  source=source, sha256=sha256)


def load_record(path: str | os.PathLike | None = None) -> Record:
    """The record from a file of any layout (default: the shipped nightly table).

    Raises:
        DataFileError: missing or unreadable file, or none of the layouts.
    """
    p = Path(path) if path is not None else packaged_path(NIGHTS_CSV_NAME)
    kind = layout(p)
    digest = sha256_of(p)
    if kind == "monthly":
        return Record(monthly=observed_rates(read_record_csv(p, dtype={"month": str}), str(p)),
                      nights=None, source=p.name, sha256=digest)
    return record_from_nights(load_nights(p), p.name, digest)


# --------------------------------------------------------------------------------------------
# Writing the shipped tables
# --------------------------------------------------------------------------------------------


def _round_sig(x: float, digits: int = 6) -> float:
    x = float(x)
    if x == 0.0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits - 1}e}")


def write_shared_text(path: str | os.PathLike, text: str) -> None:
    """Write text atomically and make it world-readable (a shipped data file or a report)."""
    from sim.config.files import atomic_write_text

    atomic_write_text(Path(path), text)
    os.chmod(path, 0o644)  # mkstemp creates 0600


def _csv_text(df: pd.DataFrame) -> str:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = [("" if not math.isfinite(v) else repr(_round_sig(v))) for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n")


def write_monthly_csv(monthly: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write monthly aggregates as CSV atomically; floats rounded to 6 significant digits."""
    write_shared_text(path, _csv_text(monthly))


def write_nights_csv(nights: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the nightly table as CSV atomically (dates as YYYY-MM-DD)."""
    out = nights.copy()
    out["night"] = pd.to_datetime(out["night"]).dt.strftime("%Y-%m-%d")
    write_shared_text(path, _csv_text(out))
