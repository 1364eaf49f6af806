"""Policy comparison with common random numbers: paired differences and their intervals
(:func:`sim.experiments.stats.paired_stats`).

Both alternatives are run with the same seed and replicates ``0 .. R-1``, so replicate ``r`` of A
and of B face the same random attacks, and the difference ``B - A`` per replicate removes most of
the noise shared by the two. For each outcome the report gives the means (each over the
replicates that have a value: an outcome A does not have keeps B's mean), the mean paired
difference ``B - A``, its standard deviation, a two-sided ``level`` confidence interval of the
mean difference (a BCa bootstrap of the paired differences, as every interval of the tools:
:func:`sim.experiments.stats.mean_ci`), the p-value of the paired t-test, and ``significant``
(the interval excludes zero). When every paired difference is identical the interval is that
single value (zero for identical inputs: not significant; anything else: significant, with
p-value 0).
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.stats import paired_stats
from sim.experiments.sweep.errors import CompareError
from sim.experiments.tables import WIDTH, text_table

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


def format_table(df: pd.DataFrame, title: str | None = None, width: int = WIDTH) -> str:
    """A readable fixed-width rendering of any table (sensitivity indices, a raw comparison)
    within ``width`` columns: the widest text column wraps if needed."""
    cols = list(df.columns)
    body = [[_fmt(v) if not isinstance(v, str) else v for v in rec] for rec in df.itertuples(index=False)]
    heads = [c.replace("_", " ") for c in cols]
    left = [df[c].dtype == object or pd.api.types.is_string_dtype(df[c]) for c in cols]
    text_cols = [j for j in range(len(cols)) if left[j]] or [0]
    wrap = max(text_cols, key=lambda j: max([len(r[j]) for r in body] + [len(heads[j])]))
    out = [title] if title else []
    out += text_table(heads, body, "".join("l" if x else "r" for x in left), width=width,
                      wrap_col=wrap, min_wrap=12)
    return "\n".join(out)


# -- the comparison as a reader sees it ------------------------------------------------------

def _unit_in_cell(o) -> bool:
    """Whether the formatted value carries its unit (shares, money, ratios, MWh/GWh, MW/GW)."""
    return (o.kind in ("share", "money", "ratio") or (o.kind == "energy" and o.unit == "MWh")
            or (o.kind == "power" and o.unit == "MW"))


def outcome_label(name: str) -> str:
    """An outcome's label from the registry, with its unit when the cells do not show it and
    the label does not say it (``Water-utility outage (utility-hours)``); a name the registry
    does not know (a toy model's outcome) is shown as it is."""
    from sim.model.outcomes import OUTCOMES

    o = OUTCOMES.get(name)
    if o is None:
        return name
    unit = o.unit or ""
    if (not _unit_in_cell(o) and unit and unit not in ("label",)
            and unit.rstrip("s").lower() not in o.label.lower()):
        return f"{o.label} ({unit})"
    return o.label


def _plain(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def format_cell(name: str, v) -> str:
    """A value of outcome ``name`` as the tables show it (registry format, no unit word for
    counts: the label names it); unknown outcomes with four significant digits."""
    from sim.model.outcomes import OUTCOMES

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    o = OUTCOMES.get(name)
    if o is None:
        return _plain(float(v))
    text = o.format(v)
    if not _unit_in_cell(o) and o.unit and text.endswith(f" {o.unit}"):
        text = text[: -len(o.unit) - 1]
    return text


def format_difference(name: str, v) -> str:
    """A difference of outcome ``name`` with its sign: shares in percentage points
    (``+1.2 pp``), money as ``+EUR 1.2M``, counts as ``-1,234``."""
    from sim.model.outcomes import OUTCOMES

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    v = float(v)
    if v == 0:
        return "0"
    sign = "+" if v > 0 else "-"
    o = OUTCOMES.get(name)
    if o is None:
        return sign + _plain(abs(v))
    if o.kind == "share":
        pp = 100 * abs(v)
        return f"{sign}{pp:.1f} pp" if pp >= 0.1 else f"{sign}{pp:.2g} pp"
    return sign + format_cell(name, abs(v))


def format_comparison(df: pd.DataFrame, level: float = 0.95, width: int = WIDTH) -> str:
    """The comparison table a reader sees: outcome label, mean of A, mean of B, the difference
    B - A with its interval, and ``*`` where the interval excludes 0; labels and units from
    the outcome registry, at most ``width`` columns. Sweep folders compared by design point
    get one block per point."""
    pct = f"{100 * level:g}%"
    headers = ["Outcome", "A", "B", f"B - A [{pct} interval]", ""]
    rows: list = []
    blocks = df.groupby("point", sort=True) if "point" in df.columns else [(None, df)]
    for point, block in blocks:
        if point is not None:
            rows.append(f"Design point {point}")
        for r in block.itertuples(index=False):
            name = str(r.outcome)
            ci = ""
            if (r.n > 1 and not (isinstance(r.ci_low, float) and math.isnan(r.ci_low))
                    and not r.ci_low == r.ci_high == r.diff):  # all pairs equal: no interval
                lo, hi = (format_difference(name, x).replace("EUR ", "").removesuffix(" pp")
                          for x in (r.ci_low, r.ci_high))
                ci = f"[{lo}, {hi}]"
            rows.append([outcome_label(name), format_cell(name, r.mean_a),
                         format_cell(name, r.mean_b),
                         f"{format_difference(name, r.diff)} {ci}".rstrip(),
                         "*" if r.significant else ""])
    lines = text_table(headers, rows, "lrrll", width=width, min_wrap=28)
    lines.append("")
    lines += textwrap.wrap(f"* the {pct} interval of B - A excludes 0; no interval: every "
                           "paired difference was the same. pp: percentage points.", width)
    return "\n".join(lines)


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
    spec = {}
    if (p / "spec.json").is_file():
        try:
            spec = json.loads((p / "spec.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CompareError(f"{p / 'spec.json'}: damaged ({exc}); rerun the sweep into this "
                               "folder to repair it") from None
    try:
        return pd.read_parquet(runs), spec
    except Exception as exc:  # noqa: BLE001 - any unreadable table is bad input
        raise CompareError(f"{runs}: damaged ({str(exc).splitlines()[0][:120]}); delete it and "
                           "rerun the sweep to run its runs again") from None
