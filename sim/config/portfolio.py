"""Scenario section ``defense.portfolio``: how the budget is spread over ways of keeping the
lights on (the *options*).

The options and the cost model of each (:data:`OPTIONS`, :class:`Options`, the packaged defaults
of ``sim/data/portfolio_options.csv``) are :mod:`sim.config.portfolio_options`; this module holds
the portfolio itself (:class:`Portfolio`), the interceptor-drone programme's share of the money
(:func:`programme_budget_eur`, :func:`programme_defense`), the checks of the portfolio against the
rest of the scenario (:func:`check_scenario`) and the options' cost table of ``docs/sources.md``
(:func:`cost_table_markdown`).

A scenario gives either ``shares`` (of ``defense.budget_eur``, summing to 1) or ``amounts_eur``
(summing to at most the budget), and may override any cost-model figure under ``options``;
entries not given keep their defaults. Bad input (an unknown option or item, with the closest
name; shares negative or not summing to 1; amounts above the budget; a unit cost of zero or
less; a portfolio on a scenario whose energy model is off) is a :class:`ScenarioError` naming
the key path and the reason (:func:`check_scenario`).

This module imports neither numpy nor pandas (fast start).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from sim.config.base import Strict
from sim.config.portfolio_options import (
    OPTION_NAMES,
    OPTIONS,
    SHARE_TOLERANCE,
    Options,
    table_rows,
    unknown_name,
)

WIRED: frozenset[str] = frozenset(OPTIONS)
"""Options whose effect the model applies (``docs/portfolio.md``: the mechanism of each). Money
on any other option is refused (:func:`check_scenario`): spent on nothing, it would be a silent
no-op."""


# --------------------------------------------------------------------------- the portfolio
def _check_names(v: dict[str, float], what: str) -> dict[str, float]:
    for k, x in v.items():
        if k not in OPTIONS:
            raise ValueError(unknown_name("option", str(k), OPTIONS))
        if not math.isfinite(x):
            raise ValueError(f"{k}: {what} must be a finite number (got {x})")
        if x < 0:
            raise ValueError(f"{k}: {what} must be >= 0 (got {x:g})")
    return v


class Portfolio(Strict):
    """``defense.portfolio``: the budget (``defense.budget_eur``) spread over the options.

    Give ``shares`` (summing to 1), ``amounts_eur`` (summing to at most the budget; the rest
    is not spent) or ``option`` (the whole budget on one option); options not listed get
    nothing.
    """

    shares: dict[str, float] | None = Field(
        None,
        description="Option -> share of defense.budget_eur (each >= 0, summing to 1). Options: "
        + ", ".join(OPTIONS) + ".")
    amounts_eur: dict[str, float] | None = Field(
        None,
        description="Option -> EUR (each >= 0, summing to at most defense.budget_eur); the rest "
        "of the budget is not spent.")
    option: str | None = Field(
        None,
        description="The whole budget on this one option: a shorthand for shares {OPTION: 1} "
        "(a sweep can vary it as a lever, e.g. sweeps/portfolio-ranking.yaml).")
    options: Options = Field(
        default_factory=Options,
        description="Cost model of each option (sources in sim/data/portfolio_options.csv); "
        "figures not given keep their defaults.")

    @field_validator("option")
    @classmethod
    def _option(cls, v):
        if v is not None and v not in OPTIONS:
            raise ValueError(unknown_name("option", str(v), OPTIONS))
        return v

    @field_validator("shares")
    @classmethod
    def _shares(cls, v):
        if v is None:
            return v
        _check_names(v, "share")
        total = sum(v.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"shares must sum to 1 (got {total:.6g}); give amounts_eur to spend "
                             "less than the budget")
        return v

    @field_validator("amounts_eur")
    @classmethod
    def _amounts(cls, v):
        return v if v is None else _check_names(v, "amount (EUR)")

    @model_validator(mode="after")
    def _one_form(self):
        if self.option is not None:
            if self.amounts_eur is not None or (self.shares is not None
                                                and self.shares != {self.option: 1.0}):
                raise ValueError("give one of option (the whole budget on one option), "
                                 "shares or amounts_eur")
            self.shares = {self.option: 1.0}
        if (self.shares is None) == (self.amounts_eur is None):
            raise ValueError("give either shares (of defense.budget_eur, summing to 1), "
                             "amounts_eur (EUR per option) or option (the whole budget on one), "
                             "not both and not neither")
        return self

    @classmethod
    def single(cls, option: str, options: Options | None = None) -> Portfolio:
        """The whole budget on one option (``options``: the cost models to keep)."""
        return cls(shares={option: 1.0}, options=options or Options())

    def money_eur(self, budget_eur: float) -> dict[str, float]:
        """EUR for every option (0 for options not listed)."""
        if self.shares is not None:
            given = {k: budget_eur * s for k, s in self.shares.items()}
        else:
            given = dict(self.amounts_eur or {})
        return {o: float(given.get(o, 0.0)) for o in OPTIONS}

    def label(self) -> str:
        """The mix in a few words, e.g. ``passive_protection 50%, interceptor_drones 50%``."""
        if self.shares is not None:
            parts = [f"{k} {100 * v:.0f}%" for k, v in self.shares.items() if v > 0]
        else:
            parts = [f"{k} EUR {v / 1e6:,.1f}M" for k, v in (self.amounts_eur or {}).items()
                     if v > 0]
        return ", ".join(parts) or "nothing"


def programme_budget_eur(defense) -> float:
    """The interceptor-drone programme's money: ``defense.budget_eur`` without a portfolio,
    else the portfolio's money on ``interceptor_drones``."""
    p = getattr(defense, "portfolio", None)
    if p is None:
        return float(defense.budget_eur)
    return p.money_eur(float(defense.budget_eur))["interceptor_drones"]


