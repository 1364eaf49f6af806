"""Warnings about a scenario that validates but may not say what its author meant.

Two kinds, both printed by ``python -m sim validate`` (and before ``run``, ``sweep`` and
``compare`` start), never errors:

* **Keys without effect** (:func:`dead_keys`): a key that is written in the file (or its
  ``base``, or given with ``--set``) but that the model does not read in this scenario, because
  another key replaces it (a tactics timeline month that sets its own ``decoy_share``), or
  because the mechanism it tunes is off (``reattack_turn_s`` without ``reengage``). Each rule
  names the key that wins and what to change. ``tests/config/test_knobs.py`` runs every rule
  and checks that the key really changes nothing, and that every key a shipped sweep, the
  dashboard or the README varies changes the outcomes it should.
* **Implausible values** (:func:`implausible_values`): values that validate but are more likely
  a slip of units than a question (a programme budget under EUR 1M, an interceptor slower than
  the drones it chases).

How two keys that set one thing compose (the rules the model follows, so that neither is dead):

* ``threat.launches.intensity_multiplier`` multiplies whatever launch level is set: the
  fitted profile's means, or ``threat.launches.mean_per_night`` (expected launches a night =
  ``mean_per_night`` x ``intensity_multiplier``).
* A month of ``threat.tactics.timeline`` keeps the scenario's constant for every field it
  leaves out (``threat.decoy_share``, ``threat.jet_share``, the launch profile's salvos); an
  altitude band that leaves out ``low_m`` or ``high_m`` takes each drone type's own limit
  (``threat.types.shahed.altitude_min_m`` / ``altitude_max_m`` for Shaheds,
  ``threat.types.decoy.*`` for decoys).

This module imports neither numpy nor pandas (``validate`` starts fast).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

IMPLAUSIBLE_BUDGET_EUR = 1e6
"""A programme budget above 0 and below this is taken for a slip of units (EUR 200 for 200M)."""

NOT_SCENARIO_KEYS = frozenset({"name", "description", "base", "seed"})


@dataclass(frozen=True)
class KeyWarning:
    """A warning about one key: ``key`` (the key path as written) and ``reason``."""

    key: str
    reason: str

    def text(self, source: str) -> str:
        return f"{source}: {self.key}: {self.reason}"


def written_keys(data: Any, prefix: str = "") -> list[str]:
    """The key paths of every value written in a parsed scenario mapping (mappings are walked,
    lists and plain values are leaves), e.g. ``["period.nights", "threat.decoy_share"]``."""
    out: list[str] = []
    if isinstance(data, Mapping):
        for k, v in data.items():
            key = f"{prefix}{k}"
            if not prefix and str(k) in NOT_SCENARIO_KEYS:
                continue
            if isinstance(v, Mapping) and v:
                out += written_keys(v, key + ".")
            else:
                out.append(key)
    return out


def _covers(rule: str, key: str) -> bool:
    """Whether a dead-key rule (a key path; ``*`` matches one part) covers ``key`` (the path
    itself or a key below it)."""
    r, k = rule.split("."), key.split(".")
    if len(k) < len(r):
        return False
    return all(a == "*" or a == b for a, b in zip(r, k, strict=False))


def dead_key_rules(sc) -> dict[str, str]:
    """Key path (``*`` for any one part) -> why it has no effect in scenario ``sc``."""
    t, d = sc.threat, sc.defense
    out: dict[str, str] = {}
    months = list(t.tactics.timeline.values())
    tl = "every month of threat.tactics.timeline"
    if months:
        for field, key in (("decoy_share", "threat.decoy_share"),
                           ("jet_share", "threat.jet_share"),
                           ("p_salvo", "threat.launches.salvo_probability")):
            if all(getattr(m, field) is not None for m in months):
                out[key] = (f"no effect: {tl} sets its own {field}, which replaces it; leave "
                            f"{field} out of the months that should take this value")
        if all(m.altitude_bands_m for m in months):
            bands = [b for m in months for b in m.altitude_bands_m]
            for kind in ("shahed", "decoy"):
                for lim, own in (("altitude_min_m", "low_m"), ("altitude_max_m", "high_m")):
                    if all(getattr(b, own) is not None for b in bands):
                        out[f"threat.types.{kind}.{lim}"] = (
                            f"no effect: {tl} gives altitude bands and every band sets its own "
                            f"{own}; leave {own} out of a band for it to take this value")
    if not any(m.evading_share for m in months):
        out["defense.interceptor.pk_evading_factor"] = (
            "no effect: no drone evades (no month of threat.tactics.timeline sets "
            "evading_share above 0)")
    lp = t.launches
    if lp.profile == "fitted":
        out["threat.launches.monthly"] = "no effect: used only with threat.launches.profile: custom"
    else:
        out["threat.launches.profile_file"] = (
            "no effect: used only with threat.launches.profile: fitted")
        out["threat.launches.apply_trend"] = "no effect: a custom launch profile has no trend"
    if not d.layers.electronic_warfare.enabled:
        out["threat.types.*.p_lost_ew"] = (
            "no effect: defense.layers.electronic_warfare.enabled is false")
    if not t.missiles.enabled:
        out["threat.missiles"] = "no effect: threat.missiles.enabled is false"
    a = t.attacker
    if a.strategy != "best_response":
        for k in ("sharpness", "prior_strength"):
            out[f"threat.attacker.{k}"] = (
                f"no effect: used only with threat.attacker.strategy: best_response (it is "
                f"{a.strategy})")
    if a.strategy != "learning":
        for k in ("exploration", "learning_rate"):
            out[f"threat.attacker.{k}"] = (
                f"no effect: used only with threat.attacker.strategy: learning (it is "
                f"{a.strategy})")
    if not a.concentrate:
        for k in ("concentrate_share", "concentrate_min_drones"):
            out[f"threat.attacker.{k}"] = "no effect: threat.attacker.concentrate is false"
    if not d.interceptor.reengage:
        for k in ("reattack_turn_s", "max_attacks_per_sortie"):
            out[f"defense.interceptor.{k}"] = (
                "no effect: used only with defense.interceptor.reengage: true")
    if d.allocator != "optimal":
        out["defense.c2_cycle_s"] = "no effect: used only with defense.allocator: optimal"
    if d.national_force.model == "pipeline":
        for k in ("launch_sites", "interceptors_per_night"):
            out[f"defense.layers.existing_interceptors.{k}"] = (
                "no effect: used only with defense.national_force.model: fixed (the pipeline "
                "force grows from defense.national_force)")
    else:
        for k in ("production", "crews", "ground_stations", "radars", "launch_sites"):
            out[f"defense.national_force.{k}"] = (
                "no effect: used only with defense.national_force.model: pipeline")
    b = d.basing
    used = set(b.mix_weights) if b.policy == "mix" else {b.policy}
    for key, policy in (("custom_sites", "custom"), ("corridor_depth_km", "corridors"),
                        ("site_types", "energy_sites")):
        if policy not in used:
            out[f"defense.basing.{key}"] = (
                f"no effect: used only with defense.basing.policy: {policy} (it is {b.policy})")
    if b.policy != "mix":
        out["defense.basing.mix_weights"] = (
            f"no effect: used only with defense.basing.policy: mix (it is {b.policy})")
    if d.budget_eur == 0:
        why = "no effect: the programme has no money (defense.budget_eur is 0)"
        for k in ("split", "delivery", "programme", "basing"):
            out[f"defense.{k}"] = why
        for k in ("crew_training_cost_eur", "crew_cost_eur_per_month", "radar_unit_cost_eur",
                  "launch_site_cost_eur", "ground_station_unit_cost_eur",
                  "interceptor_unit_cost_eur"):
            out[f"defense.costs.{k}"] = why
    return out


def dead_keys(sc, keys: Iterable[str]) -> list[KeyWarning]:
    """The keys among ``keys`` (key paths as written) that have no effect in scenario ``sc``,
    each with the reason (:func:`dead_key_rules`)."""
    rules = dead_key_rules(sc)
    out = []
    for key in keys:
        if key.endswith(".enabled"):  # the switch itself is never "without effect"
            continue
        for rule, why in rules.items():
            if _covers(rule, key):
                out.append(KeyWarning(key, why))
                break
    return out


def implausible_values(sc) -> list[KeyWarning]:
    """Values that validate but look like a slip of units (each names its key)."""
    out = []
    d, t = sc.defense, sc.threat
    if 0 < d.budget_eur < IMPLAUSIBLE_BUDGET_EUR:
        out.append(KeyWarning("defense.budget_eur", (
            f"EUR {d.budget_eur:,.0f} is under EUR 1M: the budget is in euros "
            f"(EUR 200M is 200000000 or 2e8); did you mean {d.budget_eur:g}e6?")))
    v = d.interceptor.speed_kmh
    faster = [f"threat.types.{n}.speed_kmh = {t.types[n].speed_kmh:g}" for n in ("shahed", "decoy")
              if t.types[n].interceptable and v <= t.types[n].speed_kmh]
    if faster:  # jets are faster by design (pk_jet_factor); Shaheds and decoys are not
        out.append(KeyWarning("defense.interceptor.speed_kmh", (
            f"{v:g} km/h is not faster than the drones it chases ({'; '.join(faster)}): an "
            "interceptor that cannot catch its target from behind is likely a slip of units "
            "(km/h, not m/s?)")))
    return out


def scenario_warnings(sc, keys: Iterable[str] | None = None) -> list[KeyWarning]:
    """Every warning about scenario ``sc``: implausible values, then the keys of ``keys``
    (the keys written in the file and ``--set``) that have no effect."""
    return implausible_values(sc) + (dead_keys(sc, keys) if keys is not None else [])
