"""DefenseModel: a winter of drone attacks on Ukraine's energy system, one step per night.

Phases of a night (``step``), in order:

1. deliveries: programme interceptors, crews, radars and launch sites available tonight
   (:mod:`sim.budget`); stock carries over;
2. launches: tonight's raid, its types, launch areas, targets, routes and launch times
   (:mod:`sim.threat`);
3. electronic warfare: drones lost to jamming en route (:mod:`sim.layers`);
4. detection: acoustic network and radars give each drone a track time (:mod:`sim.sensors`);
5. command and control and interception: interceptor drones of the programme and of the
   existing units are assigned, fly collision courses and kill with ``pk``, shoot-look-shoot
   (:mod:`sim.engagement`);
6. the other layers engage what is left: mobile fire groups, then missile defence;
7. strikes: leakers reach their targets; warhead drones hit energy sites with ``p_hit``;
8. energy: damage, repairs and demand served (:mod:`sim.energy`), when enabled;
9. data collection: one row per night (Mesa ``DataCollector``).

Randomness: replicate r of seed s has its own root (``SeedSequence([s, r])``) split into named
streams per night (:mod:`sim.rng`), so two policies with the same seed face the same raids.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config.data import city_targets, load_sites
from sim.model import air_defence as layers
from sim.model.agents import AttackDrone, EnergySite, InterceptorDrone, LaunchSite, Radar
from sim.model.basing import base_positions
from sim.model.budget import capability_schedule
from sim.model.engagement import Teams, envelope_radius_km, run_interceptors
from sim.model.rng import root_sequence, stream
from sim.model.sensors import track_times
from sim.model.threat import (
    DECOY,
    JET,
    SHAHED,
    TARGET_SITE,
    area_weights,
    generate_raid,
    nightly_launch_counts,
    target_weights,
)

NIGHT_COUNTS = (
    "launched", "launched_shahed", "launched_jet", "launched_decoy", "lost_ew", "destroyed",
    "destroyed_programme", "destroyed_existing_interceptors", "destroyed_fire_groups",
    "destroyed_missiles", "leaked", "leaked_warhead", "hits_on_sites", "aimed_at_energy",
    "aimed_at_energy_stopped", "tracked", "interceptors_launched", "interceptor_kills",
    "interceptors_expended", "interceptors_recovered", "existing_interceptors_launched",
    "existing_interceptor_kills", "existing_interceptors_recovered", "fire_group_engagements",
    "missiles_fired",
)


class DefenseModel(mesa.Model):
    """A winter of attack drones against Ukraine's energy sites and its air defence.

    Args:
        scenario: a validated :class:`sim.scenario.Scenario`.
        seed: root seed (default: the scenario's ``seed``).
        replicate: replicate number; replicate r of seed s has its own random streams.
        sites: optional energy-site frame (default: the packaged list).
    """

    def __init__(self, scenario, seed: int | None = None, replicate: int = 0, sites=None):
        self.seed_root = int(scenario.seed if seed is None else seed)
        self.replicate = int(replicate)
        self.root = root_sequence(self.seed_root, self.replicate)
        super().__init__(rng=stream(self.root, "model"))
        self.spec = scenario  # (Mesa 3.5 reserves `Model.scenario`)
        self.dates = scenario.period.dates
        self.night = 0
        d = scenario.defense

        if sites is None:
            sites = load_sites(scenario.sites_file) if scenario.sites_file else load_sites()
        self.sites = sites
        self.site_p = target_weights(self.sites, scenario.threat.targeting)
        self.site_xy = self.sites[["x_km", "y_km"]].to_numpy(float)
        self.area_w = area_weights(scenario.threat)
        self._interceptable = np.array(
            [scenario.threat.types[t].interceptable for t in ("shahed", "jet", "decoy")]
        )
        self.hits_by_site = np.zeros(len(self.sites), dtype=np.int64)
        for i in range(len(self.sites)):
            EnergySite(self, i)

        self.capability = capability_schedule(d, self.dates)
        self.launch_counts = nightly_launch_counts(
            scenario.threat, self.dates, stream(self.root, "threat")
        )
        self.envelope_km = envelope_radius_km(d.interceptor)
        n_prog = int(self.capability.sites.max()) if len(self.dates) else 0
        n_pos = max(n_prog, int(self.capability.radars.max()) if len(self.dates) else 0)
        self.programme_xy = base_positions(
            d.basing.policy, n_pos, self.sites, self.site_p, scenario.threat, d.basing
        )
        ex = d.layers.existing_interceptors
        self.existing_xy = base_positions(
            ex.basing, ex.launch_sites, self.sites, self.site_p, scenario.threat, d.basing
        )
        cities = city_targets()
        top = np.argsort(-cities["weight"].to_numpy(float), kind="stable")
        top = top[: d.sensors.surveillance.count]
        self.existing_radar_xy = cities[["x_km", "y_km"]].to_numpy(float)[top]
        for xy in self.existing_xy:
            LaunchSite(self, xy, programme=False, crews=d.crews.crews_per_site)
        for xy in self.existing_radar_xy:
            Radar(self, xy, programme=False)
        self._programme_sites: list[LaunchSite] = []
        self._programme_radars: list[Radar] = []

        self.programme_stock = 0  # delivered and not yet expended
        self._delivered_prev = 0
        self.totals = {k: 0 for k in NIGHT_COUNTS}
        self.attacker_value_killed_programme = 0.0
        self.layer_cost_eur = 0.0
        self.raid = None
        self.fates = np.zeros(0, dtype=object)
        self.engagements: dict[str, list] = {}
        self.record: dict[str, float] = {}
        self.night_rows: list[dict] = []
        self._coverage_cache: dict[int, tuple[float, float]] = {}
        self._drone_agents: list[AttackDrone] = []
        self._sortie_agents: list[InterceptorDrone] = []

        self.energy = None
        if scenario.energy.enabled:
            from sim.model.energy.system import EnergySystem

            self.energy = EnergySystem(
                self.sites, scenario.energy, self.dates[0], len(self.dates),
                stream(self.root, "energy"),
            )

        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m.record.get(k)) for k in self._record_keys()}
        )

    # ------------------------------------------------------------------ helpers
    def _record_keys(self) -> list[str]:
        keys = ["night", "date", *NIGHT_COUNTS, "programme_stock", "programme_sites",
                "programme_crews", "programme_radars", "programme_spend_eur",
                "coverage_sites_fraction", "coverage_capacity_fraction"]
        if self.energy is not None:
            from sim.model.energy.system import NIGHT_KEYS

            keys += list(NIGHT_KEYS)
        return keys

    @property
    def running(self) -> bool:  # noqa: D401 - Mesa convention
        """Whether nights remain."""
        return self.night < len(self.dates)

    @running.setter
    def running(self, value) -> None:  # Mesa sets this in __init__
        pass

    def _teams(self, n_prog: int) -> Teams:
        d = self.spec.defense
        xy = np.concatenate([self.existing_xy, self.programme_xy[:n_prog]]) if n_prog else (
            self.existing_xy
        )
        prog = np.r_[np.zeros(len(self.existing_xy), int), np.ones(n_prog, int)]
        crews = np.full(len(prog), d.crews.crews_per_site, dtype=int)
        if n_prog:
            # Programme crews are shared out over its active sites.
            total = int(self.capability.crews[self.night])
            per = np.full(n_prog, total // n_prog)
            per[: total % n_prog] += 1
            crews[len(self.existing_xy):] = per
        return Teams(xy=xy.reshape(-1, 2), programme=prog, crews=crews,
                     sorties_per_crew=d.crews.sorties_per_crew_per_night)

    def _coverage(self, teams: Teams) -> tuple[float, float]:
        """Share of operational sites, and of their capacity, inside an envelope (cached per
        set of launch sites)."""
        key = teams.n
        if key in self._coverage_cache:
            return self._coverage_cache[key]
        op = self.sites["status"].to_numpy() == "operational"
        if teams.n == 0 or not op.any():
            return 0.0, 0.0
        xy = self.sites[["x_km", "y_km"]].to_numpy(float)
        d = np.hypot(*(xy[:, None, :] - teams.xy[None, :, :]).transpose(2, 0, 1))
        inside = (d <= self.envelope_km).any(1) & op
        cap = np.maximum(self.sites["capacity_mw"].to_numpy(float), 0.0)
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
        sc, d, k = self.spec, self.spec.defense, self.night
        cap = self.capability

        # 1. Deliveries.
        delivered = int(cap.interceptors_delivered[k])
        self.programme_stock += delivered - self._delivered_prev
        self._delivered_prev = delivered
        n_prog = int(cap.sites[k])
        while len(self._programme_sites) < n_prog:
            i = len(self._programme_sites)
            self._programme_sites.append(LaunchSite(self, self.programme_xy[i], True, 0))
        n_rad = int(cap.radars[k])
        while len(self._programme_radars) < n_rad:
            i = len(self._programme_radars)
            self._programme_radars.append(Radar(self, self.programme_xy[i], True))
        teams = self._teams(n_prog)
        for site, c in zip(self._programme_sites, teams.crews[len(self.existing_xy):], strict=False):
            site.crews = int(c)

        # 2. Launches.
        n = int(self.launch_counts[k])
        raid = generate_raid(
            sc.threat, n, self.site_xy, self.site_p, teams.xy,
            np.full(teams.n, self.envelope_km), stream(self.root, "threat", k + 1),
            stream(self.root, "routing", k), self.area_w,
        )
        self.raid = raid

        # 3. Electronic warfare.
        lost, t_lost = layers.electronic_warfare(
            raid, sc.threat, d.layers.electronic_warfare.enabled, stream(self.root, "ew", k)
        )
        t_gone = np.minimum(raid.t_impact, t_lost)

        # 4. Detection.
        radars = [(self.existing_radar_xy, d.sensors.surveillance),
                  (self.programme_xy[:n_rad], d.sensors.radar)]
        t_track = track_times(raid, d.sensors, radars, stream(self.root, "detection", k))
        tracked = np.isfinite(t_track) & (t_track < t_gone)

        # 5. Interceptors (programme and existing units).
        interceptable = self._interceptable[raid.kind]
        engageable = tracked & interceptable & (raid.altitude_m <= d.interceptor.max_altitude_m)
        pool = (d.layers.existing_interceptors.interceptors_per_night, self.programme_stock)
        res = run_interceptors(
            raid, t_track, t_gone, engageable, teams, pool, d.interceptor, d.crews, d.allocator,
            d.c2_cycle_s, stream(self.root, "engagement", k),
        )
        self.programme_stock -= int(res.expended[1])
        lost &= ~res.killed  # shot down before jamming took it off course
        alive = ~lost & ~res.killed

        # 6. Other layers on what is left.
        mfg_eng, mfg_kill = layers.fire_groups(
            raid, alive, tracked, d.layers.mobile_fire_groups, stream(self.root, "layers", k, 0)
        )
        alive &= ~mfg_kill
        sam_eng, sam_kill = layers.missile_defense(
            raid, alive, d.layers.missile_defense, stream(self.root, "layers", k, 1)
        )
        alive &= ~sam_kill

        # 7. Strikes.
        leaked = alive
        warhead = raid.kind != DECOY
        to_site = raid.target_kind == TARGET_SITE
        u_hit = stream(self.root, "strike", k).random(n)
        hit = leaked & warhead & to_site & (u_hit < sc.threat.targeting.p_hit)
        hits = np.bincount(raid.target[hit], minlength=len(self.sites))
        self.hits_by_site += hits

        fates = np.full(n, "leaked", dtype=object)
        fates[lost] = "ew"
        fates[res.killed] = "interceptor"
        fates[mfg_kill] = "fire_group"
        fates[sam_kill] = "missile"
        self.fates = fates
        self.engagements = {
            "attacker": res.log.attacker, "team": res.log.team, "programme": res.log.programme,
            "t_launch_s": res.log.t_launch, "t_end_s": res.log.t_end,
            "attacks": res.log.attacks, "killed": res.log.killed, "recovered": res.log.recovered,
        }
        self._refresh_drone_agents(n, len(res.log.attacker))

        prog_kill = res.kill_programme == 1
        self.attacker_value_killed_programme += float(raid.cost_eur[prog_kill].sum())
        self.layer_cost_eur += (
            mfg_eng.sum() * d.layers.mobile_fire_groups.cost_per_engagement_eur
            + sam_eng.sum() * d.layers.missile_defense.missile_cost_eur
        )
        aimed = to_site
        cov_sites, cov_cap = self._coverage(teams)
        rec = {
            "night": k,
            "date": self.dates[k].isoformat(),
            "launched": n,
            "launched_shahed": int((raid.kind == SHAHED).sum()),
            "launched_jet": int((raid.kind == JET).sum()),
            "launched_decoy": int((raid.kind == DECOY).sum()),
            "lost_ew": int(lost.sum()),
            "destroyed": int(res.killed.sum() + mfg_kill.sum() + sam_kill.sum()),
            "destroyed_programme": int(prog_kill.sum()),
            "destroyed_existing_interceptors": int((res.kill_programme == 0).sum()),
            "destroyed_fire_groups": int(mfg_kill.sum()),
            "destroyed_missiles": int(sam_kill.sum()),
            "leaked": int(leaked.sum()),
            "leaked_warhead": int((leaked & warhead).sum()),
            "hits_on_sites": int(hit.sum()),
            "aimed_at_energy": int(aimed.sum()),
            "aimed_at_energy_stopped": int((aimed & ~leaked).sum()),
            "tracked": int(tracked.sum()),
            "interceptors_launched": int(res.launched[1]),
            "interceptor_kills": int(res.kills[1]),
            "interceptors_expended": int(res.expended[1]),
            "interceptors_recovered": int(res.recovered[1]),
            "existing_interceptors_launched": int(res.launched[0]),
            "existing_interceptor_kills": int(res.kills[0]),
            "existing_interceptors_recovered": int(res.recovered[0]),
            "fire_group_engagements": int(mfg_eng.sum()),
            "missiles_fired": int(sam_eng.sum()),
            "programme_stock": int(self.programme_stock),
            "programme_sites": n_prog,
            "programme_crews": int(cap.crews[k]),
            "programme_radars": n_rad,
            "programme_spend_eur": float(cap.spend_eur[k]),
            "coverage_sites_fraction": cov_sites,
            "coverage_capacity_fraction": cov_cap,
        }
        for key in NIGHT_COUNTS:
            self.totals[key] += rec[key]

        # 8. Energy consequences.
        if self.energy is not None:
            rec.update(self.energy.night(k, hits))
        self.record = rec
        self.night_rows.append(rec)
        self.datacollector.collect(self)
        self.night += 1

    def _refresh_drone_agents(self, n_attackers: int, n_sorties: int) -> None:
        """Tonight's drones replace last night's. Agents are views onto tonight's arrays, so
        the agents of indexes both nights share are kept; only the difference is created or
        removed."""
        for cls, n, pool in ((AttackDrone, n_attackers, self._drone_agents),
                             (InterceptorDrone, n_sorties, self._sortie_agents)):
            while len(pool) > n:
                pool.pop().remove()
            pool.extend(cls(self, i) for i in range(len(pool), n))

    def close(self) -> None:
        """Let the model be freed once its results are read.

        Mesa 3.3 keeps every model alive through the class-level agent id counters
        (``mesa.Agent._ids``, keyed by model); a sweep worker running thousands of winters would
        grow without bound. Newer Mesa keeps the counter on the model and needs nothing here.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def run(self) -> None:
        """Simulate every remaining night."""
        while self.running:
            self.step()
