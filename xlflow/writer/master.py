"""The PMO's master workbook: 模板1 as a printable form, the full 模板2, and the
需求共识纪要 (consensus minutes) generated from the project file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__
from .._closing import close_workbook
from ..contract import MASTER_KIND
from ..model.records import RiskRecord
from ..project import Project
from ..report.gantt import gantt_milestones, gantt_tasks, write_gantt
from ..spec import SpecSet
from ..styles import Styles, page_setup, set_row_height, stamp
from ._identity import write_identity, write_lists
from ._sheet import PROTECT_OPTIONS, prefill_value, write_cell, write_table
from ._validation import ListSheet
from .department import WORKBOOK_OPTIONS
from .plan import write_plan_sheet
from .risk_response import write_response_sheet
from .task_status import status_rows, strike_cancelled, with_status

MINUTES_SHEET = "需求共识纪要"


def write_master_workbook(
    path: Path,
    project: Project,
    specs: SpecSet,
    week: str,
    *,
    built_at: dt.datetime,
    file_id: str,
    approvals: Sequence[Mapping[str, Any]] = (),
    baseline: Mapping[str, dt.date] | None = None,
    risks: Sequence[RiskRecord] = (),
    key: bytes | None = None,
    cancelled_by: Mapping[str, str] | None = None,
) -> None:
    """`baseline`: task id -> baselined due date for the 甘特图 (None: the plan's dates);
    risks: the register as of the build (its open risks fill the 风险应对 sheet the PMO
    returns); key: the project's, to sign the identity that sheet is read back by;
    cancelled_by: each cancelled task's change ('变更 3,陈明批准'), on 职责分工表."""
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    wb.set_properties({"title": f"{project.name} · PMO 总表", "author": "xlflow",
                       "created": built_at.replace(tzinfo=None)})
    fmt = Styles(wb)
    lists = ListSheet()
    _write_request_form(wb, fmt, project, specs, approvals)
    duties = with_status(specs["responsibilities"])  # a cancelled task kept, 已取消
    rows = status_rows(project, cancelled_by or {})
    sheet = write_table(wb, fmt, duties, rows, project=project, department="", lists=lists,
                        read_only=True)
    strike_cancelled(sheet, fmt, duties, len(rows))
    _write_minutes(wb, fmt, project)
    write_plan_sheet(wb, fmt, project)
    write_response_sheet(wb, fmt, project, specs, risks, lists)
    write_gantt(wb, fmt, title=f"甘特图 · {project.name} · {week}", tasks=gantt_tasks(project),
                milestones=gantt_milestones(project), as_of=built_at.date(),
                start=project.start, end=project.end, until=project.late_end, baseline=baseline)
    write_lists(wb, lists.columns)
    write_identity(wb, {
        "kind": MASTER_KIND, "project_id": project.id, "project_name": project.name,
        "department": "", "week": week, "spec_version": specs.version,
        "spec_digest": specs.digest, "built_at": built_at.isoformat(timespec="seconds"),
        "file_id": file_id, "xlflow_version": __version__,
    }, key=key)
    close_workbook(wb)


def _write_request_form(wb: Any, fmt: Styles, project: Project, specs: SpecSet,
                        approvals: Sequence[Mapping[str, Any]]) -> None:
    spec = specs["request"]
    ws = wb.add_worksheet(spec.sheet)
    widths = (20, 80)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.merge_range(0, 0, 0, 1, f"{spec.template} {spec.title_zh}", fmt.title)
    ws.set_row(0, 26)
    language = project.settings.headers
    row = 1
    for column in spec.columns:
        value = prefill_value(column, {"project": project})
        label = column.header(language)
        ws.write_string(row, 0, label, fmt.label)
        write_cell(ws, row, 1, value, fmt.cell(column, locked=True))
        set_row_height(ws, row, zip((label, value), widths, strict=True), min_lines=2)
        row += 1
    row += 1
    ws.write_string(row, 0, "审批意见\nApproval", fmt.label)
    approved = [a for a in approvals if a.get("kind", "approve") == "approve"]
    filed = [a for a in approvals if a.get("kind") == "file"]
    if approved:
        last = approved[-1]
        text = f"{last.get('by', '')} 于 {_when(last.get('at'))} 批准。{last.get('note', '')}"
    else:
        text = "(待审批:目标合理性 / 资源充足性 / 风险可控性)"
    ws.write_string(row, 1, text, fmt.cell(spec.columns[0], locked=True))
    set_row_height(ws, row, [(text, widths[1])], min_lines=3)
    ws.write_string(row + 1, 0, "审批人签字/日期", fmt.label)
    ws.write_blank(row + 1, 1, None, fmt.cell(spec.columns[0], locked=True))
    set_row_height(ws, row + 1, [], min_lines=2)
    row += 2
    ws.write_string(row, 0, "PMO备案\n备案编号", fmt.label)
    filing = (f"备案编号 {filed[-1].get('number', '')} · {filed[-1].get('by', '')} 于 "
              f"{_when(filed[-1].get('at'))} 备案" if filed else "(待 PMO 备案)")
    ws.write_string(row, 1, filing, fmt.cell(spec.columns[0], locked=True))
    set_row_height(ws, row, [(filing, widths[1])], min_lines=2)
    page_setup(ws, title=f"{spec.template} {spec.title_zh} · {project.name}", landscape=False,
               fit_height=1)
    ws.print_area(0, 0, row, 1)
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)


