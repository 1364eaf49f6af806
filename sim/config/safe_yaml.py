"""The one YAML loader: every scenario, sweep and calibration file is read with it.

It reads what the user wrote, as YAML 1.2 does (:class:`_SafeLoader`): anchors and aliases are
refused, a key written twice is an error, only ``true`` and ``false`` are booleans, ``1e9`` is
a float, and an impossible date stays text for the schema to report with its key path.
:func:`read_yaml_file` reads a file with it (a regular text file of at most
:data:`MAX_SCENARIO_BYTES`, refused with a message naming the file and the reason otherwise);
:func:`parse_yaml_text` parses text (a ``--set`` value). Errors become a
:class:`~sim.config.errors.ScenarioError` (or the error class the caller names).

This module imports neither numpy nor pandas, so that checking a file starts fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sim.config.errors import ScenarioError, SimInputError
from sim.config.files import read_bounded_bytes

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
