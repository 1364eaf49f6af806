"""Command-line verbs ``discover`` (scenario discovery) and ``export-ema``.

``python -m sim discover SWEEP_DIR --outcome NAME --below X`` finds the regions of a finished
sweep's uncertainty space where the outcome fails (PRIM from the EMA Workbench, a CART tree
from scikit-learn), prints the boxes, and writes ``boxes.json``, ``boxes.csv``,
``trajectory.csv`` and a figure into ``--out`` (default ``SWEEP_DIR/discovery_<outcome>/``).
``python -m sim export-ema SWEEP_DIR OUT`` writes the sweep in the EMA Workbench's
``(experiments, outcomes)`` form. Both need the optional extra: ``pip install -e ".[ema]"``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return v


def _fraction(text: str) -> float:
    v = _number(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return v


def _pos_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be >= 1")
    return v


def _where(items: list[str]) -> dict[str, str]:
    from sim.analysis.discovery import DiscoveryError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DiscoveryError(
                f"--where {item!r}: expected KEY=VALUE, e.g. defense.basing.policy=corridors")
        out[key.strip()] = value.strip()
    return out


def register(subparsers) -> None:
    """Add the ``discover`` and ``export-ema`` subcommands."""
    p = subparsers.add_parser(
        "discover",
        help="scenario discovery: where in the uncertainty space does an outcome fail (PRIM, CART)",
        description="Find the regions of a finished sweep's uncertainty space where an outcome "
        "fails (is below or above a value): PRIM (EMA Workbench) boxes with their coverage and "
        "density, and the failing leaves of a CART tree (scikit-learn). Needs the optional "
        'extra: pip install -e ".[ema]".',
    )
    p.add_argument("sweep_dir", metavar="SWEEP_DIR", help="a finished sweep results folder")
    p.add_argument("--outcome", required=True, metavar="NAME", help="an outcome column of runs.parquet")
    crit = p.add_mutually_exclusive_group(required=True)
    crit.add_argument("--below", type=_number, metavar="X", help="failure: the outcome is below X")
    crit.add_argument("--above", type=_number, metavar="X", help="failure: the outcome is above X")
    p.add_argument("--method", choices=["prim", "cart", "both"], default="both", help="default both")
    p.add_argument(
        "--per", choices=["point", "run"], default="point",
        help="one row per design point, the outcome averaged over its replicates (default), or per run",
    )
    p.add_argument("--threshold", type=_fraction, default=0.8,
                   help="minimum density of a PRIM box found by covering; weaker boxes are flagged "
                   "(default 0.8)")
    p.add_argument("--select", choices=["f1", "density"], default="f1",
                   help="which box to pick on the PRIM peeling trajectory: the best F1 score "
                   "(harmonic mean of coverage and density; default) or the densest")
    p.add_argument("--coverage", type=_fraction, default=0.5,
                   help="pick only boxes that keep at least this share of the failures still to "
                   "explain (default 0.5)")
    p.add_argument("--peel-alpha", type=_fraction, default=0.05, help="PRIM peeling step (default 0.05)")
    p.add_argument("--paste-alpha", type=_fraction, default=0.05, help="PRIM pasting step (default 0.05)")
    p.add_argument("--mass-min", type=_fraction, default=0.05,
                   help="smallest share of the points a PRIM box or a CART leaf holds (default 0.05)")
    p.add_argument("--objective", choices=["lenient1", "lenient2", "original"], default="lenient1",
                   help="PRIM peeling objective (default lenient1, EMA's)")
    p.add_argument("--boxes", type=_pos_int, default=3, help="at most this many PRIM boxes (default 3)")
    p.add_argument("--max-depth", type=_pos_int, default=4, help="CART tree depth (default 4)")
    p.add_argument("--min-leaf", type=_pos_int, default=None,
                   help="CART: smallest leaf in points (default: --mass-min of the points)")
    p.add_argument("--no-levers", action="store_true",
                   help="leave the levers out of the inputs (default: a box may restrict a lever)")
    p.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                   help="only the runs with this lever value (repeatable), e.g. "
                   "--where defense.basing.policy=corridors")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="where boxes.json/.csv and the figure go (default SWEEP_DIR/discovery_<outcome>)")
    p.add_argument("--export", default=None, metavar="DIR",
                   help="also write the sweep in EMA's (experiments, outcomes) form into DIR")
    p.add_argument("--no-figure", action="store_true", help="do not draw the figure")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    p.set_defaults(func=cmd_discover, handler=cmd_discover)

    p = subparsers.add_parser(
        "export-ema",
        help="write a sweep in the EMA Workbench's (experiments, outcomes) form",
        description="Write a finished sweep as the EMA Workbench's (experiments, outcomes): "
        "OUT/<name>.tar.gz by ema_workbench.save_results (read it with "
        "ema_workbench.load_results); without the EMA Workbench, OUT/experiments.csv and "
        "OUT/outcomes.npz.",
    )
    p.add_argument("sweep_dir", metavar="SWEEP_DIR")
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument("--mean", action="store_true",
                   help="one value per experiment: the mean over the replicates (default: keep the "
                   "replicates, as an array of shape (experiments, replicates))")
    p.set_defaults(func=cmd_export, handler=cmd_export)


def cmd_discover(args) -> int:
    from sim.analysis import discovery as disc

    where = _where(args.where)
    data = disc.load_sweep_folder(args.sweep_dir)
    if args.outcome not in data.outcomes:
        raise disc.DiscoveryError(
            f"{args.sweep_dir}: no outcome {args.outcome!r} in runs.parquet; available outcomes: "
            f"{', '.join(data.outcomes) or '(none)'}"
        )
    res = disc.discover(
        data, args.outcome, below=args.below, above=args.above, method=args.method, per=args.per,
        levers=not args.no_levers, where=where, threshold=args.threshold, peel_alpha=args.peel_alpha,
        paste_alpha=args.paste_alpha, mass_min=args.mass_min, min_coverage=args.coverage,
        max_boxes=args.boxes, objective=args.objective, select=args.select, max_depth=args.max_depth,
        min_samples_leaf=args.min_leaf,
    )
    out = Path(args.out) if args.out else Path(args.sweep_dir) / f"discovery_{args.outcome}"
    written = disc.write_result(res, out)
    if not args.no_figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sim.viz.discovery import plot_cart_tree, plot_discovery
        from sim.viz.style import save_figure

        fig, _ = plot_discovery(res)
        written += save_figure(fig, out / "discovery")
        plt.close(fig)
        if res.tree is not None:
            fig, _ = plot_cart_tree(res)
            written += save_figure(fig, out / "cart_tree")
            plt.close(fig)
    if args.export:
        written += disc.export_ema(data, args.export)
    if args.json:
        print(json.dumps(res.to_dict(), indent=2, default=str))
    else:
        print(res.table(width=100))
    for folder in dict.fromkeys(p.parent for p in written):
        names = ", ".join(p.name for p in written if p.parent == folder)
        print(f"Wrote into {folder}: {names}", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    from sim.analysis import discovery as disc

    paths = disc.export_ema(args.sweep_dir, args.out, mean=args.mean)
    for p in paths:
        print(f"Wrote {p}")
    if not disc.ema_available():
        print(f"(the EMA Workbench is not installed, so these are CSV and NPZ files; install it "
              f"with  {disc.INSTALL_HINT}  to write EMA's own .tar.gz)")
    return 0