def _write_minutes(wb: Any, fmt: Styles, project: Project) -> None:
    """合作需求共识纪要: the 需求沟通会 as the seed has it (目标可行性、资源需求、潜在风险),
    with date, attendees, each head's opinion and the conclusion. What the meeting
    decided comes from project.yaml `consensus:` and `xlflow opinion`; a field nobody
    filled in yet prints as (待填写) so the paper copy shows the gap."""
    ws = wb.add_worksheet(MINUTES_SHEET)
    widths = (16, 90)
    ws.set_column(0, 0, widths[0])
    ws.set_column(1, 1, widths[1])
    ws.write_string(0, 0, f"合作需求共识纪要 · {project.name}", fmt.title)
    meeting = project.consensus
    heads = [f"{d.name} {d.head_title or '负责人'} {d.head}".strip() for d in project.departments]
    risks = "\n".join(f"{i}. {r}" for i, r in enumerate(meeting.risks, start=1))
    rows: list[tuple[str, str]] = [
        ("会议主题", f"{project.name} 需求沟通会"),
        ("会议日期", meeting.date.isoformat() if meeting.date else _TO_FILL),
        ("召集部门", f"{project.initiating_department}(发起人:{project.initiator})"),
        ("参会人员", "、".join(meeting.attendees or heads)),
        ("合作背景", project.background),
        ("目标共识", project.goals),
        ("目标可行性", meeting.feasibility or _TO_FILL),
        ("资源需求", meeting.resource_needs or project.resources_text or _TO_FILL),
        ("潜在风险", risks or _TO_FILL),
        ("合作周期", project.period_text),
        ("关键里程碑", project.milestones_text),
        ("预期成果", project.results_text),
    ]
    for dept in project.departments:
        tasks = project.tasks_of(dept.name)
        commitments = ";".join(f"{t.id} {t.deliverable}({t.due.month}月{t.due.day}日前,{t.owner})"
                               for t in tasks) or "(无任务)"
        resources = ";".join(r.text for r in project.resources if r.department == dept.name)
        rows.append((f"{dept.name}承诺", commitments + (f"。资源:{resources}" if resources else "")))
    given = {op.department: op for op in project.opinions}
    for dept in project.departments:
        op = given.get(dept.name)
        if op is not None:
            rows.append((f"{dept.name}意见", f"{op.by}:{op.opinion}"))
        elif dept.name != project.initiating_department:
            rows.append((f"{dept.name}意见", f"{dept.head_title or '负责人'} {dept.head}:"
                         f"{_TO_FILL}".replace(" :", ":")))
    rows.append(("会议结论", meeting.conclusion or _TO_FILL))
    rows.append(("后续安排", "发起部门牵头制定执行方案与职责分工表,提交分管领导审批后由 PMO 备案启动。"))
    for r, (label, text) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, fmt.label)
        ws.write_string(r, 1, text, fmt.prose)
        set_row_height(ws, r, zip((label, text), widths, strict=True))
    last = len(rows) + 1
    ws.write_string(last + 2, 0, "记录人签字/日期", fmt.label)
    ws.write_blank(last + 2, 1, None, fmt.prose)
    set_row_height(ws, last + 2, [], min_lines=2)
    page_setup(ws, title=f"{MINUTES_SHEET} · {project.name}", landscape=False, repeat_rows=0)
    ws.print_area(0, 0, last + 2, 1)
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)


_TO_FILL = "(待填写)"


def _when(at: str | None) -> str:
    """A step's time as people read it (2024-06-27 15:00 (UTC+08:00)), not ISO text."""
    return stamp(at) if at else ""
