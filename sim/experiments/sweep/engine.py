"""The sweep engine: plan the runs, hand chunks to an evaluator, stream results to the store.

Run ids: run ``(point p, replicate r)`` has id ``p * replicates + r``; it is run with the sweep
seed and replicate ``r`` (common random numbers across points, see :mod:`sim.experiments.sweep.model`).
"""

from __future__ import annotations

import contextlib
import math
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.config.errors import SimInputError
from sim.config.files import FolderLock, check_output_path
from sim.experiments.sweep.designs import Design, design_size, generate_design
from sim.experiments.sweep.errors import DesignTooLargeError, SweepInterrupted, SweepSpecError
from sim.experiments.sweep.evaluators import Evaluator, SerialEvaluator, make_evaluator
from sim.experiments.sweep.model import (
    ChunkResult,
    ModelAdapter,
    RunContext,
    RunResult,
    Task,
    base_scenario,
    resolve_model,
    run_chunk,
)
from sim.experiments.sweep.spec import Factor, LoadedSweep
from sim.experiments.sweep.store import SweepStore, now_iso, write_json_atomic, write_table_atomic


def package_version() -> str:
    """Version of the ``sim`` package (``sim.__version__``, else the installed metadata)."""
    import sim

    v = getattr(sim, "__version__", None)
    if v:
        return str(v)
    try:
        from importlib.metadata import version

        return version("sim")
    except Exception:  # noqa: BLE001
        return "unknown"




# -- chunking -------------------------------------------------------------------------------------
class ChunkPlanner:
    """Cut the pending tasks into chunks whose size adapts to the observed run time.

    The first chunks hold one run; afterwards a chunk holds about ``target_seconds`` of work
    (at least one run), but never more than ``remaining / (4 * workers)`` runs, so the last
    chunks stay small and every worker stays busy to the end. ``size`` fixes the size instead.
    """

    def __init__(
        self,
        tasks: list[Task],
        n_workers: int,
        size: int | None = None,
        target_seconds: float = 0.2,
        max_size: int = 512,
    ) -> None:
        self.tasks = tasks
        self.n_workers = max(1, n_workers)
        self.fixed = size
        self.size = size or 1
        self.target = target_seconds
        self.max_size = max_size
        self.pos = 0
        self.runs_seen = 0
        self.seconds_seen = 0.0

    def observe(self, chunk: ChunkResult) -> None:
        self.runs_seen += len(chunk.results)
        self.seconds_seen += chunk.model_seconds
        if self.fixed or self.runs_seen == 0:
            return
        per_run = max(self.seconds_seen / self.runs_seen, 1e-6)
        remaining = len(self.tasks) - self.pos
        cap = max(1, remaining // (4 * self.n_workers))
        self.size = max(1, min(math.ceil(self.target / per_run), self.max_size, cap))

    def __iter__(self) -> Iterator[list[Task]]:
        while self.pos < len(self.tasks):
            n = self.size
            chunk = self.tasks[self.pos : self.pos + n]
            self.pos += len(chunk)
            yield chunk


def execute(
    ctx: RunContext, tasks: list[Task], evaluator: Evaluator, chunk_size: int | None = None
) -> Iterator[ChunkResult]:
    """Run tasks on an evaluator; yield chunk results in task order."""
    planner = ChunkPlanner(tasks, evaluator.n_workers, chunk_size)
    for res in evaluator.imap(run_chunk, ctx, planner):
        planner.observe(res)
        yield res


# -- writing --------------------------------------------------------------------------------------
_ARROW = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_()}


def _factor_type(f: Factor, values: list) -> pa.DataType:
    if f.value_type in _ARROW:
        return _ARROW[f.value_type]
    return pa.array(values).type  # "free" factor of a CSV design: infer


