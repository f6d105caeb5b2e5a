"""What the PMO's report workbooks share: a typed cell writer and tables whose rows are
as tall as their text (formats, page set-up and the time stamp are in xlflow.styles)."""

from __future__ import annotations

import datetime as dt
import functools
import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._sheetxml import RowXml, cell_xml, held_rows, inline_text, letters, supported
from ..styles import (
    NOTHING,
    WORKBOOK_OPTIONS,
    Styles,
    header_height,
    lines_height,
    row_height,
    text_lines,
)

MAX_CELL = 32767  # Excel's limit for one cell
OPTIONS = WORKBOOK_OPTIONS
_EPOCH = dt.datetime(1899, 12, 30)


def serial(value: dt.date | dt.datetime) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value - _EPOCH
    return delta.days + delta.seconds / 86400


def put(ws: Any, row: int, col: int, value: Any, st: Styles, fmt: Any = None) -> None:
    """Write by type; text always as text (never a formula), clipped at Excel's limit."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt or st.plain)
    elif isinstance(value, dt.datetime):
        ws.write_number(row, col, serial(value), fmt or st.datetime)
    elif isinstance(value, dt.date):
        ws.write_number(row, col, serial(value), fmt or st.date)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt or st.plain)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt or st.plain)
    else:
        text = str(value)
        if len(text) > MAX_CELL:  # the ledger keeps the whole text
            text = text[: MAX_CELL - 7] + "…(已截断)"
        ws.write_string(row, col, text, fmt or st.text)


def headers(ws: Any, row: int, columns: Sequence[tuple[str, float]], st: Styles) -> None:
    """A header row as tall as its longest header, and the column widths."""
    ws.set_row(row, header_height(columns))
    for c, (name, width) in enumerate(columns):
        ws.write_string(row, c, name, st.header)
        ws.set_column(c, c, width)


def put_row(ws: Any, row: int, values: Sequence[Any], widths: Sequence[float], st: Styles,
            formats: Mapping[int, Any] | None = None) -> None:
    """One table row: put_rows for one row."""
    put_rows(ws, row, (values,), widths, st, formats)


def put_rows(ws: Any, row: int, rows: Iterable[Sequence[Any]], widths: Sequence[float],
             st: Styles, formats: Mapping[int, Any] | None = None, *,
             fit: bool = True) -> int:
    """Table rows from `row` on, each as tall as its longest text (styles.row_height;
    not with fit=False), each written as one row of XML (xlflow._sheetxml: streamed on a
    constant_memory sheet, else held until the sheet is assembled): a row must not get
    other cells through XlsxWriter. `formats`: column -> format instead of put()'s
    choice. Returns the row after the last one written."""
    fmt_of = (formats or {}).get
    stream = _ROWS.get(ws) or (_stream(ws) if supported(ws) else None)
    if stream is not None:
        return _stream_rows(stream, row, rows, widths, st, fmt_of, fit)
    held = held_rows(ws)
    for values in rows:
        if len(values) != len(widths):
            raise ValueError(f"{len(values)} values for {len(widths)} columns")
        height = row_height(zip(values, widths, strict=True)) if fit else None
        if held is not None:
            held.row(row, [_cell(value, fmt_of(c), st) for c, value in enumerate(values)],
                     height)
        else:
            if height is not None:
                ws.set_row(row, height)
            for c, value in enumerate(values):
                put(ws, row, c, value, st, fmt_of(c))
        row += 1
    return row


def _stream_rows(stream: RowXml, row: int, rows: Iterable[Sequence[Any]],
                 widths: Sequence[float], st: Styles, fmt_of: Any, fit: bool) -> int:
    """put_rows on a streamed sheet: the cells' XML made here, in one pass that also
    finds the row's height. A column's formats take their style ids at their first use,
    as XlsxWriter gives them."""
    count = len(widths)
    cols = letters(count)
    # a text this long or shorter: one line (no text is measured for rows of one height)
    short = [(w - 1) / 2 if fit else math.inf for w in widths]
    text_tails: list[str | None] = [None] * count
    blank_tails: list[str | None] = [None] * count
    date_tails: list[str | None] = [None] * count
    number_tails: list[str | None] = [None] * count
    # per column, a text's XML body by the text: the first texts of a column, kept (a
    # department, a status, a reason recur on every row; a column of unique texts costs
    # one failed look-up a cell once this is full)
    bodies: list[dict[str, str]] = [{} for _ in range(count)]
    tail = stream.tail
    for values in rows:
        if len(values) != count:
            raise ValueError(f"{len(values)} values for {count} columns")
        number = stream.begin(row, count - 1)
        lines = 1
        parts = []
        for c, value in enumerate(values):
            cls = value.__class__
            if cls is str and value and len(value) <= MAX_CELL:  # most of a report's cells
                if len(value) > short[c] or ("\n" in value and fit):
                    lines = max(lines, text_lines(value, widths[c]))
                t = text_tails[c]
                if t is None:
                    t = text_tails[c] = tail("s", fmt_of(c) or st.text)
                known = bodies[c]
                body = known.get(value)
                if body is None:
                    body = inline_text(value)
                    if len(known) < 256:
                        known[value] = body
                parts.append(f'<c r="{cols[c]}{number}{t}{body}</is></c>')
            elif value is None or (cls is str and not value):
                t = blank_tails[c]
                if t is None:
                    t = blank_tails[c] = tail("b", fmt_of(c) or st.plain)
                parts.append(f'<c r="{cols[c]}{number}{t}')
            elif (cls is int or cls is float) and math.isfinite(value):
                t = number_tails[c]
                if t is None:
                    t = number_tails[c] = tail("n", fmt_of(c) or st.plain)
                parts.append(f'<c r="{cols[c]}{number}{t}{value:.16G}</v></c>')
            elif cls is dt.date:
                t = date_tails[c]
                if t is None:
                    t = date_tails[c] = tail("n", fmt_of(c) or st.date)
                parts.append(f'<c r="{cols[c]}{number}{t}{_date_value(value)}</v></c>')
            else:
                if cls is str and value and fit:
                    lines = max(lines, text_lines(value, widths[c]))
                kind, v, fmt = _cell(value, fmt_of(c), st)
                parts.append(cell_xml(cols[c], number, tail(kind, fmt), kind, v))
        stream.end(row, "".join(parts), lines_height(lines) if lines > 1 else None)
        row += 1
    stream.flush()
    return row


@functools.lru_cache(maxsize=4096)  # a report's dates are few and recur on every row
def _date_value(day: dt.date) -> str:
    """A date cell's <v>: its serial, formatted as XlsxWriter formats numbers."""
    return f"{serial(day):.16G}"


