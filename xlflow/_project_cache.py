"""project.yaml's loaded form, kept between runs: the same file as last time (every week
of a real project) is rebuilt from plain JSON values instead of being parsed and
checked again.

DIR/.xlflow-cache/project.json holds one project: a header line naming the SHA-256 of
project.yaml's bytes, xlflow's version and a fingerprint of the loader's code and of
the record types, then the typed Project as JSON (strings once in a table, each list of
records column by column). It is only ever a copy of a project that loaded without
error, so it never needs to say anything: a file that is missing, unreadable, from
another version or another project.yaml, corrupt, truncated or of the wrong shape is
ignored and written afresh, and a project.yaml with an error is always parsed so that
the message names its line.

Safe in a shared folder: JSON values only (nothing in it is ever run), and the body is
signed with a key derived from the project's own key (DIR/.xlflow-key, never sent), so a
file someone else drops there is not taken for the project: without the key, no cache.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import hmac
import json
import sys
import types
import typing
from array import array
from collections.abc import Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any

from . import __version__, _yaml
from ._files import atomic_path
from ._gcpause import paused_gc

CACHE_DIR = ".xlflow-cache"
CACHE_FILE = "project.json"
#: Bumped when the file's layout changes (the code fingerprint catches the rest).
SCHEMA = 1
_FORMAT = "xlflow-project-cache"
_KEY_LABEL = b"xlflow-project-cache-1"
#: The modules whose code decides what a project.yaml loads into.
_LOADER_MODULES = ("xlflow.project", "xlflow._yaml", "xlflow._project_cache", "xlflow.units",
                   "xlflow.model.vocab")
#: A cache file larger than this many times project.yaml (plus 1 MB) is not read.
_MAX_RATIO = 8


class _Unsupported(Exception):
    """A value or a type the cache does not store: the project is not cached."""


class _Invalid(Exception):
    """A cache body that does not decode into the types it should: ignored."""


# -- values as JSON ----------------------------------------------------------------------


class _Out:
    """While encoding: the string table (kept after the JSON, joined by a separator)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.index: dict[str, int] = {}  # of single values, shared

    def string(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.strings)
            self.strings.append(text)
        return found


class _In:
    """While decoding: the string table, dates made once each, and the project folder."""

    def __init__(self, strings: list[str], root: Path) -> None:
        self.strings = strings
        self.dates: dict[int, dt.date] = {}
        self.root = root


def _types_of(column: list[Any], allowed: tuple[type, ...]) -> None:
    if not set(map(type, column)) <= set(allowed):
        raise _Invalid("wrong type")


class _Codec:
    """One type's encoding; `column` decodes a whole list of it at once."""

    def encode(self, value: Any, out: _Out) -> Any:
        raise NotImplementedError

    def decode(self, obj: Any, ctx: _In) -> Any:
        raise NotImplementedError

    def column(self, objs: list[Any], ctx: _In) -> list[Any]:
        decode = self.decode
        return [decode(o, ctx) for o in objs]

    def encode_column(self, values: list[Any], out: _Out) -> list[Any]:
        encode = self.encode
        return [encode(v, out) for v in values]


def _exactly(values: list[Any], kinds: tuple[type, ...]) -> None:
    if not set(map(type, values)) <= set(kinds):
        raise _Unsupported("type")


class _Str(_Codec):
    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not str:
            raise _Unsupported(type(value))
        return out.string(value)

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) is not int or obj < 0:
            raise _Invalid("string index")
        return ctx.strings[obj]

    def column(self, objs: Any, ctx: _In) -> list[Any]:
        """A column is a run of the string table (its distinct values in order of first
        use) and, unless every value is distinct, each value's place in that run; a list
        of single values' indexes otherwise (a tuple of texts)."""
        strings = ctx.strings
        if type(objs) is list:
            table = strings
        elif (type(objs) is dict and objs.keys() == {"o", "k", "i"}
              and type(objs["o"]) is int and type(objs["k"]) is int
              and objs["o"] >= 0 and objs["k"] >= 0
              and objs["o"] + objs["k"] <= len(strings)):
            table = strings[objs["o"]:objs["o"] + objs["k"]]
            objs = objs["i"]
            if objs is None:
                return table
            if type(objs) is not list:
                raise _Invalid("string column")
        else:
            raise _Invalid("string column")
        _types_of(objs, (int,))
        if objs and min(objs) < 0:
            raise _Invalid("string index")
        return list(map(table.__getitem__, objs))

    def encode_column(self, values: list[Any], out: _Out) -> Any:
        _exactly(values, (str,))
        distinct = list(dict.fromkeys(values))
        offset = len(out.strings)
        out.strings += distinct
        if len(distinct) == len(values):
            return {"o": offset, "k": len(distinct), "i": None}
        place = {text: i for i, text in enumerate(distinct)}
        return {"o": offset, "k": len(distinct), "i": list(map(place.__getitem__, values))}


