"""The README's headline numbers are the ones ``scripts/headline_chart.py`` wrote to
``docs/img/headline.json``: the paragraph is written from it by ``scripts/readme_headline.py``
(``tests/test_docs_match.py`` checks the whole paragraph); here, the quotes a reader checks
first."""

from __future__ import annotations

import json

from tests.helpers import ROOT


def test_readme_headline_quotes_headline_json():
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    h = json.loads((ROOT / "docs" / "img" / "headline.json").read_text(encoding="utf-8"))
    base, prog = h["baseline"], h["nl-200m"]
    static = h["by_attacker"]["static"]["served_gain_pp"]["200"]
    learning = h["by_attacker"]["learning"]["served_gain_pp"]["200"]
    quotes = [
        f"({base['hits_on_sites']:.0f} to {prog['hits_on_sites']:.0f} over the winter)",
        f"({100 * base['energy_loss_share_missiles']:.0f}% without the programme, "
        f"{100 * prog['energy_loss_share_missiles']:.0f}% with it)",
        f"by only {static[0]:.1f} points ({100 * base['demand_served_fraction']:.1f}% to "
        f"{100 * prog['demand_served_fraction']:.1f}%; paired 95% interval {static[1]:.1f} to "
        f"{static[2]:.1f} points)",
        f"by {learning[0]:.1f} points ({learning[1]:.1f} to {learning[2]:.1f})",
        f"drone hits stop falling at EUR {h['flat_from_eur'] / 1e6:.0f}M",
    ]
    if "limits" in h:  # the one account's words: what binds where hits stop falling
        can_fly = h["limits"]["at_flat"]["can_fly_text"].replace(
            "what it can fly", "what the programme can fly")
        assert h["binds_there"] in can_fly
        quotes.append(" ".join(can_fly.split()))
    else:
        quotes.append(f"limited by {h['binds_there']}")
    for q in quotes:
        assert q in text, q
