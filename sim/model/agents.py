"""Mesa agents: behaviour and views only.

The model owns the numbers as numpy arrays (one night's raid, the engagement log, site
hits); agents are thin views onto a row of those arrays, so that a night of 800 drones is
vectorised while every drone, launch site, radar and energy site remains a Mesa agent that a
user can inspect (``model.agents_by_type[AttackDrone]``).
"""

from __future__ import annotations

import mesa

from sim.model.geometry import position_at
from sim.model.threat import TYPE_NAMES


class EnergySite(mesa.Agent):
    """A power plant, substation, gas facility or water utility (row ``index`` of the sites)."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def site_id(self) -> str:
        return str(self.model.sites["id"].iat[self.index])

    @property
    def site_type(self) -> str:
        return str(self.model.sites["type"].iat[self.index])

    @property
    def xy_km(self) -> tuple[float, float]:
        s = self.model.sites
        return float(s["x_km"].iat[self.index]), float(s["y_km"].iat[self.index])

    @property
    def hits(self) -> int:
        """Warhead hits taken so far this winter."""
        return int(self.model.hits_by_site[self.index])


class LaunchSite(mesa.Agent):
    """An interceptor launch site with its crews (programme or existing units)."""

    def __init__(self, model, xy_km, programme: bool, crews: int):
        super().__init__(model)
        self.xy_km = (float(xy_km[0]), float(xy_km[1]))
        self.programme = bool(programme)
        self.crews = int(crews)


class Radar(mesa.Agent):
    """A radar at a fixed position."""

    def __init__(self, model, xy_km, programme: bool):
        super().__init__(model)
        self.xy_km = (float(xy_km[0]), float(xy_km[1]))
        self.programme = bool(programme)


class AttackDrone(mesa.Agent):
    """One attack drone of tonight's raid: a view onto row ``index`` of ``model.raid``."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def drone_type(self) -> str:
        return TYPE_NAMES[int(self.model.raid.kind[self.index])]

    @property
    def fate(self) -> str:
        """``interceptor``, ``fire_group``, ``missile``, ``ew`` or ``leaked``."""
        return self.model.fates[self.index]

    def position(self, t_s: float) -> tuple[float, float]:
        """Position (km) at ``t_s`` seconds into the night along the route."""
        r = self.model.raid
        return position_at(r.pts[self.index], r.times[self.index], t_s)


class InterceptorDrone(mesa.Agent):
    """One interceptor sortie of tonight: a view onto row ``index`` of the engagement log."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def target(self) -> int:
        return int(self.model.engagements["attacker"][self.index])

    @property
    def killed(self) -> bool:
        return bool(self.model.engagements["killed"][self.index])
