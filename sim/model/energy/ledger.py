"""The start state from the damage ledger: what was out of service on the knowledge date.

The ledger (:func:`sim.config.power_data.load_damage_ledger`, ``sim/data/energy_damage_ledger.csv``)
lists dated damage events on components of the site table, each with the share of the
component's units it put out and the share of those repaired by a date. On a knowledge date
``D`` a component has out

    out(D) = min(1, sum over events dated <= D of out_share x (1 - repaired_share if the
             repair is dated <= D else 1))

of its units: events and repairs dated after ``D`` are not seen. Units out are whole units
(:func:`units_out`), taken from the row's component groups in order.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def out_share_as_of(ledger: pd.DataFrame, site_ids, as_of: dt.date) -> np.ndarray:
    """Share of each site row's units out of service on ``as_of`` (0-1, row order of
    ``site_ids``)."""
    pos = {sid: k for k, sid in enumerate(site_ids)}
    out = np.zeros(len(site_ids))
    for row in ledger.itertuples(index=False):
        if row.date > as_of or row.component not in pos:
            continue
        rep = row.repaired_share if (row.repaired_date is not None
                                     and row.repaired_date <= as_of) else 0.0
        out[pos[row.component]] += row.out_share * (1.0 - rep)
    return np.clip(out, 0.0, 1.0)


def units_out(out_share: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Whole units out for each row: ``round(out_share x units)`` (halves round to even)."""
    k = np.rint(np.asarray(out_share, float) * np.asarray(units)).astype(np.int64)
    return np.clip(k, 0, np.asarray(units, np.int64))
