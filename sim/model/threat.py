"""The threat: how many attack drones come each night, of which type, from where, to where.

* Nightly launch counts follow the monthly profile fitted to the Ukrainian Air Force record
  (``sim/data/threat_profile.json``, produced by ``python -m sim calibrate threat PATH``; see
  :mod:`sim.calibration.threat_fit`): attack nights, normal nights and big-salvo nights, negative binomial
  counts, scaled by the fitted growth trend to the scenario's dates and by
  ``threat.launches.intensity_multiplier``.
* Type mix: decoys (Gerbera kind, no warhead) and jet Geran-3 by their shares, Shahed/Geran-2
  for the rest (``threat.decoy_share``, ``threat.jet_share``; docs/sources.md §A).
* Launch areas: the real areas named in the record, weighted by the drones attributed to each
  from October 2024 to September 2025 (``sim/data/launch_areas.csv``).
* Targets: warhead drones aim at energy sites with probability ``targeting.energy_share``
  (site chosen by type weight times capacity^exponent), else at cities; decoys fly the same
  kind of routes to saturate the defence.
* Routes are not straight lines: ``routing.waypoints`` dog-leg waypoints with a random lateral
  offset, pushed out of known interceptor envelopes when ``avoid_defended_zones`` is set.
* Launch times come in ``arrival.waves`` waves over ``arrival.launch_window_h`` hours from
  ``arrival.first_launch_h``; time 0 of a night is that first launch hour.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.config.data import (
    city_targets,
    launch_areas,
    packaged_threat_profile,
    threat_profile_file,
)
from sim.config.errors import DataFileError, ScenarioError

TYPE_NAMES = ("shahed", "jet", "decoy")
SHAHED, JET, DECOY = 0, 1, 2
TARGET_SITE, TARGET_CITY = 0, 1








def profile_dict(launches) -> dict:
    """The launch profile a scenario asks for, in the JSON profile format of
    :mod:`sim.calibration.threat_fit` (a custom profile has no trend). ``profile_file``
    replaces the shipped fitted profile."""
    if launches.profile == "fitted":
        prof = (threat_profile_file(launches.profile_file) if launches.profile_file
                else packaged_threat_profile())
    else:
        prof = {
            "months": {str(m): mp.model_dump() for m, mp in launches.monthly.items()},
            "trend_per_year": 0.0,
            "reference_date": "2025-01-01",
        }
    if launches.salvo_probability is not None:
        prof = dict(prof)
        prof["months"] = {
            m: {**v, "p_salvo": launches.salvo_probability} for m, v in prof["months"].items()
        }
    return prof


def nightly_launch_counts(threat, dates: list[dt.date], rng: np.random.Generator,
                          return_salvo: bool = False):
    """Number of drones launched on each night.

    Args:
        threat: the scenario's ``threat`` section.
        dates: dates of the nights.
        rng: the threat stream.
        return_salvo: also return each night's big-salvo flag (same draws; the missile stream
            uses it for combined strikes, :func:`sim.model.missile_threat.nightly_missile_counts`).

    Returns:
        Integer array, one count per night; with ``return_salvo`` the pair ``(counts, salvo)``.
    """
    prof = profile_dict(threat.launches)
    factor = float(threat.launches.intensity_multiplier)
    mean_per_night = threat.launches.mean_per_night
    # The multiplier scales whatever level is set: the profile's means, or the level that
    # ``mean_per_night`` fixes (expected launches a night = mean_per_night x multiplier).
    mult = np.full(len(dates), 1.0 if mean_per_night is not None else factor)
    if threat.launches.apply_trend and prof.get("trend_per_year"):
        mult = mult * level_multiplier(prof, dates)
    p_salvo = salvo_mean = None
    timeline = threat.tactics.timeline
    if timeline:
        months = [d.strftime("%Y-%m") for d in dates]
        p_salvo = np.array([_nan(timeline[m].p_salvo) for m in months])
        salvo_mean = np.array([_nan(timeline[m].salvo_mean) for m in months])
    if mean_per_night is not None and len(dates):
        e = expected_nightly_launches(prof, dates, mult, p_salvo, salvo_mean)
        target = mean_per_night * factor
        mult = mult * (target / e.mean() if e.mean() > 0 and target > 0 else 0.0)
    return sample_nightly_launches(
        prof, dates, rng, intensity_multiplier=mult, max_per_night=threat.launches.max_per_night,
        return_salvo=return_salvo, p_salvo_by_night=p_salvo, salvo_mean_by_night=salvo_mean,
    )


def expected_nightly_launches(profile, dates, mult, p_salvo_by_night=None,
                              salvo_mean_by_night=None) -> np.ndarray:
    """Expected launches of each night under the profile (the model of
    :func:`sample_nightly_launches`: attack nights, salvo mixture, ``max(1, X)``)."""
    table = month_table(profile)
    idx = as_datetime_index(dates)
    par = table[idx.month.to_numpy() - 1]
    p_attack, mean, disp, p_salvo, s_mean, s_disp = (par[:, i] for i in range(6))
    if p_salvo_by_night is not None:
        p_salvo = np.where(np.isnan(p_salvo_by_night), p_salvo, p_salvo_by_night)
    if salvo_mean_by_night is not None:
        s_mean = np.where(np.isnan(salvo_mean_by_night), s_mean, salvo_mean_by_night)
    mult = np.broadcast_to(np.asarray(mult, float), (len(idx),))

    def e_count(mu, k):  # E[max(1, X)], X ~ NB(mean mu, size k)
        mu = mu * mult
        return mu + (k / (k + np.maximum(mu, 1e-300))) ** k

    return p_attack * ((1 - p_salvo) * e_count(mean, disp) + p_salvo * e_count(s_mean, s_disp))


def parse_month_arg(text: str, what: str = "month") -> str:
    """``YYYY-MM`` from the command line, or a ScenarioError naming ``what``."""
    import re

    if not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", str(text or "")):
        raise ScenarioError(f"{what} {text!r}: not a month; write YYYY-MM, e.g. 2025-09")
    return str(text)


def _nan(v) -> float:
    return np.nan if v is None else float(v)


@dataclass(frozen=True)
class NightTactics:
    """How the attacker flies tonight (:mod:`sim.config.tactics`)."""

    decoy_share: float
    jet_share: float
    altitude_bands: np.ndarray | None  # (B, 3): low_m, high_m, cumulative share (Shaheds)
    evading_share: float | None
    decoy_altitude_bands: np.ndarray | None = None  # the same bands with the decoys' limits


def tactics_for(threat, month: str) -> NightTactics:
    """Tonight's tactics: the timeline's month where it gives a value, else the constants.

    The bands describe the Shahed-type drones and the decoys flying with them. A band that
    leaves out ``low_m`` or ``high_m`` takes each drone's own type's limit: a Shahed the Shahed
    type's (``threat.types.shahed.altitude_min_m`` / ``altitude_max_m``), a decoy the decoy
    type's (``threat.types.decoy``)."""
    t = threat.tactics.timeline.get(month)
    decoy = threat.decoy_share if t is None or t.decoy_share is None else t.decoy_share
    jet = threat.jet_share if t is None or t.jet_share is None else t.jet_share
    bands = decoy_bands = None
    if t is not None and t.altitude_bands_m:

        def table(kind: str) -> np.ndarray:
            ty = threat.types[kind]
            lim = (ty.altitude_min_m, ty.altitude_max_m)
            out = np.array([[*b.limits(*lim), b.share] for b in t.altitude_bands_m], float)
            out[:, 2] = np.cumsum(out[:, 2])
            out[-1, 2] = 1.0
            return out

        bands, decoy_bands = table("shahed"), table("decoy")
    evading = None if t is None else t.evading_share
    return NightTactics(decoy_share=float(decoy), jet_share=float(jet), altitude_bands=bands,
                        evading_share=evading, decoy_altitude_bands=decoy_bands)


