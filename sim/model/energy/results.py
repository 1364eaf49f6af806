"""What the energy system reports: each night's outcomes (:data:`NIGHT_KEYS`, read by the
outcome registry from ``night.energy``) and a winter's totals."""

from __future__ import annotations

import math

import numpy as np

from sim.config.energy import GENERATION_TYPES, HOURS_PER_NIGHT, SITE_TYPES, SUBSTATION_TYPES
from sim.model.energy.network import AT, GEN, LINE, LT, VIRTUAL

DEFICIT_THRESHOLD = 0.10
"""A night counts as a deficit night when more than this share of peak demand is unserved."""

NIGHT_KEYS: tuple[str, ...] = (
    "demand_mw",
    "served_mw",
    "demand_served_fraction",
    "energy_demand_mwh",
    "energy_served_mwh",
    "energy_not_served_mwh",
    "energy_not_served_mwh_drones",
    "energy_not_served_mwh_missiles",
    "outage_hours_per_day",
    "peak_deficit_gw",
    "imports_used_mwh",
    "distributed_generation_used_mwh",
    "storage_used_mwh",
    "deficit_gt_10pct",
    "regions_deficit_gt_10pct",
    "available_generation_mw",
    "domestic_generation_mw",
    "capacity_down_mw",
    "substation_capacity_down_mw",
    *(f"capacity_down_mw_{t}" for t in SITE_TYPES),
    "generating_units_down",
    "transformers_down",
    "lines_down",
    "gas_output_mcm",
    "gas_output_lost_mcm",
    "gas_production_lost_mcm",
    "gas_storage_lost_mcm",
    "water_outage_hours",
    "water_utilities_affected",
    "heat_demand_mwh_th",
    "heat_not_served_mwh_th",
    "sites_damaged",
    "sites_down",
    "repair_jobs_open",
    "spare_transformers_left",
    "lp_solves",
    "temperature_c",
    "demand_scale",
)
"""Keys of the dict returned by :meth:`EnergySystem.night` (collected every night)."""


GEN_TYPE_MASK = np.isin(np.array(SITE_TYPES), GENERATION_TYPES)
SUB_TYPE_MASK = np.isin(np.array(SITE_TYPES), SUBSTATION_TYPES)


