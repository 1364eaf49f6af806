"""Python API for notebooks: ``run``, ``sweep``, ``compare``, ``sensitivity``, ``load_results``.

Every verb does what the command of the same name does and returns a pandas DataFrame (``run``
returns the model's ``RunOutput``). Options mirror the command-line flags::

    import sim.experiments.sweep as sw
    runs = sw.sweep("sweeps/funding.yaml", out="results/funding", workers=2)
    diff = sw.compare("scenarios/nl-200m.yaml", "scenarios/nl-400m.yaml", replicates=20)
    idx = sw.sensitivity("sweeps/threat-uncertainty.yaml", method="sobol", samples=64)
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.sweep import compare as cmp
from sim.experiments.sweep import sensitivity as sens
from sim.experiments.sweep.engine import SweepResult, execute, run_sweep
from sim.experiments.sweep.errors import CompareError, SensitivityError, SweepSpecError
from sim.experiments.sweep.evaluators import Evaluator, make_evaluator
from sim.experiments.sweep.model import (
    ModelAdapter,
    RunContext,
    base_scenario,
    resolve_model,
    scenario_seed,
)
from sim.experiments.sweep.spec import (
    LoadedSweep,
    SweepSpec,
    load_sweep,
    sha256_file,
    spec_from_data,
)

DEFAULT_RESULTS = Path("results")


def _loaded(sweep: str | Path | LoadedSweep | dict, overrides: dict | None) -> LoadedSweep:
    if isinstance(sweep, LoadedSweep):
        if overrides:
            sweep = LoadedSweep(**{**sweep.__dict__, "fixed": {**sweep.fixed, **overrides}})
        return sweep
    if isinstance(sweep, dict):
        loaded = spec_from_data(sweep, "<sweep>", Path.cwd(), overrides=overrides)
    else:
        loaded = load_sweep(sweep, overrides)
    for note in loaded.notes:  # e.g. the base scenario was taken from the package
        print(f"note: {note}", file=sys.stderr)
    return loaded


def default_out(loaded: LoadedSweep, suffix: str = "") -> Path:
    """Default results folder of a sweep: ``results/<name><suffix>``."""
    return DEFAULT_RESULTS / f"{loaded.name}{suffix}"


def run(
    scenario: Any,
    seed: int | None = None,
    replicate: int = 0,
    overrides: dict | None = None,
    model: str | ModelAdapter | None = None,
):
    """One run of a scenario (a path or a scenario object); returns the model's ``RunOutput``.
    The seed is the scenario's unless ``seed`` is given."""
    adapter = resolve_model(model)
    scn = adapter.load(str(scenario)) if isinstance(scenario, (str, os.PathLike)) else scenario
    if overrides:
        scn = adapter.override(scn, overrides)
    if seed is None:
        seed = _scenario_seed(scn, adapter)
    return adapter.run(scn, seed, replicate)


def sweep(
    sweep: str | Path | LoadedSweep | dict,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    backend: str | None = None,
    force: bool = False,
    overrides: dict | None = None,
    max_runs: int | None = None,
    progress: bool = True,
    model: str | ModelAdapter | None = None,
    evaluator: Evaluator | None = None,
    chunk_size: int | None = None,
    flush_runs: int = 500,
    flush_seconds: float = 10.0,
) -> pd.DataFrame:
    """Run (or resume) a sweep and return its runs table.

    Args:
        sweep: a sweep file, a loaded sweep, or a sweep mapping (paths relative to the cwd).
        out: results folder (default ``results/<sweep name>``).
        workers, scheduler, backend: where to run (see ``sim sweep --help``).
        force: run above the size cap; overwrite a folder of another sweep.
        overrides: constant scenario overrides (like ``--set``).
        model: override the sweep's model (an adapter or ``"module:ATTR"``).
        evaluator: an evaluator instance (wins over workers/scheduler/backend).

    Returns:
        The runs table; ``df.attrs`` holds ``out_dir``, ``runs_per_second`` and the session.
    """
    loaded = _loaded(sweep, overrides)
    out_dir = Path(out) if out is not None else default_out(loaded)
    res = run_sweep(
        loaded,
        out_dir,
        evaluator=evaluator,
        workers=workers,
        scheduler=scheduler,
        backend=backend,
        force=force,
        max_runs=max_runs,
        progress=progress,
        model=model,
        chunk_size=chunk_size,
        flush_runs=flush_runs,
        flush_seconds=flush_seconds,
    )
    return _attach(pd.read_parquet(res.runs_path), res)


