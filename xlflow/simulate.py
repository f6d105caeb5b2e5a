"""Fill built workbooks the way a department does in Excel: for the bundled samples,
the tests and the benchmarks. Uses openpyxl, which keeps validations, protection and
the hidden `_xlflow` sheet, as Excel does when it saves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl


def header_columns(ws: Any) -> dict[str, int]:
    """Chinese header (first line, without the required marker) -> 1-based column."""
    return {str(c.value).split("\n")[0].rstrip(" *"): c.column for c in ws[1] if c.value}


def fill_workbook(
    path: Path,
    *,
    weekly: Mapping[str, Mapping[str, Any]] | None = None,
    risks: Sequence[Mapping[str, Any]] = (),
    acceptance: Mapping[str, Mapping[str, Any]] | None = None,
    retro: Sequence[Mapping[str, Any]] = (),
    out: Path | None = None,
) -> Path:
    """Type values into a department workbook, by Chinese header.

    weekly: {task id: {header: value}}; risks: rows for the reserved risk ids, in order;
    acceptance: {result id: {header: value}}; retro: 复盘反馈 rows, in order.
    Saves to `out` (default: in place).
    """
    wb = openpyxl.load_workbook(path)
    for sheet, by_id in (("周进度跟踪表", weekly or {}), ("成果验收确认单", acceptance or {})):
        ws = wb[sheet]
        cols = header_columns(ws)
        for row in range(2, ws.max_row + 1):
            for header, value in by_id.get(ws.cell(row, 1).value, {}).items():
                _type(ws.cell(row, cols[header]), value)
    for sheet, rows in (("风险应对申请表", risks), ("复盘反馈", retro)):
        ws = wb[sheet]
        cols = header_columns(ws)
        for n, row in enumerate(rows, start=2):
            for header, value in row.items():
                _type(ws.cell(n, cols[header]), value)
    target = out or path
    wb.save(target)
    return target


def _type(cell: Any, value: Any) -> None:
    """Text that starts with '=' is text, as Excel stores '=... typed after an apostrophe."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
