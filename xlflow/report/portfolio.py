"""The portfolio workbook (项目组合): 项目总览 (one row per project, priority first, with a
slip chart), 高风险 (open 高 risks across projects), 部门负荷 (people per department and
ISO week across projects against capacity, a stacked column chart with a capacity line
per department) and 未纳入 (folders left out, with the reason)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..model.portfolio import PortfolioResult, ProjectSummary
from ..model.resources import WeekLoad
from ..styles import Styles, count_axis, page_setup
from ._common import OPTIONS, headers, put_row

CHART_WIDTH, CHART_HEIGHT = 720, 300
ROWS_PER_CHART = 16  # rows of 20 px a chart of CHART_HEIGHT covers, with a gap

Columns = Sequence[tuple[str, str, float]]  # (Chinese, English, width)

OVERVIEW: Columns = (
    ("项目编号", "Project ID", 14), ("项目名称", "Name", 24), ("优先级", "Priority", 8),
    ("阶段", "Phase", 10), ("计划开始", "Start", 11), ("计划结束", "Planned end", 11),
    ("最近汇总", "Last merge", 10), ("统计日", "As of", 11), ("任务数", "Tasks", 7),
    ("按期率", "On-time rate", 8), ("最大偏差(天)", "Worst slip (days)", 9),
    ("平均偏差(天)", "Average slip (days)", 9), ("预计完成", "Forecast end", 11),
    ("预计延期(天)", "Forecast slip (days)", 9), ("进度判断", "Outlook", 14),
    ("滞后任务", "Late tasks", 8), ("开放高风险", "Open high risks", 9),
    ("未交回部门", "Missing returns", 16), ("项目文件夹", "Folder", 20),
)
# columns of 项目总览 the chart and the highlighting refer to (0-based)
COL_ID, COL_WORST, COL_SLIP, COL_LATE, COL_HIGH = 0, 10, 13, 15, 16

RISKS: Columns = (
    ("项目编号", "Project ID", 14), ("项目名称", "Name", 20), ("优先级", "Priority", 8),
    ("风险编号", "Risk ID", 14), ("提出部门", "Raised by", 10), ("风险描述", "Description", 40),
    ("责任人", "Owner", 10), ("解决时限", "Resolve by", 11), ("状态", "Status", 9),
    ("已过时限", "Overdue", 8),
)
LOAD_FIXED: Columns = (("部门", "Department", 10), ("项目", "Project", 18),)
SKIPPED: Columns = (("文件夹", "Folder", 30), ("问题代码", "Code", 18), ("原因", "Reason", 70))


def header_text(zh: str, en: str, language: str) -> str:
    """A header in the language of settings.headers: zh, en, or both (English beneath)."""
    return {"zh": zh, "en": en}.get(language, f"{zh}\n{en}")


def _columns(columns: Columns, language: str) -> list[tuple[str, float]]:
    return [(header_text(zh, en, language), width) for zh, en, width in columns]


def write_portfolio(path: Path, result: PortfolioResult, capacity: Mapping[str, float],
                    language: str) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": "项目组合", "author": "xlflow"})
    st = Styles(wb)
    title = f"项目组合 · 截至 {result.as_of.isoformat()}"
    _overview(wb, st, result, language, title)
    _risks(wb, st, result, language, title)
    _load(wb, st, result.load, capacity, result.projects, language, title)
    ws = wb.add_worksheet("未纳入")
    columns = _columns(SKIPPED, language)
    headers(ws, 0, columns, st)
    widths = [w for _, w in columns]
    for r, s in enumerate(result.skipped, start=1):
        put_row(ws, r, [s.folder, s.code, s.reason], widths, st)
    if not result.skipped:
        put_row(ws, 1, ["无", "", ""], widths, st)
    page_setup(ws, title=f"{title} · 未纳入的文件夹", repeat_rows=0)
    close_workbook(wb)


def _overview(wb: Any, st: Styles, result: PortfolioResult, language: str, title: str) -> None:
    ws = wb.add_worksheet("项目总览")
    columns = _columns(OVERVIEW, language)
    headers(ws, 0, columns, st)
    widths = [w for _, w in columns]
    formats = {4: st.date, 5: st.date, 7: st.date, 8: st.int, 9: st.pct, COL_WORST: st.int,
               11: st.dec, 12: st.date, COL_SLIP: st.int, COL_LATE: st.int, COL_HIGH: st.int}
    for r, p in enumerate(result.projects, start=1):
        put_row(ws, r, _overview_row(p), widths, st, formats)
    last = max(len(result.projects), 1)
    if not result.projects:
        put_row(ws, 1, ["无"] + [None] * (len(columns) - 1), widths, st)
    for col in (COL_SLIP, COL_LATE, COL_HIGH):
        ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": ">", "value": 0,
                                                  "format": st.bad})
    ws.freeze_panes(1, 2)
    ws.autofilter(0, 0, last, len(columns) - 1)
    page_setup(ws, title=title, repeat_rows=0)
    merged = [p for p in result.projects if p.merged]
    if not merged:
        return
    n = len(result.projects)
    chart = wb.add_chart({"type": "bar"})
    for col, (zh, en, _) in ((COL_SLIP, OVERVIEW[COL_SLIP]), (COL_WORST, OVERVIEW[COL_WORST])):
        chart.add_series({"name": header_text(zh, en, language).replace("\n", " "),
                          "categories": ["项目总览", 1, COL_ID, n, COL_ID],
                          "values": ["项目总览", 1, col, n, col]})
    chart.set_title({"name": "各项目预计延期与最大偏差(天)"})
    slips = [abs(v) for p in merged for v in (p.forecast_slip or 0, p.worst_slip or 0)]
    axis = count_axis(max(slips, default=0), name="天")
    if any((p.forecast_slip or 0) < 0 for p in merged):
        axis["min"] = -axis["max"]  # finishing early shows as a bar to the left
    chart.set_x_axis(axis)
    chart.set_y_axis({"reverse": True})  # the first project at the top, as in the table
    chart.set_size({"width": CHART_WIDTH, "height": max(CHART_HEIGHT, 40 * n + 100)})
    ws.insert_chart(n + 2, 0, chart)


def _overview_row(p: ProjectSummary) -> list[Any]:
    return [p.project_id, p.name, p.priority, str(p.phase), p.start, p.end, p.last_week,
            p.last_as_of, p.tasks if p.merged else None, p.on_time_rate, p.worst_slip,
            p.avg_slip, p.forecast_end, p.forecast_slip, p.outlook,
            len(p.late_tasks) if p.merged else None,
            len(p.open_high_risks) if p.merged else None,
            "、".join(p.missing_returns), p.folder]


def _risks(wb: Any, st: Styles, result: PortfolioResult, language: str, title: str) -> None:
    ws = wb.add_worksheet("高风险")
    columns = _columns(RISKS, language)
    headers(ws, 0, columns, st)
    widths = [w for _, w in columns]
    names = {p.project_id: p for p in result.projects}
    row = 0
    for risk in result.risks:
        row += 1
        p = names[risk.project_id]
        put_row(ws, row, [p.project_id, p.name, p.priority, risk.risk_id, risk.department,
                          risk.description, risk.owner, risk.deadline, risk.status,
                          "是" if risk.overdue else ""], widths, st,
                {9: st.bad} if risk.overdue else None)
    if not row:
        put_row(ws, 1, ["无"] + [None] * (len(columns) - 1), widths, st)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(row, 1), len(columns) - 1)
    page_setup(ws, title=f"{title} · 开放的高风险", repeat_rows=0)


def _load(wb: Any, st: Styles, load: Sequence[WeekLoad], capacity: Mapping[str, float],
          projects: Sequence[ProjectSummary], language: str, title: str) -> None:
    """Per department: a row per project (people per week), 合计 (red over capacity) and
    可投入; under the table a stacked column chart per department with the capacity line."""
    ws = wb.add_worksheet("部门负荷")
    page_setup(ws, title=f"{title} · 部门负荷(人/周)", repeat_rows=0)
    weeks = sorted({w.week for w in load})
    columns = _columns(LOAD_FIXED, language) + [(week, 9) for week in weeks]
    headers(ws, 0, columns, st)
    widths = [w for _, w in columns]
    if not load:
        put_row(ws, 1, ["无", "各项目没有以人数计的资源需求(resources 中单位为 名/人)"]
                + [None] * len(weeks), widths, st)
        return
    by_dept: dict[str, list[WeekLoad]] = defaultdict(list)
    for w in load:
        by_dept[w.department].append(w)
    order = {p.project_id: i for i, p in enumerate(projects)}
    priority = {p.project_id: p.priority for p in projects}
    numbers = dict.fromkeys(range(2, 2 + len(weeks)), st.dec)
    total_label = header_text("合计", "Total", language).replace("\n", " ")
    cap_label = header_text("可投入", "Capacity", language).replace("\n", " ")
    row, blocks = 0, []
    for dept, items in by_dept.items():
        ids = sorted({pid for w in items for pid in w.by_project}, key=lambda i: order.get(i, 0))
        first = row + 1
        for pid in ids:
            row += 1
            put_row(ws, row, [dept, f"{pid}({priority.get(pid, '')})",
                              *[w.by_project.get(pid) for w in items]], widths, st, numbers)
        row += 1
        put_row(ws, row, [dept, total_label, *[w.total for w in items]], widths, st, numbers)
        total_row = row
        cap = capacity.get(dept)
        row += 1
        put_row(ws, row, [dept, cap_label, *[cap for _ in items]], widths, st, numbers)
        if cap is not None:
            ws.conditional_format(total_row, 2, total_row, 1 + len(weeks),
                                  {"type": "cell", "criteria": ">", "value": cap,
                                   "format": st.bad})
        blocks.append((dept, first, total_row, row, cap))
    ws.freeze_panes(1, 2)
    at = row + 2
    for dept, first, total_row, cap_row, cap in blocks:
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for r in range(first, total_row):
            chart.add_series({"name": ["部门负荷", r, 1], "values": ["部门负荷", r, 2, r,
                                                                    1 + len(weeks)],
                              "categories": ["部门负荷", 0, 2, 0, 1 + len(weeks)]})
        tallest = max(max((w.total for w in by_dept[dept]), default=0), cap or 0)
        if cap is not None:
            line = wb.add_chart({"type": "line"})
            line.add_series({"name": ["部门负荷", cap_row, 1],
                             "values": ["部门负荷", cap_row, 2, cap_row, 1 + len(weeks)],
                             "categories": ["部门负荷", 0, 2, 0, 1 + len(weeks)],
                             "line": {"color": "#C00000", "width": 2.25, "dash_type": "dash"},
                             "marker": {"type": "none"}})
            chart.combine(line)
        chart.set_title({"name": f"{dept} 各周投入人数与可投入人数"})
        chart.set_y_axis(count_axis(tallest, name="人"))
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        ws.insert_chart(at, 0, chart)
        at += ROWS_PER_CHART
