"""Command-line verb ``forces``: what each interceptor force has, night by night, and what
limits it month by month, for one or several programme budgets (before any simulation:
:func:`sim.model.forces.force_schedule`)."""

from __future__ import annotations

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
    from sim.config.io import load_scenario
    from sim.model.forces.report import forces_report

    sc = load_scenario(args.scenario)
    budgets = [_budget(b) for b in args.budgets] or [float(sc.defense.budget_eur)]
    print(forces_report(sc, budgets))
    return 0


def register(subparsers) -> None:
    """Add ``forces`` to the main parser."""
    p = subparsers.add_parser(
        "forces", help="the interceptor forces a scenario's money and plans give, and what "
                       "limits them, for one or several budgets",
        description="Print Ukraine's own interceptor force and the programme night by night and "
                    "the constraint that binds each month (money, airframes, crews, ground "
                    "stations, sites, time), without simulating the attacks.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("budgets", nargs="*", metavar="BUDGET_EUR",
                   help="programme budgets to compare (default: the scenario's), e.g. 0 2e8 4e8")
    p.set_defaults(func=cmd_forces)
