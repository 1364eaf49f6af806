"""The interceptor outcomes: the programme's force, Ukraine's own, the other layers, coverage.

For the programme (group ``programme``) and Ukraine's own interceptor units (``national``):
interceptors launched, kills, expended and recovered, and each night's stock, launch sites,
crews, radars, spend and deliveries, and what limits the force tonight; for the other layers
(``layers``): mobile fire group engagements and surface-to-air missiles fired, and their
ammunition cost; the geometric coverage of the energy sites by interceptor envelopes
(``coverage``). Each is a nightly column read from the finished :class:`sim.model.night.Night`
(a force's attributes through its ``night.forces`` entry); added to the registry after the
drones (:func:`register_interceptors`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.model.registry import MAXIMIZE, Outcome, Registry

__all__ = ["register_interceptors"]


def _force(name: str, attr: str) -> Callable[[Any], Any]:
    """Reader of one attribute of a force on duty tonight (``night.forces[name]``)."""
    return lambda n: getattr(n.forces[name], attr)


_P = "programme"
_INTERCEPTORS = (
    Outcome("interceptors_launched", "Programme interceptors launched", "interceptors",
            group=_P, monthly=True, headline=110,
            description="Programme interceptor sorties flown (a recovered interceptor flown "
            "again counts again).",
            read=lambda n: n.interceptors("programme", "launched")),
    Outcome("interceptor_kills", "Programme interceptor kills (gross)", "drones", group=_P,
            direction=MAXIMIZE, monthly=True, headline=120,
            description="Drones destroyed by programme interceptors (= destroyed_programme). "
            "Gross: some of them the other layers would have stopped without the programme "
            "(displacement); net_drones_stopped is the programme's effect.",
            read=lambda n: n.interceptors("programme", "kills")),
    Outcome("interceptors_expended", "Programme interceptors expended", "interceptors",
            group=_P, description="Expended: a kill, or lost after a miss.",
            read=lambda n: n.interceptors("programme", "expended")),
    Outcome("interceptors_recovered", "Programme interceptors recovered", "interceptors",
            group=_P,
            read=lambda n: n.interceptors("programme", "recovered")),
    Outcome("existing_interceptors_launched", "Interceptors launched by Ukraine's own units",
            "interceptors", group="national",
            read=lambda n: n.interceptors("national", "launched")),
    Outcome("existing_interceptor_kills", "Kills by Ukraine's own interceptor units", "drones",
            group="national", direction=MAXIMIZE,
            read=lambda n: n.interceptors("national", "kills")),
    Outcome("existing_interceptors_recovered", "Interceptors recovered by Ukraine's own units",
            "interceptors", group="national",
            read=lambda n: n.interceptors("national", "recovered")),
    Outcome("fire_group_engagements", "Mobile fire group engagements", "engagements",
            group="layers",
            read=lambda n: int(n.engagement.fire_group_engaged.sum())),
    Outcome("missiles_fired", "Surface-to-air missiles fired at drones", "missiles",
            group="layers",
            read=lambda n: int(n.engagement.missile_engaged.sum())),
    Outcome("programme_stock", "Programme interceptors in stock", "interceptors", group=_P,
            over_nights="last",
            description="Delivered and not yet expended (at the end of the night).",
            read=_force("programme", "stock")),
    Outcome("programme_sites", "Programme launch sites active", "sites", group=_P,
            over_nights="max",
            read=_force("programme", "sites")),
    Outcome("programme_crews", "Programme crews ready", "crews", group=_P, over_nights="max",
            read=_force("programme", "crews_active")),
    Outcome("programme_radars", "Programme radars", "radars", group=_P, over_nights="max",
            read=lambda n: n.radars.get("programme", 0)),
    Outcome("programme_spend_eur", "Programme spend to date", "EUR", kind="money", group=_P,
            over_nights="last",
            read=_force("programme", "spend_eur")),
    Outcome("programme_delivered", "Programme interceptors delivered to date", "interceptors",
            group=_P, over_nights="last",
            read=_force("programme", "delivered")),
    Outcome("programme_available", "Programme interceptors it could fly tonight", "interceptors",
            group=_P, winter=False,
            description="Stock at the start of the night, at most the crews' sortie capacity.",
            read=_force("programme", "available")),
    Outcome("programme_limit", "What limits the programme tonight", "label", kind="label",
            group=_P, over_nights="none", winter=False, lower=None,
            description="What caps what it can fly tonight: time, money, airframes, crews, "
            "stations or sites (sim.model.forces); what limits what it stops (geometry) is "
            "decided after the run (sim.model.forces.limits).",
            read=_force("programme", "limit")),
    Outcome("national_stock", "National interceptors in stock", "interceptors", group="national",
            over_nights="last",
            read=_force("national", "stock")),
    Outcome("national_available", "National interceptors it could fly tonight", "interceptors",
            group="national", winter=False,
            read=_force("national", "available")),
    Outcome("national_sites", "National launch sites active", "sites", group="national",
            over_nights="max",
            read=_force("national", "sites")),
    Outcome("national_crews", "National crews active", "crews", group="national",
            over_nights="max",
            read=_force("national", "crews_active")),
    Outcome("national_delivered", "National interceptors delivered to date", "interceptors",
            group="national", over_nights="last",
            read=_force("national", "delivered")),
    Outcome("national_limit", "What limits Ukraine's own force tonight", "label", kind="label",
            group="national", over_nights="none", winter=False, lower=None,
            read=_force("national", "limit")),
    Outcome("attacker_value_killed_programme_eur", "Attacker's cost of drones the programme "
            "destroyed (gross)", "EUR", kind="money", group=_P, direction=MAXIMIZE,
            description="The attacker's unit cost summed over drones programme interceptors "
            "destroyed.",
            read=lambda n: n.value_killed_by_programme_eur),
    Outcome("defense_layer_cost_eur", "Ammunition cost of fire groups and missiles", "EUR",
            kind="money", group="layers",
            read=lambda n: n.engagement.layer_cost_eur),
    Outcome("coverage_sites_fraction", "Energy sites inside an interceptor envelope", "share",
            kind="share", upper=1.0, group="coverage", over_nights="mean",
            read=lambda n: n.coverage[0]),
    Outcome("coverage_capacity_fraction", "Energy capacity inside an interceptor envelope",
            "share", kind="share", upper=1.0, group="coverage", over_nights="mean",
            read=lambda n: n.coverage[1]),
)


def register_interceptors(reg: Registry) -> None:
    """Add the interceptor, layer and coverage outcomes to ``reg``, in their order."""
    reg.add(*_INTERCEPTORS)
