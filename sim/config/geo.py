"""Geography of the theatre: a local projection from latitude/longitude to kilometres.

The model works on a flat plane in km. An equirectangular projection centred on Ukraine
(48.5 N, 31.5 E) keeps distance errors below about 1% across the theatre (a few km over
1,000 km), which is far below the uncertainty of every other input.
"""

from __future__ import annotations

import numpy as np

LAT0_DEG = 48.5
LON0_DEG = 31.5
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320 * np.cos(np.radians(LAT0_DEG))

# Bounding box of the theatre (Ukraine plus the Russian and Belarusian launch areas), degrees.
THEATRE_LAT_RANGE = (43.0, 56.0)
THEATRE_LON_RANGE = (21.0, 42.0)


def project(lat, lon):
    """Project latitude/longitude (degrees) to x/y in km (x east, y north).

    Args:
        lat: latitude(s) in degrees.
        lon: longitude(s) in degrees.

    Returns:
        ``(x_km, y_km)``, arrays (or floats) of the same shape as the inputs.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    return (lon - LON0_DEG) * KM_PER_DEG_LON, (lat - LAT0_DEG) * KM_PER_DEG_LAT


def unproject(x_km, y_km):
    """Inverse of :func:`project`: km back to ``(lat, lon)`` in degrees."""
    x_km = np.asarray(x_km, dtype=float)
    y_km = np.asarray(y_km, dtype=float)
    return y_km / KM_PER_DEG_LAT + LAT0_DEG, x_km / KM_PER_DEG_LON + LON0_DEG


def in_theatre(lat, lon):
    """True where a coordinate lies inside the theatre's bounding box."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    return (
        (lat >= THEATRE_LAT_RANGE[0])
        & (lat <= THEATRE_LAT_RANGE[1])
        & (lon >= THEATRE_LON_RANGE[0])
        & (lon <= THEATRE_LON_RANGE[1])
    )
