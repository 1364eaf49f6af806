"""Benchmark: ``python -m sim bench`` (medians of repeated timings on one core).

Measures:

* start-up: ``python -m sim --help`` and ``python -m sim validate scenarios/nl-200m.yaml`` as
  fresh processes (target <= 0.4 s wall);

and, excluding interpreter start and imports:

* the shipped nl-200m winter (151 nights: node-level grid, missiles, national force and the
  programme, static attacker), with and without the energy model, and the energy step's share;
* the same winter with everything on: the learning attacker as well (target <= 1.2 s on one
  core, the energy step <= 40% of it);
* the share of a winter spent in the agents' and Mesa's own code (target <= 5%), and in the
  model's own wiring (``defense_model.py``);
* one peak night of 800 attack drones against a matching fleet (about 800 interceptor sorties
  available: 50 programme launch sites x 2 crews x 8 sorties);
* how one night's runtime grows with the number of attackers (100 to 3,200), as the exponent
  of a log-log fit;
* the process's peak resident memory.

Targets: start-up <= 0.4 s; a full winter with everything on <= 1.2 s with the energy step
<= 40% of it; agents and Mesa <= 5%; peak night <= 50 ms; memory <= 300 MB; exponent <= 1.
The 1,000-winter sweep (target <= 10 minutes on 2 cores) is timed by
``python -m sim sweep benchmarks/nl200m-1000.yaml --workers 2`` (README, Speed).
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


def _scenario(path: str | None = None):
    return load_scenario(path or SCENARIO)


def time_winter(sc, repeats: int, seed: int = 0) -> tuple[list[float], list[float]]:
    """Wall times of full winters, and of the energy step within them."""
    totals, energy = [], []
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
        t0 = time.perf_counter()
        m.run()
        totals.append(time.perf_counter() - t0)
        energy.append(e_time)
    return totals, energy


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
    readers of ``sim/model/outcomes.py``), excluding what they call. ``total`` is their sum."""
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
        elif path.endswith(("sim/model/defense_model.py", "sim/model/night.py",
                            "sim/model/outcomes.py")):
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


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(label: str, value: str, note: str = "") -> None:
    print(f"{label:<40}{value:>10}   {note}".rstrip())


def main(args=None) -> int:
    rss_imports = _rss_mb()
    repeats = getattr(args, "repeats", 5) or 5
    quick = bool(getattr(args, "quick", False))
    path = getattr(args, "scenario", None)
    sc = _scenario(path)
    print(f"sim bench: medians of {repeats} repeats, wall-clock seconds; ratio = median / target\n")

    scen_arg = str(path or SCENARIO)
    for label, argv in (("start-up: python -m sim --help", ["--help"]),
                        ("start-up: python -m sim validate nl-200m", ["validate", scen_arg])):
        t = time_startup(argv, repeats)
        _line(label, f"{t:.3f} s", f"(target <= 0.4 s: {t / 0.4:.2f}x)")

    time_winter(with_overrides(sc, {"period.nights": 5}), 1)  # warm-up (imports, caches)
    tot, en = time_winter(sc, repeats)
    med, med_e = statistics.median(tot), statistics.median(en)
    tot_ne, _ = time_winter(with_overrides(sc, {"energy.enabled": False}), repeats)
    med_ne = statistics.median(tot_ne)
    nights = sc.period.nights
    _line(f"{sc.name} winter, {nights} nights (as shipped)", f"{med:.3f} s",
          f"(attacker: {sc.threat.attacker.strategy})")
    _line("  energy step", f"{med_e:.3f} s", f"({100 * med_e / med:.0f}% of the run)")
    _line("  without the energy model", f"{med_ne:.3f} s")

    all_on = with_overrides(sc, {"threat.attacker.strategy": "learning"})
    tot_a, en_a = time_winter(all_on, repeats)
    med_a, med_ae = statistics.median(tot_a), statistics.median(en_a)
    on = ["node-level grid" if sc.energy.enabled else "no energy model",
          "missiles" if sc.threat.missiles.enabled else "no missiles", "learning attacker"]
    print(f"everything on: {', '.join(on)}")
    _line("  winter", f"{med_a:.3f} s", f"(target <= 1.2 s: {med_a / 1.2:.2f}x)")
    _line("  energy step", f"{med_ae:.3f} s",
          f"({100 * med_ae / med_a:.0f}% of the run; target <= 40%)")
    share = agent_share(all_on)
    agent_work = share["agents"] + share["mesa"]
    _line("  agents and Mesa (own code)", f"{100 * agent_work:.1f} %",
          f"(target <= 5%: {agent_work / 0.05:.2f}x; agents {100 * share['agents']:.1f}, "
          f"Mesa {100 * share['mesa']:.1f})")
    _line("  the model's own wiring", f"{100 * share['model']:.1f} %",
          "(defense_model.py, night.py, outcome readers: phase order, night, reporters)")

    peak = time_night(sc, 800, max(repeats, 5))
    m = peak_night_model(sc, 800)
    m.step()
    prog = m.forces[1]
    _line("peak night, 800 attackers", f"{peak * 1000:.1f} ms",
          f"(target <= 50 ms: {peak / 0.05:.2f}x); programme sorties flown "
          f"{m.record['interceptors_launched']}, capacity "
          f"{int(prog.crews.sum()) * m.spec.defense.crews.sorties_per_crew_per_night}")

    sizes = [100, 400, 1600] if quick else [100, 200, 400, 800, 1600, 3200]
    meds = [time_night(sc, n, 3 if quick else max(3, repeats)) for n in sizes]
    slope = float(np.polyfit(np.log(sizes), np.log(meds), 1)[0])
    print("attackers/night  " + "  ".join(f"{n:>7d}" for n in sizes))
    print("median ms        " + "  ".join(f"{1000 * t:7.1f}" for t in meds))
    print(f"runtime ~ attackers^{slope:.2f} (target: exponent <= 1)")
    _line("peak resident memory", f"{_rss_mb():.0f} MB",
          f"(target <= 300 MB; {rss_imports:.0f} MB of it is the interpreter with Mesa, "
          "pandas, scipy imported)")
    return 0
