"""Two interceptor-drone forces night by night: Ukraine's own (the baseline) and the funded
programme (an increment on it), and what limits each of them.

:func:`force_schedule` is the one function from the scenario's ``defense`` section to both
forces' airframes, crews, ground stations, radars and launch sites, night by night, with the
programme's spending and, month by month, the constraint that binds each force. It is pure
(no randomness) and is called once per run.

National force (``defense.national_force``, model ``pipeline``):

* Airframes: national production (``per_day_by_month`` or ``ramp``) times ``mission_share``
  arrives every day; ``stock_at_start`` is in stock on the first night.
* Crews: ``at_start`` qualified crews; ``trainee_crews_per_month`` enter training (a pipeline
  as full on the first night as in steady state), qualify after ``weeks_to_qualify``, and a
  share ``attrition_per_month`` of qualified crews is lost a month.
* Ground stations, radars and launch sites: ``at_start`` plus ``per_month`` a month.
* Model ``fixed``: the earlier constant layer ``defense.layers.existing_interceptors`` (sites,
  ``crews_per_site`` crews each, a nightly allowance that does not carry over).

Programme (``defense.budget_eur`` with ``defense.programme``, model ``economics``):

* Timing: training starts ``training.start_days`` after ``decision_date``; airframes, ground
  stations, radars and sites arrive from ``first_delivery_date`` (default decision +
  ``contracting_lead_days``) at most ``defense.delivery.*_per_month``.
* Crews: funded crews enter training at most ``delivery.crews_per_month`` (the training
  capacity), only while they can still qualify before the last night, qualify after
  ``training.weeks_to_qualify`` and are lost at ``training.attrition_per_month`` (replacements
  are trained within the funded headcount). A crew costs ``crew_training_cost_eur`` on entering
  training and ``crew_cost_eur_per_month`` for every day it serves until the last night.
* Airframes: ordered at ``interceptor_unit_cost_eur``; delivered every day at a rate that grows
  with the money ordered, with diminishing returns (``programme.production``: ``power`` or
  ``saturating``), capped by ``max_interceptors_per_month``.
* Split ``auto`` (default): the budget buys the largest number of balanced packages: per crew
  its training and pay, ``1/crews_per_ground_station`` ground station, ``1/crews_per_site``
  launch site, ``1/(crews_per_site * sites_per_radar)`` radar and
  ``expected_airframes_per_crew_per_night`` airframes for every night it serves. If even that
  leaves money once the training capacity (or a cap) stops more crews, the rest buys airframes
  up to the crews' full sortie capacity (``sorties_per_crew_per_night`` per crew-night); money
  beyond that is unused.
* A fixed split (``defense.split`` with shares) gives each envelope its share: airframes
  ``floor(share / unit cost)``, the most crews (with their ground stations) whose training and
  pay fit, radars and sites ``floor(share / unit cost)``.
* Caps (``programme.caps``): money above a cap buys nothing.
* Money is spent when things arrive (training on entry, pay daily); spend to date never exceeds
  the budget; what was ordered but arrives after the last night is "on order"; what could not be
  turned into anything is "unused".
* Model ``fixed_rates``: the earlier rule (envelopes delivered in monthly batches at fixed
  rates, crews ready on delivery), kept for comparison.

Both forces: a crew flies only with a ground station and a place at a launch site:
``crews_active = min(crews qualified, ground stations * crews_per_station,
sites ready * crews_per_site)``; ``sites_active = ceil(crews_active / crews_per_site)``.
Airframes in stock are ``delivered - expended``; the model subtracts what it expends.

Binding constraint, each night (then the most common label of each month):

* ``time``: programme nights before both its first deliveries and its first qualified crews;
* otherwise the scarcest of ``crews``, ``stations`` (ground stations) and ``sites`` (in crews
  they can serve), or ``airframes`` if the planned stock (delivered minus the expected use of
  ``expected_airframes_per_crew_per_night`` per active crew on every earlier night) cannot cover
  tonight's expected use;
* programme only: ``money`` if the same resource would be larger tonight with unlimited money
  (the same caps, rates and training capacity), so that more money would have bought more.
* ``geometry`` is decided after the run (:func:`binding_after_run`): crews with stock to spare
  on nights when drones leaked through.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sim.config.schema import Split

DAYS_PER_MONTH = 30.4375
LABELS = ("time", "money", "airframes", "crews", "stations", "sites", "geometry")
_UNLIMITED_EUR = 1e15
_EPS = 1e-9


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ForceSchedule:
    """One force, night by night (arrays of length ``nights``, integers unless noted).

    Attributes:
        name: ``"national"`` or ``"programme"``.
        dates: the nights.
        delivered: airframes delivered by each night, cumulative, including any stock on the
            first night. Stock on a night is ``delivered - expended so far``.
        max_per_night: airframes the force may spend tonight at most (float; ``inf`` unless the
            national force is the fixed layer with a nightly allowance).
        stock_carries: False for the fixed layer: tonight's allowance is ``max_per_night`` and
            what is not spent lapses; True otherwise.
        crews_in_training, crews_qualified: crews in the training pipeline / qualified.
        crews_active: qualified crews with a ground station and a place at a launch site.
        ground_stations, radars, sites_ready: delivered / commissioned.
        sites_active: sites with at least one active crew (``ceil(crews_active/crews_per_site)``).
        training_capacity: the most crews that training could have qualified by each night
            (float; crews at start plus every place offered that has had time to qualify).
        spend_eur: money spent by each night, cumulative (float; 0 for the national force).
        sorties_per_crew, crews_per_site, crews_per_station, expected_use_per_crew: constants.
        binding_nightly: label of each night (object array of str, see ``LABELS``).
        months: ``YYYY-MM`` of each month with nights; ``binding``/``binding_detail``: its label
            and a sentence with the numbers behind it.
        bought: what the money bought in total (programme: ``airframes``, ``crews``,
            ``ground_stations``, ``radars``, ``sites``; national: delivered over the period).
        budget_eur, committed_eur, unused_eur, on_order_eur: the budget, what was committed,
            what could not buy anything (``budget - committed``), and what was committed but
            arrives after the last night (``committed - spend_eur[-1]``).
        first_delivery, first_qualified: dates (``None`` for the national force).
    """

    name: str
    dates: tuple
    delivered: np.ndarray
    max_per_night: np.ndarray
    stock_carries: bool
    crews_in_training: np.ndarray
    crews_qualified: np.ndarray
    crews_active: np.ndarray
    ground_stations: np.ndarray
    radars: np.ndarray
    sites_ready: np.ndarray
    sites_active: np.ndarray
    training_capacity: np.ndarray
    spend_eur: np.ndarray
    sorties_per_crew: int
    crews_per_site: int
    crews_per_station: int
    expected_use_per_crew: float
    binding_nightly: np.ndarray
    months: tuple
    binding: tuple
    binding_detail: tuple
    bought: dict = field(default_factory=dict)
    budget_eur: float = 0.0
    committed_eur: float = 0.0
    unused_eur: float = 0.0
    on_order_eur: float = 0.0
    first_delivery: dt.date | None = None
    first_qualified: dt.date | None = None

    @property
    def sortie_capacity(self) -> np.ndarray:
        """Interceptors the active crews can fly each night (before stock)."""
        return np.minimum(self.crews_active * float(self.sorties_per_crew), self.max_per_night)

    def at(self, date: dt.date | str) -> dict:
        """The force on one night, as plain numbers (for reports)."""
        d = dt.date.fromisoformat(date) if isinstance(date, str) else date
        k = self.dates.index(d)
        return {
            "airframes_delivered": int(self.delivered[k]),
            "crews_qualified": int(self.crews_qualified[k]),
            "crews_active": int(self.crews_active[k]),
            "ground_stations": int(self.ground_stations[k]),
            "radars": int(self.radars[k]),
            "sites_ready": int(self.sites_ready[k]),
            "sites_active": int(self.sites_active[k]),
            "spend_eur": float(self.spend_eur[k]),
            "binding": str(self.binding_nightly[k]),
        }


@dataclass(frozen=True)
class ForceSchedules:
    """Both forces. ``national`` is the baseline; ``programme`` the funded increment."""

    national: ForceSchedule
    programme: ForceSchedule

    @property
    def forces(self) -> tuple[ForceSchedule, ForceSchedule]:
        return (self.national, self.programme)


# --------------------------------------------------------------------------- helpers
def _month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _month_index(key: str) -> int:
    y, m = key.split("-")
    return int(y) * 12 + int(m) - 1


def _per_day(rate_per_month: float) -> float:
    return float(rate_per_month) / DAYS_PER_MONTH


def _daily_attrition(per_month: float) -> float:
    if per_month >= 1.0:
        return 1.0
    return 1.0 - (1.0 - float(per_month)) ** (1.0 / DAYS_PER_MONTH)


def _floor(x) -> np.ndarray:
    return np.floor(np.asarray(x, float) + _EPS).astype(np.int64)


def _ceil_div(a: int, b: int) -> int:
    return -(-int(a) // int(b))


def _cap(value: float, cap) -> float:
    return value if cap is None else min(value, float(cap))


def _pipeline(cap: np.ndarray, q: int, a_day: float, crews0: float, pre_rate: float,
              target: float = math.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training pipeline on a daily grid.

    Each day: the intake of ``q`` days ago qualifies (before the grid: ``pre_rate`` a day, the
    trainees already in the pipeline), qualified crews are lost at ``a_day``, then trainees
    enter up to ``cap[t]`` while crews + trainees stay within ``target`` (the funded headcount).

    Returns:
        (qualified crews, crews in training, intake), float arrays per day.
    """
    n = len(cap)
    crews = np.empty(n)
    training = np.empty(n)
    intake = np.zeros(n)
    c = float(crews0)
    tr = float(pre_rate) * q
    for t in range(n):
        if q > 0:
            g = intake[t - q] if t >= q else pre_rate
            g = min(g, tr)
            tr -= g
            c = c * (1.0 - a_day) + g
        else:
            c = c * (1.0 - a_day)
        room = target - c - tr
        x = min(cap[t], room) if room > 0 else 0.0
        intake[t] = x
        if q > 0:
            tr += x
        else:
            c += x
        crews[t] = c
        training[t] = tr
    return crews, training, intake


