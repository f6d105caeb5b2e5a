"""督办事项 in the consolidated report: counts per department on 总览, and a sheet of
every item with its state (written only once a 周例会 has decided something)."""

from __future__ import annotations

from typing import Any

from ..model.actions import action_sort_key
from ..model.reports import MergeReport
from ..styles import Styles, page_setup
from ._common import headers, put, table

ACTION_HEADERS = [("编号", 13), ("周例会", 10), ("责任部门", 9), ("责任人", 8), ("事项", 26),
                  ("决定", 26), ("完成期限", 11), ("状态", 8), ("是否逾期", 8), ("进展说明", 26),
                  ("更新周", 10), ("来源", 24)]


def _source(src: Any) -> str:
    return f"{src.file} / {src.sheet} 第 {src.row} 行" if src else ""


def write_action_counts(ws: Any, row: int, report: MergeReport, st: Styles,
                        departments: list[str]) -> int:
    """总览's 督办事项 block from `row`: open and overdue per department. Returns the last
    row written."""
    ws.write_string(row, 0, "督办事项(周例会决定)", st.section)
    row += 1
    headers(ws, row, [("责任部门", 16), ("未完成", 11), ("已逾期", 11), ("已关闭", 11)], st)
    for d in departments:
        mine = [a for a in report.actions if a.department == d]
        row += 1
        ws.write_string(row, 0, d, st.text)
        for c, n in enumerate((sum(a.is_open for a in mine),
                               sum(a.overdue(report.as_of) for a in mine),
                               sum(not a.is_open for a in mine)), start=1):
            put(ws, row, c, n, st, st.bad if c == 2 and n else st.int)
    return row


def write_action_sheet(ws: Any, report: MergeReport, st: Styles) -> None:
    items = sorted(report.actions, key=lambda a: (not a.overdue(report.as_of), not a.is_open,
                                                  action_sort_key(a.item_id)))
    ws.freeze_panes(1, 1)
    last = table(ws, 0, ACTION_HEADERS, ([
        a.item_id, a.meeting, a.department, a.owner, a.matter, a.decision, a.due, str(a.status),
        "已逾期" if a.overdue(report.as_of) else "", a.progress, a.updated_week,
        _source(a.update_source or a.source)] for a in items), st, {6: st.date})
    ws.conditional_format(1, 8, max(last, 1), 8, {"type": "cell", "criteria": "==",
                                                   "value": '"已逾期"', "format": st.bad})
    ws.autofilter(0, 0, max(last, 1), len(ACTION_HEADERS) - 1)
    page_setup(ws, title=f"督办事项 · {report.project_name} · {report.week}", repeat_rows=0)
