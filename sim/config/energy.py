"""The scenario's ``energy`` section: damage per hit, repair times, spares, demand, imports.

Site types and statuses of the energy-site files are defined here too, since the schema checks
per-type keys against them (:mod:`sim.config.data` reads the files). The default figures (repair
times by site type, damage per hit, availability, repair priority, weapon weights) and the
repair-time distribution are in :mod:`sim.config.energy_defaults`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.config.base import Strict
from sim.config.energy_defaults import (
    DEFAULT_PRIORITY,
    E_TRANSFORMER_SOURCE,
    WEAPON_SOURCE,
    RepairDistribution,
    default_availability,
    default_damage,
    default_repair_days,
    default_weapon_weights,
)

SITE_TYPES: tuple[str, ...] = (
    "thermal",
    "chp",
    "hydro",
    "pumped_storage",
    "nuclear",
    "substation_750",
    "substation_330",
    "gas_production",
    "gas_storage",
    "water_utility",
    "substation_220",
    "solar",
    "line",
)
"""Allowed values of the ``type`` column. ``line`` rows are transmission lines of the grid
(``id`` = a line id of ``grid_lines.csv``); they are aim points only if a targeting weight is
given for them (none by default)."""


GENERATION_TYPES: tuple[str, ...] = ("thermal", "chp", "hydro", "pumped_storage", "nuclear", "solar")


SUBSTATION_TYPES: tuple[str, ...] = ("substation_750", "substation_330", "substation_220")


WEAPON_CLASSES: tuple[str, ...] = ("drone", "cruise", "ballistic", "kh22", "kh59")
"""Keys of a ``hits`` dict passed to the energy system (one array per site row each)."""


GAS_TYPES: tuple[str, ...] = ("gas_production", "gas_storage")


SITE_STATUSES: tuple[str, ...] = ("operational", "occupied", "destroyed")
"""Allowed values of the ``status`` column."""


LEDGER_RECORD_START = dt.date(2022, 2, 24)
"""First date of the damage ledger's record (the full-scale invasion)."""
LEDGER_RECORD_END = dt.date(2025, 10, 1)
"""Last date of the damage ledger's record: what could be known on 1 Oct 2025."""


HOURS_PER_NIGHT = 24.0
"""Each night step stands for one day of supply (h)."""


def _check_type_keys(value: dict, name: str) -> None:
    import difflib

    unknown = sorted(set(value) - set(SITE_TYPES))
    if unknown:
        close = difflib.get_close_matches(unknown[0], SITE_TYPES, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"{name}: unknown site type(s) {', '.join(unknown)}{hint}; allowed: "
            f"{', '.join(SITE_TYPES)}"
        )


