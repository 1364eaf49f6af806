"""The Mesa agents: who decides what, night by night.

Persistent agents (created once per winter):

* :class:`AttackPlanner`, one per launch area: plans tonight's salvo from its area (its share of
  the night's drones and where they aim). The static planner keeps the targeting weights of the
  scenario; an adaptive attacker lives here.
* :class:`InterceptorForce`, one per fleet (Ukraine's existing units, the funded programme):
  receives tonight's deliveries, commissions launch sites as they come and shares its crews over
  them. :class:`InterceptorTeam` is one launch site with its crews.
* :class:`SensorNetwork`: the acoustic network and the :class:`Radar` agents; turns tonight's
  raid into track times at command and control.
* :class:`AirDefenseCommand`: electronic warfare, the allocation of tracks to interceptor teams
  (the event-driven engagement loop), then mobile fire groups and missile defence.
* :class:`GridOperator`: damage, repairs and load shedding (the energy system), and
  :class:`EnergySite`, one per site, a view of its state.

Tonight's attack drones and interceptor sorties are agents too (:class:`AttackDrone`,
:class:`InterceptorSortie`), made on demand when a reader (the map, the dashboard, a notebook)
asks for ``model.drones`` or ``model.sorties``: a night of 800 drones is simulated as arrays and
costs nothing to expose, as Mesa's ``ContinuousSpaceAgent`` is a view onto an array its space owns.

The heavy work is done by pure, vectorised functions (:mod:`sim.model.threat`,
:mod:`sim.model.sensors`, :mod:`sim.model.engagement`, :mod:`sim.model.air_defense`,
:mod:`sim.model.energy`) that these agents call.
"""

from __future__ import annotations

import itertools
import weakref

import mesa
import numpy as np

from sim.model import air_defense, missiles
from sim.model.budget import ForceLedger
from sim.model.engagement import run_interceptors, split_log
from sim.model.geometry import position_at
from sim.model.rng import stream
from sim.model.sensors import track_times
from sim.model.threat import TYPE_NAMES


class _IdCounters:
    """Agent ids counted per model, holding the model weakly.

    Mesa 3.3 counts agent ids per model in a dictionary on ``mesa.Agent`` that keeps every model
    alive; a sweep worker running thousands of winters would grow without bound. Our agents
    count in this weak mapping instead (newer Mesa counts on the model and never reads it).
    """

    def __init__(self) -> None:
        self._counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __getitem__(self, model):
        counter = self._counters.get(model)
        if counter is None:
            counter = self._counters[model] = itertools.count(1)
        return counter


class SimAgent(mesa.Agent):
    """Base of the model's agents."""

    _ids = _IdCounters()


# --------------------------------------------------------------------------- the attacker
class AttackPlanner(SimAgent):
    """Plans the salvo launched from one launch area tonight: its share of the night's drones
    and where they aim, with the attacker's targeting policy (:mod:`sim.model.attacker`:
    static, best response or learning). The planners of all areas share one policy (the
    attacker pools what its launch units learn): it plans once a night and learns once a night.

    Args:
        model: the model.
        area: row of the launch-area table.
        area_id: the launch area's id.
        xy_km: its position.
        share: its share of the night's launches.
        policy: the attacker's targeting policy.
    """

    def __init__(self, model, area: int, area_id: str, xy_km, share: float, policy):
        super().__init__(model)
        self.area = int(area)
        self.area_id = str(area_id)
        self.xy_km = (float(xy_km[0]), float(xy_km[1]))
        self.share = float(share)
        self.policy = policy
        self.target_p = policy.value
        self.launched_tonight = 0

    def step(self) -> None:
        """Plan tonight's salvo: the target probabilities of the attacker's policy."""
        m = self.model
        k = m.night
        n_energy = float(m.launch_counts[k]) * m.spec.threat.targeting.energy_share
        self.target_p = self.policy.plan(k, n_energy, m.defended_sites())

    def observe(self, launched: int, night_report=None) -> None:
        """Learn from tonight: the drones this area launched and, once a night for the shared
        policy, the national report (drones aimed at each site, hits, stopped, damage)."""
        self.launched_tonight = int(launched)
        if night_report is not None:
            self.policy.observe(*night_report)


