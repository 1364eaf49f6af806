"""Scenario sweeps, policy comparisons and sensitivity analysis (from laptop to cluster).

The verbs, for notebooks (each returns a pandas DataFrame; see :mod:`sim.sweep.api`)::

    import sim.sweep
    from sim.sweep.api import compare, sensitivity
    runs = sim.sweep("sweeps/funding.yaml", workers=2)      # the package itself is callable
    runs = sim.sweep.sweep("sweeps/funding.yaml")           # the same
    diff = compare("scenarios/nl-200m.yaml", "scenarios/nl-400m.yaml", replicates=20)
    idx = sensitivity("sweeps/threat-uncertainty.yaml", method="sobol", samples=64)
    out = sim.sweep.run("scenarios/baseline.yaml", seed=1)

(``sim.sweep.compare`` and ``sim.sweep.sensitivity`` are the modules that implement the
statistics; the verbs of those names live in :mod:`sim.sweep.api`.)

Layers (EMA Workbench style): :mod:`~sim.sweep.spec` (sweep files), :mod:`~sim.sweep.designs`
(design points), :mod:`~sim.sweep.model` (the model adapter and the worker function),
:mod:`~sim.sweep.evaluators` (serial, processes, Dask), :mod:`~sim.sweep.store` (Parquet parts,
resume, manifest), :mod:`~sim.sweep.engine`, :mod:`~sim.sweep.compare`,
:mod:`~sim.sweep.sensitivity`, :mod:`~sim.sweep.cli`.
"""

from __future__ import annotations

import sys
import types

from sim.sweep.api import analyze_folder, load_results, run, sweep
from sim.sweep.designs import Design, generate_design
from sim.sweep.engine import SweepInterrupted, SweepOutcome, run_sweep
from sim.sweep.errors import (
    CompareError,
    DesignTooLargeError,
    ResultsFolderError,
    SchedulerError,
    SensitivityError,
    SweepError,
    SweepSpecError,
)
from sim.sweep.evaluators import (
    DaskEvaluator,
    Evaluator,
    ProcessEvaluator,
    SerialEvaluator,
    make_evaluator,
)
from sim.sweep.model import SIM_MODEL, ModelAdapter, RunContext, adapter_for
from sim.sweep.spec import LoadedSweep, SweepSpec, load_sweep

__all__ = [
    "CompareError",
    "DaskEvaluator",
    "Design",
    "DesignTooLargeError",
    "Evaluator",
    "LoadedSweep",
    "ModelAdapter",
    "ProcessEvaluator",
    "ResultsFolderError",
    "RunContext",
    "SIM_MODEL",
    "SchedulerError",
    "SensitivityError",
    "SerialEvaluator",
    "SweepError",
    "SweepInterrupted",
    "SweepOutcome",
    "SweepSpec",
    "SweepSpecError",
    "adapter_for",
    "analyze_folder",
    "generate_design",
    "load_results",
    "load_sweep",
    "make_evaluator",
    "run",
    "run_sweep",
    "sweep",
]


class _CallableModule(types.ModuleType):
    """Lets ``sim.sweep(...)`` call :func:`sim.sweep.api.sweep` (``sim.sweep`` is a package)."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
