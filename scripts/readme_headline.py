"""The README's headline paragraph, written from ``docs/img/headline.json``.

``scripts/headline_chart.py`` runs the funding sweep and the scenarios and writes the numbers to
``docs/img/headline.json`` (then calls this script); this script renders the paragraph between
the ``<!-- headline -->`` markers of ``README.md`` from them, so no number in it is typed by
hand::

    python scripts/readme_headline.py            # rewrite the paragraph from headline.json
    python scripts/readme_headline.py --check    # exit 1 if README.md differs from it
    python scripts/readme_headline.py --headline /tmp/h/headline.json --print   # show only

When ``headline.json`` holds the net effects (``net``) and the one account of what limits each
force (``limits``), both written by ``scripts/headline_chart.py``, the paragraph says what the
programme adds net of what it displaces and quotes the account's own words (what each force can
fly, what limits what it stops, and what geometry means); a JSON without them (written before
they existed) gives the earlier paragraph.

``tests/cli/test_readme_numbers.py`` checks that the README holds exactly what :func:`render`
makes of the shipped ``headline.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
HEADLINE = ROOT / "docs" / "img" / "headline.json"
START = ("<!-- headline: written by scripts/readme_headline.py from docs/img/headline.json; "
         "edit the script, not this text -->")
END = "<!-- /headline -->"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


def share_words(x: float) -> str:
    """A cut of ``x`` (0-1) in words: 'about a third'."""
    for value, words in ((1 / 4, "a quarter"), (1 / 3, "a third"), (1 / 2, "half"),
                         (2 / 3, "two thirds"), (3 / 4, "three quarters")):
        if abs(x - value) <= 0.01:
            return words
        if abs(x - value) <= 0.06:
            return f"about {words}"
    return f"{100 * x:.0f}%"


def _list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def month_cuts(by_month: dict) -> str:
    """'by 25% in December, 36% in January ... (none in November)': the cut in the energy lost
    to drones, month by month, EUR 200M against none."""
    cuts, none = [], []
    for m, base in by_month["baseline"].items():
        b, p = base["drones_gwh"], by_month["nl-200m"][m]["drones_gwh"]
        name = MONTHS[int(m[5:7]) - 1]
        cut = 1 - p / b if b > 0 else 0.0
        if cut < 0.005:
            none.append(name)
        else:
            cuts.append(f"{100 * cut:.0f}% in {name}")
    text = "by " + _list(cuts) if cuts else "not at all"
    return text + (f" (none in {_list(none)})" if none and cuts else "")


def flat_from(gains: dict) -> float:
    """The smallest budget (EUR M) whose mean gain equals the largest (as rounded in the
    JSON): where more money stops adding."""
    best = max(v[0] for v in gains.values())
    return min(float(b) for b, v in gains.items() if v[0] >= best)


def _eur_m(x: float) -> str:
    return f"EUR {x:,.0f}M"


BINDS = {
    "crews": "training qualifies at most {crews} crews a month, an estimate",
}


def _eur(x: float) -> str:
    """EUR amounts as the README writes them: EUR 1.2M, EUR 230k."""
    if abs(x) >= 1e6:
        return f"EUR {x / 1e6:,.1f}M"
    return f"EUR {x / 1e3:,.0f}k"


def net_sentence(h: dict) -> str:
    """What EUR 200M adds net of what it displaces (``headline.json`` ``net``)."""
    n = h["net"]["nl-200m"]
    stopped, disp, hits = n["net_drones_stopped"], n["displacement"], n["net_hits_avoided"]
    cost, per_hit = n["net_cost_per_drone_stopped_eur"], n["net_cost_per_hit_avoided_eur"]

    def ci(v, fmt) -> str:
        if v[1] is None or v[2] is None or fmt(v[1]) == fmt(v[2]):
            return ""
        return f" (95% interval {fmt(v[1])} to {fmt(v[2])})"

    def count(x):
        return f"{x:,.0f}"

    text = (f"Net of what it displaces (the same winters run without it), EUR 200M stops "
            f"{count(stopped[0])} more drones over the winter{ci(stopped, count)}: its "
            f"interceptors destroy {count(n['interceptor_kills'])}, but "
            f"{count(disp[0])} of those the other layers would have stopped without it. It "
            f"avoids {count(hits[0])} drone hits on energy sites{ci(hits, count)}")
    if cost[0] is not None:
        text += (f", at {_eur(cost[0])} per drone stopped and "
                 + (f"{_eur(per_hit[0])} per hit avoided" if per_hit[0] is not None
                    else "no hit avoided for sure"))
    return text + (f", counting its whole spend of {_eur(n['programme_cost_eur'])}, "
                   f"{_eur(n['unused_stock_eur'])} of it on "
                   f"{n['programme_stock_end']:,.0f} airframes left unused in stock at the end.")


def limits_sentence(h: dict, crews_per_month: float) -> str:
    """What limits each force, in the words of the one account (``headline.json``
    ``limits``), with geometry defined when it is used."""
    lim = h["limits"]
    flat, run = lim["at_flat"], lim["nl-200m"]
    why = BINDS.get(flat["binds"], "").format(crews=f"{crews_per_month:g}")
    prog, nat = run["programme"], run["national"]
    can_fly = flat["can_fly_text"].replace("what it can fly", "what the programme can fly")
    text = (f"At {_eur_m(flat['budget_eur'] / 1e6)}, {can_fly}" + (f": {why}" if why else "")
            + ". With EUR 200M, "
            + prog["stops_text"].replace("what it stops", "what the programme stops") + ", and "
            + nat["stops_text"].replace("what it stops", "what Ukraine's own force stops") + ".")
    if "geometry" in run.get("meanings", {}):
        g = run["meanings"]["geometry"]
        text += " Geometry means that " + g[len("geometry: "):] + "."
    return text + (f" The programme ends the winter with {prog['stock_end']:,.0f} airframes "
                   f"unused in stock and Ukraine's own force with {nat['stock_end']:,.0f} "
                   "(`python -m sim forces scenarios/nl-200m.yaml 2e8 --simulate 10` prints the "
                   "account month by month).")


def render(h: dict, crews_per_month: float) -> str:
    """The headline paragraph from the numbers of ``headline.json``."""
    base, prog, big = h["baseline"], h["nl-200m"], h["nl-400m"]
    static = h["by_attacker"]["static"]["served_gain_pp"]["200"]
    learning = h["by_attacker"]["learning"]["served_gain_pp"]["200"]
    cut = 1 - prog["hits_on_sites"] / base["hits_on_sites"]
    served = {a: flat_from(v["served_gain_pp"]) for a, v in h["by_attacker"].items()}
    hits = {a: v["flat_from_eur"] / 1e6 for a, v in h["by_attacker"].items()}

    def where(flat: dict) -> str:
        if len(set(flat.values())) == 1:
            return f"at {_eur_m(next(iter(flat.values())))} against either attacker"
        return (f"at {_eur_m(flat['static'])} against today's attacker and "
                f"{_eur_m(flat['learning'])} against one that learns")

    binds = h["binds_there"]
    why = BINDS.get(binds, "").format(crews=f"{crews_per_month:g}")
    g4 = big["demand_served_fraction_over_nl_200m"]
    g4 = [100 * x for x in g4]
    if "net" in h and "limits" in h:
        limits = limits_sentence(h, crews_per_month)
        net = " " + net_sentence(h)
    else:  # a headline.json written before the net effects and the one account
        limits = (f"The programme is then limited by {binds}" + (f" ({why})" if why else "")
                  + ", and Ukraine's own force and the programme both end the winter with most "
                  "of their airframes unused (geometry: drones leak where no crew is in reach).")
        net = ""
    return (
        "In the winter-2025-26 forecast (what could be known on 1 Oct 2025, "
        "`scenarios/winter-2025-26.yaml`), EUR 200M on top of Ukraine's own interceptor force "
        f"cuts the drone hits on energy sites by {share_words(cut)} "
        f"({base['hits_on_sites']:.0f} to {prog['hits_on_sites']:.0f} over the winter), and "
        f"the energy lost to drones {month_cuts(h['by_month'])}. But missiles cause most of the "
        f"energy lost ({100 * base['energy_loss_share_missiles']:.0f}% without the programme, "
        f"{100 * prog['energy_loss_share_missiles']:.0f}% with it), and interceptor drones "
        f"cannot stop a missile, so winter demand served rises by only {static[0]:.1f} points "
        f"({100 * base['demand_served_fraction']:.1f}% to "
        f"{100 * prog['demand_served_fraction']:.1f}%; paired 95% interval {static[1]:.1f} to "
        f"{static[2]:.1f} points) against today's attacker, and by {learning[0]:.1f} points "
        f"({learning[1]:.1f} to {learning[2]:.1f}) against an attacker that learns where the "
        f"defence is weak.{net} More money stops adding: drone hits stop falling {where(hits)}, "
        f"and the gain in demand served {where(served)} (`docs/img/headline.json`). {limits} "
        "EUR 400M or 800M buys more "
        "airframes but no more protection unless training and site building grow with the "
        "money (`python -m sim forces scenarios/nl-200m.yaml 0 2e8 4e8 8e8` prints what each "
        "budget buys and what binds, month by month). When they do "
        f"(`scenarios/nl-400m.yaml`, {_eur_m(big['spent_eur'] / 1e6)} spent), drone hits fall "
        f"from {prog['hits_on_sites']:.0f} to {big['hits_on_sites']:.0f} and demand served "
        f"rises by a further {g4[0]:.1f} points ({g4[1]:.2f} to {g4[2]:.2f}; `python -m sim "
        "compare scenarios/nl-200m.yaml scenarios/nl-400m.yaml --replicates 10`)."
        + hours_sentence(base, prog, h.get("month_replicates"))
        + " The defence is fitted to the Air Force record up to 30 Sep 2025 (`python -m sim "
        "calibrate defence --origin 2025-09-30`), and its month-ahead forecast of the share of "
        "drones stopped does not beat last month's figure carried forward (see \"How far to "
        "trust it\"): read these gains with that error in mind."
    )


def hours_sentence(base: dict, prog: dict, winters: int | None = None) -> str:
    """Hours without power a day and the evening peak deficit, households' measure of the
    winter (when ``headline.json`` has them), over the headline's ``winters`` replicate
    winters. The level moves with the set of winters (a winter serves between about 60 % and
    98 % of demand), the paired change much less: the sentence says so."""
    hb, hp = base.get("outage_hours_per_day"), prog.get("outage_hours_per_day")
    db, dp = base.get("peak_deficit_gw"), prog.get("peak_deficit_gw")
    if hb is None or hp is None:
        return ""
    text = (f" In the units people live: households go without power {hb:.1f} hours a day on "
            f"average over the winter without the programme and {hp:.1f} with it")
    if db is not None and dp is not None:
        text += f", and the evening peak deficit averages {db:.2f} GW and {dp:.2f} GW"
    over = f" over the same {winters} winters" if winters else ""
    return text + (f"{over}. The level depends on which winters are drawn far more than the "
                   "programme's change does (`python scripts/power_headlines.py --replicates 20` "
                   "gives both month by month over 20 winters, with the spread of the winters).")


def wrapped(text: str, width: int = 100) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False))


def expected_block(headline: Path = HEADLINE) -> str:
    """The README block (markers included) for ``headline``."""
    sys.path.insert(0, str(ROOT))
    from sim.config.io import load_scenario

    crews = load_scenario(ROOT / "scenarios" / "nl-200m.yaml").defense.delivery.crews_per_month
    h = json.loads(headline.read_text(encoding="utf-8"))
    return f"{START}\n{wrapped(render(h, crews))}\n{END}"


def current_block(text: str) -> str:
    """The block between the markers of a README text (markers included)."""
    i, j = text.find(START), text.find(END)
    if i < 0 or j < i:
        raise SystemExit(f"{README}: the headline markers are missing")
    return text[i:j + len(END)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date")
    p.add_argument("--headline", default=str(HEADLINE),
                   help="the numbers (default docs/img/headline.json)")
    p.add_argument("--print", action="store_true",
                   help="print the paragraph for --headline and write nothing")
    args = p.parse_args(argv)
    if args.print:
        print(expected_block(Path(args.headline)))
        return 0
    text = README.read_text(encoding="utf-8")
    old, new = current_block(text), expected_block(Path(args.headline))
    if args.check:
        if old != new:
            print(f"{README}: the headline paragraph differs from {HEADLINE}; run "
                  "python scripts/readme_headline.py", file=sys.stderr)
            return 1
        return 0
    if old != new:
        README.write_text(text.replace(old, new), encoding="utf-8")
        print(f"rewrote the headline paragraph of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
