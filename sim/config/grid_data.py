"""The node-level transmission grid's data files: nodes (substations, plant switchyards, city
substations, with their transformers; ``sim/data/grid_nodes.csv``), lines (``grid_lines.csv``) and how each
oblast's demand is shared out over the nodes (``grid_loads.csv``), read and cross-checked by
:func:`load_grid` (see ``sim/data/README_grid.md``). Bad rows raise
:class:`~sim.config.errors.DataFileError` naming the file, the row and the field: a line to a
missing node, an oblast whose shares do not sum to 1, a demand node no operational line
connects to a plant or an interconnector without a reason given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.data import load_regions, packaged_path, read_csv_checked, row_no, strip_text, to_float
from sim.config.energy import SITE_STATUSES
from sim.config.errors import DataFileError
from sim.config.geo import in_theatre

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
    strip_text(nodes, ("id", "name", "kind", "region_id", "status", "interconnector",
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
    strip_text(lines, ("id", "from_node", "to_node", "status"))
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
    strip_text(loads, ("node", "region_id"))
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
