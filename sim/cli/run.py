"""Command-line verbs ``run``, ``validate`` and ``schema``."""

from __future__ import annotations

import json
import math
from pathlib import Path

from sim.cli.common import nonneg_int, pos_int


def _pct(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}%"


def _fmt(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        if abs(v) >= 1e6:
            return f"{v / 1e6:,.1f} M"
        if abs(v) < 10 and v != int(v):
            return f"{v:.3f}"
        return f"{v:,.0f}"
    return str(v)


def summary_table(summary: dict) -> str:
    """A readable table of the headline outcomes (with 95% CIs for several replicates)."""
    from sim.model.outcomes import OUTCOMES

    rows = []
    outs = summary.get("outcomes", {})
    for o in OUTCOMES.headline():
        k = o.name
        if k not in summary:
            continue
        v = summary[k]
        cell = _fmt(v)
        if k in outs and outs[k]["n"] > 1:
            cell += f"  [{_fmt(outs[k]['ci_low'])}, {_fmt(outs[k]['ci_high'])}]"
        rows.append((o.label, cell))
    width = max(len(r[0]) for r in rows)
    head = (f"{summary['scenario']}: {summary['nights']} nights from {summary['start_date']}, "
            f"budget EUR {summary['budget_eur'] / 1e6:,.0f}M, seed {summary['seed']}, "
            f"{summary['replicates']} replicate(s)")
    lines = [head, "-" * len(head)]
    lines += [f"{a:<{width}}  {b}" for a, b in rows]
    if summary["replicates"] > 1:
        lines.append("(replicate mean [95% confidence interval])")
    months = summary.get("by_month") or {}
    if len(months) > 1:
        lines.append("")
        lines.append(f"{'By month':<10}{'launched':>10}{'stopped*':>10}{'hits':>8}{'served':>9}")
        for m, d in months.items():
            served = d.get("demand_served_fraction", math.nan)
            lines.append(f"{m:<10}{d['launched']:>10,.0f}{_pct(d['kinetic_coverage']):>10}"
                         f"{d['hits_on_sites']:>8,.0f}{_pct(served):>9}")
        lines.append("(* share of drones aimed at energy sites that were stopped; served: "
                     "energy demand served)")
    top = list(summary.get("hits_by_site", {}).items())[:5]
    if top:
        lines.append("Most-hit sites: " + ", ".join(f"{s} ({_fmt(float(h))})" for s, h in top))
    return "\n".join(lines)


def cmd_run(args) -> int:
    from sim.config.io import (
        StagedDir,
        atomic_write_json,
        atomic_write_parquet,
        check_out_dir,
        load_scenario,
        parse_set_args,
        with_overrides,
    )
    from sim.experiments.runs import run

    scenario = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    check_out_dir(out, args.overwrite)
    rs = run(scenario, seed=args.seed, replicates=args.replicates, progress=not args.quiet,
             scenario_file=str(args.scenario))
    rs.summary["overrides"] = overrides
    with StagedDir(out) as stage:
        atomic_write_json(stage / "summary.json", rs.summary)
        atomic_write_parquet(stage / "nights.parquet", rs.nights)
        (stage / "scenario.yaml").write_text(
            _scenario_yaml(scenario), encoding="utf-8"
        )
    print(summary_table(rs.summary))
    print(f"\nWrote {out / 'summary.json'} and {out / 'nights.parquet'}")
    return 0


def _scenario_yaml(scenario) -> str:
    import yaml

    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)


def cmd_validate(args) -> int:
    from sim.config.io import load_scenario

    sc = load_scenario(args.scenario)
    print(f"{args.scenario}: valid scenario {sc.name!r} ({sc.period.nights} nights from "
          f"{sc.period.start_date}, budget EUR {sc.defense.budget_eur:,.0f})")
    return 0


def cmd_schema(args) -> int:
    from sim.config.io import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def register(subparsers) -> None:
    """Add ``run``, ``validate`` and ``schema`` to the main parser."""
    r = subparsers.add_parser("run", help="simulate a winter from a scenario file")
    r.add_argument("scenario", help="scenario YAML file")
    r.add_argument("--seed", type=nonneg_int, default=None, help="root seed (default: file's)")
    r.add_argument("--replicates", type=pos_int, default=1, help="replicates (default 1)")
    r.add_argument("--out", default=None, help="results folder (default results/NAME)")
    r.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. defense.budget_eur=400000000")
    r.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=cmd_run)

    v = subparsers.add_parser("validate", help="check a scenario file")
    v.add_argument("scenario")
    v.set_defaults(func=cmd_validate)

    s = subparsers.add_parser("schema", help="print the scenario JSON Schema")
    s.set_defaults(func=cmd_schema)
