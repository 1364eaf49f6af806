"""The SolaraViz dashboard (`solara run sim/viz/dashboard.py`).

As Mesa tests its examples: import the app, build its page, build the model from the page's
parameters and step it; render the page (solara.render, no browser). Then, when Debian's
`chromium` is installed, start the real server and load the page in headless Chromium: it must
render the title, the controls and the running totals, step a night on a click, and show no
error.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings

import pandas as pd
import pytest

from tests.helpers import ROOT

solara = pytest.importorskip("solara", reason="the dashboard needs solara (pip install solara)")
pytest.importorskip("mesa.visualization", reason="mesa.visualization needs solara and altair")

warnings.filterwarnings("ignore", message=".*use_state.*found despite early return.*")

from sim.config.errors import SimInputError  # noqa: E402
from sim.viz import dashboard as app  # noqa: E402

FAST = {"nights": 4}


def _defaults() -> dict:
    from mesa.visualization.user_param import Slider

    return {k: (v.value if isinstance(v, Slider) else v["value"] if isinstance(v, dict) else v)
            for k, v in app.model_params.items()}


def test_page_builds_and_the_model_steps():
    app.page  # noqa: B018 - the page `solara run` serves
    assert app.model.night == 0
    model = app.DashboardModel(**_defaults(), **FAST)
    for _ in range(4):
        model.step()
    assert not model.running and model.night == 4
    assert len(model.datacollector.get_model_vars_dataframe()) == 4
    model.remove_all_agents()


def test_parameters_match_the_model_and_reach_the_scenario():
    from mesa.visualization.solara_viz import _check_model_params

    _check_model_params(app.DashboardModel.__init__, app.model_params)  # raises if they differ
    m = app.DashboardModel(budget_m_eur=350, intensity=1.5, pk=0.5, basing="corridors", seed="7",
                           nights=2)
    sc = m.spec if hasattr(m, "spec") else m.scenario
    assert sc.defense.budget_eur == 350e6 and sc.defense.interceptor.pk == 0.5
    assert sc.threat.launches.intensity_multiplier == 1.5
    assert sc.defense.basing.policy == "corridors" and m.seed_root == 7
    with pytest.raises(SimInputError):
        app.DashboardModel(seed="abc", nights=1)


def test_same_seed_same_winter_and_totals_add_up():
    a = app.DashboardModel(seed=11, nights=3)
    b = app.DashboardModel(seed=11, nights=3)
    for _ in range(3):
        a.step()
        b.step()
    rows_a = a.datacollector.get_model_vars_dataframe()
    rows_b = b.datacollector.get_model_vars_dataframe()
    pd.testing.assert_frame_equal(rows_a, rows_b)
    t = app.totals(a)
    assert t["launched"] == rows_a["launched"].sum()
    assert t["neutralised"] == (rows_a["destroyed"] + rows_a["lost_ew"]).sum()
    md = app.totals_markdown(a)
    assert f"| Drones launched | {t['launched']:,} |" in md


def test_render_page_then_step_and_redraw():
    model = app.DashboardModel(**FAST)
    box, rc = solara.render(app.make_page(model), handle_error=False)
    try:
        before = app.map_png(model)
        model.step()
        after = app.map_png(model)
        assert before[:8] == after[:8] == b"\x89PNG\r\n\x1a\n" and before != after
        assert app.history_png(model)[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        rc.close()


# ------------------------------------------------------------------------------ real browser
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float, proc) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read(100)
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


class _Tab:
    """A minimal Chrome DevTools Protocol client for one page (websockets)."""

    def __init__(self, ws_url: str):
        from websockets.sync.client import connect

        self._conn = connect(ws_url, max_size=None, open_timeout=20)
        self.ws = self._conn.__enter__()
        self.n = 0
        self.events: list[dict] = []

    def call(self, method: str, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def js(self, expression: str):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60.0):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.js(expression):
                return time.time() - t0
            time.sleep(0.3)
        raise TimeoutError(f"timed out waiting for {expression}")

    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                out.append(json.dumps(p.get("args", []))[:300])
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error" \
                    and "favicon" not in p["entry"].get("url", ""):
                out.append(p["entry"].get("text", "")[:300])
        return out

    def close(self):
        self._conn.__exit__(None, None, None)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SOLARA = shutil.which("solara")


@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium "
                    "(apt-get install -y chromium)")
@pytest.mark.skipif(SOLARA is None, reason="the solara command is not installed (pip install solara)")
def test_dashboard_renders_in_headless_chromium(tmp_path):
    pytest.importorskip("websockets", reason="the DevTools client needs websockets")
    port, cdp_port = _free_port(), _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "solara.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen([SOLARA, "run", str(ROOT / "sim" / "viz" / "dashboard.py"), "--port", str(port),
                               "--host", "127.0.0.1", "--no-open", "--production"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    browser = None
    tab = None
    try:
        _wait_http(url, 90, server)
        # 1. The page as the brief's one-liner loads it: the served HTML and its shell.
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'dump'}",
             "--virtual-time-budget=15000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120).stdout
        assert "<html" in dom.lower() and "solara" in dom.lower()
        # 2. The rendered app. --dump-dom returns before the page's websocket has delivered
        # the widgets (virtual time does not wait for it), so drive the same browser over the
        # DevTools protocol and wait for the rendered text.
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={tmp_path / 'cdp'}",
             f"--remote-debugging-port={cdp_port}", "--remote-allow-origins=*", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_http(f"http://127.0.0.1:{cdp_port}/json/version", 60, browser)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{cdp_port}/json/list"))
        tab = _Tab(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page"):
            tab.call(f"{domain}.enable")
        tab.call("Emulation.setDeviceMetricsOverride", width=1600, height=1000,
                 deviceScaleFactor=1, mobile=False)
        tab.call("Page.navigate", url=url)
        tab.wait_for("document.body && document.body.innerText.includes('Running totals')", 90)
        text = tab.js("document.body.innerText")
        assert app.TITLE in text
        assert tab.js("document.title") == app.TITLE
        for label in ("Programme budget (EUR million)", "Threat intensity",
                      "Interceptor kill probability pk", "RESET", "STEP"):
            assert label in text, label
        # the live map is an image
        tab.wait_for("[...document.querySelectorAll('img')].some(i => i.naturalWidth > 400)", 60)
        # one night on a click
        tab.js("[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'STEP')"
               ".click()")
        tab.wait_for("document.body.innerText.includes('1 (last: 2025-11-01)')", 90)
        text = tab.js("document.body.innerText")
        for bad in ("Traceback", "error in step", "Error:"):
            assert bad not in text, bad
        assert not tab.errors(), tab.errors()
        shot = tab.call("Page.captureScreenshot", format="png")["data"]
        (tmp_path / "dashboard.png").write_bytes(base64.b64decode(shot))
    except Exception:
        log.flush()
        sys.stderr.write((tmp_path / "solara.log").read_text()[-4000:])
        raise
    finally:
        if tab is not None:
            tab.close()
        for proc in (browser, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        log.close()
