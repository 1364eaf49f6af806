"""Scenario sections for missiles: ``threat.missiles`` (the second threat stream) and
``defense.missile_defense`` (the missile-defence layer that engages them).

Missile classes (``MISSILE_CLASSES``), each with its own profile:

* ``cruise``: Kh-101/Kh-555, Kalibr, Iskander-K (subsonic, low-flying);
* ``ballistic``: Iskander-M/KN-23, Kinzhal, S-300/S-400 in ground-attack use;
* ``kh22``: Kh-22 and Kh-32 (supersonic, high dive, 0.5-1 t warhead);
* ``kh59``: Kh-59 and Kh-69 (tactical air-launched cruise missiles).

Only the systems of ``defense.missile_defense`` engage missiles. Their interceptor stocks are
finite and resupplied monthly; each system has a kill probability by class (ballistic low),
interceptors fired per engagement by class and the share of each class's targets it covers.

Per-class and per-system dictionaries may list only some entries (and only some fields of an
entry); the rest keep their defaults. Class names are checked: an unknown class is refused with
the key path and the list of valid names. Stocks, costs and rates must be >= 0.

Numbers carry their source in the field description or next to the default; "EST" marks an
estimate where no public figure exists (interceptor stocks, resupply, coverage). Nothing here
imports numpy or pandas (fast start).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from sim.config.base import Strict

MISSILE_CLASSES: tuple[str, ...] = ("cruise", "ballistic", "kh22", "kh59")
"""Missile classes of the model, in the order of every per-class array."""

MAX_INTERCEPTORS_PER_ENGAGEMENT = 4
"""Most interceptors one system fires at one missile (the kernel draws this many kill uniforms
per missile, whatever the configuration, so that common random numbers hold)."""

_VALID = ", ".join(MISSILE_CLASSES)


def check_class_names(keys, where: str) -> None:
    """Raise ValueError naming the unknown classes and the valid ones."""
    unknown = [str(k) for k in keys if k not in MISSILE_CLASSES]
    if unknown:
        raise ValueError(
            f"{where}: unknown missile class(es) {', '.join(repr(u) for u in unknown)}; "
            f"valid classes: {_VALID}"
        )


def _merge(defaults: dict[str, dict], raw: Any, where: str, check_names: bool) -> Any:
    """Merge a user mapping of entries over the defaults (one level of nested dicts too)."""
    if not isinstance(raw, dict):
        return raw
    if check_names:
        check_class_names(raw, where)
    out = {k: dict(v) for k, v in defaults.items()}
    for name, entry in raw.items():
        if isinstance(entry, BaseModel):
            entry = entry.model_dump()
        if name in out and isinstance(entry, dict):
            base = out[name]
            for key, value in entry.items():
                if isinstance(value, dict) and isinstance(base.get(key), dict):
                    base[key] = {**base[key], **value}
                else:
                    base[key] = value
        else:
            out[name] = entry
    return out


# --------------------------------------------------------------------------- threat.missiles
class MissileClass(Strict):
    """Flight profile, warhead and cost of one missile class."""

    weapons: str = Field(
        "", description="Weapons in the class, as labelled in the Air Force record (free text)."
    )
    speed_kmh: float = Field(
        gt=0, le=30000,
        description="Typical speed (km/h); CSIS Missile Threat / Wikipedia, per class in "
        "sim/config/missiles.py.",
    )
    altitude_m: float = Field(
        ge=0, le=100000,
        description="Typical cruise altitude, or apogee for ballistic (m); CSIS Missile Threat / "
        "Wikipedia, per class in sim/config/missiles.py.",
    )
    flight_time_min: float = Field(
        gt=0, le=600, description="Typical time from launch to impact (min); EST from range/speed."
    )
    warhead_kg: float = Field(
        ge=0, le=5000,
        description="Warhead mass (kg); CSIS Missile Threat / Wikipedia, per class in "
        "sim/config/missiles.py.",
    )
    unit_cost_eur: float = Field(
        ge=0,
        description="Attacker's cost of one missile (EUR); leaked contract prices and press "
        "estimates (sim/config/missiles.py), EST.",
    )
    p_hit: float = Field(
        ge=0, le=1,
        description="Probability that a missile not shot down hits the site it was aimed at "
        "(reliability times accuracy; EST).",
    )


def _default_classes() -> dict[str, dict]:
    # Sources (public):
    #   Kh-101: CSIS Missile Threat https://missilethreat.csis.org/missile/kh-101-kh-102/
    #     (warhead ~400-450 kg, Mach 0.58 cruise / 0.78 max, 30-70 m terrain following);
    #   Kalibr: CSIS https://missilethreat.csis.org/missile/ss-n-30a/ (450 kg, subsonic);
    #   Iskander-M: CSIS https://missilethreat.csis.org/missile/ss-26-2/ and
    #     https://en.wikipedia.org/wiki/9K720_Iskander (480-700 kg, apogee ~50 km, Mach 6-7);
    #   Kinzhal: CSIS https://missilethreat.csis.org/missile/kinzhal/ (480 kg);
    #   Kh-22/Kh-32: https://en.wikipedia.org/wiki/Kh-22 (950-1,000 kg; Kh-32 500 kg;
    #     Mach 3.5-4.6, cruise at up to ~27 km then a steep dive);
    #   Kh-59/Kh-69: https://en.wikipedia.org/wiki/Kh-59 (Kh-59M 320 kg, Mach 0.88, low level).
    #   Costs: leaked Russian contract prices 2024-25, Defence Blog / Militarnyi
    #     https://defence-blog.com/analysts-break-down-real-cost-of-russian-missiles/
    #     (Kh-101 ~USD 2.0-2.4M, Kalibr ~2M, Iskander-M 2.4-3.0M, Kinzhal ~4.5M); Kh-22 ~USD 1M
    #     (Ekonomichna Pravda / Forbes Ukraine estimate,
    #     https://www.pravda.com.ua/eng/news/2024/08/26/7472003/); Kh-59 EST. USD -> EUR at
    #     0.92. All EST.
    #   p_hit: EST. Kh-22's anti-ship radar seeker is inaccurate against ground targets
    #     (CEP > 90 m, Wikipedia Kh-22), hence lower.
    return {
        "cruise": {
            "weapons": "Kh-101/Kh-555, Kalibr, Iskander-K",
            "speed_kmh": 750.0, "altitude_m": 50.0, "flight_time_min": 150.0,
            "warhead_kg": 450.0, "unit_cost_eur": 2_000_000.0, "p_hit": 0.8,
        },
        "ballistic": {
            "weapons": "Iskander-M/KN-23, Kinzhal, S-300/S-400 (ground attack)",
            "speed_kmh": 6000.0, "altitude_m": 50000.0, "flight_time_min": 6.0,
            "warhead_kg": 480.0, "unit_cost_eur": 2_500_000.0, "p_hit": 0.8,
        },
        "kh22": {
            "weapons": "Kh-22, Kh-32",
            "speed_kmh": 4000.0, "altitude_m": 27000.0, "flight_time_min": 12.0,
            "warhead_kg": 950.0, "unit_cost_eur": 900_000.0, "p_hit": 0.5,
        },
        "kh59": {
            "weapons": "Kh-59, Kh-69",
            "speed_kmh": 1000.0, "altitude_m": 50.0, "flight_time_min": 20.0,
            "warhead_kg": 320.0, "unit_cost_eur": 550_000.0, "p_hit": 0.7,
        },
    }


class CustomMissileProfile(Strict):
    """A hand-set nightly missile model, the same every month (``profile: custom``)."""

    combined_nights_per_month: float = Field(
        2.0, ge=0, le=31,
        description="Mean number of combined-strike nights (10+ missiles) per month. The record "
        "had 1-4 a month from Oct 2024 to Sep 2025 (sim/data/missile_profile.json).",
    )
    p_combined_given_salvo: float | None = Field(
        None, ge=0, le=1,
        description="Probability of a combined strike on a drone big-salvo night; default "
        "(None): the same rate as on other nights.",
    )
    combined_launches: dict[str, float] = Field(
        default_factory=lambda: {"cruise": 45.0, "ballistic": 7.0, "kh22": 1.0, "kh59": 2.0},
        description="Mean launches of each class on a combined-strike night (missiles). "
        "Defaults near the fitted Oct 2024-Sep 2025 means (sim/data/missile_profile.json).",
    )
    regular_launches_per_month: dict[str, float] = Field(
        default_factory=lambda: {"cruise": 5.0, "ballistic": 50.0, "kh22": 0.5, "kh59": 15.0},
        description="Mean launches of each class per month outside combined strikes (missiles); "
        "EST near the Oct 2024-Sep 2025 record.",
    )
    dispersion: float = Field(
        1.5, gt=0, description="Negative-binomial size of per-class counts (var = mu + mu^2/k)."
    )

    @field_validator("combined_launches", "regular_launches_per_month")
    @classmethod
    def _class_keys(cls, v: dict[str, float], info) -> dict[str, float]:
        check_class_names(v, info.field_name)
        for k, x in v.items():
            if not x >= 0:
                raise ValueError(f"{info.field_name}.{k}={x} must be >= 0")
        return {c: float(v.get(c, 0.0)) for c in MISSILE_CLASSES}


class Missiles(Strict):
    """``threat.missiles``: the missile stream that flies alongside the drones."""

    enabled: bool = Field(
        False,
        description="Simulate missiles. Off by default; when off nothing is drawn and the drone "
        "model's outputs are unchanged.",
    )
    profile: Literal["fitted", "custom"] = Field(
        "fitted",
        description="'fitted': nightly missile model fitted to the Ukrainian Air Force record "
        "Oct 2024-Sep 2025 (sim/data/missile_profile.json, `python -m sim calibrate missiles`); "
        "'custom': use `custom` below.",
    )
    profile_file: str | None = Field(
        None,
        description="Missile profile JSON replacing the packaged one (e.g. a fit that ends at a "
        "validation origin); a relative path is taken from the working folder.",
    )
    use_recent_level: bool = Field(
        False,
        description="Use the fit's recent level (the months just before its end, no seasonal "
        "shape, no trend) in every month instead of the calendar-month profile.",
    )
    custom: CustomMissileProfile = Field(
        default_factory=CustomMissileProfile, description="Used when profile=custom."
    )
    intensity_multiplier: float = Field(
        1.0, ge=0, le=20,
        description="Scales the expected missile launches of every night and class (what-if).",
    )
    couple_to_drone_salvos: bool = Field(
        True,
        description="Combined missile strikes are more likely on the drones' big-salvo nights "
        "(P(combined | salvo) fitted to the record); off: the monthly rate regardless of salvos.",
    )
    keep_monthly_rate: bool = Field(
        True,
        description="With the coupling: keep each month's fitted share of combined-strike nights "
        "and move the strikes onto the drones' salvo nights, so a scenario with more salvo "
        "nights than the fit period (winter 2024-25 had none) does not get more strikes "
        "(missile output, not the drones, limits them). Off: the fitted conditional rates.",
    )
    energy_share_combined: float = Field(
        0.7, ge=0, le=1,
        description="Share of missiles on combined-strike nights aimed at energy sites. EST, "
        "fitted with energy_share_regular to 'about 1,100 missiles at energy infrastructure in "
        "2024' (S. Kyslytsia, Dec 2024, https://news.online.ua/en/air-defense-forces-shoot-down-"
        "47-russian-drones-during-attack-on-ukraine-888828/) against 1,427 missiles on combined "
        "nights and 635 on other nights in the 2024 Air Force record (0.7 x 1,427 + 0.1 x 635 = "
        "1,063). The big combined strikes were announced as strikes on the energy system.",
    )
    energy_share_regular: float = Field(
        0.1, ge=0, le=1,
        description="Share of missiles on other nights aimed at energy sites (EST: the small "
        "ballistic and Kh-59 strikes hit mostly front-line cities, ports and military targets; "
        "see energy_share_combined for the 2024 check).",
    )
    damage_scaling_exponent: float = Field(
        2.0 / 3.0, ge=0, le=1.5,
        description="Damage of one hit scales as (warhead_kg / Shahed warhead_kg)^exponent. 2/3: "
        "blast effects scale with the cube root of charge mass (Hopkinson-Cranz scaling, e.g. "
        "Kinney & Graham, Explosive Shocks in Air, 1985), so the damaged area scales as W^(2/3). "
        "EST for its use on energy sites.",
    )
    classes: dict[str, MissileClass] = Field(
        default_factory=lambda: {k: MissileClass(**v) for k, v in _default_classes().items()},
        description=f"Profile of each missile class ({_VALID}); entries and fields not given "
        "keep their defaults (sources in sim/config/missiles.py).",
    )

    @field_validator("classes", mode="before")
    @classmethod
    def _merge_classes(cls, v: Any) -> Any:
        return _merge(_default_classes(), v, "classes", check_names=True)


# --------------------------------------------------------------------------- defense.missile_defense
class InterceptorSystem(Strict):
    """One missile-defence system type (all its batteries together)."""

    enabled: bool = Field(True, description="Whether the system takes part.")
    interceptors_start: int = Field(
        ge=0, le=1_000_000, description="Interceptors in stock on the first night (EST)."
    )
    resupply_per_month: float = Field(
        ge=0, le=100_000, description="Interceptors delivered per 30.44 nights (EST)."
    )
    interceptor_cost_eur: float = Field(
        ge=0,
        description="Cost of one interceptor (EUR); US Army budget (PAC-3) and press estimates, "
        "sources in sim/config/missiles.py (EST for the others).",
    )
    classes_engaged: list[str] = Field(
        description="Missile classes the system can engage (ballistic: Patriot and SAMP/T only; "
        "sources in sim/config/missiles.py)."
    )
    pk: dict[str, float] = Field(
        description="Kill probability of one interceptor against each class (0-1). EST, set with "
        "coverage_share to the record's kill shares (sim/config/missiles.py)."
    )
    interceptors_per_engagement: dict[str, int] = Field(
        default_factory=dict,
        description="Interceptors fired at one missile of each class (1-4; default 2 against "
        "ballistic, 1 otherwise; EST, shoot-shoot doctrine against ballistic missiles).",
    )
    coverage_share: dict[str, float] = Field(
        default_factory=dict,
        description="Share of the missiles of each class whose target lies inside the system's "
        "engagement zones (0-1; default 1). Coverage is nested: the best-covered targets (Kyiv) "
        "are covered by every system that covers anything (EST).",
    )
    engages_drones: bool = Field(
        False,
        description="Whether the system also fires at drones (the `defense.layers."
        "missile_defense` allowance comes out of its stock when missiles are simulated).",
    )

    @model_validator(mode="after")
    def _check(self):
        check_class_names(self.classes_engaged, "classes_engaged")
        check_class_names(self.pk, "pk")
        check_class_names(self.interceptors_per_engagement, "interceptors_per_engagement")
        check_class_names(self.coverage_share, "coverage_share")
        missing = [c for c in self.classes_engaged if c not in self.pk]
        if missing:
            raise ValueError(f"pk: no kill probability for engaged class(es) {', '.join(missing)}")
        for name, table in (("pk", self.pk), ("coverage_share", self.coverage_share)):
            for c, x in table.items():
                if not 0.0 <= x <= 1.0:
                    raise ValueError(f"{name}.{c}={x} must be in [0, 1]")
        for c, n in self.interceptors_per_engagement.items():
            if not 1 <= n <= MAX_INTERCEPTORS_PER_ENGAGEMENT:
                raise ValueError(
                    f"interceptors_per_engagement.{c}={n} must be between 1 and "
                    f"{MAX_INTERCEPTORS_PER_ENGAGEMENT}"
                )
        return self

    def shots(self, cls_name: str) -> int:
        """Interceptors fired at one missile of a class."""
        return int(self.interceptors_per_engagement.get(cls_name, 2 if cls_name == "ballistic"
                                                         else 1))

    def coverage(self, cls_name: str) -> float:
        """Coverage share of a class (0 if not engaged)."""
        if cls_name not in self.classes_engaged:
            return 0.0
        return float(self.coverage_share.get(cls_name, 1.0))


def _default_systems() -> dict[str, dict]:
    # Public sources: Patriot PAC-3 MSE USD 4.19M per missile (US Army FY2025 missile
    # procurement budget, https://www.asafm.army.mil/Portals/72/Documents/BudgetMaterial/2025/
    # Base%20Budget/Procurement/Missile-Procurement-Army.pdf); Aster 30 EUR 1-2.5M (press, EST);
    # IRIS-T SL EUR 400-565k, NASAMS AMRAAM ~USD 1M (press, EST); S-300/Buk: Soviet-era stock,
    # no price (EST). Ballistic interception shares: 15% Jan-May 2025 and 37% Jun-Sep 2025 for
    # Iskander-M/KN-23/Kinzhal, and "no interception at all" in 273 of 345 attacks, nearly all
    # when a Patriot battery was well placed (RUSI, Nov 2025, https://www.rusi.org/explore-our-
    # research/publications/commentary/iskander-improved-russian-missile-tests-ukraines-air-
    # defence), hence high pk and low coverage; 6% in Sep 2025 after a terminal-manoeuvre upgrade
    # (Financial Times via AeroTime, https://www.aerotime.aero/articles/russias-upgraded-
    # ballistic-missiles-outmaneuver-ukraines-patriot-systems-ft). Cruise ~67% Feb 2022-Aug 2024
    # and Kh-22/Kh-32 2 of 362 (Syrskyi via Defense Express, https://en.defence-ua.com/news/
    # cinc_of_ukraines_forces_syrskii_releases_statistics_on_missiles_and_drones_usage_by_
    # russians_number_of_destroyed_threats-11588.html). Per-shot pk, shots and coverage are EST,
    # set so that with ample stocks the expected kill shares (sim.model.missile_defense.
    # expected_kill_share) match the Air Force record Oct 2024-Sep 2025 (kill_share in
    # sim/data/missile_profile.json): cruise 0.80 (0.81), ballistic 0.22 (0.22), kh22 0.12
    # (0.12), kh59 0.55 (0.54). Stocks and resupply are not public: EST, set so that the stocks
    # last a winter at the fitted launch rates plus ~5 SAM shots a night at drones (the record
    # shows no collapse of interception from Oct 2024 to Sep 2025).
    return {
        "patriot": {
            "enabled": True, "interceptors_start": 100, "resupply_per_month": 20.0,
            "interceptor_cost_eur": 3_900_000.0,
            "classes_engaged": ["cruise", "ballistic", "kh22", "kh59"],
            "pk": {"cruise": 0.9, "ballistic": 0.6, "kh22": 0.6, "kh59": 0.9},
            "interceptors_per_engagement": {"cruise": 1, "ballistic": 2, "kh22": 2, "kh59": 1},
            "coverage_share": {"cruise": 0.3, "ballistic": 0.27, "kh22": 0.14, "kh59": 0.3},
            "engages_drones": False,
        },
        "samp_t": {
            "enabled": True, "interceptors_start": 30, "resupply_per_month": 5.0,
            "interceptor_cost_eur": 2_000_000.0,
            "classes_engaged": ["cruise", "ballistic", "kh22", "kh59"],
            "pk": {"cruise": 0.88, "ballistic": 0.5, "kh22": 0.55, "kh59": 0.88},
            "interceptors_per_engagement": {"cruise": 1, "ballistic": 2, "kh22": 2, "kh59": 1},
            "coverage_share": {"cruise": 0.1, "ballistic": 0.05, "kh22": 0.05, "kh59": 0.1},
            "engages_drones": False,
        },
        "nasams_iris_t": {
            "enabled": True, "interceptors_start": 250, "resupply_per_month": 60.0,
            "interceptor_cost_eur": 700_000.0,
            "classes_engaged": ["cruise", "kh59"],
            "pk": {"cruise": 0.85, "kh59": 0.85},
            "interceptors_per_engagement": {"cruise": 1, "kh59": 1},
            "coverage_share": {"cruise": 0.95, "kh59": 0.65},
            "engages_drones": True,
        },
        "s300_buk": {
            "enabled": True, "interceptors_start": 400, "resupply_per_month": 200.0,
            "interceptor_cost_eur": 500_000.0,
            "classes_engaged": ["cruise", "kh59"],
            "pk": {"cruise": 0.6, "kh59": 0.6},
            "interceptors_per_engagement": {"cruise": 2, "kh59": 2},
            "coverage_share": {"cruise": 0.4, "kh59": 0.3},
            "engages_drones": True,
        },
    }


class MissileDefenseSystems(Strict):
    """``defense.missile_defense``: the systems that engage missiles, and their stocks.

    Allocation each night (see :func:`sim.model.missile_defense.engage_missiles`): missiles arrive in
    a random order; the systems, cheapest interceptor first, each engage the still unengaged
    missiles they cover, in arrival order, while their stock pays for the whole salvo. Only
    systems listing a class in ``classes_engaged`` engage it (ballistic: Patriot, SAMP/T).
    Missiles are engaged before drones; the drone layer's allowance comes out of what is left.
    """

    systems: dict[str, InterceptorSystem] = Field(
        default_factory=lambda: {k: InterceptorSystem(**v) for k, v in _default_systems().items()},
        description="Missile-defence systems by name (patriot, samp_t, nasams_iris_t, s300_buk; "
        "others may be added with every field). Fields not given keep their defaults.",
    )
    share_stocks_with_drone_layer: bool = Field(
        True,
        description="When missiles are simulated, the nightly allowance of SAM shots at drones "
        "(defense.layers.missile_defense.missiles_per_night) is capped by the stocks of systems "
        "with engages_drones, and shots at drones are taken from them.",
    )

    @field_validator("systems", mode="before")
    @classmethod
    def _merge_systems(cls, v: Any) -> Any:
        return _merge(_default_systems(), v, "systems", check_names=False)
