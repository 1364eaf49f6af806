"""Plain reference implementations of the geometry and raid kernels (test oracles).

These are the pure-Python and vectorised-numpy formulations the compiled kernels of
:mod:`sim.model.kernels` replaced, kept verbatim so that the tests can check the kernels
against them on random inputs. The package never calls them.
"""

from __future__ import annotations

import bisect
import math

import numpy as np


def position_at(pts, times, t: float) -> tuple[float, float]:
    """Position on one route at time ``t`` (clamped to the route's ends).

    ``pts`` (K+1, 2) and ``times`` (K+1,) may be arrays or nested lists.
    """
    if t <= times[0]:
        return float(pts[0][0]), float(pts[0][1])
    k = bisect.bisect_right(times, t) - 1
    if k >= len(times) - 1:
        return float(pts[-1][0]), float(pts[-1][1])
    f = (t - times[k]) / (times[k + 1] - times[k])
    (ax, ay), (bx, by) = pts[k], pts[k + 1]
    return float(ax + f * (bx - ax)), float(ay + f * (by - ay))


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
    keeps a night of hundreds of drones against hundreds of sites cheap.
    """
    n, kp1, _ = pts.shape
    m = centers.shape[0]
    radii = np.asarray(radii, dtype=float)
    rad = np.broadcast_to(radii if radii.ndim == 2 else radii[None, ...], (n, m))
    rmax = float(rad.max()) if rad.size else 0.0
    t_enter = np.full((n, m), np.inf)
    t_exit = np.full((n, m), np.inf)
    cx, cy = centers[:, 0], centers[:, 1]
    for k in range(kp1 - 1):
        p0, p1 = pts[:, k, :], pts[:, k + 1, :]
        lo = np.minimum(p0, p1) - rmax
        hi = np.maximum(p0, p1) + rmax
        near = (
            (cx[None, :] >= lo[:, 0:1]) & (cx[None, :] <= hi[:, 0:1])
            & (cy[None, :] >= lo[:, 1:2]) & (cy[None, :] <= hi[:, 1:2])
        )
        ii, jj = np.nonzero(near)
        if not len(ii):
            continue
        ax = p0[ii, 0] - cx[jj]
        ay = p0[ii, 1] - cy[jj]
        dx = p1[ii, 0] - p0[ii, 0]
        dy = p1[ii, 1] - p0[ii, 1]
        qa = dx * dx + dy * dy
        qb = 2.0 * (ax * dx + ay * dy)
        qc = ax * ax + ay * ay - rad[ii, jj] ** 2
        disc = qb * qb - 4.0 * qa * qc
        ok = (disc >= 0) & (qa > 0)
        sq = np.sqrt(np.where(ok, disc, 0.0))
        qa_safe = np.where(qa > 0, qa, 1.0)
        s1 = (-qb - sq) / (2 * qa_safe)
        s2 = (-qb + sq) / (2 * qa_safe)
        # Inside over [max(s1, 0), min(s2, 1)] when that interval is non-empty.
        lo_s = np.maximum(s1, 0.0)
        hi_s = np.minimum(s2, 1.0)
        hit = ok & (lo_s <= hi_s)
        ii, jj, lo_s, hi_s = ii[hit], jj[hit], lo_s[hit], hi_s[hit]
        tk = times[ii, k]
        dt = times[ii, k + 1] - tk
        te = tk + lo_s * dt
        tx = tk + hi_s * dt
        prev_in = t_enter[ii, jj]
        prev_out = t_exit[ii, jj]
        new = ~np.isfinite(prev_in)
        t_enter[ii[new], jj[new]] = te[new]
        # Exit: extend the first visit while consecutive legs stay inside.
        cont = ~new & (np.abs(te - prev_out) < 1e-6)
        upd = new | cont
        t_exit[ii[upd], jj[upd]] = tx[upd]
    return t_enter, t_exit


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
        pts: route points (K+1, 2), km (an array or nested lists; lists are faster here).
        times: times at the points (K+1,), s.
        px, py: interceptor start point, km.
        t0: interceptor launch time, s.
        speed: interceptor speed, km/s.
        t_max: ignore intercepts later than this.

    Returns:
        The intercept time in s, or ``inf`` if the interceptor cannot catch the drone before
        the route ends (or ``t_max``).
    """
    v2 = speed * speed
    n = len(times)
    for k in range(n - 1):
        tk, tk1 = times[k], times[k + 1]
        if tk1 < t0:
            continue
        if tk > t_max:
            break
        dt = tk1 - tk
        if dt <= 0:
            continue
        (ax, ay), (bx, by) = pts[k], pts[k + 1]
        ux = (bx - ax) / dt
        uy = (by - ay) / dt
        # Drone position extrapolated to t0 along this leg, relative to the start point.
        dx = ax + ux * (t0 - tk) - px
        dy = ay + uy * (t0 - tk) - py
        a = ux * ux + uy * uy - v2
        b = 2.0 * (dx * ux + dy * uy)
        c = dx * dx + dy * dy
        s_lo = max(tk - t0, 0.0)
        s_hi = min(tk1, t_max) - t0
        s = _smallest_root_in(a, b, c, s_lo, s_hi)
        if s is not None:
            return t0 + s
    return math.inf


