"""Compiled geometry kernels of one night: entry into and exit from circles (radar and interceptor
envelopes), first detection, points within reach, collision-course intercepts, positions along a
route, and the push-out of waypoints from defended circles (routes). See :mod:`sim.model.kernels`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _in_box(pts, i, k, cx, cy, rmax):
    """Whether the centre lies in the bounding box of leg k of route i grown by ``rmax``."""
    p0x = pts[i, k, 0]
    p0y = pts[i, k, 1]
    p1x = pts[i, k + 1, 0]
    p1y = pts[i, k + 1, 1]
    return (cx >= min(p0x, p1x) - rmax and cx <= max(p0x, p1x) + rmax
            and cy >= min(p0y, p1y) - rmax and cy <= max(p0y, p1y) + rmax)


@njit(cache=True)
def _leg_entry_exit(pts, times, i, k, cx, cy, r):
    """Entry into and exit from one circle on leg k of route i (``inf, inf``: none)."""
    p0x = pts[i, k, 0]
    p0y = pts[i, k, 1]
    ax = p0x - cx
    ay = p0y - cy
    dx = pts[i, k + 1, 0] - p0x
    dy = pts[i, k + 1, 1] - p0y
    qa = dx * dx + dy * dy
    qb = 2.0 * (ax * dx + ay * dy)
    qc = ax * ax + ay * ay - r * r
    disc = qb * qb - 4.0 * qa * qc
    if not (disc >= 0 and qa > 0):
        return np.inf, np.inf
    sq = math.sqrt(disc)
    s1 = (-qb - sq) / (2 * qa)
    s2 = (-qb + sq) / (2 * qa)
    lo_s = max(s1, 0.0)
    hi_s = min(s2, 1.0)
    if not lo_s <= hi_s:
        return np.inf, np.inf
    tk = times[i, k]
    dt = times[i, k + 1] - tk
    return tk + lo_s * dt, tk + hi_s * dt


@njit(cache=True)
def pair_entry_exit(pts, times, i, cx, cy, r, rmax):
    """First entry into one circle, and the end of that visit, for route ``i``
    (``inf, inf`` if it never enters). Only legs whose bounding box, grown by ``rmax``, holds
    the centre are solved (the filter of the vectorised kernel it replaced)."""
    t_in = np.inf
    t_out = np.inf
    for k in range(times.shape[1] - 1):
        if not _in_box(pts, i, k, cx, cy, rmax):
            continue
        te, tx = _leg_entry_exit(pts, times, i, k, cx, cy, r)
        if not math.isfinite(te):
            continue
        if not math.isfinite(t_in):
            t_in = te
            t_out = tx
        elif abs(te - t_out) < 1e-6:  # the visit goes on over the next leg
            t_out = tx
    return t_in, t_out


@njit(cache=True)
def sorted_centres_x(centers):
    """Centres' x in increasing order, and the order."""
    order = np.argsort(centers[:, 0], kind="mergesort")
    return centers[order, 0].copy(), order


