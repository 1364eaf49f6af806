"""What an outcome is, and how outcomes are formatted and aggregated: the machinery of the
outcome registry (the outcomes themselves are defined in :mod:`sim.model.outcomes`).

An :class:`Outcome` says what a number is (label, unit, bounds, whether more is better), where
it comes from (a nightly column read from the night, a run constant, or a formula over other
outcomes) and how it aggregates over the nights of a winter or a month; a :class:`Registry`
holds them in order and aggregates nightly columns into outcome values. This is the EMA
Workbench's ``ScalarOutcome`` with the model's own aggregation rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAXIMIZE, MINIMIZE, INFO = "maximize", "minimize", "info"

NET_RULES = ("gain", "avoided", "ratio")
"""How a net outcome is made from a run with the programme (B) and its counterfactual (A: the
same scenario, seed and replicate with no programme): ``gain`` is ``B - A`` of its one input,
``avoided`` is ``A - B`` (what the programme prevented), ``ratio`` is its first input in B over
the second, a net outcome, when that is above 0."""


def ratio(a: float, b: float) -> float:
    """``a / b``, ``nan`` when ``b`` is 0."""
    return float(a) / float(b) if b else math.nan


@dataclass(frozen=True)
class Outcome:
    """One reported number.

    Attributes:
        name: key in ``summary.json``, ``runs.parquet`` and (nightly ones) ``nights.parquet``.
        label: what a reader sees in tables and on axes (no unit).
        unit: unit of the stored value: ``share`` (0-1), ``drones``, ``hits``, ``EUR``, ``MWh``...
        kind: how it is shown: ``share``, ``count``, ``money``, ``energy``, ``power``, ``ratio``,
            ``level``, ``points`` (a difference of two shares, in percentage points).
        lower, upper: bounds of the value (``None``: unbounded); intervals are kept inside.
        nightly: the model records it every night (a column of ``nights.parquet``).
        over_nights: ``sum``, ``mean``, ``min``, ``max``, ``last`` (of ``source``), ``derive``
            (``derive(values)`` from other outcomes), ``constant`` (read from the model),
            ``none`` (a nightly label, not aggregated) or ``net`` (made from a run and its
            counterfactual by the rule ``net``, :meth:`Registry.net_values`).
        source: the nightly column aggregated (default ``name``).
        derive: for ``derive``: a function of the aggregated values of ``needs``.
        needs: outcomes ``derive`` reads (for ``net``: the outcomes of :data:`NET_RULES`).
        net: for ``net`` outcomes: ``gain``, ``avoided`` or ``ratio`` (:data:`NET_RULES`).
        direction: ``maximize``, ``minimize`` or ``info`` (which way is better for the defence).
        group: section of the docs and tables it belongs to.
        winter: reported for a winter (``summary.json``, ``runs.parquet``); nightly columns that
            only feed other outcomes set it to False.
        monthly: part of the monthly breakdown (``summary.json`` ``by_month``).
        headline: position in the run summary table (``None``: not shown there).
        description: the definition.
        read: for nightly outcomes: how tonight's value is read from a finished
            :class:`sim.model.night.Night` (the DataCollector's reporter).
    """

    name: str
    label: str
    unit: str
    kind: str = "count"
    lower: float | None = 0.0
    upper: float | None = None
    nightly: bool = True
    over_nights: str = "sum"
    source: str | None = None
    derive: Callable[[Mapping[str, float]], float] | None = None
    needs: tuple[str, ...] = ()
    direction: str = INFO
    group: str = "drones"
    winter: bool = True
    monthly: bool = False
    headline: int | None = None
    description: str = ""
    read: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)
    net: str | None = None

    @property
    def column(self) -> str:
        """The nightly column this outcome aggregates."""
        return self.source or self.name

    @property
    def is_share(self) -> bool:
        return self.kind == "share"

    def format(self, v) -> str:
        """The value as a reader sees it, with its unit: ``98.6%``, ``EUR 177.1M``,
        ``1.23 GWh``, ``21,733 drones``."""
        return format_value(v, self.kind, self.unit)


def format_value(v, kind: str = "count", unit: str = "") -> str:
    """Format a value by the kind and unit of its outcome (see :meth:`Outcome.format`); a value
    that rounds to zero is shown without a minus sign."""
    text = _format_value(v, kind, unit)
    if "-" in text and not any(c in "123456789" for c in text):
        return text.replace("-", "", 1)
    return text


def _format_value(v, kind: str, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    v = float(v)
    if kind == "share":
        return f"{100 * v:.1f}%" if 0.001 <= abs(v) or v == 0 else f"{100 * v:.2g}%"
    if kind == "money":
        a = abs(v)
        if a >= 1e9:
            return f"EUR {v / 1e9:,.2f}bn"
        if a >= 1e6:
            return f"EUR {v / 1e6:,.1f}M"
        if a >= 1e3:
            return f"EUR {v / 1e3:,.1f}k"
        return f"EUR {v:,.0f}"
    if kind == "energy" and unit == "MWh":
        return f"{v / 1e3:,.1f} GWh" if abs(v) >= 1e4 else f"{v:,.0f} MWh"
    if kind == "power" and unit == "MW":
        return f"{v / 1e3:,.2f} GW" if abs(v) >= 1e4 else f"{v:,.0f} MW"
    if kind == "ratio":
        return f"{v:,.2f}"
    if kind == "points":  # a difference of two shares
        return f"{100 * v:,.2f} points"
    text = f"{v:,.0f}" if abs(v) >= 100 or v == int(v) else f"{v:,.1f}"
    return f"{text} {unit}" if unit and unit not in ("share", "ratio") else text


@dataclass
class Registry:
    """An ordered set of outcomes with the aggregation rules."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def add(self, *items: Outcome) -> None:
        for o in items:
            if o.name in self.outcomes:
                raise ValueError(f"outcome {o.name!r} defined twice")
            if o.over_nights == "derive" and (o.derive is None or not o.needs):
                raise ValueError(f"outcome {o.name!r}: derive needs a function and its inputs")
            if (o.over_nights == "net") != (o.net is not None) or (
                    o.net is not None and (o.net not in NET_RULES
                                           or len(o.needs) != (2 if o.net == "ratio" else 1))):
                raise ValueError(f"outcome {o.name!r}: a net outcome has over_nights='net', a "
                                 f"rule of {NET_RULES} and its inputs (two for a ratio)")
            self.outcomes[o.name] = o

    def __getitem__(self, name: str) -> Outcome:
        return self.outcomes[name]

    def __contains__(self, name: str) -> bool:
        return name in self.outcomes

    def __iter__(self):
        return iter(self.outcomes.values())

    def get(self, name: str) -> Outcome | None:
        return self.outcomes.get(name)

    def nightly_columns(self, groups: Iterable[str] | None = None) -> list[str]:
        """The nightly columns the model records (in registry order)."""
        keep = None if groups is None else set(groups)
        out: list[str] = []
        for o in self:
            if o.nightly and (keep is None or o.group in keep) and o.name not in out:
                out.append(o.name)
        return out

    def headline(self) -> list[Outcome]:
        """Outcomes of the run summary table, in order."""
        return sorted((o for o in self if o.headline is not None), key=lambda o: o.headline)

    def aggregate(self, columns: Mapping[str, object], constants: Mapping[str, float] | None = None,
                  *, monthly_only: bool = False, everything: bool = False) -> dict[str, float]:
        """Aggregate nightly columns (arrays or Series over the nights) into outcome values.

        Args:
            columns: nightly column name -> values over the nights aggregated.
            constants: values of ``constant`` outcomes (missing ones are left out).
            monthly_only: only the outcomes of the monthly breakdown.
            everything: also the nightly columns that are not reported for a winter.

        Returns:
            name -> value for every reported outcome whose inputs are present, in registry order.
        """
        import numpy as np

        values: dict[str, float] = {}
        derived: list[Outcome] = []
        wanted = self._monthly_closure() if monthly_only else None
        for o in self:
            if wanted is not None and o.name not in wanted:
                continue
            if o.over_nights == "derive":
                derived.append(o)
                continue
            if o.over_nights == "constant":
                if constants and o.name in constants:
                    values[o.name] = float(constants[o.name])
                continue
            if o.over_nights in ("none", "net"):  # a label; or made from two runs
                continue
            col = columns.get(o.column)
            if col is None:
                continue
            a = np.asarray(col, dtype=float)
            if a.size == 0:
                values[o.name] = 0.0 if o.over_nights == "sum" else math.nan
                continue
            values[o.name] = float(_AGG[o.over_nights](a))
        for o in derived:  # in registry order: a derived outcome may use an earlier one
            if all(n in values for n in o.needs):
                values[o.name] = float(o.derive(values))
        if monthly_only:
            keep = [o for o in self if o.monthly]
        else:
            keep = [o for o in self if everything or o.winter]
        return {o.name: values[o.name] for o in keep if o.name in values}

    def net_outcomes(self) -> list[Outcome]:
        """The net outcomes, in registry order (a ratio after the outcome it divides by)."""
        return [o for o in self if o.over_nights == "net"]

    def net_values(self, with_programme: Mapping[str, float],
                   counterfactual: Mapping[str, float]) -> dict[str, float]:
        """One replicate's net outcomes from its winter outcomes with the programme (B) and
        those of its counterfactual (A, :data:`NET_RULES`); an outcome whose inputs are
        missing (energy outcomes with the energy model off) is left out."""
        out: dict[str, float] = {}
        for o in self.net_outcomes():
            if o.net == "ratio":
                num, den = o.needs
                if num in with_programme and den in out:
                    d = out[den]
                    out[o.name] = float(with_programme[num]) / d if d > 0 else math.nan
                continue
            (x,) = o.needs
            if x not in with_programme or x not in counterfactual:
                continue
            b, a = float(with_programme[x]), float(counterfactual[x])
            out[o.name] = b - a if o.net == "gain" else a - b
        return out

    def _monthly_closure(self) -> set[str]:
        names: set[str] = set()
        stack = [o.name for o in self if o.monthly]
        while stack:
            n = stack.pop()
            if n in names or n not in self:
                continue
            names.add(n)
            stack.extend(self[n].needs)
        return names


def _last(a):
    return a[-1]


_AGG = {"sum": lambda a: a.sum(), "mean": lambda a: a.mean(), "min": lambda a: a.min(),
        "max": lambda a: a.max(), "last": _last}
