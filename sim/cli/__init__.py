"""Command line: ``python -m sim COMMAND`` (also installed as ``sim``).

Commands, one module per group, registered explicitly in :func:`build_parser`:

* :mod:`sim.cli.run`: ``run``, ``validate``, ``schema``, ``calibrate threat``;
* :mod:`sim.cli.sweep`: ``sweep``, ``compare``, ``sensitivity``;
* :mod:`sim.cli.forces`: ``forces``;
* :mod:`sim.cli.calibration`: ``validate-model``;
* :mod:`sim.cli.plot`: ``plot``;
* :mod:`sim.cli.bench`: ``bench``;
* :mod:`sim.cli.discover`: ``discover``, ``export-ema``;
* :mod:`sim.cli.optimise`: ``optimise``;
* :mod:`sim.cli.portfolio`: ``portfolio`` (and ``optimise --portfolio``).

Building the parser imports only the standard library and the argument definitions; each
handler imports what it needs when it runs, so ``--help`` and ``validate`` start fast.

Bad input (a missing or malformed file, an unknown key, a value out of range) prints one clear
message naming the file, the key path and the reason, and exits with status 2.
"""

from __future__ import annotations

import sys

from sim.cli import bench, calibration, discover, forces, optimise, plot, portfolio, run, sweep
from sim.cli.common import EXIT_INPUT, Parser
from sim.config.errors import SimInputError

GROUPS = (run, sweep, forces, calibration, plot, bench, discover, optimise, portfolio)


def build_parser() -> Parser:
    """The ``sim`` argument parser with every verb."""
    p = Parser(prog="sim", description="Interceptor drones defending Ukraine's energy system: "
               "an agent-based model of a winter.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (also for usage errors and ``--help``, which
    argparse ends with ``SystemExit``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2, message printed) or --help (0)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_INPUT)
    try:
        return int(args.func(args) or 0)
    except SimInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
