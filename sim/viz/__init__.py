"""Figures, maps and the dashboard. Nothing in the package imports this layer.

Every figure function is available here (``from sim import viz; viz.plot_map(model)``); each
reads results (runs, nights, comparison or sensitivity tables) or a model's agents and
returns ``(fig, ax)``. The dashboard is :mod:`sim.viz.dashboard` (``solara run``).
"""

from sim.viz.discovery import plot_cart_tree, plot_discovery
from sim.viz.figures import (
    plot_comparison,
    plot_cost_effectiveness,
    plot_coverage_vs_budget,
    plot_hits_by_site,
    plot_outcome_vs_factor,
    plot_outcomes_by_group,
    plot_outcomes_grid,
    plot_sensitivity,
    plot_tornado,
    plot_winter_timeline,
)
from sim.viz.map import animate_night, pick_night, plot_map, site_states, ukraine_outline_km
from sim.viz.portfolio import plot_portfolio
from sim.viz.power import plot_outage_by_month, plot_outage_by_region
from sim.viz.style import (
    OKABE_ITO,
    factor_label,
    outcome_label,
    paired_by,
    save_figure,
    summarize_by,
)
from sim.viz.validation import (
    plot_launches,
    plot_neutralisation,
    plot_rolling_origin,
    plot_validation,
)

__all__ = [
    "OKABE_ITO",
    "animate_night",
    "factor_label",
    "outcome_label",
    "paired_by",
    "pick_night",
    "plot_cart_tree",
    "plot_comparison",
    "plot_cost_effectiveness",
    "plot_coverage_vs_budget",
    "plot_discovery",
    "plot_hits_by_site",
    "plot_launches",
    "plot_map",
    "plot_neutralisation",
    "plot_outage_by_month",
    "plot_outage_by_region",
    "plot_outcome_vs_factor",
    "plot_outcomes_by_group",
    "plot_outcomes_grid",
    "plot_portfolio",
    "plot_rolling_origin",
    "plot_sensitivity",
    "plot_tornado",
    "plot_validation",
    "plot_winter_timeline",
    "save_figure",
    "site_states",
    "summarize_by",
    "ukraine_outline_km",
]