def _attach(df: pd.DataFrame, res: SweepResult) -> pd.DataFrame:
    df.attrs.update(
        out_dir=str(res.out_dir),
        total=res.total,
        ran=res.ran,
        already_done=res.already_done,
        wall_seconds=res.wall_seconds,
        model_seconds=res.model_seconds,
        runs_per_second=res.runs_per_second,
        evaluator=res.evaluator,
    )
    return df


def load_results(folder: str | Path) -> pd.DataFrame:
    """The runs table of a finished sweep folder."""
    return cmp.read_results_folder(folder)[0]


# -- compare --------------------------------------------------------------------------------------
def _scenario_context(
    x: Any, adapter: ModelAdapter, seed: int, fixed: dict, outcomes: list[str] | None
) -> RunContext:
    items = tuple(sorted((fixed or {}).items()))
    if isinstance(x, (str, os.PathLike)):
        p = Path(x)
        if not p.is_file():
            raise CompareError(f"{p}: scenario file not found")
        p = p.resolve()
        key = f"{adapter.name}:{p}:{sha256_file(p)}:{items!r}"
        base: Any = str(p)
    else:
        key = f"obj:{uuid.uuid4().hex}:{items!r}"
        base = x
    return RunContext(
        adapter=adapter,
        base=base,
        base_key=key,
        fixed=items,
        seed=seed,
        outcomes=tuple(outcomes) if outcomes else None,
    )


def run_replicates(
    ctx: RunContext, replicates: int, evaluator: Evaluator, progress: Any = None
) -> pd.DataFrame:
    """Replicates ``0 .. R-1`` of one scenario; one row per replicate."""
    tasks = [(r, 0, r, {}) for r in range(replicates)]
    rows = []
    for chunk in execute(ctx, tasks, evaluator):
        for res in chunk.results:
            rows.append({"replicate": res.replicate, "seed": ctx.seed, **res.outcomes})
        if progress is not None:
            progress.update(len(chunk.results))
    return pd.DataFrame(rows)


def _scenario_seed(x: Any, adapter: ModelAdapter) -> int:
    """The ``seed`` of a scenario (file or object), or 0 if it has none."""
    return scenario_seed(x, adapter)


def _period(scn: Any, adapter: ModelAdapter) -> tuple[str, int] | None:
    """``(start date, nights)`` of a scenario, or ``None`` for a model without periods."""
    if adapter.get is None:
        return None
    try:
        return str(adapter.get(scn, "period.start_date")), int(adapter.get(scn, "period.nights"))
    except Exception:  # noqa: BLE001 - a model without a period
        return None


def _is_folder(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike)) and Path(x).is_dir()


