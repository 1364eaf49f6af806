"""Command and control, interception and kill: the interceptor-drone layer of one night.

Event-driven. Each drone with a track becomes *ready* for assignment when the first launch
site could meet it at the edge of its engagement envelope (or when its track arrives, if
later). At each decision the allocator pairs ready drones with launch sites that have a free
crew, a sortie left and interceptors in stock:

* ``greedy`` (default): drones in order of readiness, each to the site that intercepts it
  earliest ("nearest available").
* ``optimal``: all drones ready within one C2 cycle are assigned together to free crews so as
  to minimise the summed intercept times (``scipy.optimize.linear_sum_assignment``).

Launch timing: a crew launches so that the interceptor meets the drone on a collision course
where the drone enters the envelope (radius ``R = min(max_engagement_range_km,
speed * endurance / 2)``); if the crew is only free later, the collision course is solved from
the actual launch time (:func:`sim.model.geometry.intercept`) and must still meet the drone within
``R`` of the site, before the drone reaches its target or is lost.

Kill: with probability ``pk`` (times ``pk_jet_factor`` against jets, and the factors by the
target's altitude, speed and evasion: :func:`interceptor_pk`); the programme's interceptors may
have their own ``pk`` (``defense.programme.interceptor_pk``). C2 sends no interceptor at a drone
it cannot kill (``pk`` 0 for that force and drone). After a miss the same
interceptor turns and attacks again (shoot-look-shoot) while ``reengage`` is set, fuel lasts
and ``max_attacks_per_sortie`` is not reached; otherwise it is recovered with probability
``p_recover_on_miss`` and the drone becomes ready again ``look_s`` later for another crew.
An interceptor that kills is expended.

Random numbers: every drone has its own pre-drawn uniforms for its k-th shot and k-th
recovery, so the same drone meets the same luck whichever crew engages it (common random
numbers across policies).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MAX_SHOTS = 16  # uniforms pre-drawn per drone; a drone is never engaged more often in a night


@dataclass
class Teams:
    """Launch sites active tonight (index j). ``programme[j]`` is 1 for the funded programme,
    0 for Ukraine's existing units; ``pool`` is indexed by that flag."""

    xy: np.ndarray  # (T, 2) km
    programme: np.ndarray  # (T,) int 0/1
    crews: np.ndarray  # (T,) int
    sorties_per_crew: int
    team_sorties: np.ndarray | None = None  # (T,) sorties a crew of each site flies (default all
    # ``sorties_per_crew``; the national force may fly fewer: defense.national_force.sorties)

    def crew_sorties(self) -> np.ndarray:
        """(crews,) sorties each crew can fly tonight, in the kernels' crew order."""
        crews = np.asarray(self.crews, np.int64).reshape(-1)
        if self.team_sorties is None:
            return np.full(int(crews.sum()), int(self.sorties_per_crew), np.int64)
        return np.repeat(np.asarray(self.team_sorties, np.int64).reshape(-1), crews)

    @property
    def n(self) -> int:
        return int(self.xy.shape[0])


def _empty(dtype):
    return field(default_factory=lambda: np.zeros(0, dtype))


@dataclass
class EngagementLog:
    """One row per interceptor sortie (an interceptor launched at a drone), as arrays in the
    order the sorties were flown."""

    attacker: np.ndarray = _empty(np.int64)  # drone index
    team: np.ndarray = _empty(np.int64)  # launch site index (of tonight's teams)
    programme: np.ndarray = _empty(np.int64)  # 1: the funded programme, 0: existing units
    t_launch: np.ndarray = _empty(float)
    t_end: np.ndarray = _empty(float)
    attacks: np.ndarray = _empty(np.int64)  # attacks flown in this sortie
    killed: np.ndarray = _empty(bool)
    recovered: np.ndarray = _empty(bool)


