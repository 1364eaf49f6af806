"""Global sensitivity analysis of a finished sweep with SALib.

* ``sobol``: first-order (``S1``) and total-order (``ST``) Sobol' indices (and ``S2`` with
  ``design.second_order``) with bootstrap confidence intervals; needs a ``sobol`` design
  (Saltelli's scheme).
* ``morris``: elementary-effects screening (``mu``, ``mu_star``, ``sigma``,
  ``mu_star_conf``); needs a ``morris`` design. Effects are per unit of the factor's normalised
  range (its unit-cube coordinate), so they compare across factors.
* ``rbd_fast``: first-order indices from any space-filling sample (``latin_hypercube`` or
  ``sobol_sequence``).

The outcome of a design point is the mean over its replicates. With levers crossed against the
uncertainties (``design.levers: cross``) the analysis is done per policy (lever combination),
as the sensitivity of each policy's outcomes to the uncertainties.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiments.sweep.errors import SensitivityError

SENSITIVITY_STREAM = 0x5E115
METHOD_FOR_KIND = {
    "sobol": "sobol",
    "morris": "morris",
    "latin_hypercube": "rbd_fast",
    "sobol_sequence": "rbd_fast",
}
RBD_MIN_POINTS = 24
KIND_FOR_METHOD = {
    "sobol": ("sobol",),
    "morris": ("morris",),
    "rbd_fast": ("latin_hypercube", "sobol_sequence"),
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(SENSITIVITY_STREAM,))))


def outcome_columns(runs: pd.DataFrame, factor_keys: list[str]) -> list[str]:
    """Numeric outcome columns of a runs table (everything but ids and factors)."""
    skip = {"run_id", "point", "replicate", "seed", "policy", "scenario", *factor_keys}
    return [
        c
        for c in runs.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(runs[c])
        and not pd.api.types.is_bool_dtype(runs[c])
    ]


def analyze(
    design: pd.DataFrame,
    runs: pd.DataFrame,
    spec: dict,
    outcomes: list[str] | None = None,
    method: str | None = None,
    conf_level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sensitivity indices of a sweep's outcomes.

    Args:
        design: the design table (``design.parquet``: ``point``, ``policy``, ``scenario``,
            factor columns, ``u:<key>`` unit-cube columns).
        runs: the runs table (``runs.parquet``).
        spec: the sweep spec as a dict (``SweepSpec.model_dump()``).
        outcomes: outcomes to analyse (default: every outcome).
        method: ``sobol``, ``morris`` or ``rbd_fast`` (default: from the design kind).
        conf_level: confidence level of the bootstrap intervals.

    Returns:
        ``(indices, second_order)``: one row per (policy, outcome, factor); ``second_order``
        (Sobol' with ``second_order`` only, else ``None``) has one row per factor pair.

    Raises:
        SensitivityError: a design that does not support the method, or unknown outcomes.
    """
    dspec = spec.get("design", {})
    kind = dspec.get("kind", "full_factorial")
    method = method or METHOD_FOR_KIND.get(kind)
    if method is None:
        raise SensitivityError(
            f"a {kind} design does not support a sensitivity analysis; use design kind sobol "
            f"(Sobol' indices), morris (screening) or latin_hypercube (rbd_fast first-order "
            f"indices)"
        )
    if method not in KIND_FOR_METHOD:
        raise SensitivityError(f"unknown method {method!r}: choose sobol, morris or rbd_fast")
    if kind not in KIND_FOR_METHOD[method]:
        raise SensitivityError(
            f"method {method} needs a design of kind {' or '.join(KIND_FOR_METHOD[method])}, "
            f"this sweep's design is {kind}; run `sim sensitivity SWEEP.yaml --method {method}` "
            f"to run a suitable design"
        )
    unit_names = [c[2:] for c in design.columns if c.startswith("u:")]
    if not unit_names:
        raise SensitivityError("the design has no sampled factors")
    lever_keys = [f["key"] for f in spec.get("levers", [])]
    factor_keys = lever_keys + [f["key"] for f in spec.get("uncertainties", [])]
    available = outcome_columns(runs, factor_keys)
    if outcomes is None:
        outcomes = available
    unknown = [o for o in outcomes if o not in available]
    if unknown:
        raise SensitivityError(f"unknown outcome(s) {unknown}; available: {', '.join(available)}")
    means = runs.groupby("point")[outcomes].mean()
    if len(means) != len(design):
        raise SensitivityError(f"the runs cover {len(means)} of {len(design)} design points")
    d = len(unit_names)
    problem = {"num_vars": d, "names": unit_names, "bounds": [[0.0, 1.0]] * d}
    rng = _rng(int(spec.get("seed", 0)))
    second = bool(dspec.get("second_order", False))
    policy_levers = [k for k in lever_keys if k not in unit_names]
    rows, rows2 = [], []
    for policy, g in design.sort_values(["policy", "scenario"]).groupby("policy", sort=True):
        X = g[[f"u:{n}" for n in unit_names]].to_numpy(dtype=float)
        head = {"policy": int(policy), **{k: g[k].iloc[0] for k in policy_levers}}
        for o in outcomes:
            Y = means.loc[g["point"].to_numpy(), o].to_numpy(dtype=float)
            if not np.all(np.isfinite(Y)) or np.ptp(Y) == 0:
                for n in unit_names:
                    rows.append({**head, "outcome": o, "factor": n, "note": "constant or missing outcome"})
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = _run(method, problem, X, Y, dspec, second, conf_level, rng)
            for j, n in enumerate(unit_names):
                row = {**head, "outcome": o, "factor": n}
                for k in (
                    "S1",
                    "S1_conf",
                    "ST",
                    "ST_conf",
                    "mu",
                    "mu_star",
                    "sigma",
                    "mu_star_conf",
                ):
                    if k in res:
                        row[k] = float(np.asarray(res[k])[j])
                rows.append(row)
            if method == "sobol" and second:
                for i in range(d):
                    for j in range(i + 1, d):
                        rows2.append(
                            {
                                **head,
                                "outcome": o,
                                "factor_1": unit_names[i],
                                "factor_2": unit_names[j],
                                "S2": float(res["S2"][i, j]),
                                "S2_conf": float(res["S2_conf"][i, j]),
                            }
                        )
    table = pd.DataFrame(rows)
    if design["policy"].nunique() == 1:
        table = table.drop(columns=["policy"])
    if "note" in table and table["note"].isna().all():
        table = table.drop(columns=["note"])
    table2 = pd.DataFrame(rows2) if rows2 else None
    return table, table2


