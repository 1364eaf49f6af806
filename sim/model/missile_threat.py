"""Missiles, the second threat stream: nightly counts by class, one night's raid, and strikes.

Pure vectorised kernels (no Mesa); the systems that engage missiles are
:mod:`sim.model.missile_defense`. Classes, in the order of every per-class array:
``cruise`` (Kh-101/555, Kalibr, Iskander-K), ``ballistic`` (Iskander-M/KN-23, Kinzhal,
S-300/400 in ground attack), ``kh22`` (Kh-22/32), ``kh59`` (Kh-59/69); see
:mod:`sim.config.missiles`.

Nightly counts (the model fitted by :mod:`sim.calibration.missile_fit`), night in month m::

    combined ~ Bernoulli(P_c)        P_c = p_combined_given_salvo   on a drone big-salvo night
                                           p_combined[m]             otherwise
                                           p_combined_marginal[m]    if no salvo flags given
    per class c (independent given the tier):
      combined night: present ~ Bernoulli(p_present_combined[m][c]),
                      count = 1 + NB(mean = combined_mean_present[m][c] - 1,
                                     size = combined.dispersion[c])
      other night:    present ~ Bernoulli(p_present_regular[m][c]),
                      count = 1 + NB(mean = regular.mean_present[c] - 1, size = regular.dispersion[c])
      count = 0 if not present.

A "combined-strike night" is a night with at least ``combined_min_missiles`` (10) missiles of
the four classes: the big raids in which cruise, ballistic, Kh-22 and Kh-59 missiles fly with
the drones. ``intensity_multiplier`` g scales every expected count exactly: for g > 1 the mean
One night's raid (:func:`generate_missile_raid`): each missile aims at an energy site (with the
night's ``energy_share``, by the sites' targeting weights) or at a city.

Strikes (:func:`missile_hits`): a missile not destroyed that was aimed at an energy site hits it
with its class's ``p_hit``. Damage per hit scales with the warhead
(:func:`damage_weight_by_weapon`).

How the model uses these (:mod:`sim.model.agents`; one night's walk in
:mod:`sim.model.night`): at set-up, :func:`nightly_missile_counts` (the winter's counts, from
the drones' salvo flags); each night the :class:`~sim.model.agents.MissileStrikePlanner` draws
the raid and the model's strike draws the hits. With ``threat.missiles.enabled`` false nothing
is drawn and the drone model is unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.config.data import city_targets, packaged_path
from sim.config.errors import DataFileError
from sim.config.files import read_json_object
from sim.config.missiles import MISSILE_CLASSES
from sim.model.threat import as_datetime_index

CLASSES = MISSILE_CLASSES
N_CLASSES = len(CLASSES)
CRUISE, BALLISTIC, KH22, KH59 = range(N_CLASSES)
TARGET_SITE, TARGET_CITY = 0, 1
PROFILE_NAME = "missile_profile.json"
COMBINED_MIN_MISSILES = 10
DAYS_PER_MONTH = 30.44

# --------------------------------------------------------------------------------------------
# Profile
# --------------------------------------------------------------------------------------------


class ProfileArrays(NamedTuple):
    """A missile profile as arrays (months on axis 0, classes on the last axis)."""

    p_combined: np.ndarray  # (12,) P(combined | not a drone salvo night)
    p_combined_marginal: np.ndarray  # (12,) P(combined) regardless of salvos
    p_combined_salvo: float  # P(combined | drone salvo night); NaN: use p_combined
    combined_present: np.ndarray  # (12, 4)
    combined_mean: np.ndarray  # (12, 4) mean count of a present class, >= 1
    combined_disp: np.ndarray  # (4,)
    regular_present: np.ndarray  # (12, 4)
    regular_mean: np.ndarray  # (4,) >= 1
    regular_disp: np.ndarray  # (4,)


def _num(value: Any, where: str, *, lo: float = 0.0, hi: float = math.inf,
         strict_lo: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataFileError(f"{where}: missing or not a number (got {value!r})") from None
    bad = not math.isfinite(v) or v < lo or v > hi or (strict_lo and v <= lo)
    if bad:
        rng = f"({'>' if strict_lo else '>='} {lo}{'' if hi == math.inf else f', <= {hi}'})"
        raise DataFileError(f"{where}: {v} is out of range {rng}")
    return v


def _get(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise DataFileError(f"{where}: missing key '{key}'")
    return obj[key]


def _class_row(obj: Any, where: str, **bounds) -> np.ndarray:
    return np.array([_num(_get(obj, c, where), f"{where}.{c}", **bounds) for c in CLASSES])


def profile_arrays(profile: Mapping[str, Any], use_recent: bool = False,
                   where: str = "missile profile") -> ProfileArrays:
    """Check a missile profile dict and return it as arrays.

    Args:
        profile: the JSON profile (see ``sim/data/README_threat.md``).
        use_recent: use the ``recent`` entry (level of the last months of the fit, no seasonal
            shape) for every calendar month.
        where: name used in error messages (e.g. the file).

    Raises:
        DataFileError: a missing key or a value out of range, naming the key path.
    """
    if not isinstance(profile, Mapping):
        raise DataFileError(f"{where}: top level must be a JSON object")
    comb = _get(profile, "combined", where)
    reg = _get(profile, "regular", where)
    c_disp = np.array([_num(_get(_get(comb, c, f"{where}.combined"), "dispersion",
                                 f"{where}.combined.{c}"),
                            f"{where}.combined.{c}.dispersion", strict_lo=True) for c in CLASSES])
    r_mean = np.array([_num(_get(_get(reg, c, f"{where}.regular"), "mean_present",
                                 f"{where}.regular.{c}"),
                            f"{where}.regular.{c}.mean_present", lo=1.0) for c in CLASSES])
    r_disp = np.array([_num(_get(reg[c], "dispersion", f"{where}.regular.{c}"),
                            f"{where}.regular.{c}.dispersion", strict_lo=True) for c in CLASSES])
    ps = profile.get("p_combined_given_salvo")
    p_salvo = math.nan if ps is None else _num(ps, f"{where}.p_combined_given_salvo", hi=1.0)

    def month_entry(entry: Any, w: str):
        pc = _num(_get(entry, "p_combined", w), f"{w}.p_combined", hi=1.0)
        pm = _num(_get(entry, "p_combined_marginal", w), f"{w}.p_combined_marginal", hi=1.0)
        cp = _class_row(_get(entry, "p_present_combined", w), f"{w}.p_present_combined",
                        hi=1.0)
        cm = _class_row(_get(entry, "combined_mean_present", w), f"{w}.combined_mean_present",
                        lo=1.0)
        rp = _class_row(_get(entry, "p_present_regular", w), f"{w}.p_present_regular", hi=1.0)
        return pc, pm, cm, rp, cp

    rows = []
    if use_recent:
        rec = month_entry(_get(profile, "recent", where), f"{where}.recent")
        rows = [rec] * 12
    else:
        months = _get(profile, "months", where)
        for j in range(1, 13):
            entry = months.get(str(j), months.get(j)) if isinstance(months, Mapping) else None
            if entry is None:
                raise DataFileError(f"{where}: months.{j} is missing")
            rows.append(month_entry(entry, f"{where}.months.{j}"))
    return ProfileArrays(
        p_combined=np.array([r[0] for r in rows]),
        p_combined_marginal=np.array([r[1] for r in rows]),
        p_combined_salvo=p_salvo,
        combined_present=np.stack([r[4] for r in rows]),
        combined_mean=np.stack([r[2] for r in rows]),
        combined_disp=c_disp,
        regular_present=np.stack([r[3] for r in rows]),
        regular_mean=r_mean,
        regular_disp=r_disp,
    )


def load_missile_profile(path: str | Path | None = None) -> dict:
    """Read and check a missile profile JSON (default: the packaged one).

    Raises:
        DataFileError: missing file, invalid JSON or a bad key (named).
    """
    p = Path(path) if path is not None else packaged_path(PROFILE_NAME)
    profile = read_json_object(p, what="missile profile")
    profile_arrays(profile, where=str(p))
    if "recent" in profile:
        profile_arrays(profile, use_recent=True, where=str(p))
    return profile


@lru_cache(maxsize=1)
def packaged_missile_profile() -> dict:
    """The fitted missile profile shipped with the package (``sim/data/missile_profile.json``)."""
    return load_missile_profile()


def custom_profile(custom) -> dict:
    """Profile dict of a ``threat.missiles.custom`` section (same every month, no salvo data)."""
    p_comb = min(1.0, custom.combined_nights_per_month / DAYS_PER_MONTH)
    comb_mean, comb_present = {}, {}
    for c in CLASSES:
        m = float(custom.combined_launches[c])
        comb_present[c] = 1.0 if m >= 1 else m
        comb_mean[c] = max(m, 1.0)
    reg_present, reg_mean = {}, {}
    for c in CLASSES:
        per_night = custom.regular_launches_per_month[c] / (DAYS_PER_MONTH * max(1 - p_comb, 1e-9))
        mu = max(2.0, per_night)
        reg_mean[c] = mu
        reg_present[c] = min(1.0, per_night / mu)
    entry = {
        "p_combined": p_comb, "p_combined_marginal": p_comb,
        "combined_mean_present": comb_mean, "p_present_regular": reg_present,
        "p_present_combined": comb_present,
    }
    ps = custom.p_combined_given_salvo
    return {
        "p_combined_given_salvo": ps,
        "combined": {c: {"dispersion": custom.dispersion} for c in CLASSES},
        "regular": {c: {"mean_present": reg_mean[c], "dispersion": custom.dispersion}
                    for c in CLASSES},
        "months": {str(j): entry for j in range(1, 13)},
        "recent": entry,
    }


def profile_for(missiles) -> dict:
    """The profile a scenario's ``threat.missiles`` section asks for."""
    if missiles.profile == "custom":
        return custom_profile(missiles.custom)
    if missiles.profile_file:
        return load_missile_profile(missiles.profile_file)
    return packaged_missile_profile()


