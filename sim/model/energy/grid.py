"""Node-level transmission grid and the nightly load-shedding solve.

Method (limits in ``docs/energy.md``):

* **Buses**: one per operational grid node (``grid_nodes.csv``); a node with 750/330 kV
  autotransformer groups (``at750_count > 0``) has a second bus for its 750 kV lines, joined to
  the first by one branch standing for the groups in service. Occupied or destroyed nodes and
  every line touching them are left out.
* **Branches**: the lines of ``grid_lines.csv`` (capacity ``circuits in service x rating``,
  susceptance ``circuits in service x 100 / x_pu`` on a 100 MVA base) and the 750/330 kV
  autotransformer branches.
* **Generation**: available MW per bus (plants of the component table at that node, derated by
  type availability and damage) plus imports at interconnector nodes, limited in total.
* **Demand** at load nodes: ordinary demand and critical demand (water utilities), each with a
  shed variable; a node's load transformers limit what the node can take (``served <= LT MW in
  service``, a radial branch, so no angle is needed).
* **Load shedding** is a linear programme solved with HiGHS (``highspy``): minimise shed MW
  (critical MW weighted ``critical_load_weight``) subject to the balance at every bus, branch
  limits, generator limits and, in ``dc`` mode, Kirchhoff's voltage law in the DC approximation
  (``f = B (theta_from - theta_to)``). ``transport`` mode drops the voltage law (a max-flow with
  priorities); it never serves less than ``dc``.
* The model is built once with one flow column per circuit or transformer group; a unit out
  of service has its flow fixed at zero and its voltage-law row freed by a slack column, so
  damage, repair and a new load block only change bounds and HiGHS restarts the dual simplex
  from the previous basis (a few tenths of a millisecond per solve on the shipped grid).
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

BASE_MVA = 100.0


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    The library prints a banner on stdout, from C++, when its first instance is made; that one
    instance is made with file descriptor 1 sent to /dev/null so that command-line and notebook
    output stay clean. The redirection swaps descriptor 1 for the whole process, so it is done
    once, under a lock: runs in threads (a Dask cluster in one process) must not swap and close
    descriptors at the same time.
    """
    global _banner_shown
    with _BANNER_LOCK:
        if _banner_shown:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            return h
        try:
            sys.stdout.flush()
            # the library writes to the process's descriptor 1, whatever sys.stdout is (a
            # notebook kernel keeps its own copy of the old stdout and pipes descriptor 1)
            os.fstat(1)
            fd = 1
        except (AttributeError, OSError, ValueError):  # no descriptor 1 (a detached process)
            fd = None
        saved = os.dup(fd) if fd is not None else None
        try:
            if fd is not None:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, fd)
                os.close(null)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            _banner_shown = True
        finally:
            if saved is not None:
                os.dup2(saved, fd)
                os.close(saved)
        return h


@dataclass(frozen=True)
class ShedResult:
    """Outcome of one load-shedding solve (MW).

    Attributes:
        demand_mw: total demand (ordinary + critical).
        served_mw: total served.
        node_served_mw: served per load node (ordinary + critical), order of ``load_nodes``.
        critical_served_mw: critical demand served per load node.
    """

    demand_mw: float
    served_mw: float
    node_served_mw: np.ndarray
    critical_served_mw: np.ndarray


