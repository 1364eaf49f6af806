"""Scenario discovery: under which conditions does a policy fail?

Given a finished sweep folder (``runs.parquet`` and the sweep spec in ``spec.json``), an outcome
and a failure criterion (the outcome below or above a value), find the regions of the
uncertainty space where the failures concentrate, described as boxes: a range (or a set of
values) on a few inputs, everything else free. Two methods:

* **PRIM**, the Patient Rule Induction Method (Friedman & Fisher 1999), from the EMA Workbench's
  analysis module (Kwakkel 2017): peel the box a little (``peel_alpha``) at a time along the
  input that raises the share of failures inside most, which traces a *peeling trajectory* of
  ever smaller, purer boxes; then pick one box on it. *Covering*: the failures in the chosen
  box are set aside and PRIM looks for the next box among the rest.
* **CART** (Breiman et al. 1984), a classification tree from scikit-learn: every leaf is a box;
  the leaves where most points fail are reported.

Every box carries

* ``coverage``: the share of all failures that lie inside the box (how much of the problem the
  box explains),
* ``density``: the share of points inside the box that fail (how pure it is),
* ``mass``: the share of all points inside the box (how much of the space it claims).

**Choosing a PRIM box on its trajectory** (:func:`choose_step`, documented in docs/sweeps.md):
among the boxes that keep at least ``min_coverage`` (default 0.5) of the failures still to
explain, the one with the best F1 score (the harmonic mean of coverage and density: the box
that, read as "inside fails, outside holds", misclassifies the fewest points), or with
``select="density"`` the densest one. With covering, each later box is chosen the same way
among the failures outside the earlier boxes, and is kept only if its density reaches
``threshold``; the first box is always reported, flagged when it misses the threshold. (EMA
computes the coverage of every box against all failures and its density among the points not
in earlier boxes; the table prints those.)

**What is a point**: by default a design point, with the outcome averaged over its replicates
(``per="point"``), so replicate noise does not blur the boxes; ``per="run"`` uses every run.

The EMA Workbench and scikit-learn are an optional extra (``pip install -e ".[ema]"``); without
them :func:`discover` raises :class:`MissingExtraError` (a :class:`SimInputError`, exit 2 on the
command line) with that instruction. :func:`export_ema` writes a sweep in the EMA Workbench's
``(experiments, outcomes)`` form, with EMA's own ``save_results`` when it is installed.
"""

from __future__ import annotations

import json
import math
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.config.errors import SimInputError

INSTALL_HINT = 'pip install -e ".[ema]"'
ID_COLUMNS = ("run_id", "point", "replicate", "seed", "policy", "scenario")
METHODS = ("prim", "cart", "both")
OBJECTIVES = ("lenient1", "lenient2", "original")
SELECT_RULES = ("f1", "density")


class DiscoveryError(SimInputError):
    """Input that scenario discovery cannot work on (names the folder, outcome or option)."""


class MissingExtraError(DiscoveryError):
    """The optional ``ema`` extra (EMA Workbench, scikit-learn) is not installed."""


# ------------------------------------------------------------------------------ optional imports
def _import_prim():
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


