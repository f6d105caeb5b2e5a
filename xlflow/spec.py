"""Workbook specs: `workbook_specs/*.yaml` loaded into frozen, checked objects.

A spec describes one template of the seed process (模板1-5): its sheet, its columns,
their types, which a department may edit, and where pre-filled values come from.
Writer and reader both work from the same spec, so a column is described once.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from . import _yaml
from .errors import SpecError


class ColumnType(StrEnum):
    TEXT = "text"
    LONGTEXT = "longtext"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"
    NUMBER = "number"
    PERCENT = "percent"
    ENUM = "enum"
    PERSON = "person"
    DEPARTMENT = "department"
    PHONE = "phone"
    EMAIL = "email"
    CONTACT = "contact"
    TASK_ID = "task_id"
    RISK_ID = "risk_id"
    RESULT_ID = "result_id"


DATE_TYPES = frozenset({ColumnType.DATE, ColumnType.DATETIME})

#: Where a dropdown's values may come from, besides a fixed `values` list.
SOURCES = frozenset({"departments", "tasks", "own_tasks", "milestones"})
#: Date windows: the project's start..end, or start..end + the project's late window;
#: `return`: the week's Monday to its return deadline + the late window (填报日期).
WINDOWS = frozenset({"project", "extended", "return"})
LAYOUTS = frozenset({"table", "form"})
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Bounds that keep a spec's numbers meaningful in Excel (a column is at most 255 wide,
#: a cell holds at most 32,767 characters).
_NUMBER_RANGES = {"min": (-1e15, 1e15), "max": (-1e15, 1e15), "width": (1, 255),
                  "max_length": (1, 32767)}

_COLUMN_FIELDS = {
    "key", "zh", "en", "type", "required", "editable", "values", "source", "min", "max",
    "max_length", "window", "width", "hint", "from", "default", "multiple",
}
_TEMPLATE_FIELDS = {
    "key", "template", "title_zh", "title_en", "sheet", "version", "layout", "blank_rows",
    "instructions", "columns", "fields",
}


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    type: ColumnType
    required: bool = False
    editable: bool = True
    values: tuple[str, ...] = ()
    source: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    window: str | None = None
    width: float = 14
    hint: str = ""
    from_: str | None = None
    default: str | None = None
    multiple: bool = False  # a dropdown column that takes several choices (技术部、市场部)

    def header(self, language: str = "bilingual") -> str:
        """Header cell text: Chinese, English, or Chinese with English beneath."""
        if language == "zh":
            return self.zh
        if language == "en":
            return self.en
        return f"{self.zh}\n{self.en}"


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    template: str
    title_zh: str
    title_en: str
    sheet: str
    version: int
    layout: str
    columns: tuple[Column, ...]
    blank_rows: int = 0
    instructions: str = ""
    source: str = ""
    #: a block below the table, filled once per return (填报人/填报日期, 部门确认):
    #: label in column A, value in column B
    fields: tuple[Column, ...] = ()

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"模板 {self.key} 没有列 {key!r}")

    def field(self, key: str) -> Column:
        for col in self.fields:
            if col.key == key:
                return col
        raise KeyError(f"模板 {self.key} 没有字段 {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True)
class SpecSet:
    """All templates of one project, after the project's overrides."""

    templates: Mapping[str, TemplateSpec] = field(default_factory=dict)

    def __getitem__(self, key: str) -> TemplateSpec:
        return self.templates[key]

    def __iter__(self) -> Iterator[TemplateSpec]:
        return iter(self.templates.values())

    @property
    def version(self) -> str:
        """'request=1;responsibilities=1;...' - recorded in every built workbook."""
        return ";".join(f"{t.key}={t.version}" for t in self)

    @functools.cached_property  # once per project, not once per built workbook
    def digest(self) -> str:
        """Fingerprint of what reading depends on (keys, headers, types, choices), so a
        changed override is noticed; widths and hints do not count."""
        payload = [
            [t.key, t.version, [[c.key, c.zh, c.en, c.type.value, c.required, c.editable,
                                 list(c.values), c.source, *(["multiple"] if c.multiple else [])]
                                for c in t.columns]]
            + ([[[c.key, c.zh, c.type.value, c.required, list(c.values)] for c in t.fields]]
               if t.fields else []) for t in self
        ]
        raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]


