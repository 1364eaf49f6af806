"""Threat calibration (sim/calibration/threat_fit.py) and the shipped threat profile.

(a) parameter recovery from nights drawn with known parameters; (b) the shipped profile is what
the fit gives, from the shipped nightly table (always) and from the raw record (where
``../shared`` holds it); (c) the fit up to an origin sees nothing after it; (d) bad input; the
sampler's contract and the shipped profile against the winter record.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.record import MONTHLY_CSV_NAME, NIGHTS_CSV_NAME, load_nights
from sim.calibration.threat_fit import (
    DEFAULT_PROFILE_PATH,
    calibrate_threat,
    fit_profile_until,
    fit_threat_profile,
    load_threat_profile,
    round_all,
    write_threat_profile,
)
from sim.config.errors import DataFileError
from sim.model.threat import MONTH_KEYS, level_multiplier, sample_nightly_launches

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORD_CSV = (REPO_ROOT.parent / "shared" / "data" / "ukraine-air-attacks"
              / "missile_attacks_daily_to_2025-09-30.csv")
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


def test_shipped_nights_reproduce_the_shipped_profile():
    """The fit on the shipped nightly table gives the shipped profile (no raw record needed)."""
    shipped = json.loads(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    fitted = round_all(fit_threat_profile(load_nights()))
    for key in ("source_file", "source_sha256"):
        shipped.pop(key)
    _assert_close(fitted, shipped)


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
    for name in (MONTHLY_CSV_NAME, NIGHTS_CSV_NAME):
        assert (out1.parent / name).read_bytes() == (out2.parent / name).read_bytes()
        assert (out1.parent / name).read_bytes() == (DEFAULT_PROFILE_PATH.parent / name
                                                     ).read_bytes(), name

    shipped = json.loads(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))
    _assert_close(json.loads(out1.read_text(encoding="utf-8")), shipped)
    assert profile == json.loads(out1.read_text(encoding="utf-8"))

    new_monthly = pd.read_csv(out1.parent / MONTHLY_CSV_NAME)
    old_monthly = pd.read_csv(SHIPPED_MONTHLY)
    pd.testing.assert_frame_equal(new_monthly, old_monthly, rtol=1e-4)

    # Facts cross-checks (shared/facts.md section A).
    assert shipped["max_night"] == 810 and shipped["max_night_date"] == "2025-09-06"
    assert shipped["reference_date"] == "2025-04-01"


# ------------------------------------------------------------------------------------------
# (c) the fit up to an origin
# ------------------------------------------------------------------------------------------


def test_fit_until_an_origin_sees_nothing_later():
    """Changing every night after the origin leaves the fit unchanged; its window is the
    twelve months up to the origin and its reference date their middle."""
    nights = load_nights()
    a = fit_profile_until(nights, "2025-03")
    later = pd.to_datetime(nights["night"]) > pd.Timestamp("2025-03-31")
    changed = nights.copy()
    changed.loc[later, "launched"] = changed.loc[later, "launched"] * 3 + 1
    b = fit_profile_until(changed, "2025-03")
    assert a == b
    assert (a["fit_from"], a["fit_to"]) == ("2024-04-01", "2025-03-31")
    assert a["reference_date"] == "2024-09-30" and a["trend_to"] == "2025-03"
    assert a["fitted_on_months_up_to"] == "2025-03"


# ------------------------------------------------------------------------------------------
# (d) bad input
# ------------------------------------------------------------------------------------------


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


def test_scenario_can_name_a_fitted_profile_file(tmp_path):
    """``threat.launches.profile_file`` replaces the shipped profile (the rolling origin uses
    it); a missing or broken file is a clear input error."""
    from sim.config.io import with_overrides
    from sim.config.schema import Scenario
    from sim.model.threat import profile_dict

    prof = _true_profile()
    write_threat_profile(prof, tmp_path / "p.json")
    sc = with_overrides(Scenario(name="t"), {"threat.launches.profile_file":
                                             str(tmp_path / "p.json")})
    got = profile_dict(sc.threat.launches)
    assert got["trend_per_year"] == TRUE_TREND and got["months"]["7"]["mean"] == TRUE_MEANS[6]
    assert profile_dict(Scenario(name="t").threat.launches)["reference_date"] == "2025-04-01"
    missing = with_overrides(sc, {"threat.launches.profile_file": str(tmp_path / "no.json")})
    with pytest.raises(DataFileError, match="no.json"):
        profile_dict(missing.threat.launches)
    (tmp_path / "bad.json").write_text("{}")
    bad = with_overrides(sc, {"threat.launches.profile_file": str(tmp_path / "bad.json")})
    with pytest.raises(DataFileError, match="without key"):
        profile_dict(bad.threat.launches)