def _import_tree():
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
        _import_prim()
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
@dataclass
class Restriction:
    """One restricted input of a box: a range ``[low, high]`` or a set of allowed values.

    ``low``/``high`` are the box's limits where it restricts that side, else the full range's
    bound (``low_restricted``/``high_restricted`` say which sides are restricted).
    """

    name: str
    kind: Literal["range", "set"]
    low: float | None = None
    high: float | None = None
    full_low: float | None = None
    full_high: float | None = None
    low_restricted: bool = False
    high_restricted: bool = False
    values: tuple = ()
    full_values: tuple = ()
    log: bool = False

    def describe(self) -> str:
        """``name: [lo, hi] (full range [a, b])`` or ``name: {a, b} (of {a, b, c})``."""
        if self.kind == "set":
            return (f"{self.name}: {_fmt_set(self.values)} (of {_fmt_set(self.full_values)})")
        return (f"{self.name}: [{_fmt(self.low)}, {_fmt(self.high)}] "
                f"(full range [{_fmt(self.full_low)}, {_fmt(self.full_high)}])")

    def condition(self) -> str:
        """The restriction in words: ``above a``, ``below b``, ``between a and b`` or
        ``one of {...}``."""
        if self.kind == "set":
            return f"one of {_fmt_set(self.values)}"
        if self.low_restricted and self.high_restricted:
            return f"between {_fmt(self.low)} and {_fmt(self.high)}"
        if self.low_restricted:
            return f"above {_fmt(self.low)}"
        return f"below {_fmt(self.high)}"

    def normalised(self) -> tuple[float, float]:
        """The range as a fraction of the full range (log scale for log factors)."""
        if self.kind != "range":
            raise ValueError("a set has no normalised range")
        lo, hi, a, b = (float(v) for v in (self.low, self.high, self.full_low, self.full_high))
        if self.log and min(lo, hi, a, b) > 0:
            lo, hi, a, b = (math.log(v) for v in (lo, hi, a, b))
        span = (b - a) or 1.0
        return (min(max((lo - a) / span, 0.0), 1.0), min(max((hi - a) / span, 0.0), 1.0))

    def to_dict(self) -> dict:
        d = {"name": self.name, "kind": self.kind}
        if self.kind == "range":
            d.update(low=self.low, high=self.high, full_low=self.full_low, full_high=self.full_high,
                     low_restricted=self.low_restricted, high_restricted=self.high_restricted,
                     log=self.log)
        else:
            d.update(values=[_native(v) for v in self.values],
                     full_values=[_native(v) for v in self.full_values])
        return d


@dataclass
class Box:
    """A region of the input space with its statistics."""

    method: Literal["prim", "cart"]
    index: int  # 1-based, per method
    coverage: float
    density: float
    mass: float
    n: int  # points in the box
    n_fail: int  # failing points in the box
    restrictions: list[Restriction]
    meets_threshold: bool = True
    step: int | None = None  # PRIM: the chosen step on the peeling trajectory
    p_values: dict[str, float] = field(default_factory=dict)  # PRIM quasi-p per restricted input

    @property
    def label(self) -> str:
        return f"{self.method.upper()} box {self.index}"

    @property
    def restricted(self) -> list[str]:
        return [r.name for r in self.restrictions]

    def restriction(self, name: str) -> Restriction | None:
        return next((r for r in self.restrictions if r.name == name), None)

    def to_dict(self) -> dict:
        return {
            "method": self.method, "index": self.index, "coverage": self.coverage,
            "density": self.density, "mass": self.mass, "n": self.n, "n_fail": self.n_fail,
            "meets_threshold": self.meets_threshold, "step": self.step,
            "p_values": self.p_values,
            "restrictions": [r.to_dict() for r in self.restrictions],
        }


@dataclass
class DiscoveryResult:
    """Boxes found by PRIM and CART for one outcome and failure criterion."""

    outcome: str
    direction: Literal["below", "above"]
    value: float
    per: Literal["point", "run"]
    x: pd.DataFrame
    y: np.ndarray
    full: dict[str, Restriction]  # every input with its full range (unrestricted)
    prim_boxes: list[Box] = field(default_factory=list)
    trajectories: list[pd.DataFrame] = field(default_factory=list)  # one per PRIM box
    cart_boxes: list[Box] = field(default_factory=list)
    tree: Any = None  # the fitted sklearn DecisionTreeClassifier
    tree_features: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sweep: str = ""

    @property
    def boxes(self) -> list[Box]:
        return [*self.prim_boxes, *self.cart_boxes]

    @property
    def n(self) -> int:
        return int(len(self.y))

    @property
    def n_fail(self) -> int:
        return int(np.sum(self.y))

    @property
    def criterion(self) -> str:
        return f"{self.outcome} {'<' if self.direction == 'below' else '>'} {_fmt(self.value)}"

    def table(self, width: int = 100) -> str:
        """The boxes as text, at most ``width`` columns wide."""
        return format_result(self, width)

    def to_frame(self) -> pd.DataFrame:
        """One row per (box, restricted input); a box without restrictions has one row."""
        rows = []
        for b in self.boxes:
            head = {"method": b.method, "box": b.index, "coverage": b.coverage, "density": b.density,
                    "mass": b.mass, "n": b.n, "n_fail": b.n_fail, "meets_threshold": b.meets_threshold}
            if not b.restrictions:
                rows.append({**head, "input": None})
            for r in b.restrictions:
                rows.append({**head, "input": r.name, "kind": r.kind,
                             "low": r.low if r.kind == "range" else None,
                             "high": r.high if r.kind == "range" else None,
                             "full_low": r.full_low, "full_high": r.full_high,
                             "values": "|".join(map(str, r.values)) if r.kind == "set" else None,
                             "p_value": b.p_values.get(r.name)})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "sweep": self.sweep, "outcome": self.outcome, "direction": self.direction,
            "value": self.value, "criterion": self.criterion, "per": self.per, "n": self.n,
            "n_fail": self.n_fail, "inputs": list(self.x.columns), "options": self.options,
            "notes": self.notes, "boxes": [b.to_dict() for b in self.boxes],
        }


