"""Transmission grid as a flow network: generation -> substations -> oblast demand.

Method (see ``docs/energy.md`` for the limits):

* Nodes: a super-source ``S``, a super-sink ``T``, one node per generation site, two nodes per
  substation (``in`` and ``out``, joined by an edge whose capacity is the substation's rated
  throughput times its availability), one node per oblast (``sim/data/regions.csv``), one per
  water utility, and an ``import`` node.
* Edges: ``S -> plant`` (available generation), ``S -> import -> import oblasts`` (import
  capacity), the links of ``sim/data/grid_links.csv`` (directed or both ways, fixed MW),
  ``oblast -> T`` (oblast demand), ``oblast -> water utility -> T`` (utility load).
* Served demand is the maximum ``S -> T`` flow. The flow is exact for this transport model
  (capacities only, no impedances, no voltage or stability limits). The split of a shortfall
  between oblasts is one of several optimal splits; only the total is unique.
* The topology is built and checked with networkx; the nightly solves use
  :func:`scipy.sparse.csgraph.maximum_flow` (Dinic, integer capacities in units of
  :data:`FLOW_UNIT_MW`) on a CSR matrix whose structure is fixed, which is much faster than
  networkx for the many repeated solves. :meth:`Grid.to_networkx` gives the same network for
  cross-checks.

Plants or substations that have no row in the links file are connected to their own oblast
(plants one way, substations both ways) with their full capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from sim.config.data import row_no
from sim.config.energy import GAS_TYPES, GENERATION_TYPES, SUBSTATION_TYPES
from sim.config.errors import DataFileError

FLOW_UNIT_MW = 0.1
"""Resolution of the integer max-flow (MW per unit). Capacities are rounded down to it."""

_INF_UNITS = 1_000_000_000
"""Capacity used for the unlimited edges of a multi-copy solve (flow units)."""


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}










@dataclass(frozen=True)
class FlowResult:
    """Outcome of one max-flow solve.

    Attributes:
        served_mw: total flow into the sink (MW), i.e. served demand.
        edge_flow: net flow on every edge in flow units (:data:`FLOW_UNIT_MW`), in the grid's
            internal edge order, or ``None`` when not requested.
    """

    served_mw: float
    edge_flow: np.ndarray | None


class Grid:
    """Flow network of the energy system with a fast repeated max-flow solve.

    Args:
        sites: site table from :func:`sim.infrastructure.load_sites` (all rows).
        regions: table from :func:`load_regions`.
        links: table from :func:`load_links`.
        import_capacity_mw: total import capacity from neighbouring grids (MW).
        import_region_ids: oblasts where imports enter (each may take the whole capacity).

    Raises:
        DataFileError: a link endpoint that is not a plant, substation or oblast; a site whose
            ``region_id`` is not an oblast; an id used both by a site and an oblast; an oblast
            with demand and no connection to any supply.
    """

    def __init__(
        self,
        sites: pd.DataFrame,
        regions: pd.DataFrame,
        links: pd.DataFrame,
        *,
        import_capacity_mw: float = 0.0,
        import_region_ids: tuple[str, ...] | list[str] = (),
    ) -> None:
        sites_path = sites.attrs.get("path", "sites table")
        regions_path = regions.attrs.get("path", "regions table")
        links_path = links.attrs.get("path", "links table")
        self.n_sites = len(sites)
        self.n_regions = len(regions)
        self.region_ids = regions["id"].tolist()
        region_idx = {r: k for k, r in enumerate(self.region_ids)}
        types = sites["type"].to_numpy()
        site_ids = sites["id"].tolist()
        site_idx = {s: i for i, s in enumerate(site_ids)}
        for i, sid in enumerate(site_ids):
            if sid in region_idx:
                raise DataFileError(
                    f"{sites_path}: row {row_no(i)}, field id: {sid!r} is also an oblast id "
                    f"in {regions_path}"
                )
        site_region = np.empty(self.n_sites, dtype=np.int64)
        for i, rid in enumerate(sites["region_id"].tolist()):
            if rid not in region_idx:
                raise DataFileError(
                    f"{sites_path}: row {row_no(i)}, field region_id: unknown oblast {rid!r} "
                    f"(not in {regions_path})"
                )
            site_region[i] = region_idx[rid]
        self.site_region = site_region

        self.gen_sites = np.flatnonzero(np.isin(types, GENERATION_TYPES))
        self.sub_sites = np.flatnonzero(np.isin(types, SUBSTATION_TYPES))
        self.water_sites = np.flatnonzero(types == "water_utility")
        self.gas_sites = np.flatnonzero(np.isin(types, GAS_TYPES))

        # ---- node numbering
        names: list[str] = ["S", "T", "import"]
        self.S, self.T, self.IMP = 0, 1, 2
        gen_node = {}
        for i in self.gen_sites:
            gen_node[int(i)] = len(names)
            names.append(f"gen:{site_ids[i]}")
        sub_in, sub_out = {}, {}
        for i in self.sub_sites:
            sub_in[int(i)] = len(names)
            names.append(f"sub_in:{site_ids[i]}")
            sub_out[int(i)] = len(names)
            names.append(f"sub_out:{site_ids[i]}")
        reg_node = np.empty(self.n_regions, dtype=np.int64)
        for k, rid in enumerate(self.region_ids):
            reg_node[k] = len(names)
            names.append(f"region:{rid}")
        water_node = {}
        for i in self.water_sites:
            water_node[int(i)] = len(names)
            names.append(f"water:{site_ids[i]}")
        self.node_names = names
        self.n_nodes = len(names)

        def out_node(name: str, row: int, field: str) -> int:
            if name in region_idx:
                return int(reg_node[region_idx[name]])
            i = site_idx.get(name)
            if i is not None and i in gen_node:
                return gen_node[i]
            if i is not None and i in sub_out:
                return sub_out[i]
            raise self._bad_endpoint(links_path, row, field, name, i, types)

        def in_node(name: str, row: int, field: str) -> int:
            if name in region_idx:
                return int(reg_node[region_idx[name]])
            i = site_idx.get(name)
            if i is not None and i in sub_in:
                return sub_in[i]
            if i is not None and i in gen_node:
                raise DataFileError(
                    f"{links_path}: row {row_no(row)}, field {field}: {name!r} is a plant; "
                    "plants can only be the from_id of a one-way link"
                )
            raise self._bad_endpoint(links_path, row, field, name, i, types)

        # ---- fixed edges (links); variable edges are appended after
        fixed: dict[tuple[int, int], float] = {}
        linked = set()

        def add_fixed(u: int, v: int, cap: float) -> None:
            if u != v:
                fixed[(u, v)] = fixed.get((u, v), 0.0) + cap

        for r, (a, b, cap, bi) in enumerate(
            zip(
                links["from_id"].tolist(),
                links["to_id"].tolist(),
                links["capacity_mw"].to_numpy(),
                links["bidirectional"].to_numpy(),
                strict=True,
            )
        ):
            add_fixed(out_node(a, r, "from_id"), in_node(b, r, "to_id"), float(cap))
            if bi:
                add_fixed(out_node(b, r, "to_id"), in_node(a, r, "from_id"), float(cap))
            linked.update((a, b))
        cap_mw = sites["capacity_mw"].to_numpy(dtype=float)
        for i in self.gen_sites:
            if site_ids[i] not in linked:
                add_fixed(gen_node[int(i)], int(reg_node[site_region[i]]), float(cap_mw[i]))
        for i in self.sub_sites:
            if site_ids[i] not in linked:
                r = int(reg_node[site_region[i]])
                add_fixed(sub_out[int(i)], r, float(cap_mw[i]))
                add_fixed(r, sub_in[int(i)], float(cap_mw[i]))
        import_regions = []
        for rid in import_region_ids:
            if rid not in region_idx:
                raise DataFileError(
                    f"energy.import_region_ids: unknown oblast {rid!r} (not in {regions_path})"
                )
            import_regions.append(region_idx[rid])
            add_fixed(self.IMP, int(reg_node[region_idx[rid]]), float(import_capacity_mw))
        big = 1e7  # MW; below _INF_UNITS once converted to flow units
        for i in self.water_sites:
            add_fixed(int(reg_node[site_region[i]]), water_node[int(i)], big)

        # variable edges: (u, v) -> slot
        var_pairs: list[tuple[int, int]] = []
        var_pairs.append((self.S, self.IMP))
        for i in self.gen_sites:
            var_pairs.append((self.S, gen_node[int(i)]))
        for i in self.sub_sites:
            var_pairs.append((sub_in[int(i)], sub_out[int(i)]))
        for k in range(self.n_regions):
            var_pairs.append((int(reg_node[k]), self.T))
        for i in self.water_sites:
            var_pairs.append((water_node[int(i)], self.T))
        self._slot_import = 0
        self._slot_gen = 1 + np.arange(len(self.gen_sites))
        o = 1 + len(self.gen_sites)
        self._slot_sub = o + np.arange(len(self.sub_sites))
        o += len(self.sub_sites)
        self._slot_region = o + np.arange(self.n_regions)
        o += self.n_regions
        self._slot_water = o + np.arange(len(self.water_sites))
        self.n_var = o + len(self.water_sites)
        self.import_capacity_mw = float(import_capacity_mw)

        # ---- CSR with fixed structure
        rows = [u for (u, _v) in fixed] + [u for (u, _v) in var_pairs]
        cols = [v for (_u, v) in fixed] + [v for (_u, v) in var_pairs]
        n_fixed = len(fixed)
        order = np.lexsort((np.array(cols), np.array(rows)))
        rows_s = np.array(rows)[order]
        cols_s = np.array(cols)[order]
        if np.any((np.diff(rows_s) == 0) & (np.diff(cols_s) == 0)):
            raise AssertionError("duplicate edge in grid construction")
        pos = np.empty(len(order), dtype=np.int64)
        pos[order] = np.arange(len(order))
        self._indptr = np.searchsorted(rows_s, np.arange(self.n_nodes + 1)).astype(np.int32)
        self._indices = cols_s.astype(np.int32)
        self._fixed_pos = pos[:n_fixed]
        self._var_pos = pos[n_fixed:]
        self._fixed_cap_mw = np.array(list(fixed.values()), dtype=float)
        self._data = np.zeros(len(order), dtype=np.int32)
        self._data[self._fixed_pos] = self._to_units(self._fixed_cap_mw)
        self._edge_u = rows_s
        self._edge_v = cols_s
        self._edge_key = rows_s.astype(np.int64) * self.n_nodes + cols_s
        self._region_nodes = reg_node
        self.solves = 0
        self._multi: dict[int, dict] = {}
        self._water_nodes = np.array([water_node[int(i)] for i in self.water_sites], dtype=np.int64)

        self._check_regions_connected(regions, regions_path, sites)

    @staticmethod
    def _bad_endpoint(path, row, field, name, i, types) -> DataFileError:
        if i is None:
            return DataFileError(
                f"{path}: row {row_no(row)}, field {field}: unknown site or oblast {name!r}"
            )
        return DataFileError(
            f"{path}: row {row_no(row)}, field {field}: {name!r} is a {types[i]} site, "
            "which is not part of the electrical network"
        )

    @staticmethod
    def _to_units(mw: np.ndarray) -> np.ndarray:
        return np.floor(np.clip(np.asarray(mw, dtype=float), 0, 2e8) / FLOW_UNIT_MW + 1e-9).astype(
            np.int32
        )

    # ------------------------------------------------------------------ capacities
    def variable_capacities(
        self,
        gen_mw: np.ndarray,
        sub_mw: np.ndarray,
        region_demand_mw: np.ndarray,
        water_load_mw: np.ndarray,
        import_mw: float | None = None,
    ) -> np.ndarray:
        """Pack the night-dependent capacities (MW) into the variable-edge vector.

        Args:
            gen_mw: available MW per generation site (order of ``gen_sites``).
            sub_mw: available throughput MW per substation (order of ``sub_sites``).
            region_demand_mw: demand per oblast (MW).
            water_load_mw: load per water utility (order of ``water_sites``).
            import_mw: import capacity (MW); default the construction value.
        """
        v = np.zeros(self.n_var, dtype=float)
        v[self._slot_import] = self.import_capacity_mw if import_mw is None else import_mw
        v[self._slot_gen] = gen_mw
        v[self._slot_sub] = sub_mw
        v[self._slot_region] = region_demand_mw
        v[self._slot_water] = water_load_mw
        return v

    def capacity_units(self, var_mw: np.ndarray) -> np.ndarray:
        """Capacity of every edge in flow units, for the given variable capacities (MW)."""
        data = self._data.copy()
        data[self._var_pos] = self._to_units(var_mw)
        return data

    def solve(self, var_mw: np.ndarray, *, flows: bool = False) -> FlowResult:
        """Maximum S->T flow for the given variable capacities.

        Args:
            var_mw: vector from :meth:`variable_capacities` (MW).
            flows: also return the net flow on every edge (for :meth:`region_served_mw`,
                :meth:`water_served_mw` and feasibility checks).

        Returns:
            :class:`FlowResult`; MW values are rounded down to :data:`FLOW_UNIT_MW`.
        """
        res = self.solve_many([var_mw])[0]
        return res if flows else FlowResult(res.served_mw, None)

    def solve_many(self, var_list: list[np.ndarray]) -> list[FlowResult]:
        """Solve several independent max-flow problems in one call.

        The K copies of the network are put side by side under a common super-source and
        super-sink with unlimited edges; the copies share no edge, so the maximum flow of the
        union is the sum of the copies' maximum flows and each copy's flow is a maximum flow
        of that copy. One scipy call costs about as much as one small solve, because scipy's
        fixed per-call overhead dominates on a network of this size.

        Args:
            var_list: variable-capacity vectors (MW), one per copy.

        Returns:
            One :class:`FlowResult` per copy, with edge flows.
        """
        k = len(var_list)
        st = self._multi.get(k)
        if st is None:
            st = self._multi[k] = self._build_multi(k)
        data = np.empty(st["n_edges"], dtype=np.int32)
        for c, var in enumerate(var_list):
            data[st["pos"][c]] = self.capacity_units(var)
        data[st["link_pos"]] = _INF_UNITS
        n = st["n_nodes"]
        m = sp.csr_array((data, st["indices"], st["indptr"]), shape=(n, n))
        res = maximum_flow(m, n - 2, n - 1, method="dinic")
        self.solves += 1
        f = res.flow
        if not f.has_sorted_indices:
            f.sort_indices()
        keys = np.repeat(np.arange(n, dtype=np.int64), np.diff(f.indptr)) * n + f.indices
        flow_all = np.asarray(f.data[np.searchsorted(keys, st["keys"])], dtype=np.int64)
        out = []
        for c in range(k):
            ef = flow_all[st["pos"][c]]
            out.append(FlowResult(float(flow_all[st["sink_pos"][c]]) * FLOW_UNIT_MW, ef))
        return out

    def _build_multi(self, k: int) -> dict:
        n0 = self.n_nodes
        e0 = len(self._edge_u)
        n = k * n0 + 2
        src, snk = n - 2, n - 1
        rows = [self._edge_u + c * n0 for c in range(k)]
        cols = [self._edge_v + c * n0 for c in range(k)]
        rows.append(np.full(k, src))
        cols.append(np.arange(k) * n0 + self.S)
        rows.append(np.arange(k) * n0 + self.T)
        cols.append(np.full(k, snk))
        r = np.concatenate(rows).astype(np.int64)
        cc = np.concatenate(cols).astype(np.int64)
        order = np.lexsort((cc, r))
        pos = np.empty(order.size, dtype=np.int64)
        pos[order] = np.arange(order.size)
        r_s, c_s = r[order], cc[order]
        return {
            "n_nodes": n,
            "n_edges": order.size,
            "indptr": np.searchsorted(r_s, np.arange(n + 1)).astype(np.int32),
            "indices": c_s.astype(np.int32),
            "keys": r_s * n + c_s,
            "pos": [pos[c * e0 : (c + 1) * e0] for c in range(k)],
            "link_pos": pos[k * e0 :],
            "sink_pos": pos[k * e0 + k :],
        }

    def flow_fits(self, edge_flow: np.ndarray, capacity_units: np.ndarray) -> bool:
        """True if a stored flow is still feasible under new edge capacities (flow units)."""
        return bool(np.all(edge_flow <= capacity_units))

    def region_served_mw(self, edge_flow: np.ndarray) -> np.ndarray:
        """Flow into the sink from each oblast (MW), from an edge-flow vector."""
        return edge_flow[self._var_pos[self._slot_region]] * FLOW_UNIT_MW

    def water_served_mw(self, edge_flow: np.ndarray) -> np.ndarray:
        """Flow into the sink through each water utility (MW), from an edge-flow vector."""
        return edge_flow[self._var_pos[self._slot_water]] * FLOW_UNIT_MW

    # ------------------------------------------------------------------ networkx view
    def to_networkx(self, var_mw: np.ndarray | None = None) -> nx.DiGraph:
        """The flow network as a networkx DiGraph with ``capacity`` (MW) on each edge.

        Args:
            var_mw: variable capacities; ``None`` gives infinite variable capacities
                (topology only).
        """
        cap = np.zeros(len(self._edge_u), dtype=float)
        cap[self._fixed_pos] = self._fixed_cap_mw
        cap[self._var_pos] = np.inf if var_mw is None else var_mw
        g = nx.DiGraph()
        g.add_nodes_from(self.node_names)
        for u, v, c in zip(self._edge_u, self._edge_v, cap, strict=True):
            g.add_edge(self.node_names[u], self.node_names[v], capacity=float(c))
        return g

    def _check_regions_connected(self, regions: pd.DataFrame, regions_path, sites) -> None:
        ok = sites["status"].to_numpy() == "operational"
        cap = sites["capacity_mw"].to_numpy(dtype=float)
        var = self.variable_capacities(
            gen_mw=np.where(ok[self.gen_sites], cap[self.gen_sites], 0.0),
            sub_mw=np.where(ok[self.sub_sites], cap[self.sub_sites], 0.0),
            region_demand_mw=np.ones(self.n_regions),
            water_load_mw=np.ones(len(self.water_sites)),
        )
        g = self.to_networkx(var)
        g.remove_edges_from([(u, v) for u, v, c in g.edges(data="capacity") if c <= 0])
        reach = nx.descendants(g, "S")
        demand = regions["peak_demand_mw"].to_numpy()
        for k, rid in enumerate(self.region_ids):
            if demand[k] > 0 and f"region:{rid}" not in reach:
                raise DataFileError(
                    f"{regions_path}: row {row_no(k)}, field id: oblast {rid!r} has demand "
                    "but no connection to any supply (no path from an operational plant or "
                    "imports through the grid links)"
                )
