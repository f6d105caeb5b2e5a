"""Fill built workbooks the way a department does in Excel: for the bundled samples,
the tests and the benchmarks. Uses openpyxl, which keeps validations, protection and
the hidden `_xlflow` sheet, as Excel does when it saves.

Text is stored the way Excel stores what a person types into the cell, given the
cell's number format (see `as_typed`): in a percent, date or number cell "50%" becomes
0.5, "2024-07-16" a date and "3" the number 3; in a text cell ("@") everything stays
text. Values that are not `str` (numbers, dates) are stored as given.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

TEXT_FORMAT = "@"
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PERCENT_RE = re.compile(rf" *({_NUMBER}) *% *", re.ASCII)
_NUMBER_RE = re.compile(rf" *({_NUMBER}) *", re.ASCII)
_ISO_RE = re.compile(r" *([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
                     r"(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)? *", re.ASCII)


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
    fields: Mapping[str, Mapping[str, Any]] | None = None,
    actions: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Type values into a department workbook, by Chinese header.

    weekly: {task id: {header: value}}; risks: rows for the reserved risk ids, in order;
    acceptance: {result id: {header: value}}; retro: 复盘反馈 rows, in order.
    fields: {sheet: {label: value}} for the fields below a table (填报人, 填报日期,
    部门确认人 …): the value goes in the cell right of the label.
    actions: {item id: {header: value}} on the 督办事项 sheet (状态, 进展说明).
    Text is converted as Excel converts what is typed (`as_typed`).
    Saves to `out` (default: in place).
    """
    wb = openpyxl.load_workbook(path)
    for sheet, by_id in (("周进度跟踪表", weekly or {}), ("成果验收确认单", acceptance or {}),
                         ("督办事项", actions or {})):
        if not by_id and sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        cols = header_columns(ws)
        for r in range(2, ws.max_row + 1):
            for header, value in by_id.get(str(ws.cell(r, 1).value), {}).items():
                _type(ws.cell(r, cols[header]), value)
    for sheet, rows in (("风险应对申请表", risks), ("复盘反馈", retro)):
        ws = wb[sheet]
        cols = header_columns(ws)
        for n, row in enumerate(rows, start=2):
            for header, value in row.items():
                _type(ws.cell(n, cols[header]), value)
    for sheet, by_label in (fields or {}).items():
        ws = wb[sheet]
        labels = {str(ws.cell(r, 1).value).rstrip(" *"): r for r in range(2, ws.max_row + 1)
                  if ws.cell(r, 1).value}
        for label, value in by_label.items():
            _type(ws.cell(labels[label], 2), value)
    target = out or path
    wb.save(target)
    return target


def fill_minutes(path: Path, *, details: Mapping[str, Any],
                 rows: Sequence[Mapping[str, Any]], out: Path | None = None) -> Path:
    """Type the PMO's 会议纪要 into the workbook `xlflow meeting` wrote: the details
    above the table by label (会议日期, 参会人 …), then one decision per reserved 编号,
    by Chinese header, in order. The signed `_xlflow` sheet is left as it is."""
    wb = openpyxl.load_workbook(path)
    ws = wb["会议纪要"]
    head = next(r for r in range(1, ws.max_row + 1)
                if str(ws.cell(r, 1).value or "").split("\n")[0] == "编号")
    labels = {str(ws.cell(r, 1).value).split("\n")[0].rstrip(" *"): r for r in range(1, head)
              if ws.cell(r, 1).value}
    for label, value in details.items():
        _type(ws.cell(labels[label], 2), value)
    cols = {str(c.value).split("\n")[0].rstrip(" *"): c.column for c in ws[head] if c.value}
    for n, row in enumerate(rows, start=head + 1):
        for header, value in row.items():
            _type(ws.cell(n, cols[header]), value)
    target = out or path
    wb.save(target)
    return target


def record_filed(root: Path, *, by: str = "PMO", number: str = "PMO-TEST",
                 approver: str = "分管副总") -> Path:
    """Record a project as approved and filed (PMO备案, its plan baselined) without the
    approval checks, which a synthetic project would not pass: what the tests and the
    benchmarks about what comes after filing start from. The filing is what
    `xlflow file` records (`phases.consensus.record_filing`). Returns `root`."""
    from .model.vocab import EventKind
    from .phases.consensus import record_filing
    from .workspace import Workspace, now

    ws = Workspace(root)
    at = now()
    with ws.ledger() as ledger:
        ledger.add_event(EventKind.APPROVE, by=approver, note="", at=at)
        record_filing(ledger, ws.project(with_events=False), by=by, number=number,
                      note=f"备案编号 {number}", at=at)
    return root


def as_typed(text: str, number_format: str = "General") -> tuple[Any, str]:
    """What Excel stores when `text` is typed into a cell with `number_format`, and the
    cell's number format afterwards.

    In a text cell ("@") text stays text. Elsewhere Excel turns "85%" into 0.85, "3"
    into 3, "2024-07-16" into a date and "2024-07-08 09:30" into a date and time; in a
    cell formatted as percent a typed number of 1 or more is taken as percent points
    (Excel's automatic percent entry: 85 -> 0.85, 0.85 -> 0.85). A General cell takes
    the format of what was typed. A leading apostrophe keeps text as text ('85%), and
    text starting with "=" is kept as text, never a formula. Only these forms, which
    Excel recognises in every locale, are converted: "下周", "7/15", "2024年7月11日",
    "1,000" or full-width digits stay text, as a pasted text value does.
    """
    if text.startswith("'"):
        return text[1:], number_format
    if number_format == TEXT_FORMAT or text.startswith("="):
        return text, number_format
    general = number_format in ("General", "")
    if (m := _PERCENT_RE.fullmatch(text)) and math.isfinite(float(m.group(1))):
        return float(m.group(1)) / 100, "0%" if general else number_format
    if (m := _NUMBER_RE.fullmatch(text)) and math.isfinite(float(m.group(1))):
        number = _number(m.group(1))
        if "%" in number_format and abs(number) >= 1:
            number = number / 100
        return number, number_format
    if m := _ISO_RE.fullmatch(text):
        parts = [int(p) for p in m.groups() if p is not None]
        try:
            when = dt.datetime(*parts)  # type: ignore[arg-type]
        except ValueError:
            return text, number_format  # 2024-02-30: Excel keeps it as text
        if not 1900 <= when.year <= 9999:
            return text, number_format
        if len(parts) == 3:
            return when.date(), "yyyy-mm-dd" if general else number_format
        return when, "yyyy-mm-dd hh:mm" if general else number_format
    return text, number_format


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _type(cell: Any, value: Any) -> None:
    if not isinstance(value, str):
        cell.value = value
        return
    stored, number_format = as_typed(value, cell.number_format)
    cell.number_format = number_format  # first: openpyxl gives a date a date format
    cell.value = stored
    if isinstance(stored, str):
        cell.data_type = "s"  # "=..." stays text, as typed after an apostrophe
