"""Tests of the threat calibration (sim/calibrate.py) and the shipped threat profile."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.threat_fit import (
    DEFAULT_PROFILE_PATH,
    MONTHLY_CSV_NAME,
    calibrate_threat,
    fit_threat_profile,
    load_air_force_record,
    load_threat_profile,
    monthly_aggregates,
    write_threat_profile,
)
from sim.config.errors import DataFileError
from sim.model.threat import MONTH_KEYS, level_multiplier, sample_nightly_launches

REPO_ROOT = Path(__file__).resolve().parents[1]
RECORD_CSV = (
    REPO_ROOT.parent / "shared" / "data" / "ukraine-air-attacks"
    / "missile_attacks_daily_to_2025-09-30.csv"
)
SHIPPED_MONTHLY = DEFAULT_PROFILE_PATH.parent / MONTHLY_CSV_NAME

HEADER = (
    "time_start,time_end,model,launch_place,target,target_main,launched,destroyed,"
    "not_reach_goal,still_attacking,border_crossing,is_shahed,source\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------------------------
# (a) parameter recovery
# ------------------------------------------------------------------------------------------

TRUE_MEANS = [110, 130, 120, 100, 80, 70, 60, 60, 70, 90, 100, 110]
TRUE_P_SALVO = [0.05, 0.05, 0.05, 0.1, 0.2, 0.3, 0.3, 0.25, 0.2, 0.1, 0.05, 0.05]
TRUE_P_ATTACK = [0.97, 0.97, 0.97, 0.97, 0.9, 0.9, 0.9, 0.97, 0.97, 0.97, 0.97, 0.97]
TRUE_DISP = [5.0] * 6 + [8.0] * 6
TRUE_SALVO_MEAN, TRUE_SALVO_DISP, TRUE_TREND = 350.0, 10.0, 0.4


def _true_profile() -> dict:
    return {
        "reference_date": "2020-10-01",
        "trend_per_year": TRUE_TREND,
        "months": {
            str(m + 1): {
                "p_attack_night": TRUE_P_ATTACK[m],
                "mean": TRUE_MEANS[m],
                "dispersion": TRUE_DISP[m],
                "p_salvo": TRUE_P_SALVO[m],
                "salvo_mean": TRUE_SALVO_MEAN,
                "salvo_dispersion": TRUE_SALVO_DISP,
            }
            for m in range(12)
        },
    }


def test_parameter_recovery():
    """8 years of nights drawn from known parameters (with a trend) are fitted back.

    Tolerances (about 3 standard errors at ~240 nights per calendar month): trend +-0.03/yr;
    per-month normal mean +-12 %; p_attack_night +-0.06; p_salvo +-0.10; dispersion: median
    relative error <= 25 % and each month within 65 % (the normal-night dispersion is the
    weakest-identified parameter where salvo and normal nights overlap); shared salvo mean
    +-8 %, salvo dispersion +-30 %.
    """
    truth = _true_profile()
    dates = pd.date_range("2016-10-01", "2024-09-30")
    rng = np.random.default_rng(20251001)
    launched = sample_nightly_launches(truth, dates, rng, level_multiplier(truth, dates))
    nights = pd.DataFrame({"night": dates.date, "launched": launched})

    fit = fit_threat_profile(nights, "2016-10-01", "2024-09-30", trend_from="2016-10-01")

    assert fit["reference_date"] == "2020-10-01"  # middle of the fit window
    assert fit["trend_per_year"] == pytest.approx(TRUE_TREND, abs=0.03)
    months = fit["months"]
    disp_err = []
    for m in range(12):
        got = months[str(m + 1)]
        assert got["mean"] == pytest.approx(TRUE_MEANS[m], rel=0.12), m + 1
        assert got["p_attack_night"] == pytest.approx(TRUE_P_ATTACK[m], abs=0.06), m + 1
        assert got["p_salvo"] == pytest.approx(TRUE_P_SALVO[m], abs=0.10), m + 1
        assert got["salvo_mean"] == pytest.approx(TRUE_SALVO_MEAN, rel=0.08)
        assert got["salvo_dispersion"] == pytest.approx(TRUE_SALVO_DISP, rel=0.30)
        disp_err.append(abs(got["dispersion"] / TRUE_DISP[m] - 1.0))
    assert np.median(disp_err) <= 0.25
    assert max(disp_err) <= 0.65


# ------------------------------------------------------------------------------------------
# (b) the calibration reproduces the shipped files
# ------------------------------------------------------------------------------------------


def _assert_close(a, b, path="profile"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for k in a:
            _assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        # 6 significant digits are stored; allow a last-digit change from another BLAS/scipy.
        assert math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6), f"{path}: {a} != {b}"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.mark.skipif(
    not RECORD_CSV.exists(),
    reason=f"Air Force record not available at {RECORD_CSV} (it is not shipped with the package)",
)
def test_calibration_reproduces_shipped_profile(tmp_path):
    out1 = tmp_path / "a" / "threat_profile.json"
    out2 = tmp_path / "b" / "threat_profile.json"
    profile = calibrate_threat(RECORD_CSV, out1)
    calibrate_threat(RECORD_CSV, out2)

    # Deterministic: same CSV, byte-identical outputs.
    assert out1.read_bytes() == out2.read_bytes()
    assert (out1.parent / MONTHLY_CSV_NAME).read_bytes() == (
        out2.parent / MONTHLY_CSV_NAME
    ).read_bytes()

    shipped = json.loads(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    _assert_close(json.loads(out1.read_text(encoding="utf-8")), shipped)
    assert profile == json.loads(out1.read_text(encoding="utf-8"))

    new_monthly = pd.read_csv(out1.parent / MONTHLY_CSV_NAME)
    old_monthly = pd.read_csv(SHIPPED_MONTHLY)
    pd.testing.assert_frame_equal(new_monthly, old_monthly, rtol=1e-4)

    # Facts cross-checks (shared/facts.md section A).
    assert shipped["max_night"] == 810 and shipped["max_night_date"] == "2025-09-06"
    assert shipped["reference_date"] == "2025-04-01"


@pytest.mark.skipif(not RECORD_CSV.exists(), reason=f"Air Force record not at {RECORD_CSV}")
def test_record_nights_and_monthly_aggregates():
    nights = load_air_force_record(RECORD_CSV)
    assert list(nights.columns[:5]) == [
        "night", "launched", "destroyed", "not_reach_goal", "neutralised"
    ]
    days = pd.to_datetime(nights["night"])
    assert days.is_monotonic_increasing and days.diff().dropna().eq(pd.Timedelta(days=1)).all()
    assert (nights["neutralised"] == nights["destroyed"] + nights["not_reach_goal"]).all()
    big = nights.loc[nights["launched"].idxmax()]
    assert big["launched"] == 810 and str(big["night"]) == "2025-09-06"
    monthly = monthly_aggregates(nights)
    assert monthly["launched"].sum() == nights["launched"].sum()
    sep = monthly.set_index("month").loc["2025-09"]
    assert sep["nights"] == 30 and sep["max_night"] == 810


# ------------------------------------------------------------------------------------------
# (c) bad input
# ------------------------------------------------------------------------------------------


def test_missing_file_raises(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        load_air_force_record(tmp_path / "nope.csv")


def test_directory_raises(tmp_path):
    with pytest.raises(DataFileError, match="not a regular file"):
        load_air_force_record(tmp_path)


def test_missing_columns_raises(tmp_path):
    p = _write(tmp_path, "x.csv", "time_start,model,launched\n2025-01-01 20:00,Shahed-136/131,5\n")
    with pytest.raises(DataFileError, match=r"x\.csv: missing column\(s\) time_end, target"):
        load_air_force_record(p)


def test_not_a_csv_raises(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00binary")
    with pytest.raises(DataFileError, match=r"x\.csv"):
        load_air_force_record(p)
    empty = _write(tmp_path, "empty.csv", "")
    with pytest.raises(DataFileError, match=r"empty\.csv: cannot be read as a CSV"):
        load_air_force_record(empty)


def test_bad_values_raise(tmp_path):
    bad_count = _write(
        tmp_path, "c.csv",
        HEADER + "2025-01-01 20:00,2025-01-02 08:00,Shahed-136/131,,Ukraine,,many,1,,,,,s\n",
    )
    with pytest.raises(DataFileError, match="c.csv: column 'launched' has a non-numeric"):
        load_air_force_record(bad_count)
    bad_time = _write(
        tmp_path, "t.csv",
        HEADER + "yesterday,2025-01-02 08:00,Shahed-136/131,,Ukraine,,5,1,,,,,s\n",
    )
    with pytest.raises(DataFileError, match="t.csv: data row 1: time_start 'yesterday'"):
        load_air_force_record(bad_time)
    no_shahed = _write(
        tmp_path, "k.csv", HEADER + "2025-01-01 20:00,2025-01-02 08:00,Kalibr,,Ukraine,,5,1,,,,,s\n"
    )
    with pytest.raises(DataFileError, match="k.csv: no Shahed-type rows"):
        load_air_force_record(no_shahed)


def test_calibrate_threat_names_file_on_short_record(tmp_path):
    p = _write(
        tmp_path, "short.csv",
        HEADER + "2025-01-01 20:00,2025-01-02 08:00,Shahed-136/131,,Ukraine,,5,1,,,,,s\n",
    )
    with pytest.raises(DataFileError, match="short.csv"):
        calibrate_threat(p, tmp_path / "out" / "threat_profile.json")
    assert not (tmp_path / "out" / "threat_profile.json").exists()


def test_load_threat_profile_errors(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        load_threat_profile(tmp_path / "missing.json")
    bad = _write(tmp_path, "bad.json", "{not json")
    with pytest.raises(DataFileError, match="bad.json: not a readable JSON"):
        load_threat_profile(bad)
    prof = _true_profile()
    del prof["months"]["7"]["salvo_mean"]
    p = tmp_path / "p.json"
    write_threat_profile(prof, p)
    with pytest.raises(DataFileError, match=r"months\.7\.salvo_mean"):
        load_threat_profile(p)


# ------------------------------------------------------------------------------------------
# Loader rules on a hand-made record
# ------------------------------------------------------------------------------------------


def test_night_assignment_rules(tmp_path):
    rows = [
        # overnight national window: night of 01-10
        "2025-01-10 19:00,2025-01-11 09:00,Shahed-136/131,,Ukraine,,100,60,30,,,,a",
        # morning-to-afternoon continuation (midpoint 13:00 on 01-11): still night of 01-10
        "2025-01-11 08:00,2025-01-11 18:00,Shahed-136/131,,Ukraine,,20,10,5,,,,b",
        # regional daytime tally on a night with a national report: dropped
        "2025-01-11,2025-01-11,Shahed-136/131,,south,,7,7,,,,,c",
        # non-Shahed rows ignored (but extend the covered range to the night of 01-13)
        "2025-01-14 01:00,2025-01-14 03:00,Kalibr,,Ukraine,,5,5,,,,,d",
        "2025-01-10 19:00,2025-01-11 09:00,Unknown UAV,,south,,9,9,,,,,e",
        # afternoon window (midpoint 16:00 on 01-12): the coming night, 01-12
        "2025-01-12 12:00,2025-01-12 20:00,Shahed-136/131,,Ukraine,,30,20,,,,,f",
        # early-morning report with a bare start date: night of 01-11; regional kept (no
        # national row that night), bundled label kept
        "2025-01-12,2025-01-12 08:00,Shahed-136/131 and Lancet,,Odesa oblast,,12,11,,,,,g",
        # 24 h window 09:00 to 09:00 (midpoint 21:00 on 01-09): night of 01-09
        "2025-01-09 09:00,2025-01-10 09:00,Shahed-136/131,,Ukraine,,40,30,,,,25,h",
    ]
    p = _write(tmp_path, "r.csv", HEADER + "\n".join(rows) + "\n")
    nights = load_air_force_record(p)
    got = dict(zip(nights["night"].astype(str), nights["launched"], strict=True))
    assert got == {
        "2025-01-09": 40, "2025-01-10": 120, "2025-01-11": 12, "2025-01-12": 30, "2025-01-13": 0,
    }
    n10 = nights.set_index(nights["night"].astype(str)).loc["2025-01-10"]
    assert (n10["destroyed"], n10["not_reach_goal"], n10["neutralised"]) == (70, 35, 105)
    n09 = nights.set_index(nights["night"].astype(str)).loc["2025-01-09"]
    assert n09["is_shahed"] == 25 and n09["is_shahed_launched"] == 40
    monthly = monthly_aggregates(nights)
    row = monthly.iloc[0]
    assert row["month"] == "2025-01" and row["nights"] == 5 and row["attack_nights"] == 4
    assert row["launched"] == 202 and row["max_night"] == 120
    assert row["mean_per_attack_night"] == pytest.approx(202 / 4)


# ------------------------------------------------------------------------------------------
# Sampler
# ------------------------------------------------------------------------------------------


def test_sampler_contract():
    prof = _true_profile()
    dates = pd.date_range("2025-10-01", "2026-03-31")
    a = sample_nightly_launches(prof, dates, np.random.default_rng(7))
    b = sample_nightly_launches(prof, list(dates.date), np.random.default_rng(7))
    assert a.dtype == np.int64 and a.shape == (len(dates),)
    np.testing.assert_array_equal(a, b)
    assert (a >= 0).all()
    assert (sample_nightly_launches(prof, dates, np.random.default_rng(1), 0.0) == 0).all()
    capped = sample_nightly_launches(prof, dates, np.random.default_rng(1), 5.0, max_per_night=50)
    assert capped.max() <= 50
    tiny = sample_nightly_launches(prof, dates, np.random.default_rng(1), 1e-9)
    assert set(np.unique(tiny)) <= {0, 1}  # attack nights have at least one drone
    with pytest.raises(ValueError):
        sample_nightly_launches(prof, dates, np.random.default_rng(1), -1.0)
    with pytest.raises(TypeError):
        sample_nightly_launches(prof, dates, 42)
    assert sample_nightly_launches(prof, [], np.random.default_rng(1)).shape == (0,)


def test_sampler_moments():
    """Mean of the clipped NB mixture matches the model's expectation."""
    prof = _true_profile()
    dates = pd.DatetimeIndex(["2025-07-15"] * 200_000)
    y = sample_nightly_launches(prof, dates, np.random.default_rng(3), 2.0)
    m = prof["months"]["7"]
    expected = m["p_attack_night"] * 2.0 * (
        (1 - m["p_salvo"]) * m["mean"] + m["p_salvo"] * m["salvo_mean"]
    )
    assert y.mean() == pytest.approx(expected, rel=0.01)
    assert (y == 0).mean() == pytest.approx(1 - m["p_attack_night"], abs=0.005)


