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
``sim/data/README_grid.md``) is read by :func:`load_grid`.
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


def _file_cached(default_name: str):
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


@_file_cached("energy_sites.csv")
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


@_file_cached("regions.csv")
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


GRID_NODE_COLUMNS = (
    "id", "name", "kind", "lat", "lon", "voltage_kv", "region_id", "status", "at750_count",
    "at750_mva", "at750_x_pu", "lt_count", "lt_mva", "interconnector", "islanded_reason",
)
GRID_LINE_COLUMNS = (
    "id", "from_node", "to_node", "voltage_kv", "circuits", "x_ohm", "rating_mw", "status",
)
GRID_LOAD_COLUMNS = ("node", "region_id", "share_of_region")
NODE_KINDS = ("substation", "plant", "city")


def _unique_ids(df: pd.DataFrame, col: str, path: Path) -> None:
    seen: dict[str, int] = {}
    for i, v in enumerate(df[col].tolist()):
        if not v:
            raise DataFileError(f"{path}: row {row_no(i)}, field {col}: empty")
        if v in seen:
            raise DataFileError(
                f"{path}: row {row_no(i)}, field {col}: duplicate id {v!r} (first on row {seen[v]})"
            )
        seen[v] = row_no(i)


def _nonneg(df: pd.DataFrame, cols: tuple[str, ...], path: Path) -> None:
    for col in cols:
        df[col] = to_float(df, col, path)
        bad = np.flatnonzero(df[col].to_numpy() < 0)
        if bad.size:
            i = int(bad[0])
            raise DataFileError(
                f"{path}: row {row_no(i)}, field {col}: negative value {df[col].iat[i]}"
            )


def _choice(df: pd.DataFrame, col: str, allowed: tuple[str, ...], path: Path) -> None:
    for i, v in enumerate(df[col].tolist()):
        if v not in allowed:
            raise DataFileError(
                f"{path}: row {row_no(i)}, field {col}: unknown value {v!r}; "
                f"allowed: {', '.join(allowed)}"
            )


def _strip(df: pd.DataFrame, cols) -> None:
    for c in cols:
        df[c] = df[c].astype(str).str.strip()


