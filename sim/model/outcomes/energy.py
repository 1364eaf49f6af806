"""The energy outcomes: what the attacks did to the power system and to the people it serves.

Demand and what was served (the winter's share of demand served, energy not served, hours
without power a day, the peak deficit), imports, distributed generation and batteries used,
capacity, substations, transformers and lines out of service, gas, heat and water lost, repairs,
and the energy not served split between drone and missile hits. The nightly ones are tonight's
energy results (:meth:`sim.model.energy.system.EnergySystem.night`), each read by its own name,
recorded only when the energy model runs (:data:`sim.model.outcomes.ENERGY_NIGHTLY`); added to
the registry after the shares and money (:func:`register_energy`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sim.config.energy import SITE_TYPES
from sim.model.outcomes.derived import share as _share
from sim.model.registry import MAXIMIZE, MINIMIZE, Outcome, Registry, ratio

__all__ = ["GROUP", "register_energy"]

GROUP = "energy"
"""The energy outcomes' group in the registry (``Outcome.group``)."""
_E = GROUP


def _energy(key: str) -> Callable[[Any], float]:
    """Reader of one of tonight's energy results (``night.energy``, the keys of
    :meth:`sim.model.energy.system.EnergySystem.night`)."""
    return lambda n: n.energy[key]


_ENERGY = (
    Outcome("demand_mw", "Evening-peak demand", "MW", kind="power", group=_E, over_nights="max"),
    Outcome("served_mw", "Evening-peak demand served", "MW", kind="power", group=_E,
            over_nights="min"),
    Outcome("peak_demand_served_fraction", "Evening-peak demand served", "share", kind="share",
            upper=1.0, group=_E, nightly=False, over_nights="mean",
            source="demand_served_fraction"),
    Outcome("energy_demand_mwh", "Energy demanded", "MWh", kind="energy", group=_E),
    Outcome("energy_served_mwh", "Energy served", "MWh", kind="energy", group=_E),
    Outcome("energy_not_served_mwh", "Energy not served", "MWh", kind="energy", group=_E,
            direction=MINIMIZE, headline=20, monthly=True,
            description="Shortfall against demand over the winter's load blocks (hours)."),
    Outcome("outage_hours_per_day", "Hours without power a day (households)", "hours",
            kind="ratio", upper=24.0, group=_E, over_nights="mean", direction=MINIMIZE,
            monthly=True, headline=11,
            description="Scheduled-outage hours a household is without power, mean over the "
            "days: in each hour of the daily load curve a share min(1, shed / household demand) "
            "of households is off (households are shed first, industry after them, critical "
            "loads last: energy.household_share); summed over the hours of the day (0-24). By "
            "oblast in summary.json's details (outage_hours_per_day_by_region)."),
    Outcome("peak_deficit_gw", "Peak deficit (mean of days)", "GW", kind="ratio", group=_E,
            over_nights="mean", direction=MINIMIZE, monthly=True, headline=13,
            description="The day's largest hourly shortfall of supply against demand (the "
            "evening peak deficit), after imports, distributed generation and batteries; "
            "mean over the days."),
    Outcome("peak_deficit_gw_max", "Largest peak deficit", "GW", kind="ratio", group=_E,
            nightly=False, over_nights="max", source="peak_deficit_gw", direction=MINIMIZE,
            description="The largest daily peak deficit of the winter or month."),
    Outcome("imports_used_mwh", "Imports used", "MWh", kind="energy", group=_E, monthly=True,
            description="Energy imported from EU grids: what was served beyond domestic "
            "generation, up to the month's import capacity (energy.import_capacity_mw_by_month); "
            "dispatched after domestic generation, before distributed generation and batteries."),
    Outcome("distributed_generation_used_mwh", "Distributed generation used", "MWh",
            kind="energy", group=_E,
            description="Energy from distributed generation (energy.distributed_generation_mw) "
            "in the hours the grid and imports fell short."),
    Outcome("storage_used_mwh", "Grid batteries discharged", "MWh", kind="energy", group=_E,
            description="Energy the grid batteries (energy.storage_mw) gave in the hours with "
            "most load shed."),
    Outcome("deficit_gt_10pct", "Nights with a deficit above 10% of peak demand", "nights",
            group=_E, nightly=True),
    Outcome("regions_deficit_gt_10pct", "Oblasts short by more than 10% at the peak", "oblasts",
            group=_E, over_nights="max"),
    Outcome("available_generation_mw", "Available generation with imports", "MW", kind="power",
            group=_E, over_nights="min",
            description="Domestic generation in service, import capacity, distributed "
            "generation and grid batteries (MW)."),
    Outcome("domestic_generation_mw", "Available domestic generation", "MW", kind="power",
            group=_E, over_nights="min"),
    Outcome("capacity_down_mw", "Generation out of service from damage", "MW", kind="power",
            group=_E, over_nights="max"),
    Outcome("substation_capacity_down_mw", "Substation capacity out of service", "MW",
            kind="power", group=_E, over_nights="max"),
    Outcome("gas_output_mcm", "Gas output", "million m3", kind="level", group=_E),
    Outcome("gas_output_lost_mcm", "Gas output lost", "million m3", kind="level", group=_E,
            direction=MINIMIZE, monthly=True),
    Outcome("gas_production_lost_mcm", "Gas production lost", "million m3", kind="level",
            group=_E),
    Outcome("gas_storage_lost_mcm", "Gas storage withdrawal lost", "million m3", kind="level",
            group=_E),
    Outcome("water_outage_hours", "Water-utility outage", "utility-hours", group=_E,
            direction=MINIMIZE),
    Outcome("water_utilities_affected", "Water utilities short of power", "utilities", group=_E,
            over_nights="max"),
    Outcome("sites_damaged", "Energy sites damaged", "sites", group=_E, over_nights="max"),
    Outcome("sites_down", "Energy sites out of service", "sites", group=_E, over_nights="max"),
    Outcome("repair_jobs_open", "Repair jobs open", "jobs", group=_E, over_nights="max"),
    Outcome("spare_transformers_left", "Spare transformers left", "transformers", group=_E,
            over_nights="last"),
    Outcome("temperature_c", "Daily mean temperature", "deg C", kind="level", lower=None,
            group=_E, over_nights="mean"),
    Outcome("demand_scale", "Demand relative to the design day", "ratio", kind="ratio", group=_E,
            over_nights="max"),
    # Nightly column, reported at the evening peak; the winter and monthly values are the
    # energy-weighted share (energy served / energy demanded).
    Outcome("demand_served_fraction", "Winter demand served", "share", kind="share", upper=1.0,
            group=_E, over_nights="derive", needs=("energy_served_mwh", "energy_demand_mwh"),
            derive=lambda v: ratio(v["energy_served_mwh"], v["energy_demand_mwh"])
            if v["energy_demand_mwh"] > 0 else 1.0,
            direction=MAXIMIZE, monthly=True, headline=10,
            description="Nightly: share of evening-peak demand served. Winter and month: energy "
            "served / energy demanded over all load blocks."),
    Outcome("peak_demand_served_fraction_mean", "Evening-peak demand served, mean of nights",
            "share", kind="share", upper=1.0, group=_E, nightly=False, over_nights="mean",
            source="demand_served_fraction", direction=MAXIMIZE),
    Outcome("min_night_demand_served_fraction", "Demand served on the worst night", "share",
            kind="share", upper=1.0, group=_E, nightly=False, over_nights="min",
            source="demand_served_fraction", direction=MAXIMIZE),
    Outcome("nights_deficit_gt_10pct", "Nights with a deficit above 10%", "nights", group=_E,
            nightly=False, source="deficit_gt_10pct", direction=MINIMIZE),
    Outcome("min_available_capacity_mw", "Lowest available capacity", "MW", kind="power",
            group=_E, nightly=False, over_nights="min", source="available_generation_mw",
            direction=MAXIMIZE),
    *(Outcome(f"capacity_days_lost_by_type.{t}", f"Capacity-days lost: {t.replace('_', ' ')}",
              "MW-days", kind="energy", group=_E, nightly=False, over_nights="constant",
              direction=MINIMIZE) for t in SITE_TYPES),
    Outcome("max_sites_down", "Most sites out of service at once", "sites", group=_E,
            nightly=False, over_nights="max", source="sites_down", direction=MINIMIZE),
    Outcome("energy_not_served_mwh_drones", "Energy not served, caused by drone hits", "MWh",
            kind="energy", group=_E, direction=MINIMIZE,
            description="Energy not served each night, split between weapons by the MW of "
            "open repair jobs each caused."),
    Outcome("energy_not_served_mwh_missiles", "Energy not served, caused by missile hits", "MWh",
            kind="energy", group=_E, direction=MINIMIZE),
    *(Outcome(f"capacity_down_mw_{t}", f"Capacity out of service: {t.replace('_', ' ')}", "MW",
              kind="power", group=_E, over_nights="max", winter=False) for t in SITE_TYPES),
    Outcome("generating_units_down", "Generating units out of service", "units", group=_E,
            over_nights="max"),
    Outcome("transformers_down", "Substation transformers out of service", "transformers",
            group=_E, over_nights="max", direction=MINIMIZE),
    Outcome("lines_down", "Transmission line circuits out of service", "circuits", group=_E,
            over_nights="max", direction=MINIMIZE),
    Outcome("heat_demand_mwh_th", "Heat demand on CHPs", "MWh", kind="energy", group=_E,
            winter=False),
    Outcome("heat_not_served_mwh_th", "City heat not served by CHPs", "MWh", kind="energy",
            group=_E, direction=MINIMIZE, monthly=True),
    Outcome("lp_solves", "Load-shedding solves", "solves", group=_E, winter=False),
    _share("energy_loss_share_missiles", "Share of energy not served caused by missiles",
           ("energy_not_served_mwh_missiles", "energy_not_served_mwh"),
           lambda v: ratio(v["energy_not_served_mwh_missiles"], v["energy_not_served_mwh"]),
           group=_E, headline=25, description="Energy not served attributed to missile hits / "
           "all energy not served (see energy_not_served_mwh_drones)."),
    Outcome("grid_nodes", "Grid nodes in service at the start", "nodes", group=_E,
            nightly=False, over_nights="constant"),
    Outcome("grid_links", "Grid lines in service at the start", "lines", group=_E,
            nightly=False, over_nights="constant"),
)


def register_energy(reg: Registry) -> None:
    """Add the energy outcomes to ``reg``, in their order, each nightly one read from tonight's
    energy results by its own name."""
    reg.add(*_ENERGY)
    # peak_demand_served_fraction above duplicates peak_demand_served_fraction_mean; keep one name.
    del reg.outcomes["peak_demand_served_fraction"]
    # Every nightly energy outcome is one of tonight's energy results, read by its own name.
    for _o in [o for o in reg if o.group == _E and o.nightly]:
        reg.outcomes[_o.name] = replace(_o, read=_energy(_o.name))
