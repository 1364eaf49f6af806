"""Scenario section ``defense.portfolio``: how the budget is spread over ways of keeping the
lights on, and the cost model of each way (an *option*).

Options (:data:`OPTIONS`), each bought as one or more *items* with a cost model:

* ``interceptor_drones``: today's programme. Its cost model is the programme's own
  (``defense.costs``, ``defense.delivery``, ``defense.programme``, ``defense.crews``,
  ``defense.split``); the option's money is the programme budget.
* ``missile_interceptors``: interceptors for the existing missile-defence launchers, one item
  per system of ``defense.missile_defense.systems`` (``patriot``, ``samp_t``,
  ``nasams_iris_t``, ``s300_buk``). The cost per missile, the classes each system engages, its
  kill probability and coverage are those of the system; the item adds its delivery limits.
* ``mobile_fire_groups``: fire groups (pickup, heavy machine gun, thermal sight, crew).
* ``ew_stations``: electronic-warfare stations guarding energy sites.
* ``passive_protection``: shelters and barriers at energy sites: ``second_level`` (against
  drones) and ``third_level`` (against missiles), each with the share of a hit's damage that
  still gets through (``damage_factor_drone``, ``damage_factor_missile``).
* ``spares_and_repair``: spare autotransformers and mobile repair teams.
* ``distributed_generation``: gas-piston units and batteries (MW).

Every item has the same cost model (:class:`Item`): unit cost, fixed cost, running cost a unit a
month, lead time from the funding decision, deliveries a month at most, units in total at most
(sites), and the crews a unit needs with the training capacity for them. How money becomes
deliveries night by night, and what limits each item, is :mod:`sim.model.portfolio`.

Defaults are read from the packaged table ``sim/data/portfolio_options.csv`` (one row per
figure, with its status, SOURCED / DERIVED / EST, and its source; ``sim/data/README_portfolio.md``);
:func:`cost_table_markdown` prints the options' cost table of ``docs/sources.md``.

A scenario gives either ``shares`` (of ``defense.budget_eur``, summing to 1) or ``amounts_eur``
(summing to at most the budget), and may override any cost-model figure under ``options``;
entries not given keep their defaults. Bad input (an unknown option or item, with the closest
name; shares negative or not summing to 1; amounts above the budget; a unit cost of zero or
less; a portfolio on a scenario whose energy model is off) is a :class:`ScenarioError` naming
the key path and the reason (:func:`check_scenario`).

This module imports neither numpy nor pandas (fast start).
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.config.base import Strict, did_you_mean

OPTIONS: tuple[str, ...] = (
    "interceptor_drones",
    "missile_interceptors",
    "mobile_fire_groups",
    "ew_stations",
    "passive_protection",
    "spares_and_repair",
    "distributed_generation",
)
"""The spending options, in the order of every table."""

OPTION_NAMES: dict[str, str] = {
    "interceptor_drones": "interceptor drones (the programme)",
    "missile_interceptors": "missile-defence interceptors",
    "mobile_fire_groups": "mobile fire groups",
    "ew_stations": "electronic-warfare stations",
    "passive_protection": "passive protection of sites",
    "spares_and_repair": "spare autotransformers and repair teams",
    "distributed_generation": "distributed generation and storage",
}
"""Plain names of the options, for tables and reports."""

UNITS: dict[str, str] = {
    "missile": "missile",
    "groups": "fire group",
    "stations": "EW station",
    "second_level": "protected site",
    "third_level": "protected site",
    "spare_autotransformers": "autotransformer",
    "repair_crews": "repair team",
    "gas_piston": "MW",
    "batteries": "MW",
}
"""What one unit of an item is (missile items: ``missile``)."""

DATA_FILE = "portfolio_options.csv"
"""The options' default figures, shipped in ``sim/data``."""

SHARE_TOLERANCE = 1e-6
"""Shares must sum to 1 within this."""

WIRED: frozenset[str] = frozenset(OPTIONS)
"""Options whose effect the model applies (``docs/portfolio.md``: the mechanism of each). Money
on any other option is refused (:func:`check_scenario`): spent on nothing, it would be a silent
no-op."""

_STATUSES = ("SOURCED", "DERIVED", "EST")




def _unknown(kind: str, name: str, known) -> str:
    hint = did_you_mean(name, known)
    return f"unknown {kind} {name!r}{hint}; {kind}s: {', '.join(known)}"


