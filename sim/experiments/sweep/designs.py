"""Design generation: the table of design points of a sweep.

Points are numbered ``0 .. n-1``. With ``design.levers: cross`` (the default, as in the EMA
Workbench) the levers form a full factorial of *policies*, each run against the same sample of
uncertainty *scenarios*: ``point = policy * n_scenarios + scenario``. A full factorial design is
``itertools.product`` over levers then uncertainties, first factor slowest.

Sampled designs are drawn in the unit cube and mapped to factor values by
:meth:`sim.experiments.sweep.spec.Factor.from_unit`. Their randomness comes only from the generator passed
in; :func:`design_rng` derives it from the sweep seed as
``SeedSequence(seed, spawn_key=(DESIGN_STREAM,))``, a stream distinct from every run stream
``SeedSequence([seed, replicate])``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.sweep.errors import SweepSpecError
from sim.experiments.sweep.spec import SAMPLED_KINDS, Factor, LoadedSweep

DESIGN_STREAM = 0xDE5161


def design_rng(seed: int) -> np.random.Generator:
    """The generator that draws a sweep's sampled design, derived from the sweep seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(DESIGN_STREAM,))))


@dataclass
class Design:
    """The design points of a sweep.

    Attributes:
        points: one row per point: ``point``, ``policy``, ``scenario`` and one column per factor
            key (native Python values of the factor's type).
        unit: unit-cube coordinates of the sampled dimensions, shape
            ``(n_points, len(unit_names))``.
        unit_names: the factor keys of the sampled dimensions, in column order.
        kind: the design kind.
        factors: the factors, levers first.
    """

    points: pd.DataFrame
    unit: np.ndarray
    unit_names: list[str]
    kind: str
    factors: list[Factor]

    @property
    def n_points(self) -> int:
        return len(self.points)

    def overrides(self, point: int) -> dict:
        """The scenario overrides of one design point (key path -> value)."""
        row = self.points.iloc[point]
        return {f.key: _native(row[f.key]) for f in self.factors}

    def to_frame(self) -> pd.DataFrame:
        """Points plus their unit-cube coordinates (columns ``u:<key>``), for ``design.parquet``."""
        df = self.points.copy()
        for j, name in enumerate(self.unit_names):
            df[f"u:{name}"] = self.unit[:, j] if len(self.unit) else []
        return df


def _native(v):
    return v.item() if hasattr(v, "item") else v


def _where(loaded: LoadedSweep, group: str, i: int, f: Factor) -> str:
    return f"{loaded.where}: {group}[{i}] ({f.key})"


def _levels(loaded: LoadedSweep, factors: list[tuple[str, int, Factor]]) -> list[list]:
    out = []
    for group, i, f in factors:
        try:
            out.append(f.level_list())
        except ValueError as exc:
            raise SweepSpecError(f"{_where(loaded, group, i, f)}: {exc}") from None
    return out


def _indexed(loaded: LoadedSweep):
    spec = loaded.spec
    levers = [("levers", i, f) for i, f in enumerate(spec.levers)]
    uncs = [("uncertainties", i, f) for i, f in enumerate(spec.uncertainties)]
    return levers, uncs


def _split(loaded: LoadedSweep):
    """(policy factors, sampled factors) for a sampled design."""
    levers, uncs = _indexed(loaded)
    if loaded.spec.design.levers == "cross" and uncs:
        return levers, uncs
    return [], levers + uncs


def _scenario_count(kind: str, samples: int, d: int, second_order: bool) -> int:
    if d == 0:
        return 1
    if kind == "sobol":
        return samples * (2 * d + 2 if second_order else d + 2)
    if kind == "morris":
        return samples * (d + 1)
    return samples


def design_size(loaded: LoadedSweep) -> int:
    """Number of design points, computed without generating the design.

    Raises:
        SweepSpecError: a range factor without ``levels`` in a full factorial, or a bad CSV.
    """
    spec = loaded.spec
    kind = spec.design.kind
    if kind == "full_factorial":
        levers, uncs = _indexed(loaded)
        return math.prod(len(lv) for lv in _levels(loaded, levers + uncs))
    if kind == "csv":
        return len(_read_csv(loaded))
    policy, sampled = _split(loaded)
    n_pol = math.prod(len(lv) for lv in _levels(loaded, policy))
    return n_pol * _scenario_count(kind, spec.design.samples or 1, len(sampled), spec.design.second_order)


