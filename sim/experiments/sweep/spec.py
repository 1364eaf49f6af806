"""Sweep files: the schema (:class:`SweepSpec`) and the loader (:func:`load_sweep`).

A sweep file is YAML, checked as strictly as a scenario file (unknown keys are errors). It names a
base scenario (a path relative to the sweep file), the factors to vary, split as in exploratory
modelling (the EMA Workbench) into policy ``levers`` and ``uncertainties``, a ``design``, the
number of ``replicates`` per design point and a ``seed``::

    name: funding
    base: ../scenarios/nl-200m.yaml      # relative to this file (else the shipped one)
    fixed: {period.nights: 120}          # optional constant overrides of the base scenario
    levers:
      - key: defense.budget_eur
        values: [0, 1.0e8, 2.0e8]
    uncertainties:
      - {key: defense.interceptor.pk, low: 0.4, high: 0.9}
      - {key: defense.costs.interceptor_unit_cost_eur, low: 2000, high: 20000, log: true}
    design: {kind: latin_hypercube, samples: 50}   # levers are crossed with the sample
    replicates: 20
    seed: 1
    outcomes: [interception_rate, leaked]          # default: every scalar outcome
    nights_table: false
    max_runs: 20000                                # size cap; --force overrides

Every factor has either ``values`` (a list: numbers or strings) or a range ``low``/``high``
(optionally ``log: true``, ``integer: true``, and ``levels: N`` for a full factorial). Sampled
designs map a unit-cube coordinate ``u`` to a range as ``low + u (high - low)`` (geometric if
``log``) and to a value list as ``values[floor(u k)]``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.config.io import did_you_mean as _did_you_mean
from sim.config.io import file_kind
from sim.config.safe_yaml import read_yaml_file
from sim.config.validation import schema_keys_at
from sim.experiments.sweep.errors import SweepSpecError

KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"

#: Design kinds whose points are sampled from the unit cube (and need ``samples``).
SAMPLED_KINDS = ("latin_hypercube", "sobol_sequence", "sobol", "morris")
DESIGN_KINDS = ("full_factorial", "csv", *SAMPLED_KINDS)


class Factor(BaseModel):
    """One varied input: a scenario key path with a value list or a range.

    Attributes:
        key: dotted key path into the scenario, e.g. ``defense.budget_eur``.
        values: explicit values (numbers or strings); mutually exclusive with ``low``/``high``.
        low, high: range bounds (``low < high``).
        log: sample the range geometrically (needs ``low > 0``).
        integer: round sampled values to integers; default: true when both bounds are integers.
        levels: number of evenly spaced levels of a range in a full factorial design.
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    values: list[Any] | None = None
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    integer: bool | None = None
    levels: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Factor:
        has_range = self.low is not None or self.high is not None
        if self.values is not None and has_range:
            raise ValueError("give either `values` or `low`/`high`, not both")
        if self.values is not None:
            if len(self.values) == 0:
                raise ValueError("empty value list")
            for v in self.values:
                if v is None or isinstance(v, (dict, list)):
                    raise ValueError(f"values must be numbers or strings, got {v!r}")
            if len({json.dumps(v, sort_keys=True) for v in self.values}) != len(self.values):
                raise ValueError("duplicate entries in the value list")
            if self.levels is not None or self.log:
                raise ValueError("`levels` and `log` apply to a low/high range, not to `values`")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both `low` and `high`")
            if not (math.isfinite(self.low) and math.isfinite(self.high)):
                raise ValueError("range bounds must be finite")
            if self.low == self.high:
                raise ValueError(f"empty range: low == high == {self.low}")
            if self.low > self.high:
                raise ValueError(f"inverted range: low {self.low} > high {self.high}")
            if self.log and self.low <= 0:
                raise ValueError("a log range needs low > 0")
        return self

    @property
    def kind(self) -> Literal["values", "range", "free"]:
        """``values``, ``range``, or ``free`` (only a key: allowed with a CSV design)."""
        if self.values is not None:
            return "values"
        if self.low is not None:
            return "range"
        return "free"

    @property
    def is_integer(self) -> bool:
        """Whether range values are rounded to integers."""
        if self.integer is not None:
            return self.integer
        return (
            self.kind == "range"
            and isinstance(self.low, int)
            and isinstance(self.high, int)
            and not isinstance(self.low, bool)
        )

    @property
    def value_type(self) -> Literal["int", "float", "str", "bool", "any"]:
        """Column type of this factor in the results table."""
        if self.kind == "range":
            return "int" if self.is_integer else "float"
        if self.kind == "values":
            vals = self.values or []
            if all(isinstance(v, bool) for v in vals):
                return "bool"
            if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                return "int"
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                return "float"
            return "str"
        return "any"

    def coerce(self, v: Any) -> Any:
        """Convert a value to this factor's column type (native Python)."""
        t = self.value_type
        if hasattr(v, "item"):  # numpy scalar
            v = v.item()
        if t == "int":
            return int(round(float(v)))
        if t == "float":
            return float(v)
        if t == "str":
            return str(v)
        if t == "bool":
            return bool(v)
        return v

    def level_list(self) -> list[Any]:
        """The levels of this factor in a full factorial design."""
        import numpy as np

        if self.kind == "values":
            return [self.coerce(v) for v in self.values or []]
        if self.kind == "range":
            if self.levels is None:
                raise ValueError("needs `levels: N` for a full factorial design (or use `values`)")
            if self.levels == 1:
                pts = np.array([(self.low + self.high) / 2.0])
            elif self.log:
                pts = np.geomspace(self.low, self.high, self.levels)
            else:
                pts = np.linspace(self.low, self.high, self.levels)
            # 12 significant digits: 0.6, not 0.6000000000000001
            out = [self.coerce(float(f"{v:.12g}")) for v in pts]
            if len(set(out)) != len(out):
                raise ValueError(f"{self.levels} integer levels do not fit in [{self.low}, {self.high}]")
            return out
        raise ValueError("needs `values` or `low`/`high`")

    def from_unit(self, u) -> list[Any]:
        """Map unit-cube coordinates (array in [0, 1]) to factor values."""
        import numpy as np

        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.kind == "values":
            vals = self.values or []
            idx = np.minimum((u * len(vals)).astype(int), len(vals) - 1)
            return [self.coerce(vals[i]) for i in idx]
        if self.kind == "range":
            if self.log:
                x = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
            else:
                x = self.low + u * (self.high - self.low)
            x = np.clip(x, self.low, self.high)
            return [self.coerce(v) for v in x]
        raise ValueError("needs `values` or `low`/`high` for a sampled design")

    def contains(self, v: Any) -> bool:
        """Whether a value lies in this factor's declared values or range."""
        if self.kind == "values":
            return any(self.coerce(v) == self.coerce(w) for w in self.values or [])
        if self.kind == "range":
            try:
                x = float(v)
            except (TypeError, ValueError):
                return False
            return self.low <= x <= self.high
        return True


