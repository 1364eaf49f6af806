"""Command-line verbs ``sweep``, ``compare`` and ``sensitivity``.

:func:`register` adds them to the main CLI's argparse subparsers (``python -m sim ...``); each
handler returns an exit code and raises :class:`~sim.config.errors.SimInputError` for bad input
(the main CLI prints it and exits with status 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.experiments.sweep.errors import SweepInterrupted


def _csv_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes (default: all cores; 1 runs serially)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a Dask distributed cluster, e.g. tcp://host:8786",
    )
    p.add_argument(
        "--backend",
        choices=["serial", "processes", "dask"],
        default=None,
        help="force a backend (default: dask with --scheduler, else processes)",
    )
    p.add_argument(
        "--connect-timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="give up on an unreachable scheduler after this long (default 5)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="set",
        help="constant scenario override (repeatable), e.g. --set period.nights=10",
    )


def _add_sweep_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, metavar="DIR", help="results folder (default results/<name>)")
    p.add_argument(
        "--force",
        action="store_true",
        help="run a design above the size cap; overwrite a folder of another sweep",
    )
    p.add_argument("--max-runs", type=int, default=None, help="size cap (default: the sweep file's max_runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-size", type=int, default=None, help="runs per chunk (default adaptive)")
    p.add_argument(
        "--flush-runs",
        type=int,
        default=500,
        metavar="N",
        help="write a results part every N finished runs (default 500)",
    )
    p.add_argument(
        "--flush-seconds",
        type=float,
        default=10.0,
        metavar="S",
        help="... or every S seconds, whichever comes first (default 10)",
    )


def register(subparsers) -> None:
    """Add the ``sweep``, ``compare`` and ``sensitivity`` subcommands to argparse subparsers."""
    p = subparsers.add_parser(
        "sweep",
        help="run a sweep of scenarios (resumable; serial, processes or Dask)",
        description="Run the design of a sweep file and write DIR/runs.parquet and "
        "DIR/manifest.json. Rerunning the same command resumes an interrupted sweep.",
    )
    p.add_argument("sweep_file", metavar="SWEEP.yaml")
    _add_sweep_options(p)
    _add_run_options(p)
    p.add_argument("--nights", action="store_true", help="also write the per-night table")
    p.set_defaults(func=cmd_sweep, handler=cmd_sweep)

    p = subparsers.add_parser(
        "compare",
        help="compare two scenarios (or sweep folders) with common random numbers",
        description="Paired differences B - A of every outcome with 95%% confidence intervals.",
    )
    p.add_argument("a", metavar="A", help="scenario file or sweep results folder")
    p.add_argument("b", metavar="B", help="scenario file or sweep results folder")
    p.add_argument("--replicates", type=int, default=20, help="replicates per scenario (default 20)")
    p.add_argument(
        "--seed", type=int, default=None, help="seed shared by A and B (default: scenario A's seed)"
    )
    p.add_argument("--outcomes", default=None, help="comma-separated outcomes (default: all)")
    p.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    p.add_argument("--by-point", action="store_true", help="sweep folders: one block per design point")
    p.add_argument("--json", default=None, metavar="PATH", help="also write JSON here ('-': print JSON only)")
    p.add_argument("--csv", default=None, metavar="PATH", help="also write the table as CSV")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--model",
        default=None,
        metavar="MODULE:ATTR",
        help="model adapter (default: the simulation)",
    )
    _add_run_options(p)
    p.set_defaults(func=cmd_compare, handler=cmd_compare)

    p = subparsers.add_parser(
        "sensitivity",
        help="Sobol' indices or Morris screening of a sweep (SALib)",
        description="Run (or resume) a sweep whose design suits the method, or read a finished "
        "sweep folder, and write DIR/sensitivity.csv.",
    )
    p.add_argument("target", metavar="SWEEP.yaml|DIR")
    p.add_argument(
        "--method",
        choices=["sobol", "morris", "rbd_fast"],
        default=None,
        help="default: from the design kind (sobol, morris, latin_hypercube -> rbd_fast)",
    )
    p.add_argument("--samples", type=int, default=None, help="sample size of the design")
    p.add_argument("--outcomes", default=None, help="comma-separated outcomes (default: all)")
    _add_sweep_options(p)
    _add_run_options(p)
    p.set_defaults(func=cmd_sensitivity, handler=cmd_sensitivity)


def _overrides(args):
    from sim.config.io import parse_set_args

    return parse_set_args(args.set)


def _interrupted(out: Path | str | None) -> int:
    where = f" in {out}" if out else ""
    print(
        f"\ninterrupted: finished runs are saved{where}; rerun the same command to resume",
        file=sys.stderr,
    )
    return 130


def cmd_sweep(args) -> int:
    """Handler of ``sim sweep``."""
    from sim.experiments.sweep import api
    from sim.experiments.sweep.spec import load_sweep

    loaded = load_sweep(args.sweep_file, _overrides(args))
    if args.nights and not loaded.spec.nights_table:
        loaded.spec = loaded.spec.model_copy(update={"nights_table": True})
    out = Path(args.out) if args.out else api.default_out(loaded)
    try:
        res = _run_sweep_from_args(loaded, out, args)
    except SweepInterrupted:
        return _interrupted(out)
    if res.ran == 0:
        print(f"{out}: all {res.total} runs were already done", file=sys.stderr)
    else:
        print(
            f"{out}: {res.ran} runs in {res.wall_seconds:.1f} s "
            f"({res.runs_per_second:.2f} runs/s; {res.already_done} done before); "
            f"results in {res.runs_path}",
            file=sys.stderr,
        )
    return 0


def cmd_compare(args) -> int:
    """Handler of ``sim compare``."""
    from sim.experiments.sweep import api
    from sim.experiments.sweep.compare import format_table, to_json

    try:
        df = api.compare(
            args.a,
            args.b,
            replicates=args.replicates,
            seed=args.seed,
            outcomes=_csv_list(args.outcomes),
            overrides=_overrides(args),
            workers=args.workers,
            scheduler=args.scheduler,
            backend=args.backend,
            by_point=args.by_point,
            level=args.level,
            progress=not args.no_progress and args.json != "-",
            model=args.model,
        )
    except SweepInterrupted:
        return _interrupted(None)
    meta = {k: v for k, v in df.attrs.items()}
    text = to_json(df, **meta)
    if args.json == "-":
        print(text)
    else:
        crn = "common random numbers" if meta.get("crn") else "NO common random numbers (seeds differ)"
        title = (
            f"B - A, A = {meta['a']}, B = {meta['b']}; {meta.get('replicates')} paired "
            f"replicates, seed {meta.get('seed')}, {crn}; {int(100 * args.level)}% CI"
        )
        print(format_table(df, title))
        if args.json:
            Path(args.json).write_text(text + "\n")
    if args.csv:
        df.to_csv(args.csv, index=False)
    return 0


def cmd_sensitivity(args) -> int:
    """Handler of ``sim sensitivity``."""
    from sim.experiments.sweep import api
    from sim.experiments.sweep.compare import format_table
    from sim.experiments.sweep.spec import load_sweep

    target = Path(args.target)
    out = args.out
    try:
        if target.is_dir():
            table = api.analyze_folder(target, _csv_list(args.outcomes), args.method)
        else:
            loaded = load_sweep(target, _overrides(args))
            derived, suffix = api.derive_for_method(loaded, args.method, args.samples)
            out = Path(args.out) if args.out else api.default_out(loaded, suffix)

            _run_sweep_from_args(derived, out, args)
            table = api.analyze_folder(out, _csv_list(args.outcomes), args.method)
    except SweepInterrupted:
        return _interrupted(out)
    print(format_table(table))
    print(f"written to {Path(table.attrs['out_dir']) / 'sensitivity.csv'}", file=sys.stderr)
    return 0


def _run_sweep_from_args(loaded, out, args):
    """Run (or resume) a sweep with the execution options of the command line."""
    from sim.experiments.sweep.engine import run_sweep

    return run_sweep(
        loaded,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        backend=args.backend,
        force=args.force,
        max_runs=args.max_runs,
        progress=not args.no_progress,
        chunk_size=args.chunk_size,
        connect_timeout=args.connect_timeout,
        flush_runs=args.flush_runs,
        flush_seconds=args.flush_seconds,
    )