def _cumulative(n: int, t0: int, rate_per_day: float, total: float) -> np.ndarray:
    """Deliveries from grid day ``t0`` at ``rate_per_day`` until ``total`` (float, cumulative)."""
    days = np.arange(n, dtype=float) - t0 + 1.0
    rate = min(float(rate_per_day), 1e13)
    return np.where(days > 0, np.minimum(float(total), rate * np.maximum(days, 0.0)), 0.0)


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


def national_production_per_day(production, days: list[dt.date]) -> np.ndarray:
    """National production (all missions, airframes a day) on each date."""
    if production.per_day_by_month is not None:
        keys = sorted(production.per_day_by_month, key=_month_index)
        idx = np.array([_month_index(k) for k in keys])
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


# --------------------------------------------------------------------------- labels
def _planned_stock(delivered, crews_active, use_per_crew, max_per_night, carries) -> np.ndarray:
    """Stock available each night if every earlier night spent the expected use."""
    n = len(delivered)
    out = np.empty(n)
    used = 0.0
    for k in range(n):
        stock = float(max_per_night[k]) if not carries else float(delivered[k]) - used
        out[k] = stock
        used += min(max(stock, 0.0), crews_active[k] * use_per_crew) if carries else 0.0
    return out


def _levels(crews_q, stations, sites, cpst, cps) -> dict:
    return {"crews": np.asarray(crews_q, float),
            "stations": np.asarray(stations, float) * cpst,
            "sites": np.asarray(sites, float) * cps}


