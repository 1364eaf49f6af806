"""Time the energy step on recorded winters: ``EnergySystem.night`` only, CPU time.

Usage: python scripts/bench_energy.py [--repeats 3]

Replays the drone hits that the model produces for the shipped ``baseline`` and ``nl-200m``
scenarios (seed 1), alone and with a synthetic salvo of 30 cruise missiles every 12 nights
(see scripts/compare_solvers.py), with each solver. Prints the best of ``--repeats`` runs:
CPU seconds per winter (151 nights), of which inside HiGHS, LP solves per winter and the
median time per solve. CPU time (``time.process_time``) so that other processes on the machine
do not inflate it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare_solvers import ROOT, record_hits, with_salvos  # noqa: E402

from sim.config.energy import EnergyConfig  # noqa: E402
from sim.model.energy import grid as grid_mod  # noqa: E402
from sim.model.energy.system import EnergySystem  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    solve_t: list[float] = []
    orig = grid_mod.GridLP.solve

    def timed(self):
        t = time.process_time()
        r = orig(self)
        solve_t.append(time.process_time() - t)
        return r

    grid_mod.GridLP.solve = timed
    rng = np.random.default_rng(1)
    print("| replay | solver | CPU s / winter | in LP solves | LP solves | ms / solve (median) "
          "| ms / night | construction s |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("baseline", "nl-200m"):
        hits, model, start = record_hits(ROOT / "scenarios" / f"{name}.yaml", 1)
        salvos = with_salvos(hits, model.sites, model.spec.threat.targeting, rng)
        for label, hh in (("drones", hits), ("drones + missile salvos", salvos)):
            for mode in ("dc", "transport"):
                best = None
                for _ in range(args.repeats):
                    solve_t.clear()
                    t0 = time.process_time()
                    es = EnergySystem(model.sites, EnergyConfig(solver=mode), start, len(hh),
                                      np.random.default_rng(0))
                    t1 = time.process_time()
                    for k, h in enumerate(hh):
                        es.night(k, h)
                    t2 = time.process_time()
                    run = (t2 - t1, sum(solve_t), len(solve_t), float(np.median(solve_t)), t1 - t0)
                    if best is None or run[0] < best[0]:
                        best = run
                tw, ts, n, med, tc = best
                print(f"| {name}, {label} | {mode} | {tw:.3f} | {ts:.3f} | {n} | {1000 * med:.2f} "
                      f"| {1000 * tw / len(hh):.2f} | {tc:.3f} |")


if __name__ == "__main__":
    main()
