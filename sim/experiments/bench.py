"""Benchmark: ``python -m sim bench`` (medians of repeated timings on one core).

Measures, each against its target (ratio = median / target; below 1 meets it):

* start-up: ``python -m sim --help`` (target <= 0.1 s) and ``python -m sim validate
  scenarios/nl-200m.yaml`` (target <= 0.3 s) as fresh processes, interpreter included;
* the first night of a fresh process: importing numba and loading the compiled kernels from
  their cache (:mod:`sim.model.kernels`; paid once per process, not per run);

and, excluding interpreter start and imports:

* the shipped nl-200m winter (151 nights: node-level grid, missiles, national force and the
  programme), with and without the energy model;
* the same winter with everything on (the learning attacker as well): target <= 0.4 s on one
  core, the energy step at most half of it;
* the share of a winter spent in the agents' and Mesa's own code (target <= 5%), and in the
  model's own wiring (``defense_model.py``);
* one peak night of 800 attack drones against a matching fleet (about 800 interceptor sorties
  available: 50 programme launch sites x 2 crews x 8 sorties): target <= 6 ms;
* how one night's runtime grows with the number of attackers (100 to 3,200), as the exponent
  of a log-log fit (target: below 1, i.e. below linear);
* the peak memory of a run, ``python -m sim run SCENARIO --replicates 1`` in a fresh process
  (target <= 300 MB);

and, from one sweep of 24 winters on 2 worker processes (``python -m sim sweep``), interrupted
when half its runs are saved and resumed (:func:`sweep_bench`):

* the throughput after start-up, and 1,000 and 10,000 winters projected from it (targets <= 4
  and <= 40 minutes on 2 cores);
* the results folder of 10,000 winters (target < 300 MB) and the resume's start, from the
  command to its first new result, with the reading of 10,000 finished runs (target < 10 s);
* the peak memory of the sweep's processes together (target <= 1 GB): the summed proportional
  set size, with the summed resident set size beside it.

Wall-clock medians are the measure; the CPU time of the same runs is printed beside them, as
it moves less when other work shares the machine. The full sweeps are
``python -m sim sweep benchmarks/nl200m-1000.yaml --workers 2`` and
``benchmarks/nl200m-10000.yaml`` (README, Speed).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from sim.config.data import packaged_path
from sim.config.io import load_scenario, with_overrides
from sim.model.defense_model import DefenseModel

SCENARIO = packaged_path("scenarios/nl-200m.yaml")

TARGETS = {
    "help_s": 0.1,
    "validate_s": 0.3,
    "winter_all_on_s": 0.4,
    "energy_share": 0.5,
    "agents_share": 0.05,
    "peak_night_s": 0.006,
    "exponent": 1.0,
    "memory_mb": 300.0,
    "sweep_1000_s": 240.0,
    "sweep_10000_s": 2400.0,
    "store_mb": 300.0,
    "resume_s": 10.0,
    "sweep_memory_mb": 1000.0,
}
"""The targets of the benchmark (issue "A winter in 0.4 s")."""


def _scenario(path: str | None = None):
    return load_scenario(path or SCENARIO)


def time_winter(sc, repeats: int, seed: int = 0) -> tuple[list[float], list[float], list[float]]:
    """Wall times of full winters, the energy step's wall time within them, and the winters'
    CPU times."""
    totals, energy, cpu = [], [], []
    for r in range(repeats):
        m = DefenseModel(sc, seed=seed, replicate=r)
        e_time = 0.0
        if m.energy is not None:
            inner = m.energy.night

            def timed(k, hits, inner=inner):
                nonlocal e_time
                t = time.perf_counter()
                out = inner(k, hits)
                e_time += time.perf_counter() - t
                return out

            m.energy.night = timed
        t0, c0 = time.perf_counter(), time.process_time()
        m.run()
        totals.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        energy.append(e_time)
    return totals, energy, cpu


def peak_night_model(sc, n_attackers: int, seed: int = 0) -> DefenseModel:
    """A model positioned on one night with ``n_attackers`` launched and a matching fleet."""
    sc = with_overrides(sc, {
        "period.start_date": "2026-03-01", "period.nights": 1,
        "defense.delivery.first_delivery_date": "2026-02-01",
        "defense.delivery.launch_sites_per_month": 50, "defense.delivery.crews_per_month": 100,
        "defense.crews.sorties_per_crew_per_night": 8,
        "threat.launches.max_per_night": max(n_attackers, 1),
        "energy.enabled": False,
    })
    m = DefenseModel(sc, seed=seed)
    m.launch_counts[:] = n_attackers
    return m


def time_night(sc, n_attackers: int, repeats: int) -> float:
    """Median wall time of one night with ``n_attackers`` launched."""
    times = []
    for r in range(repeats):
        m = peak_night_model(sc, n_attackers, seed=r)
        t0 = time.perf_counter()
        m.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def agent_share(sc, seed: int = 0) -> dict[str, float]:
    """Shares of a winter's run time spent in the agents, in Mesa and in the model's own wiring
    (their own code, not the kernels they call), from a profile of one winter: the time of
    every function defined in ``sim/model/agents.py``, in Mesa, or in the model's wiring
    (``sim/model/defense_model.py``, the night record ``sim/model/night.py`` and the outcome
    readers of ``sim/model/outcomes/``), excluding what they call. ``total`` is their sum."""
    import cProfile
    import pstats

    m = DefenseModel(sc, seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    m.run()
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values()) or 1.0
    out = {"agents": 0.0, "mesa": 0.0, "model": 0.0}
    for (path, _line, _fn), v in st.stats.items():
        if path.endswith("sim/model/agents.py"):
            out["agents"] += v[2] / total
        elif "/mesa/" in path:
            out["mesa"] += v[2] / total
        elif (path.endswith(("sim/model/defense_model.py", "sim/model/night.py"))
              or "sim/model/outcomes/" in path):
            out["model"] += v[2] / total
    out["total"] = sum(out.values())
    return out


def time_startup(argv: list[str], repeats: int) -> float:
    """Median wall time of ``python -m sim ARGV`` as a fresh process (interpreter included)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sim", *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


