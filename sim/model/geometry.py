"""Kinematics on piecewise-linear routes: circle entry times and collision-course intercepts.

Pure functions of arrays; no Mesa, no randomness. Time is in seconds, distance in km, speed
in km/s. A route is ``K+1`` points ``pts[k]`` reached at times ``times[k]`` (constant speed on
each leg); before ``times[0]`` and after ``times[-1]`` the drone is not airborne.

Collision course: an interceptor leaving point ``p`` at time ``t0`` with speed ``v`` meets a
drone at ``A(t)`` at the earliest ``t >= t0`` with ``|A(t) - p| = v (t - t0)``. On a leg where
``A(t) = a + u (t - tau)`` this is the quadratic ``(|u|^2 - v^2) s^2 + 2 (d.u) s + |d|^2 = 0``
in ``s = t - t0`` with ``d = a + u (t0 - tau) - p``; the smallest admissible root on the
earliest leg is the intercept. Head-on and tail-chase are the two limiting cases
(``s = D / (v + w)`` and ``s = D / (v - w)``), tested in ``tests/model/test_geometry.py``.
"""

from __future__ import annotations

import math

import numpy as np


def within_reach(points_xy: np.ndarray, centres_xy: np.ndarray, radius_km: float) -> np.ndarray:
    """For each point (n x 2, km), whether any centre (m x 2, km) lies within ``radius_km``
    (the boundary counts as inside); all False when there are no centres."""
    points_xy = np.ascontiguousarray(points_xy, dtype=float).reshape(-1, 2)
    centres_xy = np.ascontiguousarray(centres_xy, dtype=float).reshape(-1, 2)
    if len(centres_xy) == 0:
        return np.zeros(len(points_xy), dtype=bool)
    return _kernels().within_reach(points_xy, centres_xy, float(radius_km))


def _kernels():
    """The compiled kernels (imported on first use: numba stays out of start-up)."""
    from sim.model import kernels

    return kernels


def _route(pts, times) -> tuple[np.ndarray, np.ndarray]:
    return (np.ascontiguousarray(pts, dtype=float).reshape(-1, 2),
            np.ascontiguousarray(times, dtype=float).reshape(-1))


def position_at(pts, times, t: float) -> tuple[float, float]:
    """Position on one route at time ``t`` (clamped to the route's ends).

    ``pts`` (K+1, 2) and ``times`` (K+1,) may be arrays or nested lists.
    """
    pts, times = _route(pts, times)
    x, y = _kernels().position_at(pts, times, float(t))
    return float(x), float(y)


def positions_at(pts: np.ndarray, times: np.ndarray, t: float) -> np.ndarray:
    """Positions of many routes at one time. ``pts`` (N, K+1, 2), ``times`` (N, K+1)."""
    n, kp1, _ = pts.shape
    k = np.clip((times <= t).sum(axis=1) - 1, 0, kp1 - 2)
    rows = np.arange(n)
    t0 = times[rows, k]
    t1 = times[rows, k + 1]
    f = np.clip((t - t0) / np.maximum(t1 - t0, 1e-12), 0.0, 1.0)
    return pts[rows, k] + f[:, None] * (pts[rows, k + 1] - pts[rows, k])


def circle_entry_exit(
    pts: np.ndarray, times: np.ndarray, centers: np.ndarray, radii: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First entry into, and the following exit from, circles, for many routes at once.

    Args:
        pts: route points, shape (N, K+1, 2) in km.
        times: times at the points, shape (N, K+1) in s.
        centers: circle centres, shape (M, 2) in km.
        radii: circle radii in km: a scalar, shape (M,), or (N, M) for per-route radii.

    Returns:
        ``(t_enter, t_exit)``, each (N, M); ``inf`` where the route never enters the circle.
        ``t_exit`` is the end of the first visit (the route's end time if it ends inside).

    Only (route leg, circle) pairs whose bounding boxes overlap are solved exactly, which
    keeps a night of hundreds of drones against hundreds of sites cheap (compiled:
    :func:`sim.model.kernels.circle_entry_exit`).
    """
    pts = np.ascontiguousarray(pts, dtype=float)
    times = np.ascontiguousarray(times, dtype=float)
    centers = np.ascontiguousarray(centers, dtype=float).reshape(-1, 2)
    n, m = pts.shape[0], centers.shape[0]
    rad = np.asarray(radii, dtype=float)
    rad = rad.reshape(1, 1) if rad.ndim == 0 else rad.reshape(1, -1) if rad.ndim == 1 else rad
    np.broadcast_shapes(rad.shape, (n, m))  # a clear error for radii of the wrong shape
    rmax = float(rad.max()) if n and m and rad.size else 0.0
    return _kernels().circle_entry_exit(pts, times, centers, np.ascontiguousarray(rad), rmax)


def intercept(
    pts: np.ndarray,
    times: np.ndarray,
    px: float,
    py: float,
    t0: float,
    speed: float,
    t_max: float = math.inf,
) -> float:
    """Earliest collision-course intercept of one route from ``(px, py)`` leaving at ``t0``.

    Args:
        pts: route points (K+1, 2), km (an array or nested lists).
        times: times at the points (K+1,), s.
        px, py: interceptor start point, km.
        t0: interceptor launch time, s.
        speed: interceptor speed, km/s.
        t_max: ignore intercepts later than this.

    Returns:
        The intercept time in s, or ``inf`` if the interceptor cannot catch the drone before
        the route ends (or ``t_max``).
    """
    pts, times = _route(pts, times)
    return float(_kernels().intercept(pts, times, float(px), float(py), float(t0), float(speed),
                                      float(t_max)))


def intercept_many(
    pts: np.ndarray, times: np.ndarray, p: np.ndarray, t0: np.ndarray, speed: float
) -> np.ndarray:
    """Vectorised :func:`intercept` for one route against many start points (M, 2) / times (M,).

    Used as an independent check of the scalar solver in the tests and for whole-night
    precomputation.
    """
    m = p.shape[0]
    out = np.full(m, np.inf)
    v2 = speed * speed
    for k in range(len(times) - 1):
        tk, tk1 = times[k], times[k + 1]
        dt = tk1 - tk
        if dt <= 0:
            continue
        u = (pts[k + 1] - pts[k]) / dt
        d = pts[k][None, :] + u[None, :] * (t0 - tk)[:, None] - p
        a = u @ u - v2
        b = 2.0 * d @ u
        c = (d * d).sum(1)
        lo = np.maximum(tk - t0, 0.0)
        hi = tk1 - t0
        f_lo = (a * lo + b) * lo + c
        cand = np.where((f_lo <= 1e-12) & (hi >= lo), lo, np.inf)
        if abs(a) <= 1e-15:  # equal speeds: the quadratic is linear in s
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(np.abs(b) > 1e-15, -c / b, np.inf)
            good = (r >= lo) & (r <= hi)
            cand = np.minimum(cand, np.where(good, r, np.inf))
        else:
            disc = b * b - 4 * a * c
            sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
            for r in ((-b - sq) / (2 * a), (-b + sq) / (2 * a)):
                good = (disc >= 0) & (r >= lo) & (r <= hi)
                cand = np.minimum(cand, np.where(good, r, np.inf))
        newly = ~np.isfinite(out) & np.isfinite(cand)
        out = np.where(newly, t0 + cand, out)
    return out