def _run(method, problem, X, Y, dspec, second, conf_level, rng):
    if method == "sobol":
        from SALib.analyze import sobol

        d = problem["num_vars"]
        per = 2 * d + 2 if second else d + 2
        if len(Y) % per:
            raise SensitivityError(f"{len(Y)} points do not form a Saltelli design of {d} factors")
        return sobol.analyze(
            problem,
            Y,
            calc_second_order=second,
            conf_level=conf_level,
            print_to_console=False,
            seed=rng,
        )
    if method == "morris":
        from SALib.analyze import morris

        return morris.analyze(
            problem,
            X,
            Y,
            conf_level=conf_level,
            print_to_console=False,
            num_levels=int(dspec.get("levels", 4)),
            seed=rng,
        )
    if method == "rbd_fast":
        from SALib.analyze import rbd_fast

        n = len(Y)
        if n < RBD_MIN_POINTS:
            raise SensitivityError(
                f"rbd_fast needs at least {RBD_MIN_POINTS} sample points per policy, the design has "
                f"{n}; raise design.samples (or pass --samples)"
            )
        # harmonics: SALib's default 10 needs N >> 20; fewer for small samples, or every index is 1
        m = max(1, min(10, n // 8))
        return rbd_fast.analyze(problem, X, Y, M=m, conf_level=conf_level, print_to_console=False, seed=rng)
    raise AssertionError(method)
