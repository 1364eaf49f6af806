"""What limits each interceptor force: one account, computed once, that every report prints.

Two questions per force and month, with one answer each:

* **What it can fly** (``capacity``): the constraint that caps its nightly sorties, from its
  schedule before any simulation (:func:`sim.model.forces.force_schedule`): ``time``,
  ``money``, ``airframes``, ``crews``, ``stations`` (ground stations), ``sites``, or any label
  a schedule adds. It answers "what would more money, training or equipment buy".
* **What it stops** (``use``), known only after a run: on the nights drones got through, did
  the force fly all it could (``capacity``: the first answer is also what limits its kills) or
  were crews and airframes left over (``geometry``, :data:`GEOMETRY`)? It answers "would more
  of the same, at the same sites, stop more".

The month's one label (``binding``, ``summary.json`` ``limits.<force>.by_month``) is
``geometry`` where the run says so, else the capacity label
(:func:`sim.model.forces.schedule.binding_after_run`). ``sim run``, ``sim forces`` (with or
without ``--simulate``), the headline chart's JSON, the README and the notebooks all print
:meth:`LimitsAccount.text`, so the same scenario gets the same words everywhere.

Labels are data: a schedule may add a label (a new constraint on the national force, say); it
flows through the account as it comes, with its words from :data:`MEANINGS` (a label without an
entry is shown as it is, with the schedule's own sentence in the month's detail).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sim.model.forces.schedule import ForceSchedule, ForceSchedules, binding_after_run, month_key

GEOMETRY = (
    "geometry: on the nights drones got through, the force flew fewer interceptors than its "
    "crews' sorties and its stock allowed, so what let them through was where and when they "
    "flew relative to its launch sites (out of range, tracked too late, or past a site whose "
    "crews were all busy at that moment), not how many crews or airframes it had in all"
)
"""What ``geometry`` means, printed wherever the label is shown."""

MEANINGS: dict[str, str] = {
    "time": "nothing yet: before the first deliveries and the first qualified crews",
    "money": "the budget: more money would have bought more of what binds",
    "airframes": "airframes: the stock is below the crews' expected use",
    "crews": "qualified crews: training capacity and the weeks to qualify",
    "stations": "ground stations: each serves a fixed number of crews",
    "sites": "launch sites ready: each holds a fixed number of crews",
    "geometry": GEOMETRY,
}
"""Each label's meaning (a label a schedule adds without an entry is shown as it is)."""

WORDS = {"stations": "ground stations", "sites": "launch sites"}
"""How a label reads in a sentence, where it differs from the label."""

WHO = {"national": "Ukraine's own force", "programme": "The programme"}

USE_WORDS = {"capacity": "what it can fly", "geometry": "geometry"}
"""How each answer to "what limits what it stops" reads."""


def words(label: str) -> str:
    return WORDS.get(label, label)


def meaning(label: str) -> str:
    return MEANINGS.get(label, label)


def month_name(key: str) -> str:
    y, m = key.split("-")
    return dt.date(int(y), int(m), 1).strftime("%b %Y")


def _spans(months, labels) -> list[tuple[str, str, str]]:
    """Runs of equal labels: ``(label, first month, last month)``."""
    out: list[tuple[str, str, str]] = []
    for m, lab in zip(months, labels, strict=True):
        if out and out[-1][0] == lab:
            out[-1] = (lab, out[-1][1], m)
        else:
            out.append((lab, m, m))
    return out


def _when(a: str, b: str) -> str:
    return month_name(a) if a == b else f"{month_name(a)} - {month_name(b)}"


# --------------------------------------------------------------------------- run evidence
def evidence_of_run(force: ForceSchedule, launched, stock_before, leaked) -> dict:
    """What one run says about a force: each month's label after the run
    (:func:`binding_after_run`), and its nights with leakers and, of those, the nights with
    crews and airframes left over (geometry nights)."""
    labels, _ = binding_after_run(force, launched, stock_before, leaked)
    launched = np.asarray(launched, float)
    stock = np.asarray(stock_before, float)
    leaked = np.asarray(leaked, float)
    spare = launched < np.minimum(force.sortie_capacity, stock) - 1e-9
    geometry = (leaked > 0) & spare & (force.crews_active > 0)
    keys = np.array([month_key(d) for d in force.dates])
    return {"months": list(force.months), "labels": list(labels),
            "leak_nights": [int(((keys == m) & (leaked > 0)).sum()) for m in force.months],
            "geometry_nights": [int(((keys == m) & geometry).sum()) for m in force.months]}


