"""Markdown tables of the defence fit and its rolling origin (docs/validation.md, issue 19).

    python scripts/defense_report.py                 # from the shipped JSON files
    python scripts/defense_report.py --forecast 20   # and the winter-2025-26 forecast (20 runs)

Reads ``sim/data/defence_fit.json`` (``python -m sim calibrate defence --origin 2025-09-30``)
and ``sim/data/defence_rolling.json`` (``python -m sim calibrate defence --rolling``).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd


def fit_tables(fit: dict) -> str:
    out = [f"Fit at origin {fit['origin']} (data {fit['data_range']}; `{fit['command']}`; "
           f"{fit['settings']['evaluations']} evaluations, {fit['settings']['seconds']:.0f} s, "
           f"{fit['settings']['replicates']} replicates per trial):", "",
           "| parameter | value | sd | bounds |", "|---|---:|---:|---|"]
    for k, p in fit["parameters"].items():
        out.append(f"| {p['label']} (`{k}`) | {p['value']:.4g} | {p['sd']:.2g} | "
                   f"{p['low']:g}-{p['high']:g} |")
    n = fit["noise"]
    out += [f"| effectiveness noise, month (`sigma_month`, logit) | {n['sigma_month']:.3g} | | |",
            f"| effectiveness noise, night (`sigma_night`, logit) | {n['sigma_night']:.3g} | | |",
            "", f"Record's monthly spread around the model {n['record_monthly_sd_pp']} points "
            f"(the model's own without noise {n['model_monthly_sd_pp_without_noise']}); nightly "
            f"{n['record_nightly_sd_pp']} ({n['model_nightly_sd_pp_without_noise']}). EST, not "
            "fitted: " + ", ".join(f"`{k.split('.')[-1]}` {v}" for k, v in fit["est"].items())
            + ". Residual constant: none (the front stream carries the nightly leak).", ""]
    out += ["Neutralised share and the national force by month (model: the fit's run with the "
            "record's nightly launches, mean of replicates):", "",
            "| month | record | model | national force's kills | its share of launched |",
            "|---|---:|---:|---:|---:|"]
    for r in fit["tables"]["monthly"]:
        out.append(f"| {r['month']} | {100 * r['record_share']:.1f}% | "
                   f"{100 * r['model_share']:.1f}% | {r['national_kills_per_replicate']:,.0f} | "
                   f"{100 * r['national_share_of_launched']:.1f}% |")
    out += ["", "Public interceptor tallies beside the model (sim/data/interceptor_tallies.csv; "
            "'target' rows are fit targets):", "",
            "| nights | claim | use | claimed kills | model's national kills | model launched |",
            "|---|---|---|---:|---:|---:|"]
    for r in fit["tables"]["tallies"]:
        out.append(f"| {r['nights']} | {r['what']} | {r['use']} | {r['claimed_kills']} | "
                   f"{r['model_national_kills']:,.0f} | {r['model_launched']:,.0f} |")
    out += ["", "Leak share ((launched - neutralised) / launched) by salvo size, record vs model, "
            "by quarter:", ""]
    lk = pd.DataFrame(fit["tables"]["leak_by_salvo"])
    salvos = list(dict.fromkeys(lk["salvo"]))
    out += ["| quarter | " + " | ".join(salvos) + " |", "|---|" + "---|" * len(salvos)]
    for q, g in lk.groupby("quarter", sort=True):
        cells = []
        for s in salvos:
            r = g[g["salvo"] == s].iloc[0]
            if r["record_nights"] == 0:
                cells.append("-")
            else:
                cells.append(f"{100 * r['record_leak_share']:.0f} / "
                             f"{100 * r['model_leak_share']:.0f} ({r['record_nights']})")
        out.append(f"| {q} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("(record % / model %, and the record's nights in brackets)")
    return "\n".join(out)


def rolling_tables(res: dict) -> str:
    from sim.calibration.defense_rolling_origin import markdown

    st = res["settings"]
    head = (f"Origins {res['origins'][0]} to {res['origins'][-1]}, horizons 1-{res['horizon']} "
            f"(cut at Sep 2025); `{res['command']}`; fit {st['fit_replicates']} replicate per "
            f"trial, at most {st['max_nfev']} least-squares iterations a pass; forecast "
            f"{st['replicates']} replicates; one core; {st['seconds'] / 60:.0f} min in all.")
    return head + "\n\n" + markdown(res)


def main(argv: list[str]) -> int:
    from sim.calibration.defense_record_fit import load_fit
    from sim.calibration.defense_rolling_origin import DEFAULT_PATH

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forecast", type=int, default=0, help="winter forecast replicates")
    a = ap.parse_args(argv)
    print(fit_tables(load_fit()))
    print()
    if DEFAULT_PATH.exists():
        import json

        print(rolling_tables(json.loads(DEFAULT_PATH.read_text())))
    if a.forecast:
        from sim.calibration.forecast import (
            DEFAULT_FORECAST_SCENARIO,
            forecast_markdown,
            winter_forecast,
        )
        from sim.config.io import load_scenario

        sc = load_scenario(DEFAULT_FORECAST_SCENARIO)
        print()
        print(forecast_markdown(winter_forecast(sc, replicates=a.forecast), sc.name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