# ------------------------------------------------------------------------------ data preparation
def _full_ranges(x: pd.DataFrame, factors: dict[str, FactorInfo]) -> dict[str, Restriction]:
    out = {}
    for c in x.columns:
        info = factors.get(c)
        if pd.api.types.is_numeric_dtype(x[c]):
            lo, hi = float(x[c].min()), float(x[c].max())
            if info is not None and info.low is not None and info.high is not None:
                lo, hi = min(lo, float(info.low)), max(hi, float(info.high))
            elif info is not None and info.values:
                nums = [v for v in info.values if isinstance(v, (int, float)) and not isinstance(v, bool)]
                if nums:
                    lo, hi = min(lo, *nums), max(hi, *nums)
            out[c] = Restriction(c, "range", lo, hi, lo, hi, log=bool(info and info.log))
        else:
            seen = list(pd.unique(x[c]))
            declared = [str(v) for v in info.values] if info is not None and info.values else []
            vals = tuple(dict.fromkeys([*(v for v in declared if v in set(seen)), *seen]))
            out[c] = Restriction(c, "set", values=vals, full_values=vals)
    return out


def prepare(
    data: SweepData,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    per: Literal["point", "run"] = "point",
    levers: bool = True,
    where: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, np.ndarray, float, list[str]]:
    """The inputs ``X`` and the failure flags ``y`` of a sweep.

    Returns:
        ``(X, y, threshold, notes)``: one row per design point (outcome averaged over its
        replicates) or per run; ``X`` holds the uncertainties (and levers, unless ``levers`` is
        false) that vary; ``y`` is true where the outcome is below ``below`` (above ``above``).

    Raises:
        DiscoveryError: unknown outcome, not exactly one of ``below``/``above``, no rows left
            after ``where``, or no failures / only failures.
    """
    if (below is None) == (above is None):
        raise DiscoveryError("give exactly one failure criterion: --below X or --above X")
    value = float(below if below is not None else above)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise DiscoveryError(f"the failure threshold must be a finite number, got {value}")
    if per not in ("point", "run"):
        raise DiscoveryError(f"--per must be point or run, got {per!r}")
    available = data.outcomes
    if outcome not in available:
        raise DiscoveryError(
            f"{data.folder}: no outcome {outcome!r} in runs.parquet; available outcomes: "
            f"{', '.join(available) or '(none)'}"
        )
    runs = data.runs
    notes: list[str] = []
    for key, want in (where or {}).items():
        if key not in data.factors:
            raise DiscoveryError(f"--where {key}: not a lever or uncertainty of this sweep "
                                 f"(choose from {', '.join(data.factors)})")
        col = runs[key]
        if pd.api.types.is_numeric_dtype(col):
            try:
                mask = np.isclose(col.to_numpy(dtype=float), float(want))
            except (TypeError, ValueError):
                raise DiscoveryError(f"--where {key}={want}: expected a number") from None
        else:
            mask = col.astype(str).to_numpy() == str(want)
        if not mask.any():
            levels = ", ".join(map(str, pd.unique(col)[:10]))
            raise DiscoveryError(f"--where {key}={want}: no runs have that value (values: {levels})")
        runs = runs[mask]
        notes.append(f"only runs with {key} = {want}")
    keys = data.uncertainty_keys + (data.lever_keys if levers else [])
    keys = [k for k in keys if k not in (where or {})]
    finite = np.isfinite(runs[outcome].to_numpy(dtype=float))
    if not finite.any():
        raise DiscoveryError(f"{data.folder}: outcome {outcome!r} has no value in any run "
                             f"(all missing); choose another outcome")
    if not finite.all():
        notes.append(f"{int((~finite).sum())} run(s) without a value of {outcome} left out")
        runs = runs[finite]
    if per == "point":
        group = "point" if "point" in runs.columns else keys
        grouped = runs.groupby(group, sort=True)
        x = grouped[keys].first().reset_index(drop=True)
        yv = grouped[outcome].mean().to_numpy(dtype=float)
    else:
        x = runs[keys].reset_index(drop=True)
        yv = runs[outcome].to_numpy(dtype=float)
    x = x.copy()
    for c in list(x.columns):
        if pd.api.types.is_bool_dtype(x[c]) or not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = x[c].astype(str).astype(object)
        elif pd.api.types.is_integer_dtype(x[c]):
            x[c] = x[c].astype(np.int64)
        else:
            x[c] = x[c].astype(np.float64)
        if x[c].nunique(dropna=False) < 2:
            x = x.drop(columns=c)
            notes.append(f"{c} does not vary; left out")
    if x.shape[1] == 0:
        raise DiscoveryError("no input varies across the runs; nothing to discover")
    y = yv < value if below is not None else yv > value
    what = "design points" if per == "point" else "runs"
    crit = f"{outcome} {'<' if below is not None else '>'} {_fmt(value)}"
    if not y.any():
        raise DiscoveryError(
            f"none of the {len(y)} {what} fails ({crit} never holds; {outcome} ranges "
            f"{_fmt(np.nanmin(yv))} to {_fmt(np.nanmax(yv))}): nothing to discover; choose "
            f"another threshold"
        )
    if y.all():
        raise DiscoveryError(
            f"all {len(y)} {what} fail ({crit} always holds; {outcome} ranges "
            f"{_fmt(np.nanmin(yv))} to {_fmt(np.nanmax(yv))}): nothing to discover; choose "
            f"another threshold"
        )
    return x, y.astype(bool), value, notes


