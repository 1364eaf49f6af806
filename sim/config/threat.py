"""The scenario's ``threat`` section: launches (level, monthly profile, salvos), drone types,
routing, arrival, targeting, the short-warning front stream and the defence's effectiveness noise,
validated by pydantic (the scenario as a whole: :mod:`sim.config.schema`).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.config.attacker import Attacker
from sim.config.base import Strict, did_you_mean
from sim.config.missiles import Missiles
from sim.config.tactics import Tactics


class MonthProfile(Strict):
    p_attack_night: float = Field(ge=0, le=1, description="Probability that a night has an attack.")
    mean: float = Field(ge=0, description="Mean launches on a normal attack night (drones).")
    dispersion: float = Field(gt=0, description="Negative-binomial size k (var = mu + mu^2/k).")
    p_salvo: float = Field(0.0, ge=0, le=1, description="Probability an attack night is a salvo.")
    salvo_mean: float = Field(0.0, ge=0, description="Mean launches on a big-salvo night.")
    salvo_dispersion: float = Field(1.0, gt=0, description="Negative-binomial size of salvos.")


class Launches(Strict):
    profile: Literal["fitted", "custom"] = Field(
        "fitted",
        description="'fitted': monthly launch profile fitted to the Ukrainian Air Force record "
        "(sim/data/threat_profile.json); 'custom': use `monthly` below.",
    )
    monthly: dict[int, MonthProfile] | None = Field(
        None, description="Custom profile by calendar month (1-12); required when profile=custom."
    )
    profile_file: str | None = Field(
        None,
        description="With profile=fitted: a threat profile JSON used instead of the shipped "
        "sim/data/threat_profile.json, e.g. one written by `python -m sim calibrate threat PATH "
        "--out FILE` or by the rolling-origin validation (profile refitted on the months before "
        "a forecast origin). Source: the fit that wrote the file.",
    )
    intensity_multiplier: float = Field(
        1.0, ge=0, le=20, description="Scales the mean launches of every night (what-if threat): "
        "the fitted profile's means, or the level mean_per_night sets (expected launches a "
        "night = mean_per_night x intensity_multiplier)."
    )
    apply_trend: bool = Field(
        False,
        description="Scale the fitted levels (levels at the profile's reference date, Apr 2025) "
        "by the fitted 2023-25 growth trend to the scenario's dates. Off by default: the "
        "exponential trend (x5.4 a year) overshoots the autumn-2025 record when extrapolated.",
    )
    salvo_probability: float | None = Field(
        None, ge=0, le=1,
        description="If set, the probability that an attack night is a big-salvo night in every "
        "month, replacing the fitted p_salvo (winter 2024-25 had none; autumn 2025 saw 'massive "
        "strikes every 10-15 days', Nekrasov Dec 2025, https://en.interfax.com.ua/news/economic/1132249.html).",
    )
    max_per_night: int = Field(
        2000, ge=1, le=20000, description="Upper cap on drones launched in one night."
    )
    mean_per_night: float | None = Field(
        None, ge=0, le=20000,
        description="If set, the fitted profile (its months, salvo nights and trend) is scaled "
        "so that the period's expected launches per night equal this (drones a night) times "
        "intensity_multiplier: the level of a forecast, with the profile's seasonal and nightly "
        "pattern.",
    )

    @model_validator(mode="after")
    def _custom_needs_monthly(self):
        if self.profile == "custom":
            missing = [m for m in range(1, 13) if not self.monthly or m not in self.monthly]
            if missing:
                raise ValueError(f"profile=custom needs monthly entries for months {missing}")
        return self


class DroneType(Strict):
    speed_kmh: float = Field(gt=0, le=3000, description="Cruise speed (km/h).")
    altitude_min_m: float = Field(ge=0, le=20000, description="Lowest cruise altitude (m).")
    altitude_max_m: float = Field(ge=0, le=20000, description="Highest cruise altitude (m).")
    warhead_kg: float = Field(ge=0, description="Warhead mass (kg); 0 for a decoy.")
    unit_cost_eur: float = Field(ge=0, description="Attacker's cost of one drone (EUR).")
    interceptable: bool = Field(
        True, description="Whether programme interceptor drones can engage this type at all."
    )
    p_lost_ew: float = Field(
        0.3, ge=0, le=1, description="Probability of being lost to electronic warfare en route."
    )

    @model_validator(mode="after")
    def _alt_order(self):
        if self.altitude_max_m < self.altitude_min_m:
            raise ValueError("altitude_max_m must be >= altitude_min_m")
        return self


def _default_types() -> dict[str, DroneType]:
    return {
        # Shahed-136 / Geran-2: ~185 km/h max (docs/sources.md §A); warhead 50 kg (36-90 kg range);
        # ~EUR 65k (USD 70k, HUR via CNN Aug 2025). Altitude placeholder 100 m-3 km (UNSOURCED).
        "shahed": DroneType(
            speed_kmh=185, altitude_min_m=100, altitude_max_m=3000, warhead_kg=50,
            unit_cost_eur=65_000, p_lost_ew=0.30,
        ),
        # Geran-3 jet: >500 km/h (Klymenko 2025), up to USD 1M (EST), flies higher; hard to jam.
        "jet": DroneType(
            speed_kmh=500, altitude_min_m=500, altitude_max_m=6000, warhead_kg=50,
            unit_cost_eur=500_000, interceptable=True, p_lost_ew=0.10,
        ),
        # Gerbera-type decoy: max 160 km/h, no warhead; cost UNSOURCED placeholder ~USD 10k.
        "decoy": DroneType(
            speed_kmh=160, altitude_min_m=100, altitude_max_m=3000, warhead_kg=0,
            unit_cost_eur=9_000, p_lost_ew=0.45,
        ),
    }


class Routing(Strict):
    waypoints: int = Field(2, ge=0, le=6, description="Dog-leg waypoints between launch and target.")
    dogleg_km: float = Field(
        60.0, ge=0, le=500, description="Std. dev. of a waypoint's lateral offset (km)."
    )
    avoid_defended_zones: bool = Field(
        True, description="Push waypoints out of known interceptor envelopes (route around them)."
    )
    avoid_margin_km: float = Field(10.0, ge=0, description="Clearance kept from an envelope (km).")


class Arrival(Strict):
    first_launch_h: float = Field(
        18.0, ge=0, le=24, description="Local hour of the first launch of the night."
    )
    launch_window_h: float = Field(
        6.0, gt=0, le=14, description="Launches are spread over this many hours (in waves)."
    )
    waves: int = Field(3, ge=1, le=20, description="Number of launch waves in the window.")
    wave_spread_h: float = Field(0.75, gt=0, description="Std. dev. of launch time in a wave (h).")


class Targeting(Strict):
    energy_share: float = Field(
        0.5, ge=0, le=1,
        description="Share of warhead drones aimed at energy sites; the rest at cities and "
        "other targets (EST; energy campaigns Oct 2025-Feb 2026, docs/sources.md §E).",
    )
    weights_by_site_type: dict[str, float] = Field(
        default_factory=lambda: {
            "thermal": 3.0, "chp": 3.0, "hydro": 2.0, "pumped_storage": 1.0, "nuclear": 0.0,
            "substation_750": 3.0, "substation_330": 2.0, "gas_production": 2.0,
            "gas_storage": 0.5, "water_utility": 0.5,
        },
        description="Relative targeting weight of each site type (times capacity^capacity_exponent).",
    )
    capacity_exponent: float = Field(0.5, ge=0, le=2, description="How strongly size attracts.")
    p_hit: float = Field(
        0.7, ge=0, le=1, description="Probability that a warhead drone reaching its site hits it (EST)."
    )

    @field_validator("weights_by_site_type")
    @classmethod
    def _nonneg(cls, v):
        for k, w in v.items():
            if w < 0 or not math.isfinite(w):
                raise ValueError(f"weight for {k!r} must be a finite number >= 0")
        return v


class FrontStream(Strict):
    """Drones on short-warning routes to targets near the front (Sumy, Kharkiv, Chernihiv,
    Odesa, Dnipro oblasts): they cross into Ukrainian-held airspace a few minutes from their
    targets, so no layer (EW, interceptors, fire groups, SAMs) can reach them in time. Each
    night ``Poisson(per_night) + Binomial(rest, share_of_launched)`` of the night's drones
    fly so (at most all of them); they keep the raid's targets. The Air Force record since
    Apr 2025 shows leakers ~ c + s x launched with c = 11-17 drones and s = 3-8 %
    (issue 19; sim/data/air_force_nights.csv); the values are fitted
    (sim/data/defence_fit.json). Off by default (both 0)."""

    per_night: float = Field(
        0.0, ge=0, le=10_000,
        description="Mean drones a night on short-warning front routes, whatever the salvo "
        "(drones a night; fitted).",
    )
    share_of_launched: float = Field(
        0.0, ge=0, le=1,
        description="Further share of the night's other drones on such routes (share of "
        "launched; fitted).",
    )
    energy_reach_km: float = Field(
        200.0, ge=0, le=5000,
        description="A front-stream drone strikes an energy site only if the site lies within "
        "this distance of its launch point (km); the others strike near-front targets that "
        "are not in the model's energy sites (EST: the short-warning routes reach Sumy, "
        "Kharkiv, Chernihiv, Odesa and Dnipro oblasts).",
    )
    from_month: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        description="First month (YYYY-MM) the stream flies; null: every month. The record's "
        "constant nightly leak appears from Apr 2025 (issue 19).",
    )


class EffectivenessNoise(Strict):
    """Night-to-night and month-to-month variation of the defence's effectiveness: every
    layer's kill or loss probability p (EW loss, interceptor and fire-group kill, SAM kill)
    becomes ``expit(logit(p) + e)`` with ``e = sigma_month * z_month + sigma_night *
    z_night``, standard normal draws per calendar month and per night (keyed by the date, so
    a run that starts later sees the same draws). Fitted to the record's dispersion
    (sim/data/defence_fit.json). Off by default (both 0)."""

    sigma_month: float = Field(
        0.0, ge=0, le=5, description="Month-to-month standard deviation (logit units; fitted)."
    )
    sigma_night: float = Field(
        0.0, ge=0, le=5, description="Night-to-night standard deviation (logit units; fitted)."
    )


class Threat(Strict):
    launches: Launches = Field(default_factory=Launches)
    front_stream: FrontStream = Field(
        default_factory=FrontStream,
        description="Drones on short-warning routes to near-front targets that no layer can "
        "reach in time (the nightly leak the record shows).")
    decoy_share: float = Field(
        0.38, ge=0, le=1,
        description="Share of launches that are decoys (Gerbera kind). 38% from the Air Force's "
        "'of them N Shaheds' figures Oct 2025-Mar 2026 (Air Force record, docs/sources.md §A).",
    )
    jet_share: float = Field(
        0.02, ge=0, le=1,
        description="Share of launches that are jet Geran-3 (rarely reported, EST; docs/sources.md §A).",
    )
    types: dict[str, DroneType] = Field(
        default_factory=_default_types,
        description="The drone types shahed, jet and decoy; a type given in part keeps the "
        "defaults of the keys it leaves out.")
    launch_areas: dict[str, float] | None = Field(
        None,
        description="Launch area id -> weight; default: all packaged areas weighted by the record "
        "(sim/data/launch_areas.csv).",
    )
    routing: Routing = Field(default_factory=Routing)
    arrival: Arrival = Field(default_factory=Arrival)
    targeting: Targeting = Field(default_factory=Targeting)
    missiles: Missiles = Field(default_factory=Missiles, description="Missile stream (off by default).")
    attacker: Attacker = Field(default_factory=Attacker,
                               description="How the attacker chooses its energy targets: static, "
                               "best_response or learning (EXP3).")
    tactics: Tactics = Field(default_factory=Tactics,
                             description="Tactics month by month (altitudes, decoys, jets, evasion, "
                             "salvos); empty: constant all winter.")

    @field_validator("types", mode="before")
    @classmethod
    def _types_over_defaults(cls, v):
        """A type given in part keeps the default values of the keys it leaves out."""
        if not isinstance(v, dict):
            return v
        defaults = _default_types()
        extra = sorted(str(k) for k in v if k not in defaults)
        if extra:  # a misspelt type would be silently ignored
            raise ValueError(f"unknown drone type {extra[0]!r}{did_you_mean(extra[0], defaults)}"
                             "; the types are shahed, jet and decoy")
        return {k: ({**defaults[k].model_dump(), **e} if k in defaults and isinstance(e, dict)
                    else e) for k, e in v.items()}

    @model_validator(mode="after")
    def _shares(self):
        if self.decoy_share + self.jet_share > 1.0 + 1e-12:
            raise ValueError("decoy_share + jet_share must be <= 1")
        missing = {"shahed", "jet", "decoy"} - set(self.types)
        if missing:
            raise ValueError(f"types must define {sorted(missing)}")
        for kind in ("shahed", "decoy"):  # a band's missing limit: each drone type's own
            ty = self.types[kind]
            for month, t in self.tactics.timeline.items():
                for i, b in enumerate(t.altitude_bands_m or []):
                    low, high = b.limits(ty.altitude_min_m, ty.altitude_max_m)
                    if high < low:
                        own, inherited = (("low_m", f"threat.types.{kind}.altitude_max_m")
                                          if b.high_m is None else
                                          ("high_m", f"threat.types.{kind}.altitude_min_m"))
                        raise ValueError(
                            f"tactics.timeline.{month}.altitude_bands_m[{i}]: {own} "
                            f"{getattr(b, own):g} and {inherited} "
                            f"{high if b.high_m is None else low:g} (which the band takes as its "
                            f"{'high_m' if b.high_m is None else 'low_m'} for {kind} drones) "
                            "leave the band empty; give the band both limits or change the "
                            "type's")
        return self
