"""Reading and writing files safely: one YAML loader, key paths and ``--set``, atomic writes.

Reading:
    read_yaml_file(path): a YAML file with the safe, alias-free loader (size-limited, text only).
    load_scenario(path): read and validate a scenario file.
    get_path(scenario, "a.b.c") / with_overrides(scenario, {"a.b.c": value}): key paths.
    parse_set_args(["a.b=1"]): ``--set`` options from the command line.

Writing: files are written to a temporary name in the same folder and renamed into place
(``os.replace`` is atomic on one file system); a run's folder is assembled in a temporary
sibling folder and swapped in only when complete (:class:`StagedDir`).

This module imports neither numpy nor pandas, so that checking a file starts fast.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import re
import shutil
import tempfile
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.config.base import did_you_mean  # noqa: F401 - part of this module's interface
from sim.config.errors import ScenarioError, SimInputError
from sim.config.files import (  # noqa: F401 - part of this module's interface
    FolderLock,
    check_out_dir,
    check_output_path,
    check_regular_file,
    read_bounded_bytes,
)
from sim.config.schema import Scenario


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, numbers.Integral):  # numpy integers too
        return int(obj)
    if isinstance(obj, numbers.Real):  # numpy floats too
        f = float(obj)
        return None if math.isnan(f) or math.isinf(f) else f
    if hasattr(obj, "tolist"):  # numpy arrays
        return _jsonable(obj.tolist())
    if hasattr(obj, "isoformat"):  # dates
        return obj.isoformat()
    return obj


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary file name next to ``path``: write to it inside the ``with`` block; on success
    it is flushed to disk and renamed onto ``path`` (atomic on one file system), on failure it
    is removed. Temporary names start with ``.tmp-`` (a crashed writer leaves nothing else)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{path.name}")
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write text to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write JSON (NaN and inf become null, dates ISO strings) atomically."""
    atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=False) + "\n")


def atomic_write_parquet(path: str | Path, df) -> None:
    """Write a DataFrame (or a pyarrow Table) as Parquet atomically."""
    with atomic_path(path) as tmp:
        if hasattr(df, "to_parquet"):
            df.to_parquet(tmp, index=False)
        else:
            import pyarrow.parquet as pq

            pq.write_table(df, tmp)


class StagedDir:
    """Assemble a results folder next to its destination and swap it in on success.

    Usage::

        with StagedDir(out) as stage:
            atomic_write_json(stage / "summary.json", ...)
        # now `out` holds exactly the new files; on an exception it is untouched.
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path: Path | None = None

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.path is not None
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.old.", dir=self.out.parent))
            os.replace(self.out, old / "x")
        os.replace(self.path, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


MAX_SCENARIO_BYTES = 1_000_000


class _SafeLoader(yaml.SafeLoader):
    """Safe YAML loader that reads what the user wrote, as YAML 1.2 does:

    * anchors and aliases are refused (no billion-laughs blow-ups);
    * a key written twice in one mapping is an error (YAML 1.1 keeps the last one silently);
    * only ``true`` and ``false`` are booleans: ``yes``, ``no``, ``on``, ``off`` stay text, so
      ``budget_eur: yes`` is an error, not 1;
    * ``1e9`` (no dot) is a float."""

    yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:bool"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if first is not None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice in one mapping (first on line "
                        f"{first + 1}); YAML would keep only the last one: remove one of them",
                        key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep)

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (*name) are not allowed in these files",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def _timestamp_or_text(loader, node):
    """A YAML date; an impossible one (``2025-02-30``) stays text, so that the schema reports
    it with its key path instead of the YAML library raising deep inside the parser."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)

_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))

_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)



def parse_yaml_text(text: str, source: str) -> Any:
    """Parse YAML text with the safe, alias-free loader; errors become ScenarioError."""
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{source}: invalid YAML{where}: {problem}") from None


def read_yaml_file(path: str | Path, error: type[SimInputError] = ScenarioError) -> Any:
    """Read a YAML file safely: missing, binary, oversized, empty or malformed files, and
    anything but a regular file (a FIFO, ``/dev/zero``: they may never end), raise ``error``
    (a :class:`ScenarioError` by default) naming the file and the reason."""
    p = Path(path)
    raw = read_bounded_bytes(p, MAX_SCENARIO_BYTES, "YAML file", error)
    if b"\x00" in raw:
        raise error(f"{p}: not a text file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = parse_yaml_text(text, str(p))
    except ScenarioError as exc:
        raise error(str(exc)) from None
    if data is None:
        raise error(f"{p}: file is empty")
    return data


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
    node: Any = root
    for part in loc:
        model = _model_of(node)
        if isinstance(part, str) and model is not None and part in model.model_fields:
            node = model.model_fields[part].annotation
            continue
        if isinstance(part, str) and model is not None and part == model.__name__:
            continue  # pydantic names the member of a union it tried
        inner = _container_item(node)
        if inner is None:
            return None
        node = inner
    model = _model_of(node)
    return list(model.model_fields) if model is not None else None


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
    node: Any = root
    for part in loc:
        model = _model_of(node)
        if isinstance(part, str) and model is not None and part in model.model_fields:
            node = model.model_fields[part].annotation
            continue
        inner = _container_item(node)
        if inner is None:
            return None
        node = inner
    return node


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


def scenario_from_dict(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a parsed mapping into a :class:`Scenario`; errors name the key path."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: top level must be a mapping of keys (name, period, threat, defense, ...), "
            f"got {type(data).__name__}"
        )
    check_plain_values(data, source)
    try:
        return _checked(Scenario.model_validate(data), source)
    except ValidationError as exc:
        raise ScenarioError(validation_message(source, exc)) from None


def _checked(sc: Scenario, source: str) -> Scenario:
    """A validated scenario whose free-form site-type names are all site types."""
    problems = sc.site_type_problems()
    if problems:
        raise ScenarioError("\n".join(f"{source}: {p}" for p in problems))
    return sc


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
        _timeline_to_period(merged)  # a file that shortens its base's winter keeps its months
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
        _timeline_to_period(data)
    check_plain_values({k: v for k, v in _nested(overrides).items()}, source)
    try:
        return _checked(Scenario.model_validate(data), source)
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


def _timeline_to_period(data: dict) -> None:
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


def scenario_json_schema() -> dict:
    """The JSON Schema of the scenario file format."""
    return Scenario.model_json_schema()
