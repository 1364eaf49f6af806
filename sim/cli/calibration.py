"""Command-line verbs ``calibrate threat|missiles`` and ``validate-model``.

``python -m sim validate-model [--out DIR]`` rebuilds the report from the shipped results
(``sim/data/defense_calibration.json``, ``sim/data/rolling_origin.json``) without simulating.
``--rolling-origin`` recomputes the rolling-origin validation first (minutes; ``--quick`` for a
CI-sized run), from ``--record`` or the shipped nightly record. ``--refit --record CSV`` refits
the defence parameters to the Air Force record, writes the calibration JSON and the fitted
values into the scenario file, recomputes the rolling origin and writes it to the shipped
file. The verb composes the calibration package (numbers) with the viz layer (figures); bad
input raises :class:`~sim.config.errors.SimInputError` (the main CLI prints it and exits 2).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from sim.cli.common import Parser, iso_date, nonneg_int, pos_int
from sim.config.errors import SimInputError

DEFAULT_OUT_DIR = "results/validation"
MECHANISM_NAMES = ("missiles", "national_force", "tactics", "launch_trend")  # see rolling_origin


def cmd_calibrate(args) -> int:
    """Handler of ``calibrate threat``."""
    from sim.calibration.threat_fit import DEFAULT_PROFILE_PATH, calibrate_threat
    from sim.config.files import check_output_path

    if args.out:  # before the fit, not after (the tables are written beside it)
        check_output_path(args.out, "--out")
    prof = calibrate_threat(args.path, args.out)
    print(f"Fitted threat profile from {args.path}: reference date {prof['reference_date']}, "
          f"max night {prof['max_night']}, decoy share {prof['decoy_share']:.2f}")
    out = Path(args.out) if args.out else DEFAULT_PROFILE_PATH
    print(f"Wrote {out} (with air_force_monthly.csv and air_force_nights.csv beside it)")
    return 0


def cmd_calibrate_missiles(args) -> int:
    """Handler of ``calibrate missiles``."""
    from sim.calibration.missile_fit import DEFAULT_PROFILE_PATH, calibrate_missiles
    from sim.config.files import check_output_path

    if args.out:  # before the fit, not after
        check_output_path(args.out, "--out")
    prof = calibrate_missiles(args.path, args.out, fit_to=args.fit_to,
                              catalogue_csv=args.catalogue, threat_profile=args.threat_profile)
    launched = ", ".join(f"{c} {n}" for c, n in prof["observed_launched"].items())
    print(f"Fitted missile profile from {args.path}, {prof['fit_from']} to {prof['fit_to']}: "
          f"{launched} launched; {prof['combined_nights']} combined-strike nights")
    print(f"Wrote {args.out or DEFAULT_PROFILE_PATH}")
    return 0


def cmd_calibrate_tactics(args) -> int:
    """Handler of ``calibrate tactics``: the record's recent level and tactics, month by month,
    and their persistence forecast (the numbers of scenarios/winter-2025-26.yaml)."""
    import numpy as np

    from sim.calibration.defense_fit import DEFAULT_SCENARIO_PATH
    from sim.calibration.record import load_record
    from sim.calibration.simulate import months_between
    from sim.calibration.tactics_fit import (
        fit_high_shares,
        observed_decoy_share,
        pooled_decoy_share,
    )
    from sim.calibration.threat_fit import fit_profile_until
    from sim.config.io import load_scenario
    from sim.model.threat import parse_month_arg

    until = parse_month_arg(args.until, "--until")
    record = load_record(args.record).until(until)
    scenario = load_scenario(args.scenario or DEFAULT_SCENARIO_PATH)
    first = f"{scenario.period.start_date:%Y-%m}"
    months = [m for m in months_between(first, until) if m in set(record.months)]
    if not months:
        raise SimInputError(f"--until {until}: no record months from {first}")
    recent = months[-args.persist:]
    mon = record.monthly.set_index("month")
    nights = record.require_nights("calibrate tactics")
    nights_per = nights.groupby(nights["night"].astype(str).str[:7]).size()
    level = float(mon.loc[recent, "launched"].sum() / nights_per.loc[recent].sum())
    decoy = observed_decoy_share(nights, months)
    prof = fit_profile_until(nights, until)
    p_salvo = [float(prof["months"][str(int(m[5:]))]["p_salvo"]) for m in recent]
    print(f"Record to {until} ({record.source}); tactics fitted on {months[0]}..{months[-1]} "
          f"with {scenario.name}")
    print(f"{'month':<9}{'launched/night':>15}{'neutralised':>12}{'decoys':>8}{'high share':>11}")
    high = fit_high_shares(scenario, {m: float(mon.loc[m, "interception_rate"]) for m in months},
                           decoy,
                           seed=scenario.seed, replicates=args.replicates)
    for m in months:
        d = f"{decoy[m]:.3f}" if m in decoy else "-"
        print(f"{m:<9}{mon.loc[m, 'launched'] / nights_per.loc[m]:>15.1f}"
              f"{mon.loc[m, 'interception_rate']:>12.3f}{d:>8}{high[m]:>11.3f}")
    d = pooled_decoy_share(nights, recent)
    print(f"Persistence of {recent[0]}..{recent[-1]}: {level:.1f} launches a night, big-salvo "
          f"share {np.mean(p_salvo):.2f} (fitted p_salvo "
          f"{', '.join(f'{p:.2f}' for p in p_salvo)}), high share "
          f"{np.mean([high[m] for m in recent]):.3f}, decoys "
          + (f"{d:.3f}" if d is not None else "not reported"))
    return 0


def cmd_calibrate_defense(args) -> int:
    """Handler of ``calibrate defence``: the whole drone defence fitted to the record up to
    ``--origin`` (sim/data/defence_fit.json); ``--rolling`` runs the rolling origin instead."""
    from sim.calibration import defense_record_fit as F
    from sim.calibration.record import load_record

    record = load_record(args.record)
    tallies = F.load_tallies(args.tallies, record)
    if args.rolling:
        from sim.calibration import defense_rolling_origin as R

        out = Path(args.out or R.DEFAULT_PATH)
        res = R.rolling_origin(record, tallies=tallies, replicates=args.forecast_replicates,
                               fit_replicates=args.replicates, max_nfev=args.max_nfev,
                               progress=None if args.quiet else print)
        R.write(res, out)
        print(R.markdown(res))
        print(f"wrote {out}")
        return 0
    origin = F.parse_origin(args.origin, record)
    out = Path(args.out) if args.out else F.DEFAULT_FIT_PATH
    fit = F.fit_defense_to_record(origin, record, replicates=args.replicates, max_nfev=args.max_nfev,
                        tallies=tallies, progress=None if args.quiet else print)
    F.write_fit(fit, out)
    for k, v in fit["parameters"].items():
        print(f"{k:12s} {v['value']:.4f} +/- {v['sd']:.4f}  ({v['label']})")
    print("noise:", fit["noise"])
    print(f"wrote {out} ({fit['settings']['seconds']} s)")
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
    ctt = csub.add_parser("tactics", help="the record's recent level and tactics month by month "
                          "(the share of drones flying high fitted to the neutralised share)")
    ctt.add_argument("--record", default=None, metavar="CSV",
                     help="Air Force record (default: the shipped nightly table)")
    ctt.add_argument("--until", default="2025-09", metavar="YYYY-MM",
                     help="last month used (default 2025-09)")
    ctt.add_argument("--scenario", default=None, metavar="YAML",
                     help="scenario with the fitted defence (default: the shipped "
                          "ukraine-posture-2024.yaml)")
    ctt.add_argument("--persist", type=pos_int, default=3, metavar="N",
                     help="months whose mean is the forecast (default 3)")
    ctt.add_argument("--replicates", type=pos_int, default=2,
                     help="replicates per trial (default 2)")
    ctt.set_defaults(func=cmd_calibrate_tactics)
    cd = csub.add_parser("defence", help="fit the whole drone defence (EW, fire groups, the "
                         "national force's cueing, the front stream, the high share, noise) to "
                         "the record up to an origin (sim/data/defence_fit.json)")
    cd.add_argument("--origin", default="2025-09-30", metavar="YYYY-MM-DD",
                    help="last night of the fit: the end of a month in the record, with at "
                         "least 3 months before it (default 2025-09-30)")
    cd.add_argument("--record", default=None, metavar="CSV",
                    help="Air Force record (default: the shipped nightly table)")
    cd.add_argument("--tallies", default=None, metavar="CSV",
                    help="interceptor kill tallies (default sim/data/interceptor_tallies.csv)")
    cd.add_argument("--replicates", type=pos_int, default=2, help="replicates per trial (2)")
    cd.add_argument("--max-nfev", type=pos_int, default=12,
                    help="least-squares iterations at most (default 12)")
    cd.add_argument("--out", default=None, metavar="JSON", help="where to write the fit")
    cd.add_argument("--rolling", action="store_true",
                    help="run the rolling origin (origins Mar - Aug 2025) instead")
    cd.add_argument("--forecast-replicates", type=pos_int, default=10,
                    help="forecast replicates in the rolling origin (default 10)")
    cd.add_argument("--quiet", action="store_true")
    cd.set_defaults(func=cmd_calibrate_defense)
    cm = csub.add_parser("missiles", help="fit the nightly missile model from the AF record CSV")
    cm.add_argument("path", help="missile_attacks_daily CSV (Ivaniuk dataset)")
    cm.add_argument("--out", default=None,
                    help="profile JSON (default: the packaged sim/data/missile_profile.json)")
    cm.add_argument("--fit-to", type=iso_date, default=None, metavar="YYYY-MM-DD",
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
             "and rolling-origin errors, analytic oracles)",
        description="Write a markdown validation report with figures into --out. Without "
                    "--refit or --rolling-origin it is rebuilt from the stored results; "
                    "--rolling-origin recomputes the rolling-origin forecasts; --refit fits "
                    "the defence parameters again to the record (--record) and recomputes "
                    "everything.",
    )
    p.add_argument("--out", default=DEFAULT_OUT_DIR, metavar="DIR",
                   help=f"report folder (default {DEFAULT_OUT_DIR})")
    p.add_argument("--calibration", default=None, metavar="JSON",
                   help="calibration file to read (and, with --refit, to write); default: the "
                        "shipped sim/data/defense_calibration.json")
    p.add_argument("--refit", action="store_true",
                   help="refit the defence parameters and recompute the rolling origin (needs "
                        "--record; several minutes); writes the shipped results")
    p.add_argument("--record", default=None, metavar="CSV",
                   help="Air Force record: the Ivaniuk missile_attacks_daily CSV, or a nightly "
                        "table like sim/data/air_force_nights.csv (a monthly aggregate like "
                        "sim/data/air_force_monthly.csv is enough for the defence refit only)")
    p.add_argument("--scenario", default=None, metavar="YAML",
                   help="scenario to fit (default scenarios/ukraine-posture-2024.yaml)")
    p.add_argument("--no-update-scenario", action="store_true",
                   help="with --refit: do not write the fitted values into the scenario file")
    p.add_argument("--fit-replicates", type=pos_int, default=4,
                   help="replicates per trial point of the fits (default 4)")
    p.add_argument("--eval-replicates", type=pos_int, default=20,
                   help="replicates of the evaluation runs (default 20)")
    p.add_argument("--maxfev", type=pos_int, default=80,
                   help="most simulated trial points of each defence fit (default 80)")
    g = p.add_argument_group("rolling origin")
    g.add_argument("--rolling-origin", action="store_true",
                   help="recompute the rolling-origin validation (from --record, else the "
                        "shipped nightly record) into the report")
    g.add_argument("--rolling-json", default=None, metavar="JSON",
                   help="rolling-origin result to read, or to write when recomputed (default: "
                        "read the shipped sim/data/rolling_origin.json; --refit writes it)")
    g.add_argument("--origins", default=None, metavar="YYYY-MM,...",
                   help="origins, the last month of each fit (default 2025-03,2025-06)")
    g.add_argument("--horizon", type=pos_int, default=None,
                   help="months forecast after each origin (default 6)")
    g.add_argument("--rolling-replicates", type=pos_int, default=None,
                   help="forecast replicates per origin and variant (default 20; --quick 4)")
    g.add_argument("--mechanisms", default=None, metavar="NAME,...",
                   help=f"mechanisms to switch off in the ablation ({', '.join(MECHANISM_NAMES)}"
                        f"; default all the model has; 'none' for no ablation)")
    g.add_argument("--no-refit-ablations", action="store_true",
                   help="switch mechanisms off in the full model's fit instead of refitting")
    g.add_argument("--quick", action="store_true",
                   help="CI-sized rolling origin (few replicates, short searches); not with "
                        "--refit")
    g.add_argument("--workers", type=nonneg_int, default=0,
                   help="processes for the replicates (default 0: every available core)")
    p.add_argument("--skip-oracles", action="store_true", help="do not run the analytic oracles")
    p.add_argument("--skip-forecast", action="store_true",
                   help="do not run the winter-2025-26 forecast (Nov - Mar, to check against "
                        "the record)")
    p.add_argument("--forecast-replicates", type=pos_int, default=20,
                   help="replicates of the winter forecast (default 20)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder that holds files other than an earlier report")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_validate_model)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: print(msg, file=sys.stderr, flush=True)


def _origins(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    from sim.calibration.rolling_origin import parse_month

    out = [parse_month(part, f"--origins {text!r}:") for part in text.split(",") if part.strip()]
    if not out:
        raise SimInputError("--origins: give at least one month YYYY-MM")
    return tuple(out)


def _mechanisms(text: str | None):
    from sim.calibration.rolling_origin import DEFAULT_MECHANISMS

    if text is None:
        return dict(DEFAULT_MECHANISMS)
    if text.strip().lower() == "none":
        return {}
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in DEFAULT_MECHANISMS]
    if bad or not names:
        raise SimInputError(f"--mechanisms {text!r}: unknown {', '.join(bad) or 'list'}; "
                            f"choose from {', '.join(DEFAULT_MECHANISMS)} or 'none'")
    return {n: DEFAULT_MECHANISMS[n] for n in names}


def _executor(workers: int):
    """A process pool for the replicates (None for one worker)."""
    from sim.experiments.pools import available_cores, process_pool

    n = workers or available_cores()
    if n <= 1:
        return contextlib.nullcontext(None)
    return process_pool(n, preload=("sim.experiments.runs",))


def _check_args(args) -> None:
    for name in ("fit_replicates", "eval_replicates", "maxfev"):
        if getattr(args, name) < 1:
            raise SimInputError(f"--{name.replace('_', '-')} must be >= 1")
    for name in ("horizon", "rolling_replicates"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise SimInputError(f"--{name.replace('_', '-')} must be >= 1")
    if args.workers < 0:
        raise SimInputError("--workers must be >= 0")
    recompute = args.refit or args.rolling_origin
    if args.record and not recompute:
        raise SimInputError("--record is only used with --refit or --rolling-origin")
    if args.refit and not args.record:
        raise SimInputError(
            "--refit needs --record CSV: the Air Force record, e.g. "
            "missile_attacks_daily_to_2025-09-30.csv (Kaggle piterfm/massive-missile-attacks-on-"
            "ukraine, cut at 2025-09-30; see sim/data/README_threat.md)")
    if args.quick and args.refit:
        raise SimInputError("--quick is for checks; --refit writes the shipped results at "
                            "full size")
    rolling_only = ("origins", "horizon", "rolling_replicates", "mechanisms")
    given = [n for n in rolling_only if getattr(args, n) is not None]
    if (given or args.quick or args.no_refit_ablations) and not recompute:
        what = given[0].replace("_", "-") if given else (
            "quick" if args.quick else "no-refit-ablations")
        raise SimInputError(f"--{what} is only used with --rolling-origin or --refit")
    if args.record and not Path(args.record).is_file():
        raise SimInputError(f"--record {args.record}: file not found")
    if args.scenario and not Path(args.scenario).is_file():
        raise SimInputError(f"--scenario {args.scenario}: file not found")


def _rolling(args, scenario_path: Path, executor, progress):
    """Run the rolling origin with the options; returns the result."""
    from sim.calibration.record import load_record
    from sim.calibration.rolling_origin import Settings, run_rolling_origin
    from sim.config.io import load_scenario

    kw = {}
    if args.origins:
        kw["origins"] = _origins(args.origins)
    if args.horizon is not None:
        kw["horizon"] = args.horizon
    if args.rolling_replicates is not None:
        kw["replicates"] = args.rolling_replicates
    if args.no_refit_ablations:
        kw["refit_ablations"] = False
    if args.quick:
        settings = Settings.quick(**kw)
    else:
        settings = Settings(fit_replicates=args.fit_replicates, fit_maxfev=args.maxfev, **kw)
    from sim.calibration.record import layout
    from sim.calibration.rolling_origin_fitters import default_fitters

    record = load_record(args.record)
    scenario = load_scenario(scenario_path)
    raw = args.record if args.record and layout(Path(args.record)) == "raw" else None
    fitters = default_fitters(replicates=settings.fit_replicates, maxfev=settings.fit_maxfev,
                              record_csv=raw)
    return run_rolling_origin(record, scenario, fitters=fitters,
                              mechanisms=_mechanisms(args.mechanisms),
                              settings=settings, executor=executor, progress=progress)


def write_report(out: Path, cal, rolling, oracles, overwrite: bool = False) -> Path:
    """Draw the figures (viz layer) and write the page and tables (calibration layer) into a
    staged folder swapped in when complete."""
    from sim.calibration.report import FIGURES, check_report_dir, write_report_files
    from sim.config.files import StagedDir
    from sim.viz.validation import plot_launches, plot_neutralisation, plot_rolling_origin

    check_report_dir(out, overwrite)
    with StagedDir(out) as stage:
        figs = {"launches": plot_launches(cal)[0], "neutralisation": plot_neutralisation(cal)[0]}
        if rolling is not None and len(rolling.forecasts):
            figs["rolling_origin"] = plot_rolling_origin(rolling.forecasts)[0]
        names = {}
        for role, fig in figs.items():
            fig.savefig(stage / FIGURES[role], dpi=120)
            names[role] = FIGURES[role]
        import matplotlib.pyplot as plt

        plt.close("all")
        page = write_report_files(stage, cal, oracles,
                                  rolling.to_dict() if rolling is not None else None, names)
        stage.chmod(0o755)
    return out / page.name


def cmd_validate_model(args) -> int:
    """Handler of ``validate-model``; returns the exit status."""
    from sim.calibration.defense_calibration import calibrate_defense
    from sim.calibration.defense_fit import (
        DEFAULT_CALIBRATION_PATH,
        DEFAULT_SCENARIO_PATH,
        load_calibration,
    )
    from sim.calibration.oracles import run_oracles
    from sim.calibration.report import check_report_dir
    from sim.calibration.rolling_origin import DEFAULT_RESULT_PATH, load_result, write_result
    from sim.config.files import check_output_path

    check_output_path(args.out, "--out", folder=True)  # before minutes of fitting, not after
    check_report_dir(args.out, args.overwrite)
    _check_args(args)
    progress = _progress(args.quiet)
    scenario = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO_PATH
    rolling = None
    with _executor(args.workers if (args.refit or args.rolling_origin) else 1) as executor:
        if args.refit:
            args.calibration = args.calibration or str(DEFAULT_CALIBRATION_PATH)
            cal = calibrate_defense(
                Path(args.record), scenario, args.calibration,
                update_scenario=not args.no_update_scenario,
                fit_replicates=args.fit_replicates, eval_replicates=args.eval_replicates,
                maxfev=args.maxfev, progress=progress, executor=executor,
            )
            print(f"Wrote {args.calibration}"
                  + ("" if args.no_update_scenario else f" and the fitted values into {scenario}"))
        else:
            cal = load_calibration(args.calibration)
        if args.refit or args.rolling_origin:
            rolling = _rolling(args, scenario, executor, progress)
            target = args.rolling_json or (str(DEFAULT_RESULT_PATH) if args.refit else None)
            if target:
                write_result(rolling, target)
                print(f"Wrote {target}")
        elif args.rolling_json or DEFAULT_RESULT_PATH.exists():
            rolling = load_result(args.rolling_json or DEFAULT_RESULT_PATH)
    oracles = None if args.skip_oracles else run_oracles()
    forecast = None
    if not args.skip_forecast:
        from sim.calibration.forecast import (
            DEFAULT_FORECAST_SCENARIO,
            forecast_markdown,
            winter_forecast,
        )
        from sim.config.io import load_scenario

        fsc = load_scenario(DEFAULT_FORECAST_SCENARIO)
        if progress:
            progress(f"forecast of {fsc.name} ({args.forecast_replicates} replicates)")
        forecast = (fsc.name, winter_forecast(fsc, replicates=args.forecast_replicates))
    page = write_report(Path(args.out), cal, rolling, oracles, overwrite=args.overwrite)
    if forecast is not None:
        text = forecast_markdown(forecast[1], forecast[0])
        forecast[1].to_csv(page.parent / "forecast.csv", index=False)
        with open(page, "a", encoding="utf-8") as fh:
            fh.write("\n\n## Forecast of winter 2025-26\n\n" + text + "\n")
        print(text)
    s = cal["summary"]
    for p in cal["fit"]["parameters"]:
        print(f"{p['name']} = {p['estimate']:.4f} (SD {p['sd_total']:.4f})")
    print(f"In-sample neutralisation MAE {s['in_sample_rate_mae_pp']:.2f} pp (target <= "
          f"{s['targets']['in_sample_rate_mae_pp']:g}); launch totals within "
          f"{s['in_sample_launch_max_abs_error_pct']:.1f} % (target <= "
          f"{s['targets']['in_sample_launch_error_pct']:g}); out-of-sample MAE "
          f"{s['out_of_sample_rate_mae_pp']:.2f} pp")
    if rolling is not None:
        for _, r in rolling.summary[rolling.summary["variant"] == "full"].iterrows():
            unit = "pp" if r["unit"] == "pp" else "%"
            print(f"Rolling origin, {r['quantity']}: mean abs. error {r['mae']:.2f} {unit} over "
                  f"{int(r['n'])} months (target <= {r['target_mae']:g} {unit}: "
                  f"{'met' if r['target_met'] else 'not met'})")
    print(f"Wrote {page}")
    return 0
