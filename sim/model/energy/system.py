"""Energy consequences of hits over a winter: one call of :meth:`EnergySystem.night` a night.

Each night, in order:

1. **Repairs** of the past day (:mod:`sim.model.energy.repairs`): every open repair job that has
   a crew loses one day; jobs that reach zero are done and their unit is back in service.
2. **Damage** (:mod:`sim.model.energy.repairs`): tonight's hits put units of the sites'
   component groups out of service, each a repair job.
3. **Demand** at the grid's load nodes follows temperature through heating degree days
   (:mod:`sim.model.energy.demand`, built once with the network,
   :mod:`sim.model.energy.network`); water utilities are critical loads at their node.
4. **Load shedding** at the evening peak and the other blocks of the daily load curve
   (:mod:`sim.model.energy.shedding`). Energy not served is the shortfall times the block hours.
5. **Outcomes** (:mod:`sim.model.energy.results`): the night's numbers (:data:`NIGHT_KEYS`).

The network (sites on the grid, component groups, the winter's demand) is built once per
scenario and shared read only (:class:`~sim.model.energy.network.EnergyNetwork`); each run has
its own repair jobs, units in service and load-shedding LP.

Occupied and destroyed sites, nodes and lines supply nothing and take no damage. Decoys do
nothing: ``hits`` must count only warhead hits.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from sim.config.energy import SITE_TYPES, WEAPON_CLASSES, EnergyConfig
from sim.model.energy.network import EnergyNetwork
from sim.model.energy.repairs import RepairBook
from sim.model.energy.results import NIGHT_KEYS, night_outcomes, winter_outcomes
from sim.model.energy.shedding import LoadShedding

__all__ = ["NIGHT_KEYS", "EnergySystem"]


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
            hits (a defense that stops an earlier hit does not change the luck of a later one:
            common random numbers across defenses).
        regions: optional oblast table (default: ``config.regions_file`` or the packaged one).
        grid: optional ``(nodes, lines, loads)`` frames (default: the config's grid files or
            the packaged grid, :func:`sim.config.grid_data.load_grid`).
        network: the network already built for these sites, settings and nights (shared, read
            only; :mod:`sim.model.theatre`); default: build it.

    Attributes:
        grid_nodes, grid_links: operational nodes and lines of the grid model (ints).
        availability: per site row, the share of its capacity in service (1 = intact).
        history: each night's outcomes so far.

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
        network: EnergyNetwork | None = None,
    ) -> None:
        if network is None:
            network = EnergyNetwork(sites, config, start_date, nights, regions=regions,
                                    grid=grid)
        elif (network.n_sites != len(sites) or network.nights != int(nights)
              or network.start_date != start_date or network.config != config):
            raise ValueError("the energy network was built for other sites, settings or nights")
        self.network = net = network
        self.config = config
        self.sites = sites
        self.nights = int(nights)
        self.start_date = start_date
        self.n_sites = net.n_sites
        self.grid_nodes, self.grid_links = net.grid_nodes, net.grid_links
        self.temperature_c, self.demand_scale = net.temperature_c, net.demand_scale
        self.repairs = RepairBook(net, rng)
        self.lp = net.new_lp()
        self.shedding = LoadShedding(net, self.lp)
        self._next_night = 0
        self._night_now = 0
        self.history: list[dict[str, float]] = []
        self.lost_by_type = np.zeros(len(SITE_TYPES))
        self.ens_missiles = 0.0
        self.ens_total = 0.0
        # distributed generation and batteries per load node (defense.portfolio; set_local)
        self.local_mw: np.ndarray | None = None
        self.battery_mw: np.ndarray | None = None
        self.battery_hours = 0.0
        self._local_changed = False
        self.import_mw = float(net.import_mw_night[0]) if self.nights else float(
            config.import_capacity_mw)
        # hours without power a day by oblast (households), one row per night run
        self.region_hours: list[np.ndarray] = []
        self._update_state()

    @property
    def spares_left(self) -> float:
        """Spare transformers left."""
        return self.repairs.spares_left

    # ------------------------------------------------------------------ units in service
    def _update_state(self) -> None:
        """Units in service -> network capacities (for load shedding), availability per row."""
        net = self.network
        down = self.repairs.units_down() + net.ledger_down
        up = np.maximum(net.g_units - down, 0)
        self.group_up = up
        frac = np.where(net.g_units > 0, up / np.maximum(net.g_units, 1), 1.0)
        self.group_fraction = frac
        w = net.base_mw[net.gen_rows] * frac[net.gen_group_of_row]
        if self._night_now < self.nights:
            w = w * net.gen_mult_night[self._night_now]
        if net.nuc_gen_k.size:
            # nuclear output limited by the substations that carry it
            w[net.nuc_gen_k] *= np.minimum(1.0, net.nuc_evac_mat @ frac)
        gen_mw = np.bincount(net.gen_row_k, weights=w, minlength=len(self.lp.gen_nodes))
        self.gen_mw = gen_mw
        self.line_up = up[net.line_group_of].astype(float)
        self.at_up = up[net.at_group_of].astype(float) if net.at_group_of.size else np.zeros(0)
        has_lt = net.lt_k_group >= 0
        lt = np.full(len(net.lt_k_group), np.inf)
        lt[has_lt] = up[net.lt_k_group[has_lt]] * net.lt_mva[has_lt]
        self.lt_mw = lt
        water_mw = net.water_nominal * frac[net.water_group] if len(
            net.water_rows) else np.zeros(0)
        water_node = np.bincount(net.water_k, weights=water_mw, minlength=len(net.load_nodes))
        self.shedding.set_state(gen_mw, self.line_up, self.at_up, lt, water_node, self.local_mw,
                                self.import_mw)
        # availability per site row (capacity-weighted over its groups)
        self.availability = net.row_av_base + net.row_av_mat @ frac
        self._missile_share = self.repairs.missile_share()

    def set_local(self, generation_mw: np.ndarray | None, battery_mw: np.ndarray | None,
                  battery_hours: float) -> None:
        """Distributed generation (MW available, every block) and batteries (MW, ``hours`` at
        full power) per load node from tonight on (``defense.portfolio``; needs a network
        built with ``local_generation``)."""
        if generation_mw is not None and not self.network.local_generation:
            raise ValueError("distributed generation needs a network built with local_generation")
        gen = None if generation_mw is None else np.asarray(generation_mw, float)
        old = self.local_mw
        if (gen is None) != (old is None) or (gen is not None and not np.array_equal(gen, old)):
            self.local_mw = gen
            self._local_changed = True
        self.battery_mw = None if battery_mw is None else np.asarray(battery_mw, float)
        self.battery_hours = float(battery_hours)

    def _batteries(self, served: np.ndarray, demand: np.ndarray, pnode: np.ndarray,
                   lams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Batteries at the evening peak: at each load node they cover what is shed there, up
        to ``MW x min(1, hours / peak-block hours)`` (their energy spread over the block), when
        the night's lowest block was served in full (its surplus recharged them)."""
        net = self.network
        b_lo = int(np.argmin(lams))
        if not served[b_lo] >= demand[b_lo] * (1 - 1e-9):
            return served, pnode
        p = int(np.argmax(lams))
        d, w = self.shedding.node_demand(float(lams[p]))
        shed = np.maximum(d + w - pnode, 0.0)
        usable = self.battery_mw * min(1.0, self.battery_hours / float(net.blocks_h[p]))
        add = np.minimum(shed, usable)
        if not add.any():
            return served, pnode
        served = served.copy()
        served[p] = min(served[p] + float(add.sum()), demand[p])
        return served, pnode + add

    def _storage(self, served: np.ndarray, demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid batteries (``energy.storage_mw`` for ``storage_hours``): when some hour of the
        day had nothing shed (they recharge), they discharge into the hours with the most load
        shed, at most their power in an hour and their energy over the day."""
        cfg = self.config
        used = np.zeros(len(served))
        shed = np.maximum(demand - served, 0.0)
        if cfg.storage_mw <= 0 or not shed.any() or not (shed <= 1e-9 * demand).any():
            return served, used
        h = self.network.blocks_h
        left = cfg.storage_mw * cfg.storage_hours
        for b in np.argsort(-shed, kind="stable"):
            if shed[b] <= 0 or left <= 0:
                break
            mw = min(cfg.storage_mw, shed[b], left / h[b])
            used[b] = mw
            left -= mw * h[b]
        return served + used, used

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
        self._night_now = night_index

        net = self.network
        self.repairs.spares_left += self.config.spare_transformer_deliveries_per_30_days / 30.0
        repaired = self.repairs.advance()
        damaged = self.config.enabled and self.repairs.add_hits(hits, night_index)
        imp = float(net.import_mw_night[night_index])
        mult_changed = night_index > 0 and not np.array_equal(
            net.gen_mult_night[night_index], net.gen_mult_night[night_index - 1])
        if repaired or damaged or self._local_changed or imp != self.import_mw or mult_changed:
            self._local_changed = False
            self.import_mw = imp
            self._update_state()

        f = float(net.demand_scale[night_index])
        lams = f * net.blocks_f_night[night_index]
        # dispatch in a deficit: the grid's generation and imports (the LP), then distributed
        # generation (at every load node in proportion to its demand: a lower demand scale),
        # then batteries; what is left is shed (households first, critical loads last)
        dg = float(net.dg_mw_night[night_index])
        if dg > 0 and net.ord_peak_total > 0:
            lams_g = np.maximum(lams - dg / net.ord_peak_total, 0.0)
            served, demand, (pnode, pcrit) = self.shedding.served_blocks(lams_g)
            add = (lams - lams_g) * net.ord_peak_total
            served, demand = served + add, demand + add
            p = int(np.argmax(lams))
            pnode = pnode + net.node_peak_ord * (lams[p] - lams_g[p])
            self.dg_used = add
        else:
            served, demand, (pnode, pcrit) = self.shedding.served_blocks(lams)
            self.dg_used = np.zeros(len(lams))
        if self.battery_mw is not None and self.battery_mw.any():
            served, pnode = self._batteries(served, demand, pnode, lams)
        served, self.storage_used = self._storage(served, demand)
        solves = self.shedding.solves_tonight
        energy_d = float(net.blocks_h @ demand)
        energy_s = float(net.blocks_h @ np.minimum(served, demand))
        ens = max(0.0, energy_d - energy_s)
        share = self._missile_share if ens > 0 else 0.0
        self.ens_total += ens
        self.ens_missiles += ens * share
        out, lost_by_type = night_outcomes(self, night_index, lams, served, demand, pnode, pcrit,
                                           solves, energy_d, energy_s, ens, share)
        self.lost_by_type += lost_by_type
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

    def winter_outcomes(self) -> dict[str, float | dict]:
        """Winter totals over the nights run so far (:func:`sim.model.energy.results.
        winter_outcomes`)."""
        return winter_outcomes(self)

    def shed_without_rows(self, rows, lam: float = 1.0) -> np.ndarray:
        """Load shed (MW) at demand scale ``lam`` with every unit of one site row out of
        service, the rest of the system as it is now, for each row of ``rows`` in turn (one
        load-shedding solve per row; ``lam`` 1 is the peak at the design temperature). Rows
        that are not operational, or have no units, shed what the system sheds as it is.
        The system is left as it was. Used for a static criticality of each site
        (:func:`sim.model.basing.site_criticality`)."""
        net, book = self.network, self.repairs
        jobs = book.job_group
        out = np.zeros(len(rows))
        try:
            for k, i in enumerate(rows):
                gs = net.row_groups[int(i)]
                extra = (np.concatenate([np.full(int(net.g_units[g]), g, np.int64) for g in gs])
                         if gs else np.zeros(0, np.int64))
                book.job_group = np.concatenate([jobs, extra])
                self._update_state()
                self.lp.set_scale(lam)
                res = self.lp.solve()
                out[k] = max(res.demand_mw - res.served_mw, 0.0)
        finally:
            book.job_group = jobs
            self._update_state()
        return out

    def network_state(self, lam: float) -> dict[str, np.ndarray | float]:
        """Tonight's network and demand as :meth:`GridLP.set_network` / ``set_demand`` take
        them (for comparing solvers on the same state)."""
        d, w = self.shedding.node_demand(lam)
        return {
            "gen_mw": self.gen_mw.copy(),
            "import_mw": float(self.import_mw),
            "line_circuits_up": self.line_up.copy(),
            "at_groups_up": self.at_up.copy(),
            "lt_mw": self.lt_mw.copy(),
            "critical_mw": w.copy(),
            "scale": float(lam),
        }
