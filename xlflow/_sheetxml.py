"""Table rows written straight into an XlsxWriter worksheet's XML.

XlsxWriter spends ~8 µs per cell: type dispatch, a cell tuple, then attribute lists and
escaping when the row is flushed. A 100,000-task report is millions of cells, most of
them short text in a handful of formats. Here a row is one string join, written where
XlsxWriter itself writes rows in constant_memory mode (its temporary row file), in the
XML XlsxWriter would write (tests/test_sheetxml.py compares the two byte for byte).

`RowXml` is for sheets of workbooks opened with `constant_memory` (the consolidated
report): rows go in order, text is inline. `HeldRows` is for the others (department
workbooks, risk forms, the PMO master, the smaller reports): text
goes to the shared string table as it is written, the rows are kept as XML and put in
place when XlsxWriter assembles the sheet, with the style ids XlsxWriter gives then.
Either way a row goes through one `row` call whole: XlsxWriter must not be given cells
of that row as well (it would write a second <row> element).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from xlsxwriter.exceptions import OverlappingRange
from xlsxwriter.utility import xl_col_to_name, xl_range

STRING_MAX = 32767  # Excel's limit, in UTF-16 units (XlsxWriter truncates the same way)
# What XlsxWriter would rewrite in an inline string: XML's specials, control characters
# (as _xHHHH_), the escape's own pattern, the two non-characters. A printable text
# without &, <, > or "_x" has none of them (tested first: C-speed string methods).
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL_1 = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_2 = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LETTERS: list[str] = []
_PRESERVE = ' xml:space="preserve"'


def supported(ws: Any) -> bool:
    """The worksheet streams rows (constant_memory) through the internals used here."""
    return bool(getattr(ws, "constant_memory", False)) and all(
        hasattr(ws, name) for name in ("fh", "previous_row", "_write_single_row",
                                       "_check_dimensions", "default_row_height", "row_sizes",
                                       "original_row_height", "excel_version", "table",
                                       "row_info", "xls_rowmax", "dim_rowmax"))


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _utf16_truncate(text: str, units: int) -> str:
    """The longest start of `text` within `units` UTF-16 units, no character split."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            return text[:i]
    return text


def letters(count: int) -> list[str]:
    """Column letters A, B, … for the first `count` columns (shared, grown on demand)."""
    while len(_LETTERS) < count:
        _LETTERS.append(xl_col_to_name(len(_LETTERS)))
    return _LETTERS


def inline_text(text: str) -> str:
    """The `<is>` body of an inline string cell, as XlsxWriter writes it (a text that
    looks like XlsxWriter's rich-string XML is escaped here, not written raw)."""
    if len(text) > STRING_MAX // 2 and _utf16_len(text) > STRING_MAX:
        text = _utf16_truncate(text, STRING_MAX)
    if not (text.isprintable() and "&" not in text and "<" not in text and ">" not in text
            and "_x" not in text) and _NEEDS_ESCAPE.search(text):
        text = _CONTROL_1.sub(r"_x005F\1", text)
        text = _CONTROL_2.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        space = _PRESERVE if text[0].isspace() or text[-1].isspace() else ""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:  # str.isspace is the \s of XlsxWriter's test (^\s or \s$), without a regex
        space = _PRESERVE if text[0].isspace() or text[-1].isspace() else ""
    return f"<t{space}>{text}</t>"


def inline_texts(texts: list[str]) -> list[str]:
    """`inline_text` of each (non-empty) text. Texts with nothing to escape, as a
    report's nearly always are, are found so by one test of them all joined ("|" keeps
    a "_x" from forming across two of them)."""
    joined = "|".join(texts)
    if not (joined.isprintable() and "&" not in joined and "<" not in joined
            and ">" not in joined and "_x" not in joined) or \
            max(map(len, texts), default=0) > STRING_MAX // 2:
        return list(map(inline_text, texts))
    return [f"<t{_PRESERVE}>{t}</t>" if t[0].isspace() or t[-1].isspace() else f"<t>{t}</t>"
            for t in texts]


