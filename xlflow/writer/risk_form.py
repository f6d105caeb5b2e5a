"""The standalone 风险应对申请表 (模板4 alone): what a department mails back within 24
hours of finding a risk, without waiting for the weekly return. Identified like the
weekly workbook (`_xlflow`, kind `risk`), with its own reserved risk ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

from .._closing import close_workbook
from ..contract import INSTRUCTIONS_SHEET, RISK_FORM_KIND
from ..project import Project
from ..spec import SpecSet
from ..styles import Styles, page_setup, set_row_height
from ._identity import write_lists
from ._sheet import PROTECT_OPTIONS, write_table
from ._validation import ListSheet
from .department import WORKBOOK_OPTIONS, write_file_identity

RISK_FORM_ROWS = 10


def risk_form_id(code: str, week: str, n: int) -> str:
    """'TEC-24W28-R01': apart from the weekly workbook's TEC-24W28-01 … so a risk raised
    on the form and one raised in the weekly return never share an id."""
    year, _, num = week.partition("-W")
    return f"{code}-{year[2:]}W{num}-R{n:02d}"


def write_risk_form(path: Path, project: Project, specs: SpecSet, department: str, week: str,
                    *, built_at: dt.datetime, file_id: str,
                    context: Mapping[str, str] | None = None, key: bytes | None = None) -> None:
    """Write one department's risk form to `path` (the caller makes it atomic); signed
    with the project's `key` like the weekly workbook."""
    dept = project.department(department)
    spec = specs["risks"]
    wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    wb.set_properties({"title": f"{project.name} · {department} · {spec.title_zh}",
                       "subject": spec.title_zh, "author": "xlflow",
                       "company": project.initiating_department,
                       "created": built_at.replace(tzinfo=None)})
    fmt = Styles(wb)
    lists = ListSheet()
    _write_instructions(wb, fmt, project, department, week)
    rows: list[dict[str, Any]] = [
        {"risk": {"id": risk_form_id(dept.code, week, n), "department": department},
         "is_new": True} for n in range(1, RISK_FORM_ROWS + 1)]
    write_table(wb, fmt, spec, rows, project=project, department=department, lists=lists,
                title=f"{spec.title_zh} · {department}")
    write_lists(wb, lists.columns)
    write_file_identity(wb, project, specs, department, week, kind=RISK_FORM_KIND,
                        built_at=built_at, file_id=file_id, context=context, key=key)
    close_workbook(wb)


def _write_instructions(wb: Any, fmt: Styles, project: Project, department: str,
                        week: str) -> None:
    ws = wb.add_worksheet(INSTRUCTIONS_SHEET)
    text_width = 90
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, text_width)
    hours = project.settings.raise_within_hours
    ws.write_string(0, 0, f"{project.name} · {department} · 风险应对申请表", fmt.title)
    rows = [
        ("项目 Project", f"{project.name}({project.id})"),
        ("部门 Department", department),
        ("何时填写 When", f"发现风险后 {hours} 小时内填写,随即发回 PMO(回复周进度邮件即可),"
                        "不必等到周报。PMO 收到后当天并入风险登记册;高风险会立即通知。"),
        ("怎么填 How", "一行一项风险,风险编号已预留。写明提出人、发现时间、提出时间、风险类别、"
                     "风险描述、发生概率与影响程度、风险等级(高/中/低,按概率×影响判断)、影响范围"
                     "与建议措施;需要其他部门配合的,填需协调部门(可多个,用逗号分隔)与所需支持。"),
        ("再次发现 Again", "同一周再发现风险:在上次发回的文件上接着填下一行(已填的行保留不动),"
                         "再整份发回。已登记的风险请在周进度文件的风险应对申请表中更新。"),
        ("颜色说明 Legend", "灰色单元格为预填内容,已锁定;白色单元格请填写;橙色表头 * 为必填列。"),
        ("联系人 Contact", f"{project.initiator},{project.contact}"),
        ("周次 Week", week),
    ]
    for r, (label, text) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, fmt.bold)
        ws.write_string(r, 1, text, fmt.prose)
        set_row_height(ws, r, [(text, text_width)])
    page_setup(ws, title=f"{INSTRUCTIONS_SHEET} · 风险应对申请表 · {department}")
    ws.protect(project.settings.protect_password, PROTECT_OPTIONS)
    ws.activate()
