"""The very hidden `_xlflow` sheet: key/value rows that say what a workbook is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..contract import IDENTITY_SHEET, LISTS_SHEET, TaskRow, identity_rows
from ..styles import hidden_page_setup


def write_identity(wb: Any, fields: Mapping[str, str], tasks: Iterable[TaskRow] = ()) -> None:
    ws = wb.add_worksheet(IDENTITY_SHEET)
    for r, row in enumerate(identity_rows(fields, tasks)):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
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
