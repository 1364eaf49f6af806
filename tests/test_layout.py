"""The package's layout stays readable: every module is under 600 lines, and the module table
of ``docs/architecture.md`` names every module of every layer (and only modules that exist)."""

from __future__ import annotations

import ast
import re

import pytest

from tests.helpers import ROOT

MAX_LINES = 600
LAYERS = ("config", "model", "experiments", "analysis", "calibration", "viz", "cli")
SIM = ROOT / "sim"


def _modules():
    return sorted(p for p in SIM.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_is_under_600_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n < MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines: split it by concept"


def _table() -> dict[str, set[str]]:
    """layer -> the names in the module column of docs/architecture.md's module table."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in LAYERS:
            listed.setdefault(cells[0], set()).update(re.findall(r"`([\w/]+(?:\.py|/))`",
                                                                 cells[1]))
    return listed


def test_the_module_table_names_every_module_and_only_modules_that_exist():
    listed = _table()
    assert set(listed) == set(LAYERS)
    for layer in LAYERS:
        here = SIM / layer
        present = {p.name for p in here.glob("*.py") if p.name != "__init__.py"}
        present |= {f"{p.name}/" for p in here.iterdir()
                    if p.is_dir() and (p / "__init__.py").is_file()}
        missing, stale = sorted(present - listed[layer]), sorted(listed[layer] - present)
        assert not missing, f"sim/{layer}: {missing} not in docs/architecture.md's table"
        assert not stale, f"sim/{layer}: {stale} named in docs/architecture.md, not found"


def test_no_private_name_is_imported_from_another_module():
    """A name another module imports is part of its module's interface: it has a public name
    (the import linter sees the layers; this sees the modules' boundaries)."""
    crossing = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                crossing += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                             for a in node.names
                             if a.name.startswith("_") and not a.name.startswith("__")]
    assert not crossing, "private names imported across modules:\n" + "\n".join(crossing)


def test_every_module_path_named_in_the_repository_exists():
    """A path like ``sim/model/forces/programme.py`` in the docs, scenario comments, notebooks
    or the code's own text names a file that exists (test_names checks the dotted names)."""
    path = re.compile(r"(?<![\w./-])sim/[a-z_/]+\.py\b")
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "sim" / "data").glob("*.md"),
             *(ROOT / "scenarios").glob("*.yaml"), *(ROOT / "sweeps").glob("*.yaml"),
             *(ROOT / "notebooks").glob("*.ipynb"), *_modules(),
             *(ROOT / "scripts").glob("*.py"), *(ROOT / "benchmarks").glob("*.py")]
    missing = sorted({f"{p.relative_to(ROOT)}: {m}" for p in texts
                      for m in path.findall(p.read_text(encoding="utf-8"))
                      if not (ROOT / m).is_file()})
    assert not missing, "paths to files that do not exist:\n" + "\n".join(missing)
