"""Missile calibration (sim/calibration/missile_fit.py, missile_record.py) and the shipped
missile profile.

Most tests use the aggregates shipped with the package (the nightly table
sim/data/air_force_nights.csv, the monthly counts by class in sim/data/missile_profile.json) or
synthetic data. Only the byte-for-byte refit of the shipped profile needs the raw Air Force record
(not shipped; see sim/data/README_threat.md) and is skipped, saying so, without it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.missile_fit import (
    DEFAULT_PROFILE_PATH,
    calibrate_missiles,
    expected_vs_observed,
    fit_missile_profile,
    salvo_weights,
)
from sim.calibration.missile_record import ALL_CLASSES, classify_label, load_missile_record
from sim.calibration.threat_fit import load_threat_profile
from sim.cli import main
from sim.config.errors import DataFileError
from sim.config.schema import Scenario
from sim.model import missile_defense as MD
from sim.model import missile_threat as M

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORD_CSV = (REPO_ROOT.parent / "shared" / "data" / "ukraine-air-attacks"
              / "missile_attacks_daily_to_2025-09-30.csv")
needs_shared = pytest.mark.skipif(
    not RECORD_CSV.is_file(),
    reason=f"needs the raw Air Force record {RECORD_CSV.name} (not shipped; see "
           "sim/data/README_threat.md): the shipped profile is refitted from it byte for byte",
)
WINDOW = ("2024-10-01", "2025-09-30")
HEADER = "time_start,time_end,model,target,launched,destroyed,not_reach_goal\n"


# ------------------------------------------------------------------------------------------
# Labels and loading
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label,cls", [
    ("X-101/X-555", "cruise"), ("Kalibr", "cruise"), ("Iskander-K", "cruise"),
    ("X-101/X-555 and Kalibr and Iskander-M/KN-23", "cruise"),  # majority of the weapons
    ("Iskander-M/KN-23", "ballistic"), ("X-47 Kinzhal", "ballistic"), ("C-300", "ballistic"),
    ("C-300/C-400 and Iskander-M", "ballistic"), ("Ballistic Missile", "ballistic"),
    ("Iskander-M and Iskander-K", "ballistic"),  # tie: the first-named weapon
    ("X-22", "kh22"), ("X-22 and X-32", "kh22"), ("X-22 and X-31P", "kh22"),
    ("X-59/X-69", "kh59"), ("X-59 and X-35", "kh59"), ("X-69", "kh59"),
    ("P-800 Oniks", "other"), ("X-31P", "other"), ("3M22 Zircon", "other"), ("GBU", "other"),
    ("Intercontinental Ballistic Missile", "other"),
    ("Shahed-136/131", None), ("Orlan-10", None), ("Unknown UAV", None), ("Lancet", None),
    ("", None), (float("nan"), None),
])
def test_label_classes(label, cls):
    assert classify_label(label) == cls


def test_catalogue_marks_new_missile_labels_as_other():
    cat = {"Kh-BD": "cruise missile", "Geran-5": "UAV"}
    assert classify_label("Kh-BD", cat) == "other"
    assert classify_label("Geran-5", cat) is None
    assert classify_label("Kh-BD and Kalibr", cat) == "other"  # tie: first-named


def _csv(tmp_path: Path, body: str, name: str = "rec.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_loader_nights_classes_and_national_first(tmp_path):
    p = _csv(tmp_path, (
        "2025-01-14 19:00,2025-01-15 09:00,X-101/X-555,Ukraine,30.0,25.0,\n"
        "2025-01-14 19:00,2025-01-15 09:00,Kalibr,Ukraine,5.0,4.0,1.0\n"
        "2025-01-14 19:00,2025-01-15 09:00,Iskander-M/KN-23,Ukraine,4.0,1.0,\n"
        "2025-01-15 06:00,2025-01-15 07:00,Iskander-M,Kharkiv oblast,2.0,0.0,\n"
        "2025-01-16 10:00,2025-01-16 12:00,Iskander-M,Odesa oblast,1.0,0.0,\n"
        "2025-01-14 19:00,2025-01-15 09:00,Shahed-136/131,Ukraine,70.0,50.0,10.0\n"
        "2025-01-14 19:00,2025-01-15 09:00,X-22 and X-31P,Ukraine,3.0,0.0,\n"
        "2025-01-17 19:00,2025-01-18 09:00,P-800 Oniks,Ukraine,1.0,0.0,\n"
        "2025-01-17 19:00,2025-01-18 09:00,Orlan-10,south,1.0,1.0,\n"
    ))
    n = load_missile_record(p).set_index("night")
    d14, d15, d17 = (pd.Timestamp(x).date() for x in ("2025-01-14", "2025-01-15", "2025-01-17"))
    assert list(n.index) == [pd.Timestamp("2025-01-14").date() + pd.Timedelta(days=i)
                             for i in range(4)]
    assert n.loc[d14, "launched_cruise"] == 35 and n.loc[d14, "destroyed_cruise"] == 29
    assert n.loc[d14, "not_reach_goal_cruise"] == 1
    # The regional Kharkiv row is dropped: that night has a national ballistic row.
    assert n.loc[d14, "launched_ballistic"] == 4
    # The daytime Odesa row (midpoint 11:00) belongs to the night before and is the only
    # ballistic row of that night, so it is used.
    assert n.loc[d15, "launched_ballistic"] == 1
    assert n.loc[d14, "launched_kh22"] == 3 and n.loc[d17, "launched_other"] == 1
    assert n[[f"launched_{c}" for c in ALL_CLASSES]].to_numpy().sum() == 44
    attrs = load_missile_record(p).attrs
    assert attrs["regional_rows_used"] == 1 and attrs["regional_rows_dropped"] == 1
    assert "Shahed-136/131" in attrs["ignored_labels"]


@pytest.mark.parametrize("body,words", [
    ("2025-01-14 19:00,2025-01-15 09:00,Kalibr,Ukraine,x,0,\n", "'launched'"),
    ("14.01.2025,2025-01-15 09:00,Kalibr,Ukraine,3,0,\n", "time_start"),
    ("2025-01-14 19:00,2025-01-15 09:00,Kalibr,Ukraine,-3,0,\n", "negative"),
])
def test_loader_bad_rows(tmp_path, body, words):
    with pytest.raises(DataFileError, match=words) as exc:
        load_missile_record(_csv(tmp_path, body))
    assert "rec.csv" in str(exc.value)


def test_loader_bad_files(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        load_missile_record(tmp_path / "none.csv")
    p = tmp_path / "cols.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(DataFileError, match="missing column"):
        load_missile_record(p)
    assert main(["calibrate", "missiles", str(tmp_path / "none.csv")]) == 2


# ------------------------------------------------------------------------------------------
# Parameter recovery from the model's own sampler
# ------------------------------------------------------------------------------------------

TRUE_P_COMB = [0.06, 0.05, 0.04, 0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.07, 0.08]
TRUE_P_REG = np.array([[0.05, 0.3, 0.01, 0.3]] * 6 + [[0.10, 0.45, 0.0, 0.05]] * 6)
TRUE_COMB = {"p_present": [1.0, 0.9, 0.25, 0.4], "mean": [45.0, 8.0, 5.0, 5.0],
             "disp": [4.0, 3.0, 3.0, 5.0]}
TRUE_REG = {"mean": [3.0, 2.2, 1.5, 2.0], "disp": [1.5, 2.0, 5.0, 3.0]}
TRUE_P_SALVO = 0.6


def _true_profile() -> dict:
    cls = M.CLASSES
    months = {}
    for m in range(12):
        months[str(m + 1)] = {
            "p_combined": TRUE_P_COMB[m], "p_combined_marginal": TRUE_P_COMB[m],
            "p_present_combined": dict(zip(cls, TRUE_COMB["p_present"], strict=True)),
            "combined_mean_present": dict(zip(cls, TRUE_COMB["mean"], strict=True)),
            "p_present_regular": dict(zip(cls, TRUE_P_REG[m], strict=True)),
        }
    return {
        "p_combined_given_salvo": TRUE_P_SALVO,
        "combined": {c: {"dispersion": TRUE_COMB["disp"][j]} for j, c in enumerate(cls)},
        "regular": {c: {"mean_present": TRUE_REG["mean"][j], "dispersion": TRUE_REG["disp"][j]}
                    for j, c in enumerate(cls)},
        "months": months,
    }


def _synthetic_nights(years: int = 12, seed: int = 7):
    dates = pd.date_range("2010-01-01", periods=int(365.25 * years))
    rng = np.random.default_rng(seed)
    salvo = rng.random(len(dates)) < 0.15
    out = M.sample_nightly_missiles(_true_profile(), dates, rng, salvo=salvo)
    df = pd.DataFrame({"night": dates.date})
    for j, c in enumerate(ALL_CLASSES):
        x = out.counts[:, j] if j < 4 else np.zeros(len(dates), np.int64)
        df[f"launched_{c}"] = x
        df[f"destroyed_{c}"] = 0
        df[f"not_reach_goal_{c}"] = 0
    return df, salvo.astype(float), out


def test_parameter_recovery():
    df, w, out = _synthetic_nights()
    # The fit's combined nights (>= 10 missiles) are the sampler's combined nights here.
    agree = ((df[[f"launched_{c}" for c in M.CLASSES]].sum(axis=1) >= 10).to_numpy() == out.combined)
    assert agree.mean() > 0.985
    prof = fit_missile_profile(df, w, fit_from=str(df["night"].iloc[0]),
                               fit_to=str(df["night"].iloc[-1]))
    n = len(df)
    se = math.sqrt(TRUE_P_SALVO * (1 - TRUE_P_SALVO) / (0.15 * n))
    assert prof["p_combined_given_salvo"] == pytest.approx(TRUE_P_SALVO, abs=4 * se + 0.02)
    for m in range(12):
        e = prof["months"][str(m + 1)]
        nm = e["nights"] * 0.85
        assert e["p_combined"] == pytest.approx(TRUE_P_COMB[m], abs=4 * math.sqrt(
            TRUE_P_COMB[m] / nm) + 0.01), m
        for j, c in enumerate(M.CLASSES):
            p = TRUE_P_REG[m, j]
            assert e["p_present_regular"][c] == pytest.approx(p, abs=4 * math.sqrt(
                max(p * (1 - p), 0.002) / e["nights"]) + 0.01), (m, c)
    for j, c in enumerate(M.CLASSES):
        got = prof["combined"][c]
        assert got["p_present"] == pytest.approx(TRUE_COMB["p_present"][j], abs=0.06), c
        assert got["mean_present"] == pytest.approx(TRUE_COMB["mean"][j], rel=0.12), c
        assert got["dispersion"] == pytest.approx(TRUE_COMB["disp"][j], rel=0.6), c
        reg = prof["regular"][c]
        if c != "kh22":  # too few kh22 regular nights to pin its size
            assert reg["mean_present"] == pytest.approx(TRUE_REG["mean"][j], rel=0.1), c
            assert reg["dispersion"] == pytest.approx(TRUE_REG["disp"][j], rel=0.6), c
    # The fitted model reproduces the synthetic record's totals by class.
    exp = M.expected_nightly_missiles(prof, pd.to_datetime(df["night"]),
                                      p_salvo_night=np.full(n, 0.15)).sum(0)
    obs = df[[f"launched_{c}" for c in M.CLASSES]].to_numpy().sum(0)
    assert np.allclose(exp, obs, rtol=0.05), (exp, obs)


def test_fit_uses_only_data_up_to_fit_to():
    df, w, _ = _synthetic_nights(years=3)
    cut = "2011-12-31"
    a = fit_missile_profile(df, w, fit_to=cut)
    later = pd.to_datetime(df["night"]) > pd.Timestamp(cut)
    df2 = df.copy()
    df2.loc[later, "launched_cruise"] = 999
    b = fit_missile_profile(df2, w, fit_to=cut)
    assert a == b and a["fit_from"] == "2011-01-01" and a["fit_to"] == cut
    assert a["recent"]["from"] == "2011-07-01"
    with pytest.raises(DataFileError, match="calendar month"):
        fit_missile_profile(df, w, fit_from="2011-01-01", fit_to="2011-06-30")


# ------------------------------------------------------------------------------------------
# The shipped profile (runs without ../shared)
# ------------------------------------------------------------------------------------------


def _shipped():
    return json.loads(DEFAULT_PROFILE_PATH.read_text(encoding="utf-8"))


def _window_monthly(prof) -> pd.DataFrame:
    mon = pd.DataFrame(prof["monthly"])
    return mon[(mon["month"] >= WINDOW[0][:7]) & (mon["month"] <= WINDOW[1][:7])]


def test_shipped_profile_reproduces_shipped_monthly_aggregates():
    prof = _shipped()
    assert prof["fit_from"] == WINDOW[0] and prof["fit_to"] == WINDOW[1]
    mon = _window_monthly(prof)
    dates = pd.date_range(*WINDOW)
    exp = M.expected_nightly_missiles(prof, dates)  # marginal monthly rates
    for j, c in enumerate(M.CLASSES):
        obs = mon[mon["class"] == c]["launched"].to_numpy(float)
        assert len(obs) == 12
        assert obs.sum() == prof["observed_launched"][c]
        # Mean monthly launches within 15 % over 2024-10 .. 2025-09.
        assert exp[:, j].sum() / 12 == pytest.approx(obs.mean(), rel=0.15), c
        des = mon[mon["class"] == c]["destroyed"].sum()
        assert prof["kill_share"][c] == pytest.approx(des / obs.sum(), abs=1e-5)


def test_default_missile_defense_matches_record_kill_shares():
    prof = _shipped()
    share = MD.expected_kill_share(MD.defense_table(Scenario(name="x").defense.missile_defense))
    for j, c in enumerate(M.CLASSES):
        assert share[j] == pytest.approx(prof["kill_share"][c], abs=0.03), c
    assert share[M.BALLISTIC] < 0.3 < share[M.CRUISE]


# ------------------------------------------------------------------------------------------
# The Air Force record, as the package ships it (nightly table, monthly counts by class)
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped_nights():
    from sim.calibration.record import load_nights

    return load_nights()  # sim/data/air_force_nights.csv


def test_record_matches_published_strike_totals(shipped_nights):
    """Totals of two big combined strikes as announced at the time (each night starts the
    evening before): 17 Nov 2024, "about 120 missiles and 90 drones" (Zelensky, via AeroTime,
    https://aerotime.aero/articles/ukraine-endures-massive-russian-air-attack-energy-
    infrastructure-targeted/amp); 13 Dec 2024, 93 missiles and "nearly 200" drones (Zelensky,
    DW, https://www.dw.com/en/ukraine-updates-russia-attacks-ukrainian-energy-facilities/live-
    71043335), 193 drones by the Air Force (Kyiv Independent, https://kyivindependent.com/eu-
    defense-commissioner-takes-shelter-amid-massive-russian-missile-strikes/). The shipped
    nightly table keeps the cruise and ballistic classes, which make up both totals."""
    n = shipped_nights.assign(night=pd.to_datetime(shipped_nights["night"])).set_index("night")
    for night, total, n_drones in (("2024-11-16", 120, 90), ("2024-12-12", 93, 193)):
        row = n.loc[pd.Timestamp(night)]
        assert row["missiles_launched_cruise"] + row["missiles_launched_ballistic"] == total
        assert row["launched"] == n_drones, night


def _shipped_monthly_as_nights(prof) -> pd.DataFrame:
    """Every night of the fit window, with each month's shipped launches by class
    (``missile_profile.json`` ``monthly``) on its first night: monthly sums as in the record."""
    nights = pd.date_range(WINDOW[0], WINDOW[1], freq="D")
    df = pd.DataFrame({"night": nights})
    for c in M.CLASSES:
        df[f"launched_{c}"] = 0
    first = {str(d)[:7]: i for i, d in reversed(list(enumerate(nights)))}
    for row in prof["monthly"]:
        if row["month"] in first and row["class"] in M.CLASSES:
            df.loc[first[row["month"]], f"launched_{row['class']}"] = row["launched"]
    return df


def test_fit_reproduces_monthly_launches_by_class():
    prof = _shipped()
    win = _shipped_monthly_as_nights(prof)
    assert sum(win[f"launched_{c}"].sum() for c in M.CLASSES) == sum(
        prof["observed_launched"][c] for c in M.CLASSES)
    for tp in (None, load_threat_profile()):
        t = expected_vs_observed(prof, win, tp)
        for c in M.CLASSES:
            s = t[t["class"] == c]
            # Within 15 % on average over the 12 months.
            assert s["expected"].mean() == pytest.approx(s["observed"].mean(), rel=0.15), c
        # Month by month (weighted mean absolute error) for the two big classes.
        for c, tol in (("ballistic", 0.15), ("cruise", 0.35)):
            s = t[t["class"] == c]
            assert (s["expected"] - s["observed"]).abs().sum() / s["observed"].sum() < tol, c


@needs_shared
def test_calibration_reproduces_shipped_profile(tmp_path):
    out = tmp_path / "missile_profile.json"
    prof = calibrate_missiles(RECORD_CSV, out)
    assert out.read_bytes() == DEFAULT_PROFILE_PATH.read_bytes()
    assert prof["observed_launched"]["cruise"] > prof["observed_launched"]["kh22"]


def test_salvo_weights_follow_drone_salvo_nights(shipped_nights):
    drones = shipped_nights
    tp = load_threat_profile()
    w = salvo_weights(drones, tp)
    d = pd.to_datetime(drones["night"])
    win = (d >= WINDOW[0]) & (d <= WINDOW[1])
    total = sum(e["expected_salvo_nights"] for e in tp["months"].values())
    assert w[win.to_numpy()].sum() == pytest.approx(total, rel=0.02)
    big = drones["launched"].to_numpy() >= 500
    assert np.all(w[big & win.to_numpy()] > 0.9)
    assert np.all(w[(drones["launched"].to_numpy() < 100) & win.to_numpy()] < 0.05)
