"""Energy consequences against the public record of the spring 2024 campaign (data by Sep 2025).

Command: ``python -m sim.calibration.energy_fit [RECORD_CSV] [--reps 20]``
(default record: ``missile_attacks_daily_to_2025-09-30.csv`` in the project's research data
folder beside the repository, not shipped, see ``sim/data/README_threat.md``: the Ukrainian Air
Force reports digitised by Petro Ivaniuk, Kaggle ``piterfm``, CC BY-NC-SA 4.0).

What it does:

1. **Hits.** For every night from 1 Mar to 30 Jun 2024 the record gives missiles and Shahed-type
   drones launched and destroyed by model. Leakers (launched - destroyed - lost) are mapped to
   the energy system's weapon classes (cruise, ballistic, kh22, kh59, drone); each leaker hits
   an energy site with probability ``ENERGY_HIT_SHARE`` on the campaign's strike nights and
   ``BACKGROUND_HIT_SHARE`` on other nights (EST), at a site drawn by the targeting rule of
   :func:`sim.model.threat.target_weights` with the campaign's weights ``CAMPAIGN_WEIGHTS``.
2. **State before the campaign** (1 Mar 2024, EST): availability by type in
   :data:`PRE_CAMPAIGN_AVAILABILITY`; DniproHES operational (it was put out of action on 22 Mar
   2024, so the replay must produce that itself).
3. **Fit** (data up to 30 Mar 2024): one factor ``k`` on the per-hit damage of generating
   units, chosen so that the mean loss of DTEK's five thermal plants after the strikes of 22 and
   29 Mar 2024 matches DTEK's statement: 80 % of the thermal capacity it had before 22 Mar
   damaged or destroyed (CEO Sakharuk, Interfax-Ukraine, 30 Mar 2024,
   https://en.interfax.com.ua/news/economic/977099.html).
4. **Check** (data after the fit window, up to Sep 2025): generating capacity lost by the end of
   June 2024 against "9 GW lost since March" (Ministry of Economy via Ukrainian News, June 2024,
   https://ukranews.com/en/news/1015030-blackout-schedules-will-be-applied-from-4-pm-tomorrow-ukrenergo ;
   UN HRMMU, July 2024: "about 9 GW ... approximately half of the peak consumption in winter
   2023-2024"), and June 2024 load shedding against the outage schedules of that month (all
   regions, most days; 4-6 h a day expected by the Energy Research Centre,
   https://nenka.info/en/vidklyuchennya-elektroenergiyi-v-ukrayini-mozhut-tryvaty-po-shist-godyn-shhodnya-czogo-lita).

Prints the table quoted in ``docs/energy.md``. All randomness from seeded generators.
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
END = dt.date(2024, 6, 30)
FIT_NIGHT = dt.date(2024, 3, 30)  # the morning after the 29 Mar strike
DTEK_TPPS = ("burshtyn_tpp", "ladyzhyn_tpp", "dobrotvir_tpp", "kryvyi_rih_tpp", "prydniprovska_tpp")
ENERGY_STRIKE_NIGHTS = ("2024-03-21", "2024-03-23", "2024-03-28", "2024-04-10", "2024-04-26",
                        "2024-05-07", "2024-05-31", "2024-06-19", "2024-06-21")
"""Nights of the massive strikes on the power system in the campaign (evening dates): 22, 24 and
29 Mar, 11 and 27 Apr, 8 May, 1, 20 and 22 Jun 2024 (UN HRMMU counts nine waves from March to
August 2024; dates from Ukrenergo and Air Force reports)."""
ENERGY_HIT_SHARE = 0.6
"""Share of leaking missiles and drones that hit an energy site on those nights (EST: the
strikes were aimed at power plants and substations; some leakers hit other targets or missed)."""
BACKGROUND_HIT_SHARE = 0.05
"""The same on other nights (EST: most leakers then hit cities, the front or military sites)."""
PRE_CAMPAIGN_AVAILABILITY = {"thermal": 0.75, "chp": 0.75, "hydro": 0.9, "pumped_storage": 0.8,
                             "nuclear": 0.95, "solar": 0.05}
"""Share of nameplate available on 1 Mar 2024 before the campaign (EST: after the repairs of
2023; DTEK's 80 % refers to the capacity it had available before 22 Mar)."""
CAMPAIGN_WEIGHTS = {"thermal": 3.0, "chp": 2.0, "hydro": 3.0, "pumped_storage": 1.0,
                    "substation_750": 1.0, "substation_330": 0.3, "substation_220": 0.1}
"""Targeting weights by type in the spring 2024 campaign (EST): a campaign against generation,
"all state TPPs destroyed, all HPPs damaged" (Ukrenergo, https://www.wipmagazines.com/posts/national-grid-in-ukraine-severely-affected-by-the-ongoing-effects-of-russian-attacks---nine-gigawatts-of-generating-capacity-lost),
with some substations; no gas or water sites."""
CLASS_OF_CATEGORY = {"cruise missile": "cruise", "ballistic missile": "ballistic",
                     "surface-to-air missile": "ballistic",
                     "surface-to-air and ballistic": "ballistic"}
DEFAULT_RECORD = (Path(__file__).resolve().parents[3] / "shared" / "data" / "ukraine-air-attacks"
                  / "missile_attacks_daily_to_2025-09-30.csv")


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


def replay(leak: pd.DataFrame, k: float, seed: int, sites: pd.DataFrame | None = None
           ) -> dict[str, float]:
    """One replay of the campaign with generation damage scaled by ``k``."""
    sites = replay_sites() if sites is None else sites
    base = EnergyConfig()
    dmg = {t: (v * k if t in GENERATION_TYPES else v) for t, v in
           base.damage_fraction_per_hit.items()}
    cfg = EnergyConfig(damage_fraction_per_hit={t: min(v, 1.0) for t, v in dmg.items()},
                       availability_fraction=PRE_CAMPAIGN_AVAILABILITY)
    rng = np.random.default_rng(seed)
    p = target_weights(sites, Targeting(weights_by_site_type=CAMPAIGN_WEIGHTS))
    n = len(sites)
    es = EnergySystem(sites, cfg, START, len(leak), np.random.default_rng(seed + 10_000))
    dtek = sites.index[sites["id"].isin(DTEK_TPPS)].to_numpy()
    dtek_base = es.network.base_mw[dtek].sum()
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
            out["dtek_thermal_lost_share_30mar"] = float(
                (es.network.base_mw[dtek] * (1 - es.availability[dtek])).sum() / dtek_base)
    tab = es.night_table()
    tab["date"] = [START + dt.timedelta(days=i) for i in range(len(tab))]
    june = tab[[d.month == 6 for d in tab["date"]]]
    out["generation_down_gw_30jun"] = float(tab["capacity_down_mw"].iloc[-1] / 1000)
    out["generation_down_gw_max"] = float(tab["capacity_down_mw"].max() / 1000)
    out["june_not_served_share"] = float(june["energy_not_served_mwh"].sum()
                                         / june["energy_demand_mwh"].sum())
    out["june_outage_hours_per_day"] = 24.0 * out["june_not_served_share"]
    out["june_nights_deficit"] = float(june["deficit_gt_10pct"].sum())
    for t in ("thermal", "hydro", "substation_750", "substation_330", "line"):
        out[f"down_{t}_mw_30jun"] = float(tab[f"capacity_down_mw_{t}"].iloc[-1])
    out["dniprohes_down_30jun"] = float(
        1 - es.availability[sites.index[sites["id"] == "dnipro_hpp"][0]])
    return out


def summarise(leak, k, reps, sites=None) -> pd.DataFrame:
    rows = [replay(leak, k, seed, sites) for seed in range(reps)]
    return pd.DataFrame(rows)


def fit_k(leak, reps: int, target: float = 0.80, grid=(1, 2, 4, 6, 8, 12, 16)) -> float:
    """Damage factor matching DTEK's 80 % thermal loss after 22 and 29 Mar 2024 (bisection on
    the mean over ``reps`` replays, between the grid points that bracket the target)."""
    sites = replay_sites()
    vals = [summarise(leak, k, reps, sites)["dtek_thermal_lost_share_30mar"].mean() for k in grid]
    for i in range(len(grid) - 1):
        k0, k1, v0, v1 = grid[i], grid[i + 1], vals[i], vals[i + 1]
        if v0 <= target <= v1:
            return float(k0 + (target - v0) * (k1 - k0) / max(v1 - v0, 1e-9))
    return float(grid[int(np.argmin(np.abs(np.array(vals) - target)))])


ROWS = (
    ("DTEK thermal capacity lost after the strikes of 22 and 29 Mar 2024",
     "80 % (DTEK CEO, Interfax-Ukraine, 30 Mar 2024)", "dtek_thermal_lost_share_30mar", "{:.0%}",
     "fit"),
    ("generating capacity down on 30 Jun 2024",
     "~9 GW lost since March (Ministry of Economy, June 2024; UN HRMMU, July 2024)",
     "generation_down_gw_30jun", "{:.1f} GW", "check"),
    ("June 2024 load shedding, hours per day (energy not served x 24 h)",
     "schedules in all regions on most days; 4-6 h/day expected (Energy Research Centre)",
     "june_outage_hours_per_day", "{:.1f} h", "check"),
    ("DniproHES capacity down on 30 Jun 2024", "100 %: out since 22 Mar 2024 (Ukrhydroenergo)",
     "dniprohes_down_30jun", "{:.0%}", "check"),
)


def table(results: dict[str, pd.DataFrame]) -> str:
    """Markdown table: observed vs simulated median (10-90 % over replays) per factor."""
    head = "| quantity | observed (source) | " + " | ".join(results) + " | used for |"
    lines = [head, "|" + "---|" * (3 + len(results))]
    for name, obs, col, fmt, role in ROWS:
        cells = []
        for df in results.values():
            q = df[col].quantile([0.1, 0.5, 0.9])
            cells.append(f"{fmt.format(q[0.5])} ({fmt.format(q[0.1])} - {fmt.format(q[0.9])})")
        lines.append(f"| {name} | {obs} | " + " | ".join(cells) + f" | {role} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("record", nargs="?", default=str(DEFAULT_RECORD))
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args(argv)
    leak = nightly_leakers(args.record)
    strike = [dt.date.fromisoformat(d) for d in ENERGY_STRIKE_NIGHTS]
    print("Leakers on the strike nights (Air Force record):")
    print(leak.loc[strike].to_string())
    k = fit_k(leak, args.reps)
    res = {"shipped defaults (k = 1)": summarise(leak, 1.0, args.reps),
           f"fitted (k = {k:.1f})": summarise(leak, k, args.reps)}
    print(f"\nfitted generation damage factor k = {k:.2f} (x the per-hit damage fractions of "
          "generating units)\n")
    print(table(res))


if __name__ == "__main__":
    main()