class _Plain(_Codec):
    """int, float or bool, as JSON has them (a float field may hold an int)."""

    def __init__(self, kinds: tuple[type, ...]) -> None:
        self.kinds = kinds

    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) not in self.kinds:
            raise _Unsupported(type(value))
        return value

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) not in self.kinds:
            raise _Invalid("number")
        return obj

    def column(self, objs: list[Any], ctx: _In) -> list[Any]:
        _types_of(objs, self.kinds)
        return objs

    def encode_column(self, values: list[Any], out: _Out) -> list[Any]:
        _exactly(values, self.kinds)
        return values


class _Date(_Codec):
    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not dt.date:
            raise _Unsupported(type(value))
        return value.toordinal()

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) is not int:
            raise _Invalid("date")
        day = ctx.dates.get(obj)
        if day is None:
            day = ctx.dates[obj] = dt.date.fromordinal(obj)  # ValueError when out of range
        return day

    def column(self, objs: list[Any], ctx: _In) -> list[Any]:
        _types_of(objs, (int,))
        dates = ctx.dates
        for o in set(objs) - dates.keys():
            dates[o] = dt.date.fromordinal(o)
        return [dates[o] for o in objs]

    def encode_column(self, values: list[Any], out: _Out) -> list[Any]:
        _exactly(values, (dt.date,))
        return [v.toordinal() for v in values]


class _Optional(_Codec):
    def __init__(self, inner: _Codec) -> None:
        self.inner = inner

    def encode(self, value: Any, out: _Out) -> Any:
        return None if value is None else self.inner.encode(value, out)

    def decode(self, obj: Any, ctx: _In) -> Any:
        return None if obj is None else self.inner.decode(obj, ctx)

    def column(self, objs: list[Any], ctx: _In) -> list[Any]:
        if None not in objs:
            return self.inner.column(objs, ctx)
        decode = self.inner.decode
        return [None if o is None else decode(o, ctx) for o in objs]

    def encode_column(self, values: list[Any], out: _Out) -> list[Any]:
        if None not in values:
            return self.inner.encode_column(values, out)
        encode = self.inner.encode
        return [None if v is None else encode(v, out) for v in values]


class _Enum(_Codec):
    def __init__(self, kind: type[enum.Enum]) -> None:
        self.kind = kind

    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not self.kind or type(value.value) is not str:
            raise _Unsupported(type(value))
        return value.value

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) is not str:
            raise _Invalid("enum")
        return self.kind(obj)  # ValueError when it is no member


class _Tuple(_Codec):
    """tuple[X, ...] (`items` None) or tuple[X, Y] (`items` one codec each)."""

    def __init__(self, each: _Codec | None, items: tuple[_Codec, ...] = ()) -> None:
        self.each, self.items = each, items

    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not tuple:
            raise _Unsupported(type(value))
        if self.each is not None:
            return [self.each.encode(v, out) for v in value]
        if len(value) != len(self.items):
            raise _Unsupported("tuple length")
        return [c.encode(v, out) for c, v in zip(self.items, value, strict=True)]

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) is not list:
            raise _Invalid("list")
        if not obj:
            if self.each is None and self.items:
                raise _Invalid("tuple length")
            return ()
        if self.each is not None:
            return tuple(self.each.column(obj, ctx))
        if len(obj) != len(self.items):
            raise _Invalid("tuple length")
        return tuple(c.decode(o, ctx) for c, o in zip(self.items, obj, strict=True))

    def column(self, objs: list[Any], ctx: _In) -> list[Any]:
        _types_of(objs, (list,))
        decode = self.decode
        return [decode(o, ctx) if o else () for o in objs] if self.each is not None \
            else [decode(o, ctx) for o in objs]

    def encode_column(self, values: list[Any], out: _Out) -> list[Any]:
        _exactly(values, (tuple,))
        encode = self.encode
        return [encode(v, out) if v else [] for v in values]


