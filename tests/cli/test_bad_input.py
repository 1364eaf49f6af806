"""Bad input of every class: exit status 2, one clear message, no traceback, nothing written or
replaced. Dates (in a file and on the command line), every number on the command line, files a
scenario names, and a run that fails part way."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from sim.cli import build_parser, main
from tests.fixtures.toy import write_toy_sweep
from tests.helpers import ROOT, SCENARIOS

NL = str(SCENARIOS / "nl-200m.yaml")
NL400 = str(SCENARIOS / "nl-400m.yaml")
FUNDING = str(ROOT / "sweeps" / "funding.yaml")
SHORT = ["--set", "period.nights=3", "--set", "period.start_date=2026-01-10"]


def call(argv, capsys) -> tuple[int, str, str]:
    """Run the command line in this process; usage errors (SystemExit) give their status."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_input_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(errors) == 1, err  # one message (argparse adds its usage line above it)
    for n in needles:
        assert n in err, (n, err)


# ------------------------------------------------------------------------------ dates
def test_impossible_date_in_a_file(tmp_path, capsys):
    f = tmp_path / "bad-date.yaml"
    winter = Path(NL).parent / "winter-2025-26.yaml"  # nl-200m starts from it (base:)
    f.write_text(winter.read_text().replace("start_date: 2025-11-01", "start_date: 2025-02-30"))
    assert "2025-02-30" in f.read_text()
    for cmd in (["validate", f], ["run", f, "--out", tmp_path / "o", "--quiet"]):
        code, _, err = call(cmd, capsys)
        assert_input_error(code, err, str(f), "period.start_date", "not a valid date",
                           "2025-02-30")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("cmd", [
    ["run", NL, "--out", "{o}", "--quiet"],
    ["validate", NL],
    ["sweep", FUNDING, "--out", "{o}", "--workers", "1", "--no-progress"],
    ["compare", NL, NL400, "--replicates", "2", "--workers", "1", "--no-progress"],
])
@pytest.mark.parametrize("setting", ["period.start_date=2025-13-01",
                                     "defense.delivery.first_delivery_date=2025-02-29"])
def test_impossible_date_on_the_command_line(cmd, setting, tmp_path, capsys):
    argv = [str(a).replace("{o}", str(tmp_path / "o")) for a in cmd] + ["--set", setting]
    code, _, err = call(argv, capsys)
    key, value = setting.split("=")
    assert_input_error(code, err, key, "not a valid date", value)
    assert not (tmp_path / "o").exists()


def test_impossible_date_in_a_calibration_option(tmp_path, capsys):
    code, _, err = call(["calibrate", "missiles", NL, "--fit-to", "2025-02-30",
                         "--out", tmp_path / "p.json"], capsys)
    assert_input_error(code, err, "--fit-to", "2025-02-30", "day is out of range")
    assert not (tmp_path / "p.json").exists()


# ------------------------------------------------------------------------------ numbers
BAD_NUMBERS = [
    (["run", NL, "--seed", "-1"], "--seed", "negative"),
    (["run", NL, "--seed", "abc"], "--seed", "not a whole number"),
    (["run", NL, "--seed", str(2**64)], "--seed", "too large"),
    (["run", NL, "--replicates", "0"], "--replicates", ">= 1"),
    (["run", NL, "--replicates", "two"], "--replicates", "not a whole number"),
    (["run", NL, "--set", "period.nights=0"], "period.nights", "greater than or equal to 1"),
    (["run", NL, "--set", "period.nights=many"], "period.nights", "many"),
    (["validate", NL, "--set", "period.nights=-2"], "period.nights", "-2"),
    (["compare", NL, NL400, "--seed", "-1"], "--seed", "negative"),
    (["compare", NL, NL400, "--replicates", "1"], "--replicates", ">= 2"),
    (["compare", NL, NL400, "--replicates", "0"], "--replicates", ">= 2"),
    (["compare", NL, NL400, "--workers", "0"], "--workers", ">= 1"),
    (["compare", NL, NL400, "--level", "95"], "--level", "between 0 and 1"),
    (["compare", NL, NL400, "--set", "period.nights=0"], "period.nights", "greater than or equal to 1"),
    (["sweep", FUNDING, "--workers", "0"], "--workers", ">= 1"),
    (["sweep", FUNDING, "--workers", "-3"], "--workers", ">= 1"),
    (["sweep", FUNDING, "--workers", "x"], "--workers", "not a whole number"),
    (["sweep", FUNDING, "--max-runs", "0"], "--max-runs", ">= 1"),
    (["sweep", FUNDING, "--flush-seconds", "nan"], "--flush-seconds", "finite"),
    (["sweep", FUNDING, "--connect-timeout", "-1"], "--connect-timeout", "> 0"),
    (["sweep", FUNDING, "--set", "period.nights=0"], "period.nights", "greater than or equal to 1"),
    (["sensitivity", FUNDING, "--workers", "0"], "--workers", ">= 1"),
    (["sensitivity", FUNDING, "--samples", "-5"], "--samples", ">= 1"),
    (["validate-model", "--workers", "-3"], "--workers", "negative"),
    (["validate-model", "--workers", "x"], "--workers", "not a whole number"),
    (["validate-model", "--fit-replicates", "0"], "--fit-replicates", ">= 1"),
    (["validate-model", "--horizon", "0"], "--horizon", ">= 1"),
    (["plot", "{o}", "--night", "-1"], "--night", "negative"),
    (["plot", "{o}", "--night", "x"], "--night", "not a whole number"),
    (["plot", "{o}", "--dpi", "0"], "--dpi", ">= 1"),
    (["bench", "--repeats", "0"], "--repeats", ">= 1"),
]