# ------------------------------------------------------------------------------ PRIM
def _restrictions_from_lims(lims: pd.DataFrame, init: pd.DataFrame, full: dict[str, Restriction],
                            ) -> list[Restriction]:
    out = []
    for c in lims.columns:
        f = full[c]
        lo, hi = lims[c].iloc[0], lims[c].iloc[1]
        lo0, hi0 = init[c].iloc[0], init[c].iloc[1]
        if f.kind == "set":
            allowed = set(lo) if isinstance(lo, (set, frozenset)) else {lo}
            if allowed == (set(lo0) if isinstance(lo0, (set, frozenset)) else {lo0}):
                continue
            vals = tuple(v for v in f.full_values if v in allowed)
            out.append(Restriction(c, "set", values=vals, full_values=f.full_values))
            continue
        lo_r, hi_r = bool(lo != lo0), bool(hi != hi0)
        if not (lo_r or hi_r):
            continue
        out.append(Restriction(
            c, "range",
            low=float(lo) if lo_r else f.full_low, high=float(hi) if hi_r else f.full_high,
            full_low=f.full_low, full_high=f.full_high, low_restricted=lo_r, high_restricted=hi_r,
            log=f.log,
        ))
    return out


def choose_step(trajectory: pd.DataFrame, min_coverage: float = 0.5, rule: str = "f1") -> int:
    """The step to pick on a PRIM peeling trajectory.

    Only steps whose coverage, relative to the trajectory's first box (the failures still to
    explain), is at least ``min_coverage`` are candidates. Among them, ``rule``:

    * ``f1`` (default): the highest F1 score, the harmonic mean of coverage and density
      (``2 k / (n + K)`` for ``k`` failures among the ``n`` points in the box and ``K`` failures
      in all): the box that, read as "inside fails, outside holds", misclassifies the fewest
      points; it stops peeling where density gained no longer pays for coverage lost;
    * ``density``: the highest density.

    Ties go to the higher density, then the higher coverage, then fewer restricted inputs.
    """
    if rule not in SELECT_RULES:
        raise DiscoveryError(f"--select must be one of {', '.join(SELECT_RULES)}, got {rule!r}")
    t = trajectory.reset_index(drop=True)
    k = t["k"].to_numpy(dtype=float) if "k" in t else t["coverage"].to_numpy(dtype=float)
    rel = k / max(k[0], 1e-12)
    ok = np.flatnonzero(rel >= min_coverage - 1e-12)
    if len(ok) == 0:
        ok = np.array([0])
    dens = t["density"].to_numpy(dtype=float)[ok]
    cov = rel[ok]
    res = t["res_dim"].to_numpy(dtype=float)[ok]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(cov + dens > 0, 2 * cov * dens / (cov + dens), 0.0)
    score = f1 if rule == "f1" else dens
    order = np.lexsort((res, -np.round(cov, 12), -np.round(dens, 12), -np.round(score, 12)))
    return int(ok[order[0]])


