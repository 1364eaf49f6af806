"""How the attacker chooses its energy targets, night after night (``threat.attacker``).

A targeting policy turns what the attacker values and what it has observed into tonight's
probability of each energy site being the aim point of an energy-targeted drone. It is pure
numpy with no randomness of its own: the raid draws its targets from these probabilities with
the drones' own uniforms (:func:`sim.model.threat.generate_raid`), so two defences face the same
luck (common random numbers) and differ only through what the attacker learns.

What a hit is worth, ``v_i``: the site type's targeting weight times the capacity one hit takes
out (:func:`damage_values`). The adaptive attackers start from the static plan.

* :class:`StaticPolicy`: the scenario's targeting weights, all winter.
* :class:`BestResponsePolicy`: expected damage per drone at site i is its value ``v_i`` times
  the share still in service ``a_i`` times the estimated chance that a drone aimed there hits,
  ``h_i`` (a Beta posterior: prior mean the pooled national hit rate, ``prior_strength`` drones
  of weight, observations forgotten with a time constant of ``memory_nights``). Tonight's
  probabilities: ``p_i ~ exp(sharpness * (E_i / max E - 1))``.
* :class:`Exp3Policy`: EXP3 (Auer, Cesa-Bianchi, Freund, Schapire 2002) over the sites with
  positive value; each drone is one round, rewarded with ``v_i a_i / max v`` when it hits;
  log-weights start at the static plan and what was learnt fades back towards it with
  ``memory_nights`` (a non-stationary bandit).

Concentration (``concentrate``): on a night with at least ``concentrate_min_drones`` drones aimed
at energy, the attacker considers sending ``concentrate_share`` of them at one defended site s.
It estimates the number of drones the defence of s stops in a night, ``k_s`` (the most it has
seen stopped there, forgotten like the rest), and expects ``v_s a_s h0 (n_c - k_s)`` damage
from ``n_c`` concentrated drones (``h0`` the hit chance of a drone that gets through, the
scenario's ``p_hit``), against ``n_c`` times the average expected damage of tonight's spread.
It concentrates on the best such site when that pays more.
"""

from __future__ import annotations

import math

import numpy as np


def damage_values(sites, targeting, energy) -> np.ndarray:
    """What one hit on each site is worth to the attacker: its type's targeting weight times
    the capacity one hit takes out (MW, with gas output at 440 MW per million m3/day, the
    thermal power of the gas) per ``energy.damage_fraction_per_hit``; 0 for sites that are not
    operational. Normalised to a maximum of 1."""
    types = sites["type"].to_numpy()
    w_type = np.array([targeting.weights_by_site_type.get(t, 0.0) for t in types])
    frac = np.array([energy.damage_fraction_per_hit.get(t, 0.0) for t in types])
    gas = sites["gas_mcm_per_day"].to_numpy(float) if "gas_mcm_per_day" in sites else 0.0
    mw = np.maximum(sites["capacity_mw"].to_numpy(float), 0.0) + 440.0 * np.nan_to_num(gas)
    v = w_type * frac * mw * (sites["status"].to_numpy() == "operational")
    return v / v.max() if v.max() > 0 else v


class StaticPolicy:
    """The scenario's targeting weights, all winter.

    Args:
        prior: (S,) probability of each site under the scenario's targeting weights (sums to
            1 or is all 0): the static plan, and where the adaptive attackers start.
        value: (S,) what one hit on each site is worth (:func:`damage_values`); default
            ``prior``.
        cfg: the scenario's ``threat.attacker`` section.
        p_hit: the scenario's ``threat.targeting.p_hit``.
    """

    name = "static"

    def __init__(self, prior: np.ndarray, cfg, p_hit: float, value: np.ndarray | None = None):
        self.prior = np.asarray(prior, float)
        self.value = self.prior if value is None else np.asarray(value, float)
        self.cfg = cfg
        self.p_hit = float(p_hit)
        n = len(self.value)
        self.decay = math.exp(-1.0 / cfg.memory_nights)
        self.availability = np.ones(n)
        self.capacity = np.zeros(n)  # drones stopped per night at the site, as observed
        self.concentrated_on: int | None = None
        self._night = -1
        self._p = self.prior

    # -------------------------------------------------------------- planning
    def spread(self) -> np.ndarray:
        """Tonight's target probabilities before any concentration."""
        return self.prior

    def expected_damage(self) -> np.ndarray:
        """Expected damage per drone aimed at each site (value x in service x hit chance)."""
        return self.value * self.availability * self.p_hit

    def plan(self, night: int, n_energy: float, defended: np.ndarray) -> np.ndarray:
        """Tonight's probabilities over sites (computed once per night; later calls reuse them).

        Args:
            night: the night index.
            n_energy: expected drones aimed at energy tonight.
            defended: (S,) sites with an interceptor team in reach tonight.
        """
        if night == self._night:
            return self._p
        self._night = night
        p = self.spread()
        self.concentrated_on = None
        if self.cfg.concentrate and n_energy >= self.cfg.concentrate_min_drones:
            p = self._concentrate(p, n_energy, np.asarray(defended, bool))
        self._p = p
        return p

    def _concentrate(self, p: np.ndarray, n_energy: float, defended: np.ndarray) -> np.ndarray:
        n_c = self.cfg.concentrate_share * n_energy
        e = self.expected_damage()
        spread_gain = n_c * float(p @ e)
        worth = self.value * self.availability * self.p_hit * np.maximum(n_c - self.capacity, 0.0)
        worth = np.where(defended & (self.value > 0), worth, -np.inf)
        s = int(np.argmax(worth))
        if not np.isfinite(worth[s]) or worth[s] <= spread_gain:
            return p
        self.concentrated_on = s
        c = self.cfg.concentrate_share
        out = (1.0 - c) * p
        out[s] += c
        return out

    # -------------------------------------------------------------- learning
    def observe(self, aimed: np.ndarray, hits: np.ndarray, stopped: np.ndarray,
                availability: np.ndarray) -> None:
        """Learn from tonight: warhead drones aimed at each site, how many hit, how many were
        stopped, and how much of each site is still in service (the attacker sees the damage
        reports)."""
        self.availability = np.asarray(availability, float)
        seen = np.asarray(aimed) > 0
        self.capacity = np.where(seen, np.maximum(self.capacity * self.decay, stopped),
                                 self.capacity * self.decay)


