"""Winter electricity demand driven by temperature (heating degree days).

Daily mean temperature follows the Kyiv 1991-2020 monthly climate norms in
``sim/data/weather.csv`` (derived from anomalies reported by the Borys Sreznevsky Central
Geophysical Observatory; see that file's ``source`` column), interpolated linearly between
mid-month anchors (the 15th of each month). A uniform offset (a warm or cold winter) and a
cold snap (a block of nights with a temperature delta) can be added.

Demand on a night is a fraction of each oblast's winter peak demand (``sim/data/regions.csv``):

    scale = base_load_fraction + (1 - base_load_fraction) * HDD / HDD_design
    HDD = max(0, hdd_base_c - T),  HDD_design = hdd_base_c - design_temperature_c

so that ``scale == 1`` on a day whose mean temperature equals the design temperature, and the
scale keeps rising (above 1) in colder weather. One national temperature drives all oblasts;
regional climate differences are ignored (see ``docs/energy.md``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from sim.config.data import load_monthly_normals


def daily_temperature_c(
    start_date: dt.date,
    nights: int,
    monthly_normals_c: np.ndarray | None = None,
    *,
    offset_c: float = 0.0,
    cold_snap_start_offset_days: int = 0,
    cold_snap_nights: int = 0,
    cold_snap_delta_c: float = 0.0,
) -> np.ndarray:
    """Daily mean temperature for each night of the scenario.

    Args:
        start_date: date of night 0.
        nights: number of nights.
        monthly_normals_c: 12 monthly means (deg C); default the packaged Kyiv norms.
        offset_c: added to every day (deg C), e.g. -2 for a cold winter.
        cold_snap_start_offset_days: first night of the cold snap (index from night 0).
        cold_snap_nights: length of the cold snap in nights (0 = none).
        cold_snap_delta_c: added during the cold snap (deg C, negative = colder).

    Returns:
        Array of ``nights`` temperatures in deg C.
    """
    normals = load_monthly_normals() if monthly_normals_c is None else np.asarray(monthly_normals_c)
    dates = [start_date + dt.timedelta(days=k) for k in range(nights)]
    ordinals = np.array([d.toordinal() for d in dates], dtype=float)
    years = range(start_date.year - 1, (dates[-1].year if dates else start_date.year) + 2)
    anchor_x = []
    anchor_t = []
    for y in years:
        for m in range(1, 13):
            anchor_x.append(dt.date(y, m, 15).toordinal())
            anchor_t.append(normals[m - 1])
    temps = np.interp(ordinals, np.array(anchor_x, float), np.array(anchor_t, float)) + offset_c
    if cold_snap_nights > 0:
        lo = max(0, int(cold_snap_start_offset_days))
        hi = min(nights, lo + int(cold_snap_nights))
        temps[lo:hi] += cold_snap_delta_c
    return temps


def heating_degree_days(temp_c: np.ndarray, base_c: float = 18.0) -> np.ndarray:
    """Heating degree days per day: ``max(0, base_c - T)`` (K*day)."""
    return np.maximum(0.0, base_c - np.asarray(temp_c, dtype=float))


def demand_scale(
    temp_c: np.ndarray,
    *,
    hdd_base_c: float = 18.0,
    design_temperature_c: float = -10.0,
    base_load_fraction: float = 0.6,
) -> np.ndarray:
    """Fraction of the regional winter peak demand reached on each day.

    Args:
        temp_c: daily mean temperatures (deg C).
        hdd_base_c: heating-degree-day base temperature (deg C).
        design_temperature_c: daily mean temperature at which demand equals the regional peak.
        base_load_fraction: share of the peak that does not depend on temperature.

    Returns:
        Array of demand scale factors (1.0 = regional peak demand).
    """
    hdd_design = hdd_base_c - design_temperature_c
    if hdd_design <= 0:
        raise ValueError("design_temperature_c must be below hdd_base_c")
    hdd = heating_degree_days(temp_c, hdd_base_c)
    return base_load_fraction + (1.0 - base_load_fraction) * hdd / hdd_design