def run_prim(
    x: pd.DataFrame,
    y: np.ndarray,
    full: dict[str, Restriction],
    *,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
    min_coverage: float = 0.5,
    max_boxes: int = 3,
    objective: str = "lenient1",
    select: str = "f1",
) -> tuple[list[Box], list[pd.DataFrame]]:
    """PRIM boxes (EMA Workbench) with covering; see the module docstring for the rules.

    ``objective``: EMA's peeling objective: ``lenient1`` (EMA's default: gain in density per
    point removed), ``lenient2`` (Friedman & Fisher's eq. 14.6) or ``original`` (the density of
    the peeled box; less prone to stop early on noisy data).
    """
    prim = _import_prim()
    if objective not in OBJECTIVES:
        raise DiscoveryError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    kwargs: dict[str, Any] = dict(peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min,
                                  obj_function=getattr(prim.PRIMObjectiveFunctions, objective.upper()))
    import inspect

    if "threshold" in inspect.signature(prim.Prim.__init__).parameters:
        # EMA 2.x counts y >= threshold as cases of interest and drops a box whose last step
        # has a mean below it; with 0/1 failures a tiny positive value counts the failures and
        # keeps every box that holds any (the density threshold is applied here instead, as
        # EMA 3 leaves it to the caller).
        kwargs["threshold"] = 1e-9
    x_in = x.copy()
    for c, r in full.items():
        if c not in x_in:
            continue
        if r.kind == "set":
            x_in[c] = x_in[c].astype(object)
        else:
            # integer inputs as floats: EMA pastes a quantile (a float) into integer box limits,
            # which pandas >= 3 refuses; the boxes are the same
            x_in[c] = x_in[c].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = prim.Prim(x_in, y.astype(int), **kwargs)
        boxes: list[Box] = []
        trajectories: list[pd.DataFrame] = []
        taken = np.zeros(len(y), dtype=bool)  # points in the boxes chosen so far
        for i in range(max_boxes):
            if i > 0 and y[~taken].sum() < 2:
                break
            box = alg.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory.reset_index(drop=True).copy()
            step = choose_step(traj, min_coverage, select)
            box.select(step)
            taken[np.asarray(box.yi, dtype=int)] = True
            row = traj.iloc[step]
            density = float(row["density"])
            meets = density >= threshold
            if i > 0 and not meets:
                break
            traj["box"] = i + 1
            traj["chosen"] = np.arange(len(traj)) == step
            trajectories.append(traj)
            lims = box.box_lims[step]
            restrictions = _restrictions_from_lims(lims, alg.box_init, full)
            pv = _p_values(box, step)
            n = int(row["n"]) if "n" in row else int(round(float(row["mass"]) * len(y)))
            k = int(row["k"]) if "k" in row else int(round(density * n))
            boxes.append(Box(
                method="prim", index=i + 1, coverage=float(row["coverage"]), density=density,
                mass=float(row["mass"]), n=n, n_fail=k, restrictions=restrictions,
                meets_threshold=bool(meets), step=step,
                p_values={r.name: pv[r.name] for r in restrictions if r.name in pv},
            ))
            if not restrictions:
                break
    return boxes, trajectories