class RowXml:
    """Writes whole rows of one constant_memory worksheet as XML.

    A cell is (kind, value, format): 's' text, 'n' a number (int or float; a date as its
    serial), 'b' blank. `row` takes the cells left to right from column 0. Rows made with
    `begin`/`end` are kept and written in batches: `flush` before XlsxWriter is given the
    sheet again (`row` does)."""

    __slots__ = ("_checked", "_last", "_pending", "_tails", "_ws", "_x14")

    def __init__(self, ws: Any) -> None:
        if not supported(ws):
            raise ValueError("RowXml needs a constant_memory XlsxWriter worksheet")
        self._ws = ws
        self._last = -1  # the last row written here
        self._checked = -1  # the last column checked against the sheet's bounds
        self._pending: list[str] = []  # rows made, not yet written
        self._x14 = ' x14ac:dyDescent="0.25"' if ws.excel_version == 2010 else ""
        # per kind of cell (text, number, blank): format -> what follows the reference
        self._tails: tuple[dict[Any, str], ...] = ({}, {}, {})

    def row(self, row: int, cells: Sequence[tuple[str, Any, Any]],
            height: float | None = None) -> None:
        """Write row `row` (0-based); `height` in points, None for the sheet's default."""
        number = self.begin(row, len(cells) - 1)
        cols = letters(len(cells))
        tail = self.tail
        self.end(row, "".join(cell_xml(cols[c], number, tail(kind, fmt), kind, value)
                              for c, (kind, value, fmt) in enumerate(cells)), height)
        self.flush()

    def begin(self, row: int, last: int) -> str:
        """Start row `row` with cells in columns 0..last: XlsxWriter's pending row goes
        out first (its formats take their style ids before this row's). Returns the row's
        number for the cells' references; `end` makes the row."""
        ws = self._ws
        if (row == self._last + 1 and ws.previous_row == self._last and last <= self._checked
                and not ws.table and row not in ws.row_info and row < ws.xls_rowmax):
            # the row after the last one made here, nothing of XlsxWriter's since: the
            # checks below hold, and the sheet's dimensions grow by this row only
            ws.previous_row = self._last = row
            if row > ws.dim_rowmax:
                ws.dim_rowmax = row
            return str(row + 1)
        self.flush()
        if row <= self._last or row < ws.previous_row or row in ws.row_info or (
                row == ws.previous_row and ws.table.get(row)):
            raise ValueError(f"row {row} is written already (rows go in order, each once)")
        if ws.table and ws.previous_row == self._last:
            raise ValueError(f"row {self._last} was written here and given cells after")
        if last >= 0 and (ws._check_dimensions(row, last) or ws._check_dimensions(row, 0)):
            raise ValueError(f"row {row} is outside the worksheet")
        if row > ws.previous_row:
            ws._write_single_row(row)
        ws.previous_row = self._last = row
        self._checked = last
        return str(row + 1)

    def tail(self, kind: str, fmt: Any) -> str:
        """What follows a cell's reference for this kind of cell in this format."""
        tails = self._tails[_KINDS[kind]]
        found = tails.get(fmt)
        if found is None:
            found = tails[fmt] = _tail(kind, fmt)
        return found

    def end(self, row: int, cells: str, height: float | None = None) -> None:
        """Make the row `begin` started, its cells being the XML `cells`."""
        self.end_rows(row, [cells], [height])

    def end_rows(self, row: int, cells: Sequence[str],
                 heights: Sequence[float | None] | None = None) -> None:
        """`end` for the rows begun from `row` on: row + i has the cells `cells[i]` and the
        height `heights[i]` (None, or no `heights`: the sheet's default)."""
        x14, numbers = self._x14, range(row + 1, row + 1 + len(cells))
        if heights is None or heights.count(None) == len(heights):
            self._pending += [f'<row r="{n}"{x14}>{c}</row>'
                              for n, c in zip(numbers, cells, strict=True)]
        else:
            ws = self._ws
            sizes = {h: self._size(h) for h in set(heights) if h is not None}
            for r, h in enumerate(heights, start=row):
                if h is not None:  # where charts and images below are placed
                    ws.row_sizes[r] = [sizes[h][0], False]
            self._pending += [f'<row r="{n}"{sizes[h][1] if h is not None else ""}{x14}>{c}</row>'
                              for n, c, h in zip(numbers, cells, heights, strict=True)]
        if len(self._pending) >= 512:
            self.flush()

    def _size(self, height: float) -> tuple[int, str]:
        """A row height's pixels and its attributes, as XlsxWriter writes them."""
        ws = self._ws
        pixels = int(height * 4.0 / 3.0 + 0.5)
        return pixels, (f' ht="{pixels * 0.75:.16g}" customHeight="1"'
                        if pixels != ws.original_row_height or pixels != ws.default_row_height
                        else "")

    def flush(self) -> None:
        """Write the rows made so far into the sheet."""
        if self._pending:
            self._ws.fh.write("".join(self._pending))
            self._pending.clear()


