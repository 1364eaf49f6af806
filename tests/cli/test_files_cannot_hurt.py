"""Files and commands cannot hurt the user (issue: files that cannot hurt).

One test per class of input that used to parse into something the user did not write, never
end, write outside the folder asked for, replace a folder that is not a results folder, clash
with another run, trip over a damaged file, or fail only after the simulation ran. Each class
has at least two inputs, and each input must give: exit status 2, one clear message naming
the key or file and the reason, no traceback, nothing written anywhere (the whole working
folder is compared byte for byte before and after), and the earlier results intact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from tests.helpers import ROOT, SCENARIOS

NL = SCENARIOS / "nl-200m.yaml"
WINTER = SCENARIOS / "winter-2025-26.yaml"
SHORT = ["--set", "period.nights=2", "--set", "period.start_date=2025-12-01"]


def call(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under ``root`` with its bytes (folders: None)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink() or not (p.is_file() or p.is_dir()):
            out[rel] = b"<special>"
        else:
            out[rel] = None if p.is_dir() else p.read_bytes()
    return out


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A working folder with earlier results in it (results/old: a finished run)."""
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "results" / "old"
    old.mkdir(parents=True)
    (old / "summary.json").write_text(json.dumps({"scenario": "old", "earlier": True}))
    (old / "nights.parquet").write_bytes(b"PAR1 earlier results PAR1")
    return tmp_path


def refused(work: Path, capsys, argv, *needles) -> str:
    """Run ``argv``; it must exit 2 with one message holding ``needles``, no traceback, and
    leave every file under ``work`` as it was."""
    before = tree(work)
    code, _, err = call(argv, capsys)
    assert code == 2, (argv, err)
    assert "Traceback" not in err, err
    assert len([ln for ln in err.splitlines() if "error:" in ln]) == 1, err
    for n in needles:
        assert n in err, (n, err)
    assert tree(work) == before, "something was written or changed"
    return err


def scenario_text(**replace) -> str:
    text = WINTER.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# ------------------------------------------------------------------------------ YAML says what you wrote
@pytest.mark.parametrize("text,needles", [
    (scenario_text(**{"seed: 20251101\n": "seed: 20251101\nseed: 1\n"}),
     ["key 'seed' appears twice", "line"]),
    (scenario_text(**{"  decoy_share: 0.39\n": "  decoy_share: 0.39\n  decoy_share: 0.5\n"}),
     ["key 'decoy_share' appears twice"]),
    (scenario_text(**{"defense:\n  budget_eur: 0\n": "defense:\n  budget_eur: 0\n  budget_eur: 2e8\n"}),
     ["key 'budget_eur' appears twice"]),
])
def test_duplicate_keys(work, capsys, text, needles):
    f = work / "dup.yaml"
    f.write_text(text)
    refused(work, capsys, ["validate", f], str(f), *needles)
    refused(work, capsys, ["run", f, "--out", "results/new", "--quiet"], *needles)


def test_a_duplicate_key_in_a_sweep_file(work, capsys):
    f = work / "s.yaml"
    f.write_text(f"name: s\nbase: {NL}\nreplicates: 2\nreplicates: 3\nlevers:\n"
                 "  - {key: defense.budget_eur, values: [0, 1]}\n")
    refused(work, capsys, ["sweep", f, "--out", "results/s"], "key 'replicates' appears twice")


@pytest.mark.parametrize("setting,needles", [
    ("defense.budget_eur=yes", ["defense.budget_eur", "valid number", "'yes'"]),
    ("period.nights=on", ["period.nights", "valid integer", "'on'"]),
    ("defense.budget_eur=true", ["defense.budget_eur", "yes-or-no answer"]),
    ("threat.decoy_share=no", ["threat.decoy_share", "'no'"]),
])
def test_yes_for_a_number(work, capsys, setting, needles):
    refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet", "--set", setting],
            *needles)


def test_yes_for_a_number_in_a_file(work, capsys):
    f = work / "yes.yaml"
    f.write_text(scenario_text(**{"defense:\n  budget_eur: 0\n": "defense:\n  budget_eur: yes\n"}))
    refused(work, capsys, ["validate", f], "defense.budget_eur", "'yes'")
    f.write_text(scenario_text(**{"  apply_trend: false": "  apply_trend: off"}))
    # a yes-or-no key still takes yes/no/on/off (its meaning is clear)
    assert call(["validate", f], capsys)[0] == 0


