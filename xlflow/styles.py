"""The house look of every workbook xlflow writes: font, colours, named XlsxWriter
formats, page set-up and row heights. Department workbooks and PMO reports share it so
they look and print alike; change the look here, nowhere else."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from typing import Any

from ._draft import DRAFT, is_draft, mark_sheet
from ._xlsxreuse import add_format
from .spec import Column, ColumnType

FONT = "Microsoft YaHei"
FONT_SIZE = 10

# colours
HEADER_FILL = "#305496"
REQUIRED_FILL = "#C65911"
LOCKED_FILL = "#EDEDED"
LABEL_FILL = "#DDEBF7"
BORDER = "#BFBFBF"
NOTE_FONT = "#595959"
GOOD_FILL, GOOD_FONT = "#C6EFCE", "#006100"
BAD_FILL, BAD_FONT = "#FFC7CE", "#9C0006"
WARN_FILL = "#FFEB9C"
LATE_DONE_FILL = "#FCE4D6"
ON_TRACK_FILL = LABEL_FILL

NUM_FORMATS = {
    ColumnType.DATE: "yyyy-mm-dd",
    ColumnType.DATETIME: "yyyy-mm-dd hh:mm",
    ColumnType.PERCENT: "0%",
    ColumnType.INTEGER: "0",
    ColumnType.NUMBER: "General",
}

# Text is never turned into formulas, links or numbers.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}


_BASE = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top"}
_CELL = {**_BASE, "border": 1, "border_color": BORDER}
_HEADER = {**_CELL, "bold": True, "font_color": "#FFFFFF", "bg_color": HEADER_FILL,
           "text_wrap": True, "valign": "vcenter", "align": "center", "locked": True}


class _Named:
    """A named format of Styles, added to the workbook the first time it is used: a
    workbook made XlsxWriter build every format it might use (twenty, most unused in a
    risk form) and XlsxWriter numbers formats by first use, so the file is the same."""

    def __init__(self, props: dict[str, Any]) -> None:
        self.props = props

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, styles: Any, owner: type | None = None) -> Any:
        if styles is None:
            return self
        made = styles.__dict__[self.name] = add_format(styles.wb, self.props)
        return made


class Styles:
    """The named formats of one workbook (XlsxWriter formats belong to a workbook).

    Formats a workbook never uses are not written to its file (nor made: see _Named)."""

    title = _Named({**_BASE, "bold": True, "font_size": 14})
    note = _Named({**_BASE, "font_color": NOTE_FONT})
    section = _Named({**_BASE, "bold": True, "font_size": 11, "font_color": HEADER_FILL})
    bold = _Named({**_BASE, "bold": True})
    prose = _Named({**_BASE, "text_wrap": True})  # running text, no grid
    header = _Named(_HEADER)
    header_required = _Named({**_HEADER, "bg_color": REQUIRED_FILL})
    label = _Named({**_CELL, "bold": True, "bg_color": LABEL_FILL, "text_wrap": True,
                    "valign": "vcenter"})
    # table cells of the report workbooks
    text = _Named({**_CELL, "text_wrap": True})
    plain = _Named(_CELL)
    date = _Named({**_CELL, "num_format": "yyyy-mm-dd", "align": "left"})
    datetime = _Named({**_CELL, "num_format": "yyyy-mm-dd hh:mm", "align": "left"})
    pct = _Named({**_CELL, "num_format": "0%"})
    int = _Named({**_CELL, "num_format": "0"})
    dec = _Named({**_CELL, "num_format": "0.0"})
    money = _Named({**_CELL, "num_format": "#,##0.00"})
    # conditional formats
    good = _Named({"bg_color": GOOD_FILL, "font_color": GOOD_FONT})
    bad = _Named({"bg_color": BAD_FILL, "font_color": BAD_FONT})
    struck = _Named({"font_strikeout": True, "font_color": NOTE_FONT})  # a row kept for the record

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self._cell = _CELL
        self._fills: dict[str, Any] = {}
        self._cells: dict[tuple[ColumnType, bool], Any] = {}

    def fill(self, colour: str) -> Any:
        """A background-only format, for conditional formatting."""
        if colour not in self._fills:
            self._fills[colour] = add_format(self.wb, {"bg_color": colour})
        return self._fills[colour]

    def cell(self, column: Column, locked: bool) -> Any:
        """The format of a spec column's cells: number format by type, grey if locked."""
        key = (column.type, locked)
        if key not in self._cells:
            props: dict[str, Any] = {**self._cell, "locked": locked}
            if column.type in NUM_FORMATS:
                props["num_format"] = NUM_FORMATS[column.type]
                props["align"] = "left" if column.type in (ColumnType.DATE,
                                                           ColumnType.DATETIME) else "right"
            else:
                props["text_wrap"] = True
                props["num_format"] = "@"  # typed digits stay text (phone numbers, ids)
            if locked:
                props["bg_color"] = LOCKED_FILL
            self._cells[key] = add_format(self.wb, props)
        return self._cells[key]


