"""Command-line verb ``optimise``: where to put the programme's teams and how to split its money
(:mod:`sim.experiments.optimise`; the method is in ``docs/optimise.md``).

``python -m sim optimise SCENARIO`` searches plans (basing and split) with optuna's TPE on
common-random-number replicates, then runs the best plan and the shipped scenario on fresh
replicates and prints the plan and its gain with a 95% interval. ``--out DIR`` writes the plan
as a scenario overlay (``plan.yaml``), the full scenario with the plan (``scenario.yaml``, for
``python -m sim run``), the trials (``trials.json``) and the comparison (``result.json``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.cli.common import nonneg_int, pos_float, pos_int

WIDTH = 100


def _fmt_diff(o, v: float) -> str:
    """A difference in the outcome's units, signed (percentage points for shares)."""
    if v != v:  # nan
        return "n/a"
    if o.kind == "share":
        return "0.000 pp" if abs(100 * v) < 0.0005 else f"{100 * v:+.3f} pp"
    text = o.format(abs(v))
    return ("-" if v < 0 else "+") + text


def _fmt(o, v: float) -> str:
    """A value in the outcome's units (shares with 3 decimals of a percent: plans differ by
    hundredths of a percent of demand)."""
    if o.kind == "share" and v == v:
        return f"{100 * v:.3f}%"
    return o.format(v)


def _resolution_words(o, resolution: float | None) -> str:
    """A resolution in the outcome's units (points for a share)."""
    if resolution is None:
        return "n/a"
    if o.kind == "share":
        return f"{100 * resolution:g} points"
    return o.format(resolution)


def _p(p: float) -> str:
    return "n/a" if p != p else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _bought(scenario, plan=None) -> str:
    from sim.config.io import with_overrides
    from sim.model.theatre import schedules_for

    if plan is not None:
        scenario = with_overrides(scenario, plan.overrides(), source="plan")
    b = schedules_for(scenario).programme.bought
    if not b:
        return "nothing"
    return (f"{b.get('crews', 0):,} crews, {b.get('sites', 0):,} sites, {b.get('radars', 0):,} "
            f"radars, {b.get('airframes', 0):,} airframes")


def _shipped_text(scenario) -> str:
    b, d = scenario.defense.basing, scenario.defense
    basing = b.policy
    if b.policy == "mix":
        basing = "mix of " + ", ".join(f"{k} {v:g}" for k, v in b.mix_weights.items())
    split = "auto" if d.split == "auto" else "shares"
    return f"{basing}, split {split}"