@pytest.mark.parametrize("setting,key", [
    ("defense.budget_eur=.inf", "defense.budget_eur"),
    ("threat.types.shahed.warhead_kg=.inf", "threat.types.shahed.warhead_kg"),
    ("defense.costs.radar_unit_cost_eur=.nan", "defense.costs.radar_unit_cost_eur"),
    ("threat.types.decoy.unit_cost_eur=-.inf", "threat.types.decoy.unit_cost_eur"),
])
def test_infinities_where_an_amount_belongs(work, capsys, setting, key):
    refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet", "--set", setting],
            key, "not a finite number")


@pytest.mark.parametrize("setting,needles", [
    ("threat.targeting.weights_by_site_type.thermall=3",
     ["weights_by_site_type", "'thermall'", "did you mean 'thermal'"]),
    ("defense.basing.site_types=[thermal, substaton_330]",
     ["defense.basing.site_types", "did you mean 'substation_330'"]),
    ("threat.types.shahad={speed_kmh: 200}", ["unknown drone type 'shahad'", "'shahed'"]),
    ("energy.repair_days.thermall={median_days: 3}", ["repair_days", "did you mean 'thermal'"]),
    ("threat.launch_areas={kurskk: 1.0}", ["threat.launch_areas", "kurskk"]),
])
def test_typos_inside_free_form_maps(work, capsys, setting, needles):
    refused(work, capsys, ["validate", NL, "--set", setting], *needles)
    refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet", "--set", setting],
            *needles)


# ------------------------------------------------------------------------------ data files
def _loads():
    import pandas as pd

    return pd.read_csv(ROOT / "sim" / "data" / "grid_loads.csv", dtype=str,
                       keep_default_na=False)


def _sites():
    import pandas as pd

    return pd.read_csv(ROOT / "sim" / "data" / "energy_sites.csv", dtype=str,
                       keep_default_na=False)


def _twice(df, i):
    import pandas as pd

    return pd.concat([df, df.iloc[[i]]], ignore_index=True)


def _halved(df):
    df = df.copy()
    df.loc[0, "share_of_region"] = str(float(df.loc[0, "share_of_region"]) / 2)
    return df


def _without_first_oblast(df):
    return df[df["region_id"] != df["region_id"].iloc[0]]


DATA_CASES = [
    ("energy.grid_loads_file", lambda: _twice(_loads(), 0), ["listed twice", "first on row 2"]),
    ("sites_file", lambda: _twice(_sites(), 3), ["duplicate id"]),
    ("energy.grid_loads_file", lambda: _halved(_loads()),
     ["share_of_region", "shares sum to", "must sum to 1"]),
    ("energy.grid_loads_file", lambda: _without_first_oblast(_loads()),
     ["share_of_region", "has no load node"]),
]


@pytest.mark.parametrize("key,make,needles", DATA_CASES)
def test_data_files_with_duplicated_rows_or_shares_that_do_not_add_up(work, capsys, key, make,
                                                                      needles):
    f = work / "data.csv"
    make().to_csv(f, index=False)
    for cmd in (["validate", NL], ["run", NL, "--out", "results/new", "--quiet", *SHORT]):
        refused(work, capsys, [*cmd, "--set", f"{key}={f}"], key, str(f), *needles)


# ------------------------------------------------------------------------------ inputs that never end
@pytest.fixture
def fifo(work):
    p = work / "pipe.yaml"
    os.mkfifo(p)
    return p


def test_special_files_are_refused_before_they_are_opened(work, capsys, fifo):
    """A FIFO would block forever, /dev/zero never ends: both are refused from their type."""
    for f in (fifo, Path("/dev/zero")):
        refused(work, capsys, ["validate", f], str(f), "not a YAML file", "refusing to read")
        refused(work, capsys, ["run", f, "--out", "results/new", "--quiet"], "refusing to read")
    s = work / "s.yaml"
    s.write_text(f"name: s\nbase: {fifo}\nlevers:\n  - {{key: defense.budget_eur, values: [0, 1]}}\n")
    refused(work, capsys, ["sweep", s, "--out", "results/s"], "refusing to read")
    for key in ("sites_file", "threat.launches.profile_file", "threat.missiles.profile_file"):
        for f in (fifo, "/dev/zero"):
            refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet",
                                   "--set", f"{key}={f}"], key, "refusing to read")


def test_oversized_files(work, capsys):
    big = work / "big.yaml"
    big.write_text("# padding\n" * 200_000)
    refused(work, capsys, ["validate", big], "limited to 1 MB")
    refused(work, capsys, ["sweep", big, "--out", "results/s"], "limited to 1 MB")


