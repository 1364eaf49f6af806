"""Shared test helpers: repository paths and a short-scenario builder.

Import them as ``from tests.helpers import ROOT, SCENARIOS, short``; the pytest fixtures
built on them (``nl200m``, ``baseline``) live in ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

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
