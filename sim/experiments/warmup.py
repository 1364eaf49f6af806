"""Warm a process up for running winters, once, before it forks workers.

Importing this module imports the model and runs the first nights of the packaged nl-200m
scenario (:func:`warm_up`): that loads numba and the compiled kernels from their cache
(:mod:`sim.model.kernels`, about half a second and 120 MB in a fresh process) and the packaged
data. A process pool's fork server imports it (:func:`sim.experiments.pools.process_pool`), so
every worker forked from the server starts with the kernels loaded and shares their pages with
the server and the other workers instead of loading its own copy. Nothing it builds is kept for
the runs (the theatre it made is forgotten); an error here is ignored (the runs then load what
they need themselves). It ends by freezing the objects alive then (``gc.freeze``): the
workers' garbage collections skip them (cheap collections, and no copying of the shared pages
to update their headers).
"""

from __future__ import annotations

import gc
import os
import time

WARM_NIGHTS = 2

PID = os.getpid()
"""The process that warmed up (a worker forked from a warmed fork server has another pid)."""


def warm_up(nights: int = WARM_NIGHTS) -> float:
    """Run the first ``nights`` nights of the packaged nl-200m scenario with everything on (the
    learning attacker, missiles, the grid) and forget its theatre; returns the seconds taken."""
    from sim.config.data import packaged_path
    from sim.config.io import load_scenario, with_overrides
    from sim.model import theatre
    from sim.model.defense_model import DefenseModel

    t0 = time.perf_counter()
    sc = with_overrides(load_scenario(packaged_path("scenarios/nl-200m.yaml")),
                        {"period.nights": int(nights), "threat.attacker.strategy": "learning"})
    DefenseModel(sc, seed=0).run()
    theatre.clear_cache()
    gc.collect()
    gc.freeze()  # what is alive now lives as long as the process: later collections skip it
    return time.perf_counter() - t0


try:
    SECONDS = warm_up()
except Exception:  # noqa: BLE001 - warming up is an optimisation; the runs load what they need
    SECONDS = float("nan")