@dataclass(frozen=True)
class RunEvidence:
    """What the replicates of a run say about one force, month by month.

    Attributes:
        labels: the month's label after the run, the most common over replicates (ties: the
            first replicate's).
        leak_nights, geometry_nights: nights with leakers and, of those, nights with crews and
            airframes left over (means over replicates; ``None``: not counted).
        stock_end: airframes left in stock after the last night (mean over replicates).
        replicates: how many runs.
    """

    labels: tuple
    leak_nights: tuple | None
    geometry_nights: tuple | None
    stock_end: float | None
    replicates: int


def pool_evidence(per_run: list[dict], stock_end: list[float]) -> RunEvidence:
    """Several runs' :func:`evidence_of_run` of one force as one :class:`RunEvidence`."""
    months = per_run[0]["months"]
    labels = []
    for j in range(len(months)):
        votes = Counter(p["labels"][j] for p in per_run)
        labels.append(max(votes, key=lambda x: (votes[x], x == per_run[0]["labels"][j])))
    mean = lambda key: tuple(float(np.mean([p[key][j] for p in per_run]))  # noqa: E731
                             for j in range(len(months)))
    return RunEvidence(labels=tuple(labels), leak_nights=mean("leak_nights"),
                       geometry_nights=mean("geometry_nights"),
                       stock_end=float(np.mean(stock_end)), replicates=len(per_run))


# --------------------------------------------------------------------------- the account
@dataclass(frozen=True)
class ForceLimits:
    """What limits one force, month by month (see the module docstring)."""

    force: ForceSchedule
    evidence: RunEvidence | None = None

    @property
    def name(self) -> str:
        return self.force.name

    @property
    def months(self) -> tuple:
        return self.force.months

    @property
    def capacity(self) -> tuple:
        """What caps the sorties it can fly, each month (the schedule's label)."""
        return self.force.binding

    @property
    def use(self) -> tuple | None:
        """``geometry`` or ``capacity`` each month (``None``: not simulated)."""
        if self.evidence is None:
            return None
        return tuple("geometry" if lab == "geometry" else "capacity"
                     for lab in self.evidence.labels)

    @property
    def binding(self) -> tuple:
        """The month's one label: ``geometry`` where the run says so, else the capacity."""
        return self.capacity if self.evidence is None else self.evidence.labels

    def capacity_text(self) -> str:
        parts = [f"{words(lab)} ({_when(a, b)})" for lab, a, b in _spans(self.months,
                                                                           self.capacity)]
        return ", ".join(parts) if parts else "nothing (no nights)"

    def use_text(self) -> str:
        ev = self.evidence
        if ev is None:
            return "is not simulated here (sim run, or sim forces --simulate N)"
        parts = []
        keys = list(self.months)
        for lab, a, b in _spans(self.months, self.use):
            sel = slice(keys.index(a), keys.index(b) + 1)
            if lab == "geometry" and ev.geometry_nights is not None:
                geo, leak = sum(ev.geometry_nights[sel]), sum(ev.leak_nights[sel])
                parts.append(f"geometry ({_when(a, b)}: crews and airframes left over on "
                             f"{geo:,.0f} of {leak:,.0f} nights with leakers)")
            elif lab == "geometry":
                parts.append(f"geometry ({_when(a, b)})")
            else:
                parts.append(f"what it can fly ({_when(a, b)})")
        return "is limited by " + ", ".join(parts)

    def text(self) -> str:
        """One sentence: what caps its sorties, what limits what it stops, what it has."""
        f = self.force
        text = (f"{WHO.get(f.name, f.name)}: what it can fly is limited by "
                f"{self.capacity_text()}; what it stops {self.use_text()}")
        b = f.bought
        if b and f.name == "programme":
            text += (f"; bought {b.get('airframes', 0):,} airframes, {b.get('crews', 0):,} crews, "
                     f"{b.get('ground_stations', 0):,} ground stations, {b.get('sites', 0):,} "
                     f"sites, {b.get('radars', 0):,} radars")
        elif b:
            text += (f"; received {b.get('airframes', 0):,} airframes over the period; on the "
                     f"last night {b.get('crews', 0):,} crews, {b.get('ground_stations', 0):,} "
                     f"ground stations, {b.get('sites', 0):,} sites, {b.get('radars', 0):,} "
                     "radars")
        if f.name == "programme":
            text += f"; EUR {f.unused_eur / 1e6:,.1f}M of EUR {f.budget_eur / 1e6:,.0f}M unused"
            if f.on_order_eur > 0.5:
                text += f", EUR {f.on_order_eur / 1e6:,.1f}M on order after the last night"
        if self.evidence is not None and self.evidence.stock_end is not None:
            text += (f"; {round(self.evidence.stock_end):,} airframes unused in stock at the "
                     "end")
        return text

    def as_dict(self) -> dict:
        """The force's block of ``summary.json`` ``limits``."""
        f, ev = self.force, self.evidence
        out = {"by_month": dict(zip(self.months, self.binding, strict=True)),
               "unused_budget_eur": float(f.unused_eur),
               "on_order_eur": float(f.on_order_eur)}
        if ev is not None and ev.stock_end is not None:
            out["stock_end"] = ev.stock_end
        out["text"] = self.text()
        out["can_fly_text"] = "what it can fly is limited by " + self.capacity_text()
        out["stops_text"] = "what it stops " + self.use_text()
        out["capacity_by_month"] = dict(zip(self.months, self.capacity, strict=True))
        out["capacity_detail_by_month"] = dict(zip(self.months, f.binding_detail, strict=True))
        if ev is not None:
            out["use_by_month"] = dict(zip(self.months, self.use, strict=True))
        if ev is not None and ev.geometry_nights is not None:
            out["leak_nights_by_month"] = dict(zip(self.months, ev.leak_nights, strict=True))
            out["geometry_nights_by_month"] = dict(zip(self.months, ev.geometry_nights,
                                                       strict=True))
        return out