class DesignSpec(BaseModel):
    """How design points are generated.

    Attributes:
        kind: ``full_factorial`` (every combination of levels), ``latin_hypercube``
            (``samples`` points), ``sobol_sequence`` (``samples`` scrambled Sobol' points),
            ``sobol`` (Saltelli's scheme for Sobol' indices: ``samples * (D + 2)`` points, or
            ``samples * (2 D + 2)`` with ``second_order``), ``morris`` (``samples`` trajectories
            of ``D + 1`` points on a ``levels`` grid), or ``csv`` (points read from ``path``).
        samples: sample size (sampled kinds).
        path: CSV file, relative to the sweep file; one column per factor key, one row per point.
        levels: Morris grid levels.
        second_order: also compute second-order Sobol' indices (``sobol``).
        levers: ``cross`` (default, EMA style: every lever combination, a full factorial of the
            levers, is run against the same sample of uncertainties) or ``joint`` (levers are
            sampled with the uncertainties as extra dimensions).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["full_factorial", "latin_hypercube", "sobol_sequence", "sobol", "morris", "csv"] = (
        "full_factorial"
    )
    samples: int | None = Field(default=None, ge=1)
    path: str | None = None
    levels: int = Field(default=4, ge=2)
    second_order: bool = False
    levers: Literal["cross", "joint"] = "cross"

    @model_validator(mode="after")
    def _check(self) -> DesignSpec:
        if self.kind in SAMPLED_KINDS and self.samples is None:
            raise ValueError(f"design kind {self.kind!r} needs `samples`")
        if self.kind == "csv" and not self.path:
            raise ValueError("design kind 'csv' needs `path`")
        if self.kind != "csv" and self.path:
            raise ValueError("`path` applies to design kind 'csv' only")
        return self


class SweepSpec(BaseModel):
    """A sweep file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    model: str = "sim"
    base: str
    fixed: dict[str, Any] = Field(default_factory=dict)
    levers: list[Factor] = Field(default_factory=list)
    uncertainties: list[Factor] = Field(default_factory=list)
    design: DesignSpec = Field(default_factory=DesignSpec)
    replicates: int = Field(default=1, ge=1)
    seed: int | None = Field(
        default=None, ge=0,
        description="Root seed of every run (common random numbers across design points); "
        "default: the base scenario's seed (the rule everywhere: the scenario's seed unless "
        "one is given).",
    )
    outcomes: list[str] | None = None
    nights_table: bool = False
    max_runs: int = Field(default=20_000, ge=1)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        if self.name is not None:  # names the default results folder, results/NAME
            n = self.name
            if (any(c in '/\\:*?"<>|' or ord(c) < 32 for c in n) or n.strip() in ("", ".", "..")
                    or n.startswith(".") or len(n.encode("utf-8")) > 150):
                raise ValueError(f"name {n!r} cannot name a results folder (results/NAME): use "
                                 "letters, digits, '-', '_' and '.' (at most 150 bytes), not "
                                 "starting with a dot")
        seen: set[str] = set()
        for group, factors in (("levers", self.levers), ("uncertainties", self.uncertainties)):
            for i, f in enumerate(factors):
                if f.key in seen:
                    raise ValueError(f"{group}[{i}]: key {f.key!r} is declared twice")
                seen.add(f.key)
                if f.key in self.fixed:
                    raise ValueError(f"{group}[{i}]: key {f.key!r} is also in `fixed`")
                if f.kind == "free" and self.design.kind != "csv":
                    raise ValueError(f"{group}[{i}] ({f.key}): needs `values` or `low`/`high`")
        for k in self.fixed:
            if not re.match(KEY_PATTERN, k):
                raise ValueError(f"fixed: {k!r} is not a key path")
        if self.outcomes is not None and len(self.outcomes) == 0:
            raise ValueError("outcomes: empty list (omit it to keep every outcome)")
        return self

    @property
    def factors(self) -> list[Factor]:
        """Levers then uncertainties, in declaration order."""
        return [*self.levers, *self.uncertainties]


