"""Golden outputs: record a run's ``summary.json`` and ``nights.parquet`` and check them later.

A refactor must not change what the model computes. Before moving code, record::

    python scripts/golden.py record DIR

and after it, check that every file is unchanged::

    python scripts/golden.py check DIR

It runs the shipped baseline, nl-200m and nl-400m scenarios on two seeds through the command
line (so it works whatever the package layout) and compares every value: summaries key by key
(floats to 1e-12 relative), night tables cell by cell. ``check`` also prints, per file, the
largest relative difference of any number (0 when every value is bit for bit the same), so a
float that moved in its last digits shows even when it is within the tolerance.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SCENARIOS = ("baseline", "nl-200m", "nl-400m")
SEEDS = (1, 2)
REPLICATES = 2
IGNORED = {"sim_version", "scenario_file"}


def produce(root: Path) -> None:
    for name in SCENARIOS:
        for seed in SEEDS:
            out = root / f"{name}-seed{seed}"
            cmd = [sys.executable, "-m", "sim", "run", f"scenarios/{name}.yaml", "--seed", str(seed),
                   "--replicates", str(REPLICATES), "--out", str(out), "--overwrite", "--quiet"]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            print(f"ran {name} seed {seed}", file=sys.stderr)


def _diff(a, b, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k in IGNORED:
                continue
            if k not in a:
                continue  # new outputs are allowed; the golden ones must not change
            if k not in b:
                out.append(f"{path}.{k}: gone")
                continue
            _diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12):
            out.append(f"{path}: golden {a!r}, new {b!r}")
    elif a != b:
        out.append(f"{path}: golden {a!r}, new {b!r}")


def _numbers(a, b, out: list[tuple[float, float]]) -> None:
    """Pairs of numbers at the same place in two JSON values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in set(a) & set(b):
            if k not in IGNORED:
                _numbers(a[k], b[k], out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for x, y in zip(a, b, strict=True):
            _numbers(x, y, out)
    elif (isinstance(a, (int, float)) and isinstance(b, (int, float))
          and not isinstance(a, bool) and not isinstance(b, bool)):
        out.append((float(a), float(b)))


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    """Largest ``|a - b| / max(|a|, |b|)`` over finite pairs (0 where both are 0); a pair that
    is finite on one side only counts as 1."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    both = np.isfinite(a) & np.isfinite(b)
    odd = np.isfinite(a) != np.isfinite(b)
    scale = np.maximum(np.abs(a[both]), np.abs(b[both]))
    rel = np.where(scale > 0, np.abs(a[both] - b[both]) / np.where(scale > 0, scale, 1.0), 0.0)
    return max(float(rel.max()) if rel.size else 0.0, 1.0 if odd.any() else 0.0)


def largest_differences(golden: Path, new: Path) -> list[tuple[str, float]]:
    """The largest relative difference of any number in each file, golden against new."""
    out: list[tuple[str, float]] = []
    for g in sorted(golden.iterdir()):
        if not g.is_dir():
            continue
        n = new / g.name
        pairs: list[tuple[float, float]] = []
        _numbers(json.loads((g / "summary.json").read_text()),
                 json.loads((n / "summary.json").read_text()), pairs)
        arr = np.array(pairs, float).reshape(-1, 2)
        out.append((f"{g.name}/summary.json", _max_rel(arr[:, 0], arr[:, 1])))
        a = pd.read_parquet(g / "nights.parquet")
        b = pd.read_parquet(n / "nights.parquet")
        cols = [c for c in a.columns if c in b.columns and pd.api.types.is_numeric_dtype(a[c])
                and pd.api.types.is_numeric_dtype(b[c])]
        rel = 0.0
        if len(a) == len(b):
            for c in cols:
                rel = max(rel, _max_rel(a[c].to_numpy(float), b[c].to_numpy(float)))
        out.append((f"{g.name}/nights.parquet", rel))
    return out


def compare(golden: Path, new: Path) -> list[str]:
    problems: list[str] = []
    for g in sorted(golden.iterdir()):
        if not g.is_dir():
            continue
        n = new / g.name
        _diff(json.loads((g / "summary.json").read_text()), json.loads((n / "summary.json").read_text()),
              g.name, problems)
        a = pd.read_parquet(g / "nights.parquet")
        b = pd.read_parquet(n / "nights.parquet")
        missing = [c for c in a.columns if c not in b.columns]
        if missing:
            problems.append(f"{g.name}/nights.parquet: columns gone: {missing}")
        try:
            pd.testing.assert_frame_equal(a, b[a.columns.intersection(b.columns)], check_exact=False,
                                          rtol=1e-12, check_dtype=False)
        except AssertionError as exc:
            problems.append(f"{g.name}/nights.parquet: {str(exc).splitlines()[0:3]}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("record", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    if argv[0] == "record":
        produce(root)
        print(f"recorded golden outputs in {root}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        produce(Path(tmp))
        problems = compare(root, Path(tmp))
        largest = largest_differences(root, Path(tmp))
    print("largest relative difference per file:")
    for name, rel in largest:
        print(f"  {name:<36} {rel:.3g}")
    for p in problems:
        print(p)
    print("golden outputs unchanged" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
