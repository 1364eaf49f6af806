"""Scenario schema: one YAML file per policy question, validated by pydantic.

A scenario is data. Every key carries its unit in its name (``speed_kmh``, ``cost_eur``,
``range_km``) and unknown keys are refused, so a typo never silently falls back to a default.
Defaults describe winter 2025-26 as far as public sources allow; the source of each default is
in the field description (see also ``docs/sources.md`` and ``sim/data/README.md``).

Reading a file lives in :mod:`sim.config.io`, key paths and ``--set`` in
:mod:`sim.config.overrides`; the threat section in :mod:`sim.config.threat`, the energy section
in :mod:`sim.config.energy`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.config.base import Strict, did_you_mean
from sim.config.energy import EnergyConfig
from sim.config.forces import NationalForce, Programme
from sim.config.missiles import MissileDefenseSystems
from sim.config.portfolio import Portfolio, check_scenario
from sim.config.tactics import KillTable
from sim.config.threat import (  # noqa: F401 (the threat section, part of the schema)
    Arrival,
    DroneType,
    EffectivenessNoise,
    FrontStream,
    Launches,
    MonthProfile,
    Routing,
    Targeting,
    Threat,
)

# --------------------------------------------------------------------------- period
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)
"""Dates a scenario may name (sim.config.validation checks every date of a file against them)."""


class Period(Strict):
    start_date: dt.date = Field(
        dt.date(2025, 11, 1), description="Date of the first night (the evening it starts)."
    )
    nights: int = Field(151, ge=1, le=3660, description="Number of nights simulated.")

    @model_validator(mode="after")
    def _inside_the_calendar(self) -> Period:
        last = self.start_date + dt.timedelta(days=self.nights - 1) \
            if self.start_date <= LAST_DATE else self.start_date
        if not FIRST_DATE <= self.start_date <= LAST_DATE or last > LAST_DATE:
            raise ValueError(f"the nights {self.start_date} to {last} leave the dates the model "
                             f"takes ({FIRST_DATE} to {LAST_DATE})")
        return self

    @property
    def dates(self) -> list[dt.date]:
        return [self.start_date + dt.timedelta(days=i) for i in range(self.nights)]

    @property
    def months(self) -> list[str]:
        """Calendar months ('YYYY-MM') the period touches, in order."""
        return list(dict.fromkeys(d.strftime("%Y-%m") for d in self.dates))


# --------------------------------------------------------------------------- defense
class Split(Strict):
    """A fixed split of the programme budget into envelopes (``defense.split``); the other form
    is ``split: auto`` (balanced packages per crew, :func:`sim.model.forces.force_schedule`)."""

    interceptors: float = Field(0.70, ge=0, le=1, description="Budget share for interceptor drones.")
    crews: float = Field(
        0.12, ge=0, le=1,
        description="Budget share for crews: training, pay and their ground stations.",
    )
    sensors: float = Field(0.12, ge=0, le=1, description="Budget share for radars.")
    launch_sites: float = Field(0.06, ge=0, le=1, description="Budget share for launch sites.")

    @model_validator(mode="after")
    def _sum(self):
        total = self.interceptors + self.crews + self.sensors + self.launch_sites
        if total > 1.0 + 1e-9:
            raise ValueError(f"shares sum to {total:.4f}; they must sum to at most 1")
        return self


class Costs(Strict):
    interceptor_unit_cost_eur: float = Field(
        4_000, gt=0,
        description="One interceptor drone (USD 3-5k, Zelensky Oct 2025; Sting ~USD 2.5k; "
        "Merops ~USD 15k; docs/sources.md §B).",
    )
    crew_training_cost_eur: float = Field(
        20_000, ge=0, description="Training and kit for one crew (EST, UNSOURCED)."
    )
    crew_cost_eur_per_month: float = Field(
        15_000, ge=0, description="Running cost of one crew per month (EST, UNSOURCED)."
    )
    radar_unit_cost_eur: float = Field(
        400_000, gt=0, description="One short-range 3D radar (EST, UNSOURCED)."
    )
    launch_site_cost_eur: float = Field(
        150_000, gt=0, description="One launch site: vehicle, comms, position (EST)."
    )
    ground_station_unit_cost_eur: float = Field(
        25_000, gt=0,
        description="One ground control station (control unit, video and data links, antennas; "
        "EST, UNSOURCED).",
    )


class Delivery(Strict):
    """Programme delivery dates and the most that can be delivered a month."""

    first_delivery_date: dt.date | None = Field(
        None,
        description="First programme airframes, ground stations, radars and sites arrive. "
        "Default (null): defense.programme.decision_date + contracting_lead_days (1 Dec 2025).",
    )
    interceptors_per_month: float | None = Field(
        None, ge=0,
        description="Cap on programme airframes delivered a month (older files: the fixed "
        "rate). Default (null): no cap; the rate follows the money ordered "
        "(defense.programme.production). Under programme.model=fixed_rates: 12,000 if null.",
    )
    crews_per_month: float = Field(
        40, ge=0,
        description="Programme crews entering training a month at most: the training "
        "capacity the programme can use (EST).",
    )
    ground_stations_per_month: float = Field(
        60, ge=0, description="Programme ground stations delivered a month at most (EST)."
    )
    radars_per_month: float = Field(10, ge=0, description="Radars delivered a month at most (EST).")
    launch_sites_per_month: float = Field(
        40, ge=0, description="Launch sites set up a month at most (EST)."
    )


class Interceptor(Strict):
    speed_kmh: float = Field(
        300, gt=0, le=2000, description="Dash speed (Sting up to 315 km/h, Merops 282; docs/sources.md §B)."
    )
    endurance_min: float = Field(20, gt=0, le=600, description="Flight endurance (min, EST).")
    max_engagement_range_km: float = Field(
        25, gt=0, description="Furthest intercept point from the launch site (km, EST)."
    )
    max_altitude_m: float = Field(
        5000, ge=0, description="Highest altitude at which it can engage (m, EST)."
    )
    pk: float = Field(
        0.68, ge=0, le=1,
        description="Kill probability of one engagement (68%, Zelensky Oct 2025; https://irtafax.com/zelenskyj-nazvav-vartist-ta-efektyvnist-droniv-perekhopliuvachiv-proty-shahed/).",
    )
    pk_jet_factor: float = Field(
        0.3, ge=0, le=1, description="pk multiplier against jet drones (EST; Reuters Aug 2025)."
    )
    pk_by_altitude_m: KillTable | None = Field(
        None, description="pk factor by the target's altitude (m); none: no dependence.")
    pk_by_speed_kmh: KillTable | None = Field(
        None, description="pk factor by the target's speed (km/h); none: no dependence (jets "
        "still take pk_jet_factor).")
    pk_evading_factor: float = Field(
        1.0, ge=0, le=1, description="pk multiplier against a drone that evades "
        "(threat.tactics evading_share; rear-view cameras, Myronenko 2025, EST).")
    launch_delay_s: float = Field(
        60, ge=0, description="From assignment to the interceptor in the air (s)."
    )
    reengage: bool = Field(
        False,
        description="A missed interceptor can turn and attack again while fuel allows (off by "
        "default: 2-3 interceptors are spent per Shahed, Zelensky 12 Oct 2025, https://irtafax.com/zelenskyj-nazvav-vartist-ta-efektyvnist-droniv-perekhopliuvachiv-proty-shahed/).",
    )
    reattack_turn_s: float = Field(
        20, ge=0, description="Time to turn and re-acquire after a miss (s)."
    )
    max_attacks_per_sortie: int = Field(
        3, ge=1, le=10, description="Attacks one interceptor may fly at one drone (doctrine)."
    )
    look_s: float = Field(
        30, ge=0, description="Time to assess a miss before another interceptor is assigned (s)."
    )
    p_recover_on_miss: float = Field(
        0.5, ge=0, le=1, description="Chance a missed interceptor that stops is recovered (EST)."
    )


class Crews(Strict):
    sorties_per_crew_per_night: int = Field(
        8, ge=0, le=200, description="Interceptors one crew can fly in one night (EST)."
    )
    reset_s: float = Field(
        120, ge=0, description="Crew time between one engagement ending and the next launch (s)."
    )
    crews_per_site: int = Field(
        2, ge=1, le=50, description="Crews a launch site holds (both forces; EST)."
    )
    expected_airframes_per_crew_per_night: float = Field(
        2.0, ge=0, le=200,
        description="Airframes a crew is expected to spend on an average night: what `split: "
        "auto` buys per crew-night and what the 'airframes' limit is judged against (EST: 2-3 "
        "interceptors per Shahed, Zelensky, 12 Oct 2025; about one engagement a crew-night).",
    )


class Acoustic(Strict):
    p_detect: float = Field(
        0.9, ge=0, le=1, description="Detection probability below max_altitude_m (Sky Fortress, EST)."
    )
    max_altitude_m: float = Field(
        1000, ge=0, description="Acoustic coverage ceiling (m): 'at 1,000 m and below' (NATO "
        "ASG Goffus, docs/sources.md §C)."
    )
    latency_s: float = Field(60, ge=0, description="From detection to a track at C2 (s).")


class RadarSpec(Strict):
    range_km: float = Field(40, gt=0, description="Instrumented range (km).")
    mast_height_m: float = Field(15, ge=0, description="Antenna height (m), for the radar horizon.")
    p_detect: float = Field(0.95, ge=0, le=1, description="Probability of detecting a drone in cover.")
    latency_s: float = Field(10, ge=0, description="From detection to a track at C2 (s).")


class SurveillanceRadars(Strict):
    """Ukraine's existing air-surveillance radars (present without the programme)."""

    count: int = Field(
        20, ge=0, description="Radars, placed at the largest cities by weight (EST)."
    )
    range_km: float = Field(
        120, gt=0, description="Instrumented range (km, EST: P-18/35D6-class radars)."
    )
    mast_height_m: float = Field(25, ge=0, description="Antenna height (m), for the horizon.")
    p_detect: float = Field(0.9, ge=0, le=1, description="Detection probability in cover (EST).")
    latency_s: float = Field(30, ge=0, description="From detection to a track at C2 (s).")