def _nightly_labels(a: dict, unl: dict | None, before_ready: np.ndarray | None,
                    no_money: bool) -> np.ndarray:
    """Label each night (see the module text). ``a``/``unl``: arrays of the force as scheduled
    and with unlimited money (``None``: no money question, the national force)."""
    n = len(a["crews"])
    out = np.empty(n, dtype=object)
    res = ("crews", "stations", "sites")
    for k in range(n):
        if no_money:
            out[k] = "money"
            continue
        if before_ready is not None and before_ready[k]:
            out[k] = "time"
            continue
        lv = {r: a[r][k] for r in res}
        r0 = min(res, key=lambda r: lv[r])  # ties: crews, then stations, then sites
        active = lv[r0]
        if active > 0 and a["stock"][k] < active * a["use"] - _EPS:
            r0 = "airframes"
        if unl is not None:
            if r0 == "airframes":
                more = unl["delivered"][k] > a["delivered"][k]
            else:
                more = unl[r0][k] > lv[r0] + _EPS
            if more:
                out[k] = "money"
                continue
        out[k] = r0
    return out


def _month_labels(dates, nightly) -> tuple[tuple, tuple, list[np.ndarray]]:
    months, label, masks = [], [], []
    keys = np.array([_month_key(d) for d in dates])
    for m in dict.fromkeys(keys.tolist()):
        mask = keys == m
        lab = nightly[mask].tolist()
        counts = Counter(lab)
        best = max(counts.values())
        tied = {x for x, c in counts.items() if c == best}
        pick = next(x for x in reversed(lab) if x in tied)  # ties: the later one
        months.append(m)
        label.append(pick)
        masks.append(mask)
    return tuple(months), tuple(label), masks


def _detail(label: str, k: int, f: dict) -> str:
    """A sentence with the numbers behind a label on night ``k`` (the month's last night)."""
    cq, cs, st, si = (int(f["crews_qualified"][k]), int(f["crews_active"][k]),
                      int(f["ground_stations"][k]), int(f["sites_ready"][k]))
    if label == "time":
        return (f"time: nothing before the first deliveries ({f['first_delivery']}) and the "
                f"first qualified crews ({f['first_qualified']})")
    if label == "money":
        if f["budget"] <= 0:
            return "money: no programme budget"
        return (f"money: the EUR {f['budget'] / 1e6:,.0f}M budget is committed "
                f"(EUR {f['unused'] / 1e6:,.1f}M unused); more money would buy more "
                f"{f['short'][k]}")
    if label == "crews":
        return (f"crews: {cq} qualified ({cs} active); training takes "
                f"{f['train_rate']:g} crews a month, {f['weeks']:g} weeks to qualify")
    if label == "stations":
        return (f"ground stations: {st} stations ({f['cpst']} crew(s) each) for {cq} qualified "
                f"crews ({f['station_rate']:g} added a month)")
    if label == "sites":
        return (f"launch sites: {si} sites ({f['cps']} crews each) for {cq} qualified crews "
                f"({f['site_rate']:g} set up a month)")
    if label == "airframes":
        return (f"airframes: {int(f['delivered'][k]):,} delivered; stock below the expected use "
                f"of {f['use']:g} a crew-night for {cs} crews")
    return label