def programme_defense(defense):
    """The ``defense`` section as the programme sees it: the budget is the programme's money
    (:func:`programme_budget_eur`) and no portfolio (the schedules of the interceptor forces
    are built from it, :func:`sim.model.forces.force_schedule`). Without a portfolio it is
    ``defense`` itself."""
    if getattr(defense, "portfolio", None) is None:
        return defense
    return defense.model_copy(update={"budget_eur": programme_budget_eur(defense),
                                      "portfolio": None})


# --------------------------------------------------------------------------- cross-section checks
def _error_at(loc: tuple, message: str, value: Any) -> ValidationError:
    """A validation error at a key path below the model being validated."""
    return ValidationError.from_exception_data(
        "Scenario",
        [InitErrorDetails(type=PydanticCustomError("portfolio", message), loc=loc, input=value)],
    )


def _mechanism_off(scenario, given: dict[str, float]) -> tuple[str, str] | None:
    """``(option, reason)`` for an option with money whose mechanism the scenario switches off
    (its money would buy nothing), else ``None``."""
    if given["missile_interceptors"] > 0 and not scenario.threat.missiles.enabled:
        return ("missile_interceptors", "missile-defence interceptors, but missiles are not "
                "simulated (threat.missiles.enabled is false): they would never fire")
    fg = scenario.defense.layers.mobile_fire_groups
    if given["mobile_fire_groups"] > 0 and (fg.p_engage <= 0 or fg.engagements_per_night <= 0):
        return ("mobile_fire_groups", "mobile fire groups, but the fire-group layer engages "
                "nothing (defense.layers.mobile_fire_groups.p_engage or engagements_per_night "
                "is 0): more groups would change nothing")
    return None


def check_scenario(scenario) -> None:
    """Checks of ``defense.portfolio`` against the rest of the scenario (called by the schema
    after the sections are valid): amounts within ``defense.budget_eur``; missile items naming
    systems of ``defense.missile_defense``, and those the portfolio pays for enabled and with a
    cost per missile > 0; the energy model on (the options are compared by what they do to the
    power system); no money on an option the model does not apply (:data:`WIRED`) or whose
    mechanism the scenario switches off (missiles not simulated, a fire-group layer that
    engages nothing).

    Raises:
        ValidationError: at the key path of the first problem (the loader turns it into a
            :class:`~sim.config.errors.ScenarioError`).
    """
    d = scenario.defense
    p = getattr(d, "portfolio", None)
    if p is None:
        return
    root = ("defense", "portfolio")
    if not scenario.energy.enabled:
        raise _error_at(root, "a portfolio needs the energy model (energy.enabled is false): "
                        "its options act on the power system and are compared by demand "
                        "served", None)
    budget = float(d.budget_eur)
    if p.amounts_eur is not None:
        total = sum(p.amounts_eur.values())
        if total > budget * (1 + 1e-12) + 1e-6:
            raise _error_at(root + ("amounts_eur",),
                            f"amounts sum to EUR {total:,.0f}, above the budget "
                            f"(defense.budget_eur = EUR {budget:,.0f})", None)
    given = p.money_eur(max(budget, 1.0))
    form = "shares" if p.shares is not None else "amounts_eur"

    def at(option: str) -> tuple:
        return root + (("option",) if p.option is not None else (form, option))

    for option in OPTIONS:
        if given[option] > 0 and option not in WIRED:
            raise _error_at(at(option),
                            f"{OPTION_NAMES[option]}: the model does not apply this option yet "
                            f"(options it applies: {', '.join(o for o in OPTIONS if o in WIRED)}); "
                            "money on it would buy nothing in the simulation", None)
    off = _mechanism_off(scenario, given)
    if off is not None:
        raise _error_at(at(off[0]), off[1], None)
    systems = d.missile_defense.systems
    funded = given["missile_interceptors"] > 0
    for name, item in p.options.missile_interceptors.items.items():
        loc = root + ("options", "missile_interceptors", "items", name)
        if name not in systems:
            raise _error_at(loc, unknown_name("missile-defence system", name, list(systems))
                            + " (defense.missile_defense.systems)", None)
        s = systems[name]
        if not (funded and item.share > 0):
            continue  # no money for this system: its settings do not matter
        if not s.enabled:
            raise _error_at(loc, f"share {item.share:g} for a disabled system "
                            f"(defense.missile_defense.systems.{name}.enabled is false): its "
                            "interceptors would never fire", item.share)
        if not s.interceptor_cost_eur > 0:
            raise _error_at(loc, f"unit cost is defense.missile_defense.systems.{name}."
                            f"interceptor_cost_eur = {s.interceptor_cost_eur:g}; it must be > 0 "
                            "EUR to buy interceptors with money", s.interceptor_cost_eur)


