"""Reading a scenario file: validation, ``base:`` chains, telling scenario and sweep files apart.

    load_scenario(path): read and validate a scenario file (and the files it starts from).
    scenario_from_dict(data): validate a parsed mapping.
    file_kind(data): ``"scenario"``, ``"sweep"`` or ``None`` for a parsed YAML file.
    referenced_files(scenario) / scenario_keys(path): the files a scenario names, the keys it
        writes.
    scenario_json_schema(): the JSON Schema of the file format.

What moved out: the one YAML loader is :mod:`sim.config.safe_yaml`; the messages that name a
bad key or value are :mod:`sim.config.validation`; key paths and ``--set`` are
:mod:`sim.config.overrides` (``get_path``, ``with_overrides`` and ``parse_set_args`` are
importable from here too); atomic writes and :class:`~sim.config.files.StagedDir` are
:mod:`sim.config.files`.

This module imports neither numpy nor pandas, so that checking a file starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.base import did_you_mean  # noqa: F401 - part of this module's interface
from sim.config.errors import ScenarioError
from sim.config.overrides import get_path as get_path
from sim.config.overrides import parse_set_args as parse_set_args
from sim.config.overrides import timeline_to_period
from sim.config.overrides import with_overrides as with_overrides
from sim.config.safe_yaml import read_yaml_file
from sim.config.schema import Scenario
from sim.config.validation import check_plain_values, checked_site_types, validation_message


def scenario_from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a parsed mapping into a :class:`Scenario`; errors name the key path."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: top level must be a mapping of keys (name, period, threat, defense, ...), "
            f"got {type(data).__name__}"
        )
    check_plain_values(data, source)
    try:
        return checked_site_types(Scenario.model_validate(data), source)
    except ValidationError as exc:
        raise ScenarioError(validation_message(source, exc)) from None



SCENARIO_ONLY_KEYS = frozenset({"period", "threat", "defense", "energy", "sites_file"})
"""Top-level keys only a scenario file has."""

SWEEP_ONLY_KEYS = frozenset({"levers", "uncertainties", "design", "fixed", "replicates",
                             "max_runs", "nights_table", "outcomes", "model"})
"""Top-level keys only a sweep file has (see ``sim.experiments.sweep.spec``)."""


def file_kind(data: Any) -> str | None:
    """``"sweep"``, ``"scenario"`` or ``None`` (cannot tell) for a parsed YAML file, from its
    top-level keys: a sweep file names its factors, a design or replicates (both kinds may
    name a ``base``)."""
    if not isinstance(data, dict):
        return None
    keys = {str(k) for k in data}
    sweep, scenario = len(keys & SWEEP_ONLY_KEYS), len(keys & SCENARIO_ONLY_KEYS)
    if sweep > scenario:
        return "sweep"
    return "scenario" if scenario or "base" in keys else None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file.

    Args:
        path: path to a ``.yaml`` file.

    Returns:
        The validated :class:`Scenario`.

    A scenario may start from another one: ``base: other.yaml`` (a path relative to this file)
    takes every value of that scenario and this file changes what it lists (mappings merged key
    by key, everything else replaced), so a what-if file holds only its differences.

    Raises:
        ScenarioError: naming the file, the key path and the reason (a sweep file is named as
            such, with the command that runs it).
    """
    data = read_yaml_file(path)
    if file_kind(data) == "sweep":
        raise ScenarioError(
            f"{path}: this is a sweep file (it names a base scenario and the factors to vary), "
            f"not a scenario; run it with `python -m sim sweep {path}` (`python -m sim validate` "
            "checks either kind)"
        )
    return scenario_from_dict(_with_bases(Path(path), (), data), str(path))


def scenario_keys(path: str | Path) -> list[str]:
    """The key paths written in a scenario file and the files it starts from (``base:``), e.g.
    ``["period.nights", "threat.decoy_share", ...]`` (:func:`sim.config.checks.written_keys`)."""
    from sim.config.checks import written_keys

    return written_keys(_with_bases(Path(path), ()))


def _with_bases(path: Path, seen: tuple, data: Any = None) -> Any:
    """The YAML of ``path`` merged over its ``base`` chain (cycles refused)."""
    data = read_yaml_file(path) if data is None else data
    if not isinstance(data, dict) or data.get("base") is None:
        return data
    base = data["base"]
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(f"{path}: base: must be the path of a scenario file")
    base_path = (path.parent / base).resolve()
    if not base_path.is_file():  # a copied file: the shipped scenario of that name
        from sim.config.data import packaged_path

        shipped = packaged_path(f"scenarios/{Path(base).name}")
        if not shipped.is_file():
            raise ScenarioError(f"{path}: base: scenario file not found: {base} (looked for "
                                f"{base_path}, relative to this file, and for a shipped "
                                f"scenario {Path(base).name})")
        base_path = shipped.resolve()
    if base_path in seen or base_path == path.resolve():
        raise ScenarioError(f"{path}: base: {base} leads back to itself")
    merged = _merge(_with_bases(base_path, (*seen, path.resolve())), data)
    merged["base"] = base
    if "period" in data and "timeline" not in ((data.get("threat") or {}).get("tactics") or {}):
        timeline_to_period(merged)  # a file that shortens its base's winter keeps its months
    return merged


def _merge(a: Any, b: Any) -> Any:
    """``b`` over ``a``: mappings merged key by key, anything else replaced."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(a[k], v) if k in a else v
        return out
    return b


def referenced_files(scenario: BaseModel, prefix: str = "") -> dict[str, str]:
    """Every file a scenario names (keys ending in ``_file`` that are set), by key path, e.g.
    ``{"sites_file": "my_sites.csv", "energy.weather_file": "w.csv"}``."""
    out: dict[str, str] = {}
    for name in type(scenario).model_fields:
        value = getattr(scenario, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out.update(referenced_files(value, key + "."))
        elif name.endswith("_file") and isinstance(value, str) and value:
            out[key] = value
    return out


def scenario_json_schema() -> dict:
    """The JSON Schema of the scenario file format."""
    return Scenario.model_json_schema()
