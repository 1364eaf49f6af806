"""Command-line verb ``portfolio``: what else the money could buy (:mod:`sim.experiments.
portfolio`), and the handler of ``optimise --portfolio`` (:mod:`sim.experiments.
portfolio_search`).

Bad input (an unknown option, shares negative or not summing to 1, amounts above the budget, a
unit cost of zero or less, a scenario without the energy model) exits 2 with one message
naming the file or option, the key path and the reason, before anything runs or is written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import WIDTH, pos_float, pos_int, replicates_at_least, seed_int
from sim.config.errors import SimInputError


def _csv(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def register(subparsers) -> None:
    """Add ``portfolio`` to the main parser."""
    p = subparsers.add_parser(
        "portfolio",
        help="what else the money could buy: each spending option alone (and mixes) against "
        "no spending, on the same winters",
        description="Run each spending option of defense.portfolio alone at the full budget, "
        "and every mix given, against no spending, on common random numbers, against the "
        "static and the learning attacker; print the paired gains with 95%% intervals (BCa "
        "bootstrap) in demand served, hours without power a day (when the model reports it), "
        "drone and missile hits on energy, money spent and unused and cost per point of "
        "demand served; write DIR/table.txt, runs.parquet, gains.csv, schedules.json, "
        "figure.png and manifest.json. docs/portfolio.md describes the method.")
    p.add_argument("scenario", help="scenario YAML file (the energy model must be on)")
    p.add_argument("--budget", type=pos_float, default=None, metavar="EUR",
                   help="money to spend, e.g. 2e8 (default: the scenario's defense.budget_eur)")
    p.add_argument("--mix", action="append", default=[], metavar="OPTION=SHARE,...",
                   help="a mix to compare too, as shares of the budget summing to 1 "
                   "(repeatable), e.g. passive_protection=0.5,interceptor_drones=0.5")
    p.add_argument("--mix-eur", action="append", default=[], metavar="OPTION=EUR,...",
                   help="a mix as amounts in EUR summing to at most the budget (repeatable)")
    p.add_argument("--options", default=None, metavar="A,B,...",
                   help="options to run alone (default: all seven)")
    p.add_argument("--attackers", default="static,learning", metavar="A,B",
                   help="attacker strategies (default static,learning; also best_response)")
    p.add_argument("--replicates", type=replicates_at_least(2), default=10,
                   help="paired winters per candidate and attacker (default 10)")
    p.add_argument("--seed", type=seed_int, default=None, help="root seed (default: file's)")
    p.add_argument("--workers", type=pos_int, default=None,
                   help="worker processes (default: all cores; 1 runs serially)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="results folder (default results/NAME-portfolio)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a scenario value first, e.g. period.nights=30")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_portfolio)


def _mixes(args) -> tuple[dict[str, dict], dict[str, str]]:
    """Every --mix and --mix-eur as a ``defense.portfolio`` mapping labelled by its text, and
    each label's option as given (for messages)."""
    from sim.experiments.portfolio import mix_label, parse_mix

    out: dict[str, dict] = {}
    given: dict[str, str] = {}
    for flag, form, values in (("--mix", "shares", args.mix),
                               ("--mix-eur", "amounts_eur", args.mix_eur)):
        for text in values:
            mix = {form: parse_mix(text, flag)}
            label = mix_label(mix) or text
            while label in out:  # the same mix twice: keep both, told apart
                label += "'"
            out[label] = mix
            given[label] = f"{flag} {text}"
    return out, given


def cmd_portfolio(args) -> int:
    """Handler of ``sim portfolio``."""
    from sim.cli.run import check_model_inputs
    from sim.config.errors import ScenarioError
    from sim.config.files import FolderLock, check_out_dir
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.config.portfolio import OPTIONS
    from sim.experiments import portfolio as P

    scenario = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if overrides:
        scenario = with_overrides(scenario, overrides)
    if not scenario.energy.enabled:
        raise SimInputError(f"{args.scenario}: energy.enabled: false: a portfolio needs the "
                            "energy model (its options act on the power system and are "
                            "compared by demand served)")
    budget = float(args.budget if args.budget is not None else scenario.defense.budget_eur)
    if budget <= 0:
        raise SimInputError(f"{args.scenario}: defense.budget_eur is 0: give the money to spend "
                            "with --budget (e.g. --budget 2e8)")
    options = _csv(args.options) or list(OPTIONS)
    attackers = _csv(args.attackers) or []
    for o in options:
        if o not in OPTIONS:
            from sim.config.io import did_you_mean

            raise SimInputError(f"--options: unknown option {o!r}{did_you_mean(o, OPTIONS)}; "
                                f"options: {', '.join(OPTIONS)}")
    bad = [a for a in attackers if a not in P.ATTACKERS]
    if bad or not attackers:
        raise SimInputError(f"--attackers {args.attackers!r}: expected some of "
                            f"{', '.join(P.ATTACKERS)}")
    mixes, given = _mixes(args)
    cands = P.candidates(scenario, budget, mixes, options)
    for c in cands:  # every candidate checked before anything runs or is written
        source = given[c.key] if c.kind == "mix" else f"{args.scenario} (option {c.key})"
        try:
            with_overrides(scenario, c.overrides(), source=source)
        except ScenarioError as exc:
            raise ScenarioError(str(exc)) from None
    check_model_inputs(scenario, str(args.scenario))
    out = Path(args.out) if args.out else Path("results") / f"{scenario.name}-portfolio"
    check_out_dir(out, args.overwrite)
    n = len(cands) * len(attackers) * args.replicates
    print(f"{len(cands)} candidates x {len(attackers)} attacker(s) x {args.replicates} "
          f"replicates = {n} winters of {scenario.period.nights} nights", file=sys.stderr)
    with FolderLock(out):
        check_out_dir(out, args.overwrite)
        comp = P.compare_portfolio(
            scenario, budget_eur=budget, mixes=mixes, options=options, attackers=attackers,
            replicates=args.replicates, seed=args.seed, workers=args.workers,
            progress=not args.no_progress, scenario_file=str(args.scenario))

        def figure(stage: Path) -> None:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            from sim.viz.portfolio import plot_portfolio
            from sim.viz.style import save_figure

            fig, _ = plot_portfolio(comp.table, comp.settings)
            save_figure(fig, stage / "figure")
            plt.close(fig)

        P.write_results(comp, out, extra=figure)
    print(P.format_report(comp))
    print()
    for line in P.verdict(comp):
        print(line[:WIDTH])
    st = comp.settings
    print(f"\n{st['winters']} winters in {st['wall_seconds']:.0f} s; wrote {out}/table.txt, "
          "runs.parquet, gains.csv, schedules.json, figure.png", file=sys.stderr)
    return 0