# --------------------------------------------------------------------------- cost table
def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


def cost_rows() -> list[dict[str, str]]:
    """Every figure of every option's cost model with its unit, status and source: the rows of
    :data:`~sim.config.portfolio_options.DATA_FILE`, and before them the programme's defaults
    (``interceptor_drones``, from the schema) and the missile-defence systems' cost per missile
    (``sim.config.missiles``)."""
    from sim.config.missiles import MissileDefenseSystems
    from sim.config.schema import Defense

    d = Defense()
    c, dl, pr = d.costs, d.delivery, d.programme
    prog = [
        ("airframes", "unit_cost_eur", c.interceptor_unit_cost_eur, "EUR an airframe",
         "SOURCED", "defense.costs.interceptor_unit_cost_eur (USD 3-5k, Zelensky Oct 2025)"),
        ("crews", "unit_cost_eur", c.crew_training_cost_eur, "EUR a crew (training, kit)", "EST",
         "defense.costs.crew_training_cost_eur"),
        ("crews", "running_cost_eur_per_unit_month", c.crew_cost_eur_per_month,
         "EUR a crew a month", "EST", "defense.costs.crew_cost_eur_per_month"),
        ("crews", "crews_per_month", dl.crews_per_month, "crews entering training a month",
         "EST", "defense.delivery.crews_per_month"),
        ("crews", "weeks_to_qualify", pr.training.weeks_to_qualify, "weeks", "EST",
         "defense.programme.training.weeks_to_qualify"),
        ("ground_stations", "unit_cost_eur", c.ground_station_unit_cost_eur, "EUR a station",
         "EST", "defense.costs.ground_station_unit_cost_eur"),
        ("radars", "unit_cost_eur", c.radar_unit_cost_eur, "EUR a radar", "EST",
         "defense.costs.radar_unit_cost_eur"),
        ("launch_sites", "unit_cost_eur", c.launch_site_cost_eur, "EUR a site", "EST",
         "defense.costs.launch_site_cost_eur"),
        ("all", "lead_time_days", pr.contracting_lead_days, "days from the funding decision",
         "EST", "defense.programme.contracting_lead_days"),
        ("airframes", "reference_per_day", pr.production.reference_per_day,
         f"airframes a day for a EUR {pr.production.reference_eur / 1e6:,.0f}M order", "EST",
         "defense.programme.production (rate grows with the money ordered)"),
    ]
    rows = [{"option": "interceptor_drones", "item": i, "parameter": k, "value": _fmt(v),
             "unit": u, "status": s, "source": src} for i, k, v, u, s, src in prog]
    for name, s in MissileDefenseSystems().systems.items():
        rows.append({"option": "missile_interceptors", "item": name,
                     "parameter": "unit_cost_eur", "value": _fmt(s.interceptor_cost_eur),
                     "unit": "EUR a missile", "status": "EST",
                     "source": f"defense.missile_defense.systems.{name}.interceptor_cost_eur "
                               "(sim/config/missiles.py)"})
    for r in table_rows():
        rows.append({**r, "value": _fmt(float(r["value"]))})
    return rows


def cost_table_markdown() -> str:
    """The options' cost table (Markdown), as printed in ``docs/sources.md``."""
    lines = ["| option | item | figure | value | unit | status | source |",
             "|---|---|---|---|---|---|---|"]
    for r in cost_rows():
        src = r["source"].replace("|", "/")
        lines.append(f"| {r['option']} | {r['item'] or '(option)'} | `{r['parameter']}` | "
                     f"{r['value']} | {r['unit']} | {r['status']} | {src} |")
    return "\n".join(lines)
