"""The Mesa agents: who decides what, night by night.

Every agent that decides something has a ``step(night)``: it reads its inputs from tonight's
:class:`~sim.model.night.Night` and writes its results to it (never to the model). The model
calls them in a fixed order (:mod:`sim.model.defense_model`; the walk of one night is in
:mod:`sim.model.night`). Deciding agents, created once per winter:

* :class:`AttackPlanner`: the attacker's plan for tonight (where the drones aim, with its
  targeting policy: static, best response or learning) and the raid it launches; after the
  night it learns from what it saw (``learn``).
* :class:`MissileStrikePlanner`: tonight's missiles by class, and where they aim.
* :class:`InterceptorForce`, one per fleet (Ukraine's own units, the funded programme): takes
  in tonight's deliveries, commissions launch sites and shares its crews over them; after the
  battle pays for the airframes expended (``settle``).
* :class:`SensorNetwork`: brings the forces' radars into service and turns tonight's raid into
  track times at command and control.
* :class:`AirDefenseCommand`: missile defense, electronic warfare, the allocation of tracks to
  interceptor teams (the event-driven engagement loop), then mobile fire groups and SAM shots.
* :class:`GridOperator`: damage, repairs and load shedding (the energy system).

Plain views (no ``step``: they decide nothing and hold no state of their own; each reads an
array that a deciding agent or the model owns, as Mesa's ``ContinuousSpaceAgent`` is a view onto
an array its space owns): :class:`InterceptorTeam` (one launch site), :class:`Radar`,
:class:`EnergySite`, and tonight's :class:`AttackDrone` and :class:`InterceptorSortie`, made on
demand when a reader (the map, the dashboard, a notebook) asks for ``model.drones`` or
``model.sorties``: a night of 800 drones is simulated as arrays and costs nothing to expose.

The heavy work is done by pure, vectorised functions (:mod:`sim.model.threat`,
:mod:`sim.model.sensors`, :mod:`sim.model.engagement`, :mod:`sim.model.air_defense`,
:mod:`sim.model.missile_threat`, :mod:`sim.model.energy`) that these agents call.
"""

from __future__ import annotations

import itertools
import weakref

import mesa
import numpy as np

from sim.model import air_defense, missile_defense, missile_threat, portfolio_effects
from sim.model.engagement import run_interceptors
from sim.model.forces import ForceLedger
from sim.model.geometry import position_at
from sim.model.night import Engagement, ForceTonight, MissileNight
from sim.model.sensors import track_times
from sim.model.threat import TYPE_NAMES, generate_raid, tactics_for


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
    """The attacker's planning staff: where tonight's drones aim and the raid it launches.

    Its targeting policy (:mod:`sim.model.attacker`: static, best response or learning) plans
    the night's target probabilities over the energy sites, possibly massing a salvo on one
    defended site; the raid (:func:`sim.model.threat.generate_raid`) then draws each drone's
    type, launch area (by the areas' shares), target, route around the interceptor envelopes
    it knows of and launch time. The launch areas pool what they learn: one planner, one plan
    and one lesson a night.

    Args:
        model: the model.
        threat: the scenario's ``threat`` section.
        site_xy: (S, 2) energy-site positions (km).
        area_share: each launch area's share of the night's drones.
        envelope_km: radius of an interceptor engagement envelope (km).
        policy: the attacker's targeting policy.
    """

    def __init__(self, model, threat, site_xy: np.ndarray, area_share: np.ndarray,
                 envelope_km: float, policy):
        super().__init__(model)
        self.threat = threat
        self.site_xy = site_xy
        self.area_share = area_share
        self.envelope_km = float(envelope_km)
        self.policy = policy
        self._tactics: dict[tuple[int, int], object] = {}  # by month: the timeline is fixed

    def _tactics_for(self, date):
        key = (date.year, date.month)
        t = self._tactics.get(key)
        if t is None:
            t = self._tactics[key] = tactics_for(self.threat, f"{date.year:04d}-{date.month:02d}")
        return t

    def step(self, night) -> None:
        """Plan tonight's targets and launch the raid (``night.target_p``, ``night.raid``)."""
        threat, teams = self.threat, night.teams
        n_energy = float(night.launches) * threat.targeting.energy_share
        night.target_p = self.policy.plan(night.index, n_energy, night.defended)
        night.concentrated = self.policy.concentrated_on is not None
        tactics = self._tactics_for(night.date) if threat.tactics.timeline else None
        night.raid = generate_raid(
            threat, int(night.launches), self.site_xy, night.target_p, teams.xy,
            np.full(teams.n, self.envelope_km), night.stream("threat"), night.stream("routing"),
            self.area_share, tactics,
        )

    def learn(self, night) -> None:
        """Learn from tonight (the attacker's policy sees what was aimed where, what hit, what
        was stopped and how much of each site is still in service)."""
        self.policy.observe(*night.attacker_report())


