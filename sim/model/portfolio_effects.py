"""The portfolio's deliveries in the model: which mechanism each spending option acts through.

:func:`portfolio_levels` turns a scenario's portfolio schedule (:mod:`sim.model.portfolio`) into
one :class:`PortfolioLevels` per scenario: arrays by night of what serves (missile interceptors
added to the systems' stocks, fire groups widening the layer, EW stations guarding the most
critical sites, passive protection letting a share of a hit's damage through, spares and repair
teams feeding the repair book, distributed generation and batteries at load nodes);
:func:`ew_station_losses` draws the EW stations' extra losses. The mechanisms are described in
``docs/portfolio.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.model.forces.schedule import EPS
from sim.model.portfolio import PortfolioSchedule, portfolio_schedule


# --------------------------------------------------------------------------- effects in the model
def site_ranking(sites, site_value: np.ndarray, energy) -> np.ndarray:
    """Site rows in the order the options that go to sites (EW stations, passive protection)
    take them: the sites whose loss alone sheds the most load first (the ``grid_critical``
    screen, :func:`sim.model.basing.site_criticality`), then what a hit is worth to the
    attacker (:func:`sim.model.attacker.damage_values`), then capacity; operational sites
    only."""
    from sim.model.basing import site_criticality

    crit = np.asarray(site_criticality(sites, energy), float)
    cap = np.maximum(sites["capacity_mw"].to_numpy(float), 0.0)
    op = sites["status"].to_numpy() == "operational"
    rows = np.flatnonzero(op)
    order = np.lexsort((rows, -cap[rows], -np.asarray(site_value, float)[rows], -crit[rows]))
    return rows[order]


def _increments(cumulative: np.ndarray) -> np.ndarray:
    c = np.asarray(cumulative, np.int64)
    return np.diff(c, prepend=0) if c.size else c


def _frozen(a) -> np.ndarray:
    out = np.asarray(a).copy()
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class PortfolioLevels:
    """What each option of a portfolio puts into the model on each night (read-only arrays of
    length ``nights`` unless said), computed once per theatre from the schedule; the
    mechanisms read tonight's level through the methods (``docs/portfolio.md``).

    Attributes:
        schedule: the :class:`PortfolioSchedule`.
        missiles_new: (nights, S) missile-defence interceptors delivered tonight, by system in
            the order of the missile-defence table (``None``: missiles not simulated).
        fire_group_factor: ``g = (baseline + groups serving) / baseline`` (1: no option).
        ew_active: EW stations serving; ``ew_rows``: the sites they guard, in order;
            ``ew_p_extra``: by drone type (:data:`sim.model.threat.TYPE_NAMES`), the extra
            chance a drone aimed at a guarded site is lost.
        protected: level -> sites protected by each night (``second_level``, ``third_level``);
            ``protected_rows``: level -> its sites in order; ``protection_factor``: level ->
            (drone, missile) share of a hit's damage that gets through.
        spares_new: spare autotransformers delivered tonight.
        crews_extra: repair jobs worked at once by the option's teams.
        generation_mw: distributed generation in service (MW, gas piston x availability);
            ``battery_mw``: battery power in service (MW); ``battery_hours``: hours at full
            power; ``node_shares``: share of the MW at each load node of the energy network
            (empty without distributed generation).
    """

    schedule: PortfolioSchedule
    n_sites: int
    missiles_new: np.ndarray | None
    fire_group_factor: np.ndarray
    ew_active: np.ndarray
    ew_rows: np.ndarray
    ew_p_extra: np.ndarray
    protected: dict
    protected_rows: dict
    protection_factor: dict
    spares_new: np.ndarray
    crews_extra: np.ndarray
    generation_mw: np.ndarray
    battery_mw: np.ndarray
    battery_hours: float
    node_shares: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # ---------------------------------------------------------------- tonight's levels
    def missile_deliveries(self, k: int) -> np.ndarray | None:
        """Interceptors delivered tonight by system (missile-defence table order)."""
        return None if self.missiles_new is None else self.missiles_new[k]

    def fire_group_config(self, cfg, k: int):
        """The fire-group layer tonight: with ``g`` times the baseline groups, the cap on
        engagements is ``floor(engagements_per_night x g)`` and a tracked drone meets a group
        with ``1 - (1 - p_engage)^g`` (``g`` independent chances); ``cfg`` itself when
        ``g == 1``."""
        g = float(self.fire_group_factor[k])
        if g == 1.0:
            return cfg
        key = ("fg", g, id(cfg))
        out = self._cache.get(key)
        if out is None:
            out = self._cache[key] = cfg.model_copy(update={
                "p_engage": 1.0 - (1.0 - cfg.p_engage) ** g,
                "engagements_per_night": int(math.floor(cfg.engagements_per_night * g + EPS))})
        return out

    def guarded(self, k: int) -> np.ndarray | None:
        """(S,) sites an EW station guards tonight (``None``: none)."""
        n = int(self.ew_active[k])
        if n <= 0:
            return None
        key = ("ew", n)
        out = self._cache.get(key)
        if out is None:
            out = np.zeros(self.n_sites, bool)
            out[self.ew_rows[:n]] = True
            out.setflags(write=False)
            self._cache[key] = out
        return out

    def damage_factors(self, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(drone, missile)``: per site row the share of a hit's damage that gets through
        tonight (1 where unprotected); ``None`` when no site is protected."""
        counts = tuple(int(v[k]) for v in self.protected.values())
        if not any(counts):
            return None
        key = ("pp", counts)
        out = self._cache.get(key)
        if out is None:
            fd, fm = np.ones(self.n_sites), np.ones(self.n_sites)
            for (level, rows), n in zip(self.protected_rows.items(), counts, strict=True):
                d, m = self.protection_factor[level]
                fd[rows[:n]] = np.minimum(fd[rows[:n]], d)
                fm[rows[:n]] = np.minimum(fm[rows[:n]], m)
            fd.setflags(write=False)
            fm.setflags(write=False)
            out = self._cache[key] = (fd, fm)
        return out

    def site_value(self, value: np.ndarray, k: int) -> np.ndarray:
        """What a drone hit on each site is worth to an attacker who sees the protection
        tonight: ``value`` times the drone damage factor."""
        f = self.damage_factors(k)
        return value if f is None else np.asarray(value, float) * f[0]

    def local_supply(self, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(generation, batteries)``: MW at each load node tonight (``None``: the option
        buys no distributed generation)."""
        if not self.node_shares.size:
            return None
        return (self.generation_mw[k] * self.node_shares, self.battery_mw[k] * self.node_shares)


def buys_generation(defense, dates) -> bool:
    """Whether ``defense.portfolio`` buys distributed generation that arrives by the last of
    ``dates`` (the energy network then gives every load node a column for it; money that buys
    nothing leaves the network as it is)."""
    p = getattr(defense, "portfolio", None)
    if p is None or p.money_eur(float(defense.budget_eur))["distributed_generation"] <= 0:
        return False
    items = portfolio_schedule(defense, dates).options["distributed_generation"].items
    return any(i.bought > 0 for i in items.values())


def _node_shares(weights: dict | None, network) -> np.ndarray:
    """Share of the distributed MW at each load node of ``network``: the given node weights,
    or the nodes' share of peak demand."""
    from sim.config.errors import ScenarioError

    nodes = list(network.load_nodes)
    if weights is None:
        w = np.asarray(network.node_peak, float)
    else:
        key = "defense.portfolio.options.distributed_generation.node_weights"
        w = np.zeros(len(nodes))
        index = {n: k for k, n in enumerate(nodes)}
        for name, v in weights.items():
            if name not in index:
                from sim.config.io import did_you_mean

                raise ScenarioError(f"{key}: {name!r} is not a grid node that carries load"
                                    f"{did_you_mean(name, nodes)} (sim/data/grid_loads.csv)")
            w[index[name]] += float(v)
        if w.sum() <= 0:
            raise ScenarioError(f"{key}: every weight is 0 at nodes that carry load")
    return w / w.sum() if w.sum() > 0 else w


def portfolio_levels(scenario, sites, site_value: np.ndarray, missile_table=None,
                     network=None) -> PortfolioLevels | None:
    """Tonight's level of every option of ``scenario.defense.portfolio`` (``None`` without a
    portfolio): the schedule (:func:`portfolio_schedule`) turned into what each mechanism
    reads (:class:`PortfolioLevels`).

    Args:
        scenario: the scenario.
        sites: the energy-site table; ``site_value``: what a hit on each is worth to the
            attacker (the theatre's).
        missile_table: the missile-defence table (:func:`sim.model.missile_defense.
            defense_table`; ``None``: missiles are not simulated).
        network: the energy network (:class:`sim.model.energy.network.EnergyNetwork`; where
            distributed generation goes).
    """
    from sim.model.threat import TYPE_NAMES

    d = scenario.defense
    p = d.portfolio
    if p is None:
        return None
    dates = list(scenario.period.dates)
    n = len(dates)
    sched = portfolio_schedule(d, dates)
    opts = p.options
    zeros_i = np.zeros(n, np.int64)

    missiles = None
    if missile_table is not None:
        missiles = np.zeros((n, missile_table.n), np.int64)
        for j, name in enumerate(missile_table.names):
            it = sched.options["missile_interceptors"].items.get(name)
            if it is not None:
                missiles[:, j] = _increments(it.delivered)
        missiles = _frozen(missiles)

    fg_opt = opts.mobile_fire_groups
    groups = sched.item("mobile_fire_groups", "groups").active
    fg = (fg_opt.baseline_groups + groups) / float(fg_opt.baseline_groups)

    need_rank = (sched.options["ew_stations"].money_eur > 0
                 or sched.options["passive_protection"].money_eur > 0)
    rank = (site_ranking(sites, site_value, scenario.energy) if need_rank
            else np.zeros(0, np.int64))
    ew = opts.ew_stations
    extra = {"shahed": ew.p_lost_extra_shahed, "jet": ew.p_lost_extra_jet,
             "decoy": ew.p_lost_extra_decoy}

    pp = opts.passive_protection
    eligible = rank[np.isin(sites["type"].to_numpy()[rank], pp.site_types)] if rank.size else rank
    protected, rows, factor = {}, {}, {}
    start = 0
    for level in ("third_level", "second_level"):  # the top sites get the strongest level
        it = sched.options["passive_protection"].items.get(level)
        if it is None:
            continue
        item = pp.items[level]
        rows[level] = _frozen(eligible[start:start + it.bought])
        protected[level] = _frozen(np.minimum(it.delivered, len(rows[level])))
        factor[level] = (float(item.damage_factor_drone), float(item.damage_factor_missile))
        start += it.bought

    sr = sched.options["spares_and_repair"].items
    spares = _increments(sr["spare_autotransformers"].delivered) if "spare_autotransformers" in sr \
        else zeros_i
    crews = (sr["repair_crews"].active * opts.spares_and_repair.repair_jobs_per_team
             if "repair_crews" in sr else np.zeros(n))

    dg = opts.distributed_generation
    dgi = sched.options["distributed_generation"].items
    gen = (dgi["gas_piston"].active * dg.gas_piston_availability if "gas_piston" in dgi
           else np.zeros(n))
    bat = dgi["batteries"].active.astype(float) if "batteries" in dgi else np.zeros(n)
    shares = (_node_shares(dg.node_weights, network)  # (checks the node names given)
              if network is not None and (network.local_generation or dg.node_weights)
              else np.zeros(0))
    if network is None or not network.local_generation:
        shares = np.zeros(0)

    return PortfolioLevels(
        schedule=sched, n_sites=len(sites), missiles_new=missiles,
        fire_group_factor=_frozen(fg),
        ew_active=_frozen(sched.item("ew_stations", "stations").active),
        ew_rows=_frozen(rank), ew_p_extra=_frozen([extra[t] for t in TYPE_NAMES]),
        protected=protected, protected_rows=rows, protection_factor=factor,
        spares_new=_frozen(spares), crews_extra=_frozen(np.asarray(crews, float)),
        generation_mw=_frozen(np.asarray(gen, float)), battery_mw=_frozen(bat),
        battery_hours=float(dg.battery_hours), node_shares=_frozen(shares))


def ew_station_losses(raid, guarded: np.ndarray, p_extra: np.ndarray, lost: np.ndarray,
                      t_lost: np.ndarray, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Drones aimed at a site an EW station guards, lost to it: each with its type's extra
    chance (``p_extra``, by type), independent of the national EW that already took some
    (``lost``), so a drone of type ``t`` aimed at a guarded site is lost with
    ``1 - (1 - p_lost_ew_t) (1 - p_extra_t)``. A station jams near its site: the drone is lost
    in the last tenth of its flight. Two uniforms per drone from ``rng`` (its own stream: the
    other layers' luck is unchanged), so a station only adds losses.

    Returns:
        ``(lost, t_lost)``: new arrays.
    """
    from sim.model.threat import TARGET_SITE

    u = rng.random((raid.n, 2))
    at_site = raid.target_kind == TARGET_SITE
    row = np.where(at_site, raid.target, 0)
    aimed = at_site & guarded[row]
    extra = aimed & ~lost & (u[:, 0] < np.asarray(p_extra, float)[raid.kind])
    span = np.maximum(raid.t_impact - raid.t_border, 0.0)
    t_extra = raid.t_impact - u[:, 1] * 0.1 * span
    return lost | extra, np.where(extra, t_extra, t_lost)
