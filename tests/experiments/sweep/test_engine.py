"""The sweep engine with the toy model: backends, resume, store, manifest, bad input."""

from __future__ import annotations

import filecmp
import glob
import json
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from sim.config.errors import ScenarioError
from sim.experiments.sweep.engine import SweepInterrupted, run_sweep
from sim.experiments.sweep.errors import (
    DesignTooLargeError,
    ResultsFolderError,
    SchedulerError,
    SweepSpecError,
)
from sim.experiments.sweep.evaluators import DaskEvaluator, ProcessEvaluator, SerialEvaluator
from sim.experiments.sweep.model import ModelAdapter
from sim.experiments.sweep.spec import load_sweep
from sim.experiments.sweep.store import SweepStore
from tests.fixtures.toy import toy_load, toy_override, toy_run, write_toy_sweep
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def _sweep(tmp_path, **spec):
    spec.setdefault("nights_table", True)
    return load_sweep(write_toy_sweep(tmp_path, **spec))


def test_backends_give_identical_results(tmp_path, cluster):
    loaded = _sweep(tmp_path)
    outs = {}
    for name, ev in [
        ("serial", SerialEvaluator()),
        ("processes", ProcessEvaluator(2)),
        ("dask", DaskEvaluator(cluster.scheduler_address)),
    ]:
        with ev:
            res = run_sweep(loaded, tmp_path / name, evaluator=ev, progress=False)
        assert res.ran == res.total == 4 * 10 * 3
        outs[name] = tmp_path / name
    ref = pd.read_parquet(outs["serial"] / "runs.parquet")
    assert list(ref["run_id"]) == list(range(120))
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(ref, pd.read_parquet(outs[name] / "runs.parquet"))
        pd.testing.assert_frame_equal(
            pd.read_parquet(outs["serial"] / "nights.parquet"),
            pd.read_parquet(outs[name] / "nights.parquet"),
        )
        assert filecmp.cmp(outs["serial"] / "runs.parquet", outs[name] / "runs.parquet", shallow=False)


def test_runs_table_columns_and_crn(tmp_path):
    loaded = _sweep(tmp_path, nights_table=False)
    run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    df = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert list(df.columns[:6]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "defense.budget_eur",
        "defense.interceptor.pk",
    ]
    assert {"interception_rate", "leaked", "launched"} <= set(df.columns)
    assert (df["seed"] == 5).all()
    assert (df["run_id"] == df["point"] * 3 + df["replicate"]).all()
    # common random numbers: launches depend only on the random draws of replicate r
    per_rep = df.groupby("replicate")["launched"].nunique()
    assert (per_rep == 1).all()
    assert df.groupby("replicate")["launched"].first().nunique() == 3
    assert not (tmp_path / "out" / "nights.parquet").exists()
    assert not (tmp_path / "out" / "parts").exists()


def test_manifest(tmp_path):
    loaded = _sweep(tmp_path)
    run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["status"] == "complete"
    assert m["run_count"] == m["runs_done"] == 120
    assert m["sweep_file_sha256"] == loaded.file_sha256
    assert m["sweep_id"] == loaded.identity()
    assert m["package_version"]
    assert m["started_at"] <= m["finished_at"]
    assert m["sessions"][0]["backend"] == "serial"
    assert (tmp_path / "out" / "design.parquet").exists()
    assert (tmp_path / "out" / "sweep.yaml").read_bytes() == loaded.path.read_bytes()


class _StopAfter(SerialEvaluator):
    """Serial evaluator that raises KeyboardInterrupt after ``n`` chunks (a Ctrl-C)."""

    def __init__(self, n):
        self.n = n

    def imap(self, fn, ctx, chunks):
        for i, chunk in enumerate(chunks):
            if i == self.n:
                raise KeyboardInterrupt
            yield fn(ctx, chunk)


