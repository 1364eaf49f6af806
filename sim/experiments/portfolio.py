"""What else the money could buy: every spending option alone, and the mixes a user lists,
against no spending, on the same winters (``python -m sim portfolio SCENARIO``).

Candidates (:func:`candidates`): no spending (``defense.budget_eur: 0``, no portfolio), each
option of :data:`sim.config.portfolio.OPTIONS` alone at the full budget (the scenario's cost
models kept), and every mix given (shares, amounts or a whole ``defense.portfolio`` mapping).
Each candidate is run against each attacker strategy (default ``static`` and ``learning``: the
learning attacker re-targets when the defence changes) for replicates ``0..R-1`` of one seed:
replicate ``r`` of every candidate faces the same raids until the defence changes them (common
random numbers). The runs go through the sweep machinery's evaluators
(:func:`sim.experiments.sweep.engine.execute`: serial or a process pool, with progress).

Per attacker and candidate, the gain over no spending is the paired difference per replicate
(:func:`sim.experiments.sweep.compare.compare_tables`: mean, BCa bootstrap interval, paired
t-test) of: winter demand served, hours without power a day (when the outcome registry has it,
:data:`HOURS_OUTCOMES`), drone hits and missile hits on energy sites. Money spent by the last
night and unused come from the candidate's schedule (:func:`sim.model.portfolio.
portfolio_schedule`); cost per point is ``spent / (100 x gain in demand served)`` (EUR per
percentage point) with the interval from the gain's, given only when the gain's interval is
above zero. Candidates are ranked per attacker by their gain in demand served (then by hits on energy
avoided, then by less money spent).

The report (:func:`format_report`) fits 100 columns; :func:`write_results` writes a results
folder (``runs.parquet``, ``gains.csv``, ``schedules.json``, ``table.txt``, ``manifest.json``)
through :class:`sim.config.files.StagedDir`: nothing half-written.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import ScenarioError, SimInputError
from sim.config.portfolio import OPTION_NAMES, OPTIONS
from sim.experiments.stats import LEVEL
from sim.experiments.sweep.compare import compare_tables
from sim.experiments.tables import WIDTH, text_table

ATTACKERS = ("static", "best_response", "learning")
"""Attacker strategies (``threat.attacker.strategy``)."""

DEFAULT_ATTACKERS = ("static", "learning")

NONE = "none"
"""The key of the no-spending candidate."""

SHORT = {
    "interceptor_drones": "interceptor drones",
    "missile_interceptors": "SAM interceptors",
    "mobile_fire_groups": "fire groups",
    "ew_stations": "EW stations",
    "passive_protection": "site protection",
    "spares_and_repair": "spares and repair",
    "distributed_generation": "distributed gen.",
}
"""The options' names in the 100-column table."""

DEMAND = "demand_served_fraction"
HOURS_OUTCOMES = ("outage_hours_per_day", "hours_without_power_per_day")
"""Names under which the outcome registry may hold hours without power a day (the power
system's start state adds it); the first present is reported."""
DRONE_HITS = "hits_on_sites"
MISSILE_HITS = "missile_hits_on_sites"


def hours_outcome() -> str | None:
    """The registry's hours-without-power-a-day outcome, if it has one."""
    from sim.model.outcomes import OUTCOMES

    return next((o for o in HOURS_OUTCOMES if o in OUTCOMES), None)


def compared_outcomes() -> list[str]:
    """The outcomes of the comparison, in the table's order."""
    h = hours_outcome()
    return [DEMAND, *([h] if h else []), DRONE_HITS, MISSILE_HITS]


# --------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class Candidate:
    """One way to spend the budget (or not to).

    Attributes:
        key: short name (``none``, an option's name, or the mix's label).
        label: plain words for tables.
        portfolio: ``defense.portfolio`` as a mapping (``None``: no portfolio).
        budget_eur: ``defense.budget_eur`` of the candidate (0 for no spending).
        kind: ``none``, ``option`` or ``mix``.
    """

    key: str
    label: str
    portfolio: dict | None
    budget_eur: float
    kind: str

    def overrides(self) -> dict[str, Any]:
        return {"defense.budget_eur": float(self.budget_eur), "defense.portfolio": self.portfolio}


