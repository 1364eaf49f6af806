"""Interactive dashboard on Mesa's SolaraViz: ``solara run sim/viz/dashboard.py``.

The scenario is Ukraine's own interceptor force (the baseline) plus the programme (the
increment). Sliders set the programme budget, the threat intensity and the interceptors' kill
probability ``pk`` (with the basing policy, the first night and the seed); *Reset* builds a new
model with them, *Step* runs one night, *Play* runs the winter. The page shows a live map of the
current night (energy sites by state, both forces' launch sites, envelopes and radars, tonight's
drone routes and sorties) and the running totals: the drones, and each force's interceptors
side by side. The base scenario is the shipped ``scenarios/nl-200m.yaml``.

With *Net effects* ticked (the default) the page also steps the same nights with no programme
(the counterfactual: budget 0, the same seed, so the same launches) in lockstep, and shows the
programme's net effect so far: drones stopped net of what the other layers would have stopped
(displacement), hits and energy not served avoided, and the cost per drone stopped with the
airframes left unused in stock. Unticked, each night takes half the time and the programme's
figures are gross (the page says so).

The run starts by default on the programme's first delivery date (1 Dec 2025 in ``nl-200m``,
``sim.model.forces.first_delivery_date``), whatever the budget, so that a budget change shows
from the first night; *First night* starts it on the first night of the winter or later.

The page holds no model logic: :class:`DashboardModel` is
:class:`sim.model.defense_model.DefenseModel` built from the scenario with the slider values as
overrides; the map (:func:`sim.viz.map.plot_map`) draws the model's agents and the totals read
its DataCollector through the outcome registry (:mod:`sim.model.outcomes`: labels, units,
formats).
"""

from __future__ import annotations

import datetime as dt
import functools
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
#: The CSS class of the live map's container (the browser check reads the image inside it).
MAP_CLASS = "sim-live-map"


@functools.lru_cache(maxsize=4)
def base_scenario(path: str | Path | None = None):
    """The dashboard's base scenario: ``path``, else the shipped ``scenarios/nl-200m.yaml``."""
    from sim.config.io import load_scenario

    return load_scenario(Path(path) if path else SCENARIO_FILE)


def start_options(scenario=None) -> tuple[list[str], str]:
    """The choices of the *First night* control and the default.

    The winter's first night, the programme's first delivery date (the default: a budget
    change shows from the first night; the same date whatever the budget) and the first of each
    later month, as ``YYYY-MM-DD`` strings followed by a note.
    """
    from sim.model.forces import first_delivery_date

    sc = scenario if scenario is not None else base_scenario()
    first = sc.period.start_date
    last = first + dt.timedelta(days=sc.period.nights - 1)
    delivery = first_delivery_date(sc.defense)
    days = {first: "start of the winter"}
    if first < delivery <= last:
        days[delivery] = "first programme deliveries"
    d = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    while d <= last:
        days.setdefault(d, "")
        d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
    values = [f"{d.isoformat()} ({note})" if note else d.isoformat()
              for d, note in sorted(days.items())]
    default = next((v for v in values if "first programme deliveries" in v), values[0])
    return values, default


START_VALUES, START_DEFAULT = start_options()