@njit(cache=True)
def _lower(xs, v):
    """First index of the sorted ``xs`` with ``xs[index] >= v`` (``searchsorted``, left)."""
    lo = 0
    hi = xs.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if xs[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _upper(xs, v):
    """First index of the sorted ``xs`` with ``xs[index] > v`` (``searchsorted``, right)."""
    lo = 0
    hi = xs.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if xs[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def circles_near_route(pts, i, xs, order, centers, rmax, mark, stamp, out):
    """The circles (in increasing index order, written to ``out``; returns their number)
    whose centre lies in the bounding box of a leg of route i grown by ``rmax``: the only ones
    that :func:`pair_entry_exit` solves. ``xs``/``order``: :func:`sorted_centres_x`; ``mark`` holds
    ``stamp`` for circles already taken."""
    n_out = 0
    for k in range(pts.shape[1] - 1):
        p0x = pts[i, k, 0]
        p1x = pts[i, k + 1, 0]
        y_lo = min(pts[i, k, 1], pts[i, k + 1, 1]) - rmax
        y_hi = max(pts[i, k, 1], pts[i, k + 1, 1]) + rmax
        for q in range(_lower(xs, min(p0x, p1x) - rmax), _upper(xs, max(p0x, p1x) + rmax)):
            j = order[q]
            if mark[j] != stamp and centers[j, 1] >= y_lo and centers[j, 1] <= y_hi:
                mark[j] = stamp
                r = n_out  # insertion in increasing order
                while r > 0 and out[r - 1] > j:
                    out[r] = out[r - 1]
                    r -= 1
                out[r] = j
                n_out += 1
    return n_out


@njit(cache=True)
def circle_entry_exit(pts, times, centers, rad, rmax):
    """Kernel of :func:`sim.model.geometry.circle_entry_exit`. ``rad`` is (1 or N, 1 or M)
    and broadcasts over routes and circles; ``rmax`` is its maximum."""
    n = pts.shape[0]
    m = centers.shape[0]
    t_enter = np.full((n, m), np.inf)
    t_exit = np.full((n, m), np.inf)
    per_route = rad.shape[0] > 1
    per_circle = rad.shape[1] > 1
    xs, order = sorted_centres_x(centers)
    mark = np.full(m, -1, np.int64)
    near = np.empty(m, np.int64)
    for i in range(n):
        ri = i if per_route else 0
        for q in range(circles_near_route(pts, i, xs, order, centers, rmax, mark, i, near)):
            j = near[q]
            r = rad[ri, j if per_circle else 0]
            te, tx = pair_entry_exit(pts, times, i, centers[j, 0], centers[j, 1], r, rmax)
            t_enter[i, j] = te
            t_exit[i, j] = tx
    return t_enter, t_exit


@njit(cache=True)
def first_entry(pts, times, centers, reach, detects):
    """Earliest first entry of each route into the circles (radius ``reach[i]`` for route i)
    that ``detects[i, j]`` marks (``inf`` if none): radar detection. Legs are taken in order
    and the search stops at the first leg that enters such a circle (a later leg cannot enter
    one earlier)."""
    n = pts.shape[0]
    out = np.full(n, np.inf)
    rmax = 0.0
    for i in range(n):
        rmax = max(rmax, reach[i])
    xs, order = sorted_centres_x(centers)
    for i in range(n):
        best = np.inf
        for k in range(pts.shape[1] - 1):
            p0x = pts[i, k, 0]
            p1x = pts[i, k + 1, 0]
            for q in range(_lower(xs, min(p0x, p1x) - rmax), _upper(xs, max(p0x, p1x) + rmax)):
                j = order[q]
                if detects[i, j] and _in_box(pts, i, k, centers[j, 0], centers[j, 1], rmax):
                    te, _ = _leg_entry_exit(pts, times, i, k, centers[j, 0], centers[j, 1],
                                            reach[i])
                    best = min(best, te)
            if best < np.inf:
                break
        out[i] = best
    return out


@njit(cache=True)
def within_reach(points, centers, radius):
    """Kernel of :func:`sim.model.geometry.within_reach`: whether some centre lies within
    ``radius`` of each point (``hypot(dx, dy) <= radius``), looking only at the centres whose
    x lies near the point's."""
    n = points.shape[0]
    out = np.zeros(n, np.bool_)
    if centers.shape[0] == 0:
        return out
    xs, order = sorted_centres_x(centers)
    pad = radius * (1.0 + 1e-9) + 1e-9  # wider than any rounding of |dx| <= radius
    for i in range(n):
        px = points[i, 0]
        py = points[i, 1]
        for q in range(_lower(xs, px - pad), _upper(xs, px + pad)):
            j = order[q]
            if math.hypot(px - centers[j, 0], py - centers[j, 1]) <= radius:
                out[i] = True
                break
    return out


@njit(cache=True)
def _smallest_root_in(a, b, c, lo, hi):
    """Smallest s in [lo, hi] where ``a s^2 + b s + c`` (>= 0 at 0) reaches 0 (NaN: none)."""
    if hi < lo:
        return np.nan
    f_lo = (a * lo + b) * lo + c
    if f_lo <= 1e-12:
        return lo
    if abs(a) < 1e-15:
        if abs(b) < 1e-15:
            return np.nan
        s = -c / b
        return s if lo <= s <= hi else np.nan
    disc = b * b - 4.0 * a * c
    if disc < 0:
        return np.nan
    sq = math.sqrt(disc)
    q = -0.5 * (b + math.copysign(sq, b))
    r1 = q / a
    r2 = c / q if q != 0 else r1
    best = np.nan
    if lo <= r1 <= hi:
        best = r1
    if lo <= r2 <= hi and (math.isnan(best) or r2 < best):
        best = r2
    return best


@njit(cache=True)
def intercept(pts, times, px, py, t0, speed, t_max):
    """Kernel of :func:`sim.model.geometry.intercept` for one route ``pts`` (K+1, 2),
    ``times`` (K+1,)."""
    v2 = speed * speed
    n = times.shape[0]
    for k in range(n - 1):
        tk = times[k]
        tk1 = times[k + 1]
        if tk1 < t0:
            continue
        if tk > t_max:
            break
        dt = tk1 - tk
        if dt <= 0:
            continue
        ax = pts[k, 0]
        ay = pts[k, 1]
        ux = (pts[k + 1, 0] - ax) / dt
        uy = (pts[k + 1, 1] - ay) / dt
        dx = ax + ux * (t0 - tk) - px
        dy = ay + uy * (t0 - tk) - py
        a = ux * ux + uy * uy - v2
        b = 2.0 * (dx * ux + dy * uy)
        c = dx * dx + dy * dy
        s_lo = max(tk - t0, 0.0)
        s_hi = min(tk1, t_max) - t0
        s = _smallest_root_in(a, b, c, s_lo, s_hi)
        if not math.isnan(s):
            return t0 + s
    return np.inf


@njit(cache=True)
def position_at(pts, times, t):
    """Kernel of :func:`sim.model.geometry.position_at` (one route)."""
    n = times.shape[0]
    if t <= times[0]:
        return pts[0, 0], pts[0, 1]
    k = n - 1  # bisect_right(times, t) - 1
    for q in range(n):
        if times[q] > t:
            k = q - 1
            break
    if k >= n - 1:
        return pts[n - 1, 0], pts[n - 1, 1]
    f = (t - times[k]) / (times[k + 1] - times[k])
    ax = pts[k, 0]
    ay = pts[k, 1]
    return ax + f * (pts[k + 1, 0] - ax), ay + f * (pts[k + 1, 1] - ay)


# --------------------------------------------------------------------------------------------
# Raid generation
# --------------------------------------------------------------------------------------------


@njit(cache=True)
def _push_point(x, y, guard, centers, radii, edge, r2, passes):
    """One waypoint pushed out of the circles it may leave (``guard``): while it lies inside
    one, it moves radially to the edge of the circle it is deepest in; where circles overlap
    that edge can lie in a neighbour, so this repeats (at most ``passes`` times)."""
    for _ in range(passes):
        jj = -1
        best = -np.inf
        bdx = 0.0
        bdy = 0.0
        bdist = 0.0
        for j in range(centers.shape[0]):
            dx = x - centers[j, 0]
            dy = y - centers[j, 1]
            d2 = dx * dx + dy * dy
            if d2 < r2[j] and guard[j]:
                dist = math.sqrt(d2)
                score = radii[j] - dist
                if jj < 0 or score > best:  # the deepest; the first of equals
                    jj = j
                    best = score
                    bdx = dx
                    bdy = dy
                    bdist = dist
        if jj < 0:
            break
        nn = max(bdist, 1e-6)
        x = centers[jj, 0] + bdx / nn * edge[jj]
        y = centers[jj, 1] + bdy / nn * edge[jj]
    return x, y


@njit(cache=True)
def routes(start, end, offsets, centers, radii, avoid, passes, t_launch, speed, border_km):
    """Routes of a raid (:func:`sim.model.threat.generate_raid`): from ``start`` to ``end``
    through dog-leg waypoints at ``offsets`` (N, K) km off the straight line at equal
    fractions of it, each pushed out of the circles (``centers``, ``radii``) that do not hold
    the drone's target when ``avoid``. Returns the points (N, K+2, 2), the times at them
    (N, K+2) at constant ``speed`` from ``t_launch``, and the time each drone has flown
    ``border_km`` (or its whole route, if shorter)."""
    n = start.shape[0]
    kw = offsets.shape[1]
    kp = kw + 2
    z = centers.shape[0]
    pts = np.empty((n, kp, 2))
    times = np.empty((n, kp))
    t_border = np.empty(n)
    edge = radii * (1.0 + 1e-9)
    r2 = radii * radii
    guard = np.zeros(z, np.bool_)
    cum = np.empty(kp)
    for i in range(n):
        sx = start[i, 0]
        sy = start[i, 1]
        ex = end[i, 0]
        ey = end[i, 1]
        pts[i, 0, 0] = sx
        pts[i, 0, 1] = sy
        pts[i, kp - 1, 0] = ex
        pts[i, kp - 1, 1] = ey
        if kw:
            vx = ex - sx
            vy = ey - sy
            length = max(math.hypot(vx, vy), 1e-9)
            nx = -vy / length
            ny = vx / length
            if avoid:
                for q in range(z):
                    gx = ex - centers[q, 0]
                    gy = ey - centers[q, 1]
                    guard[q] = gx * gx + gy * gy > r2[q]
            for j in range(kw):
                f = (j + 1) / (kw + 1)
                wx = sx + f * vx + offsets[i, j] * nx
                wy = sy + f * vy + offsets[i, j] * ny
                if avoid:
                    wx, wy = _push_point(wx, wy, guard, centers, radii, edge, r2, passes)
                pts[i, j + 1, 0] = wx
                pts[i, j + 1, 1] = wy
        c = 0.0
        cum[0] = 0.0
        times[i, 0] = t_launch[i]
        for q in range(kp - 1):
            c = c + math.hypot(pts[i, q + 1, 0] - pts[i, q, 0], pts[i, q + 1, 1] - pts[i, q, 1])
            cum[q + 1] = c
            times[i, q + 1] = t_launch[i] + c / speed[i]
        b = min(border_km[i], cum[kp - 1])
        cnt = 0
        for q in range(kp):
            if cum[q] <= b:
                cnt += 1
        k = min(max(cnt - 1, 0), kp - 2)
        c0 = cum[k]
        f = (b - c0) / max(cum[k + 1] - c0, 1e-12)
        t_border[i] = times[i, k] + f * (times[i, k + 1] - times[i, k])
    return pts, times, t_border
