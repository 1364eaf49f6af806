"""Packaged data, loaded and checked: energy sites, oblasts, grid links, weather, launch areas,
cities, the fitted threat profile and the outline of Ukraine.

Every packaged file is read through :func:`packaged_path` (``importlib.resources``), never from
a repository path, so the package works once installed. User files given in a scenario are
checked the same way; a bad file gives a :class:`~sim.config.errors.DataFileError` naming the
file, the row and the field.

The site list ``sim/data/energy_sites.csv`` holds Ukraine's main energy sites (thermal and CHP
plants, hydro and pumped storage, nuclear plants, 750 kV and key 330 kV substations, gas
production and storage, and the largest city water utilities as electrical loads). Every row
cites its source; rows with an estimated field carry ``estimate=True``. See
``sim/data/README_energy.md`` for the provenance of each column.

Column meanings:
    id: short snake_case identifier, unique.
    type: one of :data:`SITE_TYPES`.
    lat, lon: WGS84 degrees; must lie inside the theatre (:func:`sim.config.geo.in_theatre`).
    capacity_mw: nameplate generation (plants), rated throughput (substations, estimate) or
        electrical load (water utilities), MW.
    gas_mcm_per_day: gas output (production) or withdrawal rate (storage), million m3/day.
    region_id: oblast id as used in ``sim/data/regions.csv``.
    status: one of :data:`SITE_STATUSES`; occupied and destroyed sites are excluded from supply.
    estimate: True where some field of the row is an estimate.
    node (optional): id of the grid node (``grid_nodes.csv``) the site belongs to; empty or
        missing: the nearest operational node (the energy system attaches it).
    units (optional): generating units (plants), transformers (substations), circuits (lines)
        or independent parts (gas, water); empty or missing: a default by type. One hit takes
        out ``damage_fraction_per_hit x weapon weight x units`` units in expectation.

The grid itself (``grid_nodes.csv``, ``grid_lines.csv``, ``grid_loads.csv``, see
``sim/data/README_grid.md``) is read by :func:`sim.config.grid_data.load_grid`, the damage
ledger and the load shape by :mod:`sim.config.power_data`; both use the helpers here
(:func:`packaged_path`, :func:`read_csv_checked`, :func:`row_no`, :func:`to_float`).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.energy import (
    GAS_TYPES,
    GENERATION_TYPES,
    SITE_STATUSES,
    SITE_TYPES,
    SUBSTATION_TYPES,
)
from sim.config.errors import DataFileError
from sim.config.files import MB, check_regular_file
from sim.config.geo import in_theatre, project

__all__ = ["GAS_TYPES", "GENERATION_TYPES", "SITE_STATUSES", "SITE_TYPES", "SUBSTATION_TYPES"]


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


def packaged_path(name: str) -> Path:
    """Path of a file shipped in ``sim/data`` (works from an installed package)."""
    return Path(str(resources.files("sim") / "data" / name))


MAX_DATA_BYTES = 200 * MB
"""Largest data file (CSV, JSON) a scenario may name (the packaged ones are under 1 MB)."""


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
    check_regular_file(path, MAX_DATA_BYTES, "data file", DataFileError)
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


def strip_text(df: pd.DataFrame, cols) -> None:
    for c in cols:
        df[c] = df[c].astype(str).str.strip()


def file_cached(default_name: str):
    """Cache a loader's validated result per file (path, modification time and size), so a
    sweep that builds a model per run reads and checks each file once per process. Callers
    get a copy; a file that fails to load is not cached (the error is raised every time)."""
    def wrap(fn):
        cache: dict = {}

        def loader(path: str | Path | None = None):
            p = packaged_path(default_name) if path is None else Path(path)
            try:
                st = p.stat()
                key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
            except OSError:
                return fn(path)  # the loader reports the missing file
            if key not in cache:
                if len(cache) >= 16:
                    cache.clear()
                cache[key] = fn(path)
            return cache[key].copy()

        loader.__name__, loader.__qualname__ = fn.__name__, fn.__qualname__
        loader.__doc__, loader.__wrapped__ = fn.__doc__, fn
        return loader
    return wrap


@file_cached("energy_sites.csv")
def load_sites(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate an energy site list.

    Args:
        path: CSV file with the columns of :data:`SITE_COLUMNS`. ``None`` loads the packaged
            ``sim/data/energy_sites.csv``.

    Returns:
        One row per site in file order (index 0..n-1) with the file's columns (``lat``, ``lon``,
        ``capacity_mw``, ``gas_mcm_per_day`` as float, ``estimate`` as bool) plus ``x_km`` and
        ``y_km`` from :func:`sim.config.geo.project`. ``attrs["path"]`` holds the file path, used in
        later error messages.

    Raises:
        DataFileError: naming the file, row (file line number) and field for a missing column,
            an empty or duplicate id, an unknown type or status, a non-numeric value,
            coordinates outside the theatre, or a negative capacity.
    """
    path = packaged_path("energy_sites.csv") if path is None else Path(path)
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

    df["node"] = df["node"].astype(str).str.strip() if "node" in df.columns else ""
    if "units" in df.columns:
        units = np.zeros(len(df), dtype=np.int64)
        for i, v in enumerate(df["units"].astype(str).str.strip().tolist()):
            if v == "":
                continue
            try:
                f = float(v)
            except ValueError:
                f = math.nan
            if not (f >= 1 and f == int(f)):
                raise DataFileError(
                    f"{path}: row {row_no(i)}, field units: {v!r} is not a whole number >= 1"
                )
            units[i] = int(f)
        df["units"] = units
    else:
        df["units"] = np.zeros(len(df), dtype=np.int64)

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


REGION_COLUMNS = ("id", "name", "lat", "lon", "peak_demand_mw", "source")


