"""What both interceptor forces share: the night-by-night schedule of a force, the training
pipeline, deliveries, and what binds each night and month (the rules are in
:mod:`sim.model.forces`).

:class:`ForceSchedule` is one force night by night; :func:`finish_schedule` turns a force's
arrays into one, with the binding constraint of each night (:func:`nightly_labels`) and month;
:func:`binding_after_run` adds ``geometry`` once a run is known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

DAYS_PER_MONTH = 30.4375
LABELS = ("time", "money", "airframes", "crews", "stations", "sites", "geometry")
UNLIMITED_EUR = 1e15
EPS = 1e-9


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
    expended_before: int = 0  # airframes expended before the first night (a carried stock)

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
def month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_index(key: str) -> int:
    y, m = key.split("-")
    return int(y) * 12 + int(m) - 1


def per_day(rate_per_month: float) -> float:
    return float(rate_per_month) / DAYS_PER_MONTH


def daily_attrition(per_month: float) -> float:
    if per_month >= 1.0:
        return 1.0
    return 1.0 - (1.0 - float(per_month)) ** (1.0 / DAYS_PER_MONTH)


def floor_int(x) -> np.ndarray:
    return np.floor(np.asarray(x, float) + EPS).astype(np.int64)


def ceil_div(a: int, b: int) -> int:
    return -(-int(a) // int(b))


def capped(value: float, cap) -> float:
    return value if cap is None else min(value, float(cap))


def training_pipeline(cap: np.ndarray, q: int, a_day: float, crews0: float, pre_rate: float,
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


def cumulative_deliveries(n: int, t0: int, rate_per_day: float, total: float) -> np.ndarray:
    """Deliveries from grid day ``t0`` at ``rate_per_day`` until ``total`` (float, cumulative)."""
    days = np.arange(n, dtype=float) - t0 + 1.0
    rate = min(float(rate_per_day), 1e13)
    return np.where(days > 0, np.minimum(float(total), rate * np.maximum(days, 0.0)), 0.0)


# --------------------------------------------------------------------------- labels
def planned_stock(delivered, crews_active, use_per_crew, max_per_night, carries) -> np.ndarray:
    """Stock available each night if every earlier night spent the expected use."""
    n = len(delivered)
    out = np.empty(n)
    used = 0.0
    for k in range(n):
        stock = float(max_per_night[k]) if not carries else float(delivered[k]) - used
        out[k] = stock
        used += min(max(stock, 0.0), crews_active[k] * use_per_crew) if carries else 0.0
    return out


def resource_levels(crews_q, stations, sites, crews_per_station, crews_per_site) -> dict:
    return {"crews": np.asarray(crews_q, float),
            "stations": np.asarray(stations, float) * crews_per_station,
            "sites": np.asarray(sites, float) * crews_per_site}


def nightly_labels(a: dict, unl: dict | None, before_ready: np.ndarray | None,
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
        if active > 0 and a["stock"][k] < active * a["use_per_crew"] - EPS:
            r0 = "airframes"
        if unl is not None:
            if r0 == "airframes":
                more = unl["delivered"][k] > a["delivered"][k]
            else:
                more = unl[r0][k] > lv[r0] + EPS
            if more:
                out[k] = "money"
                continue
        out[k] = r0
    return out


def month_labels(dates, nightly) -> tuple[tuple, tuple, list[np.ndarray]]:
    months, label, masks = [], [], []
    keys = np.array([month_key(d) for d in dates])
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
        return (f"ground stations: {st} stations ({f['crews_per_station']} crew(s) each) for {cq} qualified "
                f"crews ({f['station_rate']:g} added a month)")
    if label == "sites":
        return (f"launch sites: {si} sites ({f['crews_per_site']} crews each) for {cq} qualified crews "
                f"({f['site_rate']:g} set up a month)")
    if label == "airframes":
        return (f"airframes: {int(f['delivered'][k]):,} delivered; stock below the expected use "
                f"of {f['use_per_crew']:g} a crew-night for {cs} crews")
    return label


def finish_schedule(name, dates, arr: dict, labels: np.ndarray, info: dict) -> ForceSchedule:
    months, mlab, masks = month_labels(dates, labels) if len(dates) else ((), (), [])
    details = []
    for lab, mask in zip(mlab, masks, strict=True):
        k = int(np.nonzero(mask)[0][-1])
        details.append(_detail(lab, k, {**arr, **info}))
    return ForceSchedule(
        name=name, dates=tuple(dates),
        delivered=floor_int(arr["delivered"]),
        max_per_night=np.asarray(arr["max_per_night"], float),
        stock_carries=bool(info["carries"]),
        crews_in_training=floor_int(arr["crews_in_training"]),
        crews_qualified=arr["crews_qualified"], crews_active=arr["crews_active"],
        ground_stations=arr["ground_stations"], radars=arr["radars"],
        sites_ready=arr["sites_ready"], sites_active=arr["sites_active"],
        training_capacity=np.asarray(arr["training_capacity"], float),
        spend_eur=np.asarray(arr["spend"], float),
        sorties_per_crew=int(info["sorties_per_crew"]), crews_per_site=int(info["crews_per_site"]),
        crews_per_station=int(info["crews_per_station"]), expected_use_per_crew=float(info["use_per_crew"]),
        binding_nightly=labels, months=months, binding=mlab, binding_detail=tuple(details),
        bought=info.get("bought", {}), budget_eur=float(info.get("budget", 0.0)),
        committed_eur=float(info.get("committed", 0.0)),
        unused_eur=float(info.get("unused", 0.0)),
        on_order_eur=float(info.get("on_order", 0.0)),
        first_delivery=info.get("first_delivery"), first_qualified=info.get("first_qualified"),
        expended_before=int(info.get("expended_before", 0)),
    )


def active_crews(crews_q, stations, sites, crews_per_station, crews_per_site):
    crews_q = floor_int(crews_q)
    stations = floor_int(stations)
    sites = floor_int(sites)
    active = np.minimum(crews_q, np.minimum(stations * crews_per_station, sites * crews_per_site))
    sites_active = -(-active // crews_per_site)
    return crews_q, stations, sites, active, sites_active


def empty_schedule(name: str, defense) -> ForceSchedule:
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
    spare = launched < np.minimum(force.sortie_capacity, stock) - EPS
    geometry = (leaked > 0) & spare & (force.crews_active > 0)
    nightly = force.binding_nightly.copy()
    nightly[geometry & (nightly != "time") & (nightly != "money")] = "geometry"
    nightly[geometry & (nightly == "money")] = "geometry"
    keys = np.array([month_key(d) for d in force.dates])
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