class MissileStrikePlanner(SimAgent):
    """Plans tonight's missile strike: how many missiles of each class fly (more on the big
    drone nights: combined strikes) and where they aim (:mod:`sim.model.missile_threat`).

    Args:
        model: the model.
        nights: the winter's missile counts by night and class
            (:func:`sim.model.missile_threat.nightly_missile_counts`).
        config: the scenario's ``threat.missiles`` section.
        site_xy, site_p: energy-site positions (km) and targeting probabilities.
    """

    def __init__(self, model, nights, config, site_xy: np.ndarray, site_p: np.ndarray):
        super().__init__(model)
        self.nights = nights
        self.config = config
        self.site_xy = site_xy
        self.site_p = site_p
        self.unit_cost_eur = [config.classes[c].unit_cost_eur for c in missile_threat.CLASSES]

    def step(self, night) -> None:
        """Tonight's missiles (``night.missile_raid``)."""
        k, cfg = night.index, self.config
        combined = bool(self.nights.combined[k])
        share = cfg.energy_share_combined if combined else cfg.energy_share_regular
        night.missile_raid = missile_threat.generate_missile_raid(
            self.nights.counts[k], self.site_xy, self.site_p, night.stream("missiles", 0),
            share, self.unit_cost_eur, combined)


# --------------------------------------------------------------------------- interceptors
class InterceptorTeam(SimAgent):
    """One interceptor launch site with its crews: a plain view onto row ``index`` of its
    force's arrays (it decides nothing). ``programme`` says whether it belongs to the funded
    programme."""

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


