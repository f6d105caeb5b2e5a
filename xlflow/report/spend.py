"""总览's 各部门支出与预算: 本周支出, 累计支出, 预算 and 剩余/超支 per department."""

from __future__ import annotations

from typing import Any

from ..model.reports import MergeReport
from ..styles import Styles
from ._common import headers, put

SPEND_HEADERS = [("部门", 16), ("本周支出(元)", 11), ("累计支出(元)", 11), ("预算(元)", 11),
                 ("剩余/超支(元)", 11)]


def write_spend(ws: Any, row: int, report: MergeReport, st: Styles) -> int:
    """The section below 各部门本周交回与投入, when a department has a budget or spent
    anything; returns the last row written. A negative 剩余 is 超支 and shows red."""
    shown = [d for d in report.departments
             if d.budget is not None or d.spend is not None or d.spent is not None]
    if not shown:
        return row
    row += 2
    ws.write_string(row, 0, "各部门支出与预算", st.section)
    row += 1
    headers(ws, row, SPEND_HEADERS, st)
    for d in shown:
        row += 1
        put(ws, row, 0, d.name, st, st.text)
        for c, value in enumerate((d.spend, d.spent, d.budget, d.remaining), start=1):
            put(ws, row, c, value, st, st.money)
        if d.remaining is not None and d.remaining < 0:
            ws.conditional_format(row, 4, row, 4, {"type": "cell", "criteria": "<",
                                                   "value": 0, "format": st.bad})
    return row
