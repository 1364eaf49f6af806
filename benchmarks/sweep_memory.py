"""Peak memory of a sweep: the process tree of ``python -m sim sweep ...`` sampled while it runs.

Runs the given ``sim sweep`` command line as a child process and samples every process of its
tree (the command itself, the fork server, the resource tracker and the workers) every
``--interval`` seconds. Reports the peak over time of

* the summed resident set size (RSS): every process's pages, pages shared between processes
  (the libraries a forked worker shares with the fork server) counted once per process;
* the summed proportional set size (PSS, Linux): each shared page split between the processes
  that share it, so the sum is the memory the sweep takes from the machine;

and each process's own peak RSS.

Usage::

    python benchmarks/sweep_memory.py -- benchmarks/nl200m-1000.yaml --workers 2 \\
        --set replicates=... --out /tmp/mem-sweep --force
"""

from __future__ import annotations

import argparse
import sys
import time

import psutil


def _pss_mb(p: psutil.Process) -> float:
    try:
        return p.memory_full_info().pss / 2**20
    except (psutil.AccessDenied, AttributeError):
        return float("nan")


def sample_tree(cmd: list[str], interval: float = 0.25) -> dict:
    """Run ``cmd`` and sample its process tree until it exits."""
    child = psutil.Popen(cmd)
    peak_rss = peak_pss = 0.0
    own: dict[int, tuple[str, float]] = {}
    t0 = time.perf_counter()
    while child.poll() is None:
        procs = [child]
        try:
            procs += child.children(recursive=True)
        except psutil.NoSuchProcess:
            pass
        rss = pss = 0.0
        for p in procs:
            try:
                r = p.memory_info().rss / 2**20
                s = _pss_mb(p)
                label = " ".join(p.cmdline()[1:4])[:60]
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
            rss += r
            pss += s
            prev = own.get(p.pid, ("", 0.0))[1]
            own[p.pid] = (label, max(prev, r))
        peak_rss = max(peak_rss, rss)
        peak_pss = max(peak_pss, pss)
        time.sleep(interval)
    return {"returncode": child.returncode, "seconds": time.perf_counter() - t0,
            "peak_rss_sum_mb": peak_rss, "peak_pss_sum_mb": peak_pss,
            "processes": sorted(own.values(), key=lambda x: -x[1])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("sweep_args", nargs=argparse.REMAINDER,
                    help="arguments of `python -m sim sweep` (after --)")
    args = ap.parse_args(argv)
    rest = [a for a in args.sweep_args if a != "--"]
    res = sample_tree([sys.executable, "-m", "sim", "sweep", *rest], args.interval)
    print(f"exit {res['returncode']}, {res['seconds']:.1f} s")
    print(f"peak summed RSS {res['peak_rss_sum_mb']:.0f} MB, peak summed PSS "
          f"{res['peak_pss_sum_mb']:.0f} MB")
    for label, mb in res["processes"]:
        print(f"  {mb:7.0f} MB  {label}")
    return 0 if res["returncode"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