# --------------------------------------------------------------------------- packaged defaults
@lru_cache(maxsize=1)
def table_rows() -> tuple[dict[str, str], ...]:
    """The rows of ``sim/data/portfolio_options.csv`` (``option, item, parameter, value, unit,
    status, source``), checked: known options, numeric values, a known status."""
    path = resources.files("sim") / "data" / DATA_FILE
    with path.open(encoding="utf-8", newline="") as fh:
        rows = tuple(csv.DictReader(fh))
    cols = ("option", "item", "parameter", "value", "unit", "status", "source")
    for i, r in enumerate(rows, start=2):
        if tuple(r) != cols:
            raise ValueError(f"{DATA_FILE}: columns must be {', '.join(cols)}")
        if r["option"] not in OPTIONS:
            raise ValueError(f"{DATA_FILE} line {i}: unknown option {r['option']!r}")
        if r["status"] not in _STATUSES:
            raise ValueError(f"{DATA_FILE} line {i}: status must be one of {_STATUSES}")
        float(r["value"])  # raises on a non-number
    return rows


def _number(text: str) -> float | int:
    x = float(text)
    return int(x) if x.is_integer() and "." not in text else x


@lru_cache(maxsize=1)
def _defaults() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {o: {"items": {}} for o in OPTIONS if o != "interceptor_drones"}
    for r in table_rows():
        opt = out[r["option"]]
        if r["item"]:
            item = opt["items"].setdefault(r["item"], {})
            item[r["parameter"]] = _number(r["value"])
        else:
            opt[r["parameter"]] = _number(r["value"])
    for name, opt in out.items():
        for item_name, item in opt["items"].items():
            if name != "missile_interceptors":
                item.setdefault("unit", UNITS[item_name])
    return out


def option_defaults(option: str) -> dict[str, Any]:
    """The default figures of an option, as a mapping (a fresh copy)."""
    d = _defaults()[option]
    return {k: ({i: dict(v) for i, v in d["items"].items()} if k == "items" else v)
            for k, v in d.items()}


def _merge(defaults: dict, given: Any) -> Any:
    """``given`` over ``defaults``, mapping by mapping (items entry by entry)."""
    if not isinstance(given, dict):
        return given
    out = dict(defaults)
    for k, v in given.items():
        if isinstance(v, BaseModel):
            v = v.model_dump(exclude_unset=True)
        base = out.get(k)
        out[k] = _merge(base, v) if isinstance(base, dict) and isinstance(v, dict) else v
    return out


# --------------------------------------------------------------------------- cost models
_Money = Field(ge=0, le=1e12, allow_inf_nan=False)


class Item(Strict):
    """The cost model of one thing an option buys.

    Units arrive from ``lead_time_days`` after the funding decision
    (``defense.programme.decision_date``) at most ``max_per_month`` a month, up to ``max_units``
    in all; a unit that needs crews serves only once they are trained. Money pays the fixed
    cost once, the unit cost on arrival and the running cost for every day a unit serves until
    the last night (:mod:`sim.model.portfolio`).
    """

    share: float = Field(
        ge=0, le=1, allow_inf_nan=False,
        description="Share of the option's money for this item (the items' shares sum to 1).")
    unit: str = Field(min_length=1, max_length=100, description="What one unit is (a label).")
    unit_cost_eur: float = Field(
        allow_inf_nan=False,
        description="Cost of one unit (EUR); must be > 0. Sources in sim/data/portfolio_options.csv.")
    fixed_cost_eur: float = Field(
        0.0, ge=0, le=1e12, allow_inf_nan=False,
        description="Paid once when anything is bought (contract, set-up; EUR).")
    running_cost_eur_per_unit_month: float = Field(
        0.0, ge=0, le=1e10, allow_inf_nan=False,
        description="Cost of a unit for every month it serves until the last night (crew pay, "
        "upkeep; EUR a unit a month).")
    lead_time_days: int = Field(
        ge=0, le=3650, description="Days from the funding decision to the first delivery.")
    max_per_month: float | None = Field(
        None, ge=0, le=1e9, allow_inf_nan=False,
        description="Units delivered, built or commissioned a month at most (production, "
        "delivery or build rate); null: no limit.")
    max_units: int | None = Field(
        None, ge=0, le=10**9,
        description="Units in total at most (e.g. the sites that can take one); null: no limit.")
    crews_per_unit: float = Field(
        0.0, ge=0, le=1000, allow_inf_nan=False,
        description="Crews a unit needs to serve (0: none).")
    crews_per_month: float | None = Field(
        None, ge=0, le=1e6, allow_inf_nan=False,
        description="Crews entering training a month at most, from the funding decision (the "
        "training capacity); null: no limit.")
    weeks_to_qualify: float = Field(
        0.0, ge=0, le=104, allow_inf_nan=False,
        description="Weeks from entering training to a qualified crew.")

    @field_validator("unit_cost_eur")
    @classmethod
    def _positive_cost(cls, v: float) -> float:
        if not v > 0:
            raise ValueError(
                "must be > 0 EUR: a unit that costs nothing would let any money buy unlimited "
                "units")
        if v > 1e12:
            raise ValueError(f"must be at most 1e12 EUR (got {v:g})")
        return v


