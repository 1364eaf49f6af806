"""Shared fixtures (visible to every test folder): the shipped scenarios, loaded once."""

from __future__ import annotations

import pytest

from sim.config.io import load_scenario
from tests.helpers import SCENARIOS


@pytest.fixture(scope="session")
def nl200m():
    return load_scenario(SCENARIOS / "nl-200m.yaml")


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(SCENARIOS / "baseline.yaml")
