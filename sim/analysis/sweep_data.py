"""A finished sweep folder read for analysis (``runs.parquet`` and the sweep spec), and the same
sweep in the EMA Workbench's ``(experiments, outcomes)`` form (:func:`to_ema`,
:func:`export_ema`). Analysis reads result folders only, never the model."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from sim.config.errors import SimInputError

INSTALL_HINT = 'pip install -e ".[ema]"'
ID_COLUMNS = ("run_id", "point", "replicate", "seed", "policy", "scenario")


class DiscoveryError(SimInputError):
    """Input that scenario discovery cannot work on (names the folder, outcome or option)."""


class MissingExtraError(DiscoveryError):
    """The optional ``ema`` extra (EMA Workbench, scikit-learn) is not installed."""


# ------------------------------------------------------------------------------ optional imports
def import_prim():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise MissingExtraError(
            f"PRIM needs the EMA Workbench, which is not installed ({exc}); install the optional "
            f"extra with  {INSTALL_HINT}  (or use --method cart, which needs scikit-learn only)"
        ) from None
    return prim


def import_tree():
    try:
        from sklearn import tree
    except ImportError as exc:
        raise MissingExtraError(
            f"CART needs scikit-learn, which is not installed ({exc}); install the optional extra "
            f"with  {INSTALL_HINT}"
        ) from None
    return tree


def ema_available() -> bool:
    """Whether the EMA Workbench can be imported."""
    try:
        import_prim()
    except MissingExtraError:
        return False
    return True


# ------------------------------------------------------------------------------ the sweep folder


@dataclass
class FactorInfo:
    """What the sweep spec says about one input: its kind, declared range or values."""

    key: str
    role: Literal["lever", "uncertainty"]
    low: float | None = None
    high: float | None = None
    values: tuple | None = None
    log: bool = False


@dataclass
class SweepData:
    """A finished sweep folder read for discovery: runs, spec and its factors."""

    folder: Path
    runs: pd.DataFrame
    spec: dict
    factors: dict[str, FactorInfo]
    design: pd.DataFrame | None = None

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or self.folder.name)

    @property
    def lever_keys(self) -> list[str]:
        return [k for k, f in self.factors.items() if f.role == "lever"]

    @property
    def uncertainty_keys(self) -> list[str]:
        return [k for k, f in self.factors.items() if f.role == "uncertainty"]

    @property
    def outcomes(self) -> list[str]:
        """Numeric outcome columns of the runs table (everything but ids and factors)."""
        skip = set(ID_COLUMNS) | set(self.factors)
        return [
            c for c in self.runs.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self.runs[c])
            and not pd.api.types.is_bool_dtype(self.runs[c])
        ]


def _factor_infos(spec: dict) -> dict[str, FactorInfo]:
    out: dict[str, FactorInfo] = {}
    roles = (("lever", spec.get("levers") or []), ("uncertainty", spec.get("uncertainties") or []))
    for role, entries in roles:
        for f in entries:
            if not isinstance(f, dict) or "key" not in f:
                continue
            vals = f.get("values")
            out[f["key"]] = FactorInfo(
                key=f["key"],
                role=role,  # type: ignore[arg-type]
                low=f.get("low"),
                high=f.get("high"),
                values=tuple(vals) if vals is not None else None,
                log=bool(f.get("log", False)),
            )
    return out


def _read_json(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DiscoveryError(f"{path}: unreadable JSON: {exc}") from None
    return data if isinstance(data, dict) else None


def load_sweep_folder(folder: str | Path) -> SweepData:
    """Read a finished sweep folder: ``runs.parquet``, ``spec.json`` (or the spec in
    ``manifest.json``) and, if there, ``design.parquet``.

    Raises:
        DiscoveryError: no such folder, no ``runs.parquet``, or no uncertainties in the spec.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DiscoveryError(f"{folder}: no such folder (expected a sweep results folder)")
    runs_path = folder / "runs.parquet"
    if not runs_path.is_file():
        hint = ("the sweep has not finished; rerun it to complete it" if (folder / "manifest.json").is_file()
                else "not a sweep results folder; run `python -m sim sweep SWEEP.yaml` first")
        raise DiscoveryError(f"{folder}: no runs.parquet ({hint})")
    try:
        runs = pd.read_parquet(runs_path)
    except Exception as exc:  # noqa: BLE001 - any unreadable Parquet file
        raise DiscoveryError(f"{runs_path}: unreadable: {exc}") from None
    spec: dict | None = None
    for name in ("spec.json", "manifest.json"):
        data = _read_json(folder / name)
        if data is None:
            continue
        cand = data.get("spec", data)
        if isinstance(cand, dict) and ("uncertainties" in cand or "levers" in cand):
            spec = cand
            break
    if spec is None:
        raise DiscoveryError(f"{folder}: no sweep spec (spec.json) naming the levers and uncertainties")
    factors = _factor_infos(spec)
    missing = [k for k in factors if k not in runs.columns]
    if missing:
        raise DiscoveryError(f"{runs_path}: no column for factor(s) {', '.join(missing)}")
    if not any(f.role == "uncertainty" for f in factors.values()):
        raise DiscoveryError(
            f"{folder}: the sweep has no uncertainties (its spec lists none); scenario discovery "
            f"needs a sweep over uncertainties, e.g. sweeps/threat-uncertainty.yaml"
        )
    design = None
    if (folder / "design.parquet").is_file():
        try:
            design = pd.read_parquet(folder / "design.parquet")
        except Exception:  # noqa: BLE001 - optional; the runs table suffices
            design = None
    return SweepData(folder=folder, runs=runs, spec=spec, factors=factors, design=design)


