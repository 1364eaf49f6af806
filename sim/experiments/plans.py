"""The optimiser's decisions: a plan (the programme's basing and split of money), the search
space it is drawn from, and where a plan puts the launch sites (the method is in
:mod:`sim.experiments.optimise` and ``docs/optimise.md``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.config.errors import SimInputError
from sim.model.basing import STRATEGIES, BasingContext

ATTACKERS = ("static", "best_response", "learning")
"""Attacker strategies (``threat.attacker.strategy``); ``robust`` takes the worst of them."""

SPLIT_KEYS = ("interceptors", "crews", "sensors", "launch_sites")
"""The shares of a fixed split (``defense.split``): airframes, crews with their ground stations,
radars, launch sites."""

MIX_STRATEGIES = tuple(k for k in STRATEGIES if k not in ("custom", "mix"))
"""Strategies a ``mix`` plan weights."""

BASING_SPACES = ("mix", "sites", "shipped")
SPLIT_SPACES = ("search", "auto", "shares", "shipped")
CITY = "city"

INSTALL_HINT = 'the optimiser needs optuna: pip install "optuna>=3.6" (or pip install -e .)'


# --------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Plan:
    """A basing and a split of money, as scenario overrides.

    Attributes:
        policy: ``defense.basing.policy`` (``mix``, ``custom``, or the shipped policy).
        mix_weights: for ``mix``: strategy -> weight (summing to 1).
        custom_sites: for ``custom``: site or city ids in order of commissioning.
        site_types: ``defense.basing.site_types`` when the search set it (``sites_from``).
        split: ``"auto"``, a mapping of the four shares, or ``None`` (the shipped split).
    """

    policy: str | None = None
    mix_weights: dict[str, float] | None = None
    custom_sites: tuple[str, ...] | None = None
    site_types: tuple[str, ...] | None = None
    split: str | dict[str, float] | None = None

    def overrides(self) -> dict[str, Any]:
        """``--set``-style overrides (key path -> value) that turn a scenario into this plan."""
        o: dict[str, Any] = {}
        if self.policy is not None:
            o["defense.basing.policy"] = self.policy
        if self.mix_weights is not None:
            o["defense.basing.mix_weights"] = dict(self.mix_weights)
        if self.custom_sites is not None:
            o["defense.basing.custom_sites"] = list(self.custom_sites)
        if self.site_types is not None:
            o["defense.basing.site_types"] = list(self.site_types)
        if self.split is not None:
            o["defense.split"] = self.split if isinstance(self.split, str) else dict(self.split)
        return o

    def basing_text(self) -> str:
        """The basing in a few words."""
        if self.policy == "mix" and self.mix_weights:
            return "mix of " + ", ".join(f"{k} {v:.2f}" for k, v in self.mix_weights.items())
        if self.policy == "custom" and self.custom_sites is not None:
            head = ", ".join(self.custom_sites[:3])
            more = len(self.custom_sites) - 3
            return f"custom: {head}" + (f" and {more} more" if more > 0 else "")
        return "as shipped" if self.policy is None else str(self.policy)

    def split_text(self) -> str:
        """The split in a few words."""
        if self.split is None:
            return "as shipped"
        if isinstance(self.split, str):
            return "auto (balanced packages)"
        names = {"interceptors": "airframes", "crews": "crews", "sensors": "radars",
                 "launch_sites": "sites"}
        return ", ".join(f"{names[k]} {100 * self.split[k]:.0f}%" for k in SPLIT_KEYS)


def project_shares(x: Sequence[float], low: float, high: float) -> np.ndarray:
    """Shares within ``[low, high]`` summing to 1 from any point ``x`` of the unit cube: the
    Euclidean projection of ``x / sum(x)`` onto that set, ``clip(x / sum(x) + tau, low, high)``
    with ``tau`` found by :func:`scipy.optimize.brentq` (``sum(x) == 0``: equal shares).
    Needs ``len(x) * low <= 1 <= len(x) * high``."""
    from scipy.optimize import brentq

    x = np.asarray(x, float)
    k = len(x)
    y = x / x.sum() if x.sum() > 0 else np.full(k, 1.0 / k)

    def excess(tau: float) -> float:
        return float(np.clip(y + tau, low, high).sum() - 1.0)

    if abs(excess(0.0)) < 1e-12:
        return np.clip(y, low, high)
    tau = brentq(excess, -1.0 - high, 1.0 + high, xtol=1e-14)
    s = np.clip(y + tau, low, high)
    return s / s.sum() if abs(s.sum() - 1.0) > 1e-12 else s


def _round_shares(s: np.ndarray) -> dict[str, float]:
    """Shares rounded to 4 decimals, still summing to 1 (the largest takes the rest)."""
    r = np.round(np.asarray(s, float), 4)
    i = int(np.argmax(r))
    r[i] = 0.0
    r[i] = round(1.0 - float(r.sum()), 4)
    return {k: float(v) for k, v in zip(SPLIT_KEYS, r, strict=True)}


def _round_weights(w: dict[str, float]) -> dict[str, float]:
    """Mix weights normalised to sum 1 and rounded to 3 decimals, zeros dropped (at least one
    kept)."""
    total = sum(w.values())
    if total <= 0:
        return {next(iter(w)): 1.0}
    out = {k: round(v / total, 3) for k, v in w.items()}
    out = {k: v for k, v in out.items() if v > 0}
    return out or {max(w, key=w.get): 1.0}


# --------------------------------------------------------------------------- the search space
@dataclass
class SearchSpace:
    """What the optimiser may change, with its bounds (checked by :meth:`resolve`).

    Attributes:
        basing: ``mix``, ``sites`` or ``shipped`` (see the module text).
        strategies: the strategies a ``mix`` weights.
        sites_from: site types (and ``city``) eligible as launch sites; ``None``: the scenario's
            ``defense.basing.site_types`` (``sites``: and the cities).
        split: ``search``, ``auto``, ``shares`` or ``shipped``.
        min_share, max_share: bounds of each share of a fixed split.
        pool: candidate ids of the ``sites`` space: given, or set by :meth:`resolve` from
            ``sites_from``.
    """

    basing: str = "mix"
    strategies: tuple[str, ...] = MIX_STRATEGIES
    sites_from: tuple[str, ...] | None = None
    split: str = "search"
    min_share: float = 0.0
    max_share: float = 1.0
    pool: tuple[str, ...] = ()

    def resolve(self, scenario, sites: pd.DataFrame) -> SearchSpace:
        """Check the bounds against the scenario and fill the candidate pool.

        Raises:
            SimInputError: an empty space, naming the option and the reason: shares with
                ``min_share > max_share`` or bounds no four shares summing to 1 can meet, a
                site-type list that matches no operational site, unknown or shut candidate
                ids, no strategy to mix, or nothing to search.
        """
        if self.basing not in BASING_SPACES:
            raise SimInputError(f"--basing {self.basing!r}: expected one of {BASING_SPACES}")
        if self.split not in SPLIT_SPACES:
            raise SimInputError(f"--split {self.split!r}: expected one of {SPLIT_SPACES}")
        if self.basing == "shipped" and self.split == "shipped":
            raise SimInputError("--basing shipped --split shipped: nothing to search (empty "
                                "search space)")
        lo, hi, k = self.min_share, self.max_share, len(SPLIT_KEYS)
        for name, v in (("--min-share", lo), ("--max-share", hi)):
            if not (0.0 <= v <= 1.0) or math.isnan(v):
                raise SimInputError(f"{name} {v}: a share must be between 0 and 1")
        if self.split in ("search", "shares"):
            if lo > hi:
                raise SimInputError(f"--min-share {lo} > --max-share {hi}: empty share bounds")
            if k * lo > 1.0 + 1e-12:
                raise SimInputError(
                    f"--min-share {lo}: {k} shares of at least {lo} sum to {k * lo:g} > 1 "
                    "(empty share bounds)")
            if k * hi < 1.0 - 1e-12:
                raise SimInputError(
                    f"--max-share {hi}: {k} shares of at most {hi} sum to {k * hi:g} < 1 "
                    "(empty share bounds)")
        unknown = [s for s in self.strategies if s not in MIX_STRATEGIES]
        if unknown:
            raise SimInputError(f"--strategies: unknown strategy {unknown} (known: "
                                f"{', '.join(MIX_STRATEGIES)})")
        if self.basing == "mix" and not self.strategies:
            raise SimInputError("--strategies: no strategy to mix (empty list)")
        types = self.sites_from
        if types is not None:
            types = tuple(dict.fromkeys(types))
            if not types:
                raise SimInputError("--sites-from: empty list of site types")
        op = sites["status"].to_numpy() == "operational"
        site_types = tuple(t for t in (types or scenario.defense.basing.site_types) if t != CITY)
        eligible = sites["type"].isin(site_types).to_numpy() & op
        with_cities = CITY in (types or ()) or (types is None and self.basing == "sites")
        where = (f"--sites-from {','.join(types)}" if types is not None
                 else f"defense.basing.site_types {list(site_types)}")
        if self.basing == "sites":
            from sim.config.data import city_targets

            if self.pool:
                known = set(sites["id"]) | set(city_targets()["id"])
                bad = [c for c in self.pool if c not in known]
                if bad:
                    raise SimInputError(f"--candidates: unknown site or city id(s) {bad}")
                shut = [c for c in self.pool if c in set(sites["id"][~op])]
                if shut:
                    raise SimInputError(f"--candidates: not operational (occupied or destroyed) "
                                        f"{shut}")
                return replace(self, sites_from=types, pool=tuple(dict.fromkeys(self.pool)))
            pool = list(sites["id"].to_numpy()[eligible])
            if with_cities:
                pool += list(city_targets()["id"])
            if not pool:
                raise SimInputError(f"{where}: matches no operational energy site (types: "
                                    f"{', '.join(sorted(set(sites['type'][op])))}, or {CITY})")
            return replace(self, sites_from=types, pool=tuple(pool))
        needs_sites = self.basing == "mix" and any(
            s in ("energy_sites", "grid_critical", "threat_weighted") for s in self.strategies)
        if (needs_sites or types is not None) and not eligible.any() and not (
                self.basing == "mix" and CITY in (types or ()) and "cities" in self.strategies):
            raise SimInputError(f"{where}: matches no operational energy site (types: "
                                f"{', '.join(sorted(set(sites['type'][op])))})")
        return replace(self, sites_from=types)

    # -- trials -----------------------------------------------------------------------------
    def _site_types(self) -> tuple[str, ...] | None:
        if self.sites_from is None:
            return None
        return tuple(t for t in self.sites_from if t != CITY)

    def suggest(self, trial) -> Plan:
        """The plan of an optuna trial (define-by-run)."""
        plan = Plan(site_types=self._site_types() or None)
        if self.basing == "mix":
            w = {s: trial.suggest_float(f"w_{s}", 0.0, 1.0) for s in self.strategies}
            plan = replace(plan, policy="mix", mix_weights=_round_weights(w))
        elif self.basing == "sites":
            p = np.array([trial.suggest_float(f"p_{c}", 0.0, 1.0) for c in self.pool])
            order = np.argsort(-p, kind="stable")
            plan = replace(plan, policy="custom",
                           custom_sites=tuple(self.pool[i] for i in order))
        mode = self.split
        if mode == "search":
            mode = trial.suggest_categorical("split", ["auto", "shares"])
        if mode == "auto":
            plan = replace(plan, split="auto")
        elif mode == "shares":
            x = [trial.suggest_float(f"x_{k}", 0.0, 1.0) for k in SPLIT_KEYS]
            plan = replace(plan, split=_round_shares(
                project_shares(x, self.min_share, self.max_share)))
        return plan

    def shipped_params(self, scenario, ctx: BasingContext | None = None) -> dict | None:
        """Trial parameters that give the shipped plan, if the space can express it."""
        b, d = scenario.defense.basing, scenario.defense
        params: dict[str, Any] = {}
        if self.basing == "mix":
            if b.policy == "mix":
                w = {s: float(b.mix_weights.get(s, 0.0)) for s in self.strategies}
                if set(b.mix_weights) - set(self.strategies):
                    return None
            elif b.policy in self.strategies:
                w = {s: float(s == b.policy) for s in self.strategies}
            else:
                return None
            params.update({f"w_{s}": v for s, v in w.items()})
        elif self.basing == "sites":
            order: list[str] = []
            if b.policy == "custom":
                order = [c for c in b.custom_sites if c in self.pool]
            elif ctx is not None and STRATEGIES[b.policy].rank is not None:
                merit = STRATEGIES[b.policy].merit(ctx)
                order = [c for c in merit.sort_values(ascending=False, kind="stable").index
                         if c in self.pool]
            if not order:
                return None
            rank = {c: i for i, c in enumerate(order)}
            n = len(self.pool)
            params.update({f"p_{c}": (1.0 - rank[c] / n if c in rank else 0.0)
                           for c in self.pool})
        split = d.split
        if self.split in ("search", "auto", "shares"):
            if split == "auto":
                if self.split == "shares":
                    return None
                if self.split == "search":
                    params["split"] = "auto"
            else:
                s = np.array([getattr(split, k) for k in SPLIT_KEYS])
                if (self.split == "auto" or abs(s.sum() - 1.0) > 1e-9
                        or (s < self.min_share - 1e-12).any() or (s > self.max_share + 1e-12).any()):
                    return None
                if self.split == "search":
                    params["split"] = "shares"
                params.update({f"x_{k}": float(v) for k, v in zip(SPLIT_KEYS, s, strict=True)})
        return params

    def describe(self) -> str:
        """The space in a line."""
        if self.basing == "mix":
            b = f"basing: weights over {len(self.strategies)} strategies"
        elif self.basing == "sites":
            b = f"basing: priorities of {len(self.pool)} candidate sites"
        else:
            b = "basing: as shipped"
        if self.split == "search":
            s = f"split: auto or shares in [{self.min_share:g}, {self.max_share:g}]"
        elif self.split == "shares":
            s = f"split: shares in [{self.min_share:g}, {self.max_share:g}]"
        else:
            s = f"split: {self.split}"
        types = f"; sites from {','.join(self.sites_from)}" if self.sites_from else ""
        return f"{b}; {s}{types}"


# --------------------------------------------------------------------------- reporting helpers
def programme_positions(scenario) -> int:
    """Launch-site positions the programme uses (its most sites, or radars if more: radars go
    to the first positions too), from its schedule."""
    from sim.model.theatre import positions_needed, schedules_for

    return positions_needed(schedules_for(scenario).programme)


def plan_sites(scenario, plan: Plan | None = None, sites: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """The programme's launch sites under a plan, in order of commissioning: position (km), the
    nearest energy site or city (name, type, oblast of the nearest energy site) and the distance
    to it (km).

    The sites are those the model simulates: the programme's positions in the plan's theatre
    (:func:`sim.model.theatre.theatre_for`), as many as the programme uses
    (:func:`programme_positions`)."""
    from sim.config.data import city_targets
    from sim.config.io import with_overrides
    from sim.model.theatre import theatre_for

    if plan is not None:
        scenario = with_overrides(scenario, plan.overrides(), source="plan")
    theatre = theatre_for(scenario, sites)
    sites = theatre.sites
    xy = theatre.positions["programme"]
    cities = city_targets()
    s_xy = sites[["x_km", "y_km"]].to_numpy(float)
    c_xy = cities[["x_km", "y_km"]].to_numpy(float)
    rows = []
    for k, p in enumerate(xy):
        ds = np.hypot(*(s_xy - p).T)
        dc = np.hypot(*(c_xy - p).T)
        i, j = int(np.argmin(ds)), int(np.argmin(dc))
        if dc[j] < ds[i]:
            name, typ, dist = cities["name"].iat[j], CITY, float(dc[j])
        else:
            name, typ, dist = sites["name"].iat[i], sites["type"].iat[i], float(ds[i])
        rows.append({"order": k + 1, "x_km": float(p[0]), "y_km": float(p[1]), "near": name,
                     "type": typ, "oblast": str(sites["oblast"].iat[i]), "distance_km": dist})
    return pd.DataFrame(rows)
