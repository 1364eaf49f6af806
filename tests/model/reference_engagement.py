"""Plain-Python reference of the interceptor battle (a test oracle).

This is the event loop of :mod:`sim.model.engagement` as it was written in Python before it
was compiled (:func:`sim.model.kernels.engage`), kept so that the tests can check the
compiled loop against it on random nights: the same sorties in the same order, kill times
within 1e-9 s. The package never calls it.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from sim.model.engagement import (
    MAX_SHOTS,
    EngagementLog,
    InterceptResult,
    Teams,
    envelope_radius_km,
    pk_by_force,
)
from tests.model.reference_geometry import circle_entry_exit, intercept, position_at


class _ListLog:
    def __init__(self):
        for k in ("attacker", "team", "programme", "t_launch", "t_end", "attacks", "killed",
                  "recovered"):
            setattr(self, k, [])


class _Night:
    """State of one night's interceptor battle (crews, stock, drone status)."""

    def __init__(self, raid, t_track, t_gone, engageable, teams: Teams, pool, icfg, crews_cfg,
                 u_shot, u_rec, programme_pk=None):
        self.raid = raid
        self.icfg = icfg
        self.v = icfg.speed_kmh / 3600.0
        self.R = envelope_radius_km(icfg)
        self.endurance_s = icfg.endurance_min * 60.0
        self.delay = icfg.launch_delay_s
        self.reset = crews_cfg.reset_s
        self.teams = teams
        self.pool = [int(pool[0]), int(pool[1])]
        self.u_shot = u_shot
        self.u_rec = u_rec
        self.t_gone = t_gone.tolist()  # Python lists: fast scalar access in the solver
        n = raid.n
        self.is_killed = [False] * n
        self.killed = np.zeros(n, dtype=bool)
        self.t_kill = np.full(n, np.inf)
        self.kill_prog = np.full(n, -1, dtype=np.int64)
        self.shots = [0] * n
        self.launched = [0, 0]
        self.kills = [0, 0]
        self.expended = [0, 0]
        self.recovered = [0, 0]
        self.log = _ListLog()
        # Crews: free time and sorties left, per team.
        self.crew_free = [[0.0] * int(c) for c in teams.crews]
        self.crew_left = [[teams.sorties_per_crew] * int(c) for c in teams.crews]
        self._best_crew: dict[int, int] = {}
        self.pk = pk_by_force(raid, icfg, programme_pk).tolist()  # [drone][force]
        # Candidate sites per drone: envelope entry/exit times, sorted by entry, stored flat
        # (pairs of drone i are _site[s:e], _lead[s:e], _out[s:e] with (s, e) = _span[i]).
        idx = np.nonzero(engageable)[0]
        self._span: dict[int, tuple[int, int]] = {}
        self._site: list[int] = []
        self._lead: list[float] = []
        self._out: list[float] = []
        self.ready0: dict[int, float] = {}
        self._routes: dict[int, tuple[list, list]] = {}
        if len(idx) and teams.n:
            t_in, t_out = circle_entry_exit(raid.pts[idx], raid.times[idx], teams.xy, self.R)
            rows, js = np.nonzero(np.isfinite(t_in))
            t_enter = t_in[rows, js]
            order = np.lexsort((t_enter, rows))
            rows, js = rows[order], js[order]
            lead = t_enter[order] - self.R / self.v
            self._site = js.tolist()
            self._lead = lead.tolist()
            self._out = t_out[rows, js].tolist()
            uniq, starts, counts = np.unique(rows, return_index=True, return_counts=True)
            drones = idx[uniq]
            ends = (starts + counts).tolist()
            self._span = dict(zip(drones.tolist(), zip(starts.tolist(), ends, strict=True),
                                  strict=True))
            ready = np.maximum(t_track[drones], lead[starts] - self.delay)
            self.ready0 = dict(zip(drones.tolist(), ready.tolist(), strict=True))
        self.teams_xy = teams.xy.tolist()
        self.team_prog = teams.programme.tolist()

    def route(self, i: int) -> tuple[list, list]:
        """Drone i's route as Python lists (fast scalar access in the solver)."""
        r = self._routes.get(i)
        if r is None:
            r = (self.raid.pts[i].tolist(), self.raid.times[i].tolist())
            self._routes[i] = r
        return r

    # ------------------------------------------------------------------ options
    def _free_crew(self, j: int) -> int:
        """The crew of site j that is free first and has a sortie left (-1 if none); cached
        per site and refreshed when one of its crews is committed."""
        best = self._best_crew.get(j)
        if best is None:
            best, best_t = -1, math.inf
            free, left = self.crew_free[j], self.crew_left[j]
            for c in range(len(free)):
                if left[c] > 0 and free[c] < best_t:
                    best, best_t = c, free[c]
            self._best_crew[j] = best
        return best

    def options(self, i: int, t_now: float, earliest_only: bool = False
                ) -> list[tuple[float, int, float, int]]:
        """Feasible (t_intercept, team, t_launch, crew) for drone i decided at t_now.

        With ``earliest_only`` the scan stops once no later site can intercept earlier than
        the best found (sites are in order of envelope entry, and no interceptor meets the drone
        before it enters that site's envelope), so the earliest option is still among those
        returned (the greedy allocator takes the minimum)."""
        out = []
        best = math.inf
        span = self._span.get(i)
        if span is None:
            return out
        t_limit = self.t_gone[i]
        delay, pool, prog_of = self.delay, self.pool, self.team_prog
        sites, leads, outs = self._site, self._lead, self._out
        lead_s = self.R / self.v
        for p in range(*span):
            t_lead = leads[p]
            if t_lead + delay > t_limit or (earliest_only and t_lead + lead_s > best):
                break
            if t_lead > t_now + delay + 1e-9:
                continue  # just in time: this site is decided when the drone nears it
            j = sites[p]
            if pool[prog_of[j]] <= 0 or self.pk[i][prog_of[j]] <= 0.0:
                continue  # no stock, or C2 sends nothing that cannot kill it
            c = self._free_crew(j)
            if c < 0:
                continue
            t_out = outs[p]
            t_launch = max(t_lead, t_now + delay, self.crew_free[j][c] + delay)
            end = min(t_out, t_limit)
            if t_launch >= end:
                continue
            if t_launch <= t_lead + 1e-6:  # launch on time: meet it at the envelope edge
                t_launch = t_lead
                t_int = t_lead + lead_s
            else:
                pts, times = self.route(i)
                bx, by = self.teams_xy[j]
                t_int = intercept(pts, times, bx, by, t_launch, self.v,
                                  min(end, t_launch + lead_s))
            if t_int < min(t_limit, t_out + 1e-6):
                out.append((t_int, j, t_launch, c))
                best = min(best, t_int)
        return out

    def next_chance(self, i: int, t_now: float) -> float:
        """Earliest later time at which drone i could get an interceptor."""
        best = math.inf
        span = self._span.get(i)
        if span is None:
            return best
        for p in range(*span):
            j, t_lead, t_out = self._site[p], self._lead[p], self._out[p]
            if (self.pool[self.team_prog[j]] <= 0 or t_out <= t_now
                    or self.pk[i][self.team_prog[j]] <= 0.0):
                continue
            c = self._free_crew(j)
            if c < 0:
                continue
            t = max(self.crew_free[j][c], t_lead - self.delay)
            if t > t_now:
                best = min(best, t)
        return best if best < self.t_gone[i] else math.inf

    # ------------------------------------------------------------------ execution
    def commit(self, i: int, opt, heap) -> None:
        t_int, j, t_launch, c = opt
        prog = self.team_prog[j]
        self.pool[prog] -= 1
        self.launched[prog] += 1
        self.crew_left[j][c] -= 1
        self._best_crew.pop(j, None)
        icfg = self.icfg
        attacks = 0
        t_hit = t_int
        killed = False
        while True:
            k = min(self.shots[i], MAX_SHOTS - 1)
            self.shots[i] += 1
            attacks += 1
            if self.u_shot[i, k] < self.pk[i][prog]:
                killed = True
                break
            if not icfg.reengage or attacks >= icfg.max_attacks_per_sortie:
                break
            # Turn and attack again on a new collision course from the miss point.
            pts, times = self.route(i)
            mx, my = position_at(pts, times, t_hit)
            t_next = intercept(pts, times, mx, my, t_hit + icfg.reattack_turn_s, self.v,
                               min(self.t_gone[i], t_launch + self.endurance_s))
            if not math.isfinite(t_next):
                break
            t_hit = t_next
        recovered = False
        if killed:
            self.is_killed[i] = True
            self.killed[i] = True
            self.t_kill[i] = t_hit
            self.kill_prog[i] = prog
            self.kills[prog] += 1
            self.expended[prog] += 1
        else:
            recovered = bool(self.u_rec[i, min(attacks, MAX_SHOTS - 1)] < icfg.p_recover_on_miss)
            if recovered:
                self.recovered[prog] += 1
                self.pool[prog] += 1
            else:
                self.expended[prog] += 1
            heapq.heappush(heap, (t_hit + icfg.look_s, i))
        self.crew_free[j][c] = t_hit + self.reset
        self._best_crew.pop(j, None)
        log = self.log
        log.attacker.append(i)
        log.team.append(j)
        log.programme.append(prog)
        log.t_launch.append(t_launch)
        log.t_end.append(t_hit)
        log.attacks.append(attacks)
        log.killed.append(killed)
        log.recovered.append(recovered)

    def requeue(self, i: int, t_now: float, heap) -> None:
        t_next = self.next_chance(i, t_now)
        if math.isfinite(t_next):
            heapq.heappush(heap, (t_next, i))


