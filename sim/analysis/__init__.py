"""Analysis of finished results: scenario discovery over a sweep's runs (:mod:`sim.analysis.
discovery`: PRIM and CART boxes, :mod:`~sim.analysis.boxes`; the sweep folder and the EMA
Workbench's form of it, :mod:`~sim.analysis.sweep_data`).

The layer sits above :mod:`sim.experiments`: it reads result folders only and never reaches into
the model. The statistics of run summaries and comparisons (:mod:`sim.experiments.stats`), the
command line's tables (:mod:`sim.experiments.tables`) and the sensitivity indices of a sweep
(:mod:`sim.experiments.sweep.sensitivity`) stay with the experiments that compute them.
"""