@pytest.mark.parametrize("argv,needles", [
    (["run", NL, "--replicates", "100000000"], ["--replicates", "likely a slip"]),
    (["compare", NL, NL, "--replicates", "20000"], ["--replicates", "likely a slip"]),
    (["run", NL, "--set", "period.nights=100000"], ["period.nights", "less than or equal"]),
    (["run", NL, "--set", "threat.launches.max_per_night=10000000"],
     ["threat.launches.max_per_night", "less than or equal"]),
])
def test_absurd_counts(work, capsys, argv, needles):
    if argv[0] == "run":
        argv = [*argv, "--out", "results/new", "--quiet"]
    refused(work, capsys, argv, *needles)


# ------------------------------------------------------------------------------ output paths
def test_names_that_climb_out_of_the_results_folder(work, capsys):
    deep = work / "a" / "b"
    deep.mkdir(parents=True)
    os.chdir(deep)
    for name in ("../../../escaped", "..", "/tmp/abs", ".hidden"):
        f = deep / "climb.yaml"
        f.write_text(f"base: {NL}\nname: {json.dumps(name)}\n")
        refused(work, capsys, ["run", f, "--quiet", *SHORT], "name", "cannot name a results folder")
        f.unlink()
    s = deep / "s.yaml"
    s.write_text(f"name: ../../../escaped\nbase: {NL}\n"
                 "levers:\n  - {key: defense.budget_eur, values: [0, 1]}\n")
    refused(work, capsys, ["sweep", s], "cannot name a results folder")
    s.unlink()


def test_a_folder_that_is_not_a_results_folder_is_never_replaced(work, capsys):
    code = work / "mycode"
    code.mkdir()
    (code / "analysis.py").write_text("print('my work')\n")
    (code / "summary.json").write_text("{}")  # even with a results-like file in it
    refused(work, capsys, ["run", NL, "--out", code, "--overwrite", "--quiet", *SHORT],
            "not replaced", "analysis.py")
    scen = work / "scenarios"
    scen.mkdir()
    (scen / "mine.yaml").write_text("name: mine\n")
    refused(work, capsys, ["run", NL, "--out", scen, "--overwrite", "--quiet", *SHORT],
            "not replaced", "no results of these tools")
    (work / "results" / "old" / "sub").mkdir()
    refused(work, capsys, ["run", NL, "--out", "results/old", "--overwrite", "--quiet", *SHORT],
            "not replaced", "sub/")
    (work / "results" / "old" / "sub").rmdir()
    refused(work, capsys, ["run", NL, "--out", ".", "--overwrite", "--quiet", *SHORT],
            "the folder you work in")
    refused(work, capsys, ["sweep", str(ROOT / "sweeps" / "funding.yaml"), "--out", ".."],
            "the folder you work in")


@pytest.mark.parametrize("argv,needles", [
    (["run", NL, "--quiet", *SHORT, "--out", "results/" + "x" * 300], ["--out", "bytes"]),
    (["sweep", str(ROOT / "sweeps" / "funding.yaml"), "--out", "results/" + "y" * 250],
     ["--out", "shorter name"]),
    (["compare", NL, NL, "--replicates", "2", *SHORT, "--json", "no/such/dir/" + "z" * 300],
     ["--json", "bytes"]),
    (["compare", NL, NL, "--replicates", "2", *SHORT, "--csv", "results"],
     ["--csv", "is a folder"]),
    (["compare", NL, NL, "--replicates", "2", *SHORT, "--json", "results/old/summary.json/x"],
     ["--json", "is a file, not a folder"]),
    (["run", NL, "--quiet", *SHORT, "--out", "results/old/summary.json/new"],
     ["is a file, not a folder"]),
])
def test_output_paths_are_checked_before_the_simulation(work, capsys, monkeypatch, argv, needles):
    """A path that cannot be written fails now, not after the winters have run."""
    import sim.experiments.runs as runs

    def no_simulation(*a, **k):
        raise AssertionError("the simulation started before the output path was checked")

    monkeypatch.setattr(runs, "run_one", no_simulation)
    monkeypatch.setattr(runs, "run", no_simulation)
    refused(work, capsys, argv, *needles)


