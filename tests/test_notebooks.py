"""The notebooks in notebooks/ run top to bottom (at the reduced size SIM_NOTEBOOK_SMOKE=1).

Each notebook is executed with nbclient in a fresh kernel whose working directory is
notebooks/, as a user would open it; results go to a temporary folder (SIM_NOTEBOOK_OUT).
At full size (the default without SIM_NOTEBOOK_SMOKE) they run for minutes, so the suite
runs them small: a few nights, replicates and levels.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import ROOT

nbformat = pytest.importorskip("nbformat", reason='the notebook tests need nbformat: '
                                'pip install -e ".[test]"')
nbclient = pytest.importorskip("nbclient", reason='the notebook tests need nbclient: '
                                'pip install -e ".[test]"')

NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01_quickstart.ipynb", "02_funding_sweep.ipynb", "03_policy_comparison.ipynb",
            "04_sensitivity.ipynb", "05_validation.ipynb", "06_when_does_the_programme_fail.ipynb",
            "07_hours_without_power.ipynb", "08_what_should_200m_buy.ipynb"]


def _code(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_the_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_clean_and_holds_no_model_logic(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = _code(nb)
    # committed without outputs, so diffs stay readable and figures are never stale
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), "clear the outputs before committing"
    text = "\n".join(code)
    assert re.search(r"^import sim$|^from sim", text, re.M), "a notebook imports sim"
    assert "SIM_NOTEBOOK_SMOKE" in text, "a notebook has a reduced size for the tests"
    # no model logic: no functions or classes of its own, no random draws
    assert not re.search(r"^\s*(def|class)\s", text, re.M)
    assert "np.random" not in text and "import random" not in text
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    monkeypatch.setenv("SIM_NOTEBOOK_SMOKE", "1")
    monkeypatch.setenv("SIM_NOTEBOOK_OUT", str(tmp_path))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError with the failing cell and its traceback
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert images, "every notebook shows at least one figure"
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "SMOKE (reduced) size" in text
