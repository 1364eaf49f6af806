"""Screenshot of the dashboard as a person sees it, in headless Chromium, and the browser driver
the dashboard test uses (``tests/viz/test_dashboard.py``).

    python scripts/dashboard_screenshot.py                  # writes docs/img/dashboard.png
    python scripts/dashboard_screenshot.py --nights 5 --out /tmp/dashboard.png

It starts ``solara run sim/viz/dashboard.py`` on a free local port, opens the page in headless
Chromium, presses *Step* ``--nights`` times and saves the page with the DevTools protocol's
``Page.captureScreenshot``. It needs Chromium (Debian/Ubuntu: ``apt-get install chromium``;
elsewhere any Chromium or Chrome, named by ``--chromium`` or the ``CHROMIUM`` environment
variable) and the ``websockets`` package. Rerunning it gives the same picture: the page's seed
is fixed.

The driver (:class:`DashboardPage`) acts as a user does: it drags a slider's thumb with the
mouse (``Input.dispatchMouseEvent``), clicks the buttons, reads the text of the page and fetches
the image the page shows.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "sim" / "viz" / "dashboard.py"
DEFAULT_OUT = ROOT / "docs" / "img" / "dashboard.png"
VIEWPORT = (1600, 1250)


def find_chromium(explicit: str | None = None) -> str | None:
    """Path of a Chromium (or Chrome) binary: ``explicit``, ``$CHROMIUM``, then the PATH."""
    for name in (explicit, os.environ.get("CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if name and (path := shutil.which(name)):
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc=None) -> None:
    """Wait until ``url`` answers (or ``proc`` exits)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read(100)
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def _stop(proc) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextlib.contextmanager
def serve(log_path: Path, app: Path = APP, env: dict | None = None):
    """``solara run APP`` on a free local port; yields the page's URL."""
    solara = shutil.which("solara")
    if solara is None:
        raise RuntimeError("the solara command is not installed (pip install solara)")
    port = free_port()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1", **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([solara, "run", str(app), "--port", str(port), "--host",
                                 "127.0.0.1", "--no-open", "--production"],
                                stdout=log, stderr=subprocess.STDOUT, env=env,
                                cwd=log_path.parent)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_http(url, 120, proc)
            yield url
        finally:
            _stop(proc)


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")


