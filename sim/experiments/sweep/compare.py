"""Policy comparison with common random numbers: paired differences and 95% CIs
(:func:`sim.experiments.stats.paired_stats`).

Both alternatives are run with the same seed and replicates ``0 .. R-1``, so replicate ``r`` of A
and of B face the same random attacks, and the difference ``B - A`` per replicate removes most of
the noise shared by the two. For each outcome the report gives the means, the mean paired
difference ``B - A``, its standard deviation, a two-sided ``level`` confidence interval
``mean +- t(1 - (1 - level)/2, R - 1) * sd / sqrt(R)``, a p-value (paired t-test), and
``significant`` (the interval excludes zero). When every paired difference is identical the
interval is that single value (zero for identical inputs: not significant; anything else:
significant, with p-value 0).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.stats import paired_stats
from sim.experiments.sweep.errors import CompareError

COLUMNS = [
    "outcome",
    "n",
    "mean_a",
    "mean_b",
    "diff",
    "sd_diff",
    "ci_low",
    "ci_high",
    "p_value",
    "significant",
    "rel_diff",
]


def compare_tables(
    a: pd.DataFrame,
    b: pd.DataFrame,
    outcomes: list[str] | None = None,
    on: list[str] | None = None,
    by: list[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Paired comparison of two run tables.

    Args:
        a, b: one row per run, with the pairing columns and the outcome columns.
        outcomes: outcomes to compare (default: the numeric columns the two share, less ids).
        on: pairing columns (default ``["replicate"]``).
        by: report one block of rows per value of these columns (e.g. ``["point"]``).
        level: confidence level.

    Raises:
        CompareError: no pairs, or a named outcome missing on one side.
    """
    on = on or ["replicate"]
    skip = {"run_id", "point", "replicate", "seed", "policy", "scenario", *on, *(by or [])}
    if outcomes is None:
        outcomes = [
            c
            for c in a.columns
            if c in b.columns
            and c not in skip
            and pd.api.types.is_numeric_dtype(a[c])
            and pd.api.types.is_numeric_dtype(b[c])
            and not pd.api.types.is_bool_dtype(a[c])
        ]
    missing = [o for o in outcomes if o not in a.columns or o not in b.columns]
    if missing:
        raise CompareError(f"outcome(s) {missing} missing from one of the two result sets")
    keys = on + [k for k in (by or []) if k not in on]
    merged = a[keys + outcomes].merge(b[keys + outcomes], on=keys, suffixes=("_a", "_b"))
    if merged.empty:
        raise CompareError(f"no runs pair up on {keys}")
    rows = []
    groups = merged.groupby(by, sort=True) if by else [((), merged)]
    for gkey, g in groups:
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        for o in outcomes:
            row = dict(zip(by or [], gkey, strict=True))
            row["outcome"] = o
            row.update(paired_stats(g[f"{o}_a"].to_numpy(), g[f"{o}_b"].to_numpy(), level))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*(by or []), *COLUMNS])


def _fmt(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{x:d}"
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax != 0 and (ax >= 1e6 or ax < 1e-3):
        return f"{x:.4g}"
    if ax >= 100:
        return f"{x:,.1f}"
    return f"{x:.4f}"


def format_table(df: pd.DataFrame, title: str | None = None) -> str:
    """A readable fixed-width rendering of a comparison (or any) table."""
    cols = list(df.columns)
    body = [[_fmt(v) if not isinstance(v, str) else v for v in rec] for rec in df.itertuples(index=False)]
    heads = [c.replace("_", " ") for c in cols]
    widths = [max([len(h)] + [len(r[j]) for r in body]) for j, h in enumerate(heads)]
    left = {j for j, c in enumerate(cols) if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])}

    def line(cells):
        return "  ".join(
            c.ljust(w) if j in left else c.rjust(w)
            for j, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [title] if title else []
    out += [line(heads), line(["-" * w for w in widths])]
    out += [line(r) for r in body]
    return "\n".join(out)


def to_json(df: pd.DataFrame, **meta) -> str:
    """The comparison as JSON: ``meta`` plus ``results`` (one object per row; NaN as null)."""
    recs = json.loads(df.to_json(orient="records"))
    return json.dumps({**meta, "results": recs}, indent=2, default=str)


def read_results_folder(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """``(runs table, spec.json)`` of a finished sweep folder.

    Raises:
        CompareError: not a results folder, or a sweep that has not finished.
    """
    p = Path(path)
    runs = p / "runs.parquet"
    if not (p / "manifest.json").is_file():
        raise CompareError(f"{p}: not a sweep results folder (no manifest.json)")
    if not runs.is_file():
        raise CompareError(f"{p}: the sweep has not finished (no runs.parquet); rerun it to complete it")
    spec = json.loads((p / "spec.json").read_text()) if (p / "spec.json").is_file() else {}
    return pd.read_parquet(runs), spec
