"""Small stand-in models for testing and demonstrating the sweep machinery.

They follow the same contract as the real model (see :mod:`sim.sweep.model`): a scenario is a
nested dict read from YAML, overrides use dotted key paths (unknown paths raise a
:class:`~sim.errors.SimInputError`), and a run is a pure function of ``(scenario, seed,
replicate)`` with its randomness from ``SeedSequence([seed, replicate])``.

* :data:`TOY` (``model: "sim.sweep.toy:TOY"``): an analytic caricature of a winter of attacks
  with per-night noise; its outcomes respond to budget, ``pk``, intensity and decoy share with
  known signs. ``toy.delay_s`` in the scenario makes every run sleep (to test interruption).
* :data:`ISHIGAMI` (``model: "sim.sweep.toy:ISHIGAMI"``): the Ishigami function of ``x1, x2,
  x3`` (``a = 7``, ``b = 0.1``), whose Sobol' indices are known analytically.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.errors import ScenarioError
from sim.sweep.model import ModelAdapter


@dataclass
class ToyOutput:
    """Output of a toy run: scalar outcomes and a per-night table."""

    outcomes: dict[str, float]
    nights: pd.DataFrame = field(default_factory=pd.DataFrame)


def toy_load(path: str) -> dict:
    """Load a toy scenario (a YAML mapping)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read toy scenario: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a toy scenario must be a mapping")
    return data


def toy_override(scenario: dict, overrides: dict) -> dict:
    """Copy of ``scenario`` with dotted-key overrides; values of numeric keys must be numbers.

    Raises:
        ScenarioError: unknown key path or a value of the wrong type.
    """
    out = copy.deepcopy(scenario)
    for key, value in overrides.items():
        parts = key.split(".")
        node = out
        for i, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError(f"override {key}: unknown key path (no {'.'.join(parts[: i + 1])!r})")
            if i < len(parts) - 1:
                node = node[part]
        old = node[parts[-1]]
        if isinstance(value, str) and not isinstance(old, str):
            value = yaml.safe_load(value)
        if isinstance(old, (int, float)) and not isinstance(old, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScenarioError(f"override {key}: expected a number, got {value!r}")
            if isinstance(old, int) and isinstance(value, float) and not value.is_integer():
                raise ScenarioError(f"override {key}: expected an integer, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ScenarioError(f"override {key}: expected a finite number >= 0, got {value!r}")
        elif isinstance(old, str) and not isinstance(value, str):
            raise ScenarioError(f"override {key}: expected a string, got {value!r}")
        node[parts[-1]] = value
    return out


def toy_get(scenario: dict, key: str):
    node = scenario
    for part in key.split("."):
        node = node[part]
    return node


def toy_run(scenario: dict, seed: int, replicate: int = 0) -> ToyOutput:
    """A winter of the toy model (common random numbers: the draws do not depend on inputs)."""
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, replicate])))
    nights = int(scenario["period"]["nights"])
    d = scenario["defense"]
    t = scenario["threat"]
    budget = float(d["budget_eur"])
    pk = float(d["interceptor"]["pk"])
    unit_cost = float(d["costs"]["interceptor_unit_cost_eur"])
    per_month = float(d["delivery"]["interceptors_per_month"])
    intensity = float(t["launches"]["intensity_multiplier"])
    decoys = float(t["decoy_share"])
    delay = float(scenario.get("toy", {}).get("delay_s", 0.0))
    u = rng.random((nights, 3))
    launched = np.floor(40.0 * intensity * (0.5 + u[:, 0])).astype(int)
    affordable = budget / max(unit_cost, 1.0)
    delivered = per_month * max(nights, 1) / 30.0
    coverage = (1.0 - math.exp(-affordable / 60_000.0)) * (1.0 - math.exp(-delivered / 1500.0))
    p_kill = pk * coverage * (0.9 + 0.2 * u[:, 1])
    destroyed = np.minimum(launched, np.floor(launched * np.clip(p_kill, 0, 1))).astype(int)
    leaked = launched - destroyed
    hits = np.floor(leaked * (1.0 - decoys) * 0.3 * (0.5 + u[:, 2])).astype(int)
    served = np.clip(1.0 - hits / 200.0, 0.0, 1.0)
    if delay > 0:
        time.sleep(delay)
    n_launched = int(launched.sum())
    n_destroyed = int(destroyed.sum())
    interceptors = float(n_destroyed) / max(pk, 1e-9)
    outcomes = {
        "launched": float(n_launched),
        "destroyed": float(n_destroyed),
        "leaked": float(leaked.sum()),
        "interception_rate": n_destroyed / n_launched if n_launched else 0.0,
        "interceptors_launched": interceptors,
        "programme_cost_eur": budget,
        "cost_exchange_ratio": (n_destroyed * 35000.0) / (interceptors * unit_cost) if interceptors else 0.0,
        "hits_on_sites": float(hits.sum()),
        "demand_served_fraction": float(served.mean()) if nights else 1.0,
        "energy_not_served_mwh": float((1.0 - served).sum() * 1000.0),
    }
    table = pd.DataFrame(
        {
            "night": np.arange(nights, dtype=np.int64),
            "launched": launched,
            "destroyed": destroyed,
            "leaked": leaked,
            "hits_on_sites": hits,
            "demand_served_fraction": served,
        }
    )
    return ToyOutput(outcomes, table)


