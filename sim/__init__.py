"""Agent-based model of interceptor drones defending Ukraine's energy system over a winter.

The verbs a notebook needs, all plain functions::

    import sim
    rs = sim.run("scenarios/nl-200m.yaml", replicates=10)            # summary + nightly table
    runs = sim.sweep("sweeps/funding.yaml", workers=2)               # runs.parquet as a frame
    diff = sim.compare("scenarios/nl-200m.yaml", "scenarios/nl-400m.yaml", replicates=20)
    idx = sim.sensitivity("sweeps/threat-uncertainty.yaml", method="sobol", samples=64)
    sc = sim.load_scenario("scenarios/baseline.yaml"); model = sim.DefenseModel(sc)

Every verb uses the scenario's ``seed`` unless ``seed=`` is given. The layers of the package
(each imports only the ones below it): :mod:`sim.config` -> :mod:`sim.model` ->
:mod:`sim.experiments` -> :mod:`sim.analysis` | :mod:`sim.calibration` -> :mod:`sim.viz` /
:mod:`sim.cli` (docs/architecture.md). Importing ``sim`` imports none of them; each verb imports
what it needs.
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.2.0"

# Arrow's own allocator (mimalloc) reserves tens of MB per process for the few kilobytes of
# string columns the data tables hold; the system allocator does not. Unless the user chose a
# pool, use it (it only takes effect if pyarrow is not imported yet).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

_LAZY = {
    "run_one": ("sim.experiments.runs", "run_one"),
    "load_results": ("sim.experiments.sweep.api", "load_results"),
    "load_scenario": ("sim.config.io", "load_scenario"),
    "with_overrides": ("sim.config.overrides", "with_overrides"),
    "Scenario": ("sim.config.schema", "Scenario"),
    "DefenseModel": ("sim.model.defense_model", "DefenseModel"),
}

__all__ = ["run", "sweep", "compare", "sensitivity", *_LAZY]


def run(scenario, *, seed: int | None = None, replicates: int = 10, overrides: dict | None = None,
        progress: bool = False, net: bool = True):
    """Run a scenario (a path or a :class:`~sim.config.schema.Scenario`) for several replicates;
    with a programme, also the same replicates without it (``net=False`` skips them), for the
    net effects in ``summary["net"]``.

    Returns a :class:`~sim.experiments.runs.RunSet` (``.summary``, ``.nights``, ``.runs``,
    ``.counterfactual``). See :func:`sim.experiments.runs.run`.
    """
    from sim.experiments.runs import run as _run

    return _run(scenario, seed=seed, replicates=replicates, overrides=overrides, progress=progress,
                net=net)


def sweep(sweep, out=None, **options):
    """Run (or resume) a sweep file; returns its runs table (one row per run) as a DataFrame.

    Options as for ``python -m sim sweep`` (``workers``, ``scheduler``, ``backend``, ``force``,
    ``overrides``, ``max_runs``, ``progress``). See :func:`sim.experiments.sweep.api.sweep`.
    Scripts that use ``workers`` must guard their top level with
    ``if __name__ == "__main__":`` (worker processes import the script again).
    """
    from sim.experiments.sweep.api import sweep as _sweep

    return _sweep(sweep, out, **options)


def compare(a, b, **options):
    """Compare two scenarios (or sweep folders) on common random numbers; returns a table of
    paired differences with confidence intervals. See :func:`sim.experiments.sweep.api.compare`.
    """
    from sim.experiments.sweep.api import compare as _compare

    return _compare(a, b, **options)


def sensitivity(sweep, **options):
    """Sobol or Morris sensitivity indices of a sweep (SALib). See
    :func:`sim.experiments.sweep.api.sensitivity`."""
    from sim.experiments.sweep.api import sensitivity as _sensitivity

    return _sensitivity(sweep, **options)


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
