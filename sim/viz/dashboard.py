"""Interactive dashboard on Mesa's SolaraViz: ``solara run sim/viz/dashboard.py``.

Sliders set the programme budget, the threat intensity and the interceptors' kill probability
``pk`` (and the basing policy and seed); *Reset* builds a new model with them, *Step* runs one
night, *Play* runs the winter. The page shows a live map of the current night (energy sites by
state, interceptor bases and envelopes, tonight's drone routes and sorties) and the running
totals of the winter. The base scenario is the shipped ``scenarios/nl-200m.yaml``.

The page holds no model logic: :class:`DashboardModel` is
:class:`sim.model.defense_model.DefenseModel` built from the scenario with the slider values as
overrides; the map (:func:`sim.viz.map.plot_map`) draws the model's agents and the totals read
its DataCollector.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import solara
from matplotlib.figure import Figure  # figures without pyplot: nothing kept between renders
from mesa.visualization import SolaraViz
from mesa.visualization.user_param import Slider

from sim.config.data import packaged_path
from sim.model.defense_model import DefenseModel
from sim.model.outcomes import OUTCOMES
from sim.viz import map as vmap
from sim.viz import style

TITLE = "Interceptor drones against Shahed raids, winter 2025-26"
SCENARIO_FILE = packaged_path("scenarios/nl-200m.yaml")
DEFAULT_SEED = 20251101
BASING = ["energy_sites", "corridors", "cities"]


def base_scenario(path: str | Path | None = None):
    """The dashboard's base scenario: ``path``, else the shipped ``scenarios/nl-200m.yaml``."""
    from sim.config.io import load_scenario

    return load_scenario(Path(path) if path else SCENARIO_FILE)


class DashboardModel(DefenseModel):
    """:class:`~sim.model.DefenseModel` with the dashboard's parameters as keyword arguments
    (SolaraViz rebuilds the model with ``DashboardModel(**slider_values)`` on *Reset*).

    Args:
        budget_m_eur: programme budget (EUR million).
        intensity: threat intensity, the multiplier of the fitted nightly launches.
        pk: kill probability of one interceptor engagement.
        basing: basing policy of the programme's launch sites.
        seed: root seed (same seed, same raids: compare settings on the same winter).
        nights: nights simulated (default: the scenario's winter).
        scenario_file: base scenario (default ``scenarios/nl-200m.yaml``).
    """

    def __init__(self, budget_m_eur: float = 200.0, intensity: float = 1.0, pk: float = 0.68,
                 basing: str = "energy_sites", seed: int | str = DEFAULT_SEED,
                 nights: int | None = None, scenario_file: str | None = None):
        from sim.config.errors import SimInputError
        from sim.config.io import with_overrides

        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise SimInputError(f"seed {seed!r} is not an integer") from None
        overrides = {
            "defense.budget_eur": float(budget_m_eur) * 1e6,
            "threat.launches.intensity_multiplier": float(intensity),
            "defense.interceptor.pk": float(pk),
            "defense.basing.policy": str(basing),
        }
        if nights is not None:
            overrides["period.nights"] = int(nights)
        scenario = with_overrides(base_scenario(scenario_file), overrides)
        super().__init__(scenario, seed=seed)
        self.dashboard_params = {"budget_m_eur": float(budget_m_eur),
                                 "intensity": float(intensity), "pk": float(pk),
                                 "basing": str(basing), "seed": seed}


model_params = {
    "budget_m_eur": Slider("Programme budget (EUR million)", 200, 0, 1000, 25),
    "intensity": Slider("Threat intensity (x fitted launches)", 1.0, 0.25, 3.0, 0.25),
    "pk": Slider("Interceptor kill probability pk", 0.68, 0.30, 0.95, 0.01),
    "basing": {"type": "Select", "value": "energy_sites", "values": BASING,
               "label": "Basing of programme launch sites"},
    "seed": {"type": "InputText", "value": DEFAULT_SEED, "label": "Random seed"},
}


