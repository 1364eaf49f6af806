"""The power system's headlines: the start state of 1 Nov 2025, the winter 2025-26 forecast
month by month, its spread over replicate winters, and what EUR 200M changes.

Command: ``python scripts/power_headlines.py [--replicates 20] [--json FILE]``

1. **Start state** (``scenarios/winter-2025-26.yaml``, night 0 before any hit): by generation
   type, the nameplate of the plants in operation, what the damage ledger
   (``sim/data/energy_damage_ledger.csv``, entries on or before 1 Oct 2025) has out, and what
   is available after the technical availability; then imports, distributed generation and
   batteries, against the evening peak demand of the first night.
2. **Forecast** month by month (means over the replicates): households' hours without power a
   day, the peak deficit (mean of days, GW), demand served; for winter-2025-26 and for
   nl-200m (EUR 200M of interceptor drones) on the same seeds and replicates, and the change.
3. **Spread** of the winter's demand served over the replicates (lowest, median, highest).

Every number the README and docs/energy.md quote about these comes from this script.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.config.data import load_sites  # noqa: E402
from sim.config.energy import GENERATION_TYPES  # noqa: E402
from sim.config.io import load_scenario  # noqa: E402
from sim.experiments.runs import run_one  # noqa: E402
from sim.model.energy.system import EnergySystem  # noqa: E402

WINTER = ROOT / "scenarios" / "winter-2025-26.yaml"
NL = ROOT / "scenarios" / "nl-200m.yaml"


def start_state(sc) -> tuple[pd.DataFrame, dict]:
    cfg = sc.energy
    sites = load_sites(sc.sites_file)
    es = EnergySystem(sites, cfg, sc.period.start_date, sc.period.nights,
                      np.random.default_rng(0))
    net = es.network
    rows = []
    t = net.types[net.gen_rows]
    cap = net.cap[net.gen_rows]
    out_share = net.ledger_out_share[net.gen_rows]
    frac = es.group_fraction[net.gen_group_of_row]
    avail = net.base_mw[net.gen_rows] * frac
    if net.nuc_gen_k.size:
        avail = avail.copy()
        avail[net.nuc_gen_k] *= np.minimum(1.0, net.nuc_evac_mat @ es.group_fraction)
    for ty in GENERATION_TYPES:
        m = t == ty
        rows.append({"type": ty, "nameplate_gw": cap[m].sum() / 1e3,
                     "out_by_ledger_gw": (cap[m] * out_share[m]).sum() / 1e3,
                     "available_gw": avail[m].sum() / 1e3})
    tab = pd.DataFrame(rows)
    lam = float(net.demand_scale[0] * net.blocks_f_night[0].max())
    extra = {"imports_gw": float(net.import_mw_night[0]) / 1e3,
             "distributed_generation_gw": float(net.dg_mw_night[0]) / 1e3,
             "batteries_gw": cfg.storage_mw / 1e3,
             "domestic_available_gw": float(tab["available_gw"].sum()),
             "evening_peak_demand_gw": (lam * net.ord_peak_total
                                        + float(net.water_nominal.sum())) / 1e3}
    extra["total_supply_gw"] = (extra["domestic_available_gw"] + extra["imports_gw"]
                                + extra["distributed_generation_gw"] + extra["batteries_gw"])
    return tab, extra


def winters(sc, seed: int, reps: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    nights, wins = [], []
    for r in range(reps):
        out = run_one(sc, seed=seed, replicate=r)
        n = out.nights.copy()
        n["replicate"] = r
        nights.append(n)
        wins.append({"replicate": r, **{k: out.outcomes.get(k) for k in (
            "demand_served_fraction", "outage_hours_per_day", "peak_deficit_gw",
            "peak_deficit_gw_max", "imports_used_mwh", "energy_not_served_mwh",
            "heat_not_served_mwh_th", "gas_output_lost_mcm")}})
    return pd.concat(nights, ignore_index=True), pd.DataFrame(wins)


def monthly(n: pd.DataFrame) -> pd.DataFrame:
    n = n.assign(month=n["date"].astype(str).str[:7])
    g = n.groupby("month")
    return pd.DataFrame({
        "hours_without_power": g["outage_hours_per_day"].mean(),
        "peak_deficit_gw": g["peak_deficit_gw"].mean(),
        "demand_served": g["energy_served_mwh"].sum() / g["energy_demand_mwh"].sum(),
    })


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    a = ap.parse_args(argv)
    w, nl = load_scenario(WINTER), load_scenario(NL)
    seed = int(w.seed)
    tab, extra = start_state(w)
    print(f"Start state on {w.period.start_date} (damage ledger as of {w.energy.state_as_of}):\n")
    print(tab.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    print("\n" + "\n".join(f"  {k}: {v:.2f}" for k, v in extra.items()))
    n0, w0 = winters(w, seed, a.replicates)
    n1, w1 = winters(nl, seed, a.replicates)
    m0, m1 = monthly(n0), monthly(n1)
    both = m0.add_suffix("_winter").join(m1.add_suffix("_nl200m"))
    for c in ("hours_without_power", "peak_deficit_gw", "demand_served"):
        both[f"{c}_change"] = both[f"{c}_nl200m"] - both[f"{c}_winter"]
    print(f"\nForecast by month, means over {a.replicates} replicate winters (seed {seed}):\n")
    print(both.to_string(float_format=lambda x: f"{x:.3f}"))
    q = {}
    for name, ww in (("winter-2025-26", w0), ("nl-200m", w1)):
        d = ww["demand_served_fraction"]
        q[name] = {"min": float(d.min()), "median": float(d.median()), "max": float(d.max()),
                   **{k: float(ww[k].mean()) for k in ww.columns if k != "replicate"}}
    print(f"\nWinter (Nov - Mar) over {a.replicates} replicates: demand served lowest / median /"
          " highest, and means:\n")
    print(pd.DataFrame(q).to_string(float_format=lambda x: f"{x:,.3f}"))
    if a.json:
        Path(a.json).write_text(json.dumps({
            "start_state": tab.to_dict(orient="records"), "supply": extra,
            "by_month": both.reset_index().to_dict(orient="records"), "winter": q,
            "replicates": a.replicates, "seed": seed}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
