"""The missile outcomes: the missile stream and the missile defence against it.

Missiles launched, destroyed and not destroyed, in all and by class (cruise, ballistic,
Kh-22/32, Kh-59/69), their hits on energy sites, the missile-defence interceptors fired, left and
what they cost, and the attacker's cost of the missiles launched. The nightly ones are read from
tonight's missile record (``night.missiles``) and recorded only when missiles fly
(:data:`sim.model.outcomes.MISSILE_NIGHTLY`); added to the registry after the energy outcomes
(:func:`register_missiles`).
"""

from __future__ import annotations

from sim.config.missiles import MISSILE_CLASSES
from sim.model.outcomes.derived import share as _share
from sim.model.registry import MAXIMIZE, MINIMIZE, Outcome, Registry, ratio

__all__ = ["GROUP", "register_missiles"]

GROUP = "missiles"
"""The missile outcomes' group in the registry (``Outcome.group``)."""
_M = GROUP
_CLASS_LABEL = {"cruise": "cruise missiles", "ballistic": "ballistic missiles",
                "kh22": "Kh-22/32 missiles", "kh59": "Kh-59/69 missiles"}
_MISSILES = (
    Outcome("missiles_launched", "Missiles launched", "missiles", group=_M, monthly=True,
            headline=102,
            description="Cruise, ballistic, Kh-22/32 and Kh-59/69 missiles launched "
            "(threat.missiles); launched = destroyed + leaked.",
            read=lambda n: int(n.missiles.launched.sum())),
    Outcome("missiles_destroyed", "Missiles destroyed", "missiles", group=_M, monthly=True,
            direction=MAXIMIZE,
            read=lambda n: int(n.missiles.destroyed.sum())),
    Outcome("missiles_leaked", "Missiles not destroyed", "missiles", group=_M,
            direction=MINIMIZE,
            read=lambda n: int(n.missiles.launched.sum() - n.missiles.destroyed.sum())),
    Outcome("missiles_engaged", "Missiles engaged by missile defence", "missiles", group=_M,
            read=lambda n: int(n.missiles.defense.engaged.sum())),
    Outcome("missile_hits_on_sites", "Missile hits on energy sites", "hits", group=_M,
            monthly=True, direction=MINIMIZE, headline=104,
            read=lambda n: int(n.missiles.hits_by_class.sum())),
    Outcome("missiles_aimed_at_energy", "Missiles aimed at energy sites", "missiles", group=_M,
            read=lambda n: n.missiles.aimed_at_energy),
    Outcome("missile_combined_strike", "Combined missile and drone strike nights", "nights",
            group=_M,
            read=lambda n: int(n.missiles.raid.combined)),
    *(o for c in MISSILE_CLASSES for o in (
        Outcome(f"missiles_launched_{c}", f"Launched: {_CLASS_LABEL[c]}", "missiles", group=_M,
                read=lambda n, c=c: n.missiles.by_class["launched"][c]),
        Outcome(f"missiles_destroyed_{c}", f"Destroyed: {_CLASS_LABEL[c]}", "missiles",
                group=_M, direction=MAXIMIZE,
                read=lambda n, c=c: n.missiles.by_class["destroyed"][c]),
        Outcome(f"missiles_leaked_{c}", f"Not destroyed: {_CLASS_LABEL[c]}", "missiles",
                group=_M, direction=MINIMIZE,
                read=lambda n, c=c: n.missiles.by_class["leaked"][c]),
        Outcome(f"missile_hits_on_sites_{c}", f"Hits on energy sites: {_CLASS_LABEL[c]}",
                "hits", group=_M, direction=MINIMIZE,
                read=lambda n, c=c: n.missiles.by_class["hits"][c]),
    )),
    Outcome("missile_interceptors_used", "Missile-defence interceptors fired at missiles",
            "interceptors", group=_M,
            read=lambda n: int(n.missiles.defense.interceptors_used_by_system.sum())),
    Outcome("missile_interceptor_stock", "Missile-defence interceptors left", "interceptors",
            group=_M, over_nights="last",
            read=lambda n: int(n.missiles.stocks_end.sum())),
    Outcome("missile_interceptor_cost_eur", "Cost of missile-defence interceptors fired", "EUR",
            kind="money", group=_M,
            read=lambda n: n.missiles.interceptor_cost_eur),
    Outcome("missile_attacker_cost_eur", "Attacker's cost of missiles launched", "EUR",
            kind="money", group=_M,
            read=lambda n: float(n.missiles.raid.cost_eur.sum())),
    _share("missiles_kill_share", "Missiles destroyed (share)",
           ("missiles_destroyed", "missiles_launched"),
           lambda v: ratio(v["missiles_destroyed"], v["missiles_launched"]), group=_M,
           direction=MAXIMIZE, monthly=True),
    *(_share(f"missiles_kill_share_{c}", f"Destroyed share: {_CLASS_LABEL[c]}",
             (f"missiles_destroyed_{c}", f"missiles_launched_{c}"),
             lambda v, c=c: ratio(v[f"missiles_destroyed_{c}"], v[f"missiles_launched_{c}"]),
             group=_M, direction=MAXIMIZE) for c in MISSILE_CLASSES),
)


def register_missiles(reg: Registry) -> None:
    """Add the missile outcomes to ``reg``, in their order."""
    reg.add(*_MISSILES)
