"""The 月度复盘 workbook: trend tables with native charts, finished and open items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..model.review import MonthlyReview
from ..styles import Styles, count_axis, page_setup
from ._common import OPTIONS, put, table


def write_review(path: Path, review: MonthlyReview, project_name: str) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{project_name} · {review.month} 月度复盘", "author": "xlflow"})
    st = Styles(wb)
    ws = wb.add_worksheet("趋势")
    ws.write_string(0, 0, f"{project_name} · {review.month} 月度复盘", st.title)
    ws.write_string(1, 0, f"本月汇总 {len(review.weeks)} 次:" + "、".join(review.weeks), st.note)
    row = 3
    for title, frame, fmt, chart_title, axis in (
            ("平均进度偏差(天)", review.slip, st.dec, "各部门平均偏差(天)", {"name": "天"}),
            ("按期率", review.on_time, st.pct, "各部门按期率",
             {"min": 0, "max": 1, "major_unit": 0.25, "num_format": "0%"})):
        ws.write_string(row, 0, title, st.section)
        row += 1
        first = row
        row = _frame(ws, row, frame, st, fmt)
        if len(frame.columns):
            chart = wb.add_chart({"type": "line"})
            for r in range(first + 1, row):
                chart.add_series({"name": ["趋势", r, 0],
                                  "categories": ["趋势", first, 1, first, len(frame.columns)],
                                  "values": ["趋势", r, 1, r, len(frame.columns)],
                                  "marker": {"type": "circle"}})
            chart.set_title({"name": chart_title})
            chart.set_y_axis(axis)
            chart.set_size({"width": 520, "height": 260})
            ws.insert_chart(first - 1, len(frame.columns) + 2, chart)
        row = max(row, first + 14) + 1
    page_setup(ws, title=f"{project_name} · {review.month} 月度复盘 · 趋势")
    rs = wb.add_worksheet("风险")
    records = review.risks.to_dict(orient="records")
    table(rs, 0, [("周次", 10), ("部门", 10), ("新提出", 8), ("已关闭", 8)],
          ([rec[k] for k in ("week", "department", "raised", "closed")] for rec in records), st)
    page_setup(rs, title=f"{project_name} · {review.month} 月度复盘 · 风险", repeat_rows=0)
    if len(review.risks):
        chart = wb.add_chart({"type": "column"})
        n = len(review.risks)
        for c, name in ((2, "新提出"), (3, "已关闭")):
            chart.add_series({"name": name, "categories": ["风险", 1, 0, n, 1],
                              "values": ["风险", 1, c, n, c]})
        chart.set_title({"name": "风险提出与关闭(按周、部门)"})
        chart.set_y_axis(count_axis(max((max(rec["raised"], rec["closed"]) for rec in records),
                                        default=0), name="项"))
        rs.insert_chart(1, 6, chart)
    _rows(wb.add_worksheet("完成交付"), st, [("任务编号", 10), ("部门", 10), ("交付成果", 30),
                                         ("实际完成日期", 13), ("状态", 10)],
          review.finished, ("id", "department", "deliverable", "actual", "status"),
          f"{project_name} · {review.month} 月度复盘 · 完成交付")
    _rows(wb.add_worksheet("未完成事项"), st, [("编号", 13), ("部门", 10), ("内容", 36),
                                          ("计划", 12), ("预计", 12), ("状态", 10)],
          [*review.open_tasks, *({"id": r["id"], "department": r["department"],
                                  "deliverable": f"[{r['level']}风险] {r['description']}",
                                  "planned": "", "expected": "", "status": r["status"]}
                                 for r in review.open_risks)],
          ("id", "department", "deliverable", "planned", "expected", "status"),
          f"{project_name} · {review.month} 月度复盘 · 未完成事项")
    if review.spend:
        _rows(wb.add_worksheet("支出与预算"), st, [("周次", 10), ("部门", 10),
                                              ("本周支出(元)", 13), ("累计支出(元)", 13),
                                              ("预算(元)", 13), ("剩余/超支(元)", 13)],
              review.spend, ("week", "department", "spend", "spent", "budget", "remaining"),
              f"{project_name} · {review.month} 月度复盘 · 支出与预算")
    close_workbook(wb)


def _frame(ws: Any, row: int, frame, st: Styles, fmt: Any) -> int:
    put(ws, row, 0, "部门", st, st.header)
    for c, week in enumerate(frame.columns, start=1):
        put(ws, row, c, str(week), st, st.header)
    for dept, values in frame.iterrows():
        row += 1
        put(ws, row, 0, str(dept), st)
        for c, value in enumerate(values, start=1):
            put(ws, row, c, None if value != value else float(value), st, fmt)  # NaN: blank
    return row + 1


def _rows(ws: Any, st: Styles, columns, records, keys, title: str) -> None:
    table(ws, 0, columns, ([rec.get(key) for key in keys] for rec in records), st)
    page_setup(ws, title=title, repeat_rows=0)
