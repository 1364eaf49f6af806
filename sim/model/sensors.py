"""Sensors: when does command and control get a track on each drone?

Two kinds, as in Ukraine's air defence (docs/sources.md §C):

* The acoustic network (Sky Fortress, >6,000-14,000 microphones covering the country "at
  1,000 m and below"): a drone flying at or below ``acoustic.max_altitude_m`` is detected with
  probability ``acoustic.p_detect`` when it enters Ukrainian-controlled airspace; the track
  reaches C2 ``latency_s`` later.
* Radars at fixed positions (Ukraine's surveillance radars at the largest cities, and the
  programme's short-range radars at its launch sites): each sees a drone inside
  ``min(range_km, radar horizon)``, where
  the radar horizon for antenna height h and target altitude a is
  ``4.12 (sqrt(h) + sqrt(a))`` km (4/3-earth refraction). A drone entering a radar's cover is
  detected with probability ``radar.p_detect`` at entry.

A drone's track time is the earliest detection plus latency over all sensors; ``inf`` means no
track (interceptors and cued fire groups cannot engage it).
"""

from __future__ import annotations

import numpy as np


def radar_horizon_km(mast_height_m: float, altitude_m: np.ndarray) -> np.ndarray:
    """Radar horizon (km) between an antenna and a target, 4/3-earth model."""
    return 4.12 * (np.sqrt(mast_height_m) + np.sqrt(np.maximum(altitude_m, 0.0)))


def track_times(raid, sensors_cfg, radars, rng: np.random.Generator) -> np.ndarray:
    """Time at which each drone's track reaches C2 (s), ``inf`` if never detected.

    Args:
        raid: the night's :class:`sim.model.threat.Raid`.
        sensors_cfg: the scenario's ``defense.sensors`` section.
        radars: list of ``(xy (R, 2) km, spec)`` radar groups; ``spec`` has ``range_km``,
            ``mast_height_m``, ``p_detect`` and ``latency_s``.
        rng: the detection stream. The acoustic draws come first and have a fixed count, so
            adding radars does not reshuffle them.
    """
    n = raid.n
    ac = sensors_cfg.acoustic
    u_ac = rng.random(n)
    t_track = np.full(n, np.inf)
    low = raid.altitude_m <= ac.max_altitude_m
    hit = low & (u_ac < ac.p_detect)
    t_track[hit] = raid.t_border[hit] + ac.latency_s
    for xy, rd in radars:
        if not len(xy) or not n:
            continue
        reach = np.minimum(rd.range_km, radar_horizon_km(rd.mast_height_m, raid.altitude_m))
        # One draw per drone and radar, at first entry; drawn radar by radar, so a radar added
        # to a group leaves the draws of the radars already there unchanged.
        u_r = rng.random((len(xy), n)).T
        t_radar = first_detection(raid.pts, raid.times, xy, reach, u_r < rd.p_detect)
        t_track = np.minimum(t_track, t_radar + rd.latency_s)
    return t_track


def first_detection(pts, times, xy, reach, detects) -> np.ndarray:
    """Earliest time each route enters the cover of a radar that detects it.

    Args:
        pts, times: routes (N, K+1, 2) and their times (N, K+1).
        xy: radar positions (R, 2).
        reach: (N,) detection radius for each drone (its altitude sets the radar horizon).
        detects: (N, R) whether radar r detects drone i when the drone first enters its cover.

    A radar gets one chance per drone, when the drone first enters its cover (``detects``), so
    the answer is the earliest first entry among the radars that detect it (the first entries
    of :func:`sim.model.geometry.circle_entry_exit`, computed only for the pairs that detect:
    :func:`sim.model.kernels.first_entry`).
    """
    n = pts.shape[0]
    if n == 0 or len(xy) == 0:
        return np.full(n, np.inf)
    from sim.model import kernels

    xy = np.ascontiguousarray(xy, dtype=float).reshape(-1, 2)
    detects = np.ascontiguousarray(np.broadcast_to(detects, (n, len(xy))), dtype=bool)
    return kernels.first_entry(np.ascontiguousarray(pts, dtype=float),
                               np.ascontiguousarray(times, dtype=float), xy,
                               np.ascontiguousarray(np.broadcast_to(reach, (n,)), dtype=float),
                               detects)
