"""The energy system as it stands before the winter: sites on the grid, components, demand.

An :class:`EnergyNetwork` is built once per scenario (:mod:`sim.model.theatre`) and shared, read
only, by every run: which grid node or line each site row belongs to, the load nodes and their
demand, generation and imports, water utilities, the *component groups* (groups of identical
units: the generating units of a plant, the 750/330 kV autotransformer groups and the load
transformers of a grid node, the circuits of a line, the parts of a gas site or water utility)
that a hit on each row reaches, and the winter's temperatures and demand levels
(:mod:`sim.model.energy.demand`). What a winter changes (repair jobs, units in service, the
load-shedding LP's state) belongs to each run's :class:`~sim.model.energy.system.EnergySystem`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.config.data import load_monthly_normals, load_regions, row_no
from sim.config.energy import (
    GAS_TYPES,
    GENERATION_TYPES,
    SITE_TYPES,
    SUBSTATION_TYPES,
    EnergyConfig,
)
from sim.config.errors import DataFileError
from sim.config.grid_data import load_grid
from sim.config.power_data import check_ledger_components, load_damage_ledger, load_load_shape
from sim.model.energy.demand import daily_temperature_c, demand_scale
from sim.model.energy.grid import GridLP
from sim.model.energy.ledger import out_share_as_of, units_out

UNIT_MW: dict[str, float] = {"thermal": 250.0, "chp": 150.0, "hydro": 60.0, "pumped_storage": 150.0,
                             "nuclear": 1000.0, "solar": 1e9}
"""Typical unit size for the default unit count of plants without a ``units`` value (EST)."""

DEFAULT_UNITS: dict[str, int] = {"gas_production": 10, "gas_storage": 10, "water_utility": 5}

# group kinds
GEN, AT, LT, LINE, OTHER, VIRTUAL = range(6)


def _haversine_km(lat, lon, lats, lons) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dl = np.radians(np.asarray(lons) - lon)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


class EnergyNetwork:
    """The energy system before the winter (see the module docstring); read only once built.

    Args:
        sites: the component table (:func:`sim.config.data.load_sites`; all rows, in order:
            hits are indexed by row).
        config: :class:`EnergyConfig`.
        start_date: date of night 0.
        nights: number of nights in the scenario.
        regions: optional oblast table (default: ``config.regions_file`` or the packaged one).
        grid: optional ``(nodes, lines, loads)`` frames (default: the config's grid files or
            the packaged grid, :func:`sim.config.grid_data.load_grid`).
        local_generation: give every load node a column for distributed generation on the
            load side of its transformers (``defense.portfolio``'s distributed generation).

    Attributes:
        grid_nodes, grid_links: operational nodes and lines of the grid model (ints).
        n_groups: component groups; ``g_*`` arrays describe each (units, kind, unit MW, site
            type, spare kind, repair-time distribution, priority).
        row_groups, row_bays: by site row, the groups a hit reaches and its line bays.
        temperature_c, demand_scale: each night's mean temperature and demand level.

    Raises:
        DataFileError: bad regions/grid/weather file, a site row naming an unknown node or line,
            or import oblasts without an interconnector node.
    """

    def __init__(
        self,
        sites: pd.DataFrame,
        config: EnergyConfig,
        start_date: dt.date,
        nights: int,
        *,
        regions: pd.DataFrame | None = None,
        grid: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
        local_generation: bool = False,
    ) -> None:
        self.config = config
        # distributed generation bought by defense.portfolio: a column at every load node of
        # the LP (sim.model.energy.grid.GridLP, local_nodes)
        self.local_generation = bool(local_generation)
        self.sites = sites
        self.nights = int(nights)
        self.start_date = start_date
        regions = load_regions(config.regions_file) if regions is None else regions
        if grid is None:
            grid = load_grid(config.grid_nodes_file, config.grid_lines_file,
                             config.grid_loads_file, regions)
        nodes, lines, loads = grid
        self.regions = regions
        self.n_sites = len(sites)
        types = sites["type"].to_numpy()
        self.types = types
        self.type_code = np.array([SITE_TYPES.index(t) for t in types], dtype=np.int64)
        self.operational = sites["status"].to_numpy() == "operational"
        self.cap = sites["capacity_mw"].to_numpy(dtype=float)

        lp = self._build_network(sites, nodes, lines, loads, regions)
        self._build_groups(sites, nodes, lp)
        self._build_start_state(sites)
        self._build_demand(config, start_date)
        for value in vars(self).values():  # read only from here on
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    def _build_start_state(self, sites) -> None:
        """Units out of service at night 0 by the damage ledger (``energy.state_as_of``;
        :mod:`sim.model.energy.ledger`), and the substations that carry each nuclear plant."""
        cfg = self.config
        self.ledger_down = np.zeros(self.n_groups, np.int64)
        self.ledger_out_share = np.zeros(self.n_sites)
        if cfg.state_as_of is not None:
            ledger = load_damage_ledger(cfg.damage_ledger_file)
            check_ledger_components(ledger, sites["id"].tolist())
            share = out_share_as_of(ledger, sites["id"].tolist(), cfg.state_as_of)
            self.ledger_out_share = share
            k_row = units_out(share, self.row_units)
            down = self.ledger_down
            for i in np.flatnonzero(k_row):
                k = int(k_row[i])
                for g in self.row_groups[int(i)]:
                    take = min(k, int(self.g_units[g] - down[g]))
                    down[g] += take
                    k -= take
                    if k <= 0:
                        break
        # nuclear output limited by the availability of the substations that carry it
        ids = {sid: i for i, sid in enumerate(sites["id"].tolist())}
        gen_pos = {int(r): k for k, r in enumerate(self.gen_rows)}
        nuc_k, mats = [], []
        for plant, subs in cfg.nuclear_evacuation.items():
            i = ids.get(plant)
            rows = [ids[s] for s in subs if s in ids and self.operational[ids[s]]
                    and self.row_groups[ids[s]]]
            if i is None or int(i) not in gen_pos or not rows:
                continue
            nuc_k.append(gen_pos[int(i)])
            mats.append(self.row_av_mat[rows].mean(axis=0))
        self.nuc_gen_k = np.array(nuc_k, np.int64)
        self.nuc_evac_mat = np.array(mats).reshape(len(nuc_k), self.n_groups)

    def new_lp(self) -> GridLP:
        """A fresh load-shedding LP on this network (each run solves its own)."""
        args, kwargs = self._lp_args
        return GridLP(*args, **kwargs)

    def _build_demand(self, config, start_date) -> None:
        """The winter's temperatures, demand levels, heat demand, the daily load curve of each
        night (load blocks, or 24 hours shaped by month), and imports, distributed generation
        by night."""
        normals = load_monthly_normals(config.weather_file)
        self.temperature_c = daily_temperature_c(
            start_date,
            self.nights,
            normals,
            offset_c=config.temperature_offset_c,
            cold_snap_start_offset_days=config.cold_snap_start_offset_days,
            cold_snap_nights=config.cold_snap_nights,
            cold_snap_delta_c=config.cold_snap_delta_c,
        )
        scale = demand_scale(
            self.temperature_c,
            hdd_base_c=config.hdd_base_c,
            design_temperature_c=config.design_temperature_c,
            base_load_fraction=config.base_load_fraction,
        )
        dates = [start_date + dt.timedelta(days=k) for k in range(self.nights)]
        months = np.array([d.month for d in dates], np.int64)
        hdd_design = config.hdd_base_c - config.design_temperature_c
        self.heat_frac = np.maximum(0.0, config.hdd_base_c - self.temperature_c) / hdd_design
        if config.load_profile == "hourly":
            shape = load_load_shape(config.load_shape_file)
            self.blocks_h = np.ones(24)
            self.blocks_f_night = shape[months - 1] if self.nights else np.ones((0, 24))
            scale = scale * np.array(config.month_level, float)[months - 1]
        else:
            self.blocks_h = np.array(config.load_block_hours, float)
            bf = np.array(config.load_block_factors, float)
            self.blocks_f_night = np.tile(bf, (self.nights, 1))
        self.demand_scale = scale
        self.blocks_f = (self.blocks_f_night[0] if self.nights
                         else np.array(config.load_block_factors, float))
        self.peak_block = int(np.argmax(self.blocks_f))
        self.lam_season_max = float((self.demand_scale[:, None] * self.blocks_f_night).max()) if (
            self.nights) else 1.0
        keys = [d.strftime("%Y-%m") for d in dates]
        self.import_mw_night = np.array([config.import_capacity_mw_by_month.get(
            k, config.import_capacity_mw) for k in keys], float)
        self.dg_mw_night = np.array([config.distributed_generation_mw_by_month.get(
            k, config.distributed_generation_mw) for k in keys], float)
        self.ord_peak_total = float(self.node_peak_ord.sum())
        # availability multipliers of the generating rows by night (energy.availability_by_month)
        gen_types = self.types[self.gen_rows]
        self.gen_mult_night = np.ones((self.nights, len(self.gen_rows)))
        for n, k in enumerate(keys):
            d = config.availability_by_month.get(k)
            if d:
                self.gen_mult_night[n] = [d.get(t, 1.0) for t in gen_types]

    def node_demand(self, lam: float, water_node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ordinary and critical demand per load node (MW) at demand scale ``lam``, with the
        water utilities' load ``water_node`` as it is tonight."""
        return self.node_peak_ord * lam, water_node

    # ------------------------------------------------------------------ construction
    def _build_network(self, sites, nodes, lines, loads, regions) -> GridLP:
        """Sites attached to grid nodes and lines, demand per load node, generation and
        imports, water utilities; returns the load-shedding LP built on them (its structure is
        read here; every run solves its own copy, :meth:`new_lp`)."""
        cfg = self.config
        path = sites.attrs.get("path", "sites table")
        node_ids = nodes["id"].tolist()
        node_idx = {nid: i for i, nid in enumerate(node_ids)}
        node_op = nodes["status"].to_numpy() == "operational"
        self.nodes = nodes
        self.lines = lines
        self.grid_nodes = int(node_op.sum())
        # demand per load node: share x oblast peak
        reg_peak = dict(zip(regions["id"], regions["peak_demand_mw"].to_numpy(float), strict=True))
        load_node_ids = [nid for nid in dict.fromkeys(loads["node"].tolist())
                         if node_op[node_idx[nid]]]
        self.load_nodes = load_node_ids
        ln_idx = {nid: k for k, nid in enumerate(load_node_ids)}
        nl = len(load_node_ids)
        self.region_ids = regions["id"].tolist()
        reg_idx = {r: k for k, r in enumerate(self.region_ids)}
        m = np.zeros((nl, len(self.region_ids)))
        for nid, rid, sh in zip(loads["node"], loads["region_id"], loads["share_of_region"],
                                strict=True):
            if nid in ln_idx:
                m[ln_idx[nid], reg_idx[rid]] += float(sh) * reg_peak[rid]
        m *= cfg.demand_scale_factor
        self.node_region_peak = m  # MW at scale 1, load node x oblast
        self.node_peak = m.sum(axis=1)

        # attach site rows to nodes / lines
        line_ids = lines["id"].tolist()
        line_idx = {lid: i for i, lid in enumerate(line_ids)}
        types = self.types
        site_node = np.full(len(sites), -1, dtype=np.int64)
        site_line = np.full(len(sites), -1, dtype=np.int64)
        given = sites["node"].tolist() if "node" in sites.columns else [""] * len(sites)
        lat = sites["lat"].to_numpy(float)
        lon = sites["lon"].to_numpy(float)
        nlat, nlon = nodes["lat"].to_numpy(float), nodes["lon"].to_numpy(float)
        load_mask = np.isin(np.array(node_ids, dtype=object), load_node_ids)
        plant_kind = nodes["kind"].to_numpy() == "plant"
        for i, t in enumerate(types):
            if t == "line":
                sid = sites["id"].iat[i]
                if sid not in line_idx:
                    raise DataFileError(
                        f"{path}: row {row_no(i)}, field id: {sid!r} is a line but not a line "
                        f"id of {lines.attrs.get('path', 'the grid lines table')}"
                    )
                site_line[i] = line_idx[sid]
                continue
            g = str(given[i]).strip() if given[i] is not None else ""
            if g:
                if g not in node_idx:
                    raise DataFileError(
                        f"{path}: row {row_no(i)}, field node: unknown grid node {g!r} (not in "
                        f"{nodes.attrs.get('path', 'the grid nodes table')})"
                    )
                site_node[i] = node_idx[g]
                continue
            if t == "water_utility":
                cand = load_mask
            elif t in SUBSTATION_TYPES:
                cand = node_op & ~plant_kind
            else:
                cand = node_op.copy()
            if not cand.any():
                cand = np.ones(len(node_ids), bool)
            d = _haversine_km(lat[i], lon[i], nlat, nlon)
            d[~cand] = np.inf
            site_node[i] = int(np.argmin(d))
        self.site_node = site_node
        self.site_line = site_line

        # generation, imports
        gen_rows = np.flatnonzero(np.isin(types, GENERATION_TYPES) & self.operational
                                  & (site_node >= 0))
        gen_rows = gen_rows[node_op[site_node[gen_rows]]]
        gen_node_ids = list(dict.fromkeys(node_ids[site_node[i]] for i in gen_rows))
        imp_nodes = []
        inter = nodes["interconnector"].to_numpy().astype(str)
        nreg = nodes["region_id"].to_numpy().astype(str)
        for rid in cfg.import_region_ids:
            if rid not in reg_idx:
                raise DataFileError(
                    f"energy.import_region_ids: unknown oblast {rid!r} "
                    f"(not in {regions.attrs.get('path', 'the regions table')})"
                )
            hit = [node_ids[k] for k in range(len(node_ids))
                   if inter[k] and nreg[k] == rid and node_op[k]]
            if not hit:
                raise DataFileError(
                    f"energy.import_region_ids: oblast {rid!r} has no operational interconnector "
                    f"node in {nodes.attrs.get('path', 'the grid nodes table')} (column "
                    "interconnector)"
                )
            imp_nodes += hit
        imp_nodes = list(dict.fromkeys(imp_nodes))
        self._build_water(sites, node_ids, ln_idx, nl)
        self._lp_args = ((nodes, lines, load_node_ids, self.node_peak_ord, gen_node_ids, imp_nodes),
                         {"mode": cfg.solver, "critical_load_weight": cfg.critical_load_weight,
                          "critical_nodes": [load_node_ids[k] for k in set(self.water_k.tolist())],
                          "local_nodes": load_node_ids if self.local_generation else None})
        lp = self.new_lp()
        self.grid_links = lp.n_line
        gidx = {nid: k for k, nid in enumerate(lp.gen_nodes)}
        self.gen_rows = gen_rows
        self.gen_row_k = np.array([gidx[node_ids[site_node[i]]] for i in gen_rows], np.int64)
        derate = np.array([cfg.availability_fraction[t] for t in types])
        self.base_mw = np.where(np.isin(types, GENERATION_TYPES), self.cap * derate, self.cap)
        self.base_mw[~self.operational] = 0.0

        # line lookup by LP order; lines at each node (for bay damage)
        self.lp_line_of = np.array([line_idx[lid] for lid in lp.line_ids], np.int64)
        self.lines_at_node: dict[int, list[int]] = {}
        l_from, l_to = lines["from_node"].tolist(), lines["to_node"].tolist()
        for k, li in enumerate(self.lp_line_of.tolist()):
            for end in (l_from[li], l_to[li]):
                self.lines_at_node.setdefault(node_idx[end], []).append(k)

        # islands: bus of each load node, gen node, import node
        self.load_bus = lp.load_bus
        self.gen_bus = np.array([lp.bus_of[nid] for nid in lp.gen_nodes], np.int64)
        self.imp_bus = np.array([lp.bus_of[nid] for nid in lp.import_nodes], np.int64)
        return lp

    def _build_water(self, sites, node_ids, ln_idx, nl) -> None:
        """Water utilities: critical loads at their load node. Their nominal load replaces
        the same share of the node's ordinary demand (so it is not counted twice)."""
        types = self.types
        site_node = self.site_node
        water_rows = np.flatnonzero((types == "water_utility") & self.operational)
        keep = [node_ids[site_node[i]] in ln_idx for i in water_rows]
        water_rows = water_rows[np.array(keep, bool)] if len(water_rows) else water_rows
        self.water_rows = water_rows
        self.water_k = np.array([ln_idx[node_ids[site_node[i]]] for i in water_rows], np.int64)
        self.water_nominal = self.cap[water_rows]
        wn = np.bincount(self.water_k, weights=self.water_nominal, minlength=nl)
        self.node_peak_ord = np.maximum(self.node_peak - wn, 0.0)

    def _build_groups(self, sites, nodes, lp) -> None:
        """Component groups (identical units) and which groups a hit on each row reaches."""
        cfg = self.config
        types = self.types
        units_given = sites["units"].to_numpy() if "units" in sites.columns else np.zeros(
            len(sites), np.int64)
        node_ids = nodes["id"].tolist()
        g_units, g_kind, g_index, g_mw, g_type, g_spare, g_row = [], [], [], [], [], [], []

        def add(units, kind, index, mw, typ, spare, row):
            g_units.append(int(units))
            g_kind.append(kind)
            g_index.append(index)
            g_mw.append(float(mw))
            g_type.append(typ)
            g_spare.append(spare)
            g_row.append(row)
            return len(g_units) - 1

        # node transformers: AT groups (750) and load transformers
        nrow = {nid: i for i, nid in enumerate(node_ids)}
        at_cnt = nodes["at750_count"].to_numpy(float)
        at_mva = nodes["at750_mva"].to_numpy(float)
        lt_cnt = nodes["lt_count"].to_numpy(float)
        lt_mva = nodes["lt_mva"].to_numpy(float)
        n_kv = nodes["voltage_kv"].to_numpy(float)
        at_group = {}
        for k, nid in enumerate(lp.at_nodes):
            r = nrow[nid]
            at_group[nid] = add(at_cnt[r], AT, k, at_mva[r], "substation_750", 2, -1)
        lt_group = {}
        self.lt_mva = np.full(len(self.load_nodes), np.inf)
        self.lt_k_group = np.full(len(self.load_nodes), -1, np.int64)
        for k, nid in enumerate(self.load_nodes):
            r = nrow[nid]
            cnt, mva = int(lt_cnt[r]), float(lt_mva[r])
            if cnt > 0 and mva > 0:
                vt = int(n_kv[r])
                typ = "substation_220" if vt <= 220 else "substation_330"
                lt_group[nid] = add(cnt, LT, k, mva, typ, 1, -1)
                self.lt_mva[k] = mva
                self.lt_k_group[k] = lt_group[nid]
        line_group = np.empty(lp.n_line, np.int64)
        for k in range(lp.n_line):
            line_group[k] = add(lp.line_circuits[k], LINE, k, lp.line_rating_per_circuit[k],
                                "line", 0, -1)
        lp_line_pos = {int(li): k for k, li in enumerate(self.lp_line_of)}
        row_groups: list[list[int]] = []
        row_bays: list[list[int]] = []
        self.row_units = np.zeros(len(sites), np.int64)
        for i, t in enumerate(types):
            gs: list[int] = []
            bays: list[int] = []
            if not self.operational[i]:
                row_groups.append(gs)
                row_bays.append(bays)
                continue
            u_given = int(units_given[i]) if units_given[i] else 0
            if t == "line":
                k = lp_line_pos.get(int(self.site_line[i]))
                if k is not None:
                    gs = [int(line_group[k])]
            elif t in SUBSTATION_TYPES:
                nid = node_ids[self.site_node[i]]
                gs = [g for g in (at_group.get(nid), lt_group.get(nid)) if g is not None]
                if not gs:  # a substation row at a node without transformers of its own
                    u = u_given or cfg.substation_transformer_groups
                    gs = [add(u, VIRTUAL, i, self.cap[i] / u, t, 1, i)]
                bays = [int(line_group[k]) for k in self.lines_at_node.get(
                    int(self.site_node[i]), [])]
            elif t in GENERATION_TYPES:
                if t == "nuclear":
                    u = u_given or max(1, round(self.cap[i] / UNIT_MW[t]))
                else:
                    u = u_given or max(1, round(self.cap[i] / UNIT_MW[t]))
                gs = [add(u, GEN, i, self.base_mw[i] / u, t, 0, i)]
            else:
                u = u_given or DEFAULT_UNITS.get(t, 1)
                gs = [add(u, OTHER, i, self.cap[i] / u, t, 0, i)]
            row_groups.append(gs)
            row_bays.append(bays)
        self.n_groups = len(g_units)
        self.g_units = np.array(g_units, np.int64)
        self.g_kind = np.array(g_kind, np.int64)
        self.g_index = np.array(g_index, np.int64)
        self.g_unit_mw = np.array(g_mw, float)
        self.g_type = np.array([SITE_TYPES.index(t) for t in g_type], np.int64)
        self.g_spare = np.array(g_spare, np.int64)
        self.g_row = np.array(g_row, np.int64)
        prio = {t: k for k, t in enumerate(cfg.repair_priority)}
        self.g_prio = np.array([prio.get(t, len(prio)) for t in g_type], np.int64)
        self.g_repair = [cfg.repair_days[t] for t in g_type]
        self.row_groups = row_groups
        self.row_bays = row_bays
        self.row_units = np.array([int(self.g_units[gs].sum()) for gs in row_groups], np.int64)
        mat = np.zeros((len(sites), self.n_groups))
        for i, gs in enumerate(row_groups):
            if gs:
                w = self.g_units[gs] * np.maximum(self.g_unit_mw[gs], 1e-9)
                mat[i, gs] = w / w.sum()
        self.row_av_mat = mat
        self.row_av_base = np.array([0.0 if gs else 1.0 for gs in row_groups])
        self.damage_frac = np.array([cfg.damage_fraction_per_hit[t] for t in types])
        self.damage_frac[~self.operational] = 0.0
        self.at_group_of = np.array([at_group[nid] for nid in lp.at_nodes], np.int64)
        self.line_group_of = line_group
        # per row: groups whose availability the row reports
        self.gen_group_of_row = np.array([row_groups[i][0] for i in self.gen_rows], np.int64)
        self.water_group = np.array([row_groups[i][0] for i in self.water_rows], np.int64)
        gas_rows = np.flatnonzero(np.isin(types, GAS_TYPES) & self.operational)
        self.gas_rows = gas_rows
        self.gas_group = np.array([row_groups[i][0] for i in gas_rows], np.int64)
        self.gas = sites["gas_mcm_per_day"].to_numpy(float)
        self.chp_rows = np.array([i for i in self.gen_rows if types[i] == "chp"], np.int64)
        self.chp_group = np.array([row_groups[i][0] for i in self.chp_rows], np.int64)
