"""Load shedding: how much demand the grid serves tonight, at each block of the daily load
curve, given the units in service.

The LP (:class:`sim.model.energy.grid.GridLP`: a DC power flow with load shedding, or the
transport relaxation) is built once per run and re-solved warm. Per state of damage, every
demand level at or below one found fully served is fully served (no solve); the evening peak is
solved exactly; when that solve finds no branch at its limit, the other load blocks of the night
follow in closed form (per island: ``min(node demand capped by its transformers, island
supply)``); otherwise the lowest block is solved too and the blocks in between follow from the
LP's sensitivities at both points (``exact_load_blocks`` solves every block). Energy not served
is the shortfall times the block hours (``docs/energy.md``).
"""

from __future__ import annotations

import math

import numpy as np


class LoadShedding:
    """One run's load-shedding LP and what it knows of the current state of damage.

    Args:
        network: the :class:`~sim.model.energy.network.EnergyNetwork` (read only).
        lp: the run's own LP on it (:meth:`~sim.model.energy.network.EnergyNetwork.new_lp`).
    """

    def __init__(self, network, lp):
        self.net = network
        self.config = network.config
        self.lp = lp
        self.solves_tonight = 0
        self._edges_key = b""
        self._try_season_max = True
        self._lam_ok = math.inf  # so that the first state tries the season's highest demand
        self._lam_nb = -math.inf

    def set_state(self, gen_mw: np.ndarray, line_up: np.ndarray, at_up: np.ndarray,
                  lt_mw: np.ndarray, water_node: np.ndarray,
                  local_mw: np.ndarray | None = None, import_mw: float | None = None) -> None:
        """A new state of damage: generation, line circuits, autotransformer groups and load
        transformers in service, and the water utilities' load (and distributed generation
        per load node, ``defense.portfolio``) and the import capacity tonight (MW; default
        ``energy.import_capacity_mw``); forgets what it knew."""
        lp = self.lp
        self.import_mw = float(self.config.import_capacity_mw if import_mw is None
                               else import_mw)
        self.gen_mw = gen_mw
        self.lt_mw = lt_mw
        self.water_node = water_node
        # the closed form knows nothing of local generation: every block is solved
        self._local = local_mw is not None and bool(np.any(np.asarray(local_mw) > 0))
        lp.set_network(gen_mw, self.import_mw, line_up, at_up, lt_mw, water_node,
                       local_mw)
        self.branch_cap = np.concatenate([lp.line_rating_per_circuit * line_up,
                                          lp.at_mva_per_group * at_up])
        self._islands_known = False  # computed when the closed form first needs them
        # cache per state; after a fully served state, first try the season's highest demand
        self._try_season_max = self._lam_ok >= self.net.lam_season_max
        self._lam_ok = -math.inf  # every lambda <= this is fully served
        self._lam_nb = -math.inf  # every lambda <= this: closed form (no branch binds)

    def islands(self) -> None:
        """Connected parts of the network in service (union-find over branches in service),
        their supply, and whether the closed form applies (imports enter one island)."""
        lp = self.lp
        e = np.flatnonzero(self.branch_cap > 0)
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
        self._island_of_load = lab[self.net.load_bus]
        self._island_supply = np.bincount(lab[self.net.gen_bus], weights=self.gen_mw,
                                          minlength=lp.n_bus)
        imp_isl = np.unique(lab[self.net.imp_bus])
        if imp_isl.size >= 1:
            self._island_supply[imp_isl[0]] += self.import_mw
        self._closed_form_ok = imp_isl.size <= 1
        self._islands_known = True

    # ------------------------------------------------------------------ demand and solves
    def node_demand(self, lam: float) -> tuple[np.ndarray, np.ndarray]:
        """Ordinary and critical demand per load node (MW) at demand scale ``lam``."""
        return self.net.node_demand(lam, self.water_node)

    def closed_form(self, lam: float) -> tuple[float, np.ndarray, np.ndarray]:
        if not self._islands_known:
            self.islands()
        d, w = self.node_demand(lam)
        cap = np.minimum(d + w, self.lt_mw)
        wcap = np.minimum(w, self.lt_mw)
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

    def closed_form_total(self, lams: np.ndarray) -> np.ndarray:
        """Served MW of :meth:`closed_form` at several demand scales at once (totals only)."""
        if not self._islands_known:
            self.islands()
        d0 = self.net.node_peak_ord
        w = self.water_node
        cap = np.minimum(d0[:, None] * lams[None, :] + w[:, None], self.lt_mw[:, None])
        isl = self._island_of_load
        nb = self.lp.n_bus
        need = np.zeros((nb, len(lams)))
        np.add.at(need, isl, cap)
        return np.minimum(need, self._island_supply[:, None]).sum(axis=0)

    def solve(self, lam: float):
        self.lp.set_scale(lam)
        res = self.lp.solve()
        self.solves_tonight += 1
        full = res.served_mw >= res.demand_mw - 1e-6 * max(1.0, res.demand_mw)
        if full:
            self._lam_ok = max(self._lam_ok, lam)
        return res, full

    def binding_free(self, lam: float, res) -> bool:
        """True (and remembered for this state) if no branch is at its limit in the last
        solve and the closed form reproduces it."""
        if not self._islands_known:
            self.islands()
        if not self._closed_form_ok or self._local:
            return False
        f = self.lp.flows()
        cap = self.branch_cap
        if np.any((cap > 0) & (np.abs(f) >= cap * (1 - 1e-7) - 1e-6)):
            return False
        s_cf, _, _ = self.closed_form(lam)
        if abs(s_cf - res.served_mw) <= 1e-6 * max(1.0, res.demand_mw) + 1e-3:
            self._lam_nb = max(self._lam_nb, lam)
            return True
        return False

    def served_blocks(self, lams: np.ndarray):
        """Served MW per block, demand per block, and node/critical served at the peak block.

        Exact LP solves where needed (see the module docstring): the peak block is always
        exact; lower blocks are fully served when a higher demand was, follow the closed form
        when no branch binds, and otherwise are solved (``exact_load_blocks``) or, for the
        blocks between the peak and the lowest block (both solved), taken from the LP's
        sensitivities at those two points: shed demand is convex in the demand scale, so it
        lies above both tangents and below the chord; the larger tangent is used.
        """
        self.solves_tonight = 0
        nbk = len(lams)
        demand = lams * self.net.ord_peak_total + float(self.water_node.sum())
        served = np.empty(nbk)
        p = int(np.argmax(lams))
        lam_p = float(lams[p])
        if lam_p > self._lam_ok and self._try_season_max:
            self._try_season_max = False
            self.solve(self.net.lam_season_max)
        if lam_p <= self._lam_ok:
            d, w = self.node_demand(lam_p)
            return demand.copy(), demand, (d + w, w.copy())
        if lam_p <= self._lam_nb:
            s, node, crit = self.closed_form(lam_p)
            served[p] = min(s, demand[p])
            peak = (node, crit)
            res = None
        else:
            res, full = self.solve(lam_p)
            if full:
                d, w = self.node_demand(lam_p)
                return demand.copy(), demand, (d + w, w.copy())
            served[p] = min(res.served_mw, demand[p])
            peak = (res.node_served_mw, res.critical_served_mw)
            nb_free = self.binding_free(lam_p, res)
            if not nb_free and not self.config.exact_load_blocks:
                # d(shed)/d(scale) = d(demand)/d(scale) - d(served)/d(scale)
                slope = float(self.net.node_peak_ord.sum()) + self.lp.demand_slope()
        low = None  # exact solve at the lowest block, when the tangent rule needs it
        ok = lams <= self._lam_ok
        served[ok] = demand[ok]
        cf = ~ok & (lams <= self._lam_nb)
        cf[p] = False
        if cf.any():
            served[cf] = np.minimum(self.closed_form_total(lams[cf]), demand[cf])
        for b in sorted(range(nbk), key=lambda i: -float(lams[i])):
            if b == p or ok[b] or cf[b]:
                continue
            lam = float(lams[b])
            if lam <= self._lam_ok:
                served[b] = demand[b]
            elif lam <= self._lam_nb:
                served[b] = min(self.closed_form(lam)[0], demand[b])
            elif self.config.exact_load_blocks or res is None:
                r, full = self.solve(lam)
                served[b] = demand[b] if full else min(r.served_mw, demand[b])
                if not full:
                    self.binding_free(lam, r)
            else:
                if low is None:
                    b_lo = int(np.argmin(lams))
                    lam_lo = float(lams[b_lo])
                    r, full = self.solve(lam_lo)
                    shed_lo = 0.0 if full else max(0.0, demand[b_lo] - r.served_mw)
                    slope_lo = (float(self.net.node_peak_ord.sum()) + self.lp.demand_slope()
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
