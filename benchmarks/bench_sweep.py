"""Benchmark of the sweep machinery on the shipped funding sweep (real model).

For each repeat it times the same runs three ways and reports medians over the repeats:

* ``direct``: a plain loop calling ``sim.experiments.runs.run_one`` (the model alone, no machinery),
* ``serial``: ``run_sweep`` with the serial backend (the machinery in one process),
* ``processes``: ``run_sweep`` on a process pool of ``--workers`` processes (warm pool; the pool
  start-up is timed separately and reported).

Derived figures:

* runs/s of each; ``speedup`` = processes runs/s / serial runs/s (warm pool and, in brackets,
  including the pool start-up);
* ``overhead`` = serial / direct - 1, in CPU time (robust to other load) and in wall time: the
  machinery's cost per run
  (scheduling, scenario overrides, writing Parquet parts, consolidation, manifest, progress)
  relative to the run itself; also ``in-sweep overhead`` = (serial wall - model seconds) /
  model seconds as measured inside the sweep;
* the projected wall time of 1,000 full winters on the process backend;
* the machine's parallel factor: how many cores' worth of pure-Python work ``--workers``
  processes actually got during the repeat (2.0 on an idle 2-core machine);
* the CPU share of each stage (model CPU seconds / model wall seconds; well below 1 means other
  processes took the cores) and the load average, to tell a slow backend from a busy machine.

Usage::

    python benchmarks/bench_sweep.py                      # 11 levels x 2 replicates, 3 repeats
    python benchmarks/bench_sweep.py --replicates 20 --repeats 1     # the whole funding sweep
    python benchmarks/bench_sweep.py --set period.nights=30          # shorter winters
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _noop(ctx, chunk):
    return chunk


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x += i * i % 7
    return time.perf_counter() - t0


def machine_parallel_factor(workers: int, seconds: float = 1.0) -> float:
    """How many cores' worth of pure-Python work ``workers`` processes get right now.

    About ``workers`` on an idle machine; less when other processes compete for the cores.
    """
    from concurrent.futures import ProcessPoolExecutor

    n = int(2e6)
    one = _spin(n)
    n = int(n * seconds / max(one, 1e-3))
    one = _spin(n)
    with ProcessPoolExecutor(workers) as ex:
        list(ex.map(_spin, [1000] * workers))  # start the workers
        t0 = time.perf_counter()
        list(ex.map(_spin, [n] * workers))
        together = time.perf_counter() - t0
    return workers * one / together


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", default=str(ROOT / "sweeps" / "funding.yaml"))
    ap.add_argument("--replicates", type=int, default=2, help="replicates per level (default 2)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats; medians are reported (default 3)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)

    from sim.experiments.runs import run_one
    from sim.experiments.sweep.designs import generate_design
    from sim.experiments.sweep.engine import make_context, run_sweep
    from sim.experiments.sweep.evaluators import ProcessEvaluator, SerialEvaluator
    from sim.experiments.sweep.model import SIM_MODEL, point_scenario
    from sim.experiments.sweep.spec import SweepSpec, load_sweep, parse_overrides

    loaded = load_sweep(args.sweep, parse_overrides(args.set))
    loaded.spec = SweepSpec.model_validate({**loaded.spec.model_dump(), "replicates": args.replicates})
    design = generate_design(loaded)
    ctx = make_context(loaded, SIM_MODEL)
    n = design.n_points * args.replicates
    seed = loaded.spec.seed
    print(
        f"{loaded.name}: {design.n_points} points x {args.replicates} replicates = {n} runs "
        f"per stage, {args.repeats} repeat(s), {args.workers} workers",
        file=sys.stderr,
    )

    times: dict[str, list[float]] = {"direct": [], "serial": [], "processes": [], "startup": []}
    model_seconds: list[float] = []
    cpu_share: dict[str, list[float]] = {"direct": [], "serial": [], "processes": []}
    loads = [os.getloadavg()[0]]
    cpu: dict[str, list[float]] = {"direct": [], "serial": []}
    factors: list[float] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        for rep in range(args.repeats):
            factors.append(machine_parallel_factor(args.workers))
            t0, c0 = time.perf_counter(), time.process_time()
            for p in range(design.n_points):
                scn = point_scenario(ctx, design.overrides(p))
                for r in range(args.replicates):
                    run_one(scn, seed, r)
            times["direct"].append(time.perf_counter() - t0)
            cpu["direct"].append(time.process_time() - c0)
            cpu_share["direct"].append(cpu["direct"][-1] / times["direct"][-1])

            out = tmp / f"serial-{rep}"
            c0 = time.process_time()
            res = run_sweep(loaded, out, evaluator=SerialEvaluator(), progress=False)
            cpu["serial"].append(time.process_time() - c0)
            times["serial"].append(res.wall_seconds)
            model_seconds.append(res.model_seconds)
            cpu_share["serial"].append(res.model_cpu_seconds / res.model_seconds)

            t0 = time.perf_counter()
            ev = ProcessEvaluator(args.workers, preload=SIM_MODEL.preload)
            list(ev.imap(_noop, None, [[i] for i in range(2 * args.workers)]))
            times["startup"].append(time.perf_counter() - t0)
            try:
                res = run_sweep(loaded, tmp / f"proc-{rep}", evaluator=ev, progress=False)
            finally:
                ev.close()
            times["processes"].append(res.wall_seconds)
            cpu_share["processes"].append(res.model_cpu_seconds / res.model_seconds)
            loads.append(os.getloadavg()[0])
            same = (out / "runs.parquet").read_bytes() == (tmp / f"proc-{rep}" / "runs.parquet").read_bytes()
            print(
                f"  repeat {rep + 1}: direct {times['direct'][-1]:.1f} s, serial "
                f"{times['serial'][-1]:.1f} s, processes {times['processes'][-1]:.1f} s "
                f"(+{times['startup'][-1]:.1f} s pool start); identical results: {same}",
                file=sys.stderr,
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    rate = {k: n / med[k] for k in ("direct", "serial", "processes")}
    rate_cold = n / (med["processes"] + med["startup"])
    result = {
        "sweep": loaded.name,
        "runs_per_stage": n,
        "repeats": args.repeats,
        "workers": args.workers,
        "overrides": loaded.fixed,
        "seconds_per_run_direct": med["direct"] / n,
        "runs_per_second": {**rate, "processes_incl_startup": rate_cold},
        "speedup_processes_vs_serial": rate["processes"] / rate["serial"],
        "speedup_incl_startup": rate_cold / rate["serial"],
        "pool_startup_seconds": med["startup"],
        "overhead_fraction": med["serial"] / med["direct"] - 1.0,
        "overhead_fraction_cpu": statistics.median(cpu["serial"]) / statistics.median(cpu["direct"]) - 1.0,
        "machine_parallel_factor": statistics.median(factors),
        "in_sweep_overhead_fraction": (med["serial"] - statistics.median(model_seconds))
        / statistics.median(model_seconds),
        "projected_seconds_for_1000_runs": 1000 / rate["processes"] + med["startup"],
        "model_cpu_share": {k: statistics.median(v) for k, v in cpu_share.items()},
        "load_average_1min": loads,
    }
    print(f"\n{'stage':<22}{'wall s (median)':>16}{'runs/s':>10}{'CPU share':>11}")
    for k in ("direct", "serial", "processes"):
        share = result["model_cpu_share"][k]
        print(f"{k:<22}{med[k]:>16.2f}{rate[k]:>10.3f}{share:>11.2f}")
    print(f"{'pool start-up':<22}{med['startup']:>16.2f}")
    print(
        f"\nspeedup processes/serial: {result['speedup_processes_vs_serial']:.2f}x "
        f"({result['speedup_incl_startup']:.2f}x including the pool start-up)  [target >= 1.7x]"
    )
    print(
        f"machinery overhead per run: {100 * result['overhead_fraction_cpu']:.1f}% of a run in "
        f"CPU time, {100 * result['overhead_fraction']:.1f}% in wall time (in-sweep: "
        f"{100 * result['in_sweep_overhead_fraction']:.1f}%)  [target <= 10%]"
    )
    print(
        f"the machine gave {args.workers} busy processes {result['machine_parallel_factor']:.2f} "
        f"cores' worth of CPU (pure-Python calibration; {args.workers}.0 when idle)"
    )
    print(
        f"load average (1 min) during the benchmark: {', '.join(f'{x:.1f}' for x in loads)}"
        "  (CPU share < 0.9 or load > workers: other processes competed for the cores)"
    )
    proj = result["projected_seconds_for_1000_runs"]
    print(f"1,000 winters on {args.workers} workers: {proj / 60:.1f} min projected  [target <= 10 min]")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