class PartWriter:
    """Buffer finished runs and write them as Parquet parts (by count or by age)."""

    def __init__(
        self,
        store: SweepStore,
        design: Design,
        seed: int,
        nights: bool,
        flush_runs: int = 500,
        flush_seconds: float = 10.0,
    ) -> None:
        self.store = store
        self.design = design
        self.seed = seed
        self.nights = nights
        self.flush_runs = flush_runs
        self.flush_seconds = flush_seconds
        self.buf: list[RunResult] = []
        self.last = time.monotonic()
        self.written = 0
        pts = design.points
        self.factor_cols = []
        for f in design.factors:
            vals = [v.item() if hasattr(v, "item") else v for v in pts[f.key].tolist()]
            self.factor_cols.append((f.key, vals, _factor_type(f, vals)))

    def add(self, results: list[RunResult]) -> None:
        self.buf.extend(results)
        if len(self.buf) >= self.flush_runs or time.monotonic() - self.last >= self.flush_seconds:
            self.flush()

    def table(self, results: list[RunResult]) -> pa.Table:
        cols: dict[str, pa.Array] = {
            "run_id": pa.array([r.run_id for r in results], pa.int64()),
            "point": pa.array([r.point for r in results], pa.int64()),
            "replicate": pa.array([r.replicate for r in results], pa.int64()),
            "seed": pa.array([self.seed] * len(results), pa.int64()),
        }
        for key, vals, typ in self.factor_cols:
            cols[key] = pa.array([vals[r.point] for r in results], typ)
        names: dict[str, None] = {}
        for r in results:
            for k in r.outcomes:
                names.setdefault(k, None)
        for k in names:
            if k in cols:
                continue
            cols[k] = pa.array([r.outcomes.get(k, math.nan) for r in results], pa.float64())
        return pa.table(cols)

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.buf:
            return
        results, self.buf = self.buf, []
        nights = None
        if self.nights:
            frames = [r.nights for r in results if r.nights is not None]
            if frames:
                nights = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
        self.store.write_part(self.table(results), nights)
        self.written += len(results)


# -- checks ---------------------------------------------------------------------------------------
def check_inputs(loaded: LoadedSweep, adapter: ModelAdapter, design: Design, ctx: RunContext) -> None:
    """Load the base scenario and try every factor's values on it, before any run starts.

    Raises:
        SimInputError: the base scenario is invalid (the model's own error), or a fixed override
            or a factor names an unknown key or gets an invalid value (a SweepSpecError naming
            the sweep file and the factor).
    """
    where = loaded.where
    try:
        base = base_scenario(ctx)
    except SimInputError as exc:
        if loaded.fixed:
            raise SweepSpecError(f"{where}: fixed / --set overrides: {exc}") from None
        raise
    groups = [("levers", i, f) for i, f in enumerate(loaded.spec.levers)]
    groups += [("uncertainties", i, f) for i, f in enumerate(loaded.spec.uncertainties)]
    pts = design.points
    for group, i, f in groups:
        col = pts[f.key]
        distinct = list(dict.fromkeys(col.tolist()))
        probe = distinct if len(distinct) <= 32 else [col.min(), col.max(), col.iloc[0]]
        for v in probe:
            v = v.item() if hasattr(v, "item") else v
            try:
                adapter.override(base, {f.key: v})
            except SimInputError as exc:
                raise SweepSpecError(f"{where}: {group}[{i}] ({f.key} = {v!r}): {exc}") from None
    if design.n_points:
        try:
            adapter.override(base, design.overrides(0))
        except SimInputError as exc:
            raise SweepSpecError(f"{where}: design point 0: {exc}") from None


