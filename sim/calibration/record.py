"""The Ukrainian Air Force record: report rows to nights, months and observed rates.

Source: "Massive Missile Attacks on Ukraine" by Petro Ivaniuk (Kaggle ``piterfm``), digitised
from Ukrainian Air Force reports, CC BY-NC-SA 4.0. The nightly and monthly tables written here
(``sim/data/air_force_nights.csv``, ``sim/data/air_force_monthly.csv``) are derivatives and are
shared under the same licence (``sim/data/README_threat.md``).

Three layouts are read, each recognised by its columns:

* the raw record, the Ivaniuk/Kaggle ``missile_attacks_daily.csv`` (one row per weapon model and
  report window): :func:`load_air_force_record` turns it into one row per night; the result is
  cached by file path, modification time and size, so a fit and a validation in the same
  process read the file once;
* the nightly table (``sim/data/air_force_nights.csv``, shipped): the same nights, so the fits
  run on a machine without the raw record;
* the monthly aggregate (``sim/data/air_force_monthly.csv``, shipped): enough for the observed
  monthly rates, not for the threat fit.

:class:`Record` holds a record in memory (nights if known, months always) and cuts it at a
month (:meth:`Record.until`), which is how the rolling-origin validation keeps the forecast
months out of every fit.

Rules used to build the nightly series (see :func:`load_air_force_record`):

* **Which rows.** Rows whose ``model`` contains "Shahed" (case-insensitive). The Air Force's
  "Shahed" figure includes Gerbera/imitator decoys. The only bundled label in the record,
  ``"Shahed-136/131 and Lancet"`` (one window, 2023-06-08, 16 launched), is kept whole because the
  count cannot be split and Shaheds dominate it; it lies before the trend and fit windows.
  ``Unknown UAV`` and ``Reconnaissance UAV`` rows are not Shahed counts and are ignored.
  Missiles go to a class by :data:`MISSILE_CLASSES` (see :func:`missile_class`).
* **Which night.** Night *D* is the 24 h from 15:00 on date *D* to 15:00 on *D + 1*. Each report
  window goes to the night that contains the midpoint of the window. Thus an overnight window
  (e.g. 19:00 to 09:00) belongs to the evening on which it starts; a daytime continuation that
  starts in the morning (e.g. 08:00 to 18:00, midpoint 13:00) belongs to the night before it; an
  afternoon window (e.g. 12:00 to 20:00) belongs to the coming night; a 24 h window from 09:00 to
  09:00 belongs to the night it spans. A start given as a bare date means 00:00 of that date, an
  end given as a bare date means 23:59 of that date (so the early morning reports of 2022-2024,
  "2024-05-10" to "2024-05-10 08:00", belong to the night of 2024-05-09).
* **National first.** National reports have ``target == "Ukraine"``. Regional rows (Air Command
  South/East tallies, or national posts whose target field names oblasts) are used for a night
  only when that night has no national row of the same weapon group (Shahed-type, or one missile
  class); otherwise they are dropped to avoid double counting. For Shaheds this drops 18
  regional rows, 119 drones over the whole record (4 rows and 26 drones, all Air Command South
  daytime tallies, in the 2024-10 to 2025-09 fit window).
* **Counts.** ``destroyed`` and ``not_reach_goal`` blanks count as 0. From 2025-08 ``destroyed``
  means "shot down or suppressed" and ``not_reach_goal`` is 0, so only
  ``neutralised = destroyed + not_reach_goal`` is comparable across the whole record
  (the dataset's README).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
RECORD_FILE_NAME = "missile_attacks_daily_to_2025-09-30.csv"
MONTHLY_CSV_NAME = "air_force_monthly.csv"
NIGHTS_CSV_NAME = "air_force_nights.csv"

REQUIRED_COLUMNS = (
    "time_start",
    "time_end",
    "model",
    "target",
    "launched",
    "destroyed",
    "not_reach_goal",
)
NATIONAL_TARGET = "Ukraine"
SHAHED_PATTERN = "shahed"
NIGHT_CUTOFF_HOURS = 15  # night D runs from 15:00 on D to 15:00 on D + 1
EW_SHARE_LAST_MONTH = "2025-07"  # from 2025-08 not_reach_goal is folded into destroyed

NIGHT_COLUMNS = ("night", "launched", "destroyed", "not_reach_goal", "neutralised")
MONTHLY_COLUMNS = ("month", "launched", "neutralised", "not_reach_goal")

# Missile classes of the record's ``model`` labels (parts of a bundled label joined by " and ").
# Classes follow the ``category`` of the dataset's ``missiles_and_uavs.csv``; S-300/S-400 used
# against ground targets fly a ballistic path and are counted as ballistic. A bundled label whose
# parts have different classes cannot be split and is left out (2 windows, 41 missiles from
# 2024-04 to 2025-09). The missile fit (sim.calibration.missile_fit) may replace this table.
MISSILE_CLASSES: dict[str, str] = {
    **dict.fromkeys((
        "X-101/X-555", "Kalibr", "Iskander-K", "X-59/X-69", "X-59", "X-69", "X-59MK2", "X-22",
        "X-32", "X-31", "X-31P", "X-31PD", "X-35", "P-800 Oniks", "3M22 Zircon", "Banderol",
        "Unknown Missile",
    ), "cruise"),
    **dict.fromkeys((
        "Iskander-M", "Iskander-M/KN-23", "KN-23", "X-47 Kinzhal", "Ballistic Missile",
        "Intercontinental Ballistic Missile", "C-300", "C-400", "C-300/C-400",
    ), "ballistic"),
}
MISSILE_CLASS_NAMES = ("cruise", "ballistic")
MISSILE_FIELDS = ("launched", "destroyed", "not_reach_goal")

_TIME_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?\s*$")


def missile_class(label: Any, classes: Mapping[str, str] = MISSILE_CLASSES) -> str | None:
    """Class of a record ``model`` label (``"cruise"``, ``"ballistic"``), or None.

    A bundled label ("X-101/X-555 and Kalibr") has a class when all its parts share it.
    """
    if not isinstance(label, str):
        return None
    parts = [p.strip() for p in label.split(" and ")]
    found = {classes.get(p) for p in parts}
    if len(found) == 1 and None not in found:
        return found.pop()
    return None


def missile_column(field: str, cls: str) -> str:
    """Nightly column of a missile count, e.g. ``missiles_launched_cruise`` (the model's name)."""
    return f"missiles_{field}_{cls}"


# --------------------------------------------------------------------------------------------
# Parsing the raw record
# --------------------------------------------------------------------------------------------


def _parse_time(value: Any, *, is_end: bool) -> dt.datetime | None:
    """Parse ``YYYY-MM-DD[ HH:MM]``; a bare date is 00:00 (start) or 23:59 (end). None if bad."""
    if not isinstance(value, str):
        return None
    m = _TIME_RE.match(value)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        if m.group(4) is None:
            if is_end:
                return dt.datetime(year, month, day, 23, 59)
            return dt.datetime(year, month, day)
        return dt.datetime(year, month, day, int(m.group(4)), int(m.group(5)))
    except ValueError:
        return None


def _night_of(start: dt.datetime, end: dt.datetime) -> dt.date:
    """Night (evening date) that contains the midpoint of a report window."""
    if end < start:
        end = start
    mid = start + (end - start) / 2
    return (mid - dt.timedelta(hours=NIGHT_CUTOFF_HOURS)).date()


def _to_count(series: pd.Series, column: str, path: Path, *, blank_is_zero: bool) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna() & (series.astype(str).str.strip() != "")
    if bad.any():
        row = int(bad.idxmax())
        raise DataFileError(
            f"{path}: column '{column}' has a non-numeric value {series[row]!r} "
            f"(data row {row + 1})"
        )
    if not blank_is_zero and values.isna().any():
        row = int(values.isna().idxmax())
        raise DataFileError(f"{path}: column '{column}' is empty on data row {row + 1}")
    if (values < 0).any():
        row = int((values < 0).idxmax())
        raise DataFileError(f"{path}: column '{column}' is negative on data row {row + 1}")
    return values.fillna(0.0).to_numpy(dtype=float)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataFileError(f"{path}: file not found")
    if not path.is_file():
        raise DataFileError(f"{path}: not a regular file")


def _read_csv(path: Path, **kw) -> pd.DataFrame:
    _check_file(path)
    try:
        return pd.read_csv(path, **kw)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(f"{path}: cannot be read as a CSV file ({exc})") from exc


def _report_nights(rows: pd.DataFrame, path: Path) -> list[dt.date]:
    nights = []
    for idx, start_s, end_s in zip(rows.index, rows["time_start"], rows["time_end"], strict=True):
        start = _parse_time(start_s, is_end=False)
        if start is None:
            raise DataFileError(
                f"{path}: data row {idx + 1}: time_start {start_s!r} is not 'YYYY-MM-DD[ HH:MM]'"
            )
        end = _parse_time(end_s, is_end=True)
        if end is None:
            if isinstance(end_s, str) and end_s.strip():
                raise DataFileError(
                    f"{path}: data row {idx + 1}: time_end {end_s!r} is not 'YYYY-MM-DD[ HH:MM]'"
                )
            end = start
        nights.append(_night_of(start, end))
    return nights


def _group_rows(rows: pd.DataFrame, path: Path, *, blank_launched_is_zero: bool = False
                ) -> pd.DataFrame:
    """Rows of one weapon group -> one row per night (national reports first)."""
    df = pd.DataFrame({
        "night": _report_nights(rows, path),
        "national": (rows["target"].fillna("").str.strip() == NATIONAL_TARGET).to_numpy(),
        "launched": _to_count(rows["launched"], "launched", path,
                              blank_is_zero=blank_launched_is_zero),
        "destroyed": _to_count(rows["destroyed"], "destroyed", path, blank_is_zero=True),
        "not_reach_goal": _to_count(rows["not_reach_goal"], "not_reach_goal", path,
                                    blank_is_zero=True),
    })
    if "is_shahed" in rows.columns:
        df["is_shahed"] = pd.to_numeric(rows["is_shahed"], errors="coerce").to_numpy(dtype=float)
    else:
        df["is_shahed"] = np.nan
    has_national = df.groupby("night")["national"].transform("any")
    df = df[df["national"] | ~has_national].copy()
    df["is_shahed_launched"] = np.where(np.isnan(df["is_shahed"]), 0.0, df["launched"])
    df["reports"] = 1
    return df.groupby("night", sort=True).agg(
        launched=("launched", "sum"),
        destroyed=("destroyed", "sum"),
        not_reach_goal=("not_reach_goal", "sum"),
        is_shahed=("is_shahed", lambda s: s.sum(min_count=1)),
        is_shahed_launched=("is_shahed_launched", "sum"),
        reports=("reports", "sum"),
    )


def _file_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_mtime_ns, st.st_size


@lru_cache(maxsize=4)
def _nights_cached(key: tuple[str, int, int]) -> pd.DataFrame:
    return _parse_record(Path(key[0]))


def _parse_record(path: Path) -> pd.DataFrame:
    raw = _read_csv(path, dtype=str, keep_default_na=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)}; expected the Ivaniuk/Kaggle "
            f"missile_attacks_daily.csv layout with columns {', '.join(REQUIRED_COLUMNS)}"
        )
    raw = raw.reset_index(drop=True)

    # Range of nights covered by the whole file (any weapon model).
    all_nights = []
    for start_s, end_s in zip(raw["time_start"], raw["time_end"], strict=True):
        start = _parse_time(start_s, is_end=False)
        if start is None:
            continue
        end = _parse_time(end_s, is_end=True) or start
        all_nights.append(_night_of(start, end))

    labels = raw["model"].fillna("")
    is_shahed_row = labels.str.lower().str.contains(SHAHED_PATTERN, regex=False)
    if not is_shahed_row.any():
        raise DataFileError(f"{path}: no Shahed-type rows (no 'model' containing 'Shahed')")
    agg = _group_rows(raw[is_shahed_row], path)
    cls = labels.map(missile_class)
    # Missile rows: a blank launched count is 0 (one such row, 2024-02-28).
    missiles = {c: _group_rows(raw[(cls == c) & ~is_shahed_row], path,
                               blank_launched_is_zero=True)
                for c in MISSILE_CLASS_NAMES if ((cls == c) & ~is_shahed_row).any()}

    known = list(agg.index) + [n for m in missiles.values() for n in m.index]
    first = min(all_nights + known)
    last = max(all_nights + known)
    index = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    agg = agg.reindex(index)
    out = pd.DataFrame({"night": index})
    for col in ("launched", "destroyed", "not_reach_goal", "is_shahed_launched", "reports"):
        out[col] = np.rint(agg[col].fillna(0.0).to_numpy()).astype(np.int64)
    out["neutralised"] = out["destroyed"] + out["not_reach_goal"]
    out["is_shahed"] = agg["is_shahed"].to_numpy(dtype=float)
    out = out[[*NIGHT_COLUMNS, "is_shahed", "is_shahed_launched", "reports"]]
    for c in MISSILE_CLASS_NAMES:
        m = missiles.get(c)
        for f in MISSILE_FIELDS:
            v = m[f].reindex(index).fillna(0.0).to_numpy() if m is not None else np.zeros(
                len(index))
            out[missile_column(f, c)] = np.rint(v).astype(np.int64)
    return out.reset_index(drop=True)