def column_choices(column: Column, *, department: str, departments: Sequence[str],
                   tasks: Sequence[tuple[str, str]], milestones: Sequence[str]) -> tuple[str, ...]:
    """A dropdown's values: the spec's own, or from the project (tasks as (id, department)).
    The writer offers them and the reconciler checks against them: one definition."""
    if column.values:
        return column.values
    if column.type is ColumnType.DEPARTMENT or column.source == "departments":
        return tuple(departments)
    if column.source == "tasks":
        return tuple(t for t, _ in tasks)
    if column.source == "own_tasks":
        return tuple(t for t, d in tasks if d == department)
    if column.source == "milestones":
        return tuple(milestones)
    return ()


def date_window(column: Column, start: dt.date, end: dt.date,
                late_end: dt.date, *,
                week_window: tuple[dt.date, dt.date] | None = None) -> tuple[dt.date, dt.date]:
    """Dates a column accepts: the project window, or from a month before the start to
    the project's late window (actual and forecast dates may run late); a `return`
    window (填报日期) is `week_window`: the week's Monday to its return deadline plus
    the late window."""
    if column.window == "project":
        return start, end
    if column.window == "return" and week_window is not None:
        return week_window
    return start - dt.timedelta(days=30), late_end


def parse_versions(text: str) -> dict[str, int]:
    """Inverse of `SpecSet.version`; tolerant of junk (returns what parses)."""
    out: dict[str, int] = {}
    for part in str(text).split(";"):
        key, _, num = part.partition("=")
        if key.strip() and num.strip().isdigit():
            out[key.strip()] = int(num)
    return out


# -- loading -----------------------------------------------------------------------

TEMPLATE_ORDER = ("request", "responsibilities", "weekly", "risks", "acceptance", "retro")


def builtin_spec_dir() -> Path:
    return Path(str(resources.files("xlflow.workbook_specs")))


def load_specs(
    overrides: Mapping[str, Any] | None = None,
    *,
    spec_dir: Path | None = None,
    overrides_source: str = "project.yaml",
) -> SpecSet:
    """Load every template spec and apply a project's overrides.

    Raises SpecError naming the file, line and field of the first problem.
    """
    spec_dir = spec_dir or builtin_spec_dir()
    templates: dict[str, TemplateSpec] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        spec = load_template(path)
        if spec.key in templates:
            raise SpecError(f"{path}: 模板 key {spec.key!r} 已被 "
                            f"{templates[spec.key].source} 使用")
        templates[spec.key] = spec
    missing = [k for k in TEMPLATE_ORDER if k not in templates]
    if missing:
        raise SpecError(f"{spec_dir}: 缺少模板 {', '.join(missing)} 的规格文件")
    ordered = {k: templates[k] for k in TEMPLATE_ORDER}
    ordered.update({k: v for k, v in templates.items() if k not in ordered})
    if overrides:
        ordered = _apply_overrides(ordered, overrides, overrides_source)
    return SpecSet(ordered)


#: Templates read in this process, by path and content: every Project (each `replace`d
#: copy too) loads the specs, and parsing them each time was a fifth of loading a
#: cached project. A TemplateSpec is frozen, so one can be shared.
_TEMPLATES: dict[tuple[str, bytes], TemplateSpec] = {}


def load_template(path: Path) -> TemplateSpec:
    raw = path.read_bytes()
    found = _TEMPLATES.get((str(path), raw))
    if found is not None:
        return found
    try:
        data = _yaml.load(_yaml.text_of(raw), path)
    except _yaml.YamlError as exc:
        raise SpecError(str(exc)) from None
    if not isinstance(data, _yaml.LineDict):
        raise SpecError(f"{path}:1: 模板规格应为含 'key' 和 'columns' 的映射")
    spec = _template_from(data, str(path))
    if len(_TEMPLATES) >= 256:  # a test suite's many spec folders: start again
        _TEMPLATES.clear()
    _TEMPLATES[(str(path), raw)] = spec
    return spec