@contextlib.contextmanager
def browser(chromium: str, profile_dir: Path, viewport=VIEWPORT):
    """Headless Chromium with the DevTools protocol; yields a :class:`DevTools` client of its
    page (runtime, log and page events on; the viewport ``viewport`` pixels)."""
    port = free_port()
    proc = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
                             f"--remote-debugging-port={port}", "--remote-allow-origins=*",
                             "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tab = None
    try:
        wait_http(f"http://127.0.0.1:{port}/json/version", 60, proc)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        tab = DevTools(next(p for p in pages if p["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Page"):
            tab.call(f"{domain}.enable")
        tab.call("Emulation.setDeviceMetricsOverride", width=viewport[0], height=viewport[1],
                 deviceScaleFactor=1, mobile=False)
        yield tab
    finally:
        if tab is not None:
            tab.close()
        _stop(proc)


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page (``websockets``)."""

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
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def js(self, expression: str):
        """Evaluate ``expression`` in the page (promises awaited); its value as JSON."""
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression[:80]}...: {r['exceptionDetails'].get('text')} "
                               f"{r.get('result', {}).get('description', '')}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 60.0) -> float:
        """Wait until ``expression`` is truthy in the page; returns the seconds waited."""
        t0 = time.time()
        while time.time() - t0 < timeout:
            if self.js(expression):
                return time.time() - t0
            time.sleep(0.25)
        raise TimeoutError(f"timed out after {timeout} s waiting for {expression}")

    def errors(self) -> list[str]:
        """Exceptions and console errors the page reported."""
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


# ------------------------------------------------------------------------------------ the page
_FIND_SLIDER = """
(() => {
  const label = %s;
  const input = [...document.querySelectorAll('.v-input')].find(
      el => el.querySelector('.v-slider') && el.innerText.includes(label));
  if (!input) return null;
  const track = input.querySelector('.v-slider__track-container').getBoundingClientRect();
  const thumb = input.querySelector('.v-slider__thumb-container');
  const t = thumb.getBoundingClientRect();
  input.scrollIntoView({block: 'center'});
  return {left: track.left, right: track.right, y: track.top + track.height / 2,
          thumb_x: t.left + t.width / 2, thumb_y: t.top + t.height / 2,
          value: Number(thumb.getAttribute('aria-valuenow') ??
                        input.querySelector('input').value),
          min: Number(thumb.getAttribute('aria-valuemin')),
          max: Number(thumb.getAttribute('aria-valuemax'))};
})()
"""


class DashboardPage:
    """The dashboard in a browser tab, used as a person uses it."""

    def __init__(self, tab: DevTools, map_class: str = "sim-live-map"):
        self.tab = tab
        self.map_class = map_class

    def open(self, url: str, timeout: float = 120.0) -> None:
        self.tab.call("Page.navigate", url=url)
        self.tab.wait_for("document.body && document.body.innerText.includes('Running totals')",
                          timeout)
        self.tab.wait_for(f"(() => {{ const i = document.querySelector('.{self.map_class} img');"
                          " return i && i.complete && i.naturalWidth > 400; })()", timeout)

    def text(self) -> str:
        return self.tab.js("document.body.innerText")

    def nights(self) -> int:
        """Nights simulated, as the totals say."""
        return int(self.tab.js(
            "(() => { const m = document.body.innerText.match(/Nights simulated\\s+(\\d+)/);"
            " return m ? m[1] : -1; })()"))

    def slider(self, label: str) -> dict:
        box = self.tab.js(_FIND_SLIDER % json.dumps(label))
        if box is None:
            raise LookupError(f"no slider labelled {label!r} on the page")
        return box

    def _mouse(self, kind: str, x: float, y: float, buttons: int) -> None:
        self.tab.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      buttons=buttons, clickCount=1 if kind != "mouseMoved" else 0)

    def drag_slider(self, label: str, value: float, steps: int = 12) -> float:
        """Drag the slider's thumb with the mouse to ``value``; returns the value it shows."""
        b = self.slider(label)
        frac = (value - b["min"]) / (b["max"] - b["min"])
        x_to = b["left"] + min(max(frac, 0.0), 1.0) * (b["right"] - b["left"])
        x0, y0 = b["thumb_x"], b["thumb_y"]
        self._mouse("mouseMoved", x0, y0, 0)
        self._mouse("mousePressed", x0, y0, 1)
        for k in range(1, steps + 1):
            self._mouse("mouseMoved", x0 + (x_to - x0) * k / steps, y0, 1)
            time.sleep(0.02)
        self._mouse("mouseReleased", x_to, y0, 0)
        time.sleep(0.3)
        return self.slider(label)["value"]

    def click(self, label: str) -> None:
        """Click the button with this text, with the mouse."""
        box = self.tab.js(
            "(() => { const b = [...document.querySelectorAll('button')].find("
            f"b => b.innerText.trim().toUpperCase() === {json.dumps(label.upper())});"
            " if (!b) return null; b.scrollIntoView({block: 'center'});"
            " const r = b.getBoundingClientRect(); return {x: r.left + r.width / 2,"
            " y: r.top + r.height / 2, disabled: b.disabled}; })()")
        if box is None:
            raise LookupError(f"no button {label!r} on the page")
        if box["disabled"]:
            raise RuntimeError(f"the button {label!r} is disabled")
        self._mouse("mouseMoved", box["x"], box["y"], 0)
        self._mouse("mousePressed", box["x"], box["y"], 1)
        self._mouse("mouseReleased", box["x"], box["y"], 0)

    def step(self, nights: int = 1, timeout: float = 120.0) -> None:
        """Press *Step* ``nights`` times, each time waiting for the totals to count the night."""
        for _ in range(nights):
            n = self.nights()
            self.click("Step")
            self.tab.wait_for(
                "(() => { const m = document.body.innerText.match(/Nights simulated\\s+(\\d+)/);"
                f" return m && Number(m[1]) === {n + 1}; }})()", timeout)
        self.wait_map_settled()

    def reset(self, timeout: float = 120.0) -> None:
        """Press *Reset* and wait for the new model's totals (no night simulated)."""
        before = self.map_png()
        self.click("Reset")
        self.tab.wait_for("/Nights simulated\\s+0\\b/.test(document.body.innerText)", timeout)
        t0 = time.time()
        while self.map_png() == before and time.time() - t0 < 5:
            time.sleep(0.25)  # the map of a new model (or the same one, if nothing changed)
        self.wait_map_settled()

    def table(self, head: str) -> dict[str, list[str]]:
        """The rows of the table whose first header cell is ``head``: first cell -> the rest."""
        return self.tab.js(
            "(() => { const t = [...document.querySelectorAll('table')].find(t => "
            f"t.querySelector('th') && t.querySelector('th').innerText.trim() === "
            f"{json.dumps(head)}); if (!t) return null; const out = {{}};"
            " for (const tr of t.querySelectorAll('tr')) { const c = [...tr.children]"
            ".map(x => x.innerText.trim()); out[c[0]] = c.slice(1); } return out; })()")

    def map_png(self) -> bytes:
        """The bytes of the map image the page shows (fetched from its ``src``)."""
        b64 = self.tab.js(
            f"(async () => {{ const i = document.querySelector('.{self.map_class} img');"
            " if (!i) return null; const r = await fetch(i.src);"
            " const a = new Uint8Array(await r.arrayBuffer()); let s = '';"
            " for (let k = 0; k < a.length; k += 32768)"
            " s += String.fromCharCode.apply(null, a.subarray(k, k + 32768));"
            " return btoa(s); })()")
        if b64 is None:
            raise LookupError("no map image on the page")
        return base64.b64decode(b64)

    def wait_map_settled(self, quiet: float = 0.8, timeout: float = 30.0) -> bytes:
        """Wait until the map image has not changed for ``quiet`` seconds; returns it."""
        t0 = time.time()
        last, since = self.map_png(), time.time()
        while time.time() - t0 < timeout:
            time.sleep(0.2)
            now = self.map_png()
            if now != last:
                last, since = now, time.time()
            elif time.time() - since >= quiet:
                return now
        return last

    def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG (``Page.captureScreenshot``)."""
        height = self.tab.js("Math.ceil(document.documentElement.scrollHeight)")
        width = self.tab.js("Math.ceil(document.documentElement.scrollWidth)")
        self.tab.js("window.scrollTo(0, 0)")
        shot = self.tab.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                             clip={"x": 0, "y": 0, "width": width, "height": height,
                                   "scale": 1})["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot))
        return path


def capture(out: Path = DEFAULT_OUT, nights: int = 5, chromium: str | None = None,
            workdir: Path | None = None) -> Path:
    """Serve the dashboard, step ``nights`` nights and save a screenshot to ``out``."""
    chromium = find_chromium(chromium)
    if chromium is None:
        raise RuntimeError("no Chromium found: apt-get install chromium (Debian/Ubuntu), or "
                           "pass --chromium PATH")
    with contextlib.ExitStack() as stack:
        work = Path(workdir) if workdir else Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="dashboard-")))
        url = stack.enter_context(serve(work / "solara.log"))
        tab = stack.enter_context(browser(chromium, work / "profile"))
        page = DashboardPage(tab)
        page.open(url)
        page.step(nights)
        return page.screenshot(Path(out))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="PNG to write "
                    "(default docs/img/dashboard.png)")
    ap.add_argument("--nights", type=int, default=5, help="nights to step first (default 5)")
    ap.add_argument("--chromium", default=None, help="Chromium or Chrome binary")
    args = ap.parse_args(argv)
    t0 = time.time()
    path = capture(args.out, args.nights, args.chromium)
    print(f"wrote {path} in {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
