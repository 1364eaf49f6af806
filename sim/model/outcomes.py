"""The outcome registry: every number the model reports, defined once.

Each :class:`Outcome` says what a number is (label, unit, bounds, whether more is better), where
it comes from (a nightly column the model records, a run constant, or a formula over other
outcomes) and how it aggregates over the nights of a winter or a month. Everything that reads
outcomes reads this registry: the model's DataCollector (which nightly columns exist), runs and
their summaries, the monthly breakdown, the command line's tables, comparisons, sweeps,
figures and the dashboard. A new outcome is one entry here; a nightly one says how it is read
from the night (``read``, a function of :class:`sim.model.night.Night`), and the DataCollector's
reporters are those readers (:func:`night_reporters`).

Aggregation over nights (``over_nights``): ``sum``, ``mean``, ``min``, ``max`` or ``last`` of a
nightly column (``source``, default the outcome's own name); ``derive`` computes an outcome from
other aggregated outcomes (a share of two sums, say), for a winter and for a month alike;
``constant`` outcomes are fixed for a run (the budget, what it ordered). Over replicates,
every outcome is summarised by its mean with a confidence interval (``sim.experiments.stats``),
kept inside the outcome's bounds.

What an outcome is and how outcomes aggregate is :mod:`sim.model.registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sim.config.energy import SITE_TYPES
from sim.model.registry import (
    INFO,
    MAXIMIZE,
    MINIMIZE,
    Outcome,
    Registry,
    format_value,
    ratio,
)

__all__ = ["ENERGY_NIGHTLY", "INDEX_COLUMNS", "INFO", "MAXIMIZE", "MINIMIZE", "MISSILE_NIGHTLY",
           "NET_IDENTITY", "OUTCOMES", "Outcome", "Registry", "format_value", "night_reporters",
           "nightly_columns", "ratio"]


def _force(name: str, attr: str) -> Callable[[Any], Any]:
    """Reader of one attribute of a force on duty tonight (``night.forces[name]``)."""
    return lambda n: getattr(n.forces[name], attr)


def _energy(key: str) -> Callable[[Any], float]:
    """Reader of one of tonight's energy results (``night.energy``, the keys of
    :meth:`sim.model.energy.system.EnergySystem.night`)."""
    return lambda n: n.energy[key]


def _derived(name, label, unit, needs, fn, **kw) -> Outcome:
    return Outcome(name, label, unit, nightly=False, over_nights="derive", needs=tuple(needs),
                   derive=fn, **kw)


def _share(name, label, needs, fn, **kw) -> Outcome:
    return _derived(name, label, "share", needs, fn, kind="share", lower=0.0, upper=1.0, **kw)


OUTCOMES = Registry()

# --------------------------------------------------------------------------- drones
_D = "drones"
OUTCOMES.add(
    Outcome("launched", "Drones launched", "drones", direction=INFO, monthly=True, headline=50,
            description="Shahed-type attack drones launched: Shahed/Geran-2, jet Geran-3 and "
            "decoys, as the Air Force record counts them.",
            read=lambda n: n.raid.n),
    Outcome("launched_shahed", "Shahed/Geran-2 launched", "drones",
            read=lambda n: n.by_type["shahed"]),
    Outcome("launched_jet", "Jet Geran-3 launched", "drones",
            read=lambda n: n.by_type["jet"]),
    Outcome("launched_decoy", "Decoys launched", "drones",
            read=lambda n: n.by_type["decoy"]),
    Outcome("lost_ew", "Lost to electronic warfare", "drones", direction=MAXIMIZE, monthly=True,
            headline=70, description="Lost to jamming en route ('locationally lost' in Air "
            "Force reports).",
            read=lambda n: n.by_fate["ew"]),
    Outcome("destroyed", "Destroyed by all kinetic layers", "drones", direction=MAXIMIZE,
            monthly=True, headline=60, description="Shot down by interceptor drones, mobile fire "
            "groups or missiles: destroyed_programme + destroyed_existing_interceptors + "
            "destroyed_fire_groups + destroyed_missiles.",
            read=lambda n: n.destroyed),
    Outcome("destroyed_programme", "Destroyed by programme interceptors", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.kills_by_force["programme"]),
    Outcome("destroyed_existing_interceptors", "Destroyed by Ukraine's own interceptor units",
            "drones", direction=MAXIMIZE,
            read=lambda n: n.kills_by_force["national"]),
    Outcome("destroyed_fire_groups", "Destroyed by mobile fire groups", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.by_fate["fire_group"]),
    Outcome("destroyed_missiles", "Destroyed by surface-to-air missiles", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.by_fate["missile"]),
    Outcome("leaked", "Reached their target area", "drones", direction=MINIMIZE, monthly=True,
            headline=80, description="Neither destroyed nor lost: launched = destroyed + lost_ew "
            "+ leaked every night.",
            read=lambda n: n.by_fate["leaked"]),
    Outcome("leaked_warhead", "Warhead drones that reached their target area", "drones",
            direction=MINIMIZE,
            read=lambda n: n.leaked_warhead),
    Outcome("hits_on_sites", "Drone hits on energy sites", "hits", direction=MINIMIZE, monthly=True,
            headline=100, description="Warhead leakers aimed at an energy site that hit it "
            "(threat.targeting.p_hit).",
            read=lambda n: int(n.hit.sum())),
    Outcome("hits_on_undefended", "Hits on energy sites with no interceptor team in reach",
            "hits", direction=MINIMIZE,
            read=lambda n: n.hits_on_undefended),
    Outcome("concentrated_salvo", "Nights the attacker massed drones on one defended site",
            "nights",
            read=lambda n: int(n.concentrated)),
    Outcome("aimed_at_energy", "Drones aimed at energy sites", "drones", monthly=True,
            read=lambda n: int(n.aimed_at_energy.sum())),
    Outcome("aimed_at_energy_stopped", "Drones aimed at energy sites that were stopped", "drones",
            direction=MAXIMIZE, monthly=True,
            read=lambda n: int((n.aimed_at_energy & ~n.engagement.leaked).sum())),
    Outcome("tracked", "Drones tracked by command and control", "drones",
            description="Drones for which C2 had a track before they reached their target.",
            read=lambda n: int(n.engagement.tracked.sum())),
)

# --------------------------------------------------------------------------- interceptors
_P = "programme"
OUTCOMES.add(
    Outcome("interceptors_launched", "Programme interceptors launched", "interceptors",
            group=_P, monthly=True, headline=110,
            description="Programme interceptor sorties flown (a recovered interceptor flown "
            "again counts again).",
            read=lambda n: n.interceptors("programme", "launched")),
    Outcome("interceptor_kills", "Programme interceptor kills (gross)", "drones", group=_P,
            direction=MAXIMIZE, monthly=True, headline=120,
            description="Drones destroyed by programme interceptors (= destroyed_programme). "
            "Gross: some of them the other layers would have stopped without the programme "
            "(displacement); net_drones_stopped is the programme's effect.",
            read=lambda n: n.interceptors("programme", "kills")),
    Outcome("interceptors_expended", "Programme interceptors expended", "interceptors",
            group=_P, description="Expended: a kill, or lost after a miss.",
            read=lambda n: n.interceptors("programme", "expended")),
    Outcome("interceptors_recovered", "Programme interceptors recovered", "interceptors",
            group=_P,
            read=lambda n: n.interceptors("programme", "recovered")),
    Outcome("existing_interceptors_launched", "Interceptors launched by Ukraine's own units",
            "interceptors", group="national",
            read=lambda n: n.interceptors("national", "launched")),
    Outcome("existing_interceptor_kills", "Kills by Ukraine's own interceptor units", "drones",
            group="national", direction=MAXIMIZE,
            read=lambda n: n.interceptors("national", "kills")),
    Outcome("existing_interceptors_recovered", "Interceptors recovered by Ukraine's own units",
            "interceptors", group="national",
            read=lambda n: n.interceptors("national", "recovered")),
    Outcome("fire_group_engagements", "Mobile fire group engagements", "engagements",
            group="layers",
            read=lambda n: int(n.engagement.fire_group_engaged.sum())),
    Outcome("missiles_fired", "Surface-to-air missiles fired at drones", "missiles",
            group="layers",
            read=lambda n: int(n.engagement.missile_engaged.sum())),
    Outcome("programme_stock", "Programme interceptors in stock", "interceptors", group=_P,
            over_nights="last",
            description="Delivered and not yet expended (at the end of the night).",
            read=_force("programme", "stock")),
    Outcome("programme_sites", "Programme launch sites active", "sites", group=_P,
            over_nights="max",
            read=_force("programme", "sites")),
    Outcome("programme_crews", "Programme crews ready", "crews", group=_P, over_nights="max",
            read=_force("programme", "crews_active")),
    Outcome("programme_radars", "Programme radars", "radars", group=_P, over_nights="max",
            read=lambda n: n.radars.get("programme", 0)),
    Outcome("programme_spend_eur", "Programme spend to date", "EUR", kind="money", group=_P,
            over_nights="last",
            read=_force("programme", "spend_eur")),
    Outcome("programme_delivered", "Programme interceptors delivered to date", "interceptors",
            group=_P, over_nights="last",
            read=_force("programme", "delivered")),
    Outcome("programme_available", "Programme interceptors it could fly tonight", "interceptors",
            group=_P, winter=False,
            description="Stock at the start of the night, at most the crews' sortie capacity.",
            read=_force("programme", "available")),
    Outcome("programme_limit", "What limits the programme tonight", "label", kind="label",
            group=_P, over_nights="none", winter=False, lower=None,
            description="What caps what it can fly tonight: time, money, airframes, crews, "
            "stations or sites (sim.model.forces); what limits what it stops (geometry) is "
            "decided after the run (sim.model.forces.limits).",
            read=_force("programme", "limit")),
    Outcome("national_stock", "National interceptors in stock", "interceptors", group="national",
            over_nights="last",
            read=_force("national", "stock")),
    Outcome("national_available", "National interceptors it could fly tonight", "interceptors",
            group="national", winter=False,
            read=_force("national", "available")),
    Outcome("national_sites", "National launch sites active", "sites", group="national",
            over_nights="max",
            read=_force("national", "sites")),
    Outcome("national_crews", "National crews active", "crews", group="national",
            over_nights="max",
            read=_force("national", "crews_active")),
    Outcome("national_delivered", "National interceptors delivered to date", "interceptors",
            group="national", over_nights="last",
            read=_force("national", "delivered")),
    Outcome("national_limit", "What limits Ukraine's own force tonight", "label", kind="label",
            group="national", over_nights="none", winter=False, lower=None,
            read=_force("national", "limit")),
    Outcome("attacker_value_killed_programme_eur", "Attacker's cost of drones the programme "
            "destroyed (gross)", "EUR", kind="money", group=_P, direction=MAXIMIZE,
            description="The attacker's unit cost summed over drones programme interceptors "
            "destroyed.",
            read=lambda n: n.value_killed_by_programme_eur),
    Outcome("defense_layer_cost_eur", "Ammunition cost of fire groups and missiles", "EUR",
            kind="money", group="layers",
            read=lambda n: n.engagement.layer_cost_eur),
    Outcome("coverage_sites_fraction", "Energy sites inside an interceptor envelope", "share",
            kind="share", upper=1.0, group="coverage", over_nights="mean",
            read=lambda n: n.coverage[0]),
    Outcome("coverage_capacity_fraction", "Energy capacity inside an interceptor envelope",
            "share", kind="share", upper=1.0, group="coverage", over_nights="mean",
            read=lambda n: n.coverage[1]),
)

# --------------------------------------------------------------------------- shares and money
OUTCOMES.add(
    _share("interception_rate", "Neutralised share ((destroyed + EW) / launched)",
           ("destroyed", "lost_ew", "launched"),
           lambda v: ratio(v["destroyed"] + v["lost_ew"], v["launched"]), direction=MAXIMIZE,
           monthly=True, headline=90,
           description="(destroyed + lost_ew) / launched: comparable with the Air Force's "
           "(destroyed + locationally lost) / launched."),
    _share("hits_on_undefended_share", "Share of hits on sites with no interceptor team in "
           "reach", ("hits_on_undefended", "hits_on_sites"),
           lambda v: ratio(v["hits_on_undefended"], v["hits_on_sites"]), group="coverage",
           description="Hits on energy sites outside every interceptor team's envelope / all "
           "hits on energy sites."),
    _share("kill_rate", "Destroyed share", ("destroyed", "launched"),
           lambda v: ratio(v["destroyed"], v["launched"]), direction=MAXIMIZE),
    _share("leak_rate", "Share reaching the target area", ("leaked", "launched"),
           lambda v: ratio(v["leaked"], v["launched"]), direction=MINIMIZE),
    _share("kinetic_coverage", "Share of drones aimed at energy that were stopped",
           ("aimed_at_energy_stopped", "aimed_at_energy"),
           lambda v: ratio(v["aimed_at_energy_stopped"], v["aimed_at_energy"]),
           direction=MAXIMIZE, group="coverage", monthly=True, headline=30,
           description="Share of drones aimed at energy sites that were stopped (destroyed or "
           "lost to EW)."),
    _share("geometric_coverage_sites_fraction", "Energy sites inside an interceptor envelope",
           ("coverage_sites_fraction",), lambda v: v["coverage_sites_fraction"],
           direction=MAXIMIZE, group="coverage",
           description="Share of operational energy sites inside the engagement envelope of at "
           "least one interceptor launch site, averaged over nights."),
    _share("geometric_coverage_capacity_fraction", "Capacity inside an interceptor envelope",
           ("coverage_capacity_fraction",), lambda v: v["coverage_capacity_fraction"],
           direction=MAXIMIZE, group="coverage", headline=40,
           description="The same, weighted by site capacity (MW)."),
    _derived("programme_cost_eur", "Programme spend", "EUR", ("programme_spend_eur",),
             lambda v: v["programme_spend_eur"], kind="money", group=_P, headline=130,
             description="Programme spend to the last night: delivered interceptors, crews "
             "(training and pay per night served), radars, launch sites; never above budget_eur."),
    Outcome("budget_eur", "Programme budget", "EUR", kind="money", group=_P, nightly=False,
            over_nights="constant"),
    _derived("budget_unspent_eur", "Budget not yet turned into delivered capability", "EUR",
             ("budget_eur", "programme_cost_eur"),
             lambda v: v["budget_eur"] - v["programme_cost_eur"], kind="money", group=_P),
    Outcome("interceptors_ordered", "Programme interceptors ordered", "interceptors", group=_P,
            nightly=False, over_nights="constant"),
    _derived("interceptors_delivered", "Programme interceptors delivered", "interceptors",
             ("programme_delivered",), lambda v: v["programme_delivered"], group=_P),
    _derived("programme_stock_end", "Programme interceptors in stock on the last night",
             "interceptors", ("programme_stock",), lambda v: v["programme_stock"], group=_P),
    _derived("cost_exchange_ratio", "Gross cost-exchange ratio (attacker / programme EUR)",
             "ratio", ("attacker_value_killed_programme_eur", "programme_cost_eur"),
             lambda v: ratio(v["attacker_value_killed_programme_eur"], v["programme_cost_eur"]),
             kind="ratio", group=_P, direction=MAXIMIZE, headline=140,
             description="Attacker's cost of the drones the programme destroyed / programme "
             "spend; above 1 the attacker loses more money than the programme costs. Gross: it "
             "counts kills the other layers would have made without the programme."),
    Outcome("programme_unused_eur", "Budget the programme could not turn into anything", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant",
            description="Money left once the training capacity, the caps and the time to the "
            "last night stop further purchases (sim.model.forces)."),
    Outcome("programme_on_order_eur", "Programme orders arriving after the last night", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant"),
    Outcome("interceptor_unit_cost_eur", "Unit cost of a programme interceptor", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant", winter=False),
    Outcome("programme_other_spend_eur", "Programme spend on crews, stations, radars and sites",
            "EUR", kind="money", group=_P, nightly=False, over_nights="constant"),
    _derived("programme_used_cost_eur", "Programme cost of what was used", "EUR",
             ("interceptors_expended", "interceptor_unit_cost_eur", "programme_other_spend_eur"),
             lambda v: v["interceptors_expended"] * v["interceptor_unit_cost_eur"]
             + v["programme_other_spend_eur"], kind="money", group=_P,
             description="Interceptors expended (kills and losses, not the unused stock) at their "
             "unit cost, plus the spend on crews, ground stations, radars and sites to the last "
             "night."),
    _derived("cost_per_kill_eur", "Programme cost per interceptor kill (gross, of what was used)",
             "EUR",
             ("programme_used_cost_eur", "interceptor_kills"),
             lambda v: ratio(v["programme_used_cost_eur"], v["interceptor_kills"]), kind="money",
             group=_P, direction=MINIMIZE,
             description="programme_used_cost_eur / interceptor_kills: airframes left in stock "
             "are not charged to the kills (unused_stock_eur is what they cost), and kills the "
             "other layers would have made are counted; net_cost_per_drone_stopped_eur charges "
             "the whole spend to the net effect."),
    _derived("interceptors_per_kill", "Programme interceptors expended per kill", "ratio",
             ("interceptors_expended", "interceptor_kills"),
             lambda v: ratio(v["interceptors_expended"], v["interceptor_kills"]), kind="ratio",
             group=_P, direction=MINIMIZE),
)

# --------------------------------------------------------------------------- energy
_E = "energy"
OUTCOMES.add(
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
)
OUTCOMES.add(
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
# peak_demand_served_fraction above duplicates peak_demand_served_fraction_mean; keep one name.
del OUTCOMES.outcomes["peak_demand_served_fraction"]
# Every nightly energy outcome is one of tonight's energy results, read by its own name.
for _o in [o for o in OUTCOMES if o.group == _E and o.nightly]:
    OUTCOMES.outcomes[_o.name] = replace(_o, read=_energy(_o.name))

# Nightly columns that feed other outcomes and are not reported for a winter themselves.
for _name in (
    "programme_stock", "programme_sites", "programme_crews", "programme_radars",
    "programme_spend_eur", "programme_delivered", "coverage_sites_fraction",
    "coverage_capacity_fraction", "demand_mw", "served_mw", "energy_served_mwh",
    "deficit_gt_10pct", "regions_deficit_gt_10pct", "available_generation_mw",
    "domestic_generation_mw", "capacity_down_mw", "substation_capacity_down_mw",
    "gas_output_mcm", "gas_production_lost_mcm", "gas_storage_lost_mcm",
    "water_utilities_affected", "sites_damaged", "sites_down", "repair_jobs_open",
    "temperature_c", "demand_scale",
):
    OUTCOMES.outcomes[_name] = replace(OUTCOMES.outcomes[_name], winter=False)

# --------------------------------------------------------------------------- missiles
_M = "missiles"
MISSILE_CLASSES = ("cruise", "ballistic", "kh22", "kh59")
_CLASS_LABEL = {"cruise": "cruise missiles", "ballistic": "ballistic missiles",
                "kh22": "Kh-22/32 missiles", "kh59": "Kh-59/69 missiles"}
OUTCOMES.add(
    Outcome("missiles_launched", "Missiles launched", "missiles", group=_M, monthly=True,
            headline=102,
            description="Cruise, ballistic, Kh-22/32 and Kh-59/69 missiles launched "
            "(threat.missiles); launched = destroyed + leaked.",
            read=lambda n: int(n.missiles.launched.sum())),
    Outcome("missiles_destroyed", "Missiles destroyed", "missiles", group=_M, monthly=True,
            direction=MAXIMIZE,
            read=lambda n: int(n.missiles.destroyed.sum())),
    Outcome("missiles_leaked", "Missiles not destroyed", "missiles", group=_M,
            direction=MINIMIZE,
            read=lambda n: int(n.missiles.launched.sum() - n.missiles.destroyed.sum())),
    Outcome("missiles_engaged", "Missiles engaged by missile defence", "missiles", group=_M,
            read=lambda n: int(n.missiles.defense.engaged.sum())),
    Outcome("missile_hits_on_sites", "Missile hits on energy sites", "hits", group=_M,
            monthly=True, direction=MINIMIZE, headline=104,
            read=lambda n: int(n.missiles.hits_by_class.sum())),
    Outcome("missiles_aimed_at_energy", "Missiles aimed at energy sites", "missiles", group=_M,
            read=lambda n: n.missiles.aimed_at_energy),
    Outcome("missile_combined_strike", "Combined missile and drone strike nights", "nights",
            group=_M,
            read=lambda n: int(n.missiles.raid.combined)),
    *(o for c in MISSILE_CLASSES for o in (
        Outcome(f"missiles_launched_{c}", f"Launched: {_CLASS_LABEL[c]}", "missiles", group=_M,
                read=lambda n, c=c: n.missiles.by_class["launched"][c]),
        Outcome(f"missiles_destroyed_{c}", f"Destroyed: {_CLASS_LABEL[c]}", "missiles",
                group=_M, direction=MAXIMIZE,
                read=lambda n, c=c: n.missiles.by_class["destroyed"][c]),
        Outcome(f"missiles_leaked_{c}", f"Not destroyed: {_CLASS_LABEL[c]}", "missiles",
                group=_M, direction=MINIMIZE,
                read=lambda n, c=c: n.missiles.by_class["leaked"][c]),
        Outcome(f"missile_hits_on_sites_{c}", f"Hits on energy sites: {_CLASS_LABEL[c]}",
                "hits", group=_M, direction=MINIMIZE,
                read=lambda n, c=c: n.missiles.by_class["hits"][c]),
    )),
    Outcome("missile_interceptors_used", "Missile-defence interceptors fired at missiles",
            "interceptors", group=_M,
            read=lambda n: int(n.missiles.defense.interceptors_used_by_system.sum())),
    Outcome("missile_interceptor_stock", "Missile-defence interceptors left", "interceptors",
            group=_M, over_nights="last",
            read=lambda n: int(n.missiles.stocks_end.sum())),
    Outcome("missile_interceptor_cost_eur", "Cost of missile-defence interceptors fired", "EUR",
            kind="money", group=_M,
            read=lambda n: n.missiles.interceptor_cost_eur),
    Outcome("missile_attacker_cost_eur", "Attacker's cost of missiles launched", "EUR",
            kind="money", group=_M,
            read=lambda n: float(n.missiles.raid.cost_eur.sum())),
    _share("missiles_kill_share", "Missiles destroyed (share)",
           ("missiles_destroyed", "missiles_launched"),
           lambda v: ratio(v["missiles_destroyed"], v["missiles_launched"]), group=_M,
           direction=MAXIMIZE, monthly=True),
    *(_share(f"missiles_kill_share_{c}", f"Destroyed share: {_CLASS_LABEL[c]}",
             (f"missiles_destroyed_{c}", f"missiles_launched_{c}"),
             lambda v, c=c: ratio(v[f"missiles_destroyed_{c}"], v[f"missiles_launched_{c}"]),
             group=_M, direction=MAXIMIZE) for c in MISSILE_CLASSES),
)

# --------------------------------------------------------------------------- net effects
# What the programme changes: each net outcome compares a run with the programme (B) and its
# counterfactual (A: the same scenario, seed and replicate with defense.budget_eur = 0, so the
# same launches; sim.experiments.runs.run). The gross outcomes they are made of come first.
_NET = "net"
OUTCOMES.add(
    _derived("stopped", "Drones stopped (destroyed or lost to EW)", "drones",
             ("destroyed", "lost_ew"), lambda v: v["destroyed"] + v["lost_ew"],
             direction=MAXIMIZE,
             description="destroyed + lost_ew: every drone that did not reach its target area."),
    _derived("stopped_by_other_layers", "Drones stopped by all but the programme", "drones",
             ("stopped", "destroyed_programme"),
             lambda v: v["stopped"] - v["destroyed_programme"],
             description="stopped - destroyed_programme: by Ukraine's own interceptor units, "
             "mobile fire groups, surface-to-air missiles and electronic warfare."),
    _derived("unused_stock_eur", "Programme airframes unused in stock at the end, at cost", "EUR",
             ("programme_stock_end", "interceptor_unit_cost_eur"),
             lambda v: v["programme_stock_end"] * v["interceptor_unit_cost_eur"], kind="money",
             group=_P, headline=135,
             description="programme_stock_end x interceptor_unit_cost_eur: the part of "
             "programme_cost_eur that bought airframes no night needed."),
    Outcome("net_drones_stopped", "Net drones stopped", "drones", lower=None, nightly=False,
            over_nights="net", net="gain", needs=("stopped",), group=_NET, direction=MAXIMIZE,
            description="stopped with the programme - stopped without it, on the same winters: "
            "= interceptor_kills - displacement."),
    Outcome("displacement", "Displacement: drones the other layers no longer stop", "drones",
            lower=None, nightly=False, over_nights="net", net="avoided",
            needs=("stopped_by_other_layers",), group=_NET, direction=MINIMIZE,
            description="stopped_by_other_layers without the programme - with it: drones that "
            "Ukraine's own units, fire groups, missiles or EW would have stopped and that the "
            "programme's interceptors took instead (or that now leak)."),
    Outcome("net_hits_avoided", "Net drone hits on energy sites avoided", "hits", lower=None,
            nightly=False, over_nights="net", net="avoided", needs=("hits_on_sites",),
            group=_NET, direction=MAXIMIZE,
            description="hits_on_sites without the programme - with it."),
    Outcome("net_aimed_at_energy_stopped", "Net drones aimed at energy sites stopped", "drones",
            lower=None, nightly=False, over_nights="net", net="gain",
            needs=("aimed_at_energy_stopped",), group=_NET, direction=MAXIMIZE,
            description="aimed_at_energy_stopped with the programme - without it."),
    Outcome("net_energy_not_served_avoided_mwh", "Net energy not served avoided", "MWh",
            kind="energy", lower=None, nightly=False, over_nights="net", net="avoided",
            needs=("energy_not_served_mwh",), group=_NET, direction=MAXIMIZE,
            description="energy_not_served_mwh without the programme - with it (when the "
            "energy model runs)."),
    Outcome("net_demand_served_gain", "Net gain in winter demand served", "share",
            kind="points", lower=None, upper=None, nightly=False, over_nights="net", net="gain",
            needs=("demand_served_fraction",), group=_NET, direction=MAXIMIZE,
            description="demand_served_fraction with the programme - without it (shown in "
            "percentage points)."),
    Outcome("net_cost_per_drone_stopped_eur", "Net cost per drone stopped", "EUR", kind="money",
            nightly=False, over_nights="net", net="ratio",
            needs=("programme_cost_eur", "net_drones_stopped"), group=_NET, direction=MINIMIZE,
            description="programme_cost_eur (the whole spend, airframes left unused in stock "
            "included) / net_drones_stopped; undefined when the net is not above 0. Over "
            "replicates: the ratio of the means, with a paired bootstrap interval."),
    Outcome("net_cost_per_hit_avoided_eur", "Net cost per drone hit avoided", "EUR",
            kind="money", nightly=False, over_nights="net", net="ratio",
            needs=("programme_cost_eur", "net_hits_avoided"), group=_NET, direction=MINIMIZE,
            description="programme_cost_eur / net_hits_avoided; undefined when the net is not "
            "above 0."),
)

NET_IDENTITY = ("net_drones_stopped", "interceptor_kills", "displacement")
"""``net_drones_stopped = interceptor_kills - displacement`` holds exactly in every replicate
(the counterfactual has no programme kills)."""

ENERGY_NIGHTLY = tuple(o.name for o in OUTCOMES if o.group == _E and o.nightly)
"""Nightly columns of the energy model (present when ``energy.enabled``)."""

MISSILE_NIGHTLY = tuple(o.name for o in OUTCOMES if o.group == _M and o.nightly)
"""Nightly columns of the missile stream (present when ``threat.missiles.enabled``)."""


INDEX_COLUMNS: dict[str, Callable[[Any], Any]] = {
    "night": lambda n: n.index,
    "date": lambda n: n.date.isoformat(),
}
"""The nightly table's first columns (which night), and how each is read from the night."""

_UNREAD = [o.name for o in OUTCOMES if o.nightly and o.read is None]
if _UNREAD:  # pragma: no cover - a new nightly outcome must say how it is read
    raise RuntimeError(f"nightly outcomes without a reader: {_UNREAD}")


def night_reporters(energy: bool, missiles: bool = False) -> dict[str, Callable[[Any], Any]]:
    """The nightly table's columns and how each is read from a finished
    :class:`sim.model.night.Night`: the index columns, then :func:`nightly_columns`."""
    return {**INDEX_COLUMNS, **{n: OUTCOMES[n].read for n in nightly_columns(energy, missiles)}}


def nightly_columns(energy: bool, missiles: bool = False) -> list[str]:
    """The nightly columns a model records: every nightly outcome, the energy ones only when
    the energy model runs and the missile ones only when missiles fly."""
    skip = set(() if energy else ENERGY_NIGHTLY) | set(() if missiles else MISSILE_NIGHTLY)
    return [n for n in OUTCOMES.nightly_columns() if n not in skip]
