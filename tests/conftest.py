"""Shared fixtures: small, fast scenarios built from the shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.io import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def nl200m():
    return load_scenario(SCENARIOS / "nl-200m.yaml")


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")


def short(scenario, nights=10, **overrides):
    """A shorter copy of a scenario (default 10 nights, starting 1 Jan 2026 so that the
    programme has deliveries)."""
    ov = {"period.nights": nights, "period.start_date": "2026-01-01"}
    ov.update(overrides)
    return with_overrides(scenario, ov)