class Sensors(Strict):
    acoustic: Acoustic = Field(default_factory=Acoustic)
    radar: RadarSpec = Field(
        default_factory=RadarSpec, description="Programme radars (at programme launch sites)."
    )
    surveillance: SurveillanceRadars = Field(default_factory=SurveillanceRadars)


BASING_POLICIES = ("energy_sites", "cities", "corridors", "custom", "grid_critical",
                   "threat_weighted", "mix")
"""Names of the basing strategies (:data:`sim.model.basing.STRATEGIES` defines each one)."""


class Basing(Strict):
    policy: Literal[BASING_POLICIES] = Field(
        "energy_sites",
        description="Where launch sites go (a named strategy, sim/model/basing.py): "
        "energy_sites (the most valuable energy sites), cities (around the big cities), "
        "corridors (along the approach axes), custom (at `custom_sites`), grid_critical (the "
        "sites whose loss sheds the most peak demand on the grid model, EST), threat_weighted "
        "(targeting weight times nearness to the launch areas, EST) or mix (several of these "
        "interleaved by `mix_weights`).",
    )
    site_types: list[str] = Field(
        default_factory=lambda: [
            "thermal", "chp", "hydro", "substation_750", "substation_330", "gas_production",
        ],
        description="Energy site types eligible for launch sites under energy_sites policy.",
    )
    custom_sites: list[str] = Field(
        default_factory=list, description="Energy site or city ids, for policy=custom."
    )
    corridor_depth_km: list[float] = Field(
        default_factory=lambda: [40.0, 120.0],
        description="Distances inside the border at which corridor sites are placed (km).",
    )
    mix_weights: dict[str, float] = Field(
        default_factory=dict,
        description="For policy=mix: strategy name -> weight (>= 0); the sites are taken from "
        "each strategy's list in turn so that every prefix is shared by weight, skipping a "
        "position within 1 km of one another strategy gave (e.g. what `python -m sim optimise` "
        "writes).",
    )

    @field_validator("mix_weights")
    @classmethod
    def _mix_names(cls, v):
        for k, w in v.items():
            if k not in BASING_POLICIES or k == "mix":
                known = ", ".join(p for p in BASING_POLICIES if p != "mix")
                raise ValueError(f"unknown strategy {k!r} (known: {known})")
            if not (w >= 0 and math.isfinite(w)):
                raise ValueError(f"weight of {k!r} must be a finite number >= 0 (got {w})")
        return v

    @model_validator(mode="after")
    def _mix_needs_weights(self):
        if self.policy == "mix" and not any(w > 0 for w in self.mix_weights.values()):
            raise ValueError("policy=mix needs mix_weights with at least one weight > 0")
        return self


