"""The power system against the public record: fit on the 2024 campaigns, check on winter
2024-25 and on Apr - Sep 2025 (data by 30 Sep 2025).

Command: ``python -m sim.calibration.energy_fit [RECORD_CSV] [--reps 10] [--out FILE]``
(default record: ``missile_attacks_daily_to_2025-09-30.csv`` in the project's research data
folder beside the repository, not shipped, see ``sim/data/README_threat.md``: the Ukrainian Air
Force reports digitised by Petro Ivaniuk, Kaggle ``piterfm``, CC BY-NC-SA 4.0).

What it does:

1. **Hits.** For every night from 1 Mar 2024 to 30 Sep 2025 the record gives missiles and
   Shahed-type drones launched and destroyed by model. Leakers (launched - destroyed - lost)
   are mapped to the energy system's weapon classes; each leaker hits an energy site with
   probability ``ENERGY_HIT_SHARE`` on the nights of the massive strikes on the power system
   and ``BACKGROUND_HIT_SHARE`` on other nights (EST), at a site drawn by the targeting rule of
   :func:`sim.model.threat.target_weights` with the weights ``CAMPAIGN_WEIGHTS``.
2. **State before the campaign**: the damage ledger as of 29 Feb 2024
   (``energy.state_as_of``; DniproHES in operation: it was put out on 22 Mar 2024, so the
   replay must do that itself), hourly demand, imports (1.7 GW, 2.1 GW from Dec 2024),
   distributed generation growing to 835 MW by the end of 2024 and ~1.3 GW by Sep 2025, two of
   nine nuclear units in planned repair in Jun - Aug (:func:`replay_config`).
3. **Fit** (data of Mar - Aug 2024 only): the damage factor ``k`` of generating units, so that
   DTEK's thermal plants lose 80 % of their capacity after the strikes of 22 and 29 Mar 2024
   (DTEK CEO, Interfax-Ukraine, 30 Mar 2024, https://en.interfax.com.ua/news/economic/977099.html);
   then the technical availability of thermal units ``a`` so that June 2024 has the published
   4-6 hours without power a day (Energy Research Centre,
   https://nenka.info/en/vidklyuchennya-elektroenergiyi-v-ukrayini-mozhut-tryvaty-po-shist-godyn-shhodnya-czogo-lita;
   target: the middle, 5 h).
4. **Check** (nothing fitted on them): generating capacity down on 30 Jun 2024 against ~9 GW
   lost (Ministry of Economy, June 2024), and the hours without power a day in winter 2024-25
   (Nov - Mar) and Apr - Sep 2025 against what was reported (see :data:`CHECKS`), next to
   persistence (the fit window's published June figure carried forward).

The replays use the record's actual leakers in the check periods: a hindcast given the
attacks, not a forecast of them. Prints the tables of ``docs/validation.md``. All randomness
from seeded generators.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config.data import load_sites
from sim.config.energy import GENERATION_TYPES, EnergyConfig
from sim.config.schema import Targeting
from sim.model.energy.system import EnergySystem
from sim.model.threat import target_weights

START = dt.date(2024, 3, 1)
FIT_END = dt.date(2024, 8, 31)
END = dt.date(2025, 9, 30)
FIT_NIGHT = dt.date(2024, 3, 30)  # the morning after the 29 Mar strike
STATE_AS_OF = dt.date(2024, 2, 29)
DTEK_TPPS = ("burshtyn_tpp", "ladyzhyn_tpp", "dobrotvir_tpp", "kryvyi_rih_tpp", "prydniprovska_tpp")
ENERGY_STRIKE_NIGHTS = ("2024-03-21", "2024-03-23", "2024-03-28", "2024-04-10", "2024-04-26",
                        "2024-05-07", "2024-05-31", "2024-06-19", "2024-06-21", "2024-08-25",
                        "2024-11-16", "2024-11-27", "2024-12-12", "2024-12-24", "2025-01-14",
                        "2025-02-01", "2025-03-06", "2025-04-10")
"""Nights of the massive strikes on the power system (evening dates): 22, 24 and 29 Mar, 11 and
27 Apr, 8 May, 1, 20 and 22 Jun, 26 Aug, 17 and 28 Nov, 13 and 25 Dec 2024, 15 Jan, 1 Feb, 7 Mar
and 11 Apr 2025 (UN HRMMU counts nine waves from March to August 2024; later dates from
Ukrenergo and Air Force reports; EST list)."""
ENERGY_HIT_SHARE = 0.6
"""Share of leaking missiles and drones that hit an energy site on those nights (EST)."""
BACKGROUND_HIT_SHARE = 0.05
"""The same on other nights (EST: most leakers then hit cities, the front or military sites)."""
CAMPAIGN_WEIGHTS = {"thermal": 3.0, "chp": 2.0, "hydro": 3.0, "pumped_storage": 1.0,
                    "substation_750": 1.0, "substation_330": 0.3, "substation_220": 0.1}
"""Targeting weights by type (EST): a campaign against generation, "all state TPPs destroyed,
all HPPs damaged" (Ukrenergo, https://www.wipmagazines.com/posts/national-grid-in-ukraine-severely-affected-by-the-ongoing-effects-of-russian-attacks---nine-gigawatts-of-generating-capacity-lost),
with some substations."""
THERMAL_AVAILABILITY = 0.8
"""Technical availability of thermal units (EST, as in scenarios/winter-2025-26.yaml)."""
OTHER_AVAILABILITY = {"chp": 0.8, "hydro": 0.75, "pumped_storage": 0.6, "nuclear": 0.95,
                      "solar": 0.05}
"""Technical availability of the other types (EST, as in scenarios/winter-2025-26.yaml)."""
NUCLEAR_SUMMER = 7 / 9
"""Nuclear availability multiplier in Jun - Aug: two of nine units in planned repair (Ukrenergo
CEO Kudrytskyi, 2 Jun 2024: schedules from 3 Jun because of the planned repairs of two NPP
units, https://news-pravda.com/world/2024/06/02/550263.html; the same assumed in 2025, EST)."""
CLASS_OF_CATEGORY = {"cruise missile": "cruise", "ballistic missile": "ballistic",
                     "surface-to-air missile": "ballistic",
                     "surface-to-air and ballistic": "ballistic"}
DEFAULT_RECORD = (Path(__file__).resolve().parents[3] / "shared" / "data" / "ukraine-air-attacks"
                  / "missile_attacks_daily_to_2025-09-30.csv")
JUNE_2024 = (4.0, 6.0)
"""Published hours without power a day in June 2024 (Energy Research Centre, above)."""
CHECKS = {
    "winter 2024-25 (Nov - Mar)": ((dt.date(2024, 11, 1), dt.date(2025, 3, 31)), (0.0, 1.0),
        "schedules only on the days after massive strikes (17 and 28 Nov, 13 Dec 2024); no "
        "restrictions forecast in late Jan 2025 (Ukrenergo via unn.ua, 30 Jan 2025, "
        "https://unn.ua/en/news/yasno-named-factors-that-may-affect-the-return-to-outage-schedules); "
        "EST 0-1 h a day over the months"),
    "Apr - Sep 2025": ((dt.date(2025, 4, 1), dt.date(2025, 9, 30)), (0.0, 0.5),
        "no national outage schedules (regional emergency outages after strikes only); EST "
        "0-0.5 h a day"),
}
"""Check periods: dates, the reported range of hours without power a day, and its source."""


def _months(a: dt.date, b: dt.date) -> list[str]:
    out, d = [], dt.date(a.year, a.month, 1)
    while d <= b:
        out.append(d.strftime("%Y-%m"))
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def replay_config(k: float, thermal_availability: float, repair_scale: float = 1.0
                  ) -> EnergyConfig:
    """The energy settings of a replay: generation damage scaled by ``k``, thermal technical
    availability ``thermal_availability`` (see the module docstring for the rest)."""
    base = EnergyConfig()
    dmg = {t: min(v * k, 1.0) if t in GENERATION_TYPES else v
           for t, v in base.damage_fraction_per_hit.items()}
    months = _months(START, END)
    # distributed generation: ~100 MW in Mar 2024, 835 MW at the end of 2024 (PM Shmyhal, 24 Jan
    # 2025), ~1,300 MW by Sep 2025 (EST: half of the ~900 MW planned for 2025); linear between
    anchors = {"2024-03": 100.0, "2024-12": 835.0, "2025-09": 1300.0}
    idx = [months.index(m) for m in anchors]
    dg = np.interp(range(len(months)), idx, list(anchors.values()))
    summer = {m: {"nuclear": NUCLEAR_SUMMER} for m in months if m[5:] in ("06", "07", "08")}
    return EnergyConfig(
        damage_fraction_per_hit=dmg,
        repair_time_scale=repair_scale,
        availability_fraction={"thermal": thermal_availability, **OTHER_AVAILABILITY},
        availability_by_month=summer,
        state_as_of=STATE_AS_OF,
        load_profile="hourly",
        import_capacity_mw=1700.0,
        import_capacity_mw_by_month={m: 2100.0 for m in months if m >= "2024-12"},
        distributed_generation_mw_by_month=dict(zip(months, dg.tolist(), strict=True)),
    )


def weapon_class(model: str, category: str) -> str | None:
    """Energy-system weapon class of a record model label (None: not used)."""
    m = str(model)
    if "Shahed" in m:
        return "drone"
    if "X-22" in m or "X-32" in m:
        return "kh22"
    if m.startswith("X-59") or m.startswith("X-69"):
        return "kh59"
    if "Iskander-K" in m:
        return "cruise"
    return CLASS_OF_CATEGORY.get(str(category))


def nightly_leakers(record_csv: str | Path, start: dt.date = START, end: dt.date = END
                    ) -> pd.DataFrame:
    """Leakers per night (rows: dates start..end) and weapon class (columns).

    Missiles: every row. Drones: national reports (``target == "Ukraine"``); a night's regional
    drone rows only when it has no national one. A report starting at or after noon belongs to
    that date's night; one starting before noon (or a bare date: the record's early morning
    reports) to the night before."""
    d = pd.read_csv(record_csv)
    cats = pd.read_csv(Path(record_csv).with_name("missiles_and_uavs.csv"))
    cat = dict(zip(cats["model"], cats["category"], strict=False))
    d["cls"] = [weapon_class(m, cat.get(m, "")) for m in d["model"]]
    d = d[d["cls"].notna()].copy()
    ts = pd.to_datetime(d["time_start"], errors="coerce", format="ISO8601")
    bare = ~d["time_start"].astype(str).str.contains(":")
    night = ts.dt.normalize() - pd.to_timedelta(np.where(bare | (ts.dt.hour < 12), 1, 0), "D")
    d["night"] = night.dt.date
    d = d[(d["night"] >= start) & (d["night"] <= end)]
    # missiles: every row (regional rows are other missiles); drones: national rows, a night's
    # regional tallies only when it has no national one (they are usually part of it)
    drone = d["cls"] == "drone"
    nat = drone & (d["target"] == "Ukraine")
    reg = drone & ~nat & ~d["night"].isin(set(d.loc[nat, "night"]))
    d = d[~drone | nat | reg]
    lost = d[["destroyed", "not_reach_goal"]].fillna(0).sum(axis=1)
    d["leak"] = np.maximum(d["launched"].fillna(0) - lost, 0)
    out = d.pivot_table(index="night", columns="cls", values="leak", aggfunc="sum", fill_value=0)
    dates = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    return out.reindex(dates, fill_value=0).astype(int)


def replay_sites() -> pd.DataFrame:
    """The packaged component table as of 1 Mar 2024 (DniproHES in operation)."""
    sites = load_sites()
    sites.loc[sites["id"] == "dnipro_hpp", "status"] = "operational"
    return sites


def replay(leak: pd.DataFrame, k: float, a: float, seed: int, sites: pd.DataFrame | None = None,
           end: dt.date | None = None, r: float = 1.0) -> dict[str, float]:
    """One replay of the record from 1 Mar 2024 to ``end`` (default the last night of ``leak``)
    with generation damage scaled by ``k`` and thermal availability ``a``; returns the fit
    quantities and the hours without power a day by month (``hours_YYYY-MM``)."""
    sites = replay_sites() if sites is None else sites
    if end is not None:
        leak = leak.loc[[d for d in leak.index if d <= end]]
    cfg = replay_config(k, a, r)
    rng = np.random.default_rng(seed)
    p = target_weights(sites, Targeting(weights_by_site_type=CAMPAIGN_WEIGHTS))
    n = len(sites)
    es = EnergySystem(sites, cfg, START, len(leak), np.random.default_rng(seed + 10_000))
    dtek = sites.index[sites["id"].isin(DTEK_TPPS)].to_numpy()
    base = es.network.base_mw[dtek] * es.availability[dtek]
    fit_k = (FIT_NIGHT - START).days
    out: dict[str, float] = {}
    strike = {dt.date.fromisoformat(d) for d in ENERGY_STRIKE_NIGHTS}
    for k_night, (date, row) in enumerate(leak.iterrows()):
        share = ENERGY_HIT_SHARE if date in strike else BACKGROUND_HIT_SHARE
        hits = {}
        for cls, m in row.items():
            if m > 0:
                n_hit = rng.binomial(int(m), share)
                if n_hit:
                    hits[cls] = np.bincount(rng.choice(n, n_hit, p=p), minlength=n)
        es.night(k_night, hits or np.zeros(n, int))
        if k_night == fit_k:
            now = es.network.base_mw[dtek] * es.availability[dtek]
            out["dtek_thermal_lost_share_30mar"] = float(1 - now.sum() / base.sum())
    tab = es.night_table()
    tab["month"] = [(START + dt.timedelta(days=i)).strftime("%Y-%m") for i in range(len(tab))]
    jun30 = (dt.date(2024, 6, 30) - START).days
    if jun30 < len(tab):
        out["generation_down_gw_30jun"] = float(tab["capacity_down_mw"].iloc[jun30] / 1000)
        out["dniprohes_down_30jun"] = float(tab["capacity_down_mw_hydro"].iloc[jun30] > 0)
    g = tab.groupby("month")
    for m, v in g["outage_hours_per_day"].mean().items():
        out[f"hours_{m}"] = float(v)
    for m, v in g["peak_deficit_gw"].mean().items():
        out[f"deficit_{m}"] = float(v)
    if "hours_2024-06" in out:
        out["june_outage_hours_per_day"] = out["hours_2024-06"]
    return out


def summarise(leak, k, a, reps, sites=None, end=None, seed0: int = 0, r: float = 1.0
              ) -> pd.DataFrame:
    sites = replay_sites() if sites is None else sites
    return pd.DataFrame([replay(leak, k, a, seed0 + s, sites, end, r) for s in range(reps)])


def _bracket(grid, vals, target) -> float:
    """Linear interpolation of the grid point where ``vals`` (monotone either way) cross
    ``target``; the nearest grid point if they never do."""
    for i in range(len(grid) - 1):
        v0, v1 = vals[i], vals[i + 1]
        if min(v0, v1) <= target <= max(v0, v1) and v0 != v1:
            return float(grid[i] + (target - v0) * (grid[i + 1] - grid[i]) / (v1 - v0))
    return float(grid[int(np.argmin(np.abs(np.array(vals) - target)))])


def fit_k(leak, reps: int, target: float = 0.80, grid=(1, 2, 4, 6, 8, 12, 16), a: float = 0.8,
          seed0: int = 0) -> float:
    """Damage factor matching DTEK's 80 % thermal loss after 22 and 29 Mar 2024 (interpolated
    on the mean over ``reps`` replays of March 2024, data up to 30 Mar 2024 only)."""
    sites = replay_sites()
    vals = [summarise(leak, k, a, reps, sites, FIT_NIGHT, seed0)[
        "dtek_thermal_lost_share_30mar"].mean() for k in grid]
    return _bracket(grid, vals, target)


def fit_repair(leak, k: float, reps: int, target: float = sum(JUNE_2024) / 2, a: float = 0.8,
               grid=(0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)) -> float:
    """Repair-time scale giving ``target`` hours without power a day in June 2024 with thermal
    technical availability ``a`` (replays of Mar - Jun 2024 only)."""
    sites = replay_sites()
    vals = [summarise(leak, k, a, reps, sites, dt.date(2024, 6, 30), r=r)[
        "june_outage_hours_per_day"].mean() for r in grid]
    return _bracket(grid, vals, target)


def fit_availability(leak, k: float, reps: int, target: float = sum(JUNE_2024) / 2,
                     grid=(0.5, 0.6, 0.7, 0.8, 0.9, 1.0), r: float = 1.0) -> float:
    """Thermal technical availability giving ``target`` hours without power a day in June 2024
    (replays of Mar - Jun 2024 only)."""
    sites = replay_sites()
    vals = [summarise(leak, k, a, reps, sites, dt.date(2024, 6, 30), r=r)[
        "june_outage_hours_per_day"].mean() for a in grid]
    return _bracket(grid, vals, target)


def _q(x: pd.Series, fmt: str) -> str:
    q = x.quantile([0.1, 0.5, 0.9])
    return f"{fmt.format(q[0.5])} ({fmt.format(q[0.1])} - {fmt.format(q[0.9])})"


def report(res: pd.DataFrame, k: float, a: float, r: float = 1.0) -> str:
    """Fit and check side by side (markdown): observed range, replay median (10-90 %), and the
    absolute error of the replay and of persistence against the middle of the observed range."""
    lines = ["| period | quantity | observed (source) | replay median (10-90 %) | used for |",
             "|---|---|---|---|---|"]
    lines.append(f"| Mar 2024 (fit) | DTEK thermal capacity lost after 22 and 29 Mar | 80 % "
                 f"(DTEK CEO, Interfax-Ukraine, 30 Mar 2024) | "
                 f"{_q(res['dtek_thermal_lost_share_30mar'], '{:.0%}')} | fit k = {k:.2f} |")
    lines.append(f"| Jun 2024 (fit) | hours without power a day | 4-6 h (Energy Research "
                 f"Centre) | {_q(res['hours_2024-06'], '{:.1f} h')} | fit repair-time scale "
                 f"r = {r:.2f} (a = {a:.2f}) |")
    lines.append(f"| 30 Jun 2024 (in-sample check) | generating capacity down | ~9 GW lost "
                 f"since March (Ministry of Economy) | "
                 f"{_q(res['generation_down_gw_30jun'], '{:.1f} GW')} | check |")
    for m in ("2024-03", "2024-04", "2024-05", "2024-07", "2024-08"):
        lines.append(f"| {m} (fit window) | hours without power a day | not published as a "
                     f"monthly figure | {_q(res[f'hours_{m}'], '{:.1f} h')} | - |")
    lines.append("")
    lines.append("| check period | month | observed h/day (EST range) | replay median "
                 "(10-90 %) | replay peak deficit | error: replay | error: persistence (5 h) |")
    lines.append("|---|---|---|---|---|---|---|")
    pers = sum(JUNE_2024) / 2
    for name, ((a0, a1), (lo, hi), _src) in CHECKS.items():
        errs, perr = [], []
        for m in _months(a0, a1):
            mid = (lo + hi) / 2
            med = float(res[f"hours_{m}"].median())
            e, pe = abs(med - mid), abs(pers - mid)
            errs.append(e)
            perr.append(pe)
            lines.append(f"| {name} | {m} | {lo:g}-{hi:g} | {_q(res[f'hours_{m}'], '{:.1f}')}"
                         f" | {res[f'deficit_{m}'].median():.2f} GW | {e:.1f} | {pe:.1f} |")
        lines.append(f"| {name} | mean absolute error | | | | **{np.mean(errs):.2f}** | "
                     f"**{np.mean(perr):.2f}** |")
    lines.append("")
    lines.append("Sources of the check ranges: " + "; ".join(
        f"{name}: {src}" for name, (_d, _r, src) in CHECKS.items()))
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("record", nargs="?", default=str(DEFAULT_RECORD))
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--fit-reps", type=int, default=6)
    args = ap.parse_args(argv)
    leak = nightly_leakers(args.record, START, END)
    fit_leak = leak.loc[[d for d in leak.index if d <= FIT_END]]
    k = fit_k(fit_leak, args.fit_reps)
    a = THERMAL_AVAILABILITY
    r = fit_repair(fit_leak, k, args.fit_reps, a=a)
    print(f"fitted on Mar - Aug 2024: generation damage factor k = {k:.2f}, repair-time scale "
          f"r = {r:.2f} (thermal technical availability a = {a:.2f}, EST, not fitted)\n")
    res = summarise(leak, k, a, args.reps, seed0=1000, r=r)  # other seeds than the fit's
    print(report(res, k, a, r))


if __name__ == "__main__":
    main()
