"""The consolidated weekly workbook for the PMO (Chinese), streamed with XlsxWriter.

constant_memory keeps memory flat however many rows; every sheet is written top to
bottom. Department text is always written as a string: never a formula or a link.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import xlsxwriter

from ..reconcile import (
    DONE,
    DONE_LATE,
    LATE,
    ON_TRACK,
    RISK_FLAGS,
    WARNING,
    MergeReport,
    rollup,
)
from ..styles import (
    BAD_FILL,
    GOOD_FILL,
    LATE_DONE_FILL,
    ON_TRACK_FILL,
    WARN_FILL,
    WORKBOOK_OPTIONS,
    Styles,
)
from ._common import headers, put, serial

OPTIONS = {**WORKBOOK_OPTIONS, "constant_memory": True}
STATUS_COLOURS = {DONE: GOOD_FILL, DONE_LATE: LATE_DONE_FILL, ON_TRACK: ON_TRACK_FILL,
                  WARNING: WARN_FILL, LATE: BAD_FILL}
RISK_STATUSES = ("待处理", "处理中", "已解决", "已关闭")

TASK_HEADERS = [("任务编号", 10), ("部门", 10), ("里程碑", 8), ("计划完成日期", 13),
                ("完成百分比", 10), ("实际完成日期", 13), ("预计完成日期", 13),
                ("预计/实际完成", 13), ("偏差天数", 9), ("状态", 9), ("已填报", 7),
                ("计划完成事项", 30), ("实际完成情况", 34), ("偏差原因", 26), ("解决措施", 26),
                ("需协调事项", 22), ("其他", 20), ("来源", 30)]
RISK_HEADERS = [("风险编号", 13), ("提出部门", 9), ("风险等级", 8), ("状态", 8), ("标记", 26),
                ("关联任务", 9), ("发现时间", 16), ("提出时间", 16), ("风险描述", 34),
                ("影响范围", 24), ("建议措施", 26), ("责任人", 9), ("解决时限", 12),
                ("落实情况", 24), ("来源", 30)]


def _source(src: Any) -> str:
    return f"{src.file} / {src.sheet} 第 {src.row} 行" if src else ""


def write_consolidated(path: Path, report: MergeReport, *, project_start: dt.date) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    wb.set_properties({"title": f"{report.project_name} · {report.week} 周进度汇总",
                       "author": "xlflow"})
    st = Styles(wb)
    overview = wb.add_worksheet("总览")
    tasks_ws = wb.add_worksheet("周进度跟踪表")
    _write_tasks(tasks_ws, report, st)
    _write_overview(wb, overview, report, st, project_start)
    _write_risks(wb.add_worksheet("风险登记册"), report, st)
    _write_acceptance(wb.add_worksheet("成果验收"), report, st)
    if report.feedback:
        _write_feedback(wb.add_worksheet("复盘反馈"), report, st)
    _write_changes(wb.add_worksheet("本周变化"), report, st)
    _write_issues(wb.add_worksheet("校验问题"), report, st)
    _write_sources(wb.add_worksheet("来源文件"), report, st)
    overview.activate()
    wb.close()


def _write_overview(wb: Any, ws: Any, report: MergeReport, st: Styles,
                    project_start: dt.date) -> None:
    ws.set_column(0, 0, 16)
    ws.set_column(1, 7, 11)
    ws.write_string(0, 0, f"{report.project_name} · {report.week} 周进度汇总", st.title)
    unit = "工作日" if report.workdays else "日历日"
    ws.write_string(1, 0, f"统计日 {report.as_of.isoformat()} · 偏差按{unit}计 · 预警阈值 "
                          f"{report.threshold} 天 · 生成于 {report.run_at}", st.note)
    tasks = report.tasks
    overall = rollup("全部", tasks)
    figures = [
        ("收到文件", len(report.files)), ("采用文件", sum(f.accepted for f in report.files)),
        ("合并行数", report.rows_merged), ("任务总数", overall.tasks), ("已完成", overall.done),
        ("按期率", overall.on_time_rate),
        ("预警", sum(t.status == WARNING for t in tasks)),
        ("延误", sum(t.status == LATE for t in tasks)),
        ("未填报任务", sum(not t.reported for t in tasks)),
        ("风险总数", len(report.risks)), ("未关闭高风险", len(report.open_high_risks)),
        ("超时提出的风险", sum("late-raise" in r.flags for r in report.risks)),
        ("校验错误", report.errors), ("校验提醒", report.warnings),
    ]
    row = 3
    ws.write_string(row, 0, "关键数字", st.section)
    row += 1
    for label, value in figures:
        ws.write_string(row, 0, label, st.text)
        put(ws, row, 1, value, st, st.pct if label == "按期率" else st.int)
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
        for c, value in enumerate([d.name, d.tasks, d.done, d.on_time_rate, d.avg_slip,
                                   d.worst_slip, d.late]):
            fmt = {3: st.pct, 4: st.dec}.get(c, st.int if c else st.text)
            put(ws, row, c, value, st, fmt)
    dept_last = row
    # per milestone
    row += 2
    ws.write_string(row, 0, "里程碑", st.section)
    row += 1
    headers(ws, row, [("里程碑", 16), ("名称", 11), ("计划日期", 11), ("预测日期", 11),
                       ("偏差(天)", 11), ("任务数", 11), ("按期率", 11)], st)
    for m in report.milestones:
        row += 1
        for c, value in enumerate([m.name, m.label, m.planned, m.forecast, m.milestone_slip,
                                   m.tasks, m.on_time_rate]):
            fmt = {2: st.date, 3: st.date, 6: st.pct}.get(c, st.int if c not in (0, 1)
                                                          else st.text)
            put(ws, row, c, value, st, fmt)
    # risks by level and status
    row += 2
    ws.write_string(row, 0, "风险(按等级与状态)", st.section)
    row += 1
    headers(ws, row, [("风险等级", 16)] + [(s, 11) for s in RISK_STATUSES], st)
    risk_first = row + 1
    for level in ("高", "中", "低"):
        row += 1
        ws.write_string(row, 0, level, st.text)
        for c, status in enumerate(RISK_STATUSES, start=1):
            n = sum(r.level == level and r.status == status for r in report.risks)
            ws.write_number(row, c, n, st.int)
    risk_last = row

    if report.departments:
        chart = wb.add_chart({"type": "column"})
        for col, name in ((4, "平均偏差(天)"), (5, "最大偏差(天)")):
            chart.add_series({"name": name,
                              "categories": ["总览", dept_first, 0, dept_last, 0],
                              "values": ["总览", dept_first, col, dept_last, col]})
        chart.set_title({"name": "各部门进度偏差(天)"})
        chart.set_y_axis({"name": "天", "min": 0})
        chart.set_size({"width": 560, "height": 300})
        ws.insert_chart(3, 9, chart)
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
        timeline.set_size({"width": 560, "height": max(300, 22 * n + 80)})
        ws.insert_chart(19, 9, timeline)
    risk_chart = wb.add_chart({"type": "column", "subtype": "stacked"})
    for c, status in enumerate(RISK_STATUSES, start=1):
        risk_chart.add_series({"name": status,
                               "categories": ["总览", risk_first, 0, risk_last, 0],
                               "values": ["总览", risk_first, c, risk_last, c]})
    risk_chart.set_title({"name": "风险(按等级与状态)"})
    risk_chart.set_size({"width": 560, "height": 300})
    ws.insert_chart(3, 18, risk_chart)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)


def _write_tasks(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, TASK_HEADERS, st)
    ws.freeze_panes(1, 1)
    known = ("plan_item", "actual_status", "deviation_reason", "fix", "coordination")
    for r, t in enumerate(report.tasks, start=1):
        other = ";".join(f"{k}:{v}" for k, v in t.texts.items() if k not in known)
        values = [t.task_id, t.department, t.milestone, t.planned,
                  None if t.percent is None else t.percent / 100, t.actual, t.forecast,
                  t.expected, t.deviation_days, t.status, "是" if t.reported else "否",
                  *(t.texts.get(k, "") for k in known), other, _source(t.source)]
        for c, value in enumerate(values):
            fmt = st.pct if c == 4 else (st.int if c == 8 else None)
            put(ws, r, c, value, st, fmt)
    last = max(len(report.tasks), 1)
    status_col = 9
    for status, colour in STATUS_COLOURS.items():
        ws.conditional_format(1, status_col, last, status_col,
                              {"type": "cell", "criteria": "==", "value": f'"{status}"',
                               "format": st.fill(colour)})
    ws.conditional_format(1, 8, last, 8, {"type": "cell", "criteria": ">", "value": 0,
                                          "format": st.fill(WARN_FILL)})
    ws.autofilter(0, 0, last, len(TASK_HEADERS) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_risks(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, RISK_HEADERS, st)
    ws.freeze_panes(1, 1)
    keys = ("task_id", "found_at", "raised_at", "description", "impact", "measures", "owner",
            "deadline", "progress")
    for r, risk in enumerate(report.risks, start=1):
        flags = "、".join(RISK_FLAGS.get(f, f) for f in risk.flags)
        values = [risk.risk_id, risk.department, risk.level, risk.status, flags,
                  *(risk.values.get(k) for k in keys), _source(risk.source)]
        for c, value in enumerate(values):
            put(ws, r, c, value, st)
    last = max(len(report.risks), 1)
    ws.conditional_format(1, 2, last, 2, {"type": "cell", "criteria": "==", "value": '"高"',
                                          "format": st.bad})
    ws.conditional_format(1, 4, last, 4, {"type": "text", "criteria": "containing",
                                          "value": RISK_FLAGS["overdue"], "format": st.bad})
    ws.autofilter(0, 0, last, len(RISK_HEADERS) - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)


def _write_acceptance(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, [("成果编号", 9), ("成果/指标", 20), ("责任部门", 10), ("目标值", 14),
                     ("实际值", 12), ("是否达标(计算)", 12), ("部门填写", 9), ("确认人", 10),
                     ("确认日期", 12), ("意见", 30), ("来源", 30)], st)
    for r, a in enumerate(report.acceptance, start=1):
        met = None if a.met is None else ("是" if a.met else "否")
        values = [a.result_id, a.name, a.department, a.target, a.actual, met, a.reported_met,
                  a.values.get("confirmer"), a.values.get("confirm_date"),
                  a.values.get("opinion"), _source(a.source)]
        for c, value in enumerate(values):
            put(ws, r, c, value, st)


def _write_feedback(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, [("部门", 10), ("类型", 10), ("内容", 60), ("相关任务", 9), ("提出人", 10),
                     ("来源", 30)], st)
    for r, f in enumerate(report.feedback, start=1):
        for c, value in enumerate([f.department, f.kind, f.text, f.task_id, f.author,
                                   _source(f.source)]):
            put(ws, r, c, value, st)


def _write_changes(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, [("类型", 14), ("对象", 14), ("部门", 10), ("说明", 60)], st)
    if not report.has_previous:
        ws.write_string(1, 0, "首次汇总,没有可对比的上一次汇总。", st.text)
        return
    if not report.changes:
        ws.write_string(1, 0, "与上一次汇总相比没有变化。", st.text)
    for r, ch in enumerate(report.changes, start=1):
        for c, value in enumerate([ch.label, ch.subject, ch.department, ch.detail]):
            put(ws, r, c, value, st)


def _write_issues(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, [("级别", 7), ("代码", 18), ("文件", 30), ("工作表", 14), ("单元格", 8),
                     ("内容", 24), ("应为", 30), ("说明", 60)], st)
    ws.freeze_panes(1, 0)
    for r, i in enumerate(report.issues, start=1):
        level = "错误" if i.is_error else "提醒"
        for c, value in enumerate([level, i.code, i.file, i.sheet, i.cell, i.value, i.expected,
                                   i.message]):
            put(ws, r, c, value, st)
    last = max(len(report.issues), 1)
    ws.conditional_format(1, 0, last, 0, {"type": "cell", "criteria": "==", "value": '"错误"',
                                          "format": st.bad})
    ws.autofilter(0, 0, last, 7)


def _write_sources(ws: Any, report: MergeReport, st: Styles) -> None:
    headers(ws, 0, [("部门", 10), ("文件名", 36), ("sha256", 66), ("收到时间", 18),
                     ("大小(字节)", 11), ("是否采用", 9), ("说明", 40)], st)
    for r, f in enumerate(report.files, start=1):
        for c, value in enumerate([f.department, f.name, f.sha256, f.received, f.size,
                                   "是" if f.accepted else "否", f.reason]):
            put(ws, r, c, value, st)