def test_interrupt_then_resume_in_process(tmp_path):
    loaded = _sweep(tmp_path)
    run_sweep(loaded, tmp_path / "ref", backend="serial", progress=False)
    with pytest.raises(SweepInterrupted):
        run_sweep(
            loaded,
            tmp_path / "out",
            evaluator=_StopAfter(7),
            chunk_size=4,
            flush_runs=1000,
            progress=False,
        )
    store = SweepStore(tmp_path / "out")
    m = store.read_manifest()
    assert m["status"] == "interrupted"
    assert store.finished_ids() == set(range(28))  # every finished run was flushed
    # debris of a killed writer: a half-written part and a nights part without its runs part
    (store.parts / ".tmp-dead-0000000099-x.runs.parquet").write_bytes(b"PAR1 half")
    nights = next(store.parts.glob("*.nights.parquet"))
    (store.parts / "0000000099-orphan00.nights.parquet").write_bytes(nights.read_bytes())
    res = run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    assert res.already_done == 28 and res.ran == 92
    for name in ("runs.parquet", "nights.parquet"):
        assert filecmp.cmp(tmp_path / "ref" / name, tmp_path / "out" / name, shallow=False)
    m = store.read_manifest()
    assert m["status"] == "complete" and len(m["sessions"]) == 2
    # a finished sweep reruns as a no-op
    res = run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    assert res.ran == 0 and res.already_done == 120


