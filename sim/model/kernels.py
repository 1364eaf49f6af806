"""Compiled kernels of one night: circle entry and exit, collision-course intercepts, the
push-out of waypoints from defended circles, and the interceptor battle's event loop.

Compiled with numba (``njit(cache=True)``): the machine code is written next to this file (or
to numba's user cache when that is read-only) the first time a kernel runs, and later
processes load it instead of compiling. This module imports numba, so the modules that use it
(:mod:`sim.model.geometry`, :mod:`sim.model.engagement`, :mod:`sim.model.threat`,
:mod:`sim.model.sensors`) import it inside their functions: ``python -m sim --help`` and
``python -m sim validate`` never load numba.

The arithmetic follows the vectorised and plain-Python formulations it replaced operation by
operation (same order, no fast-math), so results are the same to the last bit; the tests
compare the kernels with plain reference implementations (``tests/model/reference_*.py``) on
random inputs.

Engagement state (:func:`engage`) is a tuple of arrays, ``S``; its layout is built by
:func:`sim.model.engagement.run_interceptors` and named by the ``_S_*`` constants below.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


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
def _pair_entry_exit(pts, times, i, cx, cy, r, rmax):
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
def _sorted_x(centers):
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
def _near(pts, i, xs, order, centers, rmax, mark, stamp, out):
    """The circles (in increasing index order, written to ``out``; returns their number)
    whose centre lies in the bounding box of a leg of route i grown by ``rmax``: the only ones
    that :func:`_pair_entry_exit` solves. ``xs``/``order``: :func:`_sorted_x`; ``mark`` holds
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
    xs, order = _sorted_x(centers)
    mark = np.full(m, -1, np.int64)
    near = np.empty(m, np.int64)
    for i in range(n):
        ri = i if per_route else 0
        for q in range(_near(pts, i, xs, order, centers, rmax, mark, i, near)):
            j = near[q]
            r = rad[ri, j if per_circle else 0]
            te, tx = _pair_entry_exit(pts, times, i, centers[j, 0], centers[j, 1], r, rmax)
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
    xs, order = _sorted_x(centers)
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
    xs, order = _sorted_x(centers)
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


# --------------------------------------------------------------------------------------------
# The interceptor battle (sim.model.engagement)
# --------------------------------------------------------------------------------------------

# The battle's state ``S`` is one tuple of arrays (positions below); the sortie log ``lg`` is a
# separate tuple because it grows: ``(ints (L, 4): drone, team, programme, attacks; floats
# (L, 2): t_launch, t_end; flags (L, 2): killed, recovered)`` with ``ctl[_LOG_N]`` rows used.
# ``S[S_PK]`` is (N, 2): each drone's kill probability by Ukraine's own units (0) and by the
# programme (1); a site is never an option for a drone its force cannot kill (pk 0).
(S_PTS, S_TIMES, S_GONE, S_PK, S_USHOT, S_UREC, S_SPAN_S, S_SPAN_E, S_SITE, S_LEAD, S_OUT,
 S_TEAM_XY, S_TEAM_PROG, S_CREW_OFF, S_CREW_FREE, S_CREW_LEFT, S_BEST_CREW, S_KILLED,
 S_T_KILL, S_KILL_PROG, S_SHOTS, S_IPAR, S_FPAR, S_COUNTS, S_HEAP_T, S_HEAP_I, S_CTL,
 S_BATCH, S_OPT_F, S_OPT_I) = range(30)
# Float parameters (``fpar``)
P_V, P_R, P_ENDURANCE, P_DELAY, P_RESET, P_TURN, P_RECOVER, P_LOOK, P_WINDOW, P_T_NOW = range(10)
# Integer parameters (``ipar``)
P_REENGAGE, P_MAX_ATTACKS, P_OPTIMAL = range(3)
# Counter rows (``counts``, columns: existing units 0, programme 1)
C_POOL, C_LAUNCHED, C_KILLS, C_EXPENDED, C_RECOVERED = range(5)
# Control slots (``ctl``): heap size, log rows used, drones in the batch handed back
CTL_HEAP_N, CTL_LOG_N, CTL_N_READY = range(3)