@pytest.mark.parametrize("argv,needles,work_fn", [
    (["calibrate", "threat", "record.csv", "--out", "results/" + "x" * 300 + ".json"],
     ["--out", "bytes"], ("sim.calibration.threat_fit", "calibrate_threat")),
    (["calibrate", "missiles", "record.csv", "--out", "results/old/summary.json/p.json"],
     ["--out", "is a file, not a folder"], ("sim.calibration.missile_fit", "calibrate_missiles")),
    (["validate-model", "--out", "results/old/summary.json/report"],
     ["--out", "is a file, not a folder"], ("sim.calibration.defense_calibration", "calibrate_defense")),
    (["optimise", NL, "--trials", "1", "--out", "results/" + "w" * 300],
     ["--out", "bytes"], ("sim.experiments.optimise", "optimise")),
])
def test_calibrate_and_optimise_check_out_before_the_work(work, capsys, monkeypatch, argv,
                                                          needles, work_fn):
    """``calibrate``, ``validate-model`` and ``optimise`` check ``--out`` as ``run`` does,
    before they fit or search."""
    import importlib

    if work_fn[1] == "optimise":
        pytest.importorskip("optuna")

    def no_work(*a, **k):
        raise AssertionError("the work started before --out was checked")

    monkeypatch.setattr(importlib.import_module(work_fn[0]), work_fn[1], no_work)
    refused(work, capsys, argv, *needles)


# ------------------------------------------------------------------------------ one writer at a time
def test_a_second_run_into_a_locked_folder_exits_2(work, capsys):
    from sim.config.files import FolderLock

    with FolderLock(work / "results" / "new"):
        err = refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet", *SHORT],
                      "another run is writing this folder", f"pid {os.getpid()}")
        assert "wait for it to finish" in err
    with FolderLock(work / "results" / "sw"):
        refused(work, capsys, ["sweep", str(ROOT / "sweeps" / "funding.yaml"), "--out",
                               "results/sw", "--set", "period.nights=2", "--workers", "1"],
                "another run is writing this folder")
    assert not (work / "results" / ".new.lock").exists()  # released and removed
    code, _, err = call(["run", NL, "--out", "results/new", "--quiet", "--replicates", "1",
                         *SHORT], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (work / "results").iterdir()) == ["new", "old"]


