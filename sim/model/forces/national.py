"""Ukraine's own interceptor force night by night (``defense.national_force``; the rules are in
:mod:`sim.model.forces`): national production, the crews' training pipeline, ground stations,
radars and launch sites, or the fixed layer ``defense.layers.existing_interceptors``."""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.model.forces.schedule import (
    ForceSchedule,
    active_crews,
    daily_attrition,
    empty_schedule,
    finish_schedule,
    floor_int,
    month_index,
    nightly_labels,
    per_day,
    planned_stock,
    resource_levels,
    training_pipeline,
)


def national_production_per_day(production, days: list[dt.date]) -> np.ndarray:
    """National production (all missions, airframes a day) on each date."""
    if production.per_day_by_month is not None:
        keys = sorted(production.per_day_by_month, key=month_index)
        idx = np.array([month_index(k) for k in keys])
        vals = np.array([production.per_day_by_month[k] for k in keys], float)
        mi = np.array([d.year * 12 + d.month - 1 for d in days])
        pos = np.searchsorted(idx, mi, side="right") - 1
        return vals[np.clip(pos, 0, len(vals) - 1)]
    r = production.ramp
    y0, m0 = (int(x) for x in r.start_month.split("-"))
    y1, m1 = (int(x) for x in r.reach_month.split("-"))
    d0, d1 = dt.date(y0, m0, 1), dt.date(y1, m1, 1)
    span = max((d1 - d0).days, 0)
    out = np.empty(len(days))
    for i, d in enumerate(days):
        if d >= d1:
            out[i] = r.target_per_day
        elif d <= d0 or span == 0:
            out[i] = r.start_per_day
        else:
            out[i] = r.start_per_day + (d - d0).days / span * (r.target_per_day - r.start_per_day)
    return out


# --------------------------------------------------------------------------- national force
def national_schedule(defense, dates: list[dt.date]) -> ForceSchedule:
    nf = defense.national_force
    cr = defense.crews
    sorties_per_crew = cr.sorties_per_crew_per_night
    if nf.sorties.sorties_per_crew_per_night is not None:
        sorties_per_crew = nf.sorties.sorties_per_crew_per_night
    on_shift = float(nf.sorties.crews_on_shift_share)
    crews_per_site = cr.crews_per_site
    use_per_crew = cr.expected_airframes_per_crew_per_night
    n = len(dates)
    if nf.model == "fixed":
        ex = defense.layers.existing_interceptors
        crews = np.full(n, ex.launch_sites * crews_per_site, dtype=np.int64)
        sites = np.full(n, ex.launch_sites, dtype=np.int64)
        allowance = np.full(n, float(ex.interceptors_per_night))
        arr = {"delivered": np.cumsum(allowance), "max_per_night": allowance,
               "crews_in_training": np.zeros(n), "crews_qualified": crews, "crews_active": crews,
               "ground_stations": crews.copy(), "radars": np.zeros(n, dtype=np.int64),
               "sites_ready": sites, "sites_active": sites.copy(),
               "training_capacity": crews.astype(float), "spend": np.zeros(n)}
        arr["stock"] = allowance
        arr["use_per_crew"] = use_per_crew
        arr.update(resource_levels(crews, crews, sites, 1, crews_per_site))
        labels = nightly_labels(arr, None, None, False)
        info = {"carries": False, "sorties_per_crew": sorties_per_crew,
                "crews_per_site": crews_per_site, "crews_per_station": 1,
                "use_per_crew": use_per_crew,
                "train_rate": 0, "weeks": 0, "station_rate": 0, "site_rate": 0,
                "bought": {"airframes": int(allowance.sum()), "crews": int(crews[-1]) if n else 0,
                           "ground_stations": int(crews[-1]) if n else 0, "radars": 0,
                           "sites": int(sites[-1]) if n else 0}}
        return finish_schedule("national", dates, arr, labels, info)

    if n == 0:
        return empty_schedule("national", defense)
    g0 = dates[0]
    if nf.reference_date is not None and nf.reference_date < g0:
        g0 = nf.reference_date  # the force grows from its reference date, not the first night
    ng = (dates[-1] - g0).days + 1
    grid = [g0 + dt.timedelta(days=i) for i in range(ng)]
    ix = np.array([(d - g0).days for d in dates])
    pr = nf.production
    daily = national_production_per_day(pr, grid) * pr.mission_share
    delivered = pr.stock_at_start + np.concatenate([[0.0], np.cumsum(daily)[:-1]])  # by the night
    c = nf.crews
    q = int(round(c.weeks_to_qualify * 7))
    rate = per_day(c.trainee_crews_per_month)
    crews_f, training_f, _ = training_pipeline(
        np.full(ng, rate), q, daily_attrition(c.attrition_per_month), c.at_start, rate
    )
    t_days = np.arange(ng, dtype=float)
    gs, ra, si = nf.ground_stations, nf.radars, nf.launch_sites
    stations = gs.at_start + floor_int(per_day(gs.per_month) * t_days)
    radars = ra.at_start + floor_int(per_day(ra.per_month) * t_days)
    sites = si.at_start + floor_int(per_day(si.per_month) * t_days)
    crews_per_station = gs.crews_per_station
    crews_q, stations_i, sites_i, active, sites_active = active_crews(
        crews_f[ix], stations[ix], sites[ix], crews_per_station, crews_per_site
    )
    if on_shift < 1.0:  # only the crews on shift fly tonight (defense.national_force.sorties)
        active = floor_int(active * on_shift + 0.5)
        sites_active = -(-active // crews_per_site)
    # Most crews training could have qualified: those at start, the pipeline at start, and
    # every place offered q days or more before the night.
    offered = np.cumsum(np.full(ng, rate))
    cap_q = c.at_start + rate * np.minimum(t_days + 1, q) + np.where(
        t_days >= q, offered[np.clip(np.arange(ng) - q, 0, None)], 0.0
    )
    arr = {"delivered": delivered[ix], "max_per_night": np.full(n, np.inf),
           "crews_in_training": training_f[ix], "crews_qualified": crews_q,
           "crews_active": active, "ground_stations": stations_i, "radars": radars[ix],
           "sites_ready": sites_i, "sites_active": sites_active,
           "training_capacity": cap_q[ix], "spend": np.zeros(n)}
    arr["stock"] = planned_stock(arr["delivered"], active, use_per_crew, arr["max_per_night"], True)
    arr["use_per_crew"] = use_per_crew
    arr.update(resource_levels(crews_q, stations_i, sites_i, crews_per_station, crews_per_site))
    labels = nightly_labels(arr, None, None, False)
    info = {"carries": True, "sorties_per_crew": sorties_per_crew, "crews_per_site": crews_per_site,
            "crews_per_station": crews_per_station, "use_per_crew": use_per_crew,
            "train_rate": c.trainee_crews_per_month, "weeks": c.weeks_to_qualify,
            "station_rate": gs.per_month, "site_rate": si.per_month,
            "expended_before": int(nf.expended_before_start),
            "bought": {"airframes": int(floor_int(delivered[-1] - pr.stock_at_start)),
                       "crews": int(crews_q[-1]), "ground_stations": int(stations_i[-1]),
                       "radars": int(radars[ix][-1]), "sites": int(sites_i[-1])}}
    return finish_schedule("national", dates, arr, labels, info)
