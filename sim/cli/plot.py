"""Command-line verb ``plot``: the figures that fit a results folder, as PNG and SVG.

``python -m sim plot RESULTS_DIR`` looks at what the folder holds and writes into it (or into
``--out``):

* a run (``sim run``: ``summary.json`` + ``nights.parquet``): ``timeline`` (launches, available
  capacity against demand, demand served per night, replicate bands), ``hits_by_site`` and
  ``map`` (replicate 0's night with the most launches among the nights with programme launch
  sites active, or with the most launches if the programme is never active; re-simulated from
  the folder's ``scenario.yaml`` and seed; ``--night N`` picks another, ``--no-map`` skips it);
* a sweep (``sim sweep``: ``manifest.json`` + ``runs.parquet``): for the budget lever the
  headline ``coverage_vs_budget``, ``cost_effectiveness`` and ``outcomes_vs_budget`` (the change
  from EUR 0 paired on the same winters); for other numeric levers ``outcomes_vs_<lever>`` (the
  paired change from the lowest level); with sampled uncertainties ``sensitivity_<outcome>``
  (from ``sensitivity.csv`` or computed) and ``tornado``; with ``nights.parquet`` a
  ``timeline`` of a few levels;
* a comparison (``sim compare --json DIR/comparison.json``, or any JSON report or CSV table of
  ``sim compare`` in the folder): ``comparison``, paired differences with their CIs.

Bad input (no such folder, nothing recognisable in it) raises
:class:`~sim.config.errors.SimInputError`: the main CLI prints it and exits with status 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sim.cli.common import nonneg_int, pos_int
from sim.config.errors import SimInputError
from sim.config.files import read_json_object

HEADLINE_OUTCOMES = ("kinetic_coverage", "demand_served_fraction")


def register(subparsers) -> None:
    """Add the ``plot`` subcommand to the main CLI's argparse subparsers."""
    p = subparsers.add_parser(
        "plot", help="write the figures that fit a results folder (run, sweep or comparison)",
        description="Write PNG and SVG figures for the results in RESULTS_DIR: the output of "
                    "`sim run`, `sim sweep` or `sim compare --json`.",
    )
    p.add_argument("results", metavar="RESULTS_DIR", help="results folder")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write the figures here (default: RESULTS_DIR)")
    p.add_argument("--formats", default="png,svg",
                   help="comma-separated file formats (default png,svg)")
    p.add_argument("--dpi", type=pos_int, default=200, help="PNG resolution (default 200)")
    p.add_argument("--night", type=nonneg_int, default=None,
                   help="run folders: night (0-based) to map (default: the night with the most "
                        "launches among those with the programme active)")
    p.add_argument("--no-map", action="store_true",
                   help="run folders: skip the map (it re-simulates up to the mapped night)")
    p.set_defaults(func=cmd_plot, handler=cmd_plot)


