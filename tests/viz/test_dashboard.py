"""The SolaraViz dashboard (`solara run sim/viz/dashboard.py`).

As Mesa tests its examples: import the app, build its page, build the model from the page's
parameters and step it; render the page (solara.render, no browser). Then, when Chromium is
installed, start the real server and use the page in headless Chromium as a person does
(scripts/dashboard_screenshot.py drives it over the DevTools protocol): step nights, drag the
budget slider to EUR 0 with the mouse, press Reset, step again, and check that the totals and
the map changed as the model says they must.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import time
import warnings

import numpy as np
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
                           start="2026-01-01", nights=2)
    sc = m.spec if hasattr(m, "spec") else m.scenario
    assert sc.defense.budget_eur == 350e6 and sc.defense.interceptor.pk == 0.5
    assert sc.threat.launches.intensity_multiplier == 1.5
    assert sc.defense.basing.policy == "corridors" and m.seed_root == 7
    assert str(sc.period.start_date) == "2026-01-01" and sc.period.nights == 2
    with pytest.raises(SimInputError):
        app.DashboardModel(seed="abc", nights=1)
    with pytest.raises(SimInputError, match="runs from"):
        app.DashboardModel(start="2027-01-01", nights=1)


def test_first_night_defaults_to_the_first_delivery_whatever_the_budget():
    """The default run starts when the programme's first interceptors arrive, so a budget
    change shows from the first night; it then runs to the end of the winter."""
    from sim.model.forces import first_delivery_date

    base = app.base_scenario()
    first = first_delivery_date(base.defense)
    assert app.START_DEFAULT.startswith(first.isoformat())
    assert app.START_VALUES[0].startswith(base.period.start_date.isoformat())
    end = base.period.start_date + dt.timedelta(days=base.period.nights - 1)
    with_prog, without = app.DashboardModel(), app.DashboardModel(budget_m_eur=0)
    for m in (with_prog, without):
        assert m.dates[0] == first and m.dates[-1] == end
        m.step()
    assert with_prog.record["programme_sites"] > 0 and without.record["programme_sites"] == 0
    winter = app.DashboardModel(start=app.START_VALUES[0], nights=1)
    assert winter.dates[0] == base.period.start_date


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
    for col in ("launched", "destroyed", "lost_ew", "leaked", "existing_interceptors_launched",
                "interceptors_launched", "interceptor_kills", "existing_interceptor_kills"):
        assert t[col] == rows_a[col].sum(), col
    assert t["programme_stock"] == rows_a["programme_stock"].iloc[-1] == a.forces[1].stock
    assert t["national_stock"] == a.forces[0].stock
    assert t["programme_sites"] == rows_a["programme_sites"].max()
    md = app.totals_markdown(a)
    assert f"| Drones launched | {int(t['launched']):,} (" in md
    rows, frows = app.totals_rows(a)
    forces = {r[0]: r[1:] for r in frows}
    assert forces["Interceptors launched"] == (f"{int(t['existing_interceptors_launched']):,}",
                                               f"{int(t['interceptors_launched']):,}")
    html = app.totals_html(a)
    assert "Ukraine&#x27;s own units" in html and "<th" in html
    # the power system as people live it: the mean over the nights so far, and tonight
    labels = dict(rows)
    for name, unit in (("outage_hours_per_day", "h"), ("peak_deficit_gw", "GW")):
        assert t[name] == pytest.approx(rows_a[name].mean())
        assert t[f"{name}_tonight"] == rows_a[name].iloc[-1]
        text = labels[app.OUTCOMES[name].label + ", so far"]
        assert text.startswith(app._fmt(name, t[name]) + f" {unit} (tonight ")


def test_headline_names_both_forces():
    m = app.DashboardModel(budget_m_eur=450, nights=1)
    head, settings = app.headline(m)
    assert "Ukraine's own interceptor units plus a EUR 450M programme" in head
    assert "seed 20251101" in settings


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
def _driver():
    spec = importlib.util.spec_from_file_location(
        "dashboard_screenshot", ROOT / "scripts" / "dashboard_screenshot.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ds = _driver()
CHROMIUM = ds.find_chromium()
BUDGET = "Programme budget (EUR million)"
PROGRAMME_GREEN = (0, 158, 115)  # OKABE_ITO["green"]: only the programme is drawn in it


def _green_pixels(png: bytes) -> int:
    """Pixels of the map in the programme's green (its launch sites, envelopes' edges, radars,
    sorties and legend entries)."""
    from matplotlib.image import imread

    rgb = np.round(imread(io.BytesIO(png))[..., :3] * 255).astype(int)
    return int((np.abs(rgb - PROGRAMME_GREEN).max(axis=-1) <= 3).sum())


def _in_process(nights: int, **params):
    """The model the page must show: the dashboard's model built and stepped here."""
    m = app.DashboardModel(**params)
    for _ in range(nights):
        m.step()
    return m