def report_text(result, scenario, table) -> str:
    """The printed report: the plan, its objective and its gain over the shipped plan."""
    import textwrap

    from sim.model.outcomes import OUTCOMES, format_value

    st = result.settings
    o = OUTCOMES[st["outcome"]]
    att = st["attacker"]
    head = (f"Optimised plan: {st['scenario']}, {st['nights']} nights from {st['start_date']}, "
            f"programme {format_value(st['budget_eur'], 'money')}, seed {st['seed']}")
    lines = [head[:WIDTH], "=" * min(len(head), WIDTH)]
    against = ("the worst of the static, best-response and learning attackers" if att == "robust"
               else f"the {att.replace('_', '-')} attacker")
    sense = "maximise" if st["sense"] > 0 else "minimise"
    reps = f"{st['replicates']} replicate" + ("s" if st["replicates"] != 1 else "")
    res = st.get("resolution")
    racing = (f" Each trial raced the best plan so far on paired replicates until a "
              f"difference of {_resolution_words(o, res)} was told apart at 95% confidence (at "
              f"most {st['max_replicates']} replicates)." if res is not None else "")
    para = (f"Objective: {o.label.lower()} ({sense}), mean over the first {reps} "
            f"with common random numbers, against {against}. Search: {st['trials']} trials of "
            f"optuna TPE (seed {st['seed']}); {st['space']}.{racing} "
            f"{result.runs:,} winters simulated.")
    lines += textwrap.wrap(para, WIDTH)
    lines.append("")
    lines.append(f"Plan (trial {result.best_trial + 1} of {len(result.trials)})")
    lines += textwrap.wrap(f"Basing: {result.best.basing_text()}", WIDTH,
                           initial_indent="  ", subsequent_indent="    ")
    lines += textwrap.wrap(f"Split: {result.best.split_text()}; buys {_bought(scenario, result.best)}",
                           WIDTH, initial_indent="  ", subsequent_indent="    ")
    lines.append(f"  Objective on the search replicates: {_fmt(o, result.objective)} "
                 f"(shipped plan: {_fmt(o, result.shipped_objective)})")
    n = len(table)
    if n:
        show = min(n, 12)
        lines.append("")
        lines.append(f"  Programme launch sites: {n}, in order of commissioning"
                     + (f" (first {show})" if show < n else ""))
        lines.append(f"  {'#':>3}  {'near':<34}{'type':<16}{'oblast':<18}{'km':>6}")
        foot = ("  near: the nearest energy site or city; km: the distance to it (rings and "
                "corridors: off-site)")
        for r in table.head(show).itertuples():
            lines.append(f"  {r.order:>3}  {str(r.near)[:33]:<34}{str(r.type)[:15]:<16}"
                         f"{str(r.oblast)[:17]:<18}{r.distance_km:>6.0f}")
        lines.append(foot)
        at = table[table["distance_km"] < 1.0]
        counts = at["type"].value_counts()
        parts = [f"{t} {c}" for t, c in counts.items()]
        off = n - len(at)
        if off:
            parts.append(f"off-site (rings, corridors) {off}")
        lines += textwrap.wrap("  All by type: " + ", ".join(parts), WIDTH,
                               subsequent_indent="    ")
        obl = at["oblast"].value_counts()
        if len(obl):
            lines += textwrap.wrap("  On-site by oblast: " + ", ".join(
                f"{k} {v}" for k, v in obl.items()), WIDTH, subsequent_indent="    ")
    ev = result.evaluation
    lines.append("")
    if not ev:
        lines.append("No evaluation on fresh replicates (--eval-replicates 0): the objective "
                     "above is optimistic.")
        return "\n".join(lines)
    reps = ev["replicates"]
    precision = ""
    if ev.get("resolution") is not None:
        precision = (f"; run until the 95% interval was within {_resolution_words(o, ev['resolution'])}"
                     if ev.get("precise") else
                     f"; the 95% interval is still wider than {_resolution_words(o, ev['resolution'])} "
                     f"at the cap of {ev['max_replicates']} replicates")
    lines += textwrap.wrap(
        f"Gain over the shipped plan ({_shipped_text(scenario)}; buys {_bought(scenario)}) on "
        f"{len(reps)} fresh replicates ({reps[0]}-{reps[-1]}, not used in the search), "
        f"paired{precision}:", WIDTH)
    lines.append(f"  {'attacker':<16}{'shipped':>12}{'plan':>12}{'gain':>14}  "
                 f"{'95% interval':<26}{'p':>7}")
    for a, s in ev["by_attacker"].items():
        interval = f"[{_fmt_diff(o, s['ci_low'])}, {_fmt_diff(o, s['ci_high'])}]"
        lines.append(f"  {a:<16}{_fmt(o, s['mean_a']):>12}{_fmt(o, s['mean_b']):>12}"
                     f"{_fmt_diff(o, s['diff']):>14}  {interval:<26}{_p(s['p_value']):>7}")
    wc = ev.get("worst_case")
    if wc:
        interval = f"[{_fmt_diff(o, wc['ci_low'])}, {_fmt_diff(o, wc['ci_high'])}]"
        lines.append(f"  {'worst case':<16}{_fmt(o, wc['worst_shipped']):>12}"
                     f"{_fmt(o, wc['worst_plan']):>12}{_fmt_diff(o, wc['diff']):>14}  "
                     f"{interval:<26}{'':>7}")
    lines.append("  gain = plan - shipped, mean over replicates; interval: BCa bootstrap; p: "
                 "paired t-test")
    return "\n".join(lines)


def _nested(overrides: dict) -> dict:
    out: dict = {}
    for key, v in overrides.items():
        node = out
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return out