class _Record(_Codec):
    """A frozen dataclass: its fields in order; a field typed Path is the project folder
    (not stored)."""

    def __init__(self, kind: type) -> None:
        self.kind = kind
        hints = typing.get_type_hints(kind)
        self.names: list[str] = []
        self.codecs: list[_Codec] = []
        self.folders: list[str] = []
        for f in dataclasses.fields(kind):
            if not f.init:
                raise _Unsupported(f"{kind.__name__}.{f.name}")
            if hints[f.name] is Path:
                self.folders.append(f.name)
                continue
            self.names.append(f.name)
            self.codecs.append(_codec(hints[f.name]))
        self.positional = not self.folders and not any(f.kw_only for f in dataclasses.fields(kind))

    def describe(self) -> str:
        return f"{self.kind.__name__}({','.join(self.names)};{','.join(self.folders)})"

    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not self.kind:
            raise _Unsupported(type(value))
        return [c.encode(getattr(value, n), out) for n, c in zip(self.names, self.codecs,
                                                                 strict=True)]

    def decode(self, obj: Any, ctx: _In) -> Any:
        if type(obj) is not list or len(obj) != len(self.names):
            raise _Invalid(self.kind.__name__)
        kwargs = {n: c.decode(o, ctx) for n, c, o in zip(self.names, self.codecs, obj,
                                                         strict=True)}
        kwargs.update((name, ctx.root) for name in self.folders)
        return self.kind(**kwargs)


class _Table(_Codec):
    """tuple[Record, ...], column by column: each column decodes in one pass, then the
    records are made from the rows (100,000 tasks)."""

    def __init__(self, record: _Record) -> None:
        self.record = record

    def encode(self, value: Any, out: _Out) -> Any:
        if type(value) is not tuple:
            raise _Unsupported(type(value))
        rec = self.record
        _exactly(list(value), (rec.kind,))
        return {"n": len(value), "c": [c.encode_column(list(map(attrgetter(n), value)), out)
                                       for n, c in zip(rec.names, rec.codecs, strict=True)]}

    def decode(self, obj: Any, ctx: _In) -> Any:
        rec = self.record
        if type(obj) is not dict or obj.keys() != {"n", "c"}:
            raise _Invalid("table")
        count, columns = obj["n"], obj["c"]
        if (type(count) is not int or type(columns) is not list
                or len(columns) != len(rec.names)):
            raise _Invalid("table shape")
        decoded = [codec.column(col, ctx) for codec, col in zip(rec.codecs, columns,
                                                                 strict=True)]
        if any(len(col) != count for col in decoded):
            raise _Invalid("table shape")
        if not count:
            return ()
        kind = rec.kind
        if rec.positional:
            return tuple(kind(*row) for row in zip(*decoded, strict=True))
        names = rec.names
        return tuple(kind(**dict(zip(names, row, strict=True)))
                     for row in zip(*decoded, strict=True))