def load_air_force_record(csv_path: str | os.PathLike) -> pd.DataFrame:
    """Read the raw Air Force record and aggregate it to one row per night.

    Args:
        csv_path: the Ivaniuk/Kaggle ``missile_attacks_daily.csv`` (or a date-filtered copy).

    Returns:
        One row per night, in date order, from the first to the last night present in the file
        (nights without a Shahed report are 0-launch nights). Columns: ``night``
        (:class:`datetime.date`, the evening date on which the night starts), ``launched``,
        ``destroyed``, ``not_reach_goal``, ``neutralised`` (= destroyed + not_reach_goal), all
        int, for Shahed-type drones; ``is_shahed`` (float: sum of "about N were Shaheds" over the
        night's rows that report it, NaN if none), ``is_shahed_launched`` (int: launches on those
        rows) and ``reports`` (int: report rows used); then for each missile class *c* of
        :data:`MISSILE_CLASS_NAMES` ``missiles_launched_<c>``, ``missiles_destroyed_<c>``,
        ``missiles_not_reach_goal_<c>``. The rules are in the module docstring. The parsed file
        is cached by path, modification time and size; a copy is returned.

    Raises:
        DataFileError: missing or unreadable file, not a CSV, missing columns, unparseable
            times or counts, or no Shahed-type rows.
    """
    path = Path(csv_path)
    _check_file(path)
    return _nights_cached(_file_key(path)).copy()


def check_nights(nights_df: pd.DataFrame) -> pd.DataFrame:
    """A sorted copy of a nightly table with ``_night`` (Timestamp); checks the columns."""
    missing = [c for c in ("night", "launched") if c not in nights_df.columns]
    if missing:
        raise DataFileError(f"nights table: missing column(s) {', '.join(missing)}")
    out = nights_df.copy()
    out["_night"] = pd.to_datetime(out["night"]).dt.normalize()
    return out.sort_values("_night").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Monthly aggregates
# --------------------------------------------------------------------------------------------


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
    head = _read_csv(path, nrows=0)
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
    df = _read_csv(p, dtype={"night": str})
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
        return observed_rates(_read_csv(p, dtype={"month": str}), str(p))
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
        return Record(monthly=observed_rates(_read_csv(p, dtype={"month": str}), str(p)),
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