class InterceptorForce(SimAgent):
    """A force of interceptor-drone launch sites: Ukraine's own (``national``, the baseline) or
    the funded ``programme`` (an increment on it).

    Its schedule (:func:`sim.model.forces.force_schedule`) says what it has each night
    (airframes delivered, crews, ground stations, radars, launch sites). Each night (``step``)
    it takes in deliveries (its :class:`~sim.model.forces.ForceLedger`), commissions the launch
    sites it now has (new :class:`InterceptorTeam` agents, at the next positions of its basing
    plan) and shares its active crews over them; after the battle (``settle``) it pays for the
    airframes expended.

    Args:
        model: the model.
        schedule: its :class:`~sim.model.forces.ForceSchedule`.
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

    @property
    def stock(self) -> int:
        """Airframes in stock (delivered and not expended)."""
        return self.ledger.stock

    @property
    def n_sites(self) -> int:
        """Launch sites active tonight (the first ``n_sites`` of ``teams``)."""
        return self.active

    def step(self, night) -> None:
        """Deliveries, launch sites and crews for tonight (``night.forces[name]``)."""
        k, f = night.index, self.schedule
        self.available = self.ledger.open_night(k)
        n_sites = min(int(f.sites_active[k]), len(self.positions))
        crews_total = int(f.crews_active[k])
        if n_sites != self.active:
            while len(self.teams) < n_sites:
                self.teams.append(InterceptorTeam(self.model, self, len(self.teams)))
            self.active = n_sites
            self.site_xy = self.positions[:n_sites]
        # Active crews shared out over the active sites.
        per = np.full(n_sites, crews_total // n_sites if n_sites else 0, dtype=np.int64)
        per[: crews_total % n_sites if n_sites else 0] += 1
        self.crews = per
        night.forces[self.name] = ForceTonight(
            name=self.name, programme=self.programme, available=int(self.available),
            sites=n_sites, site_xy=self.site_xy, crews=per, crews_active=crews_total,
            radars=int(f.radars[k]), delivered=int(f.delivered[k]),
            spend_eur=float(f.spend_eur[k]), limit=str(f.binding_nightly[k]))

    def settle(self, night) -> None:
        """After the battle: the airframes expended tonight (kills, and misses not recovered)
        leave the stock (``night.forces[name].stock``)."""
        self.ledger.expend(int(night.engagement.interceptors.expended[int(self.programme)]))
        night.forces[self.name].stock = int(self.ledger.stock)


# --------------------------------------------------------------------------- sensors
class Radar(SimAgent):
    """A radar at a fixed position (Ukraine's surveillance radars, the forces' radars): a plain
    view (it decides nothing; the :class:`SensorNetwork` holds the positions)."""

    def __init__(self, model, xy_km, programme: bool):
        super().__init__(model)
        self.xy_km = (float(xy_km[0]), float(xy_km[1]))
        self.programme = bool(programme)


class SensorNetwork(SimAgent):
    """The acoustic network and the radars: when each drone's track reaches C2 tonight.

    Holds the radar positions as arrays (the :class:`Radar` agents are views for readers). The
    interceptor forces' short-range radars (national and programme) come into service with
    their schedules, at their launch sites in order.

    Args:
        model: the model.
        sensors: the scenario's ``defense.sensors`` section.
        surveillance_xy: (R, 2) surveillance radar positions (km).
        force_radar_xy: force name -> (n, 2) its radar positions in order of commissioning.
    """

    def __init__(self, model, sensors, surveillance_xy: np.ndarray, force_radar_xy: dict):
        super().__init__(model)
        self.sensors = sensors
        self.surveillance_xy = np.asarray(surveillance_xy, float).reshape(-1, 2)
        self.force_radar_xy = {k: np.asarray(v, float).reshape(-1, 2)
                               for k, v in force_radar_xy.items()}
        self.radars = [Radar(model, xy, programme=False) for xy in self.surveillance_xy]
        self.in_service = {k: 0 for k in self.force_radar_xy}

    def step(self, night) -> None:
        """Bring delivered force radars into service and track tonight's raid
        (``night.t_track``, ``night.radars``)."""
        sensors = self.sensors
        groups = [(self.surveillance_xy, sensors.surveillance)]
        short_range = []  # the forces' radars share one specification: one group
        for name, force in night.forces.items():
            xy = self.force_radar_xy.get(name)
            if xy is None:
                continue
            n_rad = min(force.radars, len(xy))
            while self.in_service[name] < n_rad:
                i = self.in_service[name]
                self.radars.append(Radar(self.model, xy[i], programme=force.programme))
                self.in_service[name] = i + 1
            short_range.append(xy[:n_rad])
        if short_range:
            groups.append((np.concatenate(short_range), sensors.radar))
        night.radars = dict(self.in_service)
        night.t_track = track_times(night.raid, sensors, groups, night.stream("detection"))


# --------------------------------------------------------------------------- command and control
class AirDefenseCommand(SimAgent):
    """Command and control of the defense for one night.

    In order: missile defense engages tonight's missiles (when simulated) from its finite
    stocks (:func:`sim.model.missile_defense.engage_missiles`); electronic warfare takes drones off
    course; tracks go to the C2 allocator, which assigns interceptor teams of both fleets
    (:func:`sim.model.engagement.run_interceptors`); then mobile fire groups and SAM shots at
    drones engage what is left. The result is each drone's fate (``night.engagement``).

    Args:
        model: the model.
        scenario: the scenario (its ``defense`` and ``threat`` sections).
        interceptable: by drone type, whether interceptor drones can catch it.
        missile_table: the missile-defense systems (``None``: missiles are not simulated).
    """

    FATES = air_defense.FATES

    def __init__(self, model, scenario, interceptable: np.ndarray, missile_table=None,
                 portfolio=None):
        super().__init__(model)
        self.defense = scenario.defense
        self.threat = scenario.threat
        self.interceptable = interceptable
        self.missile_table = missile_table
        self.portfolio = portfolio  # defense.portfolio's levels (sim.model.portfolio)
        self.missile_stock = (missile_defense.initial_stocks(missile_table)
                              if missile_table is not None else None)

    def _missiles(self, night) -> int | None:
        """Engage tonight's missiles (``night.missiles``); return the SAM shots left for drones
        (``None`` when missiles are not simulated: the drone layer keeps its own allowance)."""
        if self.missile_table is None:
            return None
        t, d = self.missile_table, self.defense
        self.missile_stock = missile_defense.resupply(self.missile_stock, t, night.index)
        if self.portfolio is not None:  # interceptors the portfolio bought, arriving tonight
            self.missile_stock = self.missile_stock + self.portfolio.missile_deliveries(night.index)
        raid = night.missile_raid
        res = missile_defense.engage_missiles(raid, self.missile_stock, t, night.stream("missiles", 1))
        self.missile_stock = res.stocks_after
        night.missiles = MissileNight(raid=raid, defense=res, table=t,
                                      stocks_end=res.stocks_after)
        cap = d.layers.missile_defense.missiles_per_night
        if not d.missile_defense.share_stocks_with_drone_layer:
            return cap
        return missile_defense.drone_allowance(self.missile_stock, t, cap)

    def step(self, night) -> None:
        """Tonight's battle (``night.missiles``, ``night.engagement``)."""
        d, raid = self.defense, night.raid
        sam_allowance = self._missiles(night)
        cond = air_defense.conditions(night.root, night.date, d, self.threat, raid.n)
        lost, t_lost = air_defense.electronic_warfare(
            raid, self.threat, d.layers.electronic_warfare.enabled, night.stream("ew"),
            shift=cond.shift)
        t_track = night.t_track
        if cond.front.any():  # short-warning front routes: no layer reaches them in time
            lost = lost & ~cond.front
            t_lost = np.where(cond.front, np.inf, t_lost)
            t_track = np.where(cond.front, np.inf, t_track)
        fire_groups = d.layers.mobile_fire_groups
        if self.portfolio is not None:  # the portfolio's EW stations and fire groups tonight
            guarded = self.portfolio.guarded(night.index)
            if guarded is not None:
                lost, t_lost = portfolio_effects.ew_station_losses(
                    raid, guarded, self.portfolio.ew_p_extra, lost, t_lost,
                    night.stream("ew_stations"))
            fire_groups = self.portfolio.fire_group_config(fire_groups, night.index)
        t_gone, tracked, engageable = air_defense.tracks_tonight(
            raid, t_track, t_lost, self.interceptable, d.interceptor.max_altitude_m)
        engageable = engageable & cond.cued  # C2 cues a crew in time (both forces' network)
        teams = night.teams
        pool = (night.forces["national"].available, night.forces["programme"].available)
        if not cond.fly:  # weather: no interceptor drone flies tonight
            pool = (0, 0)
        icfg, prog_pk = d.interceptor, d.programme.interceptor_pk
        sam_cfg = d.layers.missile_defense
        if cond.shift != 0.0:  # tonight's effectiveness (defense.effectiveness_noise)
            e = cond.shift
            icfg = icfg.model_copy(update={"pk": air_defense.shift_p(icfg.pk, e)})
            prog_pk = None if prog_pk is None else air_defense.shift_p(prog_pk, e)
            fire_groups = fire_groups.model_copy(
                update={"pk": air_defense.shift_p(fire_groups.pk, e)})
            sam_cfg = sam_cfg.model_copy(update={"pk": air_defense.shift_p(sam_cfg.pk, e)})
        res = run_interceptors(
            raid, t_track, t_gone, engageable, teams, pool, icfg,
            d.crews, d.allocator, d.c2_cycle_s, night.stream("engagement"),
            programme_pk=prog_pk,
        )
        if sam_allowance is not None:
            sam_cfg = sam_cfg.model_copy(update={"missiles_per_night": sam_allowance})
        out = air_defense.after_interceptors(
            raid, lost, res.killed, tracked, fire_groups, sam_cfg,
            night.stream("layers", 0), night.stream("layers", 1),
            exempt=cond.front if cond.front.any() else None)
        if sam_allowance is not None and d.missile_defense.share_stocks_with_drone_layer:
            self.missile_stock, _ = missile_defense.spend_on_drones(
                self.missile_stock, self.missile_table, int(out["missile_engaged"].sum()))
            night.missiles.stocks_end = self.missile_stock
        layers = d.layers
        cost = float(out["fire_group_engaged"].sum()
                     * layers.mobile_fire_groups.cost_per_engagement_eur
                     + out["missile_engaged"].sum() * layers.missile_defense.missile_cost_eur)
        night.engagement = Engagement(tracked=tracked, interceptors=res, teams=teams,
                                      layer_cost_eur=cost,
                                      front=cond.front if cond.front.any() else None, **out)