class ExistingInterceptors(Strict):
    """Ukraine's own interceptor-drone units as a fixed layer: used when
    ``defense.national_force.model`` is ``fixed`` (the default force is the growing
    ``defense.national_force``)."""

    launch_sites: int = Field(
        12, ge=0,
        description="Existing interceptor launch sites at the start of winter 2025-26 (EST: "
        "'>150 kills since the start of the month' on 12 Nov 2025, https://focus.ua/uk/voennye-novosti/732529-droni-perehplyuvachi-zbivayut-rosiyski-bpla-zelenskiy-rozpoviv-skilki-zbili-u-listopadi).",
    )
    interceptors_per_night: int = Field(
        60, ge=0, description="Interceptors the existing units can spend per night (EST)."
    )
    basing: Literal["energy_sites", "corridors", "cities"] = Field(
        "cities", description="Where the existing units are based."
    )


class MobileFireGroups(Strict):
    p_engage: float = Field(
        0.95, ge=0, le=1,
        description="Probability that a tracked drone still flying meets a cued group. With pk, "
        "fitted to the Air Force record Oct 2024 - Mar 2025 (p_engage x pk = 0.90; "
        "sim/data/defense_calibration.json, docs/validation.md).",
    )
    pk: float = Field(
        0.95, ge=0, le=1, description="Kill probability of an engagement (fitted with p_engage)."
    )
    max_altitude_m: float = Field(
        1500, ge=0,
        description="Highest drone altitude fire groups can engage (m): heavy machine guns and "
        "AA guns (EST). Shaheds moved up to 3-5 km in 2025 (docs/sources.md §A), out of their reach.",
    )
    pk_jet_factor: float = Field(0.2, ge=0, le=1, description="pk multiplier against jets (EST).")
    pk_by_altitude_m: KillTable | None = Field(
        None, description="pk factor by the target's altitude (m), below max_altitude_m; none: "
        "no dependence.")
    engagements_per_night: int = Field(
        600, ge=0, description="Nightly cap on engagements by all groups (saturation, EST)."
    )
    cost_per_engagement_eur: float = Field(
        2_000, ge=0, description="Ammunition and MANPADS share per engagement (EST)."
    )


