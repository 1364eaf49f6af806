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

import math
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.analysis.boxes import Box, DiscoveryResult, Restriction, format_bound, format_result, write_result
from sim.analysis.sweep_data import (
    ID_COLUMNS,
    INSTALL_HINT,
    DiscoveryError,
    FactorInfo,
    MissingExtraError,
    SweepData,
    ema_available,
    export_ema,
    import_prim,
    import_tree,
    load_sweep_folder,
    to_ema,
)

__all__ = ["ID_COLUMNS", "INSTALL_HINT", "METHODS", "OBJECTIVES", "SELECT_RULES", "Box",
           "DiscoveryError", "DiscoveryResult", "FactorInfo", "MissingExtraError", "Restriction",
           "SweepData", "choose_step", "discover", "ema_available", "export_ema", "format_result",
           "load_sweep_folder", "prepare", "run_cart", "run_prim", "to_ema", "write_result"]

METHODS = ("prim", "cart", "both")
OBJECTIVES = ("lenient1", "lenient2", "original")
SELECT_RULES = ("f1", "density")


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
    crit = f"{outcome} {'<' if below is not None else '>'} {format_bound(value)}"
    if not y.any():
        raise DiscoveryError(
            f"none of the {len(y)} {what} fails ({crit} never holds; {outcome} ranges "
            f"{format_bound(np.nanmin(yv))} to {format_bound(np.nanmax(yv))}): nothing to discover; choose "
            f"another threshold"
        )
    if y.all():
        raise DiscoveryError(
            f"all {len(y)} {what} fail ({crit} always holds; {outcome} ranges "
            f"{format_bound(np.nanmin(yv))} to {format_bound(np.nanmax(yv))}): nothing to discover; choose "
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
    prim = import_prim()
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
    tree_mod = import_tree()
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
        import_prim()
    if method in ("cart", "both"):
        import_tree()
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
