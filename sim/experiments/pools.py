"""The one place that makes process pools: sweeps, the optimiser and the calibration run their
replicates on pools from :func:`process_pool`.

Workers start with ``forkserver`` on POSIX (safe beside threads, and the server imports the
model once for every worker it forks) and ``spawn`` elsewhere. Each worker process builds a
scenario's theatre once and reuses it for every run of that scenario
(:func:`sim.model.theatre.theatre_for`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor


def available_cores() -> int:
    """Number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_start_method() -> str:
    """``forkserver`` on POSIX (not macOS), else ``spawn``."""
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods and sys.platform != "darwin" else "spawn"


def process_pool(workers: int | None = None, *, start_method: str | None = None,
                 preload: Sequence[str] = (), initializer: Callable | None = None,
                 initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of worker processes.

    Args:
        workers: processes (default: every available core).
        start_method: multiprocessing start method (default :func:`default_start_method`).
        preload: modules the fork server imports once before forking workers.
        initializer, initargs: run in each worker when it starts.
    """
    n = max(1, int(workers or available_cores()))
    method = start_method or default_start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver" and preload:
        ctx.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=initializer,
                               initargs=initargs)
