"""One spec-driven table sheet: header, pre-filled locked cells, input cells with
validation, frozen header, widths, print set-up, autofilter, protection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .._sheetxml import held_rows
from .._xlsxreuse import add_validation
from ..project import Project
from ..spec import Column, ColumnType, TemplateSpec
from ..styles import Styles, header_height, lines_height, page_setup, set_row_height, text_lines
from ._validation import ListSheet, validation

PROTECT_OPTIONS = {
    "autofilter": True, "sort": False, "format_columns": True, "format_rows": True,
    "select_locked_cells": True, "select_unlocked_cells": True,
}


def write_cell(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    """Write by Python type; text is always written as text, never as a formula."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def prefill_value(column: Column, sources: Mapping[str, Any]) -> Any:
    """Resolve a column's `from: task.due`-style path against the row's sources."""
    if not column.from_:
        return None
    head, _, attr = column.from_.partition(".")
    obj = sources.get(head)
    if obj is None:
        return None
    value = obj.get(attr) if isinstance(obj, Mapping) else getattr(obj, attr, None)
    if column.type is ColumnType.PERCENT and isinstance(value, (int, float)):
        return value / 100
    return value


def write_table(
    wb: Any,
    fmt: Styles,
    spec: TemplateSpec,
    rows: Sequence[Mapping[str, Any]],
    *,
    project: Project,
    department: str,
    lists: ListSheet,
    read_only: bool = False,
    title: str = "",
    block: Mapping[str, Any] | None = None,
    week_window: tuple[dt.date, dt.date] | None = None,
    comments: Mapping[tuple[int, str], str] | None = None,
) -> Any:
    """Write `rows` (each {source name: object}, e.g. {'task': Task}) under the spec's
    header. Columns a department may edit are unlocked and validated, unless read_only.

    block: the spec's `fields` below the table (values pre-filled by key), written when
    the spec has fields and the sheet is not read-only; week_window: the dates a
    `return` window accepts; comments: (row index, column key) -> a note on that cell."""
    ws = wb.add_worksheet(spec.sheet)
    language = project.settings.headers
    heads = []
    header: list[tuple[str, Any, Any]] = []
    for c, column in enumerate(spec.columns):
        editable = column.editable and not read_only
        header_fmt = fmt.header_required if (column.required and editable) else fmt.header
        text = column.header(language)
        if column.required and editable:
            first, sep, rest = text.partition("\n")
            text = f"{first} *{sep}{rest}"
        header.append(("s", text, header_fmt))
        ws.set_column(c, c, column.width)
        heads.append((text, column.width))
    held = held_rows(ws)
    if held is not None:
        held.row(0, header, header_height(heads))
    else:
        for c, (_, text, header_fmt) in enumerate(header):
            ws.write_string(0, c, text, header_fmt)
        ws.set_row(0, header_height(heads))
    _write_rows(ws, fmt, spec, rows, read_only=read_only)
    last = max(len(rows), 1)
    if not read_only:
        for c, column in enumerate(spec.columns):
            if not column.editable or not rows:
                continue
            opts = validation(column, project, department, lists)
            if opts:
                add_validation(ws, 1, c, len(rows), c, opts)
    for (r, key), text in (comments or {}).items():
        if key in spec.keys and 0 <= r < len(rows):
            ws.write_comment(r + 1, spec.keys.index(key), text,
                             {"x_scale": 2.4, "y_scale": 1.6, "author": "xlflow"})
    if spec.fields and not read_only:
        write_block(ws, fmt, spec, last + 2, project=project, department=department,
                    lists=lists, values=block or {}, week_window=week_window)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, last, len(spec.columns) - 1)
    page_setup(ws, title=title or spec.title_zh, repeat_rows=0)
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)
    return ws


