"""The HiGHS library prints a banner from C++ on descriptor 1 when its first instance is made;
sim silences it wherever Python's stdout points (a notebook kernel keeps sys.stdout on a copy
of the old descriptor and pipes descriptor 1 to the notebook)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_banner_never_reaches_descriptor_1(tmp_path):
    fd1 = tmp_path / "fd1.txt"
    code = textwrap.dedent(f"""
        import os, sys
        copy = os.dup(1)                      # as a notebook kernel: sys.stdout on a copy
        sys.stdout = os.fdopen(copy, "w")
        out = os.open({str(fd1)!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)                       # and descriptor 1 elsewhere
        from sim.model.energy.grid import _new_highs
        _new_highs()
        _new_highs()
        print("python stdout still works")
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "python stdout still works" in r.stdout
    assert "HiGHS" not in fd1.read_text() and "HiGHS" not in r.stdout