def _launch(sweep_file, out, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(sweep_file),
            "--out",
            str(out),
            "--no-progress",
            "--flush-runs",
            "4",
            *extra,
        ],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        # a shell that starts the tests in the background leaves SIGINT ignored, and children
        # inherit that; the sweep must see Ctrl-C as a user at a terminal sends it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_parts(out, n, proc, timeout=60):
    t0 = time.time()
    while len(glob.glob(str(out / "parts" / "*.runs.parquet"))) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.time() - t0 < timeout
        time.sleep(0.02)


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGKILL, "1"), (signal.SIGINT, "2")])
def test_kill_and_resume_subprocess(tmp_path, sig, workers):
    # 120 runs of 0.05 s: seconds of work, so the signal lands mid-sweep
    path = write_toy_sweep(tmp_path, fixed={"toy.delay_s": 0.05}, nights_table=True)
    loaded = load_sweep(path)
    run_sweep(loaded, tmp_path / "ref", backend="serial", progress=False)
    out = tmp_path / "out"
    proc = _launch(path, out, "--workers", workers, "--chunk-size", "2")
    _wait_for_parts(out, 2, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode == -9
        assert json.loads((out / "manifest.json").read_text())["status"] == "running"
    else:
        assert proc.returncode == 130, err
        assert "rerun the same command to resume" in err
        assert "Traceback" not in err
        assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    done = SweepStore(out).finished_ids()
    assert 0 < len(done) < 120
    proc = _launch(path, out, "--workers", workers)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"{len(done)} done before" in err
    df = pd.read_parquet(out / "runs.parquet")
    assert df["run_id"].is_unique and len(df) == 120
    for name in ("runs.parquet", "nights.parquet"):
        assert filecmp.cmp(tmp_path / "ref" / name, out / name, shallow=False)


def _explode(scenario, seed, replicate):
    if scenario["defense"]["budget_eur"] == 4e8:
        raise RuntimeError("model bug")
    return toy_run(scenario, seed, replicate)


EXPLODING = ModelAdapter("explode", _explode, toy_load, toy_override)


def test_model_failure_keeps_finished_runs(tmp_path):
    loaded = _sweep(tmp_path)
    with pytest.raises(RuntimeError, match="model bug"):
        run_sweep(
            loaded,
            tmp_path / "out",
            backend="serial",
            progress=False,
            model=EXPLODING,
            chunk_size=3,
        )
    store = SweepStore(tmp_path / "out")
    assert store.read_manifest()["status"] == "failed"
    assert store.finished_ids() == set(range(90))  # the first three budget levels


def test_results_folder_of_another_sweep_is_refused(tmp_path):
    a = _sweep(tmp_path / "a", seed=1)
    b = _sweep(tmp_path / "b", seed=2)
    run_sweep(a, tmp_path / "out", backend="serial", progress=False)
    with pytest.raises(ResultsFolderError, match="different sweep"):
        run_sweep(b, tmp_path / "out", backend="serial", progress=False)
    run_sweep(b, tmp_path / "out", backend="serial", progress=False, force=True)
    assert (pd.read_parquet(tmp_path / "out" / "runs.parquet")["seed"] == 2).all()


def test_foreign_folder_is_refused(tmp_path):
    loaded = _sweep(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(ResultsFolderError, match="not a sweep results folder"):
        run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    run_sweep(loaded, tmp_path / "out", backend="serial", progress=False, force=True)
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"


def test_size_cap(tmp_path):
    loaded = _sweep(tmp_path, max_runs=100)
    with pytest.raises(DesignTooLargeError, match="120 runs"):
        run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    assert not (tmp_path / "out").exists()
    with pytest.raises(DesignTooLargeError, match="cap of 50"):
        run_sweep(_sweep(tmp_path), tmp_path / "out", backend="serial", max_runs=50, progress=False)
    run_sweep(loaded, tmp_path / "out", backend="serial", progress=False, force=True)


def test_unknown_factor_key_fails_before_any_run(tmp_path):
    loaded = _sweep(tmp_path, levers=[{"key": "defense.budgetx", "values": [1.0, 2.0]}])
    with pytest.raises(SweepSpecError, match=r"levers\[0\] \(defense.budgetx = 1.0\).*unknown key"):
        run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    assert not (tmp_path / "out").exists()
    loaded = _sweep(tmp_path / "b", levers=[{"key": "defense.budget_eur", "values": [1.0, "lots"]}])
    with pytest.raises(SweepSpecError, match="expected a number"):
        run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)
    loaded = load_sweep(write_toy_sweep(tmp_path / "c"), overrides={"period.nightz": 3})
    with pytest.raises(SweepSpecError, match="--set"):
        run_sweep(loaded, tmp_path / "out", backend="serial", progress=False)


def test_bad_base_scenario_is_an_input_error(tmp_path):
    path = write_toy_sweep(tmp_path)
    (tmp_path / "toy-scenario.yaml").write_text("- not a mapping\n")
    with pytest.raises(ScenarioError):
        run_sweep(load_sweep(path), tmp_path / "out", backend="serial", progress=False)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_fails_fast(tmp_path):
    loaded = _sweep(tmp_path)
    t0 = time.time()
    with pytest.raises(SchedulerError, match="cannot reach"):
        run_sweep(
            loaded,
            tmp_path / "out",
            scheduler=f"tcp://127.0.0.1:{_free_port()}",
            progress=False,
            connect_timeout=2,
        )
    assert time.time() - t0 < 5
    assert not (tmp_path / "out").exists()
    with pytest.raises(SchedulerError, match="bad Dask scheduler address"):
        DaskEvaluator("not-an-address", timeout=1)


def test_silent_scheduler_times_out(tmp_path):
    """A port that accepts connections but never answers: an error after the timeout."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    try:
        t0 = time.time()
        with pytest.raises(SchedulerError, match="no Dask scheduler answered"):
            DaskEvaluator(f"tcp://127.0.0.1:{srv.getsockname()[1]}", timeout=1.5)
        assert time.time() - t0 < 6
    finally:
        srv.close()


def test_parts_are_written_in_bounded_chunks(tmp_path, monkeypatch):
    sizes = []
    orig = SweepStore.write_part

    def spy(self, runs, nights=None):
        sizes.append(len(runs))
        return orig(self, runs, nights)

    monkeypatch.setattr(SweepStore, "write_part", spy)
    run_sweep(
        _sweep(tmp_path),
        tmp_path / "out",
        backend="serial",
        progress=False,
        chunk_size=5,
        flush_runs=10,
    )
    assert sum(sizes) == 120 and max(sizes) == 10


def test_process_evaluator_keeps_a_bounded_window():
    from sim.experiments.sweep.model import run_chunk  # noqa: F401 - imported for the worker

    pulled = []

    def chunks():
        for i in range(40):
            pulled.append(i)
            yield [i]

    with ProcessEvaluator(2, window=3) as ev:
        it = ev.imap(_square_chunk, None, chunks())
        first = next(it)
        assert first == [0]
        assert len(pulled) <= 4  # the window plus the one submitted after the first result
        rest = list(it)
    assert [r[0] for r in rest] == [i * i for i in range(1, 40)]


def _square_chunk(ctx, chunk):
    return [x * x for x in chunk]


def test_progress_bar_shows_rate(tmp_path):
    path = write_toy_sweep(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "sweep",
            str(path),
            "--out",
            str(tmp_path / "o"),
            "--workers",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "run/s" in proc.stderr and "120/120" in proc.stderr