def stamp(moment: dt.datetime | str) -> str:
    """A time for people: '2024-07-12 09:30 (UTC+08:00)', in the zone it was taken in
    (the machine's local zone for xlflow's own stamps), never bare UTC ISO."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    offset = moment.utcoffset() or dt.timedelta()
    sign = "-" if offset < dt.timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{moment:%Y-%m-%d %H:%M} (UTC{sign}{minutes // 60:02d}:{minutes % 60:02d})"


# --- row heights --------------------------------------------------------------------

LINE_HEIGHT = 14.5  # points per line of 10 pt text; CJK fonts are tall (Noto Sans CJK 1.45 em)
ROW_PADDING = 3.0
MAX_ROW_HEIGHT = 409.0  # Excel's limit
# a word: a run of non-CJK characters, or a run of CJK ones (each a place to break), or
# spaces; trailing spaces belong to the word before them
_WORDS = re.compile(r"[^\s\u2e80-\uffef]+\s*|(?:(?!\s)[\u2e80-\uffef])+\s*|\s+")
_CJK = re.compile(r"(?!\s)[\u2e80-\uffef]")


def char_width(ch: str) -> int:
    """Width of one character in column-width units: CJK and full-width count double."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


class _Widened(dict[int, Any]):
    """For str.translate: a wide character becomes two, any other stays itself, so a
    text's width is the length of its translation (one C call instead of a Python call
    per character: row heights were a fifth of build's time)."""

    def __missing__(self, code: int) -> Any:
        value = "xx" if char_width(chr(code)) == 2 else code
        self[code] = value
        return value


_WIDENED = _Widened()


def text_width(text: str) -> int:
    return len(text) if text.isascii() else len(text.translate(_WIDENED))


class _Shapes(dict[int, Any]):
    """For str.translate: each character becomes the one standing for its kind as the
    wrap sees it (a line break; a space; a CJK character, wide or narrow; any other
    character, narrow or wide). Texts of one shape wrap alike: 「第 12 行」 and
    「第 345 行」 are measured once (a report's 100,000 rows are a few hundred shapes)."""

    def __missing__(self, code: int) -> Any:
        ch = chr(code)
        if ch == "\n":
            value: Any = code
        elif ch.isspace():
            value = " "
        elif "\u2e80" <= ch <= "\uffef":
            value = "中" if char_width(ch) == 2 else "\uff61"  # 中 wide, ｡ narrow
        else:
            value = "\U0001f600" if char_width(ch) == 2 else "a"  # 😀 a wide non-CJK one
        self[code] = value
        return value


_SHAPES = _Shapes()


def text_lines(text: str, width: float) -> int:
    """How many lines `text` takes in a wrapped cell `width` characters wide.

    Wraps greedily as a spreadsheet does: CJK characters break anywhere, Latin words at
    spaces (a word longer than the line is broken)."""
    usable = max(width - 1, 1.0)
    if len(text) <= usable and "\n" not in text and text_width(text) <= usable:
        return 1  # most cells: one line whole (a report's ids and names: 200,000 of them)
    return _lines(text.translate(_SHAPES), width)


@functools.lru_cache(maxsize=65536)
def _lines(text: str, width: float) -> int:
    usable = max(width - 1, 1.0)
    if "\n" not in text:
        return _wrapped_lines(text, usable)
    return sum(1 if (len(p) if p.isascii() else text_width(p)) <= usable
               else _wrapped_lines(p, usable) for p in text.split("\n"))


