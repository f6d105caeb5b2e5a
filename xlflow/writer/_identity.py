"""The very hidden `_xlflow` sheet: key/value rows that say what a workbook is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .._sheetxml import held_rows
from ..contract import (
    IDENTITY_SHEET,
    LISTS_SHEET,
    SIGNATURE_KEY,
    TaskRow,
    identity_rows,
    parse_identity,
)
from ..signing import sign
from ..styles import hidden_page_setup
from ..values import clean_text


def write_identity(wb: Any, fields: Mapping[str, str], tasks: Iterable[TaskRow] = (),
                   *, key: bytes | None = None) -> None:
    """With `key`, a `signature` row: computed over the rows as a reader reads them back
    (clean text), so what is signed is exactly what is verified."""
    task_rows = list(tasks)
    rows = identity_rows(fields, task_rows)
    if key is not None:
        read_fields, read_tasks = parse_identity([[clean_text(c) for c in row] for row in rows])
        rows = identity_rows({**fields, SIGNATURE_KEY: sign(key, read_fields, read_tasks)},
                             task_rows)
    ws = wb.add_worksheet(IDENTITY_SHEET)
    held = held_rows(ws)
    for r, row in enumerate(rows):
        if held is not None:  # a row per task: thousands of cells in a large project
            held.row(r, [("s", value, None) for value in row])
            continue
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    hidden_page_setup(ws)
    ws.protect()
    ws.very_hidden()


def write_lists(wb: Any, columns: list[tuple[str, list[str]]]) -> None:
    if not columns:
        return
    ws = wb.add_worksheet(LISTS_SHEET)
    held = held_rows(ws)
    if held is None:
        for c, (_key, values) in enumerate(columns):
            for r, value in enumerate(values):
                ws.write_string(r, c, value)
    else:
        # the texts enter the shared string table column by column, as written cell by cell
        for _key, values in columns:
            for value in values:
                ws.str_table._get_shared_string_index(value)
        for r in range(max(len(values) for _, values in columns)):
            held.row(r, [("s", values[r], None) if r < len(values) else None
                         for _, values in columns])
    hidden_page_setup(ws)
    ws.protect()
    ws.very_hidden()