@pytest.mark.skipif(CHROMIUM is None, reason="the browser check needs Chromium (Debian/Ubuntu: "
                    "apt-get install chromium; or set CHROMIUM=/path/to/chrome)")
def test_dashboard_in_headless_chromium_slider_reaches_totals_and_map(tmp_path):
    """A person's session: step four nights at the default EUR 200M (the programme's few first
    crews, cued on a share of nights, first fly on the fourth); drag the budget slider to
    EUR 0 and press Reset; step four nights again. The totals and the map must be those of
    the model at each budget (built here, independently of the page), the programme's column
    must read 0 at EUR 0, and the map must lose the programme's green."""
    pytest.importorskip("websockets", reason="the DevTools client needs websockets")
    nights = 4
    t0 = time.time()
    try:
        with ds.serve(tmp_path / "solara.log") as url, \
                ds.browser(CHROMIUM, tmp_path / "profile") as tab:
            page = ds.DashboardPage(tab, map_class=app.MAP_CLASS)
            page.open(url)
            text = page.text()
            assert app.TITLE in text and tab.js("document.title") == app.TITLE
            for label in (BUDGET, "Threat intensity", "Interceptor kill probability pk",
                          "First night", "RESET", "STEP"):
                assert label in text, label
            assert "plus a EUR 200M programme" in text

            # 1. EUR 200M (the default): three nights.
            page.step(nights)
            forces_200 = page.table("Interceptor forces")
            map_200 = page.map_png()
            expect = _in_process(nights)
            _rows, frows = app.totals_rows(expect)
            assert forces_200 == {"Interceptor forces": [app.NATIONAL, app.PROGRAMME],
                                  **{r[0]: list(r[1:]) for r in frows}}
            assert int(forces_200["Interceptors launched"][1].replace(",", "")) > 0
            assert _green_pixels(map_200) > 50, "no programme on the map at EUR 200M"
            assert map_200 == app.map_png(expect), "the page's map is not the model's map"

            # 2. The slider, dragged with the mouse, then Reset (as SolaraViz asks).
            assert page.slider(BUDGET)["value"] == 200
            assert page.drag_slider(BUDGET, 0) == 0
            assert page.table("Interceptor forces") == forces_200  # not applied before Reset
            page.reset()
            assert page.nights() == 0
            assert "plus a EUR 0M programme" in page.text()
            page.step(nights)
            forces_0 = page.table("Interceptor forces")
            map_0 = page.map_png()

            # 3. The totals and the map are those of the model at EUR 0.
            expect = _in_process(nights, budget_m_eur=0)
            _rows, frows = app.totals_rows(expect)
            assert forces_0 == {"Interceptor forces": [app.NATIONAL, app.PROGRAMME],
                                **{r[0]: list(r[1:]) for r in frows}}
            for row in ("Interceptors launched", "Kills", "Launch sites active"):
                assert forces_0[row][1] == "0", (row, forces_0[row])
                assert forces_200[row][0] != "" and forces_0[row][0] != "0", row
            assert map_0 != map_200, "the map did not change with the budget"
            assert _green_pixels(map_0) == 0, "programme drawn on the map at EUR 0"
            assert map_0 == app.map_png(expect), "the page's map is not the model's map at EUR 0"
            assert page.text().count(f"Nights simulated\t{nights} (last: "
                                     f"{expect.record['date']})") == 1

            for bad in ("Traceback", "error in step", "Error:"):
                assert bad not in page.text(), bad
            assert not tab.errors(), tab.errors()
            shot = page.screenshot(tmp_path / "dashboard.png")
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    except Exception:
        log = tmp_path / "solara.log"
        if log.exists():
            print(log.read_text()[-4000:])
        raise
    print(f"browser session: {time.time() - t0:.1f} s")


def test_net_effect_steps_the_counterfactual_in_lockstep():
    """With net effects on, the page steps the same nights with no programme alongside and
    shows the net effect so far (the registry's identity holds); off, it says the figures are
    gross and runs one model."""
    m = app.DashboardModel(**{**_defaults(), "nights": 5})
    for _ in range(5):
        m.step()
    cf = m.counterfactual
    assert cf is not None and cf.night == m.night == 5
    assert cf.spec.defense.budget_eur == 0
    a = cf.datacollector.get_model_vars_dataframe()
    b = m.datacollector.get_model_vars_dataframe()
    np.testing.assert_array_equal(a["launched"], b["launched"])  # the same raids
    t = app.net_totals(m)
    assert t["net_drones_stopped"] == t["interceptor_kills"] - t["displacement"]
    assert t["interceptor_kills"] > 0
    text = app.totals_html(m)
    assert app.NET_TITLE in text and "Displacement" in text
    off = app.DashboardModel(**{**_defaults(), "nights": 2, "net": False})
    off.step()
    assert off.counterfactual is None and app.net_totals(off) is None
    assert "gross" in app.totals_markdown(off) and "net effects off" in app.headline(off)[1]
    for model in (m, cf, off):
        model.remove_all_agents()