def _wrapped_lines(paragraph: str, usable: float) -> int:
    """Lines of one paragraph, word by word. A run of wide CJK characters (each a place
    to break) is placed by arithmetic, not character by character."""
    lines, used = 1, 0.0
    w: float
    for word in _WORDS.findall(paragraph):
        found = _WORD_WIDTHS.get(word)
        if found is None:
            found = _WORD_WIDTHS[word] = _measure(word)
        w, trailing, run = found
        if run > 0 and usable >= 2:  # `run` wide characters
            k = run
            if used:
                fit = min(k, max(0, int((usable - used) // 2)))
                used += 2 * fit
                k -= fit
                if k:
                    lines, used = lines + 1, 0.0
            if k:
                per_line = int(usable // 2)
                more = (k - 1) // per_line
                lines += more
                used = 2.0 * (k - more * per_line)
            used += trailing
            continue
        if run:  # CJK characters, some narrow (or a line too narrow): one by one
            chars = len(word) - trailing
            for ch in word[:chars - 1]:
                cw: float = char_width(ch)
                if used and used + cw > usable:
                    lines, used = lines + 1, 0.0
                while cw > usable:
                    cw -= usable
                    lines += 1
                used += cw
            w = char_width(word[chars - 1])
        if used and used + w > usable:
            lines, used = lines + 1, 0.0
        while w > usable:  # a word wider than the cell
            w -= usable
            lines += 1
        used += w + trailing
    if len(_WORD_WIDTHS) > 100_000:  # words recur (every CJK character is one): bounded
        _WORD_WIDTHS.clear()
    return lines


def _measure(word: str) -> tuple[int, int, int]:
    """A word's width without its trailing spaces, how many those are, and its kind: for
    a run of CJK characters all wide, how many; -1 for CJK characters some of them
    narrow; 0 for any other word."""
    stripped = word.rstrip()
    width = text_width(stripped)
    if not _CJK.match(word):
        return width, len(word) - len(stripped), 0
    return width, len(word) - len(stripped), len(stripped) if width == 2 * len(stripped) else -1


# word -> (width without trailing spaces, spaces, kind as _measure gives it)
_WORD_WIDTHS: dict[str, tuple[int, int, int]] = {}


def lines_height(lines: int) -> float:
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + ROW_PADDING)


def row_height(cells: Any, *, min_lines: int = 1) -> float | None:
    """Height in points for a row of wrapped cells, from (text, column width) pairs; None
    when one line is enough (the sheet's default height). Non-text values count one line."""
    lines = min_lines
    for value, width in cells:
        # a text at most half as long as the cell is wide fits one line, whatever its
        # characters (a wide one counts two): most cells, without text_lines' cache
        if isinstance(value, str) and value and (
                len(value) * 2 > width - 1 or "\n" in value):
            lines = max(lines, text_lines(value, width))
    return lines_height(lines) if lines > 1 else None


def set_row_height(ws: Any, row: int, cells: Any, *, min_lines: int = 1) -> None:
    """Give a row of wrapped text the height its longest cell needs (spreadsheets do
    not grow rows for wrapped text on their own: LibreOffice shows one line)."""
    height = row_height(cells, min_lines=min_lines)
    if height is not None:
        ws.set_row(row, height)


def header_height(headers: Any) -> float:
    """A header row tall enough for its longest header: headers are never clipped."""
    return lines_height(max((text_lines(text, width) for text, width in headers), default=1))


# --- page set-up ----------------------------------------------------------------------

A4, A3 = 9, 8  # Excel paper codes
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}  # inches
NOTHING = "无"  # what an empty table prints


def _header_text(text: str) -> str:
    return text.replace("&", "&&")[:120]


def page_setup(ws: Any, *, title: str = "", landscape: bool = True, paper: int = A4,
               fit_width: int = 1, fit_height: int = 0,
               repeat_rows: int | tuple[int, int] | None = None) -> None:
    """Paper, orientation, margins, fit, header rows repeated on every page, and a page
    header (title, print date) and footer (page n of N) in Chinese."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(paper)
    ws.set_margins(**MARGINS)
    if fit_width or fit_height:
        ws.fit_to_pages(fit_width, fit_height)
    if repeat_rows is not None:
        if isinstance(repeat_rows, tuple):
            ws.repeat_rows(*repeat_rows)
        else:
            ws.repeat_rows(repeat_rows)
    draft = f"&C&\"{FONT},Bold\"&KC00000{DRAFT}" if is_draft() else ""
    if title or draft:
        ws.set_header(f"&L&\"{FONT},Bold\"{_header_text(title)}{draft}&R&D")
    ws.set_footer(f"&L{DRAFT}&C第 &P 页 / 共 &N 页" if draft else "&C第 &P 页 / 共 &N 页")
    if draft:
        mark_sheet(ws)


def hidden_page_setup(ws: Any) -> None:
    """A hidden sheet never prints, but says what paper it would use like every sheet."""
    ws.set_portrait()
    ws.set_paper(A4)



# --- charts ---------------------------------------------------------------------------

def count_axis(largest: float = 0, **options: Any) -> dict[str, Any]:
    """A value axis for counts: whole numbers from 0, one gridline per unit up to ten
    (a step of 2, 5, 10… beyond), never 0.2 steps or a 1.2 maximum."""
    steps = (m * 10 ** e for e in range(12) for m in (1, 2, 5))  # 1, 2, 5, 10, 20, …
    step = next(s for s in steps if largest / s <= 10)
    top = max(step, math.ceil(largest / step) * step)
    return {"min": 0, "max": top, "major_unit": step, "num_format": "0",
            "major_gridlines": {"visible": True}, **options}
