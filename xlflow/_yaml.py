"""YAML loading that remembers line numbers, so errors can name the line of a field."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


class LineDict(dict):
    """A mapping from YAML that knows its own line and each key's line (1-based), and
    the text as written of values YAML read as something else than text (``yes``,
    ``0755``, ``2024-07-01``), so a caller expecting text can keep what was typed."""

    line: int = 0
    key_lines: dict[str, int]
    raw: dict[str, str] | None = None

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def raw_of(self, key: str) -> str | None:
        """The scalar as written, for a value that is not a YAML string."""
        return self.raw.get(key) if self.raw else None


class LineList(list):
    line: int = 0
    item_lines: list[int]


_STR = "tag:yaml.org,2002:str"
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~10x faster


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
        if value_node.tag != _STR and isinstance(value_node, yaml.ScalarNode):
            if out.raw is None:
                out.raw = {}
            out.raw[str(key)] = value_node.value
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    """An impossible date such as 2024-13-12 stays text, so the caller can say which
    field holds it instead of failing inside the YAML parser."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlError(ValueError):
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.detail = str(path), line, message


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Building a large tree of new objects (a 40,000-task project.yaml) makes Python's
    cycle collector walk the whole growing heap again and again: loading took 2.5x as
    long, more per task the larger the file. The tree has no cycles to collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(text: str, path: Path | str) -> Any:
    try:
        with paused_gc():
            return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(path, line, str(exc.problem or exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 0, str(exc)) from None


def load_file(path: Path) -> Any:
    return load(path.read_text(encoding="utf-8"), path)
