"""The validation report: a Markdown page and its tables, from results computed elsewhere.

It is given the calibration (:mod:`sim.calibration.defense_fit`), the rolling-origin result
(:mod:`sim.calibration.rolling_origin`), the oracle results (:mod:`sim.calibration.oracles`) and
the file names of figures drawn by the viz layer (:mod:`sim.viz.validation`); it draws nothing
and simulates nothing. ``python -m sim validate-model`` (:mod:`sim.cli.calibration`) puts the
pieces together in a staged folder.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.calibration.defense_fit import FIT_COMMAND, clean_json
from sim.calibration.oracles import OracleResult
from sim.config.errors import SimInputError

REPORT_NAME = "validation.md"
FIGURES = {"launches": "launches.png", "neutralisation": "neutralisation.png",
           "rolling_origin": "rolling_origin.png"}

QUANTITY_LABELS = {
    "drones_neutralised_share": "drones: neutralised share",
    "drones_launched": "drones: launched",
}


def quantity_label(q: str) -> str:
    """Plain name of a rolling-origin quantity."""
    if q in QUANTITY_LABELS:
        return QUANTITY_LABELS[q]
    if q.startswith("missiles_"):
        cls, _, what = q[len("missiles_"):].partition("_")
        return f"{cls} missiles: {what.replace('_', ' ')}"
    return q


def _months_frame(cal: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(cal["months"])


def _f(x, digits=1, pct=False) -> str:
    if x is None:
        return "n/a"
    x = float(x)
    if not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.{digits}f}" if pct else f"{x:.{digits}f}"


def _pct_or_na(x) -> str:
    v = _f(x, 1, True)
    return v if v == "n/a" else f"{v} %"


def _fmt_sig(x) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    x = float(x)
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def report_markdown(cal: dict[str, Any], oracles: Sequence[OracleResult] | None,
                    rolling: Mapping[str, Any] | None = None,
                    figures: Mapping[str, str] | None = None) -> str:
    """The validation page (markdown).

    Args:
        cal: a calibration dict (:func:`sim.calibration.defense_fit.load_calibration`).
        oracles: oracle results, or None if not run.
        rolling: a rolling-origin result as a dict
            (:meth:`~sim.calibration.rolling_origin.RollingOriginResult.to_dict`), or None.
        figures: figure file names by role (``launches``, ``neutralisation``,
            ``rolling_origin``); a role without a file is left out of the page.
    """
    figures = dict(figures or {})
    s = cal["summary"]
    fit = cal["fit"]
    ev = cal["evaluation"]
    df = _months_frame(cal)
    L: list[str] = []
    a = L.append
    a("# Model validation: calibration to the public record\n")
    a(f"Scenario `{cal['scenario']['file']}` ({cal['scenario']['name']}), "
      f"{cal['scenario']['nights']} nights from {cal['scenario']['start_date']}. "
      f"Record: `{cal['record']['file']}` ({cal['record']['source']}; "
      f"{cal['record']['licence']}). Calibration created {cal.get('created', 'n/a')} by "
      f"`{cal.get('command', FIT_COMMAND)}`.\n")
    a("Neutralisation rate = (destroyed + lost to EW) / launched in the model, against "
      "(destroyed + not_reach_goal) / launched in the record. From Aug 2025 the Air Force "
      "counts EW-suppressed drones under 'destroyed' and reports not_reach_goal as 0: the sum "
      "is comparable over the whole year, the EW share only up to Jul 2025.\n")
    a("## Headline\n")
    a("| measure | value | target |")
    a("|---|---|---|")
    a(f"| In-sample ({fit['fit_months'][0]} to {fit['fit_months'][-1]}) neutralisation rate, "
      f"mean absolute error | **{_f(s['in_sample_rate_mae_pp'], 2)} pp** | <= "
      f"{s['targets']['in_sample_rate_mae_pp']:g} pp "
      f"({'met' if s['in_sample_rate_target_met'] else 'NOT met'}) |")
    a(f"| In-sample monthly launch totals, largest absolute error | "
      f"**{_f(s['in_sample_launch_max_abs_error_pct'], 1)} %** | <= "
      f"{s['targets']['in_sample_launch_error_pct']:g} % "
      f"({'met' if s['in_sample_launch_target_met'] else 'NOT met'}) |")
    a(f"| In-sample EW-loss share, mean absolute error | "
      f"{_f(s['in_sample_ew_share_mae_pp'], 2)} pp | (fitted, no target) |")
    a(f"| **Out-of-sample** ({ev['test_months'][0]} to {ev['test_months'][-1]}) "
      f"neutralisation rate, mean absolute error | **{_f(s['out_of_sample_rate_mae_pp'], 2)} "
      f"pp** (mean signed error {_f(s['out_of_sample_rate_bias_pp'], 2)} pp) | reported, not "
      f"tuned |")
    a(f"| Out-of-sample monthly launch totals, largest absolute error | "
      f"{_f(s['out_of_sample_launch_max_abs_error_pct'], 1)} % | reported |")
    a("")
    a("Errors use the median over replicates as the model's prediction. The evaluation runs "
      f"(seed {ev['seed']}, {ev['replicates']} replicates) are not those of the fit "
      f"(seed {fit['seed']}).\n")

    if figures.get("launches") or figures.get("neutralisation"):
        a("## Figures\n")
    if figures.get("launches"):
        a(f"![Monthly launches, simulated vs reported]({figures['launches']})\n")
    if figures.get("neutralisation"):
        a("![Monthly neutralisation rate and EW-loss share, simulated vs reported]"
          f"({figures['neutralisation']})\n")

    a("## Fitted parameters\n")
    a(f"Fitted to the {len(fit['fit_months'])} months {fit['fit_months'][0]} to "
      f"{fit['fit_months'][-1]}: monthly neutralisation rate and EW-loss share, "
      f"{fit['replicates']} replicates of seed {fit['seed']} at every trial point (common "
      f"random numbers), {fit['evaluations']} objective evaluations, objective "
      f"{_fmt_sig(fit['objective_pp2'])} pp^2, converged: {fit['converged']}.\n")
    a("| parameter | meaning | estimate | SE (curvature) | 90 % CI (month bootstrap) | "
      "SD (seed sets) | SD total | bounds | scenario values |")
    a("|---|---|---|---|---|---|---|---|---|")
    for p in fit["parameters"]:
        ci = p["ci90_bootstrap_months"]
        vals = "; ".join(f"`{k}` = {v:.4g}" for k, v in p["scenario_values"].items())
        a(f"| `{p['name']}` | {p['label']} | **{p['estimate']:.4f}** | "
          f"{p['se_curvature']:.4f} | {_fmt_sig(ci[0])} to {_fmt_sig(ci[1])} | "
          f"{p['sd_seed_sets']:.4f} | {p['sd_total']:.4f} | [{p['lower']:g}, {p['upper']:g}]"
          f"{' (at bound)' if p['at_bound'] else ''} | {vals} |")
    a("")
    a("SE (curvature): s^2 (J'J)^-1 from the Jacobian of the monthly residuals. Month "
      "bootstrap: fit months resampled with replacement, linearised refit. Seed sets: the fit's "
      f"residuals under seeds {', '.join(str(x) for x in fit['seed_sets'])}, one Gauss-Newton "
      "step. SD total combines the bootstrap and seed-set spreads; the light band in the "
      "neutralisation figure draws parameters from it.\n")

    a("## Month by month\n")
    a("| month | period | launched: reported | simulated median (5-95 %) | error | "
      "neutralised: reported | simulated median (5-95 %) | error (pp) | EW share: reported | "
      "simulated | kills by fire groups / missiles / interceptors (share of launched) |")
    a("|---|---|---|---|---|---|---|---|---|---|---|")
    for _, r in df.iterrows():
        a(f"| {r['month']} | {'fit' if r['period'] == 'fit' else 'out of sample'} | "
          f"{int(r['obs_launched']):,} | {r['sim_launched_median']:,.0f} "
          f"({r['sim_launched_p05']:,.0f}-{r['sim_launched_p95']:,.0f}) | "
          f"{r['launch_error_pct']:+.1f} % | {_f(r['obs_rate'], 1, True)} % | "
          f"{_f(r['sim_rate_median'], 1, True)} % ({_f(r['sim_rate_p05'], 1, True)}-"
          f"{_f(r['sim_rate_p95'], 1, True)}) | {r['rate_error_pp']:+.1f} | "
          f"{_pct_or_na(r['obs_ew_share'])} | "
          f"{_f(r['sim_ew_share_median'], 1, True)} % | "
          f"{_f(r['share_fire_groups'], 1, True)} / {_f(r['share_missiles'], 1, True)} / "
          f"{_f(r['share_existing_interceptors'], 1, True)} % |")
    a("")

    L.extend(rolling_markdown(rolling, figures.get("rolling_origin")))

    a("## Analytic oracles\n")
    if oracles is None:
        a("Not run (`--skip-oracles`).\n")
    else:
        a("Closed-form results the engine must reproduce in limiting cases (the logic of "
          "`tests/calibration/test_oracles.py` and `tests/model/test_geometry.py`, run now "
          "with fixed seeds). "
          "Pass: |observed - expected| <= 4 standard errors (deterministic checks: relative "
          "error <= 1e-9).\n")
        a("| check | quantity | closed form | expected | observed | 95 % CI of observed | n "
          "| pass |")
        a("|---|---|---|---|---|---|---|---|")
        for o in oracles:
            ci = "exact" if o.n == 1 else f"{o.ci_low:.4f} to {o.ci_high:.4f}"
            a(f"| {o.name} | {o.quantity} | {o.source} | {o.expected:.4f} | {o.observed:.4f} | "
              f"{ci} | {o.n:,} | {'yes' if o.passed else '**NO**'} |")
        a("")

    a("## Reading this page\n")
    a("- The fit has two free parameters and twelve monthly numbers to match (six rates, six "
      "EW shares); the in-sample error mostly measures month-to-month swings the model does "
      "not try to explain: it holds tactics and the defence constant over the year.")
    a("- The out-of-sample months are a real test of the defence: nothing from Apr-Sep 2025 "
      "entered the defence fit (the launch profile, fitted separately, does cover the whole "
      "year, so the launch totals are not an out-of-sample test here; the rolling-origin "
      "section refits the launch profile too).")
    a("- What the model is good for and where not to trust it: `docs/trust.md`; method and "
      "limits: `docs/validation.md`.")
    a("")
    a("Rebuild this page: `python -m sim validate-model --out DIR` (no refit, about a second "
      "plus the oracles); rolling origin recomputed: `python -m sim validate-model "
      "--rolling-origin` (a few minutes; `--quick` for a small check); refit and rewrite the "
      f"shipped results: `{FIT_COMMAND}`.\n")
    return "\n".join(L)


def _err(x, unit: str) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{float(x):+.1f} {'pp' if unit == 'pp' else '%'}"


def _abs(x, unit: str) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{float(x):.1f} {'pp' if unit == 'pp' else '%'}"


def _val(x, unit: str) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.1f} %" if unit == "pp" else f"{float(x):,.0f}"


def rolling_markdown(rolling: Mapping[str, Any] | None, figure: str | None = None) -> list[str]:
    """The rolling-origin section of the page (lines)."""
    L: list[str] = []
    a = L.append
    a("## Rolling origin: fitted up to a month, forecast after it\n")
    if rolling is None:
        a("Not available: no rolling-origin result was given (`python -m sim validate-model "
          "--rolling-origin` computes one).\n")
        return L
    st = rolling["settings"]
    fc = pd.DataFrame(rolling["forecasts"])
    summ = pd.DataFrame(rolling["summary"])
    abl = pd.DataFrame(rolling["ablation"])
    fits = pd.DataFrame(rolling["fits"])
    mech = rolling.get("mechanisms", {})
    t = rolling.get("targets", {})
    a(f"At each origin ({', '.join(st['origins'])}) everything that is fitted "
      f"({', '.join(rolling.get('fitters', []))}) is fitted again on the record up to that "
      f"month only; the model then forecasts the next {st['horizon']} months (as far as the "
      f"record goes) with {st['replicates']} replicates of seed {st['forecast_seed']}, which "
      f"the fits never used. Record: `{rolling['record']['source']}`, to "
      f"{rolling['record']['last_month']}. Result created {rolling.get('created', 'n/a')}.\n")
    a("Errors: neutralised share in percentage points (simulated mean minus reported), "
      "launches in % of the reported figure. Targets: neutralised share within "
      f"{t.get('neutralised_share_mae_pp', 3):g} points on average, launches within "
      f"{t.get('launches_mae_pct', 15):g} % on average.\n")
    if figure:
        a(f"![Rolling-origin forecasts against the record]({figure})\n")
    a("### Full model, mean absolute error over all forecast months\n")
    a("| quantity | months | mean abs. error | mean error | largest | target | met |")
    a("|---|---|---|---|---|---|---|")
    for _, r in summ[summ["variant"] == "full"].iterrows():
        a(f"| {quantity_label(r['quantity'])} | {int(r['n'])} | **{_abs(r['mae'], r['unit'])}"
          f"** | {_err(r['bias'], r['unit'])} | {_abs(r['max_abs'], r['unit'])} | <= "
          f"{r['target_mae']:g} {'pp' if r['unit'] == 'pp' else '%'} | "
          f"{'yes' if r['target_met'] else '**no**'} |")
    a("")
    a("### Month by month (full model)\n")
    a("| origin | month | horizon | quantity | reported | simulated mean (5-95 %) | error |")
    a("|---|---|---|---|---|---|---|")
    for _, r in fc[fc["variant"] == "full"].iterrows():
        u = r["unit"]
        a(f"| {r['origin']} | {r['month']} | {int(r['horizon'])} | "
          f"{quantity_label(r['quantity'])} | {_val(r['observed'], u)} | "
          f"{_val(r['sim_mean'], u)} ({_val(r['sim_p05'], u)} to {_val(r['sim_p95'], u)}) | "
          f"{_err(r['error'], u)} |")
    a("")
    a("### Ablation: each mechanism switched off\n")
    if abl.empty:
        a("No mechanism could be switched off in this model.\n")
    else:
        a("Each variant is " + ("refitted without the mechanism, then forecast"
                                if st.get("refit_ablations", True)
                                else "the full model's fit with the mechanism switched off")
          + ". 'Closes' is the mean absolute error without the mechanism minus with it "
          "(positive: the mechanism helps), and its share of the error without it.\n")
        a("| mechanism | quantity | error without | error with (full) | closes | share "
          "closed |")
        a("|---|---|---|---|---|---|")
        for _, r in abl.iterrows():
            u = r["unit"]
            sh = r["share_of_error_closed"]
            sh = "n/a" if sh is None or not math.isfinite(float(sh)) else f"{100 * sh:.0f} %"
            a(f"| {r['mechanism']} | {quantity_label(r['quantity'])} | "
              f"{_abs(r['mae_without'], u)} | {_abs(r['mae_full'], u)} | "
              f"{_err(r['closes'], u)} | {sh} |")
        a("")
    for name, why in (mech.get("skipped") or {}).items():
        a(f"- Mechanism `{name}` not tested: {why}.")
    for note in rolling.get("notes", []):
        a(f"- {note}.")
    a("")
    if not fits.empty:
        a("### What was fitted at each origin (full model)\n")
        f = fits[fits["variant"] == "full"].drop(columns=["variant"]).dropna(axis=1, how="all")
        cols = [c for c in f.columns if c not in ("origin", "fitter")]
        a("| origin | fitter | " + " | ".join(cols) + " |")
        a("|---|---|" + "---|" * len(cols))
        for _, r in f.iterrows():
            vals = []
            for c in cols:
                v = r[c]
                if isinstance(v, float):
                    vals.append("" if not math.isfinite(v) else f"{v:.4g}")
                else:
                    vals.append("" if v is None else str(v))
            a(f"| {r['origin']} | {r['fitter']} | " + " | ".join(vals) + " |")
        a("")
    return L


def check_report_dir(out_dir: str | Path, overwrite: bool = False) -> Path:
    """Refuse a report folder that is a file, or that holds other files (unless overwrite).

    A folder holding an earlier report (``validation.md``) is replaced without asking.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SimInputError(f"--out {out}: exists and is not a folder")
    if (out.exists() and any(out.iterdir()) and not (out / REPORT_NAME).exists()
            and not overwrite):
        raise SimInputError(
            f"--out {out}: folder holds other files and no earlier validation report; choose "
            f"another folder or pass --overwrite to replace it")
    return out


