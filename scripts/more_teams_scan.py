"""Does demand served ever fall when the programme gets more teams? (docs/optimise.md, Limits)

Usage: python scripts/more_teams_scan.py [--first 0] [--last 19] [--nights 151]
                                         [--caps 0,10,20,40,80] [--set KEY=VALUE ...]

Runs the shipped nl-200m scenario against the static attacker, on the same seed and replicate,
with the programme capped at each number of launch sites (``defense.programme.caps.max_sites``),
and prints each replicate's winter demand served per cap, flagging a fall between one cap and
the next (``FALL``, by more than ``FLOAT``; a smaller one, ``float``, is rounding: the winter
share is a ratio of sums of load-shedding solutions) and whether tonight's hits with more sites
were always a subset of those with fewer (``hits not nested`` when a (night, site) got more hits
with more sites). The last line counts the comparisons, falls, rounding-level falls and
replicates with hits not nested.
"""

from __future__ import annotations

import argparse

import numpy as np

from sim.config.io import load_scenario, parse_set_args, with_overrides
from sim.model.defense_model import DefenseModel

FLOAT = 1e-12


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--last", type=int, default=19)
    p.add_argument("--nights", type=int, default=151)
    p.add_argument("--caps", default="0,10,20,40,80")
    p.add_argument("--set", action="append", default=[])
    args = p.parse_args(argv)
    caps = [int(c) for c in args.caps.split(",")]
    sc = with_overrides(load_scenario("scenarios/nl-200m.yaml"),
                        {"period.nights": args.nights, "threat.attacker.strategy": "static",
                         **parse_set_args(args.set)})
    falls = tiny = comparisons = not_nested = 0
    for rep in range(args.first, args.last + 1):
        served, hits = [], []
        for cap in caps:
            m = DefenseModel(with_overrides(sc, {"defense.programme.caps.max_sites": cap}),
                             replicate=rep)
            h = []
            while m.running:
                m.step()
                h.append(m.tonight.drone_hits.copy())
            hits.append(np.array(h))
            served.append(m.energy.winter_outcomes()["demand_served_fraction"])
        fell = [b < a - FLOAT for a, b in zip(served, served[1:], strict=False)]
        slip = [a - FLOAT <= b < a for a, b in zip(served, served[1:], strict=False)]
        nested = all((hits[i + 1] <= hits[i]).all() for i in range(len(caps) - 1))
        comparisons += len(fell)
        falls += sum(fell)
        tiny += sum(slip)
        not_nested += not nested
        print(f"replicate {rep:>3}: " + " ".join(f"{v:.7f}" for v in served)
              + ("  FALL" if any(fell) else "") + ("  float" if any(slip) else "")
              + ("" if nested else "  hits not nested"),
              flush=True)
    print(f"caps {caps}: {comparisons} comparisons, {falls} falls (and {tiny} by less than "
          f"{FLOAT:g}), {not_nested} replicates with hits not nested")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
