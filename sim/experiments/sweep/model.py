"""The model seen by the sweep machinery, and the function that runs a chunk of runs in a worker.

The machinery never imports the simulation directly: it goes through a :class:`ModelAdapter`,
a picklable bundle of four module-level callables:

* ``run(scenario, seed, replicate) -> RunOutput-like`` (an object with ``outcomes``, a dict of
  scalars, and optionally ``nights``, a DataFrame; a plain dict of outcomes also works),
* ``load(path) -> scenario``,
* ``override(scenario, {key_path: value}) -> scenario`` (raises a ``SimInputError`` for an unknown
  key path or an invalid value),
* ``get(scenario, key_path) -> value`` (optional).

:data:`SIM_MODEL` (the default, spelled ``model: sim`` in a sweep file) binds them to
``sim.experiments.runs.run_one``, ``sim.config.io.load_scenario``, ``with_overrides`` and ``get_path``. Any
other adapter is named in a sweep file as ``"package.module:ATTRIBUTE"``.

Common random numbers: run ``(point p, replicate r)`` calls ``run(scenario_p, seed, r)`` with the
sweep's seed, so every design point's replicate ``r`` uses the same random streams
(``SeedSequence([seed, r])`` in the real model) and faces the same attacks.
"""

from __future__ import annotations

import importlib
import json
import math
import signal
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.experiments.sweep.errors import SweepSpecError


@dataclass(frozen=True)
class ModelAdapter:
    """A model and its scenario functions (all picklable module-level callables)."""

    name: str
    run: Callable[[Any, int, int], Any]
    load: Callable[[str], Any]
    override: Callable[[Any, dict], Any]
    get: Callable[[Any, str], Any] | None = None
    preload: tuple[str, ...] = ()


def _sim_run(scenario, seed: int, replicate: int = 0):
    from sim.experiments.runs import run_one

    return run_one(scenario, seed, replicate)


def _sim_load(path: str):
    from sim.config.io import load_scenario

    return load_scenario(path)


def _sim_override(scenario, overrides: dict):
    if not overrides:
        return scenario
    from sim.config.io import with_overrides

    return with_overrides(scenario, overrides)


def _sim_get(scenario, key: str):
    from sim.config.io import get_path

    return get_path(scenario, key)


#: The real simulation (``sim.experiments.runs`` / ``sim.config.io``), imported lazily in each process;
#: a pool's fork server imports it and warms up (:mod:`sim.experiments.warmup`) before forking.
SIM_MODEL = ModelAdapter(
    name="sim",
    run=_sim_run,
    load=_sim_load,
    override=_sim_override,
    get=_sim_get,
    preload=("sim.experiments.runs", "sim.config.io", "sim.experiments.warmup"),
)


def adapter_for(run: Callable[[Any, int, int], Any], name: str | None = None) -> ModelAdapter:
    """An adapter for another model function on the real scenarios (``sim.config``).

    ``run(scenario, seed, replicate)`` must be a picklable module-level function (for the
    process and Dask backends) returning a ``RunOutput``-like object.
    """
    return ModelAdapter(
        name=name or f"{run.__module__}.{run.__qualname__}",
        run=run,
        load=_sim_load,
        override=_sim_override,
        get=_sim_get,
        preload=("sim.config.io", run.__module__),
    )


def resolve_model(ref: str | ModelAdapter | None) -> ModelAdapter:
    """Turn ``None``/``"sim"``, ``"module:ATTR"`` or an adapter into a :class:`ModelAdapter`.

    Raises:
        SweepSpecError: the reference cannot be imported or is not a ``ModelAdapter``.
    """
    if isinstance(ref, ModelAdapter):
        return ref
    if ref is None or ref == "sim":
        return SIM_MODEL
    mod_name, _, attr = str(ref).partition(":")
    if not attr:
        raise SweepSpecError(f"model: {ref!r}: expected 'sim' or 'package.module:ATTRIBUTE'")
    try:
        obj = getattr(importlib.import_module(mod_name), attr)
    except (ImportError, AttributeError) as exc:
        raise SweepSpecError(f"model: {ref!r}: cannot import: {exc}") from None
    if not isinstance(obj, ModelAdapter):
        raise SweepSpecError(f"model: {ref!r} is not a sim.experiments.sweep.model.ModelAdapter")
    return obj


