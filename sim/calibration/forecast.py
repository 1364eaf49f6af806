"""The winter forecast to check against the record once the winter's reports are in.

:func:`winter_forecast` runs a forecast scenario (by default the shipped
``scenarios/winter-2025-26.yaml``, built from the record to Sep 2025) and tabulates, month by
month, what the Air Force reports: Shahed-type drones launched and the neutralised share
((destroyed + lost to EW) / launched), and missiles launched and destroyed. The table is printed
by ``python -m sim validate-model`` and kept in its report, so that anyone can put the record of
Nov 2025 - Mar 2026 next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.record import interception_rate
from sim.calibration.simulate import simulate_months
from sim.config.data import packaged_path
from sim.config.io import with_overrides

DEFAULT_FORECAST_SCENARIO = packaged_path("scenarios/winter-2025-26.yaml")


def winter_forecast(scenario, replicates: int = 20, seed: int | None = None,
                    executor=None) -> pd.DataFrame:
    """Month by month: mean and 5th-95th percentile over replicates of drones launched, the
    neutralised share, missiles launched and missiles destroyed.

    Returns:
        One row per month: ``month``, ``drones_launched`` (+ ``_p05``, ``_p95``),
        ``neutralised_share`` (+ ``_p05``, ``_p95``), ``missiles_launched`` (+ range),
        ``missiles_destroyed`` (+ range), ``national_share`` (drones destroyed by Ukraine's
        own interceptor force / launched, + range), ``replicates``.
    """
    sc = with_overrides(scenario, {"energy.enabled": False}, source="forecast")
    seed = int(sc.seed if seed is None else seed)
    sim = simulate_months(sc, seed, replicates, executor=executor)
    ml = [c for c in sim.columns if c.startswith("missiles_launched_")]
    md = [c for c in sim.columns if c.startswith("missiles_destroyed_")]
    sim = sim.assign(
        interception_rate=interception_rate(sim["destroyed"], sim["lost_ew"], sim["launched"]),
        m_launched=sim[ml].sum(axis=1) if ml else 0.0,
        m_destroyed=sim[md].sum(axis=1) if md else 0.0,
        national_share=sim["destroyed_existing_interceptors"] / sim["launched"].clip(lower=1),
    )
    rows = []
    for month, g in sim.groupby("month", sort=True):
        row: dict = {"month": str(month), "replicates": int(len(g))}
        for col, name in (("launched", "drones_launched"),
                          ("interception_rate", "neutralised_share"),
                          ("m_launched", "missiles_launched"),
                          ("m_destroyed", "missiles_destroyed"),
                          ("national_share", "national_share")):
            v = g[col].to_numpy(float)
            row[name] = float(np.nanmean(v))
            row[f"{name}_p05"], row[f"{name}_p95"] = (float(q) for q in
                                                      np.nanquantile(v, [0.05, 0.95]))
        rows.append(row)
    return pd.DataFrame(rows)


def forecast_markdown(table: pd.DataFrame, scenario_name: str) -> str:
    """The forecast as a Markdown table (means, 5th-95th percentile in brackets)."""
    n = int(table["replicates"].min()) if len(table) else 0
    lines = [f"Forecast of `{scenario_name}` ({n} replicates; mean [5th-95th percentile]), to put "
             "next to the Air Force record of the same months:", "",
             "| month | drones launched | neutralised share | national force's share of "
             "launched | missiles launched | missiles destroyed |", "|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.month} | {r.drones_launched:,.0f} [{r.drones_launched_p05:,.0f}, "
            f"{r.drones_launched_p95:,.0f}] | {100 * r.neutralised_share:.1f}% "
            f"[{100 * r.neutralised_share_p05:.1f}, {100 * r.neutralised_share_p95:.1f}] | "
            f"{100 * r.national_share:.1f}% [{100 * r.national_share_p05:.1f}, "
            f"{100 * r.national_share_p95:.1f}] | "
            f"{r.missiles_launched:,.0f} [{r.missiles_launched_p05:,.0f}, "
            f"{r.missiles_launched_p95:,.0f}] | {r.missiles_destroyed:,.0f} "
            f"[{r.missiles_destroyed_p05:,.0f}, {r.missiles_destroyed_p95:,.0f}] |")
    return "\n".join(lines)
