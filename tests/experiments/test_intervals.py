"""The interval method the docs name is the one the code uses (a BCa bootstrap), and a
comparison keeps each side's own values.

The docs test reads every document a user reads (README, docs/, notebooks' text, the package's
docstrings and figure labels) and fails on a description of another interval method (a
t-based or "paired t" interval); the code test spies on the bootstrap call itself."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from sim.experiments import stats
from sim.experiments.stats import INTERVAL_METHOD, mean_ci, paired_stats
from tests.helpers import ROOT

# A description of a t-based interval: "paired t" (not "paired t-test", the p-value's test,
# which the tools do report), "t(0.975", "mean +- t", "t-based", "Student".
OTHER_METHODS = re.compile(r"paired t(?![-\w])|\bt\(0\.975|\bt\(1 - |mean \+- t\b|\bt-based|"
                           r"Student'?s? t\b", re.I)


def _texts():
    yield ROOT / "README.md", (ROOT / "README.md").read_text(encoding="utf-8")
    for p in sorted((ROOT / "docs").glob("*.md")):
        yield p, p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(p.read_text(encoding="utf-8"))
        yield p, "\n".join("".join(c["source"]) for c in nb["cells"])
    for p in sorted((ROOT / "sim").rglob("*.py")):
        yield p, p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "scripts").glob("*.py")):
        yield p, p.read_text(encoding="utf-8")


def test_no_document_describes_another_interval_method():
    bad = []
    for p, text in _texts():
        for m in OTHER_METHODS.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            bad.append(f"{p.relative_to(ROOT)}:{line}: {m.group(0)!r}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("doc", ["README.md", "docs/outcomes.md", "docs/sweeps.md",
                                 "docs/plots.md"])
def test_the_docs_name_the_method(doc):
    assert INTERVAL_METHOD in " ".join((ROOT / doc).read_text(encoding="utf-8").split())


def test_the_code_uses_the_method_the_docs_name(monkeypatch):
    seen = []
    real = stats.stats.bootstrap

    def spy(*args, **kw):
        seen.append(kw.get("method"))
        return real(*args, **kw)

    monkeypatch.setattr(stats.stats, "bootstrap", spy)
    rng = np.random.default_rng(1)
    mean_ci(rng.normal(size=12))
    paired_stats(rng.normal(size=12), rng.normal(size=12))
    assert seen == ["BCa", "BCa"]
    assert INTERVAL_METHOD.split()[0] == seen[0]


# ------------------------------------------------------------------------------ each side's values
def test_a_comparison_keeps_bs_mean_when_a_has_none():
    """Without a programme A has no cost per kill (NaN in every replicate): B's mean is still
    reported; the difference needs pairs, so it has none."""
    a = np.full(5, math.nan)
    b = np.array([10.0, 12.0, 11.0, 13.0, 9.0])
    r = paired_stats(a, b)
    assert r["mean_b"] == pytest.approx(11.0) and math.isnan(r["mean_a"])
    assert r["n"] == 0 and math.isnan(r["diff"])
    # some pairs missing: each mean over its own values, the difference over the pairs
    a = np.array([1.0, math.nan, 3.0, 5.0])
    b = np.array([2.0, 4.0, math.nan, 9.0])
    r = paired_stats(a, b)
    assert r["mean_a"] == pytest.approx(3.0) and r["mean_b"] == pytest.approx(5.0)
    assert r["n"] == 2 and r["diff"] == pytest.approx(2.5)


def test_compare_tables_keep_b(tmp_path):
    import pandas as pd

    from sim.experiments.sweep.compare import compare_tables, format_comparison

    ta = pd.DataFrame({"replicate": [0, 1, 2], "cost_per_kill_eur": [math.nan] * 3,
                       "hits_on_sites": [300.0, 310.0, 290.0]})
    tb = pd.DataFrame({"replicate": [0, 1, 2], "cost_per_kill_eur": [8000.0, 9000.0, 10000.0],
                       "hits_on_sites": [200.0, 205.0, 195.0]})
    df = compare_tables(ta, tb)
    row = df.set_index("outcome").loc["cost_per_kill_eur"]
    assert row["mean_b"] == pytest.approx(9000.0)
    text = format_comparison(df)
    line = next(ln for ln in text.splitlines() if "cost per" in ln.lower())
    assert "9,000" in line or "9.0" in line, line
