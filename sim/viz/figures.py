"""Figures for policy analysts: maps, the budget curve, winter timelines, comparisons.

Every function takes results (a runs table, a nights table, a comparison or sensitivity table)
or a model, draws with matplotlib and returns ``(fig, ax)`` (``ax`` is an array when a figure
has several panels). Pass ``ax=`` to draw into an existing axes where a function has one panel.

Figures are made for print: the Okabe-Ito colour-blind-safe palette, 9-11 pt text at the
default sizes, units on every axis, and :func:`save_figure` writes PNG (200 dpi) and SVG.

Functions:
    plot_map(model): Ukraine with energy sites (size: capacity, colour: state), interceptor
        bases and their envelopes, launch areas, and tonight's attacker and interceptor tracks.
    animate_night(model, path): the last night as an animation (GIF, or MP4 with ffmpeg).
    plot_coverage_vs_budget(runs): the headline chart, coverage against budget with 95% CIs.
    plot_outcome_vs_factor(runs, factor, outcomes): any outcome against any numeric lever.
    plot_outcomes_grid(runs, factor): several outcomes' paired change from a reference level.
    plot_cost_effectiveness(runs): cost-exchange ratio and cost per kill against budget.
    plot_winter_timeline(nights): launches, available capacity against demand, and demand
        served per night, with replicate bands.
    plot_comparison(table): paired differences B - A with their confidence intervals.
    plot_sensitivity(table): Sobol', Morris or RBD-FAST indices as bars.
    plot_tornado(runs, factors, outcome): swing of an outcome across each factor's range.
    plot_hits_by_site(hits): the most-hit energy sites.
    plot_outage_by_month(runs): households' hours without power a day and the peak deficit,
        month by month, runs side by side (in sim.viz.power).
    plot_outage_by_region(summary): hours without power a day by oblast (in sim.viz.power).
    plot_validation (in sim.viz.validation): simulated against the Air Force record.

No model logic lives here: the functions only read results. The figures live in modules by
concept (sim.viz.sweeps, sim.viz.timeline, sim.viz.comparison, sim.viz.map,
sim.viz.power, sim.viz.validation); this module gathers them under one name for scripts and notebooks.
"""

from sim.viz.comparison import (  # noqa: F401
    COMPARE_DEFAULT,
    comparison_from_json,
    plot_comparison,
    plot_hits_by_site,
    scenario_label,
)
from sim.viz.map import (  # noqa: F401
    SITE_MARKERS,
    animate_night,
    pick_night,
    plot_map,
    site_states,
    ukraine_outline_km,
)
from sim.viz.power import plot_outage_by_month, plot_outage_by_region  # noqa: F401
from sim.viz.style import (  # noqa: F401
    OKABE_ITO,
    factor_label,
    outcome_label,
    paired_by,
    save_figure,
    summarize_by,
)
from sim.viz.sweeps import (  # noqa: F401
    FACTOR_SECTIONS,
    FUNDING_PANELS,
    SENS_DEFAULT,
    pairing_columns,
    plot_cost_effectiveness,
    plot_coverage_vs_budget,
    plot_outcome_vs_factor,
    plot_outcomes_by_group,
    plot_outcomes_grid,
    plot_sensitivity,
    plot_tornado,
)
from sim.viz.timeline import first_delivery, plot_winter_timeline  # noqa: F401
from sim.viz.validation import plot_validation  # noqa: F401 (lives in sim.viz.validation)