# --------------------------------------------------------------------------- energy
class GridOperator(SimAgent):
    """Repairs, damage and load shedding of the energy system, one night at a time
    (:class:`sim.model.energy.system.EnergySystem`).

    Args:
        model: the model.
        system: the run's energy system.
        by_weapon: damage by weapon class (drones and each missile class) when missiles are
            simulated; else every hit is a drone hit.
    """

    def __init__(self, model, system, by_weapon: bool = False, portfolio=None):
        super().__init__(model)
        self.system = system
        self.by_weapon = bool(by_weapon)
        self.portfolio = portfolio  # defense.portfolio's levels (sim.model.portfolio)

    def step(self, night) -> None:
        """Tonight's repairs, damage and load shedding (``night.energy``,
        ``night.availability``)."""
        if self.portfolio is not None:  # protection, spares and repair teams tonight
            k, book = night.index, self.system.repairs
            book.damage_factor = self.portfolio.damage_factors(k)
            book.spares_left += float(self.portfolio.spares_new[k])
            book.extra_crews = float(self.portfolio.crews_extra[k])
            local = self.portfolio.local_supply(k)
            if local is not None:
                self.system.set_local(local[0], local[1], self.portfolio.battery_hours)
        hits = night.drone_hits
        if self.by_weapon:
            hits = {"drone": night.drone_hits,
                    **{c: night.missile_hits[:, i] for i, c in enumerate(missile_threat.CLASSES)}}
        night.energy = self.system.night(night.index, hits)
        night.availability = self.system.availability