_FIRST_NIGHT = """
import sys, time
from sim.config.io import load_scenario, with_overrides
from sim.model.defense_model import DefenseModel
sc = with_overrides(load_scenario(sys.argv[1]), {"period.nights": 3})
m = DefenseModel(sc, seed=0)
t0 = time.perf_counter(); m.step(); t1 = time.perf_counter(); m.step(); t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def first_night_cost(path: str, repeats: int) -> tuple[float, float]:
    """Median wall times of the first and the second night of a fresh process: the difference
    is what a process pays once (importing numba and loading the compiled kernels from their
    cache)."""
    first, second = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _FIRST_NIGHT, path], check=True,
                             capture_output=True, text=True).stdout.split()
        first.append(float(out[0]))
        second.append(float(out[1]))
    return statistics.median(first), statistics.median(second)


_HWM = """
import runpy, sys
sys.argv = ["sim", *sys.argv[1:]]
try:
    runpy.run_module("sim", run_name="__main__")
except SystemExit:
    pass
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print("VmHWM", int(status["VmHWM"].split()[0]) / 1024, file=sys.stderr)
"""


def run_memory_mb(path: str, replicates: int = 1) -> float:
    """Peak resident memory (MB) of ``python -m sim run SCENARIO --replicates N`` in a fresh
    process (its own high-water mark, read from ``/proc`` as it ends; Linux)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sim-bench-run-") as tmp:
        out = subprocess.run([sys.executable, "-c", _HWM, "run", path, "--replicates",
                              str(replicates), "--out", f"{tmp}/run"],
                             capture_output=True, text=True, check=True)
    return float(out.stderr.rsplit("VmHWM", 1)[1].split()[0])


