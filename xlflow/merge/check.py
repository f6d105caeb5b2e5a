"""Check every cell of a read table against its spec: typed values or an Issue naming
the cell. Pasted values bypass Excel's validation, so nothing typed is trusted."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue, column_letter, error, warning
from ..model.records import Source
from ..project import canonical_id
from ..spec import Column, ColumnType, TemplateSpec
from ..values import (
    CellProblem,
    clean_text,
    excel_serial_to_datetime,
    needs_cleaning,
    parse_datetime,
    parse_integer,
    parse_number,
    parse_percent,
)
from ..values import is_blank as _blank
from .context import Context
from .read import Table


@dataclass(slots=True)
class Record:
    """One validated row: typed values by column key, where it came from, and whether
    it may count (a row with an error is kept out of the figures). A merge holds one per
    task row of every return until the tasks are merged: slots, and each cell's name
    computed when asked (`RowCells`)."""

    values: dict[str, Any]
    source: Source
    has_input: bool
    ok: bool = True
    cells: Mapping[str, str] = field(default_factory=dict)
    bad: list[str] = field(default_factory=list)  # cells with an error, e.g. ['F5']

    def reject(self, cell: str) -> None:
        self.ok = False
        self.bad.append(cell)


class RowCells(Mapping[str, str]):
    """The cell of each column in one table row ('F5'), from the column letters the
    whole table shares: one small object per row rather than a dict and a string per
    cell."""

    __slots__ = ("letters", "row")

    def __init__(self, letters: dict[str, str], row: int) -> None:
        self.letters = letters
        self.row = row

    def __getitem__(self, key: str) -> str:
        return f"{self.letters[key]}{self.row}"

    def get(self, key: str, default: Any = None) -> Any:
        letter = self.letters.get(key)
        return default if letter is None else f"{letter}{self.row}"

    def __iter__(self) -> Iterator[str]:
        return iter(self.letters)

    def __len__(self) -> int:
        return len(self.letters)

    def __repr__(self) -> str:
        return repr(dict(self))


def _expected(column: Column, ctx: Context, department: str) -> str:
    t = column.type
    if t in (ColumnType.DATE, ColumnType.DATETIME):
        lo, hi = ctx.window(column)
        form = "YYYY-MM-DD hh:mm" if t is ColumnType.DATETIME else "YYYY-MM-DD"
        return f"日期 {form},{lo.isoformat()} 至 {hi.isoformat()}"
    if t is ColumnType.PERCENT:
        return f"百分比 {column.min or 0:g}%–{column.max if column.max is not None else 100:g}%"
    if t is ColumnType.INTEGER:
        return "整数"
    if t is ColumnType.NUMBER:
        return "数字"
    choices = ctx.choices(column, department)
    if choices and column.multiple:
        return "一个或多个(用逗号分隔):" + "、".join(choices[:20]) + ("…" if len(choices) > 20 else "")
    if choices:
        return "其中之一:" + "、".join(choices[:20]) + ("…" if len(choices) > 20 else "")
    return "文字"


def parse_cell(column: Column, raw: Any, ctx: Context, department: str) -> Any:
    """The typed value of one non-blank cell; ValueError says why it is not acceptable."""
    t = column.type
    if t in (ColumnType.DATE, ColumnType.DATETIME):
        when = parse_datetime(raw, year=ctx.start.year)
        first, last = ctx.window(column)
        if not first <= when.date() <= last:
            raise ValueError("out-of-range")
        return when if t is ColumnType.DATETIME else when.date()
    if t is ColumnType.PERCENT:
        # every percent column xlflow builds is formatted as %: a number there is what
        # Excel, WPS and LibreOffice store, a fraction (150% is 1.5, never 1.5%)
        numeric = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        pct = raw * 100 if numeric else parse_percent(raw)
        lo = column.min if column.min is not None else 0
        hi = column.max if column.max is not None else 100
        if not lo <= pct <= hi:
            raise ValueError("out-of-range")
        return round(pct, 6)
    if t in (ColumnType.INTEGER, ColumnType.NUMBER):
        number = parse_integer(raw) if t is ColumnType.INTEGER else parse_number(raw)
        if (column.min is not None and number < column.min) or (
                column.max is not None and number > column.max):
            raise ValueError("out-of-range")
        return number
    text = clean_text(raw)
    if t in (ColumnType.TASK_ID, ColumnType.RISK_ID, ColumnType.RESULT_ID):
        return canonical_id(text).replace(" ", "")
    if t in (ColumnType.ENUM, ColumnType.DEPARTMENT):
        index = ctx.indexed(column, department, _choice_index)
        if index and column.multiple:
            parts = split_choices(text)
            if any(_fold_choice(p) not in index for p in parts):
                raise ValueError("not-in-list")
            return MULTI_JOIN.join(dict.fromkeys(index[_fold_choice(p)] for p in parts))
        if index:
            found = index.get(_fold_choice(text))
            if found is None:
                raise ValueError("not-in-list")
            return found
    return text


#: How a column of several choices (需协调部门) is written back and shown: 技术部、市场部.
MULTI_JOIN = "、"
_MULTI_SPLIT = re.compile(r"[,，、;；/\s]+")


def split_choices(text: str) -> list[str]:
    """The choices typed into one cell of a `multiple` column, in order: 技术部,市场部 or
    技术部、市场部 or one per line."""
    return [p for p in _MULTI_SPLIT.split(clean_text(text)) if p]


def _not_chosen(column: Column, raw: Any, ctx: Context, department: str) -> str:
    """The parts of a `multiple` cell that are not choices (for the issue's value)."""
    index = ctx.indexed(column, department, _choice_index)
    return MULTI_JOIN.join(p for p in split_choices(clean_text(raw))
                           if _fold_choice(p) not in index)


def _fold_choice(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _choice_index(choices: tuple[str, ...]) -> dict[str, str]:
    """Folded choice -> choice, built once per list (`Context.indexed`)."""
    return {_fold_choice(c): c for c in reversed(choices)}


def _exact_index(choices: tuple[str, ...]) -> dict[str, str]:
    """Each choice as typed -> what `parse_cell` makes of it (the first choice that
    folds the same)."""
    index = _choice_index(choices)
    return {c: index[_fold_choice(c)] for c in choices}


_SLOW = object()  # a cell the column's fast path leaves to `parse_cell` and its issues


def column_parser(column: Column, ctx: Context, department: str, *,
                  blank: Any = _SLOW) -> Callable[[Any], Any]:
    """The typed value of a cell holding what a spreadsheet stores for this column (a
    date, a number, plain text, a listed choice) and within bounds, else `_SLOW`: text
    to interpret, out of range or not in the list, and a blank cell unless `blank` says
    what it is (None for a column that may be left empty). Built once per column and
    table, so the checks that pass (nearly all) cost no per-cell dispatch; a `_SLOW`
    cell takes the per-cell path, which names the cell in its issue. It never accepts
    a value `parse_cell` would refuse, nor gives a different one."""
    t = column.type

    def other(raw: Any) -> Any:
        """Not the column's own kind of value: blank, or for the per-cell path."""
        return _SLOW if blank is _SLOW or not _blank(raw) else blank

    if t in (ColumnType.DATE, ColumnType.DATETIME):
        first, last = ctx.window(column)
        keep_time = t is ColumnType.DATETIME
        datetime, date = dt.datetime, dt.date

        def when(raw: Any) -> Any:
            kind = type(raw)
            if kind is datetime and raw.tzinfo is None:
                return (raw if keep_time else raw.date()) if first <= raw.date() <= last \
                    else _SLOW
            if kind is date:
                return (datetime(raw.year, raw.month, raw.day) if keep_time else raw) \
                    if first <= raw <= last else _SLOW
            return other(raw)
        return when
    if t is ColumnType.PERCENT:
        lo = column.min if column.min is not None else 0
        hi = column.max if column.max is not None else 100

        def percent(raw: Any) -> Any:
            kind = type(raw)
            if kind is float or kind is int:
                pct = raw * 100
                return round(pct, 6) if lo <= pct <= hi else _SLOW
            return other(raw)
        return percent
    if t in (ColumnType.INTEGER, ColumnType.NUMBER):
        whole = t is ColumnType.INTEGER
        nlo, nhi = column.min, column.max

        def number(raw: Any) -> Any:
            kind = type(raw)
            if kind is not float and kind is not int:
                return other(raw)
            value = float(raw)
            if not math.isfinite(value) or (whole and not value.is_integer()):
                return _SLOW
            found = int(value) if whole else value
            if (nlo is not None and found < nlo) or (nhi is not None and found > nhi):
                return _SLOW
            return found
        return number
    limit = column.max_length
    index: dict[str, str] | None = None
    if t in (ColumnType.ENUM, ColumnType.DEPARTMENT):
        index = ctx.indexed(column, department, _exact_index) or None
    is_id = t in (ColumnType.TASK_ID, ColumnType.RISK_ID, ColumnType.RESULT_ID)
    special = needs_cleaning
    shared: dict[str, str] = {}  # short texts typed on many rows (资源不足) kept once

    def text(raw: Any) -> Any:
        if type(raw) is not str:
            return blank if raw is None else _SLOW
        value = raw.strip() if special(raw) is None else clean_text(raw)  # clean_text, inlined
        if not value:
            return blank
        if limit and len(value) > limit:
            return _SLOW
        if is_id:
            return canonical_id(value).replace(" ", "")
        if index is not None:
            found = index.get(value)
            return found if found is not None else _SLOW
        return shared.setdefault(value, value) if len(value) <= 16 else value
    return text


_CODES = {
    ColumnType.DATE: "bad-date", ColumnType.DATETIME: "bad-date",
    ColumnType.PERCENT: "bad-percent", ColumnType.INTEGER: "bad-number",
    ColumnType.NUMBER: "bad-number",
}


def validate_table(table: Table, spec: TemplateSpec, ctx: Context, *, file: str, sha256: str,
                   department: str) -> tuple[list[Record], list[Issue]]:
    """Type-check every cell of every data row against the spec. Weekly rows are kept
    even when empty (an unreported task is news); elsewhere empty rows are skipped."""
    skip_blank = spec.key != "weekly"
    records: list[Record] = []
    issues: list[Issue] = []
    cols = [(c, table.columns[c.key]) for c in spec.columns if c.key in table.columns]
    letters = {i: column_letter(i) for _, i in cols} | {
        i: column_letter(i) for i in table.extra_columns}
    cell_letters = {c.key: letters[i] for c, i in cols}  # shared by every row's RowCells
    keys = [c.key for c, _ in cols]
    editable = [(c, i) for c, i in cols if c.editable]
    # input: a value someone typed (a column's pre-filled default alone is not); a row
    # without any is left out where blank rows are skipped, before its cells are parsed
    kept = [(r, row, _has_input(row, editable)) for r, row in table.rows]
    if skip_blank:
        kept = [k for k in kept if k[2]]
    # column by column first: the typed value of every cell that passes (None for a blank
    # one where blank is fine), `_SLOW` where a cell needs a closer look (then, row by row,
    # the per-cell path names it)
    grid = [row for _, row, _ in kept]
    width = min(map(len, grid), default=0)  # calamine's rows are all as wide as the sheet
    fast = [_parse_column(column_parser(c, ctx, department,
                                        blank=_SLOW if c.required else None), grid, i, width)
            for c, i in cols]
    by_row = list(zip(*fast, strict=True)) if fast else [()] * len(grid)
    sheet, extra = spec.sheet, table.extra_columns
    for (r, row, has_input), values in zip(kept, by_row, strict=True):
        width = len(row)
        rec = Record(dict(zip(keys, values, strict=True)), Source(file, sha256, sheet, r + 1),
                     has_input, cells=RowCells(cell_letters, r + 1))
        if _SLOW in values:
            _check_cells(rec, cols, values, row, ctx, department, issues)
        for i, header in extra.items():
            if i < width and not _blank(row[i]):
                label = f"列「{header}」不在模板中" if header else f"{letters[i]} 列没有表头"
                issues.append(warning("unknown-column", f"{label},其内容未计入",
                                      value=_show(row[i]), file=file, sheet=sheet,
                                      cell=f"{letters[i]}{r + 1}"))
        records.append(rec)
    return records, issues


def _has_input(row: list[Any], editable: list[tuple[Column, int]]) -> bool:
    """Whether someone typed into any of the row's `editable` cells (`_is_input`), in
    one pass: empty cells and untouched defaults (most reserved rows) are passed over
    without `_is_input`'s call."""
    width = len(row)
    for column, i in editable:
        raw = row[i] if i < width else None
        if raw is None or raw == "" or (raw == column.default and _clean_default(column)):
            continue
        if _is_input(column, raw):
            return True
    return False


def _clean_default(column: Column) -> bool:
    """A pre-filled default that `clean_text` leaves as it is (so a cell equal to it is
    not input)."""
    return column.default is not None and clean_text(column.default) == column.default


def _parse_column(parse: Callable[[Any], Any], grid: list[list[Any]], i: int,
                  width: int) -> list[Any]:
    """`parse` of column i of every row (`_SLOW` where a row is too short to have it;
    `width`: the shortest row's length)."""
    if i < width:
        return list(map(parse, map(operator.itemgetter(i), grid)))
    return [parse(row[i]) if i < len(row) else _SLOW for row in grid]


def _check_cells(rec: Record, cols: list[tuple[Column, int]], values: tuple[Any, ...],
                 row: list[Any], ctx: Context, department: str, issues: list[Issue]) -> None:
    """The per-cell path for the cells of one row the column pass left (`_SLOW`): a
    value or None, and an issue naming the cell."""
    file, sheet, row_number = rec.source.file, rec.source.sheet, rec.source.row
    for value, (column, i) in zip(values, cols, strict=True):
        if value is not _SLOW:
            continue
        raw = row[i] if i < len(row) else None
        where = {"file": file, "sheet": sheet, "cell": f"{column_letter(i)}{row_number}"}
        rec.values[column.key] = None
        if _blank(raw):
            if column.required and (rec.has_input or not column.editable):
                rec.reject(where["cell"])
                issues.append(error("missing-value", f"「{column.zh}」必须填写",
                                    expected=_expected(column, ctx, department), **where))
            continue
        if isinstance(raw, CellProblem):
            rec.reject(where["cell"])
            what = "是错误值" if raw.code == "cell-error" else "是没有计算结果的公式"
            issues.append(error(raw.code, f"「{column.zh}」{what};请改为实际的值后重发",
                                value=raw.text, expected=_expected(column, ctx, department),
                                **where))
            continue
        try:
            value = parse_cell(column, raw, ctx, department)
        except ValueError as exc:
            rec.reject(where["cell"])
            code, label = _parse_failure(column, exc)
            shown = _show(raw, column.type)
            if column.multiple and code == "not-in-list":
                shown = _not_chosen(column, raw, ctx, department) or shown
                label = f"中的「{shown}」{label}(可填多个,用逗号分隔)"
            issues.append(error(code, f"「{column.zh}」{label}", value=shown,
                                expected=_expected(column, ctx, department), **where))
            continue
        limit = column.max_length
        if limit and isinstance(value, str) and len(value) > limit:
            issues.append(warning("too-long", f"「{column.zh}」超过 {limit} 字,已完整保留",
                                  value=value[:40] + "…", **where))
        rec.values[column.key] = value


def validate_block(table: Table, spec: TemplateSpec, ctx: Context, *, file: str, sha256: str,
                   department: str) -> tuple[Record | None, list[Issue]]:
    """The fields a return fills once below its table (填报人/填报日期, 部门确认), each
    checked like a column's cell and named by its cell. None when the return has no
    such block (built before the fields existed): nothing to say about it then. A blank
    required field is a warning (the rows above it still count): on the weekly sheet
    always, elsewhere (部门确认, filled at acceptance) once any field of it is filled."""
    if not spec.fields or not table.fields:
        return None, []
    issues: list[Issue] = []
    started = spec.key == "weekly" or any(not _blank(raw) for _, _, raw in table.fields.values())
    first_row = min(r for r, _, _ in table.fields.values())
    cells: dict[str, str] = {}
    rec = Record({}, Source(file, sha256, spec.sheet, first_row + 1), has_input=False,
                 cells=cells)
    for column in spec.fields:
        found = table.fields.get(column.key)
        cell = f"{column_letter(found[1])}{found[0] + 1}" if found else ""
        where = {"file": file, "sheet": spec.sheet, "cell": cell}
        cells[column.key] = cell
        raw = found[2] if found else None
        rec.values[column.key] = None
        if _blank(raw):
            if column.required and started:
                issues.append(warning("missing-form-field", f"表格下方的「{column.zh}」没有填写",
                                      expected=_expected(column, ctx, department), **where))
            continue
        if isinstance(raw, CellProblem):
            rec.reject(cell)
            issues.append(error(raw.code, f"「{column.zh}」不是可用的值;请改为实际的值后重发",
                                value=raw.text, expected=_expected(column, ctx, department),
                                **where))
            continue
        try:
            value = parse_cell(column, raw, ctx, department)
        except ValueError as exc:
            rec.reject(cell)
            code, label = _parse_failure(column, exc)
            issues.append(error(code, f"表格下方的「{column.zh}」{label}",
                                value=_show(raw, column.type),
                                expected=_expected(column, ctx, department), **where))
            continue
        rec.has_input = True
        rec.values[column.key] = value
    zh = {c.key: c.zh for c in spec.fields}
    for r, c, key, raw in table.repeated_fields:
        kept = table.fields[key]
        issues.append(warning(
            "repeated-form-field",
            f"表格下方的「{zh[key]}」填了不止一处:采用 {column_letter(kept[1])}{kept[0] + 1} 的值,"
            f"本处未采用", value=_show(raw), expected=f"只在 {column_letter(kept[1])}"
            f"{kept[0] + 1} 填写「{zh[key]}」", file=file, sheet=spec.sheet,
            cell=f"{column_letter(c)}{r + 1}"))
    return rec, issues


_PARSE_LABELS = {"out-of-range": "超出允许范围", "not-in-list": "不在下拉选项中"}


def _parse_failure(column: Column, exc: ValueError) -> tuple[str, str]:
    """The issue code and the words for a cell parse_cell refused (a table cell and a
    field below the table are refused alike)."""
    why = str(exc)
    if why in _PARSE_LABELS:
        return why, _PARSE_LABELS[why]
    return _CODES.get(column.type, "bad-value"), "格式无法识别"


def _is_input(column: Column, raw: Any) -> bool:
    """Did someone type here? A pre-filled default (状态 待处理) alone is not input."""
    if _blank(raw):
        return False
    return column.default is None or clean_text(raw) != column.default


def _show(raw: Any, kind: ColumnType | None = None) -> str:
    """A cell's value as the person sees it in the cell, for the issue's `value`: a
    number in a percent column as a percent (0.85 → 85%, a pasted date serial 45488 →
    4548800%), a serial number in a date column as the date, a datetime as
    `2024-07-12 09:30`, 12.0 as 12."""
    if isinstance(raw, CellProblem):
        return raw.text
    if isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    elif isinstance(raw, (int, float)):
        text = _number_text(raw * 100) + "%" if kind is ColumnType.PERCENT else _number_text(raw)
        if kind in (ColumnType.DATE, ColumnType.DATETIME):
            with contextlib.suppress(ValueError):  # no date: the number
                text = _when_text(excel_serial_to_datetime(float(raw)), kind)
    elif isinstance(raw, dt.datetime):
        text = _when_text(raw, kind)
    elif isinstance(raw, dt.date):
        text = raw.isoformat()
    elif isinstance(raw, dt.time):
        text = raw.strftime("%H:%M:%S" if raw.second else "%H:%M")
    else:
        text = clean_text(raw)
    return text if len(text) <= 80 else text[:79] + "…"


def _number_text(number: float) -> str:
    """A number without float noise or a needless .0: 85.29999999999998 → 85.3."""
    if isinstance(number, int) or (number.is_integer() and abs(number) < 1e15):
        return str(int(number))
    return format(number, ".10g")


def _when_text(when: dt.datetime, kind: ColumnType | None) -> str:
    if kind is not ColumnType.DATETIME and when.time() == dt.time():
        return when.date().isoformat()
    return when.strftime("%Y-%m-%d %H:%M:%S" if when.second else "%Y-%m-%d %H:%M")