@dataclass
class Raid:
    """One night's attack drones as arrays (index i is one drone).

    Times are seconds from the night's first launch hour; positions in km.
    """

    kind: np.ndarray  # (N,) int: SHAHED, JET, DECOY
    area: np.ndarray  # (N,) launch area index
    target_kind: np.ndarray  # (N,) TARGET_SITE or TARGET_CITY
    target: np.ndarray  # (N,) site index or city index
    pts: np.ndarray  # (N, K+2, 2) route points
    times: np.ndarray  # (N, K+2) times at route points
    speed_kms: np.ndarray  # (N,)
    altitude_m: np.ndarray  # (N,)
    t_border: np.ndarray  # (N,) time of entering Ukrainian-controlled airspace
    cost_eur: np.ndarray  # (N,)
    evading: np.ndarray | None = None  # (N,) bool: sees and evades interceptors

    @property
    def n(self) -> int:
        return int(self.kind.shape[0])

    @property
    def t_launch(self) -> np.ndarray:
        return self.times[:, 0]

    @property
    def t_impact(self) -> np.ndarray:
        return self.times[:, -1]

    @property
    def warhead(self) -> np.ndarray:
        return self.kind != DECOY


def target_weights(sites: pd.DataFrame, targeting) -> np.ndarray:
    """Probability of each energy site being the aim point of an energy-targeted drone."""
    w_type = sites["type"].map(targeting.weights_by_site_type).fillna(0.0).to_numpy(float)
    size = np.maximum(sites["capacity_mw"].to_numpy(float), 0.0)
    gas = sites["gas_mcm_per_day"].to_numpy(float) if "gas_mcm_per_day" in sites else 0.0
    size = np.maximum(size, 100.0 * np.nan_to_num(gas)) + 50.0
    w = w_type * size**targeting.capacity_exponent
    w = np.where(sites["status"].to_numpy() == "operational", w, 0.0)
    total = w.sum()
    return w / total if total > 0 else w


