"""Interceptor fleets and where their launch sites go: basing policies as named strategies.

Two fleets fly interceptor drones:

* the funded **programme**: launch sites, crews, radars and interceptors from
  :func:`sim.model.forces.force_schedule`; stock carries over from night to night;
* Ukraine's **national** force (``defense.national_force``, or the fixed layer
  ``defense.layers.existing_interceptors``), present in every scenario.

A basing strategy gives an ordered list of launch-site positions; a fleet with ``k`` active
sites uses the first ``k`` (so the order is also the order in which a force that is still
building up commissions its sites). The strategies are registered by name in
:data:`STRATEGIES` (``defense.basing.policy`` takes these names; the list of names is
:data:`sim.config.schema.BASING_POLICIES`):

* ``energy_sites`` (the default): at the most valuable eligible energy sites (targeting weight
  x size, :func:`sim.model.threat.target_weights`), one per site, then a second ring 12 km off
  each site towards the threat, and so on;
* ``cities``: around the big cities, shared by city weight, on a 15 km ring;
* ``corridors``: along the approach axes from each launch area to the centre of the target
  set, ``corridor_depth_km`` inside Ukrainian-controlled airspace, shared by launch-area weight;
  (for both, the list is interleaved so that every prefix, the sites of a force still building
  up, is shared by weight too);
* ``custom``: at the listed energy-site or city ids, in order, cycling;
* ``grid_critical``: at the eligible energy sites whose loss costs the most served demand,
  then rings as for ``energy_sites``. A site's criticality (:func:`site_criticality`) is the
  load shed (MW) by the grid model (:mod:`sim.model.energy`) at the peak demand of the design
  temperature with every unit of that site out of service and the rest of the system intact:
  one load-shedding solve per site, once per grid (cached). Ties (sites whose loss alone sheds
  nothing: the grid routes around them) go by the attacker's value, as for ``energy_sites``.
  EST rule: a static N-1 screen; it ignores repairs, the attacker's choices and damage to
  several sites at once.
* ``threat_weighted``: at the eligible energy sites ranked by the attacker's value (the
  probability that a drone aimed at energy is aimed there) times their exposure to the launch
  areas, ``sum_a w_a / d_ai`` (launch-area weight over distance, km: a site close to where the
  drones come from gets less warning and fewer defences on the way), then rings as for
  ``energy_sites``. EST rule.
* ``mix``: several of the above interleaved by ``mix_weights`` (each prefix of the list shared
  by weight, as for cities and corridors), skipping a position within 1 km of one another
  strategy already gave (two strategies that pick the same site give one launch site there,
  not two); a mix of one strategy is that strategy.

Each strategy that ranks candidates (``energy_sites``, ``grid_critical``, ``threat_weighted``,
``cities``) also gives its *merit* of each candidate (:meth:`Strategy.merit`), so that the
optimiser (:mod:`sim.experiments.optimise`) can blend strategies into one ordered list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from sim.config.data import city_targets, launch_areas
from sim.config.errors import ScenarioError
from sim.model.threat import area_weights


def _shares(weights: np.ndarray, n: int) -> np.ndarray:
    """Largest-remainder apportionment of n items by weight."""
    w = np.asarray(weights, float)
    if n <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=int)
    q = w / w.sum() * n
    base = np.floor(q).astype(int)
    rest = n - base.sum()
    base[np.argsort(-(q - base), kind="stable")[:rest]] += 1
    return base


def _interleave(weights: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """The positions of several groups (cities, approach corridors) in one list whose every
    prefix is shared by weight: at each step the group furthest below its quota gives its next
    position. A force with k active sites uses the first k, so while it builds up its sites
    are spread over the groups rather than filling the first one."""
    w = np.asarray(weights, float)
    w = w / w.sum()
    taken = np.zeros(len(parts), dtype=int)
    size = np.array([len(p) for p in parts])
    out = []
    for t in range(1, int(size.sum()) + 1):
        deficit = np.where(taken < size, w * t - taken, -np.inf)
        g = int(np.argmax(deficit))
        out.append(parts[g][taken[g]])
        taken[g] += 1
    return np.array(out).reshape(-1, 2)


def _ring(center: np.ndarray, k: int, radius_km: float, phase: float = 0.0) -> np.ndarray:
    ang = phase + 2 * np.pi * np.arange(k) / max(k, 1)
    return center[None, :] + radius_km * np.stack([np.cos(ang), np.sin(ang)], 1)



# --------------------------------------------------------------------------- the registry
@dataclass
class BasingContext:
    """What a basing strategy may look at.

    Attributes:
        sites: the energy-site frame (all rows).
        site_value: (S,) the attacker's targeting probability of each site.
        threat: the scenario's ``threat`` section (launch areas and their weights).
        basing: the scenario's ``defense.basing`` section.
        energy: the scenario's ``energy`` section (grid files, for ``grid_critical``);
            ``None``: the packaged grid with the default settings.
    """

    sites: pd.DataFrame
    site_value: np.ndarray
    threat: Any
    basing: Any
    energy: Any = None

    @cached_property
    def xy_sites(self) -> np.ndarray:
        return self.sites[["x_km", "y_km"]].to_numpy(float)

    @cached_property
    def axis_w(self) -> np.ndarray:
        return area_weights(self.threat)

    @cached_property
    def threat_xy(self) -> np.ndarray:
        """The threat direction: the launch areas' weighted centre (km)."""
        xy = launch_areas()[["x_km", "y_km"]].to_numpy(float)
        return (xy * self.axis_w[:, None]).sum(0)

    @cached_property
    def eligible(self) -> np.ndarray:
        """(S,) operational energy sites of the types in ``basing.site_types``."""
        return (self.sites["type"].isin(self.basing.site_types).to_numpy()
                & (self.sites["status"].to_numpy() == "operational"))