@pytest.mark.parametrize("argv,option,reason", BAD_NUMBERS,
                         ids=[" ".join(a[:1] + a[-2:]) for a, _, _ in BAD_NUMBERS])
def test_bad_numbers_on_the_command_line(argv, option, reason, tmp_path, capsys):
    argv = [a.replace("{o}", str(tmp_path)) for a in argv]
    if argv[0] in ("run", "sweep", "sensitivity"):
        argv += ["--out", str(tmp_path / "o")]
    code, _, err = call(argv, capsys)
    assert_input_error(code, err, option, reason)
    assert not (tmp_path / "o").exists()


def _actions(parser: argparse.ArgumentParser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, (*path, name))
        else:
            yield path, action


def test_every_number_option_is_checked():
    """No option of any verb takes a bare int or float (which would accept -3 or nan, or
    give argparse's terse message): each uses a checked type of sim.cli.common (or the verb's
    own checked type)."""
    loose = [(" ".join(p), a.option_strings) for p, a in _actions(build_parser())
             if a.type in (int, float)]
    assert not loose, loose


# ------------------------------------------------------------------------------ referenced files
SITES = (ROOT / "sim" / "data" / "energy_sites.csv").read_text().splitlines()


@pytest.mark.parametrize("key,content,needle", [
    ("sites_file", None, "file not found"),
    ("sites_file", "id,name\nx,y\n", "missing column"),
    ("sites_file", "\n".join(SITES[:1]) + "\n", "no operational site"),  # no sites
    ("sites_file", "\n".join([SITES[0], SITES[1].replace("49.2104", "north")]) + "\n",
     "is not a number"),
    ("energy.grid_nodes_file", None, "file not found"),
    ("energy.grid_lines_file", "id\n1\n", "missing column"),
    ("energy.grid_loads_file", "node,region_id,share_of_region\nnowhere,kyiv_city,1\n",
     "not in"),
    ("energy.regions_file", None, "file not found"),
    ("energy.weather_file", "month,mean_temp_c\n1,-3\n", "missing"),
    ("threat.launches.profile_file", None, "not found"),
    ("threat.launches.profile_file", "{not json", "not a readable threat profile"),
    ("threat.launches.profile_file", '{"a": 1}', "without key"),
])
def test_validate_reads_every_file_the_scenario_names(key, content, needle, tmp_path, capsys):
    f = tmp_path / ("data.json" if "profile" in key else "data.csv")
    if content is not None:
        f.write_text(content)
    for cmd in (["validate", NL], ["run", NL, "--out", tmp_path / "o", "--quiet", *SHORT]):
        code, _, err = call([*cmd, "--set", f"{key}={f}"], capsys)
        assert_input_error(code, err, key, str(f), needle)
    assert not (tmp_path / "o").exists()


