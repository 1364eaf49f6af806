"""Command-line verbs ``run``, ``validate`` and ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

from sim.cli.common import WIDTH, replicate_count, seed_int


def summary_table(summary: dict) -> str:
    """The run's summary as a reader sees it first: the headline outcomes (names, units and
    formats from the outcome registry) with their intervals, what limited the result, and the
    month-by-month breakdown."""
    from sim.model.outcomes import OUTCOMES, format_value

    reps = int(summary["replicates"])
    outs = summary.get("outcomes", {})
    head = (f"{summary['scenario']}: {summary['nights']} nights from {summary['start_date']}, "
            f"programme {format_value(summary['budget_eur'], 'money')}, seed {summary['seed']}")
    lines = _wrap(head)
    lines.append("=" * min(len(head), WIDTH))
    if reps > 1:
        lines.append(f"{reps} replicates (winters): mean and 95% interval (BCa bootstrap over "
                     "replicates)")
    else:
        lines.append("1 replicate: ONE DRAW of a random winter, no interval. Use --replicates "
                     "10 or more for a mean.")
    lines.append("")
    lines += net_lines(summary)
    rows = []
    for o in OUTCOMES.headline():
        if o.name not in summary or summary[o.name] is None:
            continue
        cell = o.format(summary[o.name])
        ci = outs.get(o.name)
        interval = (f"[{_bare(o, ci['ci_low'])}, {_bare(o, ci['ci_high'])}]"
                    if ci and ci.get("n", 0) > 1 else "")
        rows.append((o.label, cell, interval))
    if rows:
        lines.append("")
        lines += _wrap("The winter with the programme (levels; the programme's own figures are "
                       "gross)")
        lines += _rows(rows)
    limits = summary.get("limits")
    if limits:
        lines.append("")
        lines += _wrap(limits.get("text", ""))
    portfolio = summary.get("portfolio")
    if portfolio:  # defense.portfolio: what each option bought and what limited it
        lines.append("")
        lines += _wrap(portfolio.get("text", ""))
    months = summary.get("by_month") or {}
    if len(months) > 1:
        lines.append("")
        power = any("outage_hours_per_day" in d for d in months.values())
        lines.append(f"{'By month':<10}{'drones':>9}{'stopped*':>10}{'hits':>8}{'served':>9}"
                     + (f"{'missiles':>10}" if any("missiles_launched" in d
                                                    for d in months.values()) else "")
                     + (f"{'h off/day':>10}{'deficit':>9}{'imports':>10}" if power else ""))
        for m, d in months.items():
            row = (f"{m:<10}{d['launched']:>9,.0f}"
                   f"{format_value(d.get('kinetic_coverage'), 'share'):>10}"
                   f"{d['hits_on_sites']:>8,.0f}"
                   f"{format_value(d.get('demand_served_fraction'), 'share'):>9}")
            if "missiles_launched" in d:
                row += f"{d['missiles_launched']:>10,.0f}"
            if power:
                row += (f"{d.get('outage_hours_per_day', float('nan')):>10.1f}"
                        f"{d.get('peak_deficit_gw', float('nan')):>6.2f} GW"
                        f"{d.get('imports_used_mwh', float('nan')) / 1e3:>6,.0f} GWh")
            lines.append(row)
        lines += _wrap("* share of drones aimed at energy sites that were stopped; served: "
                       "energy demand served"
                       + ("; h off/day: households' hours without power a day; deficit: the "
                          "day's peak deficit (mean of days); imports: energy imported"
                          if power else "")
                       + ("; means over replicates" if reps > 1 else ""))
    top = list(summary.get("hits_by_site", {}).items())[:5]
    if top:
        lines.append("")
        lines += _wrap("Most-hit sites: " + ", ".join(f"{s} ({float(h):,.0f})" for s, h in top))
    return "\n".join(lines)


def _rows(rows: list[tuple[str, str, str]]) -> list[str]:
    """Label, value and interval columns; labels wrap (never cut) so that the three fit the
    width."""
    import textwrap

    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    w0 = max(20, min(max(len(r[0]) for r in rows), WIDTH - 4 - w1 - w2))
    out = []
    for a, b, c in rows:
        parts = textwrap.wrap(a, w0, break_on_hyphens=False) or [""]
        out.append(f"{parts[0]:<{w0}}  {b:>{w1}}  {c}".rstrip())
        out += parts[1:]
    return out


def _interval(o, st: dict) -> str:
    """``[low, high]`` of a summary entry (``above low`` when it has no upper end)."""
    import math

    lo, hi = st.get("ci_low"), st.get("ci_high")
    if st.get("n", 0) <= 1 or lo is None or (isinstance(lo, float) and math.isnan(lo)):
        return ""
    if hi is None or (isinstance(hi, float) and math.isinf(hi)):
        return f"[{_bare(o, lo)}, no upper end]"
    return f"[{_bare(o, lo)}, {_bare(o, hi)}]"


def net_lines(summary: dict) -> list[str]:
    """The programme's net effect (``summary["net"]``): against the same winters with no
    programme, what it adds once the drones the other layers would have stopped anyway are
    taken out, and what it costs per drone that makes a difference, unused stock included."""
    from sim.model.outcomes import OUTCOMES

    net = summary.get("net")
    if not net:
        return []
    if not net.get("computed"):
        if summary.get("budget_eur", 0) > 0:
            return _wrap("Net effect not computed (--gross-only): the programme's figures below "
                         "are gross. They count drones the other layers would have stopped "
                         "without it; run without --gross-only for the net effect.")
        return []
    reps = int(summary["replicates"])
    outs = net.get("outcomes", {})
    lines = _wrap(f"Net effect of the programme: against the same {reps} winter"
                  f"{'s' * (reps != 1)} with no programme (budget 0, same launches)")
    rows = []

    def row(name, label=None, value=None):
        o, st = OUTCOMES[name], outs.get(name)
        if st is None and value is None:
            return
        v = st["mean"] if value is None else value
        rows.append((label or o.label, o.format(v),
                     _interval(o, st) if st and value is None and reps > 1 else ""))

    row("net_drones_stopped")
    if "net_drones_stopped" in outs and "interceptor_kills" in summary:
        row("interceptor_kills", "  = programme interceptor kills (gross)",
            summary["interceptor_kills"])
        row("displacement", "  - displacement: drones the other layers no longer stop")
    for name in ("net_hits_avoided", "net_aimed_at_energy_stopped",
                 "net_energy_not_served_avoided_mwh", "net_demand_served_gain",
                 "net_cost_per_drone_stopped_eur", "net_cost_per_hit_avoided_eur"):
        row(name)
    lines += _rows(rows)
    spend, unused = summary.get("programme_cost_eur"), summary.get("unused_stock_eur")
    if spend is not None and unused is not None:
        lines += _wrap(f"Costs are the whole spend ({OUTCOMES['programme_cost_eur'].format(spend)})"
                       f", of which {OUTCOMES['unused_stock_eur'].format(unused)} bought "
                       f"{summary.get('programme_stock_end', 0):,.0f} airframes left unused in "
                       "stock at the end.")
    return lines


def _bare(o, v) -> str:
    """A value without a trailing unit word (the value column names it)."""
    text = o.format(v).removesuffix(" points")
    return text.removesuffix(f" {o.unit}") if o.unit else text


def _wrap(text: str) -> list[str]:
    """Each paragraph (line) of ``text`` wrapped to the table width."""
    import textwrap

    return [w for para in (text or "").splitlines() for w in textwrap.wrap(para, WIDTH)]


def check_model_inputs(scenario, source: str) -> None:
    """Set the model up as ``run`` does, without simulating a night, when the scenario names its
    own files (``sites_file``, the energy grid, oblast and weather files, the threat and missile
    profiles) or ids (custom basing sites, launch areas): each is read and checked, so a
    scenario that passes runs. A scenario that uses only the packaged data is not set up (the
    test suite runs every shipped scenario), so ``validate`` starts fast.

    Raises:
        SimInputError: naming ``source``, the key of the file at fault and the reason; also
            when the model cannot be set up from the scenario for another reason.
    """
    from sim.config.errors import ScenarioError, SimInputError
    from sim.config.io import referenced_files

    files = referenced_files(scenario)
    if files:
        from sim.config.data import MAX_DATA_BYTES  # (imports pandas: only when there are files)
        from sim.config.files import check_regular_file
    for key, value in files.items():  # never open a FIFO, a device or a huge file
        try:
            check_regular_file(value, MAX_DATA_BYTES, "data file")
        except SimInputError as exc:
            raise type(exc)(f"{source}: {key}: {exc}") from None
    d, t = scenario.defense, scenario.threat
    names_ids = bool(d.basing.custom_sites) or t.launch_areas is not None
    if not files and not names_ids:
        return  # only the packaged data, checked by the test suite: start fast
    from sim.model.defense_model import DefenseModel

    def which(msg: str) -> str:
        keys = [k for k, v in files.items() if v and v in msg]
        return f"{keys[0]}: " if keys else ""

    try:
        DefenseModel(scenario)
    except SimInputError as exc:
        raise type(exc)(f"{source}: {which(str(exc))}{exc}") from None
    except Exception as exc:  # noqa: BLE001 - a file that loads but breaks the model
        named = ", ".join(f"{k} = {v}" for k, v in files.items())
        raise ScenarioError(
            f"{source}: the model cannot be set up from this scenario"
            + (f" (it reads {named})" if named else "")
            + f": {type(exc).__name__}: {exc}. If the files look right, please report this "
            "message as a bug."
        ) from None


def print_warnings(scenario, source: str, path=None, overrides: dict | None = None) -> list:
    """Print (to stderr) what :func:`sim.config.checks.scenario_warnings` finds in a scenario:
    implausible values, and the keys written in the file at ``path`` (and its bases) or in
    ``overrides`` that have no effect. Returns the warnings."""
    import sys

    from sim.config.checks import scenario_warnings
    from sim.config.io import scenario_keys

    keys = (scenario_keys(path) if path is not None else []) + list(overrides or {})
    found = scenario_warnings(scenario, list(dict.fromkeys(keys)))
    for w in found:
        print(f"warning: {w.text(source)}", file=sys.stderr)
    return found


def cmd_run(args) -> int:
    from sim.config.files import (
        FolderLock,
        StagedDir,
        atomic_write_json,
        atomic_write_parquet,
        check_out_dir,
    )
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.experiments.runs import run

    scenario = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    check_out_dir(out, args.overwrite)
    check_model_inputs(scenario, str(args.scenario))
    print_warnings(scenario, str(args.scenario), args.scenario, overrides)
    # One run writes a folder at a time: a second run into it exits 2 (the lock), and once the
    # first is done the folder holds results (the check again, inside the lock).
    with FolderLock(out):
        check_out_dir(out, args.overwrite)
        # Nothing is written until every replicate has run: a run that fails leaves an
        # earlier results folder as it was, even with --overwrite (StagedDir swaps it in).
        rs = run(scenario, seed=args.seed, replicates=args.replicates,
                 progress=not args.quiet, scenario_file=str(args.scenario),
                 net=not args.gross_only)
        rs.summary["overrides"] = overrides
        with StagedDir(out) as stage:
            atomic_write_json(stage / "summary.json", rs.summary)
            atomic_write_parquet(stage / "nights.parquet", rs.nights)
            if rs.counterfactual is not None:
                atomic_write_parquet(stage / "counterfactual_nights.parquet",
                                     rs.counterfactual.nights)
            (stage / "scenario.yaml").write_text(_scenario_yaml(scenario), encoding="utf-8")
    print(summary_table(rs.summary))
    extra = (f" (and the counterfactual's, {out / 'counterfactual_nights.parquet'})"
             if rs.counterfactual is not None else "")
    print(f"\nWrote {out / 'summary.json'} and {out / 'nights.parquet'}{extra}")
    return 0


def _scenario_yaml(scenario) -> str:
    """The scenario as run, complete (a ``base`` it started from is merged in already)."""
    import yaml

    data = scenario.model_dump(mode="json")
    base = data.pop("base", None)
    head = f"# Complete scenario as run (it started from base: {base})\n" if base else ""
    return head + yaml.safe_dump(data, sort_keys=False)


def cmd_validate(args) -> int:
    """Check a scenario file, or a sweep file, as ``run`` (``sweep``) would read it."""
    from sim.config.io import file_kind, load_scenario, parse_set_args, with_overrides
    from sim.config.safe_yaml import read_yaml_file
    from sim.model.outcomes import format_value

    path = args.scenario
    data = read_yaml_file(path)
    overrides = parse_set_args(args.set)
    if file_kind(data) == "sweep":
        return _validate_sweep(path, overrides)
    sc = load_scenario(path)  # with any base it starts from
    if overrides:
        sc = with_overrides(sc, overrides)
    check_model_inputs(sc, str(path))
    found = print_warnings(sc, str(path), path, overrides)
    print(f"{path}: valid scenario {sc.name!r} ({sc.period.nights} nights from "
          f"{sc.period.start_date}, programme budget {format_value(sc.defense.budget_eur, 'money')}"
          ")" + (f"; {len(found)} warning{'s' * (len(found) != 1)} above" if found else ""))
    return 0


def _validate_sweep(path, overrides) -> int:
    """``validate`` of a sweep file: the file, its base scenario (and the files that names),
    every factor's values on the base, and the size of the design."""
    import sys

    from sim.config.safe_yaml import read_yaml_file
    from sim.experiments.sweep.designs import generate_design
    from sim.experiments.sweep.engine import check_inputs, factor_warnings, make_context, run_count
    from sim.experiments.sweep.model import SIM_MODEL, base_scenario, resolve_model
    from sim.experiments.sweep.spec import load_sweep

    loaded = load_sweep(path, overrides)
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    adapter = resolve_model(loaded.spec.model)
    points, runs = run_count(loaded)
    ctx = make_context(loaded, adapter)
    design = generate_design(loaded)
    check_inputs(loaded, adapter, design, ctx)
    if adapter is SIM_MODEL:
        check_model_inputs(base_scenario(ctx), f"{path}: base {loaded.base_path}")
    for w in factor_warnings(loaded, adapter, design, ctx):
        print(f"warning: {w}", file=sys.stderr)
    cap = loaded.spec.max_runs
    over = (f"; above max_runs ({cap:,}): `sweep` needs --force or --max-runs"
            if runs > cap else "")
    seed_from = "" if "seed" in (read_yaml_file(path) or {}) else ", the base scenario's"
    print(f"{path}: valid sweep file {loaded.name!r} (base {loaded.base_path}; {points:,} design "
          f"points x {loaded.spec.replicates} replicates = {runs:,} runs{over}; seed "
          f"{loaded.spec.seed}{seed_from})")
    return 0