class MissileStrikePlanner(SimAgent):
    """Plans tonight's missile strike: how many missiles of each class fly (more on the big
    drone nights: combined strikes) and where they aim (:mod:`sim.model.missiles`).

    Args:
        model: the model.
        nights: the winter's missile counts by night and class
            (:func:`sim.model.missiles.nightly_missile_counts`).
    """

    def __init__(self, model, nights):
        super().__init__(model)
        self.nights = nights
        cfg = model.spec.threat.missiles
        self.unit_cost_eur = [cfg.classes[c].unit_cost_eur for c in missiles.CLASSES]
        self.p_hit = [cfg.classes[c].p_hit for c in missiles.CLASSES]
        self.raid = None

    def step(self) -> None:
        m, k = self.model, self.model.night
        cfg = m.spec.threat.missiles
        combined = bool(self.nights.combined[k])
        share = cfg.energy_share_combined if combined else cfg.energy_share_regular
        self.raid = missiles.generate_missile_raid(
            self.nights.counts[k], m.site_xy, m.site_p, stream(m.root, "missiles", k + 1, 0),
            share, self.unit_cost_eur, combined)


# --------------------------------------------------------------------------- interceptors
class InterceptorTeam(SimAgent):
    """One interceptor launch site with its crews: a view onto row ``index`` of its force's
    arrays. ``programme`` says whether it belongs to the funded programme."""

    def __init__(self, model, force: InterceptorForce, index: int):
        super().__init__(model)
        self.force = force
        self.index = int(index)

    @property
    def programme(self) -> bool:
        return self.force.programme

    @property
    def xy_km(self) -> tuple[float, float]:
        x, y = self.force.site_xy[self.index]
        return float(x), float(y)

    @property
    def crews(self) -> int:
        """Crews at this site tonight."""
        return int(self.force.crews[self.index])

    @property
    def sorties_tonight(self) -> int:
        return int(self.force.sorties[self.index])

    @property
    def kills_tonight(self) -> int:
        return int(self.force.kills[self.index])