# ------------------------------------------------------------------------------ components
def _png(fig: Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def map_png(model: DefenseModel) -> bytes:
    """The live map of the model's current night as PNG bytes (no pyplot state kept)."""
    fig = Figure(figsize=(8.6, 5.9), layout="constrained")
    if model.night == 0:
        title = (f"{vmap.model_scenario(model).name}: before the first night "
                 "(press Step or Play)")
    else:
        title = None
    vmap.plot_map(model, fig=fig, title=title)
    return _png(fig)


def totals(model: DefenseModel) -> dict[str, float]:
    """Running totals of the winter so far, aggregated from the model's DataCollector by the
    outcome registry."""
    df = model.datacollector.get_model_vars_dataframe()
    v = OUTCOMES.aggregate({c: df[c].to_numpy() for c in df.columns}, everything=True) if len(
        df) else {}
    last = df.iloc[-1] if len(df) else {}
    return {
        "nights": len(df),
        "launched": int(v.get("launched", 0)),
        "neutralised": int(v.get("destroyed", 0) + v.get("lost_ew", 0)),
        "destroyed": int(v.get("destroyed", 0)),
        "lost_ew": int(v.get("lost_ew", 0)),
        "leaked": int(v.get("leaked", 0)),
        "hits_on_sites": int(v.get("hits_on_sites", 0)),
        "interceptors_launched": int(v.get("interceptors_launched", 0)),
        "interceptor_kills": int(v.get("interceptor_kills", 0)),
        "programme_stock": int(model.forces[1].stock),
        "programme_spend_eur": float(v.get("programme_cost_eur", 0.0)),
        "energy_not_served_mwh": float(v.get("energy_not_served_mwh", 0.0)),
        "demand_served_tonight": (float(last["demand_served_fraction"])
                                  if len(df) and "demand_served_fraction" in df else None),
    }


def totals_markdown(model: DefenseModel) -> str:
    """The running totals as a markdown table."""
    t = totals(model)
    date = model.record["date"] if model.record else "-"
    n = t["launched"]
    share = f" ({100 * t['neutralised'] / n:.0f}%)" if n else ""
    kills = t["interceptor_kills"]
    per_kill = (f"EUR {t['programme_spend_eur'] / kills / 1e3:,.1f}k" if kills else "-")
    served = ("-" if t["demand_served_tonight"] is None
              else f"{100 * t['demand_served_tonight']:.1f}%")
    rows = [
        ("Nights simulated", f"{t['nights']} (last: {date})"),
        ("Drones launched", f"{n:,}"),
        ("Neutralised (destroyed + lost to EW)", f"{t['neutralised']:,}{share}"),
        ("Reached their target area", f"{t['leaked']:,}"),
        ("Warhead hits on energy sites", f"{t['hits_on_sites']:,}"),
        ("Programme interceptors launched", f"{t['interceptors_launched']:,}"),
        ("Programme interceptor kills", f"{kills:,}"),
        ("Programme interceptors in stock", f"{t['programme_stock']:,}"),
        ("Programme spend so far", f"EUR {t['programme_spend_eur'] / 1e6:,.1f}M"),
        ("Programme spend per kill so far", per_kill),
        ("Evening-peak demand served tonight", served),
        ("Energy not served so far", f"{t['energy_not_served_mwh'] / 1e3:,.0f} GWh"),
    ]
    head = "| Running totals | |\n|---|---:|\n"
    return head + "\n".join(f"| {a} | {b} |" for a, b in rows)


def history_png(model: DefenseModel) -> bytes:
    """Nightly launches and leakers, and demand served, for the nights so far."""
    import pandas as pd

    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    with matplotlib.rc_context(style.RC):
        df = model.datacollector.get_model_vars_dataframe()
        if len(df):
            d = pd.to_datetime(df["date"])
            ax1.bar(d, df["launched"], width=1.0, color=style.OKABE_ITO["grey"],
                    label="launched")
            ax1.bar(d, df["leaked"], width=1.0, color=style.OKABE_ITO["vermillion"],
                    label="reached target area")
            ax1.legend(loc="upper left", fontsize=8)
            if "demand_served_fraction" in df:
                ax2.plot(d, df["demand_served_fraction"], color=style.OKABE_ITO["blue"],
                         marker="o" if len(df) < 20 else None, markersize=3)
        if len(model.dates):  # the whole winter on the axis, so the nights so far sit in it
            ax2.set_xlim(pd.Timestamp(model.dates[0]) - pd.Timedelta(days=1),
                         pd.Timestamp(model.dates[-1]) + pd.Timedelta(days=1))
        ax1.set_ylabel("Drones per night")
        ax2.set_ylabel("Peak demand\nserved (%)")
        ax2.set_ylim(0, 1.02)
        ax2.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(xmax=1.0, decimals=0))
        loc = matplotlib.dates.AutoDateLocator(minticks=3, maxticks=6)
        ax2.xaxis.set_major_locator(loc)
        ax2.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(loc))
        for ax in (ax1, ax2):
            style._finish_axes(ax)
    return _png(fig)


def MapView(model: DefenseModel):
    """Component: the live map of the current night."""
    png = solara.use_memo(lambda: map_png(model), dependencies=[id(model), model.night])
    solara.Title(TITLE)  # the browser tab's title
    with solara.Column():
        solara.Image(png, width="100%")


def Totals(model: DefenseModel):
    """Component: running totals and the nights so far."""
    png = solara.use_memo(lambda: history_png(model), dependencies=[id(model), model.night])
    with solara.Column():
        p = getattr(model, "dashboard_params", {})
        if p:
            solara.Markdown(
                f"**EUR {p['budget_m_eur']:,.0f}M**, threat x{p['intensity']:g}, "
                f"pk {p['pk']:.2f}, basing {p['basing']}, seed {p['seed']}")
        solara.Markdown(totals_markdown(model))
        solara.Image(png, width="100%")


def make_page(model: DefenseModel | None = None):
    """The SolaraViz page for a model (default: a new :class:`DashboardModel`)."""
    model = DashboardModel() if model is None else model
    return SolaraViz(model, components=[(MapView, 0), (Totals, 0)], model_params=model_params,
                     name=TITLE, play_interval=300)


model = DashboardModel()
page = make_page(model)
page  # noqa: B018 - what `solara run sim/viz/dashboard.py` serves