@dataclass(frozen=True)
class Strategy:
    """A named basing strategy.

    Attributes:
        name: the name ``defense.basing.policy`` takes.
        summary: one line for tables and ``--help``.
        place: ``place(ctx, n) -> (n, 2)`` positions (km), in order of commissioning.
        rank: for strategies that rank candidates: ``rank(ctx) -> Series`` of merit (>= 0,
            larger first) indexed by energy-site or city id; ``None`` otherwise.
    """

    name: str
    summary: str
    place: Callable[[BasingContext, int], np.ndarray]
    rank: Callable[[BasingContext], pd.Series] | None = None

    def positions(self, ctx: BasingContext, n: int) -> np.ndarray:
        """The first ``n`` positions, (n, 2) km."""
        if n <= 0:
            return np.zeros((0, 2))
        return np.asarray(self.place(ctx, int(n)), float).reshape(-1, 2)[:n]

    def merit(self, ctx: BasingContext) -> pd.Series | None:
        """Merit of each candidate this strategy ranks (``None`` if it places by geometry)."""
        return None if self.rank is None else self.rank(ctx)


STRATEGIES: dict[str, Strategy] = {}
"""The basing strategies by name, in the order of :data:`sim.config.schema.BASING_POLICIES`."""


def _register(name: str, summary: str, rank=None):
    def deco(fn):
        STRATEGIES[name] = Strategy(name, summary, fn, rank)
        return fn
    return deco


