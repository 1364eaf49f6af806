"""Scenario-driven agent-based model of interceptor drones defending energy sites.

The verbs a notebook needs, importable from the top level::

    import sim
    rs = sim.run("scenarios/nl-200m.yaml", replicates=10)            # summary + nightly table
    runs = sim.sweep("sweeps/funding.yaml", workers=2)               # runs.parquet as a frame
    diff = sim.compare("scenarios/nl-200m.yaml", "scenarios/nl-400m.yaml", replicates=20)
    idx = sim.sensitivity("sweeps/threat-uncertainty.yaml", method="sobol", samples=64)
    sc = sim.load_scenario("scenarios/baseline.yaml"); model = sim.DefenseModel(sc, seed=1)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "run": ("sim.runner", "run"),
    "run_one": ("sim.runner", "run_one"),
    "compare": ("sim.sweep.api", "compare"),
    "sensitivity": ("sim.sweep.api", "sensitivity"),
    "load_results": ("sim.sweep.api", "load_results"),
    "load_scenario": ("sim.scenario", "load_scenario"),
    "with_overrides": ("sim.scenario", "with_overrides"),
    "Scenario": ("sim.scenario", "Scenario"),
    "DefenseModel": ("sim.model", "DefenseModel"),
}

__all__ = ["sweep", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    if name == "sweep":  # the subpackage, itself callable: sim.sweep("sweeps/funding.yaml")
        return importlib.import_module("sim.sweep")
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
