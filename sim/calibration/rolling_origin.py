"""Rolling-origin validation: fit on the record up to an origin, forecast the months after it.

For each origin month *o* (default Mar 2025 and Jun 2025):

1. The record is cut after *o* (:meth:`sim.calibration.record.Record.until`): nothing later is
   visible to any fit.
2. The **fitters** run in order. Each gets the cut record, the scenario with the overrides of
   the fitters before it, and a folder for files, and returns scenario overrides (key path ->
   value). Built in (:mod:`sim.calibration.rolling_origin_fitters`): the launch profile
   refitted on the twelve months up to *o* (written to a JSON file the scenario points at with
   ``threat.launches.profile_file``), the missile profile (with the raw record), the defence
   parameters of :mod:`sim.calibration.defense_fit` refitted on the scenario's months up to
   *o*, and the tactics timeline (:mod:`sim.calibration.tactics_fit`).
3. The fitted scenario is simulated (``replicates`` runs, a seed the fits never used) and each
   month after *o*, up to ``horizon`` months and the end of the record, is compared with the
   record: the neutralised share ((destroyed + not_reach_goal) / launched in the record,
   (destroyed + lost to EW) / launched in the model; comparable across the Aug 2025 definition
   change) in percentage points and launches in %, for drones, and for missiles by class when
   the model writes ``missiles_launched_<class>`` / ``missiles_destroyed_<class>`` nightly
   columns and the record has that class (:mod:`sim.calibration.forecast_scoring`).
4. **Ablations.** For each named mechanism (``{name: overrides that switch it off}``) the same
   is done with the mechanism off: with ``refit_ablations`` (default) the fitters run again
   on the scenario without it, so each variant is the model as it would be calibrated without
   the mechanism. All variants use the same seeds and replicate numbers (common random numbers).
   A mechanism whose key paths the scenario schema does not know is skipped, and the result
   says so.

Outputs (:class:`RollingOriginResult`): a tidy ``forecasts`` table (variant, origin, month,
horizon, quantity, observed, simulated mean and 5-95 % over replicates, error), a ``summary``
(mean absolute error per variant and quantity, against the targets: neutralised share within
3 points on average, launches within 15 % on average) and an ``ablation`` table (mean absolute
error with the full model and with each mechanism off, and how much of the error the mechanism
closes). Nothing is tuned to the forecast months: errors are reported as they come.

This module holds the run, its sizes (:class:`Settings`), its result file and the mechanisms
of the ablation (which key paths the scenario schema knows); the fitters are in
:mod:`sim.calibration.rolling_origin_fitters`, the comparison with the record and the summary
and ablation tables in :mod:`sim.calibration.forecast_scoring`.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import time
import types
import typing
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.air_force_file import MISSILE_CLASS_NAMES, missile_column
from sim.calibration.fitters import FULL, FitContext, FitResult, Fitter, Progress, as_fit_result
from sim.calibration.forecast_scoring import TARGETS, ablation_table, compare, error_summary
from sim.calibration.record import Record
from sim.calibration.rolling_origin_fitters import default_fitters
from sim.calibration.simulate import months_between, simulate_months, window
from sim.config.data import packaged_path
from sim.config.errors import DataFileError, SimInputError
from sim.config.files import read_json_object
from sim.config.io import with_overrides

DEFAULT_RESULT_PATH = packaged_path("rolling_origin.json")
ORIGINS = ("2025-03", "2025-06")
HORIZON = 6
RESULT_FORMAT = 1

# Mechanisms switched off in the ablation, by the overrides that switch them off. Keys the
# scenario schema does not know (yet) are skipped with a note, so the list can name mechanisms
# that other parts of the model are still adding:
#   missiles        threat.missiles (cruise and ballistic missiles as a threat)
#   national_force  defense.national_force (the national interceptor-drone force)
#   tactics         the monthly tactics timeline (key path to be confirmed on integration)
#   launch_trend    the fitted growth trend of launches (exists today)
DEFAULT_MECHANISMS: dict[str, dict[str, Any]] = {
    "missiles": {"threat.missiles.enabled": False},
    "national_force": {"defense.national_force.model": "fixed"},
    "tactics": {"threat.tactics.timeline": {}},
    "launch_trend": {"threat.launches.apply_trend": False},
}

# --------------------------------------------------------------------------------------------
# Mechanisms
# --------------------------------------------------------------------------------------------


def _children(ann) -> list:
    """What a key below a field of type ``ann`` can be: models, ("dict", value type), leaves."""
    origin = typing.get_origin(ann)
    if origin is dict:
        return [("dict", typing.get_args(ann)[1])]
    if origin in (typing.Union, types.UnionType):
        return [c for a in typing.get_args(ann) for c in _children(a)]
    return [ann]


def schema_knows(key_path: str) -> bool:
    """Whether the scenario schema has the key path (free-form mapping keys accepted)."""
    from pydantic import BaseModel

    from sim.config.schema import Scenario

    candidates: list = [Scenario]
    for part in key_path.split("."):
        nxt: list = []
        for c in candidates:
            if isinstance(c, tuple) and c[0] == "dict":
                nxt.extend(_children(c[1]))
            elif isinstance(c, type) and issubclass(c, BaseModel):
                if part in c.model_fields:
                    nxt.extend(_children(c.model_fields[part].annotation))
        if not nxt:
            return False
        candidates = nxt
    return True


def split_mechanisms(mechanisms: Mapping[str, Mapping[str, Any]]
                     ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(mechanisms whose keys the schema knows, {skipped name: reason})."""
    used: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    for name, ov in mechanisms.items():
        if name == FULL:
            raise SimInputError(f"mechanism name '{FULL}' is reserved for the full model")
        unknown = [k for k in ov if not schema_knows(k)]
        if unknown:
            skipped[name] = (f"the scenario schema has no {', '.join(unknown)} yet (mechanism "
                             f"not in this model)")
        else:
            used[name] = dict(ov)
    return used, skipped


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Sizes of a rolling-origin run.

    Attributes:
        origins: last months of the fits (``YYYY-MM``).
        horizon: months forecast after each origin (cut at the end of the record).
        replicates: forecast runs per variant and origin.
        fit_replicates, fit_maxfev: sizes of the defence fit (see
            :func:`~sim.calibration.rolling_origin_fitters.defense_fitter`).
        refit_ablations: refit with each mechanism off (else reuse the full model's fit).
        warm_start: simulate from the scenario's start date (state carried into the forecast
            months) rather than from the first forecast month.
        seed_offset: the forecast seed is the scenario seed + this (the fits use the seed).
    """

    origins: tuple[str, ...] = ORIGINS
    horizon: int = HORIZON
    replicates: int = 20
    fit_replicates: int = 4
    fit_maxfev: int = 80
    refit_ablations: bool = True
    warm_start: bool = True
    seed_offset: int = 100

    @classmethod
    def quick(cls, **kw) -> Settings:
        """CI-sized: 4 forecast replicates, 1 per fit trial point, a short search (numbers
        are rough; for checking that the machinery runs)."""
        base = {"replicates": 4, "fit_replicates": 1, "fit_maxfev": 15}
        base.update(kw)
        return cls(**base)


@dataclass
class RollingOriginResult:
    """The tables of a rolling-origin run (see the module docstring) and how it was made."""

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    ablation: pd.DataFrame
    fits: pd.DataFrame
    meta: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.meta,
                "forecasts": self.forecasts.to_dict("records"),
                "summary": self.summary.to_dict("records"),
                "ablation": self.ablation.to_dict("records"),
                "fits": self.fits.to_dict("records")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "rolling-origin results"
                  ) -> RollingOriginResult:
        missing = [k for k in ("forecasts", "summary", "ablation", "fits", "settings")
                   if k not in d]
        if missing:
            raise DataFileError(f"{where}: missing key(s) {', '.join(missing)}")
        meta = {k: v for k, v in d.items()
                if k not in ("forecasts", "summary", "ablation", "fits")}
        return cls(pd.DataFrame(d["forecasts"]), pd.DataFrame(d["summary"]),
                   pd.DataFrame(d["ablation"]), pd.DataFrame(d["fits"]), meta)

    def full(self) -> pd.DataFrame:
        """The forecasts of the full model."""
        return self.forecasts[self.forecasts["variant"] == FULL].reset_index(drop=True)


def write_result(result: RollingOriginResult, path: str | Path) -> None:
    """Write the result as JSON (floats to 6 significant digits, NaN as null), atomically."""
    from sim.calibration.defense_fit import write_calibration

    write_calibration(result.to_dict(), path)


def load_result(path: str | Path) -> RollingOriginResult:
    """Read a result written by :func:`write_result`.

    Raises:
        DataFileError: missing or unreadable file, or missing keys.
    """
    p = Path(path)
    d = read_json_object(p, what="rolling-origin result")
    return RollingOriginResult.from_dict(d, str(p))


def parse_month(text: Any, what: str = "month") -> str:
    """``YYYY-MM`` checked (pandas alone would read "March" as year 1)."""
    t = str(text).strip()
    if not re.fullmatch(r"\d{4}-\d{2}", t):
        raise SimInputError(f"{what} {text!r}: not a month YYYY-MM")
    try:
        return str(pd.Period(t, freq="M"))
    except (ValueError, TypeError):
        raise SimInputError(f"{what} {text!r}: not a month YYYY-MM") from None


def _check_origins(record: Record, scenario, origins: Sequence[str]) -> list[str]:
    out = []
    start = f"{scenario.period.start_date:%Y-%m}"
    for o in origins:
        p = parse_month(o, "origin")
        if p < start:
            raise SimInputError(f"origin {p}: before the scenario's first month {start}")
        if p >= record.last_month:
            raise SimInputError(f"origin {p}: the record ends {record.last_month}; nothing "
                                f"left to forecast")
        out.append(p)
    if len(set(out)) != len(out):
        raise SimInputError("origins: each month once")
    return sorted(out)


def run_rolling_origin(
    record: Record,
    scenario,
    *,
    fitters: Sequence[Fitter] | None = None,
    mechanisms: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Settings | None = None,
    workdir: str | Path | None = None,
    executor: Executor | None = None,
    progress: Progress = None,
) -> RollingOriginResult:
    """Fit at each origin, forecast the months after it, with and without each mechanism.

    Args:
        record: the whole record (it is cut at each origin before any fit).
        scenario: the base scenario (e.g. ``scenarios/ukraine-posture-2024.yaml``); its period
            start is where the defence fit and (with ``warm_start``) the simulation begin.
        fitters: run in order at each origin (default
            :func:`~sim.calibration.rolling_origin_fitters.default_fitters`).
        mechanisms: ``{name: overrides that switch it off}`` (default
            :data:`DEFAULT_MECHANISMS`); names whose keys the schema lacks are skipped.
        settings: sizes (default :class:`Settings`).
        workdir: folder for the fitters' files (default a temporary folder, removed after).
        executor: optional executor for replicates.
        progress: optional callable receiving progress lines.

    Returns:
        A :class:`RollingOriginResult`.
    """
    settings = settings or Settings()
    if settings.replicates < 1 or settings.horizon < 1:
        raise SimInputError("replicates and horizon must be >= 1")
    say = progress or (lambda _m: None)
    fitters = list(default_fitters(replicates=settings.fit_replicates,
                                   maxfev=settings.fit_maxfev) if fitters is None else fitters)
    used, skipped = split_mechanisms(DEFAULT_MECHANISMS if mechanisms is None else mechanisms)
    for name, why in skipped.items():
        say(f"mechanism '{name}' skipped: {why}")
    origins = _check_origins(record, scenario, settings.origins)
    variants = {FULL: {}, **used}
    fit_seed = int(scenario.seed)
    sim_seed = fit_seed + int(settings.seed_offset)
    t0 = time.perf_counter()

    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="rolling-origin-")
        work = Path(tmp.name)
    else:
        work = Path(workdir)
        work.mkdir(parents=True, exist_ok=True)
    frames, fit_rows, notes = [], [], []
    try:
        for origin in origins:
            cut = record.until(origin)
            last = min(str(pd.Period(origin, freq="M") + settings.horizon), record.last_month)
            months = months_between(str(pd.Period(origin, freq="M") + 1), last)
            shared: dict[str, FitResult] = {}
            fitted_full: dict[str, Any] | None = None
            for variant, switch in variants.items():
                sc = with_overrides(scenario, switch, source=f"mechanism {variant}") if switch \
                    else scenario
                if variant != FULL and not settings.refit_ablations and fitted_full is not None:
                    sc = with_overrides(sc, fitted_full, source="full-model fit")
                else:
                    all_ov: dict[str, Any] = {}
                    for f in fitters:
                        if not f.uses_scenario and f.name in shared:
                            out = shared[f.name]
                        else:
                            say(f"origin {origin}, {variant}: fitting {f.name}")
                            ctx = FitContext(record=cut, origin=origin, scenario=sc,
                                             workdir=work, seed=fit_seed, variant=variant,
                                             executor=executor, progress=progress)
                            out = as_fit_result(f.fit(ctx))
                            if not f.uses_scenario:
                                shared[f.name] = out
                        sc = with_overrides(sc, out.overrides, source=f"fitter {f.name}")
                        all_ov.update(out.overrides)
                        fit_rows.append({"origin": origin, "variant": variant,
                                         "fitter": f.name, **out.info})
                    if variant == FULL:
                        fitted_full = all_ov
                if switch:  # the mechanism stays off whatever a fitter set
                    sc = with_overrides(sc, switch, source=f"mechanism {variant}")
                first = f"{scenario.period.start_date:%Y-%m}" if settings.warm_start \
                    else months[0]
                run_sc = window(sc, first, months[-1])
                say(f"origin {origin}, {variant}: forecasting {months[0]}..{months[-1]} "
                    f"({settings.replicates} replicates)")
                sim = simulate_months(run_sc, sim_seed, settings.replicates, executor=executor)
                table, qnotes = compare(record, sim, months)
                notes.extend(n for n in qnotes if n not in notes)
                table.insert(0, "variant", variant)
                table.insert(1, "origin", origin)
                table.insert(3, "horizon", [
                    (pd.Period(m, freq="M") - pd.Period(origin, freq="M")).n
                    for m in table["month"]])
                frames.append(table)
    finally:
        if tmp is not None:
            tmp.cleanup()
    forecasts = pd.concat(frames, ignore_index=True)
    summary = error_summary(forecasts)
    ablation = ablation_table(summary, list(used))
    fits = pd.DataFrame(fit_rows)
    for o in origins:
        avail = len(months_between(str(pd.Period(o, freq="M") + 1),
                                   min(str(pd.Period(o, freq="M") + settings.horizon),
                                       record.last_month)))
        if avail < settings.horizon:
            notes.append(f"origin {o}: the record ends {record.last_month}, so {avail} of "
                         f"{settings.horizon} forecast months can be compared")
    meta = {
        "what": "Rolling-origin validation: fit on the record up to each origin, forecast the "
                "months after it; full model and each mechanism switched off.",
        "format": RESULT_FORMAT,
        "created": dt.date.today().isoformat(),
        "record": {"source": record.source, "sha256": record.sha256,
                   "last_month": record.last_month},
        "scenario": {"name": scenario.name, "seed": fit_seed,
                     "start_date": scenario.period.start_date.isoformat()},
        "settings": {**asdict(settings), "origins": list(origins),
                     "fit_seed": fit_seed, "forecast_seed": sim_seed},
        "fitters": [f.name for f in fitters],
        "mechanisms": {"used": used, "skipped": skipped},
        "targets": dict(TARGETS),
        "notes": notes,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return RollingOriginResult(forecasts, summary, ablation, fits, meta)


# --------------------------------------------------------------------------------------------
# Synthetic records (tests and checks of the machinery)
# --------------------------------------------------------------------------------------------


def synthetic_record(scenario, *, seed: int, replicate: int = 0,
                     history_from: str | None = None, history_seed: int = 0) -> Record:
    """A record generated by the model itself, to check that fits recover known values.

    The scenario's period is simulated once (``seed``, ``replicate``); the record's nights take
    the model's ``launched``, ``destroyed`` and ``lost_ew`` (as not_reach_goal), and any
    ``missiles_<field>_<class>`` columns. Nights from ``history_from`` up to the scenario start
    (for the threat fit's twelve-month window) get launches from the scenario's launch sampler
    (:func:`sim.model.threat.nightly_launch_counts`) and no defence figures.
    """
    from sim.experiments.runs import run_one
    from sim.model.threat import nightly_launch_counts

    nights = run_one(scenario, seed=seed, replicate=replicate).nights
    rec = pd.DataFrame({
        "night": pd.to_datetime(nights["date"]).dt.date,
        "launched": nights["launched"].astype(np.int64),
        "destroyed": nights["destroyed"].astype(np.int64),
        "not_reach_goal": nights["lost_ew"].astype(np.int64),
    })
    for c in MISSILE_CLASS_NAMES:
        for f, src in (("launched", "launched"), ("destroyed", "destroyed"),
                       ("not_reach_goal", "lost_ew")):
            col = missile_column(src, c)
            if col in nights.columns:
                rec[missile_column(f, c)] = nights[col].astype(np.int64)
    if history_from is not None:
        start = scenario.period.start_date
        first = pd.Timestamp(history_from).date()
        dates = [first + dt.timedelta(days=i) for i in range((start - first).days)]
        if dates:
            launched = nightly_launch_counts(scenario.threat, dates,
                                             np.random.default_rng(history_seed))
            hist = pd.DataFrame({"night": dates, "launched": launched.astype(np.int64),
                                 "destroyed": 0, "not_reach_goal": 0})
            rec = pd.concat([hist, rec], ignore_index=True).fillna(0)
            for col in rec.columns[1:]:
                rec[col] = rec[col].astype(np.int64)
    rec["neutralised"] = rec["destroyed"] + rec["not_reach_goal"]
    from sim.calibration.record import record_from_nights

    return record_from_nights(rec.reset_index(drop=True), source="synthetic record")
