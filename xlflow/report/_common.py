"""What the PMO's report workbooks share: formats and a typed cell writer."""

from __future__ import annotations

import datetime as dt
from typing import Any

FONT = "Microsoft YaHei"
MAX_CELL = 32767  # Excel's limit for one cell
OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
_EPOCH = dt.datetime(1899, 12, 30)


class Styles:
    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": 10, "valign": "top"}
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "font_color": "#595959"})
        self.section = wb.add_format({**base, "bold": True, "font_size": 11,
                                      "font_color": "#305496"})
        self.header = wb.add_format({**base, "bold": True, "font_color": "#FFFFFF",
                                     "bg_color": "#305496", "text_wrap": True, "border": 1,
                                     "valign": "vcenter"})
        self.text = wb.add_format({**cell, "text_wrap": True})
        self.plain = wb.add_format(cell)
        self.date = wb.add_format({**cell, "num_format": "yyyy-mm-dd", "align": "left"})
        self.datetime = wb.add_format({**cell, "num_format": "yyyy-mm-dd hh:mm",
                                       "align": "left"})
        self.pct = wb.add_format({**cell, "num_format": "0%"})
        self.int = wb.add_format({**cell, "num_format": "0"})
        self.dec = wb.add_format({**cell, "num_format": "0.0"})
        self.good = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.bad = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


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


def headers(ws: Any, row: int, columns: list[tuple[str, float]], st: Styles) -> None:
    for c, (name, width) in enumerate(columns):
        ws.write_string(row, c, name, st.header)
        ws.set_column(c, c, width)


def print_setup(ws: Any, *, landscape: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
