"""What a fit run at every origin of the rolling-origin validation is: a named function from
what it may see (the record cut at the origin, the scenario so far) to scenario overrides.

The fitters themselves live with their fits (:func:`sim.calibration.rolling_origin_fitters.
threat_fitter`, :func:`~sim.calibration.tactics_fit.tactics_fitter`, ...); the validation
(:mod:`sim.calibration.rolling_origin`) runs them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.calibration.record import Record

FULL = "full"
"""The variant with every mechanism on (the others switch one off)."""

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class FitContext:
    """What a fitter sees.

    Attributes:
        record: the record cut after ``origin`` (nothing later).
        origin: the last month that may be used (``YYYY-MM``).
        scenario: the scenario so far (base, mechanism switches, earlier fitters' overrides).
        workdir: a folder for files the overrides point at (e.g. a fitted profile JSON).
        seed: root seed for any simulation a fit runs (never the forecast seed).
        variant: ``"full"`` or the name of the mechanism switched off.
        executor: optional executor for replicates.
        progress: optional callable receiving progress lines.
    """

    record: Record
    origin: str
    scenario: Any
    workdir: Path
    seed: int
    variant: str = FULL
    executor: Executor | None = None
    progress: Progress = None


@dataclass
class FitResult:
    """What a fitter returns: scenario overrides and what to report about the fit."""

    overrides: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Fitter:
    """A named fit run at every origin.

    Attributes:
        name: identifier in the outputs.
        fit: ``fit(ctx) -> FitResult`` (or a plain dict of overrides).
        uses_scenario: False if the fit reads only the record (then it is run once per origin
            and reused by every ablation variant).
    """

    name: str
    fit: Callable[[FitContext], FitResult | dict[str, Any]]
    uses_scenario: bool = True


def as_fit_result(r: FitResult | Mapping[str, Any]) -> FitResult:
    """A fitter's return value as a :class:`FitResult` (a plain dict is its overrides)."""
    if isinstance(r, FitResult):
        return r
    if isinstance(r, Mapping):
        return FitResult(dict(r))
    raise TypeError("a fitter must return a FitResult or a dict of overrides")
