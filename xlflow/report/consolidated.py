"""The consolidated weekly workbook for the PMO (Chinese), streamed with XlsxWriter.

constant_memory keeps memory flat however many rows; every sheet is written top to
bottom. Department text is always written as a string: never a formula or a link.

Printing: every sheet A4 landscape, one page wide, header row on every page, except the
two wide tables (周进度跟踪表, 24 columns; 风险登记册, 15) which print on A3 landscape,
one page wide, so that a row reads across at a legible size (~85 %) rather than at half
size on A4. Rows are as tall as their longest text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from .._closing import close_workbook
from ..model.records import iso, rollup
from ..model.reports import MergeReport
from ..model.vocab import Level, RiskFlag, RiskStatus, TaskState, flag_label
from ..styles import (
    A3,
    BAD_FILL,
    GOOD_FILL,
    LATE_DONE_FILL,
    NOTHING,
    ON_TRACK_FILL,
    WARN_FILL,
    WORKBOOK_OPTIONS,
    Styles,
    count_axis,
    page_setup,
    stamp,
)
from ._common import headers, put, put_row, put_rows, serial, table
from .actions import write_action_counts, write_action_sheet
from .gantt import gantt_milestones, gantt_tasks, write_gantt
from .risk_register import RESPONSE_HEADERS, response_cells
from .spend import write_spend

if TYPE_CHECKING:
    from ..project import Project

OPTIONS = {**WORKBOOK_OPTIONS, "constant_memory": True}
STATUS_COLOURS = {TaskState.DONE: GOOD_FILL, TaskState.DONE_LATE: LATE_DONE_FILL,
                  TaskState.ON_TRACK: ON_TRACK_FILL, TaskState.WARNING: WARN_FILL,
                  TaskState.LATE: BAD_FILL}
RISK_STATUSES = tuple(RiskStatus)

TASK_HEADERS = [("任务编号", 8), ("部门", 8), ("里程碑", 7), ("计划完成日期", 12),
                ("完成百分比", 8), ("实际完成日期", 12), ("预计完成日期", 12),
                ("预计/实际完成", 12), ("偏差天数", 7), ("基线日期", 12), ("偏差(基线)", 7),
                ("状态", 8), ("关键路径", 6), ("数据来自", 12), ("本周投入人数", 7),
                ("计划完成事项", 24), ("实际完成情况", 26), ("偏差原因", 20), ("解决措施", 20),
                ("需协调事项", 18), ("下周计划", 20), ("其他", 14), ("来源", 22), ("本周支出(元)", 12)]
RISK_HEADERS = [("风险编号", 13), ("提出部门", 8), ("风险等级", 6), ("状态", 7), ("标记", 18),
                ("关联任务", 7), ("发现时间", 16), ("提出时间", 16), ("风险描述", 30),
                ("影响范围", 20), ("建议措施", 22), ("责任人", 8), ("解决时限", 12),
                ("落实情况", 20), ("提出人", 8), ("风险类别", 7), ("发生概率", 6), ("影响程度", 6),
                ("需协调部门", 12), ("所需支持", 20), ("关闭日期", 12), ("关闭确认人", 8),
                *RESPONSE_HEADERS, ("来源", 22)]
ACCEPTANCE_HEADERS = [("成果编号", 8), ("成果/指标", 18), ("责任部门", 9), ("目标值", 12),
                      ("实际值", 12), ("是否达标(计算)", 10), ("部门填写", 8), ("确认人", 9),
                      ("确认日期", 12), ("意见", 26), ("来源", 24)]
FEEDBACK_HEADERS = [("部门", 8), ("类型", 9), ("内容", 56), ("相关任务", 8), ("提出人", 9),
                    ("来源", 24)]
CHANGE_HEADERS = [("类型", 12), ("对象", 14), ("部门", 9), ("说明", 80)]
ISSUE_HEADERS = [("级别", 6), ("代码", 16), ("文件", 24), ("工作表", 12), ("单元格", 7),
                 ("内容", 20), ("应为", 24), ("说明", 48)]
SOURCE_HEADERS = [("部门", 8), ("文件名", 28), ("sha256", 34), ("收到时间", 16),
                  ("大小(字节)", 10), ("是否采用", 8), ("说明", 40)]
CHART_WIDTH, CHART_HEIGHT, CHART_GAP = 480, 260, 12  # pixels


def _source(src: Any) -> str:
    return f"{src.file} / {src.sheet} 第 {src.row} 行" if src else ""


def write_consolidated(path: Path, report: MergeReport, *, project_start: dt.date,
                       project: Project | None = None,
                       baseline: Mapping[str, dt.date] | None = None) -> None:
    """`project`: the plan, for the 甘特图 sheet (names, owners, start dates); without it
    the sheet is left out. `baseline`: task id -> baselined due date (None: the plan)."""
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{report.project_name} · {report.week} 周进度汇总",
                       "author": "xlflow", **_created(report.run_at)})
    st = Styles(wb)
    overview = wb.add_worksheet("总览")
    tasks_ws = wb.add_worksheet("周进度跟踪表")
    _write_tasks(tasks_ws, report, st)
    if project is not None:
        write_gantt(wb, st, title=f"甘特图 · {report.project_name} · {report.week}",
                    tasks=gantt_tasks(project, report.tasks),
                    milestones=gantt_milestones(project, {m.name: m.forecast
                                                          for m in report.milestones}),
                    as_of=report.as_of, start=project.start, end=project.end, until=project.late_end,
                    baseline=baseline)
    _write_overview(wb, overview, report, st, project_start)
    _write_risks(wb.add_worksheet("风险登记册"), report, st)
    _write_acceptance(wb.add_worksheet("成果验收"), report, st)
    if report.actions:
        write_action_sheet(wb.add_worksheet("督办事项"), report, st)
    if report.feedback:
        _write_feedback(wb.add_worksheet("复盘反馈"), report, st)
    _write_changes(wb.add_worksheet("本周变化"), report, st)
    _write_issues(wb.add_worksheet("校验问题"), report, st)
    _write_sources(wb.add_worksheet("来源文件"), report, st)
    overview.activate()
    try:
        close_workbook(wb)
    except BaseException:
        _discard_row_data(wb)
        raise


def _created(run_at: str) -> dict[str, dt.datetime]:
    """The report's creation time is the merge's: the same merge gives the same bytes
    (XlsxWriter would stamp the moment of writing)."""
    try:
        return {"created": dt.datetime.fromisoformat(run_at).replace(tzinfo=None)}
    except ValueError:
        return {}


def _discard_row_data(wb: Any) -> None:
    """constant_memory keeps each sheet's rows in a temporary file that close() assembles;
    when close() fails (a read-only folder, a full disk) nothing else closes or removes it."""
    for ws in wb.worksheets():
        fh = getattr(ws, "row_data_fh", None)
        if fh is not None and not fh.closed:
            fh.close()
        name = getattr(ws, "row_data_filename", None)
        if name:
            with contextlib.suppress(OSError):
                os.unlink(name)


def _write_overview(wb: Any, ws: Any, report: MergeReport, st: Styles,
                    project_start: dt.date) -> None:
    ws.set_column(0, 0, 16)
    ws.set_column(1, 6, 11)
    ws.set_column(7, 7, 2)  # the charts stand in one column right of the tables
    ws.write_string(0, 0, f"{report.project_name} · {report.week} 周进度汇总", st.title)
    unit = "工作日" if report.workdays else "日历日"
    ws.write_string(1, 0, f"统计日 {report.as_of.isoformat()} · 偏差按{unit}计 · 预警阈值 "
                          f"{report.threshold} 天 · 生成于 {stamp(report.run_at)}", st.note)
    if not report.recorded:
        ws.write_string(2, 0, "本次没有采用任何文件:此报表未记入台账,以后各周的数字不以它为准。",
                        st.note)
    tasks = report.tasks
    overall = rollup("全部", tasks)
    figures: list[tuple[str, Any]] = [
        ("收到文件", len(report.files)), ("采用文件", sum(f.accepted for f in report.files)),
        ("合并行数", report.rows_merged), ("任务总数", overall.tasks), ("已完成", overall.done),
        ("按期率", overall.on_time_rate),
        ("预警", sum(t.status is TaskState.WARNING for t in tasks)),
        ("延误", sum(t.status is TaskState.LATE for t in tasks)),
        ("本周未更新任务", sum(not t.reported for t in tasks)),
        ("未交回部门", sum(not d.returned for d in report.departments)),
        ("风险总数", len(report.risks)), ("未关闭高风险", len(report.open_high_risks)),
        ("超时提出的风险", sum(RiskFlag.LATE_RAISE in r.flags for r in report.risks)),
        ("校验错误", report.errors), ("校验提醒", report.warnings),
    ]
    row = 3
    ws.write_string(row, 0, "关键数字", st.section)
    row += 1
    for label, value in figures:
        ws.write_string(row, 0, label, st.text)
        put(ws, row, 1, value, st, st.pct if label == "按期率" else st.int)
        if label == "风险总数":  # beside it, not below: 总览 stays one page
            awaiting = sum(RiskFlag.NO_PMO_RESPONSE in r.flags for r in report.risks)
            ws.write_string(row, 2, f"其中 PMO 未按时应对 {awaiting} 项", st.note)
        row += 1
    # per department
    row += 1
    ws.write_string(row, 0, "各部门进度", st.section)
    row += 1
    dept_first = row + 1
    headers(ws, row, [("部门", 16), ("任务数", 11), ("已完成", 11), ("按期率", 11),
                       ("平均偏差(天)", 11), ("最大偏差(天)", 11), ("预警/延误", 11)], st)
    for d in report.departments:
        row += 1
        cells: list[Any] = [d.name, d.tasks, d.done, d.on_time_rate, d.avg_slip, d.worst_slip,
                            d.late]
        for c, value in enumerate(cells):
            fmt = {3: st.pct, 4: st.dec}.get(c, st.int if c else st.text)
            put(ws, row, c, value, st, fmt)
    dept_last = row
    # which departments returned, where their figures come from, people this week
    row += 2
    ws.write_string(row, 0, "各部门本周交回与投入", st.section)
    row += 1
    headers(ws, row, [("部门", 16), ("本周交回", 11), ("数据截至", 11), ("本周投入人数", 11),
                       ("计划人数", 11), ("填报人", 11), ("填报日期", 11)], st)
    for d in report.departments:
        row += 1
        filed = report.block(d.name, "weekly")
        when = filed.values.get("report_date") if filed else None
        cells = [d.name, "是" if d.returned else "否", d.data_week or "无数据", d.headcount,
                 d.planned_people, filed.values.get("reporter") if filed else None,
                 when if filed is None or filed.data_week == report.week
                 else f"{iso(when) or ''}({filed.data_week})".lstrip()]
        for c, value in enumerate(cells):
            fmt = st.int if c in (3, 4) else st.date if c == 6 else st.text
            put(ws, row, c, value, st, fmt)
    row = write_spend(ws, row, report, st)
    # per milestone
    row += 2
    ws.write_string(row, 0, "里程碑", st.section)
    row += 1
    headers(ws, row, [("里程碑", 16), ("名称", 11), ("计划日期", 11), ("预测日期", 11),
                       ("偏差(天)", 11), ("任务数", 11), ("按期率", 11)], st)
    for m in report.milestones:
        row += 1
        cells = [m.name, m.label, m.planned, m.forecast, m.milestone_slip, m.tasks,
                 m.on_time_rate]
        for c, value in enumerate(cells):
            fmt = {2: st.date, 3: st.date, 6: st.pct}.get(c, st.int if c not in (0, 1)
                                                          else st.text)
            put(ws, row, c, value, st, fmt)
    if report.planned_end is not None:  # the project's end: planned and forecast
        row += 1
        slip = ((report.forecast_end - report.planned_end).days
                if report.forecast_end is not None else None)
        cells = ["完工", "项目完工", report.planned_end, report.forecast_end, slip, len(tasks),
                 rollup("全部", tasks).on_time_rate]
        for c, value in enumerate(cells):
            fmt = {2: st.date, 3: st.date, 6: st.pct}.get(c, st.int if c not in (0, 1)
                                                          else st.text)
            put(ws, row, c, value, st, fmt)
        row += 1
        chain = "、".join(t.task_id for t in tasks if t.critical) or "无"
        ws.write_string(row, 0, f"关键路径(决定预测完工的任务,无浮动时间):{chain}", st.note)
    # risks by level and status
    row += 2
    ws.write_string(row, 0, "风险(按等级与状态)", st.section)
    row += 1
    headers(ws, row, [("风险等级", 16)] + [(s, 11) for s in RISK_STATUSES], st)
    risk_first = row + 1
    tallest = 0
    for level in Level:
        row += 1
        ws.write_string(row, 0, level, st.text)
        counts = [sum(r.level == level and r.status == status for r in report.risks)
                  for status in RISK_STATUSES]
        for c, n in enumerate(counts, start=1):
            ws.write_number(row, c, n, st.int)
        tallest = max(tallest, sum(counts))
    risk_last = row
    if report.actions:
        row = write_action_counts(ws, row + 2, report, st, [d.name for d in report.departments])

    # charts stacked in one column right of the tables, so the page prints one wide
    charts: list[Any] = []
    if report.departments:
        chart = wb.add_chart({"type": "column"})
        for col, name in ((4, "平均偏差(天)"), (5, "最大偏差(天)")):
            chart.add_series({"name": name,
                              "categories": ["总览", dept_first, 0, dept_last, 0],
                              "values": ["总览", dept_first, col, dept_last, col]})
        chart.set_title({"name": "各部门进度偏差(天)"})
        slips = [s for d in report.departments for s in (d.avg_slip, d.worst_slip) if s]
        chart.set_y_axis(count_axis(max(slips, default=0), name="天"))  # whole days
        chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
        charts.append(chart)
    risk_chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, status in enumerate(RISK_STATUSES, start=1):
        risk_chart.add_series({"name": status,
                               "categories": ["总览", risk_first, 0, risk_last, 0],
                               "values": ["总览", risk_first, c, risk_last, c]})
    risk_chart.set_title({"name": "风险(按等级与状态)"})
    risk_chart.set_y_axis(count_axis(tallest, name="项"))
    risk_chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    charts.append(risk_chart)
    if report.tasks:
        n = len(report.tasks)
        timeline = wb.add_chart({"type": "bar"})
        for col, name, colour in ((3, "计划完成日期", "#5B9BD5"), (7, "预计/实际完成", "#ED7D31")):
            timeline.add_series({"name": name,
                                 "categories": ["周进度跟踪表", 1, 0, n, 0],
                                 "values": ["周进度跟踪表", 1, col, n, col],
                                 "fill": {"color": colour}})
        timeline.set_title({"name": "计划与预计/实际完成日期(按任务)"})
        timeline.set_x_axis({"num_format": "mm-dd", "min": serial(project_start),
                             "major_gridlines": {"visible": True}})
        timeline.set_y_axis({"reverse": True})
        timeline.set_size({"width": CHART_WIDTH, "height": max(CHART_HEIGHT, 22 * n + 80)})
        charts.append(timeline)
    y = 0
    for chart in charts:
        ws.insert_chart(3, 8, chart, {"y_offset": y})
        y += chart.height + CHART_GAP
    page_setup(ws, title=f"{report.project_name} · {report.week} 周进度汇总",
               fit_height=1)  # 总览 on one page, however many sections it has


def _write_tasks(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, TASK_HEADERS, st)
    ws.freeze_panes(1, 1)
    widths = [w for _, w in TASK_HEADERS]
    known = ("plan_item", "actual_status", "deviation_reason", "fix", "coordination",
             "next_plan")
    in_columns, blanks = frozenset(known), ("",) * len(known)
    baseline, deviation, week = report.baseline, report.baseline_deviation, report.week
    new = "新增" if baseline else None
    rows = ([t.task_id, t.department, t.milestone, t.planned,
             None if t.percent is None else t.percent / 100, t.actual, t.forecast,
             t.expected, t.deviation_days, baseline.get(t.task_id, new),
             deviation.get(t.task_id), str(t.status), "✓" if t.critical else "",
             t.data_text(week), t.headcount, *map(t.texts.get, known, blanks),
             ";".join([f"{k}:{v}" for k, v in t.texts.items() if k not in in_columns]),
             _source(t.source), t.spend] for t in report.tasks)
    put_rows(ws, 1, rows, widths, st, {4: st.pct, 8: st.int, 10: st.int, 14: st.int,
                                       23: st.money})
    if not report.tasks:
        put(ws, 1, 0, NOTHING, st)
    last = max(len(report.tasks), 1)
    status_col = 11
    for status, colour in STATUS_COLOURS.items():
        ws.conditional_format(1, status_col, last, status_col,
                              {"type": "cell", "criteria": "==", "value": f'"{status}"',
                               "format": st.fill(colour)})
    for col in (8, 10):  # 偏差天数 (against the current plan), 偏差(基线)
        ws.conditional_format(1, col, last, col, {"type": "cell", "criteria": ">", "value": 0,
                                                  "format": st.fill(WARN_FILL)})
    ws.autofilter(0, 0, last, len(TASK_HEADERS) - 1)
    page_setup(ws, title=f"周进度跟踪表 · {report.project_name} · {report.week}", paper=A3,
               repeat_rows=0)


def _write_risks(ws: Any, report: MergeReport, st: Styles) -> None:
    keys = ("task_id", "found_at", "raised_at", "description", "impact", "measures", "owner",
            "deadline", "progress", "raised_by", "category", "probability", "severity",
            "coordination", "support", "closed_on", "closed_by")
    rows = ([risk.risk_id, risk.department, risk.level, risk.status,
             "、".join(flag_label(f, report.raise_within_hours) for f in risk.flags),
             *(risk.values.get(k) for k in keys), *response_cells(risk), _source(risk.source)]
            for risk in report.risks)
    ws.freeze_panes(1, 1)
    table(ws, 0, RISK_HEADERS, rows, st)
    last = max(len(report.risks), 1)
    ws.conditional_format(1, 2, last, 2, {"type": "cell", "criteria": "==",
                                          "value": f'"{Level.HIGH}"', "format": st.bad})
    ws.conditional_format(1, 4, last, 4, {"type": "text", "criteria": "containing",
                                          "value": RiskFlag.OVERDUE.label, "format": st.bad})
    ws.autofilter(0, 0, last, len(RISK_HEADERS) - 1)
    page_setup(ws, title=f"风险登记册 · {report.project_name} · {report.week}", paper=A3,
               repeat_rows=0)


def _write_acceptance(ws: Any, report: MergeReport, st: Styles) -> None:
    rows = ([a.result_id, a.name, a.department, a.target, a.actual,
             None if a.met is None else ("是" if a.met else "否"), a.reported_met,
             a.values.get("confirmer"), a.values.get("confirm_date"), a.values.get("opinion"),
             _source(a.source)] for a in report.acceptance)
    row = table(ws, 0, ACCEPTANCE_HEADERS, rows, st)
    # every department confirms the acceptance as a whole, below the results
    row += 2
    ws.write_string(row, 0, "部门确认(成果验收整体)", st.section)
    row += 1
    headers(ws, row, [("部门", 8), ("确认人", 18), ("确认日期", 9), ("意见", 12),
                      ("数据来自", 12)], st)
    for department in (d.name for d in report.departments):
        row += 1
        b = report.block(department, "acceptance")
        v = b.values if b else {}
        put_row(ws, row, [department, v.get("dept_confirmer") or "未确认",
                          v.get("dept_confirm_date"), v.get("dept_opinion"),
                          b.data_week if b else ""], [8, 18, 9, 12, 12], st, {})
    page_setup(ws, title=f"成果验收 · {report.project_name} · {report.week}", repeat_rows=0)


def _write_feedback(ws: Any, report: MergeReport, st: Styles) -> None:
    rows = ([f.department, f.kind, f.text, f.task_id, f.author, _source(f.source)]
            for f in report.feedback)
    table(ws, 0, FEEDBACK_HEADERS, rows, st)
    page_setup(ws, title=f"复盘反馈 · {report.project_name} · {report.week}", repeat_rows=0)


def _write_changes(ws: Any, report: MergeReport, st: Styles) -> None:
    page_setup(ws, title=f"本周变化 · {report.project_name} · {report.week}", repeat_rows=0)
    if not report.has_previous or not report.changes:
        headers(ws, 0, CHANGE_HEADERS, st)
        put(ws, 1, 0, "首次汇总,没有可对比的上一次汇总。" if not report.has_previous
            else "与上一次汇总相比没有变化。", st, st.note)
        return
    # constant_memory writes rows in order: the note goes on row 0 before the table's rows
    ws.write_string(0, len(CHANGE_HEADERS) + 1, f"与 {report.previous_week} 的汇总比较", st.note)
    table(ws, 0, CHANGE_HEADERS, ([ch.label, ch.subject, ch.department, ch.detail]
                                  for ch in report.changes), st)


def _write_issues(ws: Any, report: MergeReport, st: Styles) -> None:
    ws.freeze_panes(1, 0)
    table(ws, 0, ISSUE_HEADERS, (["错误" if i.is_error else "提醒", i.code, i.file, i.sheet,
                                  i.cell, i.value, i.expected, i.message]
                                 for i in report.issues), st)
    last = max(len(report.issues), 1)
    ws.conditional_format(1, 0, last, 0, {"type": "cell", "criteria": "==", "value": '"错误"',
                                          "format": st.bad})
    ws.autofilter(0, 0, last, len(ISSUE_HEADERS) - 1)
    page_setup(ws, title=f"校验问题 · {report.project_name} · {report.week}", repeat_rows=0)


def _received(text: str) -> dt.datetime | str:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return text


def _write_sources(ws: Any, report: MergeReport, st: Styles) -> None:
    table(ws, 0, SOURCE_HEADERS, ([f.department, f.name, f.sha256, _received(f.received),
                                   f.size, "是" if f.accepted else "否", f.reason]
                                  for f in report.files), st)
    page_setup(ws, title=f"来源文件 · {report.project_name} · {report.week}", repeat_rows=0)