def parse_mix(text: str, where: str = "--mix") -> dict[str, float]:
    """``"passive_protection=0.5,interceptor_drones=0.5"`` -> mapping (names checked later by
    the schema, with the closest name).

    Raises:
        SimInputError: not ``NAME=NUMBER`` pairs.
    """
    out: dict[str, float] = {}
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise SimInputError(f"{where} {text!r}: expected OPTION=SHARE pairs separated by "
                                "commas, e.g. passive_protection=0.5,interceptor_drones=0.5")
        try:
            x = float(value)
        except ValueError:
            raise SimInputError(f"{where} {text!r}: {value.strip()!r} is not a number") from None
        if name.strip() in out:
            raise SimInputError(f"{where} {text!r}: {name.strip()} is given twice")
        out[name.strip()] = x
    if not out:
        raise SimInputError(f"{where}: empty mix")
    return out


ABBREV = {
    "interceptor_drones": "drones",
    "missile_interceptors": "SAMs",
    "mobile_fire_groups": "fire groups",
    "ew_stations": "EW",
    "passive_protection": "protection",
    "spares_and_repair": "spares",
    "distributed_generation": "DG",
}
"""The options in a mix's label."""


def mix_label(p: dict) -> str:
    """A mix in a few words, largest share first: ``60% drones + 40% spares`` (amounts: ``EUR
    50M EW + ...``)."""
    def name(k: str) -> str:
        return ABBREV.get(k, k)

    if p.get("shares") is not None:
        items = sorted(((k, v) for k, v in p["shares"].items() if v), key=lambda kv: -kv[1])
        return " + ".join(f"{100 * v:.0f}% {name(k)}" for k, v in items)
    if p.get("option") is not None:
        return f"100% {name(p['option'])}"
    items = sorted(((k, v) for k, v in (p.get("amounts_eur") or {}).items() if v),
                   key=lambda kv: -kv[1])
    return " + ".join(f"EUR {v / 1e6:,.0f}M {name(k)}" for k, v in items)


def candidates(scenario, budget_eur: float, mixes: Sequence[dict] | dict = (),
               options: Sequence[str] = OPTIONS) -> list[Candidate]:
    """No spending, each of ``options`` alone at ``budget_eur``, then the mixes.

    Args:
        scenario: the base scenario (its ``defense.portfolio.options``, the cost models, are
            kept by every candidate).
        budget_eur: the budget.
        mixes: each a ``defense.portfolio`` mapping (``shares`` or ``amounts_eur``, optional
            ``options``), or a mapping ``label -> portfolio``.
        options: the options run alone.
    """
    base = scenario.defense.portfolio
    cost = base.options.model_dump(mode="json", exclude_unset=True) if base is not None else {}
    out = [Candidate(NONE, "no spending", None, 0.0, "none")]
    for o in options:
        p = {"shares": {o: 1.0}}
        if cost:
            p["options"] = cost
        out.append(Candidate(o, OPTION_NAMES[o], p, float(budget_eur), "option"))
    named = mixes.items() if isinstance(mixes, dict) else (
        (None, m) for m in mixes)
    for i, (label, m) in enumerate(named, start=1):
        p = dict(m)
        if cost and "options" not in p:
            p["options"] = cost
        key = label or f"mix {i}"
        out.append(Candidate(key, label or mix_label(p), p, float(budget_eur), "mix"))
    keys = [c.key for c in out]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise SimInputError(f"candidates named twice: {', '.join(sorted(dup))}")
    return out


def candidate_scenarios(scenario, cands: Sequence[Candidate], source: str = "--mix"
                        ) -> dict[str, Any]:
    """Each candidate's scenario, validated before anything runs (a bad mix or cost model
    fails here, naming the candidate, the key path and the reason).

    Raises:
        ScenarioError: the first candidate the schema refuses.
    """
    from sim.config.io import with_overrides

    out = {}
    for c in cands:
        where = source if c.kind == "mix" else f"portfolio option {c.key}"
        try:
            out[c.key] = with_overrides(scenario, c.overrides(), source=where)
        except ScenarioError as exc:
            raise ScenarioError(str(exc)) from None
    return out