def _bool_col(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    out = []
    for i, v in enumerate(df[col].astype(str).str.strip().str.lower().tolist()):
        if v in _TRUE:
            out.append(True)
        elif v in _FALSE:
            out.append(False)
        else:
            raise DataFileError(f"{path}: row {row_no(i)}, field {col}: {v!r} is not True/False")
    return np.array(out, dtype=bool)


@file_cached("regions.csv")
def load_regions(path: str | Path | None = None) -> pd.DataFrame:
    """Load and validate the demand regions (oblasts).

    Args:
        path: CSV with :data:`REGION_COLUMNS`; ``None`` loads the packaged ``regions.csv``.

    Returns:
        DataFrame with ``lat``, ``lon``, ``peak_demand_mw`` as float; ``attrs["path"]`` is set.

    Raises:
        DataFileError: missing column, duplicate or empty id, non-numeric value, a centroid
            outside the theatre, or a negative peak demand; the message names file, row, field.
    """
    path = packaged_path("regions.csv") if path is None else Path(path)
    df = read_csv_checked(path, REGION_COLUMNS)
    df["id"] = df["id"].astype(str).str.strip()
    seen: dict[str, int] = {}
    for i, rid in enumerate(df["id"].tolist()):
        if not rid:
            raise DataFileError(f"{path}: row {row_no(i)}, field id: empty")
        if rid in seen:
            raise DataFileError(
                f"{path}: row {row_no(i)}, field id: duplicate id {rid!r} "
                f"(first on row {seen[rid]})"
            )
        seen[rid] = row_no(i)
    for col in ("lat", "lon", "peak_demand_mw"):
        df[col] = to_float(df, col, path)
    bad = np.flatnonzero(df["peak_demand_mw"].to_numpy() < 0)
    if bad.size:
        i = int(bad[0])
        raise DataFileError(f"{path}: row {row_no(i)}, field peak_demand_mw: negative value")
    bad = np.flatnonzero(~in_theatre(df["lat"].to_numpy(), df["lon"].to_numpy()))
    if bad.size:
        i = int(bad[0])
        raise DataFileError(f"{path}: row {row_no(i)}, field lat/lon: outside the theatre")
    df = df.reset_index(drop=True)
    df.attrs["path"] = str(path)
    return df


WEATHER_COLUMNS = ("month", "mean_temp_c", "estimate", "source")


@file_cached("weather.csv")
def load_monthly_normals(path: str | Path | None = None) -> np.ndarray:
    """Load twelve monthly mean temperatures.

    Args:
        path: CSV with columns ``month`` (1-12, each once) and ``mean_temp_c`` (deg C).
            ``None`` loads the packaged ``sim/data/weather.csv`` (Kyiv 1991-2020 norms).

    Returns:
        Array of 12 temperatures in deg C, January first.

    Raises:
        DataFileError: missing column, a month missing or repeated, a non-numeric value.
    """
    path = (
        packaged_path("weather.csv") if path is None else Path(path)
    )
    df = read_csv_checked(path, ("month", "mean_temp_c"))
    months = to_float(df, "month", path)
    temps = to_float(df, "mean_temp_c", path)
    out = np.full(12, np.nan)
    for i, m in enumerate(months):
        if m != int(m) or not 1 <= m <= 12:
            raise DataFileError(f"{path}: row {row_no(i)}, field month: {m} is not 1..12")
        if not np.isnan(out[int(m) - 1]):
            raise DataFileError(f"{path}: row {row_no(i)}, field month: month {int(m)} repeated")
        out[int(m) - 1] = temps[i]
    if np.isnan(out).any():
        missing = [str(k + 1) for k in np.flatnonzero(np.isnan(out))]
        raise DataFileError(f"{path}: field month: month(s) {', '.join(missing)} missing")
    return out


@lru_cache(maxsize=1)
def packaged_threat_profile() -> dict:
    """The fitted monthly launch profile shipped with the package."""
    text = packaged_path("threat_profile.json").read_text("utf-8")
    return json.loads(text)


def threat_profile_file(path: str | Path) -> dict:
    """A threat profile JSON named by ``threat.launches.profile_file`` (cached by path and
    modification time; the month entries are checked by the sampler).

    Raises:
        DataFileError: missing or unreadable file, not a JSON object, or a key missing.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        raise DataFileError(f"{p}: threat profile file not found (threat.launches.profile_file)"
                            ) from None
    check_regular_file(p, MAX_DATA_BYTES, "threat profile", DataFileError)
    return _threat_profile_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=16)
def _threat_profile_cached(path: str, _mtime_ns: int, _size: int) -> dict:
    try:
        prof = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path}: not a readable threat profile JSON ({exc})") from None
    if not isinstance(prof, dict):
        raise DataFileError(f"{path}: a threat profile must be a JSON object")
    missing = [k for k in ("reference_date", "trend_per_year", "months") if k not in prof]
    if missing:
        raise DataFileError(f"{path}: threat profile without key(s) {', '.join(missing)}")
    return prof


@lru_cache(maxsize=1)
def launch_areas() -> pd.DataFrame:
    """Packaged launch areas with ``x_km, y_km`` added."""
    with packaged_path("launch_areas.csv").open("r") as fh:
        df = pd.read_csv(fh)
    df["x_km"], df["y_km"] = project(df["lat"].to_numpy(), df["lon"].to_numpy())
    return df


@lru_cache(maxsize=1)
def city_targets() -> pd.DataFrame:
    """Packaged non-energy targets (cities) with ``x_km, y_km`` added."""
    with packaged_path("other_targets.csv").open("r") as fh:
        df = pd.read_csv(fh)
    df["x_km"], df["y_km"] = project(df["lat"].to_numpy(), df["lon"].to_numpy())
    return df