def _ranked_with_rings(ctx: BasingContext, merit: np.ndarray, n: int) -> np.ndarray:
    """Eligible sites in order of ``merit`` (ties by the attacker's value, then row order),
    one per site, then rings 12 km off each site, the first towards the threat and each next
    ring 120 degrees round."""
    ok = ctx.eligible
    if not ok.any():
        where = ctx.sites.attrs.get("path")
        raise ScenarioError(
            f"defense.basing.site_types {list(ctx.basing.site_types)}: no operational site of "
            "these types" + (f" in {where}" if where else "")
        )
    key = np.lexsort((-np.asarray(ctx.site_value, float), -np.asarray(merit, float)))
    order = [int(i) for i in key if ok[i]]
    xy = ctx.xy_sites
    out = []
    ring = 0
    while len(out) < n:
        for i in order:
            if len(out) >= n:
                break
            p = xy[i]
            if ring:
                d = ctx.threat_xy - p
                d = d / max(np.hypot(*d), 1e-9)
                ang = np.arctan2(d[1], d[0]) + (ring - 1) * 2.0944  # 120 deg steps
                p = p + 12.0 * np.array([np.cos(ang), np.sin(ang)])
            out.append(p)
        ring += 1
    return np.array(out)


def _site_series(ctx: BasingContext, merit: np.ndarray) -> pd.Series:
    ok = ctx.eligible
    return pd.Series(np.asarray(merit, float)[ok], index=ctx.sites["id"].to_numpy()[ok])


# energy_sites ---------------------------------------------------------------
def _value_merit(ctx: BasingContext) -> pd.Series:
    return _site_series(ctx, ctx.site_value)


@_register("energy_sites", "the most valuable energy sites to the attacker, then rings",
           rank=_value_merit)
def _energy_sites(ctx: BasingContext, n: int) -> np.ndarray:
    # value order; ties in row order (the value itself breaks no tie)
    return _ranked_with_rings(ctx, ctx.site_value, n)


# cities ---------------------------------------------------------------------
def _city_merit(ctx: BasingContext) -> pd.Series:
    cities = city_targets()
    return pd.Series(cities["weight"].to_numpy(float), index=cities["id"].to_numpy())


@_register("cities", "rings around the big cities, shared by city weight", rank=_city_merit)
def _cities(ctx: BasingContext, n: int) -> np.ndarray:
    cities = city_targets()
    w = cities["weight"].to_numpy(float)
    k = _shares(w, n)
    xy = cities[["x_km", "y_km"]].to_numpy(float)
    parts = [_ring(xy[c], k[c], 15.0, phase=0.3 * c) for c in range(len(cities))]
    return _interleave(w, parts)[:n]