def _write_rows(ws: Any, fmt: Styles, spec: TemplateSpec,
                rows: Sequence[Mapping[str, Any]], *, read_only: bool) -> None:
    """The table's cells and row heights. What each column needs (its format, where its
    value comes from, how wide a text fits one line) is worked out once per column; per
    cell only the value is looked up, and text, most cells, is written without write_cell's
    type tests. Each row is as tall as its longest text (styles.row_height)."""
    plan = []
    for c, column in enumerate(spec.columns):
        editable = column.editable and not read_only
        head, _, attr = (column.from_ or "").partition(".")
        plan.append((c, column.key, editable, fmt.cell(column, locked=not editable),
                     head, attr, column.type is ColumnType.PERCENT,
                     column.default if editable else None, column.width,
                     (column.width - 1) / 2))  # a text this long or shorter: one line
    rows_xml = held_rows(ws)
    if rows_xml is not None:
        _hold_rows(rows_xml, ws, rows, plan)
        return
    write_string, write_blank = ws.write_string, ws.write_blank
    for r, sources in enumerate(rows, start=1):
        given = sources.get("values") or {}
        is_new = sources.get("is_new")
        lines = 1
        for c, key, editable, cell_fmt, head, attr, percent, default, width, short in plan:
            value = _value(sources, given, is_new, key, editable, head, attr, percent, default)
            if value is None or value == "":
                write_blank(r, c, None, cell_fmt)
                continue
            if value.__class__ is str:
                write_string(r, c, value, cell_fmt)
            else:
                write_cell(ws, r, c, value, cell_fmt)
                if not isinstance(value, str):
                    continue
            if len(value) > short or "\n" in value:
                lines = max(lines, text_lines(value, width))
        if lines > 1:
            ws.set_row(r, lines_height(lines))


def _value(sources: Mapping[str, Any], given: Mapping[str, Any], is_new: Any, key: str,
           editable: bool, head: str, attr: str, percent: bool, default: Any) -> Any:
    """A cell's value: what the department gave, else its source's attribute (`from:`),
    else, on a new row, the column's default."""
    value = given.get(key) if editable else None
    if value is None and head:
        obj = sources.get(head)
        if obj is not None:
            value = obj.get(attr) if obj.__class__ is dict or isinstance(obj, Mapping) \
                else getattr(obj, attr, None)
            if percent and isinstance(value, (int, float)):
                value = value / 100
    if value is None and default and is_new:
        value = default
    return value


def _hold_rows(rows_xml: Any, ws: Any, rows: Sequence[Mapping[str, Any]],
               plan: Sequence[tuple[Any, ...]]) -> None:
    """_write_rows' cells as held row XML (xlflow._sheetxml): the same cells, types,
    formats and heights, without XlsxWriter's per-cell calls."""
    convert = ws._convert_date_time
    for r, sources in enumerate(rows, start=1):
        given = sources.get("values") or {}
        is_new = sources.get("is_new")
        lines = 1
        cells: list[tuple[str, Any, Any]] = []
        for _, key, editable, cell_fmt, head, attr, percent, default, width, short in plan:
            value = _value(sources, given, is_new, key, editable, head, attr, percent, default)
            cls = value.__class__
            if cls is str:
                if not value:
                    cells.append(("b", None, cell_fmt))
                    continue
                cells.append(("s", value, cell_fmt))
                if len(value) > short or "\n" in value:
                    lines = max(lines, text_lines(value, width))
            elif value is None:
                cells.append(("b", None, cell_fmt))
            elif isinstance(value, dt.datetime):
                cells.append(("n", convert(value), cell_fmt))
            elif isinstance(value, dt.date):
                cells.append(("n", convert(dt.datetime.combine(value, dt.time())), cell_fmt))
            elif cls is bool:
                cells.append(("bool", value, cell_fmt))
            elif isinstance(value, (int, float)):
                cells.append(("n", value, cell_fmt))
            elif value == "":
                cells.append(("b", None, cell_fmt))
            else:
                cells.append(("s", str(value), cell_fmt))
        rows_xml.row(r, cells, lines_height(lines) if lines > 1 else None)


def write_block(ws: Any, fmt: Styles, spec: TemplateSpec, first_row: int, *, project: Project,
                department: str, lists: ListSheet, values: Mapping[str, Any],
                week_window: tuple[dt.date, dt.date] | None) -> None:
    """The fields a return fills once (填报人/填报日期, 部门确认), below the table as a
    Chinese form has them: the label in column A, the value in B (merged across B:C),
    unlocked and validated like a column. The reader finds them by their labels."""
    for n, field in enumerate(spec.fields):
        r = first_row + n
        label = field.zh + (" *" if field.required else "")
        ws.write_string(r, 0, label, fmt.label)
        value_fmt = fmt.cell(field, locked=False)
        ws.merge_range(r, 1, r, 2, "", value_fmt)
        value = values.get(field.key)
        write_cell(ws, r, 1, value, value_fmt)
        set_row_height(ws, r, [(label, spec.columns[0].width),
                               (value, sum(c.width for c in spec.columns[1:3]) or 20)])
        opts = validation(field, project, department, lists, week_window=week_window)
        if opts:
            add_validation(ws, r, 1, r, 1, opts)
