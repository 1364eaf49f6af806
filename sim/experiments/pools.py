"""The one place that makes process pools: sweeps, the optimiser and the calibration run their
replicates on pools from :func:`process_pool`.

Workers start with ``forkserver`` on POSIX (safe beside threads, and the server imports the
model once for every worker it forks) and ``spawn`` elsewhere. Each worker process builds a
scenario's theatre once and reuses it for every run of that scenario
(:func:`sim.model.theatre.theatre_for`).
"""

from __future__ import annotations

import ctypes
import gc
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
        preload: modules the fork server imports once before forking workers (and each
            worker imports, in case the server was started earlier without them);
            ``sim.experiments.warmup`` among them loads the compiled kernels there once.
        initializer, initargs: run in each worker when it starts.
    """
    n = max(1, int(workers or available_cores()))
    method = start_method or default_start_method()
    ctx = multiprocessing.get_context(method)
    if method == "forkserver" and preload:
        ctx.set_forkserver_preload(list(preload))
    if preload:  # each worker imports them too: a no-op where its fork server already did
        initializer, initargs = _import_then, (tuple(preload), initializer, tuple(initargs))
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=initializer,
                               initargs=initargs)


def _import_then(modules: tuple[str, ...], initializer: Callable | None, initargs: tuple) -> None:
    """Worker initialiser: import ``modules`` (already imported in a worker forked from a fork
    server that preloaded them; a server started earlier by another pool of this process keeps
    its own list), then run the pool's own initialiser."""
    import importlib

    for name in modules:
        importlib.import_module(name)
    if initializer is not None:
        initializer(*initargs)


_TRIM = {"calls": 0, "libc": None, "work_s": 0.0}
TRIM_EVERY = 8
"""Runs between two returns of freed memory to the system (:func:`release_memory`)."""
TRIM_MIN_WORK_S = 2.0
"""Seconds of runs between two returns at least: a full collection costs tens of milliseconds
in a warm worker (more in a large process), so runs much cheaper than a winter (a test function
of a sensitivity analysis) do not pay one every few runs."""


def release_memory(every: int = TRIM_EVERY, run_s: float | None = None) -> bool:
    """Free the finished runs' memory and give it back to the system, every ``every`` calls (a
    worker calls it after each run).

    A finished model is garbage but not freed at once: Mesa's agents and their model refer to
    each other, so only a full garbage collection frees them, and Python runs one rarely; in
    between, the next winters allocate fresh memory. And glibc's allocator keeps freed blocks
    for reuse instead of returning them. Over thousands of winters a worker's resident memory
    crept up by about a megabyte a winter. So: a full collection (cheap after the warm-up froze
    the imported modules' objects, :mod:`sim.experiments.warmup`), then ``malloc_trim(0)``
    (Linux with glibc; elsewhere only the collection). ``run_s``: how long the run just
    finished took; with it, a collection also waits for :data:`TRIM_MIN_WORK_S` of runs since
    the last one. Returns whether it ran."""
    _TRIM["calls"] += 1
    if run_s is not None:
        _TRIM["work_s"] += float(run_s)
    if _TRIM["calls"] % max(int(every), 1):
        return False
    if run_s is not None and _TRIM["work_s"] < TRIM_MIN_WORK_S:
        return False
    _TRIM["work_s"] = 0.0
    gc.collect()
    libc = _TRIM["libc"]
    if libc is None:
        libc = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL("libc.so.6")
                libc.malloc_trim.argtypes = [ctypes.c_size_t]
            except (OSError, AttributeError):  # not glibc
                libc = False
        _TRIM["libc"] = libc
    if libc:
        libc.malloc_trim(0)
    return True
