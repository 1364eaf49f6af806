"""Missile defense: the systems that engage tonight's missiles, from finite stocks.

Pure vectorised kernels (no Mesa); the missiles themselves are :mod:`sim.model.missile_threat`.

Missile defence (:func:`engage_missiles`), each night: missiles arrive in a random order (one
uniform per missile). Systems act in order of preference, cheapest interceptor first. Each
engages the still unengaged missiles that it covers (class in ``classes_engaged`` and the
missile's coverage uniform below the system's ``coverage_share`` of that class, so coverage is
nested), in arrival order, firing ``interceptors_per_engagement`` interceptors at each, while its
stock pays for the next whole salvo (it stops at the first missile it cannot pay for). A missile
engaged with n interceptors is destroyed if any of its first n kill uniforms is below the
system's ``pk`` for its class. A missile is engaged by at most one system. Every missile draws
``2 + MAX_INTERCEPTORS_PER_ENGAGEMENT`` uniforms whatever the defence, so that two defence
variants see the same luck (common random numbers).

Order of a night: resupply (:func:`resupply`), missiles (:func:`engage_missiles`), then the
drone layer's allowance out of what is left (:func:`drone_allowance`, :func:`spend_on_drones`).

How the model uses these: at set-up the theatre builds the systems' table
(:func:`defense_table`, :mod:`sim.model.theatre`); each night the
:class:`~sim.model.agents.AirDefenseCommand` resupplies, engages, gives the drone layer its
allowance and pays for the shots at drones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.config.missiles import MAX_INTERCEPTORS_PER_ENGAGEMENT
from sim.model.missile_threat import CLASSES, DAYS_PER_MONTH, N_CLASSES, MissileRaid

UNIFORMS_PER_MISSILE = 2 + MAX_INTERCEPTORS_PER_ENGAGEMENT


@dataclass(frozen=True)
class DefenseTable:
    """``defense.missile_defense`` as arrays, systems in order of preference (cheapest
    interceptor first, ties by name); disabled systems are left out."""

    names: tuple[str, ...]
    cost_eur: np.ndarray  # (S,)
    start: np.ndarray  # (S,) int
    resupply_per_month: np.ndarray  # (S,)
    pk: np.ndarray  # (S, 4)
    shots: np.ndarray  # (S, 4) int, interceptors per engagement
    cover: np.ndarray  # (S, 4) coverage share; 0 where the class is not engaged
    drones: np.ndarray  # (S,) bool, engages drones

    @property
    def n(self) -> int:
        return len(self.names)


def defense_table(cfg) -> DefenseTable:
    """Arrays of a ``defense.missile_defense`` section (see :class:`DefenseTable`)."""
    items = [(name, s) for name, s in cfg.systems.items() if s.enabled]
    items.sort(key=lambda kv: (kv[1].interceptor_cost_eur, kv[0]))
    names = tuple(k for k, _ in items)
    systems = [s for _, s in items]
    return DefenseTable(
        names=names,
        cost_eur=np.array([s.interceptor_cost_eur for s in systems], float),
        start=np.array([s.interceptors_start for s in systems], np.int64),
        resupply_per_month=np.array([s.resupply_per_month for s in systems], float),
        pk=np.array([[s.pk.get(c, 0.0) if c in s.classes_engaged else 0.0 for c in CLASSES]
                     for s in systems], float).reshape(len(systems), N_CLASSES),
        shots=np.array([[s.shots(c) for c in CLASSES] for s in systems],
                       np.int64).reshape(len(systems), N_CLASSES),
        cover=np.array([[s.coverage(c) for c in CLASSES] for s in systems],
                       float).reshape(len(systems), N_CLASSES),
        drones=np.array([s.engages_drones for s in systems], bool),
    )


def _table(cfg_or_table) -> DefenseTable:
    return cfg_or_table if isinstance(cfg_or_table, DefenseTable) else defense_table(cfg_or_table)


def initial_stocks(table) -> np.ndarray:
    """Interceptor stocks on the first night, by system (int64)."""
    return _table(table).start.copy()


def deliveries(table, night_index: int) -> np.ndarray:
    """Interceptors delivered at the start of night ``night_index`` (0-based), by system.

    Cumulative deliveries by night k are ``floor(resupply_per_month * k / 30.44)``, so night 0
    gets none and every 30.44 nights bring the monthly figure.
    """
    t = _table(table)
    k = int(night_index)
    if k <= 0:
        return np.zeros(t.n, np.int64)
    rate = t.resupply_per_month / DAYS_PER_MONTH
    return (np.floor(rate * k + 1e-9) - np.floor(rate * (k - 1) + 1e-9)).astype(np.int64)


def resupply(stocks: np.ndarray, table, night_index: int) -> np.ndarray:
    """Stocks after tonight's deliveries (a new array)."""
    return np.asarray(stocks, np.int64) + deliveries(table, night_index)