DONE = 0
NEED_ASSIGNMENT = 1  # engage() hands a batch of ready drones to the optimal allocator


@njit(cache=True)
def candidates(pts, times, drones, teams_xy, radius, lead_s):
    """Launch sites that can meet each engageable drone: for drone ``drones[d]``, the sites
    whose envelope (radius ``radius``) its route enters, sorted by entry time (then site).
    Returns ``(start, end, site, lead, out)``: its pairs are ``start[d]:end[d]`` of the flat
    arrays; ``lead`` is the entry time minus ``lead_s``, ``out`` the end of the first visit."""
    nd = drones.shape[0]
    m = teams_xy.shape[0]
    start = np.zeros(nd, np.int64)
    end = np.zeros(nd, np.int64)
    cap = max(16, 4 * nd)
    site = np.empty(cap, np.int64)
    t_in = np.empty(cap)
    t_out = np.empty(cap)
    xs, order = _sorted_x(teams_xy)
    mark = np.full(m, -1, np.int64)
    near = np.empty(m, np.int64)
    p = 0
    for d in range(nd):
        i = drones[d]
        start[d] = p
        for q in range(_near(pts, i, xs, order, teams_xy, radius, mark, d, near)):
            j = near[q]
            te, tx = _pair_entry_exit(pts, times, i, teams_xy[j, 0], teams_xy[j, 1], radius,
                                      radius)
            if not math.isfinite(te):
                continue
            if p == site.shape[0]:
                site = np.concatenate((site, np.empty(site.shape[0], np.int64)))
                t_in = np.concatenate((t_in, np.empty(t_in.shape[0])))
                t_out = np.concatenate((t_out, np.empty(t_out.shape[0])))
            # insertion by (entry time, site): sites arrive in increasing order
            q = p
            while q > start[d] and t_in[q - 1] > te:
                site[q] = site[q - 1]
                t_in[q] = t_in[q - 1]
                t_out[q] = t_out[q - 1]
                q -= 1
            site[q] = j
            t_in[q] = te
            t_out[q] = tx
            p += 1
        end[d] = p
    lead = t_in[:p] - lead_s
    return start, end, site[:p].copy(), lead, t_out[:p].copy()


@njit(cache=True)
def _less(t1, i1, t2, i2):
    return t1 < t2 or (t1 == t2 and i1 < i2)


@njit(cache=True)
def heap_push(S, t, i):
    """Push ``(t, i)`` on the event heap (a binary heap ordered by time, then drone)."""
    heap_t, heap_i, ctl = S[S_HEAP_T], S[S_HEAP_I], S[S_CTL]
    n = ctl[CTL_HEAP_N]
    if n >= heap_t.shape[0]:
        raise RuntimeError("engagement event heap overflow")
    k = n
    while k > 0:
        parent = (k - 1) >> 1
        if not _less(t, i, heap_t[parent], heap_i[parent]):
            break
        heap_t[k] = heap_t[parent]
        heap_i[k] = heap_i[parent]
        k = parent
    heap_t[k] = t
    heap_i[k] = i
    ctl[CTL_HEAP_N] = n + 1


@njit(cache=True)
def _heap_pop(S):
    heap_t, heap_i, ctl = S[S_HEAP_T], S[S_HEAP_I], S[S_CTL]
    n = ctl[CTL_HEAP_N] - 1
    t0 = heap_t[0]
    i0 = heap_i[0]
    lt = heap_t[n]
    li = heap_i[n]
    ctl[CTL_HEAP_N] = n
    k = 0
    while True:
        c = 2 * k + 1
        if c >= n:
            break
        if c + 1 < n and _less(heap_t[c + 1], heap_i[c + 1], heap_t[c], heap_i[c]):
            c += 1
        if not _less(heap_t[c], heap_i[c], lt, li):
            break
        heap_t[k] = heap_t[c]
        heap_i[k] = heap_i[c]
        k = c
    if n > 0:
        heap_t[k] = lt
        heap_i[k] = li
    return t0, i0


