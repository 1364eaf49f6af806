"""Two interceptor-drone forces night by night: Ukraine's own (the baseline) and the funded
programme (an increment on it), and what limits each of them.

:func:`force_schedule` is the one function from the scenario's ``defense`` section to both
forces' airframes, crews, ground stations, radars and launch sites, night by night, with the
programme's spending and, month by month, the constraint that binds each force. It is pure
(no randomness) and is called once per scenario (:func:`sim.model.theatre.schedules_for`).

Modules: :mod:`~sim.model.forces.schedule` (a force night by night, the training pipeline and
the binding constraints both forces share), :mod:`~sim.model.forces.national` (Ukraine's own
force), :mod:`~sim.model.forces.programme` (what the budget buys and when),
:mod:`~sim.model.forces.ledger` (the stock through a run), :mod:`~sim.model.forces.limits`
(the one account of what limits each force, which every report prints) and
:mod:`~sim.model.forces.report` (the ``forces`` command's report).

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
  on nights when drones leaked through. These labels answer "what caps what it can fly"; the
  run adds "what limits what it stops" (:mod:`sim.model.forces.limits`, which defines
  geometry where it prints it).
"""

from __future__ import annotations

import datetime as dt

from sim.config.portfolio import programme_defense
from sim.model.forces.ledger import ForceLedger
from sim.model.forces.national import national_schedule
from sim.model.forces.programme import first_delivery_date, production_rate, programme_schedule
from sim.model.forces.schedule import (
    DAYS_PER_MONTH,
    LABELS,
    ForceSchedule,
    ForceSchedules,
    binding_after_run,
)

__all__ = ["DAYS_PER_MONTH", "LABELS", "ForceLedger", "ForceSchedule", "ForceSchedules",
           "binding_after_run", "first_delivery_date", "force_schedule", "production_rate"]


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
    # with defense.portfolio the programme gets the portfolio's money on interceptor drones
    defense = programme_defense(defense)
    return ForceSchedules(national=national_schedule(defense, dates),
                          programme=programme_schedule(defense, dates))
