"""The drone outcomes: what the attacker launched and what became of each drone.

Launches by type (Shahed/Geran-2, jet Geran-3, decoys), their fates (lost to electronic warfare,
destroyed by each kinetic layer, leaked to the target area), hits on energy sites (and on sites
no interceptor team reaches) and the drones aimed at energy. Each is a nightly column read from
the finished :class:`sim.model.night.Night`; the group ``drones`` of the registry
(:data:`sim.model.outcomes.OUTCOMES`, which adds them first: :func:`register_drones`).
"""

from __future__ import annotations

from sim.model.registry import INFO, MAXIMIZE, MINIMIZE, Outcome, Registry

__all__ = ["register_drones"]

_DRONES = (
    Outcome("launched", "Drones launched", "drones", direction=INFO, monthly=True, headline=50,
            description="Shahed-type attack drones launched: Shahed/Geran-2, jet Geran-3 and "
            "decoys, as the Air Force record counts them.",
            read=lambda n: n.raid.n),
    Outcome("launched_shahed", "Shahed/Geran-2 launched", "drones",
            read=lambda n: n.by_type["shahed"]),
    Outcome("launched_jet", "Jet Geran-3 launched", "drones",
            read=lambda n: n.by_type["jet"]),
    Outcome("launched_decoy", "Decoys launched", "drones",
            read=lambda n: n.by_type["decoy"]),
    Outcome("lost_ew", "Lost to electronic warfare", "drones", direction=MAXIMIZE, monthly=True,
            headline=70, description="Lost to jamming en route ('locationally lost' in Air "
            "Force reports).",
            read=lambda n: n.by_fate["ew"]),
    Outcome("destroyed", "Destroyed by all kinetic layers", "drones", direction=MAXIMIZE,
            monthly=True, headline=60, description="Shot down by interceptor drones, mobile fire "
            "groups or missiles: destroyed_programme + destroyed_existing_interceptors + "
            "destroyed_fire_groups + destroyed_missiles.",
            read=lambda n: n.destroyed),
    Outcome("destroyed_programme", "Destroyed by programme interceptors", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.kills_by_force["programme"]),
    Outcome("destroyed_existing_interceptors", "Destroyed by Ukraine's own interceptor units",
            "drones", direction=MAXIMIZE,
            read=lambda n: n.kills_by_force["national"]),
    Outcome("destroyed_fire_groups", "Destroyed by mobile fire groups", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.by_fate["fire_group"]),
    Outcome("destroyed_missiles", "Destroyed by surface-to-air missiles", "drones",
            direction=MAXIMIZE,
            read=lambda n: n.by_fate["missile"]),
    Outcome("leaked", "Reached their target area", "drones", direction=MINIMIZE, monthly=True,
            headline=80, description="Neither destroyed nor lost: launched = destroyed + lost_ew "
            "+ leaked every night.",
            read=lambda n: n.by_fate["leaked"]),
    Outcome("leaked_warhead", "Warhead drones that reached their target area", "drones",
            direction=MINIMIZE,
            read=lambda n: n.leaked_warhead),
    Outcome("hits_on_sites", "Drone hits on energy sites", "hits", direction=MINIMIZE, monthly=True,
            headline=100, description="Warhead leakers aimed at an energy site that hit it "
            "(threat.targeting.p_hit).",
            read=lambda n: int(n.hit.sum())),
    Outcome("hits_on_undefended", "Hits on energy sites with no interceptor team in reach",
            "hits", direction=MINIMIZE,
            read=lambda n: n.hits_on_undefended),
    Outcome("concentrated_salvo", "Nights the attacker massed drones on one defended site",
            "nights",
            read=lambda n: int(n.concentrated)),
    Outcome("aimed_at_energy", "Drones aimed at energy sites", "drones", monthly=True,
            read=lambda n: int(n.aimed_at_energy.sum())),
    Outcome("aimed_at_energy_stopped", "Drones aimed at energy sites that were stopped", "drones",
            direction=MAXIMIZE, monthly=True,
            read=lambda n: int((n.aimed_at_energy & ~n.engagement.leaked).sum())),
    Outcome("tracked", "Drones tracked by command and control", "drones",
            description="Drones for which C2 had a track before they reached their target.",
            read=lambda n: int(n.engagement.tracked.sum())),
)


def register_drones(reg: Registry) -> None:
    """Add the drone outcomes to ``reg``, in their order."""
    reg.add(*_DRONES)
