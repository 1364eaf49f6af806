"""Simulating months for the fits and the validation: replicates summed by calendar month.

Every fit and check in this package compares monthly sums of the model's nightly counts with
the record, so they all go through :func:`simulate_months`. Replicates can be spread over
processes by passing an executor (``concurrent.futures.ProcessPoolExecutor``); results do not
depend on it (each replicate has its own random streams, see :mod:`sim.model.rng`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from sim.calibration.record import interception_rate
from sim.config.errors import SimInputError

SIM_COUNTS = ("launched", "lost_ew", "destroyed", "destroyed_fire_groups", "destroyed_missiles",
              "destroyed_existing_interceptors", "tracked")
MISSILE_PREFIX = "missiles_"  # model columns missiles_launched_<class>, missiles_destroyed_<class>


def month_end(month: str) -> dt.date:
    return pd.Period(month, freq="M").end_time.date()


def month_start(month: str) -> dt.date:
    return pd.Period(month, freq="M").start_time.date()


def months_between(first: str, last: str) -> list[str]:
    """Months ``first`` to ``last`` inclusive, as ``YYYY-MM``."""
    return [str(p) for p in pd.period_range(first, last, freq="M")]


def window(scenario, first_month: str, last_month: str):
    """Scenario copy that simulates exactly the months ``first_month`` to ``last_month``."""

    start = month_start(first_month)
    nights = (month_end(last_month) - start).days + 1
    if nights < 1:
        raise SimInputError(f"months {first_month} to {last_month}: empty period")
    return with_period(scenario, start, nights, "validation period")


def with_period(scenario, start, nights: int, source: str):
    """Scenario copy with another period; a tactics timeline is cut to the new period's months
    (it must cover exactly the period)."""
    import datetime as dt

    from sim.config.io import with_overrides

    ov: dict = {"period.start_date": start.isoformat(), "period.nights": int(nights)}
    timeline = scenario.threat.tactics.timeline
    if timeline:
        months = list(dict.fromkeys((start + dt.timedelta(days=i)).strftime("%Y-%m")
                                    for i in range(int(nights))))
        missing = [m for m in months if m not in timeline]
        if missing:
            raise SimInputError(f"{source}: the tactics timeline has no month(s) "
                                f"{', '.join(missing)}")
        ov["threat.tactics.timeline"] = {m: timeline[m].model_dump(exclude_none=True)
                                         for m in months}
    return with_overrides(scenario, ov, source=source)


def cut_period(scenario, last_month: str):
    """Scenario copy whose period ends with ``last_month`` (fits simulate only what they use)."""

    start = scenario.period.start_date
    end = month_end(last_month)
    nights = (end - start).days + 1
    if nights < 1:
        raise SimInputError(f"scenario starts {start}, after the fit months ending {end}")
    nights = min(nights, scenario.period.nights)
    return with_period(scenario, start, nights, "fit period")


def one_blas_thread():
    """Context: BLAS on one thread. The model and the small fits here run 1.5 to 10 times
    faster so (OpenBLAS threads cost more than they give on small arrays)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _one_replicate(scenario, seed: int, replicate: int) -> pd.DataFrame:
    from sim.experiments.runs import run_one

    with one_blas_thread():
        nights = run_one(scenario, seed=seed, replicate=replicate).nights
    nights = nights.assign(month=nights["date"].astype(str).str[:7])
    cols = [c for c in SIM_COUNTS if c in nights.columns]
    cols += [c for c in nights.columns if c.startswith(MISSILE_PREFIX)
             and pd.api.types.is_numeric_dtype(nights[c])]
    g = nights.groupby("month", sort=True)[cols].sum().reset_index()
    g.insert(0, "replicate", replicate)
    return g


def _star(args):
    return _one_replicate(*args)


def simulate_months(scenario, seed: int, replicates: Sequence[int] | int,
                    scenarios: Sequence | None = None,
                    executor: Executor | None = None) -> pd.DataFrame:
    """Run replicates and sum each run's nights by calendar month.

    Args:
        scenario: the scenario (energy should be disabled for speed).
        seed: root seed.
        replicates: replicate numbers (or their count).
        scenarios: optional one scenario per replicate (predictive draws); default all the same.
        executor: optional executor to run the replicates in parallel.

    Returns:
        One row per replicate and month: ``replicate``, ``month``, the counts
        :data:`SIM_COUNTS`, any ``missiles_*`` nightly counts the model writes, and
        ``neutralised`` = destroyed + lost_ew.
    """
    reps = list(range(replicates)) if isinstance(replicates, int) else list(replicates)
    tasks = [(scenario if scenarios is None else scenarios[i], int(seed), int(r))
             for i, r in enumerate(reps)]
    if executor is None or len(tasks) < 2:
        frames = [_star(t) for t in tasks]
    else:
        frames = list(executor.map(_star, tasks))
    out = pd.concat(frames, ignore_index=True)
    out["neutralised"] = out["destroyed"] + out["lost_ew"]
    return out


def pooled_monthly(sim: pd.DataFrame) -> pd.DataFrame:
    """Monthly rates pooled over replicates: ``interception_rate`` of the summed counts (and
    the EW share)."""
    g = sim.groupby("month", sort=True)[["launched", "neutralised", "lost_ew", "destroyed"]].sum()
    launched = g["launched"].to_numpy(float)
    g["interception_rate"] = interception_rate(g["destroyed"], g["lost_ew"], g["launched"])
    with np.errstate(divide="ignore", invalid="ignore"):
        g["ew_share"] = np.where(launched > 0, g["lost_ew"] / launched, np.nan)
    return g