def test_validate_reads_the_missile_profile_when_missiles_fly(tmp_path, capsys):
    f = tmp_path / "missiles.json"
    on = ["--set", "threat.missiles.enabled=true", "--set", f"threat.missiles.profile_file={f}"]
    code, _, err = call(["validate", NL, *on], capsys)
    assert_input_error(code, err, "threat.missiles.profile_file", "file not found")
    f.write_text('{"months": {}}')
    code, _, err = call(["validate", NL, *on], capsys)
    assert_input_error(code, err, "threat.missiles.profile_file", "missing key")


def test_a_scenario_that_validates_runs(tmp_path, capsys):
    """Every shipped scenario validates, and then runs (2 nights)."""
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 5
    for f in files:
        code, out, err = call(["validate", f], capsys)
        assert code == 0 and "valid scenario" in out, err
        code, _, err = call(["run", f, "--set", "period.nights=2", "--replicates", "1",
                             "--out", tmp_path / f.stem, "--quiet"], capsys)
        assert code == 0, err
        assert (tmp_path / f.stem / "summary.json").is_file()


# ------------------------------------------------------------------------------ failed runs
def test_failed_run_keeps_the_earlier_results(tmp_path, capsys, monkeypatch):
    """A run that fails part way (here the second replicate) leaves the previous results folder
    exactly as it was, even with --overwrite, and leaves no temporary folder behind."""
    import sim.experiments.runs as runs

    out = tmp_path / "r"
    assert call(["run", NL, "--out", out, "--replicates", "1", *SHORT, "--quiet"], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = runs.run_one

    def failing(scenario, seed=None, replicate=0, on_night=None):
        if replicate == 1:
            raise RuntimeError("the model broke on replicate 1")
        return real(scenario, seed, replicate, on_night)

    monkeypatch.setattr(runs, "run_one", failing)
    with pytest.raises(RuntimeError, match="replicate 1"):
        main(["run", NL, "--out", str(out), "--replicates", "2", *SHORT, "--quiet",
              "--overwrite"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_bad_input_after_the_folder_check_keeps_the_earlier_results(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"old": True}))
    code, _, err = call(["run", NL, "--out", out, "--overwrite", "--quiet",
                         "--set", f"sites_file={tmp_path / 'none.csv'}"], capsys)
    assert_input_error(code, err, "sites_file", "file not found")
    assert json.loads((out / "summary.json").read_text()) == {"old": True}


# ------------------------------------------------------------------------------ misspelt keys
def test_did_you_mean_in_scenario_files_sweep_files_and_set(tmp_path, capsys):
    f = tmp_path / "typo.yaml"
    f.write_text(Path(NL).read_text().replace("  budget_eur: 200000000", "  budgt_eur: 2e8"))
    code, _, err = call(["validate", f], capsys)
    assert_input_error(code, err, "defense.budgt_eur: unknown key", "did you mean 'budget_eur'?")

    sweep = write_toy_sweep(tmp_path / "sw", replicate=3)
    code, _, err = call(["validate", sweep], capsys)
    assert_input_error(code, err, "replicate: unknown key", "did you mean 'replicates'?")
    sweep = write_toy_sweep(tmp_path / "sw2", design={"kind": "latin_hypercube", "sample": 10})
    code, _, err = call(["sweep", sweep, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "design.sample: unknown key" in err and "did you mean 'samples'?" in err

    code, _, err = call(["run", NL, "--set", "defense.interceptor.pkk=0.5",
                         "--out", tmp_path / "o"], capsys)
    assert_input_error(code, err, "unknown key 'pkk'", "did you mean 'pk'?")
    code, _, err = call(["sweep", FUNDING, "--set", "perod.nights=3", "--out", tmp_path / "o"],
                        capsys)
    assert_input_error(code, err, "perod", "did you mean 'period'?")
    assert not (tmp_path / "o").exists()


def test_an_abbreviated_option_is_an_error_not_a_silent_match(capsys):
    """`--out` is not `compare`'s option; argparse would take it for `--outcomes` and print an
    empty table. Options must be spelt out."""
    code, _, err = call(["compare", NL, NL, "--out", "results/x"], capsys)
    assert code == 2 and "unrecognized arguments: --out" in err


def test_a_misspelt_outcome_is_named_with_a_suggestion(capsys):
    code, _, err = call(["compare", NL, NL, "--outcomes", "hits_on_site"], capsys)
    assert code == 2 and "'hits_on_site'" in err and "did you mean 'hits_on_sites'" in err
