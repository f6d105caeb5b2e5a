"""Table rows written straight into an XlsxWriter worksheet's XML.

XlsxWriter spends ~8 µs per cell: type dispatch, a cell tuple, then attribute lists and
escaping when the row is flushed. A 100,000-task report is millions of cells, most of
them short text in a handful of formats. Here a row is one string join, written where
XlsxWriter itself writes rows in constant_memory mode (its temporary row file), in the
XML XlsxWriter would write (tests/test_sheetxml.py compares the two byte for byte).

Only for sheets of workbooks opened with `constant_memory`. Each row goes through
`RowXml.row` whole: XlsxWriter must not be given cells of that row as well (it would
write a second <row> element). Rows go in order, as constant_memory requires.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name

STRING_MAX = 32767  # Excel's limit, in UTF-16 units (XlsxWriter truncates the same way)
# What XlsxWriter would rewrite in an inline string: XML's specials, control characters
# (as _xHHHH_), the escape's own pattern, the two non-characters
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
                                       "original_row_height", "excel_version"))


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
    if _NEEDS_ESCAPE.search(text):
        text = _CONTROL_1.sub(r"_x005F\1", text)
        text = _CONTROL_2.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        space = _PRESERVE if text[0].isspace() or text[-1].isspace() else ""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:  # str.isspace is the \s of XlsxWriter's test (^\s or \s$), without a regex
        space = _PRESERVE if text[0].isspace() or text[-1].isspace() else ""
    return f"<t{space}>{text}</t>"


class RowXml:
    """Writes whole rows of one constant_memory worksheet as XML.

    A cell is (kind, value, format): 's' text, 'n' a number (int or float; a date as its
    serial), 'b' blank. `row` takes the cells left to right from column 0."""

    __slots__ = ("_last", "_tails", "_ws")

    def __init__(self, ws: Any) -> None:
        if not supported(ws):
            raise ValueError("RowXml needs a constant_memory XlsxWriter worksheet")
        self._ws = ws
        self._last = -1  # the last row written here
        # per kind of cell (text, number, blank): format -> what follows the reference
        self._tails: tuple[dict[Any, str], ...] = ({}, {}, {})

    def row(self, row: int, cells: Sequence[tuple[str, Any, Any]],
            height: float | None = None) -> None:
        """Write row `row` (0-based); `height` in points, None for the sheet's default."""
        ws = self._ws
        if row <= self._last or row < ws.previous_row or row in ws.row_info or (
                row == ws.previous_row and ws.table.get(row)):
            raise ValueError(f"row {row} is written already (rows go in order, each once)")
        if cells and (ws._check_dimensions(row, len(cells) - 1) or ws._check_dimensions(row, 0)):
            raise ValueError(f"row {row} is outside the worksheet")
        if row > ws.previous_row:
            ws._write_single_row(row)  # XlsxWriter's pending row, if any, goes first
        ws.previous_row = self._last = row
        number = str(row + 1)
        head = f'<row r="{number}"'
        if height is not None:
            pixels = int(height * 4.0 / 3.0 + 0.5)
            if pixels != ws.original_row_height or pixels != ws.default_row_height:
                head += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
            ws.row_sizes[row] = [pixels, False]  # where charts and images below are placed
        if ws.excel_version == 2010:
            head += ' x14ac:dyDescent="0.25"'
        parts = [head + ">"]
        text_tails, number_tails, blank_tails = self._tails
        cols = letters(len(cells))
        for c, (kind, value, fmt) in enumerate(cells):
            if kind == "s":
                tail = text_tails.get(fmt) or text_tails.setdefault(fmt, _tail(kind, fmt))
                parts.append(f'<c r="{cols[c]}{number}{tail}{inline_text(value)}</is></c>')
            elif kind == "n":
                tail = number_tails.get(fmt) or number_tails.setdefault(fmt, _tail(kind, fmt))
                parts.append(f'<c r="{cols[c]}{number}{tail}{value:.16G}</v></c>')
            else:
                tail = blank_tails.get(fmt) or blank_tails.setdefault(fmt, _tail(kind, fmt))
                parts.append(f'<c r="{cols[c]}{number}{tail}')
        parts.append("</row>")
        ws.fh.write("".join(parts))


def _tail(kind: str, fmt: Any) -> str:
    """What follows a cell's reference: its style, its type, the opening of its value.
    The format's index is taken when first used, as XlsxWriter takes it on flushing."""
    xf = fmt._get_xf_index() if fmt is not None else 0
    style = f'" s="{xf}"' if xf else '"'
    if kind == "s":
        return style + ' t="inlineStr"><is>'
    if kind == "n":
        return style + "><v>"
    return style + "/>"
