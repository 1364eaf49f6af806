"""Key paths and ``--set``: reading one value of a scenario and making a what-if of it.

* :func:`get_path` reads the value at a dotted key path (``defense.interceptor.pk``).
* :func:`with_overrides` returns a validated copy of a scenario with key paths replaced; a key
  path must exist in the schema (a misspelt one names the closest key), except the last key of
  a free-form mapping. A what-if that changes the period keeps the months of the tactics
  timeline the new period uses (:func:`timeline_to_period`; files with a ``base`` too).
* :func:`parse_set_args` reads ``key.path=value`` options from the command line, the values as
  YAML scalars.

Errors are a :class:`~sim.config.errors.ScenarioError` naming the option, the key path and the
reason. This module imports neither numpy nor pandas.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.base import did_you_mean
from sim.config.errors import ScenarioError
from sim.config.safe_yaml import parse_yaml_text
from sim.config.schema import Scenario
from sim.config.validation import check_plain_values, checked_site_types, validation_message


def get_path(scenario: BaseModel, key_path: str) -> Any:
    """Read the value at a dotted key path, e.g. ``defense.interceptor.pk``."""
    node: Any = scenario
    for part in key_path.split("."):
        if isinstance(node, BaseModel):
            if part not in type(node).model_fields:
                raise ScenarioError(f"--set {key_path}: unknown key {part!r}"
                                    + did_you_mean(part, type(node).model_fields))
            node = getattr(node, part)
        elif isinstance(node, dict):
            key = _dict_key(node, part)
            if key is None:
                raise ScenarioError(f"--set {key_path}: unknown key {part!r}")
            node = node[key]
        else:
            raise ScenarioError(f"--set {key_path}: {part!r} is below a plain value")
    return node


def _dict_key(d: dict, part: str):
    if part in d:
        return part
    try:
        k = int(part)
    except ValueError:
        return None
    return k if k in d else None


def _inner_model(ann):
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is dict and len(args) == 2:
        return _DictOf(args[1])
    for a in args:
        m = _inner_model(a)
        if m is not None:
            return m
    return None


class _DictOf:
    def __init__(self, value_type):
        self.value_type = value_type


def with_overrides(scenario: Scenario, overrides: dict[str, Any], source: str = "--set") -> Scenario:
    """Return a validated copy of ``scenario`` with dotted key paths replaced.

    Values given as strings are parsed as YAML scalars (``"4e8"`` -> 400000000.0,
    ``"true"`` -> True, ``"[a, b]"`` -> list).

    Raises:
        ScenarioError: unknown key path or a value the schema refuses.
    """
    data = scenario.model_dump(mode="python")
    for key_path, value in overrides.items():
        if not key_path or any(not p for p in key_path.split(".")):
            raise ScenarioError(f"{source} {key_path!r}: empty key path")
        parts = key_path.split(".")
        _check_path_simple(data, parts, key_path)
        if isinstance(value, str):
            value = parse_yaml_text(value, f"{source} {key_path}") if value.strip() else value
        node = data
        for part in parts[:-1]:
            k = _dict_key(node, part)
            if k is None:
                node[part] = {}
                k = part
            if node[k] is None:  # an optional section not set (defense.portfolio: null)
                node[k] = {}
            if not isinstance(node[k], dict):
                raise ScenarioError(f"{source} {key_path}: {part!r} is a plain value, it has no keys")
            node = node[k]
        last = parts[-1]
        k = _dict_key(node, last)
        node[k if k is not None else last] = value
    if any(p.startswith("period.") or p == "period" for p in overrides) and not any(
            p.startswith("threat.tactics") for p in overrides):
        timeline_to_period(data)
    check_plain_values({k: v for k, v in _nested(overrides).items()}, source)
    try:
        return checked_site_types(Scenario.model_validate(data), source)
    except ValidationError as exc:
        raise ScenarioError(validation_message(source, exc)) from None


def _nested(overrides: dict[str, Any]) -> dict:
    """Dotted overrides as a nested mapping (for :func:`check_plain_values`)."""
    out: dict = {}
    for key, value in overrides.items():
        if isinstance(value, str) and value.strip():
            try:
                value = parse_yaml_text(value, key)
            except ScenarioError:
                pass
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            node[part] = nxt if isinstance(nxt, dict) else {}
            node = node[part]
        node[parts[-1]] = value
    return out


def timeline_to_period(data: dict) -> None:
    """A what-if (``--set``, or a file with a ``base``) that changes the period keeps the months
    of the tactics timeline that the new period uses (a timeline must cover exactly the
    period); missing months stay missing and are refused with the usual message."""
    import datetime as dt

    timeline = ((data.get("threat") or {}).get("tactics") or {}).get("timeline")
    period = data.get("period")
    if not timeline or not isinstance(period, dict) or not isinstance(timeline, dict):
        return
    from sim.config.schema import Period

    defaults = Period.model_fields
    period = {"start_date": defaults["start_date"].default, "nights": defaults["nights"].default,
              **period}
    try:
        start = period["start_date"]
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
        nights = int(period["nights"])
    except (TypeError, ValueError):
        return  # the schema reports the bad value
    try:
        months = {(start + dt.timedelta(days=i)).strftime("%Y-%m")
                  for i in range(max(min(nights, 100_000), 0))}
    except OverflowError:
        return  # past the calendar: the schema reports the period
    if months <= set(timeline):
        threat = data["threat"]  # rebuilt, not edited: the base's parsed YAML may be shared
        data["threat"] = {**threat, "tactics": {
            **threat["tactics"], "timeline": {m: v for m, v in timeline.items() if m in months}}}


def _check_path_simple(data: dict, parts: list[str], key_path: str) -> None:
    """A key path must exist in the scenario, except the last key of a free-form mapping."""
    cls: Any = Scenario
    node: Any = data
    for i, part in enumerate(parts):
        is_model = isinstance(cls, type) and issubclass(cls, BaseModel)
        if is_model:
            if part not in cls.model_fields:
                where = ".".join(parts[:i]) or "the top level"
                hint = did_you_mean(part, cls.model_fields)
                if hint:
                    raise ScenarioError(f"--set {key_path}: unknown key {part!r} under "
                                        f"{where}{hint}")
                valid = ", ".join(sorted(cls.model_fields))
                raise ScenarioError(
                    f"--set {key_path}: unknown key {part!r} under {where} (valid keys: {valid})"
                )
            cls = _inner_model(cls.model_fields[part].annotation)
            node = node.get(part) if isinstance(node, dict) else None
        elif isinstance(cls, _DictOf):
            k = _dict_key(node, part) if isinstance(node, dict) else None
            # (a section not set yet has no keys to check: the schema checks the new ones)
            if k is None and i < len(parts) - 1 and node is not None:
                raise ScenarioError(f"--set {key_path}: unknown key {part!r}")
            node = node.get(k) if (isinstance(node, dict) and k is not None) else None
            cls = _inner_model(cls.value_type) if isinstance(cls.value_type, type) else None
            if cls is None and i < len(parts) - 1 and not isinstance(node, dict):
                raise ScenarioError(f"--set {key_path}: {part!r} is a plain value, it has no keys")
        else:
            raise ScenarioError(
                f"--set {key_path}: {'.'.join(parts[:i])} is a plain value, it has no keys"
            )


KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*$")


def parse_set_args(items: list[str] | None, where: str = "--set") -> dict[str, Any]:
    """Parse ``key.path=value`` options from the command line; values are YAML scalars
    (``4e8`` -> 400000000.0, ``true`` -> True, ``[a, b]`` -> a list).

    Raises:
        ScenarioError: an item without ``=``, a malformed key path or an unparsable value.
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"{where} {item!r}: expected key.path=value")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not KEY_PATTERN.match(key):
            raise ScenarioError(f"{where} {key!r}: not a key path (e.g. defense.budget_eur)")
        out[key] = parse_yaml_text(raw, f"{where} {key}") if raw.strip() else raw
    return out