def _format_validation_error(err: ValidationError, where: str) -> str:
    lines = []
    for e in err.errors():
        loc = ""
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        msg = e["msg"].removeprefix("Value error, ")
        if e.get("type") == "extra_forbidden" and e["loc"]:
            keys = schema_keys_at(SweepSpec, e["loc"][:-1]) or []
            msg = "unknown key" + (_did_you_mean(e["loc"][-1], keys)
                                   or " (not part of the sweep file schema; check the spelling)")
        lines.append(f"{where}: {loc or '(top level)'}: {msg}")
    return "\n".join(lines)


def resolve_base(base: str, base_dir: Path, where: str) -> tuple[Path, str | None]:
    """The base scenario a sweep file names, and a note when it was not where the file says.

    A relative ``base`` is taken from the sweep file's folder; when it is not there (a sweep
    file copied elsewhere, e.g. ``base: ../scenarios/nl-200m.yaml``), the scenario of the same
    name shipped with the package (``sim/data/scenarios``) is used, and the note says so.

    Raises:
        SweepSpecError: not found; the message lists every place tried.
    """
    given = Path(base).expanduser()
    first = (given if given.is_absolute() else base_dir / given).resolve()
    tried = [first]
    if first.is_file():
        return first, None
    if first.exists():  # a folder, a FIFO, a device: refused, never opened
        from sim.config.files import check_regular_file

        try:
            check_regular_file(first, 1_000_000, "YAML file", SweepSpecError)
        except SweepSpecError as exc:
            raise SweepSpecError(f"{where}: base: {exc}") from None
    if not given.is_absolute():
        from sim.config.data import packaged_path

        shipped = packaged_path(f"scenarios/{given.name}")
        tried.append(shipped)
        if shipped.is_file():
            return shipped.resolve(), (
                f"{where}: base {base!r} is not at {first}; using the scenario of that name "
                f"shipped with the package ({shipped})"
            )
    raise SweepSpecError(
        f"{where}: base: scenario file not found: {base!r}; tried "
        + " and ".join(str(t) for t in tried)
        + ". A relative base is read from the sweep file's folder: copy the scenario next to "
        "the sweep file, or give its absolute path"
    )


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class LoadedSweep:
    """A validated sweep with its resolved paths, hashes and fixed overrides.

    Attributes:
        spec: the validated :class:`SweepSpec`.
        path: absolute path of the sweep file (``None`` for a spec built in memory).
        base_path: absolute path of the base scenario.
        fixed: constant overrides (the file's ``fixed`` plus command-line ``--set``).
        file_sha256: hash of the sweep file's bytes.
        base_sha256: hash of the base scenario file's bytes.
        csv_path, csv_sha256: the CSV design file, if any.
    """

    spec: SweepSpec
    path: Path | None
    base_path: Path
    fixed: dict[str, Any] = field(default_factory=dict)
    file_sha256: str | None = None
    base_sha256: str | None = None
    csv_path: Path | None = None
    csv_sha256: str | None = None
    display: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.spec.name:
            return self.spec.name
        return self.path.stem if self.path else "sweep"

    @property
    def where(self) -> str:
        """The sweep file as the user named it (for messages)."""
        return self.display or (str(self.path) if self.path else "<sweep>")

    def identity(self) -> str:
        """Hash of everything that decides the results of this sweep.

        The spec (less ``name``, ``description`` and ``max_runs``), the base scenario's bytes,
        the CSV design's bytes and the fixed overrides. A results folder written under another
        identity is refused (unless ``--force``).
        """
        payload = {
            "spec": self.spec.model_dump(
                mode="json", exclude={"name", "description", "max_runs", "base", "fixed"}
            ),
            "base_sha256": self.base_sha256,
            "csv_sha256": self.csv_sha256,
            "fixed": {k: self.fixed[k] for k in sorted(self.fixed)},
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able record of this sweep (stored in the results folder as ``spec.json``)."""
        return {
            "spec": self.spec.model_dump(mode="json"),
            "path": str(self.path) if self.path else None,
            "base_path": str(self.base_path),
            "fixed": self.fixed,
            "file_sha256": self.file_sha256,
            "base_sha256": self.base_sha256,
            "csv_path": str(self.csv_path) if self.csv_path else None,
            "csv_sha256": self.csv_sha256,
            "identity": self.identity(),
        }


def spec_from_data(
    data: Any,
    where: str,
    base_dir: Path,
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    file_sha: str | None = None,
) -> LoadedSweep:
    """Validate a parsed sweep mapping and resolve its files.

    Args:
        data: the parsed YAML (a mapping).
        where: name used in error messages (the file name).
        base_dir: directory that ``base`` and ``design.path`` are relative to.
        path: the sweep file, if any.
        overrides: extra fixed overrides (``--set``); they win over the file's ``fixed``.
        file_sha: hash of the sweep file's bytes.
    """
    if not isinstance(data, dict):
        raise SweepSpecError(f"{where}: expected a mapping at the top level")
    if file_kind(data) == "scenario":
        raise SweepSpecError(
            f"{where}: this is a scenario file, not a sweep file (a sweep names a `base` "
            f"scenario and the factors to vary; see docs/sweeps.md); run it with "
            f"`python -m sim run {where}`"
        )
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        raise SweepSpecError(_format_validation_error(err, where)) from None
    base_path, note = resolve_base(spec.base, base_dir, where)
    if spec.seed is None:  # the base scenario's seed, through the scenarios it starts from
        from sim.config.errors import SimInputError
        from sim.experiments.sweep.model import resolve_model, scenario_seed

        try:
            seed = scenario_seed(base_path, resolve_model(spec.model))
        except SimInputError as exc:
            raise SweepSpecError(f"{where}: base {spec.base}: {exc}") from None
        spec = spec.model_copy(update={"seed": seed})
    fixed = dict(spec.fixed)
    factor_keys = {f.key for f in spec.factors}
    for k, v in (overrides or {}).items():
        if k in factor_keys:
            raise SweepSpecError(f"{where}: --set {k}: this key is a factor of the sweep")
        fixed[k] = v
    csv_path = csv_sha = None
    if spec.design.kind == "csv":
        csv_path = (base_dir / (spec.design.path or "")).resolve()
        from sim.config.files import check_regular_file

        try:
            check_regular_file(csv_path, 200_000_000, "CSV design", SweepSpecError)
        except SweepSpecError as exc:
            raise SweepSpecError(f"{where}: design.path: {exc}") from None
        csv_sha = sha256_file(csv_path)
    return LoadedSweep(
        spec=spec,
        path=path,
        base_path=base_path,
        fixed=fixed,
        file_sha256=file_sha,
        base_sha256=sha256_file(base_path),
        csv_path=csv_path,
        csv_sha256=csv_sha,
        display=where,
        notes=[note] if note else [],
    )


def load_sweep(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedSweep:
    """Load and validate a sweep file.

    Args:
        path: the sweep YAML file.
        overrides: constant scenario overrides added to the file's ``fixed`` (``--set``).

    Raises:
        SweepSpecError: missing file, bad YAML or a schema violation (file, key path, reason).
    """
    p = Path(path)
    data = read_yaml_file(p, error=SweepSpecError)
    raw = p.read_bytes()
    return spec_from_data(
        data,
        str(p),
        p.resolve().parent,
        path=p.resolve(),
        overrides=overrides,
        file_sha=hashlib.sha256(raw).hexdigest(),
    )
