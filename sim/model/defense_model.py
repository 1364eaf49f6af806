"""DefenseModel: a winter of drone attacks on Ukraine's energy system, one step per night.

The model wires the agents (:mod:`sim.model.agents`) and fixes the order of a night. Each night
(``step``) it creates a :class:`~sim.model.night.Night` and hands it to each agent's
``step(night)`` in this order; every agent reads its inputs from the night and writes its
results to it (the walk of one night, with the attribute each step writes, is in
:mod:`sim.model.night`):

1. forces: each :class:`~sim.model.agents.InterceptorForce` takes in deliveries, commissions
   launch sites and shares its crews (schedules from :mod:`sim.model.forces`); the model then
   puts tonight's teams on duty and notes which energy sites they cover;
2. the attacker: the :class:`~sim.model.agents.AttackPlanner` plans tonight's targets and
   launches the raid (:func:`sim.model.threat.generate_raid`); the
   :class:`~sim.model.agents.MissileStrikePlanner` plans tonight's missiles;
3. sensors: the :class:`~sim.model.agents.SensorNetwork` gives each drone a track time;
4. command and control: the :class:`~sim.model.agents.AirDefenseCommand` engages the missiles,
   applies electronic warfare, assigns interceptor teams (:mod:`sim.model.engagement`), then
   fire groups and SAM shots at drones;
5. settlement: each force pays for the airframes it expended;
6. strikes: leakers reach their targets; warhead drones and missiles hit energy sites with
   their ``p_hit``;
7. energy: the :class:`~sim.model.agents.GridOperator` applies damage and repairs and sheds
   load (:mod:`sim.model.energy`), when enabled;
8. learning: the attacker's policy learns from the night;
9. data collection: the DataCollector records one row per night: the columns of the outcome
   registry (:mod:`sim.model.outcomes`), each read from the night by the reader the registry
   declares. It is the only nightly store.

Randomness: replicate r of seed s has its own root (``SeedSequence([s, r])``) split into named
streams per night (:mod:`sim.model.rng`), so two policies with the same seed face the same raids.
"""

from __future__ import annotations

from copy import deepcopy

import mesa
import numpy as np

from sim.model import missile_threat
from sim.model.agents import (
    AirDefenseCommand,
    AttackDrone,
    AttackPlanner,
    EnergySite,
    GridOperator,
    InterceptorForce,
    InterceptorSortie,
    MissileStrikePlanner,
    SensorNetwork,
)
from sim.model.attacker import make_policy
from sim.model.energy.system import EnergySystem
from sim.model.night import Night, on_duty
from sim.model.outcomes import night_reporters
from sim.model.rng import NightStreams, root_sequence, stream
from sim.model.theatre import Theatre, theatre_for
from sim.model.threat import DECOY, TARGET_SITE, nightly_launch_counts

_SCALARS = (int, float, str, bool, np.integer, np.floating, np.bool_, type(None))
"""Values a reader returns that the collector stores as they are (nothing can change them
later, so Mesa's defensive copy would only cost time)."""


class NightlyCollector(mesa.DataCollector):
    """The model's DataCollector: one row a night, each column read from the finished night
    (``model.tonight``) by the registry's reader.

    A Mesa ``DataCollector`` with one model reporter per column (``lambda m: read(m.tonight)``),
    so everything Mesa offers (``model_vars``, ``get_model_vars_dataframe``, tables) works as
    usual. ``collect`` calls the readers on the night directly and keeps scalar values as they
    are instead of deep-copying each one (anything else is still deep-copied); Mesa's own
    ``collect`` runs on the first night, which also validates every reporter.

    Args:
        readers: column -> reader of a :class:`~sim.model.night.Night`.
    """

    def __init__(self, readers: dict):
        super().__init__(model_reporters={k: (lambda m, read=read: read(m.tonight))
                                          for k, read in readers.items()})
        self._readers = [(self.model_vars[k], read) for k, read in readers.items()]

    def collect(self, model) -> None:
        if not self._validated or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):  # Mesa >= 3.4 records when it collected
            self._collection_steps.append(model.time)
        night = model.tonight
        for column, read in self._readers:
            value = read(night)
            column.append(value if isinstance(value, _SCALARS) else deepcopy(value))