def _p_values(box, step: int) -> dict[str, float]:
    """Quasi-p values of the restricted inputs of a PRIM box (``qp`` in EMA 2, ``p_values`` in 3)."""
    seq = getattr(box, "p_values", None)
    if not isinstance(seq, list):
        seq = getattr(box, "qp", None)
    if not isinstance(seq, list) or step >= len(seq):
        return {}
    out = {}
    for name, pair in (seq[step] or {}).items():
        vals = [float(v) for v in pair if v is not None and float(v) >= 0]
        if vals:
            out[str(name)] = min(vals)
    return out


# ------------------------------------------------------------------------------ CART
def _encode(x: pd.DataFrame, full: dict[str, Restriction]) -> tuple[pd.DataFrame, list[tuple[str, Any]]]:
    """Numeric inputs as they are; categorical ones one-hot (one 0/1 column per value)."""
    cols, meta = {}, []
    for c in x.columns:
        if full[c].kind == "set":
            for v in full[c].full_values:
                cols[f"{c}={v}"] = (x[c].astype(str) == str(v)).astype(float)
                meta.append((c, v))
        else:
            cols[c] = x[c].astype(float)
            meta.append((c, None))
    return pd.DataFrame(cols, index=x.index), meta


def run_cart(
    x: pd.DataFrame,
    y: np.ndarray,
    full: dict[str, Restriction],
    *,
    max_depth: int | None = 4,
    min_samples_leaf: int | None = None,
    mass_min: float = 0.05,
    threshold: float = 0.8,
) -> tuple[list[Box], Any, list[str]]:
    """A classification tree (scikit-learn); its leaves where most points fail, as boxes.

    ``min_samples_leaf`` defaults to ``mass_min`` of the points (at least 1). Coverage, density
    and mass of each leaf are counted here from the training points.
    """
    tree_mod = _import_tree()
    enc, meta = _encode(x, full)
    n = len(y)
    leaf_min = int(min_samples_leaf) if min_samples_leaf else max(1, int(math.ceil(mass_min * n)))
    clf = tree_mod.DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf_min, random_state=0)
    clf.fit(enc.to_numpy(), y.astype(int))
    t = clf.tree_
    path = clf.decision_path(enc.to_numpy()).tocsc()  # (points, nodes): which nodes a point passes
    node_n = np.diff(path.indptr).astype(int)
    node_k = np.array([int(y[path.indices[path.indptr[j]:path.indptr[j + 1]]].sum())
                       for j in range(t.node_count)])
    total = float(y.sum())

    def all_fail(node: int) -> bool:
        """Whether every leaf under ``node`` is a failing leaf (most of its points fail)."""
        left, right = t.children_left[node], t.children_right[node]
        if left == right:
            return node_n[node] > 0 and 2 * node_k[node] > node_n[node]
        return all_fail(left) and all_fail(right)

    found: list[tuple[int, dict]] = []

    def walk(node: int, bounds: dict) -> None:
        # a subtree whose leaves all fail is one box (splits inside it change no prediction)
        if all_fail(node):
            found.append((node, bounds))
            return
        left, right = t.children_left[node], t.children_right[node]
        if left == right:
            return
        col, val = meta[t.feature[node]]
        cut = float(t.threshold[node])
        for child, side in ((left, "le"), (right, "gt")):
            b = dict(bounds)
            if val is None:  # numeric: x <= cut goes left
                lo, hi = b.get(col, (None, None))
                if side == "le":
                    hi = cut if hi is None else min(hi, cut)
                else:
                    lo = cut if lo is None else max(lo, cut)
                b[col] = (lo, hi)
            else:  # one-hot column: <= 0.5 means "not val"
                allowed = set(b.get(col, set(full[col].full_values)))
                b[col] = allowed - {val} if side == "le" else allowed & {val}
            walk(child, b)

    walk(0, {})
    boxes = []
    for node, bounds in found:
        nn, kk = int(node_n[node]), int(node_k[node])
        restrictions = []
        for c in x.columns:
            if c not in bounds:
                continue
            f = full[c]
            if f.kind == "set":
                vals = tuple(v for v in f.full_values if v in bounds[c])
                if set(vals) != set(f.full_values):
                    restrictions.append(Restriction(c, "set", values=vals, full_values=f.full_values))
                continue
            lo, hi = bounds[c]
            lo_r = lo is not None and lo > f.full_low
            hi_r = hi is not None and hi < f.full_high
            if lo_r or hi_r:
                restrictions.append(Restriction(
                    c, "range", low=float(lo) if lo_r else f.full_low,
                    high=float(hi) if hi_r else f.full_high, full_low=f.full_low, full_high=f.full_high,
                    low_restricted=lo_r, high_restricted=hi_r,
                    log=f.log,
                ))
        density = kk / nn
        boxes.append(Box(method="cart", index=0, coverage=kk / total if total else 0.0, density=density,
                         mass=nn / n, n=nn, n_fail=kk, restrictions=restrictions,
                         meets_threshold=density >= threshold))
    boxes.sort(key=lambda b: (-b.coverage, -b.density))
    for i, b in enumerate(boxes, 1):
        b.index = i
    return boxes, clf, list(enc.columns)


