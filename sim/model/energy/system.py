"""Energy consequences of drone hits: damage, repair, winter demand and served demand.

One call of :meth:`EnergySystem.night` per night of the scenario:

1. **Repairs** of the past day: every open repair job that has a crew loses one day; jobs that
   reach zero are done and their share of the site's capacity comes back.
2. **Damage**: each warhead hit on an operational site opens a repair job that takes a
   type-dependent share of the site's capacity (:attr:`EnergyConfig.damage_fraction_per_hit`)
   for a type-dependent number of days (lognormal, :attr:`EnergyConfig.repair_days`).
   Substation jobs use a spare transformer while any are left (days to weeks) and otherwise
   wait for a new one (months). Jobs on one site are worked first-in first-out, at most
   :attr:`EnergyConfig.max_parallel_repairs_per_site` at a time, so a hit on a site that is
   already down queues more work and extends its outage. Crews across the country are
   limited (:attr:`EnergyConfig.repair_crews`) and go to sites by type priority, then size.
3. **Demand** follows temperature through heating degree days (:mod:`sim.demand`).
4. **Served demand** is the maximum flow through the grid (:mod:`sim.grid`) at the evening
   peak and at the other blocks of the daily load curve; energy not served is the shortfall
   times the block hours. Water utilities are critical loads: their service is the flow they
   get when served before everything else.

Occupied and destroyed sites (``status`` column) give no supply and take no damage.
Decoys do nothing: ``hits`` must count only warhead-carrying drones that struck a site.

Speed: the max-flow is the only costly step (~0.3-0.5 ms with scipy). It is skipped whenever
the last full-service flow (stored at the season's highest demand) still fits the new
capacities, because a feasible flow that serves every load remains optimal; on those nights
the energy step costs tens of microseconds. See ``docs/energy.md``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from sim.config.data import load_links, load_monthly_normals, load_regions
from sim.config.energy import (
    GENERATION_TYPES,
    HOURS_PER_NIGHT,
    SITE_TYPES,
    SUBSTATION_TYPES,
    EnergyConfig,
)
from sim.model.energy.demand import daily_temperature_c, demand_scale
from sim.model.energy.grid import FLOW_UNIT_MW, Grid

DEFICIT_THRESHOLD = 0.10
"""A night counts as a deficit night when more than this share of peak demand is unserved."""


















NIGHT_KEYS: tuple[str, ...] = (
    "demand_mw",
    "served_mw",
    "demand_served_fraction",
    "energy_demand_mwh",
    "energy_served_mwh",
    "energy_not_served_mwh",
    "deficit_gt_10pct",
    "regions_deficit_gt_10pct",
    "available_generation_mw",
    "domestic_generation_mw",
    "capacity_down_mw",
    "substation_capacity_down_mw",
    "gas_output_mcm",
    "gas_output_lost_mcm",
    "gas_production_lost_mcm",
    "gas_storage_lost_mcm",
    "water_outage_hours",
    "water_utilities_affected",
    "sites_damaged",
    "sites_down",
    "repair_jobs_open",
    "spare_transformers_left",
    "temperature_c",
    "demand_scale",
)
"""Keys of the dict returned by :meth:`EnergySystem.night` (collected every night)."""


class EnergySystem:
    """Damage, repair and served demand of the energy system over a winter.

    Args:
        sites: the frame from :func:`sim.infrastructure.load_sites` (all rows, in order; hits
            are indexed by row).
        config: :class:`EnergyConfig`.
        start_date: date of night 0.
        nights: number of nights in the scenario.
        rng: random generator; one child stream per site is spawned from it, so the repair
            times drawn for one site do not depend on hits elsewhere.
        regions: optional oblast table (default: ``config.regions_file`` or the packaged one).
        links: optional grid links table (default: ``config.grid_links_file`` or packaged).

    Raises:
        DataFileError: bad regions/links/weather file, or an oblast with no supply.
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
        links: pd.DataFrame | None = None,
    ) -> None:
        self.config = config
        self.sites = sites
        self.nights = int(nights)
        self.start_date = start_date
        regions = load_regions(config.regions_file) if regions is None else regions
        links = load_links(config.grid_links_file) if links is None else links
        self.regions = regions
        self.grid = Grid(
            sites,
            regions,
            links,
            import_capacity_mw=config.import_capacity_mw,
            import_region_ids=config.import_region_ids,
        )
        g = self.grid
        n = len(sites)
        self.n_sites = n
        types = sites["type"].to_numpy()
        self._type_code = np.array([SITE_TYPES.index(t) for t in types], dtype=np.int64)
        self._operational = sites["status"].to_numpy() == "operational"
        cap = sites["capacity_mw"].to_numpy(dtype=float)
        derate = np.array([config.availability_fraction[t] for t in types])
        is_gen = np.isin(types, GENERATION_TYPES)
        # MW that a fully repaired operational site contributes (generation: derated).
        self._base_mw = np.where(self._operational, np.where(is_gen, cap * derate, cap), 0.0)
        self._gas = np.where(self._operational, sites["gas_mcm_per_day"].to_numpy(float), 0.0)
        self._is_gas_prod = types == "gas_production"
        self._is_gas_store = types == "gas_storage"
        self._is_gen = is_gen
        self._is_sub = np.isin(types, SUBSTATION_TYPES)
        self._damage_frac = np.array([config.damage_fraction_per_hit[t] for t in types])
        self._damage_frac[~self._operational] = 0.0
        self._repair = [config.repair_days[t] for t in types]
        prio = {t: k for k, t in enumerate(config.repair_priority)}
        self._prio = np.array([prio[t] for t in types], dtype=np.int64)
        self._site_rng = rng.spawn(n)
        self.spares_left = float(config.spare_transformers)

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
        self._f_max = float(self.demand_scale.max()) if self.nights else 1.0
        self._region_peak = regions["peak_demand_mw"].to_numpy(float) * config.demand_scale_factor
        water_nominal = cap[g.water_sites]
        self._water_nominal = water_nominal
        self._water_by_region = np.bincount(
            g.site_region[g.water_sites], weights=water_nominal, minlength=g.n_regions
        )
        self._blocks_h = np.array(config.load_block_hours, float)
        self._blocks_f = np.array(config.load_block_factors, float)
        self._peak_block = int(np.argmax(self._blocks_f))

        # repair jobs (parallel arrays, in creation order)
        self._job_site = np.zeros(0, np.int64)
        self._job_frac = np.zeros(0, float)
        self._job_rem = np.zeros(0, np.int64)
        self._job_mw = np.zeros(0, float)
        self.availability = np.ones(n)

        # flow state and cache (see _refresh_state)
        self._full_flow: np.ndarray | None = None  # a flow serving everything at f_max
        self._water_flow: np.ndarray | None = None  # a flow serving every water load alone
        self._state_full: bool | None = None  # None = unknown, solve at f_max
        self._prev_full = True
        self._water_known = False
        self._f_ok = -math.inf  # every demand scale <= f_ok is fully served
        self._cache: dict[float, tuple[float, np.ndarray]] = {}
        self._water_service = np.ones(len(g.water_sites))
        self._next_night = 0
        self.history: list[dict[str, float]] = []
        self._lost_by_type = np.zeros(len(SITE_TYPES))
        self._update_availability()
        self._refresh_state(only_damage=False)

    # ------------------------------------------------------------------ repairs and damage
    def _advance_repairs(self) -> bool:
        if self._job_site.size == 0:
            return False
        site = self._job_site
        order = np.argsort(site, kind="stable")
        s_sorted = site[order]
        first = np.searchsorted(s_sorted, s_sorted, side="left")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size) - first
        eligible = np.flatnonzero(rank < self.config.max_parallel_repairs_per_site)
        crews = self.config.repair_crews
        if eligible.size > crews:
            key = np.lexsort((eligible, -self._job_mw[eligible], self._prio[site[eligible]]))
            eligible = eligible[key[:crews]]
        if eligible.size == 0:
            return False
        self._job_rem[eligible] -= 1
        done = self._job_rem <= 0
        if not done.any():
            return False
        keep = ~done
        self._job_site = self._job_site[keep]
        self._job_frac = self._job_frac[keep]
        self._job_rem = self._job_rem[keep]
        self._job_mw = self._job_mw[keep]
        return True

    def _apply_hits(self, hits: np.ndarray) -> bool:
        idx = np.flatnonzero((hits > 0) & (self._damage_frac > 0))
        if idx.size == 0:
            return False
        sites, fracs, rems, mws = [], [], [], []
        without = self.config.substation_repair_without_spare
        for i in idx:
            i = int(i)
            rng = self._site_rng[i]
            for _ in range(int(hits[i])):
                z = float(rng.standard_normal())
                dist = self._repair[i]
                if self._is_sub[i]:
                    need = self._damage_frac[i] * self.config.substation_transformer_groups
                    if self.spares_left >= need - 1e-9:
                        self.spares_left = max(0.0, self.spares_left - need)
                    else:
                        dist = without
                sites.append(i)
                fracs.append(self._damage_frac[i])
                rems.append(dist.days(z))
                mws.append(self._base_mw[i] * self._damage_frac[i])
        self._job_site = np.concatenate([self._job_site, np.array(sites, np.int64)])
        self._job_frac = np.concatenate([self._job_frac, np.array(fracs, float)])
        self._job_rem = np.concatenate([self._job_rem, np.array(rems, np.int64)])
        self._job_mw = np.concatenate([self._job_mw, np.array(mws, float)])
        return True

    def _update_availability(self) -> None:
        dmg = np.bincount(self._job_site, weights=self._job_frac, minlength=self.n_sites)
        self.availability = np.clip(1.0 - dmg, 0.0, 1.0)
        g = self.grid
        a = self.availability
        self._gen_mw = self._base_mw[g.gen_sites] * a[g.gen_sites]
        self._sub_mw = self._base_mw[g.sub_sites] * a[g.sub_sites]
        self._water_mw = self._water_nominal * a[g.water_sites]

    def _refresh_state(self, only_damage: bool) -> None:
        """After capacities changed: decide without solving what can be decided.

        * If the stored full-service flow still fits the new capacities (and meets every load
          at the season's highest demand), every night of this state is fully served.
        * If capacities only went down and the previous state already fell short, this one
          falls short too.
        * Otherwise ``_state_full`` is unknown and the next solve includes a copy at f_max.
        """
        self._cache = {}
        g = self.grid
        prev_full = self._state_full
        self._prev_full = bool(prev_full)
        if self._full_flow is not None and self._serves_all(
            self._full_flow, g.capacity_units(self._var(self._f_max))
        ):
            self._state_full = True
        elif only_damage and prev_full is False:
            self._state_full = False
        else:
            self._state_full = None
        self._f_ok = self._f_max if self._state_full else -math.inf
        self._water_known = False
        if self._state_full:
            self._water_service_from_availability()
            self._water_known = True
        elif self._water_flow is not None and self._serves_all(
            self._water_flow, g.capacity_units(self._var_water())
        ):
            self._water_service_from_availability()
            self._water_known = True

    def _solve_needed(
        self, lambdas: np.ndarray, region_demand: np.ndarray, full_mw: np.ndarray
    ) -> None:
        """Run the max-flow solves tonight still needs (often none).

        When the state is new and the previous one served everything, a first small solve at
        the season's highest demand (with the water-priority copy) usually settles the state:
        if it serves everything, so does every night of this state. Otherwise one multi-copy
        solve covers the season-peak check, water, and the load blocks above the known
        fully-served level.

        Args:
            lambdas: demand scales of tonight's load blocks.
            region_demand: oblast demand (MW) per block, shape (blocks, oblasts).
            full_mw: what a flow serving every load of the block delivers (MW, flow units).
        """
        jobs: list[tuple[str, int]] = []
        if self._state_full is None:
            jobs.append(("fmax", -1))
            if self._prev_full:  # likely still full: try the cheap single solve first
                if not self._water_known:
                    jobs.append(("water", -1))
                self._run_jobs(jobs, lambdas, region_demand, full_mw)
                jobs = []
        if not self._water_known:
            jobs.append(("water", -1))
        for b, lam in enumerate(lambdas):
            if lam > self._f_ok and float(lam) not in self._cache:
                jobs.append(("lam", b))
        if jobs:
            self._run_jobs(jobs, lambdas, region_demand, full_mw)

    def _run_jobs(self, jobs, lambdas, region_demand, full_mw) -> None:
        g = self.grid
        vars_: list[np.ndarray] = []
        for kind, b in jobs:
            if kind == "fmax":
                vars_.append(self._var(self._f_max))
            elif kind == "water":
                vars_.append(self._var_water())
            else:
                vars_.append(
                    g.variable_capacities(
                        self._gen_mw, self._sub_mw, region_demand[b], self._water_mw
                    )
                )
        results = g.solve_many(vars_)
        for (kind, _b), var, res in zip(jobs, vars_, results, strict=True):
            if kind == "fmax":
                full = self._serves_all(res.edge_flow, g.capacity_units(var))
                self._state_full = full
                if full:
                    self._full_flow = res.edge_flow
                    self._f_ok = max(self._f_ok, self._f_max)
                    self._water_service_from_availability()
                    self._water_known = True
        for (kind, b), var, res in zip(jobs, vars_, results, strict=True):
            if kind == "water" and not self._water_known:
                if self._serves_all(res.edge_flow, g.capacity_units(var)):
                    self._water_flow = res.edge_flow
                    self._water_service_from_availability()
                else:
                    served = g.water_served_mw(res.edge_flow)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        self._water_service = np.where(
                            self._water_nominal > 0, served / self._water_nominal, 1.0
                        )
                self._water_known = True
            elif kind == "lam":
                lam = float(lambdas[b])
                self._cache[lam] = (res.served_mw, res.edge_flow)
                if res.served_mw >= full_mw[b] - 1e-9:
                    self._f_ok = max(self._f_ok, lam)

    def _var_water(self) -> np.ndarray:
        """Capacities with only the water utilities as loads (their priority supply)."""
        var = self._var(0.0)
        var[self.grid._slot_region] = 0.0
        return var

    def _water_service_from_availability(self) -> None:
        with np.errstate(invalid="ignore", divide="ignore"):
            self._water_service = np.where(
                self._water_nominal > 0, self._water_mw / self._water_nominal, 1.0
            )

    def _serves_all(self, edge_flow: np.ndarray, caps: np.ndarray) -> bool:
        g = self.grid
        sink = g._var_pos[np.concatenate([g._slot_region, g._slot_water])]
        return bool(np.all(edge_flow <= caps) and np.all(edge_flow[sink] == caps[sink]))

    def _region_demand(self, f: float) -> np.ndarray:
        return np.maximum(0.0, self._region_peak * f - self._water_by_region)

    def _var(self, f: float) -> np.ndarray:
        return self.grid.variable_capacities(
            self._gen_mw, self._sub_mw, self._region_demand(f), self._water_mw
        )

    # ------------------------------------------------------------------ public API
    def night(self, night_index: int, hits: np.ndarray) -> dict[str, float]:
        """Advance one night.

        Order: repairs of the past day (one day of work per open job with a crew), then
        tonight's hits, then served demand. A site hit on night ``n`` whose repair takes ``D``
        days is back on night ``n + D`` if a crew works it every day.

        Args:
            night_index: 0-based night; nights must be called in order 0, 1, 2, ...
            hits: ``hits[i]`` = warhead-carrying drones that struck site ``i`` (row order of
                ``sites``) tonight. Decoys must not be counted.

        Returns:
            Flat per-night outcomes (floats): demand_mw, served_mw, demand_served_fraction
            (at the evening peak), energy_demand_mwh, energy_served_mwh,
            energy_not_served_mwh, deficit_gt_10pct (0/1), regions_deficit_gt_10pct,
            available_generation_mw (domestic available + imports), domestic_generation_mw,
            capacity_down_mw (generation lost to damage, MW), substation_capacity_down_mw,
            gas_output_mcm, gas_output_lost_mcm, water_outage_hours (utility-hours),
            water_utilities_affected, sites_damaged, sites_down, repair_jobs_open,
            spare_transformers_left, temperature_c, demand_scale.
        """
        if night_index != self._next_night:
            raise ValueError(f"night_index={night_index}; expected {self._next_night} (in order)")
        if night_index >= self.nights:
            raise ValueError(
                f"night_index={night_index} beyond the scenario ({self.nights} nights)"
            )
        hits = np.asarray(hits)
        if hits.shape != (self.n_sites,):
            raise ValueError(f"hits has shape {hits.shape}; expected ({self.n_sites},)")
        if np.any(hits < 0):
            raise ValueError("hits must be non-negative")
        self._next_night += 1

        self.spares_left += self.config.spare_transformer_deliveries_per_30_days / 30.0
        repaired = self._advance_repairs()
        damaged = self.config.enabled and self._apply_hits(hits)
        if repaired or damaged:
            self._update_availability()
            self._refresh_state(only_damage=not repaired)

        f = float(self.demand_scale[night_index])
        g = self.grid
        lams = f * self._blocks_f
        rd = np.maximum(
            0.0, lams[:, None] * self._region_peak[None, :] - self._water_by_region[None, :]
        )
        d_mw = rd.sum(axis=1) + self._water_mw.sum()
        full_mw = (g._to_units(rd).sum(axis=1) + g._to_units(self._water_mw).sum()) * FLOW_UNIT_MW
        self._solve_needed(lams, rd, full_mw)
        served = d_mw.copy()
        peak_flow = None
        for b, lam in enumerate(lams):
            if lam > self._f_ok:
                s_b, flow_b = self._cache[float(lam)]
                if s_b < full_mw[b] - 1e-9:  # short of demand (else fully served)
                    served[b] = min(s_b, d_mw[b])
                    if b == self._peak_block:
                        peak_flow = flow_b
        p = self._peak_block
        demand_peak = float(d_mw[p])
        served_peak = float(served[p])
        energy_d = float(self._blocks_h @ d_mw)
        energy_s = float(self._blocks_h @ served)
        regions_short = 0.0
        if peak_flow is not None:
            rs = g.region_served_mw(peak_flow)
            regions_short = float(np.sum(rd[p] - rs > DEFICIT_THRESHOLD * rd[p] + FLOW_UNIT_MW))
        a = self.availability
        lost_mw = self._base_mw * (1.0 - a)
        self._lost_by_type += np.bincount(
            self._type_code, weights=lost_mw, minlength=len(SITE_TYPES)
        )
        gas_lost = self._gas * (1.0 - a)
        water_service = self._water_service
        dom = float(self._gen_mw.sum())
        out = {
            "demand_mw": demand_peak,
            "served_mw": served_peak,
            "demand_served_fraction": served_peak / demand_peak if demand_peak > 0 else 1.0,
            "energy_demand_mwh": energy_d,
            "energy_served_mwh": energy_s,
            "energy_not_served_mwh": max(0.0, energy_d - energy_s),
            "deficit_gt_10pct": float(demand_peak - served_peak > DEFICIT_THRESHOLD * demand_peak),
            "regions_deficit_gt_10pct": regions_short,
            "available_generation_mw": dom + self.config.import_capacity_mw,
            "domestic_generation_mw": dom,
            "capacity_down_mw": float(lost_mw[self._is_gen].sum()),
            "substation_capacity_down_mw": float(lost_mw[self._is_sub].sum()),
            "gas_output_mcm": float((self._gas * a).sum()),
            "gas_output_lost_mcm": float(gas_lost.sum()),
            "gas_production_lost_mcm": float(gas_lost[self._is_gas_prod].sum()),
            "gas_storage_lost_mcm": float(gas_lost[self._is_gas_store].sum()),
            "water_outage_hours": float(HOURS_PER_NIGHT * np.sum(1.0 - water_service)),
            "water_utilities_affected": float(np.sum(water_service < 1.0 - 1e-9)),
            "sites_damaged": float(np.sum(a < 1.0)),
            "sites_down": float(np.sum(a <= 0.0)),
            "repair_jobs_open": float(self._job_site.size),
            "spare_transformers_left": float(self.spares_left),
            "temperature_c": float(self.temperature_c[night_index]),
            "demand_scale": f,
        }
        self.history.append(out)
        return out

    def night_table(self) -> pd.DataFrame:
        """All nights so far, one row per night."""
        return pd.DataFrame(self.history)

    def winter_outcomes(self) -> dict[str, float | dict]:
        """Winter totals over the nights run so far.

        Returns:
            demand_served_fraction (energy-weighted), peak_demand_served_fraction_mean,
            min_night_demand_served_fraction, energy_demand_mwh, energy_not_served_mwh,
            nights_deficit_gt_10pct, min_available_capacity_mw, capacity_days_lost_by_type
            (dict type -> MW-days of lost available capacity; for water utilities the lost
            load), gas_output_lost_mcm, water_outage_hours, max_sites_down,
            spare_transformers_left, nights.
        """
        h = self.history
        if not h:
            return {
                "demand_served_fraction": math.nan,
                "energy_not_served_mwh": 0.0,
                "nights_deficit_gt_10pct": 0.0,
                "min_available_capacity_mw": math.nan,
                "capacity_days_lost_by_type": {t: 0.0 for t in SITE_TYPES},
                "gas_output_lost_mcm": 0.0,
                "water_outage_hours": 0.0,
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
            "nights_deficit_gt_10pct": float(col["deficit_gt_10pct"].sum()),
            "min_available_capacity_mw": float(col["available_generation_mw"].min()),
            "capacity_days_lost_by_type": {
                t: float(v) for t, v in zip(SITE_TYPES, self._lost_by_type, strict=True)
            },
            "gas_output_lost_mcm": float(col["gas_output_lost_mcm"].sum()),
            "water_outage_hours": float(col["water_outage_hours"].sum()),
            "max_sites_down": float(col["sites_down"].max()),
            "spare_transformers_left": float(self.spares_left),
            "nights": float(len(h)),
        }
