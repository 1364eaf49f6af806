"""Tactics that change over the winter, and kill probabilities that depend on the target.

``threat.tactics.timeline`` gives, month by month (``"YYYY-MM"``), how the attacker flies:
the altitude distribution of Shahed-type drones and decoys (bands of uniform altitude; a band
that leaves out ``low_m`` or ``high_m`` takes each drone type's own limit: the Shahed type's for
Shaheds, the decoy type's for decoys), the shares of decoys and
jets, the share of drones that evade interceptors (rear-view cameras,
manoeuvres), and the big-salvo probability and size. A field left out of a month keeps the
scenario's constant value (``threat.decoy_share``, the type's altitude range, the fitted launch
profile). When a timeline is given it must cover every month of the period and no other.

:class:`KillTable` is a kill-probability factor as a function of one property of the target
(altitude in m, speed in km/h): breakpoints ``x`` (strictly increasing) and factors in [0, 1],
linear in between and flat beyond the ends. The interceptor's kill probability is
``pk x table(altitude) x table(speed) x (evading factor if the drone evades)``; a mobile fire
group's is ``pk x table(altitude)``.
"""

from __future__ import annotations

import math
import re

from pydantic import Field, field_validator, model_validator

from sim.config.base import Strict

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")



class KillTable(Strict):
    """A factor on a kill probability as a function of one target property."""

    x: list[float] = Field(
        min_length=2, description="Breakpoints of the input (its unit is in the key name), "
        "strictly increasing.")
    factor: list[float] = Field(
        min_length=2, description="Factor (0-1) at each breakpoint; linear in between, flat "
        "beyond the ends.")
    source: str = Field("", description="Where the numbers come from (free text).")

    @model_validator(mode="after")
    def _function(self) -> KillTable:
        if len(self.x) != len(self.factor):
            raise ValueError(f"x has {len(self.x)} breakpoints but factor has "
                             f"{len(self.factor)} values; they must match")
        if any(not math.isfinite(v) for v in self.x):
            raise ValueError("x must be finite numbers")
        bad = [i for i in range(1, len(self.x)) if self.x[i] <= self.x[i - 1]]
        if bad:
            i = bad[0]
            raise ValueError(f"x must be strictly increasing (x[{i}]={self.x[i]} after "
                             f"x[{i - 1}]={self.x[i - 1]}): a table must give one factor per "
                             "input")
        out = [f for f in self.factor if not (0.0 <= f <= 1.0)]
        if out:
            raise ValueError(f"factor values must be in [0, 1] (got {out[0]})")
        return self


class AltitudeBand(Strict):
    """Drones fly at a uniform altitude between ``low_m`` and ``high_m`` with weight ``share``.
    A limit left out is each drone type's own (``threat.types.<type>.altitude_min_m`` for
    ``low_m``, ``altitude_max_m`` for ``high_m``: the Shahed type's for Shaheds, the decoy type's
    for decoys), so a band ``{share: 0.8}`` follows the types' ranges wherever they are set (a
    sweep of ``threat.types.shahed.altitude_max_m`` moves the Shaheds' band, not the decoys')."""

    low_m: float | None = Field(
        None, ge=0, le=20000, description="Lowest altitude of the band (m); default: each "
        "drone type's altitude_min_m (threat.types.shahed, threat.types.decoy).")
    high_m: float | None = Field(
        None, ge=0, le=20000, description="Highest altitude of the band (m); default: each "
        "drone type's altitude_max_m (threat.types.shahed, threat.types.decoy).")
    share: float = Field(ge=0, le=1, description="Share of drones flying in this band.")

    @model_validator(mode="after")
    def _order(self) -> AltitudeBand:
        if self.low_m is not None and self.high_m is not None and self.high_m < self.low_m:
            raise ValueError("high_m must be >= low_m")
        return self

    def limits(self, type_min_m: float, type_max_m: float) -> tuple[float, float]:
        """``(low_m, high_m)`` with a limit left out taken from the type's range."""
        return (type_min_m if self.low_m is None else self.low_m,
                type_max_m if self.high_m is None else self.high_m)


class MonthTactics(Strict):
    """How the attacker flies in one month (fields left out keep the scenario's constants)."""

    altitude_bands_m: list[AltitudeBand] | None = Field(
        None, description="Altitude distribution of Shahed-type drones and decoys (bands, "
        "shares summing to 1); jets keep their type's range.")
    decoy_share: float | None = Field(None, ge=0, le=1, description="Share of launches that "
                                      "are decoys this month.")
    jet_share: float | None = Field(None, ge=0, le=1, description="Share of launches that are "
                                    "jet Geran-3 this month.")
    evading_share: float | None = Field(
        None, ge=0, le=1, description="Share of Shahed-type drones that see and evade "
        "interceptors (rear-view cameras, manoeuvres) this month.")
    p_salvo: float | None = Field(None, ge=0, le=1, description="Probability that an attack "
                                  "night is a big-salvo night this month.")
    salvo_mean: float | None = Field(None, ge=0, description="Mean launches of a big-salvo "
                                     "night this month (drones).")
    source: str = Field("", description="Where this month's values come from (free text).")

    @field_validator("altitude_bands_m")
    @classmethod
    def _bands(cls, v):
        if v is not None:
            if not v:
                raise ValueError("give at least one band, or leave altitude_bands_m out")
            total = sum(b.share for b in v)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"band shares sum to {total:.4f}; they must sum to 1")
        return v

    @model_validator(mode="after")
    def _shares(self) -> MonthTactics:
        if (self.decoy_share or 0.0) + (self.jet_share or 0.0) > 1.0 + 1e-12:
            raise ValueError("decoy_share + jet_share must be <= 1")
        return self


class Tactics(Strict):
    """``threat.tactics``: the attacker's tactics month by month."""

    timeline: dict[str, MonthTactics] = Field(
        default_factory=dict,
        description="Month ('YYYY-MM') -> tactics. Empty: constant tactics all winter. When "
        "given, it must list every month of the period and no other.")

    @field_validator("timeline")
    @classmethod
    def _months(cls, v):
        bad = [m for m in v if not MONTH_RE.match(str(m))]
        if bad:
            raise ValueError(f"month keys must be 'YYYY-MM' (got {bad[0]!r})")
        return v

    def check_period(self, months: list[str]) -> None:
        """Raise ValueError unless the timeline is empty or covers exactly ``months``."""
        if not self.timeline:
            return
        outside = sorted(set(self.timeline) - set(months))
        missing = [m for m in months if m not in self.timeline]
        if outside:
            raise ValueError(f"month(s) {', '.join(outside)} lie outside the period "
                             f"({months[0]} to {months[-1]})")
        if missing:
            raise ValueError(f"month(s) {', '.join(missing)} of the period are missing; a "
                             "timeline must give every month")
