"""Compare the DC load-shedding LP with the transport (max-flow) relaxation on damaged grids,
and the fast block rule with exact solves of every load block.

Usage: python scripts/compare_solvers.py [--states 200] [--seed 1]

Damage states come from replaying four winters: the drone hits of the shipped scenarios
(``baseline`` and ``nl-200m``, one seed each, as the model produces them), alone and with a
synthetic salvo of 30 cruise missiles every 12 nights on sites drawn by the default targeting
weights (the model has no missiles yet). ``--states`` nights are drawn at random from the replays; on each,
every load block is solved with both solvers on the same network state. Times are CPU
time.

Prints markdown tables (quoted in docs/energy.md) and per-solve timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np

from sim.config.energy import EnergyConfig
from sim.config.grid_data import load_grid
from sim.config.io import load_scenario
from sim.model.defense_model import DefenseModel
from sim.model.energy.grid import GridLP
from sim.model.energy.system import EnergySystem
from sim.model.threat import target_weights

ROOT = Path(__file__).resolve().parents[1]


def record_hits(scenario_path: Path, seed: int) -> tuple[list[np.ndarray], object, dt.date]:
    """Drone hits per night from one run of the model."""
    sc = load_scenario(scenario_path)
    model = DefenseModel(sc, seed=seed)
    hits: list[np.ndarray] = []
    orig = model.energy.night

    def night(k, h):
        hits.append(np.asarray(h).copy())
        return orig(k, h)

    model.energy.night = night
    while model.running:
        model.step()
    return hits, model, sc.period.start_date


def with_salvos(hits, sites, targeting, rng, every=12, size=30):
    p = target_weights(sites, targeting)
    out = []
    for k, h in enumerate(hits):
        d = {"drone": h}
        if k % every == every // 2:
            d["cruise"] = np.bincount(rng.choice(len(sites), size, p=p), minlength=len(sites))
        out.append(d)
    return out


def replay(sites, cfg, start, hits, seed=0, on_night=None):
    es = EnergySystem(sites, cfg, start, len(hits), np.random.default_rng(seed))
    t0 = time.process_time()
    for k, h in enumerate(hits):
        es.night(k, h)
        if on_night is not None:
            on_night(es, k)
    return es, time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--states", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    replays = []
    for name in ("baseline", "nl-200m"):
        hits, model, start = record_hits(ROOT / "scenarios" / f"{name}.yaml", args.seed)
        replays.append((f"{name}, drones", [{"drone": h} for h in hits], model.sites, start))
        replays.append((f"{name}, drones + salvos",
                        with_salvos(hits, model.sites, model.spec.threat.targeting, rng),
                        model.sites, start))

    # ---- 1. DC vs transport on the same damaged states (every load block)
    nodes, lines, loads = load_grid()
    pick = {(r, k) for r, k in zip(rng.integers(0, len(replays), args.states * 3),
                                   rng.integers(0, 151, args.states * 3), strict=True)}
    pick = sorted(pick)[: args.states]
    rows = []
    t_solve = {"dc": [], "transport": []}
    for r, (name, hits, sites, start) in enumerate(replays):
        want = {k for rr, k in pick if rr == r}
        if not want:
            continue
        cfg = EnergyConfig(exact_load_blocks=True)
        lps = {}

        def on_night(es, k, want=want, lps=lps, rows=rows, name=name):
            if k not in want:
                return
            if not lps:
                for mode in ("dc", "transport"):
                    lps[mode] = GridLP(nodes, lines, es.lp.load_nodes, es.lp.peak_mw,
                                       es.lp.gen_nodes, es.lp.import_nodes, mode=mode,
                                       critical_load_weight=es.config.critical_load_weight)
            f = float(es.demand_scale[k])
            for b, lam in enumerate(f * np.array(es.config.load_block_factors)):
                st = es.network_state(lam)
                res = {}
                for mode, lp in lps.items():
                    lp.set_network(st["gen_mw"], st["import_mw"], st["line_circuits_up"],
                                   st["at_groups_up"], st["lt_mw"], st["critical_mw"])
                    lp.set_scale(lam)
                    t0 = time.process_time()
                    res[mode] = lp.solve()
                    t_solve[mode].append(time.process_time() - t0)
                rows.append((name, k, b, res["dc"].demand_mw, res["dc"].served_mw,
                             res["transport"].served_mw))

        replay(sites, cfg, start, hits, on_night=on_night)
    a = np.array([(d, s_dc, s_tr) for (_n, _k, _b, d, s_dc, s_tr) in rows])
    diff = a[:, 2] - a[:, 1]
    short = a[:, 1] < a[:, 0] - 1e-6
    print(f"## DC vs transport: {len(pick)} nights x 4 load blocks = {len(a)} solves each")
    print()
    print("| quantity | value |")
    print("|---|---|")
    print(f"| blocks with load shed (DC) | {int(short.sum())} of {len(a)} |")
    for name in dict.fromkeys(r[0] for r in rows):
        m = np.array([r[0] == name for r in rows])
        print(f"| {name}: blocks / with shed / transport > DC (>1 MW) | {int(m.sum())} / "
              f"{int((short & m).sum())} / {int(((diff > 1) & m).sum())} |")
    print(f"| transport serves more than DC (>1 MW) | {int((diff > 1).sum())} blocks |")
    print(f"| transport - DC served, mean / median / p95 / max (MW) | {diff.mean():.0f} / "
          f"{np.median(diff):.0f} / {np.percentile(diff, 95):.0f} / {diff.max():.0f} |")
    rel = diff / a[:, 0]
    print(f"| same, % of demand: mean / p95 / max | {100 * rel.mean():.2f} / "
          f"{100 * np.percentile(rel, 95):.2f} / {100 * rel.max():.2f} |")
    if short.any():
        print(f"| among blocks with shedding: DC shed / transport shed (median ratio) | "
              f"{np.median((a[short, 0] - a[short, 1]) / np.maximum(a[short, 0] - a[short, 2], 1e-9)):.2f} |")
    print(f"| transport never below DC | {bool((diff >= -1e-3).all())} |")
    for mode, ts in t_solve.items():
        ts = np.array(ts) * 1000
        print(f"| {mode} solve time, median / p90 (ms) | {np.median(ts):.2f} / "
              f"{np.percentile(ts, 90):.2f} |")
    print()

    # ---- 2. fast block rule vs exact blocks, whole winters; and timings
    print("## Fast block rule vs every block solved (whole winters)")
    print()
    print("| replay | solver | ENS exact (GWh) | ENS fast (GWh) | max nightly error (MWh) | "
          "served fraction exact / fast | LP solves exact / fast | winter s exact / fast |")
    print("|---|---|---|---|---|---|---|---|")
    for name, hits, sites, start in replays:
        for mode in ("dc", "transport"):
            res = {}
            for exact in (True, False):
                cfg = EnergyConfig(solver=mode, exact_load_blocks=exact)
                best = None
                for _rep in range(3):
                    es, t = replay(sites, cfg, start, hits)
                    best = t if best is None else min(best, t)
                res[exact] = (es, best)
            ex, fa = res[True][0], res[False][0]
            e1 = ex.night_table()["energy_not_served_mwh"].to_numpy()
            e2 = fa.night_table()["energy_not_served_mwh"].to_numpy()
            w1, w2 = ex.winter_outcomes(), fa.winter_outcomes()
            print(f"| {name} | {mode} | {e1.sum() / 1e3:.1f} | {e2.sum() / 1e3:.1f} | "
                  f"{np.abs(e1 - e2).max():.0f} | {w1['demand_served_fraction']:.4f} / "
                  f"{w2['demand_served_fraction']:.4f} | {w1['lp_solves']:.0f} / "
                  f"{w2['lp_solves']:.0f} | {res[True][1]:.3f} / {res[False][1]:.3f} |")


if __name__ == "__main__":
    main()