# ------------------------------------------------------------------------------ boxes


def _policy_names(points: pd.DataFrame, lever_keys: list[str]) -> pd.Series:
    if not lever_keys:
        return pd.Series(["base"] * len(points), index=points.index)
    if len(lever_keys) == 1:
        return points[lever_keys[0]].astype(str)
    return points[lever_keys].astype(str).apply(
        lambda r: "; ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in r.items()), axis=1)


def to_ema(data: SweepData | str | Path, mean: bool = False) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A sweep in the EMA Workbench's ``(experiments, outcomes)`` form.

    ``experiments``: one row per design point: the uncertainties, the levers, then ``scenario``
    (the uncertainty sample), ``policy`` (the lever combination, as a name) and ``model``.
    ``outcomes``: for each outcome an array of shape ``(points, replicates)``, as EMA returns
    for a replicated model (even with one replicate), or with ``mean`` of shape ``(points,)``,
    the mean over the replicates. EMA's analyses want one value per experiment: average with
    ``ema_workbench.util.process_replications`` (or pass ``mean=True``).
    """
    data = data if isinstance(data, SweepData) else load_sweep_folder(data)
    runs = data.runs
    keys = data.uncertainty_keys + data.lever_keys
    if "point" not in runs.columns:
        runs = runs.assign(point=np.arange(len(runs)), replicate=0)
    if "replicate" not in runs.columns:
        runs = runs.assign(replicate=runs.groupby("point").cumcount())
    points = runs.groupby("point", sort=True)[keys].first()
    exp = points.reset_index(drop=True).copy()
    for c in exp.columns:
        if pd.api.types.is_bool_dtype(exp[c]) or not pd.api.types.is_numeric_dtype(exp[c]):
            exp[c] = exp[c].astype(str).astype(object)
    design = data.design
    if design is not None and {"point", "scenario"} <= set(design.columns):
        scen = design.set_index("point").reindex(points.index)["scenario"].to_numpy()
        exp["scenario"] = pd.array(scen, dtype="int64") if not np.isnan(scen.astype(float)).any() \
            else np.arange(len(exp))
    else:
        exp["scenario"] = np.arange(len(exp), dtype=np.int64)
    exp["policy"] = _policy_names(points, data.lever_keys).to_numpy().astype(object)
    exp["model"] = str(data.spec.get("name") or data.folder.name)
    exp["scenario"] = exp["scenario"].astype(np.int64)
    reps = sorted(runs["replicate"].unique())
    outcomes = {}
    for o in data.outcomes:
        wide = runs.pivot_table(index="point", columns="replicate", values=o, aggfunc="first",
                                dropna=False).reindex(index=points.index, columns=reps)
        arr = wide.to_numpy(dtype=float)
        if mean:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a point without any value
                arr = np.nanmean(arr, axis=1, keepdims=True)
        outcomes[o] = arr[:, 0] if mean else arr
    return exp, outcomes


def export_ema(folder: str | Path | SweepData, out: str | Path, mean: bool = False) -> list[Path]:
    """Write a sweep in EMA's form (:func:`to_ema`) into folder ``out``.

    With the EMA Workbench installed: ``<name>.tar.gz`` by ``ema_workbench.save_results``
    (read it back with ``ema_workbench.load_results``; outcomes with replicates are saved as
    EMA ``ArrayOutcome``, the others as ``ScalarOutcome``). Without it: ``experiments.csv`` and
    ``outcomes.npz`` (one array per outcome), the same content.
    """
    data = folder if isinstance(folder, SweepData) else load_sweep_folder(folder)
    experiments, outcomes = to_ema(data, mean=mean)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DiscoveryError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    if ema_available():
        import logging

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench import ArrayOutcome, ScalarOutcome, save_results
            from ema_workbench.em_framework.outcomes import register

            for name, arr in outcomes.items():  # EMA's writer looks outcomes up by name
                klass = ScalarOutcome if arr.ndim == 1 else ArrayOutcome
                known = register.outcomes.get(name)
                if known is not None and known is not klass:
                    register.outcomes.pop(name)  # an earlier export of another shape
                klass(name)
            path = out / f"{data.name}.tar.gz"
            logger = logging.getLogger("EMA")
            level = logger.level
            logger.setLevel(logging.WARNING)
            try:
                save_results((experiments, outcomes), str(path))
            finally:
                logger.setLevel(level)
        return [path]
    csv, npz = out / "experiments.csv", out / "outcomes.npz"
    experiments.to_csv(csv, index=False)
    np.savez(npz, **outcomes)
    return [csv, npz]
