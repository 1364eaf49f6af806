"""The spending options of ``defense.portfolio`` (ways of keeping the lights on other than, and
besides, the interceptor-drone programme) and the cost model of each.

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
a scenario may override any figure under ``defense.portfolio.options`` and entries not given keep
their defaults (:class:`Options`). An unknown item (with the closest name), item shares not
summing to 1 or a unit cost of zero or less is refused here; the portfolio itself (the money on
each option) and the checks against the rest of the scenario are :mod:`sim.config.portfolio`.

This module imports neither numpy nor pandas (fast start).
"""

from __future__ import annotations

import csv
import math
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator, model_validator

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

_STATUSES = ("SOURCED", "DERIVED", "EST")


def unknown_name(kind: str, name: str, known) -> str:
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
                    raise ValueError(unknown_name("item", str(name), list(defaults["items"])))
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
                    f"{unknown_name('item', str(name), known)}; an item for another system of "
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
                raise ValueError(unknown_name("site type", t, SITE_TYPES))
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
