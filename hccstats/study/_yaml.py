"""study.yaml as Python data: YAML's safe loader, with a key given twice an error.

PyYAML keeps the last of two equal keys of a mapping (``B: 200`` then ``B: 20``; two models
of one name): :class:`UniqueKeyLoader` refuses them, naming the key, where it is
(``analysis.models.Prespecified``) and both lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .._errors import InputError
from ._files import read_text

__all__ = ["UniqueKeyLoader", "read_yaml"]

_MERGE = "tag:yaml.org,2002:merge"


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises :class:`DuplicateKeyError` for a mapping key given twice.

    Each mapping's children are given their dotted path as the mapping is constructed (a
    parent is constructed before its children), so the error names where the key is.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._paths: dict[int, str] = {}

    def _name(self, node: yaml.Node) -> str:
        return self._paths.get(id(node), "")

    def _set_paths(self, node: yaml.Node, path: str) -> None:
        self._paths[id(node)] = path
        if isinstance(node, yaml.SequenceNode):  # a sequence's items are built without a hook
            for i, item in enumerate(node.value):
                self._set_paths(item, f"{path}[{i}]")

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            where = self._name(node)
            seen: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                text = str(key)
                self._set_paths(value_node, f"{where}.{text}" if where else text)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the safe loader refuses it itself
                    continue
                if first is not key_node:
                    raise DuplicateKeyError(where, key, first, key_node)
        return super().construct_mapping(node, deep=deep)


class DuplicateKeyError(yaml.YAMLError):
    """A mapping key given twice (the message names the key, its path and both lines)."""

    def __init__(self, where: str, key: Any, first: yaml.Node, again: yaml.Node):
        self.path = f"{where}.{key}" if where else str(key)
        self.lines = (first.start_mark.line + 1, again.start_mark.line + 1)
        super().__init__(
            f"{self.path}: key {str(key)!r} given twice (lines {self.lines[0]} and "
            f"{self.lines[1]}); YAML would keep only the last: remove or rename one"
        )


def read_yaml(path: Path) -> Any:
    """The data of a UTF-8 YAML file; InputError naming the file and the line."""
    text = read_text(path)
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except DuplicateKeyError as exc:
        raise InputError(f"{path.name}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        raise InputError(
            f"{path.name}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
