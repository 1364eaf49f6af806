"""Energy infrastructure sites: loading and validating the packaged site list.

The site list ``sim/data/energy_sites.csv`` holds Ukraine's main energy sites (thermal and CHP
plants, hydro and pumped storage, nuclear plants, 750 kV and key 330 kV substations, gas
production and storage, and the largest city water utilities as electrical loads). Every row
cites its source; rows with an estimated field carry ``estimate=True``. See
``sim/data/README_energy.md`` for the provenance of each column.

Column meanings:
    id: short snake_case identifier, unique.
    type: one of :data:`SITE_TYPES`.
    lat, lon: WGS84 degrees; must lie inside the theatre (:func:`sim.geo.in_theatre`).
    capacity_mw: nameplate generation (plants), rated throughput (substations, estimate) or
        electrical load (water utilities), MW.
    gas_mcm_per_day: gas output (production) or withdrawal rate (storage), million m3/day.
    region_id: oblast id as used in ``sim/data/regions.csv``.
    status: one of :data:`SITE_STATUSES`; occupied and destroyed sites are excluded from supply.
    estimate: True where some field of the row is an estimate.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataFileError
from sim.geo import in_theatre, project

SITE_TYPES: tuple[str, ...] = (
    "thermal",
    "chp",
    "hydro",
    "pumped_storage",
    "nuclear",
    "substation_750",
    "substation_330",
    "gas_production",
    "gas_storage",
    "water_utility",
)
"""Allowed values of the ``type`` column."""

GENERATION_TYPES: tuple[str, ...] = ("thermal", "chp", "hydro", "pumped_storage", "nuclear")
SUBSTATION_TYPES: tuple[str, ...] = ("substation_750", "substation_330")
GAS_TYPES: tuple[str, ...] = ("gas_production", "gas_storage")

SITE_STATUSES: tuple[str, ...] = ("operational", "occupied", "destroyed")
"""Allowed values of the ``status`` column."""

SITE_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "type",
    "lat",
    "lon",
    "capacity_mw",
    "gas_mcm_per_day",
    "operator",
    "oblast",
    "region_id",
    "status",
    "estimate",
    "source",
)
"""Required columns of a site file, in file order."""

_NUMERIC = ("lat", "lon", "capacity_mw", "gas_mcm_per_day")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _default_path(name: str) -> Path:
    return Path(str(resources.files("sim") / "data" / name))


def read_csv_checked(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV as strings and check that every required column is present.

    Args:
        path: file to read.
        required: column names that must be present.

    Returns:
        The raw DataFrame (all values as ``str``, empty cells as ``""``).

    Raises:
        DataFileError: the file is missing or unreadable, or a column is missing.
    """
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot parse CSV: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(f"{path}: missing column(s) {', '.join(missing)}")
    return df


def row_no(i: int) -> int:
    """File line number of DataFrame row ``i`` (line 1 is the header)."""
    return int(i) + 2


def to_float(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """Convert a string column to float, raising DataFileError at the first bad cell."""
    out = np.empty(len(df), dtype=float)
    for i, v in enumerate(df[col].tolist()):
        try:
            out[i] = float(str(v).strip())
        except ValueError:
            raise DataFileError(
                f"{path}: row {row_no(i)}, field {col}: {v!r} is not a number"
            ) from None
        if not np.isfinite(out[i]):
            raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {v!r} is not finite")
    return out


def load_sites(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate an energy site list.

    Args:
        path: CSV file with the columns of :data:`SITE_COLUMNS`. ``None`` loads the packaged
            ``sim/data/energy_sites.csv``.

    Returns:
        One row per site in file order (index 0..n-1) with the file's columns (``lat``, ``lon``,
        ``capacity_mw``, ``gas_mcm_per_day`` as float, ``estimate`` as bool) plus ``x_km`` and
        ``y_km`` from :func:`sim.geo.project`. ``attrs["path"]`` holds the file path, used in
        later error messages.

    Raises:
        DataFileError: naming the file, row (file line number) and field for a missing column,
            an empty or duplicate id, an unknown type or status, a non-numeric value,
            coordinates outside the theatre, or a negative capacity.
    """
    path = _default_path("energy_sites.csv") if path is None else Path(path)
    df = read_csv_checked(path, SITE_COLUMNS)
    df = df[list(SITE_COLUMNS) + [c for c in df.columns if c not in SITE_COLUMNS]].copy()
    for col in ("id", "name", "type", "operator", "oblast", "region_id", "status", "estimate"):
        df[col] = df[col].astype(str).str.strip()

    seen: dict[str, int] = {}
    for i, sid in enumerate(df["id"].tolist()):
        if not _ID_RE.match(sid):
            raise DataFileError(
                f"{path}: row {row_no(i)}, field id: {sid!r} is not a snake_case identifier"
            )
        if sid in seen:
            raise DataFileError(
                f"{path}: row {row_no(i)}, field id: duplicate id {sid!r} "
                f"(first on row {seen[sid]})"
            )
        seen[sid] = row_no(i)
    for col, allowed in (("type", SITE_TYPES), ("status", SITE_STATUSES)):
        for i, v in enumerate(df[col].tolist()):
            if v not in allowed:
                raise DataFileError(
                    f"{path}: row {row_no(i)}, field {col}: unknown value {v!r}; "
                    f"allowed: {', '.join(allowed)}"
                )
    for i, v in enumerate(df["region_id"].tolist()):
        if not v:
            raise DataFileError(f"{path}: row {row_no(i)}, field region_id: empty")

    for col in _NUMERIC:
        df[col] = to_float(df, col, path)
    for col in ("capacity_mw", "gas_mcm_per_day"):
        bad = np.flatnonzero(df[col].to_numpy() < 0)
        if bad.size:
            i = int(bad[0])
            raise DataFileError(
                f"{path}: row {row_no(i)}, field {col}: negative value {df[col].iat[i]}"
            )
    inside = in_theatre(df["lat"].to_numpy(), df["lon"].to_numpy())
    bad = np.flatnonzero(~inside)
    if bad.size:
        i = int(bad[0])
        raise DataFileError(
            f"{path}: row {row_no(i)}, field lat/lon: ({df['lat'].iat[i]}, {df['lon'].iat[i]}) "
            "is outside the theatre"
        )

    est = []
    for i, v in enumerate(df["estimate"].tolist()):
        low = v.lower()
        if low in _TRUE:
            est.append(True)
        elif low in _FALSE:
            est.append(False)
        else:
            raise DataFileError(f"{path}: row {row_no(i)}, field estimate: {v!r} is not True/False")
    df["estimate"] = np.array(est, dtype=bool)

    x, y = project(df["lat"].to_numpy(), df["lon"].to_numpy())
    df["x_km"] = x
    df["y_km"] = y
    df = df.reset_index(drop=True)
    df.attrs["path"] = str(path)
    return df
