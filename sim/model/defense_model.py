"""DefenseModel: a winter of drone attacks on Ukraine's energy system, one step per night.

The model wires the agents (:mod:`sim.model.agents`) and fixes the order of a night
(``step``):

1. forces: each interceptor force takes in deliveries, commissions launch sites and shares its
   crews (:class:`~sim.model.agents.InterceptorForce`, schedules from :mod:`sim.model.budget`);
2. planning: each launch area's :class:`~sim.model.agents.AttackPlanner` plans its salvo;
3. launch: tonight's raid from the plans: types, launch areas, targets, routes, launch times
   (:func:`sim.model.threat.generate_raid`);
4. sensors: the :class:`~sim.model.agents.SensorNetwork` gives each drone a track time;
5. command and control: the :class:`~sim.model.agents.AirDefenseCommand` applies electronic
   warfare, assigns interceptor teams (:mod:`sim.model.engagement`), then fire groups and
   missile defence;
6. strikes: leakers reach their targets; warhead drones hit energy sites with ``p_hit``;
7. energy: the :class:`~sim.model.agents.GridOperator` applies damage and repairs and sheds
   load (:mod:`sim.model.energy`), when enabled;
8. learning: planners observe the night;
9. data collection: the DataCollector records one row per night, with the columns the outcome
   registry (:mod:`sim.model.outcomes`) defines. It is the only nightly store.

Randomness: replicate r of seed s has its own root (``SeedSequence([s, r])``) split into named
streams per night (:mod:`sim.model.rng`), so two policies with the same seed face the same raids.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config.data import city_targets, launch_areas, load_sites
from sim.model import missiles
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
from sim.model.air_defense import (
    FATE_FIRE_GROUP,
    FATE_INTERCEPTOR,
    FATE_LEAKED,
    FATE_LOST_EW,
    FATE_MISSILE_DEFENSE,
    FATES,
)
from sim.model.attacker import damage_values, make_policy
from sim.model.basing import base_positions
from sim.model.budget import force_schedule
from sim.model.energy.system import EnergySystem
from sim.model.engagement import Teams, envelope_radius_km
from sim.model.geometry import within_reach
from sim.model.outcomes import nightly_columns
from sim.model.rng import root_sequence, stream
from sim.model.threat import (
    DECOY,
    JET,
    SHAHED,
    TARGET_SITE,
    TYPE_NAMES,
    area_weights,
    generate_raid,
    nightly_launch_counts,
    tactics_for,
    target_weights,
)


class DefenseModel(mesa.Model):
    """A winter of attack drones against Ukraine's energy sites and its air defence.

    Args:
        scenario: a validated :class:`sim.config.schema.Scenario`.
        seed: root seed (default: the scenario's ``seed``).
        replicate: replicate number; replicate r of seed s has its own random streams.
        sites: optional energy-site frame (default: the scenario's ``sites_file`` or the
            packaged list).
    """

    def __init__(self, scenario, seed: int | None = None, replicate: int = 0, sites=None):
        self.seed_root = int(scenario.seed if seed is None else seed)
        self.replicate = int(replicate)
        self.root = root_sequence(self.seed_root, self.replicate)
        super().__init__(rng=stream(self.root, "model"))
        self.spec = scenario  # (Mesa 3.5 reserves `Model.scenario`)
        self.dates = scenario.period.dates
        self.night = 0
        self.running = len(self.dates) > 0
        d, threat = scenario.defense, scenario.threat

        # The theatre: energy sites and what the attacker values.
        if sites is None:
            sites = load_sites(scenario.sites_file) if scenario.sites_file else load_sites()
        self.sites = sites
        self.site_xy = sites[["x_km", "y_km"]].to_numpy(float)
        self.site_p = target_weights(sites, threat.targeting)
        self.hits_by_site = np.zeros(len(sites), dtype=np.int64)
        self.hits_tonight = np.zeros(len(sites), dtype=np.int64)
        self.energy_sites = [EnergySite(self, i) for i in range(len(sites))]
        self.energy = None
        self.grid_operator = None
        if scenario.energy.enabled:
            self.energy = EnergySystem(sites, scenario.energy, self.dates[0], len(self.dates),
                                       stream(self.root, "energy"))
            self.grid_operator = GridOperator(self, self.energy)

        # The attacker: the night's launches (fitted to the record), one planner per area, and
        # the missile strikes (more likely on the big drone nights).
        self.launch_counts, salvo = nightly_launch_counts(
            threat, self.dates, stream(self.root, "threat"), return_salvo=True)
        self.missile_planner = None
        self.missile_hits_tonight = np.zeros((len(sites), missiles.N_CLASSES), dtype=np.int64)
        missile_table = None
        if threat.missiles.enabled:
            self.missile_planner = MissileStrikePlanner(self, missiles.nightly_missile_counts(
                threat.missiles, self.dates, salvo, stream(self.root, "missiles")))
            missile_table = missiles.defense_table(d.missile_defense)
        areas = launch_areas()
        shares = area_weights(threat)
        self.targeting = make_policy(threat.attacker, self.site_p, threat.targeting.p_hit,
                                     damage_values(sites, threat.targeting, scenario.energy))
        area_xy = areas[["x_km", "y_km"]].to_numpy(float)
        self.planners = [
            AttackPlanner(self, a, areas["id"].iat[a], area_xy[a], shares[a], self.targeting)
            for a in range(len(areas))
        ]
        self.interceptable = np.array([threat.types[t].interceptable for t in TYPE_NAMES])

        # The defence: interceptor forces, sensors, command and control.
        self.schedules = force_schedule(d, self.dates)
        self.envelope_km = envelope_radius_km(d.interceptor)
        forces = []
        radar_xy = {}
        for sched, policy in ((self.schedules.national, d.layers.existing_interceptors.basing),
                              (self.schedules.programme, d.basing.policy)):
            n_sites = int(sched.sites_active.max()) if len(self.dates) else 0
            n_pos = max(n_sites, int(sched.radars.max()) if len(self.dates) else 0)
            xy = base_positions(policy, n_pos, sites, self.site_p, threat, d.basing)
            forces.append(InterceptorForce(self, sched, xy))
            radar_xy[sched.name] = xy
        self.forces = tuple(forces)  # (national, programme)
        cities = city_targets()
        top = np.argsort(-cities["weight"].to_numpy(float), kind="stable")
        top = top[: d.sensors.surveillance.count]
        self.sensor_network = SensorNetwork(
            self, cities[["x_km", "y_km"]].to_numpy(float)[top], radar_xy
        )
        self.command = AirDefenseCommand(self, missile_table)

        self.raid = None
        self.record: dict = {}
        self._coverage_cache: dict[int, tuple[float, float]] = {}
        self._defended_cache: dict[int, np.ndarray] = {}
        self._site_op: np.ndarray | None = None
        self._site_cap: np.ndarray | None = None
        self._teams = None
        self._night_views: dict[str, tuple[int, list]] = {}
        columns = ["night", "date", *nightly_columns(self.energy is not None,
                                                     self.missile_planner is not None)]
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.record[k]) for k in columns}
        )

    # ------------------------------------------------------------------ readers
    def teams_tonight(self) -> Teams:
        """Tonight's active launch sites of both forces, as the engagement kernel's arrays
        (existing units first, then the programme)."""
        existing, programme = self.forces
        xy = np.concatenate([existing.site_xy, programme.site_xy]).reshape(-1, 2)
        prog = np.r_[np.zeros(existing.n_sites, int), np.ones(programme.n_sites, int)]
        crews = np.concatenate([existing.crews, programme.crews]).astype(int)
        return Teams(xy=xy, programme=prog, crews=crews,
                     sorties_per_crew=self.spec.defense.crews.sorties_per_crew_per_night)

    @property
    def teams(self) -> list:
        """Tonight's active interceptor teams (agents) of both forces."""
        return [t for f in self.forces for t in f.teams[: f.n_sites]]

    @property
    def drones(self) -> mesa.agent.AgentSet:
        """Tonight's attack drones as agents (made when first asked for each night)."""
        n = self.raid.n if self.raid is not None else 0
        return self._views("drones", AttackDrone, n)

    @property
    def sorties(self) -> mesa.agent.AgentSet:
        """Tonight's interceptor sorties as agents (made when first asked for each night)."""
        res = self.command.result
        n = len(res.interceptors.log.attacker) if res is not None else 0
        return self._views("sorties", InterceptorSortie, n)

    def _views(self, key: str, cls, n: int) -> mesa.agent.AgentSet:
        night, agents = self._night_views.get(key, (-1, []))
        if night != self.night:
            for a in agents:
                a.remove()
            agents = [cls(self, i) for i in range(n)]
            self._night_views[key] = (self.night, agents)
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
            out["grid_nodes"] = float(self.energy.grid_nodes)
            out["grid_links"] = float(self.energy.grid_links)
        return out

    def defended_sites(self, teams: Teams | None = None) -> np.ndarray:
        """Sites with at least one of tonight's interceptor teams in reach (inside the
        engagement envelope of a launch site); cached per set of launch sites."""
        teams = self._teams if teams is None else teams
        key = tuple(f.n_sites for f in self.forces)  # the sites of each force only grow in order
        out = self._defended_cache.get(key)
        if out is None:
            out = self._defended_cache[key] = within_reach(self.site_xy, teams.xy,
                                                           self.envelope_km)
        return out

    def _coverage(self, teams: Teams) -> tuple[float, float]:
        """Share of operational sites, and of their capacity, inside an envelope (cached per
        set of launch sites)."""
        key = tuple(f.n_sites for f in self.forces)
        if key in self._coverage_cache:
            return self._coverage_cache[key]
        if self._site_op is None:  # the site table does not change during a run
            self._site_op = self.sites["status"].to_numpy() == "operational"
            self._site_cap = np.maximum(self.sites["capacity_mw"].to_numpy(float), 0.0)
        op, cap = self._site_op, self._site_cap
        if teams.n == 0 or not op.any():
            return 0.0, 0.0
        inside = self.defended_sites(teams) & op
        cap_total = cap[op].sum()
        out = (float(inside.sum() / op.sum()),
               float(cap[inside].sum() / cap_total) if cap_total else 0.0)
        self._coverage_cache[key] = out
        return out

    # ------------------------------------------------------------------ the night
    def step(self) -> None:
        """Simulate one night."""
        if not self.running:
            return
        k = self.night

        for force in self.forces:  # 1. deliveries, sites, crews
            force.step()
        teams = self._teams = self.teams_tonight()
        for planner in self.planners:  # 2. plans
            planner.step()
        if self.missile_planner is not None:
            self.missile_planner.step()
        self.raid = self._launch(teams)  # 3. launches
        self.sensor_network.step()  # 4. tracks
        self.command.step()  # 5. EW, interceptors, other layers
        res = self.command.result
        hit = self._strike(res.leaked)  # 6. strikes
        if self.grid_operator is not None:  # 7. energy
            self.grid_operator.step()
        launched_by_area = np.bincount(self.raid.area, minlength=len(self.planners))
        report = self._night_report(res.leaked)
        for i, planner in enumerate(self.planners):  # 8. learning
            planner.observe(launched_by_area[planner.area], report if i == 0 else None)
        self.record = self._night_record(k, teams, res, hit)  # 9. data
        self.datacollector.collect(self)
        self.night += 1
        self.running = self.night < len(self.dates)

    def _launch(self, teams: Teams):
        """Tonight's raid from the planners' plans."""
        k, threat = self.night, self.spec.threat
        share = np.array([p.share for p in self.planners])
        tactics = (tactics_for(threat, self.dates[k].strftime("%Y-%m"))
                   if threat.tactics.timeline else None)
        return generate_raid(
            threat, int(self.launch_counts[k]), self.site_xy, self.planners[0].target_p, teams.xy,
            np.full(teams.n, self.envelope_km), stream(self.root, "threat", k + 1),
            stream(self.root, "routing", k), share, tactics,
        )

    def _night_report(self, leaked: np.ndarray):
        """What the attacker learns of tonight: warhead drones aimed at each site, hits,
        drones stopped, and each site's share in service."""
        raid, n = self.raid, len(self.sites)
        aimed = (raid.target_kind == TARGET_SITE) & (raid.kind != DECOY)
        at = raid.target[aimed]
        aimed_n = np.bincount(at, minlength=n)
        stopped = np.bincount(raid.target[aimed & ~leaked], minlength=n)
        avail = (self.energy.availability if self.energy is not None else np.ones(n))
        return aimed_n, self.hits_tonight, stopped, avail

    def _strike(self, leaked: np.ndarray) -> np.ndarray:
        """Warhead leakers aimed at energy sites hit them with ``p_hit``; tonight's hits per
        site."""
        raid = self.raid
        u_hit = stream(self.root, "strike", self.night).random(raid.n)
        hit = (leaked & (raid.kind != DECOY) & (raid.target_kind == TARGET_SITE)
               & (u_hit < self.spec.threat.targeting.p_hit))
        self.hits_tonight = np.bincount(raid.target[hit], minlength=len(self.sites))
        self.hits_by_site += self.hits_tonight
        return hit

    def _night_record(self, k: int, teams: Teams, res, hit: np.ndarray) -> dict:
        raid, icp = self.raid, res.interceptors
        existing, programme = self.forces
        ps, ns = programme.schedule, existing.schedule
        prog_kill = icp.kill_programme == 1
        layers = self.spec.defense.layers
        aimed = raid.target_kind == TARGET_SITE
        leaked = res.leaked
        # One cross-tabulation of fate x type gives every count by type and fate.
        n_types = len(TYPE_NAMES)
        tab = np.bincount(res.fate.astype(np.int64) * n_types + raid.kind,
                          minlength=len(FATES) * n_types).reshape(len(FATES), n_types)
        by_type, by_fate = tab.sum(0), tab.sum(1)
        by_force = np.bincount(icp.kill_programme + 1, minlength=3)  # none, existing, programme
        cov_sites, cov_cap = self._coverage(teams)
        rec = {
            "night": k,
            "date": self.dates[k].isoformat(),
            "launched": raid.n,
            "launched_shahed": int(by_type[SHAHED]),
            "launched_jet": int(by_type[JET]),
            "launched_decoy": int(by_type[DECOY]),
            "lost_ew": int(by_fate[FATE_LOST_EW]),
            "destroyed": int(by_fate[[FATE_INTERCEPTOR, FATE_FIRE_GROUP,
                                      FATE_MISSILE_DEFENSE]].sum()),
            "destroyed_programme": int(by_force[2]),
            "destroyed_existing_interceptors": int(by_force[1]),
            "destroyed_fire_groups": int(by_fate[FATE_FIRE_GROUP]),
            "destroyed_missiles": int(by_fate[FATE_MISSILE_DEFENSE]),
            "leaked": int(by_fate[FATE_LEAKED]),
            "leaked_warhead": int(by_fate[FATE_LEAKED] - tab[FATE_LEAKED, DECOY]),
            "hits_on_sites": int(np.count_nonzero(hit)),
            "hits_on_undefended": int(self.hits_tonight[~self.defended_sites(teams)].sum()),
            "concentrated_salvo": int(self.targeting.concentrated_on is not None),
            "aimed_at_energy": int(np.count_nonzero(aimed)),
            "aimed_at_energy_stopped": int(np.count_nonzero(aimed & ~leaked)),
            "tracked": int(np.count_nonzero(res.tracked)),
            "interceptors_launched": int(icp.launched[1]),
            "interceptor_kills": int(icp.kills[1]),
            "interceptors_expended": int(icp.expended[1]),
            "interceptors_recovered": int(icp.recovered[1]),
            "existing_interceptors_launched": int(icp.launched[0]),
            "existing_interceptor_kills": int(icp.kills[0]),
            "existing_interceptors_recovered": int(icp.recovered[0]),
            "fire_group_engagements": int(np.count_nonzero(res.fire_group_engaged)),
            "missiles_fired": int(np.count_nonzero(res.missile_engaged)),
            "programme_stock": int(programme.stock),
            "programme_available": int(programme.available),
            "programme_sites": programme.n_sites,
            "programme_crews": int(ps.crews_active[k]),
            "programme_radars": int(self.sensor_network.n_programme),
            "programme_spend_eur": float(ps.spend_eur[k]),
            "programme_delivered": int(ps.delivered[k]),
            "programme_limit": str(ps.binding_nightly[k]),
            "national_stock": int(existing.stock),
            "national_available": int(existing.available),
            "national_sites": existing.n_sites,
            "national_crews": int(ns.crews_active[k]),
            "national_delivered": int(ns.delivered[k]),
            "national_limit": str(ns.binding_nightly[k]),
            "attacker_value_killed_programme_eur": float(raid.cost_eur[prog_kill].sum()),
            "defense_layer_cost_eur": float(
                res.fire_group_engaged.sum() * layers.mobile_fire_groups.cost_per_engagement_eur
                + res.missile_engaged.sum() * layers.missile_defense.missile_cost_eur),
            "coverage_sites_fraction": cov_sites,
            "coverage_capacity_fraction": cov_cap,
        }
        if self.missile_planner is not None:
            rec.update(self.command.missile_record)
        if self.grid_operator is not None:
            rec.update(self.grid_operator.tonight)
        return rec

    def run(self) -> None:
        """Simulate every remaining night."""
        while self.running:
            self.step()