class ElectronicWarfare(Strict):
    enabled: bool = Field(
        True, description="Apply each type's p_lost_ew (drones lost to jamming en route)."
    )


class MissileDefenseLayer(Strict):
    """``defense.layers.missile_defense``: surface-to-air missiles fired at drones near their
    targets (the systems that engage missiles are :class:`sim.config.missiles.
    MissileDefenseSystems`, ``defense.missile_defense``)."""

    p_engage: float = Field(
        0.15, ge=0, le=1,
        description="Probability that a surviving drone near its target is engaged by SAMs (EST).",
    )
    pk: float = Field(0.8, ge=0, le=1, description="Kill probability of a missile engagement.")
    missiles_per_night: int = Field(
        30, ge=0, description="Missiles that can be spent on drones per night (EST)."
    )
    missile_cost_eur: float = Field(
        500_000, ge=0, description="Cost of one SAM shot at a drone (CSIS: >USD 3M for big SAMs)."
    )


class Layers(Strict):
    mobile_fire_groups: MobileFireGroups = Field(default_factory=MobileFireGroups)
    electronic_warfare: ElectronicWarfare = Field(default_factory=ElectronicWarfare)
    missile_defense: MissileDefenseLayer = Field(default_factory=MissileDefenseLayer)
    existing_interceptors: ExistingInterceptors = Field(default_factory=ExistingInterceptors)


