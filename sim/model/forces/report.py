"""What limits each force, in words: the printed summary's "limited by ..." line and the
``forces`` command's report (``python -m sim forces SCENARIO BUDGET...``)."""

from __future__ import annotations

import datetime as dt

from sim.model.forces.schedule import ForceSchedule


def _month_name(key: str) -> str:
    y, m = key.split("-")
    return dt.date(int(y), int(m), 1).strftime("%b %Y")


def limited_by_text(force: ForceSchedule, labels: tuple | None = None,
                    stock_end: int | None = None) -> str:
    """The words for the printed summary, e.g. ``programme: limited by time (Nov 2025), money
    (Dec 2025 - Jan 2026), crews (Feb 2026 - Mar 2026); bought ...; EUR 3.2M unused``.

    Args:
        force: a schedule.
        labels: month labels to use (default: the schedule's; pass those of
            :func:`binding_after_run` after a run).
        stock_end: airframes left in stock after the last night (after a run).
    """
    labels = force.binding if labels is None else tuple(labels)
    runs: list[tuple[str, str, str]] = []
    for m, lab in zip(force.months, labels, strict=True):
        if runs and runs[-1][0] == lab:
            runs[-1] = (lab, runs[-1][1], m)
        else:
            runs.append((lab, m, m))
    parts = []
    for lab, a, b in runs:
        when = _month_name(a) if a == b else f"{_month_name(a)} - {_month_name(b)}"
        parts.append(f"{'ground stations' if lab == 'stations' else lab} ({when})")
    text = f"{force.name}: limited by " + (", ".join(parts) if parts else "nothing (no nights)")
    b = force.bought
    if b and force.name == "programme":
        text += (f"; bought {b.get('airframes', 0):,} airframes, {b.get('crews', 0):,} crews, "
                 f"{b.get('ground_stations', 0):,} ground stations, {b.get('sites', 0):,} sites, "
                 f"{b.get('radars', 0):,} radars")
    elif b:
        text += (f"; received {b.get('airframes', 0):,} airframes over the period; on the last "
                 f"night {b.get('crews', 0):,} crews, {b.get('ground_stations', 0):,} ground "
                 f"stations, {b.get('sites', 0):,} sites, {b.get('radars', 0):,} radars")
    if force.name == "programme":
        text += (f"; EUR {force.unused_eur / 1e6:,.1f}M of EUR {force.budget_eur / 1e6:,.0f}M "
                 f"unused")
        if force.on_order_eur > 0.5:
            text += f", EUR {force.on_order_eur / 1e6:,.1f}M on order after the last night"
    if stock_end is not None:
        text += f"; {int(stock_end):,} airframes unused in stock at the end"
    return text


def forces_report(scenario, budgets_eur: list[float], on: dt.date | None = None) -> str:
    """A plain-text report of both forces for several programme budgets (docs, checks).

    ``python -m sim forces scenarios/nl-200m.yaml 0 2e8 4e8 8e8`` prints it.
    """
    from sim.config.io import with_overrides

    on = on or scenario.period.dates[-1]
    lines = [f"{scenario.name}: forces on {on} (sim/model/forces)", ""]
    from sim.model.theatre import schedules_for

    nat = schedules_for(scenario).national
    v = nat.at(on)
    lines.append(f"national force: {v['airframes_delivered']:,} airframes delivered (with stock "
                 f"at start), {v['crews_qualified']} crews qualified, {v['crews_active']} "
                 f"active, {v['ground_stations']} ground stations, {v['sites_active']} of "
                 f"{v['sites_ready']} sites active, {v['radars']} radars")
    lines.append("  " + limited_by_text(nat))
    for m, lab, det in zip(nat.months, nat.binding, nat.binding_detail, strict=True):
        lines.append(f"    {m}  {lab:<9} {det}")
    for b in budgets_eur:
        sc = with_overrides(scenario, {"defense.budget_eur": float(b)})
        p = schedules_for(sc).programme
        v = p.at(on)
        lines += ["", f"programme EUR {b / 1e6:,.0f}M: {v['airframes_delivered']:,} airframes "
                  f"delivered, {v['crews_qualified']} crews qualified, {v['crews_active']} "
                  f"active, {v['ground_stations']} ground stations, {v['sites_active']} of "
                  f"{v['sites_ready']} sites active, {v['radars']} radars, spent EUR "
                  f"{v['spend_eur'] / 1e6:,.1f}M"]
        lines.append("  " + limited_by_text(p))
        for m, lab, det in zip(p.months, p.binding, p.binding_detail, strict=True):
            lines.append(f"    {m}  {lab:<9} {det}")
    return "\n".join(lines)
