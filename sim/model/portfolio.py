"""A portfolio's money, night by night: what each option delivers and what limits it.

:func:`portfolio_schedule` turns ``defense.portfolio`` (:mod:`sim.config.portfolio`) and the
budget ``defense.budget_eur`` into deliveries for every option and item on every night of the
period, in the style of the programme's schedule (:func:`sim.model.forces.force_schedule`). It
is pure (no randomness) and is called once per run.

* ``interceptor_drones``: the programme of :mod:`sim.model.forces` with the option's money as
  its budget (``force_schedule``; its airframes, crews, ground stations and sites).
* Every other item (:func:`item_schedule`) with money ``m`` (the option's money times the
  item's share), decided on ``defense.programme.decision_date`` (day ``d``):

  - Deliveries start on day ``t1 = d + lead_time_days`` at ``r = max_per_month / 30.4375`` a
    day: by day ``t`` at most ``floor(r (t - t1 + 1))`` units (all at ``t1`` without a limit).
  - Units bought: the largest ``n`` whose cost fits in ``m``,
    ``cost(n) = fixed + n * unit_cost + running / 30.4375 * (unit-days in service until the last
    night)``, and that can still serve this winter: no more than the deliveries possible by the
    last night (production and time), ``max_units`` (sites), and the units the crews trained by
    the last night can man (``crews_per_unit`` each; crews enter training from ``d`` at
    ``crews_per_month`` and qualify after ``weeks_to_qualify``; the pipeline of
    :mod:`sim.model.forces`). Money beyond that is *unused*: it could not buy anything that
    arrives and serves before the last night.
  - A unit serves (``active``) once delivered and manned.
  - Money is spent when things happen: the fixed cost on the decision day, the unit cost on
    arrival, the running cost every day a unit serves. Spend never exceeds the money.

What limits an item each night (then the most common label of each month):

* ``time``: before its first unit serves (lead time, training);
* ``crews``: units delivered wait for crews;
* ``production``: units bought are still arriving at the delivery rate;
* once everything bought serves: ``money`` if more money would have bought more for this
  winter, else the limit that stopped it: ``sites`` (``max_units``), ``crews`` (training
  capacity) or ``production`` (delivery rate and lead time);
* an item that buys nothing: ``money`` (no money, or less than one unit), ``time`` (nothing
  can arrive or be manned before the last night), ``production`` (none for sale), ``sites``.

The programme keeps its own labels (``time``, ``money``, ``airframes``, ``crews``,
``stations``, ``sites``; :data:`sim.model.forces.LABELS`).

The effects of the deliveries in the model (which mechanism each option acts through) are in
:mod:`sim.model.portfolio_effects` and
described in ``docs/portfolio.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from sim.config.portfolio import OPTION_NAMES, OPTIONS, Portfolio
from sim.model.forces import ForceSchedule, force_schedule
from sim.model.forces.limits import month_name
from sim.model.forces.report import limited_by_text as force_text
from sim.model.forces.schedule import DAYS_PER_MONTH, EPS, month_labels
from sim.model.forces.schedule import training_pipeline as _pipeline

LIMITS = ("time", "money", "production", "crews", "sites")
"""What can limit an item (the programme's labels are those of :mod:`sim.model.forces`)."""


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ItemSchedule:
    """One item of an option, night by night (arrays of length ``nights``).

    Attributes:
        option, item, unit: names (``unit``: what one unit is).
        dates: the nights.
        money_eur: the item's money.
        bought: units bought (all of them arrive and can be manned by the last night).
        delivered: units delivered by each night, cumulative (int).
        active: units serving each night: delivered and manned (int).
        crews_qualified: crews trained by each night (int; 0 for items without crews).
        spend_eur: money spent by each night, cumulative (float).
        committed_eur: what the units bought cost until the last night; ``unused_eur``: money
            that bought nothing (``money - committed``); ``on_order_eur``: committed but not
            yet spent on the last night (the programme's airframes arriving later; 0 else).
        limits: the most units each limit allowed this winter (``money``, ``production``,
            ``sites``, ``crews``; ``inf`` for no limit).
        first_delivery: date of the first delivery (``None``: nothing arrives).
        binding_nightly: what limits the item each night (object array of str).
        months, binding, binding_detail: each month (``YYYY-MM``), its label and a sentence.
    """

    option: str
    item: str
    unit: str
    dates: tuple
    money_eur: float
    bought: int
    delivered: np.ndarray
    active: np.ndarray
    crews_qualified: np.ndarray
    spend_eur: np.ndarray
    committed_eur: float
    unused_eur: float
    on_order_eur: float
    limits: dict
    first_delivery: dt.date | None
    binding_nightly: np.ndarray
    months: tuple
    binding: tuple
    binding_detail: tuple

    def at(self, date: dt.date | str) -> dict:
        """The item on one night, as plain numbers."""
        d = dt.date.fromisoformat(date) if isinstance(date, str) else date
        k = self.dates.index(d)
        return {"delivered": int(self.delivered[k]), "active": int(self.active[k]),
                "crews_qualified": int(self.crews_qualified[k]),
                "spend_eur": float(self.spend_eur[k]), "binding": str(self.binding_nightly[k])}


@dataclass(frozen=True)
class OptionSchedule:
    """One option: its money and its items (``force``: the programme, for interceptor drones)."""

    option: str
    money_eur: float
    items: dict[str, ItemSchedule]
    force: ForceSchedule | None = None

    @property
    def spend_eur(self) -> np.ndarray:
        """Money spent by each night, cumulative, over the items."""
        return np.sum([i.spend_eur for i in self.items.values()], axis=0)

    @property
    def committed_eur(self) -> float:
        return float(sum(i.committed_eur for i in self.items.values()))

    @property
    def unused_eur(self) -> float:
        return float(sum(i.unused_eur for i in self.items.values()))


@dataclass(frozen=True)
class PortfolioSchedule:
    """Every option of a portfolio, night by night.

    Attributes:
        budget_eur: ``defense.budget_eur``.
        portfolio: the portfolio scheduled.
        dates: the nights.
        options: option name -> :class:`OptionSchedule` (all of :data:`OPTIONS`).
        unallocated_eur: budget given to no option (``amounts_eur`` summing below the budget).
    """

    budget_eur: float
    portfolio: Portfolio
    dates: tuple
    options: dict[str, OptionSchedule] = field(default_factory=dict)
    unallocated_eur: float = 0.0

    @property
    def spend_eur(self) -> np.ndarray:
        """Money spent by each night over all options, cumulative."""
        return np.sum([o.spend_eur for o in self.options.values()], axis=0)

    def item(self, option: str, item: str) -> ItemSchedule:
        return self.options[option].items[item]

    def summary(self) -> dict:
        """Plain numbers for a run's summary: per option its money, spend, what it bought and
        delivered by the last night, and its items' monthly limits."""
        out = {"budget_eur": self.budget_eur, "portfolio": self.portfolio.label(),
               "spent_eur": float(self.spend_eur[-1]) if len(self.dates) else 0.0,
               "unallocated_eur": self.unallocated_eur, "options": {}}
        for name, o in self.options.items():
            out["options"][name] = {
                "money_eur": o.money_eur,
                "spent_eur": float(o.spend_eur[-1]) if len(self.dates) else 0.0,
                "committed_eur": o.committed_eur, "unused_eur": o.unused_eur,
                "items": {k: {"unit": i.unit, "bought": i.bought,
                              "delivered": int(i.delivered[-1]) if len(self.dates) else 0,
                              "active": int(i.active[-1]) if len(self.dates) else 0,
                              "limited_by": dict(zip(i.months, i.binding, strict=True))}
                          for k, i in o.items.items()},
            }
        return out

    def text(self) -> str:
        """A plain-text report: per option and item, what it bought and what limited it."""
        lines = [f"portfolio: {self.portfolio.label()} of EUR {self.budget_eur / 1e6:,.1f}M"]
        if self.unallocated_eur > 0.5:
            lines.append(f"  EUR {self.unallocated_eur / 1e6:,.1f}M given to no option")
        for name, o in self.options.items():
            if o.money_eur <= 0:
                continue
            lines.append(f"{OPTION_NAMES[name]} (EUR {o.money_eur / 1e6:,.1f}M):")
            if o.force is not None:
                lines.append("  " + force_text(o.force))
                continue
            for i in o.items.values():
                if i.money_eur > 0:
                    lines.append("  " + limited_by_text(i))
        return "\n".join(lines)


# --------------------------------------------------------------------------- one item
def _grid(decision: dt.date, dates: list[dt.date]) -> tuple[dt.date, int, np.ndarray, int]:
    g0 = min(decision, dates[0])
    ng = (dates[-1] - g0).days + 1
    ix = np.array([(d - g0).days for d in dates])
    return g0, ng, ix, (decision - g0).days


def _crew_capacity(ng: int, t_dec: int, q: int, per_month: float | None) -> np.ndarray:
    """Training places offered each grid day: from the decision until ``q`` days before the
    last night (a crew must qualify by then)."""
    t = np.arange(ng)
    rate = math.inf if per_month is None else float(per_month) / DAYS_PER_MONTH
    return np.where((t >= t_dec) & (t <= ng - 1 - q), rate, 0.0)


def item_schedule(item, money_eur: float, decision: dt.date, dates, *, option: str = "",
                  name: str = "", unit: str | None = None,
                  unit_cost_eur: float | None = None) -> ItemSchedule:
    """Deliveries of one item for its money (see the module text for the rules).

    Args:
        item: the cost model (:class:`sim.config.portfolio_options.Item`, or a
            :class:`~sim.config.portfolio_options.MissileItem` with ``unit_cost_eur`` given).
        money_eur: the item's money (EUR).
        decision: the funding decision (day 0 of the lead time and of training).
        dates: the nights, strictly increasing.
        option, name, unit: labels (``unit`` defaults to ``item.unit``).
        unit_cost_eur: overrides ``item.unit_cost_eur`` (missile items: the system's cost).

    Returns:
        :class:`ItemSchedule`.
    """
    dates = list(dates)
    if any(b <= a for a, b in zip(dates, dates[1:], strict=False)):
        raise ValueError("dates must be strictly increasing")
    unit = unit if unit is not None else getattr(item, "unit", "unit")
    cost = float(item.unit_cost_eur if unit_cost_eur is None else unit_cost_eur)
    if not cost > 0:
        raise ValueError(f"{option}.{name}: unit cost must be > 0 EUR (got {cost})")
    money = max(float(money_eur), 0.0)
    fixed = float(getattr(item, "fixed_cost_eur", 0.0))
    run_day = float(getattr(item, "running_cost_eur_per_unit_month", 0.0)) / DAYS_PER_MONTH
    cpu = float(getattr(item, "crews_per_unit", 0.0))
    n_nights = len(dates)
    if n_nights == 0:
        z = np.zeros(0, np.int64)
        return ItemSchedule(option, name, unit, (), money, 0, z, z, z, np.zeros(0), 0.0, money,
                            0.0, {}, None, np.zeros(0, object), (), (), ())
    g0, ng, ix, t_dec = _grid(decision, dates)
    last = ng - 1
    t1 = t_dec + int(item.lead_time_days)
    rate = math.inf if item.max_per_month is None else float(item.max_per_month) / DAYS_PER_MONTH

    # deliveries possible by each grid day, without a limit on units
    t = np.arange(ng)
    if math.isinf(rate):
        possible = np.where(t >= t1, math.inf, 0.0)
    else:
        possible = np.where(t >= t1, np.floor(rate * np.maximum(t - t1 + 1, 0) + EPS), 0.0)
    n_prod = float(possible[last]) if t1 <= last else 0.0

    # crews trained by the last night (no limit for items without crews)
    q = int(round(float(getattr(item, "weeks_to_qualify", 0.0)) * 7))
    cap = _crew_capacity(ng, t_dec, q, getattr(item, "crews_per_month", None))
    if cpu > 0:
        offered = float(np.sum(cap)) if not np.isinf(cap).any() else math.inf
        n_crews = math.floor(offered / cpu + EPS) if math.isfinite(offered) else math.inf
        if not (cap > 0).any():
            n_crews = 0
    else:
        n_crews = math.inf
    max_units = getattr(item, "max_units", None)
    n_sites = math.inf if max_units is None else int(max_units)
    n_cap = min(n_prod, n_crews, n_sites)

    # the most units the money buys within the caps: units arrive in daily batches, each unit
    # of day t costing its price and its running cost for the days t..last
    n_afford = math.floor((money - fixed) / cost + EPS) if money > fixed else 0
    n_hi = int(min(n_cap, n_afford))
    n = _units_for(money, fixed, cost, run_day, possible, t1, last, n_hi)
    n_money = _money_limit(n, n_hi, n_cap, n_afford)

    delivered = np.minimum(possible, n).astype(np.int64) if n else np.zeros(ng, np.int64)
    if cpu > 0 and n:
        crews, _, _ = _pipeline(cap, q, 0.0, 0.0, 0.0, float(math.ceil(n * cpu - EPS)))
        crews_i = np.floor(crews + EPS).astype(np.int64)
        active = np.minimum(delivered, np.floor(crews_i / cpu + EPS).astype(np.int64))
    else:
        crews_i = np.zeros(ng, np.int64)
        active = delivered.copy()
    spend = np.zeros(ng)
    if n:
        spend = (fixed * (t >= t_dec) + cost * delivered + run_day * np.cumsum(delivered))
    committed = float(spend[last]) if n else 0.0
    limits = {"money": n_money, "production": n_prod, "sites": n_sites, "crews": n_crews}
    labels = _nightly_labels(n, delivered[ix], active[ix], limits, n_cap, money, fixed, cost,
                             item, t1 > last)
    first = g0 + dt.timedelta(days=t1) if n else None
    info = {"unit": unit, "n": n, "limits": limits, "first": first, "money": money,
            "cost": cost, "rate": item.max_per_month, "lead": item.lead_time_days,
            "crews_per_month": getattr(item, "crews_per_month", None), "weeks": q / 7,
            "max_units": max_units, "delivered": delivered[ix], "active": active[ix],
            "unused": money - committed}
    months, mlab, details = _months(dates, labels, info)
    return ItemSchedule(
        option=option, item=name, unit=unit, dates=tuple(dates), money_eur=money, bought=n,
        delivered=delivered[ix], active=active[ix], crews_qualified=crews_i[ix],
        spend_eur=spend[ix], committed_eur=committed, unused_eur=max(money - committed, 0.0),
        on_order_eur=0.0, limits=limits, first_delivery=first, binding_nightly=labels,
        months=months, binding=mlab, binding_detail=details,
    )


def _units_for(money: float, fixed: float, cost: float, run_day: float, possible: np.ndarray,
               t1: int, last: int, n_hi: int) -> int:
    """The largest ``n <= n_hi`` whose cost until the last night fits in ``money``, where unit
    ``k`` arrives on the first day ``t >= t1`` with ``possible[t] >= k`` (O(days))."""
    if n_hi <= 0 or t1 > last:
        return 0
    arrived = np.minimum(possible[t1:last + 1], n_hi)  # cumulative, finite
    batch = np.diff(arrived, prepend=0.0)
    per_unit = cost + run_day * (last - np.arange(t1, last + 1) + 1.0)
    spent = np.cumsum(batch * per_unit)
    room = money * (1 + 1e-12) + 1e-6 - fixed
    j = int(np.searchsorted(spent, room, side="right"))  # whole batches paid for
    n = float(arrived[j - 1]) if j else 0.0
    if j < len(batch):
        left = room - (spent[j - 1] if j else 0.0)
        n += min(float(batch[j]), math.floor(left / per_unit[j] + EPS))
    return int(min(n, n_hi))


def _money_limit(n: int, n_hi: int, n_cap: float, n_afford: int) -> float:
    """The most units the money alone allows (``n`` when money binds, else above the caps)."""
    if n < n_hi or n_afford < n_cap:
        return float(n)
    return math.inf


def _nightly_labels(n, delivered, active, limits, n_cap, money, fixed, cost, item,
                    too_late) -> np.ndarray:
    k = len(delivered)
    out = np.empty(k, dtype=object)
    if n == 0:
        if money <= 0 or money < fixed + cost and n_cap >= 1:
            reason = "money"
        elif item.max_per_month == 0:
            reason = "production"
        elif getattr(item, "max_units", None) == 0:
            reason = "sites"
        elif too_late or limits["production"] < 1:
            reason = "time"
        elif limits["crews"] < 1:
            reason = "crews" if getattr(item, "crews_per_month", None) == 0 else "time"
        else:
            reason = "money"
        out[:] = reason
        return out
    if limits["money"] <= n:
        final = "money"
    else:
        final = min(("sites", "crews", "production"), key=lambda x: (limits[x],
                    ("sites", "crews", "production").index(x)))
    for j in range(k):
        if active[j] == 0:
            out[j] = "time"
        elif active[j] < delivered[j]:
            out[j] = "crews"
        elif delivered[j] < n:
            out[j] = "production"
        else:
            out[j] = final
    return out


def _plural(n: float, unit: str) -> str:
    """``unit`` for one, else its plural (``MW`` stays)."""
    return unit if n == 1 or unit == "MW" else unit + "s"


def _detail(label: str, k: int, f: dict) -> str:
    unit, n = f["unit"], f["n"]
    if label == "time":
        if n == 0:
            return (f"time: nothing can arrive and serve before the last night (lead time "
                    f"{f['lead']} days, crews {f['weeks']:g} weeks to train)")
        return f"time: first delivery {f['first']} (lead time {f['lead']} days)"
    if label == "money":
        if f["money"] <= 0:
            return "money: no money for this item"
        if n == 0:
            return f"money: EUR {f['money'] / 1e6:,.2f}M buys less than one {unit}"
        return (f"money: {n:,} {_plural(n, unit)} bought for this winter; EUR "
                f"{f['unused'] / 1e6:,.1f}M left over buys less than one more")
    if label == "production":
        if f["rate"] == 0:
            return "production: none for sale (max_per_month 0)"
        return (f"production: {int(f['delivered'][k]):,} of {n:,} {_plural(n, unit)} delivered "
                f"at {f['rate']:g} a month")
    if label == "crews":
        cpm = f["crews_per_month"]
        intake = "any number of crews" if cpm is None else f"{cpm:g} crews a month"
        return (f"crews: {int(f['active'][k]):,} of {int(f['delivered'][k]):,} "
                f"{_plural(int(f['delivered'][k]), unit)} manned; training takes {intake}, "
                f"{f['weeks']:g} weeks")
    if label == "sites":
        return f"sites: all {f['max_units']:,} that can take one"
    return label


def _months(dates, labels, info) -> tuple[tuple, tuple, tuple]:
    months, mlab, masks = month_labels(dates, labels)
    details = tuple(_detail(lab, int(np.nonzero(m)[0][-1]), info)
                    for lab, m in zip(mlab, masks, strict=True))
    return months, mlab, details


# --------------------------------------------------------------------------- the programme
def programme_item(defense, money_eur: float, dates) -> tuple[ItemSchedule, ForceSchedule]:
    """The interceptor-drone programme with ``money_eur`` as its budget, as an item (airframes
    delivered) and as the force (:func:`sim.model.forces.force_schedule`)."""
    dates = list(dates)
    d = defense.model_copy(update={"budget_eur": float(money_eur), "portfolio": None})
    f = force_schedule(d, dates).programme
    money = max(float(money_eur), 0.0)
    item = ItemSchedule(
        option="interceptor_drones", item="programme", unit="airframe", dates=tuple(dates),
        money_eur=money, bought=int(f.bought.get("airframes", 0)),
        delivered=np.asarray(f.delivered, np.int64), active=np.asarray(f.delivered, np.int64),
        crews_qualified=np.asarray(f.crews_qualified, np.int64), spend_eur=f.spend_eur,
        committed_eur=f.committed_eur, unused_eur=f.unused_eur, on_order_eur=f.on_order_eur,
        limits={}, first_delivery=f.first_delivery, binding_nightly=f.binding_nightly,
        months=f.months, binding=f.binding, binding_detail=f.binding_detail,
    )
    return item, f


# --------------------------------------------------------------------------- public API
def portfolio_schedule(defense, dates, portfolio: Portfolio | None = None,
                       budget_eur: float | None = None) -> PortfolioSchedule:
    """Every option's deliveries night by night for a portfolio and a budget.

    Args:
        defense: the scenario's ``defense`` section (its programme, missile-defence systems and
            decision date are used).
        dates: the nights (usually ``period.dates``).
        portfolio: default ``defense.portfolio``; none there either: the whole budget on the
            programme (``interceptor_drones``), today's rule.
        budget_eur: default ``defense.budget_eur``.

    Returns:
        :class:`PortfolioSchedule` with all of :data:`~sim.config.portfolio.OPTIONS`.
    """
    dates = list(dates)
    p = portfolio if portfolio is not None else defense.portfolio
    if p is None:
        p = Portfolio.single("interceptor_drones")
    budget = float(defense.budget_eur if budget_eur is None else budget_eur)
    money = p.money_eur(budget)
    decision = defense.programme.decision_date
    options = {}
    for name in OPTIONS:
        m = money[name]
        if name == "interceptor_drones":
            it, force = programme_item(defense, m, dates)
            options[name] = OptionSchedule(name, m, {"programme": it}, force)
            continue
        items = {}
        for iname, item in p.options.items(name).items():
            kw = {}
            if name == "missile_interceptors":
                system = defense.missile_defense.systems.get(iname)
                if system is None:
                    raise ValueError(f"missile_interceptors: {iname!r} is not a system of "
                                     "defense.missile_defense.systems")
                kw = {"unit": "missile", "unit_cost_eur": system.interceptor_cost_eur}
            items[iname] = item_schedule(item, m * item.share, decision, dates, option=name,
                                         name=iname, **kw)
        options[name] = OptionSchedule(name, m, items)
    return PortfolioSchedule(budget_eur=budget, portfolio=p, dates=tuple(dates), options=options,
                             unallocated_eur=max(budget - sum(money.values()), 0.0))


def limited_by_text(item: ItemSchedule) -> str:
    """One line for a report, e.g. ``second_level: 6 protected sites bought, 6 serving on the
    last night; limited by time (Nov 2025 - Jan 2026), production (Feb 2026 - Mar 2026); EUR
    184.4M unused``."""
    runs: list[tuple[str, str, str]] = []
    for m, lab in zip(item.months, item.binding, strict=True):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], m)
        else:
            runs.append((lab, m, m))
    parts = [f"{lab} ({month_name(a)}" + (f" - {month_name(b)})" if a != b else ")")
             for lab, a, b in runs]
    last = int(item.active[-1]) if len(item.dates) else 0
    text = (f"{item.item}: {item.bought:,} {_plural(item.bought, item.unit)} bought, {last:,} "
            "serving on the last night; limited by "
            + (", ".join(parts) if parts else "nothing (no nights)"))
    text += f"; EUR {item.unused_eur / 1e6:,.1f}M unused"
    if item.on_order_eur > 0.5:
        text += f", EUR {item.on_order_eur / 1e6:,.1f}M on order after the last night"
    return text


def nights_frame(schedule: PortfolioSchedule):
    """One row per night, option and item: ``date, option, item, unit, delivered, active,
    crews_qualified, spend_eur, binding`` (a pandas DataFrame)."""
    import pandas as pd

    frames = []
    for o in schedule.options.values():
        for i in o.items.values():
            frames.append(pd.DataFrame({
                "date": list(i.dates), "option": o.option, "item": i.item, "unit": i.unit,
                "delivered": i.delivered, "active": i.active,
                "crews_qualified": i.crews_qualified, "spend_eur": i.spend_eur,
                "binding": i.binding_nightly.astype(str)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