class DashboardModel(DefenseModel):
    """:class:`~sim.model.defense_model.DefenseModel` with the dashboard's parameters as keyword arguments
    (SolaraViz rebuilds the model with ``DashboardModel(**slider_values)`` on *Reset*).

    Args:
        budget_m_eur: programme budget (EUR million).
        intensity: threat intensity, the multiplier of the fitted nightly launches.
        pk: kill probability of one interceptor engagement (both forces).
        basing: basing policy of the programme's launch sites.
        start: first night simulated, ``YYYY-MM-DD`` (anything after the date is a note);
            default: the programme's first delivery date. The run ends on the winter's last
            night.
        seed: root seed (same seed, same raids: compare settings on the same winter).
        net: also step the same nights with no programme (:attr:`counterfactual`) for the net
            effects.
        nights: nights simulated (default: from ``start`` to the end of the winter).
        scenario_file: base scenario (default ``scenarios/nl-200m.yaml``).

    Attributes:
        counterfactual: the same scenario and seed with ``defense.budget_eur = 0``, stepped
            with this model night by night (``None`` without a programme or with ``net`` off).
    """

    def __init__(self, budget_m_eur: float = 200.0, intensity: float = 1.0, pk: float = 0.68,
                 basing: str = "energy_sites", start: str = START_DEFAULT,
                 seed: int | str = DEFAULT_SEED, net: bool = True, nights: int | None = None,
                 scenario_file: str | None = None):
        from sim.config.errors import SimInputError
        from sim.config.io import with_overrides

        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise SimInputError(f"seed {seed!r} is not an integer") from None
        base = base_scenario(scenario_file)
        first = base.period.start_date
        last = first + dt.timedelta(days=base.period.nights - 1)
        try:
            day = dt.date.fromisoformat(str(start).strip()[:10]) if start else first
        except ValueError:
            raise SimInputError(f"first night {start!r} is not a date (YYYY-MM-DD)") from None
        if not first <= day <= last:
            raise SimInputError(f"first night {day}: the scenario runs from {first} to {last}")
        overrides = {
            "defense.budget_eur": float(budget_m_eur) * 1e6,
            "threat.launches.intensity_multiplier": float(intensity),
            "defense.interceptor.pk": float(pk),
            "defense.basing.policy": str(basing),
            "period.start_date": day.isoformat(),
            "period.nights": (last - day).days + 1 if nights is None else int(nights),
        }
        scenario = with_overrides(base, overrides)
        super().__init__(scenario, seed=seed)
        self.counterfactual = None
        if net and scenario.defense.budget_eur > 0:
            self.counterfactual = DefenseModel(
                with_overrides(scenario, {"defense.budget_eur": 0.0}), seed=seed)
        self.dashboard_params = {"budget_m_eur": float(budget_m_eur),
                                 "intensity": float(intensity), "pk": float(pk),
                                 "basing": str(basing), "start": day.isoformat(), "seed": seed,
                                 "net": bool(net)}

    def step(self) -> None:
        """One night, and the same night with no programme when net effects are on."""
        super().step()
        if self.counterfactual is not None and self.counterfactual.running:
            self.counterfactual.step()


model_params = {
    "budget_m_eur": Slider("Programme budget (EUR million)", 200, 0, 1000, 25),
    "intensity": Slider("Threat intensity (x fitted launches)", 1.0, 0.25, 3.0, 0.25),
    "pk": Slider("Interceptor kill probability pk", 0.68, 0.30, 0.95, 0.01),
    "basing": {"type": "Select", "value": "energy_sites", "values": BASING,
               "label": "Basing of programme launch sites"},
    "start": {"type": "Select", "value": START_DEFAULT, "values": START_VALUES,
              "label": "First night"},
    "seed": {"type": "InputText", "value": DEFAULT_SEED, "label": "Random seed"},
    "net": {"type": "Checkbox", "value": True,
            "label": "Net effects (also run the same nights with no programme)"},
}