class _Tree(_Codec):
    """A YAML subtree kept as loaded (spec_overrides): LineDict and LineList with their
    lines and raw texts, so a message about it names the same line as after a parse."""

    def encode(self, value: Any, out: _Out) -> Any:
        kind = type(value)
        if value is None or kind in (str, int, bool, float):
            return value
        if kind is dt.date:
            return {"d": value.toordinal()}
        if kind is dt.datetime:
            return {"t": value.isoformat()}
        if kind is _yaml.LineDict:
            lines = value._lines
            if isinstance(lines, array):
                lines = list(lines)
            elif lines is not None and type(lines) is not int:
                lines = {"k": dict(lines)}
            return {"m": [self.encode(k, out) for k in value],
                    "v": [self.encode(v, out) for v in value.values()],
                    "n": value.line, "l": lines, "r": value.raw}
        if kind is dict:
            return {"p": [[self.encode(k, out), self.encode(v, out)] for k, v in value.items()]}
        if kind is _yaml.LineList:
            items = value.item_lines
            return {"a": [self.encode(v, out) for v in value], "n": value.line,
                    "i": list(items), "y": isinstance(items, array)}
        if kind is list:
            return {"q": [self.encode(v, out) for v in value]}
        raise _Unsupported(kind)

    def decode(self, obj: Any, ctx: _In) -> Any:
        kind = type(obj)
        if obj is None or kind in (str, int, bool, float):
            return obj
        if kind is not dict:
            raise _Invalid("tree")
        keys = obj.keys()
        if keys == {"d"}:
            return _Date().decode(obj["d"], ctx)
        if keys == {"t"} and type(obj["t"]) is str:
            return dt.datetime.fromisoformat(obj["t"])
        if keys == {"p"} and type(obj["p"]) is list:
            out: dict[Any, Any] = {}
            for pair in obj["p"]:
                if type(pair) is not list or len(pair) != 2:
                    raise _Invalid("pair")
                out[self._key(pair[0], ctx)] = self.decode(pair[1], ctx)
            return out
        if keys == {"q"} and type(obj["q"]) is list:
            return [self.decode(v, ctx) for v in obj["q"]]
        if keys == {"m", "v", "n", "l", "r"}:
            return self._mapping(obj, ctx)
        if keys == {"a", "n", "i", "y"}:
            items, lines = obj["a"], obj["i"]
            if (type(items) is not list or type(obj["n"]) is not int or type(lines) is not list
                    or len(lines) != len(items) or type(obj["y"]) is not bool):
                raise _Invalid("list")
            _types_of(lines, (int,))
            seq = _yaml.LineList(self.decode(v, ctx) for v in items)
            seq.line = obj["n"]
            seq.item_lines = array("i", lines) if obj["y"] else list(lines)
            return seq
        raise _Invalid("tree")

    def _key(self, obj: Any, ctx: _In) -> Any:
        key = self.decode(obj, ctx)
        if isinstance(key, (dict, list)):
            raise _Invalid("key")
        return key

    def _mapping(self, obj: dict[str, Any], ctx: _In) -> _yaml.LineDict:
        keys, values, line, lines, raw = obj["m"], obj["v"], obj["n"], obj["l"], obj["r"]
        if (type(keys) is not list or type(values) is not list or len(keys) != len(values)
                or type(line) is not int):
            raise _Invalid("mapping")
        out = _yaml.LineDict()
        for k, v in zip(keys, values, strict=True):
            key = self._key(k, ctx)
            if key in out:
                raise _Invalid("duplicate key")
            out[key] = self.decode(v, ctx)
        out.line = line
        if lines is None or type(lines) is int:
            out._lines = lines
        elif type(lines) is list and len(lines) == len(keys):
            _types_of(lines, (int,))
            out._lines = array("i", lines)
        elif type(lines) is dict and lines.keys() == {"k"} and type(lines["k"]) is dict:
            _types_of(list(lines["k"].values()), (int,))
            out._lines = dict(lines["k"])
        else:
            raise _Invalid("key lines")
        if raw is not None and (type(raw) is not dict or not raw
                                or not set(map(type, raw.values())) <= {str}):
            raise _Invalid("raw")
        out.raw = raw
        return out


def _codec(hint: Any) -> _Codec:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str:
        return _Str()
    if hint is bool:
        return _Plain((bool,))
    if hint is int:
        return _Plain((int,))
    if hint is float:
        return _Plain((int, float))
    if hint is dt.date:
        return _Date()
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        return _Optional(_codec(next(a for a in args if a is not type(None))))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _codec(args[0])
        return _Table(inner) if isinstance(inner, _Record) else _Tuple(inner)
    if origin is tuple and args and Ellipsis not in args:
        return _Tuple(None, tuple(_codec(a) for a in args))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _Enum(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _Record(hint)
    if origin is Mapping:
        return _Tree()
    raise _Unsupported(hint)


def _describe(codec: _Codec) -> str:
    """The shape a codec stores, for the cache's tag: another shape, another tag."""
    if isinstance(codec, _Record):
        return codec.describe() + "[" + ",".join(map(_describe, codec.codecs)) + "]"
    if isinstance(codec, _Table):
        return "*" + _describe(codec.record)
    if isinstance(codec, _Optional):
        return "?" + _describe(codec.inner)
    if isinstance(codec, _Tuple):
        inner = [codec.each] if codec.each is not None else list(codec.items)
        return "(" + ",".join(map(_describe, inner)) + ")"
    if isinstance(codec, _Plain):
        return "|".join(k.__name__ for k in codec.kinds)
    if isinstance(codec, _Enum):
        return codec.kind.__name__ + "{" + ",".join(str(m.value) for m in codec.kind) + "}"
    return type(codec).__name__


# -- the file ------------------------------------------------------------------------------

_codecs: dict[type, tuple[_Record, str] | None] = {}


def _layout(kind: type) -> tuple[_Record, str] | None:
    """The codec of the project type and the tag a cache of it carries: xlflow's
    version, this layout, the record shapes and the loader's code. None when the type
    holds something the cache does not store, or the code cannot be read."""
    if kind not in _codecs:
        found: tuple[_Record, str] | None = None
        try:
            record = _Record(kind)
            code = hashlib.sha256()
            for name in _LOADER_MODULES:
                code.update(Path(sys.modules[name].__file__ or "").read_bytes())
            found = (record, f"{__version__};{SCHEMA};{code.hexdigest()[:16]};"
                     f"{hashlib.sha256(_describe(record).encode()).hexdigest()[:16]}")
        except (_Unsupported, KeyError, OSError, TypeError, NameError):
            found = None
        _codecs[kind] = found
    return _codecs[kind]


def cache_file(root: Path) -> Path:
    return root / CACHE_DIR / CACHE_FILE


def _cache_key(root: Path) -> bytes | None:
    """The signing key of the cache, derived from the project's key; None without one
    (or with a key file that cannot be read: the commands that need it say so)."""
    from .errors import XlflowError
    from .signing import KEY_FILE, read_key

    try:
        key = read_key(root / KEY_FILE)
    except (XlflowError, OSError, ValueError):
        return None
    return None if key is None else hmac.new(key, _KEY_LABEL, hashlib.sha256).digest()


def _mac(key: bytes, tag: str, digest: str, body: bytes | memoryview, texts: bytes) -> str:
    mac = hmac.new(key, f"{tag}\n{digest}\n{len(body)}\n".encode(), hashlib.sha256)
    mac.update(body)
    mac.update(texts)
    return mac.hexdigest()


def _separator(strings: list[str]) -> str:
    """A character none of the strings holds, to join them with (a control character:
    project.yaml's texts refuse those, so the first one almost always does)."""
    for code in [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0xE000, 0xF900)]:
        sep = chr(code)
        if not any(sep in s for s in strings):
            return sep
    raise _Unsupported("no separator")


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def is_current(root: Path) -> bool:
    """Whether DIR holds a cache of its project.yaml as it is now, by the header alone
    (signature and body not checked): what the benchmarks print as warm or cold."""
    try:
        with open(cache_file(root), "rb") as fh:
            header = json.loads(fh.readline())
        digest = digest_of((root / "project.yaml").read_bytes())
    except (OSError, ValueError):
        return False
    return type(header) is dict and header.get("sha256") == digest


