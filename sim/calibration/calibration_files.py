"""Calibration files: JSON with significant digits, written whole (:func:`write_calibration`),
read back and checked (:func:`load_calibration`), and the fitted values written into a scenario
file with its comments and layout kept (:func:`update_scenario_file`).
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError
from sim.config.files import read_json_object

DEFAULT_CALIBRATION_PATH = packaged_path("defense_calibration.json")
SIG_DIGITS = 6


def clean_json(obj: Any, digits: int = SIG_DIGITS) -> Any:
    """JSON-ready copy: numpy scalars to Python, floats to 6 significant digits, NaN to null."""
    if isinstance(obj, dict):
        return {str(k): clean_json(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_json(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return clean_json(obj.tolist(), digits)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        if not math.isfinite(f):
            return None
        return f if f == 0.0 else float(f"{f:.{digits - 1}e}")
    return obj


def write_calibration(calibration: dict[str, Any], path: str | Path) -> None:
    """Write the calibration JSON atomically (rounded, NaN as null, world-readable)."""
    from sim.config.files import atomic_write_json

    atomic_write_json(Path(path), clean_json(calibration))
    os.chmod(path, 0o644)  # a shipped data file is world-readable (mkstemp creates 0600)


REQUIRED_KEYS = ("fit", "evaluation", "months", "summary", "scenario")


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """Read a calibration JSON (default: the shipped ``sim/data/defense_calibration.json``).

    Raises:
        DataFileError: missing file, invalid JSON or missing keys.
    """
    p = Path(path) if path is not None else DEFAULT_CALIBRATION_PATH
    cal = read_json_object(p, what="calibration JSON file", not_found_hint=(
        "; run `python -m sim validate-model --refit --record CSV` to create it"))
    missing = [k for k in REQUIRED_KEYS if k not in cal]
    if missing:
        raise DataFileError(f"{p}: missing key(s) {', '.join(missing)}")
    if not isinstance(cal["months"], list) or not cal["months"]:
        raise DataFileError(f"{p}: 'months' must be a non-empty list")
    return cal


def _round_trip_yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long lines or folded text
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def update_scenario_file(path: str | Path, values: dict[str, float]) -> None:
    """Write fitted values into a scenario YAML file at their key paths.

    The file is read and written with a round-trip YAML library (``ruamel.yaml``): comments,
    key order, quoting and layout are kept; only the values at the given key paths change
    (rounded to 4 significant digits). Every key path must already be in the file (a fitted
    value is never added silently). The file is rewritten atomically, keeps its permissions,
    and is reloaded through the normal scenario loader to check the values.

    Raises:
        SimInputError: a key path not in the file, a file that is not a YAML mapping, or a
            result that does not validate.
    """
    from ruamel.yaml.error import YAMLError

    from sim.config.files import atomic_write_text
    from sim.config.io import get_path, load_scenario

    p = Path(path)
    mode = p.stat().st_mode & 0o777
    y = _round_trip_yaml()
    try:
        doc = y.load(p.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise SimInputError(f"{p}: not a readable YAML file ({exc})") from None
    if not isinstance(doc, dict):
        raise SimInputError(f"{p}: top level must be a mapping")
    for key, v in values.items():
        node = doc
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                raise SimInputError(f"{p}: has no '{key}' to write the fitted value into")
            node = nxt
        if parts[-1] not in node:
            raise SimInputError(f"{p}: has no '{key}' to write the fitted value into")
        node[parts[-1]] = float(f"{float(v):.4g}")
    buf = io.StringIO()
    y.dump(doc, buf)
    atomic_write_text(p, buf.getvalue())
    os.chmod(p, mode)
    sc = load_scenario(p)
    for k, v in values.items():
        got = float(get_path(sc, k))
        if abs(got - v) > 1e-3 * max(1.0, abs(v)):
            raise SimInputError(f"{p}: {k} reads back as {got}, expected {v}")