# ------------------------------------------------------------------------------ the verb
def discover(
    folder: str | Path | SweepData,
    outcome: str,
    *,
    below: float | None = None,
    above: float | None = None,
    method: Literal["prim", "cart", "both"] = "both",
    per: Literal["point", "run"] = "point",
    levers: bool = True,
    where: dict[str, Any] | None = None,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    min_coverage: float = 0.5,
    max_boxes: int = 3,
    objective: str = "lenient1",
    select: str = "f1",
    max_depth: int | None = 4,
    min_samples_leaf: int | None = None,
) -> DiscoveryResult:
    """Find the regions of a sweep's input space where ``outcome`` fails.

    Args:
        folder: a finished sweep folder (or one read with :func:`load_sweep_folder`).
        outcome: an outcome column of ``runs.parquet``.
        below, above: failure is ``outcome < below`` or ``outcome > above`` (exactly one).
        method: ``prim``, ``cart`` or ``both``.
        per: ``point`` (design points, outcome averaged over replicates) or ``run``.
        levers: include the levers as inputs (a box may then pick a policy).
        where: keep only the runs with these lever (or uncertainty) values, e.g.
            ``{"defense.basing.policy": "corridors"}``.
        threshold: minimum density of a PRIM box found by covering (and the flag of every box).
        peel_alpha, paste_alpha, mass_min: PRIM's parameters (EMA's defaults).
        min_coverage: the coverage a chosen PRIM box keeps at least (see the module docstring).
        max_boxes: at most this many PRIM boxes (covering).
        objective: PRIM's peeling objective (``lenient1``, ``lenient2``, ``original``).
        select: how to pick a box on the peeling trajectory (:func:`choose_step`): ``f1``
            (default) or ``density``.
        max_depth, min_samples_leaf: CART's tree size (leaf default: ``mass_min`` of the points).

    Raises:
        DiscoveryError: bad input (names what and why). MissingExtraError: the ``ema`` extra is
            needed for the method and not installed.
    """
    if method not in METHODS:
        raise DiscoveryError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    for name, v, lo, hi in (("threshold", threshold, 0.0, 1.0), ("peel-alpha", peel_alpha, 1e-6, 0.5),
                            ("paste-alpha", paste_alpha, 1e-6, 0.5), ("mass-min", mass_min, 0.0, 0.5),
                            ("coverage", min_coverage, 0.0, 1.0)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and lo <= v <= hi):
            raise DiscoveryError(f"--{name} must be a number in [{lo:g}, {hi:g}], got {v!r}")
    if objective not in OBJECTIVES:
        raise DiscoveryError(f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if select not in SELECT_RULES:
        raise DiscoveryError(f"--select must be one of {', '.join(SELECT_RULES)}, got {select!r}")
    if not (isinstance(max_boxes, int) and max_boxes >= 1):
        raise DiscoveryError(f"--boxes must be an integer >= 1, got {max_boxes!r}")
    if method in ("prim", "both"):
        _import_prim()
    if method in ("cart", "both"):
        _import_tree()
    data = folder if isinstance(folder, SweepData) else load_sweep_folder(folder)
    x, y, value, notes = prepare(data, outcome, below=below, above=above, per=per, levers=levers,
                                 where=where)
    full = _full_ranges(x, data.factors)
    res = DiscoveryResult(
        outcome=outcome, direction="below" if below is not None else "above", value=value, per=per,
        x=x, y=y, full=full, notes=notes, sweep=data.name,
        options=dict(method=method, threshold=threshold, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                     mass_min=mass_min, min_coverage=min_coverage, max_boxes=max_boxes,
                     objective=objective, select=select,
                     max_depth=max_depth, min_samples_leaf=min_samples_leaf, levers=levers,
                     where=dict(where or {})),
    )
    if method in ("prim", "both"):
        res.prim_boxes, res.trajectories = run_prim(
            x, y, full, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min,
            threshold=threshold, min_coverage=min_coverage, max_boxes=max_boxes, objective=objective,
            select=select)
    if method in ("cart", "both"):
        res.cart_boxes, res.tree, res.tree_features = run_cart(
            x, y, full, max_depth=max_depth, min_samples_leaf=min_samples_leaf, mass_min=mass_min,
            threshold=threshold)
    return res


def write_result(res: DiscoveryResult, out: str | Path) -> list[Path]:
    """Write ``boxes.json``, ``boxes.csv`` and (PRIM) ``trajectory.csv`` into ``out``."""
    from sim.experiments.sweep.store import write_json_atomic

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "boxes.json", out / "boxes.csv"]
    write_json_atomic(paths[0], res.to_dict())
    res.to_frame().to_csv(paths[1], index=False)
    if res.trajectories:
        paths.append(out / "trajectory.csv")
        pd.concat(res.trajectories, ignore_index=True).to_csv(paths[-1], index=False)
    return paths


