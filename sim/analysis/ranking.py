"""Where the ranking of options flips: a sweep whose lever is the option (for example
``defense.portfolio.option``, ``sweeps/portfolio-ranking.yaml``) crossed with sampled
uncertainties, read future by future.

At each sampled future (one combination of the uncertainties; every option ran there on the
same replicates), the options are ranked by the mean of an outcome over the replicates; the
future *flips* when its best option is not the reference (by default the option best in the
most futures; pass the best option of the nominal comparison, ``python -m sim portfolio``).
:func:`ranking_by_future` gives the table; :func:`flips_as_sweep` turns it into a sweep of one
run per future with the outcome ``ranking_flips`` (1 or 0), so that PRIM and CART of
:mod:`sim.analysis.discovery` describe where the flips concentrate
(:func:`where_ranking_flips`). Analysis reads the sweep folder only, never the model.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sweep_data import DiscoveryError, SweepData, load_sweep_folder

LEVER = "defense.portfolio.option"
TIE = 1e-9
"""Outcome means closer than this are a tie (the reference then stays best)."""
FLIP = "ranking_flips"


def _data(folder: str | Path | SweepData) -> SweepData:
    return folder if isinstance(folder, SweepData) else load_sweep_folder(folder)


def ranking_by_future(folder: str | Path | SweepData, *, lever: str = LEVER,
                      outcome: str = "demand_served_fraction", higher_is_better: bool = True,
                      reference: str | None = None) -> pd.DataFrame:
    """One row per sampled future: its uncertainties, the best and second-best option, the
    margin between them, the reference option's rank, and ``flips`` (the best option is not
    the reference); ``df.attrs["reference"]`` is the reference used.

    Raises:
        DiscoveryError: the lever or the outcome is not in the sweep, or a future lacks an
            option (every option must run at every future).
    """
    data = _data(folder)
    if lever not in data.factors or data.factors[lever].role != "lever":
        raise DiscoveryError(f"{data.folder}: {lever} is not a lever of this sweep (levers: "
                             f"{', '.join(data.lever_keys) or 'none'})")
    if outcome not in data.outcomes:
        raise DiscoveryError(f"{data.folder}: no outcome {outcome!r} in runs.parquet")
    unc = data.uncertainty_keys
    if not unc:
        raise DiscoveryError(f"{data.folder}: the sweep has no uncertainties to rank over")
    runs = data.runs
    mean = runs.groupby([*unc, lever], sort=True)[outcome].mean().unstack(lever)
    if mean.isna().any().any():
        raise DiscoveryError(f"{data.folder}: not every option ran at every sampled future")
    sign = 1.0 if higher_is_better else -1.0
    vals = mean.to_numpy()
    names = np.asarray(mean.columns)
    if reference is None:  # the option best in most futures (ties: the first in the lever's order)
        winners = pd.Series(names[np.argmax(sign * vals, axis=1)])
        reference = winners.value_counts().index[0]
    if reference not in mean.columns:
        raise DiscoveryError(f"reference {reference!r} is not a value of {lever} "
                             f"({', '.join(map(str, mean.columns))})")
    # options within TIE of each other count as equal, and among equals the reference comes
    # first: a future flips only when another option is better, not when all do the same
    ref = list(mean.columns).index(reference)
    key = np.round(sign * vals / TIE) * TIE
    first = np.zeros(vals.shape)
    first[:, ref] = -1.0
    order = np.array([np.lexsort((first[i], -key[i])) for i in range(len(vals))],
                     dtype=np.int64).reshape(vals.shape)
    best = names[order[:, 0]]
    second = names[order[:, min(1, vals.shape[1] - 1)]]
    rows = np.arange(len(vals))
    margin = sign * (vals[rows, order[:, 0]] - vals[rows, order[:, min(1, vals.shape[1] - 1)]])
    ref_rank = np.argsort(order, axis=1)[:, ref] + 1
    out = mean.reset_index()[unc].copy()
    out["best"] = best
    out["second"] = second
    out["margin"] = margin
    out["reference_rank"] = ref_rank
    out["flips"] = best != reference
    for c in mean.columns:
        out[f"{outcome}.{c}"] = mean[c].to_numpy()
    out.attrs["reference"] = reference
    out.attrs["outcome"] = outcome
    return out


def flips_as_sweep(folder: str | Path | SweepData, **kw) -> tuple[SweepData, pd.DataFrame]:
    """The futures as a sweep of one run each, with the outcome :data:`FLIP` (1 where the best
    option is not the reference), for :func:`sim.analysis.discovery.discover`; and the table
    of :func:`ranking_by_future`."""
    data = _data(folder)
    table = ranking_by_future(data, **kw)
    unc = data.uncertainty_keys
    runs = table[unc].copy()
    runs.insert(0, "replicate", 0)
    runs.insert(0, "point", np.arange(len(runs)))
    runs.insert(0, "run_id", np.arange(len(runs)))
    runs[FLIP] = table["flips"].astype(float).to_numpy()
    runs["margin"] = table["margin"].to_numpy()
    factors = {k: f for k, f in data.factors.items() if f.role == "uncertainty"}
    derived = replace(data, runs=runs, factors=factors, design=None,
                      spec={**data.spec, "levers": []})
    return derived, table


def where_ranking_flips(folder: str | Path | SweepData, *, method: str = "prim",
                        threshold: float = 0.6, min_coverage: float = 0.5, max_boxes: int = 2,
                        **kw):
    """PRIM (or CART, ``method``) boxes over the uncertainties where the ranking flips
    (:func:`sim.analysis.discovery.discover` on :func:`flips_as_sweep`).

    Returns:
        ``(result, table)``: the :class:`~sim.analysis.discovery.DiscoveryResult` and the
        futures' table (:func:`ranking_by_future`).

    Raises:
        DiscoveryError: as :func:`ranking_by_future`; also when no future flips (nothing to
            discover: the ranking is robust over the sampled ranges) or every future does.
    """
    from sim.analysis.discovery import discover

    derived, table = flips_as_sweep(folder, **kw)
    n, k = len(table), int(table["flips"].sum())
    if k == 0:
        raise DiscoveryError(f"the best option is {table.attrs['reference']} at all {n} sampled "
                             "futures: the ranking does not flip within the sampled ranges")
    if k == n:
        raise DiscoveryError(f"the best option differs from {table.attrs['reference']} at all "
                             f"{n} sampled futures: choose another reference")
    res = discover(derived, FLIP, above=0.5, method=method, per="run", levers=False,
                   threshold=threshold, min_coverage=min_coverage, max_boxes=max_boxes,
                   mass_min=0.1)
    return res, table