def cmd_optimise_portfolio(args) -> int:
    """Handler of ``optimise --portfolio``: the best mix of spending options, and its gain
    over the best single option on fresh replicates."""
    import time

    import yaml

    from sim.config.files import FolderLock, StagedDir, atomic_write_json, check_out_dir
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.config.portfolio import OPTIONS
    from sim.experiments.portfolio_search import optimise_portfolio, report

    plan_only = [f for f, v in (("--basing", args.basing != "mix"), ("--split", args.split !=
                                "search"), ("--strategies", args.strategies),
                                ("--sites-from", args.sites_from),
                                ("--candidates", args.candidates)) if v]
    if plan_only:
        raise SimInputError(f"{plan_only[0]}: a programme plan option; --portfolio searches "
                            "the shares of the spending options (--options, --min-share, "
                            "--max-share)")
    scenario = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if args.nights is not None:
        overrides["period.nights"] = args.nights
    if overrides:
        scenario = with_overrides(scenario, overrides)
    if args.budget is not None:
        scenario = with_overrides(scenario, {"defense.budget_eur": args.budget},
                                  source="--budget")
    if not scenario.defense.budget_eur > 0:
        raise SimInputError(f"{args.scenario}: defense.budget_eur is 0: give the money to spend "
                            "with --budget (e.g. --budget 2e8)")
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out, args.overwrite)
    options = _csv(args.options) or list(OPTIONS)
    quiet = args.quiet
    t0 = time.perf_counter()

    def on_stage(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr, flush=True)

    def on_trial(rec, best, n) -> None:
        if not quiet:
            line = (f"trial {rec.number + 1:>3}/{n}  {100 * rec.objective:8.3f}  best "
                    f"{100 * best.objective:8.3f}  {rec.seconds:5.1f} s  {rec.plan.text()}")
            print(line[:WIDTH], file=sys.stderr, flush=True)

    res = optimise_portfolio(
        scenario, options=options, min_share=args.min_share, max_share=args.max_share,
        attacker=args.attacker or "robust", trials=args.trials, replicates=args.replicates,
        eval_replicates=args.eval_replicates, seed=args.seed, outcome=args.outcome,
        workers=args.workers, on_trial=on_trial, on_stage=on_stage)
    print(report(res))
    elapsed = time.perf_counter() - t0
    plan = res.best.overrides()["defense.portfolio"]
    if out is not None:
        with FolderLock(out):
            check_out_dir(out, args.overwrite)
            with StagedDir(out) as stage:
                (stage / "plan.yaml").write_text(
                    f"# Best mix found by `python -m sim optimise {args.scenario} --portfolio`"
                    "\n" + yaml.safe_dump({"defense": {"budget_eur": float(
                        scenario.defense.budget_eur), "portfolio": {"shares": plan["shares"]}}},
                        sort_keys=False), encoding="utf-8")
                trials = [{"trial": t.number, "objective": t.objective, "means": t.means,
                           "seconds": t.seconds, "shares": t.plan.share_map}
                          for t in res.search.trials]
                atomic_write_json(stage / "trials.json", {"settings": res.settings,
                                                          "trials": trials})
                atomic_write_json(stage / "result.json", {
                    "settings": res.settings, "overrides": overrides, "shares": plan["shares"],
                    "objective": res.search.objective, "best_single": res.best_single,
                    "singles": res.singles, "evaluation": res.evaluation,
                    "verdict": res.verdict, "beats_single": res.beats_single,
                    "elapsed_s": elapsed})
        print(f"\nWrote plan.yaml, trials.json and result.json in {out}")
    print(f"({elapsed:.0f} s)", file=sys.stderr)
    return 0