def process_tree_peak(cmd: list[str], interval: float = 0.2, stop_when=None) -> dict:
    """Run ``cmd`` and sample its process tree (it, a fork server, the resource tracker, the
    workers) every ``interval`` seconds until it exits.

    Returns the peak over time of the summed resident set size (``rss_mb``: pages shared
    between processes counted once per process) and of the summed proportional set size
    (``pss_mb``, Linux: shared pages split between the processes sharing them, so the sum is
    what the command takes from the machine), each process's peak RSS, the exit code and the
    wall time. ``stop_when()`` returning true stops the command with SIGTERM (a sweep keeps
    its finished runs, as on Ctrl-C; SIGINT would be ignored by a command started in the
    background)."""
    import signal

    import psutil

    child = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_pss = 0.0
    own: dict[int, tuple[str, float]] = {}
    t0 = time.perf_counter()
    sent = False
    while child.poll() is None:
        rss = pss = 0.0
        try:
            procs = [child, *child.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = [child]
        for p in procs:
            try:
                r = p.memory_info().rss / 2**20
                try:
                    s = p.memory_full_info().pss / 2**20
                except (psutil.AccessDenied, AttributeError):
                    s = r
                label = " ".join(p.cmdline()[1:4])[:70]
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            rss += r
            pss += s
            own[p.pid] = (label, max(own.get(p.pid, ("", 0.0))[1], r))
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        if stop_when is not None and not sent and stop_when():
            child.send_signal(signal.SIGTERM)
            sent = True
        time.sleep(interval)
    return {"returncode": child.returncode, "seconds": time.perf_counter() - t0,
            "rss_mb": peak_rss, "pss_mb": peak_pss,
            "processes": sorted(own.values(), key=lambda x: -x[1])}


def _sweep_file(folder, path: str, runs: int) -> str:
    import yaml

    f = folder / "bench-sweep.yaml"
    f.write_text(yaml.safe_dump({
        "name": "bench-sweep", "base": str(path), "replicates": int(runs), "seed": 20251101,
        "levers": [{"key": "defense.budget_eur",
                    "values": [float(_scenario(path).defense.budget_eur)]}]}))
    return str(f)


def _finished_runs(out) -> int:
    from sim.experiments.sweep.store import SweepStore

    try:
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(p).num_rows for p in SweepStore(out).run_parts())
    except (OSError, ValueError):
        return 0


def _store_read_seconds(template, runs: int, per_part: int) -> tuple[float, float]:
    """Seconds to find the finished runs of a results folder of ``runs`` runs in parts of
    ``per_part`` (made from the rows of ``template``, a runs table), and its size in MB."""
    import tempfile
    from pathlib import Path

    import pyarrow as pa

    from sim.experiments.sweep.store import SweepStore

    with tempfile.TemporaryDirectory(prefix="sim-bench-store-") as tmp:
        store = SweepStore(Path(tmp))
        store.parts.mkdir(parents=True)
        rows = template.num_rows
        for first in range(0, runs, per_part):
            n = min(per_part, runs - first)
            idx = pa.array(np.arange(n) % rows)
            t = template.take(idx).set_column(0, "run_id", pa.array(np.arange(first, first + n)))
            store.write_part(t)
        t0 = time.perf_counter()
        done = store.finished_ids()
        dt = time.perf_counter() - t0
        assert len(done) == runs
        parts_mb = sum(p.stat().st_size for p in store.parts.iterdir()) / 2**20
        store.consolidate(nights=False)
        total_mb = parts_mb + store.runs_path.stat().st_size / 2**20  # both exist at the end
    return dt, total_mb


