"""The Air Force record (sim/calibration/record.py, air_force_file.py): report rows to nights,
months and rates.

Most tests use a hand-made record or the shipped tables (``sim/data/air_force_nights.csv``,
``sim/data/air_force_monthly.csv``), so they run on a machine with only the repository. The
test that the shipped tables are what the full record gives needs the raw CSV in
``../shared`` and is skipped, saying so, without it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration import air_force_file as A
from sim.calibration import record as R
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORD_CSV = (REPO_ROOT.parent / "shared" / "data" / "ukraine-air-attacks"
              / "missile_attacks_daily_to_2025-09-30.csv")
SHIPPED_MONTHLY = packaged_path(R.MONTHLY_CSV_NAME)
SHIPPED_NIGHTS = packaged_path(R.NIGHTS_CSV_NAME)
needs_record = pytest.mark.skipif(
    not RECORD_CSV.exists(),
    reason=f"the raw Air Force record is not at {RECORD_CSV} (it is not shipped; the shipped "
           f"tables are checked against it only where it is present)")

HEADER = (
    "time_start,time_end,model,launch_place,target,target_main,launched,destroyed,"
    "not_reach_goal,still_attacking,border_crossing,is_shahed,source\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------------------------
# The shipped tables
# ------------------------------------------------------------------------------------------


def test_shipped_nights_give_the_shipped_months():
    nights = R.load_nights()  # default: the shipped nightly table
    days = pd.to_datetime(nights["night"])
    assert days.is_monotonic_increasing and days.diff().dropna().eq(pd.Timedelta(days=1)).all()
    assert (nights["neutralised"] == nights["destroyed"] + nights["not_reach_goal"]).all()
    big = nights.loc[nights["launched"].idxmax()]
    assert big["launched"] == 810 and str(big["night"]) == "2025-09-06"
    monthly = R.monthly_aggregates(nights)
    shipped = pd.read_csv(SHIPPED_MONTHLY, dtype={"month": str})
    pd.testing.assert_frame_equal(monthly, shipped, check_dtype=False, rtol=1e-5)
    sep = monthly.set_index("month").loc["2025-09"]
    assert sep["nights"] == 30 and sep["max_night"] == 810


@needs_record
def test_shipped_tables_equal_what_the_full_record_gives():
    nights = A.load_air_force_record(RECORD_CSV)
    shipped = R.load_nights(SHIPPED_NIGHTS)
    assert list(shipped.columns) == list(nights.columns)
    pd.testing.assert_frame_equal(shipped, nights, check_dtype=False)
    pd.testing.assert_frame_equal(
        R.monthly_aggregates(nights),
        pd.read_csv(SHIPPED_MONTHLY, dtype={"month": str}), check_dtype=False, rtol=1e-5)
    a = R.observed_monthly(RECORD_CSV)
    b = R.observed_monthly(SHIPPED_MONTHLY)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_observed_monthly_rules_and_errors(tmp_path):
    obs = R.observed_monthly().set_index("month")  # default: the shipped monthly aggregate
    # From Aug 2025 not_reach_goal is folded into destroyed: no EW share, rate still defined.
    assert math.isnan(obs.loc["2025-08", "ew_share"]) and math.isnan(obs.loc["2025-09", "ew_share"])
    assert obs.loc["2025-09", "interception_rate"] == pytest.approx(4863 / 5599)
    assert obs.loc["2024-10", "ew_share"] == pytest.approx(672 / 1928)
    # The three layouts give the same months.
    from_nights = R.observed_monthly(SHIPPED_NIGHTS).set_index("month")
    pd.testing.assert_frame_equal(from_nights, obs, check_dtype=False)
    with pytest.raises(SimInputError, match="not found"):
        R.observed_monthly(tmp_path / "none.csv")
    bad = _write(tmp_path, "bad.csv", "a,b\n1,2\n")
    with pytest.raises(SimInputError, match="not an Air Force record"):
        R.observed_monthly(bad)


def test_record_cut_at_a_month_hides_everything_later():
    rec = R.load_record()
    assert rec.last_month == "2025-09" and rec.sha256 and rec.nights is not None
    cut = rec.until("2025-03")
    assert cut.last_month == "2025-03"
    assert pd.to_datetime(cut.nights["night"]).max() == pd.Timestamp("2025-03-31")
    assert cut.missiles()["month"].max() == "2025-03"
    assert rec.nights is not None and rec.last_month == "2025-09"  # the original is unchanged
    with pytest.raises(DataFileError, match="2025-04"):
        cut.observed(["2025-03", "2025-04"])
    monthly_only = R.load_record(SHIPPED_MONTHLY)
    assert monthly_only.nights is None and monthly_only.missiles().empty
    with pytest.raises(DataFileError, match="nightly record"):
        monthly_only.require_nights("the threat fit")


def test_missile_classes():
    assert A.missile_class("Kalibr") == "cruise"
    assert A.missile_class("X-101/X-555 and Kalibr and Iskander-K") == "cruise"
    assert A.missile_class("X-47 Kinzhal and Iskander-M") == "ballistic"
    assert A.missile_class("X-101/X-555 and Kalibr and Iskander-M/KN-23") is None  # mixed
    assert A.missile_class("Shahed-136/131") is None and A.missile_class(None) is None
    m = R.load_record().missiles().set_index(["missile_class", "month"])
    # Monthly sums of the shipped nights (Air Force record, Sep 2025).
    assert m.loc[("cruise", "2025-09"), "launched"] == 111
    assert m.loc[("ballistic", "2025-09"), "launched"] == 37


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
        # missiles: counted by class, not as drones (and extend the range to the night of 01-13)
        "2025-01-14 01:00,2025-01-14 03:00,Kalibr,,Ukraine,,5,4,,,,,d",
        "2025-01-10 19:00,2025-01-11 09:00,Iskander-M,,Ukraine,,3,1,,,,,d2",
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
    nights = A.load_air_force_record(p)
    got = dict(zip(nights["night"].astype(str), nights["launched"], strict=True))
    assert got == {
        "2025-01-09": 40, "2025-01-10": 120, "2025-01-11": 12, "2025-01-12": 30, "2025-01-13": 0,
    }
    by = nights.set_index(nights["night"].astype(str))
    n10 = by.loc["2025-01-10"]
    assert (n10["destroyed"], n10["not_reach_goal"], n10["neutralised"]) == (70, 35, 105)
    assert (n10["missiles_launched_ballistic"], n10["missiles_destroyed_ballistic"]) == (3, 1)
    assert by.loc["2025-01-13", "missiles_launched_cruise"] == 5
    n09 = by.loc["2025-01-09"]
    assert n09["is_shahed"] == 25 and n09["is_shahed_launched"] == 40
    monthly = R.monthly_aggregates(nights)
    row = monthly.iloc[0]
    assert row["month"] == "2025-01" and row["nights"] == 5 and row["attack_nights"] == 4
    assert row["launched"] == 202 and row["max_night"] == 120
    assert row["mean_per_attack_night"] == pytest.approx(202 / 4)
    # Written and read back as the shipped nightly layout: the same table.
    R.write_nights_csv(nights, tmp_path / "n.csv")
    back = R.load_nights(tmp_path / "n.csv")
    pd.testing.assert_frame_equal(back, nights, check_dtype=False)


def test_parsed_record_is_cached_by_path_and_mtime(tmp_path):
    row = "2025-01-10 19:00,2025-01-11 09:00,Shahed-136/131,,Ukraine,,100,60,30,,,,a\n"
    p = _write(tmp_path, "r.csv", HEADER + row)
    a = A.load_air_force_record(p)
    a.loc[0, "launched"] = -1  # callers get a copy: the cache is not touched
    assert A.load_air_force_record(p)["launched"].iloc[0] == 100
    import os

    p.write_text(HEADER + row.replace(",100,", ",7,"), encoding="utf-8")
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a new modification time
    assert A.load_air_force_record(p)["launched"].iloc[0] == 7


# ------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        A.load_air_force_record(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="not a regular file"):
        A.load_air_force_record(tmp_path)


def test_missing_columns_raises(tmp_path):
    p = _write(tmp_path, "x.csv", "time_start,model,launched\n2025-01-01 20:00,Shahed-136/131,5\n")
    with pytest.raises(DataFileError, match=r"x\.csv: missing column\(s\) time_end, target"):
        A.load_air_force_record(p)


def test_not_a_csv_raises(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\x00binary")
    with pytest.raises(DataFileError, match=r"x\.csv"):
        A.load_air_force_record(p)
    empty = _write(tmp_path, "empty.csv", "")
    with pytest.raises(DataFileError, match=r"empty\.csv: cannot be read as a CSV"):
        A.load_air_force_record(empty)


def test_bad_values_raise(tmp_path):
    bad_count = _write(
        tmp_path, "c.csv",
        HEADER + "2025-01-01 20:00,2025-01-02 08:00,Shahed-136/131,,Ukraine,,many,1,,,,,s\n",
    )
    with pytest.raises(DataFileError, match="c.csv: column 'launched' has a non-numeric"):
        A.load_air_force_record(bad_count)
    bad_time = _write(
        tmp_path, "t.csv",
        HEADER + "yesterday,2025-01-02 08:00,Shahed-136/131,,Ukraine,,5,1,,,,,s\n",
    )
    with pytest.raises(DataFileError, match="t.csv: data row 1: time_start 'yesterday'"):
        A.load_air_force_record(bad_time)
    no_shahed = _write(
        tmp_path, "k.csv", HEADER + "2025-01-01 20:00,2025-01-02 08:00,Kalibr,,Ukraine,,5,1,,,,,s\n"
    )
    with pytest.raises(DataFileError, match="k.csv: no Shahed-type rows"):
        A.load_air_force_record(no_shahed)
    bad_nights = _write(tmp_path, "n.csv", "night,launched,destroyed,not_reach_goal\n"
                                           "2025-01-01,5,x,0\n")
    with pytest.raises(DataFileError, match="n.csv: row 2, column 'destroyed'"):
        R.load_nights(bad_nights)