# ------------------------------------------------------------------------------ components
def _png(fig: Figure, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def map_png(model: DefenseModel) -> bytes:
    """The live map of the model's current night as PNG bytes (no pyplot state kept)."""
    fig = Figure(figsize=(7.0, 8.6), layout="constrained")
    if model.night == 0:
        title = (f"{vmap.model_scenario(model).name}: before the first night "
                 f"({model.dates[0]}; press Step or Play)")
    else:
        title = None
    vmap.plot_map(model, fig=fig, title=title, legend_loc="below")
    return _png(fig)


#: The running totals: (outcome in the registry, nightly column or aggregate).
DRONE_ROWS = ("launched", "destroyed", "lost_ew", "leaked", "hits_on_sites",
              "energy_not_served_mwh")
#: Each force's totals side by side: (row label, Ukraine's own units, programme).
FORCE_ROWS = (
    ("Interceptors launched", "existing_interceptors_launched", "interceptors_launched"),
    ("Kills", "existing_interceptor_kills", "interceptor_kills"),
    ("Interceptors in stock", "national_stock", "programme_stock"),
    ("Launch sites active", "national_sites", "programme_sites"),
    ("Crews", "national_crews", "programme_crews"),
)
NATIONAL, PROGRAMME = "Ukraine's own units", "Programme"
#: The power system as people live it: the winter so far (mean over the nights) and tonight.
POWER_ROWS = ("outage_hours_per_day", "peak_deficit_gw")
#: The net effect so far (net outcomes of the registry, against the counterfactual).
NET_ROWS = ("net_drones_stopped", "displacement", "net_hits_avoided",
            "net_energy_not_served_avoided_mwh", "net_cost_per_drone_stopped_eur")


def _winter_so_far(model: DefenseModel) -> dict[str, float]:
    df = model.datacollector.get_model_vars_dataframe()
    if not len(df):
        return {}
    return OUTCOMES.aggregate({c: df[c].to_numpy() for c in df.columns}, model.constants(),
                              everything=True)


def net_totals(model: DefenseModel) -> dict[str, float] | None:
    """The programme's net effect over the nights so far (the registry's net outcomes of this
    model against its :attr:`DashboardModel.counterfactual`), with the gross programme kills
    and the unused stock at cost; ``None`` without a counterfactual."""
    cf = getattr(model, "counterfactual", None)
    if cf is None:
        return None
    b = _winter_so_far(model)
    out = OUTCOMES.net_values(b, _winter_so_far(cf)) if b else {}
    for name in ("interceptor_kills", "unused_stock_eur", "programme_cost_eur"):
        out[name] = float(b.get(name, 0.0))
    return out


def net_rows(model: DefenseModel) -> list[tuple[str, str]]:
    """The net effect so far as ``(label, value)`` rows (labels and formats from the
    registry), or one row saying why there is none."""
    t = net_totals(model)
    if t is None:
        why = ("no programme" if vmap.model_scenario(model).defense.budget_eur <= 0
               else "off: the programme's figures are gross")
        return [("Net effect", why)]
    rows = []
    for name in NET_ROWS:
        if name == "displacement":
            rows.append(("  = programme kills (gross)", _fmt("interceptor_kills",
                                                             t["interceptor_kills"])))
        rows.append((("  - " if name == "displacement" else "") + OUTCOMES[name].label,
                     _fmt(name, t.get(name, float("nan")))))
    rows.append(("Programme airframes in stock, at cost",
                 f"{_fmt('unused_stock_eur', t['unused_stock_eur'])} of "
                 f"{_fmt('programme_cost_eur', t['programme_cost_eur'])} spent"))
    return rows


def totals(model: DefenseModel) -> dict[str, float]:
    """Running totals of the winter so far, aggregated from the model's DataCollector by the
    outcome registry (sums, last values, maxima as each outcome says), plus tonight's limits,
    demand served, hours without power and peak deficit (``<name>_tonight``; ``None`` with the
    energy model off)."""
    df = model.datacollector.get_model_vars_dataframe()
    if not len(df):
        v: dict = {}
    else:
        v = OUTCOMES.aggregate({c: df[c].to_numpy() for c in df.columns}, everything=True)
    out: dict = {"nights": len(df)}
    names = {*DRONE_ROWS, "programme_cost_eur", "interception_rate", *POWER_ROWS}
    names |= {n for _lab, a, b in FORCE_ROWS for n in (a, b)}
    for name in names:
        out[name] = float(v.get(name, 0.0)) if name in v or not len(df) else float("nan")
    last = df.iloc[-1] if len(df) else None
    for name in POWER_ROWS:
        out[f"{name}_tonight"] = last[name] if last is not None and name in df else None
    for col in ("national_limit", "programme_limit", "demand_served_fraction"):
        out[col] = last[col] if last is not None and col in df else None
    return out


def _fmt(name: str, value) -> str:
    o = OUTCOMES.get(name)
    if value is None:
        return "-"
    if o is None:
        return str(value)
    text = o.format(value)
    if o.kind == "count" and o.unit and text.endswith(" " + o.unit):
        text = text[: -len(o.unit) - 1]  # the row says what is counted
    return text


def totals_rows(model: DefenseModel) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """The running totals as text: ``(drone rows, force rows)``; a drone row is ``(label,
    value)``, a force row ``(label, Ukraine's own units, programme)`` (labels and formats from
    the outcome registry)."""
    t = totals(model)
    date = model.record["date"] if model.record else "-"
    rows = [("Nights simulated", f"{t['nights']} (last: {date})")]
    for name in DRONE_ROWS:
        text = _fmt(name, t[name])
        if name == "launched" and t["nights"]:
            text += f" ({_fmt('interception_rate', t['interception_rate'])} neutralised)"
        rows.append((OUTCOMES[name].label, text))
    served = t["demand_served_fraction"]
    rows.append((OUTCOMES["served_mw"].label + " tonight",
                 "-" if served is None else _fmt("demand_served_fraction", served)))
    for name in POWER_ROWS:  # the winter so far (means over the nights) and tonight
        tonight = t[f"{name}_tonight"]
        if tonight is None:  # the energy model is off
            continue
        unit = {"hours": "h"}.get(OUTCOMES[name].unit, OUTCOMES[name].unit)
        rows.append((OUTCOMES[name].label + ", so far",
                     f"{_fmt(name, t[name])} {unit} (tonight {_fmt(name, tonight)} {unit})"))
    frows = [(lab, _fmt(a, t[a]), _fmt(b, t[b])) for lab, a, b in FORCE_ROWS]
    frows.append((OUTCOMES["programme_cost_eur"].label + " so far", "-",
                  _fmt("programme_cost_eur", t["programme_cost_eur"])))
    frows.append(("What caps what it can fly tonight", t["national_limit"] or "-",
                  t["programme_limit"] or "-"))
    return rows, frows


NET_TITLE = "Net effect so far (against the same nights with no programme)"


def totals_markdown(model: DefenseModel) -> str:
    """The running totals as markdown: the drones, each force side by side, the net effect."""
    rows, frows = totals_rows(model)
    drones = "| Running totals | |\n|---|---:|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    forces = (f"| Interceptor forces | {NATIONAL} | {PROGRAMME} |\n|---|---:|---:|\n"
              + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in frows))
    net = (f"| {NET_TITLE} | |\n|---|---:|\n"
           + "\n".join(f"| {a} | {b} |" for a, b in net_rows(model)))
    return drones + "\n\n" + forces + "\n\n" + net