class EnergySite(SimAgent):
    """A power plant, substation, gas facility or water utility: a plain view onto row
    ``index`` of the site table and of the energy system's state (it decides nothing)."""

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
    """One attack drone of tonight's raid: a plain view onto row ``index`` of the last night's
    ``raid`` (``model.tonight``)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def drone_type(self) -> str:
        return TYPE_NAMES[int(self.model.tonight.raid.kind[self.index])]

    @property
    def fate(self) -> str:
        """``interceptor``, ``fire_group``, ``missile``, ``ew`` or ``leaked``."""
        return AirDefenseCommand.FATES[int(self.model.tonight.engagement.fate[self.index])]

    @property
    def route_km(self) -> np.ndarray:
        """The planned route: launch point, waypoints, aim point (km)."""
        return self.model.tonight.raid.pts[self.index]

    @property
    def aim_km(self) -> tuple[float, float]:
        x, y = self.model.tonight.raid.pts[self.index, -1]
        return float(x), float(y)

    def position(self, t_s: float) -> tuple[float, float]:
        """Position (km) at ``t_s`` seconds into the night along the route."""
        r = self.model.tonight.raid
        return position_at(r.pts[self.index], r.times[self.index], t_s)


class InterceptorSortie(SimAgent):
    """One interceptor sortie of tonight: a plain view onto row ``index`` of the last night's
    engagement log (``model.tonight``)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = int(index)

    @property
    def _log(self):
        return self.model.tonight.engagement.interceptors.log

    @property
    def target(self) -> int:
        """Index of the attack drone it flew at (``raid`` row)."""
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
        x, y = self.model.tonight.engagement.teams.xy[int(self._log.team[self.index])]
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
        r = self.model.tonight.raid
        i = self.target
        return position_at(r.pts[i], r.times[i], float(self._log.t_end[self.index]))
