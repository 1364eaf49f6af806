"""Compiled kernels of the interceptor battle (:mod:`sim.model.engagement`): candidate launch
sites for each drone, the event heap, each drone's options, commits of a crew to a drone, and the
event loop :func:`engage`. See :mod:`sim.model.kernels`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from sim.model.kernels.geometry import (
    circles_near_route,
    intercept,
    pair_entry_exit,
    position_at,
    sorted_centres_x,
)

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
    xs, order = sorted_centres_x(teams_xy)
    mark = np.full(m, -1, np.int64)
    near = np.empty(m, np.int64)
    p = 0
    for d in range(nd):
        i = drones[d]
        start[d] = p
        for q in range(circles_near_route(pts, i, xs, order, teams_xy, radius, mark, d, near)):
            j = near[q]
            te, tx = pair_entry_exit(pts, times, i, teams_xy[j, 0], teams_xy[j, 1], radius,
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
