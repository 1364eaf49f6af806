"""Scenario sweeps, policy comparisons and sensitivity analysis (from laptop to cluster).

Layers (EMA Workbench style): :mod:`~sim.experiments.sweep.spec` (sweep files),
:mod:`~sim.experiments.sweep.designs` (design points), :mod:`~sim.experiments.sweep.model` (the
model adapter and the worker function), :mod:`~sim.experiments.sweep.evaluators` (serial,
processes, Dask), :mod:`~sim.experiments.sweep.store` (Parquet parts, resume, manifest),
:mod:`~sim.experiments.sweep.engine`, :mod:`~sim.experiments.sweep.compare`,
:mod:`~sim.experiments.sweep.sensitivity`; :mod:`~sim.experiments.sweep.api` holds the verbs
(``sweep``, ``compare``, ``sensitivity``, ``load_results``) that :mod:`sim` exposes.

Importing this package imports none of them.
"""
