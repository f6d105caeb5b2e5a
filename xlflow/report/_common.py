"""What the PMO's report workbooks share: a typed cell writer and tables whose rows are
as tall as their text (formats, page set-up and the time stamp are in xlflow.styles)."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._sheetxml import RowXml, cell_xml, held_rows, inline_texts, letters, supported
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
    """put_rows on a streamed sheet: the cells' XML made here, _BATCH rows at a time and
    column by column (a report's column holds one or two kinds of value, so most of its
    cells are made by one comprehension rather than a dispatch per cell), with each
    row's height. A column's formats take their style ids at their first use, in row
    order, as XlsxWriter gives them."""
    count = len(widths)
    columns = [_Column(stream, c, width, fmt_of(c), st, fit) for c, width in enumerate(widths)]
    source = iter(rows)
    while batch := list(itertools.islice(source, _BATCH)):
        for values in batch:
            if len(values) != count:
                raise ValueError(f"{len(values)} values for {count} columns")
        numbers = [stream.begin(r, count - 1) for r in range(row, row + len(batch))]
        made = [column.prepare(values)
                for column, values in zip(columns, zip(*batch, strict=True), strict=True)]
        # formats first used in this batch: style ids in the order of their first cells
        for *_, kind, fmt in sorted(k for m in made for k in m.firsts):
            stream.tail(kind, fmt)
        cells = [m.cells(numbers) for m in made]
        measured = [m.lines for m in made if m.lines is not None]
        tall = list(map(max, *measured)) if len(measured) > 1 else \
            measured[0] if measured else None
        stream.end_rows(row, list(map("".join, zip(*cells, strict=True))) if cells
                        else [""] * len(batch),
                        None if tall is None else
                        [lines_height(k) if k > 1 else None for k in tall])
        row += len(batch)
    stream.flush()
    return row


_BATCH = 512  # rows made at a time, column by column
_FAST = {str: "s", type(None): "b", dt.date: "d", int: "n", float: "n"}
_SAMPLE = {"s": "x", "b": None, "d": dt.date(2000, 1, 1), "n": 0}  # a value of each kind


class _Made:
    """One column of a batch of rows: `firsts` the (row, column, kind, format) of the
    first cell of each kind whose style is not taken yet; `cells(numbers)` its cells'
    XML; `lines` each cell's lines (None: one each)."""

    __slots__ = ("cells", "firsts", "lines")

    def __init__(self, cells: Any, firsts: list[tuple[int, int, str, Any]],
                 lines: list[int] | None) -> None:
        self.cells, self.firsts, self.lines = cells, firsts, lines


