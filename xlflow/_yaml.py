"""YAML loading that remembers line numbers, so errors can name the line of a field."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ._gcpause import paused_gc


class LineDict(dict):
    """A mapping from YAML that knows its own line and each key's line (1-based), and
    the text as written of values YAML read as something else than text (``yes``,
    ``0755``, ``2024-07-01``), so a caller expecting text can keep what was typed.

    Compact, because a 100,000-task project.yaml makes 100,000 of them: no instance
    dict; the key lines as the first key's line when the keys are on consecutive lines
    (a block mapping), else an array in key order, else (keys that are not text) a dict;
    the raw text only where it differs from what the value's own text gives back."""

    __slots__ = ("line", "_lines", "raw")
    line: int
    _lines: int | array[int] | dict[str, int] | None
    raw: dict[str, str] | None

    def __getattr__(self, name: str) -> Any:  # a LineDict made by hand (spec.py)
        if name in ("line", "_lines", "raw"):
            return 0 if name == "line" else None
        raise AttributeError(name)

    @property
    def key_lines(self) -> dict[str, int]:
        return {str(k): self.line_of(str(k)) for k in self}

    @key_lines.setter
    def key_lines(self, lines: dict[str, int]) -> None:
        self._lines = dict(lines)

    def line_of(self, key: str) -> int:
        lines = self._lines
        if lines is None:
            return self.line
        if isinstance(lines, dict):
            return lines.get(key, self.line)
        for i, k in enumerate(self):  # a handful of keys, all text
            if k == key:
                return lines + i if isinstance(lines, int) else lines[i]
        return self.line

    def raw_of(self, key: str) -> str | None:
        """The scalar as written, for a value that is not a YAML string."""
        raw = self.raw
        if raw is not None and key in raw:
            return raw[key]
        if not isinstance(self._lines, (int, array)) or key not in self:
            return None  # made by hand or with keys that are not text: raw is complete
        return _canonical_text(self[key])


def _canonical_text(value: Any) -> str | None:
    """What a scalar's raw text is taken to be when the loader did not keep it (it keeps
    it whenever the text differs from this)."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value)
    if kind is _date:
        return value.isoformat()
    return None


class LineList(list):
    __slots__ = ("line", "item_lines")
    line: int
    item_lines: array[int] | list[int]


_STR = "tag:yaml.org,2002:str"
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~10x faster
_date = __import__("datetime").date


# -- the general path: compose the node graph, then construct --------------------------


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.raw = None
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"重复的键 {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        key_lines[str(key)] = key_node.start_mark.line + 1
        if value_node.tag != _STR and isinstance(value_node, yaml.ScalarNode):
            if out.raw is None:
                out.raw = {}
            out.raw[str(key)] = value_node.value
    out._lines = key_lines
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> object:
    """An impossible date such as 2024-13-12 stays text, so the caller can say which
    field holds it instead of failing inside the YAML parser."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# -- the fast path: build the tree straight from the parser's events -------------------
#
# Composing the node graph first keeps every scalar as a node with two marks until the
# whole document is read: 870 MB for a 100,000-task project.yaml. Built from the
# events, only the tree itself is kept. Anything this path does not handle the way the
# general path does (anchors, aliases, explicit tags, merge keys, keys that are not
# scalars, a duplicate key, a second document) sends the whole text to the general
# path, so results and errors are the same as before, found in the same order.


#: Plain scalars up to this length are resolved once and their value shared (names,
#: dates, ids, keys); longer text rarely repeats, and remembering it costs memory.
_SHARED_LENGTH = 12


class _Fallback(Exception):
    pass


_SCALAR_TAGS = {"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_ScalarEvent, _MappingStart, _MappingEnd = (yaml.ScalarEvent, yaml.MappingStartEvent,
                                            yaml.MappingEndEvent)
_SequenceStart, _SequenceEnd = yaml.SequenceStartEvent, yaml.SequenceEndEvent