def write_report_files(folder: str | Path, cal: dict[str, Any],
                       oracles: Sequence[OracleResult] | None,
                       rolling: Mapping[str, Any] | None = None,
                       figures: Mapping[str, str] | None = None) -> Path:
    """Write the page and its tables into ``folder`` (figures are saved by the caller).

    Files: ``validation.md``, ``months.csv``, ``calibration.json``, ``oracles.csv`` (if the
    oracles ran) and, with a rolling-origin result, ``rolling_origin.json``,
    ``rolling_origin_forecasts.csv``, ``rolling_origin_summary.csv``,
    ``rolling_origin_ablation.csv``. All world-readable.

    Returns:
        The path of ``validation.md``.
    """
    from sim.config.files import atomic_write_json, atomic_write_text

    folder = Path(folder)

    def csv(name: str, df: pd.DataFrame) -> None:
        atomic_write_text(folder / name, df.to_csv(index=False, lineterminator="\n"))

    csv("months.csv", _months_frame(cal))
    if oracles is not None:
        csv("oracles.csv", pd.DataFrame([
            {"name": o.name, "quantity": o.quantity, "closed_form": o.source,
             "expected": o.expected, "observed": o.observed, "ci_low": o.ci_low,
             "ci_high": o.ci_high, "n": o.n, "passed": o.passed} for o in oracles]))
    atomic_write_json(folder / "calibration.json", clean_json(cal))
    if rolling is not None:
        atomic_write_json(folder / "rolling_origin.json", clean_json(dict(rolling)))
        for key in ("forecasts", "summary", "ablation"):
            csv(f"rolling_origin_{key}.csv", pd.DataFrame(rolling[key]))
    atomic_write_text(folder / REPORT_NAME, report_markdown(cal, oracles, rolling, figures))
    for f in folder.iterdir():  # mkstemp creates private files; a report is shared
        if f.is_file():
            os.chmod(f, 0o644)
    return folder / REPORT_NAME