@dataclass(frozen=True)
class LimitsAccount:
    """Both forces' :class:`ForceLimits` (Ukraine's own force first)."""

    forces: tuple[ForceLimits, ...] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> ForceLimits:
        return next(f for f in self.forces if f.name == name)

    @property
    def labels(self) -> list[str]:
        """Every label the account uses, in order of first use."""
        seen = [lab for f in self.forces for lab in (*f.capacity, *f.binding)]
        return list(dict.fromkeys(seen))

    def text(self) -> str:
        """Both forces' sentences, then what ``geometry`` means when a force shows it."""
        lines = [f.text() for f in self.forces]
        if "geometry" in self.labels:
            lines.append(GEOMETRY[0].upper() + GEOMETRY[1:] + ".")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """``summary.json`` ``limits``: each force's block, the joined ``text``, and the
        meaning of every label used (``meanings``; ``geometry`` among them when shown)."""
        out: dict = {f.name: f.as_dict() for f in self.forces}
        out["text"] = self.text()
        out["meanings"] = {lab: meaning(lab) for lab in self.labels}
        return out


def limits_account(schedules: ForceSchedules,
                   evidence: dict[str, RunEvidence] | None = None) -> LimitsAccount:
    """The account of both forces: from their schedules alone (what they can fly), or with
    what runs of them showed (``evidence`` by force name, :func:`pool_evidence`)."""
    evidence = evidence or {}
    return LimitsAccount(tuple(ForceLimits(f, evidence.get(f.name)) for f in schedules.forces))


def account_from_summary(schedules: ForceSchedules, limits: dict) -> LimitsAccount:
    """The account rebuilt from a ``summary.json`` ``limits`` block (and the scenario's
    schedules): what ``sim forces --simulate`` and the headline read back."""
    evidence = {}
    for f in schedules.forces:
        block = limits.get(f.name, {})
        if "use_by_month" not in block:
            continue
        counted = "geometry_nights_by_month" in block
        evidence[f.name] = RunEvidence(
            labels=tuple(block["by_month"][m] for m in f.months),
            leak_nights=(tuple(block["leak_nights_by_month"][m] for m in f.months)
                         if counted else None),
            geometry_nights=(tuple(block["geometry_nights_by_month"][m] for m in f.months)
                             if counted else None),
            stock_end=block.get("stock_end"), replicates=0)
    return limits_account(schedules, evidence)