def scenario_seed(x: Any, adapter: ModelAdapter) -> int:
    """The ``seed`` of a scenario (a file, with the scenarios it starts from, or an object) as
    the adapter reads it, or 0 if it has none: the seed of every verb that is given none.

    Raises:
        SimInputError: the scenario file is bad (the model's own input error).
    """
    import os

    if adapter.get is None:
        return 0
    try:
        scn = adapter.load(str(x)) if isinstance(x, (str, os.PathLike)) else x
        value = adapter.get(scn, "seed")
    except (KeyError, AttributeError, TypeError):
        return 0
    except Exception as exc:  # noqa: BLE001 - the model's own input errors
        from sim.config.errors import SimInputError

        if isinstance(exc, SimInputError):
            raise
        return 0
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class RunContext:
    """What every run of one sweep shares; sent to workers with each chunk.

    Attributes:
        adapter: the model.
        base: base scenario, as a path (loaded once per worker process and cached) or an object.
        base_key: cache key of the base scenario plus fixed overrides (unique per content).
        fixed: constant overrides applied to the base, as sorted ``(key, value)`` pairs.
        seed: the sweep seed (every run uses it; replicate ``r`` gives the stream).
        outcomes: outcome names to keep (``None``: every scalar outcome).
        nights: return the per-night table too.
    """

    adapter: ModelAdapter
    base: Any
    base_key: str
    fixed: tuple = ()
    seed: int = 0
    outcomes: tuple[str, ...] | None = None
    nights: bool = False


#: A run to do: ``(run_id, point, replicate, overrides)``.
Task = tuple[int, int, int, dict]


@dataclass
class RunResult:
    """One finished run: ids, its scalar outcomes and (optionally) its per-night table."""

    run_id: int
    point: int
    replicate: int
    outcomes: dict[str, float]
    nights: Any = None


@dataclass
class ChunkResult:
    """The results of one chunk, in task order, and the time spent inside the model."""

    results: list[RunResult]
    model_seconds: float
    model_cpu_seconds: float = 0.0


_BASE_CACHE: dict[str, Any] = {}
_POINT_CACHE: OrderedDict = OrderedDict()
_POINT_CACHE_SIZE = 16


def base_scenario(ctx: RunContext):
    """The base scenario with the fixed overrides applied, cached per process."""
    scn = _BASE_CACHE.get(ctx.base_key)
    if scn is None:
        base = ctx.adapter.load(str(ctx.base)) if isinstance(ctx.base, str) else ctx.base
        scn = ctx.adapter.override(base, dict(ctx.fixed)) if ctx.fixed else base
        _BASE_CACHE[ctx.base_key] = scn
    return scn


def point_scenario(ctx: RunContext, overrides: dict):
    """The scenario of one design point (base plus fixed plus the point's overrides), cached."""
    key = (ctx.base_key, json.dumps(overrides, sort_keys=True, default=str))
    scn = _POINT_CACHE.get(key)
    if scn is not None:
        _POINT_CACHE.move_to_end(key)
        return scn
    base = base_scenario(ctx)
    scn = ctx.adapter.override(base, overrides) if overrides else base
    _POINT_CACHE[key] = scn
    while len(_POINT_CACHE) > _POINT_CACHE_SIZE:
        _POINT_CACHE.popitem(last=False)
    return scn


def _scalar(v) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
        try:
            return float(v.item())
        except (TypeError, ValueError):
            return None
    return None


def extract_outcomes(output, keep: tuple[str, ...] | None = None) -> dict[str, float]:
    """Flat scalar outcomes of a model output (non-scalar entries are dropped)."""
    raw = output.outcomes if hasattr(output, "outcomes") else output
    if not isinstance(raw, dict):
        raise TypeError(f"model output has no outcome dict: {type(output).__name__}")
    if keep is not None:
        return {k: (_scalar(raw[k]) if k in raw else math.nan) for k in keep}
    out = {}
    for k, v in raw.items():
        x = _scalar(v)
        if x is not None:
            out[str(k)] = x
    return out


def run_task(ctx: RunContext, task: Task) -> tuple[RunResult, float, float]:
    """Run one task; returns the result and the wall and CPU seconds spent in the model."""
    run_id, point, replicate, overrides = task
    scn = point_scenario(ctx, overrides)
    t0 = time.perf_counter()
    c0 = time.process_time()
    output = ctx.adapter.run(scn, ctx.seed, replicate)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
    nights = None
    if ctx.nights:
        nights = getattr(output, "nights", None)
        if nights is not None:
            nights = nights.reset_index(drop=True).drop(
                columns=["run_id", "point", "replicate"], errors="ignore"
            )
            nights.insert(0, "replicate", replicate)
            nights.insert(0, "point", point)
            nights.insert(0, "run_id", run_id)
    result = RunResult(run_id, point, replicate, extract_outcomes(output, ctx.outcomes), nights)
    return result, dt, dc


def run_chunk(ctx: RunContext, tasks: list[Task]) -> ChunkResult:
    """Run a chunk of tasks in order (the function every evaluator calls in its workers)."""
    from sim.experiments.pools import release_memory

    results = []
    total = cpu = 0.0
    for task in tasks:
        res, dt, dc = run_task(ctx, task)
        results.append(res)
        total += dt
        cpu += dc
        release_memory(run_s=dt)
    return ChunkResult(results, total, cpu)


def worker_init(preload: tuple[str, ...] = ()) -> None:
    """Initialiser of worker processes: leave Ctrl-C to the parent and import the model early."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in preload:  # a missing module fails here, loudly, not in the first run
        importlib.import_module(name)