def compare(
    a: Any,
    b: Any,
    *,
    replicates: int = 20,
    seed: int | None = None,
    outcomes: list[str] | None = None,
    overrides: dict | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    backend: str | None = None,
    model: str | ModelAdapter | None = None,
    evaluator: Evaluator | None = None,
    by_point: bool = False,
    level: float = 0.95,
    progress: bool = False,
) -> pd.DataFrame:
    """Compare B against A with common random numbers (paired differences ``B - A``).

    Args:
        a, b: two scenario files (or scenario objects), run ``replicates`` times each with the
            same ``seed``; or two finished sweep folders (paired by design point and replicate).
        seed: the seed both use (default: scenario A's own ``seed``, else 0).
        outcomes: outcomes to compare (default: all).
        overrides: constant overrides applied to both scenarios (like ``--set``).
        by_point: for sweep folders, one block of rows per design point (default: pooled).
        level: confidence level of the intervals.

    Returns:
        One row per outcome (see :data:`sim.experiments.sweep.compare.COLUMNS`); ``df.attrs`` holds the
        metadata written to the JSON report.
    """
    if _is_folder(a) or _is_folder(b):
        if not (_is_folder(a) and _is_folder(b)):
            raise CompareError(
                "compare needs two scenario files or two sweep result folders, not one of each"
            )
        ra, sa = cmp.read_results_folder(a)
        rb, sb = cmp.read_results_folder(b)
        pa_, pb_ = sorted(ra["point"].unique()), sorted(rb["point"].unique())
        if len(pa_) == 1 and len(pb_) == 1:
            on, by = ["replicate"], None
        elif pa_ == pb_:
            on, by = ["point", "replicate"], (["point"] if by_point else None)
        else:
            raise CompareError(
                f"the sweeps in {a} ({len(pa_)} points) and {b} ({len(pb_)} points) have different "
                f"designs; compare needs the same design points or single-point sweeps"
            )
        crn = set(ra["seed"].unique()) == set(rb["seed"].unique())
        factor_cols = set()
        for s in (sa, sb):
            spec = s.get("spec", {})
            factor_cols |= {f["key"] for f in spec.get("levers", []) + spec.get("uncertainties", [])}
        if outcomes is None:
            outcomes = [o for o in sens.outcome_columns(ra, sorted(factor_cols)) if o in rb.columns]
        df = cmp.compare_tables(ra, rb, outcomes, on=on, by=by, level=level)
        df.attrs.update(
            a=str(a),
            b=str(b),
            kind="folders",
            crn=crn,
            level=level,
            seed=sorted(int(s) for s in ra["seed"].unique()),
            replicates=int(df["n"].max()) if len(df) else 0,
        )
        return df
    if replicates < 2:
        raise CompareError(f"--replicates must be at least 2 for a confidence interval, got {replicates}")
    adapter = resolve_model(model)
    if seed is None:
        seed = _scenario_seed(a, adapter)
    ctx_a = _scenario_context(a, adapter, seed, overrides or {}, outcomes)
    ctx_b = _scenario_context(b, adapter, seed, overrides or {}, outcomes)
    scns = [base_scenario(ctx) for ctx in (ctx_a, ctx_b)]  # a bad file fails here, first
    periods = [_period(x, adapter) for x in scns]
    if None not in periods and periods[0] != periods[1]:
        (sa, na), (sb, nb) = periods
        raise CompareError(
            f"A ({a}) simulates {na} nights from {sa} and B ({b}) {nb} nights from {sb}: a "
            "paired comparison needs the same nights (replicate r of A and of B must face the "
            "same raids); give both the same period.start_date and period.nights (e.g. --set "
            f"period.start_date={sa} --set period.nights={na})")
    own = evaluator is None
    if own:
        evaluator = make_evaluator(workers, scheduler, backend, preload=adapter.preload)
    bar = None
    try:
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=2 * replicates, unit="run", desc="compare", dynamic_ncols=True)
        ta = run_replicates(ctx_a, replicates, evaluator, bar)
        tb = run_replicates(ctx_b, replicates, evaluator, bar)
    finally:
        if bar is not None:
            bar.close()
        if own:
            evaluator.close()
    df = cmp.compare_tables(ta, tb, outcomes, on=["replicate"], level=level)
    df.attrs.update(
        a=str(a),
        b=str(b),
        kind="scenarios",
        crn=True,
        level=level,
        seed=seed,
        replicates=replicates,
        overrides=overrides or {},
    )
    return df