def _set_args(overrides: dict) -> list[str]:
    import shlex

    import yaml

    out = []
    for k, v in overrides.items():
        if isinstance(v, str | bool | int | float):
            text = str(v).lower() if isinstance(v, bool) else str(v)
        else:
            text = yaml.safe_dump(v, default_flow_style=True, width=10**6,
                                  sort_keys=False).strip()
        out.append("--set " + shlex.quote(f"{k}={text}"))
    return out


def _run_command(scenario_path: str, overrides: dict, out: Path | None) -> list[str]:
    """How to run the plan: a ``python -m sim run`` command within the width, else where the
    ``--set`` options are written."""
    sets = _set_args(overrides)
    if all(len(s) <= WIDTH - 6 for s in sets):
        cmd = [f"  python -m sim run {scenario_path}"] + [f"    {s}" for s in sets]
        return ["Run the plan:"] + [ln + " \\" for ln in cmd[:-1]] + cmd[-1:]
    where = (f"{out / 'plan.txt'} (or run {out / 'scenario.yaml'})" if out is not None
             else "plan.txt of --out DIR")
    return [f"Run the plan: python -m sim run {scenario_path} with the --set options in",
            f"  {where}"]


def _resolution_arg(args, scenario) -> float | None | str:
    """``--resolution`` in the outcome's stored units (points of a share / 100); ``0``: no
    sequential replicates; absent: the default for the outcome."""
    from sim.config.errors import SimInputError
    from sim.experiments.optimise import outcome_sense
    from sim.model.outcomes import OUTCOMES

    if args.resolution is None:
        return "default"
    if args.resolution < 0 or args.resolution != args.resolution:
        raise SimInputError(f"--resolution {args.resolution:g}: must be >= 0 (0: no sequential "
                            "replicates)")
    if args.resolution == 0:
        return None
    outcome_sense(args.outcome)  # an unknown outcome is named first
    return args.resolution / 100 if OUTCOMES[args.outcome].kind == "share" else args.resolution


