"""The shares and the money: rates of the drone outcomes and what the programme costs.

Shares of the launches that were neutralised, destroyed or leaked, the share of the drones aimed
at energy that were stopped, the geometric coverage of the energy sites and of their capacity;
the programme's spend, budget and what is left of it, interceptors ordered and delivered, and
its gross cost-effectiveness (the cost-exchange ratio, cost per kill, interceptors per kill).
Mostly derived from the drone and interceptor outcomes (:mod:`sim.model.outcomes.derived`),
for a winter and for a month alike; the run constants (the budget, what it ordered) are read
from the model. Added to the registry after the interceptors
(:func:`register_shares_and_money`).
"""

from __future__ import annotations

from sim.model.outcomes.derived import derived as _derived
from sim.model.outcomes.derived import share as _share
from sim.model.registry import MAXIMIZE, MINIMIZE, Outcome, Registry, ratio

__all__ = ["register_shares_and_money"]

_P = "programme"
_SHARES_AND_MONEY = (
    _share("interception_rate", "Neutralised share ((destroyed + EW) / launched)",
           ("destroyed", "lost_ew", "launched"),
           lambda v: ratio(v["destroyed"] + v["lost_ew"], v["launched"]), direction=MAXIMIZE,
           monthly=True, headline=90,
           description="(destroyed + lost_ew) / launched: comparable with the Air Force's "
           "(destroyed + locationally lost) / launched."),
    _share("hits_on_undefended_share", "Share of hits on sites with no interceptor team in "
           "reach", ("hits_on_undefended", "hits_on_sites"),
           lambda v: ratio(v["hits_on_undefended"], v["hits_on_sites"]), group="coverage",
           description="Hits on energy sites outside every interceptor team's envelope / all "
           "hits on energy sites."),
    _share("kill_rate", "Destroyed share", ("destroyed", "launched"),
           lambda v: ratio(v["destroyed"], v["launched"]), direction=MAXIMIZE),
    _share("leak_rate", "Share reaching the target area", ("leaked", "launched"),
           lambda v: ratio(v["leaked"], v["launched"]), direction=MINIMIZE),
    _share("kinetic_coverage", "Share of drones aimed at energy that were stopped",
           ("aimed_at_energy_stopped", "aimed_at_energy"),
           lambda v: ratio(v["aimed_at_energy_stopped"], v["aimed_at_energy"]),
           direction=MAXIMIZE, group="coverage", monthly=True, headline=30,
           description="Share of drones aimed at energy sites that were stopped (destroyed or "
           "lost to EW)."),
    _share("geometric_coverage_sites_fraction", "Energy sites inside an interceptor envelope",
           ("coverage_sites_fraction",), lambda v: v["coverage_sites_fraction"],
           direction=MAXIMIZE, group="coverage",
           description="Share of operational energy sites inside the engagement envelope of at "
           "least one interceptor launch site, averaged over nights."),
    _share("geometric_coverage_capacity_fraction", "Capacity inside an interceptor envelope",
           ("coverage_capacity_fraction",), lambda v: v["coverage_capacity_fraction"],
           direction=MAXIMIZE, group="coverage", headline=40,
           description="The same, weighted by site capacity (MW)."),
    _derived("programme_cost_eur", "Programme spend", "EUR", ("programme_spend_eur",),
             lambda v: v["programme_spend_eur"], kind="money", group=_P, headline=130,
             description="Programme spend to the last night: delivered interceptors, crews "
             "(training and pay per night served), radars, launch sites; never above budget_eur."),
    Outcome("budget_eur", "Programme budget", "EUR", kind="money", group=_P, nightly=False,
            over_nights="constant"),
    _derived("budget_unspent_eur", "Budget not yet turned into delivered capability", "EUR",
             ("budget_eur", "programme_cost_eur"),
             lambda v: v["budget_eur"] - v["programme_cost_eur"], kind="money", group=_P),
    Outcome("interceptors_ordered", "Programme interceptors ordered", "interceptors", group=_P,
            nightly=False, over_nights="constant"),
    _derived("interceptors_delivered", "Programme interceptors delivered", "interceptors",
             ("programme_delivered",), lambda v: v["programme_delivered"], group=_P),
    _derived("programme_stock_end", "Programme interceptors in stock on the last night",
             "interceptors", ("programme_stock",), lambda v: v["programme_stock"], group=_P),
    _derived("cost_exchange_ratio", "Gross cost-exchange ratio (attacker / programme EUR)",
             "ratio", ("attacker_value_killed_programme_eur", "programme_cost_eur"),
             lambda v: ratio(v["attacker_value_killed_programme_eur"], v["programme_cost_eur"]),
             kind="ratio", group=_P, direction=MAXIMIZE, headline=140,
             description="Attacker's cost of the drones the programme destroyed / programme "
             "spend; above 1 the attacker loses more money than the programme costs. Gross: it "
             "counts kills the other layers would have made without the programme."),
    Outcome("programme_unused_eur", "Budget the programme could not turn into anything", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant",
            description="Money left once the training capacity, the caps and the time to the "
            "last night stop further purchases (sim.model.forces)."),
    Outcome("programme_on_order_eur", "Programme orders arriving after the last night", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant"),
    Outcome("interceptor_unit_cost_eur", "Unit cost of a programme interceptor", "EUR",
            kind="money", group=_P, nightly=False, over_nights="constant", winter=False),
    Outcome("programme_other_spend_eur", "Programme spend on crews, stations, radars and sites",
            "EUR", kind="money", group=_P, nightly=False, over_nights="constant"),
    _derived("programme_used_cost_eur", "Programme cost of what was used", "EUR",
             ("interceptors_expended", "interceptor_unit_cost_eur", "programme_other_spend_eur"),
             lambda v: v["interceptors_expended"] * v["interceptor_unit_cost_eur"]
             + v["programme_other_spend_eur"], kind="money", group=_P,
             description="Interceptors expended (kills and losses, not the unused stock) at their "
             "unit cost, plus the spend on crews, ground stations, radars and sites to the last "
             "night."),
    _derived("cost_per_kill_eur", "Programme cost per interceptor kill (gross, of what was used)",
             "EUR",
             ("programme_used_cost_eur", "interceptor_kills"),
             lambda v: ratio(v["programme_used_cost_eur"], v["interceptor_kills"]), kind="money",
             group=_P, direction=MINIMIZE,
             description="programme_used_cost_eur / interceptor_kills: airframes left in stock "
             "are not charged to the kills (unused_stock_eur is what they cost), and kills the "
             "other layers would have made are counted; net_cost_per_drone_stopped_eur charges "
             "the whole spend to the net effect."),
    _derived("interceptors_per_kill", "Programme interceptors expended per kill", "ratio",
             ("interceptors_expended", "interceptor_kills"),
             lambda v: ratio(v["interceptors_expended"], v["interceptor_kills"]), kind="ratio",
             group=_P, direction=MINIMIZE),
)


def register_shares_and_money(reg: Registry) -> None:
    """Add the shares and the programme's money outcomes to ``reg``, in their order."""
    reg.add(*_SHARES_AND_MONEY)