# --------------------------------------------------------------------------- results
@dataclass
class PortfolioComparison:
    """The comparison (see the module docstring).

    Attributes:
        runs: one row per attacker, candidate and replicate (every scalar outcome).
        gains: one row per attacker, candidate (not ``none``) and outcome: the paired
            comparison's columns (``mean_a`` is no spending, ``mean_b`` the candidate, ``diff``
            the gain with ``ci_low``/``ci_high``), plus ``candidate``, ``attacker``.
        table: one row per attacker and candidate: rank, spent, unused, each outcome's gain and
            interval, cost per point of demand served and its interval.
        schedules: candidate -> its schedule's summary (money, deliveries, limits).
        candidates: the candidates in order.
        settings: what was run (scenario, budget, seed, replicates, attackers, timing).
    """

    runs: pd.DataFrame
    gains: pd.DataFrame
    table: pd.DataFrame
    schedules: dict
    candidates: list[Candidate]
    settings: dict = field(default_factory=dict)

    def ranking(self, attacker: str) -> list[str]:
        """Candidate keys from the largest gain in demand served to the smallest."""
        t = self.table[self.table["attacker"] == attacker]
        return t.sort_values("rank")["candidate"].tolist()

    def best(self, attacker: str) -> str:
        return self.ranking(attacker)[0]


def _cost_per_point(spent: float, gain: float, lo: float, hi: float) -> tuple[float, float, float]:
    """EUR per percentage point of demand served, with its interval (NaN unless the gain's
    interval is above zero)."""
    if not (lo > 0 and gain > 0) or spent <= 0:
        return math.nan, math.nan, math.nan
    return spent / (100 * gain), spent / (100 * hi), spent / (100 * lo)


