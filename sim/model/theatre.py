"""The theatre of a winter: everything a scenario fixes before the first night, built once.

A :class:`Theatre` holds what every run of a scenario shares and no night changes: the energy
sites, the grid they sit on and the winter's demand (:class:`sim.model.energy.network.
EnergyNetwork`), what the attacker values in the sites, the launch areas and their shares, the
surveillance radars, both interceptor forces' schedules (:func:`sim.model.forces.
force_schedule`) and where their launch sites go (:func:`sim.model.basing.base_positions`), the
missile-defense systems and the interceptors' engagement envelope. The model (:class:`sim.model.defense_model.
DefenseModel`), runs and their summaries, the ``forces`` report, the optimiser and the
calibration read their set-up from here, so no module rebuilds it and none can drift from what
the model simulates.

Built once per process: :func:`theatre_for` caches theatres by the scenario's content (and the
site table's, when one is given), so every run of a sweep, fit or optimiser in a worker process
reuses it. Nothing in a theatre is mutable state of a run: its arrays are read-only and its
frames are never written; each run keeps its own ledgers, stocks, repairs and random streams.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.config.data import city_targets, launch_areas, load_sites
from sim.model import missile_defense, missile_threat
from sim.model.attacker import damage_values
from sim.model.basing import BasingContext, base_positions
from sim.model.energy.network import EnergyNetwork
from sim.model.engagement import Teams, envelope_radius_km
from sim.model.forces import ForceSchedules, force_schedule
from sim.model.geometry import within_reach
from sim.model.portfolio_effects import PortfolioLevels, buys_generation, portfolio_levels
from sim.model.threat import TYPE_NAMES, area_weights, target_weights

CACHE_SIZE = 16
"""Theatres kept per process (least recently used dropped first)."""


def read_only(a) -> np.ndarray:
    """``a`` as an array that cannot be written (a view; ``a`` itself is not changed)."""
    out = np.asarray(a).view()
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Theatre:
    """What a scenario fixes before the first night (see the module docstring).

    Attributes:
        scenario: the scenario it was built from.
        dates: the nights.
        sites: the energy-site table (never written).
        site_xy: (S, 2) site positions (km).
        site_p: (S,) the attacker's targeting probabilities
            (:func:`sim.model.threat.target_weights`).
        site_value: (S,) what one hit on each site is worth to the attacker
            (:func:`sim.model.attacker.damage_values`).
        site_operational, site_capacity_mw: (S,) in service before the winter; capacity.
        launch_areas: the launch-area table; ``area_share``: each area's share of the launches.
        interceptable: by drone type, whether interceptor drones can catch it.
        envelope_km: radius of an interceptor engagement envelope.
        schedules: both forces night by night (:class:`sim.model.forces.ForceSchedules`).
        positions: force name -> (n, 2) its launch sites (and radars) in order of
            commissioning.
        surveillance_xy: (R, 2) Ukraine's surveillance radars (at the biggest cities).
        missile_table: the missile-defense systems (``None`` when missiles are not simulated);
            ``missile_p_hit``: by class, the chance a missile that gets through hits.
        energy_network: the energy system before the winter (sites on the grid, component
            groups, the winter's demand; ``None`` when the energy model is off).
        portfolio: what each option of ``defense.portfolio`` puts into the model each night
            (:func:`sim.model.portfolio_effects.portfolio_levels`; ``None`` without a portfolio).
    """

    scenario: object
    dates: tuple
    sites: pd.DataFrame
    site_xy: np.ndarray
    site_p: np.ndarray
    site_value: np.ndarray
    site_operational: np.ndarray
    site_capacity_mw: np.ndarray
    launch_areas: pd.DataFrame
    area_share: np.ndarray
    interceptable: np.ndarray
    envelope_km: float
    schedules: ForceSchedules
    positions: dict
    surveillance_xy: np.ndarray
    missile_table: missile_defense.DefenseTable | None
    missile_p_hit: tuple | None
    energy_network: EnergyNetwork | None
    portfolio: PortfolioLevels | None = None
    _reach: dict = field(default_factory=dict, repr=False)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    def basing_context(self) -> BasingContext:
        """What the programme's basing strategies look at (for the optimiser's merits)."""
        sc = self.scenario
        return BasingContext(self.sites, self.site_p, sc.threat, sc.defense.basing, sc.energy)

    def coverage(self, teams: Teams, key: tuple) -> tuple[np.ndarray, tuple[float, float]]:
        """Sites with an interceptor team in reach, and the share of operational sites and of
        their capacity inside an envelope, for tonight's teams.

        ``key`` (launch sites active per force) identifies the teams: each force's sites are the
        first ``n`` of its positions. Cached per key (pure results, read-only arrays).
        """
        out = self._reach.get(key)
        if out is None:
            defended = read_only(within_reach(self.site_xy, teams.xy, self.envelope_km))
            op, cap = self.site_operational, self.site_capacity_mw
            if teams.n == 0 or not op.any():
                shares = (0.0, 0.0)
            else:
                inside = defended & op
                cap_total = cap[op].sum()
                shares = (float(inside.sum() / op.sum()),
                          float(cap[inside].sum() / cap_total) if cap_total else 0.0)
            out = self._reach[key] = (defended, shares)
        return out


def _freeze_schedules(s: ForceSchedules) -> ForceSchedules:
    """The schedules with every array read-only."""
    def freeze(f):
        return dataclasses.replace(f, **{k.name: read_only(getattr(f, k.name))
                                         for k in dataclasses.fields(f)
                                         if isinstance(getattr(f, k.name), np.ndarray)})
    return ForceSchedules(national=freeze(s.national), programme=freeze(s.programme))


def positions_needed(schedule) -> int:
    """Launch-site positions a force uses: its most sites active, or its most radars if more
    (radars go to the first positions too)."""
    if not len(schedule.dates):
        return 0
    return int(max(schedule.sites_active.max(), schedule.radars.max()))


def build_theatre(scenario, sites: pd.DataFrame | None = None) -> Theatre:
    """Build the theatre of a scenario (uncached; use :func:`theatre_for`).

    Args:
        scenario: a validated scenario.
        sites: the energy-site table (default: the scenario's ``sites_file`` or the packaged
            list).
    """
    d, threat = scenario.defense, scenario.threat
    dates = tuple(scenario.period.dates)
    if sites is None:
        sites = load_sites(scenario.sites_file) if scenario.sites_file else load_sites()
    site_p = target_weights(sites, threat.targeting)
    schedules = schedules_for(scenario)
    positions = {}
    for sched, policy in ((schedules.national, d.layers.existing_interceptors.basing),
                          (schedules.programme, d.basing.policy)):
        positions[sched.name] = read_only(base_positions(
            policy, positions_needed(sched), sites, site_p, threat, d.basing, scenario.energy))
    cities = city_targets()
    top = np.argsort(-cities["weight"].to_numpy(float), kind="stable")
    top = top[: d.sensors.surveillance.count]
    table = p_hit = None
    if threat.missiles.enabled:
        table = missile_defense.defense_table(d.missile_defense)
        table = dataclasses.replace(table, **{k.name: read_only(getattr(table, k.name))
                                              for k in dataclasses.fields(table)
                                              if isinstance(getattr(table, k.name), np.ndarray)})
        p_hit = tuple(threat.missiles.classes[c].p_hit for c in missile_threat.CLASSES)
    site_value = read_only(damage_values(sites, threat.targeting, scenario.energy))
    network = (EnergyNetwork(sites, scenario.energy, dates[0], len(dates),
                             local_generation=buys_generation(d, dates))
               if scenario.energy.enabled and dates else None)
    return Theatre(
        scenario=scenario,
        dates=dates,
        sites=sites,
        site_xy=read_only(sites[["x_km", "y_km"]].to_numpy(float)),
        site_p=read_only(site_p),
        site_value=site_value,
        site_operational=read_only(sites["status"].to_numpy() == "operational"),
        site_capacity_mw=read_only(np.maximum(sites["capacity_mw"].to_numpy(float), 0.0)),
        launch_areas=launch_areas(),
        area_share=read_only(area_weights(threat)),
        interceptable=read_only(np.array([threat.types[t].interceptable for t in TYPE_NAMES])),
        envelope_km=envelope_radius_km(d.interceptor),
        schedules=schedules,
        positions=positions,
        surveillance_xy=read_only(cities[["x_km", "y_km"]].to_numpy(float)[top]),
        missile_table=table,
        missile_p_hit=p_hit,
        energy_network=network,
        portfolio=portfolio_levels(scenario, sites, site_value, table, network),
    )


# --------------------------------------------------------------------------- per-process cache
_THEATRES: OrderedDict = OrderedDict()
_SCHEDULES: OrderedDict = OrderedDict()


def _remember(cache: OrderedDict, key, make):
    out = cache.get(key)
    if out is None:
        out = cache[key] = make()
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return out


def _sites_key(sites: pd.DataFrame | None) -> str | None:
    if sites is None:
        return None
    h = hashlib.sha1(pd.util.hash_pandas_object(sites, index=True).to_numpy().tobytes())
    return h.hexdigest() + ",".join(map(str, sites.columns))


def theatre_for(scenario, sites: pd.DataFrame | None = None) -> Theatre:
    """The theatre of a scenario, built once per process and shared by every run of it.

    Cached by the scenario's content (``model_dump_json``) and, when a site table is passed,
    its content; the :data:`CACHE_SIZE` most recently used are kept.
    """
    key = (scenario.model_dump_json(), _sites_key(sites))
    return _remember(_THEATRES, key, lambda: build_theatre(scenario, sites))


def schedules_for(scenario) -> ForceSchedules:
    """Both forces' schedules for a scenario (:func:`sim.model.forces.force_schedule`), built
    once per process per ``defense`` section and period (arrays read-only)."""
    key = (scenario.defense.model_dump_json(), tuple(scenario.period.dates))
    return _remember(_SCHEDULES, key, lambda: _freeze_schedules(
        force_schedule(scenario.defense, scenario.period.dates)))


def clear_cache() -> None:
    """Forget every cached theatre and schedule (tests; a changed data file)."""
    _THEATRES.clear()
    _SCHEDULES.clear()
