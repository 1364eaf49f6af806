"""Energy consequences of hits: damage and repair by component, demand, load shedding.

One call of :meth:`EnergySystem.night` per night of the scenario:

1. **Repairs** of the past day: every open repair job that has a crew loses one day; jobs that
   reach zero are done and their unit is back in service.
2. **Damage**: the components are *groups of identical units*: the generating units of a plant,
   the 750/330 kV autotransformer groups and the load transformers of a grid node, the circuits
   of a line, the parts of a gas site or water utility. One hit of weapon class ``c`` on a site
   row puts ``damage_fraction_per_hit[type] x damage_weight_by_weapon[c] x units`` units out in
   expectation (the integer part surely, the rest with that probability); a hit on a
   substation also puts ``line_bay_damage_per_hit x weight`` of its lines' circuits out. Each
   unit out is a repair job whose length is drawn for the row's type; a transformer uses a
   spare while any is left (days to weeks), otherwise waits for a new one (months). Jobs on one
   group are worked first-in first-out, at most ``max_parallel_repairs_per_site`` at a time;
   a hit on a group whose units are all out queues more jobs, so it stays out longer; a
   repaired unit can be hit again. Crews nationwide are limited (``repair_crews``) and go by
   type priority, then size.
3. **Demand** at the grid's load nodes follows temperature through heating degree days
   (:mod:`sim.model.energy.demand`); water utilities are critical loads at their node.
4. **Load shedding** at the evening peak and the other blocks of the daily load curve:
   :class:`sim.model.energy.grid.GridLP` (a DC power flow with load shedding, or the transport
   relaxation). Energy not served is the shortfall times the block hours.

Occupied and destroyed sites, nodes and lines supply nothing and take no damage. Decoys do
nothing: ``hits`` must count only warhead hits.

Speed (see ``docs/energy.md``): the LP is built once and re-solved warm. Per state of damage,
every demand level at or below one found fully served is fully served (no solve); the evening
peak is solved exactly; when that solve finds no branch at its limit, the other load blocks of
the night follow in closed form (per island: ``min(node demand capped by its transformers,
island supply)``); otherwise the lowest block is solved too and the blocks in between follow
from the LP's sensitivities at both points (``exact_load_blocks`` solves every block).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from sim.config.data import load_grid, load_monthly_normals, load_regions, row_no
from sim.config.energy import (
    GAS_TYPES,
    GENERATION_TYPES,
    HOURS_PER_NIGHT,
    SITE_TYPES,
    SUBSTATION_TYPES,
    WEAPON_CLASSES,
    EnergyConfig,
)
from sim.config.errors import DataFileError
from sim.model.energy.demand import daily_temperature_c, demand_scale
from sim.model.energy.grid import GridLP

DEFICIT_THRESHOLD = 0.10
"""A night counts as a deficit night when more than this share of peak demand is unserved."""

MISSILE_CLASSES: tuple[str, ...] = tuple(c for c in WEAPON_CLASSES if c != "drone")

UNIT_MW: dict[str, float] = {"thermal": 250.0, "chp": 150.0, "hydro": 60.0, "pumped_storage": 150.0,
                             "nuclear": 1000.0, "solar": 1e9}
"""Typical unit size for the default unit count of plants without a ``units`` value (EST)."""

DEFAULT_UNITS: dict[str, int] = {"gas_production": 10, "gas_storage": 10, "water_utility": 5}

NIGHT_KEYS: tuple[str, ...] = (
    "demand_mw",
    "served_mw",
    "demand_served_fraction",
    "energy_demand_mwh",
    "energy_served_mwh",
    "energy_not_served_mwh",
    "energy_not_served_mwh_drones",
    "energy_not_served_mwh_missiles",
    "deficit_gt_10pct",
    "regions_deficit_gt_10pct",
    "available_generation_mw",
    "domestic_generation_mw",
    "capacity_down_mw",
    "substation_capacity_down_mw",
    *(f"capacity_down_mw_{t}" for t in SITE_TYPES),
    "generating_units_down",
    "transformers_down",
    "lines_down",
    "gas_output_mcm",
    "gas_output_lost_mcm",
    "gas_production_lost_mcm",
    "gas_storage_lost_mcm",
    "water_outage_hours",
    "water_utilities_affected",
    "heat_demand_mwh_th",
    "heat_not_served_mwh_th",
    "sites_damaged",
    "sites_down",
    "repair_jobs_open",
    "spare_transformers_left",
    "lp_solves",
    "temperature_c",
    "demand_scale",
)
"""Keys of the dict returned by :meth:`EnergySystem.night` (collected every night)."""

_GEN_TYPE_MASK = np.isin(np.array(SITE_TYPES), GENERATION_TYPES)
_SUB_TYPE_MASK = np.isin(np.array(SITE_TYPES), SUBSTATION_TYPES)

# group kinds
_GEN, _AT, _LT, _LINE, _OTHER, _VIRTUAL = range(6)


def _haversine_km(lat, lon, lats, lons) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dl = np.radians(np.asarray(lons) - lon)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


class EnergySystem:
    """Damage, repair and served demand of the energy system over a winter.

    Args:
        sites: the component table (:func:`sim.config.data.load_sites`; all rows, in order:
            hits are indexed by row).
        config: :class:`EnergyConfig`.
        start_date: date of night 0.
        nights: number of nights in the scenario.
        rng: random generator; one child seed per site row is spawned from it and each night's
            hits on a row draw from that row's stream for that night, so the damage and repair
            times drawn for a hit depend neither on hits elsewhere nor on the row's earlier
            hits (a defence that stops an earlier hit does not change the luck of a later one:
            common random numbers across defences).
        regions: optional oblast table (default: ``config.regions_file`` or the packaged one).
        grid: optional ``(nodes, lines, loads)`` frames (default: the config's grid files or
            the packaged grid, :func:`sim.config.data.load_grid`).

    Attributes:
        grid_nodes, grid_links: operational nodes and lines of the grid model (ints).
        availability: per site row, the share of its capacity in service (1 = intact).

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
        rng: np.random.Generator,
        *,
        regions: pd.DataFrame | None = None,
        grid: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
    ) -> None:
        self.config = config
        self.sites = sites
        self.nights = int(nights)
        self.start_date = start_date
        regions = load_regions(config.regions_file) if regions is None else regions
        if grid is None:
            grid = load_grid(config.grid_nodes_file, config.grid_lines_file,
                             config.grid_loads_file, regions)
        nodes, lines, loads = grid
        self.regions = regions
        self.n_sites = n = len(sites)
        types = sites["type"].to_numpy()
        self._types = types
        self._type_code = np.array([SITE_TYPES.index(t) for t in types], dtype=np.int64)
        self._operational = sites["status"].to_numpy() == "operational"
        cap = sites["capacity_mw"].to_numpy(dtype=float)
        self._cap = cap
        self._site_seq = rng.bit_generator.seed_seq.spawn(n)
        self.spares_left = float(config.spare_transformers)

        self._build_network(sites, nodes, lines, loads, regions)
        self._build_groups(sites, nodes)

        # demand
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
        self.demand_scale = demand_scale(
            self.temperature_c,
            hdd_base_c=config.hdd_base_c,
            design_temperature_c=config.design_temperature_c,
            base_load_fraction=config.base_load_fraction,
        )
        hdd_design = config.hdd_base_c - config.design_temperature_c
        self._heat_frac = np.maximum(0.0, config.hdd_base_c - self.temperature_c) / hdd_design
        self._blocks_h = np.array(config.load_block_hours, float)
        self._blocks_f = np.array(config.load_block_factors, float)
        self._peak_block = int(np.argmax(self._blocks_f))
        self._lam_season_max = float(self.demand_scale.max() * self._blocks_f.max()) if (
            self.nights) else 1.0
        self._try_season_max = True
        self._solves_tonight = 0

        # repair jobs (parallel arrays, in creation order)
        self._job_group = np.zeros(0, np.int64)
        self._job_rem = np.zeros(0, np.int64)
        self._job_mw = np.zeros(0, float)
        self._job_missile = np.zeros(0, bool)
        self._g_down = np.zeros(self.n_groups, np.int64)
        self._edges_key = b""
        self._lam_ok = math.inf  # so that the first state tries the season's highest demand
        self._next_night = 0
        self.history: list[dict[str, float]] = []
        self._lost_by_type = np.zeros(len(SITE_TYPES))
        self._ens_missiles = 0.0
        self._ens_total = 0.0
        self._update_state()

    # ------------------------------------------------------------------ construction
    def _build_network(self, sites, nodes, lines, loads, regions) -> None:
        cfg = self.config
        path = sites.attrs.get("path", "sites table")
        node_ids = nodes["id"].tolist()
        node_idx = {nid: i for i, nid in enumerate(node_ids)}
        node_op = nodes["status"].to_numpy() == "operational"
        self._nodes = nodes
        self._lines = lines
        self.grid_nodes = int(node_op.sum())
        # demand per load node: share x oblast peak
        reg_peak = dict(zip(regions["id"], regions["peak_demand_mw"].to_numpy(float), strict=True))
        load_node_ids = [nid for nid in dict.fromkeys(loads["node"].tolist())
                         if node_op[node_idx[nid]]]
        self._load_nodes = load_node_ids
        ln_idx = {nid: k for k, nid in enumerate(load_node_ids)}
        nl = len(load_node_ids)
        self._region_ids = regions["id"].tolist()
        reg_idx = {r: k for k, r in enumerate(self._region_ids)}
        m = np.zeros((nl, len(self._region_ids)))
        for nid, rid, sh in zip(loads["node"], loads["region_id"], loads["share_of_region"],
                                strict=True):
            if nid in ln_idx:
                m[ln_idx[nid], reg_idx[rid]] += float(sh) * reg_peak[rid]
        m *= cfg.demand_scale_factor
        self._node_region_peak = m  # MW at scale 1, load node x oblast
        self._node_peak = m.sum(axis=1)

        # attach site rows to nodes / lines
        line_ids = lines["id"].tolist()
        line_idx = {lid: i for i, lid in enumerate(line_ids)}
        types = self._types
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
        gen_rows = np.flatnonzero(np.isin(types, GENERATION_TYPES) & self._operational
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
        self.lp = GridLP(nodes, lines, load_node_ids, self._node_peak_ord, gen_node_ids,
                         imp_nodes, mode=cfg.solver,
                         critical_load_weight=cfg.critical_load_weight,
                         critical_nodes=[load_node_ids[k] for k in set(self._water_k.tolist())])
        lp = self.lp
        self.grid_links = lp.n_line
        gidx = {nid: k for k, nid in enumerate(lp.gen_nodes)}
        self._gen_rows = gen_rows
        self._gen_row_k = np.array([gidx[node_ids[site_node[i]]] for i in gen_rows], np.int64)
        derate = np.array([cfg.availability_fraction[t] for t in types])
        self._base_mw = np.where(np.isin(types, GENERATION_TYPES), self._cap * derate, self._cap)
        self._base_mw[~self._operational] = 0.0


        # line lookup by LP order; lines at each node (for bay damage)
        self._lp_line_of = np.array([line_idx[lid] for lid in lp.line_ids], np.int64)
        self._lines_at_node: dict[int, list[int]] = {}
        l_from, l_to = lines["from_node"].tolist(), lines["to_node"].tolist()
        for k, li in enumerate(self._lp_line_of.tolist()):
            for end in (l_from[li], l_to[li]):
                self._lines_at_node.setdefault(node_idx[end], []).append(k)

        # islands: bus of each load node, gen node, import node
        self._load_bus = lp.load_bus
        self._gen_bus = np.array([lp.bus_of[nid] for nid in lp.gen_nodes], np.int64)
        self._imp_bus = np.array([lp.bus_of[nid] for nid in lp.import_nodes], np.int64)

    def _build_water(self, sites, node_ids, ln_idx, nl) -> None:
        """Water utilities: critical loads at their load node. Their nominal load replaces
        the same share of the node's ordinary demand (so it is not counted twice)."""
        types = self._types
        site_node = self.site_node
        water_rows = np.flatnonzero((types == "water_utility") & self._operational)
        keep = [node_ids[site_node[i]] in ln_idx for i in water_rows]
        water_rows = water_rows[np.array(keep, bool)] if len(water_rows) else water_rows
        self._water_rows = water_rows
        self._water_k = np.array([ln_idx[node_ids[site_node[i]]] for i in water_rows], np.int64)
        self._water_nominal = self._cap[water_rows]
        wn = np.bincount(self._water_k, weights=self._water_nominal, minlength=nl)
        self._node_peak_ord = np.maximum(self._node_peak - wn, 0.0)

    def _build_groups(self, sites, nodes) -> None:
        """Component groups (identical units) and which groups a hit on each row reaches."""
        cfg = self.config
        lp = self.lp
        types = self._types
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
            at_group[nid] = add(at_cnt[r], _AT, k, at_mva[r], "substation_750", 2, -1)
        lt_group = {}
        self._lt_mva = np.full(len(self._load_nodes), np.inf)
        self._lt_k_group = np.full(len(self._load_nodes), -1, np.int64)
        for k, nid in enumerate(self._load_nodes):
            r = nrow[nid]
            cnt, mva = int(lt_cnt[r]), float(lt_mva[r])
            if cnt > 0 and mva > 0:
                vt = int(n_kv[r])
                typ = "substation_220" if vt <= 220 else "substation_330"
                lt_group[nid] = add(cnt, _LT, k, mva, typ, 1, -1)
                self._lt_mva[k] = mva
                self._lt_k_group[k] = lt_group[nid]
        line_group = np.empty(lp.n_line, np.int64)
        for k in range(lp.n_line):
            line_group[k] = add(lp.line_circuits[k], _LINE, k, lp.line_rating_per_circuit[k],
                                "line", 0, -1)
        lp_line_pos = {int(li): k for k, li in enumerate(self._lp_line_of)}
        row_groups: list[list[int]] = []
        row_bays: list[list[int]] = []
        self._row_units = np.zeros(len(sites), np.int64)
        for i, t in enumerate(types):
            gs: list[int] = []
            bays: list[int] = []
            if not self._operational[i]:
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
                    gs = [add(u, _VIRTUAL, i, self._cap[i] / u, t, 1, i)]
                bays = [int(line_group[k]) for k in self._lines_at_node.get(
                    int(self.site_node[i]), [])]
            elif t in GENERATION_TYPES:
                if t == "nuclear":
                    u = u_given or max(1, round(self._cap[i] / UNIT_MW[t]))
                else:
                    u = u_given or max(1, round(self._cap[i] / UNIT_MW[t]))
                gs = [add(u, _GEN, i, self._base_mw[i] / u, t, 0, i)]
            else:
                u = u_given or DEFAULT_UNITS.get(t, 1)
                gs = [add(u, _OTHER, i, self._cap[i] / u, t, 0, i)]
            row_groups.append(gs)
            row_bays.append(bays)
        self.n_groups = len(g_units)
        self._g_units = np.array(g_units, np.int64)
        self._g_kind = np.array(g_kind, np.int64)
        self._g_index = np.array(g_index, np.int64)
        self._g_unit_mw = np.array(g_mw, float)
        self._g_type = np.array([SITE_TYPES.index(t) for t in g_type], np.int64)
        self._g_spare = np.array(g_spare, np.int64)
        self._g_row = np.array(g_row, np.int64)
        prio = {t: k for k, t in enumerate(cfg.repair_priority)}
        self._g_prio = np.array([prio.get(t, len(prio)) for t in g_type], np.int64)
        self._g_repair = [cfg.repair_days[t] for t in g_type]
        self._row_groups = row_groups
        self._row_bays = row_bays
        self._row_units = np.array([int(self._g_units[gs].sum()) for gs in row_groups], np.int64)
        mat = np.zeros((len(sites), self.n_groups))
        for i, gs in enumerate(row_groups):
            if gs:
                w = self._g_units[gs] * np.maximum(self._g_unit_mw[gs], 1e-9)
                mat[i, gs] = w / w.sum()
        self._row_av_mat = mat
        self._row_av_base = np.array([0.0 if gs else 1.0 for gs in row_groups])
        self._damage_frac = np.array([cfg.damage_fraction_per_hit[t] for t in types])
        self._damage_frac[~self._operational] = 0.0
        self._at_group_of = np.array([at_group[nid] for nid in lp.at_nodes], np.int64)
        self._line_group_of = line_group
        # per row: groups whose availability the row reports
        self._gen_group_of_row = np.array([row_groups[i][0] for i in self._gen_rows], np.int64)
        self._water_group = np.array([row_groups[i][0] for i in self._water_rows], np.int64)
        gas_rows = np.flatnonzero(np.isin(types, GAS_TYPES) & self._operational)
        self._gas_rows = gas_rows
        self._gas_group = np.array([row_groups[i][0] for i in gas_rows], np.int64)
        self._gas = sites["gas_mcm_per_day"].to_numpy(float)
        self._chp_rows = np.array([i for i in self._gen_rows if types[i] == "chp"], np.int64)
        self._chp_group = np.array([row_groups[i][0] for i in self._chp_rows], np.int64)

    # ------------------------------------------------------------------ repairs and damage
    def _advance_repairs(self) -> bool:
        if self._job_group.size == 0:
            return False
        grp = self._job_group
        order = np.argsort(grp, kind="stable")
        g_sorted = grp[order]
        first = np.searchsorted(g_sorted, g_sorted, side="left")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size) - first
        eligible = np.flatnonzero(rank < self.config.max_parallel_repairs_per_site)
        crews = self.config.repair_crews
        if eligible.size > crews:
            key = np.lexsort((eligible, -self._job_mw[eligible], self._g_prio[grp[eligible]]))
            eligible = eligible[key[:crews]]
        if eligible.size == 0:
            return False
        self._job_rem[eligible] -= 1
        done = self._job_rem <= 0
        if not done.any():
            return False
        keep = ~done
        self._job_group = self._job_group[keep]
        self._job_rem = self._job_rem[keep]
        self._job_mw = self._job_mw[keep]
        self._job_missile = self._job_missile[keep]
        return True

    def _job_days(self, g: int, z: float) -> int:
        spare = self._g_spare[g]
        if spare:
            if self.spares_left >= 1.0 - 1e-9:
                self.spares_left -= 1.0
            else:
                dist = (self.config.substation_repair_without_spare_750 if spare == 2
                        else self.config.substation_repair_without_spare)
                return dist.days(z)
        return self._g_repair[g].days(z)

    def _apply_hits(self, hits: dict[str, np.ndarray]) -> bool:
        w_by = self.config.damage_weight_by_weapon
        rows = np.zeros(self.n_sites, bool)
        for arr in hits.values():
            rows |= arr > 0
        rows &= self._damage_frac > 0
        idx = np.flatnonzero(rows)
        if idx.size == 0:
            return False
        groups, rems, mws, mis = [], [], [], []
        bay = self.config.line_bay_damage_per_hit
        night = self._next_night - 1
        for i in idx:
            i = int(i)
            seq = self._site_seq[i]
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                seq.entropy, spawn_key=(*seq.spawn_key, night))))
            gs = self._row_groups[i]
            if not gs:
                continue
            units = self._g_units[gs]
            cum = np.cumsum(units)
            total = int(cum[-1])
            bays = self._row_bays[i]
            for cls in WEAPON_CLASSES:
                arr = hits.get(cls)
                if arr is None or arr[i] <= 0:
                    continue
                w = float(w_by[cls])
                x = self._damage_frac[i] * w * total
                missile = cls != "drone"
                for _ in range(int(arr[i])):
                    k = int(x) + int(rng.random() < x - int(x))
                    for _u in range(k):
                        g = gs[int(np.searchsorted(cum, rng.integers(total), side="right"))]
                        groups.append(g)
                        rems.append(self._job_days(g, float(rng.standard_normal())))
                        mws.append(self._g_unit_mw[g])
                        mis.append(missile)
                    if bays and bay > 0:
                        y = bay * w
                        kb = int(y) + int(rng.random() < y - int(y))
                        for _b in range(kb):
                            g = bays[int(rng.integers(len(bays)))]
                            groups.append(g)
                            rems.append(self._job_days(g, float(rng.standard_normal())))
                            mws.append(self._g_unit_mw[g])
                            mis.append(missile)
        if not groups:
            return False
        self._job_group = np.concatenate([self._job_group, np.array(groups, np.int64)])
        self._job_rem = np.concatenate([self._job_rem, np.array(rems, np.int64)])
        self._job_mw = np.concatenate([self._job_mw, np.array(mws, float)])
        self._job_missile = np.concatenate([self._job_missile, np.array(mis, bool)])
        return True

    def _update_state(self) -> None:
        """Units in service -> network capacities, availability per row, islands."""
        down = np.bincount(self._job_group, minlength=self.n_groups)
        self._g_down = down
        up = np.maximum(self._g_units - down, 0)
        self._g_up = up
        frac = np.where(self._g_units > 0, up / np.maximum(self._g_units, 1), 1.0)
        self._g_frac = frac
        lp = self.lp
        gen_mw = np.bincount(self._gen_row_k, weights=self._base_mw[self._gen_rows]
                             * frac[self._gen_group_of_row], minlength=len(lp.gen_nodes))
        self._gen_mw = gen_mw
        self._line_up = up[self._line_group_of].astype(float)
        self._at_up = up[self._at_group_of].astype(float) if self._at_group_of.size else np.zeros(0)
        has_lt = self._lt_k_group >= 0
        lt = np.full(len(self._lt_k_group), np.inf)
        lt[has_lt] = up[self._lt_k_group[has_lt]] * self._lt_mva[has_lt]
        self._lt_mw = lt
        self._water_mw = self._water_nominal * frac[self._water_group] if len(
            self._water_rows) else np.zeros(0)
        self._water_node = np.bincount(self._water_k, weights=self._water_mw,
                                       minlength=len(self._load_nodes))
        lp.set_network(gen_mw, self.config.import_capacity_mw, self._line_up, self._at_up, lt,
                       self._water_node)
        # availability per site row (capacity-weighted over its groups)
        self.availability = self._row_av_base + self._row_av_mat @ frac
        self._branch_cap = np.concatenate([lp.line_rating_per_circuit * self._line_up,
                                           lp.at_mva_per_group * self._at_up])
        self._islands_known = False  # computed when the closed form first needs them
        # cache per state; after a fully served state, first try the season's highest demand
        self._try_season_max = self._lam_ok >= self._lam_season_max
        self._lam_ok = -math.inf  # every lambda <= this is fully served
        self._lam_nb = -math.inf  # every lambda <= this: closed form (no branch binds)
        self._missile_share = (float(self._job_mw[self._job_missile].sum() / self._job_mw.sum())
                               if self._job_mw.size and self._job_mw.sum() > 0 else 0.0)

    def _islands(self) -> None:
        """Connected parts of the network in service (union-find over branches in service),
        their supply, and whether the closed form applies (imports enter one island)."""
        lp = self.lp
        e = np.flatnonzero(self._branch_cap > 0)
        key = e.tobytes()
        if key != self._edges_key:
            self._edges_key = key
            parent = list(range(lp.n_bus))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            for a, b in zip(lp.from_bus[e].tolist(), lp.to_bus[e].tolist(), strict=True):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[ra] = rb
            self._bus_island = np.array([find(i) for i in range(lp.n_bus)], np.int64)
        lab = self._bus_island
        self._island_of_load = lab[self._load_bus]
        self._island_supply = np.bincount(lab[self._gen_bus], weights=self._gen_mw,
                                          minlength=lp.n_bus)
        imp_isl = np.unique(lab[self._imp_bus])
        if imp_isl.size >= 1:
            self._island_supply[imp_isl[0]] += self.config.import_capacity_mw
        self._closed_form_ok = imp_isl.size <= 1
        self._islands_known = True

    # ------------------------------------------------------------------ demand and solves
    def _node_demand(self, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Ordinary and critical demand per load node (MW) at demand scale ``lam``."""
        return self._node_peak_ord * lam, self._water_node

    def _closed_form(self, lam: float) -> tuple[float, np.ndarray, np.ndarray]:
        if not self._islands_known:
            self._islands()
        d, w = self._node_demand(lam)
        cap = np.minimum(d + w, self._lt_mw)
        wcap = np.minimum(w, self._lt_mw)
        isl = self._island_of_load
        nb = self.lp.n_bus
        need = np.bincount(isl, weights=cap, minlength=nb)
        need_w = np.bincount(isl, weights=wcap, minlength=nb)
        sup = self._island_supply
        served_isl = np.minimum(need, sup)
        # critical first, then ordinary in proportion
        w_isl = np.minimum(need_w, sup)
        with np.errstate(invalid="ignore", divide="ignore"):
            fw = np.where(need_w > 0, w_isl / need_w, 1.0)
            rest = np.where(need - need_w > 0, (served_isl - w_isl) / (need - need_w), 1.0)
        crit = wcap * fw[isl]
        node = crit + (cap - wcap) * rest[isl]
        return float(node.sum()), node, crit

    def _solve(self, lam: float):
        self.lp.set_scale(lam)
        res = self.lp.solve()
        self._solves_tonight += 1
        full = res.served_mw >= res.demand_mw - 1e-6 * max(1.0, res.demand_mw)
        if full:
            self._lam_ok = max(self._lam_ok, lam)
        return res, full

    def _binding_free(self, lam: float, res) -> bool:
        """True (and remembered for this state) if no branch is at its limit in the last
        solve and the closed form reproduces it."""
        if not self._islands_known:
            self._islands()
        if not self._closed_form_ok:
            return False
        f = self.lp.flows()
        cap = self._branch_cap
        if np.any((cap > 0) & (np.abs(f) >= cap * (1 - 1e-7) - 1e-6)):
            return False
        s_cf, _, _ = self._closed_form(lam)
        if abs(s_cf - res.served_mw) <= 1e-6 * max(1.0, res.demand_mw) + 1e-3:
            self._lam_nb = max(self._lam_nb, lam)
            return True
        return False

    def _served_blocks(self, lams: np.ndarray):
        """Served MW per block, demand per block, and node/critical served at the peak block.

        Exact LP solves where needed (see the module docstring): the peak block is always
        exact; lower blocks are fully served when a higher demand was, follow the closed form
        when no branch binds, and otherwise are solved (``exact_load_blocks``) or, for the
        blocks between the peak and the lowest block (both solved), taken from the LP's
        sensitivities at those two points: shed demand is convex in the demand scale, so it
        lies above both tangents and below the chord; the larger tangent is used.
        """
        self._solves_tonight = 0
        nbk = len(lams)
        demand = np.empty(nbk)
        served = np.empty(nbk)
        for b in range(nbk):
            d, w = self._node_demand(float(lams[b]))
            demand[b] = d.sum() + w.sum()
        p = self._peak_block
        lam_p = float(lams[p])
        if lam_p > self._lam_ok and self._try_season_max:
            self._try_season_max = False
            self._solve(self._lam_season_max)
        if lam_p <= self._lam_ok:
            d, w = self._node_demand(lam_p)
            return demand.copy(), demand, (d + w, w.copy())
        if lam_p <= self._lam_nb:
            s, node, crit = self._closed_form(lam_p)
            served[p] = min(s, demand[p])
            peak = (node, crit)
            res = None
        else:
            res, full = self._solve(lam_p)
            if full:
                d, w = self._node_demand(lam_p)
                return demand.copy(), demand, (d + w, w.copy())
            served[p] = min(res.served_mw, demand[p])
            peak = (res.node_served_mw, res.critical_served_mw)
            nb_free = self._binding_free(lam_p, res)
            if not nb_free and not self.config.exact_load_blocks:
                # d(shed)/d(scale) = d(demand)/d(scale) - d(served)/d(scale)
                slope = float(self._node_peak_ord.sum()) + self.lp.demand_slope()
        low = None  # exact solve at the lowest block, when the tangent rule needs it
        for b in sorted(range(nbk), key=lambda i: -float(lams[i])):
            if b == p:
                continue
            lam = float(lams[b])
            if lam <= self._lam_ok:
                served[b] = demand[b]
            elif lam <= self._lam_nb:
                served[b] = min(self._closed_form(lam)[0], demand[b])
            elif self.config.exact_load_blocks or res is None:
                r, full = self._solve(lam)
                served[b] = demand[b] if full else min(r.served_mw, demand[b])
                if not full:
                    self._binding_free(lam, r)
            else:
                if low is None:
                    b_lo = int(np.argmin(lams))
                    lam_lo = float(lams[b_lo])
                    r, full = self._solve(lam_lo)
                    shed_lo = 0.0 if full else max(0.0, demand[b_lo] - r.served_mw)
                    slope_lo = (float(self._node_peak_ord.sum()) + self.lp.demand_slope()
                                if not full else 0.0)
                    low = (lam_lo, shed_lo, slope_lo)
                    if b == b_lo:
                        served[b] = demand[b] - shed_lo
                        continue
                lam_lo, shed_lo, slope_lo = low
                shed_p = demand[p] - served[p]
                # shed demand is convex in the scale: both tangents are below it, the chord
                # between the two exact points above it (exact with one kink in between)
                tangent = max(shed_p + slope * (lam - lam_p), shed_lo + slope_lo * (lam - lam_lo))
                chord = shed_lo + (shed_p - shed_lo) * (lam - lam_lo) / max(lam_p - lam_lo, 1e-12)
                lo = max(0.0, demand[b] - served[p])  # served never rises with lower demand
                served[b] = demand[b] - min(max(tangent, lo), max(chord, lo))
        return served, demand, peak

    # ------------------------------------------------------------------ public API
    def night(self, night_index: int, hits) -> dict[str, float]:
        """Advance one night.

        Order: repairs of the past day (one day of work per open job with a crew), then
        tonight's hits, then load shedding. A unit hit on night ``n`` whose repair takes ``D``
        days is back on night ``n + D`` if a crew works it every day.

        Args:
            night_index: 0-based night; nights must be called in order 0, 1, 2, ...
            hits: warhead hits per site row tonight (row order of ``sites``): either one int
                array (all drones) or a dict ``{weapon_class: int array}`` with classes of
                :data:`sim.config.energy.WEAPON_CLASSES` (``drone``, ``cruise``,
                ``ballistic``, ``kh22``, ``kh59``). Decoys must not be counted.

        Returns:
            Flat per-night outcomes (floats), keys :data:`NIGHT_KEYS`.
        """
        if night_index != self._next_night:
            raise ValueError(f"night_index={night_index}; expected {self._next_night} (in order)")
        if night_index >= self.nights:
            raise ValueError(
                f"night_index={night_index} beyond the scenario ({self.nights} nights)"
            )
        hits = self._check_hits(hits)
        self._next_night += 1

        self.spares_left += self.config.spare_transformer_deliveries_per_30_days / 30.0
        repaired = self._advance_repairs()
        damaged = self.config.enabled and self._apply_hits(hits)
        if repaired or damaged:
            self._update_state()

        f = float(self.demand_scale[night_index])
        lams = f * self._blocks_f
        served, demand, (pnode, pcrit) = self._served_blocks(lams)
        solves = self._solves_tonight
        p = self._peak_block
        demand_peak = float(demand[p])
        served_peak = float(min(served[p], demand_peak))
        energy_d = float(self._blocks_h @ demand)
        energy_s = float(self._blocks_h @ np.minimum(served, demand))
        ens = max(0.0, energy_d - energy_s)
        share = self._missile_share if ens > 0 else 0.0
        self._ens_total += ens
        self._ens_missiles += ens * share

        # regions at the peak: node served shared by the node's oblast demand
        reg_dem = self._node_region_peak * lams[p]
        node_dem = reg_dem.sum(axis=1) + 0.0
        dnode, wnode = self._node_demand(float(lams[p]))
        tot_node = dnode + wnode
        with np.errstate(invalid="ignore", divide="ignore"):
            frac_node = np.where(tot_node > 0, np.minimum(pnode / tot_node, 1.0), 1.0)
        reg_served = (reg_dem * frac_node[:, None]).sum(axis=0)
        reg_total = reg_dem.sum(axis=0)
        regions_short = float(np.sum(reg_total - reg_served > DEFICIT_THRESHOLD * reg_total + 0.1))
        del node_dem

        # water service: own availability x power at its node
        if len(self._water_rows):
            with np.errstate(invalid="ignore", divide="ignore"):
                wfrac = np.where(wnode > 0, np.minimum(pcrit / wnode, 1.0), 1.0)
            water_service = self._g_frac[self._water_group] * wfrac[self._water_k]
        else:
            water_service = np.ones(0)

        frac = self._g_frac
        lost_g = (self._g_units - self._g_up) * self._g_unit_mw
        lost_by_type = np.bincount(self._g_type, weights=lost_g, minlength=len(SITE_TYPES))
        self._lost_by_type += lost_by_type
        gas_lost = self._gas[self._gas_rows] * (1.0 - frac[self._gas_group])
        gas_out = self._gas[self._gas_rows] * frac[self._gas_group]
        is_prod = self._types[self._gas_rows] == "gas_production"
        heat_cap = self._cap[self._chp_rows] * self.config.chp_heat_to_power
        heat_d = float(heat_cap.sum() * self._heat_frac[night_index] * HOURS_PER_NIGHT)
        heat_lost = float((heat_cap * (1.0 - frac[self._chp_group])).sum()
                          * self._heat_frac[night_index] * HOURS_PER_NIGHT)
        dom = float(self._gen_mw.sum())
        kind = self._g_kind
        down = self._g_units - self._g_up
        av = self.availability
        gen_types, sub_types = _GEN_TYPE_MASK, _SUB_TYPE_MASK
        out = {
            "demand_mw": demand_peak,
            "served_mw": served_peak,
            "demand_served_fraction": served_peak / demand_peak if demand_peak > 0 else 1.0,
            "energy_demand_mwh": energy_d,
            "energy_served_mwh": energy_s,
            "energy_not_served_mwh": ens,
            "energy_not_served_mwh_drones": ens * (1.0 - share),
            "energy_not_served_mwh_missiles": ens * share,
            "deficit_gt_10pct": float(demand_peak - served_peak > DEFICIT_THRESHOLD * demand_peak),
            "regions_deficit_gt_10pct": regions_short,
            "available_generation_mw": dom + self.config.import_capacity_mw,
            "domestic_generation_mw": dom,
            "capacity_down_mw": float(lost_by_type[gen_types].sum()),
            "substation_capacity_down_mw": float(lost_by_type[sub_types].sum()),
            **{f"capacity_down_mw_{t}": float(v)
               for t, v in zip(SITE_TYPES, lost_by_type, strict=True)},
            "generating_units_down": float(down[kind == _GEN].sum()),
            "transformers_down": float(down[(kind == _AT) | (kind == _LT) | (kind == _VIRTUAL)]
                                       .sum()),
            "lines_down": float(down[kind == _LINE].sum()),
            "gas_output_mcm": float(gas_out.sum()),
            "gas_output_lost_mcm": float(gas_lost.sum()),
            "gas_production_lost_mcm": float(gas_lost[is_prod].sum()),
            "gas_storage_lost_mcm": float(gas_lost[~is_prod].sum()),
            "water_outage_hours": float(HOURS_PER_NIGHT * np.sum(1.0 - water_service)),
            "water_utilities_affected": float(np.sum(water_service < 1.0 - 1e-9)),
            "heat_demand_mwh_th": heat_d,
            "heat_not_served_mwh_th": heat_lost,
            "sites_damaged": float(np.sum(av < 1.0)),
            "sites_down": float(np.sum(av <= 0.0)),
            "repair_jobs_open": float(self._job_group.size),
            "spare_transformers_left": float(self.spares_left),
            "lp_solves": float(solves),
            "temperature_c": float(self.temperature_c[night_index]),
            "demand_scale": f,
        }
        self.history.append(out)
        return out

    def _check_hits(self, hits) -> dict[str, np.ndarray]:
        if isinstance(hits, dict):
            unknown = sorted(set(hits) - set(WEAPON_CLASSES))
            if unknown:
                raise ValueError(
                    f"hits: unknown weapon class(es) {unknown}; expected {list(WEAPON_CLASSES)}"
                )
            out = {k: np.asarray(v) for k, v in hits.items()}
        else:
            out = {"drone": np.asarray(hits)}
        for k, v in out.items():
            if v.shape != (self.n_sites,):
                raise ValueError(f"hits[{k!r}] has shape {v.shape}; expected ({self.n_sites},)")
            if np.any(v < 0):
                raise ValueError("hits must be non-negative")
        return out

    def night_table(self) -> pd.DataFrame:
        """All nights so far, one row per night."""
        return pd.DataFrame(self.history)

    def shed_without_rows(self, rows, lam: float = 1.0) -> np.ndarray:
        """Load shed (MW) at demand scale ``lam`` with every unit of one site row out of
        service, the rest of the system as it is now, for each row of ``rows`` in turn (one
        load-shedding solve per row; ``lam`` 1 is the peak at the design temperature). Rows
        that are not operational, or have no units, shed what the system sheds as it is.
        The system is left as it was. Used for a static criticality of each site
        (:func:`sim.model.basing.site_criticality`)."""
        jobs = self._job_group
        out = np.zeros(len(rows))
        try:
            for k, i in enumerate(rows):
                gs = self._row_groups[int(i)]
                extra = (np.concatenate([np.full(int(self._g_units[g]), g, np.int64) for g in gs])
                         if gs else np.zeros(0, np.int64))
                self._job_group = np.concatenate([jobs, extra])
                self._update_state()
                self.lp.set_scale(lam)
                res = self.lp.solve()
                out[k] = max(res.demand_mw - res.served_mw, 0.0)
        finally:
            self._job_group = jobs
            self._update_state()
        return out

    def network_state(self, lam: float) -> dict[str, np.ndarray | float]:
        """Tonight's network and demand as :meth:`GridLP.set_network` / ``set_demand`` take
        them (for comparing solvers on the same state)."""
        d, w = self._node_demand(lam)
        return {
            "gen_mw": self._gen_mw.copy(),
            "import_mw": float(self.config.import_capacity_mw),
            "line_circuits_up": self._line_up.copy(),
            "at_groups_up": self._at_up.copy(),
            "lt_mw": self._lt_mw.copy(),
            "critical_mw": w.copy(),
            "scale": float(lam),
        }

    def winter_outcomes(self) -> dict[str, float | dict]:
        """Winter totals over the nights run so far.

        Returns:
            demand_served_fraction (energy-weighted), peak_demand_served_fraction_mean,
            min_night_demand_served_fraction, energy_demand_mwh, energy_not_served_mwh,
            energy_loss_share_missiles, nights_deficit_gt_10pct, min_available_capacity_mw,
            capacity_days_lost_by_type (dict type -> MW-days of lost capacity: derated
            generation, transformer MVA for substations, circuit rating for lines, load for
            water utilities), gas_output_lost_mcm, water_outage_hours, heat_not_served_mwh_th,
            max_sites_down, spare_transformers_left, grid_nodes, grid_links, lp_solves, nights.
        """
        h = self.history
        base = {"grid_nodes": float(self.grid_nodes), "grid_links": float(self.grid_links)}
        if not h:
            return {
                "demand_served_fraction": math.nan,
                "energy_not_served_mwh": 0.0,
                "energy_loss_share_missiles": 0.0,
                "nights_deficit_gt_10pct": 0.0,
                "min_available_capacity_mw": math.nan,
                "capacity_days_lost_by_type": {t: 0.0 for t in SITE_TYPES},
                "gas_output_lost_mcm": 0.0,
                "water_outage_hours": 0.0,
                "heat_not_served_mwh_th": 0.0,
                **base,
                "nights": 0.0,
            }
        col = {k: np.array([r[k] for r in h]) for k in h[0]}
        e_d = float(col["energy_demand_mwh"].sum())
        e_s = float(col["energy_served_mwh"].sum())
        return {
            "demand_served_fraction": e_s / e_d if e_d > 0 else 1.0,
            "peak_demand_served_fraction_mean": float(col["demand_served_fraction"].mean()),
            "min_night_demand_served_fraction": float(col["demand_served_fraction"].min()),
            "energy_demand_mwh": e_d,
            "energy_not_served_mwh": float(col["energy_not_served_mwh"].sum()),
            "energy_loss_share_missiles": (self._ens_missiles / self._ens_total
                                           if self._ens_total > 0 else 0.0),
            "nights_deficit_gt_10pct": float(col["deficit_gt_10pct"].sum()),
            "min_available_capacity_mw": float(col["available_generation_mw"].min()),
            "capacity_days_lost_by_type": {
                t: float(v) for t, v in zip(SITE_TYPES, self._lost_by_type, strict=True)
            },
            "gas_output_lost_mcm": float(col["gas_output_lost_mcm"].sum()),
            "water_outage_hours": float(col["water_outage_hours"].sum()),
            "heat_not_served_mwh_th": float(col["heat_not_served_mwh_th"].sum()),
            "max_sites_down": float(col["sites_down"].max()),
            "spare_transformers_left": float(self.spares_left),
            **base,
            "lp_solves": float(col["lp_solves"].sum()),
            "nights": float(len(h)),
        }