class DefenseModel(mesa.Model):
    """A winter of attack drones against Ukraine's energy sites and its air defense.

    Args:
        scenario: a validated :class:`sim.config.schema.Scenario`.
        seed: root seed (default: the scenario's ``seed``).
        replicate: replicate number; replicate r of seed s has its own random streams.
        sites: optional energy-site frame (default: the scenario's ``sites_file`` or the
            packaged list).

    Attributes:
        tonight: the last night simulated (:class:`~sim.model.night.Night`; ``None`` before
            the first).
    """

    def __init__(self, scenario, seed: int | None = None, replicate: int = 0, sites=None,
                 theatre: Theatre | None = None):
        self.seed_root = int(scenario.seed if seed is None else seed)
        self.replicate = int(replicate)
        self.root = root_sequence(self.seed_root, self.replicate)
        super().__init__(rng=stream(self.root, "model"))
        self.spec = scenario  # (Mesa 3.5 reserves `Model.scenario`)
        # What the scenario fixes before the first night, shared by every run of it.
        self.theatre = th = theatre if theatre is not None else theatre_for(scenario, sites)
        self.dates = scenario.period.dates
        self.streams = NightStreams(self.root, len(self.dates))  # the nights' seeds, at once
        self.night = 0
        self.running = len(self.dates) > 0
        d, threat = scenario.defense, scenario.threat

        # The energy sites (views) and the energy system of this run.
        self.hits_by_site = np.zeros(th.n_sites, dtype=np.int64)
        self.energy_sites = [EnergySite(self, i) for i in range(th.n_sites)]
        self.energy = None
        self.grid_operator = None
        if scenario.energy.enabled:
            self.energy = EnergySystem(th.sites, scenario.energy, self.dates[0], len(self.dates),
                                       stream(self.root, "energy"), network=th.energy_network)
            self.grid_operator = GridOperator(self, self.energy,
                                              by_weapon=threat.missiles.enabled,
                                              portfolio=th.portfolio)

        # The attacker: the night's launches (fitted to the record), its planner, and the
        # missile strikes (more likely on the big drone nights).
        self.launch_counts, salvo = nightly_launch_counts(
            threat, self.dates, stream(self.root, "threat"), return_salvo=True)
        self.missile_planner = None
        if threat.missiles.enabled:
            self.missile_planner = MissileStrikePlanner(
                self, missile_threat.nightly_missile_counts(threat.missiles, self.dates, salvo,
                                                      stream(self.root, "missiles")),
                threat.missiles, th.site_xy, th.site_p)
        self.targeting = make_policy(threat.attacker, th.site_p, threat.targeting.p_hit,
                                     th.site_value)
        self.planner = AttackPlanner(self, threat, th.site_xy, th.area_share, th.envelope_km,
                                     self.targeting)

        # The defense: interceptor forces, sensors, command and control.
        self.forces = (InterceptorForce(self, th.schedules.national, th.positions["national"]),
                       InterceptorForce(self, th.schedules.programme,
                                        th.positions["programme"]))
        self.sensor_network = SensorNetwork(self, d.sensors, th.surveillance_xy, th.positions)
        self.command = AirDefenseCommand(self, scenario, th.interceptable, th.missile_table,
                                         portfolio=th.portfolio)

        self.tonight: Night | None = None
        self._night_views: dict[str, tuple[Night | None, list]] = {}
        self.datacollector = NightlyCollector(
            night_reporters(self.energy is not None, self.missile_planner is not None))

    # ------------------------------------------------------------------ set-up, as read
    @property
    def sites(self):
        """The energy-site table (the theatre's)."""
        return self.theatre.sites

    @property
    def site_xy(self) -> np.ndarray:
        return self.theatre.site_xy

    @property
    def schedules(self):
        """Both forces' schedules (the theatre's)."""
        return self.theatre.schedules

    @property
    def launch_areas(self):
        return self.theatre.launch_areas

    @property
    def area_share(self) -> np.ndarray:
        return self.theatre.area_share

    @property
    def envelope_km(self) -> float:
        return self.theatre.envelope_km

    # ------------------------------------------------------------------ readers
    @property
    def raid(self):
        """The last night's raid (``None`` before the first night)."""
        return self.tonight.raid if self.tonight is not None else None

    @property
    def record(self) -> dict:
        """The last night's row of the nightly table, column -> value (empty before the first
        night)."""
        if self.tonight is None:
            return {}
        return {k: v[-1] for k, v in self.datacollector.model_vars.items()}

    @property
    def teams(self) -> list:
        """Tonight's active interceptor teams (agents) of both forces."""
        return [t for f in self.forces for t in f.teams[: f.n_sites]]

    @property
    def drones(self) -> mesa.agent.AgentSet:
        """The last night's attack drones as agents (made when first asked for each night)."""
        return self._views("drones", AttackDrone, self.raid.n if self.raid is not None else 0)

    @property
    def sorties(self) -> mesa.agent.AgentSet:
        """The last night's interceptor sorties as agents (made when first asked for each
        night)."""
        n = (len(self.tonight.engagement.interceptors.log.attacker)
             if self.tonight is not None else 0)
        return self._views("sorties", InterceptorSortie, n)

    def _views(self, key: str, cls, n: int) -> mesa.agent.AgentSet:
        night, agents = self._night_views.get(key, (None, []))
        if night is not self.tonight or night is None:
            for a in agents:
                a.remove()
            agents = [cls(self, i) for i in range(n)]
            self._night_views[key] = (self.tonight, agents)
        return mesa.agent.AgentSet(agents, random=self.random)

    def constants(self) -> dict[str, float]:
        """Run-level values that are not nightly (the ``constant`` outcomes of the registry)."""
        ps = self.schedules.programme
        unit = float(self.spec.defense.costs.interceptor_unit_cost_eur)
        delivered = float(ps.delivered[-1]) if len(self.dates) else 0.0
        spend = float(ps.spend_eur[-1]) if len(self.dates) else 0.0
        out = {
            "budget_eur": float(self.spec.defense.budget_eur),
            "interceptors_ordered": float(ps.bought.get("airframes", 0)),
            "programme_unused_eur": float(ps.unused_eur),
            "programme_on_order_eur": float(ps.on_order_eur),
            "interceptor_unit_cost_eur": unit,
            "programme_other_spend_eur": max(spend - delivered * unit, 0.0),
        }
        if self.energy is not None:
            w = self.energy.winter_outcomes()
            out.update({f"capacity_days_lost_by_type.{t}": float(v)
                        for t, v in w["capacity_days_lost_by_type"].items()})
            out.update({f"outage_hours_per_day_by_region.{r}": float(v)
                        for r, v in w["outage_hours_per_day_by_region"].items()})
            out["grid_nodes"] = float(self.energy.grid_nodes)
            out["grid_links"] = float(self.energy.grid_links)
        return out

    # ------------------------------------------------------------------ the night
    def step(self) -> None:
        """Simulate one night: hand a new :class:`~sim.model.night.Night` to each agent in the
        fixed order (module docstring), then record it."""
        if not self.running:
            return
        k = self.night
        night = Night(index=k, date=self.dates[k], root=self.root,
                      launches=int(self.launch_counts[k]), n_sites=len(self.sites),
                      streams=self.streams)

        for force in self.forces:  # 1. deliveries, sites, crews
            force.step(night)
        national, programme = (night.forces[f.name] for f in self.forces)
        night.teams = on_duty(national, programme,
                              self.spec.defense.crews.sorties_per_crew_per_night,
                              self.spec.defense.national_force.sorties.sorties_per_crew_per_night)
        night.defended, night.coverage = self.theatre.coverage(
            night.teams, (national.sites, programme.sites))
        if self.theatre.portfolio is not None and self.targeting.name != "static":
            # an adaptive attacker sees which sites are protected: a hit there is worth less
            self.targeting.value = self.theatre.portfolio.site_value(self.theatre.site_value, k)
        self.planner.step(night)  # 2. the attacker's plan and raid
        if self.missile_planner is not None:
            self.missile_planner.step(night)
        self.sensor_network.step(night)  # 3. tracks
        self.command.step(night)  # 4. missiles, EW, interceptors, other layers
        for force in self.forces:  # 5. airframes expended
            force.settle(night)
        self._strike(night)  # 6. strikes
        if self.grid_operator is not None:  # 7. energy
            self.grid_operator.step(night)
        self.planner.learn(night)  # 8. learning
        self.tonight = night
        self.datacollector.collect(self)  # 9. data
        self.night += 1
        self.running = self.night < len(self.dates)

    def _strike(self, night: Night) -> None:
        """Warhead leakers aimed at energy sites hit them with ``p_hit``, and missiles not
        destroyed hit theirs with their class's ``p_hit`` (``night.hit``, ``drone_hits``,
        ``missile_hits``)."""
        raid = night.raid
        u_hit = night.stream("strike").random(raid.n)
        night.hit = (night.engagement.leaked & (raid.kind != DECOY)
                     & (raid.target_kind == TARGET_SITE)
                     & (u_hit < self.spec.threat.targeting.p_hit))
        front = night.engagement.front
        if front is not None:  # the front stream strikes energy sites near the front only
            reach = self.spec.threat.front_stream.energy_reach_km
            far = np.hypot(*(raid.pts[:, -1] - raid.pts[:, 0]).T) > reach
            night.hit &= ~(front & far)
        night.drone_hits = np.bincount(raid.target[night.hit], minlength=len(self.sites))
        self.hits_by_site += night.drone_hits
        if night.missiles is not None:
            ms = night.missiles
            night.missile_hits = ms.hits = missile_threat.missile_hits(
                ms.raid, ms.defense.destroyed, self.theatre.missile_p_hit,
                night.stream("missiles", 2), len(self.sites))

    def run(self) -> None:
        """Simulate every remaining night."""
        while self.running:
            self.step()
