"""The defence layers that exist without the programme: electronic warfare, mobile fire groups
and a residual of missile defence. (Ukraine's existing interceptor-drone units fly in the same
battle as the programme's, see :mod:`sim.model.engagement`.)

* Electronic warfare: each drone is lost to jamming en route with its type's ``p_lost_ew``
  (the Air Force's "locationally lost", 37.6% of Shahed-type launches in winter 2024-25;
  docs/sources.md §C). A lost drone disappears at a uniformly drawn time between entering
  Ukrainian-controlled airspace and 60% of its remaining flight.
* Mobile fire groups (guns, MANPADS; >80% of kills in H1 2024, docs/sources.md §C): a tracked drone
  still flying after the interceptors, at or below ``max_altitude_m``, is engaged with
  probability ``p_engage`` (its route crosses a cued group), in order of arrival, up to
  ``engagements_per_night``; each engagement kills with ``pk`` (times ``pk_jet_factor``
  against jets and the factor of ``pk_by_altitude_m`` at the drone's altitude).
* Missile defence: a drone still flying near its target is engaged with probability
  ``p_engage``, up to ``missiles_per_night``, and killed with ``pk``.

Each drone draws a fixed set of uniforms per layer, whatever happened before, so the layers'
luck is shared across policies (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.model.rng import stream
from sim.model.threat import JET, TYPE_NAMES


def shift_p(p, e: float):
    """``expit(logit(p) + e)``: a probability moved by ``e`` logit units (0 and 1 stay)."""
    if e == 0.0:
        return p
    a = np.clip(np.asarray(p, float), 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore"):  # p = 0 gives exp(inf): kept as 0 below
        lo = np.log(a) - np.log1p(-a)
        out = 1.0 / (1.0 + np.exp(-(lo + e)))
    out = np.where((a <= 0.0) | (a >= 1.0), a, out)
    return float(out) if np.ndim(out) == 0 else out


def _poisson_ppf(u: float, mean: float) -> int:
    """Inverse CDF of a Poisson law (one uniform per night: smooth in ``mean`` under common
    random numbers)."""
    if mean <= 0:
        return 0
    k, pmf = 0, math.exp(-mean)
    cdf = pmf
    while cdf < u and k < 100_000:
        k += 1
        pmf *= mean / k
        cdf += pmf
    return k


@dataclass(frozen=True)
class Conditions:
    """Tonight's conditions of the defence (:func:`conditions`).

    Attributes:
        shift: logit shift of every layer's kill / loss probability (effectiveness noise).
        fly: whether the weather lets interceptor drones fly.
        front: (N,) drones on short-warning front routes (no layer reaches them).
        cued: (N,) drones C2 can cue an interceptor crew to in time.
    """

    shift: float
    fly: bool
    front: np.ndarray
    cued: np.ndarray


def conditions(root, date, defense, threat, n: int) -> Conditions:
    """Tonight's effectiveness shift, weather, front stream and cueing. Each draw comes from
    its own stream keyed by the calendar date (or month), so a run that starts later sees the
    same draws on the same dates; nothing is drawn for a mechanism that is off."""
    day = int(date.toordinal())
    noise = defense.effectiveness_noise
    shift = 0.0
    if noise.sigma_month > 0:
        shift += noise.sigma_month * float(
            stream(root, "noise_month", date.year * 12 + date.month).standard_normal())
    if noise.sigma_night > 0:
        shift += noise.sigma_night * float(stream(root, "noise_night", day).standard_normal())
    s = defense.national_force.sorties
    fly = True
    if s.p_fly_night < 1.0:
        fly = bool(stream(root, "weather", day).random() < s.p_fly_night)
    cued = np.ones(n, bool)
    if s.p_cued < 1.0:
        cued = stream(root, "cueing", day).random(n) < s.p_cued
    fs = threat.front_stream
    front = np.zeros(n, bool)
    started = fs.from_month is None or f"{date:%Y-%m}" >= fs.from_month
    if n and started and (fs.per_night > 0 or fs.share_of_launched > 0):
        rng = stream(root, "front", day)
        u0 = rng.random()
        perm = rng.permutation(n)
        u = rng.random(n)
        k = min(_poisson_ppf(u0, fs.per_night), n)
        front[perm[:k]] = True
        front |= u < fs.share_of_launched
    return Conditions(shift=shift, fly=fly, front=front, cued=cued)


def electronic_warfare(raid, threat, enabled: bool, rng: np.random.Generator,
                       shift: float = 0.0):
    """Which drones are lost to EW, and when (``shift``: tonight's logit shift of the loss
    probability, the effectiveness noise).

    Returns:
        ``(lost, t_lost)``: (N,) bool and (N,) time in s (``inf`` if not lost).
    """
    u = rng.random((raid.n, 2))
    p = shift_p(np.array([threat.types[t].p_lost_ew for t in TYPE_NAMES]), shift)[raid.kind]
    lost = (u[:, 0] < p) & enabled
    span = np.maximum(raid.t_impact - raid.t_border, 0.0)
    t_lost = np.where(lost, raid.t_border + u[:, 1] * 0.6 * span, np.inf)
    return lost, t_lost


def _capped_layer(alive, order_t, p_engage, pk, cap, u):
    """Engage alive drones with prob. p_engage in time order up to ``cap``; kill with pk."""
    wants = alive & (u[:, 0] < p_engage)
    idx = np.nonzero(wants)[0]
    if len(idx) > cap:
        idx = idx[np.argsort(order_t[idx], kind="stable")[:cap]]
    engaged = np.zeros_like(alive)
    engaged[idx] = True
    killed = engaged & (u[:, 1] < pk)
    return engaged, killed


def fire_groups(raid, alive, tracked, cfg, rng: np.random.Generator):
    """Mobile fire groups engage tracked drones that are still flying.

    Returns:
        ``(engaged, killed)`` boolean arrays.
    """
    u = rng.random((raid.n, 2))
    pk = np.where(raid.kind == JET, cfg.pk * cfg.pk_jet_factor, cfg.pk)
    if cfg.pk_by_altitude_m is not None:
        pk = pk * np.interp(raid.altitude_m, cfg.pk_by_altitude_m.x, cfg.pk_by_altitude_m.factor)
    reachable = alive & tracked & (raid.altitude_m <= cfg.max_altitude_m)
    return _capped_layer(reachable, raid.t_impact, cfg.p_engage, pk, cfg.engagements_per_night, u)


def sams_at_drones(raid, alive, cfg, rng: np.random.Generator):
    """Surface-to-air missiles engage drones still flying near their targets.

    Returns:
        ``(engaged, killed)`` boolean arrays.
    """
    u = rng.random((raid.n, 2))
    return _capped_layer(alive, raid.t_impact, cfg.p_engage, cfg.pk, cfg.missiles_per_night, u)


def tracks_tonight(raid, t_track: np.ndarray, t_lost: np.ndarray, interceptable: np.ndarray,
                   max_altitude_m: float):
    """When each drone leaves the battle (impact or lost to EW), whether the sensors track it
    before then, and whether the interceptors can engage it (a type they can catch, at or
    below their ceiling). ``interceptable`` is indexed by drone type."""
    t_gone = np.minimum(raid.t_impact, t_lost)
    tracked = np.isfinite(t_track) & (t_track < t_gone)
    engageable = tracked & interceptable[raid.kind] & (raid.altitude_m <= max_altitude_m)
    return t_gone, tracked, engageable


#: a drone's fate tonight: its code, the index into :data:`FATES`
FATES = ("leaked", "ew", "interceptor", "fire_group", "missile")
FATE_LEAKED, FATE_LOST_EW, FATE_INTERCEPTOR, FATE_FIRE_GROUP, FATE_MISSILE_DEFENSE = range(5)


def after_interceptors(raid, lost: np.ndarray, killed: np.ndarray, tracked: np.ndarray,
                       fire_group_cfg, sam_cfg, rng_fire_groups: np.random.Generator,
                       rng_sams: np.random.Generator, exempt: np.ndarray | None = None
                       ) -> dict[str, np.ndarray]:
    """The layers after the interceptor drones, in order: mobile fire groups, then missile
    defence, each against what is still flying. A drone an interceptor shot down before
    jamming took it off course counts as killed, not lost. Returns the masks over tonight's
    drones (``lost``, ``leaked``, ``fire_group_engaged``/``killed``, ``missile_engaged``/
    ``killed``) and ``fate`` (one of the ``FATE_*`` codes). ``exempt``: drones no layer can
    reach (the front stream; untracked, so the fire groups skip them too)."""
    lost = lost & ~killed
    alive = ~lost & ~killed
    mfg_eng, mfg_kill = fire_groups(raid, alive, tracked, fire_group_cfg, rng_fire_groups)
    alive &= ~mfg_kill
    sam_eng, sam_kill = sams_at_drones(raid, alive if exempt is None else alive & ~exempt,
                                       sam_cfg, rng_sams)
    alive &= ~sam_kill
    fate = np.full(raid.n, FATE_LEAKED, dtype=np.int8)
    fate[lost] = FATE_LOST_EW
    fate[killed] = FATE_INTERCEPTOR
    fate[mfg_kill] = FATE_FIRE_GROUP
    fate[sam_kill] = FATE_MISSILE_DEFENSE
    return {"lost": lost, "leaked": alive, "fate": fate, "fire_group_engaged": mfg_eng,
            "fire_group_killed": mfg_kill, "missile_engaged": sam_eng,
            "missile_killed": sam_kill}
