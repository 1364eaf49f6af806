"""The validation report (sim/calibration/report.py) and ``python -m sim validate-model``.

* The page is built from the shipped calibration and rolling-origin results with their
  numbers; figures are drawn by the viz layer and named in the page.
* Bad input exits with status 2 and one message, before anything is written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.calibration.defense_fit import DEFAULT_CALIBRATION_PATH, load_calibration
from sim.calibration.record import MONTHLY_CSV_NAME
from sim.calibration.report import report_markdown
from sim.calibration.rolling_origin import DEFAULT_RESULT_PATH, load_result
from sim.cli import main
from sim.config.data import packaged_path

SHIPPED_MONTHLY = packaged_path(MONTHLY_CSV_NAME)


@pytest.fixture(scope="module")
def shipped():
    return load_calibration()


@pytest.fixture(scope="module")
def rolling():
    return load_result(DEFAULT_RESULT_PATH)


def test_validate_model_writes_report_with_shipped_numbers(tmp_path, capsys, shipped, rolling):
    out = tmp_path / "report"
    assert main(["validate-model", "--out", str(out), "--quiet", "--forecast-replicates", "2"]) == 0
    stdout = capsys.readouterr().out
    # The winter forecast, month by month, to check against the record.
    fc_w = pd.read_csv(out / "forecast.csv")
    assert list(fc_w["month"]) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert (fc_w["drones_launched"] > 0).all() and fc_w["neutralised_share"].between(0, 1).all()
    assert (fc_w["missiles_destroyed"] <= fc_w["missiles_launched"]).all()
    assert "## Forecast of winter 2025-26" in (out / "validation.md").read_text()
    for name in ("validation.md", "launches.png", "neutralisation.png", "rolling_origin.png",
                 "months.csv", "oracles.csv", "calibration.json", "rolling_origin.json",
                 "rolling_origin_forecasts.csv", "rolling_origin_summary.csv",
                 "rolling_origin_ablation.csv"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_mode & 0o044 == 0o044, name  # readable by others
    for png in ("launches.png", "neutralisation.png", "rolling_origin.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "validation.md").read_text()
    s = shipped["summary"]
    assert f"{s['in_sample_rate_mae_pp']:.2f} pp" in md
    assert f"{s['out_of_sample_rate_mae_pp']:.2f} pp" in md
    assert f"{s['in_sample_rate_mae_pp']:.2f} pp" in stdout
    for p in shipped["fit"]["parameters"]:
        assert f"**{p['estimate']:.4f}**" in md
    for name in ("launches.png", "neutralisation.png", "rolling_origin.png"):
        assert f"]({name})" in md
    months = pd.read_csv(out / "months.csv")
    assert np.allclose(months["rate_error_pp"], [m["rate_error_pp"] for m in shipped["months"]])
    oracles = pd.read_csv(out / "oracles.csv")
    assert oracles["passed"].all()
    assert json.loads((out / "calibration.json").read_text())["summary"] == json.loads(
        DEFAULT_CALIBRATION_PATH.read_text())["summary"]
    # The rolling-origin section carries the shipped numbers.
    full = rolling.summary[rolling.summary["variant"] == "full"]
    for _, r in full.iterrows():
        unit = "pp" if r["unit"] == "pp" else "%"
        assert f"**{r['mae']:.1f} {unit}**" in md
        assert f"mean abs. error {r['mae']:.2f} {unit}" in stdout
    fc = pd.read_csv(out / "rolling_origin_forecasts.csv", dtype={"origin": str, "month": str})
    assert set(fc["origin"]) == set(rolling.meta["settings"]["origins"])
    # A second run replaces the earlier report in place.
    assert main(["validate-model", "--out", str(out), "--quiet", "--skip-oracles",
                 "--skip-forecast"]) == 0
    assert "Not run" in (out / "validation.md").read_text()
    assert not (out / "oracles.csv").exists()


def test_report_markdown_uses_the_given_figures_only(shipped, rolling):
    md = report_markdown(shipped, None, None, {"launches": "a.png"})
    assert "](a.png)" in md and "neutralisation.png" not in md and "rolling_origin" not in md
    assert "Not available: no rolling-origin result" in md
    md = report_markdown(shipped, None, rolling.to_dict(), {})
    assert "## Rolling origin" in md and "![" not in md
    for name, why in rolling.meta["mechanisms"]["skipped"].items():
        assert f"`{name}` not tested: {why}" in md


# ------------------------------------------------------------------------------------------
# Bad input: exit status 2 with one message
# ------------------------------------------------------------------------------------------


def _code_and_err(args, capsys):
    code = main(args)
    return code, capsys.readouterr().err


def test_refit_with_missing_record_exits_2(tmp_path, capsys):
    cal = tmp_path / "cal.json"
    code, err = _code_and_err(["validate-model", "--refit", "--record",
                               str(tmp_path / "missing.csv"), "--calibration", str(cal),
                               "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and "missing.csv" in err and "not found" in err
    assert not cal.exists() and not (tmp_path / "r").exists()
    code, err = _code_and_err(["validate-model", "--refit", "--out", str(tmp_path / "r")],
                              capsys)
    assert code == 2 and "--record" in err


@pytest.mark.parametrize("case", ["missing", "not_json", "no_keys", "directory"])
def test_bad_calibration_file_exits_2(tmp_path, capsys, case):
    path = tmp_path / "cal.json"
    if case == "not_json":
        path.write_text("{not json")
    elif case == "no_keys":
        path.write_text(json.dumps({"fit": {}}))
    elif case == "directory":
        path.mkdir()
    code, err = _code_and_err(["validate-model", "--calibration", str(path), "--out",
                               str(tmp_path / "r"), "--skip-oracles"], capsys)
    assert code == 2 and str(path) in err
    assert not (tmp_path / "r").exists()


def test_bad_rolling_origin_file_exits_2(tmp_path, capsys):
    for text in (None, "[1]", json.dumps({"forecasts": []})):
        path = tmp_path / "ro.json"
        if text is not None:
            path.write_text(text)
        code, err = _code_and_err(["validate-model", "--rolling-json", str(path), "--out",
                                   str(tmp_path / "r"), "--skip-oracles"], capsys)
        assert code == 2 and str(path) in err, err
        assert not (tmp_path / "r").exists()


def test_out_folder_with_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, err = _code_and_err(["validate-model", "--out", str(out), "--skip-oracles"], capsys)
    assert code == 2 and "--overwrite" in err
    assert (out / "keep.txt").read_text() == "mine"
    not_dir = tmp_path / "file"
    not_dir.write_text("x")
    code, err = _code_and_err(["validate-model", "--out", str(not_dir), "--skip-oracles"],
                              capsys)
    assert code == 2 and "not a folder" in err


@pytest.mark.parametrize("args, needle", [
    (["--record", str(SHIPPED_MONTHLY)], "--refit or --rolling-origin"),
    (["--eval-replicates", "0"], "--eval-replicates"),
    (["--origins", "2025-03"], "--origins is only used"),
    (["--quick"], "--quick is only used"),
    (["--rolling-origin", "--origins", "March"], "not a month"),
    (["--rolling-origin", "--origins", "2025-09"], "nothing left to forecast"),
    (["--rolling-origin", "--origins", "2023-01"], "before the scenario's first month"),
    (["--rolling-origin", "--mechanisms", "magic"], "unknown magic"),
    (["--rolling-origin", "--horizon", "0"], "--horizon: 0 must be >= 1"),
    (["--rolling-origin", "--workers", "-1"], "--workers: -1 is negative"),
    (["--rolling-origin", "--record", str(SHIPPED_MONTHLY), "--workers", "1"], "nightly record"),
    (["--refit", "--quick", "--record", str(SHIPPED_MONTHLY)], "--quick is for checks"),
])
def test_bad_options_exit_2(tmp_path, capsys, args, needle):
    code, err = _code_and_err(["validate-model", "--out", str(tmp_path / "r"), "--quiet",
                               "--skip-oracles", *args], capsys)
    assert code == 2 and needle in err, err
    assert not (tmp_path / "r").exists()


def test_cli_lists_the_mechanisms_of_the_rolling_origin():
    from sim.calibration.rolling_origin import DEFAULT_MECHANISMS
    from sim.cli.calibration import MECHANISM_NAMES

    assert tuple(DEFAULT_MECHANISMS) == MECHANISM_NAMES
