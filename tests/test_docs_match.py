"""The docs match the code: one version, the README's set-up facts (test duration, a notebook
front end), every notebook listed where the docs list them, and the README's headline paragraph
written from ``docs/img/headline.json`` (its text is generated; see scripts/readme_headline.py)."""

from __future__ import annotations

import json
import re
import runpy
import tomllib
from importlib import metadata

import pytest

import sim
from tests.helpers import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_one_version():
    """pyproject takes the version from sim.__version__ (no second number to drift); an
    install of this tree reports it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sim.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", sim.__version__)
    # the installed distribution (pip writes direct_url.json), not the sim.egg-info that an
    # editable install leaves in the source tree, which comes first on sys.path from the root
    installed = [d for d in metadata.distributions(name="sim") if d.read_text("direct_url.json")]
    if not installed:
        pytest.skip("sim is not installed")
    dist = installed[0]
    url = json.loads(dist.read_text("direct_url.json")).get("url", "")
    if url.rstrip("/") != ROOT.as_uri():
        pytest.skip(f"the installed sim is another tree ({url or 'not a local install'})")
    assert dist.version == sim.__version__


def test_the_readme_gives_the_test_duration_and_a_notebook_front_end():
    setup = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"about \d+(-\d+)? minutes", setup), "the test command's duration"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any("jupyterlab" in d for d in extras["notebook"])
    assert 'pip install -e ".[notebook]"' in README and "jupyter lab" in README


def test_every_notebook_is_listed():
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    plots = (ROOT / "docs" / "plots.md").read_text(encoding="utf-8")
    assert [n for n in notebooks if f"notebooks/{n}" not in plots] == []
    words = {5: "five", 6: "six", 7: "seven", 8: "eight"}
    assert f"`notebooks/`, {words[len(notebooks)]})" in README


def test_the_readme_headline_is_written_from_headline_json():
    mod = runpy.run_path(str(ROOT / "scripts" / "readme_headline.py"))
    assert mod["current_block"](README) == mod["expected_block"](), (
        "README.md's headline paragraph differs from docs/img/headline.json: run "
        "python scripts/readme_headline.py")


def test_the_headline_renderer_follows_the_numbers():
    """The renderer's text moves with the JSON (it is not a copy of the README)."""
    mod = runpy.run_path(str(ROOT / "scripts" / "readme_headline.py"))
    h = json.loads((ROOT / "docs" / "img" / "headline.json").read_text(encoding="utf-8"))
    text = mod["render"](h, 40)
    h["baseline"]["hits_on_sites"] = 2 * h["nl-200m"]["hits_on_sites"]
    h["by_attacker"]["static"]["served_gain_pp"]["200"] = [1.23, 0.45, 6.78]
    other = mod["render"](h, 40)
    assert "cuts the drone hits on energy sites by half" in other
    assert "rises by only 1.2 points" in other and "0.5 to 6.8 points" in other
    assert other != text
    assert mod["share_words"](0.347) == "about a third" and mod["share_words"](0.5) == "half"
    gains = {"0": [0, 0, 0], "100": [0.76, 0, 0], "150": [0.76, 0, 0], "50": [0.6, 0, 0]}
    assert mod["flat_from"](gains) == 100.0


def test_the_headline_quotes_the_net_effect_and_the_one_limits_account():
    """With the net effects and the limits account in headline.json (as
    scripts/headline_chart.py writes them), the paragraph quotes them: the net drones stopped,
    the displacement, the whole spend with the unused stock, and the account's own words for
    what each force can fly and what limits what it stops, with geometry defined."""
    mod = runpy.run_path(str(ROOT / "scripts" / "readme_headline.py"))
    h = json.loads((ROOT / "docs" / "img" / "headline.json").read_text(encoding="utf-8"))
    from sim.model.forces.limits import GEOMETRY

    stops = {"programme": "what it stops is limited by what it can fly (Nov 2025), geometry "
                          "(Dec 2025 - Mar 2026: crews and airframes left over on 118 of 121 "
                          "nights with leakers)",
             "national": "what it stops is limited by geometry (Nov 2025 - Mar 2026: crews and "
                         "airframes left over on 150 of 151 nights with leakers)"}
    h["net"] = {"nl-200m": {
        "net_drones_stopped": [654.0, 600.0, 700.0], "displacement": [4801.0, 4700.0, 4900.0],
        "net_hits_avoided": [104.0, 90.0, 118.0],
        "net_cost_per_drone_stopped_eur": [305000.0, 280000.0, 330000.0],
        "net_cost_per_hit_avoided_eur": [1.9e6, 1.6e6, None],
        "interceptor_kills": 5455.0, "programme_cost_eur": 199.6e6,
        "unused_stock_eur": 133.0e6, "programme_stock_end": 33250.0}}
    h["limits"] = {
        "at_flat": {"budget_eur": 150e6, "binds": "crews",
                    "can_fly_text": "what it can fly is limited by time (Nov 2025), crews (Dec "
                                    "2025 - Mar 2026)"},
        "nl-200m": {"programme": {"stops_text": stops["programme"], "stock_end": 33250.0},
                    "national": {"stops_text": stops["national"], "stock_end": 20962.0},
                    "meanings": {"geometry": GEOMETRY}},
        "geometry": GEOMETRY}
    text = " ".join(mod["render"](h, 40).split())
    for quote in ("EUR 200M stops 654 more drones over the winter (95% interval 600 to 700)",
                  "its interceptors destroy 5,455, but 4,801 of those the other layers",
                  "avoids 104 drone hits", "at EUR 305k per drone stopped",
                  "whole spend of EUR 199.6M, EUR 133.0M of it on 33,250 airframes left unused",
                  "At EUR 150M, what the programme can fly is limited by time (Nov 2025), crews "
                  "(Dec 2025 - Mar 2026): training qualifies at most 40 crews a month",
                  stops["programme"].replace("what it stops", "what the programme stops"),
                  stops["national"].replace("what it stops", "what Ukraine's own force stops"),
                  "Geometry means that " + GEOMETRY[len("geometry: "):],
                  "ends the winter with 33,250 airframes unused in stock and Ukraine's own "
                  "force with 20,962"):
        assert quote in text, quote
    assert "drones leak where no crew is in reach" not in text  # the earlier, looser words
