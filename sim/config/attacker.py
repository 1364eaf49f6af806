"""The scenario's ``threat.attacker`` section: how the attacker chooses its energy targets.

* ``static``: the targeting weights of ``threat.targeting`` all winter (type weight times
  size^exponent), whatever happens.
* ``best_response``: each night, aim where a drone is expected to do the most damage against the
  defence the attacker has observed: a site's value (its targeting weight times the share of it
  still in service) times the attacker's estimate of the chance that a drone aimed at it hits
  (a Beta posterior per site, updated from every drone aimed there). Targets are drawn in
  proportion to ``exp(sharpness x expected damage / best expected damage)``: a smoothed best
  response (``sharpness`` large: all drones at the best site).
* ``learning``: the adversarial bandit rule EXP3 (Auer et al. 2002, "The nonstochastic
  multiarmed bandit problem", SIAM J. Computing 32(1)) over energy sites, rewarded with the
  damage value each drone achieved (bandit feedback: only sites attacked are observed).

With ``concentrate``, on nights with a big energy salvo the attacker sends ``concentrate_share``
of it at one defended site when its estimate of that site's defence says saturating it pays
more than spreading those drones (EST rule; in 2025 Russia massed drones on single objects,
Ukrenergo and Naftogaz statements, docs/sources.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.config.base import Strict


class Attacker(Strict):
    """``threat.attacker``: the attacker's targeting strategy."""

    strategy: Literal["static", "best_response", "learning"] = Field(
        "static", description="static: fixed targeting weights; best_response: aim where the "
        "observed defence lets the most damage through; learning: EXP3 bandit over sites.")
    sharpness: float = Field(
        8.0, gt=0, le=200, description="best_response: how strongly targets concentrate on "
        "the best expected damage (dimensionless; large = pure best response). EST.")
    prior_strength: float = Field(
        20.0, gt=0, description="best_response: weight of the prior hit chance "
        "(threat.targeting.p_hit) against observed drones (drones). EST.")
    exploration: float = Field(
        0.05, gt=0, le=1, description="learning: EXP3 exploration share gamma (0-1). EST.")
    learning_rate: float = Field(
        1.0, gt=0, le=50, description="learning: multiplier of EXP3's step (1 = Auer et al.). "
        "EST.")
    memory_nights: float = Field(
        30.0, gt=0, description="Observations older than about this many nights count less "
        "(exponential forgetting; repaired sites become attractive again) (nights). EST.")
    concentrate: bool = Field(
        False, description="Mass part of a big salvo on one defended site when saturating its "
        "defence pays (EST rule, see the module docstring).")
    concentrate_share: float = Field(
        0.3, ge=0, le=1, description="Share of the night's energy-aimed drones sent at the "
        "chosen site when concentrating. EST.")
    concentrate_min_drones: int = Field(
        150, ge=1, description="Concentrate only on nights with at least this many drones aimed "
        "at energy (drones). EST.")