class GridLP:
    """The load-shedding linear programme of one grid.

    Variables: generation per generation node, imports per import node, ordinary demand served
    ``u`` and critical demand shed ``c`` per load node, branch flows, bus angles (``dc`` only)
    and the demand scale ``L`` (a column fixed at tonight's value, so that a new load block is
    a single bound change and HiGHS restarts from the previous basis). Rows: balance per bus,
    ``u <= peak x L`` and ``u + (W - c) <= LT`` per load node, total imports, and
    ``f = B (theta_from - theta_to)`` per branch (``dc`` only). Objective: minimise
    ``-sum(u) + critical_load_weight x sum(c)``.

    Args:
        nodes: grid nodes (:func:`sim.config.grid_data.load_grid`).
        lines: grid lines.
        load_nodes: ids of the nodes that carry demand (each once), in the order used for
            demand vectors.
        peak_mw: ordinary demand per load node at demand scale 1 (MW).
        gen_nodes: ids of the nodes that carry generation (each once).
        import_nodes: ids of the nodes where imports enter.
        mode: ``"dc"`` or ``"transport"``.
        critical_load_weight: cost of 1 MW of critical shed relative to ordinary shed.
        critical_nodes: load nodes that can carry critical demand (default: all); the others
            get no critical-shed column (a smaller LP).
        local_nodes: load nodes with distributed generation on the load side of their
            transformers (``defense.portfolio``; default none): one column each, up to the MW
            set by :meth:`set_network`, that serves the node's load without its transformers
            and exports at most their MW.

    Attributes:
        n_bus, n_branch: size of the network (buses incl. 750 kV buses; lines + transformer
            branches, operational only).
        line_ids: ids of the operational lines, in branch order (the first branches).
        at_nodes: ids of the nodes with 750/330 kV groups, in order (branches after the lines).
        solves: solves so far.
    """

    def __init__(
        self,
        nodes: pd.DataFrame,
        lines: pd.DataFrame,
        load_nodes: list[str],
        peak_mw: np.ndarray,
        gen_nodes: list[str],
        import_nodes: list[str],
        *,
        mode: str = "dc",
        critical_load_weight: float = 10.0,
        critical_nodes: list[str] | None = None,
        local_nodes: list[str] | None = None,
    ) -> None:
        if mode not in ("dc", "transport"):
            raise ValueError(f"mode={mode!r}; expected 'dc' or 'transport'")
        self.mode = mode
        op = nodes["status"].to_numpy() == "operational"
        node_ids = nodes["id"].tolist()
        bus_of: dict[str, int] = {}
        bus750_of: dict[str, int] = {}
        nb = 0
        for nid, ok in zip(node_ids, op, strict=True):
            if ok:
                bus_of[nid] = nb
                nb += 1
        at = nodes[op & (nodes["at750_count"].to_numpy() > 0)]
        self.at_nodes = at["id"].tolist()
        for nid in self.at_nodes:
            bus750_of[nid] = nb
            nb += 1
        self.n_bus = nb
        self.bus_of = bus_of

        lop = lines[
            (lines["status"].to_numpy() == "operational")
            & lines["from_node"].isin(bus_of).to_numpy()
            & lines["to_node"].isin(bus_of).to_numpy()
        ]
        self.line_ids = lop["id"].tolist()
        kv = lop["voltage_kv"].to_numpy(float)

        def end_bus(n: str, v: float) -> int:
            return bus750_of[n] if (v >= 750 and n in bus750_of) else bus_of[n]

        fb = [end_bus(a, v) for a, v in zip(lop["from_node"], kv, strict=True)]
        tb = [end_bus(b, v) for b, v in zip(lop["to_node"], kv, strict=True)]
        x_pu = lop["x_ohm"].to_numpy(float) / (kv**2 / BASE_MVA)
        self.line_b_per_circuit = BASE_MVA / x_pu  # MW per rad
        self.line_rating_per_circuit = lop["rating_mw"].to_numpy(float)
        self.line_circuits = lop["circuits"].to_numpy(float)
        atx = at["at750_x_pu"].to_numpy(float)
        self.at_b_per_group = BASE_MVA / atx
        self.at_mva_per_group = at["at750_mva"].to_numpy(float)
        self.at_groups = at["at750_count"].to_numpy(float)
        fb += [bus750_of[n] for n in self.at_nodes]
        tb += [bus_of[n] for n in self.at_nodes]
        self.from_bus = np.array(fb, dtype=np.int64)
        self.to_bus = np.array(tb, dtype=np.int64)
        self.n_line = len(self.line_ids)
        self.n_branch = len(fb)
        # elements: one per circuit of a line, one per transformer group; an element out of
        # service has its flow fixed at 0 and its voltage-law row freed by a slack column, so
        # damage changes bounds only
        units = np.concatenate([self.line_circuits, self.at_groups]).astype(np.int64)
        self.elem_branch = np.repeat(np.arange(self.n_branch), units)
        self.elem_rank = np.concatenate([np.arange(u) for u in units]) if units.size else (
            np.zeros(0, np.int64))
        b_unit = np.concatenate([self.line_b_per_circuit, self.at_b_per_group])
        cap_unit = np.concatenate([self.line_rating_per_circuit, self.at_mva_per_group])
        self.elem_b = b_unit[self.elem_branch]
        self.elem_cap = cap_unit[self.elem_branch]
        self.n_elem = int(units.sum())

        self.load_nodes = list(load_nodes)
        self.peak_mw = np.asarray(peak_mw, float)
        self.gen_nodes = [g for g in gen_nodes if g in bus_of]
        self.import_nodes = [g for g in import_nodes if g in bus_of]
        nd, ng, ni, ne = (len(self.load_nodes), len(self.gen_nodes), len(self.import_nodes),
                          self.n_elem)
        load_bus = np.array([bus_of[n] for n in self.load_nodes], dtype=np.int64)
        self.load_bus = load_bus
        # column layout
        self.c_gen = 0
        self.c_imp = ng
        self.c_u = ng + ni
        crit_set = set(self.load_nodes if critical_nodes is None else critical_nodes)
        self.crit_k = np.array([k for k, n in enumerate(self.load_nodes) if n in crit_set],
                               dtype=np.int64)
        nc = len(self.crit_k)
        self.c_crit = self.c_u + nd
        self.c_flow = self.c_crit + nc
        self.c_lam = self.c_flow + ne
        self.c_slack = self.c_lam + 1
        self.c_theta = self.c_slack + (ne if mode == "dc" else 0)
        n_col = self.c_theta + (self.n_bus if mode == "dc" else 0)
        # distributed generation on the load side (last columns: the others keep their place)
        k_of = {n: k for k, n in enumerate(self.load_nodes)}
        self.local_k = np.array([k_of[n] for n in (local_nodes or ())], dtype=np.int64)
        self.c_loc = n_col
        n_col += len(self.local_k)
        # row layout
        self.r_bal = 0
        self.r_dem = self.n_bus
        self.r_lt = self.r_dem + nd
        self.r_imp = self.r_lt + nd
        self.r_kvl = self.r_imp + 1
        n_row = self.r_kvl + (ne if mode == "dc" else 0)
        self.n_col, self.n_row = n_col, n_row

        rows, cols, vals = [], [], []

        def put(r, c, v):
            rows.append(r)
            cols.append(c)
            vals.append(v)

        for k, n in enumerate(self.gen_nodes):
            put(self.r_bal + bus_of[n], self.c_gen + k, 1.0)
        for k, n in enumerate(self.import_nodes):
            put(self.r_bal + bus_of[n], self.c_imp + k, 1.0)
            put(self.r_imp, self.c_imp + k, 1.0)
        for k in range(nd):
            put(self.r_bal + load_bus[k], self.c_u + k, -1.0)
            put(self.r_dem + k, self.c_u + k, 1.0)
            put(self.r_dem + k, self.c_lam, -self.peak_mw[k])
            put(self.r_lt + k, self.c_u + k, 1.0)
        for j, k in enumerate(self.crit_k):
            put(self.r_bal + load_bus[k], self.c_crit + j, 1.0)
            put(self.r_lt + k, self.c_crit + j, -1.0)
        for j, k in enumerate(self.local_k):
            put(self.r_bal + load_bus[k], self.c_loc + j, 1.0)
            put(self.r_lt + k, self.c_loc + j, -1.0)
        fbe = self.from_bus[self.elem_branch]
        tbe = self.to_bus[self.elem_branch]
        for e in range(ne):
            put(self.r_bal + fbe[e], self.c_flow + e, -1.0)
            put(self.r_bal + tbe[e], self.c_flow + e, 1.0)
        if mode == "dc":
            for e in range(ne):
                put(self.r_kvl + e, self.c_flow + e, 1.0)
                put(self.r_kvl + e, self.c_slack + e, 1.0)
                put(self.r_kvl + e, self.c_theta + fbe[e], -self.elem_b[e])
                put(self.r_kvl + e, self.c_theta + tbe[e], self.elem_b[e])

        inf = highspy.kHighsInf
        self.critical_load_weight = float(critical_load_weight)
        cost = np.zeros(n_col)
        cost[self.c_u : self.c_u + nd] = -1.0
        cost[self.c_crit : self.c_crit + nc] = self.critical_load_weight
        lo = np.zeros(n_col)
        hi = np.zeros(n_col)
        hi[self.c_u : self.c_u + nd] = inf
        lo[self.c_flow : self.c_flow + ne] = -self.elem_cap
        hi[self.c_flow : self.c_flow + ne] = self.elem_cap
        if mode == "dc":
            lo[self.c_theta : self.c_loc] = -inf
            hi[self.c_theta : self.c_loc] = inf
        rlo = np.zeros(n_row)
        rhi = np.zeros(n_row)
        rlo[self.r_dem : self.r_lt] = -inf
        rlo[self.r_lt : self.r_imp] = -inf
        rhi[self.r_lt : self.r_imp] = inf
        rlo[self.r_imp] = -inf

        order = np.lexsort((np.array(rows), np.array(cols)))
        r_s = np.array(rows)[order]
        c_s = np.array(cols)[order]
        v_s = np.array(vals)[order]
        start = np.searchsorted(c_s, np.arange(n_col + 1)).astype(np.int32)

        h = _new_highs()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("threads", 1)
        lp = highspy.HighsLp()
        lp.num_col_ = n_col
        lp.num_row_ = n_row
        lp.col_cost_ = cost
        lp.col_lower_ = lo
        lp.col_upper_ = hi
        lp.row_lower_ = rlo
        lp.row_upper_ = rhi
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = r_s.astype(np.int32)
        lp.a_matrix_.value_ = v_s
        h.passModel(lp)
        self._h = h
        self._col_lo = lo
        self._col_hi = hi
        self._row_lo = rlo
        self._row_hi = rhi
        self._lam = 0.0
        self._critical = np.zeros(nd)
        self._w_sum = 0.0
        self._d = self.peak_mw * 0.0  # ordinary demand per load node at the current scale
        self._d_sum = self._d.sum()
        self._lt_mw = np.full(nd, np.inf)
        self._no_crit = np.setdiff1d(np.arange(nd), self.crit_k)  # load nodes without one
        self.solves = 0

    # ------------------------------------------------------------------ network state
    def set_network(
        self,
        gen_mw: np.ndarray,
        import_mw: float,
        line_circuits_up: np.ndarray,
        at_groups_up: np.ndarray,
        lt_mw: np.ndarray,
        critical_mw: np.ndarray,
        local_mw: np.ndarray | None = None,
    ) -> None:
        """Set what the network can carry and the critical loads (only changed entries reach
        HiGHS).

        Args:
            gen_mw: available generation per node of ``gen_nodes`` (MW).
            import_mw: import capacity (MW), shared by the import nodes.
            line_circuits_up: circuits in service per line (order of ``line_ids``).
            at_groups_up: 750/330 kV groups in service per node of ``at_nodes``.
            lt_mw: load-transformer MW in service per node of ``load_nodes`` (``inf``: none).
            critical_mw: critical demand (water utilities) per load node (MW).
            local_mw: distributed generation per node of ``local_nodes`` (MW; default 0).
        """
        ng, ni, ne = len(self.gen_nodes), len(self.import_nodes), self.n_elem
        hi = self._col_hi.copy()
        lo = self._col_lo.copy()
        hi[self.c_gen : self.c_gen + ng] = np.maximum(gen_mw, 0.0)
        hi[self.c_imp : self.c_imp + ni] = max(import_mw, 0.0)
        up = np.concatenate([line_circuits_up, at_groups_up])
        on = self.elem_rank < up[self.elem_branch]
        cap = np.where(on, self.elem_cap, 0.0)
        hi[self.c_flow : self.c_flow + ne] = cap
        lo[self.c_flow : self.c_flow + ne] = -cap
        if self.mode == "dc":
            inf = highspy.kHighsInf
            hi[self.c_slack : self.c_slack + ne] = np.where(on, 0.0, inf)
            lo[self.c_slack : self.c_slack + ne] = np.where(on, 0.0, -inf)
        w = np.maximum(np.asarray(critical_mw, float), 0.0)
        if self._no_crit.size and np.any(w[self._no_crit] > 0):
            raise ValueError("critical demand at a load node without a critical column")
        hi[self.c_crit : self.c_crit + len(self.crit_k)] = w[self.crit_k]
        if self.local_k.size:
            hi[self.c_loc :] = (0.0 if local_mw is None
                                else np.maximum(np.asarray(local_mw, float), 0.0))
        self._push_cols(lo, hi)
        rlo = self._row_lo.copy()
        rhi = self._row_hi.copy()
        rhi[self.r_imp] = max(import_mw, 0.0)
        lt = np.asarray(lt_mw, float)
        rhi[self.r_lt : self.r_imp] = np.where(np.isfinite(lt), lt - w, highspy.kHighsInf)
        if self.local_k.size:  # what local generation exports goes up through the transformers
            k = self.local_k
            rlo[self.r_lt + k] = np.where(np.isfinite(lt[k]), -lt[k] - w[k], -highspy.kHighsInf)
        bal = np.bincount(self.load_bus, weights=w, minlength=self.n_bus)
        rlo[self.r_bal : self.r_bal + self.n_bus] = bal
        rhi[self.r_bal : self.r_bal + self.n_bus] = bal
        self._push_rows(rlo, rhi)
        self._critical = w
        self._w_sum = w.sum()
        self._lt_mw = lt

    def set_scale(self, lam: float) -> None:
        """Set the demand scale (ordinary demand = ``peak_mw x lam``): one bound change."""
        lam = float(max(lam, 0.0))
        if lam != self._lam:
            self._h.changeColBounds(self.c_lam, lam, lam)
            self._col_lo[self.c_lam] = self._col_hi[self.c_lam] = lam
            self._lam = lam
            self._d = self.peak_mw * lam
            self._d_sum = self._d.sum()

    def _push_cols(self, lo: np.ndarray, hi: np.ndarray) -> None:
        ch = np.flatnonzero((lo != self._col_lo) | (hi != self._col_hi))
        if ch.size:
            self._h.changeColsBounds(int(ch.size), ch.astype(np.int32), lo[ch], hi[ch])
            self._col_lo = lo
            self._col_hi = hi

    def _push_rows(self, lo: np.ndarray, hi: np.ndarray) -> None:
        ch = np.flatnonzero((lo != self._row_lo) | (hi != self._row_hi))
        if ch.size:
            self._h.changeRowsBounds(int(ch.size), ch.astype(np.int32), lo[ch], hi[ch])
            self._row_lo = lo
            self._row_hi = hi

    # ------------------------------------------------------------------ solve
    def solve(self) -> ShedResult:
        """Solve the load-shedding LP for the current network, critical loads and scale."""
        h = self._h
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:  # pragma: no cover - defensive
            h.clearSolver()
            h.run()
            status = h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(f"load-shedding LP not solved: {h.modelStatusToString(status)}")
        self.solves += 1
        sol = h.getSolution()
        x = np.array(sol.col_value)
        self._x = x
        self._lam_dual = float(sol.col_dual[self.c_lam])
        nd = len(self.load_nodes)
        u = x[self.c_u : self.c_u + nd]
        w = self._critical
        crit_served = w.copy()  # critical demand less the critical shed, within [0, w]
        crit_served[self.crit_k] = np.minimum(
            np.maximum(w[self.crit_k] - x[self.c_crit : self.c_crit + len(self.crit_k)], 0.0),
            w[self.crit_k])
        node_served = np.minimum(np.maximum(u, 0.0), self._d) + crit_served
        total = float(self._d_sum + self._w_sum)
        return ShedResult(total, min(float(node_served.sum()), total), node_served, crit_served)

    def demand_slope(self) -> float:
        """Derivative of the optimal objective of the last solve with respect to the demand
        scale: the reduced cost of the scale column (LP sensitivity; exact while the optimal
        basis stays optimal). Served demand changes by minus this per unit of scale when no
        critical load is being shed."""
        return self._lam_dual

    def flows(self) -> np.ndarray:
        """Branch flows (MW, from -> to) of the last solve (sum over a branch's circuits)."""
        f = self._x[self.c_flow : self.c_flow + self.n_elem]
        return np.bincount(self.elem_branch, weights=f, minlength=self.n_branch)

    def generation(self) -> np.ndarray:
        """Generation per gen node and imports per import node of the last solve (MW)."""
        return self._x[self.c_gen : self.c_u].copy()