def test_two_runs_into_one_folder_one_wins_the_other_exits_2(work):
    """Two processes started together: one writes the folder, the other exits 2 (the lock
    while the first runs, or the finished folder after it)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "sim", "run", str(NL), "--out", "results/both", "--quiet",
           "--replicates", "2", "--set", "period.nights=20", "--set",
           "period.start_date=2025-12-01"]
    procs = [subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], [r[1][-2000:] for r in results]
    loser = next(r for p, r in zip(procs, results, strict=True) if p.returncode == 2)
    assert "Traceback" not in loser[1]
    assert "another run is writing this folder" in loser[1] or "already holds results" in loser[1]
    summary = json.loads((work / "results" / "both" / "summary.json").read_text())
    assert summary["replicates"] == 2
    assert sorted(p.name for p in (work / "results").iterdir()) == ["both", "old"]


# ------------------------------------------------------------------------------ damaged sweep folders
def _toy_sweep(work: Path) -> Path:
    f = work / "s.yaml"
    f.write_text(f"name: s\nbase: {NL}\nreplicates: 2\nfixed:\n  period.nights: 2\n"
                 "  period.start_date: 2025-12-01\nlevers:\n"
                 "  - {key: defense.budget_eur, values: [0, 2.0e8]}\n")
    return f


def _interrupted_sweep(work: Path, capsys) -> Path:
    """A sweep folder with its runs in parts, as an interrupted sweep leaves it."""
    from sim.experiments.sweep import engine

    f = _toy_sweep(work)
    out = work / "results" / "s"
    real = engine.execute

    def interrupted(*a, **k):  # every run done, then Ctrl-C before the parts are merged
        yield from real(*a, **k)
        raise KeyboardInterrupt

    engine.execute = interrupted
    try:
        code, _, err = call(["sweep", f, "--out", out, "--workers", "1", "--no-progress",
                             "--flush-runs", "1"], capsys)
    finally:
        engine.execute = real
    assert code == 130, err
    assert len(list((out / "parts").glob("*.runs.parquet"))) == 4
    return f


def test_resume_repairs_a_damaged_part_naming_it(work, capsys):
    f = _interrupted_sweep(work, capsys)
    out = work / "results" / "s"
    part = sorted((out / "parts").glob("*.runs.parquet"))[1]
    part.write_bytes(b"PAR1 truncated")
    code, _, err = call(["sweep", f, "--out", out, "--workers", "1", "--no-progress"], capsys)
    assert code == 0, err
    assert f"{part}: damaged" in err and "run again" in err
    import pandas as pd

    runs = pd.read_parquet(out / "runs.parquet")
    assert sorted(runs["run_id"]) == [0, 1, 2, 3]
    # a damaged record of the sweep (spec.json, design.parquet) is rewritten on resume
    (out / "spec.json").write_text("{not json")
    (out / "design.parquet").write_bytes(b"junk")
    code, _, err = call(["sweep", f, "--out", out, "--workers", "1", "--no-progress"], capsys)
    assert code == 0 and "spec.json was damaged" in err and "design.parquet was damaged" in err
    json.loads((out / "spec.json").read_text())


@pytest.mark.parametrize("damage,needles", [
    ("manifest.json", ["manifest.json: damaged manifest"]),
    ("runs.parquet", ["runs.parquet: damaged", "delete it"]),
])
def test_resume_refuses_a_damaged_file_it_cannot_repair(work, capsys, damage, needles):
    f = _toy_sweep(work)
    out = work / "results" / "s"
    assert call(["sweep", f, "--out", out, "--workers", "1", "--no-progress"], capsys)[0] == 0
    (out / damage).write_bytes(b"\x00damaged")
    refused(work, capsys, ["sweep", f, "--out", out, "--workers", "1", "--no-progress"],
            *needles)
    if damage == "runs.parquet":  # compare and plot name it too
        refused(work, capsys, ["compare", out, out], "runs.parquet: damaged")


# ------------------------------------------------------------------------------ dates
@pytest.mark.parametrize("setting,needles", [
    ("period.start_date=9999-12-01", ["period.start_date", "outside the dates the model takes"]),
    ("period.start_date=2099-12-01", ["period", "2100-04-30", "leave the dates"]),
    ("period.start_date=0001-01-01", ["period.start_date", "outside the dates"]),
    ("defense.delivery.first_delivery_date=1900-02-28",
     ["defense.delivery.first_delivery_date", "outside the dates"]),
])
def test_dates_at_the_edge_of_the_calendar(work, capsys, setting, needles):
    refused(work, capsys, ["run", NL, "--out", "results/new", "--quiet", "--set", setting],
            *needles)
    refused(work, capsys, ["compare", NL, NL, "--replicates", "2", "--set", setting], *needles)


def test_dates_at_the_edge_of_the_calendar_in_a_file_and_an_option(work, capsys):
    f = work / "late.yaml"
    f.write_text(f"base: {NL}\nname: late\nperiod: {{start_date: 9999-12-31, nights: 2}}\n")
    refused(work, capsys, ["validate", f], "period.start_date", "outside the dates")
    refused(work, capsys, ["calibrate", "missiles", NL, "--fit-to", "9999-12-31", "--out",
                           "results/p.json"], "--fit-to", "outside the dates")


# ------------------------------------------------------------------------------ compare
def test_compare_of_scenarios_whose_periods_differ(work, capsys):
    short = work / "short.yaml"
    short.write_text(f"base: {NL}\nname: short\nperiod: {{nights: 30}}\n")
    refused(work, capsys, ["compare", NL, short, "--replicates", "2"],
            "151 nights from 2025-11-01", "30 nights from 2025-11-01", "same nights")
    later = work / "later.yaml"
    later.write_text(f"base: {NL}\nname: later\nperiod: {{start_date: 2025-11-15, nights: 137}}\n")
    refused(work, capsys, ["compare", later, NL, "--replicates", "2"], "2025-11-15",
            "period.start_date")


# ------------------------------------------------------------------------------ implausible values
@pytest.mark.parametrize("setting,needles", [
    ("defense.budget_eur=200", ["defense.budget_eur", "under EUR 1M", "200e6"]),
    ("defense.interceptor.speed_kmh=120", ["defense.interceptor.speed_kmh",
                                           "not faster than the drones it chases"]),
])
def test_implausible_values_are_warned_naming_the_key(work, capsys, setting, needles):
    code, out, err = call(["validate", NL, "--set", setting], capsys)
    assert code == 0 and "warning:" in err, err
    for n in needles:
        assert n in err
    code, _, err = call(["run", NL, "--out", "results/new", "--quiet", "--replicates", "1",
                         *SHORT, "--set", setting], capsys)
    assert code == 0 and all(n in err for n in needles), err
