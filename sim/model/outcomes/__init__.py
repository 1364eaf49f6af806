"""The outcome registry: every number the model reports, defined once.

Each :class:`Outcome` says what a number is (label, unit, bounds, whether more is better), where
it comes from (a nightly column the model records, a run constant, or a formula over other
outcomes) and how it aggregates over the nights of a winter or a month. Everything that reads
outcomes reads this registry: the model's DataCollector (which nightly columns exist), runs and
their summaries, the monthly breakdown, the command line's tables, comparisons, sweeps,
figures and the dashboard. A new outcome is one entry in its group's module (below); a nightly
one says how it is read from the night (``read``, a function of :class:`sim.model.night.Night`),
and the DataCollector's reporters are those readers (:func:`night_reporters`).

Aggregation over nights (``over_nights``): ``sum``, ``mean``, ``min``, ``max`` or ``last`` of a
nightly column (``source``, default the outcome's own name); ``derive`` computes an outcome from
other aggregated outcomes (a share of two sums, say), for a winter and for a month alike;
``constant`` outcomes are fixed for a run (the budget, what it ordered). Over replicates,
every outcome is summarised by its mean with a confidence interval (``sim.experiments.stats``),
kept inside the outcome's bounds.

What an outcome is and how outcomes aggregate is :mod:`sim.model.registry`.

The outcomes are defined group by group, each module adding its group to the registry, in this
order (the order of the nightly table's columns and of every table): the drones
(:mod:`sim.model.outcomes.drones`), the interceptors, the other layers and coverage
(:mod:`sim.model.outcomes.interceptors`), the shares and the money
(:mod:`sim.model.outcomes.shares_and_money`), energy (:mod:`sim.model.outcomes.energy`), missiles
(:mod:`sim.model.outcomes.missiles`) and the net effects (:mod:`sim.model.outcomes.net`); the
shapes of derived outcomes are :mod:`sim.model.outcomes.derived`. This module assembles them and
says which nightly columns a model records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sim.model.outcomes.drones import register_drones
from sim.model.outcomes.energy import GROUP as _E
from sim.model.outcomes.energy import register_energy
from sim.model.outcomes.interceptors import register_interceptors
from sim.model.outcomes.missiles import GROUP as _M
from sim.model.outcomes.missiles import register_missiles
from sim.model.outcomes.net import NET_IDENTITY, register_net
from sim.model.outcomes.shares_and_money import register_shares_and_money
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


OUTCOMES = Registry()
register_drones(OUTCOMES)
register_interceptors(OUTCOMES)
register_shares_and_money(OUTCOMES)
register_energy(OUTCOMES)

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

register_missiles(OUTCOMES)
register_net(OUTCOMES)

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