def night_outcomes(system, night_index: int, lams: np.ndarray, served: np.ndarray,
                   demand: np.ndarray, pnode: np.ndarray, pcrit: np.ndarray, solves: int,
                   energy_d: float, energy_s: float, ens: float, share: float
                   ) -> tuple[dict[str, float], np.ndarray]:
    """Tonight's outcomes (keys :data:`NIGHT_KEYS`) of an energy system after tonight's
    repairs, damage and load shedding, and the capacity out of service by site type (MW).

    Args:
        system: the :class:`~sim.model.energy.system.EnergySystem`.
        night_index: the night.
        lams: demand scale of each load block.
        served, demand: MW served and demanded at each block.
        pnode, pcrit: MW served at each load node, and to its critical loads, at the peak.
        solves: LP solves tonight.
        energy_d, energy_s: energy demanded and served tonight (MWh).
        ens: energy not served tonight (MWh); ``share``: the part missile hits caused.
    """
    net = system.network
    p = int(np.argmax(lams))
    f = float(net.demand_scale[night_index])
    demand_peak = float(demand[p])
    served_peak = float(min(served[p], demand_peak))

    # regions at the peak: node served shared by the node's oblast demand
    reg_dem = net.node_region_peak * lams[p]
    node_dem = reg_dem.sum(axis=1) + 0.0
    dnode, wnode = system.shedding.node_demand(float(lams[p]))
    tot_node = dnode + wnode
    with np.errstate(invalid="ignore", divide="ignore"):
        frac_node = np.where(tot_node > 0, np.minimum(pnode / tot_node, 1.0), 1.0)
    reg_served = (reg_dem * frac_node[:, None]).sum(axis=0)
    reg_total = reg_dem.sum(axis=0)
    regions_short = float(np.sum(reg_total - reg_served > DEFICIT_THRESHOLD * reg_total + 0.1))
    del node_dem

    # hours without power a day: households are shed first (scheduled-outage queues), then
    # industry; critical loads last. In an hour with shed MW s and household demand H, a share
    # min(1, s / H) of households is off.
    h = net.blocks_h
    shed = np.maximum(demand - served, 0.0)
    hh = net.config.household_share * lams * net.ord_peak_total
    with np.errstate(invalid="ignore", divide="ignore"):
        off = np.where(hh > 0, np.minimum(shed / hh, 1.0), 0.0)
    off[shed <= 1e-6 * np.maximum(demand, 1.0)] = 0.0
    outage_hours = float(h @ off)
    # by oblast: each oblast's share of the shed at the peak, in every hour
    reg_shed = np.maximum(reg_total - reg_served, 0.0)
    if outage_hours > 0 and reg_shed.sum() > 0:
        r_shed = shed[:, None] * (reg_shed / reg_shed.sum())[None, :]
        r_hh = net.config.household_share * reg_total[None, :] * (lams / lams[p])[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            r_off = np.where(r_hh > 0, np.minimum(r_shed / r_hh, 1.0), 0.0)
        system.region_hours.append(h @ r_off)
    else:
        system.region_hours.append(np.zeros(len(reg_total)))
    # dispatch order: domestic generation, imports, distributed generation, batteries
    dom_mw = float(system.gen_mw.sum())
    st = system.storage_used
    dg_need = np.minimum(system.dg_used, np.maximum(served - st - dom_mw - system.import_mw, 0.0))
    dg_need = np.where(shed > 1e-9, system.dg_used, dg_need)
    imp_used = np.clip(served - st - dg_need - dom_mw, 0.0, system.import_mw)

    # water service: own availability x power at its node
    if len(net.water_rows):
        with np.errstate(invalid="ignore", divide="ignore"):
            wfrac = np.where(wnode > 0, np.minimum(pcrit / wnode, 1.0), 1.0)
        water_service = system.group_fraction[net.water_group] * wfrac[net.water_k]
    else:
        water_service = np.ones(0)

    frac = system.group_fraction
    lost_g = (net.g_units - system.group_up) * net.g_unit_mw
    lost_by_type = np.bincount(net.g_type, weights=lost_g, minlength=len(SITE_TYPES))
    gas_lost = net.gas[net.gas_rows] * (1.0 - frac[net.gas_group])
    gas_out = net.gas[net.gas_rows] * frac[net.gas_group]
    is_prod = net.types[net.gas_rows] == "gas_production"
    heat_cap = net.cap[net.chp_rows] * net.config.chp_heat_to_power
    heat_d = float(heat_cap.sum() * net.heat_frac[night_index] * HOURS_PER_NIGHT)
    heat_lost = float((heat_cap * (1.0 - frac[net.chp_group])).sum()
                      * net.heat_frac[night_index] * HOURS_PER_NIGHT)
    dom = float(system.gen_mw.sum())
    kind = net.g_kind
    down = net.g_units - system.group_up
    av = system.availability
    gen_types, sub_types = GEN_TYPE_MASK, SUB_TYPE_MASK
    out = {
        "demand_mw": demand_peak,
        "served_mw": served_peak,
        "demand_served_fraction": served_peak / demand_peak if demand_peak > 0 else 1.0,
        "energy_demand_mwh": energy_d,
        "energy_served_mwh": energy_s,
        "energy_not_served_mwh": ens,
        "energy_not_served_mwh_drones": ens * (1.0 - share),
        "energy_not_served_mwh_missiles": ens * share,
        "outage_hours_per_day": outage_hours,
        "peak_deficit_gw": float(shed.max()) / 1000.0 if len(shed) else 0.0,
        "imports_used_mwh": float(h @ imp_used),
        "distributed_generation_used_mwh": float(h @ dg_need),
        "storage_used_mwh": float(h @ st),
        "deficit_gt_10pct": float(demand_peak - served_peak > DEFICIT_THRESHOLD * demand_peak),
        "regions_deficit_gt_10pct": regions_short,
        "available_generation_mw": (dom + system.import_mw + float(net.dg_mw_night[night_index])
                                    + net.config.storage_mw),
        "domestic_generation_mw": dom,
        "capacity_down_mw": float(lost_by_type[gen_types].sum()),
        "substation_capacity_down_mw": float(lost_by_type[sub_types].sum()),
        **{f"capacity_down_mw_{t}": float(v)
           for t, v in zip(SITE_TYPES, lost_by_type, strict=True)},
        "generating_units_down": float(down[kind == GEN].sum()),
        "transformers_down": float(down[(kind == AT) | (kind == LT) | (kind == VIRTUAL)]
                                   .sum()),
        "lines_down": float(down[kind == LINE].sum()),
        "gas_output_mcm": float(gas_out.sum()),
        "gas_output_lost_mcm": float(gas_lost.sum()),
        "gas_production_lost_mcm": float(gas_lost[is_prod].sum()),
        "gas_storage_lost_mcm": float(gas_lost[~is_prod].sum()),
        "water_outage_hours": float(HOURS_PER_NIGHT * np.sum(1.0 - water_service)),
        "water_utilities_affected": float(np.sum(water_service < 1.0 - 1e-9)),
        "heat_demand_mwh_th": heat_d,
        "heat_not_served_mwh_th": heat_lost,
        "sites_damaged": float(np.sum(av < 1.0)),
        "sites_down": float(np.sum(av <= 0.0)),
        "repair_jobs_open": float(system.repairs.job_group.size),
        "spare_transformers_left": float(system.repairs.spares_left),
        "lp_solves": float(solves),
        "temperature_c": float(net.temperature_c[night_index]),
        "demand_scale": f,
    }
    return out, lost_by_type


def winter_outcomes(system) -> dict[str, float | dict]:
    """Winter totals over the nights run so far.

    Args:
        system: the :class:`~sim.model.energy.system.EnergySystem`.

    Returns:
        demand_served_fraction (energy-weighted), peak_demand_served_fraction_mean,
        min_night_demand_served_fraction, energy_demand_mwh, energy_not_served_mwh,
        energy_loss_share_missiles, nights_deficit_gt_10pct, min_available_capacity_mw,
        capacity_days_lost_by_type (dict type -> MW-days of lost capacity: derated
        generation, transformer MVA for substations, circuit rating for lines, load for
        water utilities), gas_output_lost_mcm, water_outage_hours, heat_not_served_mwh_th,
        max_sites_down, spare_transformers_left, grid_nodes, grid_links, lp_solves, nights.
    """
    h = system.history
    base = {"grid_nodes": float(system.grid_nodes), "grid_links": float(system.grid_links)}
    if not h:
        return {
            "demand_served_fraction": math.nan,
            "energy_not_served_mwh": 0.0,
            "energy_loss_share_missiles": 0.0,
            "nights_deficit_gt_10pct": 0.0,
            "min_available_capacity_mw": math.nan,
            "capacity_days_lost_by_type": {t: 0.0 for t in SITE_TYPES},
            "gas_output_lost_mcm": 0.0,
            "water_outage_hours": 0.0,
            "heat_not_served_mwh_th": 0.0,
            "outage_hours_per_day_by_region": {r: 0.0 for r in system.network.region_ids},
            **base,
            "nights": 0.0,
        }
    col = {k: np.array([r[k] for r in h]) for k in h[0]}
    e_d = float(col["energy_demand_mwh"].sum())
    e_s = float(col["energy_served_mwh"].sum())
    return {
        "demand_served_fraction": e_s / e_d if e_d > 0 else 1.0,
        "peak_demand_served_fraction_mean": float(col["demand_served_fraction"].mean()),
        "min_night_demand_served_fraction": float(col["demand_served_fraction"].min()),
        "energy_demand_mwh": e_d,
        "energy_not_served_mwh": float(col["energy_not_served_mwh"].sum()),
        "energy_loss_share_missiles": (system.ens_missiles / system.ens_total
                                       if system.ens_total > 0 else 0.0),
        "nights_deficit_gt_10pct": float(col["deficit_gt_10pct"].sum()),
        "min_available_capacity_mw": float(col["available_generation_mw"].min()),
        "capacity_days_lost_by_type": {
            t: float(v) for t, v in zip(SITE_TYPES, system.lost_by_type, strict=True)
        },
        "gas_output_lost_mcm": float(col["gas_output_lost_mcm"].sum()),
        "water_outage_hours": float(col["water_outage_hours"].sum()),
        "heat_not_served_mwh_th": float(col["heat_not_served_mwh_th"].sum()),
        "outage_hours_per_day": float(col["outage_hours_per_day"].mean()),
        "peak_deficit_gw_max": float(col["peak_deficit_gw"].max()),
        "imports_used_mwh": float(col["imports_used_mwh"].sum()),
        "outage_hours_per_day_by_region": dict(zip(
            system.network.region_ids, np.mean(system.region_hours, axis=0).tolist(),
            strict=True)),
        "max_sites_down": float(col["sites_down"].max()),
        "spare_transformers_left": float(system.repairs.spares_left),
        **base,
        "lp_solves": float(col["lp_solves"].sum()),
        "nights": float(len(h)),
    }