class _Builder:
    def __init__(self, text: str) -> None:
        self.loader = _Loader(text)
        self.get: Callable[[], Any] = self.loader.get_event
        resolvers = self.loader.yaml_implicit_resolvers
        if self.loader.yaml_path_resolvers or None in resolvers:
            raise _Fallback
        self.resolvers: dict[str, list[tuple[str, Any]]] = resolvers
        self.plain: dict[str, Any] = {}  # plain scalar text -> value (shared: immutable)
        self.strings: dict[str, str] = {}  # quoted text, shared
        self.untyped: set[str] = set()  # plain scalars YAML types but that stay text (2024-13-12)

    def close(self) -> None:
        self.loader.dispose()

    def document(self) -> Any:
        get = self.get
        get()  # stream start
        event = get()
        if type(event) is yaml.StreamEndEvent:
            return None
        event = get()  # past the document start
        data = self.node(event)
        get()  # document end
        if type(get()) is not yaml.StreamEndEvent:
            raise _Fallback  # the general path says "expected a single document"
        return data

    def scalar(self, event: Any) -> Any:
        """A scalar's value, with the resolver's and SafeLoader's rules."""
        if event.anchor is not None:
            raise _Fallback
        value = event.value
        plain, quoted = event.implicit  # plain: no tag (or "!"); quoted: no tag
        if plain:
            found = self.plain.get(value, self)
            return found if found is not self else self.resolve(event)
        if quoted:
            return self.strings.setdefault(value, value)
        raise _Fallback  # an explicit tag

    def resolve(self, event: Any) -> Any:
        value = event.value
        out: Any = value
        for tag, regexp in self.resolvers.get(value[:1], ()):
            if regexp.match(value):
                if tag not in _SCALAR_TAGS:
                    raise _Fallback  # '<<' merge key, '=' value
                node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark)
                try:
                    out = self.loader.yaml_constructors[tag](self.loader, node)
                except Exception:  # the general path reports it, after any syntax error
                    raise _Fallback from None
                if type(out) is str:
                    self.untyped.add(value)
                break
        if len(value) <= _SHARED_LENGTH:
            self.plain[value] = out
        return out

    def node(self, event: Any) -> Any:
        kind = type(event)
        if kind is _ScalarEvent:
            return self.scalar(event)
        if kind is _MappingStart:
            return self.mapping(event)
        if kind is _SequenceStart:
            return self.sequence(event)
        raise _Fallback  # an alias

    def mapping(self, start: Any) -> LineDict:
        if start.anchor is not None or (start.tag is not None and start.tag != "!"):
            raise _Fallback
        get, scalar, node, plain = self.get, self.scalar, self.node, self.plain
        untyped = self.untyped
        out = LineDict()
        lines: list[int] = []
        typed_values: list[tuple[Any, str]] = []  # (key, text) of values YAML typed
        typed = True  # every key is text
        event: Any
        while True:
            event = get()
            if type(event) is _MappingEnd:
                break
            if type(event) is not _ScalarEvent:
                raise _Fallback
            key = plain.get(event.value, plain)
            if key is plain or event.anchor is not None or not event.implicit[0]:
                key = scalar(event)
            if type(key) is not str:
                typed = False
            if key in out:
                raise _Fallback  # the general path refuses it, after any syntax error
            lines.append(event.start_mark.line + 1)  # type: ignore[union-attr]
            event = get()
            if type(event) is _ScalarEvent:
                value = plain.get(event.value, plain)
                if value is plain or event.anchor is not None or not event.implicit[0]:
                    value = scalar(event)
                if type(value) is not str or (untyped and value in untyped
                                              and event.implicit[0]):
                    typed_values.append((key, event.value))
            else:
                value = node(event)
            out[key] = value
        out.line = start.start_mark.line + 1
        raw: dict[str, str] | None = None
        if not typed:  # the old way: keys as text, later ones win; every typed value's text
            out._lines = {str(k): n for k, n in zip(out, lines, strict=True)}
            raw = {str(k): text for k, text in typed_values} or None
        elif lines and lines == list(range(lines[0], lines[0] + len(lines))):
            out._lines = lines[0]
        else:
            out._lines = array("i", lines)
        if typed:
            raw = {k: text for k, text in typed_values if text != _canonical_text(out[k])} or None
        out.raw = raw
        return out

    def sequence(self, start: Any) -> LineList:
        if start.anchor is not None or (start.tag is not None and start.tag != "!"):
            raise _Fallback
        get, node = self.get, self.node
        out = LineList()
        lines = array("i")
        while True:
            event = get()
            if type(event) is _SequenceEnd:
                break
            lines.append(event.start_mark.line + 1)
            out.append(node(event))
        out.line = start.start_mark.line + 1
        out.item_lines = lines
        return out


class YamlError(ValueError):
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.detail = str(path), line, message


def _load_events(text: str) -> Any:
    builder = _Builder(text)
    try:
        return builder.document()
    finally:
        builder.close()


def _load_nodes(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def load(text: str, path: Path | str) -> Any:
    try:
        with paused_gc():
            try:
                return _load_events(text)
            except _Fallback:
                return _load_nodes(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlError(path, line, _problem(str(exc.problem or exc))) from None
    except yaml.YAMLError as exc:
        raise YamlError(path, 0, _problem(str(exc))) from None


def text_of(raw: bytes) -> str:
    """A YAML file's bytes as text, as a file opened in text mode reads them (UTF-8, line
    ends as \\n). Raises UnicodeDecodeError."""
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def load_file(path: Path) -> Any:
    return load(text_of(path.read_bytes()), path)


def _problem(text: str) -> str:
    """PyYAML's own words are English: say in Chinese that the YAML is malformed and keep
    them in brackets (our own, already Chinese, are kept as they are)."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    return f"YAML 格式有误({text})"
