"""The README's headline chart: what the interceptor budget adds to Ukraine's own force.

Runs (or reuses) the shipped funding sweep, ``sweeps/funding.yaml`` (the nl-200m programme on top
of the winter-2025-26 forecast at EUR 0 to 1,000M, against a static and a learning attacker,
common random numbers), and the baseline and nl-200m scenarios month by month, and writes
``docs/img/headline.png`` and the numbers the README quotes (``docs/img/headline.json``)::

    python scripts/headline_chart.py                     # the sweep (220 winters) and 40 more
    python scripts/headline_chart.py --results results/funding   # reuse a finished sweep
    python scripts/headline_chart.py --out /tmp/h/headline.png --results /tmp/h/funding \
        --set period.start_date=2025-12-01 --set period.nights=10 --replicates 2 \
        --sweep-replicates 2                            # a tiny check that the script works

Panels: (a) the gain in winter demand served over EUR 0 against the budget, both attackers
(paired on the same winters: mean difference with its 95% interval); (b) hits on energy sites
by drones and by missiles; (c) month by month,
energy not served without the programme and with EUR 200M, split into what drones and what
missiles caused. The title of (a) says where the curve flattens and what binds there
(:func:`sim.model.forces.force_schedule`). ``headline.json`` also holds EUR 400M with training
scaled (``scenarios/nl-400m.yaml``) against nl-200m on the same winters; the README's headline
paragraph is then rewritten from it (``scripts/readme_headline.py``).

``headline.json`` holds the programme's **net** effect for nl-200m and nl-400m (``net``: each
run paired with the same winters with no programme, ``sim.experiments.runs.run``; the baseline
is nl-200m's counterfactual, the same scenario at EUR 0) and the **one account of what limits
each force** (``limits``: :mod:`sim.model.forces.limits`, the words ``sim run`` and ``sim
forces`` print; ``limits.at_flat`` is the programme's account at the budget where drone hits
stop falling, from its schedule). Only the lead regenerates the shipped chart and JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _flat_point(s, tol: float) -> float:
    """The smallest budget whose mean is within ``tol`` of the best mean."""
    best = s["mean"].max()
    return float(s.loc[s["mean"] >= best - tol, "defense.budget_eur"].min())


def _finite(x):
    """The numbers with NaN and infinities as null (JSON has neither)."""
    import math

    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweep", default=str(ROOT / "sweeps" / "funding.yaml"))
    p.add_argument("--results", default=str(ROOT / "results" / "funding"),
                   help="sweep results folder (default results/funding; reused if finished)")
    p.add_argument("--out", default=str(ROOT / "docs" / "img" / "headline.png"))
    p.add_argument("--replicates", type=int, default=10,
                   help="replicates of the month-by-month runs (default 10)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--sweep-replicates", type=int, default=None,
                   help="replicates of the sweep (default: the sweep file's)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", default=[],
                   help="override a scenario value in the sweep and the runs (a small check: "
                        "period.nights=10)")
    args = p.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    import sim
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.experiments.stats import paired_stats
    from sim.experiments.sweep.spec import load_sweep
    from sim.model.forces.limits import GEOMETRY, limits_account
    from sim.model.theatre import schedules_for
    from sim.viz import OKABE_ITO, save_figure, summarize_by

    overrides = parse_set_args(args.set) or None
    results = Path(args.results)
    if (results / "runs.parquet").is_file() and (results / "manifest.json").is_file():
        runs = pd.read_parquet(results / "runs.parquet")
        print(f"using the finished sweep in {results}", file=sys.stderr)
    else:
        loaded = load_sweep(args.sweep, overrides)
        if args.sweep_replicates:
            loaded.spec = loaded.spec.model_copy(update={"replicates": args.sweep_replicates})
        runs = sim.sweep(loaded, out=results, workers=args.workers)
    reps = int(runs.groupby(["defense.budget_eur", "threat.attacker.strategy"]).size().min())

    # nl-200m and nl-400m, each with its counterfactual (the same winters with no programme:
    # the net effects); nl-200m's counterfactual is the baseline (scenarios/baseline.yaml is
    # the same scenario but for its name)
    month_runs = {name: sim.run(ROOT / "scenarios" / f"{name}.yaml", replicates=args.replicates,
                                overrides=overrides)
                  for name in ("nl-200m", "nl-400m")}
    month_runs = {"baseline": month_runs["nl-200m"].counterfactual, **month_runs}

    fig, axes = plt.subplots(1, 3, figsize=(15.5, 4.9), layout="constrained")
    colours = {"static": OKABE_ITO["blue"], "learning": OKABE_ITO["vermillion"]}
    numbers: dict = {"replicates": reps, "month_replicates": args.replicates, "by_attacker": {}}
    ax = axes[0]
    for strat, g in runs.groupby("threat.attacker.strategy"):
        g = g.sort_values(["defense.budget_eur", "replicate"])
        zero = g[g["defense.budget_eur"] == 0].set_index("replicate")["demand_served_fraction"]
        rows = []
        for b, gb in g.groupby("defense.budget_eur"):
            v = gb.set_index("replicate")["demand_served_fraction"].reindex(zero.index)
            st = paired_stats(zero.to_numpy(), v.to_numpy())
            rows.append((b, 100 * st["diff"], 100 * st["ci_low"], 100 * st["ci_high"]))
        t = pd.DataFrame(rows, columns=["budget", "gain", "lo", "hi"])
        x = t["budget"] / 1e6
        ax.plot(x, t["gain"], marker="o", color=colours[strat], label=f"{strat} attacker")
        ax.fill_between(x, t["lo"], t["hi"], color=colours[strat], alpha=0.2, lw=0)
        hits = summarize_by(g, "defense.budget_eur", "hits_on_sites")
        numbers["by_attacker"][strat] = {
            "served_gain_pp": {f"{b / 1e6:.0f}": [round(float(m), 2), round(float(lo), 2),
                                                   round(float(hi), 2)]
                               for b, m, lo, hi in t.itertuples(index=False)},
            "drone_hits": {f"{b / 1e6:.0f}": round(float(m), 1)
                           for b, m in zip(hits["defense.budget_eur"], hits["mean"], strict=True)},
            # where extra money stops reducing drone hits: within 1% of the fewest
            "flat_from_eur": float(hits.loc[hits["mean"] <= hits["mean"].min() * 1.01,
                                            "defense.budget_eur"].min()),
        }
    flat = max(v["flat_from_eur"] for v in numbers["by_attacker"].values())
    sc = load_scenario(ROOT / "scenarios" / "nl-200m.yaml")
    if overrides:
        sc = with_overrides(sc, overrides)
    # what caps what the programme can fly where more money stops adding: the one account
    at_flat = limits_account(schedules_for(
        with_overrides(sc, {"defense.budget_eur": max(flat, 1.0)})))["programme"]
    labels = [lab for lab in at_flat.capacity if lab != "time"]
    binds = max(set(labels), key=labels.count) if labels else "time"
    numbers["flat_from_eur"] = flat
    numbers["binds_there"] = binds
    # where this panel's curves stop rising: the smallest budget at the largest (rounded) gain
    served_flat = max(
        min(float(b) for b, v in a["served_gain_pp"].items()
            if v[0] >= max(w[0] for w in a["served_gain_pp"].values()))
        for a in numbers["by_attacker"].values())
    ax.axhline(0, color="#777777", lw=0.8)
    ax.axvline(served_flat, color="#777777", ls=":", lw=1)
    ax.set_xlabel("Programme budget (EUR million)")
    ax.set_ylabel("Gain in winter demand served over EUR 0 (points)")
    ax.set_title(f"(a) What the money adds: the gain is flat from EUR {served_flat:,.0f}M,\n"
                 f"drone hits from EUR {flat / 1e6:,.0f}M (limited by {binds} there)", loc="left",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=8, title=f"mean of {reps} paired winters, 95% interval",
              title_fontsize=8)

    ax = axes[1]
    st = runs[runs["threat.attacker.strategy"] == "static"]
    for col, lab, c in (("hits_on_sites", "drone hits", OKABE_ITO["orange"]),
                        ("missile_hits_on_sites", "missile hits", OKABE_ITO["purple"])):
        if col not in st:
            continue
        s = summarize_by(st, "defense.budget_eur", col)
        x = s["defense.budget_eur"] / 1e6
        ax.plot(x, s["mean"], marker="o", color=c, label=lab)
        ax.fill_between(x, s["ci_low"], s["ci_high"], color=c, alpha=0.2, lw=0)
    ax.set_xlabel("Programme budget (EUR million)")
    ax.set_ylabel("Hits on energy sites over the winter")
    ax.set_title("(b) Hits on energy sites (static attacker):\n"
                 "interceptor drones stop drones, not missiles", loc="left", fontsize=10)
    ax.legend(fontsize=8, title=f"mean of {reps} winters", title_fontsize=8)

    ax = axes[2]
    months = list(month_runs["baseline"].summary["by_month"])
    xm = np.arange(len(months))
    width = 0.38
    numbers["by_month"] = {}
    for k, name in enumerate(("baseline", "nl-200m")):
        nights = month_runs[name].nights
        g = nights.groupby(nights["date"].str[:7])[
            ["energy_not_served_mwh_drones", "energy_not_served_mwh_missiles"]].sum() / args.replicates
        g = g.reindex(months).fillna(0.0) / 1e3
        pos = xm + (k - 0.5) * width
        ax.bar(pos, g["energy_not_served_mwh_missiles"], width, color=OKABE_ITO["purple"],
               alpha=1.0 if k else 0.55, label=f"{name}: missiles")
        ax.bar(pos, g["energy_not_served_mwh_drones"], width,
               bottom=g["energy_not_served_mwh_missiles"], color=OKABE_ITO["orange"],
               alpha=1.0 if k else 0.55, label=f"{name}: drones")
        numbers["by_month"][name] = {
            m: {"drones_gwh": round(float(g.loc[m, "energy_not_served_mwh_drones"]), 1),
                "missiles_gwh": round(float(g.loc[m, "energy_not_served_mwh_missiles"]), 1)}
            for m in months}
        numbers[name] = {k2: month_runs[name].summary.get(k2) for k2 in (
            "demand_served_fraction", "energy_not_served_mwh", "energy_loss_share_missiles",
            "hits_on_sites", "missile_hits_on_sites", "interception_rate",
            "outage_hours_per_day", "peak_deficit_gw")}
        numbers[name]["limits"] = month_runs[name].summary.get("limits", {}).get("text")
    # the programme's net effect (each replicate paired with the same winter with no
    # programme) and the one account of what limits each force, as `sim run` prints them
    numbers["net"] = {}
    for name in ("nl-200m", "nl-400m"):
        s = month_runs[name].summary
        block = {k: [v["mean"], v["ci_low"], v["ci_high"]]
                 for k, v in s["net"]["outcomes"].items()}
        block.update({k: s.get(k) for k in ("interceptor_kills", "programme_cost_eur",
                                            "unused_stock_eur", "programme_stock_end")})
        numbers["net"][name] = block
    numbers["limits"] = {
        "nl-200m": month_runs["nl-200m"].summary["limits"],
        "at_flat": {"budget_eur": flat, "binds": binds,
                    "can_fly_text": "what it can fly is limited by " + at_flat.capacity_text(),
                    "text": at_flat.text()},
        "geometry": GEOMETRY,
    }
    ax.set_xticks(xm, [pd.Timestamp(m + "-01").strftime("%b %Y") for m in months])
    ax.set_ylabel("Energy not served (GWh)")
    ax.set_title("(c) Month by month: without the programme (left) and with\n"
                 f"EUR 200M (right), by the weapon that caused it ({args.replicates} winters)",
                 loc="left", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.suptitle("What EUR 200M of interceptor drones adds to Ukraine's own force, winter 2025-26 "
                 "(forecast as known on 1 Oct 2025)", fontsize=12, x=0.01, ha="left")
    # EUR 400M with training and site building scaled (scenarios/nl-400m.yaml) against nl-200m,
    # paired on the same winters (both runs use the scenarios' seed, replicates 0..R-1)
    r2, r4 = month_runs["nl-200m"], month_runs["nl-400m"]
    s4 = r4.summary
    numbers["nl-400m"] = {
        "budget_eur": s4.get("budget_eur"),
        "spent_eur": s4.get("programme_cost_eur"),
        "hits_on_sites": s4.get("hits_on_sites"),
        "demand_served_fraction": s4.get("demand_served_fraction"),
    }
    for k in ("demand_served_fraction", "hits_on_sites"):
        st = paired_stats([r.outcomes[k] for r in r2.runs], [r.outcomes[k] for r in r4.runs])
        numbers["nl-400m"][f"{k}_over_nl_200m"] = [st["diff"], st["ci_low"], st["ci_high"]]
    out = Path(args.out)
    save_figure(fig, out.with_suffix(""), formats=("png",), dpi=130)
    text = json.dumps(_finite(numbers), indent=2)
    out.with_suffix(".json").write_text(text + "\n")
    print(text)
    print(f"wrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    if out.with_suffix(".json") == ROOT / "docs" / "img" / "headline.json":
        import runpy

        runpy.run_path(str(ROOT / "scripts" / "readme_headline.py"))["main"]([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