def cmd_optimise(args) -> int:
    """Handler of ``optimise``."""
    from sim.config.errors import SimInputError

    if args.portfolio:  # the best mix of spending options
        from sim.cli.portfolio import cmd_optimise_portfolio

        return cmd_optimise_portfolio(args)
    if args.budget is not None or args.options is not None:
        raise SimInputError("--budget and --options go with --portfolio")
    args.attacker = args.attacker or "static"

    try:
        import optuna  # noqa: F401
    except ImportError:
        from sim.experiments.optimise import INSTALL_HINT

        raise SimInputError(INSTALL_HINT) from None
    import yaml

    from sim.config.files import StagedDir, atomic_write_json, check_out_dir
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.experiments.optimise import (
        ModelEvaluator,
        SearchSpace,
        optimise,
        plan_sites,
    )

    if args.trials < 1:
        raise SimInputError(f"--trials {args.trials}: at least one trial is needed")
    scenario = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if args.nights is not None:
        if args.nights < 1:
            raise SimInputError(f"--nights {args.nights}: at least one night is needed")
        overrides["period.nights"] = args.nights
    if overrides:
        scenario = with_overrides(scenario, overrides)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out, args.overwrite)
    strategies = tuple(s for s in (args.strategies or "").split(",") if s) or None
    sites_from = (tuple(s.strip() for s in args.sites_from.split(",") if s.strip())
                  if args.sites_from is not None else None)
    candidates = (tuple(c.strip() for c in args.candidates.split(",") if c.strip())
                  if args.candidates is not None else ())
    if args.candidates is not None and not candidates:
        raise SimInputError("--candidates: empty list of site or city ids")
    if candidates and args.basing != "sites":
        raise SimInputError("--candidates: only with --basing sites")
    space = SearchSpace(basing=args.basing, split=args.split, min_share=args.min_share,
                        max_share=args.max_share, sites_from=sites_from, pool=candidates,
                        **({"strategies": strategies} if strategies else {}))
    seed = int(scenario.seed if args.seed is None else args.seed)
    resolution = _resolution_arg(args, scenario)
    evaluator = ModelEvaluator(scenario, seed, args.outcome, workers=args.workers)
    quiet = args.quiet
    t0 = time.perf_counter()

    def on_stage(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr, flush=True)

    def on_trial(rec, best, n) -> None:
        if quiet:
            return
        from sim.model.outcomes import OUTCOMES

        o = OUTCOMES[args.outcome]
        race = rec.race
        verdict = f"{race.get('verdict', ''):<6} {race.get('replicates', 0):>3} reps"
        line = (f"trial {rec.number + 1:>3}/{n}  {_fmt(o, rec.objective):>10}  {verdict}  best "
                f"#{best.number + 1:<3} {rec.seconds:5.1f} s  "
                f"{rec.plan.basing_text()}; {rec.plan.split_text()}")
        print(line[:WIDTH], file=sys.stderr, flush=True)

    try:
        result = optimise(scenario, attacker=args.attacker, trials=args.trials,
                          replicates=args.replicates, eval_replicates=args.eval_replicates,
                          seed=seed, outcome=args.outcome, space=space, evaluate=evaluator,
                          resolution=resolution, max_replicates=args.max_replicates,
                          max_eval_replicates=args.max_eval_replicates,
                          on_trial=on_trial, on_stage=on_stage)
    finally:
        evaluator.close()
    table = plan_sites(scenario, result.best)
    print(report_text(result, scenario, table))
    elapsed = time.perf_counter() - t0
    plan_over = result.best.overrides()
    print("")
    print("\n".join(_run_command(args.scenario, {**overrides, **plan_over}, out)))
    if out is not None:
        plan_scenario = with_overrides(scenario, plan_over, source="plan")
        plan_scenario = plan_scenario.model_copy(update={"name": f"{scenario.name}-optimised"})
        st = result.settings
        header = (f"# Plan found by `python -m sim optimise {args.scenario}` (attacker "
                  f"{st['attacker']}, {st['trials']} trials from {st['replicates']} replicates, "
                  f"{st['nights']} nights, seed {st['seed']}).\n"
                  "# Apply it with the --set options of plan.txt, or run scenario.yaml.\n")
        with StagedDir(out) as stage:
            (stage / "plan.yaml").write_text(
                header + yaml.safe_dump(_nested(plan_over), sort_keys=False), encoding="utf-8")
            (stage / "plan.txt").write_text("\n".join(_set_args(plan_over)) + "\n",
                                            encoding="utf-8")
            (stage / "scenario.yaml").write_text(
                yaml.safe_dump(plan_scenario.model_dump(mode="json", exclude={"base"}),
                               sort_keys=False),  # complete: its base is merged in already
                encoding="utf-8")
            trials = [{"trial": t.number, "objective": t.objective, "means": t.means,
                       "race": t.race, "seconds": t.seconds, "params": t.params,
                       "plan": t.plan.overrides()}
                      for t in result.trials]
            atomic_write_json(stage / "trials.json", {"settings": result.settings,
                                                      "overrides": overrides, "trials": trials})
            atomic_write_json(stage / "result.json", {
                "settings": result.settings, "overrides": overrides,
                "plan": plan_over, "best_trial": result.best_trial,
                "objective": result.objective, "shipped_objective": result.shipped_objective,
                "evaluation": result.evaluation, "runs": result.runs, "elapsed_s": elapsed,
                "sites": table.to_dict(orient="records")})
        print("Wrote plan.yaml, plan.txt, scenario.yaml, trials.json and result.json in")
        print(f"  {out}")
    print(f"({elapsed:.0f} s)", file=sys.stderr)
    return 0


def _share(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _at_least_one(what: str):
    """A checked integer >= 1 (argparse type) whose message says what is counted."""
    def check(text: str) -> int:
        try:
            return pos_int(text)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"{text}: at least one {what} is needed (a whole number >= 1)") from None
    check.__name__ = f"{what}s"
    return check


