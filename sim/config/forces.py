"""Scenario sections for the two interceptor-drone forces: Ukraine's own (the baseline) and the
funded programme (an increment on it).

* ``defense.national_force``: Ukraine's interceptor-drone force defending the rear. It exists
  without any programme money: airframes from national production (a share of it goes to this
  mission), crews from a training pipeline, ground stations, radars and launch sites that grow
  month by month.
* ``defense.programme``: the economics of the funded increment. The budget
  (``defense.budget_eur``) buys airframes, trained crews, ground stations, radars and launch
  sites at unit costs (``defense.costs``) after a contracting lead time; the programme's
  production capacity grows with the money ordered, with diminishing returns; scenario caps
  bound what money can buy (money above a cap buys nothing).

How these turn into night-by-night numbers is :func:`sim.model.forces.force_schedule`. Every
default names its source or is marked EST (an estimate); docs/sources.md lists them.

This module imports neither numpy nor pandas (fast start).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from sim.config.base import Strict

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    """``"2025-11"`` -> ``(2025, 11)``; anything else raises ValueError."""
    if isinstance(text, dt.date):
        raise ValueError(
            f"{text.isoformat()} is a date; months are written YYYY-MM (e.g. {text:%Y-%m}); "
            "quote the key if YAML reads it as a date"
        )
    m = MONTH_RE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a month: write YYYY-MM, e.g. '2025-11'")
    return int(m.group(1)), int(m.group(2))


def _month_key(v):
    parse_month(v)
    return str(v)


MonthKey = Annotated[str, BeforeValidator(_month_key)]
PerDay = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]


# --------------------------------------------------------------------------- national force
class ProductionRamp(Strict):
    """Production rising linearly from ``start_per_day`` on the first day of ``start_month`` to
    ``target_per_day`` on the first day of ``reach_month``, flat before and after."""

    start_month: str = Field(description="Month the ramp starts (YYYY-MM).")
    start_per_day: float = Field(ge=0, le=1e6, description="Airframes a day at the start.")
    target_per_day: float = Field(ge=0, le=1e6, description="Airframes a day once reached.")
    reach_month: str = Field(description="Month the target is reached (YYYY-MM).")

    @field_validator("start_month", "reach_month", mode="before")
    @classmethod
    def _month(cls, v):
        parse_month(v)
        return str(v)

    @model_validator(mode="after")
    def _order(self):
        if parse_month(self.reach_month) < parse_month(self.start_month):
            raise ValueError(
                f"reach_month {self.reach_month} is before start_month {self.start_month}"
            )
        return self


def _default_ramp() -> ProductionRamp:
    # As could be known on 1 Oct 2025: 'hundreds a day' (EST 300 in Sep 2025), target 1,000 a
    # day (Zelensky, 25 Jul 2025), 'very soon' (Shmyhal, 18 Sep 2025): EST reached Jan 2026.
    return ProductionRamp(
        start_month="2025-09", start_per_day=300, target_per_day=1000, reach_month="2026-01"
    )


class NationalProduction(Strict):
    """Ukraine's interceptor-drone production (all missions) and the share for this mission."""

    per_day_by_month: dict[MonthKey, PerDay] | None = Field(
        None,
        description="Airframes produced a day, by month (YYYY-MM -> per day); each value holds "
        "until the next month given, the first one also before it. Reported figures: "
        "'500-800 a day in November' (Zelensky, Oct 2025), ~950 a day from early Dec 2025 "
        "(Ukrainian MoD via Business Insider), 'about 1,000 a day' (Zelensky, Jan 2026). "
        "Give either this or `ramp`.",
    )
    ramp: ProductionRamp | None = Field(
        default_factory=_default_ramp,
        description="Linear ramp instead of `per_day_by_month`. Default (as could be known on "
        "1 Oct 2025): 300 a day in Sep 2025 (EST, 'hundreds a day') to the 1,000 a day target "
        "(Zelensky, 25 Jul 2025; Shmyhal, 18 Sep 2025: 'very soon') by Jan 2026 (EST).",
    )
    mission_share: float = Field(
        0.25, ge=0, le=1,
        description="Share of production that goes to defending the rear (cities, energy) "
        "against Shahed-type drones; the rest goes to the front (EST: ~150 of 810 drones downed "
        "by interceptors on 6-7 Sep 2025, Zelensky; interceptors also used at the front, "
        "Syrskyi, 26 Sep 2025).",
    )
    stock_at_start: int = Field(
        1000, ge=0, le=10_000_000,
        description="Airframes for this mission in stock on the first night (EST).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data):
        if isinstance(data, dict):
            has_months = data.get("per_day_by_month") is not None
            has_ramp = data.get("ramp") is not None
            if has_months and has_ramp:
                raise ValueError(
                    "give either per_day_by_month or ramp, not both (set the other to null)"
                )
            if has_months and "ramp" not in data:
                data = {**data, "ramp": None}
        return data

    @field_validator("per_day_by_month", mode="before")
    @classmethod
    def _months(cls, v):
        if v is not None and (not isinstance(v, dict) or not v):
            raise ValueError("must be a non-empty mapping of YYYY-MM -> airframes per day")
        for k in v or ():
            if isinstance(k, dt.date):
                parse_month(k)  # raises: a date, not a month
        return v

    @model_validator(mode="after")
    def _need_one(self):
        if self.per_day_by_month is None and self.ramp is None:
            raise ValueError("give per_day_by_month or ramp")
        return self


class NationalCrews(Strict):
    at_start: int = Field(
        24, ge=0, le=100_000,
        description="Qualified crews on this mission on the first night (EST: 12 launch sites x "
        "2 crews, the earlier fixed layer).",
    )
    trainee_crews_per_month: float = Field(
        30, ge=0, le=100_000,
        description="Crews entering training a month: the training pipeline's capacity (EST; "
        "'we have to train operators', Zelensky, Oct 2025; Kyiv's 'Clean Sky' operator training "
        "centre, Jul 2025).",
    )
    weeks_to_qualify: float = Field(
        4, ge=0, le=104, description="Weeks from entering training to a qualified crew (EST)."
    )
    attrition_per_month: float = Field(
        0.03, ge=0, le=1,
        description="Share of qualified crews lost a month (casualties, transfers; EST).",
    )


class NationalEquipment(Strict):
    at_start: int = Field(ge=0, le=1_000_000, description="Number on the first night (EST).")
    per_month: float = Field(ge=0, le=1_000_000, description="Added a month (EST).")


class NationalGroundStations(NationalEquipment):
    at_start: int = Field(
        24, ge=0, le=1_000_000, description="Ground stations on the first night (EST: one per crew)."
    )
    per_month: float = Field(
        25, ge=0, le=1_000_000,
        description="Ground stations added a month (EST; 'production is not the problem, the "
        "challenge is ground control systems, radars', Shmyhal, 18 Sep 2025).",
    )
    crews_per_station: int = Field(
        1, ge=1, le=50, description="Crews that can share one ground station (EST)."
    )


class NationalRadars(NationalEquipment):
    at_start: int = Field(
        12, ge=0, le=1_000_000, description="Short-range radars with the force (EST: one per site)."
    )
    per_month: float = Field(
        4, ge=0, le=1_000_000,
        description="Radars added a month (EST; 'more radars', Syrskyi, 4 Sep 2025).",
    )


class NationalSites(NationalEquipment):
    at_start: int = Field(
        12, ge=0, le=1_000_000,
        description="Launch sites on the first night (EST: '>150 kills since the start of the "
        "month' on 12 Nov 2025).",
    )
    per_month: float = Field(
        15, ge=0, le=1_000_000, description="Launch sites set up a month (EST)."
    )


class NationalSorties(Strict):
    """What binds the national force's sorties on a night, besides airframes, crews on the
    books, ground stations and sites: the crews actually on shift, the sorties a crew flies,
    whether C2 cues a crew to a drone in time, and the weather. Airframes in stock turn into
    kills only through these. Defaults are 1 (no extra limit) so older scenarios keep their
    behaviour; ``scenarios/winter-2025-26.yaml`` and the 2024-25 posture set the fitted and
    estimated values (sim/data/defence_fit.json)."""

    crews_on_shift_share: float = Field(
        1.0, ge=0, le=1,
        description="Share of the active crews on duty on a given night (crews work in shifts "
        "and rotate; EST: 0.5, two shifts).",
    )
    sorties_per_crew_per_night: int | None = Field(
        None, ge=0, le=200,
        description="Interceptors one national crew can fly in a night (sorties; null: "
        "defense.crews.sorties_per_crew_per_night). EST: 2-4 (launch, climb, a 20-minute "
        "flight and recovery per sortie; 2-3 interceptors per Shahed, Zelensky, 12 Oct 2025).",
    )
    p_cued: float = Field(
        1.0, ge=0, le=1,
        description="Probability that C2 cues an interceptor crew to a tracked drone early "
        "enough to launch and climb to it (sensor network, communications; share of drones, "
        "applies to both forces' interceptors, which share the network). Fitted to the "
        "public interceptor tallies (sim/data/interceptor_tallies.csv).",
    )
    p_fly_night: float = Field(
        1.0, ge=0, le=1,
        description="Probability that the weather lets interceptor drones fly on a night "
        "(fog, icing, wind; both forces; share of nights). EST 0.85.",
    )


class NationalForce(Strict):
    """Ukraine's own interceptor-drone force defending the rear: the baseline."""

    reference_date: dt.date | None = Field(
        None,
        description="Date the force's starting values (crews, stations, radars, sites, "
        "stock_at_start) refer to; null: the first night of the period. A run that starts "
        "later (a fit window) then finds the force grown as it would have by then, instead "
        "of restarting it.",
    )
    expended_before_start: int = Field(
        0, ge=0, le=10**10,
        description="Airframes this force expended between reference_date and the first "
        "night (a run carrying the stock of an earlier run; airframes).",
    )
    sorties: NationalSorties = Field(default_factory=NationalSorties)

    model: Literal["pipeline", "fixed"] = Field(
        "pipeline",
        description="'pipeline': the force grows from production, training, ground stations and "
        "sites below; 'fixed': the earlier constant layer (defense.layers.existing_interceptors: "
        "a fixed number of sites and a nightly allowance), kept for comparison and for the "
        "2024-25 calibration era.",
    )
    production: NationalProduction = Field(default_factory=NationalProduction)
    crews: NationalCrews = Field(default_factory=NationalCrews)
    ground_stations: NationalGroundStations = Field(default_factory=NationalGroundStations)
    radars: NationalRadars = Field(default_factory=NationalRadars)
    launch_sites: NationalSites = Field(default_factory=NationalSites)


# --------------------------------------------------------------------------- programme
class ProductionCurve(Strict):
    """Delivery rate of programme airframes as a function of the money ordered (EUR m):

    * ``power``: ``base_per_day + reference_per_day * (m / reference_eur) ** exponent``;
    * ``saturating``: ``base_per_day + max_per_day * m / (m + half_saturation_eur)``.

    Both grow with money at diminishing returns; neither falls."""

    curve: Literal["power", "saturating"] = Field(
        "power", description="Shape of the capacity curve (see the class text)."
    )
    base_per_day: float = Field(
        0, ge=0, le=1e6, description="Rate available without scaling (airframes a day, EST)."
    )
    reference_eur: float = Field(
        1.4e8, gt=0, le=1e12,
        description="Order size at which the power curve gives `reference_per_day` (EUR): 70% "
        "of EUR 200M (EST).",
    )
    reference_per_day: float = Field(
        400, ge=0, le=1e6,
        description="Rate for an order of `reference_eur` (EST: 12,000 a month, the earlier "
        "fixed rate; ~40% of national output of ~1,000 a day, Zelensky Jul 2025 target).",
    )
    exponent: float = Field(
        0.5, gt=0, le=1,
        description="Returns to scale (<1: diminishing). 0.5: doubling the order raises the rate "
        "by 41% (EST: new lines and suppliers take time).",
    )
    max_per_day: float = Field(
        1000, ge=0, le=1e6,
        description="Saturating curve: the rate approached with unlimited money (EST: another "
        "national output of ~1,000 a day).",
    )
    half_saturation_eur: float = Field(
        1.4e8, gt=0, le=1e12,
        description="Saturating curve: the order that reaches half of `max_per_day` (EUR, EST).",
    )


class ProgrammeTraining(Strict):
    start_days: int = Field(
        21, ge=0, le=3650,
        description="Days from the funding decision to the first trainees starting (EST). The "
        "intake capacity is defense.delivery.crews_per_month.",
    )
    weeks_to_qualify: float = Field(
        4, ge=0, le=104, description="Weeks from entering training to a qualified crew (EST)."
    )
    attrition_per_month: float = Field(
        0.03, ge=0, le=1, description="Share of qualified crews lost a month (EST)."
    )


class Package(Strict):
    """How programme crews, ground stations, sites and radars go together (both splits)."""

    crews_per_ground_station: int = Field(
        1, ge=1, le=50, description="Crews sharing one ground station (EST)."
    )
    sites_per_radar: int = Field(
        2, ge=1, le=100, description="Launch sites sharing one programme radar (EST)."
    )


class Caps(Strict):
    """Upper limits set by the scenario; money above a cap buys nothing. ``null``: no cap."""

    max_interceptors_per_month: float | None = Field(
        None, ge=0, le=1e9,
        description="Programme airframes delivered a month at most (same as the older "
        "defense.delivery.interceptors_per_month; the lower of the two applies).",
    )
    max_interceptors: int | None = Field(None, ge=0, le=10**10, description="Airframes in total.")
    max_crews: int | None = Field(None, ge=0, le=10**7, description="Crews funded in total.")
    max_ground_stations: int | None = Field(None, ge=0, le=10**7, description="Ground stations.")
    max_radars: int | None = Field(None, ge=0, le=10**7, description="Radars.")
    max_sites: int | None = Field(None, ge=0, le=10**7, description="Launch sites.")


class Programme(Strict):
    """Economics of the funded increment (the money is ``defense.budget_eur``)."""

    model: Literal["economics", "fixed_rates"] = Field(
        "economics",
        description="'economics': the rules of sim.model.forces.force_schedule (lead time, "
        "training pipeline, capacity growing with money, caps); 'fixed_rates': the earlier rule "
        "(split envelopes delivered at the fixed defense.delivery rates, crews ready on "
        "delivery), kept for comparison.",
    )
    decision_date: dt.date = Field(
        dt.date(2025, 10, 10),
        description="Funding decision (EUR 200M announced 10 Oct 2025 in Kyiv by Defence "
        "Minister Brekelmans).",
    )
    contracting_lead_days: int = Field(
        52, ge=0, le=3650,
        description="Days from the decision to the first deliveries of airframes, ground "
        "stations, radars and sites (EST: 52 days = 1 Dec 2025). "
        "defense.delivery.first_delivery_date, if given, replaces decision + lead.",
    )
    production: ProductionCurve = Field(default_factory=ProductionCurve)
    training: ProgrammeTraining = Field(default_factory=ProgrammeTraining)
    package: Package = Field(default_factory=Package)
    caps: Caps = Field(default_factory=Caps)
    # -- the programme's own interceptors (net effects: a programme that cannot kill)
    interceptor_pk: float | None = Field(
        None, ge=0, le=1,
        description="Kill probability of one attack by a programme interceptor; null (the "
        "default): defense.interceptor.pk, which Ukraine's own units fly at. The jet, "
        "altitude, speed and evasion factors of defense.interceptor apply to it as to "
        "defense.interceptor.pk. Command and control sends no interceptor at a drone it "
        "cannot kill (pk 0), so at 0 the programme's crews fly nothing: with no radars "
        "(caps.max_radars: 0) and launch sites the attacker does not route around "
        "(threat.routing.avoid_defended_zones: false) such a programme changes nothing, "
        "which tests the net effects.",
    )