class MissileItem(Strict):
    """Interceptors for one existing missile-defence system: the cost per missile is the
    system's ``interceptor_cost_eur`` (``defense.missile_defense.systems``); they add to its
    stock."""

    share: float = Field(
        ge=0, le=1, allow_inf_nan=False,
        description="Share of the option's money for this system (the shares sum to 1).")
    fixed_cost_eur: float = Field(
        0.0, ge=0, le=1e12, allow_inf_nan=False, description="Paid once (EUR).")
    lead_time_days: int = Field(
        ge=0, le=3650, description="Days from the funding decision to the first missiles.")
    max_per_month: float | None = Field(
        None, ge=0, le=1e6, allow_inf_nan=False,
        description="Missiles that can be bought and delivered a month at most (0: none for "
        "sale); null: no limit.")


class ProtectionItem(Item):
    """One level of passive protection: the share of a hit's damage that still gets through
    at a protected site."""

    damage_factor_drone: float = Field(
        ge=0, le=1, allow_inf_nan=False,
        description="Damage of a drone hit on a protected site relative to an unprotected one.")
    damage_factor_missile: float = Field(
        ge=0, le=1, allow_inf_nan=False,
        description="Damage of a missile hit on a protected site relative to an unprotected one.")


class _Option(Strict):
    """Base of the options with items: fills every figure not given from the packaged table
    and refuses unknown items."""

    NAME: ClassVar[str] = ""
    FIXED_ITEMS: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return data
        defaults = option_defaults(cls.NAME)
        items = data.get("items")
        if isinstance(items, dict) and cls.FIXED_ITEMS:
            for name in items:
                if name not in defaults["items"]:
                    raise ValueError(_unknown("item", str(name), list(defaults["items"])))
        return _merge(defaults, data)

    @model_validator(mode="after")
    def _item_shares(self):
        items = getattr(self, "items", {})
        total = sum(i.share for i in items.values())
        if items and abs(total - 1.0) > SHARE_TOLERANCE:
            shares = ", ".join(f"{k} {v.share:g}" for k, v in items.items())
            raise ValueError(f"items: shares must sum to 1 (got {total:.6g}: {shares}); give "
                             "every item's share when you change one")
        return self


class InterceptorDronesOption(Strict):
    """Today's interceptor-drone programme. Its cost model is the programme's own
    (``defense.costs``, ``defense.delivery``, ``defense.programme``, ``defense.crews``,
    ``defense.split``): nothing to set here."""


class MissileInterceptorsOption(_Option):
    NAME: ClassVar[str] = "missile_interceptors"
    FIXED_ITEMS: ClassVar[bool] = False  # systems: checked against defense.missile_defense

    @model_validator(mode="before")
    @classmethod
    def _new_systems_complete(cls, data: Any) -> Any:
        # a system without a default entry must give every figure; one that does not is most
        # likely a misspelt default system
        items = data.get("items") if isinstance(data, dict) else None
        known = list(option_defaults(cls.NAME)["items"])
        for name, entry in (items or {}).items() if isinstance(items, dict) else ():
            if name in known or not isinstance(entry, dict):
                continue
            missing = [k for k in ("share", "lead_time_days") if k not in entry]
            if missing:
                raise ValueError(
                    f"{_unknown('item', str(name), known)}; an item for another system of "
                    f"defense.missile_defense.systems must give {', '.join(missing)}")
        return data

    items: dict[str, MissileItem] = Field(
        description="One entry per missile-defence system (defense.missile_defense.systems) "
        "whose interceptors the option buys.")