# ------------------------------------------------------------------------------------------
# (d) the shipped profile reproduces the record
# ------------------------------------------------------------------------------------------


def test_shipped_profile_reproduces_winter_record():
    """Oct 2024 - Mar 2025: mean simulated monthly totals within 15 % of the record.

    Uses the shipped profile and the shipped monthly aggregates (no CSV needed); nights are
    simulated with the profile's own trend multiplier, 2,000 draws, seeded generator.
    """
    profile = load_threat_profile()
    for m in range(1, 13):
        assert set(MONTH_KEYS) <= set(profile["months"][str(m)])
    monthly = pd.read_csv(SHIPPED_MONTHLY).set_index("month")
    months = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    rng = np.random.default_rng(12345)
    n_draws = 2000
    errors = []
    for month in months:
        start = pd.Timestamp(month + "-01")
        dates = pd.date_range(start, start + pd.offsets.MonthEnd(0))
        assert len(dates) == monthly.loc[month, "nights"]
        tiled = dates.repeat(n_draws)
        y = sample_nightly_launches(profile, tiled, rng, level_multiplier(profile, tiled))
        sim_mean_total = y.sum() / n_draws
        observed = monthly.loc[month, "launched"]
        err = sim_mean_total / observed - 1.0
        assert abs(err) < 0.15, (month, sim_mean_total, observed)
        errors.append(abs(err))
    assert np.mean(errors) < 0.15