def read(kind: type, root: Path, digest: str, size: int) -> Any:
    """The project cached for project.yaml with SHA-256 `digest` (`size` bytes), or None
    when there is no usable cache. Never raises for the cache's sake."""
    layout = _layout(kind)
    if layout is None:
        return None
    record, tag = layout
    try:
        path = cache_file(root)
        if not path.is_file() or path.stat().st_size > _MAX_RATIO * size + (1 << 20):
            return None
        key = _cache_key(root)
        if key is None:
            return None
        with open(path, "rb") as fh:  # line by line: no second copy of a 15 MB file
            head, body, texts = fh.readline(), fh.readline(), fh.read()
        header = json.loads(head)
        if (type(header) is not dict or header.get("format") != _FORMAT
                or header.get("tag") != tag or header.get("sha256") != digest
                or type(header.get("mac")) is not str
                or type(header.get("sep")) is not str or len(header["sep"]) != 1
                or not body.endswith(b"\n")
                or not hmac.compare_digest(header["mac"], _mac(key, tag, digest,
                                                               memoryview(body)[:-1], texts))):
            return None
        with paused_gc():
            strings = texts.decode("utf-8").split(header["sep"])
            del texts
            data = json.loads(body)
            del body
            return record.decode(data, _In(strings, root))
    except (_Invalid, ValueError, TypeError, KeyError, IndexError, OverflowError, OSError,
            RecursionError, MemoryError):
        return None


def write(root: Path, digest: str, project: Any) -> None:
    """Keep `project` (loaded from project.yaml with SHA-256 `digest`) for the next run.
    Quietly does nothing when the folder is read-only, the disk full, the project has no
    key or holds a value the cache does not store."""
    from .errors import XlflowError

    layout = _layout(type(project))
    if layout is None:
        return
    record, tag = layout
    key = _cache_key(root)
    if key is None or (root / CACHE_DIR).is_symlink():  # written only inside the project
        return
    try:
        out = _Out()
        with paused_gc():
            body = json.dumps(record.encode(project, out), ensure_ascii=False,
                              separators=(",", ":"), allow_nan=False).encode("utf-8")
        strings = out.strings
        sep = _separator(strings)
        texts = sep.join(strings).encode("utf-8")
        header = json.dumps({"format": _FORMAT, "tag": tag, "sha256": digest, "sep": sep,
                             "mac": _mac(key, tag, digest, body, texts)}).encode("ascii")
        with atomic_path(cache_file(root)) as tmp, open(tmp, "wb") as fh:
            fh.write(b"\n".join((header, body, texts)))
    except (_Unsupported, ValueError, TypeError, RecursionError, OSError, XlflowError):
        return