def _fail(source: str, node: Any, key: str | None, message: str) -> SpecError:
    line = 0
    if isinstance(node, _yaml.LineDict):
        line = node.line_of(key) if key else node.line
    elif hasattr(node, "line"):
        line = node.line
    return SpecError(f"{source}:{line}: {message}")


def _template_from(data: _yaml.LineDict, source: str) -> TemplateSpec:
    unknown = sorted(set(map(str, data)) - _TEMPLATE_FIELDS)
    if unknown:
        raise _fail(source, data, unknown[0], f"未知模板字段 {unknown[0]!r}"
                    f"({_did_you_mean(unknown[0], _TEMPLATE_FIELDS)}"
                    f"可用:{', '.join(sorted(_TEMPLATE_FIELDS))})")
    for req in ("key", "template", "title_zh", "sheet", "columns"):
        if not data.get(req):
            raise _fail(source, data, None, f"模板字段 {req!r} 必须填写")
    layout = data.get("layout", "table")
    if layout not in LAYOUTS:
        raise _fail(source, data, "layout", f"layout {layout!r} 不是 {sorted(LAYOUTS)} 之一")
    version = data.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise _fail(source, data, "version", "version 应为 >= 1 的整数")
    cols_node = data["columns"]
    if not isinstance(cols_node, list):
        raise _fail(source, data, "columns", "'columns' 应为列表")
    columns = [_column_from(c, source, data["key"]) for c in cols_node]
    _check_unique(columns, cols_node, source)
    fields_node = data.get("fields") or []
    if not isinstance(fields_node, list):
        raise _fail(source, data, "fields", "'fields' 应为列表")
    fields = [_column_from(c, source, data["key"]) for c in fields_node]
    _check_unique(fields, fields_node, source)
    sheet = str(data["sheet"])
    if len(sheet) > 31 or any(ch in sheet for ch in "[]:*?/\\"):
        raise _fail(source, data, "sheet", f"工作表名 {sheet!r} 在 Excel 中无效")
    return TemplateSpec(
        key=str(data["key"]),
        template=str(data["template"]),
        title_zh=str(data["title_zh"]),
        title_en=str(data.get("title_en", "")),
        sheet=sheet,
        version=version,
        layout=layout,
        columns=tuple(columns),
        blank_rows=int(data.get("blank_rows", 0)),
        instructions=str(data.get("instructions", "")).strip(),
        source=source,
        fields=tuple(fields),
    )


def _check_unique(columns: list[Column], nodes: list[Any], source: str) -> None:
    seen: dict[str, int] = {}
    for col, node in zip(columns, nodes, strict=True):
        for attr in ("key", "zh", "en"):
            value = getattr(col, attr)
            tag = f"{attr}:{value}"
            if tag in seen:
                raise _fail(source, node, attr, f"列的 {attr} {value!r} 重复"
                            f"(首次在第 {seen[tag]} 行)")
            seen[tag] = node.line_of(attr) if isinstance(node, _yaml.LineDict) else 0


def _column_from(node: Any, source: str, template: str) -> Column:
    if not isinstance(node, Mapping):
        raise _fail(source, node, None, f"{template} 的列应为映射")
    unknown = sorted(set(map(str, node)) - _COLUMN_FIELDS)
    if unknown:
        raise _fail(source, node, unknown[0], f"未知列字段 {unknown[0]!r}"
                    f"({_did_you_mean(unknown[0], _COLUMN_FIELDS)}"
                    f"可用:{', '.join(sorted(_COLUMN_FIELDS))})")
    return _build_column(dict(node), source, node)


