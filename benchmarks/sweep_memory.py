"""Peak memory of a sweep: the process tree of ``python -m sim sweep ...`` sampled while it runs.

Runs ``python -m sim sweep ARGS`` as a child process and samples every process of its tree (the
command itself, the fork server, the resource tracker and the workers) every ``--interval``
seconds (:func:`sim.experiments.bench.process_tree_peak`). Reports the peak over time of

* the summed resident set size (RSS): every process's pages, pages shared between processes
  (what a forked worker shares with the fork server) counted once per process;
* the summed proportional set size (PSS, Linux): each shared page split between the processes
  that share it, so the sum is the memory the sweep takes from the machine;

and each process's own peak RSS.

Usage::

    python benchmarks/sweep_memory.py -- benchmarks/nl200m-1000.yaml --workers 2 \\
        --out /tmp/mem-sweep --force
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from sim.experiments.bench import process_tree_peak

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("sweep_args", nargs=argparse.REMAINDER,
                    help="arguments of `python -m sim sweep` (after --)")
    args = ap.parse_args(argv)
    rest = [a for a in args.sweep_args if a != "--"]
    res = process_tree_peak([sys.executable, "-m", "sim", "sweep", *rest, "--no-progress"],
                            args.interval)
    print(f"exit {res['returncode']}, {res['seconds']:.1f} s")
    print(f"peak summed RSS {res['rss_mb']:.0f} MB, peak summed PSS {res['pss_mb']:.0f} MB")
    for label, mb in res["processes"]:
        print(f"  {mb:7.0f} MB  {label}")
    return 0 if res["returncode"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
