"""Damage and repair: the open repair jobs of one winter.

**Damage**: one hit of weapon class ``c`` on a site row puts ``damage_fraction_per_hit[type] x
damage_weight_by_weapon[c] x units`` units of its component groups out in expectation (the
integer part surely, the rest with that probability); a hit on a substation also puts
``line_bay_damage_per_hit x weight`` of its lines' circuits out. Each unit out is a repair job
whose length is drawn for the group's type; a transformer uses a spare while any is left (days
to weeks), otherwise waits for a new one (months).

``energy.damage_scale`` multiplies every hit's expected damage and ``energy.repair_time_scale``
every repair time drawn (sensitivity analysis; 1 leaves both as given).

**Repair**: each day every open job that has a crew loses one day; jobs that reach zero are done
and their unit is back in service. Jobs on one group are worked first-in first-out, at most
``max_parallel_repairs_per_site`` at a time; a hit on a group whose units are all out queues
more jobs, so it stays out longer; a repaired unit can be hit again. Crews nationwide are
limited (``repair_crews``) and go by type priority, then size.

**Passive protection** (``defense.portfolio``): a hit on a protected row puts out the first
``floor(f x + 1 - u)`` of the ``floor(x + 1 - u)`` units it would put out unprotected (``f``:
the share of damage that gets through for the weapon, same uniform ``u`` and the same draws), so
its expected damage is exactly ``f`` times the unprotected one; repair teams the portfolio buys
add to ``repair_crews`` (``extra_crews``).

Random numbers: one child seed per site row, and each night's hits on a row draw from that row's
stream for that night, so the damage and repair times drawn for a hit depend neither on hits
elsewhere nor on the row's earlier hits (common random numbers across defenses).
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.energy import WEAPON_CLASSES


class RepairBook:
    """The open repair jobs of one run (parallel arrays, in creation order) and the spare
    transformers left.

    Args:
        network: the :class:`~sim.model.energy.network.EnergyNetwork` (read only).
        rng: the run's energy stream; one child seed per site row is spawned from it.
    """

    def __init__(self, network, rng: np.random.Generator):
        self.network = network
        self.config = config = network.config
        self.site_seq = rng.bit_generator.seed_seq.spawn(network.n_sites)
        self.spares_left = float(config.spare_transformers)
        self.job_group = np.zeros(0, np.int64)
        self.job_rem = np.zeros(0, np.int64)
        self.job_mw = np.zeros(0, float)
        self.job_missile = np.zeros(0, bool)
        # set each night by defense.portfolio (sim.model.portfolio_effects.PortfolioLevels): repair
        # jobs its teams work at once, and per site row the share of a hit's damage that gets
        # through passive protection (drone, missile; None: every site unprotected)
        self.extra_crews = 0.0
        self.damage_factor: tuple[np.ndarray, np.ndarray] | None = None

    def units_down(self) -> np.ndarray:
        """Units out of service in each component group."""
        return np.bincount(self.job_group, minlength=self.network.n_groups)

    def missile_share(self) -> float:
        """Share of the MW out of service (open jobs) that missile hits caused."""
        return (float(self.job_mw[self.job_missile].sum() / self.job_mw.sum())
                if self.job_mw.size and self.job_mw.sum() > 0 else 0.0)

    def advance(self) -> bool:
        """One day of repairs; True if a unit came back into service."""
        if self.job_group.size == 0:
            return False
        grp = self.job_group
        order = np.argsort(grp, kind="stable")
        g_sorted = grp[order]
        first = np.searchsorted(g_sorted, g_sorted, side="left")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size) - first
        eligible = np.flatnonzero(rank < self.config.max_parallel_repairs_per_site)
        crews = self.config.repair_crews + int(self.extra_crews + 1e-9)
        if eligible.size > crews:
            key = np.lexsort((eligible, -self.job_mw[eligible],
                              self.network.g_prio[grp[eligible]]))
            eligible = eligible[key[:crews]]
        if eligible.size == 0:
            return False
        self.job_rem[eligible] -= 1
        done = self.job_rem <= 0
        if not done.any():
            return False
        keep = ~done
        self.job_group = self.job_group[keep]
        self.job_rem = self.job_rem[keep]
        self.job_mw = self.job_mw[keep]
        self.job_missile = self.job_missile[keep]
        return True

    def job_days(self, g: int, z: float) -> int:
        """Days to repair one unit of group ``g`` (``z``: its standard normal draw); a
        transformer takes a spare if one is left."""
        net = self.network
        spare = net.g_spare[g]
        dist = net.g_repair[g]
        if spare:
            if self.spares_left >= 1.0 - 1e-9:
                self.spares_left -= 1.0
            else:
                dist = (self.config.substation_repair_without_spare_750 if spare == 2
                        else self.config.substation_repair_without_spare)
        days = dist.days(z)
        scale = self.config.repair_time_scale
        return days if scale == 1.0 else max(1, math.ceil(days * scale - 1e-9))

    def add_hits(self, hits: dict[str, np.ndarray], night: int) -> bool:
        """Tonight's hits (weapon class -> hits per site row) as new repair jobs; True if any
        unit went out of service."""
        net = self.network
        w_by = self.config.damage_weight_by_weapon
        rows = np.zeros(net.n_sites, bool)
        for arr in hits.values():
            rows |= arr > 0
        rows &= net.damage_frac > 0
        idx = np.flatnonzero(rows)
        if idx.size == 0:
            return False
        groups, rems, mws, mis = [], [], [], []
        bay = self.config.line_bay_damage_per_hit
        pf = self.damage_factor
        scale = self.config.damage_scale
        for i in idx:
            i = int(i)
            seq = self.site_seq[i]
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
                seq.entropy, spawn_key=(*seq.spawn_key, night))))
            gs = net.row_groups[i]
            if not gs:
                continue
            units = net.g_units[gs]
            cum = np.cumsum(units)
            total = int(cum[-1])
            bays = net.row_bays[i]
            for cls in WEAPON_CLASSES:
                arr = hits.get(cls)
                if arr is None or arr[i] <= 0:
                    continue
                w = float(w_by[cls]) * scale
                x = net.damage_frac[i] * w * total
                missile = cls != "drone"
                # passive protection lets a share f of the damage through: of the k units a hit
                # would put out, the first floor(f x + 1 - u) (same uniform u, same draws)
                f = 1.0 if pf is None else float(pf[int(missile)][i])
                for _ in range(int(arr[i])):
                    u = rng.random()
                    k = int(x) + int(u < x - int(x))
                    keep = k if f == 1.0 else int(f * x) + int(u < f * x - int(f * x))
                    for _u in range(k):
                        g = gs[int(np.searchsorted(cum, rng.integers(total), side="right"))]
                        z = float(rng.standard_normal())
                        if _u < keep:
                            groups.append(g)
                            rems.append(self.job_days(g, z))
                            mws.append(net.g_unit_mw[g])
                            mis.append(missile)
                    if bays and bay > 0:
                        y = bay * w
                        ub = rng.random()
                        kb = int(y) + int(ub < y - int(y))
                        keep = kb if f == 1.0 else int(f * y) + int(ub < f * y - int(f * y))
                        for _b in range(kb):
                            g = bays[int(rng.integers(len(bays)))]
                            z = float(rng.standard_normal())
                            if _b < keep:
                                groups.append(g)
                                rems.append(self.job_days(g, z))
                                mws.append(net.g_unit_mw[g])
                                mis.append(missile)
        if not groups:
            return False
        self.job_group = np.concatenate([self.job_group, np.array(groups, np.int64)])
        self.job_rem = np.concatenate([self.job_rem, np.array(rems, np.int64)])
        self.job_mw = np.concatenate([self.job_mw, np.array(mws, float)])
        self.job_missile = np.concatenate([self.job_missile, np.array(mis, bool)])
        return True
