"""Shared test helpers: repository paths and a short-scenario builder.

Import them as ``from tests.helpers import ROOT, SCENARIOS, short``; the pytest fixtures
built on them (``nl200m``, ``baseline``) live in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.config.io import with_overrides

ROOT = Path(__file__).resolve().parents[1]  # the repository root
SCENARIOS = ROOT / "scenarios"
DATA = ROOT / "sim" / "data"


def short(scenario, nights=10, **overrides):
    """A shorter copy of a scenario (default 10 nights, starting 1 Jan 2026 so that the
    programme has deliveries)."""
    ov = {"period.nights": nights, "period.start_date": "2026-01-01"}
    ov.update(overrides)
    return with_overrides(scenario, ov)


def straight_raid(start, end, speed_kms, altitude_m, t0=0.0, t_border=None, kind=None):
    """A :class:`sim.model.threat.Raid` of drones flying straight from ``start`` to ``end``
    (one point or (N, 2) arrays) at ``speed_kms``, launched at ``t0``; entering
    Ukrainian-controlled airspace at ``t_border`` (default: at launch); Shaheds unless
    ``kind`` is given. Scalars and per-drone arrays broadcast to N drones."""
    from sim.model.threat import SHAHED, Raid

    sizes = [len(np.asarray(p, float).reshape(-1, 2)) for p in (start, end)
             if np.ndim(p) == 2]
    sizes += [np.size(x) for x in (altitude_m, t0, t_border, kind) if np.ndim(x) == 1]
    n = max(sizes, default=1)
    start = np.asarray(start, float).reshape(-1, 2)
    end = np.asarray(end, float).reshape(-1, 2)

    def col(x, dtype=float):
        return np.broadcast_to(np.asarray(x, dtype), (n,)).copy()

    start, end = np.broadcast_to(start, (n, 2)), np.broadcast_to(end, (n, 2))
    t0 = col(t0)
    times = np.stack([t0, t0 + np.hypot(*(end - start).T) / speed_kms], axis=1)
    zeros = np.zeros(n, dtype=int)
    return Raid(
        kind=col(SHAHED if kind is None else kind, int), area=zeros, target_kind=zeros,
        target=zeros, pts=np.stack([start, end], axis=1), times=times,
        speed_kms=col(speed_kms), altitude_m=col(altitude_m),
        t_border=t0.copy() if t_border is None else col(t_border), cost_eur=col(0.0),
    )
