"""One night's record: what happened tonight, written step by step by the agents that decide it.

:meth:`sim.model.defense_model.DefenseModel.step` creates a :class:`Night` and hands it to each
agent's ``step(night)`` in the model's fixed phase order. Each agent reads its inputs from the
night and writes its results to it; no agent writes to the model. The outcome registry
(:mod:`sim.model.outcomes`) says how each nightly column is read from a finished night, and the
DataCollector records one row per night from it. The walk of one night:

====  ==========================================  =====================================
step  who, and what it writes                     reads
====  ==========================================  =====================================
1     ``InterceptorForce.step``: ``forces[name]``  its schedule and ledger
      (airframes it can fly, sites, crews, radars
      delivered); the model then sets ``teams``,
      ``defended`` and ``coverage``
2     ``AttackPlanner.step``: ``target_p``,        ``launches``, ``defended``, ``teams``
      ``concentrated`` and the ``raid``
      ``MissileStrikePlanner.step``:
      ``missile_raid``
3     ``SensorNetwork.step``: ``t_track``,         ``raid``, ``forces[name].radars``
      ``radars``
4     ``AirDefenseCommand.step``: ``missiles``     ``raid``, ``missile_raid``, ``t_track``,
      (missile defense), ``engagement`` (EW,       ``teams``, ``forces[name].available``
      interceptors, fire groups, SAM shots)
5     ``InterceptorForce.settle``: its stock       ``engagement``
      after the battle
6     the model's strike: ``hit``,                 ``raid``, ``engagement.leaked``,
      ``drone_hits``, ``missile_hits``             ``missiles``
7     ``GridOperator.step``: ``energy``,           ``drone_hits``, ``missile_hits``
      ``availability``
8     ``AttackPlanner.learn``: the attacker's      ``raid``, ``engagement``, ``drone_hits``,
      policy learns from the night                 ``availability``
9     the DataCollector: one row                   the registry's readers
====  ==========================================  =====================================

Random numbers: :meth:`Night.stream` gives tonight's named stream (:mod:`sim.model.rng`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sim.model.air_defense import FATES
from sim.model.engagement import InterceptResult, Teams
from sim.model.missile_defense import DefenseResult, DefenseTable
from sim.model.missile_threat import CLASSES as MISSILE_CLASSES
from sim.model.missile_threat import N_CLASSES, MissileRaid
from sim.model.missile_threat import TARGET_SITE as MISSILE_AT_SITE
from sim.model.rng import NightStreams, night_stream
from sim.model.threat import DECOY, TARGET_SITE, TYPE_NAMES, Raid


@dataclass(eq=False)
class ForceTonight:
    """One interceptor force on duty tonight (``night.forces[name]``).

    Written by :meth:`sim.model.agents.InterceptorForce.step` (before the battle) and, for
    ``stock``, by :meth:`~sim.model.agents.InterceptorForce.settle` (after it).

    Attributes:
        name: ``national`` or ``programme``.
        programme: whether it is the funded programme.
        available: airframes it can fly tonight (stock, at most its crews' sortie capacity).
        sites: launch sites active tonight.
        site_xy: (sites, 2) their positions (km).
        crews: (sites,) crews at each.
        crews_active: crews on duty (the schedule's).
        radars: its radars delivered by tonight (the schedule's).
        delivered: airframes delivered to date.
        spend_eur: money spent to date.
        limit: what limits it tonight (:data:`sim.model.forces.LABELS`).
        stock: airframes in stock at the end of the night.
    """

    name: str
    programme: bool
    available: int
    sites: int
    site_xy: np.ndarray
    crews: np.ndarray
    crews_active: int
    radars: int
    delivered: int
    spend_eur: float
    limit: str
    stock: int = 0


@dataclass(eq=False)
class Engagement:
    """What the drone defense did tonight (``night.engagement``, arrays over tonight's drones),
    written by :meth:`sim.model.agents.AirDefenseCommand.step`.

    Attributes:
        tracked: C2 had a track before the drone left the battle.
        lost: lost to electronic warfare (and not shot down first).
        leaked: still flying after every layer (reached its target area).
        fate: one of the ``FATE_*`` codes of :mod:`sim.model.air_defense`.
        interceptors: the interceptor battle (:class:`sim.model.engagement.InterceptResult`).
        fire_group_engaged, fire_group_killed: mobile fire groups.
        missile_engaged, missile_killed: surface-to-air missiles fired at drones.
        teams: the launch sites that flew (:class:`sim.model.engagement.Teams`).
        layer_cost_eur: ammunition cost of the fire groups and SAM shots at drones.
    """

    tracked: np.ndarray
    lost: np.ndarray
    leaked: np.ndarray
    fate: np.ndarray
    interceptors: InterceptResult
    fire_group_engaged: np.ndarray
    fire_group_killed: np.ndarray
    missile_engaged: np.ndarray
    missile_killed: np.ndarray
    teams: Teams
    layer_cost_eur: float = 0.0
    front: np.ndarray | None = None  # drones on short-warning front routes (threat.front_stream)


@dataclass(eq=False)
class MissileNight:
    """Tonight's missiles against missile defense (``night.missiles``), written by
    :meth:`sim.model.agents.AirDefenseCommand.step`; ``hits`` by the model's strike.

    Attributes:
        raid: tonight's missiles.
        defense: what missile defense did (:class:`sim.model.missile_defense.DefenseResult`).
        table: the missile-defense systems (:class:`sim.model.missile_defense.DefenseTable`).
        stocks_end: interceptors left by system at the end of the night (after any SAM shots
            at drones taken from the same stocks).
        hits: (sites, classes) missiles of each class that struck each energy site.
    """

    raid: MissileRaid
    defense: DefenseResult
    table: DefenseTable
    stocks_end: np.ndarray
    hits: np.ndarray | None = None

    @cached_property
    def launched(self) -> np.ndarray:
        """(classes,) missiles launched by class."""
        return np.bincount(self.raid.cls, minlength=N_CLASSES)

    @cached_property
    def destroyed(self) -> np.ndarray:
        """(classes,) missiles destroyed by class."""
        return np.bincount(self.raid.cls[self.defense.destroyed], minlength=N_CLASSES)

    @cached_property
    def hits_by_class(self) -> np.ndarray:
        """(classes,) hits on energy sites by class."""
        h = np.asarray(self.hits)
        return h.sum(axis=0) if h.size else np.zeros(N_CLASSES, int)

    @cached_property
    def by_class(self) -> dict[str, dict[str, int]]:
        """``launched``, ``destroyed``, ``leaked`` and ``hits`` -> class name -> count."""
        values = {"launched": self.launched, "destroyed": self.destroyed,
                  "leaked": self.launched - self.destroyed, "hits": self.hits_by_class}
        return {w: {c: int(v) for c, v in zip(MISSILE_CLASSES, a, strict=True)}
                for w, a in values.items()}

    @property
    def aimed_at_energy(self) -> int:
        return int((self.raid.target_kind == MISSILE_AT_SITE).sum())

    @property
    def interceptor_cost_eur(self) -> float:
        """Cost of the interceptors fired at tonight's missiles."""
        return float(self.defense.interceptors_used_by_system @ self.table.cost_eur)


@dataclass(eq=False)
class Night:
    """One night of the winter: everything decided tonight, in the order it was decided.

    Created by :meth:`sim.model.defense_model.DefenseModel.step` with ``index``, ``date``,
    ``root`` and ``launches``; every other attribute is written by the step named in the module
    docstring and read by the later ones, by the outcome registry's readers and by the views
    (:class:`sim.model.agents.AttackDrone`, :class:`~sim.model.agents.InterceptorSortie`).
    """

    index: int
    date: dt.date
    root: np.random.SeedSequence
    launches: int
    n_sites: int
    forces: dict[str, ForceTonight] = field(default_factory=dict)
    teams: Teams | None = None
    defended: np.ndarray | None = None
    coverage: tuple[float, float] = (0.0, 0.0)
    target_p: np.ndarray | None = None
    concentrated: bool = False
    raid: Raid | None = None
    missile_raid: MissileRaid | None = None
    t_track: np.ndarray | None = None
    radars: dict[str, int] = field(default_factory=dict)
    engagement: Engagement | None = None
    missiles: MissileNight | None = None
    hit: np.ndarray | None = None
    drone_hits: np.ndarray | None = None
    missile_hits: np.ndarray | None = None
    energy: dict[str, float] | None = None
    availability: np.ndarray | None = None
    streams: NightStreams | None = field(default=None, repr=False)

    def stream(self, name: str, *sub: int) -> np.random.Generator:
        """Tonight's named random stream (:func:`sim.model.rng.night_stream`; from the run's
        :class:`~sim.model.rng.NightStreams` when it has one: the same draws, faster)."""
        if self.streams is not None:
            return self.streams.get(name, self.index, *sub)
        return night_stream(self.root, name, self.index, *sub)

    # ------------------------------------------------------------------ tallies
    @cached_property
    def _fate_by_type(self) -> np.ndarray:
        """(fates, types) drones by fate and type: one cross-tabulation gives every count."""
        n_types = len(TYPE_NAMES)
        fate = self.engagement.fate.astype(np.int64)
        return np.bincount(fate * n_types + self.raid.kind,
                           minlength=len(FATES) * n_types).reshape(len(FATES), n_types)

    @cached_property
    def by_type(self) -> dict[str, int]:
        """Drones launched by type (``shahed``, ``jet``, ``decoy``)."""
        return {t: int(v) for t, v in zip(TYPE_NAMES, self._fate_by_type.sum(0), strict=True)}

    @cached_property
    def by_fate(self) -> dict[str, int]:
        """Drones by fate (``leaked``, ``ew``, ``interceptor``, ``fire_group``, ``missile``)."""
        return {f: int(v) for f, v in zip(FATES, self._fate_by_type.sum(1), strict=True)}

    @property
    def destroyed(self) -> int:
        """Drones shot down by any kinetic layer."""
        f = self.by_fate
        return f["interceptor"] + f["fire_group"] + f["missile"]

    @property
    def leaked_warhead(self) -> int:
        """Warhead drones (not decoys) that reached their target area."""
        return self.by_fate["leaked"] - int(self._fate_by_type[FATES.index("leaked"), DECOY])

    @cached_property
    def kills_by_force(self) -> dict[str, int]:
        """Drones destroyed by each force's interceptors."""
        k = np.bincount(self.engagement.interceptors.kill_programme + 1, minlength=3)
        return {"national": int(k[1]), "programme": int(k[2])}

    @property
    def aimed_at_energy(self) -> np.ndarray:
        """(N,) drones aimed at an energy site."""
        return self.raid.target_kind == TARGET_SITE

    @property
    def value_killed_by_programme_eur(self) -> float:
        """The attacker's cost of the drones the programme's interceptors destroyed."""
        prog_kill = self.engagement.interceptors.kill_programme == 1
        return float(self.raid.cost_eur[prog_kill].sum())

    @property
    def hits_on_undefended(self) -> int:
        """Drone hits on sites with no interceptor team in reach."""
        return int(self.drone_hits[~self.defended].sum())

    def interceptors(self, force: str, what: str) -> int:
        """``launched``, ``kills``, ``expended`` or ``recovered`` interceptors of a force."""
        return int(getattr(self.engagement.interceptors, what)[int(force == "programme")])

    def attacker_report(self):
        """What the attacker learns of tonight: warhead drones aimed at each site, hits on
        each, drones stopped at each, and each site's share in service."""
        raid, n = self.raid, self.n_sites
        aimed = (raid.target_kind == TARGET_SITE) & (raid.kind != DECOY)
        aimed_n = np.bincount(raid.target[aimed], minlength=n)
        stopped = np.bincount(raid.target[aimed & ~self.engagement.leaked], minlength=n)
        avail = self.availability if self.availability is not None else np.ones(n)
        return aimed_n, self.drone_hits, stopped, avail


def on_duty(national: ForceTonight, programme: ForceTonight, sorties_per_crew: int,
            national_sorties: int | None = None) -> Teams:
    """Tonight's active launch sites of both forces as the engagement kernel's arrays (national
    units first, then the programme). ``national_sorties``: sorties a national crew flies a
    night when it differs from ``sorties_per_crew`` (defense.national_force.sorties)."""
    xy = np.concatenate([national.site_xy, programme.site_xy]).reshape(-1, 2)
    prog = np.r_[np.zeros(national.sites, int), np.ones(programme.sites, int)]
    crews = np.concatenate([national.crews, programme.crews]).astype(int)
    team_sorties = None
    if national_sorties is not None and int(national_sorties) != int(sorties_per_crew):
        team_sorties = np.r_[np.full(national.sites, int(national_sorties)),
                             np.full(programme.sites, int(sorties_per_crew))].astype(np.int64)
    return Teams(xy=xy, programme=prog, crews=crews, sorties_per_crew=sorties_per_crew,
                 team_sorties=team_sorties)