def _read_csv(loaded: LoadedSweep) -> pd.DataFrame:
    path = loaded.csv_path
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the user's file
        raise SweepSpecError(f"{path}: cannot read the CSV design: {exc}") from None
    keys = [f.key for f in loaded.spec.factors]
    unknown = [c for c in df.columns if c not in keys]
    missing = [k for k in keys if k not in df.columns]
    if unknown:
        raise SweepSpecError(
            f"{path}: column(s) {unknown} are not declared as levers or uncertainties in {loaded.where}"
        )
    if missing:
        raise SweepSpecError(f"{path}: missing column(s) for declared factor(s) {missing}")
    if len(df) == 0:
        raise SweepSpecError(f"{path}: the CSV design has no rows")
    if df.isna().any().any():
        raise SweepSpecError(f"{path}: the CSV design has empty cells")
    return df[keys]


def _sample_unit(kind: str, d: int, samples: int, loaded: LoadedSweep, rng: np.random.Generator):
    from scipy.stats import qmc

    design = loaded.spec.design
    if kind == "latin_hypercube":
        return qmc.LatinHypercube(d, rng=rng).random(samples)
    if kind == "sobol_sequence":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "balance properties" for n != 2^m
            return qmc.Sobol(d, scramble=True, rng=rng).random(samples)
    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    if kind == "sobol":
        from SALib.sample import sobol as sobol_sample

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SALib warns when N is not a power of two
            return sobol_sample.sample(
                problem, samples, calc_second_order=design.second_order, scramble=True, seed=rng
            )
    if kind == "morris":
        from SALib.sample import morris as morris_sample

        return morris_sample.sample(problem, samples, num_levels=design.levels, seed=rng)
    raise AssertionError(kind)


def generate_design(loaded: LoadedSweep, rng: np.random.Generator | None = None) -> Design:
    """Generate the design points of a sweep.

    Args:
        loaded: the loaded sweep.
        rng: generator for sampled designs; default :func:`design_rng` of the sweep seed.

    Raises:
        SweepSpecError: a factor that cannot be used by this design, or a bad CSV design.
    """
    spec = loaded.spec
    kind = spec.design.kind
    factors = spec.factors
    keys = [f.key for f in factors]
    if rng is None:
        rng = design_rng(spec.seed)

    if kind == "full_factorial":
        levers, uncs = _indexed(loaded)
        lever_levels = _levels(loaded, levers)
        unc_levels = _levels(loaded, uncs)
        policies = list(itertools.product(*lever_levels))
        scenarios = list(itertools.product(*unc_levels))
        rows = []
        for pi, pol in enumerate(policies):
            for si, scn in enumerate(scenarios):
                rows.append((pi * len(scenarios) + si, pi, si, *pol, *scn))
        unit = np.zeros((len(rows), 0))
        unit_names: list[str] = []
    elif kind == "csv":
        df = _read_csv(loaded)
        rows = []
        for ri, rec in enumerate(df.itertuples(index=False)):
            vals = []
            for f, v in zip(factors, rec, strict=True):
                v = _native(v)
                if f.kind != "free":
                    if not f.contains(v):
                        raise SweepSpecError(
                            f"{loaded.csv_path}: row {ri + 2}, column {f.key}: {v!r} is outside "
                            f"the values/range declared in {loaded.where}"
                        )
                    v = f.coerce(v)
                vals.append(v)
            rows.append((ri, 0, ri, *vals))
        unit = np.zeros((len(rows), 0))
        unit_names = []
    elif kind in SAMPLED_KINDS:
        policy, sampled = _split(loaded)
        for group, i, f in sampled:
            if f.kind == "free":
                raise SweepSpecError(f"{_where(loaded, group, i, f)}: needs `values` or `low`/`high`")
        policies = list(itertools.product(*_levels(loaded, policy)))
        d = len(sampled)
        if d == 0:
            u = np.zeros((1, 0))
        else:
            u = np.asarray(_sample_unit(kind, d, spec.design.samples or 1, loaded, rng), dtype=float)
        cols = [f.from_unit(u[:, j]) for j, (_, _, f) in enumerate(sampled)]
        scen_values = list(zip(*cols, strict=True)) if d else [()]
        order = [f.key for _, _, f in policy] + [f.key for _, _, f in sampled]
        perm = [order.index(k) for k in keys]
        rows = []
        for pi, pol in enumerate(policies):
            for si, scn in enumerate(scen_values):
                vals = (*pol, *scn)
                rows.append((pi * len(scen_values) + si, pi, si, *(vals[j] for j in perm)))
        unit = np.tile(u, (len(policies), 1))
        unit_names = [f.key for _, _, f in sampled]
    else:  # pragma: no cover - schema forbids it
        raise AssertionError(kind)

    points = pd.DataFrame.from_records(rows, columns=["point", "policy", "scenario", *keys])
    for f in factors:
        if f.value_type in ("int", "float", "bool"):
            points[f.key] = points[f.key].astype(
                {"int": "int64", "float": "float64", "bool": "bool"}[f.value_type]
            )
        elif f.value_type == "str":
            points[f.key] = points[f.key].astype(object)
    return Design(points=points, unit=unit, unit_names=unit_names, kind=kind, factors=list(factors))
