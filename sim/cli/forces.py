"""Command-line verb ``forces``: what each interceptor force has, night by night, and what
limits it month by month, for one or several programme budgets: what caps what it can fly,
from the schedules (:func:`sim.model.forces.force_schedule`), and with ``--simulate N`` what
limits what it stops, from N simulated winters: the same account ``sim run`` prints
(:mod:`sim.model.forces.limits`)."""

from __future__ import annotations

from sim.cli.common import replicate_count, seed_int
from sim.config.errors import SimInputError


def _budget(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise SimInputError(f"budget {text!r}: not a number of euros (e.g. 2e8)") from None
    if not v >= 0 or v == float("inf"):
        raise SimInputError(f"budget {text!r}: must be a finite number >= 0 (euros)")
    return v


def cmd_forces(args) -> int:
    """Handler of ``forces``."""
    from sim.config.io import load_scenario, parse_set_args, with_overrides
    from sim.model.forces.report import forces_report

    sc = load_scenario(args.scenario)
    overrides = parse_set_args(args.set)
    if overrides:
        sc = with_overrides(sc, overrides)
    budgets = [_budget(b) for b in args.budgets] or [float(sc.defense.budget_eur)]
    evidence = None
    if args.simulate:
        from sim.experiments.runs import limits_account_of, run

        evidence = {}
        for b in budgets:
            sb = with_overrides(sc, {"defense.budget_eur": b})
            rs = run(sb, seed=args.seed, replicates=args.simulate, progress=not args.quiet,
                     net=False)
            acc = limits_account_of(sb, rs.runs)
            evidence[b] = {f.name: f.evidence for f in acc.forces}
    print(forces_report(sc, budgets, evidence=evidence))
    return 0


def register(subparsers) -> None:
    """Add ``forces`` to the main parser."""
    p = subparsers.add_parser(
        "forces", help="the interceptor forces a scenario's money and plans give, and what "
                       "limits them, for one or several budgets",
        description="Print Ukraine's own interceptor force and the programme night by night and, "
                    "month by month, what caps what each can fly (money, airframes, crews, "
                    "ground stations, launch sites, time), without simulating the attacks; with "
                    "--simulate N, also what limits what each stops (geometry: crews and "
                    "airframes left over while drones got through) over N simulated winters, "
                    "the account `sim run` prints.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("budgets", nargs="*", metavar="BUDGET_EUR",
                   help="programme budgets to compare (default: the scenario's), e.g. 0 2e8 4e8")
    p.add_argument("--simulate", type=replicate_count, default=0, metavar="N",
                   help="also simulate N winters per budget to tell what limits what each force "
                        "stops (default: none, the schedules only)")
    p.add_argument("--seed", type=seed_int, default=None, help="root seed (default: file's)")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE",
                   help="override a scenario value, e.g. period.nights=30")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_forces)