# ------------------------------------------------------------------------------ printing
def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return str(f)
    if f == 0:
        return "0"
    if abs(f) >= 1e7:
        return f"{f:.3g}"
    if abs(f) >= 1000:
        return f"{f:,.0f}"
    return f"{f:.3g}"


def _fmt_set(vals) -> str:
    return "{" + ", ".join(str(v) for v in vals) + "}"


def _native(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def format_result(res: DiscoveryResult, width: int = 100) -> str:
    """A readable report of the boxes, no line longer than ``width``."""
    what = "design points (outcome: mean over replicates)" if res.per == "point" else "runs"
    lines = [
        f"Scenario discovery: {res.sweep}, failure = {res.criterion}",
        f"{res.n_fail} of {res.n} {what} fail ({res.n_fail / res.n:.0%}); "
        f"inputs: {len(res.x.columns)}",
    ]
    lines += [f"note: {n}" for n in res.notes]
    for b in res.boxes:
        lines.append("")
        lines.append(f"{b.label}: coverage {b.coverage:.2f}, density {b.density:.2f}, "
                     f"mass {b.mass:.2f}, {b.n_fail} failing of {b.n} points")
        if not b.meets_threshold:
            lines.append(f"  (its density is below the threshold {_fmt(res.options.get('threshold'))}: "
                         f"a weak box)")
        if not b.restrictions:
            lines.append("  (no input restricted: the failures are spread over the whole space)")
        for r in b.restrictions:
            text = r.describe()
            if r.name in b.p_values:
                text += f"  qp {b.p_values[r.name]:.2g}"
            lines.extend(textwrap.wrap(text, width, initial_indent="  ", subsequent_indent="      "))
    if res.options.get("method") in ("cart", "both") and not res.cart_boxes:
        lines += ["", "CART: no leaf where most points fail"]
    return "\n".join(line[:width] for line in lines)


# ------------------------------------------------------------------------------ EMA export
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