def greedy_allocate(night: _Night, ready: list[int], t_now: float, heap) -> None:
    """Nearest-available greedy: each ready drone to the site that intercepts it first."""
    for i in ready:
        opts = night.options(i, t_now, earliest_only=True)
        if opts:
            night.commit(i, min(opts), heap)
        else:
            night.requeue(i, t_now, heap)


def optimal_allocate(night: _Night, ready: list[int], t_now: float, heap) -> None:
    """Assign all drones ready in this C2 cycle at once, minimising summed intercept times.

    Columns are the currently free crews (one column per crew with a sortie left); a drone
    left unassigned is requeued.
    """
    if len(ready) == 1:
        greedy_allocate(night, ready, t_now, heap)
        return
    opts = {i: night.options(i, t_now) for i in ready}
    teams = sorted({o[1] for lst in opts.values() for o in lst})
    cols = []
    for j in teams:
        free = [c for c in range(len(night.crew_free[j])) if night.crew_left[j][c] > 0]
        free.sort(key=lambda c: night.crew_free[j][c])
        cols.extend((j, c) for c in free)
    if not cols:
        for i in ready:
            night.requeue(i, t_now, heap)
        return
    big = 1e12
    cost = np.full((len(ready), len(cols)), big)
    col_of = {jc: k for k, jc in enumerate(cols)}
    for r, i in enumerate(ready):
        for t_int, j, _t_launch, _c in opts[i]:
            # Any free crew of team j can fly it; later crews launch no earlier.
            for c in range(len(night.crew_free[j])):
                k = col_of.get((j, c))
                if k is not None:
                    cost[r, k] = t_int + max(0.0, night.crew_free[j][c] - t_now) * 1e-3
    rows, ks = linear_sum_assignment(cost)
    done = set()
    for r, k in zip(rows, ks, strict=True):
        if cost[r, k] >= big:
            continue
        i = ready[r]
        j, c = cols[k]
        # Recompute the option for this exact crew (its free time may differ).
        opt = [o for o in night.options(i, t_now) if o[1] == j]
        if opt and night.crew_left[j][c] > 0:
            t_int, _, t_launch, _ = opt[0]
            night.commit(i, (t_int, j, t_launch, c), heap)
            done.add(i)
    for i in ready:
        if i not in done and not night.killed[i]:
            night.requeue(i, t_now, heap)