# --------------------------------------------------------------------------------------------
# Nightly counts
# --------------------------------------------------------------------------------------------


class MissileNights(NamedTuple):
    """Missiles launched each night: ``counts`` (nights x classes, int64) and ``combined``
    (nights,) bool, whether the night is a combined strike."""

    counts: np.ndarray
    combined: np.ndarray


def _month_index(dates) -> np.ndarray:
    return as_datetime_index(dates).month.to_numpy() - 1


def _p_combined(arr: ProfileArrays, m: np.ndarray, salvo: np.ndarray | None,
                cal_month: np.ndarray | None = None) -> np.ndarray:
    """Probability of a combined strike each night.

    Without salvo flags: the month's fitted rate. With them and without ``cal_month``: the
    fitted conditional rates (``p_combined_given_salvo`` on salvo nights, the month's
    ``p_combined`` on the others). With ``cal_month`` (calendar months of the nights):
    ``p_combined_given_salvo`` on the drones' big-salvo nights and, on the other nights of the
    same month, the rate that keeps
    the month's share of combined-strike nights at the fitted one (so a scenario with more
    salvo nights than the fit moves the strikes onto them rather than adding strikes). When
    the salvo nights alone would exceed that share, strikes fall on salvo nights only, at the
    rate that keeps it.
    """
    marg = arr.p_combined_marginal[m]
    if salvo is None:
        return marg
    salvo = np.asarray(salvo, dtype=bool)
    ps = arr.p_combined_salvo
    if cal_month is None:
        base = arr.p_combined[m]
        return np.where(salvo, base if math.isnan(ps) else ps, base)
    if math.isnan(ps):
        return marg
    groups = cal_month
    out = np.where(salvo, ps, 0.0)
    for g in np.unique(groups):
        sel = groups == g
        n, k = int(sel.sum()), int((sel & salvo).sum())
        want = float(marg[sel][0]) * n  # expected combined-strike nights this month
        if ps * k > want:
            out[sel & salvo] = want / k
            out[sel & ~salvo] = 0.0
        elif n > k:
            out[sel & ~salvo] = min((want - ps * k) / (n - k), 1.0)
    return out