@dataclass
class InterceptResult:
    killed: np.ndarray  # (N,) bool
    t_kill: np.ndarray  # (N,) s
    kill_programme: np.ndarray  # (N,) int, -1 if not killed by an interceptor
    launched: np.ndarray  # (2,) interceptors launched by existing (0) / programme (1)
    kills: np.ndarray  # (2,)
    expended: np.ndarray  # (2,)
    recovered: np.ndarray  # (2,)
    log: EngagementLog


def split_log(log: EngagementLog, n_first: int):
    """Each sortie's team and whether it killed, split between the force whose sites are the
    first ``n_first`` teams and the other (whose team indexes restart at 0):
    ``((team, killed), (team, killed))``."""
    team = np.asarray(log.team, dtype=np.int64)
    killed = np.asarray(log.killed, dtype=bool)
    first = team < n_first
    return (team[first], killed[first]), (team[~first] - n_first, killed[~first])


def table_factor(table, x: np.ndarray) -> np.ndarray | float:
    """A :class:`~sim.config.tactics.KillTable` at ``x`` (1 when there is no table)."""
    if table is None:
        return 1.0
    return np.interp(x, table.x, table.factor)


def interceptor_pk(raid, icfg, pk: float | None = None) -> np.ndarray:
    """Kill probability of one interceptor attack on each drone of the raid: ``pk`` (default
    ``icfg.pk``) times the jet factor (jets), the altitude and speed tables and the evasion
    factor (evading drones)."""
    base = icfg.pk if pk is None else float(pk)
    pk = np.where(raid.kind == 1, base * icfg.pk_jet_factor, base)
    if icfg.pk_by_altitude_m is not None:
        pk = pk * table_factor(icfg.pk_by_altitude_m, raid.altitude_m)
    if icfg.pk_by_speed_kmh is not None:
        pk = pk * table_factor(icfg.pk_by_speed_kmh, raid.speed_kms * 3600.0)
    if raid.evading is not None and icfg.pk_evading_factor != 1.0:
        pk = np.where(raid.evading, pk * icfg.pk_evading_factor, pk)
    return pk


def envelope_radius_km(icfg) -> float:
    """Engagement envelope radius: range limit, and out-and-back on the endurance."""
    return min(icfg.max_engagement_range_km, icfg.speed_kmh * icfg.endurance_min / 60.0 / 2.0)


def _kernels():
    """The compiled kernels (imported on first use: numba stays out of start-up)."""
    from sim.model import kernels

    return kernels


def pk_by_force(raid, icfg, programme_pk: float | None = None) -> np.ndarray:
    """(N, 2) kill probability of one attack on each drone by Ukraine's own units (column 0,
    ``icfg.pk``) and by the programme (column 1, ``programme_pk``, default ``icfg.pk``)."""
    n = raid.n
    own = np.broadcast_to(interceptor_pk(raid, icfg), (n,))
    prog = own if programme_pk is None else np.broadcast_to(
        interceptor_pk(raid, icfg, programme_pk), (n,))
    return np.ascontiguousarray(np.stack([own, prog], axis=1), dtype=float)


