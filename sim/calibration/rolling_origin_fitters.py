"""The fitters the rolling-origin validation runs at each origin, in order.

Each is a :class:`~sim.calibration.fitters.Fitter` (what it may see: the record cut at the
origin and the scenario so far; what it returns: scenario overrides): :func:`threat_fitter`
(the launch profile refitted on the twelve months up to the origin, written to a JSON file the
scenario points at), :func:`missile_fitter` (the missile profile refitted on the raw record),
:func:`defense_fitter` (the defence parameters of :mod:`sim.calibration.defense_fit` refitted on
the scenario's months up to the origin), then the tactics fitter of
:mod:`sim.calibration.tactics_fit`; :func:`default_fitters` lists them and :func:`fixed_fitter`
stands in with known values. The validation itself is :mod:`sim.calibration.rolling_origin`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.defense_fit import (
    DEFAULT_PARAMETERS,
    FitParameter,
    fit_defense,
    parameter_overrides,
)
from sim.calibration.fitters import FitContext, FitResult, Fitter
from sim.calibration.simulate import months_between
from sim.calibration.tactics_fit import tactics_fitter
from sim.calibration.threat_fit import TREND_FROM, fit_profile_until, write_threat_profile
from sim.config.errors import SimInputError


def threat_fitter(trend_from: str = TREND_FROM) -> Fitter:
    """The launch profile refitted on the twelve months up to the origin.

    The profile is written to ``<workdir>/threat_profile_<origin>.json`` and the scenario
    points at it (``threat.launches.profile = fitted``, ``profile_file``); the scenario's own
    ``apply_trend`` decides whether the refitted trend is followed into the forecast months.
    """

    def fit(ctx: FitContext) -> FitResult:
        nights = ctx.record.require_nights("the threat fit")
        prof = fit_profile_until(nights, ctx.origin, trend_from=trend_from)
        path = ctx.workdir / f"threat_profile_{ctx.origin}.json"
        write_threat_profile(prof, path)
        return FitResult(
            overrides={"threat.launches.profile": "fitted",
                       "threat.launches.profile_file": str(path)},
            info={"fit_from": prof["fit_from"], "fit_to": prof["fit_to"],
                  "trend_per_year": prof["trend_per_year"],
                  "reference_date": prof["reference_date"],
                  "profile_file": path.name},
        )

    return Fitter("threat", fit, uses_scenario=False)


def defense_fitter(parameters: Sequence[FitParameter] = DEFAULT_PARAMETERS, *,
                   replicates: int = 4, maxfev: int = 80, first_month: str | None = None
                   ) -> Fitter:
    """The defence parameters refitted on the scenario's months up to the origin.

    Fit months: from ``first_month`` (default: the scenario's first month) to the origin, those
    the record has. Uses :func:`sim.calibration.defense_fit.fit_defense` (least squares on the
    monthly neutralisation rate and EW share, common random numbers); the Monte Carlo and
    bootstrap uncertainty parts are skipped here (they do not change the estimate).
    """
    parameters = tuple(parameters)

    def fit(ctx: FitContext) -> FitResult:
        first = first_month or f"{ctx.scenario.period.start_date:%Y-%m}"
        months = [m for m in months_between(first, ctx.origin) if m in set(ctx.record.months)]
        if len(months) < 1:
            raise SimInputError(f"origin {ctx.origin}: no record months from {first} to fit "
                                f"the defence parameters")
        res = fit_defense(ctx.scenario, ctx.record.monthly, months, parameters,
                          seed=ctx.seed, replicates=replicates, maxfev=maxfev, seed_sets=0,
                          bootstrap=0, executor=ctx.executor)
        theta = [p["estimate"] for p in res["parameters"]]
        return FitResult(
            overrides=parameter_overrides(parameters, theta),
            info={"fit_months": f"{months[0]}..{months[-1]}",
                  **{p["name"]: p["estimate"] for p in res["parameters"]},
                  **{f"{p['name']}_se": p["se_curvature"] for p in res["parameters"]},
                  "rate_mae_pp": float(np.mean([abs(x["residual_rate_pp"])
                                                for x in res["monthly_fit"]])),
                  "evaluations": res["evaluations_total"]},
        )

    return Fitter("defense", fit)


def missile_fitter(record_csv: str | Path) -> Fitter:
    """The missile profile refitted on the raw record up to the end of the origin month
    (:func:`sim.calibration.missile_fit.calibrate_missiles` with ``fit_to``); the scenario
    points at it and flies missiles. Needs the raw record (the classes Kh-22 and Kh-59 are not
    in the shipped nightly table)."""

    def fit(ctx: FitContext) -> FitResult:
        from sim.calibration.missile_fit import calibrate_missiles

        if ctx.variant == "missiles":
            return FitResult({}, {"skipped": "mechanism off"})
        end = pd.Period(ctx.origin, freq="M").end_time.date().isoformat()
        path = ctx.workdir / f"missile_profile_{ctx.origin}.json"
        prof = calibrate_missiles(record_csv, path, fit_to=end)
        return FitResult(
            overrides={"threat.missiles.enabled": True, "threat.missiles.profile": "fitted",
                       "threat.missiles.profile_file": str(path)},
            info={"fit_to": end, "profile_file": path.name,
                  "fit_from": prof.get("fit_from", "")})

    return Fitter("missiles", fit, uses_scenario=False)


def default_fitters(*, replicates: int = 4, maxfev: int = 80,
                    record_csv: str | Path | None = None) -> list[Fitter]:
    """The fitters, in order: threat profile, missiles (with the raw record), defence
    parameters, then tactics (the share of drones flying high, and decoys, month by month:
    :mod:`sim.calibration.tactics_fit`)."""
    out = [threat_fitter()]
    if record_csv is not None:
        out.append(missile_fitter(record_csv))
    out += [defense_fitter(replicates=replicates, maxfev=maxfev),
            tactics_fitter(replicates=max(1, replicates // 2))]
    return out


def fixed_fitter(name: str, overrides: Mapping[str, Any]) -> Fitter:
    """A 'fitter' that returns fixed overrides (known parameters, or a deliberately wrong one)."""
    ov = dict(overrides)
    return Fitter(name, lambda ctx: FitResult(dict(ov), {"fixed": True}), uses_scenario=False)