@njit(cache=True)
def init_heap(S, drones, ready):
    """The first decision time of each drone that can be engaged before it is gone."""
    t_gone = S[S_GONE]
    for d in range(drones.shape[0]):
        i = drones[d]
        if ready[d] < t_gone[i]:
            heap_push(S, ready[d], i)


@njit(cache=True)
def free_crew(S, j):
    """The crew of site j that is free first and has a sortie left (-1 if none); cached per
    site in ``best_crew`` (-2: to be recomputed)."""
    crew_off, crew_free, crew_left, best_crew = (S[S_CREW_OFF], S[S_CREW_FREE], S[S_CREW_LEFT],
                                                 S[S_BEST_CREW])
    best = best_crew[j]
    if best == -2:
        best = -1
        best_t = np.inf
        o = crew_off[j]
        for c in range(crew_off[j + 1] - o):
            if crew_left[o + c] > 0 and crew_free[o + c] < best_t:
                best = c
                best_t = crew_free[o + c]
        best_crew[j] = best
    return best


@njit(cache=True)
def options(S, i, t_now, earliest_only):
    """Feasible ``(t_intercept, team, t_launch, crew)`` for drone i decided at ``t_now``,
    written to the rows of ``S[S_OPT_F]`` (t_intercept, t_launch) and ``S[S_OPT_I]`` (team,
    crew) in the order of envelope entry; returns their number. With ``earliest_only`` the scan
    stops once no later site can intercept earlier than the best found (no interceptor meets
    the drone before it enters that site's envelope), so the earliest option is among them."""
    pts, times, t_gone = S[S_PTS], S[S_TIMES], S[S_GONE]
    span_s, span_e = S[S_SPAN_S], S[S_SPAN_E]
    c_site, c_lead, c_out = S[S_SITE], S[S_LEAD], S[S_OUT]
    teams_xy, team_prog = S[S_TEAM_XY], S[S_TEAM_PROG]
    crew_off, crew_free = S[S_CREW_OFF], S[S_CREW_FREE]
    fpar, counts, pk = S[S_FPAR], S[S_COUNTS], S[S_PK]
    out_f, out_i = S[S_OPT_F], S[S_OPT_I]
    n_out = 0
    s = span_s[i]
    e = span_e[i]
    v = fpar[P_V]
    delay = fpar[P_DELAY]
    t_limit = t_gone[i]
    lead_s = fpar[P_R] / v
    best = np.inf
    for p in range(s, e):
        t_lead = c_lead[p]
        if t_lead + delay > t_limit or (earliest_only and t_lead + lead_s > best):
            break
        if t_lead > t_now + delay + 1e-9:
            break  # just in time: this site, and the later ones, are decided when the drone
            # nears them (leads only grow along the list)
        j = c_site[p]
        if counts[C_POOL, team_prog[j]] <= 0 or pk[i, team_prog[j]] <= 0.0:
            continue
        c = free_crew(S, j)
        if c < 0:
            continue
        t_out = c_out[p]
        t_launch = max(max(t_lead, t_now + delay), crew_free[crew_off[j] + c] + delay)
        end = min(t_out, t_limit)
        if t_launch >= end:
            continue
        if t_launch <= t_lead + 1e-6:  # launch on time: meet it at the envelope edge
            t_launch = t_lead
            t_int = t_lead + lead_s
        else:
            t_int = intercept(pts[i], times[i], teams_xy[j, 0], teams_xy[j, 1], t_launch, v,
                              min(end, t_launch + lead_s))
        if t_int < min(t_limit, t_out + 1e-6):
            out_f[n_out, 0] = t_int
            out_f[n_out, 1] = t_launch
            out_i[n_out, 0] = j
            out_i[n_out, 1] = c
            n_out += 1
            best = min(best, t_int)
    return n_out