def _html_table(head: tuple[str, ...], rows) -> str:
    from html import escape

    th = "".join(f'<th style="text-align:{"left" if i == 0 else "right"};padding:2px 8px">'
                 f"{escape(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align:{"left" if i == 0 else "right"};'
                         f'padding:2px 8px">{escape(str(c))}</td>' for i, c in enumerate(r))
        + "</tr>" for r in rows)
    return (f'<table style="border-collapse:collapse;margin:4px 0 12px 0"><thead><tr>{th}'
            f"</tr></thead><tbody>{body}</tbody></table>")


def totals_html(model: DefenseModel) -> str:
    """The running totals as two HTML tables (the page shows these: plain HTML needs no
    scripts from a CDN, so the page works offline)."""
    rows, frows = totals_rows(model)
    return (_html_table(("Running totals", ""), rows)
            + _html_table(("Interceptor forces", NATIONAL, PROGRAMME), frows)
            + _html_table((NET_TITLE, ""), net_rows(model)))


def headline(model: DefenseModel) -> tuple[str, str]:
    """What the page simulates (Ukraine's own force plus the programme) and the settings."""
    p = getattr(model, "dashboard_params", {})
    sc = vmap.model_scenario(model)
    budget = p.get("budget_m_eur", sc.defense.budget_eur / 1e6)
    first, last = model.dates[0], model.dates[-1]
    head = (f"{sc.name}: Ukraine's own interceptor units plus a EUR {budget:,.0f}M programme, "
            f"{first} to {last}")
    settings = (f"threat x{p['intensity']:g}, pk {p['pk']:.2f}, programme basing "
                f"{p['basing']}, seed {p['seed']}"
                + ("" if p.get("net", True) else "; net effects off (gross figures)")) if p else ""
    return head, settings


