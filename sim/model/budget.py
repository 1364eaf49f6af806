"""Budget to capability: what a funding level buys, and when it arrives.

:func:`capability_schedule` is the one documented function from budget, costs, split and
delivery schedule to the programme's fleet, crews, radars and launch sites, night by night.

Rules (all amounts in EUR):

* The budget is split into four envelopes: interceptors, crews, sensors (radars) and launch
  sites (``defense.split``; an unallocated remainder is reported as unspent).
* Interceptors: the envelope buys ``floor(envelope / unit_cost)`` drones. Nothing arrives before
  ``delivery.first_delivery_date``; from then on, deliveries arrive in monthly batches at most
  ``interceptors_per_month`` each, on the same day of each following month, until the order is
  complete. Money is spent on delivery.
* Crews: a crew costs its training once plus a monthly running cost for every month (or part
  month, pro rata per night) it serves until the end of the period. The envelope pays for the
  largest number of crews whose total cost over the period fits; they qualify at most
  ``crews_per_month`` a month from the first delivery date.
* Radars and launch sites: ``floor(envelope / unit cost)``, delivered at most ``*_per_month``
  a month from the first delivery date.
* A launch site needs crews: the number of active programme sites on a night is
  ``min(sites delivered, crews ready // crews_per_site)`` (at least one site when any crew is
  ready and any site delivered); crews beyond that wait.
* Spend to date never exceeds the budget: each envelope is bounded by construction.

A budget of EUR 0 gives no programme interceptors, crews, radars or sites; the layers that
exist without the programme (see :mod:`sim.layers`) are not part of the budget.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Capability:
    """Programme capability per night (arrays of length ``nights``).

    Attributes:
        interceptors_delivered: cumulative interceptors delivered by each night.
        crews: crews ready on each night.
        radars: radars delivered by each night.
        sites: launch sites active (delivered and crewed) on each night.
        spend_eur: cumulative programme spend up to and including each night.
        interceptors_ordered: interceptors the envelope buys in total.
        crews_funded: crews the crew envelope pays for over the period.
    """

    interceptors_delivered: np.ndarray
    crews: np.ndarray
    radars: np.ndarray
    sites: np.ndarray
    spend_eur: np.ndarray
    interceptors_ordered: int
    crews_funded: int
    radars_ordered: int
    sites_ordered: int
    budget_eur: float


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


def capability_schedule(defense, dates: list[dt.date]) -> Capability:
    """Translate a funding level into capability night by night.

    Args:
        defense: the scenario's ``defense`` section (:class:`sim.scenario.Defense`).
        dates: the dates of the simulated nights, in order.

    Returns:
        A :class:`Capability` with one entry per night.
    """
    n = len(dates)
    budget = float(defense.budget_eur)
    split, costs, delivery = defense.split, defense.costs, defense.delivery
    batches = _months_since(delivery.first_delivery_date, dates)

    # Interceptors: bought with their envelope, delivered in monthly batches.
    ordered = int(math.floor(budget * split.interceptors / costs.interceptor_unit_cost_eur + 1e-9))
    delivered = np.minimum(ordered, np.floor(batches * delivery.interceptors_per_month)).astype(
        np.int64
    )

    # Crews: training once plus running cost until the end of the period.
    crew_env = budget * split.crews
    months_in_service = (
        (dates[-1] - delivery.first_delivery_date).days + 1
    ) / 30.4375 if n and dates[-1] >= delivery.first_delivery_date else 0.0
    per_crew = costs.crew_training_cost_eur + costs.crew_cost_eur_per_month * months_in_service
    crews_funded = int(math.floor(crew_env / per_crew + 1e-9)) if per_crew > 0 and n else 0
    if months_in_service == 0:
        crews_funded = 0
    crews = np.minimum(crews_funded, np.floor(batches * delivery.crews_per_month)).astype(np.int64)

    radars_ordered = int(math.floor(budget * split.sensors / costs.radar_unit_cost_eur + 1e-9))
    radars = np.minimum(radars_ordered, np.floor(batches * delivery.radars_per_month)).astype(
        np.int64
    )
    sites_ordered = int(math.floor(budget * split.launch_sites / costs.launch_site_cost_eur + 1e-9))
    sites_delivered = np.minimum(
        sites_ordered, np.floor(batches * delivery.launch_sites_per_month)
    ).astype(np.int64)
    per_site = defense.crews.crews_per_site
    crewed = np.where(crews > 0, np.maximum(crews // per_site, 1), 0)
    sites = np.minimum(sites_delivered, crewed)
    if ordered == 0:
        sites = np.zeros_like(sites)

    # Spend to date: delivered hardware, crews trained, and crew-nights served so far.
    crew_nights = np.cumsum(crews) if n else np.zeros(0)
    spend = (
        delivered * costs.interceptor_unit_cost_eur
        + crews * costs.crew_training_cost_eur
        + crew_nights * costs.crew_cost_eur_per_month / 30.4375
        + radars * costs.radar_unit_cost_eur
        + sites_delivered * costs.launch_site_cost_eur
    ).astype(float)
    return Capability(
        interceptors_delivered=delivered,
        crews=crews,
        radars=radars,
        sites=sites,
        spend_eur=spend,
        interceptors_ordered=ordered,
        crews_funded=crews_funded,
        radars_ordered=radars_ordered,
        sites_ordered=sites_ordered,
        budget_eur=budget,
    )