@njit(cache=True)
def next_chance(S, i, t_now):
    """Earliest later time at which drone i could get an interceptor (``inf``: never)."""
    t_gone, span_s, span_e = S[S_GONE], S[S_SPAN_S], S[S_SPAN_E]
    c_site, c_lead, c_out = S[S_SITE], S[S_LEAD], S[S_OUT]
    team_prog, crew_off, crew_free = S[S_TEAM_PROG], S[S_CREW_OFF], S[S_CREW_FREE]
    delay = S[S_FPAR][P_DELAY]
    counts, pk = S[S_COUNTS], S[S_PK]
    best = np.inf
    for p in range(span_s[i], span_e[i]):
        j = c_site[p]
        if counts[C_POOL, team_prog[j]] <= 0 or c_out[p] <= t_now or pk[i, team_prog[j]] <= 0.0:
            continue
        c = free_crew(S, j)
        if c < 0:
            continue
        t = max(crew_free[crew_off[j] + c], c_lead[p] - delay)
        if t > t_now:
            best = min(best, t)
    return best if best < t_gone[i] else np.inf


@njit(cache=True)
def requeue(S, i, t_now):
    """Put drone i back on the heap at its next chance, if it has one."""
    t_next = next_chance(S, i, t_now)
    if math.isfinite(t_next):
        heap_push(S, t_next, i)


@njit(cache=True)
def commit(S, lg, i, t_int, j, t_launch, c):
    """Fly crew c of site j at drone i (intercept at ``t_int``, launch at ``t_launch``): the
    shots of the sortie (shoot-look-shoot while ``reengage``), the kill or the miss (recovery,
    drone back on the heap after ``look_s``), and the sortie's log row. Returns the log (a new
    one when it had to grow)."""
    pts, times, t_gone = S[S_PTS], S[S_TIMES], S[S_GONE]
    pk, u_shot, u_rec = S[S_PK], S[S_USHOT], S[S_UREC]
    team_prog, crew_off, crew_free, crew_left, best_crew = (
        S[S_TEAM_PROG], S[S_CREW_OFF], S[S_CREW_FREE], S[S_CREW_LEFT], S[S_BEST_CREW])
    killed_arr, t_kill, kill_prog, shots = S[S_KILLED], S[S_T_KILL], S[S_KILL_PROG], S[S_SHOTS]
    ipar, fpar, counts, ctl = S[S_IPAR], S[S_FPAR], S[S_COUNTS], S[S_CTL]
    prog = team_prog[j]
    counts[C_POOL, prog] -= 1
    counts[C_LAUNCHED, prog] += 1
    crew_left[crew_off[j] + c] -= 1
    best_crew[j] = -2
    attacks = 0
    t_hit = t_int
    killed = False
    while True:
        k = min(shots[i], u_shot.shape[1] - 1)
        shots[i] += 1
        attacks += 1
        if u_shot[i, k] < pk[i, prog]:
            killed = True
            break
        if ipar[P_REENGAGE] == 0 or attacks >= ipar[P_MAX_ATTACKS]:
            break
        # Turn and attack again on a new collision course from the miss point.
        mx, my = position_at(pts[i], times[i], t_hit)
        t_next = intercept(pts[i], times[i], mx, my, t_hit + fpar[P_TURN], fpar[P_V],
                           min(t_gone[i], t_launch + fpar[P_ENDURANCE]))
        if not math.isfinite(t_next):
            break
        t_hit = t_next
    recovered = False
    if killed:
        killed_arr[i] = True
        t_kill[i] = t_hit
        kill_prog[i] = prog
        counts[C_KILLS, prog] += 1
        counts[C_EXPENDED, prog] += 1
    else:
        recovered = u_rec[i, min(attacks, u_rec.shape[1] - 1)] < fpar[P_RECOVER]
        if recovered:
            counts[C_RECOVERED, prog] += 1
            counts[C_POOL, prog] += 1
        else:
            counts[C_EXPENDED, prog] += 1
        heap_push(S, t_hit + fpar[P_LOOK], i)
    crew_free[crew_off[j] + c] = t_hit + fpar[P_RESET]
    best_crew[j] = -2
    log_i, log_f, log_b = lg
    r = ctl[CTL_LOG_N]
    if r == log_i.shape[0]:
        size = 2 * r + 16
        new_i = np.zeros((size, 4), np.int64)
        new_f = np.zeros((size, 2))
        new_b = np.zeros((size, 2), np.bool_)
        new_i[:r] = log_i
        new_f[:r] = log_f
        new_b[:r] = log_b
        log_i, log_f, log_b = new_i, new_f, new_b
    log_i[r, 0] = i
    log_i[r, 1] = j
    log_i[r, 2] = prog
    log_i[r, 3] = attacks
    log_f[r, 0] = t_launch
    log_f[r, 1] = t_hit
    log_b[r, 0] = killed
    log_b[r, 1] = recovered
    ctl[CTL_LOG_N] = r + 1
    return (log_i, log_f, log_b)


