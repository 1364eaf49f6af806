"""The net effects: what the programme changes, against the same winters without it.

Each net outcome compares a run with the programme and its counterfactual (the same scenario,
seed and replicate with no programme, so the same launches): drones stopped, displacement (what
the other layers no longer stop), hits and energy not served avoided, the gain in demand served,
and the net cost per drone stopped and per hit avoided. The gross outcomes they are made of
(drones stopped, by the other layers, the unused stock) come first. Added to the registry last
(:func:`register_net`); how a net value is made is :meth:`sim.model.registry.Registry.net_values`.
"""

from __future__ import annotations

from sim.model.outcomes.derived import derived as _derived
from sim.model.registry import MAXIMIZE, MINIMIZE, Outcome, Registry

__all__ = ["NET_IDENTITY", "register_net"]

# What the programme changes: each net outcome compares a run with the programme (B) and its
# counterfactual (A: the same scenario, seed and replicate with defense.budget_eur = 0, so the
# same launches; sim.experiments.runs.run). The gross outcomes they are made of come first.
_NET = "net"
_P = "programme"
_NET_EFFECTS = (
    _derived("stopped", "Drones stopped (destroyed or lost to EW)", "drones",
             ("destroyed", "lost_ew"), lambda v: v["destroyed"] + v["lost_ew"],
             direction=MAXIMIZE,
             description="destroyed + lost_ew: every drone that did not reach its target area."),
    _derived("stopped_by_other_layers", "Drones stopped by all but the programme", "drones",
             ("stopped", "destroyed_programme"),
             lambda v: v["stopped"] - v["destroyed_programme"],
             description="stopped - destroyed_programme: by Ukraine's own interceptor units, "
             "mobile fire groups, surface-to-air missiles and electronic warfare."),
    _derived("unused_stock_eur", "Programme airframes unused in stock at the end, at cost", "EUR",
             ("programme_stock_end", "interceptor_unit_cost_eur"),
             lambda v: v["programme_stock_end"] * v["interceptor_unit_cost_eur"], kind="money",
             group=_P, headline=135,
             description="programme_stock_end x interceptor_unit_cost_eur: the part of "
             "programme_cost_eur that bought airframes no night needed."),
    Outcome("net_drones_stopped", "Net drones stopped", "drones", lower=None, nightly=False,
            over_nights="net", net="gain", needs=("stopped",), group=_NET, direction=MAXIMIZE,
            description="stopped with the programme - stopped without it, on the same winters: "
            "= interceptor_kills - displacement."),
    Outcome("displacement", "Displacement: drones the other layers no longer stop", "drones",
            lower=None, nightly=False, over_nights="net", net="avoided",
            needs=("stopped_by_other_layers",), group=_NET, direction=MINIMIZE,
            description="stopped_by_other_layers without the programme - with it: drones that "
            "Ukraine's own units, fire groups, missiles or EW would have stopped and that the "
            "programme's interceptors took instead (or that now leak)."),
    Outcome("net_hits_avoided", "Net drone hits on energy sites avoided", "hits", lower=None,
            nightly=False, over_nights="net", net="avoided", needs=("hits_on_sites",),
            group=_NET, direction=MAXIMIZE,
            description="hits_on_sites without the programme - with it."),
    Outcome("net_aimed_at_energy_stopped", "Net drones aimed at energy sites stopped", "drones",
            lower=None, nightly=False, over_nights="net", net="gain",
            needs=("aimed_at_energy_stopped",), group=_NET, direction=MAXIMIZE,
            description="aimed_at_energy_stopped with the programme - without it."),
    Outcome("net_energy_not_served_avoided_mwh", "Net energy not served avoided", "MWh",
            kind="energy", lower=None, nightly=False, over_nights="net", net="avoided",
            needs=("energy_not_served_mwh",), group=_NET, direction=MAXIMIZE,
            description="energy_not_served_mwh without the programme - with it (when the "
            "energy model runs)."),
    Outcome("net_demand_served_gain", "Net gain in winter demand served", "share",
            kind="points", lower=None, upper=None, nightly=False, over_nights="net", net="gain",
            needs=("demand_served_fraction",), group=_NET, direction=MAXIMIZE,
            description="demand_served_fraction with the programme - without it (shown in "
            "percentage points)."),
    Outcome("net_cost_per_drone_stopped_eur", "Net cost per drone stopped", "EUR", kind="money",
            nightly=False, over_nights="net", net="ratio",
            needs=("programme_cost_eur", "net_drones_stopped"), group=_NET, direction=MINIMIZE,
            description="programme_cost_eur (the whole spend, airframes left unused in stock "
            "included) / net_drones_stopped; undefined when the net is not above 0. Over "
            "replicates: the ratio of the means, with a paired bootstrap interval."),
    Outcome("net_cost_per_hit_avoided_eur", "Net cost per drone hit avoided", "EUR",
            kind="money", nightly=False, over_nights="net", net="ratio",
            needs=("programme_cost_eur", "net_hits_avoided"), group=_NET, direction=MINIMIZE,
            description="programme_cost_eur / net_hits_avoided; undefined when the net is not "
            "above 0."),
)


def register_net(reg: Registry) -> None:
    """Add the net outcomes (and the gross ones they are made of) to ``reg``, in their order."""
    reg.add(*_NET_EFFECTS)


NET_IDENTITY = ("net_drones_stopped", "interceptor_kills", "displacement")
"""``net_drones_stopped = interceptor_kills - displacement`` holds exactly in every replicate
(the counterfactual has no programme kills)."""