def _finish(name, dates, arr: dict, labels: np.ndarray, info: dict) -> ForceSchedule:
    months, mlab, masks = _month_labels(dates, labels) if len(dates) else ((), (), [])
    details = []
    for lab, mask in zip(mlab, masks, strict=True):
        k = int(np.nonzero(mask)[0][-1])
        details.append(_detail(lab, k, {**arr, **info}))
    return ForceSchedule(
        name=name, dates=tuple(dates),
        delivered=_floor(arr["delivered"]),
        max_per_night=np.asarray(arr["max_per_night"], float),
        stock_carries=bool(info["carries"]),
        crews_in_training=_floor(arr["crews_in_training"]),
        crews_qualified=arr["crews_qualified"], crews_active=arr["crews_active"],
        ground_stations=arr["ground_stations"], radars=arr["radars"],
        sites_ready=arr["sites_ready"], sites_active=arr["sites_active"],
        training_capacity=np.asarray(arr["training_capacity"], float),
        spend_eur=np.asarray(arr["spend"], float),
        sorties_per_crew=int(info["s"]), crews_per_site=int(info["cps"]),
        crews_per_station=int(info["cpst"]), expected_use_per_crew=float(info["use"]),
        binding_nightly=labels, months=months, binding=mlab, binding_detail=tuple(details),
        bought=info.get("bought", {}), budget_eur=float(info.get("budget", 0.0)),
        committed_eur=float(info.get("committed", 0.0)),
        unused_eur=float(info.get("unused", 0.0)),
        on_order_eur=float(info.get("on_order", 0.0)),
        first_delivery=info.get("first_delivery"), first_qualified=info.get("first_qualified"),
    )