@njit(cache=True)
def _option_less(t1, j1, l1, c1, t2, j2, l2, c2):
    """``(t1, j1, l1, c1) < (t2, j2, l2, c2)`` as tuples compare."""
    if t1 != t2:
        return t1 < t2
    if j1 != j2:
        return j1 < j2
    if l1 != l2:
        return l1 < l2
    return c1 < c2


@njit(cache=True)
def _greedy_one(S, lg, i, t_now):
    """Nearest available: drone i to the site that intercepts it first (the smallest
    ``(t_intercept, team, t_launch, crew)``), or back on the heap."""
    n = options(S, i, t_now, True)
    if n == 0:
        requeue(S, i, t_now)
        return lg
    out_f, out_i = S[S_OPT_F], S[S_OPT_I]
    b = 0
    for q in range(1, n):
        if _option_less(out_f[q, 0], out_i[q, 0], out_f[q, 1], out_i[q, 1],
                        out_f[b, 0], out_i[b, 0], out_f[b, 1], out_i[b, 1]):
            b = q
    return commit(S, lg, i, out_f[b, 0], out_i[b, 0], out_f[b, 1], out_i[b, 1])


@njit(cache=True)
def engage(S, lg):
    """Run the event loop: pop the next decision time and every drone ready by then (within
    one C2 cycle for the optimal allocator), drop those killed or gone, and assign the rest
    greedily, one by one. With the optimal allocator a batch of two or more ready drones is
    handed back (``NEED_ASSIGNMENT``: the drones are ``S[S_BATCH][:ctl[CTL_N_READY]]``, the
    decision time ``fpar[P_T_NOW]``); call again to go on. Returns ``(status, lg)``."""
    killed, t_gone = S[S_KILLED], S[S_GONE]
    fpar, ctl, batch = S[S_FPAR], S[S_CTL], S[S_BATCH]
    heap_t = S[S_HEAP_T]
    window = fpar[P_WINDOW]
    optimal = S[S_IPAR][P_OPTIMAL] != 0
    while ctl[CTL_HEAP_N] > 0:
        t_now, i = _heap_pop(S)
        nb = 1
        batch[0] = i
        while ctl[CTL_HEAP_N] > 0 and heap_t[0] <= t_now + window:
            _, k = _heap_pop(S)
            batch[nb] = k
            nb += 1
        if window != 0:
            t_now = t_now + window
        n_ready = 0
        for b in range(nb):
            k = batch[b]
            if not killed[k] and t_now < t_gone[k]:
                batch[n_ready] = k
                n_ready += 1
        if n_ready == 0:
            continue
        if optimal and n_ready > 1:
            ctl[CTL_N_READY] = n_ready
            fpar[P_T_NOW] = t_now
            return NEED_ASSIGNMENT, lg
        for b in range(n_ready):
            lg = _greedy_one(S, lg, batch[b], t_now)
    ctl[CTL_N_READY] = 0
    return DONE, lg
