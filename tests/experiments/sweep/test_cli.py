"""Command-line behaviour of sweep/compare/sensitivity: exit status 2 and one clear message."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from tests.fixtures.toy import write_toy_sweep
from tests.helpers import ROOT


def _main():
    from sim.cli import main

    return main


@pytest.fixture
def cli(capsys):
    main = _main()

    def call(*argv):
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return call


def test_sweep_runs_and_resumes_as_noop(tmp_path, cli):
    path = write_toy_sweep(tmp_path)
    rc, _, err = cli("sweep", path, "--out", tmp_path / "o", "--workers", "1", "--no-progress")
    assert rc == 0 and "120 runs" in err
    rc, _, err = cli("sweep", path, "--out", tmp_path / "o", "--workers", "1", "--no-progress")
    assert rc == 0 and "already done" in err


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ({"levers": [{"key": "defense.nope", "values": [1.0]}]}, "unknown key path"),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0.9, "high": 0.2}]},
            "inverted range",
        ),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0.3, "high": 0.3}]},
            "empty range",
        ),
        ({"levers": [{"key": "defense.budget_eur", "values": []}]}, "empty value list"),
        ({"max_runs": 10}, "above the cap of 10 runs"),
        ({"design": {"kind": "wavelet"}}, "design.kind"),
    ],
)
def test_bad_sweeps_exit_2(tmp_path, cli, spec, needle):
    path = write_toy_sweep(tmp_path, **spec)
    rc, _, err = cli("sweep", path, "--out", tmp_path / "o", "--workers", "1")
    assert rc == 2
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_size_cap_is_configurable_and_force_overrides(tmp_path, cli):
    path = write_toy_sweep(tmp_path)
    rc, _, err = cli("sweep", path, "--out", tmp_path / "o", "--max-runs", "50", "--workers", "1")
    assert rc == 2 and "--force" in err
    rc, _, _ = cli(
        "sweep",
        path,
        "--out",
        tmp_path / "o",
        "--max-runs",
        "50",
        "--force",
        "--workers",
        "1",
        "--no-progress",
    )
    assert rc == 0


def test_folder_of_another_sweep(tmp_path, cli):
    a = write_toy_sweep(tmp_path / "a")
    b = write_toy_sweep(tmp_path / "b", seed=99)
    assert cli("sweep", a, "--out", tmp_path / "o", "--workers", "1", "--no-progress")[0] == 0
    rc, _, err = cli("sweep", b, "--out", tmp_path / "o", "--workers", "1")
    assert rc == 2 and "different sweep" in err and "--force" in err
    rc, _, _ = cli("sweep", b, "--out", tmp_path / "o", "--workers", "1", "--force", "--no-progress")
    assert rc == 0


def test_bad_set_and_workers(tmp_path, cli):
    path = write_toy_sweep(tmp_path)
    assert cli("sweep", path, "--out", tmp_path / "o", "--set", "nonsense")[0] == 2
    assert cli("sweep", path, "--out", tmp_path / "o", "--set", "defense.nope=1", "--workers", "1")[0] == 2
    assert cli("sweep", path, "--out", tmp_path / "o", "--workers", "0")[0] == 2


def test_unreachable_scheduler_subprocess(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_toy_sweep(tmp_path)
    t0 = time.time()
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--connect-timeout",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 2
    assert "cannot reach the Dask scheduler" in p.stderr and "Traceback" not in p.stderr
    assert time.time() - t0 < 15  # includes interpreter start-up
    assert not (tmp_path / "o").exists()


def test_dask_cli_on_local_cluster(tmp_path):
    from distributed import LocalCluster

    path = write_toy_sweep(tmp_path)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None
    ) as c:
        p = subprocess.run(
            [
                sys.executable,
                "-m",
                "sim",
                "sweep",
                str(path),
                "--out",
                str(tmp_path / "d"),
                "--scheduler",
                c.scheduler_address,
                "--no-progress",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert p.returncode == 0, p.stderr
    from sim.experiments.sweep.api import sweep

    sweep(path, out=tmp_path / "s", backend="serial", progress=False)
    assert (tmp_path / "d" / "runs.parquet").read_bytes() == (tmp_path / "s" / "runs.parquet").read_bytes()