def factor_warnings(loaded: LoadedSweep, adapter: ModelAdapter, design: Design,
                    ctx: RunContext, max_points: int = 64) -> list[str]:
    """Warnings about the sweep's factors and fixed overrides on the simulation's own model: a
    key that has no effect at any of (up to ``max_points`` evenly spread) design points
    (:func:`sim.config.checks.dead_keys`; its sensitivity index would be noise), and
    implausible values of the base scenario (:func:`sim.config.checks.implausible_values`).
    Other models get none."""
    from sim.config.checks import dead_keys, implausible_values
    from sim.config.schema import Scenario

    try:
        base = base_scenario(ctx)
    except SimInputError:
        return []
    if not isinstance(base, Scenario):
        return []
    where = loaded.where
    out = [f"{where}: base scenario: {w.key}: {w.reason}" for w in implausible_values(base)]
    keys = [f.key for f in loaded.spec.factors]
    n = design.n_points
    step = max(1, -(-n // max_points))
    dead: dict[str, str] | None = None
    for p in range(0, n, step):
        try:
            sc = adapter.override(base, design.overrides(p))
        except SimInputError:
            continue
        here = {w.key: w.reason for w in dead_keys(sc, keys)}
        dead = here if dead is None else {k: v for k, v in dead.items() if k in here}
        if not dead:
            break
    groups = {f.key: (g, i) for g, fs in (("levers", loaded.spec.levers),
                                          ("uncertainties", loaded.spec.uncertainties))
              for i, f in enumerate(fs)}
    for k, why in (dead or {}).items():
        g, i = groups[k]
        out.append(f"{where}: {g}[{i}] ({k}): {why} at every design point; its effects and "
                   "sensitivity indices will be zero or noise")
    out += [f"{where}: fixed {w.key}: {w.reason}" for w in dead_keys(base, list(loaded.fixed))]
    return out


def run_count(loaded: LoadedSweep) -> tuple[int, int]:
    """``(points, runs)`` of a sweep, without generating its design."""
    n = design_size(loaded)
    return n, n * loaded.spec.replicates


def check_size(loaded: LoadedSweep, max_runs: int | None, force: bool) -> tuple[int, int]:
    """Refuse a design above the run cap unless ``force``. Returns ``(points, runs)``."""
    points, runs = run_count(loaded)
    cap = loaded.spec.max_runs if max_runs is None else max_runs
    if runs > cap and not force:
        raise DesignTooLargeError(
            f"{loaded.where}: the design has {runs:,} runs ({points:,} points x "
            f"{loaded.spec.replicates} replicates), above the cap of {cap:,} runs; raise "
            f"max_runs in the sweep file, pass --max-runs, or pass --force"
        )
    return points, runs


def make_context(loaded: LoadedSweep, adapter: ModelAdapter) -> RunContext:
    """The shared context of every run of a sweep."""
    spec = loaded.spec
    fixed = tuple(sorted(loaded.fixed.items()))
    return RunContext(
        adapter=adapter,
        base=str(loaded.base_path),
        base_key=f"{adapter.name}:{loaded.base_path}:{loaded.base_sha256}:{fixed!r}",
        fixed=fixed,
        seed=spec.seed,
        outcomes=tuple(spec.outcomes) if spec.outcomes else None,
        nights=spec.nights_table,
    )


@contextlib.contextmanager
def _sigterm_as_interrupt():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SweepInterrupted(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


# -- the sweep ------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """What :func:`run_sweep` did."""

    out_dir: Path
    status: str
    total: int
    already_done: int
    ran: int
    wall_seconds: float
    model_seconds: float
    evaluator: dict = field(default_factory=dict)
    model_cpu_seconds: float = 0.0

    @property
    def runs_path(self) -> Path:
        return self.out_dir / "runs.parquet"

    @property
    def runs_per_second(self) -> float:
        return self.ran / self.wall_seconds if self.wall_seconds > 0 else math.nan


def run_sweep(
    loaded: LoadedSweep,
    out_dir: str | Path,
    *,
    evaluator: Evaluator | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    backend: str | None = None,
    force: bool = False,
    max_runs: int | None = None,
    progress: bool = True,
    chunk_size: int | None = None,
    flush_runs: int = 500,
    flush_seconds: float = 10.0,
    connect_timeout: float = 5.0,
    model: str | ModelAdapter | None = None,
) -> SweepResult:
    """Run (or resume) a sweep into ``out_dir``.

    Args:
        loaded: the loaded sweep (:func:`sim.experiments.sweep.spec.load_sweep`).
        out_dir: results folder (created; resumed if it holds this sweep's partial results).
        evaluator: where to run; default from ``workers``/``scheduler``/``backend``.
        force: run a design above the size cap; overwrite another sweep's results folder.
        max_runs: size cap (default: the sweep file's ``max_runs``).
        progress: show a progress bar on stderr.
        chunk_size: runs per chunk (default adaptive).
        flush_runs, flush_seconds: write a part after this many runs or seconds.
        model: override the sweep file's ``model``.

    Raises:
        SimInputError: bad sweep, bad scenario, size cap, foreign folder, unreachable scheduler.
        SweepInterrupted: Ctrl-C or SIGTERM; finished runs are on disk, rerun to resume.
    """
    t_start = time.perf_counter()
    started = now_iso()
    spec = loaded.spec
    check_output_path(out_dir, "--out", folder=True)
    adapter = resolve_model(model if model is not None else spec.model)
    points, total = check_size(loaded, max_runs, force)
    design = generate_design(loaded)
    assert design.n_points == points
    sweep_id = loaded.identity()
    ctx = make_context(loaded, adapter)
    store = SweepStore(out_dir)
    manifest, _ = store.check(sweep_id, force, loaded.where)  # refuse a foreign folder early
    if manifest is not None:
        store.finished_ids()  # a damaged file is repaired or refused now, before any run
    check_inputs(loaded, adapter, design, ctx)
    for w in factor_warnings(loaded, adapter, design, ctx):
        print(f"warning: {w}", file=sys.stderr)
    finished = (
        manifest is not None
        and manifest.get("status") == "complete"
        and store.runs_path.exists()
        and not store.run_parts()
    )
    own_eval = evaluator is None and not finished
    lock = FolderLock(store.root)  # a second sweep into this folder exits 2, naming the first
    lock.__enter__()
    try:
        if own_eval:  # connect (or fail) before touching the folder
            evaluator = make_evaluator(workers, scheduler, backend, connect_timeout,
                                       adapter.preload)
        return _run_into_store(
            loaded,
            store,
            sweep_id,
            adapter,
            design,
            ctx,
            evaluator,
            total,
            points,
            started,
            t_start,
            progress,
            chunk_size,
            flush_runs,
            flush_seconds,
            force,
        )
    finally:
        try:
            if own_eval and evaluator is not None:
                evaluator.close()
        finally:
            lock.__exit__(None, None, None)


def _new_manifest(
    loaded: LoadedSweep, sweep_id: str, adapter: ModelAdapter, started: str, total: int, points: int
) -> dict:
    return {
        "format": "sim-sweep/1",
        "sweep_id": sweep_id,
        "name": loaded.name,
        "sweep_file": str(loaded.path) if loaded.path else None,
        "sweep_file_sha256": loaded.file_sha256,
        "base_scenario": str(loaded.base_path),
        "base_sha256": loaded.base_sha256,
        "model": adapter.name,
        "package_version": package_version(),
        "started_at": started,
        "finished_at": None,
        "status": "running",
        "run_count": total,
        "points": points,
        "replicates": loaded.spec.replicates,
        "seed": loaded.spec.seed,
        "runs_done": 0,
        "sessions": [],
    }


def _run_into_store(
    loaded,
    store,
    sweep_id,
    adapter,
    design,
    ctx,
    evaluator,
    total,
    points,
    started,
    t_start,
    progress,
    chunk_size,
    flush_runs,
    flush_seconds,
    force,
):
    spec = loaded.spec
    manifest = store.prepare(sweep_id, force, loaded.where)
    if manifest is None:
        manifest = _new_manifest(loaded, sweep_id, adapter, started, total, points)
        write_json_atomic(store.spec_path, loaded.to_json())
        if loaded.path is not None:
            shutil.copyfile(loaded.path, store.root / "sweep.yaml")
        write_table_atomic(pa.Table.from_pandas(design.to_frame(), preserve_index=False), store.design_path)
        store.write_manifest(manifest)
    else:
        design_table = pa.Table.from_pandas(design.to_frame(), preserve_index=False)
        for name in store.repair_records(loaded.to_json(), design_table):
            print(f"note: {store.root / name} was damaged; rewritten from the sweep file",
                  file=sys.stderr)
    if manifest.get("package_version") != package_version():
        print(
            f"warning: {store.root} was started with sim {manifest.get('package_version')}, "
            f"resuming with {package_version()}",
            file=sys.stderr,
        )
    done = store.finished_ids()
    reps = spec.replicates
    overrides = [design.overrides(p) for p in range(points)]
    tasks: list[Task] = [
        (p * reps + r, p, r, overrides[p])
        for p in range(points)
        for r in range(reps)
        if p * reps + r not in done
    ]
    already = total - len(tasks)
    session: dict[str, Any] = {"started_at": started, "runs": 0}
    status = "complete" if not tasks else "interrupted"
    model_seconds = model_cpu = 0.0
    writer = PartWriter(store, design, spec.seed, spec.nights_table, flush_runs, flush_seconds)
    bar = None
    try:
        with _sigterm_as_interrupt():
            if tasks:
                if evaluator is None:  # only if the folder changed under us
                    evaluator = SerialEvaluator()
                session.update(evaluator.describe())
                from tqdm.auto import tqdm

                tty = sys.stderr.isatty()
                bar = tqdm(
                    total=total,
                    initial=already,
                    unit="run",
                    desc=loaded.name,
                    disable=not progress,
                    file=sys.stderr,
                    dynamic_ncols=True,
                    smoothing=0.05,
                    mininterval=0.2 if tty else 5.0,
                )
                for chunk in execute(ctx, tasks, evaluator, chunk_size):
                    writer.add(chunk.results)
                    model_seconds += chunk.model_seconds
                    model_cpu += chunk.model_cpu_seconds
                    bar.update(len(chunk.results))
                writer.flush()
                status = "complete"
    except SweepInterrupted:
        status = "interrupted"
        raise
    except KeyboardInterrupt:
        status = "interrupted"
        raise SweepInterrupted("Ctrl-C") from None
    except BaseException:
        status = "failed"
        raise
    finally:
        try:
            writer.flush()  # finished runs are never lost, whatever stopped the loop
        finally:
            if bar is not None:
                bar.close()
            session.update(
                finished_at=now_iso(),
                runs=writer.written,
                model_seconds=round(model_seconds, 3),
                model_cpu_seconds=round(model_cpu, 3),
                wall_seconds=round(time.perf_counter() - t_start, 3),
            )
            if tasks:
                manifest["sessions"].append(session)
            manifest["runs_done"] = already + writer.written
            if status == "complete":
                if store.run_parts() or not store.runs_path.exists():
                    n = store.consolidate(spec.nights_table)
                    if n != total:
                        status = "failed"
                        manifest["error"] = f"consolidated {n} runs, expected {total}"
                if tasks or not manifest.get("finished_at"):
                    manifest["finished_at"] = now_iso()
            manifest["status"] = status
            store.write_manifest(manifest)
    if status != "complete":
        raise RuntimeError(f"{store.root}: {manifest.get('error')}")
    return SweepResult(
        out_dir=store.root,
        status=status,
        total=total,
        already_done=already,
        ran=writer.written,
        wall_seconds=time.perf_counter() - t_start,
        model_seconds=model_seconds,
        evaluator=session if tasks else {},
        model_cpu_seconds=model_cpu,
    )