class MobileFireGroupsOption(_Option):
    NAME: ClassVar[str] = "mobile_fire_groups"

    items: dict[str, Item] = Field(description="``groups``: fire groups.")
    baseline_groups: int = Field(
        ge=1, le=1_000_000,
        description="Fire groups defending the rear without the option; the layer's "
        "engagements a night and reach grow with (baseline + bought) / baseline.")


class EwStationsOption(_Option):
    NAME: ClassVar[str] = "ew_stations"

    items: dict[str, Item] = Field(description="``stations``: one station guards one energy site.")
    p_lost_extra_shahed: float = Field(
        ge=0, le=1, allow_inf_nan=False,
        description="Extra chance that a Shahed-type drone aimed at a guarded site is lost to "
        "jamming, on top of threat.types.shahed.p_lost_ew.")
    p_lost_extra_decoy: float = Field(
        ge=0, le=1, allow_inf_nan=False, description="The same for decoys.")
    p_lost_extra_jet: float = Field(
        ge=0, le=1, allow_inf_nan=False, description="The same for jet drones.")


def _default_protected_types() -> list[str]:
    return ["substation_750", "substation_330", "substation_220"]


class PassiveProtectionOption(_Option):
    NAME: ClassVar[str] = "passive_protection"

    items: dict[str, ProtectionItem] = Field(
        description="``second_level`` (shelters against drones) and ``third_level`` (against "
        "missiles).")
    site_types: list[str] = Field(
        default_factory=_default_protected_types,
        description="Site types that can be protected (EST: the protection programmes cover "
        "Ukrenergo's transmission substations).")

    @field_validator("site_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        from sim.config.energy import SITE_TYPES

        for t in v:
            if t not in SITE_TYPES:
                raise ValueError(_unknown("site type", t, SITE_TYPES))
        if not v:
            raise ValueError("give at least one site type")
        return list(dict.fromkeys(v))


class SparesAndRepairOption(_Option):
    NAME: ClassVar[str] = "spares_and_repair"

    items: dict[str, Item] = Field(
        description="``spare_autotransformers`` (added to the spare stock) and ``repair_crews`` "
        "(mobile repair teams).")
    repair_jobs_per_team: float = Field(
        ge=0, le=100, allow_inf_nan=False,
        description="Repair jobs a team works at once (added to energy.repair_crews).")


class DistributedGenerationOption(_Option):
    NAME: ClassVar[str] = "distributed_generation"

    items: dict[str, Item] = Field(description="``gas_piston`` and ``batteries`` (MW).")
    gas_piston_availability: float = Field(
        ge=0, le=1, allow_inf_nan=False, description="Share of gas-piston MW available.")
    battery_hours: float = Field(
        gt=0, le=24, allow_inf_nan=False, description="Hours a battery runs at full power.")
    node_weights: dict[str, float] | None = Field(
        None,
        description="Grid node id (sim/data/grid_nodes.csv) -> weight: how the MW are spread "
        "over nodes; null: in proportion to the nodes' demand.")

    @field_validator("node_weights")
    @classmethod
    def _weights(cls, v):
        if v is None:
            return v
        if not v:
            raise ValueError("give at least one node, or null")
        for k, w in v.items():
            if not (w >= 0 and math.isfinite(w)):
                raise ValueError(f"weight of {k!r} must be a finite number >= 0 (got {w})")
        if sum(v.values()) <= 0:
            raise ValueError("at least one weight must be > 0")
        return v


class Options(Strict):
    """The cost model of every option; figures not given keep their defaults."""

    interceptor_drones: InterceptorDronesOption = Field(default_factory=InterceptorDronesOption)
    missile_interceptors: MissileInterceptorsOption = Field(
        default_factory=lambda: MissileInterceptorsOption())
    mobile_fire_groups: MobileFireGroupsOption = Field(
        default_factory=lambda: MobileFireGroupsOption())
    ew_stations: EwStationsOption = Field(default_factory=lambda: EwStationsOption())
    passive_protection: PassiveProtectionOption = Field(
        default_factory=lambda: PassiveProtectionOption())
    spares_and_repair: SparesAndRepairOption = Field(
        default_factory=lambda: SparesAndRepairOption())
    distributed_generation: DistributedGenerationOption = Field(
        default_factory=lambda: DistributedGenerationOption())

    def items(self, option: str) -> dict[str, BaseModel]:
        """The items of an option (empty for ``interceptor_drones``)."""
        return dict(getattr(getattr(self, option), "items", {}) or {})


# --------------------------------------------------------------------------- the portfolio
def _check_names(v: dict[str, float], what: str) -> dict[str, float]:
    for k, x in v.items():
        if k not in OPTIONS:
            raise ValueError(_unknown("option", str(k), OPTIONS))
        if not math.isfinite(x):
            raise ValueError(f"{k}: {what} must be a finite number (got {x})")
        if x < 0:
            raise ValueError(f"{k}: {what} must be >= 0 (got {x:g})")
    return v


class Portfolio(Strict):
    """``defense.portfolio``: the budget (``defense.budget_eur``) spread over the options.

    Give ``shares`` (summing to 1), ``amounts_eur`` (summing to at most the budget; the rest
    is not spent) or ``option`` (the whole budget on one option); options not listed get
    nothing.
    """

    shares: dict[str, float] | None = Field(
        None,
        description="Option -> share of defense.budget_eur (each >= 0, summing to 1). Options: "
        + ", ".join(OPTIONS) + ".")
    amounts_eur: dict[str, float] | None = Field(
        None,
        description="Option -> EUR (each >= 0, summing to at most defense.budget_eur); the rest "
        "of the budget is not spent.")
    option: str | None = Field(
        None,
        description="The whole budget on this one option: a shorthand for shares {OPTION: 1} "
        "(a sweep can vary it as a lever, e.g. sweeps/portfolio-ranking.yaml).")
    options: Options = Field(
        default_factory=Options,
        description="Cost model of each option (sources in sim/data/portfolio_options.csv); "
        "figures not given keep their defaults.")

    @field_validator("option")
    @classmethod
    def _option(cls, v):
        if v is not None and v not in OPTIONS:
            raise ValueError(_unknown("option", str(v), OPTIONS))
        return v

    @field_validator("shares")
    @classmethod
    def _shares(cls, v):
        if v is None:
            return v
        _check_names(v, "share")
        total = sum(v.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"shares must sum to 1 (got {total:.6g}); give amounts_eur to spend "
                             "less than the budget")
        return v

    @field_validator("amounts_eur")
    @classmethod
    def _amounts(cls, v):
        return v if v is None else _check_names(v, "amount (EUR)")

    @model_validator(mode="after")
    def _one_form(self):
        if self.option is not None:
            if self.amounts_eur is not None or (self.shares is not None
                                                and self.shares != {self.option: 1.0}):
                raise ValueError("give one of option (the whole budget on one option), "
                                 "shares or amounts_eur")
            self.shares = {self.option: 1.0}
        if (self.shares is None) == (self.amounts_eur is None):
            raise ValueError("give either shares (of defense.budget_eur, summing to 1), "
                             "amounts_eur (EUR per option) or option (the whole budget on one), "
                             "not both and not neither")
        return self

    @classmethod
    def single(cls, option: str, options: Options | None = None) -> Portfolio:
        """The whole budget on one option (``options``: the cost models to keep)."""
        return cls(shares={option: 1.0}, options=options or Options())

    def money_eur(self, budget_eur: float) -> dict[str, float]:
        """EUR for every option (0 for options not listed)."""
        if self.shares is not None:
            given = {k: budget_eur * s for k, s in self.shares.items()}
        else:
            given = dict(self.amounts_eur or {})
        return {o: float(given.get(o, 0.0)) for o in OPTIONS}

    def label(self) -> str:
        """The mix in a few words, e.g. ``passive_protection 50%, interceptor_drones 50%``."""
        if self.shares is not None:
            parts = [f"{k} {100 * v:.0f}%" for k, v in self.shares.items() if v > 0]
        else:
            parts = [f"{k} EUR {v / 1e6:,.1f}M" for k, v in (self.amounts_eur or {}).items()
                     if v > 0]
        return ", ".join(parts) or "nothing"


def programme_budget_eur(defense) -> float:
    """The interceptor-drone programme's money: ``defense.budget_eur`` without a portfolio,
    else the portfolio's money on ``interceptor_drones``."""
    p = getattr(defense, "portfolio", None)
    if p is None:
        return float(defense.budget_eur)
    return p.money_eur(float(defense.budget_eur))["interceptor_drones"]


def programme_defense(defense):
    """The ``defense`` section as the programme sees it: the budget is the programme's money
    (:func:`programme_budget_eur`) and no portfolio (the schedules of the interceptor forces
    are built from it, :func:`sim.model.forces.force_schedule`). Without a portfolio it is
    ``defense`` itself."""
    if getattr(defense, "portfolio", None) is None:
        return defense
    return defense.model_copy(update={"budget_eur": programme_budget_eur(defense),
                                      "portfolio": None})


# --------------------------------------------------------------------------- cross-section checks
def _error_at(loc: tuple, message: str, value: Any) -> ValidationError:
    """A validation error at a key path below the model being validated."""
    return ValidationError.from_exception_data(
        "Scenario",
        [InitErrorDetails(type=PydanticCustomError("portfolio", message), loc=loc, input=value)],
    )


def _mechanism_off(scenario, given: dict[str, float]) -> tuple[str, str] | None:
    """``(option, reason)`` for an option with money whose mechanism the scenario switches off
    (its money would buy nothing), else ``None``."""
    if given["missile_interceptors"] > 0 and not scenario.threat.missiles.enabled:
        return ("missile_interceptors", "missile-defence interceptors, but missiles are not "
                "simulated (threat.missiles.enabled is false): they would never fire")
    fg = scenario.defense.layers.mobile_fire_groups
    if given["mobile_fire_groups"] > 0 and (fg.p_engage <= 0 or fg.engagements_per_night <= 0):
        return ("mobile_fire_groups", "mobile fire groups, but the fire-group layer engages "
                "nothing (defense.layers.mobile_fire_groups.p_engage or engagements_per_night "
                "is 0): more groups would change nothing")
    return None


def check_scenario(scenario) -> None:
    """Checks of ``defense.portfolio`` against the rest of the scenario (called by the schema
    after the sections are valid): amounts within ``defense.budget_eur``; missile items naming
    systems of ``defense.missile_defense``, and those the portfolio pays for enabled and with a
    cost per missile > 0; the energy model on (the options are compared by what they do to the
    power system); no money on an option the model does not apply (:data:`WIRED`) or whose
    mechanism the scenario switches off (missiles not simulated, a fire-group layer that
    engages nothing).

    Raises:
        ValidationError: at the key path of the first problem (the loader turns it into a
            :class:`~sim.config.errors.ScenarioError`).
    """
    d = scenario.defense
    p = getattr(d, "portfolio", None)
    if p is None:
        return
    root = ("defense", "portfolio")
    if not scenario.energy.enabled:
        raise _error_at(root, "a portfolio needs the energy model (energy.enabled is false): "
                        "its options act on the power system and are compared by demand "
                        "served", None)
    budget = float(d.budget_eur)
    if p.amounts_eur is not None:
        total = sum(p.amounts_eur.values())
        if total > budget * (1 + 1e-12) + 1e-6:
            raise _error_at(root + ("amounts_eur",),
                            f"amounts sum to EUR {total:,.0f}, above the budget "
                            f"(defense.budget_eur = EUR {budget:,.0f})", None)
    given = p.money_eur(max(budget, 1.0))
    form = "shares" if p.shares is not None else "amounts_eur"

    def at(option: str) -> tuple:
        return root + (("option",) if p.option is not None else (form, option))

    for option in OPTIONS:
        if given[option] > 0 and option not in WIRED:
            raise _error_at(at(option),
                            f"{OPTION_NAMES[option]}: the model does not apply this option yet "
                            f"(options it applies: {', '.join(o for o in OPTIONS if o in WIRED)}); "
                            "money on it would buy nothing in the simulation", None)
    off = _mechanism_off(scenario, given)
    if off is not None:
        raise _error_at(at(off[0]), off[1], None)
    systems = d.missile_defense.systems
    funded = given["missile_interceptors"] > 0
    for name, item in p.options.missile_interceptors.items.items():
        loc = root + ("options", "missile_interceptors", "items", name)
        if name not in systems:
            raise _error_at(loc, _unknown("missile-defence system", name, list(systems))
                            + " (defense.missile_defense.systems)", None)
        s = systems[name]
        if not (funded and item.share > 0):
            continue  # no money for this system: its settings do not matter
        if not s.enabled:
            raise _error_at(loc, f"share {item.share:g} for a disabled system "
                            f"(defense.missile_defense.systems.{name}.enabled is false): its "
                            "interceptors would never fire", item.share)
        if not s.interceptor_cost_eur > 0:
            raise _error_at(loc, f"unit cost is defense.missile_defense.systems.{name}."
                            f"interceptor_cost_eur = {s.interceptor_cost_eur:g}; it must be > 0 "
                            "EUR to buy interceptors with money", s.interceptor_cost_eur)


# --------------------------------------------------------------------------- cost table
def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


def cost_rows() -> list[dict[str, str]]:
    """Every figure of every option's cost model with its unit, status and source: the rows of
    :data:`DATA_FILE`, and before them the programme's defaults (``interceptor_drones``, from
    the schema) and the missile-defence systems' cost per missile (``sim.config.missiles``)."""
    from sim.config.missiles import MissileDefenseSystems
    from sim.config.schema import Defense

    d = Defense()
    c, dl, pr = d.costs, d.delivery, d.programme
    prog = [
        ("airframes", "unit_cost_eur", c.interceptor_unit_cost_eur, "EUR an airframe",
         "SOURCED", "defense.costs.interceptor_unit_cost_eur (USD 3-5k, Zelensky Oct 2025)"),
        ("crews", "unit_cost_eur", c.crew_training_cost_eur, "EUR a crew (training, kit)", "EST",
         "defense.costs.crew_training_cost_eur"),
        ("crews", "running_cost_eur_per_unit_month", c.crew_cost_eur_per_month,
         "EUR a crew a month", "EST", "defense.costs.crew_cost_eur_per_month"),
        ("crews", "crews_per_month", dl.crews_per_month, "crews entering training a month",
         "EST", "defense.delivery.crews_per_month"),
        ("crews", "weeks_to_qualify", pr.training.weeks_to_qualify, "weeks", "EST",
         "defense.programme.training.weeks_to_qualify"),
        ("ground_stations", "unit_cost_eur", c.ground_station_unit_cost_eur, "EUR a station",
         "EST", "defense.costs.ground_station_unit_cost_eur"),
        ("radars", "unit_cost_eur", c.radar_unit_cost_eur, "EUR a radar", "EST",
         "defense.costs.radar_unit_cost_eur"),
        ("launch_sites", "unit_cost_eur", c.launch_site_cost_eur, "EUR a site", "EST",
         "defense.costs.launch_site_cost_eur"),
        ("all", "lead_time_days", pr.contracting_lead_days, "days from the funding decision",
         "EST", "defense.programme.contracting_lead_days"),
        ("airframes", "reference_per_day", pr.production.reference_per_day,
         f"airframes a day for a EUR {pr.production.reference_eur / 1e6:,.0f}M order", "EST",
         "defense.programme.production (rate grows with the money ordered)"),
    ]
    rows = [{"option": "interceptor_drones", "item": i, "parameter": k, "value": _fmt(v),
             "unit": u, "status": s, "source": src} for i, k, v, u, s, src in prog]
    for name, s in MissileDefenseSystems().systems.items():
        rows.append({"option": "missile_interceptors", "item": name,
                     "parameter": "unit_cost_eur", "value": _fmt(s.interceptor_cost_eur),
                     "unit": "EUR a missile", "status": "EST",
                     "source": f"defense.missile_defense.systems.{name}.interceptor_cost_eur "
                               "(sim/config/missiles.py)"})
    for r in table_rows():
        rows.append({**r, "value": _fmt(float(r["value"]))})
    return rows


def cost_table_markdown() -> str:
    """The options' cost table (Markdown), as printed in ``docs/sources.md``."""
    lines = ["| option | item | figure | value | unit | status | source |",
             "|---|---|---|---|---|---|---|"]
    for r in cost_rows():
        src = r["source"].replace("|", "/")
        lines.append(f"| {r['option']} | {r['item'] or '(option)'} | `{r['parameter']}` | "
                     f"{r['value']} | {r['unit']} | {r['status']} | {src} |")
    return "\n".join(lines)