def sample_nightly_missiles(
    profile: Mapping[str, Any] | ProfileArrays,
    dates: Sequence | np.ndarray | pd.DatetimeIndex,
    rng: np.random.Generator,
    salvo: np.ndarray | None = None,
    intensity_multiplier: float | np.ndarray = 1.0,
    use_recent: bool = False,
    keep_monthly_rate: bool = False,
) -> MissileNights:
    """Draw the missiles launched on each night, by class.

    Args:
        profile: missile profile dict (or its :func:`profile_arrays`).
        dates: night dates (evening dates).
        rng: the missile stream; the only source of randomness. Per night, in a fixed order:
            5 uniforms (combined, presence of each class), 4 negative binomials, 4 binomials.
        salvo: optional bool per night, the drones' big-salvo flag (see
            :func:`sim.model.threat.sample_nightly_launches` with ``return_salvo=True``). None:
            combined strikes at the monthly rate regardless of salvos.
        intensity_multiplier: scalar or one value per night; scales every expected count.
        use_recent: use the profile's recent level in every month (ignored for arrays).
        keep_monthly_rate: with salvo flags, keep each month's fitted share of combined-strike
            nights and move the strikes onto the salvo nights (a scenario with more salvo nights
            than the fit period does not get more strikes); else the fitted conditional rates.

    Returns:
        :class:`MissileNights`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    arr = profile if isinstance(profile, ProfileArrays) else profile_arrays(profile, use_recent)
    m = _month_index(dates)
    n = len(m)
    g = np.broadcast_to(np.asarray(intensity_multiplier, dtype=float), (n,))
    if np.any(~np.isfinite(g)) or np.any(g < 0):
        raise ValueError("intensity_multiplier must be finite and >= 0")
    if salvo is not None and len(salvo) != n:
        raise ValueError(f"salvo has {len(salvo)} values for {n} nights")
    if n == 0:
        return MissileNights(np.zeros((0, N_CLASSES), np.int64), np.zeros(0, bool))
    u = rng.random((n, 1 + N_CLASSES))
    cal = None
    if salvo is not None and keep_monthly_rate:
        idx = as_datetime_index(dates)
        cal = idx.year.to_numpy() * 12 + idx.month.to_numpy()
    combined = u[:, 0] < _p_combined(arr, m, salvo, cal)
    cm = combined[:, None]
    present_p = np.where(cm, arr.combined_present[m], arr.regular_present[m])
    mean = np.where(cm, arr.combined_mean[m], arr.regular_mean[None, :])
    size = np.where(cm, arr.combined_disp[None, :], arr.regular_disp[None, :])
    present = u[:, 1:] < present_p
    gg = g[:, None]
    extra_mean = np.maximum(np.where(gg > 1.0, gg * mean, mean) - 1.0, 0.0)
    y = rng.negative_binomial(size, size / (size + extra_mean))
    x = np.where(present, 1 + y, 0)
    x = rng.binomial(x, np.minimum(gg, 1.0) * np.ones_like(mean))
    return MissileNights(x.astype(np.int64), combined)


def expected_nightly_missiles(
    profile: Mapping[str, Any] | ProfileArrays,
    dates,
    p_salvo_night: np.ndarray | None = None,
    intensity_multiplier: float | np.ndarray = 1.0,
    use_recent: bool = False,
) -> np.ndarray:
    """Expected launches per night and class under the model of :func:`sample_nightly_missiles`.

    Args:
        p_salvo_night: probability that each night is a drone big-salvo night (e.g. the drone
            profile's ``p_attack_night * p_salvo`` of its month); None: marginal rates.

    Returns:
        (nights, classes) float array.
    """
    arr = profile if isinstance(profile, ProfileArrays) else profile_arrays(profile, use_recent)
    m = _month_index(dates)
    n = len(m)
    g = np.broadcast_to(np.asarray(intensity_multiplier, dtype=float), (n,))[:, None]
    if p_salvo_night is None:
        pc = arr.p_combined_marginal[m]
    else:
        ps = arr.p_combined_salvo
        hi = arr.p_combined[m] if math.isnan(ps) else np.full(n, ps)
        pc = p_salvo_night * hi + (1 - p_salvo_night) * arr.p_combined[m]
    pc = pc[:, None]
    comb = arr.combined_present[m] * arr.combined_mean[m]
    reg = arr.regular_present[m] * arr.regular_mean[None, :]
    return g * (pc * comb + (1 - pc) * reg)


def nightly_missile_counts(missiles, dates: list[dt.date], salvo: np.ndarray | None,
                           rng: np.random.Generator) -> MissileNights:
    """Missiles launched each night for a scenario's ``threat.missiles`` section.

    Args:
        missiles: ``scenario.threat.missiles``.
        dates: dates of the nights.
        salvo: the drones' big-salvo flag per night (used if ``couple_to_drone_salvos``).
        rng: the missile stream (``stream(root, "missiles")``).

    Returns:
        :class:`MissileNights`; all zero (and nothing drawn) when missiles are disabled.
    """
    n = len(dates)
    if not missiles.enabled:
        return MissileNights(np.zeros((n, N_CLASSES), np.int64), np.zeros(n, bool))
    prof = profile_for(missiles)
    return sample_nightly_missiles(
        prof, dates, rng, salvo=salvo if missiles.couple_to_drone_salvos else None,
        intensity_multiplier=missiles.intensity_multiplier,
        use_recent=missiles.use_recent_level,
        keep_monthly_rate=missiles.keep_monthly_rate,
    )


# --------------------------------------------------------------------------------------------
# One night's raid
# --------------------------------------------------------------------------------------------


@dataclass
class MissileRaid:
    """One night's missiles as arrays (index i is one missile)."""

    cls: np.ndarray  # (M,) class index (CLASSES order)
    target_kind: np.ndarray  # (M,) TARGET_SITE or TARGET_CITY
    target: np.ndarray  # (M,) site index or city index
    target_xy: np.ndarray  # (M, 2) km
    cost_eur: np.ndarray  # (M,)
    combined: bool = False

    @property
    def n(self) -> int:
        return int(self.cls.shape[0])


@lru_cache(maxsize=1)
def _cities() -> tuple[np.ndarray, np.ndarray]:
    c = city_targets()
    w = c["weight"].to_numpy(float)
    return c[["x_km", "y_km"]].to_numpy(float), np.cumsum(w / w.sum())


def generate_missile_raid(
    n_by_class: Sequence[int] | np.ndarray,
    site_xy: np.ndarray,
    site_p: np.ndarray,
    rng: np.random.Generator,
    energy_share: float = 0.5,
    unit_cost_eur: Sequence[float] | np.ndarray | None = None,
    combined: bool = False,
) -> MissileRaid:
    """Draw tonight's missile targets.

    Missiles aim at an energy site with probability ``energy_share`` (site drawn with the
    drones' targeting weights ``site_p``, :func:`sim.model.threat.target_weights`), else at a
    city (packaged city weights). Two uniforms per missile.

    Args:
        n_by_class: missiles launched tonight by class (CLASSES order).
        site_xy: (S, 2) energy-site positions, km.
        site_p: targeting probabilities over sites.
        rng: the missile-raid stream of tonight.
        energy_share: share aimed at energy sites (the scenario's ``energy_share_combined`` on
            combined-strike nights, ``energy_share_regular`` otherwise).
        unit_cost_eur: attacker's cost per missile by class (default 0).
        combined: recorded on the raid.
    """
    counts = np.asarray(n_by_class, dtype=np.int64)
    if counts.shape != (N_CLASSES,) or np.any(counts < 0):
        raise ValueError(f"n_by_class must be {N_CLASSES} counts >= 0")
    n = int(counts.sum())
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return MissileRaid(cls=e, target_kind=e, target=e, target_xy=np.zeros((0, 2)),
                           cost_eur=np.zeros(0), combined=bool(combined))
    cls = np.repeat(np.arange(N_CLASSES), counts)
    cost_tab = np.zeros(N_CLASSES) if unit_cost_eur is None else np.asarray(unit_cost_eur, float)
    u = rng.random((n, 2))
    site_p = np.asarray(site_p, float)
    has_sites = site_p.size > 0 and site_p.sum() > 0
    to_site = (u[:, 0] < energy_share) & has_sites
    city_xy, city_cum = _cities()
    city_idx = np.searchsorted(city_cum, u[:, 1] * (1 - 1e-12))
    if has_sites:
        site_idx = np.searchsorted(np.cumsum(site_p) / site_p.sum(), u[:, 1] * (1 - 1e-12))
        site_idx = np.minimum(site_idx, len(site_p) - 1)
    else:
        site_idx = np.zeros(n, dtype=np.int64)
    target = np.where(to_site, site_idx, city_idx)
    if has_sites:
        xy = np.where(to_site[:, None], np.asarray(site_xy, float)[site_idx], city_xy[city_idx])
    else:
        xy = city_xy[city_idx] if n else np.zeros((0, 2))
    return MissileRaid(
        cls=cls, target_kind=np.where(to_site, TARGET_SITE, TARGET_CITY), target=target,
        target_xy=xy.reshape(n, 2), cost_eur=cost_tab[cls], combined=bool(combined),
    )


# --------------------------------------------------------------------------------------------
# Strikes and damage weights
# --------------------------------------------------------------------------------------------


def missile_hits(raid: MissileRaid, destroyed: np.ndarray, p_hit, rng: np.random.Generator,
                 n_sites: int) -> np.ndarray:
    """Hits on energy sites by class.

    A missile not destroyed and aimed at a site hits it with ``p_hit`` of its class. One uniform
    per missile.

    Args:
        p_hit: scalar or (4,) by class.
        n_sites: number of energy sites.

    Returns:
        (n_sites, 4) int64: ``hits[i, c]`` missiles of class c that struck site i.
    """
    if raid.n == 0:
        return np.zeros((n_sites, N_CLASSES), dtype=np.int64)
    p = np.broadcast_to(np.asarray(p_hit, dtype=float), (N_CLASSES,))
    u = rng.random(raid.n)
    hit = (~np.asarray(destroyed, bool)) & (raid.target_kind == TARGET_SITE) & (u < p[raid.cls])
    flat = raid.target[hit] * N_CLASSES + raid.cls[hit]
    return np.bincount(flat, minlength=n_sites * N_CLASSES).reshape(n_sites, N_CLASSES).astype(
        np.int64)


def damage_weight_by_weapon(threat) -> dict[str, float]:
    """Damage of one hit relative to one Shahed hit, by weapon.

    ``weight = (warhead_kg / shahed warhead_kg) ** threat.missiles.damage_scaling_exponent``
    for the drone types (``shahed``, ``jet``; ``decoy`` 0) and the missile classes. With the
    defaults (Shahed 50 kg, exponent 2/3): cruise 4.33, ballistic 4.52, kh22 7.12, kh59 3.45.

    Args:
        threat: the scenario's ``threat`` section.
    """
    ref = float(threat.types["shahed"].warhead_kg)
    e = float(threat.missiles.damage_scaling_exponent)
    if ref <= 0:
        raise ValueError("threat.types.shahed.warhead_kg must be > 0 to scale damage by warhead")
    out = {name: (t.warhead_kg / ref) ** e if t.warhead_kg > 0 else 0.0
           for name, t in threat.types.items()}
    for c in CLASSES:
        w = threat.missiles.classes[c].warhead_kg
        out[c] = (w / ref) ** e if w > 0 else 0.0
    return out


def weighted_hits(drone_hits: np.ndarray, missile_hits_by_class: np.ndarray,
                  weights: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Damage units per site from drones and from missiles (hits times weight).

    Args:
        drone_hits: (S,) warhead-drone hits (Shahed-weight 1 each).
        missile_hits_by_class: (S, 4) from :func:`missile_hits`.
        weights: :func:`damage_weight_by_weapon`.

    Returns:
        ``(drone_units, missile_units)``, each (S,) float.
    """
    w = np.array([weights[c] for c in CLASSES], float)
    return np.asarray(drone_hits, float) * float(weights.get("shahed", 1.0)), (
        np.asarray(missile_hits_by_class, float) @ w)
