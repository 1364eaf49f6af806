"""Recompute the `weight` column of sim/data/launch_areas.csv from the Air Force record.

Usage: python scripts/derive_launch_areas.py [PATH_TO_CSV]

Each national report of Shahed-type drones names its launch areas joined with " and "; the
drones launched in that report are shared equally among the named areas. Sums over the year
October 2024 - September 2025 are printed; small areas are merged as noted in the CSV.
"""

import collections
import sys

import pandas as pd

path = sys.argv[1] if len(sys.argv) > 1 else (
    "../shared/data/ukraine-air-attacks/missile_attacks_daily_to_2025-09-30.csv"
)
d = pd.read_csv(path)
d = d[d.model.str.contains("Shahed", na=False) & (d.time_start >= "2024-10-01")]
totals = collections.Counter()
for places, launched in zip(d.launch_place.fillna(""), d.launched.fillna(0), strict=True):
    parts = [p.strip() for p in places.split(" and ") if p.strip()]
    for p in parts:
        totals[p] += launched / len(parts)
for name, value in totals.most_common():
    print(f"{round(value):6d}  {name}")
