"""Command-line verbs ``calibrate threat|missiles`` and ``validate-model`` (the validation
report, optionally after a refit).

``python -m sim validate-model [--out DIR]`` rebuilds the report from the shipped calibration
(``sim/data/defense_calibration.json``) without simulating; ``--refit --record CSV`` first
refits the defence parameters to the Air Force record (a few minutes), writes the calibration
JSON and the fitted values into the scenario file. Bad input raises
:class:`~sim.errors.SimInputError` (the main CLI prints it and exits with status 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.cli.common import Parser
from sim.config.errors import SimInputError

DEFAULT_OUT_DIR = "results/validation"


def cmd_calibrate(args) -> int:
    """Handler of ``calibrate threat``."""
    from sim.calibration.threat_fit import calibrate_threat

    prof = calibrate_threat(args.path, args.out)
    print(f"Fitted threat profile from {args.path}: reference date {prof['reference_date']}, "
          f"max night {prof['max_night']}, decoy share {prof['decoy_share']:.2f}")
    print(f"Wrote {args.out or 'sim/data/threat_profile.json'}")
    return 0


def cmd_calibrate_missiles(args) -> int:
    """Handler of ``calibrate missiles``."""
    from sim.calibration.missile_fit import DEFAULT_PROFILE_PATH, calibrate_missiles

    prof = calibrate_missiles(args.path, args.out, fit_to=args.fit_to,
                              catalogue_csv=args.catalogue, threat_profile=args.threat_profile)
    launched = ", ".join(f"{c} {n}" for c, n in prof["observed_launched"].items())
    print(f"Fitted missile profile from {args.path}, {prof['fit_from']} to {prof['fit_to']}: "
          f"{launched} launched; {prof['combined_nights']} combined-strike nights")
    print(f"Wrote {args.out or DEFAULT_PROFILE_PATH}")
    return 0


def register(subparsers) -> None:
    """Add ``calibrate threat``, ``calibrate missiles`` and ``validate-model`` to the main
    parser."""
    c = subparsers.add_parser("calibrate", help="refit calibrated inputs from public records")
    csub = c.add_subparsers(dest="what", required=True, parser_class=Parser)
    ct = csub.add_parser("threat", help="fit the nightly launch profile from the AF record CSV")
    ct.add_argument("path", help="missile_attacks_daily CSV (Ivaniuk dataset)")
    ct.add_argument("--out", default=None, help="profile JSON (default: the packaged one)")
    ct.set_defaults(func=cmd_calibrate)
    cm = csub.add_parser("missiles", help="fit the nightly missile model from the AF record CSV")
    cm.add_argument("path", help="missile_attacks_daily CSV (Ivaniuk dataset)")
    cm.add_argument("--out", default=None,
                    help="profile JSON (default: the packaged sim/data/missile_profile.json)")
    cm.add_argument("--fit-to", default=None, metavar="YYYY-MM-DD",
                    help="last night used (default 2025-09-30); the fit covers the 12 months "
                         "ending there")
    cm.add_argument("--catalogue", default=None, metavar="CSV",
                    help="missiles_and_uavs.csv (default: beside PATH if present)")
    cm.add_argument("--threat-profile", default=None, metavar="JSON",
                    help="drone threat profile for the salvo weights (default: the packaged one)")
    cm.set_defaults(func=cmd_calibrate_missiles)

    p = subparsers.add_parser(
        "validate-model",
        help="write the validation report (calibration to the Air Force record, out-of-sample "
             "errors, analytic oracles)",
        description="Write a markdown validation report with figures into --out. Without "
                    "--refit it is rebuilt from the stored calibration; with --refit the "
                    "defence parameters are fitted again to the record (--record).",
    )
    p.add_argument("--out", default=DEFAULT_OUT_DIR, metavar="DIR",
                   help=f"report folder (default {DEFAULT_OUT_DIR})")
    p.add_argument("--calibration", default=None, metavar="JSON",
                   help="calibration file to read (and, with --refit, to write); default: the "
                        "shipped sim/data/defense_calibration.json")
    p.add_argument("--refit", action="store_true",
                   help="refit the defence parameters first (needs --record; a few minutes)")
    p.add_argument("--record", default=None, metavar="CSV",
                   help="Air Force record: the Ivaniuk missile_attacks_daily CSV (or a monthly "
                        "aggregate like sim/data/air_force_monthly.csv)")
    p.add_argument("--scenario", default=None, metavar="YAML",
                   help="scenario to fit (default scenarios/ukraine-posture-2024.yaml)")
    p.add_argument("--no-update-scenario", action="store_true",
                   help="with --refit: do not write the fitted values into the scenario file")
    p.add_argument("--fit-replicates", type=int, default=4,
                   help="replicates per trial point of the fit (default 4)")
    p.add_argument("--eval-replicates", type=int, default=20,
                   help="replicates of the evaluation runs (default 20)")
    p.add_argument("--maxfev", type=int, default=80,
                   help="most objective evaluations of the Nelder-Mead search (default 80)")
    p.add_argument("--skip-oracles", action="store_true", help="do not run the analytic oracles")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder that holds files other than an earlier report")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_validate_model)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def cmd_validate_model(args) -> int:
    """Handler of ``validate-model``; returns the exit status."""
    from sim.calibration.defense_fit import (
        calibrate_defense,
        check_report_dir,
        load_calibration,
        write_report,
    )

    check_report_dir(args.out, args.overwrite)  # before minutes of fitting, not after
    for name in ("fit_replicates", "eval_replicates", "maxfev"):
        if getattr(args, name) < 1:
            raise SimInputError(f"--{name.replace('_', '-')} must be >= 1")
    if args.refit:
        if not args.record:
            raise SimInputError(
                "--refit needs --record CSV: the Air Force record, e.g. ../shared/data/"
                "ukraine-air-attacks/missile_attacks_daily_to_2025-09-30.csv")
        record = Path(args.record)
        if not record.is_file():
            raise SimInputError(f"--record {record}: file not found")
        from sim.calibration.defense_fit import DEFAULT_CALIBRATION_PATH, DEFAULT_SCENARIO_PATH

        args.calibration = args.calibration or str(DEFAULT_CALIBRATION_PATH)
        scenario = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO_PATH
        if not scenario.is_file():
            raise SimInputError(f"--scenario {scenario}: file not found")
        cal = calibrate_defense(
            record, scenario, args.calibration, update_scenario=not args.no_update_scenario,
            fit_replicates=args.fit_replicates, eval_replicates=args.eval_replicates,
            maxfev=args.maxfev, progress=_progress(args.quiet),
        )
        print(f"Wrote {args.calibration}"
              + ("" if args.no_update_scenario else f" and the fitted values into {scenario}"))
    else:
        if args.record:
            raise SimInputError("--record is only used with --refit")
        cal = load_calibration(args.calibration)
    page = write_report(args.out, cal, run_oracles_now=not args.skip_oracles,
                        overwrite=args.overwrite)
    s = cal["summary"]
    for p in cal["fit"]["parameters"]:
        print(f"{p['name']} = {p['estimate']:.4f} (SD {p['sd_total']:.4f})")
    print(f"In-sample neutralisation MAE {s['in_sample_rate_mae_pp']:.2f} pp (target <= "
          f"{s['targets']['in_sample_rate_mae_pp']:g}); launch totals within "
          f"{s['in_sample_launch_max_abs_error_pct']:.1f} % (target <= "
          f"{s['targets']['in_sample_launch_error_pct']:g}); out-of-sample MAE "
          f"{s['out_of_sample_rate_mae_pp']:.2f} pp")
    print(f"Wrote {page}")
    return 0
