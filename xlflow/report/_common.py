"""What the PMO's report workbooks share: a typed cell writer and table headers (the
formats and page set-up are in xlflow.styles)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..styles import WORKBOOK_OPTIONS, Styles, print_setup

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


def headers(ws: Any, row: int, columns: list[tuple[str, float]], st: Styles) -> None:
    for c, (name, width) in enumerate(columns):
        ws.write_string(row, c, name, st.header)
        ws.set_column(c, c, width)


__all__ = ["MAX_CELL", "OPTIONS", "Styles", "headers", "print_setup", "put", "serial"]
