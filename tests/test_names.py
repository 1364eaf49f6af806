"""Every dotted name ``sim.x.y`` that the docs, the README, the notebooks and the package's own
docstrings and comments mention exists: a module that imports, and the object it names in it.
A module renamed or moved leaves no stale cross-reference behind."""

from __future__ import annotations

import importlib
import io
import json
import re
import tokenize

import pytest

from tests.helpers import ROOT

NAME = re.compile(r"(?<![\w./-])sim(?:\.[A-Za-z_]\w*)+")


def _texts():
    """(where, text) of every document a reader may follow a name from."""
    for p in sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                     *(ROOT / "sim" / "data").glob("*.md")]):
        yield p.relative_to(ROOT), p.read_text(encoding="utf-8")
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(p.read_text(encoding="utf-8"))["cells"]
        yield p.relative_to(ROOT), "\n".join("".join(c["source"]) for c in cells)
    for p in sorted([*(ROOT / "sim").rglob("*.py"), *(ROOT / "scripts").glob("*.py"),
                     *(ROOT / "benchmarks").glob("*.py")]):
        # docstrings, other strings and comments (not code: a local variable may be named sim)
        tokens = tokenize.generate_tokens(io.StringIO(p.read_text(encoding="utf-8")).readline)
        yield p.relative_to(ROOT), "\n".join(t.string for t in tokens
                                             if t.type in (tokenize.STRING, tokenize.COMMENT))


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for attr in parts[k:]:
            if not hasattr(obj, attr):
                try:  # a submodule not imported by its package
                    obj = importlib.import_module(f"{obj.__name__}.{attr}")
                    continue
                except (ModuleNotFoundError, AttributeError):
                    return False
            obj = getattr(obj, attr)
        return True
    return False


def _names() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for where, text in _texts():
        for m in NAME.finditer(text):
            name = m.group(0).rstrip(".")
            if text[m.end():m.end() + 1] in ("/",):  # a path (sim.x/...), not a name
                continue
            found.setdefault(name, []).append(str(where))
    return found


def test_the_names_are_found():
    names = _names()
    assert len(names) > 100  # the docs and docstrings name many modules and functions
    assert "sim.model.night.Night" in names and "sim.model.theatre" in names


@pytest.mark.parametrize("name", sorted(_names()))
def test_every_named_sim_module_and_object_exists(name):
    assert _resolves(name), f"{name} (named in {', '.join(sorted(set(_names()[name])))})"
