"""What scenario discovery finds: boxes (a range or a set of values on a few inputs), their
coverage, density and mass, and how they are written and printed."""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd


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
        return (f"{self.name}: [{format_bound(self.low)}, {format_bound(self.high)}] "
                f"(full range [{format_bound(self.full_low)}, {format_bound(self.full_high)}])")

    def condition(self) -> str:
        """The restriction in words: ``above a``, ``below b``, ``between a and b`` or
        ``one of {...}``."""
        if self.kind == "set":
            return f"one of {_fmt_set(self.values)}"
        if self.low_restricted and self.high_restricted:
            return f"between {format_bound(self.low)} and {format_bound(self.high)}"
        if self.low_restricted:
            return f"above {format_bound(self.low)}"
        return f"below {format_bound(self.high)}"

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
        return f"{self.outcome} {'<' if self.direction == 'below' else '>'} {format_bound(self.value)}"

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
def format_bound(v: Any) -> str:
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
            threshold = format_bound(res.options.get("threshold"))
            lines.append(f"  (its density is below the threshold {threshold}: a weak box)")
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