def run_interceptors(raid, t_track, t_gone, engageable, teams: Teams, pool, icfg, crews_cfg,
                     allocator: str, c2_cycle_s: float, rng: np.random.Generator,
                     programme_pk: float | None = None) -> InterceptResult:
    """Fight one night's interceptor battle.

    Args:
        raid: the night's :class:`sim.threat.Raid`.
        t_track: (N,) time each drone's track reaches C2 (``inf`` if never).
        t_gone: (N,) time each drone stops being a target (impact, or lost to EW).
        engageable: (N,) which drones the interceptors can engage at all (type, altitude).
        teams: active launch sites.
        pool: interceptors in stock tonight, for existing units (0) and the programme (1).
        icfg, crews_cfg: the scenario's ``defense.interceptor`` and ``defense.crews``.
        allocator: ``"greedy"`` or ``"optimal"``.
        c2_cycle_s: batch window of the optimal allocator.
        rng: engagement stream.
    """
    n = raid.n
    u_shot = rng.random((n, MAX_SHOTS))
    u_rec = rng.random((n, MAX_SHOTS))
    night = _Night(raid, t_track, t_gone, engageable, teams, pool, icfg, crews_cfg, u_shot, u_rec,
                   programme_pk)
    gone, is_killed = night.t_gone, night.is_killed
    heap = [(t, i) for i, t in night.ready0.items() if t < gone[i]]
    heapq.heapify(heap)
    allocate = optimal_allocate if allocator == "optimal" else greedy_allocate
    window = c2_cycle_s if allocator == "optimal" else 0.0
    while heap:
        t_now, i = heapq.heappop(heap)
        batch = [i]
        while heap and heap[0][0] <= t_now + window:
            batch.append(heapq.heappop(heap)[1])
        if window:
            t_now = t_now + window
        ready = [k for k in batch if not is_killed[k] and t_now < gone[k]]
        if ready:
            allocate(night, ready, t_now, heap)
    log = night.log
    return InterceptResult(
        killed=night.killed,
        t_kill=night.t_kill,
        kill_programme=night.kill_prog,
        launched=np.array(night.launched),
        kills=np.array(night.kills),
        expended=np.array(night.expended),
        recovered=np.array(night.recovered),
        log=EngagementLog(**{k: np.asarray(v) for k, v in vars(log).items()}),
    )