def ishigami_run(scenario: dict, seed: int, replicate: int = 0) -> ToyOutput:
    """The Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` (deterministic)."""
    x1, x2, x3 = (float(scenario["x"][k]) for k in ("x1", "x2", "x3"))
    a, b = float(scenario.get("a", 7.0)), float(scenario.get("b", 0.1))
    y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)
    return ToyOutput({"y": y, "y_abs": abs(y)})


def ishigami_override(scenario: dict, overrides: dict) -> dict:
    """Like :func:`toy_override` but allows negative values (the inputs span [-pi, pi])."""
    out = copy.deepcopy(scenario)
    for key, value in overrides.items():
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError(f"override {key}: unknown key path (no {'.'.join(parts[: i + 1])!r})")
            if i < len(parts) - 1:
                node = node[part]
        node[parts[-1]] = float(yaml.safe_load(value) if isinstance(value, str) else value)
    return out


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, dict[str, float]]:
    """Analytic first-order and total Sobol' indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {
        "S1": {"x.x1": v1 / v, "x.x2": v2 / v, "x.x3": 0.0},
        "ST": {"x.x1": (v1 + v13) / v, "x.x2": v2 / v, "x.x3": v13 / v},
    }


#: The toy winter model.
TOY = ModelAdapter(name="toy", run=toy_run, load=toy_load, override=toy_override, get=toy_get)
#: The Ishigami test function.
ISHIGAMI = ModelAdapter(
    name="ishigami", run=ishigami_run, load=toy_load, override=ishigami_override, get=toy_get
)

#: A toy scenario (write it to a YAML file to use it as a sweep's base).
TOY_SCENARIO = {
    "period": {"nights": 30},
    "defense": {
        "budget_eur": 200_000_000.0,
        "interceptor": {"pk": 0.7},
        "costs": {"interceptor_unit_cost_eur": 5000.0},
        "delivery": {"interceptors_per_month": 2000},
        "basing": {"policy": "central"},
    },
    "threat": {"launches": {"intensity_multiplier": 1.0}, "decoy_share": 0.3},
    "toy": {"delay_s": 0.0},
}
ISHIGAMI_SCENARIO = {"x": {"x1": 0.0, "x2": 0.0, "x3": 0.0}, "a": 7.0, "b": 0.1}


def write_toy_sweep(folder: str | Path, name: str = "toy", scenario: dict | None = None, **spec) -> Path:
    """Write a toy base scenario and a sweep file into ``folder``; return the sweep file.

    ``spec`` entries override the defaults of the sweep mapping (model ``TOY``, one budget
    lever with four levels, an LHS of 10 over ``pk``, 3 replicates, seed 5). The toy scenario is
    :data:`TOY_SCENARIO` updated with ``scenario`` (dotted keys allowed).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = toy_override(TOY_SCENARIO, scenario or {})
    (folder / f"{name}-scenario.yaml").write_text(yaml.safe_dump(base, sort_keys=False))
    data = {
        "name": name,
        "model": "sim.sweep.toy:TOY",
        "base": f"{name}-scenario.yaml",
        "levers": [{"key": "defense.budget_eur", "values": [0.0, 1e8, 2e8, 4e8]}],
        "uncertainties": [{"key": "defense.interceptor.pk", "low": 0.4, "high": 0.9}],
        "design": {"kind": "latin_hypercube", "samples": 10},
        "replicates": 3,
        "seed": 5,
    }
    data.update(spec)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