def cell_xml(col: str, number: str, tail: str, kind: str, value: Any) -> str:
    """One cell: column letters, row number, RowXml.tail(kind, format), its value."""
    if kind == "s":
        return f'<c r="{col}{number}{tail}{inline_text(value)}</is></c>'
    if kind == "n":
        return f'<c r="{col}{number}{tail}{value:.16G}</v></c>'
    return f'<c r="{col}{number}{tail}'


_KINDS = {"s": 0, "n": 1, "b": 2}


def _tail(kind: str, fmt: Any) -> str:
    """What follows a cell's reference: its style, its type, the opening of its value.
    The format's index is taken when first used, as XlsxWriter takes it on flushing."""
    style = f'" s="{fmt._get_xf_index()}"' if fmt is not None else '"'
    if kind == "s":
        return style + ' t="inlineStr"><is>'
    if kind == "n":
        return style + "><v>"
    return style + "/>"


class HeldRows:
    """Rows of one ordinary (not constant_memory) worksheet, written as XML when the
    workbook is closed. Cells as for RowXml, plus 'bool'.

    XlsxWriter numbers formats in the order cells use them when it assembles a sheet, so
    a row here names its formats by str.format fields ({0}, {1}, …: the XML of a
    shared-string sheet holds only references and numbers, never a brace) that become
    style ids at that moment, in the order the cells first used them: the file is the
    one XlsxWriter would have written."""

    __slots__ = ("_first_use", "_formats", "_rows", "_sheet", "_tokens")

    def __init__(self, ws: Any) -> None:
        if getattr(ws, "constant_memory", True) or not all(
                hasattr(ws, name) for name in _HELD_NEEDS):
            raise ValueError("HeldRows needs an XlsxWriter worksheet without constant_memory")
        # weakly: the sheet holds this object (its _write_rows), and a cycle would keep
        # every workbook of a build alive until a full collection (a build pauses them)
        self._sheet: Callable[[], Any] = weakref.ref(ws)
        self._rows: dict[int, tuple[int, int, str]] = {}  # row -> first, last column, XML
        self._tokens: dict[Any, str] = {}  # format -> its token in the cells' XML
        self._formats: list[Any] = []  # formats in the order cells first used them
        self._first_use: list[int] = []  # the row each of them was first used in
        ws._write_rows = self._write_rows  # XlsxWriter assembles the sheet through this

    def row(self, row: int, cells: Sequence[tuple[str, Any, Any] | None],
            height: float | None = None) -> None:
        """Row `row` from column 0; a None cell is no cell (a ragged row). A cell whose
        format is None has no style (the sheet must then have no row or column formats,
        which XlsxWriter would give it)."""
        ws = self._sheet()
        if None in cells:  # a ragged row
            present = [c for c, cell in enumerate(cells) if cell is not None]
            if not present:
                return
            first, last = present[0], present[-1]
        elif cells:
            first, last = 0, len(cells) - 1
        else:
            return
        if row in self._rows or ws.table.get(row) or row in ws.row_info:
            raise ValueError(f"row {row} is written already (each row once)")
        if ws._check_dimensions(row, last) or ws._check_dimensions(row, first):
            raise ValueError(f"row {row} is outside the worksheet")
        if height is not None:
            ws.set_row(row, height)  # kept by XlsxWriter: the <row> element is written then
        number = str(row + 1)
        tokens = self._tokens
        sst = ws.str_table._get_shared_string_index
        cols = letters(len(cells))
        parts: list[str] = []
        append = parts.append
        for c, cell in enumerate(cells):
            if cell is None:
                continue
            kind, value, fmt = cell
            token = tokens.get(fmt)
            if token is None:
                token = tokens[fmt] = "" if fmt is None else f'" s="{{{len(self._formats)}}}'
                if fmt is not None:
                    self._formats.append(fmt)
                    self._first_use.append(row)
            if kind == "s":
                if len(value) > STRING_MAX // 2 and _utf16_len(value) > STRING_MAX:
                    value = _utf16_truncate(value, STRING_MAX)
                append(f'<c r="{cols[c]}{number}{token}" t="s"><v>{sst(value)}</v></c>')
            elif kind == "n":
                append(f'<c r="{cols[c]}{number}{token}"><v>{value:.16G}</v></c>')
            elif kind == "bool":
                append(f'<c r="{cols[c]}{number}{token}" t="b"><v>{int(value)}</v></c>')
            else:  # "b"
                append(f'<c r="{cols[c]}{number}{token}"/>')
        self._rows[row] = (first, last, "".join(parts))

    def _write_rows(self) -> None:
        """XlsxWriter's own Worksheet._write_rows with the held rows in their places."""
        ws, held = self._sheet(), self._rows
        ws._calculate_spans()
        spans = ws.row_spans
        if None in self._tokens and (
                any(info.column_format for info in ws.col_info.values())
                or any(ws.row_info[r].row_format for r in held if r in ws.row_info)):
            raise ValueError("cells without a format on a sheet with row or column formats")
        bounds: dict[int, list[int]] = {}  # a block of 16 rows -> its held cells' columns
        table = ws.table
        for row, (first, last, _) in held.items():
            if table.get(row):
                raise ValueError(f"row {row} got cells from XlsxWriter as well")
            found = bounds.get(row >> 4)
            if found is None:
                bounds[row >> 4] = [first, last]
            else:
                found[0], found[1] = min(found[0], first), max(found[1], last)
        for index, (low, high) in bounds.items():
            low, high = low + 1, high + 1
            if index in spans:
                a, b = spans[index].split(":")
                low, high = min(low, int(a)), max(high, int(b))
            spans[index] = f"{low}:{high}"
        # style ids as XlsxWriter gives them: a format gets its id at the first cell that
        # uses it, in sheet order, so the held rows' formats get theirs row by row here
        order = sorted(range(len(self._formats)), key=lambda k: (self._first_use[k], k))
        ids: list[str] = [""] * len(self._formats)  # format k -> its style id
        done = 0
        info, comments = ws.row_info, ws.comments
        # a held row without row information starts as XlsxWriter's _write_row starts it
        # (no height of its own: the sheet's default is the original one), written here
        plain = ws.default_row_height == ws.original_row_height
        x14 = ' x14ac:dyDescent="0.25"' if ws.excel_version == 2010 else ""
        out: list[str] = []
        for row in range(ws.dim_rowmin, ws.dim_rowmax + 1):
            span = spans.get(row // 16)
            if row in held:
                while done < len(order) and self._first_use[order[done]] <= row:
                    k = order[done]
                    ids[k] = str(self._formats[k]._get_xf_index())
                    done += 1
                xml = held[row][2].format(*ids) if ids else held[row][2]
                if plain and row not in info:
                    out.append(f'<row r="{row + 1}" spans="{span}"{x14}>{xml}</row>' if span
                               else f'<row r="{row + 1}"{x14}>{xml}</row>')
                    continue
                _flush(ws, out)
                ws._write_row(row, span, info.get(row))
                ws.fh.write(xml)
                ws._xml_end_tag("row")
            elif table.get(row):
                _flush(ws, out)
                ws._write_row(row, span, info.get(row))
                for col in range(ws.dim_colmin, ws.dim_colmax + 1):
                    if col in table[row]:
                        ws._write_cell(row, col, table[row][col])
                ws._xml_end_tag("row")
            elif row in info or row in comments:
                _flush(ws, out)
                ws._write_empty_row(row, span, info.get(row))
        _flush(ws, out)


def _flush(ws: Any, out: list[str]) -> None:
    """Write the rows made so far, before XlsxWriter writes the next one itself."""
    if out:
        ws.fh.write("".join(out))
        out.clear()


_HELD_NEEDS = ("fh", "table", "row_info", "col_info", "comments", "merge", "merged_cells",
               "table_cells", "row_spans", "str_table",
               "dim_rowmin", "default_row_height", "original_row_height", "excel_version",
               "_check_dimensions", "_calculate_spans", "_write_row", "_write_cell",
               "_write_empty_row", "_xml_end_tag")


def held_rows(ws: Any) -> HeldRows | None:
    """The worksheet's HeldRows (made on first use), or None where rows cannot be held
    (constant_memory, or an XlsxWriter without the internals used here)."""
    rows = _HELD.get(ws)
    if rows is None and not getattr(ws, "constant_memory", True) and all(
            hasattr(ws, name) for name in _HELD_NEEDS):
        rows = _HELD[ws] = HeldRows(ws)
    return rows


_HELD: weakref.WeakKeyDictionary[Any, HeldRows] = weakref.WeakKeyDictionary()


def merge_cells(ws: Any, row: int, first: int, last: int) -> None:
    """Record columns first..last of `row` as one merged cell, as merge_range does, for
    a held row that carries the cells (the first one's value, blanks after it)."""
    cell_range = xl_range(row, first, row, last)
    for col in range(first, last + 1):
        previous = ws.merged_cells.get((row, col)) or ws.table_cells.get((row, col))
        if previous:
            raise OverlappingRange(f"Merge range '{cell_range}' overlaps '{previous}'.")
        ws.merged_cells[row, col] = cell_range
    ws.merge.append([row, first, row, last])
