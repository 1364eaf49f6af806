"""What limits each force, in words: the ``forces`` command's report (``python -m sim forces
SCENARIO BUDGET...``), written from the one account of :mod:`sim.model.forces.limits` that
``sim run`` prints too."""

from __future__ import annotations

import datetime as dt

from sim.model.forces.limits import (
    USE_WORDS,
    ForceLimits,
    LimitsAccount,
    RunEvidence,
    limits_account,
    words,
)
from sim.model.forces.schedule import ForceSchedule


def limited_by_text(force: ForceSchedule, labels: tuple | None = None,
                    stock_end: int | None = None) -> str:
    """One force's sentence of the account (:meth:`sim.model.forces.limits.ForceLimits.text`),
    from its schedule alone or with month labels after a run (:func:`binding_after_run`) and
    the airframes left in stock at the end."""
    evidence = None
    if labels is not None:
        evidence = RunEvidence(labels=tuple(labels), leak_nights=None, geometry_nights=None,
                               stock_end=stock_end, replicates=1)
    return ForceLimits(force, evidence).text()


def _force_lines(fl: ForceLimits, on: dt.date) -> list[str]:
    f = fl.force
    v = f.at(on)
    if f.name == "programme":
        head = (f"programme EUR {f.budget_eur / 1e6:,.0f}M: {v['airframes_delivered']:,} "
                f"airframes delivered, {v['crews_qualified']} crews qualified, "
                f"{v['crews_active']} active, {v['ground_stations']} ground stations, "
                f"{v['sites_active']} of {v['sites_ready']} sites active, {v['radars']} radars, "
                f"spent EUR {v['spend_eur'] / 1e6:,.1f}M")
    else:
        head = (f"national force: {v['airframes_delivered']:,} airframes delivered (with stock "
                f"at start), {v['crews_qualified']} crews qualified, {v['crews_active']} "
                f"active, {v['ground_stations']} ground stations, {v['sites_active']} of "
                f"{v['sites_ready']} sites active, {v['radars']} radars")
    lines = [head, "  " + fl.text()]
    ev = fl.evidence
    use = fl.use
    for j, (m, lab, det) in enumerate(zip(f.months, fl.capacity, f.binding_detail,
                                          strict=True)):
        det = det if det.startswith(words(lab)) or det.startswith(lab) else f"{lab}: {det}"
        row = f"    {m}  can fly  {det}"
        if use is not None:
            row += f"\n    {'':7}  stops    {USE_WORDS[use[j]]}"
            if ev.geometry_nights is not None:
                row += (f": crews and airframes left over on {ev.geometry_nights[j]:,.1f} of "
                        f"{ev.leak_nights[j]:,.1f} nights with leakers")
        lines.append(row.rstrip())
    return lines


def forces_report(scenario, budgets_eur: list[float], on: dt.date | None = None,
                  evidence: dict[float, dict[str, RunEvidence]] | None = None) -> str:
    """A plain-text report of both forces for several programme budgets: each force's sentence
    of the account and, month by month, what caps what it can fly (with the numbers behind
    it) and, when runs are given (``evidence``: budget -> force name -> :class:`RunEvidence`;
    ``sim forces --simulate N``), what limits what it stops.

    ``python -m sim forces scenarios/nl-200m.yaml 0 2e8 4e8 8e8`` prints it.
    """
    from sim.config.io import with_overrides
    from sim.model.forces.limits import GEOMETRY
    from sim.model.theatre import schedules_for

    on = on or scenario.period.dates[-1]
    evidence = evidence or {}
    lines = [f"{scenario.name}: forces on {on} (sim/model/forces)", ""]
    shown_national = False
    geometry = False
    for b in budgets_eur:
        sc = with_overrides(scenario, {"defense.budget_eur": float(b)})
        acc: LimitsAccount = limits_account(schedules_for(sc), evidence.get(b))
        geometry |= "geometry" in acc.labels
        if b in evidence or not shown_national:  # the national force's use depends on the run
            lines += _force_lines(acc["national"], on) + [""]
            shown_national = b not in evidence
        lines += _force_lines(acc["programme"], on) + [""]
    if not evidence:
        lines.append("What each force stops is not simulated here: `sim forces --simulate N` "
                     "(or `sim run`) adds it.")
    if geometry:
        lines.append(GEOMETRY[0].upper() + GEOMETRY[1:] + ".")
    return "\n".join(lines).rstrip()
