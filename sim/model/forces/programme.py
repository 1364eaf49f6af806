"""The funded programme night by night: what the budget buys and when it arrives
(``defense.budget_eur`` with ``defense.programme``; the rules are in :mod:`sim.model.forces`).

The ``economics`` model plans the programme on a daily grid (:class:`_Plan`): crews trained at
the training capacity while they can still qualify, balanced packages (``split: auto``) or fixed
shares, airframes at a production rate that grows with the money ordered
(:func:`production_rate`), caps. ``fixed_rates`` is the earlier rule, kept for comparison.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from sim.config.schema import Split
from sim.model.forces.schedule import (
    DAYS_PER_MONTH,
    EPS,
    UNLIMITED_EUR,
    ForceSchedule,
    active_crews,
    capped,
    ceil_div,
    cumulative_deliveries,
    daily_attrition,
    empty_schedule,
    finish_schedule,
    floor_int,
    nightly_labels,
    per_day,
    planned_stock,
    resource_levels,
    training_pipeline,
)


def production_rate(production, money_eur: float) -> float:
    """Programme airframes a day for an order of ``money_eur`` (``defense.programme.production``).

    ``power``: ``base + reference_per_day * (money / reference_eur) ** exponent``;
    ``saturating``: ``base + max_per_day * money / (money + half_saturation_eur)``.
    Non-decreasing in money; 0 for no money.
    """
    m = max(float(money_eur), 0.0)
    if m <= 0:
        return 0.0
    if production.curve == "power":
        return production.base_per_day + production.reference_per_day * (
            m / production.reference_eur
        ) ** production.exponent
    return production.base_per_day + production.max_per_day * m / (
        m + production.half_saturation_eur
    )


# --------------------------------------------------------------------------- programme
def first_delivery_date(defense) -> dt.date:
    """The programme's first delivery date: ``delivery.first_delivery_date`` if given, else the
    decision date plus the contracting lead time."""
    if defense.delivery.first_delivery_date is not None:
        return defense.delivery.first_delivery_date
    p = defense.programme
    return p.decision_date + dt.timedelta(days=p.contracting_lead_days)


def _airframe_cap_per_day(defense) -> float:
    caps = [defense.programme.caps.max_interceptors_per_month,
            defense.delivery.interceptors_per_month]
    caps = [c for c in caps if c is not None]
    return per_day(min(caps)) if caps else math.inf


class _Plan:
    """The programme on a daily grid for one budget (internal)."""

    def __init__(self, defense, budget: float, dates: list[dt.date]):
        p, costs, dl = defense.programme, defense.costs, defense.delivery
        cr = defense.crews
        self.budget = float(budget)
        g0 = min(dates[0], p.decision_date)
        self.g0 = g0
        ng = (dates[-1] - g0).days + 1
        self.ng = ng
        self.ix = np.array([(d - g0).days for d in dates])
        t_train = (p.decision_date - g0).days + p.training.start_days
        self.t1 = (first_delivery_date(defense) - g0).days
        q = int(round(p.training.weeks_to_qualify * 7))
        self.q = q
        self.t_train = t_train
        last_entry = ng - 1 - q  # trainees must qualify by the last night
        t = np.arange(ng)
        rate = per_day(dl.crews_per_month)
        self.intake_cap = np.where((t >= t_train) & (t <= last_entry), rate, 0.0)
        self.a_day = daily_attrition(p.training.attrition_per_month)
        self.pay_day = costs.crew_cost_eur_per_month / DAYS_PER_MONTH
        self._train_cost = costs.crew_training_cost_eur
        self._cache: dict[int, tuple] = {}
        crews_per_site = cr.crews_per_site
        crews_per_station = p.package.crews_per_ground_station
        spr = p.package.sites_per_radar
        caps = p.caps
        c_cap = math.inf
        for cap, per in ((caps.max_crews, 1), (caps.max_sites, crews_per_site),
                         (caps.max_ground_stations, crews_per_station)):
            if cap is not None:
                c_cap = min(c_cap, cap * per)
        crews_inf, tr_inf, _ = training_pipeline(self.intake_cap, q, self.a_day, 0.0, 0.0)
        head = float(np.max(crews_inf + tr_inf)) if ng else 0.0
        self.c_hi = int(min(c_cap, math.ceil(head - EPS)))

        sorties_per_crew = cr.sorties_per_crew_per_night
        use_per_crew = cr.expected_airframes_per_crew_per_night
        ca, cg, cs, crd = (costs.interceptor_unit_cost_eur, costs.ground_station_unit_cost_eur,
                           costs.launch_site_cost_eur, costs.radar_unit_cost_eur)
        max_n = math.inf if caps.max_interceptors is None else caps.max_interceptors

        def n_cap(x):
            return int(min(max_n, math.floor(x + EPS)))

        if defense.split == "auto":
            def package(c: int):
                crews, _tr, _in, crew_cost, crew_nights = self.crews(c)
                g = ceil_div(c, crews_per_station)
                si = ceil_div(c, crews_per_site)
                r = int(capped(ceil_div(si, spr), caps.max_radars))
                n_air = n_cap(use_per_crew * crew_nights)
                cost = crew_cost + g * cg + si * cs + r * crd + n_air * ca
                return cost, g, si, r, n_air, crew_nights

            c_star = self._largest(lambda c: package(c)[0], self.budget)
            cost, g, si, r, n_air, crew_nights = package(c_star)
            if c_star == self.c_hi and c_star > 0:
                extra = math.floor((self.budget - cost) / ca + EPS)
                n_air = max(n_air, min(n_air + extra, n_cap(sorties_per_crew * crew_nights)))
        else:
            sp = defense.split
            e_c = self.budget * sp.crews
            c_star = self._largest(
                lambda c: self.crews(c)[3] + ceil_div(c, crews_per_station) * cg, e_c
            )
            g = ceil_div(c_star, crews_per_station)
            n_air = n_cap(self.budget * sp.interceptors / ca)
            r = int(capped(math.floor(self.budget * sp.sensors / crd + EPS), caps.max_radars))
            si = int(capped(math.floor(self.budget * sp.launch_sites / cs + EPS), caps.max_sites))
        crews_f, tr_f, intake, crew_cost, _ = self.crews(c_star)
        self.c_star, self.n_air, self.g, self.si, self.r = c_star, n_air, g, si, r
        self.crews_f, self.tr_f, self.intake = crews_f, tr_f, intake
        self.rate_air = min(production_rate(p.production, n_air * ca), _airframe_cap_per_day(defense))
        self.air = cumulative_deliveries(ng, self.t1, self.rate_air, n_air)
        self.stations = floor_int(
            cumulative_deliveries(ng, self.t1, per_day(dl.ground_stations_per_month), g))
        self.sites = floor_int(cumulative_deliveries(ng, self.t1, per_day(dl.launch_sites_per_month), si))
        self.radars = floor_int(cumulative_deliveries(ng, self.t1, per_day(dl.radars_per_month), r))
        air_i = floor_int(self.air)
        self.spend = (air_i * ca + self.stations * cg + self.sites * cs + self.radars * crd
                      + np.cumsum(intake) * costs.crew_training_cost_eur
                      + np.cumsum(crews_f) * self.pay_day)
        self.committed = crew_cost + n_air * ca + g * cg + si * cs + r * crd
        offered = np.cumsum(self.intake_cap)
        self.training_capacity = np.where(t >= q, offered[np.clip(t - q, 0, None)], 0.0)
        self.crews_per_station, self.crews_per_site = crews_per_station, crews_per_site

    def crews(self, c: int):
        """Crews for a funded headcount ``c``: (crews, training, intake, cost, crew-nights)."""
        c = int(max(0, min(c, self.c_hi)))
        if c not in self._cache:
            crews, tr, intake = training_pipeline(self.intake_cap, self.q, self.a_day, 0.0, 0.0, float(c))
            cost = (float(intake.sum()) * self._train_cost + float(crews.sum()) * self.pay_day)
            nights = float(crews[self.ix].sum())
            self._cache[c] = (crews, tr, intake, cost, nights)
        return self._cache[c]

    def _largest(self, cost_of, money: float) -> int:
        """Largest integer headcount in [0, c_hi] whose cost fits in ``money`` (cost rises with
        the headcount)."""
        lo, hi = 0, self.c_hi
        if hi <= 0 or cost_of(1) > money:
            return 0
        if cost_of(hi) <= money:
            return hi
        lo = 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if cost_of(mid) <= money:
                lo = mid
            else:
                hi = mid
        return lo


def programme_schedule(defense, dates: list[dt.date]) -> ForceSchedule:
    if not dates:
        return empty_schedule("programme", defense)
    if defense.programme.model == "fixed_rates":
        return _programme_fixed_rates(defense, dates)
    budget = float(defense.budget_eur)
    plan = _Plan(defense, budget, dates)
    unl = _Plan(defense, UNLIMITED_EUR, dates)
    cr = defense.crews
    sorties_per_crew = cr.sorties_per_crew_per_night
    crews_per_site = cr.crews_per_site
    use_per_crew = cr.expected_airframes_per_crew_per_night
    ix = plan.ix

    def arrays(pl: _Plan) -> dict:
        crews_q, st, si, active, sites_active = active_crews(
            pl.crews_f[ix], pl.stations[ix], pl.sites[ix], pl.crews_per_station, crews_per_site
        )
        a = {"delivered": pl.air[ix], "max_per_night": np.full(len(ix), np.inf),
             "crews_in_training": pl.tr_f[ix], "crews_qualified": crews_q,
             "crews_active": active, "ground_stations": st, "radars": pl.radars[ix],
             "sites_ready": si, "sites_active": sites_active,
             "training_capacity": pl.training_capacity[ix], "spend": pl.spend[ix]}
        a["stock"] = planned_stock(floor_int(a["delivered"]), active, use_per_crew, a["max_per_night"], True)
        a["use_per_crew"] = use_per_crew
        a.update(resource_levels(crews_q, st, si, pl.crews_per_station, crews_per_site))
        return a

    a, u = arrays(plan), arrays(unl)
    t_first_q = plan.t_train + plan.q
    t_ready = max(plan.t1, t_first_q)
    before = ix < t_ready
    labels = nightly_labels(a, u, before, budget <= 0)
    short = np.empty(len(ix), dtype=object)
    for k in range(len(ix)):
        res = ("crews", "stations", "sites")
        r0 = min(res, key=lambda r: a[r][k])
        short[k] = {"crews": "crews", "stations": "ground stations", "sites": "launch sites"}[r0]
        if a[r0][k] > 0 and a["stock"][k] < a[r0][k] * use_per_crew - EPS:
            short[k] = "airframes"
    committed = float(plan.committed)
    info = {"carries": True, "sorties_per_crew": sorties_per_crew, "crews_per_site": crews_per_site,
            "crews_per_station": plan.crews_per_station, "use_per_crew": use_per_crew,
            "train_rate": defense.delivery.crews_per_month,
            "weeks": defense.programme.training.weeks_to_qualify,
            "station_rate": defense.delivery.ground_stations_per_month,
            "site_rate": defense.delivery.launch_sites_per_month,
            "budget": budget, "committed": committed,
            "unused": max(budget - committed, 0.0),
            "on_order": max(committed - float(plan.spend[ix][-1]), 0.0),
            "first_delivery": plan.g0 + dt.timedelta(days=plan.t1),
            "first_qualified": plan.g0 + dt.timedelta(days=t_first_q),
            "short": short,
            "bought": {"airframes": int(plan.n_air), "crews": int(plan.c_star),
                       "ground_stations": int(plan.g), "radars": int(plan.r),
                       "sites": int(plan.si)}}
    return finish_schedule("programme", dates, a, labels, info)


def _months_since(first: dt.date, dates: list[dt.date]) -> np.ndarray:
    """Number of monthly delivery batches that have arrived by each date (0 before `first`)."""
    out = np.zeros(len(dates), dtype=np.int64)
    for i, d in enumerate(dates):
        if d < first:
            continue
        months = (d.year - first.year) * 12 + (d.month - first.month)
        if d.day < first.day:
            months -= 1
        out[i] = months + 1
    return out


_LEGACY_RATES = {"interceptors_per_month": 12_000.0}


def _legacy_arrays(defense, dates, budget: float) -> dict:
    """The earlier rule: fixed split envelopes delivered in monthly batches at fixed rates."""
    n = len(dates)
    split = defense.split if defense.split != "auto" else Split()
    costs, delivery = defense.costs, defense.delivery
    first = first_delivery_date(defense)
    batches = _months_since(first, dates)
    ipm = delivery.interceptors_per_month
    ipm = _LEGACY_RATES["interceptors_per_month"] if ipm is None else ipm
    ordered = int(math.floor(budget * split.interceptors / costs.interceptor_unit_cost_eur + EPS))
    delivered = np.minimum(ordered, np.floor(batches * ipm)).astype(np.int64)
    crew_env = budget * split.crews
    months_in_service = ((dates[-1] - first).days + 1) / DAYS_PER_MONTH if dates[-1] >= first else 0.0
    per_crew = costs.crew_training_cost_eur + costs.crew_cost_eur_per_month * months_in_service
    crews_funded = int(math.floor(crew_env / per_crew + EPS)) if per_crew > 0 else 0
    if months_in_service == 0:
        crews_funded = 0
    crews = np.minimum(crews_funded, np.floor(batches * delivery.crews_per_month)).astype(np.int64)
    radars_ordered = int(math.floor(budget * split.sensors / costs.radar_unit_cost_eur + EPS))
    radars = np.minimum(radars_ordered, np.floor(batches * delivery.radars_per_month)).astype(np.int64)
    sites_ordered = int(math.floor(budget * split.launch_sites / costs.launch_site_cost_eur + EPS))
    sites_delivered = np.minimum(
        sites_ordered, np.floor(batches * delivery.launch_sites_per_month)
    ).astype(np.int64)
    per_site = defense.crews.crews_per_site
    crewed = np.where(crews > 0, np.maximum(crews // per_site, 1), 0)
    sites = np.minimum(sites_delivered, crewed)
    if ordered == 0:
        sites = np.zeros_like(sites)
    crew_nights = np.cumsum(crews)
    spend = (delivered * costs.interceptor_unit_cost_eur
             + crews * costs.crew_training_cost_eur
             + crew_nights * costs.crew_cost_eur_per_month / DAYS_PER_MONTH
             + radars * costs.radar_unit_cost_eur
             + sites_delivered * costs.launch_site_cost_eur).astype(float)
    committed = (ordered * costs.interceptor_unit_cost_eur + crews_funded * per_crew
                 + radars_ordered * costs.radar_unit_cost_eur
                 + sites_ordered * costs.launch_site_cost_eur)
    return {"delivered": delivered, "crews": crews, "radars": radars, "sites": sites,
            "sites_delivered": sites_delivered, "spend": spend, "ordered": ordered,
            "crews_funded": crews_funded, "radars_ordered": radars_ordered,
            "sites_ordered": sites_ordered, "committed": committed, "n": n}


def _programme_fixed_rates(defense, dates) -> ForceSchedule:
    budget = float(defense.budget_eur)
    cr = defense.crews
    sorties_per_crew = cr.sorties_per_crew_per_night
    crews_per_site = cr.crews_per_site
    use_per_crew = cr.expected_airframes_per_crew_per_night

    def arrays(b):
        lg = _legacy_arrays(defense, dates, b)
        crews = lg["crews"]
        active = np.minimum(crews, lg["sites"] * crews_per_site)
        a = {"delivered": lg["delivered"], "max_per_night": np.full(len(dates), np.inf),
             "crews_in_training": np.zeros(len(dates)), "crews_qualified": crews,
             "crews_active": active, "ground_stations": crews.copy(), "radars": lg["radars"],
             "sites_ready": lg["sites_delivered"], "sites_active": lg["sites"],
             "training_capacity": np.floor(_months_since(first_delivery_date(defense), dates)
                                           * defense.delivery.crews_per_month),
             "spend": lg["spend"]}
        a["stock"] = planned_stock(a["delivered"], active, use_per_crew, a["max_per_night"], True)
        a["use_per_crew"] = use_per_crew
        a.update(resource_levels(crews, crews, lg["sites_delivered"], 1, crews_per_site))
        return a, lg

    a, lg = arrays(budget)
    u, _ = arrays(UNLIMITED_EUR)
    first = first_delivery_date(defense)
    before = np.array([d < first for d in dates])
    labels = nightly_labels(a, u, before, budget <= 0)
    info = {"carries": True, "sorties_per_crew": sorties_per_crew, "crews_per_site": crews_per_site,
            "crews_per_station": 1, "use_per_crew": use_per_crew,
            "train_rate": defense.delivery.crews_per_month, "weeks": 0,
            "station_rate": defense.delivery.crews_per_month,
            "site_rate": defense.delivery.launch_sites_per_month,
            "budget": budget, "committed": lg["committed"],
            "unused": max(budget - lg["committed"], 0.0),
            "on_order": max(lg["committed"] - float(lg["spend"][-1]), 0.0),
            "first_delivery": first, "first_qualified": first,
            "short": np.full(len(dates), "crews", dtype=object),
            "bought": {"airframes": lg["ordered"], "crews": lg["crews_funded"],
                       "ground_stations": lg["crews_funded"], "radars": lg["radars_ordered"],
                       "sites": lg["sites_ordered"]}}
    return finish_schedule("programme", dates, a, labels, info)