@lru_cache(maxsize=1)
def _area_arrays() -> tuple[np.ndarray, np.ndarray]:
    a = launch_areas()
    return a[["x_km", "y_km"]].to_numpy(float), a["border_km"].to_numpy(float)


@lru_cache(maxsize=1)
def _city_arrays() -> tuple[np.ndarray, np.ndarray]:
    c = city_targets()
    w = c["weight"].to_numpy(float)
    return c[["x_km", "y_km"]].to_numpy(float), np.cumsum(w / w.sum())


def area_weights(threat) -> np.ndarray:
    """Probability of each packaged launch area (``threat.launch_areas`` or the record's).

    Raises:
        ScenarioError: an unknown area id, a negative or non-finite weight, or no positive
            weight in ``threat.launch_areas``.
    """
    areas = launch_areas()
    if threat.launch_areas is None:
        w = areas["weight"].to_numpy(float)
    else:
        given = threat.launch_areas
        known = list(areas["id"])
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ScenarioError(f"threat.launch_areas: unknown launch area id(s) {unknown}; "
                                f"known: {known}")
        bad = {k: v for k, v in given.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            raise ScenarioError(f"threat.launch_areas: weights must be finite and >= 0, got {bad}")
        w = areas["id"].map(given).fillna(0.0).to_numpy(float)
        if w.sum() <= 0:
            raise ScenarioError("threat.launch_areas: at least one weight must be > 0")
    return w / w.sum()


def generate_raid(
    threat,
    n: int,
    site_xy: np.ndarray,
    site_p: np.ndarray,
    avoid_centers: np.ndarray,
    avoid_radii: np.ndarray,
    rng: np.random.Generator,
    rng_route: np.random.Generator,
    area_w: np.ndarray | None = None,
    tactics: NightTactics | None = None,
) -> Raid:
    """Draw one night's raid of ``n`` drones.

    Args:
        threat: the scenario's ``threat`` section.
        n: number of drones launched.
        site_xy: (S, 2) energy-site positions, km.
        site_p: targeting probabilities over sites (:func:`target_weights`).
        avoid_centers: (Z, 2) centres of interceptor envelopes known to the attacker.
        avoid_radii: (Z,) their radii, km.
        rng: threat stream (types, areas, targets, times).
        rng_route: routing stream (waypoints).
        area_w: launch-area probabilities (default: :func:`area_weights`).
        tactics: tonight's tactics (default: the scenario's constant shares and altitude
            ranges). Altitudes of Shahed-type drones and decoys follow its bands (the same
            uniform per drone, so common random numbers hold; a band's missing limit is each
            type's own); evading drones are drawn last.
    """
    if area_w is None:
        area_w = area_weights(threat)
    area_xy, area_border = _area_arrays()
    city_xy, city_cum = _city_arrays()
    k_wp = threat.routing.waypoints
    if n == 0:
        z = np.zeros(0)
        return Raid(
            kind=z.astype(int), area=z.astype(int), target_kind=z.astype(int), target=z.astype(int),
            pts=np.zeros((0, k_wp + 2, 2)), times=np.zeros((0, k_wp + 2)), speed_kms=z,
            altitude_m=z, t_border=z, cost_eur=z,
        )
    # Draw the same number of uniforms per drone whatever the shares, so that common random
    # numbers hold across threat variants as far as possible.
    u = rng.random((n, 6))
    if tactics is None:
        p_jet, p_decoy = threat.jet_share, threat.decoy_share
    else:
        p_jet, p_decoy = tactics.jet_share, tactics.decoy_share
    # Bands on one uniform: decoys at the bottom, jets at the top, so that raising one share
    # only turns Shaheds into that type (common random numbers across threat variants).
    kind = np.where(u[:, 0] < p_decoy, DECOY, np.where(u[:, 0] >= 1.0 - p_jet, JET, SHAHED))
    area = np.searchsorted(np.cumsum(area_w), u[:, 1] * (1 - 1e-12))
    to_site = u[:, 2] < threat.targeting.energy_share
    if site_p.sum() <= 0:
        to_site[:] = False
    site_idx = np.searchsorted(np.cumsum(site_p), u[:, 3] * (1 - 1e-12)) if site_p.sum() > 0 else (
        np.zeros(n, dtype=int)
    )
    city_idx = np.searchsorted(city_cum, u[:, 3] * (1 - 1e-12))
    target_kind = np.where(to_site, TARGET_SITE, TARGET_CITY)
    target = np.where(to_site, site_idx, city_idx)
    s_idx = np.minimum(site_idx, len(site_xy) - 1)
    tx = np.where(to_site, site_xy[s_idx, 0], city_xy[city_idx, 0])
    ty = np.where(to_site, site_xy[s_idx, 1], city_xy[city_idx, 1])

    types = [threat.types[name] for name in TYPE_NAMES]
    speed = np.array([t.speed_kmh for t in types])[kind] / 3600.0
    alt_lo = np.array([t.altitude_min_m for t in types])[kind]
    alt_hi = np.array([t.altitude_max_m for t in types])[kind]
    altitude = alt_lo + u[:, 4] * (alt_hi - alt_lo)
    if tactics is not None and tactics.altitude_bands is not None:
        banded = _band_altitude(tactics.altitude_bands, u[:, 4])
        decoys = tactics.decoy_altitude_bands
        if decoys is not None and not np.array_equal(decoys, tactics.altitude_bands):
            banded = np.where(kind == DECOY, _band_altitude(decoys, u[:, 4]), banded)
        altitude = np.where(kind == JET, altitude, banded)
    cost = np.array([t.unit_cost_eur for t in types])[kind]

    # Launch times: waves spread over the launch window.
    arr = threat.arrival
    wave = np.minimum((u[:, 5] * arr.waves).astype(int), arr.waves - 1)
    centres_h = (np.arange(arr.waves) + 0.5) * arr.launch_window_h / arr.waves
    t_launch = (centres_h[wave] + rng.normal(0.0, arr.wave_spread_h, n)).clip(
        0.0, arr.launch_window_h
    ) * 3600.0

    # Route: launch point, dog-leg waypoints (pushed out of known envelopes), target; times
    # at constant speed and the time of crossing into Ukrainian-controlled airspace
    # (compiled: sim.model.kernels.routes).
    from sim.model import kernels

    offsets = (rng_route.normal(0.0, threat.routing.dogleg_km, (n, k_wp)) if k_wp
               else np.zeros((n, 0)))
    avoid = bool(k_wp and threat.routing.avoid_defended_zones and len(avoid_centers))
    centers = np.ascontiguousarray(avoid_centers if avoid else np.zeros((0, 2)), dtype=float)
    radii = (np.ascontiguousarray(avoid_radii + threat.routing.avoid_margin_km, dtype=float)
             if avoid else np.zeros(0))
    pts, times, frac_t = kernels.routes(
        np.ascontiguousarray(area_xy[area]), np.stack([tx, ty], axis=1), offsets, centers, radii,
        avoid, _PUSH_PASSES, t_launch, np.ascontiguousarray(speed, dtype=float),
        np.ascontiguousarray(area_border[area], dtype=float))
    evading = None
    if tactics is not None and tactics.evading_share is not None:
        evading = (rng.random(n) < tactics.evading_share) & (kind != DECOY)
    return Raid(
        kind=kind, area=area, target_kind=target_kind, target=target, pts=pts, times=times,
        speed_kms=speed, altitude_m=altitude, t_border=frac_t, cost_eur=cost, evading=evading,
    )


def _band_altitude(bands: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Altitudes from bands of uniform altitude (rows low, high, cumulative share) by inverse
    transform of the uniforms ``u``."""
    b = np.minimum(np.searchsorted(bands[:, 2], u, side="right"), len(bands) - 1)
    lo_cum = np.where(b > 0, bands[np.maximum(b - 1, 0), 2], 0.0)
    width = np.maximum(bands[b, 2] - lo_cum, 1e-12)
    f = np.clip((u - lo_cum) / width, 0.0, 1.0)
    return bands[b, 0] + f * (bands[b, 1] - bands[b, 0])


_PUSH_PASSES = 12
"""Passes of the push-out of a waypoint from defended circles (a few suffice where they
overlap)."""


# --------------------------------------------------------------------------------------------
# The launch sampler (the model fitted by sim.calibration.threat_fit)
# --------------------------------------------------------------------------------------------


DAYS_PER_YEAR = 365.25


MONTH_KEYS = ("p_attack_night", "mean", "dispersion", "p_salvo", "salvo_mean", "salvo_dispersion")


def as_datetime_index(dates) -> pd.DatetimeIndex:
    """Dates (DatetimeIndex, datetime64 array, list of date/str, scalar) as a DatetimeIndex."""
    if isinstance(dates, pd.DatetimeIndex):
        return dates
    if isinstance(dates, pd.Series):
        return pd.DatetimeIndex(pd.to_datetime(dates))
    arr = np.asarray(dates)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind != "M":
        arr = arr.astype(object)
    return pd.DatetimeIndex(pd.to_datetime(arr))


def years_between(dates: pd.DatetimeIndex | pd.Series, reference: pd.Timestamp) -> np.ndarray:
    return np.asarray((pd.DatetimeIndex(dates) - reference).days, dtype=float) / DAYS_PER_YEAR


def level_multiplier(profile: Mapping[str, Any], dates) -> np.ndarray:
    """Per-night level multiplier ``exp(trend_per_year * years since reference_date)``.

    Monthly means and salvo means in the profile are levels at ``reference_date``; pass this as
    ``intensity_multiplier`` to :func:`sample_nightly_launches` to follow the fitted trend.
    """
    ref = pd.Timestamp(profile["reference_date"])
    idx = as_datetime_index(dates)
    return np.exp(float(profile["trend_per_year"]) * years_between(idx, ref))


def month_table(profile: Mapping[str, Any], where: str = "threat profile") -> np.ndarray:
    """12 x 6 array of the month parameters in MONTH_KEYS order; validates them."""
    months = profile.get("months") if isinstance(profile, Mapping) else None
    if not isinstance(months, Mapping):
        raise DataFileError(f"{where}: missing 'months' object")
    table = np.empty((12, len(MONTH_KEYS)))
    for j in range(12):
        entry = months.get(str(j + 1), months.get(j + 1))
        if not isinstance(entry, Mapping):
            raise DataFileError(f"{where}: months.{j + 1} is missing")
        for i, key in enumerate(MONTH_KEYS):
            try:
                v = float(entry[key])
            except (KeyError, TypeError, ValueError) as exc:
                raise DataFileError(f"{where}: months.{j + 1}.{key} missing or not a number") \
                    from exc
            if not math.isfinite(v) or v < 0:
                raise DataFileError(f"{where}: months.{j + 1}.{key} = {v} must be finite and >= 0")
            if key.startswith("p_") and v > 1:
                raise DataFileError(f"{where}: months.{j + 1}.{key} = {v} must be <= 1")
            if key.endswith("dispersion") and v == 0:
                raise DataFileError(f"{where}: months.{j + 1}.{key} must be > 0")
            table[j, i] = v
    return table


def sample_nightly_launches(
    profile: Mapping[str, Any],
    dates: Sequence | np.ndarray | pd.DatetimeIndex,
    rng: np.random.Generator,
    intensity_multiplier: float | np.ndarray = 1.0,
    max_per_night: int | None = None,
    return_salvo: bool = False,
    p_salvo_by_night: np.ndarray | None = None,
    salvo_mean_by_night: np.ndarray | None = None,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Draw the number of Shahed-type drones launched on each night.

    Implements the model of :func:`fit_threat_profile`: per night, attack ~
    Bernoulli(p_attack_night), salvo ~ Bernoulli(p_salvo), X ~ NB(mean, dispersion) or
    NB(salvo_mean, salvo_dispersion), count = max(1, X) on attack nights, else 0.

    Args:
        profile: threat profile dict (``months`` keyed "1".."12" or 1..12).
        dates: night dates (evening dates); anything :func:`pandas.to_datetime` accepts.
        rng: the generator; the only source of randomness. Three draws per night, in a fixed
            order, so a given seed and date list always give the same counts.
        intensity_multiplier: scalar or one value per night, multiplying ``mean`` and
            ``salvo_mean`` (not the probabilities). The profile's levels are levels at its
            ``reference_date``; pass :func:`level_multiplier` (times any scenario factor) to
            follow the fitted trend. A multiplier of 0 gives no launches.
        max_per_night: optional cap on each night's count (e.g. launcher capacity).
        return_salvo: also return the big-salvo flag of each night (True on attack nights
            drawn from the salvo component). The draws are the same either way.
        p_salvo_by_night, salvo_mean_by_night: per-night values replacing the profile's
            ``p_salvo`` and ``salvo_mean`` where not NaN (a tactics timeline); the draws are the
            same, so common random numbers hold.

    Returns:
        int64 array, one count per date; with ``return_salvo`` the pair ``(counts, salvo)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator")
    table = month_table(profile)
    idx = as_datetime_index(dates)
    n = len(idx)
    mult = np.broadcast_to(np.asarray(intensity_multiplier, dtype=float), (n,))
    if np.any(~np.isfinite(mult)) or np.any(mult < 0):
        raise ValueError("intensity_multiplier must be finite and >= 0")
    if max_per_night is not None and max_per_night < 0:
        raise ValueError("max_per_night must be >= 0")
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return (empty, np.zeros(0, dtype=bool)) if return_salvo else empty
    par = table[idx.month.to_numpy() - 1]
    p_attack, mean, disp, p_salvo, s_mean, s_disp = (par[:, i] for i in range(6))
    if p_salvo_by_night is not None:
        p_salvo = np.where(np.isnan(p_salvo_by_night), p_salvo, p_salvo_by_night)
    if salvo_mean_by_night is not None:
        s_mean = np.where(np.isnan(salvo_mean_by_night), s_mean, salvo_mean_by_night)
    u_attack = rng.random(n)
    u_salvo = rng.random(n)
    salvo = u_salvo < p_salvo
    mu = np.where(salvo, s_mean, mean) * mult
    k = np.where(salvo, s_disp, disp)
    x = rng.negative_binomial(k, k / (k + mu))
    attack = (u_attack < p_attack) & (mu > 0)
    counts = np.where(attack, np.maximum(x, 1), 0).astype(np.int64)
    if max_per_night is not None:
        counts = np.minimum(counts, int(max_per_night))
    if return_salvo:
        return counts, salvo & attack
    return counts
