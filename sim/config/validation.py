"""What is wrong with a parsed scenario, said so that its author can fix it.

* :func:`validation_message`: pydantic's errors as one line per problem, ``file: key.path:
  reason (got value)``; a misspelt key names the closest key the schema allows there
  (:func:`schema_keys_at`).
* :func:`check_plain_values`: what YAML parsed into something the user did not mean, before the
  schema sees it (a ``true`` where a number belongs, ``.inf``, a date outside
  :data:`EARLIEST_DATE` to :data:`LATEST_DATE`).

Used when a scenario file is read (:mod:`sim.config.io`) and when ``--set`` changes one
(:mod:`sim.config.overrides`). This module imports neither numpy nor pandas.
"""

from __future__ import annotations

import math
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.base import did_you_mean
from sim.config.errors import ScenarioError
from sim.config.schema import Scenario


def _format_loc(loc) -> str:
    return ".".join(str(x) for x in loc) if loc else "(top level)"


def _model_of(ann):
    """The pydantic model class an annotation holds (through Optional, Union, Annotated)."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in typing.get_args(ann):
        m = _model_of(a)
        if m is not None:
            return m
    return None


def _container_item(ann):
    """The value type of a ``dict`` or the item type of a ``list`` annotation (else None)."""
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is dict and len(args) == 2:
        return args[1]
    if origin in (list, tuple) and args:
        return args[0]
    for a in args:
        inner = _container_item(a)
        if inner is not None:
            return inner
    return None


def schema_keys_at(root: type[BaseModel], loc) -> list[str] | None:
    """The keys a schema allows at a key path (``loc``: the parts above the key), or ``None``
    when the path leads to a free-form mapping or a plain value."""
    node = _annotation_at(root, loc, union_names=True)
    model = _model_of(node) if node is not None else None
    return list(model.model_fields) if model is not None else None


def _annotation_at(root, loc, *, union_names: bool = False) -> Any:
    """The annotation reached from model ``root`` along key path ``loc`` (``None`` where the
    path leaves the schema). ``union_names``: skip a part that names the model reached (pydantic
    names the member of a union it tried in an error's location)."""
    node: Any = root
    for part in loc:
        model = _model_of(node)
        if isinstance(part, str) and model is not None and part in model.model_fields:
            node = model.model_fields[part].annotation
            continue
        if union_names and isinstance(part, str) and model is not None \
                and part == model.__name__:
            continue
        inner = _container_item(node)
        if inner is None:
            return None
        node = inner
    return node


def validation_message(source: str, exc: ValidationError,
                       root: type[BaseModel] | None = None, what: str = "scenario") -> str:
    """One readable line per problem: ``file: key.path: reason (got value)``; a misspelt key
    names the closest key the schema (``root``, default :class:`Scenario`) allows there."""
    root = Scenario if root is None else root
    lines = []
    for err in exc.errors():
        loc = err.get("loc", ())
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        got = err.get("input")
        if err.get("type") == "extra_forbidden":
            keys = schema_keys_at(root, loc[:-1]) or []
            hint = did_you_mean(loc[-1], keys) if loc else ""
            msg = f"unknown key{hint or f' (not part of the {what} schema; check the spelling)'}"
        elif str(err.get("type", "")).startswith("date") and isinstance(got, str):
            reason = msg.split(",", 1)[1].strip() if "," in msg else msg
            msg = f"not a valid date ({reason}; expected YYYY-MM-DD)"
        got_s = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        lines.append(f"{source}: {_format_loc(loc)}: {msg}{got_s}")
    return "\n".join(lines)


EARLIEST_DATE = "2000-01-01"
LATEST_DATE = "2099-12-31"
"""Dates a scenario may name (the model's data describe 2022-2026; a date far outside is a
slip, and past the calendar's end the nights cannot even be counted; ``schema.FIRST_DATE``,
``schema.LAST_DATE``)."""


def _leaf_annotation(root, loc) -> Any:
    """The annotation of the value at key path ``loc`` under model ``root`` (``None`` where
    the path leaves the schema)."""
    return _annotation_at(root, loc)


def _admits(ann, kind: type) -> bool:
    """Whether an annotation admits values of ``kind`` (through unions, Optional, Annotated,
    Literal values; ``Any`` admits everything)."""
    if ann is None or ann is Any or ann is kind:
        return True
    if typing.get_origin(ann) is typing.Literal:
        return any(isinstance(a, kind) for a in typing.get_args(ann))
    return any(_admits(a, kind) for a in typing.get_args(ann)
               if not isinstance(a, typing.TypeVar | str) and a is not type(None))


def _plain_values(data: Any, loc: tuple, root, problems: list[str]) -> None:
    import datetime as dt

    if isinstance(data, dict):
        for k, v in data.items():
            _plain_values(v, (*loc, k), root, problems)
        return
    if isinstance(data, list):
        for i, v in enumerate(data):
            _plain_values(v, (*loc, i), root, problems)
        return
    where = _format_loc(tuple(p for p in loc if not isinstance(p, int))) + "".join(
        f"[{p}]" for p in loc if isinstance(p, int))
    if isinstance(data, bool):
        ann = _leaf_annotation(root, [p for p in loc if not isinstance(p, int)])
        if not _admits(ann, bool):
            problems.append(f"{where}: {str(data).lower()} is a yes-or-no answer where a "
                            "number or a name belongs")
    elif isinstance(data, float) and not math.isfinite(data):
        problems.append(f"{where}: {data} is not a finite number")
    elif isinstance(data, dt.date):
        d = data.date() if isinstance(data, dt.datetime) else data
        if not dt.date.fromisoformat(EARLIEST_DATE) <= d <= dt.date.fromisoformat(LATEST_DATE):
            problems.append(f"{where}: {d.isoformat()} is outside the dates the model takes "
                            f"({EARLIEST_DATE} to {LATEST_DATE})")


def check_plain_values(data: Any, source: str, root: type[BaseModel] | None = None) -> None:
    """What YAML parsed into something the user did not mean, before the schema sees it: a
    ``true``/``false`` where a number belongs (the schema would read it as 1 or 0), a
    non-finite number (``.inf``, ``.nan``), a date outside 2000-2099.

    Raises:
        ScenarioError: one line per problem, naming ``source`` and the key path.
    """
    problems: list[str] = []
    _plain_values(data, (), Scenario if root is None else root, problems)
    if problems:
        raise ScenarioError("\n".join(f"{source}: {p}" for p in problems))


def checked_site_types(sc: Scenario, source: str) -> Scenario:
    """A validated scenario whose free-form site-type names are all site types."""
    problems = sc.site_type_problems()
    if problems:
        raise ScenarioError("\n".join(f"{source}: {p}" for p in problems))
    return sc