_ROWS: weakref.WeakKeyDictionary[Any, RowXml] = weakref.WeakKeyDictionary()


def _stream(ws: Any) -> RowXml:
    rows = _ROWS.get(ws)
    if rows is None:
        rows = _ROWS[ws] = RowXml(ws)
    return rows


def _cell(value: Any, fmt: Any, st: Styles) -> tuple[str, Any, Any]:
    """put()'s choice of cell type and format, as a RowXml cell."""
    cls = value.__class__
    if cls is str:
        if not value:
            return "b", None, fmt or st.plain
        if len(value) > MAX_CELL:
            value = value[: MAX_CELL - 7] + "…(已截断)"
        return "s", value, fmt or st.text
    if value is None:
        return "b", None, fmt or st.plain
    if cls is bool:
        return "s", "是" if value else "否", fmt or st.plain
    if isinstance(value, dt.datetime):
        return "n", serial(value), fmt or st.datetime
    if isinstance(value, dt.date):
        return "n", serial(value), fmt or st.date
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise TypeError(f"not a number a cell can hold: {value!r}")
        return "n", value, fmt or st.plain
    if value == "":
        return "b", None, fmt or st.plain
    return _cell(str(value), fmt, st)


def table(ws: Any, row: int, columns: Sequence[tuple[str, float]],
          rows: Iterable[Sequence[Any]], st: Styles,
          formats: Mapping[int, Any] | None = None) -> int:
    """Header at `row`, then the rows; a table without rows says 无 (one printed line, not
    a page of bare headers). Returns the last row written."""
    headers(ws, row, columns, st)
    first = row
    row = put_rows(ws, row + 1, rows, [w for _, w in columns], st, formats) - 1
    if row == first:
        row += 1
        ws.write_string(row, 0, NOTHING, st.plain)
    return row


__all__ = ["MAX_CELL", "OPTIONS", "Styles", "headers", "put", "put_row", "put_rows",
           "serial", "table"]