def _state(raid, t_track, t_gone, engageable, teams: Teams, pool, icfg, crews_cfg, allocator,
           c2_cycle_s, u_shot, u_rec, programme_pk=None):
    """The battle's state as the tuple of arrays the kernels take (layout: ``S_*`` in
    :mod:`sim.model.kernels`), and the initial sortie log."""
    K = _kernels()
    n = raid.n
    v = icfg.speed_kmh / 3600.0
    R = envelope_radius_km(icfg)
    pts = np.ascontiguousarray(raid.pts, dtype=float)
    times = np.ascontiguousarray(raid.times, dtype=float)
    gone = np.ascontiguousarray(t_gone, dtype=float)
    span_s = np.zeros(n, np.int64)
    span_e = np.zeros(n, np.int64)
    idx = np.nonzero(engageable)[0].astype(np.int64)
    xy = np.ascontiguousarray(teams.xy, dtype=float).reshape(-1, 2)
    heap_t = np.empty(n + 1)
    heap_i = np.empty(n + 1, np.int64)
    ctl = np.zeros(3, np.int64)
    if len(idx) and teams.n:
        start, end, site, lead, out = K.candidates(pts, times, idx, xy, float(R), R / v)
    else:
        start = end = np.zeros(len(idx), np.int64)
        site, lead, out = np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    span_s[idx] = start
    span_e[idx] = end
    has = end > start
    drones = idx[has]
    ready = np.maximum(np.asarray(t_track, float)[drones], lead[start[has]] - icfg.launch_delay_s)
    crews = np.asarray(teams.crews, np.int64).reshape(-1)
    crew_off = np.zeros(len(crews) + 1, np.int64)
    np.cumsum(crews, out=crew_off[1:])
    n_crews = int(crew_off[-1])
    max_opts = int(np.max(end - start)) if len(idx) else 0
    fpar = np.array([v, R, icfg.endurance_min * 60.0, icfg.launch_delay_s, crews_cfg.reset_s,
                     icfg.reattack_turn_s, icfg.p_recover_on_miss, icfg.look_s,
                     c2_cycle_s if allocator == "optimal" else 0.0, 0.0])
    ipar = np.array([int(bool(icfg.reengage)), int(icfg.max_attacks_per_sortie),
                     int(allocator == "optimal")], np.int64)
    counts = np.zeros((5, 2), np.int64)
    counts[K.C_POOL] = [int(pool[0]), int(pool[1])]
    S = (
        pts, times, gone,
        pk_by_force(raid, icfg, programme_pk),
        u_shot, u_rec, span_s, span_e, site, lead, out, xy,
        np.asarray(teams.programme, np.int64).reshape(-1), crew_off,
        np.zeros(n_crews), teams.crew_sorties(),
        np.full(len(crews), -2, np.int64),
        np.zeros(n, bool), np.full(n, np.inf), np.full(n, -1, np.int64), np.zeros(n, np.int64),
        ipar, fpar, counts, heap_t, heap_i, ctl, np.zeros(n + 1, np.int64),
        np.zeros((max_opts, 2)), np.zeros((max_opts, 2), np.int64),
    )
    K.init_heap(S, drones, np.ascontiguousarray(ready, dtype=float))
    size = min(int(teams.crew_sorties().sum()), 4 * n + 16)
    lg = (np.zeros((size, 4), np.int64), np.zeros((size, 2)), np.zeros((size, 2), bool))
    return S, lg


def _optimal_batch(S, lg, ready: list[int], t_now: float):
    """Assign all drones ready in one C2 cycle at once, minimising summed intercept times
    (``scipy.optimize.linear_sum_assignment``). Columns are the currently free crews (one per
    crew with a sortie left); a drone left unassigned is requeued. Returns the log."""
    from scipy.optimize import linear_sum_assignment  # only the optimal allocator needs it

    K = _kernels()
    crew_off, crew_free, crew_left = S[K.S_CREW_OFF], S[K.S_CREW_FREE], S[K.S_CREW_LEFT]

    def opts_of(i):
        n = K.options(S, i, t_now, False)
        f, g = S[K.S_OPT_F], S[K.S_OPT_I]
        return [(float(f[q, 0]), int(g[q, 0]), float(f[q, 1]), int(g[q, 1])) for q in range(n)]

    opts = {i: opts_of(i) for i in ready}
    teams = sorted({o[1] for lst in opts.values() for o in lst})
    cols = []
    for j in teams:
        o = int(crew_off[j])
        n_c = int(crew_off[j + 1]) - o
        free = [c for c in range(n_c) if crew_left[o + c] > 0]
        free.sort(key=lambda c, o=o: crew_free[o + c])
        cols.extend((j, c) for c in free)
    if not cols:
        for i in ready:
            K.requeue(S, i, t_now)
        return lg
    big = 1e12
    cost = np.full((len(ready), len(cols)), big)
    col_of = {jc: k for k, jc in enumerate(cols)}
    for r, i in enumerate(ready):
        for t_int, j, _t_launch, _c in opts[i]:
            # Any free crew of team j can fly it; later crews launch no earlier.
            o = int(crew_off[j])
            for c in range(int(crew_off[j + 1]) - o):
                k = col_of.get((j, c))
                if k is not None:
                    cost[r, k] = t_int + max(0.0, float(crew_free[o + c]) - t_now) * 1e-3
    rows, ks = linear_sum_assignment(cost)
    done = set()
    killed = S[K.S_KILLED]
    for r, k in zip(rows, ks, strict=True):
        if cost[r, k] >= big:
            continue
        i = ready[r]
        j, c = cols[k]
        # Recompute the option for this exact crew (its free time may differ).
        opt = [o for o in opts_of(i) if o[1] == j]
        if opt and crew_left[int(crew_off[j]) + c] > 0:
            t_int, _, t_launch, _ = opt[0]
            lg = K.commit(S, lg, i, t_int, j, t_launch, c)
            done.add(i)
    for i in ready:
        if i not in done and not killed[i]:
            K.requeue(S, i, t_now)
    return lg


