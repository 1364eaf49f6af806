"""Interceptor fleets and where their launch sites go (basing policy).

Two fleets fly interceptor drones:

* the funded **programme**: launch sites, crews, radars and interceptors from
  :func:`sim.model.budget.force_schedule`; stock carries over from night to night;
* Ukraine's **existing** units (``defense.layers.existing_interceptors``): a fixed number of
  launch sites and a nightly allowance of interceptors, present in every scenario.

Basing policies give an ordered list of launch-site positions; a fleet with ``k`` active sites
uses the first ``k``:

* ``energy_sites``: at the most valuable eligible energy sites (targeting weight x size), one
  per site, then a second ring 12 km off each site towards the threat, and so on;
* ``cities``: around the big cities, shared by city weight, on a 15 km ring;
* ``corridors``: along the approach axes from each launch area to the centre of the target
  set, ``corridor_depth_km`` inside Ukrainian-controlled airspace, shared by launch-area weight;
  (for both, the list is interleaved so that every prefix, the sites of a force still building
  up, is shared by weight too);
* ``custom``: at the listed energy-site or city ids, in order, cycling.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.config.data import city_targets, launch_areas
from sim.config.errors import ScenarioError
from sim.model.threat import area_weights


def _shares(weights: np.ndarray, n: int) -> np.ndarray:
    """Largest-remainder apportionment of n items by weight."""
    w = np.asarray(weights, float)
    if n <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=int)
    q = w / w.sum() * n
    base = np.floor(q).astype(int)
    rest = n - base.sum()
    base[np.argsort(-(q - base), kind="stable")[:rest]] += 1
    return base


def _interleave(weights: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """The positions of several groups (cities, approach corridors) in one list whose every
    prefix is shared by weight: at each step the group furthest below its quota gives its next
    position. A force with k active sites uses the first k, so while it builds up its sites
    are spread over the groups rather than filling the first one."""
    w = np.asarray(weights, float)
    w = w / w.sum()
    taken = np.zeros(len(parts), dtype=int)
    size = np.array([len(p) for p in parts])
    out = []
    for t in range(1, int(size.sum()) + 1):
        deficit = np.where(taken < size, w * t - taken, -np.inf)
        g = int(np.argmax(deficit))
        out.append(parts[g][taken[g]])
        taken[g] += 1
    return np.array(out).reshape(-1, 2)


def _ring(center: np.ndarray, k: int, radius_km: float, phase: float = 0.0) -> np.ndarray:
    ang = phase + 2 * np.pi * np.arange(k) / max(k, 1)
    return center[None, :] + radius_km * np.stack([np.cos(ang), np.sin(ang)], 1)


def base_positions(policy: str, n: int, sites: pd.DataFrame, site_value: np.ndarray, threat,
                   basing) -> np.ndarray:
    """Ordered launch-site positions (n, 2) in km for a basing policy.

    Args:
        policy: ``energy_sites``, ``cities``, ``corridors`` or ``custom``.
        n: number of launch sites.
        sites: energy sites frame.
        site_value: value of each site to the attacker (targeting probability).
        threat: the scenario's threat section (launch areas and their weights).
        basing: the scenario's ``defense.basing`` section.
    """
    if n <= 0:
        return np.zeros((0, 2))
    xy_sites = sites[["x_km", "y_km"]].to_numpy(float)
    areas = launch_areas()
    axis_w = area_weights(threat)
    threat_xy = (areas[["x_km", "y_km"]].to_numpy(float) * axis_w[:, None]).sum(0)
    if policy == "energy_sites":
        ok = sites["type"].isin(basing.site_types).to_numpy() & (
            sites["status"].to_numpy() == "operational"
        )
        order = [i for i in np.argsort(-site_value, kind="stable") if ok[i]]
        if not order:
            raise ScenarioError(
                f"defense.basing.site_types {basing.site_types}: no operational site of these types"
            )
        out = []
        ring = 0
        while len(out) < n:
            for i in order:
                if len(out) >= n:
                    break
                p = xy_sites[i]
                if ring:
                    d = threat_xy - p
                    d = d / max(np.hypot(*d), 1e-9)
                    ang = np.arctan2(d[1], d[0]) + (ring - 1) * 2.0944  # 120 deg steps
                    p = p + 12.0 * np.array([np.cos(ang), np.sin(ang)])
                out.append(p)
            ring += 1
        return np.array(out)
    if policy == "cities":
        cities = city_targets()
        w = cities["weight"].to_numpy(float)
        k = _shares(w, n)
        parts = [_ring(cities[["x_km", "y_km"]].to_numpy(float)[c], k[c], 15.0, phase=0.3 * c)
                 for c in range(len(cities))]
        return _interleave(w, parts)[:n]
    if policy == "corridors":
        aim = (xy_sites * site_value[:, None]).sum(0) / max(site_value.sum(), 1e-12)
        k = _shares(axis_w, n)
        parts = []
        for a in range(len(areas)):
            out = []
            start = areas[["x_km", "y_km"]].to_numpy(float)[a]
            d = aim - start
            length = max(np.hypot(*d), 1e-9)
            d = d / length
            normal = np.array([-d[1], d[0]])
            depths = basing.corridor_depth_km
            rows = -(-k[a] // len(depths))  # ceil: rows of len(depths) sites, 25 km apart
            for m in range(k[a]):
                depth = areas["border_km"].iloc[a] + depths[m % len(depths)]
                lateral = ((m // len(depths)) - (rows - 1) / 2) * 25.0  # rows centred on the axis
                out.append(start + min(depth, length) * d + lateral * normal)
            parts.append(np.array(out).reshape(-1, 2))
        return _interleave(axis_w, parts)[:n]
    if policy == "custom":
        ids = list(basing.custom_sites)
        if not ids:
            raise ScenarioError("defense.basing.custom_sites: policy=custom needs at least one id")
        cities = city_targets()
        lookup = dict(zip(sites["id"], map(tuple, xy_sites), strict=True))
        lookup.update(zip(cities["id"], map(tuple, cities[["x_km", "y_km"]].to_numpy(float)),
                          strict=True))
        bad = [i for i in ids if i not in lookup]
        if bad:
            raise ScenarioError(
                f"defense.basing.custom_sites: unknown site or city id(s) {bad}"
            )
        pts = [np.array(lookup[ids[m % len(ids)]]) for m in range(n)]
        for m in range(len(ids), n):  # extra sites at the same place spread on a ring
            pts[m] = pts[m] + _ring(np.zeros(2), 3, 8.0, phase=m)[m % 3]
        return np.array(pts)
    raise ScenarioError(f"defense.basing.policy: unknown policy {policy!r}")