def register(subparsers) -> None:
    """Add ``optimise`` to the main parser."""
    o = subparsers.add_parser(
        "optimise", help="choose the programme's launch sites and split of money (optuna TPE on "
        "common-random-number replicates) and compare with the shipped plan")
    o.add_argument("scenario", help="scenario YAML file")
    o.add_argument("--attacker", default=None,
                   choices=["static", "best_response", "learning", "robust"],
                   help="attacker strategy to optimise against; robust: the worst of the three "
                        "(default static; with --portfolio robust)")
    o.add_argument("--trials", type=_at_least_one("trial"), default=30, help="optuna trials (default 30)")
    o.add_argument("--replicates", type=nonneg_int, default=4,
                   help="first replicates of every trial, the same for every trial (default 4); "
                        "a race against the best plan so far adds more")
    o.add_argument("--resolution", type=_share, default=None, metavar="DIFF",
                   help="smallest difference to tell apart at 95%% confidence, in the outcome's "
                        "units (percentage points for a share; default 0.2 for demand served); "
                        "races and the final comparison run replicates until their interval is "
                        "this narrow; 0: fixed replicates only")
    o.add_argument("--max-replicates", type=_at_least_one("replicate"), default=32,
                   help="replicates a race may use (default 32)")
    o.add_argument("--eval-replicates", type=nonneg_int, default=10,
                   help="first fresh replicates to compare the plan with the shipped one "
                        "(default 10; more until the interval is within the resolution)")
    o.add_argument("--max-eval-replicates", type=_at_least_one("replicate"), default=96,
                   help="fresh replicates the final comparison may use (default 96)")
    o.add_argument("--nights", type=_at_least_one("night"), default=None,
                   help="shorten the winter to this many nights from its start (faster)")
    o.add_argument("--seed", type=nonneg_int, default=None,
                   help="root seed of the runs and the sampler (default: the scenario's)")
    o.add_argument("--outcome", default="demand_served_fraction",
                   help="winter outcome to optimise (default demand_served_fraction; its "
                        "direction comes from the outcome registry)")
    o.add_argument("--basing", default="mix", choices=["mix", "sites", "shipped"],
                   help="basing decision: weights over strategies (mix, default), priorities of "
                        "candidate sites (sites), or the scenario's (shipped)")
    o.add_argument("--strategies", default=None, metavar="A,B",
                   help="strategies a mix weights (default: energy_sites, cities, corridors, "
                        "grid_critical, threat_weighted)")
    o.add_argument("--sites-from", default=None, metavar="TYPES",
                   help="site types eligible as launch sites, comma-separated (and 'city' for "
                        "the cities); default: defense.basing.site_types")
    o.add_argument("--candidates", default=None, metavar="IDS",
                   help="with --basing sites: the candidate energy-site or city ids, "
                        "comma-separated (default: the eligible sites and the cities)")
    o.add_argument("--split", default="search", choices=["search", "auto", "shares", "shipped"],
                   help="split decision: auto or shares (search, default), one of them, or the "
                        "scenario's (shipped)")
    o.add_argument("--min-share", type=_share, default=0.0,
                   help="lowest share of each envelope in a fixed split (default 0)")
    o.add_argument("--max-share", type=_share, default=1.0,
                   help="highest share of each envelope in a fixed split (default 1)")
    o.add_argument("--workers", type=_at_least_one("worker"), default=None,
                   help="processes running replicates in parallel (default: every core)")
    o.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value first, e.g. defense.budget_eur=400000000")
    o.add_argument("--out", default=None,
                   help="folder for plan.yaml, plan.txt, scenario.yaml, trials.json, result.json")
    o.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    o.add_argument("--quiet", action="store_true", help="no progress lines")
    # the best mix of spending options (sim.experiments.portfolio_search, sim.cli.portfolio)
    o.add_argument("--portfolio", action="store_true",
                   help="search the shares of the budget over the spending options of "
                        "defense.portfolio instead (docs/portfolio.md); --min-share and "
                        "--max-share bound each option's share")
    o.add_argument("--budget", type=pos_float, default=None, metavar="EUR",
                   help="with --portfolio: the money to spend (default defense.budget_eur)")
    o.add_argument("--options", default=None, metavar="A,B,...",
                   help="with --portfolio: the options to mix (default all seven)")
    o.set_defaults(func=cmd_optimise)
