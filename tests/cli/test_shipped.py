"""What ships with the repository stands on its own: no shipped file points at the project's
research notes (``facts.md``, ``../shared``), docs/sources.md carries the sources that files cite
as ``docs/sources.md §X``, docs/outcomes.md is what the outcome registry gives, and every
shipped sweep file validates."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from sim.cli import main
from tests.helpers import ROOT

SHIPPED = [ROOT / "README.md", ROOT / "sim", ROOT / "scenarios", ROOT / "sweeps", ROOT / "docs",
           ROOT / "notebooks"]
TEXT = {".py", ".md", ".yaml", ".yml", ".csv", ".json", ".ipynb", ".txt", ".toml", ".geojson"}


def shipped_files():
    for base in SHIPPED:
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for f in files:
            if f.is_file() and f.suffix in TEXT and "__pycache__" not in f.parts:
                yield f


def test_no_shipped_file_cites_the_research_notes():
    bad = []
    for f in shipped_files():
        text = f.read_text(encoding="utf-8", errors="replace")
        for needle in ("facts.md", "../shared"):
            if needle in text:
                line = text[: text.index(needle)].count("\n") + 1
                bad.append(f"{f.relative_to(ROOT)}:{line}: {needle}")
    assert not bad, "\n".join(bad)


def test_cited_source_sections_exist():
    """Every `docs/sources.md §X` a shipped file cites is a section of docs/sources.md, and each
    section gives its sources' addresses."""
    sources = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### §([A-Z])\. (.+)$", sources, flags=re.M))
    cited = set()
    for f in shipped_files():
        if f.name == "sources.md":
            continue
        cited |= set(re.findall(r"docs/sources\.md §([A-Z])", f.read_text(encoding="utf-8",
                                                                       errors="replace")))
    assert cited and cited <= set(sections), (cited, sections)
    for x in cited:
        body = sources.split(f"### §{x}.", 1)[1].split("\n### ", 1)[0]
        assert "https://" in body, x


def test_outcomes_doc_is_up_to_date():
    p = subprocess.run([sys.executable, str(ROOT / "scripts" / "outcomes_doc.py"), "--check"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr + " (run: python scripts/outcomes_doc.py)"
    text = (ROOT / "docs" / "outcomes.md").read_text(encoding="utf-8")
    assert "BCa bootstrap of the mean over replicates, 2,000 resamples, fixed" in text
    for section in ("by_month", "limits", "details", "hits_by_site"):
        assert f"`{section}" in text, section


@pytest.mark.parametrize("sweep", sorted((ROOT / "sweeps").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_sweeps_validate(sweep, capsys):
    assert main(["validate", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "valid sweep file" in out and "runs" in out


def test_copied_sweep_finds_the_shipped_base(tmp_path, capsys):
    """A sweep file copied elsewhere keeps a relative base such as ../scenarios/nl-200m.yaml:
    the scenario of that name shipped with the package is used, and the note says so; a base
    found nowhere lists the places tried."""
    copy = tmp_path / "x.yaml"
    copy.write_text((ROOT / "sweeps" / "funding.yaml").read_text())
    assert main(["validate", str(copy)]) == 0
    err = capsys.readouterr().err
    assert "note:" in err and "shipped with the package" in err and "nl-200m.yaml" in err
    from sim.experiments.sweep.spec import load_sweep

    loaded = load_sweep(copy)
    assert loaded.base_path.read_bytes() == (ROOT / "scenarios" / "nl-200m.yaml").read_bytes()
    # A copy next to the sweep file wins over the shipped one.
    (tmp_path / "scenarios").mkdir()
    sub = tmp_path / "sweeps"
    sub.mkdir()
    (sub / "x.yaml").write_text(copy.read_text())
    (tmp_path / "scenarios" / "nl-200m.yaml").write_text(
        (ROOT / "scenarios" / "nl-200m.yaml").read_text())
    loaded = load_sweep(sub / "x.yaml")
    assert loaded.base_path == (tmp_path / "scenarios" / "nl-200m.yaml").resolve()
    assert not loaded.notes
    # Nowhere: a clear error naming what was tried.
    copy.write_text(copy.read_text().replace("../scenarios/nl-200m.yaml", "../mine/own.yaml"))
    code = main(["sweep", str(copy), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "scenario file not found" in err and "tried" in err
    assert str(tmp_path.parent / "mine") in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_validate_tells_scenario_and_sweep_files_apart(tmp_path, capsys):
    funding = ROOT / "sweeps" / "funding.yaml"
    code = main(["run", str(funding), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "this is a sweep file" in err and "python -m sim sweep" in err
    assert err.count("error:") == 1  # not five "unknown key" lines
    code = main(["sweep", str(ROOT / "scenarios" / "nl-200m.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "this is a scenario file" in err and "python -m sim run" in err
    assert not (tmp_path / "o").exists()