def cmd_schema(args) -> int:
    from sim.config.io import scenario_json_schema

    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def register(subparsers) -> None:
    """Add ``run``, ``validate`` and ``schema`` to the main parser."""
    r = subparsers.add_parser("run", help="simulate a winter from a scenario file")
    r.add_argument("scenario", help="scenario YAML file")
    r.add_argument("--seed", type=seed_int, default=None, help="root seed (default: file's)")
    r.add_argument("--replicates", type=replicate_count, default=10,
                   help="replicates: winters with their own random raids (default 10, enough "
                        "for a stable mean in a few seconds each)")
    r.add_argument("--out", default=None, help="results folder (default results/NAME)")
    r.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. defense.budget_eur=400000000")
    r.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--gross-only", action="store_true",
                   help="skip the counterfactual (the same winters with no programme) that the "
                        "net effects need: half the work, and the programme's figures are then "
                        "gross (they count drones the other layers would have stopped)")
    r.set_defaults(func=cmd_run)

    v = subparsers.add_parser(
        "validate", help="check a scenario file or a sweep file (exit 2 if bad)",
        description="Check a scenario file as `run` reads it (the schema, then every file it "
        "names, by setting the model up), or a sweep file as `sweep` reads it (the file, its "
        "base scenario, every factor's values and the size of the design).")
    v.add_argument("scenario", metavar="FILE", help="scenario or sweep YAML file")
    v.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="check with this override, as `run --set` would apply it")
    v.set_defaults(func=cmd_validate)

    s = subparsers.add_parser("schema", help="print the scenario JSON Schema")
    s.set_defaults(func=cmd_schema)
