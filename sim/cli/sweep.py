"""Command-line verbs ``sweep``, ``compare`` and ``sensitivity``.

:func:`register` adds them to the main CLI's argparse subparsers (``python -m sim ...``); each
handler returns an exit code and raises :class:`~sim.config.errors.SimInputError` for bad input
(the main CLI prints it and exits with status 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import (
    WIDTH,
    open_fraction,
    pos_float,
    pos_int,
    replicates_at_least,
    seed_int,
)
from sim.config.errors import SimInputError
from sim.experiments.sweep.errors import SweepInterrupted

SUMMARY_OUTCOMES = ("demand_served_fraction", "kinetic_coverage", "hits_on_sites")
"""Headline outcomes (outcome registry) in the table that ends a sweep, where present."""


def _csv_list(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workers",
        type=pos_int,
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
        type=pos_float,
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
    p.add_argument("--max-runs", type=pos_int, default=None,
                   help="size cap (default: the sweep file's max_runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--chunk-size", type=pos_int, default=None, help="runs per chunk (default adaptive)")
    p.add_argument(
        "--flush-runs",
        type=pos_int,
        default=500,
        metavar="N",
        help="write a results part every N finished runs (default 500)",
    )
    p.add_argument(
        "--flush-seconds",
        type=pos_float,
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
        description="Paired differences B - A of every outcome with 95% confidence intervals "
        "(BCa bootstrap over the paired replicates; common random numbers).",
    )
    p.add_argument("a", metavar="A", help="scenario file or sweep results folder")
    p.add_argument("b", metavar="B", help="scenario file or sweep results folder")
    p.add_argument("--replicates", type=replicates_at_least(2), default=20,
                   help="replicates per scenario, at least 2 for an interval (default 20)")
    p.add_argument(
        "--seed", type=seed_int, default=None,
        help="seed shared by A and B (default: scenario A's seed)"
    )
    p.add_argument("--outcomes", default=None, help="comma-separated outcomes (default: all)")
    p.add_argument("--level", type=open_fraction, default=0.95,
                   help="confidence level (default 0.95)")
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
    p.add_argument("--samples", type=pos_int, default=None, help="sample size of the design")
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
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.nights and not loaded.spec.nights_table:
        loaded.spec = loaded.spec.model_copy(update={"nights_table": True})
    out = Path(args.out) if args.out else api.default_out(loaded)
    _check_sweep_out(out)
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
    import pandas as pd

    print(sweep_summary(pd.read_parquet(res.runs_path), [f.key for f in loaded.spec.levers]))
    return 0


def _level_text(key: str, v) -> str:
    from sim.model.outcomes import format_value

    if isinstance(v, float | int) and not isinstance(v, bool) and key.endswith("_eur"):
        return format_value(v, "money")
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def sweep_summary(runs, levers: list[str], outcomes: list[str] | None = None,
                  max_rows: int = 30, width: int = WIDTH) -> str:
    """The short table that ends a sweep: per lever level (per design point when the sweep has
    no levers and few points; else all runs together) the mean of a few headline outcomes
    over its runs with the 95% interval (BCa bootstrap over the runs, as everywhere), at most
    ``width`` columns.

    Args:
        runs: the runs table (``runs.parquet``).
        levers: the lever keys (columns of ``runs``).
        outcomes: the outcomes shown (default: :data:`SUMMARY_OUTCOMES` where present, else
            the registry's headline outcomes, else the first numeric columns).
    """
    import math

    from sim.experiments.stats import mean_ci_many
    from sim.experiments.sweep.compare import format_cell, outcome_label
    from sim.experiments.tables import text_table
    from sim.model.outcomes import OUTCOMES

    skip = {"run_id", "point", "replicate", "seed", *levers}
    numeric = [c for c in runs.columns if c not in skip and runs[c].dtype.kind in "fiu"
               and runs[c].notna().any()]
    if outcomes is None:
        outcomes = [n for n in SUMMARY_OUTCOMES if n in numeric]
        if not outcomes:
            outcomes = [o.name for o in OUTCOMES.headline() if o.name in numeric][:3]
        if not outcomes:
            outcomes = [c for c in numeric if c not in OUTCOMES or OUTCOMES[c].winter][:3]
    if not outcomes or runs.empty:
        return "(no outcomes to summarise)"
    n_points = int(runs["point"].nunique()) if "point" in runs else 1
    if levers:
        keys, head = list(levers), ", ".join(levers)
    elif n_points <= max_rows and n_points > 1:
        keys, head = ["point"], "Design point"
    else:
        keys, head = [], "Runs"
    groups = list(runs.groupby(keys, sort=True)) if keys else [("all", runs)]
    shown = groups[:max_rows]
    regs = [OUTCOMES.get(o) for o in outcomes]
    rows = []
    for gkey, g in shown:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        label = ("all runs" if not keys else
                 ", ".join(_level_text(k, v) for k, v in zip(keys, gkey, strict=True)))
        cis = mean_ci_many([g[o].to_numpy(float) for o in outcomes],
                           lower=[r.lower if r else None for r in regs],
                           upper=[r.upper if r else None for r in regs])
        cells = []
        for o, ci in zip(outcomes, cis, strict=True):
            cell = format_cell(o, ci["mean"])
            if ci["n"] > 1 and not math.isnan(ci["ci_low"]):
                cell += f" [{format_cell(o, ci['ci_low'])}, {format_cell(o, ci['ci_high'])}]"
            cells.append(cell)
        rows.append([label, *cells])
    per = {len(g) for _, g in shown}
    n_text = f"{per.pop()} runs" if len(per) == 1 else "its runs"
    lines = [f"Summary: mean over {n_text} per row and 95% interval (BCa bootstrap)"]
    lines += text_table([head, *[outcome_label(o) for o in outcomes]], rows,
                        "l" + "r" * len(outcomes), width=width)
    if len(groups) > len(shown):
        lines.append(f"... {len(groups) - len(shown)} more rows: see runs.parquet")
    return "\n".join(ln[:width] for ln in lines)


def _check_outcome_names(names: list[str] | None, model: str | None) -> None:
    """With the simulation's own model, every name given to --outcomes must be an outcome of
    the registry (a misspelt name would give an empty table)."""
    if not names or model not in (None, "sim"):
        return
    import difflib

    from sim.model.outcomes import OUTCOMES

    known = [o.name for o in OUTCOMES]
    for n in names:
        if n not in OUTCOMES:
            close = difflib.get_close_matches(n, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else " (docs/outcomes.md lists them)"
            raise SimInputError(f"--outcomes: {n!r} is not an outcome{hint}")
        if OUTCOMES[n].over_nights == "net":
            raise SimInputError(
                f"--outcomes: {n!r} is a net outcome of `sim run` (a run paired with its "
                f"counterfactual); in a sweep the EUR 0 budget is the counterfactual: give "
                f"{', '.join(OUTCOMES[n].needs)} and `sim plot` draws the paired differences")


def cmd_compare(args) -> int:
    """Handler of ``sim compare``."""
    from sim.config.files import atomic_write_text, check_output_path
    from sim.experiments.sweep import api
    from sim.experiments.sweep.compare import format_comparison, to_json

    _check_outcome_names(_csv_list(args.outcomes), args.model)
    for option, path in (("--json", args.json), ("--csv", args.csv)):
        if path and path != "-":  # checked before any run: a bad path fails now, not after
            check_output_path(path, option)
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
        import textwrap

        crn = "common random numbers" if meta.get("crn") else "NO common random numbers (seeds differ)"
        title = [f"A: {meta['a']}", f"B: {meta['b']}"] + textwrap.wrap(
            f"{meta.get('replicates')} paired replicates, seed {meta.get('seed')}, {crn}; "
            f"B - A with its {100 * args.level:g}% interval", WIDTH)
        print("\n".join(t[:WIDTH] if i > 1 else t for i, t in enumerate(title)))
        print(format_comparison(df, args.level))
        if args.json:
            atomic_write_text(args.json, text + "\n")
    if args.csv:
        atomic_write_text(args.csv, df.to_csv(index=False))
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
            for note in loaded.notes:
                print(f"note: {note}", file=sys.stderr)
            derived, suffix = api.derive_for_method(loaded, args.method, args.samples)
            out = Path(args.out) if args.out else api.default_out(loaded, suffix)
            _check_sweep_out(out)

            _run_sweep_from_args(derived, out, args)
            table = api.analyze_folder(out, _csv_list(args.outcomes), args.method)
    except SweepInterrupted:
        return _interrupted(out)
    print(format_table(table))
    print(f"written to {Path(table.attrs['out_dir']) / 'sensitivity.csv'}", file=sys.stderr)
    return 0


def _check_sweep_out(out: Path) -> None:
    """A sweep's results folder: a usable path, not the folder one works in (checked before
    anything runs; the folder's contents are checked by the sweep engine)."""
    from sim.config.files import check_output_path

    check_output_path(out, "--out", folder=True)
    here = Path.cwd().resolve()
    if out.exists() and (out.resolve() == here or out.resolve() in here.parents):
        raise SimInputError(f"--out {out}: this is the folder you work in (or holds it); "
                            "results go into a folder of their own")


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