class _Column:
    """A streamed table's column: its letters, width, format and what its cells have
    needed so far (the XML after a cell's reference per kind; a text's XML body and
    lines by the text, for the first texts of a column: a department, a status, a
    reason recur on every row)."""

    __slots__ = ("fit", "fmt", "index", "known", "letter", "short", "st", "stream", "tails",
                 "unique", "width")

    def __init__(self, stream: RowXml, index: int, width: float, fmt: Any, st: Styles,
                 fit: bool) -> None:
        self.stream, self.index, self.width, self.fmt, self.st, self.fit = \
            stream, index, width, fmt, st, fit
        self.letter = letters(index + 1)[index]
        # a text this long or shorter: one line (no text is measured for rows of one height)
        self.short = (width - 1) / 2 if fit else math.inf
        self.tails: dict[str, str] = {}  # "s" text, "b" blank, "d" date, "n" number
        self.known: dict[str, tuple[str, int]] = {}
        self.unique = False  # its texts do not recur: not kept, not looked up

    def _format(self, kind: str) -> tuple[str, Any]:
        """The RowXml kind and format of a cell of this kind: put()'s choice (`_cell`),
        asked of a value of the kind."""
        cell_kind, _, fmt = _cell(_SAMPLE[kind], self.fmt, self.st)
        return cell_kind, fmt

    def _tail(self, kind: str) -> str:
        found = self.tails.get(kind)
        if found is None:
            found = self.tails[kind] = self.stream.tail(*self._format(kind))
        return found

    def _texts(self, values: Sequence[Any]) -> list[tuple[str, int]]:
        """Each text's XML body and lines (_NO_TEXT for a blank): the column's first 256
        texts kept, the others made together. Once a batch finds none of its texts kept
        (ids, a task's own words), the column's texts are made without looking them up."""
        if self.unique:
            return self._made(values)
        known = self.known
        found = [known.get(v, _NO_TEXT) for v in values]
        missing = list(dict.fromkeys(v for v, f in zip(values, found, strict=True)
                                     if f is _NO_TEXT and v))
        if not missing:
            return found
        made = dict(zip(missing, self._made(missing), strict=True))
        for v in missing[:max(0, 256 - len(known))]:
            known[v] = made[v]
        if len(known) >= 256 and found.count(_NO_TEXT) == len(found):
            self.unique = True
        return [made.get(v, _NO_TEXT) if f is _NO_TEXT else f
                for v, f in zip(values, found, strict=True)]

    def _made(self, values: Sequence[Any]) -> list[tuple[str, int]]:
        """Each text's XML body (`inline_texts`, together) and lines; _NO_TEXT for a blank."""
        texts = [v for v in values if v]
        short, width, fit = self.short, self.width, self.fit
        made = zip(inline_texts(texts), [text_lines(v, width) if len(v) > short
                                         or ("\n" in v and fit) else 1 for v in texts],
                   strict=True)
        if len(texts) == len(values):
            return list(made)
        return [next(made) if v else _NO_TEXT for v in values]

    def prepare(self, values: tuple[Any, ...]) -> _Made:
        kinds = {_FAST.get(cls, "?") for cls in set(map(type, values))}
        if "?" in kinds or ("s" in kinds and not kinds <= {"s", "b"}):
            return self._generic(values)  # not a report's usual column
        if "s" in kinds:
            if max(map(len, filter(None, values)), default=0) > MAX_CELL:
                return self._generic(values)
            blanks = values.count("") + values.count(None)
            if blanks:
                kinds.add("b")
            if blanks == len(values):
                kinds.discard("s")
        if "n" in kinds and not all(map(math.isfinite, values if "b" not in kinds else
                                        [v for v in values if v is not None])):
            return self._generic(values)  # put() refuses it
        firsts = []
        for kind in kinds:
            if kind not in self.tails:
                test = _IS_KIND[kind]
                first = next(i for i, v in enumerate(values) if test(v))
                firsts.append((first, self.index, *self._format(kind)))
        letter = self.letter
        if kinds == {"s"}:
            found = self._texts(values)

            def texts(numbers: list[str]) -> list[str]:
                t = self._tail("s")
                return [f'<c r="{letter}{n}{t}{b}</is></c>' for n, (b, _) in zip(numbers, found, strict=True)]
            return _Made(texts, firsts, [k for _, k in found] if self.fit else None)
        if kinds == {"b"}:
            def empty(numbers: list[str]) -> list[str]:
                t = self._tail("b")
                return [f'<c r="{letter}{n}{t}' for n in numbers]
            return _Made(empty, firsts, None)
        if kinds <= {"s", "b"}:
            found = self._texts(values)

            def mixed(numbers: list[str]) -> list[str]:
                t, tb = self._tail("s"), self._tail("b")
                return [f'<c r="{letter}{n}{t}{b}</is></c>' if v else f'<c r="{letter}{n}{tb}'
                        for n, v, (b, _) in zip(numbers, values, found, strict=True)]
            return _Made(mixed, firsts, [k for _, k in found] if self.fit else None)

        def others(numbers: list[str]) -> list[str]:  # dates, numbers, blanks among them
            t = {kind: self._tail(kind) for kind in kinds}
            tb, tn, td = t.get("b"), t.get("n"), t.get("d")
            return [f'<c r="{letter}{n}{tb}' if v is None else
                    f'<c r="{letter}{n}{td}{_date_value(v)}</v></c>' if v.__class__ is dt.date
                    else f'<c r="{letter}{n}{tn}{v:.16G}</v></c>'
                    for n, v in zip(numbers, values, strict=True)]
        return _Made(others, firsts, None)

    def _generic(self, values: tuple[Any, ...]) -> _Made:
        """Any other column: each cell as put() would write it."""
        cells = [_cell(v, self.fmt, self.st) for v in values]
        firsts: dict[tuple[str, Any], int] = {}
        for i, (kind, _, fmt) in enumerate(cells):
            firsts.setdefault((kind, fmt), i)
        letter, tail = self.letter, self.stream.tail
        lines = [text_lines(v, self.width) if v.__class__ is str and v and self.fit else 1
                 for v in values]

        def made(numbers: list[str]) -> list[str]:
            return [cell_xml(letter, n, tail(kind, fmt), kind, v)
                    for n, (kind, v, fmt) in zip(numbers, cells, strict=True)]
        return _Made(made, [(i, self.index, kind, fmt) for (kind, fmt), i in firsts.items()],
                     lines)


_NUMBERS = (int, float)
_NO_TEXT = ("", 1)  # a blank cell among texts
_IS_KIND = {"s": lambda v: v.__class__ is str and v != "",
            "b": lambda v: v is None or v == "",
            "d": lambda v: v.__class__ is dt.date,
            "n": lambda v: v.__class__ in _NUMBERS}


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
