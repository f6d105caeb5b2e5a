"""The PMO master's 职责分工表 beyond the template: a 状态 column (计划内 / 已取消) and a
cancelled task kept as a struck-through row, so the PMO's copy still shows what left the
plan, when and by which change. The departments' workbooks no longer list such a task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..project import Project, Task
from ..spec import TemplateSpec
from ..styles import Styles, set_row_height
from ._sheet import write_cell

IN_PLAN, CANCELLED = "计划内", "已取消"
_HEADERS = (("状态", "Status", 10), ("说明", "Note", 40))


def _header(zh: str, en: str, language: str) -> str:
    return zh if language == "zh" else en if language == "en" else f"{zh}\n{en}"


def write_task_status(ws: Any, fmt: Styles, spec: TemplateSpec, project: Project,
                      cancelled_by: Mapping[str, str]) -> None:
    """After write_table wrote the plan's tasks then the cancelled ones (rows 1..n, in
    `project.tasks` then `project.cancelled_tasks` order): the two columns, and the
    cancelled rows written again struck through. cancelled_by: task -> the approved
    change that cancelled it ('变更 3,陈明批准')."""
    first = len(spec.columns)
    language = project.settings.headers
    for i, (zh, en, width) in enumerate(_HEADERS):
        ws.write_string(0, first + i, _header(zh, en, language), fmt.header)
        ws.set_column(first + i, first + i, width)
    text = fmt.cell(spec.columns[0], locked=True)  # a locked text column's format
    tasks: Sequence[Task] = (*project.tasks, *project.cancelled_tasks)
    for r, task in enumerate(tasks, start=1):
        if task.cancelled is None:
            ws.write_string(r, first, IN_PLAN, text)
            ws.write_blank(r, first + 1, None, text)
            continue
        cells = []
        for c, column in enumerate(spec.columns):
            head, _, attr = (column.from_ or "").partition(".")
            value = getattr(task, attr, None) if head == "task" else None
            write_cell(ws, r, c, value, fmt.cell(column, locked=True, struck=True))
            cells.append((str(value or ""), column.width))
        struck = fmt.cell(spec.columns[0], locked=True, struck=True)
        by = cancelled_by.get(task.id, "变更审批")
        note = f"自 {task.cancelled} 起取消({by});此前各周的数据保留"
        ws.write_string(r, first, CANCELLED, struck)
        ws.write_string(r, first + 1, note, struck)
        set_row_height(ws, r, [*cells, (note, _HEADERS[1][2])])
    ws.autofilter(0, 0, max(len(tasks), 1), first + len(_HEADERS) - 1)
