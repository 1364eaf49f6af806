"""The README works as written: its Python snippet runs as a script, and a script that starts
worker processes without the ``if __name__ == "__main__":`` guard is told so."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

from tests.fixtures.toy import write_toy_sweep
from tests.helpers import ROOT


def first_python_block(markdown: str) -> str:
    """The first ```python block of a markdown text."""
    m = re.search(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)
    assert m, "README.md has no ```python block"
    return m.group(1)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_readme_python_snippet_runs_as_a_script(tmp_path):
    """Extract the snippet and run it with ``python snippet.py`` in a fresh folder that holds
    the repository's scenarios and sweeps, as a user would after cloning."""
    code = first_python_block((ROOT / "README.md").read_text(encoding="utf-8"))
    if re.search(r"workers\s*=\s*(?!1\b)", code) or "sim.compare(" in code:
        assert re.search(r"""if __name__ == ["']__main__["']:""", code), (
            "the README snippet starts worker processes: it needs the __main__ guard")
    for name in ("scenarios", "sweeps"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Traceback" not in p.stderr
    assert p.stdout.strip(), "the snippet prints its results"


def test_unguarded_script_is_told_about_the_main_guard(tmp_path):
    """Worker processes import the main script again; without the guard its sweep runs in
    every worker and the pool breaks. The error names the missing guard (not 'out of memory')."""
    sweep = write_toy_sweep(tmp_path)
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""\
        import sim
        runs = sim.sweep({str(sweep)!r}, out={str(tmp_path / 'o')!r}, workers=2,
                         progress=False)
        print(len(runs))
        """), encoding="utf-8")
    p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    # The error line, wherever the dying workers' own messages put it in stderr.
    told = [ln for ln in p.stderr.splitlines() if "SweepError" in ln]
    assert told, p.stderr[-3000:]
    assert 'if __name__ == "__main__":' in told[-1] and "unguarded.py" in told[-1], told[-1]
    assert "out of memory" not in p.stderr

    guarded = tmp_path / "guarded.py"
    body = textwrap.indent(script.read_text().split("\n", 1)[1], "    ")
    guarded.write_text("import sim\n\nif __name__ == \"__main__\":\n" + body, encoding="utf-8")
    p = subprocess.run([sys.executable, str(guarded)], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.strip() == "120"
