"""The missiles of the Ukrainian Air Force record, night by night and class by class.

:func:`load_missile_record` reads the raw record (the Ivaniuk/Kaggle
``missile_attacks_daily.csv``, with the dataset's weapon catalogue ``missiles_and_uavs.csv``
for labels the built-in tables lack) into one row per night with the launches, kills and
"locationally lost" of each model class; :func:`classify_label` gives a report label its class.
The missile fit on these nights is :mod:`sim.calibration.missile_fit`.

**Classes.** Each ``model`` label is split on " and " into weapons; each weapon maps to a class
(:data:`WEAPON_CLASS`): ``cruise`` (X-101/X-555, Kalibr, Iskander-K), ``ballistic``
(Iskander-M, Iskander-M/KN-23, KN-23, X-47 Kinzhal, "Ballistic Missile", C-300, C-400,
C-300/C-400), ``kh22`` (X-22, X-32), ``kh59`` (X-59, X-69, X-59/X-69, X-59MK2), or ``other``
(:data:`OTHER_WEAPONS`: 3M22 Zircon, P-800 Oniks, X-31/X-31P/X-31PD anti-radiation, X-35
anti-ship, Banderol, "Unknown Missile", GBU and "Aerial Bomb" guided bombs, the one
"Intercontinental Ballistic Missile" (Oreshnik, 21 Nov 2024)). A bundled label (several
weapons) goes whole to the class most of its weapons belong to; ties go to the first-named
weapon (the counts cannot be split). ``other`` is kept in the monthly aggregates and left out
of the model. Labels of drones (Shahed, reconnaissance UAVs, Lancet, ...) are ignored; a label
not in these tables that the catalogue calls a missile or bomb counts as ``other``.

**Nights.** As for the drones (:mod:`sim.calibration.air_force_file`): night *D* runs from 15:00
on *D* to 15:00 on *D + 1*; a report window goes to the night holding its midpoint. **National
first, per class:** for each night and class the national rows (``target == "Ukraine"``) are
used; regional rows (Air Command South/East tallies, posts naming oblasts) count only when the
night has no national row of that class. Blank ``destroyed``/``not_reach_goal`` count as 0.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.air_force_file import (
    NATIONAL_TARGET,
    read_daily_file,
    report_nights,
    to_count,
)
from sim.config.errors import DataFileError
from sim.model.missile_threat import CLASSES

CATALOGUE_NAME = "missiles_and_uavs.csv"
ALL_CLASSES = (*CLASSES, "other")
REQUIRED_COLUMNS = ("time_start", "time_end", "model", "target", "launched")

WEAPON_CLASS: dict[str, str] = {
    "X-101/X-555": "cruise",
    "X-101": "cruise",
    "X-555": "cruise",
    "Kalibr": "cruise",
    "Iskander-K": "cruise",
    "Iskander-M": "ballistic",
    "Iskander-M/KN-23": "ballistic",
    "KN-23": "ballistic",
    "X-47 Kinzhal": "ballistic",
    "Ballistic Missile": "ballistic",
    "C-300": "ballistic",
    "C-400": "ballistic",
    "C-300/C-400": "ballistic",
    "X-22": "kh22",
    "X-32": "kh22",
    "X-59": "kh59",
    "X-69": "kh59",
    "X-59/X-69": "kh59",
    "X-59MK2": "kh59",
}
"""Weapon (one part of a ``model`` label) -> model class."""

OTHER_WEAPONS: frozenset[str] = frozenset({
    "3M22 Zircon", "P-800 Oniks", "X-31", "X-31P", "X-31PD", "X-35", "Banderol",
    "Unknown Missile", "GBU", "Aerial Bomb", "Intercontinental Ballistic Missile",
})
"""Missiles and bombs in the record that the model leaves out (class ``other``)."""


# --------------------------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------------------------


def load_catalogue(path: str | os.PathLike | None) -> dict[str, str]:
    """``model`` -> ``category`` from ``missiles_and_uavs.csv`` ({} if path is None)."""
    if path is None:
        return {}
    p = Path(path)
    try:
        cat = pd.read_csv(p, dtype=str)
    except FileNotFoundError:
        raise DataFileError(f"{p}: file not found") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as exc:
        raise DataFileError(f"{p}: cannot be read as a CSV file ({exc})") from None
    for col in ("model", "category"):
        if col not in cat.columns:
            raise DataFileError(f"{p}: missing column '{col}' (expected missiles_and_uavs.csv)")
    return dict(zip(cat["model"].fillna(""), cat["category"].fillna(""), strict=True))


def _weapon_class(weapon: str, catalogue: Mapping[str, str]) -> str | None:
    w = weapon.strip()
    if w in WEAPON_CLASS:
        return WEAPON_CLASS[w]
    if w in OTHER_WEAPONS:
        return "other"
    cat = catalogue.get(w, "").lower()
    if "missile" in cat or "bomb" in cat:
        return "other"
    return None


def classify_label(label: Any, catalogue: Mapping[str, str] | None = None) -> str | None:
    """Class of a record ``model`` label: one of ``cruise, ballistic, kh22, kh59, other``, or
    None for drones and anything that is not a missile (rules in the module docstring)."""
    if not isinstance(label, str) or not label.strip():
        return None
    catalogue = catalogue or {}
    whole = label.strip()
    if whole in WEAPON_CLASS:
        return WEAPON_CLASS[whole]
    if whole in OTHER_WEAPONS:
        return "other"
    parts = [_weapon_class(p, catalogue) for p in label.split(" and ")]
    if all(c is None for c in parts):
        return None
    named = [c or "other" for c in parts]
    count = Counter(named)
    best = max(count.values())
    return next(c for c in named if count[c] == best)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_missile_record(csv_path: str | os.PathLike,
                        catalogue_path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read the Air Force record and aggregate missile launches to one row per night and class.

    Args:
        csv_path: the Ivaniuk/Kaggle ``missile_attacks_daily.csv`` (or a date-filtered copy).
        catalogue_path: ``missiles_and_uavs.csv``; default: that file beside ``csv_path`` if
            present (used only for labels not in the built-in tables).

    Returns:
        One row per night from the first to the last night of the file (any weapon), in order.
        Columns ``night`` (datetime.date) and, for each class of ``cruise, ballistic, kh22,
        kh59, other``: ``launched_<c>``, ``destroyed_<c>``, ``not_reach_goal_<c>`` (int).
        ``df.attrs`` holds ``labels`` (label -> class), ``ignored_labels`` (non-missile labels),
        ``regional_rows_used``, ``regional_rows_dropped`` and ``blank_launched_rows`` (missile
        rows with no launch count, taken as 0: three ballistic rows of Feb 2024).

    Raises:
        DataFileError: missing/unreadable file or columns, bad times or counts (row named).
    """
    path = Path(csv_path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    if catalogue_path is None and (path.parent / CATALOGUE_NAME).is_file():
        catalogue_path = path.parent / CATALOGUE_NAME
    catalogue = load_catalogue(catalogue_path)
    raw = read_daily_file(path, REQUIRED_COLUMNS)
    labels = sorted(set(raw["model"].dropna()))
    label_class = {lab: classify_label(lab, catalogue) for lab in labels}

    nights = report_nights(raw, path)  # the record's rule for the night of a report
    first, last = min(nights), max(nights)

    cls = raw["model"].map(label_class)
    rows = raw[cls.notna()]
    df = pd.DataFrame({
        "night": [nights[i] for i in rows.index],
        "cls": cls[rows.index].to_numpy(),
        "national": (rows["target"].fillna("").str.strip() == NATIONAL_TARGET).to_numpy(),
        "launched": to_count(rows["launched"], "launched", path, blank_is_zero=True),
        "destroyed": (to_count(rows["destroyed"], "destroyed", path, blank_is_zero=True)
                      if "destroyed" in rows else 0.0),
        "not_reach_goal": (to_count(rows["not_reach_goal"], "not_reach_goal", path,
                                     blank_is_zero=True) if "not_reach_goal" in rows else 0.0),
    })
    has_nat = df.groupby(["night", "cls"])["national"].transform("any")
    keep = df["national"] | ~has_nat
    regional_used = int((~df["national"] & keep).sum())
    regional_dropped = int((~keep).sum())
    df = df[keep]

    index = pd.Index([first + pd.Timedelta(days=i).to_pytimedelta()
                      for i in range((last - first).days + 1)], name="night")
    out = pd.DataFrame({"night": list(index)})
    for col in ("launched", "destroyed", "not_reach_goal"):
        wide = df.pivot_table(index="night", columns="cls", values=col, aggfunc="sum")
        wide = wide.reindex(index=index, columns=list(ALL_CLASSES)).fillna(0.0)
        for c in ALL_CLASSES:
            out[f"{col}_{c}"] = np.rint(wide[c].to_numpy()).astype(np.int64)
    out.attrs.update({
        "blank_launched_rows": int(rows["launched"].isna().sum()),
        "labels": {k: v for k, v in label_class.items() if v is not None},
        "ignored_labels": [k for k, v in label_class.items() if v is None],
        "regional_rows_used": regional_used,
        "regional_rows_dropped": regional_dropped,
    })
    return out


def class_counts(nights_df: pd.DataFrame, col: str = "launched") -> np.ndarray:
    return nights_df[[f"{col}_{c}" for c in CLASSES]].to_numpy(dtype=float)