def headline_markdown(model: DefenseModel) -> str:
    """:func:`headline` as markdown."""
    head, settings = headline(model)
    return f"**{head}**" + (f"  \n{settings}" if settings else "")


def headline_html(model: DefenseModel) -> str:
    from html import escape

    head, settings = headline(model)
    return (f'<div style="margin:4px 0 8px 0"><b class="sim-headline">{escape(head)}</b><br>'
            f"{escape(settings)}</div>")


def history_png(model: DefenseModel) -> bytes:
    """Nightly launches and leakers, demand served, and households' hours without power, for
    the nights so far."""
    import pandas as pd

    fig = Figure(figsize=(6.0, 5.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
    with matplotlib.rc_context(style.RC):
        df = model.datacollector.get_model_vars_dataframe()
        if len(df):
            d = pd.to_datetime(df["date"])
            ax1.bar(d, df["launched"], width=1.0, color=style.OKABE_ITO["grey"],
                    label=OUTCOMES["launched"].label)
            ax1.bar(d, df["leaked"], width=1.0, color=style.OKABE_ITO["vermillion"],
                    label=OUTCOMES["leaked"].label)
            ax1.legend(loc="upper left", fontsize=8)
            if "demand_served_fraction" in df:
                ax2.plot(d, df["demand_served_fraction"], color=style.OKABE_ITO["blue"],
                         marker="o" if len(df) < 20 else None, markersize=3)
            if "outage_hours_per_day" in df:
                ax3.bar(d, df["outage_hours_per_day"], width=1.0,
                        color=style.OKABE_ITO["vermillion"])
        if len(model.dates):  # the whole winter on the axis, so the nights so far sit in it
            ax2.set_xlim(pd.Timestamp(model.dates[0]) - pd.Timedelta(days=1),
                         pd.Timestamp(model.dates[-1]) + pd.Timedelta(days=1))
        ax1.set_ylabel("Drones per night")
        ax2.set_ylabel(style.nightly_label("demand_served_fraction").replace(" served",
                                                                             "\nserved"))
        ax2.set_ylim(0, 1.02)
        ax2.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(xmax=1.0, decimals=0))
        ax3.set_ylabel("Hours without\npower a day")
        ax3.set_ylim(0, 24)
        loc = matplotlib.dates.AutoDateLocator(minticks=3, maxticks=6)
        ax3.xaxis.set_major_locator(loc)
        ax3.xaxis.set_major_formatter(matplotlib.dates.ConciseDateFormatter(loc))
        for ax in (ax1, ax2, ax3):
            style.finish_axes(ax)
    return _png(fig)


def MapView(model: DefenseModel):
    """Component: the live map of the current night."""
    png = solara.use_memo(lambda: map_png(model), dependencies=[id(model), model.night])
    solara.Title(TITLE)  # the browser tab's title
    with solara.Column(classes=[MAP_CLASS]):
        solara.Image(png, width="100%")


def Totals(model: DefenseModel):
    """Component: what is simulated, the running totals of both forces and the nights so far."""
    png = solara.use_memo(lambda: history_png(model), dependencies=[id(model), model.night])
    with solara.Column():
        solara.HTML(tag="div", unsafe_innerHTML=headline_html(model))
        solara.HTML(tag="div", unsafe_innerHTML=totals_html(model))
        solara.Image(png, width="100%")


def make_page(model: DefenseModel | None = None):
    """The SolaraViz page for a model (default: a new :class:`DashboardModel`)."""
    model = DashboardModel() if model is None else model
    return SolaraViz(model, components=[(MapView, 0), (Totals, 0)], model_params=model_params,
                     name=TITLE, play_interval=300)


model = DashboardModel()
page = make_page(model)
page  # noqa: B018 - what `solara run sim/viz/dashboard.py` serves
