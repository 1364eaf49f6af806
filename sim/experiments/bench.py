"""Benchmark: ``python -m sim bench`` (medians of repeated timings on one core).

Measures, excluding interpreter start and imports:

* the shipped nl-200m winter (151 nights), with and without the energy model, and the energy
  step's share of the runtime;
* one peak night of 800 attack drones against a matching fleet (about 800 interceptor sorties
  available: 50 programme launch sites x 2 crews x 8 sorties);
* how one night's runtime grows with the number of attackers (100 to 3,200), as the exponent
  of a log-log fit;
* the process's peak resident memory.

Targets (core issue): winter <= 1 s, peak night <= 50 ms, memory <= 300 MB, exponent <= 1.
"""

from __future__ import annotations

import resource
import statistics
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


def agent_share(sc, seed: int = 0) -> float:
    """Share of a winter's run time spent in the agents and the Mesa machinery themselves
    (their own code, not the kernels they call), from a profile of one winter: the time of
    every function defined in ``sim/model/agents.py``, ``sim/model/defense_model.py`` or
    Mesa, excluding what they call."""
    import cProfile
    import pstats

    m = DefenseModel(sc, seed=seed)
    prof = cProfile.Profile()
    prof.enable()
    m.run()
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values())
    own = sum(v[2] for (path, _line, _fn), v in st.stats.items()
              if path.endswith(("sim/model/agents.py", "sim/model/defense_model.py"))
              or "/mesa/" in path)
    return own / total if total else 0.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(args=None) -> int:
    rss_imports = _rss_mb()
    repeats = getattr(args, "repeats", 5) or 5
    quick = bool(getattr(args, "quick", False))
    sc = _scenario(getattr(args, "scenario", None))
    time_winter(with_overrides(sc, {"period.nights": 5}), 1)  # warm-up (imports, caches)

    print(f"sim bench: medians of {repeats} repeats, one process, wall-clock seconds\n")
    tot, en = time_winter(sc, repeats)
    med, med_e = statistics.median(tot), statistics.median(en)
    no_energy = with_overrides(sc, {"energy.enabled": False})
    tot_ne, _ = time_winter(no_energy, repeats)
    med_ne = statistics.median(tot_ne)
    print(f"nl-200m winter, 151 nights      {med:7.3f} s   (target <= 1 s: {med / 1.0:.2f}x)")
    print(f"  energy step                    {med_e:7.3f} s   ({100 * med_e / med:.0f}% of the run)")
    print(f"  without the energy model       {med_ne:7.3f} s")
    share = agent_share(sc)
    print(f"  agents and Mesa (own code)     {100 * share:6.1f} %   (target <= 5% of the run)")

    peak = time_night(sc, 800, max(repeats, 5))
    m = peak_night_model(sc, 800)
    m.step()
    print(f"peak night, 800 attackers        {peak * 1000:7.1f} ms  (target <= 50 ms: "
          f"{peak / 0.05:.2f}x); programme sorties flown {m.record['interceptors_launched']}, "
          f"capacity {int(m.capability.sites[0]) * 2 * 8}")

    sizes = [100, 400, 1600] if quick else [100, 200, 400, 800, 1600, 3200]
    meds = [time_night(sc, n, 3 if quick else max(3, repeats)) for n in sizes]
    slope = float(np.polyfit(np.log(sizes), np.log(meds), 1)[0])
    print("attackers/night  " + "  ".join(f"{n:>7d}" for n in sizes))
    print("median ms        " + "  ".join(f"{1000 * t:7.1f}" for t in meds))
    print(f"runtime ~ attackers^{slope:.2f} (target: exponent <= 1)")
    print(f"peak resident memory             {_rss_mb():7.0f} MB  (target <= 300 MB; "
          f"{rss_imports:.0f} MB of it is the interpreter with Mesa, pandas, scipy imported)")
    return 0