def _active(crews_q, stations, sites, cpst, cps):
    crews_q = _floor(crews_q)
    stations = _floor(stations)
    sites = _floor(sites)
    active = np.minimum(crews_q, np.minimum(stations * cpst, sites * cps))
    sites_active = -(-active // cps)
    return crews_q, stations, sites, active, sites_active


# --------------------------------------------------------------------------- national force
def _national(defense, dates: list[dt.date]) -> ForceSchedule:
    nf = defense.national_force
    s, cps, use = (defense.crews.sorties_per_crew_per_night, defense.crews.crews_per_site,
                   defense.crews.expected_airframes_per_crew_per_night)
    n = len(dates)
    if nf.model == "fixed":
        ex = defense.layers.existing_interceptors
        crews = np.full(n, ex.launch_sites * cps, dtype=np.int64)
        sites = np.full(n, ex.launch_sites, dtype=np.int64)
        allowance = np.full(n, float(ex.interceptors_per_night))
        arr = {"delivered": np.cumsum(allowance), "max_per_night": allowance,
               "crews_in_training": np.zeros(n), "crews_qualified": crews, "crews_active": crews,
               "ground_stations": crews.copy(), "radars": np.zeros(n, dtype=np.int64),
               "sites_ready": sites, "sites_active": sites.copy(),
               "training_capacity": crews.astype(float), "spend": np.zeros(n)}
        arr["stock"] = allowance
        arr["use"] = use
        arr.update(_levels(crews, crews, sites, 1, cps))
        labels = _nightly_labels(arr, None, None, False)
        info = {"carries": False, "s": s, "cps": cps, "cpst": 1, "use": use,
                "train_rate": 0, "weeks": 0, "station_rate": 0, "site_rate": 0,
                "bought": {"airframes": int(allowance.sum()), "crews": int(crews[-1]) if n else 0,
                           "ground_stations": int(crews[-1]) if n else 0, "radars": 0,
                           "sites": int(sites[-1]) if n else 0}}
        return _finish("national", dates, arr, labels, info)

    if n == 0:
        return _empty("national", defense)
    g0 = dates[0]
    ng = (dates[-1] - g0).days + 1
    grid = [g0 + dt.timedelta(days=i) for i in range(ng)]
    ix = np.array([(d - g0).days for d in dates])
    pr = nf.production
    daily = national_production_per_day(pr, grid) * pr.mission_share
    delivered = pr.stock_at_start + np.concatenate([[0.0], np.cumsum(daily)[:-1]])  # by the night
    c = nf.crews
    q = int(round(c.weeks_to_qualify * 7))
    rate = _per_day(c.trainee_crews_per_month)
    crews_f, training_f, _ = _pipeline(
        np.full(ng, rate), q, _daily_attrition(c.attrition_per_month), c.at_start, rate
    )
    t_days = np.arange(ng, dtype=float)
    gs, ra, si = nf.ground_stations, nf.radars, nf.launch_sites
    stations = gs.at_start + _floor(_per_day(gs.per_month) * t_days)
    radars = ra.at_start + _floor(_per_day(ra.per_month) * t_days)
    sites = si.at_start + _floor(_per_day(si.per_month) * t_days)
    cpst = gs.crews_per_station
    crews_q, stations_i, sites_i, active, sites_active = _active(
        crews_f[ix], stations[ix], sites[ix], cpst, cps
    )
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
    arr["stock"] = _planned_stock(arr["delivered"], active, use, arr["max_per_night"], True)
    arr["use"] = use
    arr.update(_levels(crews_q, stations_i, sites_i, cpst, cps))
    labels = _nightly_labels(arr, None, None, False)
    info = {"carries": True, "s": s, "cps": cps, "cpst": cpst, "use": use,
            "train_rate": c.trainee_crews_per_month, "weeks": c.weeks_to_qualify,
            "station_rate": gs.per_month, "site_rate": si.per_month,
            "bought": {"airframes": int(_floor(delivered[-1] - pr.stock_at_start)),
                       "crews": int(crews_q[-1]), "ground_stations": int(stations_i[-1]),
                       "radars": int(radars[ix][-1]), "sites": int(sites_i[-1])}}
    return _finish("national", dates, arr, labels, info)


def _empty(name: str, defense) -> ForceSchedule:
    z = np.zeros(0, dtype=np.int64)
    return ForceSchedule(
        name=name, dates=(), delivered=z, max_per_night=np.zeros(0), stock_carries=True,
        crews_in_training=z, crews_qualified=z, crews_active=z, ground_stations=z, radars=z,
        sites_ready=z, sites_active=z, training_capacity=np.zeros(0), spend_eur=np.zeros(0),
        sorties_per_crew=defense.crews.sorties_per_crew_per_night,
        crews_per_site=defense.crews.crews_per_site, crews_per_station=1,
        expected_use_per_crew=defense.crews.expected_airframes_per_crew_per_night,
        binding_nightly=np.zeros(0, dtype=object), months=(), binding=(), binding_detail=(),
        budget_eur=float(defense.budget_eur), unused_eur=float(defense.budget_eur),
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
    return _per_day(min(caps)) if caps else math.inf


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
        rate = _per_day(dl.crews_per_month)
        self.intake_cap = np.where((t >= t_train) & (t <= last_entry), rate, 0.0)
        self.a_day = _daily_attrition(p.training.attrition_per_month)
        self.pay_day = costs.crew_cost_eur_per_month / DAYS_PER_MONTH
        self._train_cost = costs.crew_training_cost_eur
        self._cache: dict[int, tuple] = {}
        cps = cr.crews_per_site
        cpst = p.package.crews_per_ground_station
        spr = p.package.sites_per_radar
        caps = p.caps
        c_cap = math.inf
        for cap, per in ((caps.max_crews, 1), (caps.max_sites, cps),
                         (caps.max_ground_stations, cpst)):
            if cap is not None:
                c_cap = min(c_cap, cap * per)
        crews_inf, tr_inf, _ = _pipeline(self.intake_cap, q, self.a_day, 0.0, 0.0)
        head = float(np.max(crews_inf + tr_inf)) if ng else 0.0
        self.c_hi = int(min(c_cap, math.ceil(head - _EPS)))

        s = cr.sorties_per_crew_per_night
        use = cr.expected_airframes_per_crew_per_night
        ca, cg, cs, crd = (costs.interceptor_unit_cost_eur, costs.ground_station_unit_cost_eur,
                           costs.launch_site_cost_eur, costs.radar_unit_cost_eur)
        max_n = math.inf if caps.max_interceptors is None else caps.max_interceptors

        def n_cap(x):
            return int(min(max_n, math.floor(x + _EPS)))

        if defense.split == "auto":
            def package(c: int):
                crews, _tr, _in, crew_cost, crew_nights = self.crews(c)
                g = _ceil_div(c, cpst)
                si = _ceil_div(c, cps)
                r = int(_cap(_ceil_div(si, spr), caps.max_radars))
                n_air = n_cap(use * crew_nights)
                cost = crew_cost + g * cg + si * cs + r * crd + n_air * ca
                return cost, g, si, r, n_air, crew_nights

            c_star = self._largest(lambda c: package(c)[0], self.budget)
            cost, g, si, r, n_air, crew_nights = package(c_star)
            if c_star == self.c_hi and c_star > 0:
                extra = math.floor((self.budget - cost) / ca + _EPS)
                n_air = max(n_air, min(n_air + extra, n_cap(s * crew_nights)))
        else:
            sp = defense.split
            e_c = self.budget * sp.crews
            c_star = self._largest(
                lambda c: self.crews(c)[3] + _ceil_div(c, cpst) * cg, e_c
            )
            g = _ceil_div(c_star, cpst)
            n_air = n_cap(self.budget * sp.interceptors / ca)
            r = int(_cap(math.floor(self.budget * sp.sensors / crd + _EPS), caps.max_radars))
            si = int(_cap(math.floor(self.budget * sp.launch_sites / cs + _EPS), caps.max_sites))
        crews_f, tr_f, intake, crew_cost, _ = self.crews(c_star)
        self.c_star, self.n_air, self.g, self.si, self.r = c_star, n_air, g, si, r
        self.crews_f, self.tr_f, self.intake = crews_f, tr_f, intake
        self.rate_air = min(production_rate(p.production, n_air * ca), _airframe_cap_per_day(defense))
        self.air = _cumulative(ng, self.t1, self.rate_air, n_air)
        self.stations = _floor(_cumulative(ng, self.t1, _per_day(dl.ground_stations_per_month), g))
        self.sites = _floor(_cumulative(ng, self.t1, _per_day(dl.launch_sites_per_month), si))
        self.radars = _floor(_cumulative(ng, self.t1, _per_day(dl.radars_per_month), r))
        air_i = _floor(self.air)
        self.spend = (air_i * ca + self.stations * cg + self.sites * cs + self.radars * crd
                      + np.cumsum(intake) * costs.crew_training_cost_eur
                      + np.cumsum(crews_f) * self.pay_day)
        self.committed = crew_cost + n_air * ca + g * cg + si * cs + r * crd
        offered = np.cumsum(self.intake_cap)
        self.training_capacity = np.where(t >= q, offered[np.clip(t - q, 0, None)], 0.0)
        self.cpst, self.cps = cpst, cps

    def crews(self, c: int):
        """Crews for a funded headcount ``c``: (crews, training, intake, cost, crew-nights)."""
        c = int(max(0, min(c, self.c_hi)))
        if c not in self._cache:
            crews, tr, intake = _pipeline(self.intake_cap, self.q, self.a_day, 0.0, 0.0, float(c))
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


def _programme(defense, dates: list[dt.date]) -> ForceSchedule:
    if not dates:
        return _empty("programme", defense)
    if defense.programme.model == "fixed_rates":
        return _programme_fixed_rates(defense, dates)
    budget = float(defense.budget_eur)
    plan = _Plan(defense, budget, dates)
    unl = _Plan(defense, _UNLIMITED_EUR, dates)
    cr = defense.crews
    s, cps, use = cr.sorties_per_crew_per_night, cr.crews_per_site, cr.expected_airframes_per_crew_per_night
    ix = plan.ix

    def arrays(pl: _Plan) -> dict:
        crews_q, st, si, active, sites_active = _active(
            pl.crews_f[ix], pl.stations[ix], pl.sites[ix], pl.cpst, cps
        )
        a = {"delivered": pl.air[ix], "max_per_night": np.full(len(ix), np.inf),
             "crews_in_training": pl.tr_f[ix], "crews_qualified": crews_q,
             "crews_active": active, "ground_stations": st, "radars": pl.radars[ix],
             "sites_ready": si, "sites_active": sites_active,
             "training_capacity": pl.training_capacity[ix], "spend": pl.spend[ix]}
        a["stock"] = _planned_stock(_floor(a["delivered"]), active, use, a["max_per_night"], True)
        a["use"] = use
        a.update(_levels(crews_q, st, si, pl.cpst, cps))
        return a

    a, u = arrays(plan), arrays(unl)
    t_first_q = plan.t_train + plan.q
    t_ready = max(plan.t1, t_first_q)
    before = ix < t_ready
    labels = _nightly_labels(a, u, before, budget <= 0)
    short = np.empty(len(ix), dtype=object)
    for k in range(len(ix)):
        res = ("crews", "stations", "sites")
        r0 = min(res, key=lambda r: a[r][k])
        short[k] = {"crews": "crews", "stations": "ground stations", "sites": "launch sites"}[r0]
        if a[r0][k] > 0 and a["stock"][k] < a[r0][k] * use - _EPS:
            short[k] = "airframes"
    committed = float(plan.committed)
    info = {"carries": True, "s": s, "cps": cps, "cpst": plan.cpst, "use": use,
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
    return _finish("programme", dates, a, labels, info)


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
    ordered = int(math.floor(budget * split.interceptors / costs.interceptor_unit_cost_eur + _EPS))
    delivered = np.minimum(ordered, np.floor(batches * ipm)).astype(np.int64)
    crew_env = budget * split.crews
    months_in_service = ((dates[-1] - first).days + 1) / DAYS_PER_MONTH if dates[-1] >= first else 0.0
    per_crew = costs.crew_training_cost_eur + costs.crew_cost_eur_per_month * months_in_service
    crews_funded = int(math.floor(crew_env / per_crew + _EPS)) if per_crew > 0 else 0
    if months_in_service == 0:
        crews_funded = 0
    crews = np.minimum(crews_funded, np.floor(batches * delivery.crews_per_month)).astype(np.int64)
    radars_ordered = int(math.floor(budget * split.sensors / costs.radar_unit_cost_eur + _EPS))
    radars = np.minimum(radars_ordered, np.floor(batches * delivery.radars_per_month)).astype(np.int64)
    sites_ordered = int(math.floor(budget * split.launch_sites / costs.launch_site_cost_eur + _EPS))
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
    s, cps, use = cr.sorties_per_crew_per_night, cr.crews_per_site, cr.expected_airframes_per_crew_per_night

    def arrays(b):
        lg = _legacy_arrays(defense, dates, b)
        crews = lg["crews"]
        active = np.minimum(crews, lg["sites"] * cps)
        a = {"delivered": lg["delivered"], "max_per_night": np.full(len(dates), np.inf),
             "crews_in_training": np.zeros(len(dates)), "crews_qualified": crews,
             "crews_active": active, "ground_stations": crews.copy(), "radars": lg["radars"],
             "sites_ready": lg["sites_delivered"], "sites_active": lg["sites"],
             "training_capacity": np.floor(_months_since(first_delivery_date(defense), dates)
                                           * defense.delivery.crews_per_month),
             "spend": lg["spend"]}
        a["stock"] = _planned_stock(a["delivered"], active, use, a["max_per_night"], True)
        a["use"] = use
        a.update(_levels(crews, crews, lg["sites_delivered"], 1, cps))
        return a, lg

    a, lg = arrays(budget)
    u, _ = arrays(_UNLIMITED_EUR)
    first = first_delivery_date(defense)
    before = np.array([d < first for d in dates])
    labels = _nightly_labels(a, u, before, budget <= 0)
    info = {"carries": True, "s": s, "cps": cps, "cpst": 1, "use": use,
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
    return _finish("programme", dates, a, labels, info)


# --------------------------------------------------------------------------- public API
def force_schedule(defense, dates: list[dt.date]) -> ForceSchedules:
    """Both interceptor-drone forces, night by night, and what binds each month.

    Args:
        defense: the scenario's ``defense`` section (:class:`sim.config.schema.Defense`).
        dates: the simulated nights, in increasing order (usually ``period.dates``).

    Returns:
        :class:`ForceSchedules` with ``national`` (the baseline force) and ``programme`` (the
        funded increment), each a :class:`ForceSchedule`.
    """
    dates = list(dates)
    if any(b <= a for a, b in zip(dates, dates[1:], strict=False)):
        raise ValueError("dates must be strictly increasing")
    return ForceSchedules(national=_national(defense, dates), programme=_programme(defense, dates))


class ForceLedger:
    """A force's airframe stock through the run: deliveries in, expended airframes out.

    Each night: ``available = ledger.open_night(k)`` (tonight's deliveries arrive; returns what
    the force can fly tonight: stock, at most its sortie capacity), then, after the
    engagements, ``ledger.expend(n)`` with the airframes not recovered. Stock never goes
    negative: ``expend`` refuses more than the stock.
    """

    def __init__(self, force: ForceSchedule):
        self.force = force
        self.stock = 0
        self.expended = 0
        self._delivered = 0

    def open_night(self, k: int) -> int:
        f = self.force
        if f.stock_carries:
            d = int(f.delivered[k])
            self.stock += d - self._delivered
            self._delivered = d
        else:
            self.stock = int(f.max_per_night[k])  # tonight's allowance; the rest lapses
        return int(min(self.stock, f.sortie_capacity[k]))

    def expend(self, n: int) -> None:
        n = int(n)
        if n < 0 or n > self.stock:
            raise ValueError(f"cannot expend {n} airframes from a stock of {self.stock}")
        self.stock -= n
        self.expended += n


def binding_after_run(force: ForceSchedule, launched, stock_before, leaked) -> tuple[tuple, tuple]:
    """Month labels once the run is known, adding ``geometry``.

    A night is a ``geometry`` night when drones leaked through (``leaked > 0``) while the force
    launched fewer interceptors than both its sortie capacity and its stock allowed: crews and
    airframes were left over, so what stopped it was where the drones flew (out of reach of
    the sites, or not tracked in time), not how many crews or airframes it had. Other nights
    keep the schedule's label. A month's label is the most common label over its nights with
    leakers (over all its nights if none leaked).

    Args:
        force: the schedule the run used.
        launched: interceptors the force launched each night.
        stock_before: airframes it had in stock at the start of each night (for a force whose
            stock does not carry, tonight's allowance).
        leaked: drones (warhead or not) that leaked through all layers each night.

    Returns:
        (labels, details): one per month of ``force.months``.
    """
    launched = np.asarray(launched, float)
    stock = np.asarray(stock_before, float)
    leaked = np.asarray(leaked, float)
    spare = launched < np.minimum(force.sortie_capacity, stock) - _EPS
    geometry = (leaked > 0) & spare & (force.crews_active > 0)
    nightly = force.binding_nightly.copy()
    nightly[geometry & (nightly != "time") & (nightly != "money")] = "geometry"
    nightly[geometry & (nightly == "money")] = "geometry"
    keys = np.array([_month_key(d) for d in force.dates])
    labels, details = [], []
    for m, sched_label, sched_detail in zip(force.months, force.binding, force.binding_detail,
                                            strict=True):
        mask = keys == m
        sel = mask & (leaked > 0)
        pool = nightly[sel] if sel.any() else nightly[mask]
        counts = Counter(pool.tolist())
        best = max(counts.values())
        tied = {x for x, c in counts.items() if c == best}
        pick = next(x for x in reversed(pool.tolist()) if x in tied)
        labels.append(pick)
        if pick == "geometry":
            n_geo = int((geometry & mask).sum())
            details.append(f"geometry: on {n_geo} nights drones leaked while crews and airframes "
                           f"were left over")
        elif pick == sched_label:
            details.append(sched_detail)
        else:
            details.append(pick)
    return tuple(labels), tuple(details)


def _month_name(key: str) -> str:
    y, m = key.split("-")
    return dt.date(int(y), int(m), 1).strftime("%b %Y")


def limited_by_text(force: ForceSchedule, labels: tuple | None = None,
                    stock_end: int | None = None) -> str:
    """The words for the printed summary, e.g. ``programme: limited by time (Nov 2025), money
    (Dec 2025 - Jan 2026), crews (Feb 2026 - Mar 2026); bought ...; EUR 3.2M unused``.

    Args:
        force: a schedule.
        labels: month labels to use (default: the schedule's; pass those of
            :func:`binding_after_run` after a run).
        stock_end: airframes left in stock after the last night (after a run).
    """
    labels = force.binding if labels is None else tuple(labels)
    runs: list[tuple[str, str, str]] = []
    for m, lab in zip(force.months, labels, strict=True):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], m)
        else:
            runs.append((lab, m, m))
    parts = []
    for lab, a, b in runs:
        when = _month_name(a) if a == b else f"{_month_name(a)} - {_month_name(b)}"
        parts.append(f"{'ground stations' if lab == 'stations' else lab} ({when})")
    text = f"{force.name}: limited by " + (", ".join(parts) if parts else "nothing (no nights)")
    b = force.bought
    if b and force.name == "programme":
        text += (f"; bought {b.get('airframes', 0):,} airframes, {b.get('crews', 0):,} crews, "
                 f"{b.get('ground_stations', 0):,} ground stations, {b.get('sites', 0):,} sites, "
                 f"{b.get('radars', 0):,} radars")
    elif b:
        text += (f"; received {b.get('airframes', 0):,} airframes over the period; on the last "
                 f"night {b.get('crews', 0):,} crews, {b.get('ground_stations', 0):,} ground "
                 f"stations, {b.get('sites', 0):,} sites, {b.get('radars', 0):,} radars")
    if force.name == "programme":
        text += (f"; EUR {force.unused_eur / 1e6:,.1f}M of EUR {force.budget_eur / 1e6:,.0f}M "
                 f"unused")
        if force.on_order_eur > 0.5:
            text += f", EUR {force.on_order_eur / 1e6:,.1f}M on order after the last night"
    if stock_end is not None:
        text += f"; {int(stock_end):,} airframes unused in stock at the end"
    return text


def forces_report(scenario, budgets_eur: list[float], on: dt.date | None = None) -> str:
    """A plain-text report of both forces for several programme budgets (docs, checks).

    ``python -m sim.model.budget scenarios/nl-200m.yaml 0 2e8 4e8 8e8`` prints it.
    """
    from sim.config.io import with_overrides

    on = on or scenario.period.dates[-1]
    lines = [f"{scenario.name}: forces on {on} (sim/model/budget.py)", ""]
    from sim.model.theatre import schedules_for

    nat = schedules_for(scenario).national
    v = nat.at(on)
    lines.append(f"national force: {v['airframes_delivered']:,} airframes delivered (with stock "
                 f"at start), {v['crews_qualified']} crews qualified, {v['crews_active']} "
                 f"active, {v['ground_stations']} ground stations, {v['sites_active']} of "
                 f"{v['sites_ready']} sites active, {v['radars']} radars")
    lines.append("  " + limited_by_text(nat))
    for m, lab, det in zip(nat.months, nat.binding, nat.binding_detail, strict=True):
        lines.append(f"    {m}  {lab:<9} {det}")
    for b in budgets_eur:
        sc = with_overrides(scenario, {"defense.budget_eur": float(b)})
        p = schedules_for(sc).programme
        v = p.at(on)
        lines += ["", f"programme EUR {b / 1e6:,.0f}M: {v['airframes_delivered']:,} airframes "
                  f"delivered, {v['crews_qualified']} crews qualified, {v['crews_active']} "
                  f"active, {v['ground_stations']} ground stations, {v['sites_active']} of "
                  f"{v['sites_ready']} sites active, {v['radars']} radars, spent EUR "
                  f"{v['spend_eur'] / 1e6:,.1f}M"]
        lines.append("  " + limited_by_text(p))
        for m, lab, det in zip(p.months, p.binding, p.binding_detail, strict=True):
            lines.append(f"    {m}  {lab:<9} {det}")
    return "\n".join(lines)
