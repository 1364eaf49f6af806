"""Default figures of the scenario's ``energy`` section, with their sources: the repair time of a
damage job (:class:`RepairDistribution`, lognormal in days) by site type and for a transformer
when no spare is left, the share of a site's capacity one hit takes out, the availability at the
start of the winter, the order in which crews take site types, and the damage of a hit by weapon
class. :class:`sim.config.energy.EnergyConfig` takes its defaults from here and merges the
per-type entries a scenario gives over them.
"""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from sim.config.base import Strict


class RepairDistribution(Strict):
    """Repair time of one damage job, lognormal in days.

    ``days = clip(ceil(median_days * exp(sigma * z)), min_days, max_days)``, z ~ N(0, 1).
    """

    median_days: float = Field(gt=0, description="Median repair time (days).")
    sigma: float = Field(0.5, ge=0, le=3, description="Lognormal shape (log-days); 0 = fixed.")
    min_days: int = Field(1, ge=1, description="Shortest repair (days).")
    max_days: int = Field(3650, ge=1, description="Longest repair (days).")
    source: str = Field("", description="Where the figure comes from (free text).")

    @model_validator(mode="after")
    def _order(self) -> RepairDistribution:
        if self.max_days < self.min_days:
            raise ValueError(f"max_days={self.max_days} is below min_days={self.min_days}")
        return self

    def days(self, z: float) -> int:
        """Repair days for a standard-normal draw ``z``."""
        d = math.ceil(self.median_days * math.exp(self.sigma * z) - 1e-9)
        return int(min(max(d, self.min_days), self.max_days))


_E_FALL25 = (
    "8,000 MW damaged in fall 2025, about half restored by December (Nekrasov, 29 Dec 2025, "
    "https://en.interfax.com.ua/news/economic/1132249.html)"
)


_E_750 = (
    "4 hit 750 kV substations restored in 13 days; autotransformer moved in 3 weeks "
    "(Ukrenergo, Oct 2024, docs/sources.md §E)"
)


E_TRANSFORMER_SOURCE = (
    "new transformer 6-8 months (DTEK), 6-18 months (2022); rebuild 1-2 years "
    "(docs/sources.md §E)"
)


def default_repair_days() -> dict[str, RepairDistribution]:
    R = RepairDistribution
    return {
        "thermal": R(
            median_days=75, sigma=0.7, min_days=7, max_days=730, source="EST; " + _E_FALL25
        ),
        "chp": R(
            median_days=45,
            sigma=0.7,
            min_days=5,
            max_days=365,
            source="EST; docs/sources.md §E: Kyiv heat restored in ~10 days (network), plant longer",
        ),
        "hydro": R(
            median_days=540,
            sigma=0.7,
            min_days=60,
            max_days=1460,
            source="EST; DniproHES >= 3 years after a missile strike (Ukrhydroenergo, Aug 2024, https://unn.ua/en/news/ukrhydroenergo-dnipro-hpp-is-practically-out-of-operation-today)",
        ),
        "pumped_storage": R(
            median_days=365,
            sigma=0.7,
            min_days=30,
            max_days=1460,
            source="EST; by analogy with hydro (docs/sources.md §E)",
        ),
        "nuclear": R(
            median_days=5,
            sigma=0.5,
            min_days=1,
            max_days=30,
            source="EST; unit tripped/reduced after strikes and reconnected "
            "(30 Oct 2025, https://ru.interfax.com.ua/news/general/1116960.html)",
        ),
        "substation_750": R(
            median_days=13,
            sigma=0.4,
            min_days=3,
            max_days=45,
            source="with a spare on hand; " + _E_750,
        ),
        "substation_330": R(
            median_days=10,
            sigma=0.4,
            min_days=2,
            max_days=45,
            source="EST, with a spare on hand; " + _E_750,
        ),
        "gas_production": R(
            median_days=30,
            sigma=0.7,
            min_days=5,
            max_days=180,
            source="EST (no public source found); docs/sources.md §D: repeated strikes, output "
            "partly restored between waves",
        ),
        "gas_storage": R(
            median_days=30, sigma=0.7, min_days=5, max_days=180, source="EST (no public source found)"
        ),
        "water_utility": R(
            median_days=3,
            sigma=0.5,
            min_days=1,
            max_days=30,
            source="EST (no public source found); pumping stations, backup generation",
        ),
        "substation_220": R(
            median_days=10,
            sigma=0.4,
            min_days=2,
            max_days=45,
            source="EST, with a spare on hand; as for 330 kV",
        ),
        "solar": R(
            median_days=30, sigma=0.7, min_days=5, max_days=180, source="EST (no public figure)"
        ),
        "line": R(
            median_days=4,
            sigma=0.6,
            min_days=1,
            max_days=30,
            source="EST: overhead line towers and conductors are repaired in days "
            "(Ukrenergo repair reports; no systematic figure)",
        ),
    }


def default_damage() -> dict[str, float]:
    # Calibrated on docs/sources.md §E (fall 2025, Nekrasov): ~440 strikes on energy facilities damaged
    # ~8,000 MW, i.e. ~18 MW per strike (about 0.02-0.05 of a derated large plant), and >2,000
    # strikes on the grid knocked out ~60 transformers a month (~9 % of strikes). Gas: the
    # 3 Oct 2025 raid (35 missiles + 60 drones) cut ~60 % of output (docs/sources.md §D).
    return {
        "thermal": 0.03,
        "chp": 0.05,
        "hydro": 0.03,
        "pumped_storage": 0.03,
        "nuclear": 0.05,
        "substation_750": 0.1,
        "substation_330": 0.1,
        "gas_production": 0.05,
        "gas_storage": 0.03,
        "water_utility": 0.2,
        "substation_220": 0.1,
        "solar": 0.2,
        "line": 0.5,
    }


def default_availability() -> dict[str, float]:
    return {
        "thermal": 0.5,
        "chp": 0.6,
        "hydro": 0.75,
        "pumped_storage": 0.6,
        "nuclear": 0.95,
        "substation_750": 1.0,
        "substation_330": 1.0,
        "gas_production": 1.0,
        "gas_storage": 1.0,
        "water_utility": 1.0,
        "substation_220": 1.0,
        "solar": 0.05,
        "line": 1.0,
    }


DEFAULT_PRIORITY = (
    "water_utility",
    "substation_750",
    "line",
    "substation_330",
    "substation_220",
    "nuclear",
    "chp",
    "thermal",
    "gas_production",
    "gas_storage",
    "hydro",
    "pumped_storage",
    "solar",
)


def default_weapon_weights() -> dict[str, float]:
    return {"drone": 1.0, "cruise": 8.0, "ballistic": 8.0, "kh22": 15.0, "kh59": 6.0}


WEAPON_SOURCE = (
    "EST: warhead mass relative to a Shahed-136/Geran-2 (~50 kg): Kh-101 ~400-450 kg and "
    "Kalibr 3M14 ~450-500 kg (cruise, x8); Iskander-M ~480-700 kg (ballistic, x8, the low end "
    "since the lighter cluster/penetrator variants are used against the grid); Kh-22 ~900-1,000 "
    "kg (x15, sub-linear: blast damage grows slower than charge mass); Kh-59 ~320 kg (x6). "
    "Figures: CSIS Missile Defense Project 'Missile Threat' pages (Kh-101, 3M-14 Kalibr, "
    "9K720 Iskander, Kh-22, Kh-59), Army Recognition; Shahed-136 warhead ~50 kg (CSIS, "
    "Conflict Armament Research)."
)
