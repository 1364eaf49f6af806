"""The raw Air Force record file: report rows of ``missile_attacks_daily.csv`` to nights.

The raw record is the Ivaniuk/Kaggle ``missile_attacks_daily.csv``, one row per weapon model and
report window. :func:`load_air_force_record` turns it into one row per night (Shahed-type
drones, and missiles by class of :data:`MISSILE_CLASSES`, in columns named by
:func:`missile_column`); the result is cached by file path, modification time and size, so a fit
and a validation in the same process read the file once. The record in memory, its shipped
nightly and monthly tables, its months and its observed rates are in
:mod:`sim.calibration.record`.

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
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import DataFileError

RECORD_FILE_NAME = "missile_attacks_daily_to_2025-09-30.csv"

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
NIGHT_COLUMNS = ("night", "launched", "destroyed", "not_reach_goal", "neutralised")

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


def to_count(series: pd.Series, column: str, path: Path, *, blank_is_zero: bool) -> np.ndarray:
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


def read_record_csv(path: Path, **kw) -> pd.DataFrame:
    _check_file(path)
    try:
        return pd.read_csv(path, **kw)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(f"{path}: cannot be read as a CSV file ({exc})") from exc


def report_nights(rows: pd.DataFrame, path: Path) -> list[dt.date]:
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
        "night": report_nights(rows, path),
        "national": (rows["target"].fillna("").str.strip() == NATIONAL_TARGET).to_numpy(),
        "launched": to_count(rows["launched"], "launched", path,
                              blank_is_zero=blank_launched_is_zero),
        "destroyed": to_count(rows["destroyed"], "destroyed", path, blank_is_zero=True),
        "not_reach_goal": to_count(rows["not_reach_goal"], "not_reach_goal", path,
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


def read_daily_file(path: Path, required: tuple[str, ...] = REQUIRED_COLUMNS) -> pd.DataFrame:
    """The Air Force's daily file as text columns, after checking that it is a readable CSV
    with the ``required`` columns (DataFileError naming the file and what is missing)."""
    raw = read_record_csv(path, dtype=str, keep_default_na=True)
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)}; expected the Ivaniuk/Kaggle "
            f"missile_attacks_daily.csv layout with columns {', '.join(required)}"
        )
    return raw.reset_index(drop=True)


def _parse_record(path: Path) -> pd.DataFrame:
    raw = read_daily_file(path)

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
