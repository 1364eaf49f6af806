"""Process pools (sim/experiments/pools.py) and their warm-up (sim/experiments/warmup.py).

A pool for the model forks its workers from a server that has loaded the compiled kernels once:
a worker starts with them loaded (it need not load numba again), and the warm-up leaves no
theatre of its own behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.experiments.pools import default_start_method

_POOL = """
import os, sys
from sim.experiments.pools import process_pool

def state():
    from sim.experiments import warmup
    from sim.model import kernels, theatre
    return (warmup.PID != os.getpid(), len(kernels.engage.overloads) > 0,
            len(theatre._THEATRES))

if __name__ == "__main__":
    with process_pool(2, preload=("sim.experiments.runs", "sim.experiments.warmup")) as pool:
        print([pool.submit(state).result(timeout=300) for _ in range(4)])
"""


@pytest.mark.skipif(default_start_method() != "forkserver", reason="forkserver start method only")
def test_workers_start_with_the_kernels_loaded_by_their_fork_server(tmp_path):
    """In a fresh process (the fork server is one per process, started by its first pool)."""
    script = tmp_path / "pool.py"
    script.write_text(_POOL)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True).stdout
    states = eval(out)  # noqa: S307 - our own printout of a list of tuples
    assert len(states) == 4
    for forked_warm, loaded, theatres in states:
        assert forked_warm  # warmed up in the fork server, not in the worker
        assert loaded  # compiled code present before any run
        assert theatres == 0  # the warm-up's theatre was forgotten


def test_warming_up_runs_two_nights_and_forgets_its_theatre():
    code = ("import sim.experiments.warmup as w, math; from sim.model import kernels, theatre; "
            "print(math.isfinite(w.SECONDS), len(kernels.engage.overloads) > 0, "
            "len(theatre._THEATRES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "True", "0"]
