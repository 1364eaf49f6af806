"""Command-line verbs ``run``, ``validate`` and ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli.common import nonneg_int, pos_int

WIDTH = 100  # every table fits 100 columns


def summary_table(summary: dict) -> str:
    """The run's summary as a reader sees it first: the headline outcomes (names, units and
    formats from the outcome registry) with their intervals, what limited the result, and the
    month-by-month breakdown."""
    from sim.model.outcomes import OUTCOMES, format_value

    reps = int(summary["replicates"])
    outs = summary.get("outcomes", {})
    head = (f"{summary['scenario']}: {summary['nights']} nights from {summary['start_date']}, "
            f"programme {format_value(summary['budget_eur'], 'money')}, seed {summary['seed']}")
    lines = [head[:WIDTH], "=" * min(len(head), WIDTH)]
    if reps > 1:
        lines.append(f"{reps} replicates (winters): mean and 95% interval (BCa bootstrap over "
                     "replicates)")
    else:
        lines.append("1 replicate: ONE DRAW of a random winter, no interval. Use --replicates "
                     "10 or more for a mean.")
    rows = []
    for o in OUTCOMES.headline():
        if o.name not in summary or summary[o.name] is None:
            continue
        cell = o.format(summary[o.name])
        ci = outs.get(o.name)
        interval = (f"[{_bare(o, ci['ci_low'])}, {_bare(o, ci['ci_high'])}]"
                    if ci and ci.get("n", 0) > 1 else "")
        rows.append((o.label, cell, interval))
    w0 = min(max(len(r[0]) for r in rows), WIDTH - 40)
    w1 = max(len(r[1]) for r in rows)
    lines.append("")
    lines += [f"{a[:w0]:<{w0}}  {b:>{w1}}  {c}".rstrip() for a, b, c in rows]
    limits = summary.get("limits")
    if limits:
        lines.append("")
        lines += _wrap(limits.get("text", ""))
    months = summary.get("by_month") or {}
    if len(months) > 1:
        lines.append("")
        lines.append(f"{'By month':<10}{'drones':>9}{'stopped*':>10}{'hits':>8}{'served':>9}"
                     + (f"{'missiles':>10}" if any("missiles_launched" in d
                                                    for d in months.values()) else ""))
        for m, d in months.items():
            row = (f"{m:<10}{d['launched']:>9,.0f}"
                   f"{format_value(d.get('kinetic_coverage'), 'share'):>10}"
                   f"{d['hits_on_sites']:>8,.0f}"
                   f"{format_value(d.get('demand_served_fraction'), 'share'):>9}")
            if "missiles_launched" in d:
                row += f"{d['missiles_launched']:>10,.0f}"
            lines.append(row)
        lines.append("* share of drones aimed at energy sites that were stopped; served: energy "
                     "demand served" + ("; means over replicates" if reps > 1 else ""))
    top = list(summary.get("hits_by_site", {}).items())[:5]
    if top:
        lines.append("")
        lines += _wrap("Most-hit sites: " + ", ".join(f"{s} ({float(h):,.0f})" for s, h in top))
    return "\n".join(lines)


def _bare(o, v) -> str:
    """A value without a trailing unit word (the value column names it)."""
    text = o.format(v)
    return text.removesuffix(f" {o.unit}") if o.unit else text


def _wrap(text: str) -> list[str]:
    """Each paragraph (line) of ``text`` wrapped to the table width."""
    import textwrap

    return [w for para in (text or "").splitlines() for w in textwrap.wrap(para, WIDTH)]


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
    """The scenario as run, complete (a ``base`` it started from is merged in already)."""
    import yaml

    data = scenario.model_dump(mode="json")
    base = data.pop("base", None)
    head = f"# Complete scenario as run (it started from base: {base})\n" if base else ""
    return head + yaml.safe_dump(data, sort_keys=False)


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
    r.add_argument("--replicates", type=pos_int, default=10,
                   help="replicates: winters with their own random raids (default 10, enough "
                        "for a stable mean in a few seconds each)")
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