def summarise(runs: pd.DataFrame, cands: Sequence[Candidate], schedules: dict,
              attackers: Sequence[str], level: float = LEVEL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gains over no spending and the per-candidate table (see :class:`PortfolioComparison`)."""
    outcomes = [o for o in compared_outcomes() if o in runs.columns]
    gains, rows = [], []
    for att in attackers:
        r = runs[runs["attacker"] == att]
        base = r[r["candidate"] == NONE]
        for c in cands:
            if c.key == NONE:
                continue
            cmp = compare_tables(base, r[r["candidate"] == c.key], outcomes, on=["replicate"],
                                 level=level)
            cmp.insert(0, "candidate", c.key)
            cmp.insert(0, "attacker", att)
            gains.append(cmp)
            s = schedules[c.key]
            row = {"attacker": att, "candidate": c.key, "label": c.label, "kind": c.kind,
                   "budget_eur": c.budget_eur, "spent_eur": s["spent_eur"],
                   "unused_eur": c.budget_eur - s["spent_eur"]}
            by = cmp.set_index("outcome")
            for o in outcomes:
                row[f"{o}_gain"] = float(by.at[o, "diff"])
                row[f"{o}_low"] = float(by.at[o, "ci_low"])
                row[f"{o}_high"] = float(by.at[o, "ci_high"])
                row[f"{o}_significant"] = bool(by.at[o, "significant"])
            row["n"] = int(by.at[DEMAND, "n"])
            cpp = _cost_per_point(s["spent_eur"], row[f"{DEMAND}_gain"], row[f"{DEMAND}_low"],
                                  row[f"{DEMAND}_high"])
            row["eur_per_point"], row["eur_per_point_low"], row["eur_per_point_high"] = cpp
            rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        # rank: largest gain in demand served first (to 1e-9: rounding noise is no gain);
        # ties: more hits on energy avoided first, then less money spent
        table["rank"] = 0
        key = pd.DataFrame({"gain": table[f"{DEMAND}_gain"].round(9),
                            "hits": sum(table.get(f"{o}_gain", 0.0)
                                        for o in (DRONE_HITS, MISSILE_HITS)),
                            "spent": table["spent_eur"]})
        for _, idx in table.groupby("attacker").groups.items():
            sub = key.loc[idx].sort_values(["gain", "hits", "spent"],
                                           ascending=[False, True, True], kind="stable")
            table.loc[sub.index, "rank"] = np.arange(1, len(sub) + 1)
        order = {a: i for i, a in enumerate(attackers)}
        table = table.sort_values(["attacker", "rank"], key=lambda s: s.map(order)
                                  if s.name == "attacker" else s).reset_index(drop=True)
    return (pd.concat(gains, ignore_index=True) if gains else pd.DataFrame()), table


def schedule_summaries(scenarios: dict) -> dict:
    """Candidate -> what its money buys and what limits it (the schedule the model applies)."""
    from sim.model.portfolio import portfolio_schedule

    out = {}
    for key, sc in scenarios.items():
        s = portfolio_schedule(sc.defense, sc.period.dates)
        out[key] = {**s.summary(), "text": s.text() if sc.defense.budget_eur > 0 else
                    "no spending"}
    return out


# --------------------------------------------------------------------------- running
def compare_portfolio(scenario, *, budget_eur: float | None = None,
                      mixes: Sequence[dict] | dict = (), options: Sequence[str] = OPTIONS,
                      attackers: Sequence[str] = DEFAULT_ATTACKERS, replicates: int = 10,
                      seed: int | None = None, workers: int | None = None, evaluator=None,
                      level: float = LEVEL, progress: Callable[[int], None] | bool = False,
                      scenario_file: str | None = None) -> PortfolioComparison:
    """Run the comparison (see the module docstring).

    Args:
        scenario: a validated scenario with the energy model on.
        budget_eur: the budget (default ``defense.budget_eur``; must be > 0).
        mixes: mixes to run besides each option alone.
        options: options run alone (default all).
        attackers: attacker strategies.
        replicates: paired replicates ``0..R-1`` (at least 2 for an interval).
        seed: root seed (default: the scenario's).
        workers: processes (default: every core; 1 runs serially); ``evaluator``: an
            evaluator of :mod:`sim.experiments.sweep.evaluators` instead.
        progress: ``True`` for a progress bar, or ``f(n_runs)`` called as runs finish.

    Raises:
        SimInputError: bad settings or a candidate the schema refuses (before any run).
    """
    from sim.experiments.sweep.engine import execute
    from sim.experiments.sweep.evaluators import make_evaluator
    from sim.experiments.sweep.model import SIM_MODEL, RunContext

    budget = float(scenario.defense.budget_eur if budget_eur is None else budget_eur)
    if not (budget > 0 and math.isfinite(budget)):
        raise SimInputError(f"--budget {budget:g}: the money to spend must be > 0 EUR (e.g. "
                            "--budget 2e8 for EUR 200M)")
    if replicates < 2:
        raise SimInputError(f"--replicates {replicates}: at least 2 for a paired interval")
    bad = [a for a in attackers if a not in ATTACKERS]
    if bad or not attackers:
        raise SimInputError(f"--attackers {','.join(attackers)}: expected some of "
                            f"{', '.join(ATTACKERS)}")
    unknown = [o for o in options if o not in OPTIONS]
    if unknown:
        from sim.config.io import did_you_mean

        raise SimInputError(f"--options: unknown option {unknown[0]!r}"
                            f"{did_you_mean(unknown[0], OPTIONS)}; options: {', '.join(OPTIONS)}")
    if not scenario.energy.enabled:
        raise SimInputError(f"{scenario.name}: energy.enabled is false: the options act on the "
                            "power system and are compared by demand served; a portfolio needs "
                            "the energy model")
    seed = int(scenario.seed if seed is None else seed)
    cands = candidates(scenario, budget, mixes, options)
    scenarios = candidate_scenarios(scenario, cands)  # bad input fails here, before any run
    schedules = schedule_summaries(scenarios)

    points = [(a, c) for a in attackers for c in cands]
    tasks = []
    for p, (a, c) in enumerate(points):
        over = {**c.overrides(), "threat.attacker.strategy": a}
        tasks += [(p * replicates + r, p, r, over) for r in range(replicates)]
    ctx = RunContext(adapter=SIM_MODEL, base=scenario, base_key=f"portfolio:{uuid.uuid4().hex}",
                     seed=seed)
    own = evaluator is None
    if own:
        evaluator = make_evaluator(workers, None, None, preload=SIM_MODEL.preload)
    bar = None
    if progress is True:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), unit="winter", desc="portfolio", dynamic_ncols=True)
    rows = []
    t0 = time.perf_counter()
    model_s = 0.0
    try:
        for chunk in execute(ctx, tasks, evaluator):
            model_s += chunk.model_seconds
            for res in chunk.results:
                a, c = points[res.point]
                rows.append({"attacker": a, "candidate": c.key, "replicate": res.replicate,
                             "seed": seed, **res.outcomes})
            if bar is not None:
                bar.update(len(chunk.results))
            elif callable(progress):
                progress(len(chunk.results))
    finally:
        if bar is not None:
            bar.close()
        if own:
            evaluator.close()
    wall = time.perf_counter() - t0
    runs = pd.DataFrame(rows)
    gains, table = summarise(runs, cands, schedules, attackers, level)
    settings = {"scenario": scenario.name, "scenario_file": scenario_file, "budget_eur": budget,
                "seed": seed, "replicates": replicates, "attackers": list(attackers),
                "candidates": [c.key for c in cands], "level": level,
                "nights": scenario.period.nights,
                "start_date": scenario.period.start_date.isoformat(),
                "decision_date": scenario.defense.programme.decision_date.isoformat(),
                "winters": len(tasks), "wall_seconds": wall, "model_seconds": model_s,
                "workers": getattr(evaluator, "n_workers", None),
                "outcomes": [o for o in compared_outcomes() if o in runs.columns]}
    return PortfolioComparison(runs=runs, gains=gains, table=table, schedules=schedules,
                               candidates=cands, settings=settings)


# --------------------------------------------------------------------------- the report
def _pp(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:+.2f}"


def _count(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:+,.0f}" if abs(x) >= 10 else f"{x:+.1f}"


def _gain_cell(row, o: str, fmt) -> str:
    g, lo, hi = row[f"{o}_gain"], row[f"{o}_low"], row[f"{o}_high"]
    star = "*" if row[f"{o}_significant"] else ""
    if lo == hi == g:
        return f"{fmt(g)}{star}"
    return f"{fmt(g)} [{fmt(lo)},{fmt(hi)}]{star}"


def _money(x: float) -> str:
    return f"{x / 1e6:,.0f}" if math.isfinite(x) else "n/a"


def format_report(comp: PortfolioComparison, width: int = WIDTH) -> str:
    """The comparison as a reader sees it: per attacker one table (rank, option, money spent
    and unused, each gain with its interval, cost per point), then what each option bought and
    what limited it; at most ``width`` columns."""
    import textwrap

    st = comp.settings
    pct = f"{100 * st['level']:g}%"
    outs = st["outcomes"]
    head = {DEMAND: "Demand served pp", DRONE_HITS: "Drone hits", MISSILE_HITS: "Missile hits"}
    h = hours_outcome()
    if h:
        head[h] = "Hours w/o power/day"
    fmt = {DEMAND: _pp, DRONE_HITS: _count, MISSILE_HITS: _count}
    if h:
        fmt[h] = lambda x: "n/a" if not math.isfinite(x) else f"{x:+.2f}"
    lines = textwrap.wrap(
        f"What EUR {st['budget_eur'] / 1e6:,.0f}M could buy: {st['scenario']}, "
        f"{st['nights']} nights from {st['start_date']}, funding decided "
        f"{st['decision_date']}. Each option alone (and each mix) against no spending on "
        f"{st['replicates']} paired winters (seed {st['seed']}, common random numbers); gain = "
        f"candidate - no spending with its {pct} interval (BCa bootstrap); * the interval "
        "excludes 0.", width)
    for att in st["attackers"]:
        t = comp.table[comp.table["attacker"] == att]
        lines += ["", f"Against the {att.replace('_', '-')} attacker"]
        heads = ["Option", "Spent", "Left", *[head[o] for o in outs], "EUR M/pp"]
        body = []
        for _, r in t.iterrows():
            cpp = ("n/a" if not math.isfinite(r["eur_per_point"]) else
                   f"{r['eur_per_point'] / 1e6:,.1f}")
            name = SHORT.get(r["candidate"], r["label"] if r["kind"] == "mix" else
                             r["candidate"])
            body.append([f"{int(r['rank'])}. {name}", _money(r["spent_eur"]),
                         _money(r["unused_eur"]),
                         *[_gain_cell(r, o, fmt[o]) for o in outs], cpp])
        lines += text_table(heads, body, "lrr" + "r" * len(outs) + "r", width=width,
                            wrap_col=0, min_wrap=12)
    lines += [""] + textwrap.wrap(
        "Options ranked by their gain in demand served. Spent: EUR M spent by the last "
        "night; Left: EUR M not spent (it could not buy anything that arrives and serves in "
        "time, or is on order after the last night). SAM interceptors: missile-defence "
        "interceptors. Demand served pp: percentage points of "
        "the winter's energy demand served. Hits: drone and missile hits on energy sites "
        "(negative: hits avoided). EUR M/pp: money spent per point of demand served, given "
        "when the gain's interval is above 0.", width)
    lines += ["", "What each option bought and what limited it:"]
    for c in comp.candidates:
        if c.key == NONE:
            continue
        for ln in comp.schedules[c.key]["text"].splitlines()[1:]:
            lines += textwrap.wrap(ln, width, subsequent_indent="      ")
    return "\n".join(ln[:width] for ln in lines)


def verdict(comp: PortfolioComparison) -> list[str]:
    """One sentence per attacker: the best candidate, or that nothing beats no spending."""
    out = []
    for att in comp.settings["attackers"]:
        t = comp.table[comp.table["attacker"] == att].sort_values("rank")
        r = t.iloc[0]
        if not r[f"{DEMAND}_low"] > 0:
            out.append(f"{att}: no option serves significantly more demand than no spending")
        else:
            out.append(f"{att}: {r['candidate']} serves the most demand "
                       f"({_pp(r[f'{DEMAND}_gain'])} pp [{_pp(r[f'{DEMAND}_low'])}, "
                       f"{_pp(r[f'{DEMAND}_high'])}])")
    return out


def write_results(comp: PortfolioComparison, out: str | Path,
                  extra: Callable[[Path], None] | None = None) -> list[Path]:
    """Write the results folder (module docstring) through a staged folder: the old folder
    stays until every file is written. ``extra(stage)`` writes more files into it (the
    command line's figure). Returns the files."""
    from sim.config.files import StagedDir, atomic_write_json, atomic_write_parquet, atomic_write_text

    out = Path(out)
    with StagedDir(out) as stage:
        atomic_write_parquet(stage / "runs.parquet", comp.runs)
        atomic_write_text(stage / "gains.csv", comp.gains.to_csv(index=False))
        atomic_write_text(stage / "table.csv", comp.table.to_csv(index=False))
        atomic_write_json(stage / "schedules.json", comp.schedules)
        atomic_write_text(stage / "table.txt", format_report(comp) + "\n")
        manifest = {"kind": "portfolio", **comp.settings,
                    "candidates": [{"key": c.key, "label": c.label, "kind": c.kind,
                                    "portfolio": c.portfolio, "budget_eur": c.budget_eur}
                                   for c in comp.candidates]}
        atomic_write_json(stage / "manifest.json", json.loads(json.dumps(manifest, default=str)))
        if extra is not None:
            extra(stage)
    return sorted(out.iterdir())