# corridors ------------------------------------------------------------------
@_register("corridors", "along the approach axes, shared by launch-area weight")
def _corridors(ctx: BasingContext, n: int) -> np.ndarray:
    xy_sites, site_value, axis_w = ctx.xy_sites, ctx.site_value, ctx.axis_w
    areas = launch_areas()
    aim = (xy_sites * site_value[:, None]).sum(0) / max(site_value.sum(), 1e-12)
    k = _shares(axis_w, n)
    parts = []
    for a in range(len(areas)):
        out = []
        start = areas[["x_km", "y_km"]].to_numpy(float)[a]
        d = aim - start
        length = max(np.hypot(*d), 1e-9)
        d = d / length
        normal = np.array([-d[1], d[0]])
        depths = ctx.basing.corridor_depth_km
        rows = -(-k[a] // len(depths))  # ceil: rows of len(depths) sites, 25 km apart
        for m in range(k[a]):
            depth = areas["border_km"].iloc[a] + depths[m % len(depths)]
            lateral = ((m // len(depths)) - (rows - 1) / 2) * 25.0  # rows centred on the axis
            out.append(start + min(depth, length) * d + lateral * normal)
        parts.append(np.array(out).reshape(-1, 2))
    return _interleave(axis_w, parts)[:n]


# custom ---------------------------------------------------------------------
def id_positions(sites: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Position (km) of every energy-site and city id (the ids ``custom_sites`` takes)."""
    cities = city_targets()
    lookup = dict(zip(sites["id"], map(tuple, sites[["x_km", "y_km"]].to_numpy(float)),
                      strict=True))
    lookup.update(zip(cities["id"], map(tuple, cities[["x_km", "y_km"]].to_numpy(float)),
                      strict=True))
    return lookup


@_register("custom", "at the listed energy-site or city ids, in order, cycling")
def _custom(ctx: BasingContext, n: int) -> np.ndarray:
    ids = list(ctx.basing.custom_sites)
    if not ids:
        raise ScenarioError("defense.basing.custom_sites: policy=custom needs at least one id")
    lookup = id_positions(ctx.sites)
    bad = [i for i in ids if i not in lookup]
    if bad:
        raise ScenarioError(f"defense.basing.custom_sites: unknown site or city id(s) {bad}")
    pts = [np.array(lookup[ids[m % len(ids)]]) for m in range(n)]
    for m in range(len(ids), n):  # extra sites at the same place spread on a ring
        pts[m] = pts[m] + _ring(np.zeros(2), 3, 8.0, phase=m)[m % 3]
    return np.array(pts)


# grid_critical --------------------------------------------------------------
_CRITICALITY_CACHE: dict[tuple, np.ndarray] = {}


def site_criticality(sites: pd.DataFrame, energy=None, scale: float = 1.0) -> np.ndarray:
    """Static criticality of each site row: the load shed (MW) by the grid model at demand
    scale ``scale`` (1: the peak at the design temperature) with every unit of that site out of
    service and the rest of the system intact, minus what the intact system sheds (0 for rows
    that are not operational). One load-shedding solve per site
    (:meth:`sim.model.energy.system.EnergySystem.shed_without_rows`), cached per site table,
    energy section and scale.

    Args:
        sites: the energy-site frame.
        energy: the scenario's ``energy`` section (default: :class:`EnergyConfig` defaults).
        scale: demand scale.
    """
    import datetime as dt
    import hashlib

    from sim.config.energy import EnergyConfig
    from sim.model.energy.system import EnergySystem

    energy = EnergyConfig() if energy is None else energy
    h = hashlib.sha1(pd.util.hash_pandas_object(sites, index=True).to_numpy().tobytes())
    key = (h.hexdigest(), energy.model_dump_json(), float(scale))
    out = _CRITICALITY_CACHE.get(key)
    if out is None:
        es = EnergySystem(sites, energy, dt.date(2025, 1, 1), 1, np.random.default_rng(0))
        es.lp.set_scale(scale)
        res = es.lp.solve()
        intact = max(res.demand_mw - res.served_mw, 0.0)
        shed = es.shed_without_rows(range(len(sites)), scale)
        op = sites["status"].to_numpy() == "operational"
        out = np.where(op, np.maximum(shed - intact, 0.0), 0.0)
        out.setflags(write=False)
        _CRITICALITY_CACHE[key] = out
    return out


def _criticality_merit(ctx: BasingContext) -> pd.Series:
    return _site_series(ctx, site_criticality(ctx.sites, ctx.energy))


@_register("grid_critical", "the energy sites whose loss sheds the most peak demand, then rings",
           rank=_criticality_merit)
def _grid_critical(ctx: BasingContext, n: int) -> np.ndarray:
    return _ranked_with_rings(ctx, site_criticality(ctx.sites, ctx.energy), n)


# threat_weighted ------------------------------------------------------------
def threat_exposure(ctx: BasingContext) -> np.ndarray:
    """(S,) each site's exposure to the launch areas: ``sum_a w_a / d_ai`` (launch-area weight
    over distance, 1/km; distances below 10 km count as 10 km)."""
    a_xy = launch_areas()[["x_km", "y_km"]].to_numpy(float)
    d = np.hypot(*(ctx.xy_sites[:, None, :] - a_xy[None, :, :]).transpose(2, 0, 1))
    return (ctx.axis_w[None, :] / np.maximum(d, 10.0)).sum(1)


def _threat_merit_array(ctx: BasingContext) -> np.ndarray:
    return np.asarray(ctx.site_value, float) * threat_exposure(ctx)


@_register("threat_weighted", "energy sites by the attacker's value times nearness to the "
           "launch areas, then rings",
           rank=lambda ctx: _site_series(ctx, _threat_merit_array(ctx)))
def _threat_weighted(ctx: BasingContext, n: int) -> np.ndarray:
    return _ranked_with_rings(ctx, _threat_merit_array(ctx), n)


# mix ------------------------------------------------------------------------
MIX_MIN_SEPARATION_KM = 1.0
"""A mix skips a strategy's next position if it is this close to one another strategy gave."""


def _take_interleaved(weights: np.ndarray, lists: list[np.ndarray], n: int) -> np.ndarray:
    """Up to ``n`` positions from several ordered lists, each prefix shared by weight (the list
    furthest below its quota gives its next position), skipping positions within
    :data:`MIX_MIN_SEPARATION_KM` of one already taken from another list (so that a mix of one
    list is that list)."""
    w = np.asarray(weights, float) / np.sum(weights)
    nxt = np.zeros(len(lists), dtype=int)
    taken = np.zeros(len(lists), dtype=int)
    out: list[np.ndarray] = []
    owner: list[int] = []
    while len(out) < n:
        live = np.array([nxt[g] < len(lists[g]) for g in range(len(lists))]) & (w > 0)
        if not live.any():
            break
        deficit = np.where(live, w * (len(out) + 1) - taken, -np.inf)
        g = int(np.argmax(deficit))
        p = lists[g][nxt[g]]
        nxt[g] += 1
        if out:
            near = np.hypot(*(np.array(out) - p).T) < MIX_MIN_SEPARATION_KM
            if (near & (np.array(owner) != g)).any():
                continue
        out.append(p)
        owner.append(g)
        taken[g] += 1
    return np.array(out).reshape(-1, 2)


@_register("mix", "several strategies interleaved by weight (defense.basing.mix_weights)")
def _mix(ctx: BasingContext, n: int) -> np.ndarray:
    weights = {k: float(v) for k, v in ctx.basing.mix_weights.items() if v > 0}
    bad = [k for k in weights if k not in STRATEGIES or k == "mix"]
    if bad:
        raise ScenarioError(f"defense.basing.mix_weights: unknown strategy name(s) {bad}")
    if not weights:
        raise ScenarioError(
            "defense.basing.mix_weights: policy=mix needs at least one strategy with a weight > 0")
    names = [k for k in STRATEGIES if k in weights]  # registry order: the result is canonical
    w = np.array([weights[k] for k in names])
    m = n
    for _ in range(8):  # lists long enough once the duplicates are skipped
        out = _take_interleaved(w, [STRATEGIES[k].positions(ctx, m) for k in names], n)
        if len(out) >= n:
            return out
        m *= 2
    raise ScenarioError(  # pragma: no cover - every strategy's list has distinct positions
        f"defense.basing.mix_weights: the strategies give fewer than {n} distinct positions")


def base_positions(policy: str, n: int, sites: pd.DataFrame, site_value: np.ndarray, threat,
                   basing, energy=None) -> np.ndarray:
    """Ordered launch-site positions (n, 2) in km for a basing strategy.

    Args:
        policy: a name of :data:`STRATEGIES` (``energy_sites``, ``cities``, ``corridors``,
            ``custom``, ``grid_critical``, ``threat_weighted``, ``mix``).
        n: number of launch sites.
        sites: energy sites frame.
        site_value: value of each site to the attacker (targeting probability).
        threat: the scenario's threat section (launch areas and their weights).
        basing: the scenario's ``defense.basing`` section.
        energy: the scenario's ``energy`` section (grid files for ``grid_critical``; default:
            the packaged grid).
    """
    strategy = STRATEGIES.get(policy)
    if strategy is None:
        raise ScenarioError(
            f"defense.basing.policy: unknown policy {policy!r} (known: {', '.join(STRATEGIES)})"
        )
    if n <= 0:
        return np.zeros((0, 2))
    ctx = BasingContext(sites, np.asarray(site_value, float), threat, basing, energy)
    return strategy.positions(ctx, n)