class DefenseResult(NamedTuple):
    """Outcome of one night's missile defence."""

    engaged: np.ndarray  # (M,) bool
    destroyed: np.ndarray  # (M,) bool
    interceptors_used_by_system: np.ndarray  # (S,) int64, table order
    stocks_after: np.ndarray  # (S,) int64
    system: np.ndarray  # (M,) int, engaging system (table index) or -1


def engage_missiles(raid: MissileRaid, stocks: np.ndarray, cfg, rng: np.random.Generator
                    ) -> DefenseResult:
    """Engage tonight's missiles with the missile-defence systems (allocation in the module
    docstring).

    Args:
        raid: tonight's missiles.
        stocks: interceptors left by system, in :func:`defense_table` order (after resupply).
        cfg: ``defense.missile_defense`` or its :class:`DefenseTable` (faster; build it once).
        rng: tonight's missile-defence stream; exactly ``UNIFORMS_PER_MISSILE`` uniforms per
            missile are drawn.

    Returns:
        :class:`DefenseResult`.
    """
    t = _table(cfg)
    stock = np.array(stocks, dtype=np.int64, copy=True)
    if stock.shape != (t.n,):
        raise ValueError(f"stocks has shape {stock.shape}; expected ({t.n},)")
    if np.any(stock < 0):
        raise ValueError("stocks must be >= 0")
    n = raid.n
    used = np.zeros(t.n, np.int64)
    if n == 0:
        e = np.zeros(0, dtype=bool)
        return DefenseResult(e, e, used, stock, np.zeros(0, dtype=np.int64))
    u = rng.random((n, UNIFORMS_PER_MISSILE))
    system = np.full(n, -1, dtype=np.int64)
    nshots = np.zeros(n, dtype=np.int64)
    if n and t.n:
        arrival = np.argsort(u[:, 0], kind="stable")
        cls_a = raid.cls[arrival]
        cover_a = u[arrival, 1]
        free = np.ones(n, dtype=bool)  # in arrival order
        for s in range(t.n):
            if stock[s] <= 0:
                continue
            can = free & (cover_a < t.cover[s, cls_a])
            idx = np.flatnonzero(can)
            if not idx.size:
                continue
            need = t.shots[s, cls_a[idx]]
            cum = np.cumsum(need)
            take = cum <= stock[s]
            k = int(take.sum())  # cum is increasing: `take` is a prefix
            if k == 0:
                continue
            chosen = idx[:k]
            free[chosen] = False
            spent = int(cum[k - 1])
            stock[s] -= spent
            used[s] += spent
            system[arrival[chosen]] = s
            nshots[arrival[chosen]] = need[:k]
    engaged = system >= 0
    pk = t.pk[np.maximum(system, 0), raid.cls] if (n and t.n) else np.zeros(n)
    pk = np.where(engaged, pk, 0.0)
    shot = np.arange(MAX_INTERCEPTORS_PER_ENGAGEMENT)[None, :] < nshots[:, None]
    destroyed = engaged & ((u[:, 2:] < pk[:, None]) & shot).any(axis=1)
    return DefenseResult(engaged, destroyed, used, stock, system)


def expected_kill_share(table) -> np.ndarray:
    """Expected share of each class destroyed when no stock runs out (by class, CLASSES order).

    With nested coverage and the preference order of :func:`engage_missiles`, a missile whose
    coverage uniform is ``u`` is engaged by the first system (cheapest first) with
    ``u < coverage``; that system covers the band ``[max coverage of cheaper systems, its
    coverage)`` and kills with ``1 - (1 - pk) ** shots``.
    """
    t = _table(table)
    out = np.zeros(N_CLASSES)
    for c in range(N_CLASSES):
        reach = 0.0
        for s in range(t.n):
            band = max(0.0, float(t.cover[s, c]) - reach)
            out[c] += band * (1.0 - (1.0 - t.pk[s, c]) ** t.shots[s, c])
            reach = max(reach, float(t.cover[s, c]))
    return out


def drone_allowance(stocks: np.ndarray, table, nightly_cap: int) -> int:
    """SAM shots available for drones tonight: ``nightly_cap`` (the scenario's
    ``defense.layers.missile_defense.missiles_per_night``), at most the stock left, after the
    missiles, in systems that engage drones."""
    t = _table(table)
    return int(min(int(nightly_cap), int(np.asarray(stocks)[t.drones].sum())))


def spend_on_drones(stocks: np.ndarray, table, shots: int) -> tuple[np.ndarray, np.ndarray]:
    """Take ``shots`` SAM shots fired at drones out of the drone-capable systems' stocks,
    cheapest interceptor first.

    Returns:
        ``(stocks_after, used_by_system)``.

    Raises:
        ValueError: more shots than those systems hold.
    """
    t = _table(table)
    stock = np.array(stocks, dtype=np.int64, copy=True)
    used = np.zeros(t.n, np.int64)
    left = int(shots)
    for s in np.flatnonzero(t.drones):
        take = min(left, int(stock[s]))
        stock[s] -= take
        used[s] += take
        left -= take
    if left > 0:
        raise ValueError(f"{shots} SAM shots at drones exceed the drone-capable stock")
    return stock, used