class EnergyConfig(Strict):
    """Energy consequence model settings (scenario section ``energy``).

    Per-type dictionaries may list only some types; the others keep their defaults.
    """

    enabled: bool = Field(True, description="Run the energy model. If false, hits are ignored.")
    regions_file: str | None = Field(
        None, description="Oblast demand table (CSV); default the packaged sim/data/regions.csv."
    )
    grid_links_file: str | None = Field(
        None,
        description="Retired: the oblast-level links table was replaced by the node-level grid "
        "(grid_nodes_file, grid_lines_file, grid_loads_file). Setting it is an error.",
    )
    grid_nodes_file: str | None = Field(
        None,
        description="Grid nodes (CSV); default the packaged sim/data/grid_nodes.csv (ENTSO-E map "
        "via rjuly7/ukraine_test_case; see sim/data/README_grid.md).",
    )
    grid_lines_file: str | None = Field(
        None, description="Grid lines (CSV); default the packaged sim/data/grid_lines.csv."
    )
    grid_loads_file: str | None = Field(
        None,
        description="Demand at grid nodes as shares of oblast demand (CSV); default the packaged "
        "sim/data/grid_loads.csv (city populations).",
    )
    solver: Literal["dc", "transport"] = Field(
        "dc",
        description="Load shedding each night: 'dc' = DC power flow with load shedding (linear "
        "programme with Kirchhoff's voltage law, HiGHS); 'transport' = the same without "
        "Kirchhoff's voltage law (a max-flow with priorities; faster, never serves less).",
    )
    exact_load_blocks: bool = Field(
        False,
        description="Solve the load-shedding LP at every block of the daily load curve. False "
        "(faster): the evening peak is always solved; a lower block is taken as fully served "
        "when a higher demand was, in closed form when no branch binds, else from the LP's "
        "sensitivity at the peak (see docs/energy.md for the measured error).",
    )
    critical_load_weight: float = Field(
        10.0,
        gt=1,
        description="Cost of shedding 1 MW of a critical load (water utilities) relative to 1 MW "
        "of other demand, in the load-shedding objective (dimensionless). EST: critical loads "
        "are shed last.",
    )
    damage_weight_by_weapon: dict[str, float] = Field(
        default_factory=default_weapon_weights,
        description="Damage of one hit by weapon class relative to a Shahed-type drone hit "
        "(dimensionless; multiplies damage_fraction_per_hit). " + WEAPON_SOURCE,
    )
    line_bay_damage_per_hit: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Expected number of line circuits (bays) put out of service at a substation "
        "per drone-equivalent hit on it, besides its transformers (circuits). EST: strikes on "
        "NPP-feeding substations cut off-site lines (30 Oct 2025, 17 Nov 2024; docs/sources.md §D).",
    )
    chp_heat_to_power: float = Field(
        2.0,
        ge=0,
        description="Heat output of a CHP at the design temperature per MW of electrical "
        "capacity (MW heat / MW). EST: extraction CHPs of Kyiv supply ~2-3 MW of heat per MW "
        "of electricity in winter (typical heat-to-power ratios of 1.5-3).",
    )
    weather_file: str | None = Field(
        None,
        description="Monthly mean temperatures (CSV); default sim/data/weather.csv "
        "(Kyiv 1991-2020 norms, Central Geophysical Observatory).",
    )
    repair_crews: int = Field(
        60,
        ge=0,
        description="Repair jobs that can be worked at once nationwide (crews). EST; "
        "~60 transformers knocked out per month were replaced (Nekrasov, 29 Dec 2025, https://en.interfax.com.ua/news/economic/1132249.html).",
    )
    max_parallel_repairs_per_site: int = Field(
        4,
        ge=1,
        description="Repair jobs worked at once on one site (jobs); later jobs queue, so hits on "
        "a site that is already down extend its outage. EST (large plants have many units).",
    )
    spare_transformers: int = Field(
        30,
        ge=0,
        description="Spare autotransformers on hand at the start (units). EST; "
        "Ukrenergo holds a 'threefold stock' of repair equipment (no count given; "
        "https://unn.ua/en/news/preparation-for-winter-ukrenergo-has-accumulated-a-threefold-stock-of-repair-equipment).",
    )
    spare_transformer_deliveries_per_30_days: float = Field(
        40.0,
        ge=0,
        description="Spare autotransformers arriving per 30 nights (units, from industry, "
        "donors and other regions). EST, below the ~60 a month knocked out in late 2025 "
        "(docs/sources.md §E), since only about half the damage was restored within ~3 months.",
    )
    substation_transformer_groups: int = Field(
        2,
        ge=1,
        description="Transformers of a substation row whose node and file give no count "
        "(units; user site files without a `units` column). Each damaged transformer needs one "
        "spare. EST.",
    )
    damage_fraction_per_hit: dict[str, float] = Field(
        default_factory=default_damage,
        description="Share of a site's capacity (0-1) that one warhead hit takes out, by site "
        "type (expected value per hit). EST, no public per-hit figure: calibrated on docs/sources.md §E "
        "(fall 2025: ~440 strikes on energy facilities damaged ~8,000 MW, ~18 MW per strike; "
        ">2,000 strikes on the grid knocked out ~60 transformers a month).",
    )
    repair_days: dict[str, RepairDistribution] = Field(
        default_factory=default_repair_days,
        description="Repair time of one damage job by site type (days, lognormal). For "
        "substations: with a spare transformer on hand. Sources in each entry.",
    )
    substation_repair_without_spare: RepairDistribution = Field(
        default_factory=lambda: RepairDistribution(
            median_days=210, sigma=0.35, min_days=120, max_days=730, source=E_TRANSFORMER_SOURCE
        ),
        description="Repair time of a transformer of 330 kV and below when no spare is left "
        "(days): a new unit's lead time.",
    )
    substation_repair_without_spare_750: RepairDistribution = Field(
        default_factory=lambda: RepairDistribution(
            median_days=300, sigma=0.35, min_days=180, max_days=730, source=E_TRANSFORMER_SOURCE
            + "; 750 kV units are the scarcest (up to 200 t, 6-18 months)"
        ),
        description="Repair time of a 750/330 kV autotransformer group when no spare is left "
        "(days).",
    )
    repair_priority: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PRIORITY),
        description="Order in which crews take site types (first = first); larger MW first "
        "within a type. Types not listed come last.",
    )
    state_as_of: dt.date | None = Field(
        None,
        description="Knowledge date of the start state (YYYY-MM-DD): every entry of the damage "
        "ledger (damage_ledger_file) dated on or before it puts its share of a component's "
        "units out of service at night 0, less what was repaired by then; entries and repairs "
        "dated later are not seen. None: no ledger (availability_fraction alone). With a "
        "ledger, availability_fraction should hold only the technical availability (fuel, "
        "maintenance, water), not the war damage (sim/data/README_energy.md).",
    )
    damage_ledger_file: str | None = Field(
        None,
        description="Damage ledger (CSV) read when state_as_of is set; default the packaged "
        "sim/data/energy_damage_ledger.csv (dated, sourced rows 24 Feb 2022 - 1 Oct 2025).",
    )
    nuclear_evacuation: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "rivne_npp": ["zakhidnoukrainska_750", "kyivska_750"],
            "khmelnytskyi_npp": ["zakhidnoukrainska_750", "kyivska_750"],
            "south_ukraine_npp": ["vinnytska_750", "dniprovska_750"],
        },
        description="Substations that carry each nuclear plant's output (site ids): a plant "
        "gives at most the mean availability of its substations times its own (a plant whose "
        "750 kV substations are half out delivers half). Sources: the 750 kV lines of "
        "docs/sources.md §D (Zakhidnoukrainska to Rivne and Khmelnytskyi NPPs, Kyivska to "
        "Rivne and Khmelnytskyi, Vinnytsia and Dniprovska to South Ukraine NPP); NPP output cut "
        "after substation strikes on 17 Nov 2024 (IAEA) and in Feb 2026. Ids not in the site "
        "table are ignored; {} turns the rule off.",
    )
    availability_fraction: dict[str, float] = Field(
        default_factory=default_availability,
        description="Share of nameplate capacity (0-1) available at the start of the winter, "
        "by type, before any hit of the scenario. EST: docs/sources.md §E (9 GW lost in spring 2024; "
        "'all state TPPs destroyed'; DTEK >50% damaged); nuclear: 7,880 MW of 9 units "
        "operating (docs/sources.md §D).",
    )
    import_capacity_mw: float = Field(
        1700.0,
        ge=0,
        description="Import capacity from EU grids (MW). EST, no primary source found "
        "(ENTSO-E import limit of about 1.7 GW announced in 2024).",
    )
    import_region_ids: list[str] = Field(
        default_factory=lambda: ["zakarpattia", "lviv", "odesa"],
        description="Oblasts where imports enter the grid (ids of regions.csv): at the "
        "interconnector nodes of grid_nodes.csv in these oblasts (Mukacheve, Zakhidnoukrainska, "
        "Dobrotvir, Usatove). An oblast without an interconnector node is an error.",
    )
    availability_by_month: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Multipliers of availability_fraction by calendar month 'YYYY-MM' and "
        "generation type (0-1; e.g. nuclear units in planned summer repair). Months and types "
        "not listed: 1. Used by the energy fit's replays of 2024-25 "
        "(sim/calibration/energy_fit.py).",
    )
    import_capacity_mw_by_month: dict[str, float] = Field(
        default_factory=dict,
        description="Import capacity by calendar month 'YYYY-MM' (MW); months not listed use "
        "import_capacity_mw. ENTSO-E raised the limit on imports to Ukraine and Moldova from "
        "1.7 GW to 2.1 GW from 1 Dec 2024 (European Commission, 29 Oct 2024, docs/sources.md, "
        "Energy); what can be bought in a month is lower (EST).",
    )
    distributed_generation_mw: float = Field(
        0.0,
        ge=0,
        description="Distributed generation installed across the country (gas-piston and "
        "gas-turbine units, cogeneration; MW available in a deficit), at every load node in "
        "proportion to its demand; dispatched after the grid's generation and imports, before "
        "shedding. EST (docs/energy.md).",
    )
    distributed_generation_mw_by_month: dict[str, float] = Field(
        default_factory=dict,
        description="distributed_generation_mw by calendar month 'YYYY-MM' (MW); months not "
        "listed use distributed_generation_mw.",
    )
    storage_mw: float = Field(
        0.0,
        ge=0,
        description="Grid batteries installed (MW), discharged into the hours with the most "
        "load shed, up to storage_hours at full power a day, when some hour of the day had "
        "nothing shed (recharge). EST (docs/energy.md).",
    )
    storage_hours: float = Field(
        2.0, gt=0, le=24, description="Energy of the grid batteries at full power (h). EST."
    )
    household_share: float = Field(
        0.35,
        gt=0,
        le=1,
        description="Households' share of ordinary (non-critical) demand (dimensionless). "
        "Households are shed first, by scheduled-outage queues, industry after them and "
        "critical loads last, as the operator does; hours without power a day are the "
        "households' (outage_hours_per_day). EST: households ~ a third of Ukraine's "
        "electricity use, more in winter.",
    )
    load_profile: Literal["blocks", "hourly"] = Field(
        "blocks",
        description="Daily load curve: 'blocks' = load_block_hours / load_block_factors (the "
        "same every day); 'hourly' = 24 hours shaped by month (load_shape_file) with "
        "month_level (the seasonal fall in spring), shedding in the hours it happens.",
    )
    load_shape_file: str | None = Field(
        None,
        description="Hourly load shape by month (CSV: month, hour, factor); default the "
        "packaged sim/data/load_shape.csv (EST shapes, sim/data/README_energy.md).",
    )
    month_level: list[float] = Field(
        default_factory=lambda: [1.0, 0.98, 0.93, 0.9, 1.0, 1.12, 1.15, 1.15, 1.0, 0.92, 0.97,
                                 1.0],
        min_length=12,
        max_length=12,
        description="Demand level of each month January..December beyond heating (lighting, "
        "daylight, cooling; multiplies the temperature-driven scale) with load_profile "
        "'hourly' (dimensionless). EST: consumption falls from January to March faster than "
        "heating alone (longer days); summer evening peaks ~70% of winter's (cooling).",
    )
    demand_scale_factor: float = Field(
        1.0, gt=0, description="Multiplies every oblast's winter peak demand (dimensionless)."
    )
    # scales for sensitivity analysis (the portfolio's ranking, sweeps/portfolio-ranking.yaml)
    damage_scale: float = Field(
        1.0, gt=0, le=20, allow_inf_nan=False,
        description="Multiplies the expected damage of every hit (damage_fraction_per_hit x "
        "damage_weight_by_weapon, and the line bays a substation hit takes out); for "
        "sensitivity analysis (dimensionless; 1: as given).")
    repair_time_scale: float = Field(
        1.0, gt=0, le=20, allow_inf_nan=False,
        description="Multiplies every repair time drawn (days, rounded up; with and without a "
        "spare transformer); for sensitivity analysis (dimensionless; 1: as given).")
    hdd_base_c: float = Field(
        18.0,
        description="Heating-degree-day base temperature (deg C); 18 C is the usual "
        "European convention (Eurostat uses 18 C with a 15 C threshold).",
    )
    design_temperature_c: float = Field(
        -10.0,
        description="Daily mean temperature at which demand equals the oblast peak in "
        "regions.csv (deg C). EST.",
    )
    base_load_fraction: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of peak demand that does not depend on temperature "
        "(dimensionless). EST.",
    )
    temperature_offset_c: float = Field(
        0.0, description="Added to every day's normal temperature (deg C); negative = cold winter."
    )
    cold_snap_start_offset_days: int = Field(
        60, ge=0, description="First night of the cold snap, counted from night 0 (nights)."
    )
    cold_snap_nights: int = Field(
        0, ge=0, description="Length of the cold snap (nights); 0 = none."
    )
    cold_snap_delta_c: float = Field(
        -10.0,
        description="Temperature change during the cold snap (deg C). Winter "
        "2025-26 in Kyiv reached -20.2 C on 10 Feb 2026 (menafn.com/1110814683).",
    )
    load_block_hours: list[float] = Field(
        default_factory=lambda: [4.0, 8.0, 6.0, 6.0],
        description="Hours per day in each block of the daily load curve (h, sum 24). EST.",
    )
    load_block_factors: list[float] = Field(
        default_factory=lambda: [1.0, 0.93, 0.85, 0.72],
        description="Demand of each block relative to the evening peak (dimensionless, max 1). "
        "EST: typical winter weekday shape.",
    )

    @field_validator("damage_fraction_per_hit", "availability_fraction")
    @classmethod
    def _fraction_by_type(cls, v: dict[str, float], info) -> dict[str, float]:
        _check_type_keys(v, info.field_name)
        for k, x in v.items():
            if not 0.0 <= x <= 1.0:
                raise ValueError(f"{info.field_name}.{k}={x} must be in [0, 1]")
        default = (
            default_damage()
            if info.field_name == "damage_fraction_per_hit"
            else (default_availability())
        )
        return {**default, **v}

    @field_validator("import_capacity_mw_by_month", "distributed_generation_mw_by_month")
    @classmethod
    def _by_month(cls, v: dict[str, float], info) -> dict[str, float]:
        for k, x in v.items():
            try:
                dt.date.fromisoformat(f"{k}-01")
            except ValueError:
                raise ValueError(f"{info.field_name}: {k!r} is not a month (YYYY-MM)") from None
            if not (math.isfinite(x) and x >= 0):
                raise ValueError(f"{info.field_name}.{k}={x} must be a finite number >= 0")
        return v

    @field_validator("availability_by_month")
    @classmethod
    def _av_by_month(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for k, d in v.items():
            try:
                dt.date.fromisoformat(f"{k}-01")
            except ValueError:
                raise ValueError(f"availability_by_month: {k!r} is not a month (YYYY-MM)") from None
            _check_type_keys(d, f"availability_by_month.{k}")
            for t, x in d.items():
                if not 0.0 <= x <= 1.0:
                    raise ValueError(f"availability_by_month.{k}.{t}={x} must be in [0, 1]")
        return v

    @field_validator("month_level")
    @classmethod
    def _levels(cls, v: list[float]) -> list[float]:
        if any(not (math.isfinite(x) and x > 0) for x in v):
            raise ValueError("month_level: every level must be a positive number")
        return v

    @field_validator("state_as_of")
    @classmethod
    def _as_of(cls, v):
        if v is not None and not LEDGER_RECORD_START <= v <= LEDGER_RECORD_END:
            raise ValueError(f"{v} is outside the damage ledger's record ({LEDGER_RECORD_START} "
                             f"to {LEDGER_RECORD_END})")
        return v

    @field_validator("grid_links_file")
    @classmethod
    def _links_retired(cls, v):
        if v is not None:
            raise ValueError(
                "the oblast-level links table was replaced by the node-level grid: give "
                "energy.grid_nodes_file / grid_lines_file / grid_loads_file instead "
                "(see docs/energy.md and sim/data/README_grid.md)"
            )
        return v

    @field_validator("damage_weight_by_weapon")
    @classmethod
    def _weapons(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(WEAPON_CLASSES))
        if unknown:
            raise ValueError(
                f"unknown weapon class(es) {', '.join(unknown)}; allowed: {', '.join(WEAPON_CLASSES)}"
            )
        for k, x in v.items():
            if not (x >= 0 and math.isfinite(x)):
                raise ValueError(f"damage_weight_by_weapon.{k}={x} must be a finite number >= 0")
        return {**default_weapon_weights(), **v}

    @field_validator("repair_days")
    @classmethod
    def _repair_by_type(cls, v: dict[str, RepairDistribution]) -> dict[str, RepairDistribution]:
        _check_type_keys(v, "repair_days")
        return {**default_repair_days(), **v}

    @field_validator("repair_priority")
    @classmethod
    def _priority(cls, v: list[str]) -> list[str]:
        _check_type_keys(dict.fromkeys(v), "repair_priority")
        return list(dict.fromkeys(v)) + [t for t in DEFAULT_PRIORITY if t not in v]

    @model_validator(mode="after")
    def _blocks(self) -> EnergyConfig:
        h, f = self.load_block_hours, self.load_block_factors
        if len(h) != len(f) or not h:
            raise ValueError("load_block_hours and load_block_factors must have the same length")
        if abs(sum(h) - HOURS_PER_NIGHT) > 1e-6 or min(h) <= 0:
            raise ValueError(f"load_block_hours must be positive and sum to 24 (got {sum(h)})")
        if min(f) <= 0 or abs(max(f) - 1.0) > 1e-9:
            raise ValueError("load_block_factors must be positive with a maximum of exactly 1")
        if self.design_temperature_c >= self.hdd_base_c:
            raise ValueError("design_temperature_c must be below hdd_base_c")
        return self
