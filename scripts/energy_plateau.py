"""Why energy not served can stay the same to the last digit while drone hits fall.

Runs one winter of ``scenarios/nl-200m.yaml`` (replicate 0, the scenario's seed: the same raids
at every budget) at several programme budgets and prints, for each, the drone hits on energy
sites and the energy not served; then, for two budgets (default EUR 25M and 100M), where the
hits that the larger budget averts fell (by site type), on how many nights the load shed
differs, the smallest reserve of available generation over demand, and the hits on 750 kV
substations::

    python scripts/energy_plateau.py                      # 0, 12.5M, 25M, 100M, 400M
    python scripts/energy_plateau.py --budgets 0 25e6 1e8 --pair 25e6 1e8 --nights 60

docs/outcomes.md ("Energy not served that does not move") explains the result.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=str(ROOT / "scenarios" / "nl-200m.yaml"))
    p.add_argument("--budgets", nargs="+", type=float, default=[0, 12.5e6, 25e6, 1e8, 4e8])
    p.add_argument("--pair", nargs=2, type=float, default=[25e6, 1e8], metavar=("LOW", "HIGH"))
    p.add_argument("--nights", type=int, default=None, help="nights (default: the winter)")
    p.add_argument("--replicate", type=int, default=0)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    import numpy as np
    import pandas as pd

    from sim.config.io import load_scenario, with_overrides
    from sim.experiments.runs import outcomes_of
    from sim.model.defense_model import DefenseModel

    base = load_scenario(args.scenario)
    if args.nights:
        base = with_overrides(base, {"period.nights": args.nights})
    models = {}
    print(f"{base.name}, replicate {args.replicate}, seed {base.seed}: the same raids at every "
          "budget")
    print(f"{'budget':>12} {'drone hits':>11} {'energy not served (MWh)':>25} {'of it drones':>14}")
    for b in sorted(set(args.budgets) | set(args.pair)):
        m = DefenseModel(with_overrides(base, {"defense.budget_eur": b}), replicate=args.replicate)
        while m.running:
            m.step()
        nights = m.datacollector.get_model_vars_dataframe()
        o, _ = outcomes_of(m, nights)
        models[b] = (m, nights)
        print(f"{b / 1e6:>10,.1f}M {o['hits_on_sites']:>11,.0f} "
              f"{o['energy_not_served_mwh']:>25,.6f} {o.get('energy_not_served_mwh_drones', 0):>14,.0f}")
    lo, hi = args.pair
    (ma, na), (mb, nb) = models[lo], models[hi]
    types = ma.sites["type"].to_numpy()
    hits = pd.DataFrame({"type": types, "low": ma.hits_by_site, "high": mb.hits_by_site})
    by_type = hits.groupby("type")[["low", "high"]].sum()
    by_type = by_type[(by_type["low"] > 0) | (by_type["high"] > 0)]
    by_type.columns = [f"hits at EUR {lo / 1e6:g}M", f"hits at EUR {hi / 1e6:g}M"]
    print(f"\nEUR {lo / 1e6:g}M against EUR {hi / 1e6:g}M, drone hits by site type:")
    print(by_type.to_string())
    ens_a, ens_b = na["energy_not_served_mwh"].to_numpy(), nb["energy_not_served_mwh"].to_numpy()
    sub_a = na["substation_capacity_down_mw"].to_numpy()
    sub_b = nb["substation_capacity_down_mw"].to_numpy()
    gen_a = na["capacity_down_mw"].to_numpy()
    gen_b = nb["capacity_down_mw"].to_numpy()
    margin = float(np.min(np.minimum(na["available_generation_mw"] - na["demand_mw"],
                                     nb["available_generation_mw"] - nb["demand_mw"])))
    print(f"nights whose energy not served differs: {int((ens_a != ens_b).sum())} of {len(ens_a)}")
    print(f"nights whose generation out of service differs: {int((gen_a != gen_b).sum())}; "
          f"whose substation capacity out of service differs: {int((sub_a != sub_b).sum())}")
    print(f"smallest reserve of available generation over evening-peak demand, either run: "
          f"{margin:,.0f} MW")
    s750 = hits[hits["type"] == "substation_750"]
    print(f"hits on 750 kV substations: {int(s750['low'].sum())} and {int(s750['high'].sum())}, "
          f"site by site the same: {bool((s750['low'] == s750['high']).all())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