def cmd_plot(args) -> int:
    """Handler of ``sim plot``."""
    formats = tuple(f.strip().lower().lstrip(".") for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise SimInputError(f"--formats: unsupported format(s) {', '.join(bad) or '(none)'}; "
                            "choose from png, svg, pdf")
    if args.dpi < 30 or args.dpi > 1200:
        raise SimInputError(f"--dpi {args.dpi}: choose a value between 30 and 1200")
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    written = plot_folder(args.results, out=args.out, formats=formats, dpi=args.dpi,
                          night=args.night, map_=not args.no_map)
    for path in written:
        print(path)
    print(f"wrote {len(written)} files", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------
def detect(folder: Path) -> list[str]:
    """Kinds of results in ``folder``: ``run``, ``sweep`` and/or ``compare``."""
    kinds = []
    if (folder / "summary.json").is_file() and (folder / "nights.parquet").is_file():
        kinds.append("run")
    if (folder / "manifest.json").is_file():
        kinds.append("sweep")
    if _comparison_files(folder):
        kinds.append("compare")
    return kinds


def _comparison_files(folder: Path) -> list[Path]:
    """JSON reports (or CSV tables) of ``sim compare`` in the folder."""
    found = []
    for p in sorted(folder.glob("*.json")):
        if p.name in ("summary.json", "manifest.json", "spec.json") or not p.is_file():
            continue  # (a FIFO or device named *.json would never end)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), list) and data["results"] \
                and isinstance(data["results"][0], dict) and "diff" in data["results"][0]:
            found.append(p)
    if not found:
        for p in sorted(folder.glob("*.csv")):
            if not p.is_file():
                continue
            try:
                head = p.read_text(encoding="utf-8").splitlines()[0].split(",")
            except (OSError, UnicodeDecodeError, IndexError):
                continue
            if {"outcome", "mean_a", "mean_b", "diff", "ci_low", "ci_high"} <= set(head):
                found.append(p)
    return found


def plot_folder(results: str | Path, out: str | Path | None = None,
                formats=("png", "svg"), dpi: int = 200, night: int | None = None,
                map_: bool = True) -> list[Path]:
    """Write the figures that fit a results folder; returns the files written.

    Raises:
        SimInputError: the folder does not exist or holds no recognisable results.
    """
    folder = Path(results)
    if not folder.exists():
        raise SimInputError(f"{folder}: no such results folder")
    if not folder.is_dir():
        raise SimInputError(f"{folder}: not a folder; pass the results folder of sim run, "
                            "sim sweep or sim compare")
    kinds = detect(folder)
    if not kinds:
        raise SimInputError(
            f"{folder}: no results found: expected summary.json and nights.parquet (sim run), "
            "manifest.json and runs.parquet (sim sweep) or a comparison JSON "
            "(sim compare --json DIR/comparison.json)")
    out_dir = Path(out) if out is not None else folder
    if out is not None:
        from sim.config.files import check_output_path

        check_output_path(out_dir, "--out", folder=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = _Writer(out_dir, formats, dpi)
    if "run" in kinds:
        _plot_run(folder, writer, night=night, map_=map_)
    if "sweep" in kinds:
        _plot_sweep(folder, writer)
    if "compare" in kinds:
        _plot_compare(folder, writer)
    return writer.written


class _Writer:
    def __init__(self, out_dir: Path, formats, dpi: int):
        self.out_dir, self.formats, self.dpi = out_dir, tuple(formats), dpi
        self.written: list[Path] = []

    def save(self, fig, name: str) -> None:
        import matplotlib.pyplot as plt

        from sim.viz.style import save_figure

        try:
            self.written += save_figure(fig, self.out_dir / name, self.formats, self.dpi)
        finally:
            plt.close(fig)


def _read_parquet(path: Path):
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is bad input
        raise SimInputError(f"{path}: cannot be read as Parquet ({exc})") from None


# --------------------------------------------------------------------------------------------
def _plot_run(folder: Path, w: _Writer, night: int | None, map_: bool) -> None:
    from sim.viz import figures as plots

    summary = read_json_object(folder / "summary.json", what="run summary", error=SimInputError)
    nights = _read_parquet(folder / "nights.parquet")
    if not len(nights):
        raise SimInputError(f"{folder / 'nights.parquet'}: no nights")
    fig, _ = plots.plot_winter_timeline(
        nights, title=f"{summary.get('scenario', folder.name)}: the winter night by night")
    w.save(fig, "timeline")
    hits = summary.get("hits_by_site") or {}
    if hits:
        fig, _ = plots.plot_hits_by_site(hits, replicates=summary.get("replicates"),
                                         title=f"{summary.get('scenario', '')}: the most-hit "
                                         "energy sites")
        w.save(fig, "hits_by_site")
    if map_:
        fig = _run_map(folder, summary, nights, night)
        if fig is not None:
            w.save(fig, "map")


def _run_map(folder: Path, summary: dict, nights, night: int | None):
    """Re-simulate replicate 0 up to the mapped night and draw it."""
    from sim.config.io import load_scenario
    from sim.model.defense_model import DefenseModel
    from sim.viz import figures as plots

    path = folder / "scenario.yaml"
    if not path.is_file():
        print(f"note: {path} not found; no map (it is drawn by re-simulating the scenario)",
              file=sys.stderr)
        return None
    scenario = load_scenario(path)
    rep0 = nights[nights["replicate"] == nights["replicate"].min()] if "replicate" in nights \
        else nights
    night, why = plots.pick_night(nights, night)
    if not 0 <= night < scenario.period.nights:
        raise SimInputError(f"--night {night}: the scenario has nights 0 to "
                            f"{scenario.period.nights - 1}")
    seed = summary.get("seed")
    replicate = int(rep0["replicate"].iloc[0]) if "replicate" in rep0 else 0
    model = DefenseModel(scenario, seed=seed, replicate=replicate)
    for _ in range(night + 1):
        model.step()
    row = rep0[rep0["night"] == night]
    if len(row) and int(row["launched"].iloc[0]) != int(model.record["launched"]):
        print(f"note: the re-simulated night {night} ({model.record['launched']} launches) differs "
              f"from the stored one ({int(row['launched'].iloc[0])}); the model has changed since "
              "the run", file=sys.stderr)
    note = f"Shown: {why} (night index {night}, replicate {replicate}; another: --night N)"
    fig, _ = plots.plot_map(model, note=note)
    return fig


# --------------------------------------------------------------------------------------------
def _spec_factors(folder: Path) -> tuple[list[str], list[str], dict]:
    spec_path = folder / "spec.json"
    spec = {}
    if spec_path.is_file():
        try:
            spec = json.loads(spec_path.read_text(encoding="utf-8")).get("spec", {})
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            spec = {}
    levers = [f["key"] for f in spec.get("levers", [])]
    uncs = [f["key"] for f in spec.get("uncertainties", [])]
    return levers, uncs, spec


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name.split(".")[-1])


def _plot_sweep(folder: Path, w: _Writer) -> None:
    import pandas as pd

    from sim.viz import figures as plots

    if not (folder / "runs.parquet").is_file():
        raise SimInputError(f"{folder}: the sweep has not finished (no runs.parquet); rerun it "
                            "to complete it")
    runs = _read_parquet(folder / "runs.parquet")
    levers, uncs, spec = _spec_factors(folder)
    name = spec.get("name", folder.name)
    numeric = [k for k in levers if k in runs and pd.api.types.is_numeric_dtype(runs[k])
               and runs[k].nunique() > 1]
    categorical = [k for k in levers if k in runs and k not in numeric and runs[k].nunique() > 1]
    drew = False
    for k in numeric:
        sub = runs
        by = categorical[0] if categorical else None
        if k == "defense.budget_eur":
            if by is None:
                fig, _ = plots.plot_coverage_vs_budget(
                    sub, title=f"{name}: what the interceptor budget buys over a winter")
                w.save(fig, "coverage_vs_budget")
            else:
                fig, _ = plots.plot_outcome_vs_factor(sub, k, "kinetic_coverage", by=by)
                w.save(fig, "coverage_vs_budget")
            if {"cost_exchange_ratio", "cost_per_kill_eur"} & set(sub.columns):
                fig, _ = plots.plot_cost_effectiveness(sub, factor=k)
                w.save(fig, "cost_effectiveness")
            fig, _ = plots.plot_outcomes_grid(sub, k)
            w.save(fig, "outcomes_vs_budget")
        else:
            fig, _ = plots.plot_outcomes_grid(
                sub, k, ("kinetic_coverage", "demand_served_fraction", "hits_on_sites",
                         "cost_exchange_ratio"))
            w.save(fig, f"outcomes_vs_{_safe(k)}")
        drew = True
    if uncs:
        _plot_sensitivity(folder, runs, uncs, categorical, w)
        drew = True
    if (folder / "nights.parquet").is_file() and numeric:
        nights = _read_parquet(folder / "nights.parquet")
        design_path = folder / "design.parquet"
        k = numeric[0]
        if design_path.is_file() and "point" in nights:
            design = _read_parquet(design_path)[["point", k]]
            nights = nights.merge(design, on="point", how="left")
            levels = sorted(nights[k].dropna().unique())
            keep = _pick_levels(levels)
            fig, _ = plots.plot_winter_timeline(
                nights[nights[k].isin(keep)], by=k,
                title=f"{name}: the winter night by night at {len(keep)} levels")
            w.save(fig, "timeline")
            drew = True
    if not drew:
        # A sweep without numeric levers or uncertainties: one outcome per policy.
        if categorical:
            k = categorical[0]
            fig, _ = plots.plot_outcomes_by_group(runs, k)
            w.save(fig, f"outcomes_by_{_safe(k)}")
        else:
            print(f"note: {folder}: nothing to plot for this sweep (no varying factor)",
                  file=sys.stderr)


def _pick_levels(levels, k: int = 4) -> list:
    """Up to ``k`` levels: the ends and evenly spaced ones between (incl. EUR 200M if there)."""
    if len(levels) <= k:
        return list(levels)
    import numpy as np

    idx = sorted(set(np.linspace(0, len(levels) - 1, k).round().astype(int)))
    out = [levels[i] for i in idx]
    if 2e8 in levels and 2e8 not in out:  # the Dutch package
        out[-2] = 2e8
    if levels[1] not in out:  # the first step up from the lowest level
        out[1] = levels[1]
    return sorted(set(out))


def _plot_sensitivity(folder: Path, runs, uncs: list[str], categorical: list[str],
                      w: _Writer) -> None:
    import pandas as pd

    from sim.viz import figures as plots

    table = None
    if (folder / "sensitivity.csv").is_file():
        table = pd.read_csv(folder / "sensitivity.csv")
    else:
        try:
            from sim.experiments.sweep.api import analyze_folder

            table = analyze_folder(folder, write=False)
        except Exception as exc:  # noqa: BLE001 - a design that does not support it
            print(f"note: no sensitivity indices for {folder} ({exc}); tornado only",
                  file=sys.stderr)
    if table is not None and len(table):
        for o in HEADLINE_OUTCOMES:
            if o in set(table["outcome"]):
                try:
                    fig, _ = plots.plot_sensitivity(table, outcome=o)
                except ValueError:
                    continue
                w.save(fig, f"sensitivity_{o}")
    outcome = next((o for o in HEADLINE_OUTCOMES if o in runs), None)
    if outcome is None:
        return
    if categorical:
        k = categorical[0]
        for v, g in list(runs.groupby(k, sort=True))[:4]:
            fig, _ = plots.plot_tornado(g, uncs, outcome,
                                        title=f"Swing of the outcome across each factor's range\n"
                                        f"({plots.outcome_label(outcome).lower()}; {v})")
            w.save(fig, f"tornado_{_safe(str(v))}")
    else:
        fig, _ = plots.plot_tornado(runs, uncs, outcome)
        w.save(fig, "tornado")


# --------------------------------------------------------------------------------------------
def _plot_compare(folder: Path, w: _Writer) -> None:
    import pandas as pd

    from sim.viz import figures as plots

    for k, path in enumerate(_comparison_files(folder)):
        if path.suffix == ".json":
            table, meta = plots.comparison_from_json(path)
        else:
            table, meta = pd.read_csv(path), {}
        labels = (plots.scenario_label(meta.get("a", "A")),
                  plots.scenario_label(meta.get("b", "B")))
        if labels[0] == labels[1]:
            labels = (f"A ({labels[0]})", f"B ({labels[1]})")
        fig, _ = plots.plot_comparison(table, labels=labels, level=meta.get("level"))
        w.save(fig, "comparison" if k == 0 else f"comparison_{path.stem}")
