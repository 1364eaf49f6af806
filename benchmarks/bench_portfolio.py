"""Benchmark of ``python -m sim portfolio`` (issue target: 7 options x 10 paired winters in at
most 5 minutes on 2 cores).

Each repeat runs the comparison of ``scenarios/nl-200m.yaml`` at EUR 200M as the command does
(no spending, each of the seven options alone, against the static and the learning attacker:
8 x 2 x 10 = 160 winters) on a process pool of ``--workers`` processes, and reports the median
over the repeats of the wall time (ratio to the 300 s target; below 1 meets it), the winters a
second, the model's own seconds and CPU share (well below 1 means other processes took the
cores) and the load average, so that a slow run can be told from a busy machine.

Usage::

    python benchmarks/bench_portfolio.py                       # the issue's case, one repeat
    python benchmarks/bench_portfolio.py --repeats 3
    python benchmarks/bench_portfolio.py --set period.nights=30 --replicates 4   # a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_S = 300.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "nl-200m.yaml"))
    p.add_argument("--budget", type=float, default=2e8)
    p.add_argument("--replicates", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)

    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.experiments.portfolio import compare_portfolio

    sc = load_scenario(args.scenario)
    over = parse_set_args(args.set)
    if over:
        sc = with_overrides(sc, over)
    walls, model_s = [], []
    for k in range(args.repeats):
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        comp = compare_portfolio(sc, budget_eur=args.budget, replicates=args.replicates,
                                 workers=args.workers)
        wall = time.perf_counter() - t0
        walls.append(wall)
        model_s.append(comp.settings["model_seconds"])
        n = comp.settings["winters"]
        print(f"repeat {k + 1}: {n} winters of {sc.period.nights} nights in {wall:.1f} s "
              f"({n / wall:.2f} winters/s; model {comp.settings['model_seconds']:.0f} s over "
              f"{args.workers} workers; load average {load0:.1f} -> {os.getloadavg()[0]:.1f})")
    med = statistics.median(walls)
    share = statistics.median(model_s) / (args.workers * med)
    print(f"median wall {med:.1f} s over {args.repeats} repeat(s): target <= {TARGET_S:.0f} s: "
          f"{med / TARGET_S:.2f}x; the workers spent {share:.0%} of their wall time in the model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
