"""Command line: outputs, what-ifs and every bad-input case (exit 2, one message, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from tests.helpers import SCENARIOS

NL = str(SCENARIOS / "nl-200m.yaml")
FAST = ["--set", "period.nights=5", "--set", "period.start_date=2026-01-10", "--quiet"]


def run_cli(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_writes_summary_and_nights(tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, err = run_cli(["run", NL, "--out", str(out), "--replicates", "3", *FAST], capsys)
    assert code == 0, err
    s = json.loads((out / "summary.json").read_text())
    for key in ("scenario", "seed", "replicates", "launched", "destroyed", "leaked",
                "interception_rate", "interceptors_launched", "interceptor_kills",
                "hits_by_site", "programme_cost_eur", "cost_exchange_ratio", "outcomes"):
        assert key in s, key
    assert s["replicates"] == 3 and s["scenario"] == "nl-200m"
    ci = s["outcomes"]["launched"]
    assert ci["ci_low"] <= ci["mean"] <= ci["ci_high"] and ci["n"] == 3
    nights = pd.read_parquet(out / "nights.parquet")
    assert len(nights) == 15 and set(nights["replicate"]) == {0, 1, 2}
    # The summary is the mean over replicates of the nightly counts.
    per_rep = nights.groupby("replicate")["launched"].sum()
    assert s["launched"] == pytest.approx(per_rep.mean())
    assert "Drones launched" in stdout
    # Monthly figures add up to the winter's (replicate means).
    months = s["by_month"]
    assert sum(m["launched"] for m in months.values()) == pytest.approx(s["launched"])
    assert sum(m["hits_on_sites"] for m in months.values()) == pytest.approx(s["hits_on_sites"])


def test_set_makes_a_what_if(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", NL, "--out", str(a), *FAST, "--set", "defense.budget_eur=0"]) == 0
    assert main(["run", NL, "--out", str(b), *FAST, "--set", "defense.budget_eur=4e8"]) == 0
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert sa["budget_eur"] == 0 and sb["budget_eur"] == 4e8
    assert sa["launched"] == sb["launched"]  # same raids (common random numbers)
    assert sa["interceptors_launched"] == 0 < sb["interceptors_launched"]


def test_existing_results_folder_is_not_mixed(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "summary.json").write_text("{}")  # an earlier run's folder
    (out / "keep.txt").write_text("old")
    code, _, err = run_cli(["run", NL, "--out", str(out), *FAST], capsys)
    assert code == 2 and "--overwrite" in err
    assert (out / "keep.txt").read_text() == "old"
    assert main(["run", NL, "--out", str(out), *FAST, "--overwrite"]) == 0
    assert not (out / "keep.txt").exists() and (out / "summary.json").exists()


def test_validate_and_schema(capsys):
    for f in sorted(SCENARIOS.glob("*.yaml")):
        assert main(["validate", str(f)]) == 0
    capsys.readouterr()
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "defense" in schema["properties"]


GOOD = Path(NL).read_text()  # starts from base: winter-2025-26.yaml (found when copied)
WINTER = (Path(NL).parent / "winter-2025-26.yaml").read_text()  # a complete file

BAD_FILES = {
    "unknown_key": (GOOD.replace("  budget_eur: 200000000", "  budget_eur: 200000000\n  budgt: 1"),
                    "defense.budgt: unknown key"),
    "wrong_type": (WINTER.replace("nights: 151", "nights: many"), "period.nights"),
    "negative_money": (GOOD.replace("budget_eur: 200000000", "budget_eur: -5"),
                       "defense.budget_eur"),
    "pk_out_of_range": (GOOD.replace("pk: 0.68", "pk: 1.3"), "defense.interceptor.pk"),
    "empty": ("", "empty"),
    "invalid_yaml": ("name: [unclosed\n", "invalid YAML"),
    "python_tag": ("name: !!python/object/apply:os.system ['echo hi']\n", "invalid YAML"),
    "alias_bomb": ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nname: x\n", "aliases"),
    "not_mapping": ("- 1\n- 2\n", "top level must be a mapping"),
    "negative_seed": (WINTER.replace("seed: 20251101", "seed: -1"), "seed"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_scenario_files(case, tmp_path, capsys):
    text, expect = BAD_FILES[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    for cmd in (["validate", str(f)], ["run", str(f), "--out", str(tmp_path / "o"), "--quiet"]):
        code, _, err = run_cli(cmd, capsys)
        assert code == 2, (case, err)
        assert expect in err and str(f) in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_binary_and_missing_files(tmp_path, capsys):
    b = tmp_path / "bin.yaml"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    code, _, err = run_cli(["validate", str(b)], capsys)
    assert code == 2 and "not a text file" in err
    code, _, err = run_cli(["validate", str(tmp_path / "nope.yaml")], capsys)
    assert code == 2 and "file not found" in err


@pytest.mark.parametrize("args,expect", [
    (["--set", "defense.budgt=1"], "unknown key 'budgt'"),
    (["--set", "defense.interceptor.pk=2"], "defense.interceptor.pk"),
    (["--set", "nokey"], "expected key.path=value"),
    (["--seed", "-3"], "negative"),
    (["--replicates", "0"], "must be >= 1"),
])
def test_bad_command_line(args, expect, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        code = main(["run", NL, "--out", str(tmp_path / "o"), "--quiet", *args])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err


def test_module_entry_point_exit_status(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndefense: {interceptor: {pk: 7}}\n")
    p = subprocess.run([sys.executable, "-m", "sim", "validate", str(bad)], capture_output=True,
                       text=True)
    assert p.returncode == 2
    assert "defense.interceptor.pk" in p.stderr and "Traceback" not in p.stderr