def _build_column(raw: dict[str, Any], source: str, node: Any) -> Column:
    for req in ("key", "zh", "type"):
        if not raw.get(req):
            raise _fail(source, node, None, f"列字段 {req!r} 必须填写")
    key = str(raw["key"])
    if not _KEY.match(key):
        raise _fail(source, node, "key", f"列 key {key!r} 应为 lower_snake_case")
    try:
        ctype = ColumnType(raw["type"])
    except ValueError:
        raise _fail(source, node, "type", f"列 {key!r}: 未知类型 {raw['type']!r}"
                    f"(可用:{', '.join(t.value for t in ColumnType)})") from None
    for text_field in ("zh", "en", "hint"):
        if raw.get(text_field) is not None and not isinstance(raw[text_field], str):
            raise _fail(source, node, text_field, f"列 {key!r}: {text_field} 应为文本")
    values = raw.get("values") or ()
    if not isinstance(values, (list, tuple)) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
        raise _fail(source, node, "values", f"列 {key!r}: 'values' 应为文本列表"
                    "(yes/no/true/false 请加引号:\"yes\")")
    values = tuple(str(v).strip() for v in values)
    for value in values:
        if not value or '"' in value or _CONTROL.search(value):
            raise _fail(source, node, "values", f"列 {key!r}: 值 {value!r} 不能作为"
                        "下拉选项(应为不含双引号和控制字符的文本)")
    src = raw.get("source")
    if src is not None and (not isinstance(src, str) or src not in SOURCES):
        raise _fail(source, node, "source", f"列 {key!r}: 未知 source {src!r}"
                    f"(可用:{', '.join(sorted(SOURCES))})")
    if ctype is ColumnType.ENUM and not values and not src:
        raise _fail(source, node, "type", f"列 {key!r}: enum 类型需要 'values' 或 'source'")
    if values and ctype is not ColumnType.ENUM:
        raise _fail(source, node, "values", f"列 {key!r}: 'values' 只能用于 enum 类型")
    window = raw.get("window")
    if window is not None and (not isinstance(window, str) or window not in WINDOWS
                               or ctype not in DATE_TYPES):
        raise _fail(source, node, "window", f"列 {key!r}: window 只能用于日期列,且应为 "
                    f"{sorted(WINDOWS)} 之一")
    for num, (low, high) in _NUMBER_RANGES.items():
        val = raw.get(num)
        if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))
                                or not low <= val <= high):
            raise _fail(source, node, num, f"列 {key!r}: {num} 应为 "
                        f"{low:g} 到 {high:g} 的数字")
    if raw.get("max_length") is not None and not isinstance(raw["max_length"], int):
        raise _fail(source, node, "max_length", f"列 {key!r}: max_length 应为"
                    "整数")
    if raw.get("from") is not None and not isinstance(raw["from"], str):
        raise _fail(source, node, "from", f"列 {key!r}: from 应为文本")
    if raw.get("multiple") and ctype not in (ColumnType.ENUM, ColumnType.DEPARTMENT):
        raise _fail(source, node, "multiple", f"列 {key!r}: multiple 只能用于"
                    "下拉列(enum 或 department 类型)")
    if raw.get("min") is not None and raw.get("max") is not None and raw["min"] > raw["max"]:
        raise _fail(source, node, "min", f"列 {key!r}: min 大于 max")
    for flag in ("required", "editable", "multiple"):
        if flag in raw and not isinstance(raw[flag], bool):
            raise _fail(source, node, flag, f"列 {key!r}: {flag} 应为 true 或 false")
    return Column(
        key=key,
        zh=str(raw["zh"]),
        en=str(raw.get("en") or key.replace("_", " ").title()),
        type=ctype,
        required=bool(raw.get("required", False)),
        editable=bool(raw.get("editable", True)),
        values=values,
        source=src,
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),
        window=window,
        width=float(raw.get("width", 14)),
        hint=str(raw.get("hint", "")),
        from_=raw.get("from"),
        default=None if raw.get("default") is None else str(raw["default"]),
        multiple=bool(raw.get("multiple", False)),
    )


# -- project overrides --------------------------------------------------------------

_OVERRIDE_FIELDS = {"columns", "add_columns", "remove_columns", "title_zh", "title_en",
                    "blank_rows", "instructions"}


