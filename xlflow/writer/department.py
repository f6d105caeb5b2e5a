"""The workbook one department fills in each week."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from .. import __version__
from .._closing import close_workbook
from ..contract import INSTRUCTIONS_SHEET
from ..followup import actions_spec
from ..project import Project
from ..spec import SpecSet
from ..styles import WORKBOOK_OPTIONS as BASE_OPTIONS
from ..styles import Styles, page_setup, set_row_height
from ..weeks import return_window, week_day, week_days
from ._actions import write_action_sheet
from ._identity import write_identity, write_lists
from ._sheet import PROTECT_OPTIONS, write_table
from ._validation import ListSheet

# Small workbooks are assembled in memory (XlsxWriter's default writes and deletes a
# temp file per XML part).
WORKBOOK_OPTIONS = {**BASE_OPTIONS, "in_memory": True}


def risk_id(code: str, week: str, n: int) -> str:
    """A risk id that no other department or week can produce: 'TEC-24W28-01'."""
    year, _, num = week.partition("-W")
    return f"{code}-{year[2:]}W{num}-{n:02d}"


def context_fields(project: Project) -> dict[str, str]:
    """What `xlflow validate` needs to check a return without project.yaml."""
    return {
        "project_start": project.start.isoformat(),
        "project_end": project.end.isoformat(),
        "late_window_days": str(project.settings.late_window_days),
        "departments": json.dumps([d.name for d in project.departments], ensure_ascii=False),
        "raise_within_hours": str(project.settings.raise_within_hours),
        "delay_threshold_days": str(project.settings.delay_threshold_days),
        "return_weekday": str(project.settings.return_weekday),
    }


def return_deadline(project: Project, week: str) -> dt.date:
    return week_day(week, project.settings.return_weekday)


def write_department_workbook(
    path: Path,
    project: Project,
    specs: SpecSet,
    department: str,
    week: str,
    *,
    built_at: dt.datetime,
    file_id: str,
    prior_weekly: Mapping[str, Mapping[str, Any]] | None = None,
    prior_risks: Sequence[Mapping[str, Any]] = (),
    context: Mapping[str, str] | None = None,
    key: bytes | None = None,
    plan_hints: Mapping[str, str] | None = None,
    prior_blocks: Mapping[str, Mapping[str, Any]] | None = None,
    actions: Sequence[Any] = (),
) -> None:
    """Write one department's workbook to `path` (the caller makes it atomic).

    prior_weekly: last accepted values per task id, pre-filled so people update them.
    prior_risks: the department's open risks (values by column key), carried forward.
    context: `context_fields(project)`, when the caller builds many workbooks.
    key: the project's key (`signing`): `_xlflow` then carries a signature.
    plan_hints: task id -> last week's 下周计划, a note on the task's 实际完成情况 cell.
    prior_blocks: template -> form-block values pre-filled below the table (填报人).
    actions: the department's open 督办事项 (`model.actions.ActionItem`): a sheet of them.
    """
    dept = project.department(department)
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    wb.set_properties({"title": f"{project.name} · {department} · {week}",
                       "subject": "跨部门合作周进度", "author": "xlflow",
                       "company": project.initiating_department,
                       "created": built_at.replace(tzinfo=None)})
    fmt = Styles(wb)
    lists = ListSheet()
    _write_instructions(wb, fmt, project, specs, department, week, actions=bool(actions))
    tasks = project.tasks_of(department)
    write_table(wb, fmt, specs["responsibilities"], [{"task": t} for t in tasks],
                project=project, department=department, lists=lists, read_only=True,
                title=f"{specs['responsibilities'].title_zh} · {department}")
    prior_weekly = prior_weekly or {}
    prior_blocks = prior_blocks or {}
    window = return_window(week, project.settings.return_weekday,
                           project.settings.late_window_days)
    hints = {(n, "actual_status"): plan_hints[t.id]
             for n, t in enumerate(tasks) if plan_hints and t.id in plan_hints}
    write_table(wb, fmt, specs["weekly"],
                [{"task": t, "values": prior_weekly.get(t.id, {})} for t in tasks],
                project=project, department=department, lists=lists,
                title=f"{specs['weekly'].title_zh} · {department} · {week}",
                block=prior_blocks.get("weekly"), week_window=window, comments=hints)
    risk_rows: list[dict[str, Any]] = [
        {"risk": {"id": r["risk_id"], "department": department}, "values": r}
        for r in prior_risks
    ]
    blank = max(specs["risks"].blank_rows, 1)
    for n in range(1, blank + 1):
        risk_rows.append({"risk": {"id": risk_id(dept.code, week, n), "department": department},
                          "is_new": True})
    write_table(wb, fmt, specs["risks"], risk_rows, project=project, department=department,
                lists=lists, title=f"{specs['risks'].title_zh} · {department}")
    if actions:
        write_action_sheet(wb, fmt, project, department, actions, lists)
    write_table(wb, fmt, specs["acceptance"],
                [{"result": r} for r in project.results_of(department)],
                project=project, department=department, lists=lists,
                title=f"{specs['acceptance'].title_zh} · {department}",
                block=prior_blocks.get("acceptance"), week_window=window)
    retro = specs["retro"]
    write_table(wb, fmt, retro, [{"row": {"department": department}}
                                 for _ in range(max(retro.blank_rows, 1))],
                project=project, department=department, lists=lists,
                title=f"{retro.title_zh} · {department}")
    write_lists(wb, lists.columns)
    write_file_identity(wb, project, specs, department, week, kind="department",
                        built_at=built_at, file_id=file_id, context=context, key=key)
    close_workbook(wb)


def write_file_identity(wb: Any, project: Project, specs: SpecSet, department: str, week: str,
                        *, kind: str, built_at: dt.datetime, file_id: str,
                        context: Mapping[str, str] | None, key: bytes | None) -> None:
    """The `_xlflow` sheet of a file a department fills in (weekly workbook or risk
    form): what it is, for whom and which week, the context `validate` needs, signed.
    Only the department's own tasks: a file's size grows with its department's work, not
    with the whole project's (200 departments each carrying 10,000 task rows made reading
    the returns quadratic)."""
    write_identity(wb, {
        "kind": kind,
        "project_id": project.id,
        "project_name": project.name,
        "department": department,
        "department_code": project.department(department).code,
        "week": week,
        "spec_version": specs.version,
        "spec_digest": specs.digest,
        "built_at": built_at.isoformat(timespec="seconds"),
        "file_id": file_id,
        "xlflow_version": __version__,
        **(context if context is not None else context_fields(project)),
    }, [(t.id, t.department, t.due.isoformat(), t.milestone)
        for t in project.tasks_of(department)], key=key)


def _write_instructions(wb: Any, fmt: Styles, project: Project, specs: SpecSet,
                        department: str, week: str, *, actions: bool = False) -> None:
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    label_width, text_width = 20, 90
    ws.set_column(0, 0, label_width)
    ws.set_column(1, 1, text_width)
    monday, sunday = week_days(week)
    deadline = return_deadline(project, week)
    dept = project.department(department)
    ws.write_string(0, 0, f"{project.name} · {department} · 周进度填写", fmt.title)
    rows: list[tuple[str, str]] = [
        ("项目 Project", f"{project.name}({project.id})"),
        ("部门 Department", f"{department}" + (f"(负责人:{dept.head})" if dept.head else "")),
        ("周次 Week", f"{week}({monday.isoformat()} 至 {sunday.isoformat()})"),
        ("交回期限 Return by", f"请于 {deadline.isoformat()}(星期{'一二三四五六日'[deadline.weekday()]})"
                             "前填好并交回 PMO"),
        ("联系人 Contact", f"{project.initiator},{project.contact}"),
        ("", ""),
    ]
    for key in ("weekly", "risks", "acceptance", "retro", "responsibilities"):
        spec = specs[key]
        rows.append((spec.sheet, spec.instructions or spec.title_zh))
    if actions:
        rows.append((actions_spec().sheet, actions_spec().instructions))
    rows += [
        ("", ""),
        ("颜色说明 Legend", "灰色单元格为预填内容,已锁定;白色单元格请填写;橙色表头 * 为必填列。"),
        ("填写提示 Tips", "日期写成 2024-07-01;百分比写成 85%;可用下拉列表的列请从列表中选择。"
                        "请勿改动工作表名称、表头或列的顺序,也不要复制粘贴整行。"),
        ("文件 File", "保存为 .xlsx 后原样发回,文件名可以改。Excel、WPS、LibreOffice 均可填写。"),
    ]
    if not project.results_of(department):
        rows += [("", ""), ("", "本部门没有需要验收的预期成果;验收时只需在成果验收确认单下方"
                                "填写部门确认(确认人、确认日期、意见)。")]
    for r, (label, text) in enumerate(rows, start=2):
        if label:
            ws.write_string(r, 0, label, fmt.bold)
        if text:
            ws.write_string(r, 1, text, fmt.prose)
            set_row_height(ws, r, [(text, text_width)])
    page_setup(ws, title=f"{INSTRUCTIONS_SHEET} · {department} · {week}")
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)
    ws.activate()