def _smallest_root_in(a: float, b: float, c: float, lo: float, hi: float) -> float | None:
    """Smallest s in [lo, hi] with a s^2 + b s + c <= 0 crossing to 0 (interceptor catches up).

    ``f(s) = a s^2 + b s + c`` is the squared gap minus the squared interceptor reach; it is
    >= 0 at s = 0 (c >= 0). The intercept is the first s where f(s) = 0; if f(lo) <= 0 the
    interceptor is already able to reach the drone at lo (catch at lo).
    """
    if hi < lo:
        return None
    f_lo = (a * lo + b) * lo + c
    if f_lo <= 1e-12:
        return lo
    if abs(a) < 1e-15:
        if abs(b) < 1e-15:
            return None
        s = -c / b
        return s if lo <= s <= hi else None
    disc = b * b - 4.0 * a * c
    if disc < 0:
        return None
    sq = math.sqrt(disc)
    # Numerically stable roots.
    q = -0.5 * (b + math.copysign(sq, b))
    r1 = q / a
    r2 = c / q if q != 0 else r1
    best = None
    for r in (r1, r2):
        if lo <= r <= hi and (best is None or r < best):
            best = r
    return best


def first_detection(pts, times, xy, reach, detects) -> np.ndarray:
    """Earliest time each route enters the cover of a radar that detects it.

    Args:
        pts, times: routes (N, K+1, 2) and their times (N, K+1).
        xy: radar positions (R, 2).
        reach: (N,) detection radius for each drone (its altitude sets the radar horizon).
        detects: (N, R) whether radar r detects drone i when the drone first enters its cover.

    A radar gets one chance per drone, when the drone first enters its cover (``detects``), so
    the answer is the earliest first entry among the radars that detect it: one call of the
    vectorised entry/exit kernel over every leg.
    """
    n = pts.shape[0]
    if n == 0 or len(xy) == 0:
        return np.full(n, np.inf)
    t_enter, _ = circle_entry_exit(pts, times, xy, reach[:, None])
    return np.where(detects, t_enter, np.inf).min(axis=1)


def push_out(wp: np.ndarray, guard: np.ndarray, centers: np.ndarray, radii: np.ndarray
             ) -> np.ndarray:
    """Move waypoints lying inside a defended circle out of all of them. ``guard`` (N, Z) marks
    the circles a drone may push out of (not the one holding its own target). Each pass pushes
    a waypoint radially to the edge of the circle it is deepest in; where circles overlap that
    edge can lie in a neighbour, so passes repeat on the waypoints just moved (a few suffice)
    until none is inside."""
    wp = wp.copy()
    edge = radii * (1.0 + 1e-9)
    r2 = radii * radii
    rows = np.arange(len(wp))
    for _ in range(PUSH_PASSES):
        if not len(rows):
            break
        dx = wp[rows, 0:1] - centers[None, :, 0]
        dy = wp[rows, 1:2] - centers[None, :, 1]
        d2 = dx * dx + dy * dy
        inside = (d2 < r2[None, :]) & guard[rows]
        hit = np.nonzero(inside.any(1))[0]
        if not len(hit):
            break
        dist = np.sqrt(d2[hit])
        score = np.where(inside[hit], radii[None, :] - dist, -np.inf)
        jj = score.argmax(1)
        r = np.arange(len(hit))
        nn = np.maximum(dist[r, jj], 1e-6)
        moved = rows[hit]
        wp[moved, 0] = centers[jj, 0] + dx[hit, jj] / nn * edge[jj]
        wp[moved, 1] = centers[jj, 1] + dy[hit, jj] / nn * edge[jj]
        rows = moved
    return wp


PUSH_PASSES = 12


def routes(start, end, offsets, centers, radii, avoid, t_launch, speed, border_km):
    """The route building of ``sim.model.threat.generate_raid`` as it was written in numpy:
    points, times and the time of crossing ``border_km``."""
    n, k_wp = offsets.shape
    pts = np.empty((n, k_wp + 2, 2))
    pts[:, 0] = start
    pts[:, -1] = end
    if k_wp:
        vec = end - start
        length = np.maximum(np.hypot(vec[:, 0], vec[:, 1]), 1e-9)
        normal = np.stack([-vec[:, 1], vec[:, 0]], axis=1) / length[:, None]
        if avoid:
            gx = end[:, 0:1] - centers[None, :, 0]
            gy = end[:, 1:2] - centers[None, :, 1]
            guard = gx * gx + gy * gy > (radii * radii)[None, :]
        for j in range(k_wp):
            f = (j + 1) / (k_wp + 1)
            wp = start + f * vec + offsets[:, j, None] * normal
            if avoid:
                wp = push_out(wp, guard, centers, radii)
            pts[:, j + 1] = wp
    seg = np.hypot(*np.moveaxis(np.diff(pts, axis=1), -1, 0))  # (N, K+1)
    times = np.concatenate([t_launch[:, None],
                            t_launch[:, None] + np.cumsum(seg, 1) / speed[:, None]], 1)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(seg, 1)], 1)
    total = cum[:, -1]
    b = np.minimum(border_km, total)
    k = np.clip((cum <= b[:, None]).sum(1) - 1, 0, cum.shape[1] - 2)
    rows = np.arange(n)
    c0, c1 = cum[rows, k], cum[rows, k + 1]
    f = (b - c0) / np.maximum(c1 - c0, 1e-12)
    frac_t = times[rows, k] + f * (times[rows, k + 1] - times[rows, k])
    return pts, times, frac_t


def within_reach(points_xy, centres_xy, radius_km):
    """Whether any centre lies within ``radius_km`` of each point (vectorised numpy)."""
    points_xy = np.asarray(points_xy, float).reshape(-1, 2)
    centres_xy = np.asarray(centres_xy, float).reshape(-1, 2)
    if len(centres_xy) == 0:
        return np.zeros(len(points_xy), dtype=bool)
    diff = points_xy[:, None, :] - centres_xy[None, :, :]
    return (np.hypot(diff[..., 0], diff[..., 1]) <= radius_km).any(1)
