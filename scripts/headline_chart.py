"""The README's headline chart: what the interceptor budget buys over a winter.

Runs (or resumes) the shipped funding sweep, ``sweeps/funding.yaml`` (the nl-200m programme at
EUR 0 to 1,000M, 20 replicates per level with common random numbers), and writes
``docs/img/headline.png``::

    python scripts/headline_chart.py                    # ~5 min on 2 cores, resumable
    python scripts/headline_chart.py --results results/funding   # reuse a finished sweep

The sweep's results stay in ``--results`` (default ``results/funding``); a second call only
redraws the chart. ``python -m sim plot results/funding`` writes the same chart
(``coverage_vs_budget``) with the sweep's other figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweep", default=str(ROOT / "sweeps" / "funding.yaml"),
                   help="sweep file (default sweeps/funding.yaml)")
    p.add_argument("--results", default=str(ROOT / "results" / "funding"),
                   help="sweep results folder (default results/funding; resumed if present)")
    p.add_argument("--out", default=str(ROOT / "docs" / "img" / "headline.png"),
                   help="chart file (default docs/img/headline.png)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default all)")
    p.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
    args = p.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from sim.config.io import load_scenario
    from sim.experiments.sweep.api import sweep
    from sim.experiments.sweep.spec import load_sweep
    from sim.viz import figures as plots

    results = Path(args.results)
    runs_path = results / "runs.parquet"
    if runs_path.is_file() and (results / "manifest.json").is_file():
        runs = pd.read_parquet(runs_path)
        print(f"using the finished sweep in {results}", file=sys.stderr)
    else:
        runs = sweep(args.sweep, out=results, workers=args.workers)
    loaded = load_sweep(args.sweep)
    base = load_scenario(loaded.base_path) if getattr(loaded, "base_path", None) else None

    reps = int(runs.groupby("defense.budget_eur").size().min())
    fig, ax = plots.plot_coverage_vs_budget(runs, figsize=(7.2, 5.4))
    # Where extra money stops buying protection: the first level within 0.5 percentage points
    # of the best mean share of drones stopped.
    s = plots.summarize_by(runs, "defense.budget_eur", "kinetic_coverage")
    top = s["mean"].max()
    plateau = float(s.loc[s["mean"] >= top - 0.005, "defense.budget_eur"].min())
    sub = f"nl-200m programme, winter 2025-26, {reps} simulated winters per budget level"
    if base is not None:
        from sim.config.data import load_sites

        sites = load_sites()
        eligible = int((sites["type"].isin(base.defense.basing.site_types)
                        & (sites["status"] == "operational")).sum())
        first = base.defense.delivery.first_delivery_date
        sub += (f";\nfirst deliveries {first:%d %b %Y}; launch sites go to the {eligible} "
                f"listed energy sites first")
    ax.set_title(sub, loc="left", fontsize=8, color="#444444")
    fig.suptitle("What the interceptor budget buys over a winter", x=0.01, ha="left",
                 fontsize=12)
    if 0 < plateau < float(s["defense.budget_eur"].max()):
        xmax = float(s["defense.budget_eur"].max())
        ax.annotate(f"no further gain above EUR {plateau / 1e6:,.0f}M",
                    (plateau, top), xytext=(plateau + 0.22 * xmax, top - 0.1),
                    textcoords="data", fontsize=8, va="center",
                    arrowprops={"arrowstyle": "->", "color": "#444444", "lw": 0.8})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = plots.save_figure(fig, out.with_suffix(""), formats=("png",), dpi=args.dpi)
    size_kb = written[0].stat().st_size / 1024
    print(f"wrote {written[0]} ({size_kb:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