# -- sensitivity ----------------------------------------------------------------------------------
def derive_for_method(
    loaded: LoadedSweep, method: str | None, samples: int | None
) -> tuple[LoadedSweep, str]:
    """The sweep to run for a sensitivity method (its design kind switched if needed).

    Returns ``(sweep, results-folder suffix)``.
    """
    kind = loaded.spec.design.kind
    if method is None:
        if kind not in sens.METHOD_FOR_KIND:
            raise SensitivityError(
                f"{loaded.where}: a {kind} design does not support a sensitivity analysis; pass "
                f"--method sobol or --method morris (with --samples N) to run a suitable design"
            )
        method = sens.METHOD_FOR_KIND[kind]
    if method not in sens.KIND_FOR_METHOD:
        raise SensitivityError(f"unknown method {method!r}: choose sobol, morris or rbd_fast")
    if kind in sens.KIND_FOR_METHOD[method] and samples in (None, loaded.spec.design.samples):
        return loaded, ""
    new_kind = kind if kind in sens.KIND_FOR_METHOD[method] else sens.KIND_FOR_METHOD[method][0]
    n = samples or loaded.spec.design.samples
    if n is None:
        raise SensitivityError(f"{loaded.where}: pass --samples N for the {new_kind} design")
    data = loaded.spec.model_dump(mode="json")
    data["design"] = {**data["design"], "kind": new_kind, "samples": n, "path": None}
    try:
        spec = SweepSpec.model_validate(data)
    except Exception as exc:  # noqa: BLE001
        raise SweepSpecError(f"{loaded.where}: cannot make a {new_kind} design: {exc}") from None
    derived = LoadedSweep(**{**loaded.__dict__, "spec": spec, "csv_path": None, "csv_sha256": None})
    return derived, f"-{new_kind}-{n}"


def analyze_folder(
    folder: str | Path,
    outcomes: list[str] | None = None,
    method: str | None = None,
    write: bool = True,
) -> pd.DataFrame:
    """Sensitivity indices of a finished sweep folder (also writes ``sensitivity.csv``)."""
    folder = Path(folder)
    runs, spec_json = cmp.read_results_folder(folder)
    design = pd.read_parquet(folder / "design.parquet")
    table, table2 = sens.analyze(design, runs, spec_json.get("spec", {}), outcomes, method)
    if write:
        table.to_csv(folder / "sensitivity.csv", index=False)
        if table2 is not None:
            table2.to_csv(folder / "sensitivity_s2.csv", index=False)
    table.attrs.update(out_dir=str(folder), second_order=table2)
    return table


def sensitivity(
    target: str | Path | LoadedSweep | dict,
    *,
    outcomes: list[str] | None = None,
    method: str | None = None,
    samples: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    backend: str | None = None,
    force: bool = False,
    overrides: dict | None = None,
    max_runs: int | None = None,
    progress: bool = True,
    model: str | ModelAdapter | None = None,
    evaluator: Evaluator | None = None,
) -> pd.DataFrame:
    """Sobol' indices or Morris screening of a sweep's outcomes.

    Args:
        target: a finished sweep folder (analysed as it is), or a sweep (file, loaded or mapping):
            it is run (or resumed) first, with its design switched to suit ``method``.
        method: ``sobol``, ``morris`` or ``rbd_fast`` (default: from the design kind).
        samples: sample size of the design (``N`` of Saltelli's scheme, Morris trajectories).

    Returns:
        One row per (policy, outcome, factor); also written to ``DIR/sensitivity.csv``.
    """
    if _is_folder(target) and (Path(target) / "manifest.json").exists():
        return analyze_folder(target, outcomes, method)
    loaded = _loaded(target, overrides)
    derived, suffix = derive_for_method(loaded, method, samples)
    out_dir = Path(out) if out is not None else default_out(loaded, suffix)
    run_sweep(
        derived,
        out_dir,
        evaluator=evaluator,
        workers=workers,
        scheduler=scheduler,
        backend=backend,
        force=force,
        max_runs=max_runs,
        progress=progress,
        model=model,
    )
    return analyze_folder(out_dir, outcomes, method)


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a results folder."""
    return json.loads((Path(folder) / "manifest.json").read_text())
