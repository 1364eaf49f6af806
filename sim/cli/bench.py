"""Command-line verb ``bench``: speed and memory medians (:mod:`sim.experiments.bench`)."""

from __future__ import annotations

from sim.cli.common import pos_int


def cmd_bench(args) -> int:
    """Handler of ``bench``."""
    from sim.experiments.bench import main as bench_main

    return bench_main(args)


def register(subparsers) -> None:
    """Add ``bench`` to the main parser."""
    b = subparsers.add_parser("bench", help="time the nl-200m winter and a peak night")
    b.add_argument("--repeats", type=pos_int, default=5, help="timed repeats (default 5)")
    b.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    b.add_argument("--scenario", default=None, metavar="YAML",
                   help="scenario to time (default: the shipped nl-200m)")
    b.set_defaults(func=cmd_bench)