def _apply_overrides(
    templates: dict[str, TemplateSpec], overrides: Mapping[str, Any], source: str
) -> dict[str, TemplateSpec]:
    """Change columns, enum values, add or remove columns, without copying a spec.

    spec_overrides:
      risks:
        columns: {status: {values: [待处理, 处理中, 已解决]}}
        add_columns: [{key: budget, zh: 预算影响, type: number}]
    """
    out = dict(templates)
    for tkey, ov in overrides.items():
        if tkey not in out:
            raise _fail(source, overrides, tkey, f"spec_overrides: 未知模板 {tkey!r}"
                        f"({_did_you_mean(tkey, out)}可用:{', '.join(out)})")
        if not isinstance(ov, Mapping):
            raise _fail(source, overrides, tkey, f"spec_overrides.{tkey} 应为映射")
        unknown = sorted(set(map(str, ov)) - _OVERRIDE_FIELDS)
        if unknown:
            raise _fail(source, ov, unknown[0], f"spec_overrides.{tkey}: 未知字段 "
                        f"{unknown[0]!r}({_did_you_mean(unknown[0], _OVERRIDE_FIELDS)}"
                        f"可用:{', '.join(sorted(_OVERRIDE_FIELDS))})")
        _check_override_shapes(ov, tkey, source)
        spec = out[tkey]
        cols = list(spec.columns)
        for ckey, changes in (ov.get("columns") or {}).items():
            idx = next((i for i, c in enumerate(cols) if c.key == ckey), None)
            if idx is None:
                raise _fail(source, ov.get("columns"), ckey,
                            f"spec_overrides.{tkey}.columns: 没有列 {ckey!r}"
                            f"({_did_you_mean(str(ckey), [c.key for c in cols])}"
                            f"可用:{', '.join(c.key for c in cols)})")
            if not isinstance(changes, Mapping) or "key" in changes:
                raise _fail(source, ov.get("columns"), ckey,
                            f"spec_overrides.{tkey}.columns.{ckey}: 应为要修改的字段映射"
                            "(key 不能修改)")
            bad = sorted(set(map(str, changes)) - _COLUMN_FIELDS)
            if bad:
                raise _fail(source, changes, bad[0], f"未知列字段 {bad[0]!r}"
                            f"({_did_you_mean(bad[0], _COLUMN_FIELDS)}"
                            f"可用:{', '.join(sorted(_COLUMN_FIELDS))})")
            raw = _column_raw(cols[idx])
            raw.update(changes)
            cols[idx] = _build_column(raw, source, changes)
        for removed in ov.get("remove_columns") or ():
            if not any(c.key == removed for c in cols):
                raise _fail(source, ov, "remove_columns",
                            f"spec_overrides.{tkey}.remove_columns: 没有列 {removed!r}")
            if spec.column(removed).required and not spec.column(removed).editable:
                raise _fail(source, ov, "remove_columns",
                            f"spec_overrides.{tkey}: 列 {removed!r} 用于识别行,"
                            "不能删除")
            cols = [c for c in cols if c.key != removed]
        for node in ov.get("add_columns") or ():
            cols.append(_column_from(node, source, tkey))
        _check_unique(cols, [_yaml_node_or_dummy(c) for c in cols], source)
        scalar = {k: ov[k] for k in ("title_zh", "title_en", "blank_rows", "instructions")
                  if k in ov}
        out[tkey] = replace(spec, columns=tuple(cols), **scalar)
    return out


def _is_a(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind)


def _check_override_shapes(ov: Mapping[str, Any], tkey: str, source: str) -> None:
    """Each override field has the shape the code below relies on."""
    shapes: dict[str, tuple[type | tuple[type, ...], str]] = {
        "columns": (Mapping, "列 key 到修改内容的映射"),
        "add_columns": (list, "列的列表"),
        "remove_columns": (list, "列 key 的列表"),
        "title_zh": (str, "文本"), "title_en": (str, "文本"), "instructions": (str, "文本"),
        "blank_rows": (int, "0 到 1000 的整数"),
    }
    value: Any
    for name, value in ov.items():
        kind, expected = shapes[name]
        if (not _is_a(value, kind) or isinstance(value, bool)
                or (name == "blank_rows" and not 0 <= value <= 1000)
                or (name == "remove_columns" and not all(isinstance(v, str) for v in value))):
            raise _fail(source, ov, name, f"spec_overrides.{tkey}.{name}: 应为{expected}")


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"是否想写 {close[0]!r}?" if close else ""


def _column_raw(col: Column) -> dict[str, Any]:
    raw = asdict(col)
    raw["from"] = raw.pop("from_")
    raw["type"] = col.type.value
    raw["values"] = list(col.values)
    return raw


def _yaml_node_or_dummy(col: Column) -> _yaml.LineDict:
    node = _yaml.LineDict()
    node.line, node.key_lines = 0, {}
    return node