def load_grid(
    nodes_path: str | Path | None = None,
    lines_path: str | Path | None = None,
    loads_path: str | Path | None = None,
    regions: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Load and cross-check the node-level transmission grid.

    Args:
        nodes_path: nodes CSV (:data:`GRID_NODE_COLUMNS`); ``None``: packaged ``grid_nodes.csv``.
        lines_path: lines CSV (:data:`GRID_LINE_COLUMNS`); ``None``: packaged ``grid_lines.csv``.
        loads_path: loads CSV (:data:`GRID_LOAD_COLUMNS`); ``None``: packaged ``grid_loads.csv``.
        regions: oblast table (:func:`load_regions`); default the packaged one.

    Returns:
        ``(nodes, lines, loads)`` with numeric columns converted; each has ``attrs["path"]``.

    Raises:
        DataFileError: naming file, row and field: a missing column, a duplicate or empty id,
            an unknown kind or status, a non-numeric or negative number, coordinates outside
            the theatre, a line to a missing node or from a node to itself, a line without
            reactance, a load at a missing node or in an unknown oblast, or an operational
            demand node that no operational line connects to a plant or interconnector when
            its ``islanded_reason`` is empty.
    """
    regions = load_regions() if regions is None else regions
    npath = packaged_path("grid_nodes.csv") if nodes_path is None else Path(nodes_path)
    lpath = packaged_path("grid_lines.csv") if lines_path is None else Path(lines_path)
    dpath = packaged_path("grid_loads.csv") if loads_path is None else Path(loads_path)
    key = (str(npath), str(lpath), str(dpath), tuple(regions["id"]),
           *(_mtime(p) for p in (npath, lpath, dpath)))
    if key not in _GRID_CACHE:
        if len(_GRID_CACHE) > 8:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = _load_grid(npath, lpath, dpath, regions)
    return tuple(df.copy() for df in _GRID_CACHE[key])  # type: ignore[return-value]


_GRID_CACHE: dict[tuple, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]] = {}


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime_ns
    except OSError:
        return -1.0


def _load_grid(npath: Path, lpath: Path, dpath: Path, regions: pd.DataFrame):
    region_ids = set(regions["id"])

    nodes = read_csv_checked(npath, GRID_NODE_COLUMNS)
    _strip(nodes, ("id", "name", "kind", "region_id", "status", "interconnector",
                   "islanded_reason"))
    _unique_ids(nodes, "id", npath)
    _choice(nodes, "kind", NODE_KINDS, npath)
    _choice(nodes, "status", SITE_STATUSES, npath)
    for col in ("lat", "lon"):
        nodes[col] = to_float(nodes, col, npath)
    _nonneg(nodes, ("voltage_kv", "at750_count", "at750_mva", "at750_x_pu", "lt_count", "lt_mva"),
            npath)
    bad = np.flatnonzero(~in_theatre(nodes["lat"].to_numpy(), nodes["lon"].to_numpy()))
    if bad.size:
        i = int(bad[0])
        raise DataFileError(
            f"{npath}: row {row_no(i)}, field lat/lon: ({nodes['lat'].iat[i]}, "
            f"{nodes['lon'].iat[i]}) is outside the theatre"
        )
    for i, r in enumerate(nodes["region_id"].tolist()):
        if r not in region_ids:
            raise DataFileError(
                f"{npath}: row {row_no(i)}, field region_id: unknown oblast {r!r} "
                f"(not in {regions.attrs.get('path', 'regions table')})"
            )
    for i, (c, x) in enumerate(zip(nodes["at750_count"], nodes["at750_x_pu"], strict=True)):
        if c > 0 and x <= 0:
            raise DataFileError(f"{npath}: row {row_no(i)}, field at750_x_pu: must be > 0 "
                                "where at750_count > 0")
    node_row = {n: i for i, n in enumerate(nodes["id"].tolist())}

    lines = read_csv_checked(lpath, GRID_LINE_COLUMNS)
    _strip(lines, ("id", "from_node", "to_node", "status"))
    _unique_ids(lines, "id", lpath)
    _choice(lines, "status", SITE_STATUSES, lpath)
    _nonneg(lines, ("voltage_kv", "circuits", "x_ohm", "rating_mw"), lpath)
    for i, (a, b, x, c) in enumerate(zip(lines["from_node"], lines["to_node"], lines["x_ohm"],
                                         lines["circuits"], strict=True)):
        for col, n in (("from_node", a), ("to_node", b)):
            if n not in node_row:
                raise DataFileError(
                    f"{lpath}: row {row_no(i)}, field {col}: node {n!r} is not in {npath}"
                )
        if a == b:
            raise DataFileError(f"{lpath}: row {row_no(i)}, field to_node: line from {a!r} to itself")
        if x <= 0:
            raise DataFileError(f"{lpath}: row {row_no(i)}, field x_ohm: must be > 0")
        if c < 1 or c != int(c):
            raise DataFileError(f"{lpath}: row {row_no(i)}, field circuits: {c} is not a whole "
                                "number >= 1")

    loads = read_csv_checked(dpath, GRID_LOAD_COLUMNS)
    _strip(loads, ("node", "region_id"))
    _nonneg(loads, ("share_of_region",), dpath)
    seen: dict[tuple[str, str], int] = {}
    for i, (n, r) in enumerate(zip(loads["node"], loads["region_id"], strict=True)):
        if n not in node_row:
            raise DataFileError(f"{dpath}: row {row_no(i)}, field node: node {n!r} is not in {npath}")
        if r not in region_ids:
            raise DataFileError(f"{dpath}: row {row_no(i)}, field region_id: unknown oblast {r!r}")
        if (n, r) in seen:  # its demand would count twice
            raise DataFileError(f"{dpath}: row {row_no(i)}: node {n!r} in oblast {r!r} is listed "
                                f"twice (first on row {seen[(n, r)]}); give one row with the "
                                "sum of its shares")
        seen[(n, r)] = row_no(i)
    _shares_add_up(loads, regions, dpath)

    _check_islands(nodes, lines, loads, npath)
    out = []
    for df, p in ((nodes, npath), (lines, lpath), (loads, dpath)):
        df = df.reset_index(drop=True)
        df.attrs["path"] = str(p)
        out.append(df)
    return out[0], out[1], out[2]


SHARE_TOLERANCE = 1e-3


def _shares_add_up(loads: pd.DataFrame, regions: pd.DataFrame, dpath: Path) -> None:
    """Each oblast's demand is shared out over its load nodes in full: the shares of an oblast
    with demand sum to 1 (a share missing or repeated would drop or add demand silently)."""
    total = loads.groupby("region_id")["share_of_region"].sum()
    peak = dict(zip(regions["id"], regions["peak_demand_mw"].to_numpy(float), strict=True))
    for rid, p in peak.items():
        t = float(total.get(rid, 0.0))
        if p > 0 and abs(t - 1.0) > SHARE_TOLERANCE:
            where = (f"its shares sum to {t:.4f}" if rid in total.index
                     else "it has no load node")
            raise DataFileError(
                f"{dpath}: field share_of_region: oblast {rid!r} has demand "
                f"({p:,.0f} MW in {regions.attrs.get('path', 'the oblast table')}) but {where}; "
                f"the shares of an oblast must sum to 1 (within {SHARE_TOLERANCE})")


def _check_islands(nodes: pd.DataFrame, lines: pd.DataFrame, loads: pd.DataFrame, npath) -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    idx = {n: i for i, n in enumerate(nodes["id"].tolist())}
    op = nodes["status"].to_numpy() == "operational"
    ok = (lines["status"].to_numpy() == "operational")
    a = np.array([idx[n] for n in lines["from_node"]], dtype=np.int64)[ok]
    b = np.array([idx[n] for n in lines["to_node"]], dtype=np.int64)[ok]
    keep = op[a] & op[b]
    n = len(nodes)
    g = sp.coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n))
    _, label = connected_components(g, directed=False)
    supply = op & ((nodes["kind"].to_numpy() == "plant")
                   | (nodes["interconnector"].to_numpy().astype(str) != ""))
    fed = set(label[supply].tolist())
    demand_nodes = set(loads.loc[loads["share_of_region"] > 0, "node"])
    for i, nid in enumerate(nodes["id"].tolist()):
        if (nid in demand_nodes and op[i] and label[i] not in fed
                and not nodes["islanded_reason"].iat[i]):
            raise DataFileError(
                f"{npath}: row {row_no(i)}, field islanded_reason: demand node {nid!r} is not "
                "connected to any plant or interconnector by operational lines, and no reason "
                "is given"
            )


WEATHER_COLUMNS = ("month", "mean_temp_c", "estimate", "source")


@_file_cached("weather.csv")
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