class Defense(Strict):
    budget_eur: float = Field(
        0.0, ge=0, le=1e12, description="Programme funding (EUR); 0 = no programme. With "
        "defense.portfolio: the money it spreads over the options."
    )
    split: Split | Literal["auto"] = Field(
        "auto",
        description="How the programme budget is split: 'auto' buys balanced packages (per "
        "crew: training and pay, its ground station, its share of a launch site and a radar, "
        "and the airframes it is expected to fly; once training capacity binds, more airframes "
        "up to the crews' full sortie capacity), or fixed shares (interceptors, crews, sensors, "
        "launch_sites).",
    )
    costs: Costs = Field(default_factory=Costs)
    delivery: Delivery = Field(default_factory=Delivery)
    programme: Programme = Field(default_factory=Programme)
    national_force: NationalForce = Field(default_factory=NationalForce)
    interceptor: Interceptor = Field(default_factory=Interceptor)
    crews: Crews = Field(default_factory=Crews)
    sensors: Sensors = Field(default_factory=Sensors)
    basing: Basing = Field(default_factory=Basing)
    layers: Layers = Field(default_factory=Layers)
    effectiveness_noise: EffectivenessNoise = Field(
        default_factory=EffectivenessNoise,
        description="Night-to-night and month-to-month variation of every layer's "
        "effectiveness (logit units).")
    missile_defense: MissileDefenseSystems = Field(
        default_factory=MissileDefenseSystems, description="Systems that engage missiles.")
    allocator: Literal["greedy", "optimal"] = Field(
        "greedy",
        description="C2 assignment: nearest-available greedy, or an optimal assignment per C2 "
        "cycle (scipy linear_sum_assignment).",
    )
    c2_cycle_s: float = Field(
        30.0, gt=0, le=3600, description="Length of a C2 assignment cycle for the optimal allocator (s)."
    )
    portfolio: Portfolio | None = Field(
        None,
        description="Spread defense.budget_eur over ways of keeping the lights on (interceptor "
        "drones, missile interceptors, fire groups, EW, passive protection, spares and repair, "
        "distributed generation), each with its cost model (sim/config/portfolio_options.py); null: the "
        "whole budget is the interceptor-drone programme. Turned into deliveries night by "
        "night by sim.model.portfolio, each acting through its mechanism of the model "
        "(docs/portfolio.md).",
    )

    @field_validator("split", mode="before")
    @classmethod
    def _split_form(cls, v):
        if isinstance(v, dict | Split) or v == "auto":
            return v
        raise ValueError(
            "must be 'auto' or a mapping of shares {interceptors, crews, sensors, launch_sites}"
        )


# --------------------------------------------------------------------------- scenario
class Scenario(Strict):
    name: str = Field(min_length=1, max_length=200, description="Short name, used in outputs.")
    description: str = Field("", description="What question the scenario answers; sources.")
    base: str | None = Field(
        None, description="Scenario file this one starts from (relative to this file); this "
        "file changes only what it lists.")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="Root seed for all random streams.")
    period: Period = Field(default_factory=Period)
    threat: Threat = Field(default_factory=Threat)
    defense: Defense = Field(default_factory=Defense)
    energy: EnergyConfig = Field(default_factory=EnergyConfig)
    sites_file: str | None = Field(
        None,
        description="Energy-site CSV replacing the packaged list (same columns as "
        "sim/data/energy_sites.csv); a relative path is taken from the working folder.",
    )

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str) -> str:
        """The name is the default results folder (results/NAME): it must stay inside it."""
        bad = [c for c in v if c in '/\\:*?"<>|' or ord(c) < 32]
        if bad or v.strip() in (".", "..") or v.startswith(".") or v != v.strip():
            raise ValueError(
                f"{v!r} cannot name a results folder (results/NAME): use letters, digits, "
                "'-', '_' and '.', not starting with a dot" + (f" (it has {bad[0]!r})" if bad
                                                               else ""))
        if len(v.encode("utf-8")) > 150:
            raise ValueError(f"is {len(v.encode('utf-8'))} bytes; a name is at most 150 (it "
                             "names the results folder)")
        return v

    def site_type_problems(self) -> list[str]:
        """Names in the free-form site-type lists and maps that are not site types
        (sim.config.energy.SITE_TYPES): a typo there silently switches a mechanism off (a
        misspelt targeting weight gets no drones, a misspelt basing type no launch sites).
        Checked when a scenario is read (sim.config.io), not on a bare section, so code may
        still build a section to test what the model does with it."""
        from sim.config.energy import SITE_TYPES

        out = []
        for key, names, why in (
                ("threat.targeting.weights_by_site_type", self.threat.targeting.weights_by_site_type,
                 "a misspelt type gets no drones"),
                ("defense.basing.site_types", self.defense.basing.site_types,
                 "a misspelt type gets no launch sites")):
            for name in names:
                if name not in SITE_TYPES:
                    out.append(f"{key}: unknown site type {name!r}"
                               f"{did_you_mean(name, SITE_TYPES)} ({why}); the site types are "
                               f"{', '.join(SITE_TYPES)}")
        return out

    @model_validator(mode="after")
    def _timeline_covers_period(self) -> Scenario:
        try:
            self.threat.tactics.check_period(self.period.months)
        except ValueError as exc:
            raise ValueError(f"threat.tactics.timeline: {exc}") from None
        return self

    @model_validator(mode="after")
    def _portfolio_fits(self) -> Scenario:
        check_scenario(self)
        return self
