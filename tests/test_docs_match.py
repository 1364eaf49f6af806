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
    try:
        dist = metadata.distribution("sim")
    except metadata.PackageNotFoundError:
        pytest.skip("sim is not installed")
    url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
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