def sweep_bench(path: str, workers: int = 2, runs: int = 24) -> dict:
    """A sweep of ``runs`` winters of the scenario on ``workers`` processes
    (``python -m sim sweep``), interrupted when half its runs are saved and resumed: the
    throughput after start-up, the start-up and resume times (from the manifest's sessions),
    the peak memory of the process tree, and the size of the results. Projects 1,000 and
    10,000 winters: start-up + N / throughput; the 10,000-winter store and the reading of its
    finished runs on resume are measured on a folder of that size made of these rows."""
    import json
    import tempfile
    from pathlib import Path

    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="sim-bench-sweep-") as tmp:
        tmp = Path(tmp)
        f = _sweep_file(tmp, path, runs)
        out = tmp / "out"
        cmd = [sys.executable, "-m", "sim", "sweep", f, "--workers", str(workers), "--out",
               str(out), "--no-progress", "--flush-runs", "2", "--flush-seconds", "1"]
        t0 = time.perf_counter()
        first = process_tree_peak(cmd, stop_when=lambda: _finished_runs(out) >= runs // 2)
        t1 = time.perf_counter()
        second = process_tree_peak(cmd)
        t2 = time.perf_counter()
        manifest = json.loads((out / "manifest.json").read_text())
        if len(manifest["sessions"]) < 2:
            raise RuntimeError("the bench sweep finished before it could be interrupted")
        s1, s2 = manifest["sessions"][0], manifest["sessions"][-1]
        store_mb = sum(p.stat().st_size for p in out.iterdir() if p.is_file()) / 2**20
        template = pq.read_table(out / "runs.parquet")
    # seconds from launching the command until its sweep started (imports, checks)
    launch1 = (t1 - t0) - s1["wall_seconds"]
    launch2 = (t2 - t1) - s2["wall_seconds"]
    start = launch1 + s1["first_result_s"]
    resume = launch2 + s2["first_result_s"]
    # the resumed session's runs over its time after the first result, plus one run's time
    # (the first result took one run's time after start-up)
    one_run = s2["model_seconds"] / max(s2["runs"], 1)
    rate = s2["runs"] / max(s2["wall_seconds"] - s2["first_result_s"] + one_run, 1e-9)
    per_part = 42  # a part every 10 s at ~4 winters/s
    read_small, _ = _store_read_seconds(template, runs, per_part)
    read_big, big_mb = _store_read_seconds(template, 10_000, per_part)
    return {
        "runs": runs, "workers": workers, "rate": rate, "start_s": start,
        "resume_s": resume + max(read_big - read_small, 0.0),
        "resume_measured_s": resume, "sweep_1000_s": start + 1000 / rate,
        "sweep_10000_s": start + 10_000 / rate, "store_mb_small": store_mb,
        "store_10000_mb": big_mb, "rss_mb": max(first["rss_mb"], second["rss_mb"]),
        "pss_mb": max(first["pss_mb"], second["pss_mb"]),
        "processes": second["processes"], "codes": (first["returncode"], second["returncode"]),
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(label: str, value: str, note: str = "") -> None:
    print(f"{label:<42}{value:>10}   {note}".rstrip())


def _ratio(value: float, key: str) -> str:
    return f"target <= {_fmt_target(key)}: {value / TARGETS[key]:.2f}x"


def _fmt_target(key: str) -> str:
    t = TARGETS[key]
    if key.endswith("_share"):
        return f"{100 * t:.0f}%"
    if key == "peak_night_s":
        return f"{1000 * t:.0f} ms"
    if key.endswith("_mb"):
        return f"{t:.0f} MB"
    if key == "exponent":
        return f"{t:g}"
    return f"{t:g} s"


def main(args=None) -> int:
    rss_imports = _rss_mb()
    repeats = getattr(args, "repeats", 5) or 5
    quick = bool(getattr(args, "quick", False))
    path = getattr(args, "scenario", None)
    sc = _scenario(path)
    print(f"sim bench: medians of {repeats} repeats, wall-clock seconds (CPU seconds beside); "
          "ratio = median / target\n")

    scen_arg = str(path or SCENARIO)
    for label, argv, key in (("start-up: python -m sim --help", ["--help"], "help_s"),
                             ("start-up: python -m sim validate nl-200m", ["validate", scen_arg],
                              "validate_s")):
        t = time_startup(argv, repeats)
        _line(label, f"{t:.3f} s", f"({_ratio(t, key)})")
    first, second = first_night_cost(scen_arg, 3 if quick else repeats)
    _line("fresh process: first night", f"{first:.3f} s",
          f"(then {1000 * second:.1f} ms a night: {first - second:.2f} s once per process to "
          "load the compiled kernels)")

    time_winter(with_overrides(sc, {"period.nights": 5}), 1)  # warm-up (imports, caches)
    tot, en, cpu = time_winter(sc, repeats)
    med, med_e = statistics.median(tot), statistics.median(en)
    tot_ne, _, _ = time_winter(with_overrides(sc, {"energy.enabled": False}), repeats)
    med_ne = statistics.median(tot_ne)
    nights = sc.period.nights
    _line(f"{sc.name} winter, {nights} nights (as shipped)", f"{med:.3f} s",
          f"(cpu {statistics.median(cpu):.3f} s; attacker: {sc.threat.attacker.strategy})")
    _line("  energy step", f"{med_e:.3f} s", f"({100 * med_e / med:.0f}% of the run)")
    _line("  without the energy model", f"{med_ne:.3f} s")

    all_on = with_overrides(sc, {"threat.attacker.strategy": "learning"})
    tot_a, en_a, cpu_a = time_winter(all_on, repeats)
    med_a, med_ae = statistics.median(tot_a), statistics.median(en_a)
    on = ["node-level grid" if sc.energy.enabled else "no energy model",
          "missiles" if sc.threat.missiles.enabled else "no missiles", "learning attacker"]
    print(f"everything on: {', '.join(on)}")
    _line("  winter", f"{med_a:.3f} s",
          f"({_ratio(med_a, 'winter_all_on_s')}; cpu {statistics.median(cpu_a):.3f} s)")
    share_e = med_ae / med_a
    _line("  energy step", f"{med_ae:.3f} s",
          f"({100 * share_e:.0f}% of the run; {_ratio(share_e, 'energy_share')})")
    _line("  the rest of the winter", f"{med_a - med_ae:.3f} s")
    share = agent_share(all_on)
    agent_work = share["agents"] + share["mesa"]
    _line("  agents and Mesa (own code)", f"{100 * agent_work:.1f} %",
          f"({_ratio(agent_work, 'agents_share')}; agents {100 * share['agents']:.1f}, "
          f"Mesa {100 * share['mesa']:.1f})")
    _line("  the model's own wiring", f"{100 * share['model']:.1f} %",
          "(defense_model.py, night.py, outcome readers: phase order, night, reporters)")

    peak = time_night(sc, 800, max(repeats, 5))
    m = peak_night_model(sc, 800)
    m.step()
    prog = m.forces[1]
    _line("peak night, 800 attackers", f"{peak * 1000:.1f} ms",
          f"({_ratio(peak, 'peak_night_s')}); programme sorties flown "
          f"{m.record['interceptors_launched']}, capacity "
          f"{int(prog.crews.sum()) * m.spec.defense.crews.sorties_per_crew_per_night}")

    sizes = [100, 400, 1600] if quick else [100, 200, 400, 800, 1600, 3200]
    meds = [time_night(sc, n, 3 if quick else max(3, repeats)) for n in sizes]
    slope = float(np.polyfit(np.log(sizes), np.log(meds), 1)[0])
    print("attackers/night  " + "  ".join(f"{n:>7d}" for n in sizes))
    print("median ms        " + "  ".join(f"{1000 * t:7.1f}" for t in meds))
    print(f"runtime ~ attackers^{slope:.2f} (target: exponent below 1, growth below linear)")
    rss = _rss_mb()
    _line("peak resident memory of this process", f"{rss:.0f} MB",
          f"({rss_imports:.0f} MB of it the interpreter with Mesa, pandas, scipy imported)")
    mems = [run_memory_mb(scen_arg) for _ in range(1 if quick else 3)]
    run_mb = statistics.median(mems)
    _line("peak memory of a run (fresh process)", f"{run_mb:.0f} MB",
          f"({_ratio(run_mb, 'memory_mb')}; python -m sim run {sc.name} --replicates 1)")

    n = 8 if quick else 24
    sw = sweep_bench(scen_arg, workers=2, runs=n)
    print(f"sweep: {n} {sc.name} winters on 2 worker processes (python -m sim sweep), "
          f"interrupted at half and resumed; one sweep")
    _line("  throughput after start-up", f"{sw['rate']:.2f} /s",
          f"(start-up {sw['start_s']:.1f} s to the first result)")
    _line("  1,000 winters (projected)", f"{sw['sweep_1000_s']:.0f} s",
          f"({_ratio(sw['sweep_1000_s'], 'sweep_1000_s')}; start-up + 1,000 / throughput)")
    _line("  10,000 winters (projected)", f"{sw['sweep_10000_s']:.0f} s",
          f"({_ratio(sw['sweep_10000_s'], 'sweep_10000_s')})")
    _line("  results folder of 10,000 winters", f"{sw['store_10000_mb']:.0f} MB",
          f"({_ratio(sw['store_10000_mb'], 'store_mb')}; parts and runs.parquet, made of "
          f"these runs' rows; this sweep: {sw['store_mb_small']:.1f} MB)")
    _line("  resume start at 10,000 winters", f"{sw['resume_s']:.1f} s",
          f"({_ratio(sw['resume_s'], 'resume_s')}; measured {sw['resume_measured_s']:.1f} s to "
          "the first new result, plus reading 10,000 finished runs)")
    _line("  peak memory, summed PSS", f"{sw['pss_mb']:.0f} MB",
          f"({_ratio(sw['pss_mb'], 'sweep_memory_mb')}; summed RSS {sw['rss_mb']:.0f} MB counts "
          "the pages workers share with the fork server once per process)")
    if sw["codes"][1] != 0:
        print(f"  (the resumed sweep exited with status {sw['codes'][1]})")
    return 0
