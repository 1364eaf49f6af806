"""The comments of the shipped sweep files say what the files and the scenario hold: every
``#   key low-high [nominal]`` line names an uncertainty of its file with that range, the nominal
is the base scenario's value, and every uncertainty has such a line (so a changed scenario or
range cannot leave a stale comment behind)."""

from __future__ import annotations

import re

import pytest
import yaml

from sim.config.io import get_path, load_scenario
from tests.helpers import ROOT

LINE = re.compile(r"^#\s+([a-z_][a-z0-9_.]*\.[a-z0-9_]+) ([-\d.,]+)-([\d.,]+) \[([-\d.,]+)\]")
FILES = sorted((ROOT / "sweeps").glob("*.yaml"))


def _num(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_range_comments_match_the_file_and_the_scenario(path):
    text = path.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    base = load_scenario((path.parent / spec["base"]).resolve())
    ranges = {u["key"]: (u["low"], u["high"]) for u in spec.get("uncertainties", [])}
    lines = [m.groups() for m in map(LINE.match, text.splitlines()) if m]
    commented = {k for k, *_ in lines}
    assert commented == set(ranges), (sorted(set(ranges) - commented),
                                      sorted(commented - set(ranges)))
    for key, low, high, nominal in lines:
        assert (_num(low), _num(high)) == pytest.approx(ranges[key]), key
        assert _num(nominal) == pytest.approx(float(get_path(base, key))), key