class BestResponsePolicy(StaticPolicy):
    """Aim where the observed defence lets the most damage through (a smoothed best
    response; see the module docstring)."""

    name = "best_response"

    def __init__(self, prior: np.ndarray, cfg, p_hit: float, value: np.ndarray | None = None):
        super().__init__(prior, cfg, p_hit, value)
        self.aimed = np.zeros(len(self.value))
        self.hits = np.zeros(len(self.value))
        self.prior_mean = 0.2 * self.p_hit  # before any observation (EST)

    def hit_chance(self) -> np.ndarray:
        """Posterior mean of the chance that a drone aimed at each site hits it."""
        s = self.cfg.prior_strength
        return (self.hits + s * self.prior_mean) / (self.aimed + s)

    def expected_damage(self) -> np.ndarray:
        return self.value * self.availability * self.hit_chance()

    def spread(self) -> np.ndarray:
        e = self.expected_damage()
        ok = self.value > 0
        if not ok.any():
            return self.prior
        best = e[ok].max()
        if best <= 0:
            return self.prior
        w = np.where(ok, np.exp(self.cfg.sharpness * (e / best - 1.0)), 0.0)
        return w / w.sum()

    def observe(self, aimed, hits, stopped, availability) -> None:
        super().observe(aimed, hits, stopped, availability)
        self.aimed = self.aimed * self.decay + aimed
        self.hits = self.hits * self.decay + hits
        total = float(np.sum(aimed))
        if total > 0:  # the pooled national rate is the prior for unseen sites
            pooled = float(self.hits.sum() / max(self.aimed.sum(), 1e-12))
            self.prior_mean = pooled


class Exp3Policy(StaticPolicy):
    """EXP3 over the sites with positive value (see the module docstring)."""

    name = "learning"

    def __init__(self, prior: np.ndarray, cfg, p_hit: float, value: np.ndarray | None = None):
        super().__init__(prior, cfg, p_hit, value)
        self.arms = self.value > 0
        # Start from the attacker's prior (the static weights), then learn.
        self.log_prior = np.where(self.arms, np.log(np.maximum(self.prior, 1e-12)), 0.0)
        self.log_w = self.log_prior.copy()
        self._last = self.prior

    def spread(self) -> np.ndarray:
        k = int(self.arms.sum())
        if k == 0:
            return self.prior
        g = self.cfg.exploration
        lw = np.where(self.arms, self.log_w, -np.inf)
        w = np.exp(lw - lw[self.arms].max())
        p = (1.0 - g) * w / w.sum() + np.where(self.arms, g / k, 0.0)
        self._last = p
        return p

    def observe(self, aimed, hits, stopped, availability) -> None:
        super().observe(aimed, hits, stopped, availability)
        k = int(self.arms.sum())
        if k == 0:
            return
        aimed = np.asarray(aimed, float)
        vmax = float(self.value.max())
        # Each drone is a round; its reward (0-1) is the damage value of a hit.
        reward_per_hit = self.value * self.availability / vmax
        p = np.maximum(self._p if self._p is not None else self._last, 1e-12)
        x_hat = np.asarray(hits, float) * reward_per_hit / p  # importance-weighted sum of rewards
        step = self.cfg.learning_rate * self.cfg.exploration / k
        self.log_w = (self.log_prior + (self.log_w - self.log_prior) * self.decay
                      + step * np.where(self.arms, x_hat, 0.0))


POLICIES = {"static": StaticPolicy, "best_response": BestResponsePolicy, "learning": Exp3Policy}


def make_policy(cfg, prior: np.ndarray, p_hit: float, value: np.ndarray | None = None
                ) -> StaticPolicy:
    """The targeting policy of ``threat.attacker.strategy``."""
    return POLICIES[cfg.strategy](prior, cfg, p_hit, value)
