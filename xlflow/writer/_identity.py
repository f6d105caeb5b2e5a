"""The very hidden `_xlflow` sheet: key/value rows that say what a workbook is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..styles import hidden_page_setup

IDENTITY_SHEET = "_xlflow"
LISTS_SHEET = "_lists"


def write_identity(wb: Any, fields: Mapping[str, str]) -> None:
    ws = wb.add_worksheet(IDENTITY_SHEET)
    ws.write_string(0, 0, "key")
    ws.write_string(0, 1, "value")
    for r, (key, value) in enumerate(fields.items(), start=1):
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, str(value))
    hidden_page_setup(ws)
    ws.protect()
    ws.very_hidden()


def write_lists(wb: Any, columns: list[tuple[str, list[str]]]) -> None:
    if not columns:
        return
    ws = wb.add_worksheet(LISTS_SHEET)
    for c, (_key, values) in enumerate(columns):
        for r, value in enumerate(values):
            ws.write_string(r, c, value)
    hidden_page_setup(ws)
    ws.protect()
    ws.very_hidden()