def run_interceptors(raid, t_track, t_gone, engageable, teams: Teams, pool, icfg, crews_cfg,
                     allocator: str, c2_cycle_s: float, rng: np.random.Generator,
                     programme_pk: float | None = None) -> InterceptResult:
    """Fight one night's interceptor battle (the event loop is compiled:
    :func:`sim.model.kernels.engage`).

    Args:
        raid: the night's :class:`sim.model.threat.Raid`.
        t_track: (N,) time each drone's track reaches C2 (``inf`` if never).
        t_gone: (N,) time each drone stops being a target (impact, or lost to EW).
        engageable: (N,) which drones the interceptors can engage at all (type, altitude).
        teams: active launch sites.
        pool: interceptors in stock tonight, for existing units (0) and the programme (1).
        icfg, crews_cfg: the scenario's ``defense.interceptor`` and ``defense.crews``.
        allocator: ``"greedy"`` or ``"optimal"``.
        c2_cycle_s: batch window of the optimal allocator.
        rng: engagement stream.
        programme_pk: the programme's interceptors' ``pk`` (``defense.programme.
            interceptor_pk``; default ``icfg.pk``, as Ukraine's own units).
    """
    K = _kernels()
    n = raid.n
    u_shot = rng.random((n, MAX_SHOTS))
    u_rec = rng.random((n, MAX_SHOTS))
    S, lg = _state(raid, t_track, t_gone, engageable, teams, pool, icfg, crews_cfg, allocator,
                   c2_cycle_s, u_shot, u_rec, programme_pk)
    while True:
        status, lg = K.engage(S, lg)
        if status == K.DONE:
            break
        ctl, fpar = S[K.S_CTL], S[K.S_FPAR]
        ready = S[K.S_BATCH][: int(ctl[K.CTL_N_READY])].tolist()
        lg = _optimal_batch(S, lg, ready, float(fpar[K.P_T_NOW]))
    rows = int(S[K.S_CTL][K.CTL_LOG_N])
    log_i, log_f, log_b = (a[:rows] for a in lg)
    log = EngagementLog(
        attacker=log_i[:, 0].copy(), team=log_i[:, 1].copy(), programme=log_i[:, 2].copy(),
        t_launch=log_f[:, 0].copy(), t_end=log_f[:, 1].copy(), attacks=log_i[:, 3].copy(),
        killed=log_b[:, 0].copy(), recovered=log_b[:, 1].copy(),
    )
    counts = S[K.S_COUNTS]
    return InterceptResult(
        killed=S[K.S_KILLED],
        t_kill=S[K.S_T_KILL],
        kill_programme=S[K.S_KILL_PROG],
        launched=counts[K.C_LAUNCHED].copy(),
        kills=counts[K.C_KILLS].copy(),
        expended=counts[K.C_EXPENDED].copy(),
        recovered=counts[K.C_RECOVERED].copy(),
        log=log,
    )
