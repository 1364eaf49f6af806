"""Maps of the theatre: Ukraine's outline, energy sites by state, interceptor teams with their
envelopes, launch areas, and one night's attack and interceptor tracks (and an animation)."""

from __future__ import annotations

import functools
import json
import math
from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon

from sim.config.energy import GENERATION_TYPES, SUBSTATION_TYPES
from sim.viz.style import (
    OKABE_ITO,
    finish_axes,
    new_axes,
    styled,
)


# --------------------------------------------------------------------------- geography
@functools.lru_cache(maxsize=1)
def ukraine_outline_lonlat() -> list[np.ndarray]:
    """Rings of the packaged Ukraine outline as (n, 2) arrays of (lon, lat) degrees."""
    text = resources.files("sim").joinpath("data/ukraine_outline.geojson").read_text("utf-8")
    gj = json.loads(text)
    rings = []
    for feat in gj["features"]:
        geom = feat["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            rings.append(np.asarray(poly[0], float))  # exterior ring
    return rings


def ukraine_outline_km() -> list[np.ndarray]:
    """Rings of the outline projected to the model's km plane (:func:`sim.config.geo.project`)."""
    from sim.config.geo import project

    out = []
    for ring in ukraine_outline_lonlat():
        x, y = project(ring[:, 1], ring[:, 0])
        out.append(np.column_stack([x, y]))
    return out


SITE_STATES = {
    "intact": ("In service", OKABE_ITO["blue"]),
    "damaged": ("Damaged (partly available)", OKABE_ITO["orange"]),
    "down": ("Out of service", OKABE_ITO["vermillion"]),
    "hit": ("Hit this winter", OKABE_ITO["orange"]),
    "not_operational": ("Occupied or destroyed before winter", "#BBBBBB"),
}
SITE_MARKERS = {  # by site type group
    "Generation": ("o", GENERATION_TYPES),
    "Substation": ("s", SUBSTATION_TYPES),
    "Gas": ("D", ("gas_production", "gas_storage")),
    "Water utility": ("p", ("water_utility",)),
    "Line": ("_", ("line",)),
}
#: Markers of the defence and the threat (none is a site marker: each layer has its own shape).
LAUNCH_AREA_MARKER = "*"
LAUNCH_SITE_MARKER = "^"
RADAR_MARKER = "1"
KILL_MARKER = "x"
#: How the engagement envelopes are drawn, by force (``True``: the programme); the legend's
#: patches are made from the same properties, so they look as drawn.
ENVELOPE_STYLE = {
    False: {"facecolor": "none", "edgecolor": "#444444", "linestyle": (0, (3, 2)),
            "linewidth": 0.7},
    True: {"facecolor": to_rgba(OKABE_ITO["green"], 0.13), "edgecolor": OKABE_ITO["green"],
           "linestyle": "-", "linewidth": 0.6},
}
#: Colours of the forces: Ukraine's own interceptor units and the programme.
FORCE_COLOUR = {False: "black", True: OKABE_ITO["green"]}
FORCE_LABEL = {False: "Ukraine's own interceptor units", True: "Programme"}
#: Tracks of drones shot down by interceptors (not green: green is the programme).
KILLED_COLOUR = OKABE_ITO["sky_blue"]
MAJOR_CITIES = ("kyiv", "kharkiv", "odesa", "dnipro", "lviv", "zaporizhzhia")


def model_scenario(model):
    """The scenario a model runs (``model.spec``; ``model.scenario`` in older versions)."""
    spec = getattr(model, "spec", None)
    if spec is not None and hasattr(spec, "threat"):
        return spec
    return model.scenario


def site_states(model=None, sites: pd.DataFrame | None = None) -> np.ndarray:
    """State of each energy site tonight: ``intact``, ``damaged``, ``down`` (from the energy
    model's availability), ``hit`` (hit this winter, when the energy model is off) or
    ``not_operational`` (occupied or destroyed before the winter). Read from the model's
    :class:`~sim.model.agents.EnergySite` agents."""
    if model is None:
        op = sites["status"].to_numpy() == "operational"
        state = np.full(len(sites), "intact", dtype=object)
        state[~op] = "not_operational"
        return state
    agents = model.energy_sites
    state = np.full(len(agents), "intact", dtype=object)
    energy = model.grid_operator is not None
    for i, site in enumerate(agents):
        if not site.operational:
            state[i] = "not_operational"
        elif energy:
            a = site.availability
            state[i] = "down" if a <= 1e-9 else "damaged" if a < 1.0 - 1e-9 else "intact"
        elif site.hits > 0:
            state[i] = "hit"
    return state


def _site_size(capacity_mw) -> np.ndarray:
    """Marker area (pt²) proportional to capacity, with a floor for small and gas sites."""
    return 14.0 + 0.045 * np.maximum(np.asarray(capacity_mw, float), 0.0)


def _map_extent(ax) -> None:
    ax.set_xlim(-720, 760)
    ax.set_ylim(-460, 700)
    ax.set_aspect("equal")


def _sortie_geometry(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of tonight's interceptor sorties (agents): launch point, end point (the drone's
    position when the sortie ended) and whether it killed."""
    sorties = list(model.sorties) if model.raid is not None else []
    if not sorties:
        z = np.zeros((0, 2))
        return z, z, np.zeros(0, bool)
    start = np.array([s.launch_km for s in sorties])
    end = np.array([s.end_km for s in sorties])
    return start, end, np.array([s.killed for s in sorties])


def _kill_times(model) -> np.ndarray:
    """Kill time of each drone killed by an interceptor tonight (``nan`` otherwise)."""
    n = model.raid.n if model.raid is not None else 0
    t = np.full(n, np.nan)
    for s in model.sorties:
        if s.killed:
            t[s.target] = s.t_end_s
    return t


def _truncate(pts: np.ndarray, times: np.ndarray, t_end: float) -> np.ndarray:
    """Route points up to time ``t_end`` (the last point interpolated)."""
    from sim.model.geometry import position_at

    keep = [p for p, tt in zip(pts, times, strict=True) if tt < t_end]
    return np.array([*keep, position_at(pts, times, t_end)])


@styled
def plot_map(model=None, *, ax=None, tracks: bool = True, envelopes: bool = True,
             launch_areas: bool = True, cities: bool = True, legend: bool = True,
             radars: bool = True, title: str | None = None, note: str | None = None,
             legend_loc: str = "right", figsize=(10.0, 6.6), fig=None):
    """Map of Ukraine for one night of a model (or a static map without a model).

    Draws the outline (Natural Earth, public domain), energy sites sized by capacity and
    coloured by tonight's state (shape: generation, substation, gas, water), the launch sites of
    Ukraine's own interceptor units (white triangles, dashed envelopes) and of the programme
    (green triangles, filled green envelopes), the radars, the launch areas (stars), and, after
    a ``model.step()``, tonight's attack-drone routes by fate and the interceptor sorties of each
    force (launch site to the drone's position when the sortie ended).

    Drones stopped by electronic warfare, guns or missiles are drawn along their planned route
    (the model does not record where they fell); interceptor kills end at the kill point.

    Args:
        model: a :class:`sim.model.defense_model.DefenseModel` (after at least one step for tracks), or
            ``None`` for the packaged energy sites only.
        ax: axes to draw into (default: a new figure).
        tracks, envelopes, launch_areas, cities, legend, radars: layers to draw.
        legend_loc: ``right`` (a column beside the map) or ``below`` (columns under it, for a
            narrow figure such as the dashboard's); only for a new figure.
        fig: an empty :class:`matplotlib.figure.Figure` to draw into (e.g. one made without
            pyplot, for a web page); default: a new pyplot figure.
        title: figure title (default: scenario, date and tonight's counts).
        note: a line added to the default title (e.g. why this night is shown).

    Returns:
        ``(fig, ax)``.
    """
    from sim.config.data import city_targets, load_sites
    from sim.config.data import launch_areas as _launch_areas

    legend_ax = None
    if ax is None and legend:
        fig = plt.figure(figsize=figsize) if fig is None else fig
        fig_w, fig_h = fig.get_size_inches()
        if legend_loc == "below":
            legend_h = 2.7  # inches: the legend groups in columns under the map
            gs = fig.add_gridspec(2, 1, height_ratios=[max(fig_h - legend_h, 3.0), legend_h])
            ax = fig.add_subplot(gs[0, 0])
            legend_ax = fig.add_subplot(gs[1, 0])
        else:
            legend_w = 2.75  # inches: the legend column's longest labels
            gs = fig.add_gridspec(1, 2, width_ratios=[max(fig_w - legend_w, 3.0), legend_w])
            ax = fig.add_subplot(gs[0, 0])
            legend_ax = fig.add_subplot(gs[0, 1])
        legend_ax.set_axis_off()
    elif ax is None and fig is not None:
        ax = fig.add_subplot()
    else:
        fig, ax = new_axes(ax, figsize)
    sites = model.sites if model is not None else load_sites()

    # Outline.
    for ring in ukraine_outline_km():
        ax.add_patch(Polygon(ring, closed=True, facecolor="#F2F2F2", edgecolor="#555555",
                             linewidth=0.9, zorder=0))

    handles_layers: list = []
    # Launch areas.
    if launch_areas:
        if model is not None:  # the model's launch areas and their shares of the launches
            xy = model.launch_areas[["x_km", "y_km"]].to_numpy(float).reshape(-1, 2)
            w = np.asarray(model.area_share, float)
        else:
            la = _launch_areas()
            xy, w = la[["x_km", "y_km"]].to_numpy(float), la["weight"].to_numpy(float)
        ax.scatter(xy[:, 0], xy[:, 1], s=40 + 160 * w / max(w.max(), 1e-12),
                   marker=LAUNCH_AREA_MARKER, color=OKABE_ITO["purple"], edgecolor="black",
                   linewidth=0.5, zorder=3)
        handles_layers.append(Line2D([], [], ls="", marker=LAUNCH_AREA_MARKER,
                                     color=OKABE_ITO["purple"], markeredgecolor="black",
                                     markersize=9, label="Launch area (size: launches)"))
    if cities:
        ct = city_targets()
        ct = ct[ct["id"].isin(MAJOR_CITIES)]
        for _, c in ct.iterrows():
            ax.annotate(c["name"], (c["x_km"], c["y_km"]), xytext=(4, 4),
                        textcoords="offset points", fontsize=8, color="#222222", zorder=8,
                        path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])

    # Interceptor bases, envelopes and radars.
    if model is not None:
        r_km = float(model.envelope_km)
        teams = model.teams  # tonight's interceptor teams of both forces
        for prog in (False, True):
            xy = np.array([t.xy_km for t in teams if t.programme == prog]).reshape(-1, 2)
            if envelopes:
                for x, y in xy:
                    ax.add_patch(Circle((x, y), r_km, zorder=1, **ENVELOPE_STYLE[prog]))
            if not len(xy):
                continue
            face = "white" if not prog else FORCE_COLOUR[True]
            ax.scatter(xy[:, 0], xy[:, 1], marker=LAUNCH_SITE_MARKER, s=26, facecolor=face,
                       edgecolor="black", linewidth=0.9 if not prog else 0.5, zorder=8)
            name = "Ukraine's own interceptor units" if not prog else "Programme launch sites"
            handles_layers.append(Line2D([], [], ls="", marker=LAUNCH_SITE_MARKER,
                                         markerfacecolor=face, markeredgecolor="black",
                                         markersize=7, label=f"{name} ({len(xy)})"))
            if envelopes:
                handles_layers.append(Patch(**ENVELOPE_STYLE[prog],
                                            label=f"{'Their' if not prog else 'Programme'} "
                                            f"envelopes ({r_km:.0f} km)"))
        net = getattr(model, "sensor_network", None)
        if radars and net is not None and len(getattr(net, "radars", ())):
            for prog in (False, True):
                xy = np.array([r.xy_km for r in net.radars if r.programme == prog]).reshape(-1, 2)
                if not len(xy):
                    continue
                ax.scatter(xy[:, 0], xy[:, 1], marker=RADAR_MARKER, s=38,
                           color=FORCE_COLOUR[prog], linewidth=1.1, zorder=9)
                lab = "Ukraine's radars" if not prog else "Programme radars"
                handles_layers.append(Line2D([], [], ls="", marker=RADAR_MARKER, markersize=8,
                                             markeredgewidth=1.1, color=FORCE_COLOUR[prog],
                                             label=f"{lab} ({len(xy)})"))

    # Tracks.
    handles_tracks: list = []
    if tracks and model is not None and model.raid is not None and model.raid.n:
        r = model.raid
        fates = np.array([d.fate for d in model.drones], dtype=object)
        t_kill = _kill_times(model)
        leaked = [r.pts[i] for i in np.flatnonzero(fates == "leaked")]
        other = [r.pts[i] for i in np.flatnonzero(np.isin(fates, ["ew", "fire_group", "missile"]))]
        killed_idx = np.flatnonzero(fates == "interceptor")
        killed = [_truncate(r.pts[i], r.times[i], t_kill[i]) for i in killed_idx
                  if np.isfinite(t_kill[i])]
        lw = 0.6 if r.n > 300 else 0.9
        if other:
            ax.add_collection(LineCollection(other, colors="#9A9A9A", linewidths=lw * 0.8,
                                             linestyles=(0, (2, 2)), alpha=0.6, zorder=2))
            handles_tracks.append(Line2D([], [], color="#9A9A9A", ls=(0, (2, 2)), lw=1,
                                        label=f"Stopped by EW, guns, missiles ({len(other)})"))
        if killed:
            ax.add_collection(LineCollection(killed, colors=KILLED_COLOUR, linewidths=lw,
                                             alpha=0.8, zorder=2))
            kp = np.array([k[-1] for k in killed])
            ax.scatter(kp[:, 0], kp[:, 1], marker=KILL_MARKER, s=14, color="black",
                       linewidth=0.8, zorder=4)
            handles_tracks.append(Line2D([], [], color=KILLED_COLOUR, lw=1.2, marker=KILL_MARKER,
                                         markeredgecolor="black", markersize=5,
                                         label=f"Shot down by interceptors ({len(killed)})"))
        if leaked:
            ax.add_collection(LineCollection(leaked, colors=OKABE_ITO["vermillion"],
                                             linewidths=lw * 1.2, alpha=0.85, zorder=3))
            handles_tracks.append(Line2D([], [], color=OKABE_ITO["vermillion"], lw=1.4,
                                         label=f"Reached its target area ({len(leaked)})"))
        start, end, _k = _sortie_geometry(model)
        prog = np.array([s.programme for s in model.sorties], bool)
        for p in (False, True):
            m = prog == p
            if not m.any():
                continue
            segs = np.stack([start[m], end[m]], axis=1)
            ax.add_collection(LineCollection(segs, colors=FORCE_COLOUR[p], linewidths=0.6,
                                             alpha=0.7, zorder=4))
            lab = "Programme sorties" if p else "Sorties, Ukraine's own units"
            handles_tracks.append(Line2D([], [], color=FORCE_COLOUR[p], lw=0.8,
                                         label=f"{lab} ({int(m.sum())})"))

    # Energy sites (on top of tracks so their state stays readable).
    state = site_states(model, sites)
    size = _site_size(sites["capacity_mw"])
    types = sites["type"].to_numpy()
    for _group, (marker, group_types) in SITE_MARKERS.items():
        in_group = np.isin(types, group_types)
        for st, (_lab, colour) in SITE_STATES.items():
            m = in_group & (state == st)
            if m.any():
                ax.scatter(sites["x_km"].to_numpy()[m], sites["y_km"].to_numpy()[m], s=size[m],
                           marker=marker, color=colour, edgecolor="black", linewidth=0.5,
                           alpha=0.95, zorder=7)

    _map_extent(ax)
    ax.set_xlabel("km east of 31.5°E")
    ax.set_ylabel("km north of 48.5°N")
    finish_axes(ax, grid=None)
    ax.spines["top"].set_visible(True)
    ax.spines["right"].set_visible(True)

    if legend:
        present = [s for s in SITE_STATES if (state == s).any()]
        h_state = [Line2D([], [], ls="", marker="o", markersize=7, color=SITE_STATES[s][1],
                          markeredgecolor="black", label=SITE_STATES[s][0]) for s in present]
        h_type = [Line2D([], [], ls="", marker=m, markersize=6, markerfacecolor="white",
                         markeredgecolor="black", label=g) for g, (m, ts) in SITE_MARKERS.items()
                  if np.isin(types, ts).any()]
        h_size = [Line2D([], [], ls="", marker="o", markerfacecolor="white",
                         markeredgecolor="black", markersize=math.sqrt(_site_size(c)),
                         label=f"{c:,} MW") for c in (500, 2000, 6000)]
        groups = [(h_state, "Energy sites", 1), (h_type, "Site type", 1),
                  (h_size, "Capacity", 3), (handles_layers, "Defence and threat", 1),
                  (handles_tracks, "Tonight's drones", 1)]
        _stack_legends(fig, legend_ax if legend_ax is not None else ax,
                       [g for g in groups if g[0]], outside=legend_ax is None)

    if title is None:
        title = _map_title(model)
        if note:
            import textwrap

            title += "\n" + textwrap.fill(note, 80)
    ax.set_title(title, loc="left")
    return fig, ax


def _stack_legends(fig, ax, groups, outside: bool) -> None:
    """Legends one below the other, in ``ax`` (a blank legend area) or right of the map; a
    group that would run off the area's bottom starts a new column to the right. If they do not
    fit the figure, smaller text."""
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):  # a bare Figure (no pyplot): give it an Agg canvas
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    to_axes = ax.transAxes.inverted()
    x0 = 1.01 if outside else 0.0
    for size in (8.0, 7.5, 7.0, 6.5, 6.0):
        x, y, col_right, made, fits = x0, 1.0, x0, [], True
        for handles, head, ncols in groups:
            for attempt in (0, 1):
                leg = Legend(ax, handles, [h.get_label() for h in handles], title=head,
                             loc="upper left", bbox_to_anchor=(x, y), alignment="left",
                             fontsize=size,
                             title_fontsize=size + 1, borderaxespad=0, handletextpad=0.5,
                             labelspacing=0.35, borderpad=0.2, ncols=ncols, columnspacing=0.6)
                leg.set_figure(fig)
                bb = leg.get_window_extent(renderer).transformed(to_axes)
                if bb.y0 >= -0.01 or y == 1.0 or attempt:
                    break
                x, y = col_right + 0.04, 1.0  # start a new column
            leg.get_title().set_fontweight("bold")
            ax.add_artist(leg)
            made.append(leg)
            col_right = max(col_right, bb.x1)
            fits &= bb.y0 >= -0.02
            y = bb.y0 - 0.025
        right = max(leg.get_window_extent(renderer).x1 for leg in made)
        if (fits and right <= fig.bbox.x1) or size == 6.0:
            return
        for leg in made:
            leg.remove()


def _map_title(model) -> str:
    if model is None or not model.record:
        name = model_scenario(model).name if model is not None else "Energy sites"
        return f"{name}: Ukraine's energy sites"
    rec = model.record
    n = len(getattr(model, "dates", ())) or model_scenario(model).period.nights
    parts = [f"{model_scenario(model).name}, night of {rec['date']} ({model.night} of {n}):",
             f"{rec['launched']} drones launched, {rec['leaked']} reached their target area,",
             f"{rec['hits_on_sites']} hits on energy sites"]
    return " ".join(parts[:1]) + "\n" + " ".join(parts[1:])


def pick_night(nights: pd.DataFrame, night: int | None = None) -> tuple[int, str]:
    """The night of a run to map, and why it was chosen (for the title).

    ``night`` (0-based) if given; else, in the first replicate, the night with the most
    launches among the nights with programme launch sites active (``programme_sites`` > 0, or
    programme interceptors delivered), so that the map shows both forces; if the programme is
    never active (a EUR 0 budget), the night with the most launches.

    Args:
        nights: ``nights.parquet`` of a run (``night``, ``launched``; ``replicate``,
            ``programme_sites``, ``programme_delivered`` when present).
        night: a night chosen by the user (``--night``).

    Returns:
        ``(night, why)``.
    """
    rep0 = nights
    if "replicate" in nights and len(nights):
        rep0 = nights[nights["replicate"] == nights["replicate"].min()]
    if night is not None:
        return int(night), "the night asked for"
    if not len(rep0):
        raise ValueError("the nights table is empty")
    active = np.zeros(len(rep0), bool)
    for col in ("programme_sites", "programme_delivered"):
        if col in rep0:
            active |= rep0[col].fillna(0).to_numpy(float) > 0
    if active.any():
        sub = rep0[active]
        row = sub.loc[sub["launched"].idxmax()]
        why = "the most launches while the programme is active"
    else:
        row = rep0.loc[rep0["launched"].idxmax()]
        why = "the most launches; the programme is never active"
    return int(row["night"]), why


@styled
def animate_night(model, path: str | Path | None = None, *, frames: int = 60, fps: int = 10,
                  dpi: int = 90, figsize=(8.0, 6.0)):
    """Animate the model's last night: drones and interceptors moving over the map.

    Drones are drawn from launch until impact (leakers), the kill (interceptor kills) or, for
    drones stopped by other layers (whose time of loss the model does not record), until their
    planned arrival, in grey. Interceptors fly from their launch site to the drone.

    Args:
        model: a model after at least one ``step()``.
        path: write the animation here (``.gif`` with Pillow, ``.mp4`` with ffmpeg); ``None``
            returns it unsaved (display it in a notebook with ``anim.to_jshtml()``).
        frames, fps, dpi: length, speed and resolution.

    Returns:
        ``(anim, fig)``: the :class:`matplotlib.animation.FuncAnimation` and its figure.
    """
    from matplotlib import animation

    from sim.model.geometry import positions_at

    if model.raid is None or model.raid.n == 0:
        raise ValueError("the model has no night to animate: call model.step() first")
    fig, ax = plot_map(model, tracks=False, legend=False, figsize=figsize)
    r = model.raid
    fates = np.array([d.fate for d in model.drones], dtype=object)
    t_kill = _kill_times(model)
    t_end = np.where(fates == "interceptor", np.nan_to_num(t_kill, nan=r.t_impact), r.t_impact)
    start, end, _killed = _sortie_geometry(model)
    s_t0 = np.array([s.t_launch_s for s in model.sorties], float)
    s_t1 = np.array([s.t_end_s for s in model.sorties], float)
    t0 = float(r.t_launch.min())
    t1 = float(np.nanmax(t_end))
    times = np.linspace(t0, t1, frames)
    colour = np.where(fates == "leaked", OKABE_ITO["vermillion"],
                      np.where(fates == "interceptor", KILLED_COLOUR, "#8A8A8A"))
    drones = ax.scatter([], [], s=9, zorder=8, edgecolor="none")
    sorties = ax.scatter([], [], s=9, marker="d", color=OKABE_ITO["blue"], zorder=9)
    clock = ax.text(0.01, 0.01, "", transform=ax.transAxes, fontsize=10, zorder=10,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    ax.legend(handles=[
        Line2D([], [], ls="", marker="o", color=OKABE_ITO["vermillion"],
               label="Drone: reaches target"),
        Line2D([], [], ls="", marker="o", color=KILLED_COLOUR,
               label="Drone: shot down by interceptor"),
        Line2D([], [], ls="", marker="o", color="#8A8A8A", label="Drone: stopped by other layers"),
        Line2D([], [], ls="", marker="d", color=OKABE_ITO["blue"], label="Interceptor in flight"),
    ], loc="upper left", fontsize=8)
    first_h = float(model_scenario(model).threat.arrival.first_launch_h)

    def update(k):
        t = times[k]
        on = (r.t_launch <= t) & (t <= t_end)
        xy = positions_at(r.pts, r.times, t)[on] if on.any() else np.zeros((0, 2))
        drones.set_offsets(xy)
        drones.set_facecolor(colour[on])
        fly = (s_t0 <= t) & (t <= s_t1)
        if fly.any():
            f = ((t - s_t0[fly]) / np.maximum(s_t1[fly] - s_t0[fly], 1e-9))[:, None]
            sorties.set_offsets(start[fly] + f * (end[fly] - start[fly]))
        else:
            sorties.set_offsets(np.zeros((0, 2)))
        h = (first_h + t / 3600.0) % 24
        clock.set_text(f"{model.record['date']}  {int(h):02d}:{int(60 * (h % 1)):02d} local")
        return drones, sorties, clock

    anim = animation.FuncAnimation(fig, update, frames=frames, interval=1000 / fps, blit=False)
    if path is not None:
        path = Path(path)
        if path.suffix.lower() == ".mp4":
            if not animation.writers.is_available("ffmpeg"):
                raise RuntimeError("writing MP4 needs ffmpeg on the PATH; write a .gif instead")
            writer = animation.FFMpegWriter(fps=fps)
        else:
            writer = animation.PillowWriter(fps=fps)
        anim.save(path, writer=writer, dpi=dpi)
    return anim, fig


# --------------------------------------------------------------------------- sweeps