class InterceptorForce(SimAgent):
    """A force of interceptor-drone launch sites: Ukraine's own (``national``, the baseline) or
    the funded ``programme`` (an increment on it).

    Its schedule (:func:`sim.model.budget.force_schedule`) says what it has each night
    (airframes delivered, crews, ground stations, radars, launch sites). Each night (``step``)
    it takes in deliveries (its :class:`~sim.model.budget.ForceLedger`), commissions the launch
    sites it now has (new :class:`InterceptorTeam` agents, at the next positions of its basing
    plan) and shares its active crews over them; after the battle it pays for the airframes
    expended.

    Args:
        model: the model.
        schedule: its :class:`~sim.model.budget.ForceSchedule`.
        positions: (n, 2) launch-site positions in order of commissioning (km).
    """

    def __init__(self, model, schedule, positions: np.ndarray):
        super().__init__(model)
        self.schedule = schedule
        self.name = schedule.name
        self.programme = schedule.name == "programme"
        self.ledger = ForceLedger(schedule)
        self.positions = np.asarray(positions, float).reshape(-1, 2)
        self.teams: list[InterceptorTeam] = []
        self.active = 0
        self.available = 0  # airframes it can fly tonight (stock, at most its sortie capacity)
        self.site_xy = np.zeros((0, 2))
        self.crews = np.zeros(0, dtype=np.int64)
        self.sorties = np.zeros(0, dtype=np.int64)
        self.kills = np.zeros(0, dtype=np.int64)
        self.crews_total = 0

    @property
    def stock(self) -> int:
        """Airframes in stock (delivered and not expended)."""
        return self.ledger.stock

    @property
    def n_sites(self) -> int:
        """Launch sites active tonight (the first ``n_sites`` of ``teams``)."""
        return self.active

    def step(self) -> None:
        """Deliveries, launch sites and crews for tonight."""
        k, f = self.model.night, self.schedule
        self.available = self.ledger.open_night(k)
        n_sites = min(int(f.sites_active[k]), len(self.positions))
        self.crews_total = int(f.crews_active[k])
        if n_sites != self.active:
            while len(self.teams) < n_sites:
                self.teams.append(InterceptorTeam(self.model, self, len(self.teams)))
            self.active = n_sites
            self.site_xy = self.positions[:n_sites]
            self.sorties = np.zeros(n_sites, dtype=np.int64)
            self.kills = np.zeros(n_sites, dtype=np.int64)
        # Active crews shared out over the active sites.
        per = np.full(n_sites, self.crews_total // n_sites if n_sites else 0, dtype=np.int64)
        per[: self.crews_total % n_sites if n_sites else 0] += 1
        self.crews = per

    def expend(self, n: int) -> None:
        """Airframes expended tonight (kills, and misses not recovered)."""
        self.ledger.expend(n)

    def record(self, team_index: np.ndarray, killed: np.ndarray) -> None:
        """Tonight's sorties and kills per site, from the engagement log (site indexes of
        this force)."""
        n = self.active
        self.sorties = np.bincount(team_index, minlength=n)
        self.kills = np.bincount(team_index, weights=killed, minlength=n).astype(np.int64)


# --------------------------------------------------------------------------- sensors
class Radar(SimAgent):
    """A radar at a fixed position (Ukraine's surveillance radars, the programme's radars)."""

    def __init__(self, model, xy_km, programme: bool):
        super().__init__(model)
        self.xy_km = (float(xy_km[0]), float(xy_km[1]))
        self.programme = bool(programme)


class SensorNetwork(SimAgent):
    """The acoustic network and the radars: when each drone's track reaches C2 tonight.

    Holds the radar positions as arrays (the :class:`Radar` agents are views for readers). The
    interceptor forces' short-range radars (national and programme) come into service with
    their schedules, at their launch sites in order.
    """

    def __init__(self, model, surveillance_xy: np.ndarray, force_radar_xy: dict):
        super().__init__(model)
        self.surveillance_xy = np.asarray(surveillance_xy, float).reshape(-1, 2)
        self.force_radar_xy = {k: np.asarray(v, float).reshape(-1, 2)
                               for k, v in force_radar_xy.items()}
        self.radars = [Radar(model, xy, programme=False) for xy in self.surveillance_xy]
        self.in_service = {k: 0 for k in self.force_radar_xy}
        self.t_track = np.zeros(0)

    @property
    def n_programme(self) -> int:
        return self.in_service.get("programme", 0)

    def step(self) -> None:
        """Bring delivered force radars into service and track tonight's raid."""
        m = self.model
        sensors = m.spec.defense.sensors
        groups = [(self.surveillance_xy, sensors.surveillance)]
        short_range = []  # the forces' radars share one specification: one group
        for force in m.forces:
            xy = self.force_radar_xy.get(force.name)
            if xy is None:
                continue
            n_rad = min(int(force.schedule.radars[m.night]), len(xy))
            while self.in_service[force.name] < n_rad:
                i = self.in_service[force.name]
                self.radars.append(Radar(m, xy[i], programme=force.programme))
                self.in_service[force.name] = i + 1
            short_range.append(xy[:n_rad])
        if short_range:
            groups.append((np.concatenate(short_range), sensors.radar))
        self.t_track = track_times(m.raid, sensors, groups, stream(m.root, "detection", m.night))


# --------------------------------------------------------------------------- command and control
class AirDefenseCommand(SimAgent):
    """Command and control of the defence for one night.

    In order: missile defence engages tonight's missiles (when simulated) from its finite
    stocks (:func:`sim.model.missiles.engage_missiles`); electronic warfare takes drones off
    course; tracks go to the C2 allocator, which assigns interceptor teams of both fleets
    (:func:`sim.model.engagement.run_interceptors`); then mobile fire groups and the missile
    defence's allowance for drones engage what is left. The result is each drone's fate.
    """

    FATES = air_defense.FATES

    def __init__(self, model, missile_table=None):
        super().__init__(model)
        self.result = None
        self.missile_table = missile_table
        self.missile_stock = (missiles.initial_stocks(missile_table)
                              if missile_table is not None else None)
        self.missile_result = None
        self.missile_record: dict = {}

    def _missiles(self) -> int | None:
        """Engage tonight's missiles; return the SAM shots left for drones (``None`` when
        missiles are not simulated: the drone layer keeps its own allowance)."""
        m, k = self.model, self.model.night
        if self.missile_table is None:
            return None
        t = self.missile_table
        self.missile_stock = missiles.resupply(self.missile_stock, t, k)
        raid = m.missile_planner.raid
        res = missiles.engage_missiles(raid, self.missile_stock, t,
                                       stream(m.root, "missiles", k + 1, 1))
        self.missile_stock = res.stocks_after
        self.missile_result = res
        m.missile_hits_tonight = missiles.missile_hits(
            raid, res.destroyed, m.missile_planner.p_hit, stream(m.root, "missiles", k + 1, 2),
            len(m.sites))
        self.missile_record = missiles.night_record(raid, res, m.missile_hits_tonight, t)
        cap = m.spec.defense.layers.missile_defense.missiles_per_night
        if not m.spec.defense.missile_defense.share_stocks_with_drone_layer:
            return cap
        return missiles.drone_allowance(self.missile_stock, t, cap)

    def step(self) -> None:
        m = self.model
        d, k, raid = m.spec.defense, m.night, m.raid
        sam_allowance = self._missiles()
        lost, t_lost = air_defense.electronic_warfare(
            raid, m.spec.threat, d.layers.electronic_warfare.enabled, stream(m.root, "ew", k)
        )
        t_gone, tracked, engageable = air_defense.tracks_tonight(
            raid, m.sensor_network.t_track, t_lost, m.interceptable, d.interceptor.max_altitude_m)
        teams = m.teams_tonight()
        existing, programme = m.forces
        pool = (existing.available, programme.available)
        res = run_interceptors(
            raid, m.sensor_network.t_track, t_gone, engageable, teams, pool, d.interceptor,
            d.crews, d.allocator, d.c2_cycle_s, stream(m.root, "engagement", k),
        )
        for force, n_used, (team, killed) in zip(
                m.forces, res.expended, split_log(res.log, existing.n_sites), strict=True):
            force.expend(int(n_used))
            force.record(team, killed)

        sam_cfg = d.layers.missile_defense
        if sam_allowance is not None:
            sam_cfg = sam_cfg.model_copy(update={"missiles_per_night": sam_allowance})
        out = air_defense.after_interceptors(
            raid, lost, res.killed, tracked, d.layers.mobile_fire_groups, sam_cfg,
            stream(m.root, "layers", k, 0), stream(m.root, "layers", k, 1))
        if sam_allowance is not None and d.missile_defense.share_stocks_with_drone_layer:
            self.missile_stock, _ = missiles.spend_on_drones(
                self.missile_stock, self.missile_table, int(out["missile_engaged"].sum()))
            self.missile_record.update(missiles.stock_record(self.missile_stock,
                                                             self.missile_table))
        self.result = NightEngagement(tracked=tracked, interceptors=res, teams=teams, **out)


class NightEngagement:
    """What the defence did tonight (arrays over tonight's drones)."""

    __slots__ = ("tracked", "lost", "leaked", "fate", "interceptors", "fire_group_engaged",
                 "fire_group_killed", "missile_engaged", "missile_killed", "teams")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


# --------------------------------------------------------------------------- energy
class GridOperator(SimAgent):
    """Repairs, damage and load shedding of the energy system, one night at a time
    (:class:`sim.model.energy.system.EnergySystem`)."""

    def __init__(self, model, system):
        super().__init__(model)
        self.system = system
        self.tonight: dict[str, float] = {}

    def step(self) -> None:
        m = self.model
        hits = m.hits_tonight
        if m.missile_planner is not None:  # damage by weapon class
            hits = {"drone": m.hits_tonight,
                    **{c: m.missile_hits_tonight[:, i] for i, c in enumerate(missiles.CLASSES)}}
        self.tonight = self.system.night(m.night, hits)


class EnergySite(SimAgent):
    """A power plant, substation, gas facility or water utility: a view onto row ``index`` of
    the site table and of the energy system's state."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def site_id(self) -> str:
        return str(self.model.sites["id"].iat[self.index])

    @property
    def site_type(self) -> str:
        return str(self.model.sites["type"].iat[self.index])

    @property
    def xy_km(self) -> tuple[float, float]:
        x, y = self.model.site_xy[self.index]
        return float(x), float(y)

    @property
    def capacity_mw(self) -> float:
        return float(self.model.sites["capacity_mw"].iat[self.index])

    @property
    def operational(self) -> bool:
        """Not occupied or destroyed before the winter."""
        return bool(self.model.sites["status"].iat[self.index] == "operational")

    @property
    def hits(self) -> int:
        """Warhead hits taken so far this winter."""
        return int(self.model.hits_by_site[self.index])

    @property
    def availability(self) -> float:
        """Share of the site's capacity in service tonight (1 without the energy model)."""
        op = self.model.grid_operator
        return float(op.system.availability[self.index]) if op is not None else 1.0


# --------------------------------------------------------------------------- tonight's aircraft
class AttackDrone(SimAgent):
    """One attack drone of tonight's raid: a view onto row ``index`` of ``model.raid``."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def drone_type(self) -> str:
        return TYPE_NAMES[int(self.model.raid.kind[self.index])]

    @property
    def fate(self) -> str:
        """``interceptor``, ``fire_group``, ``missile``, ``ew`` or ``leaked``."""
        return AirDefenseCommand.FATES[int(self.model.command.result.fate[self.index])]

    @property
    def route_km(self) -> np.ndarray:
        """The planned route: launch point, waypoints, aim point (km)."""
        return self.model.raid.pts[self.index]

    @property
    def aim_km(self) -> tuple[float, float]:
        x, y = self.model.raid.pts[self.index, -1]
        return float(x), float(y)

    def position(self, t_s: float) -> tuple[float, float]:
        """Position (km) at ``t_s`` seconds into the night along the route."""
        r = self.model.raid
        return position_at(r.pts[self.index], r.times[self.index], t_s)


class InterceptorSortie(SimAgent):
    """One interceptor sortie of tonight: a view onto row ``index`` of the engagement log."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def _log(self):
        return self.model.command.result.interceptors.log

    @property
    def target(self) -> int:
        """Index of the attack drone it flew at (``model.raid`` row)."""
        return int(self._log.attacker[self.index])

    @property
    def programme(self) -> bool:
        return bool(self._log.programme[self.index])

    @property
    def killed(self) -> bool:
        return bool(self._log.killed[self.index])

    @property
    def launch_km(self) -> tuple[float, float]:
        """Where it was launched (its team's site)."""
        x, y = self.model.command.result.teams.xy[int(self._log.team[self.index])]
        return float(x), float(y)

    @property
    def t_launch_s(self) -> float:
        """When the interceptor was launched (s into the night)."""
        return float(self._log.t_launch[self.index])

    @property
    def t_end_s(self) -> float:
        """When the sortie ended (s into the night)."""
        return float(self._log.t_end[self.index])

    @property
    def end_km(self) -> tuple[float, float]:
        """The drone's position when the sortie ended (a kill, or the last attack)."""
        r = self.model.raid
        i = self.target
        return position_at(r.pts[i], r.times[i], float(self._log.t_end[self.index]))
