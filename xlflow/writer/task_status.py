"""The PMO master's 职责分工表 beyond the template: 状态 (计划内 / 已取消) and 说明 columns,
and a cancelled task kept as a row struck through in grey, so the PMO's copy still shows
what left the plan, when and by which change. The departments' workbooks no longer list
such a task."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from ..project import Project, Task
from ..spec import Column, ColumnType, TemplateSpec
from ..styles import Styles

IN_PLAN, CANCELLED = "计划内", "已取消"
STATUS_COLUMNS = (
    Column("status", "状态", "Status", ColumnType.TEXT, editable=False, from_="status.state",
           width=10),
    Column("status_note", "说明", "Note", ColumnType.TEXT, editable=False,
           from_="status.note", width=40),
)


def with_status(spec: TemplateSpec) -> TemplateSpec:
    """The responsibilities spec with 状态 and 说明 after its columns."""
    return replace(spec, columns=(*spec.columns, *STATUS_COLUMNS))


def status_rows(project: Project, cancelled_by: Mapping[str, str]) -> list[dict[str, Any]]:
    """write_table's rows: the plan's tasks, then the cancelled ones, each with its
    status. cancelled_by: task -> the approved change that cancelled it ('变更 3,陈明批准')."""
    def row(task: Task) -> dict[str, Any]:
        if task.cancelled is None:
            return {"task": task, "status": {"state": IN_PLAN}}
        by = cancelled_by.get(task.id, "变更审批")
        return {"task": task, "status": {
            "state": CANCELLED, "note": f"自 {task.cancelled} 起取消({by});此前各周的数据保留"}}

    return [row(t) for t in (*project.tasks, *project.cancelled_tasks)]


def strike_cancelled(ws: Any, fmt: Styles, spec: TemplateSpec, rows: int) -> None:
    """Every row whose 状态 is 已取消 struck through in grey (a conditional format: the
    rows themselves are written whole by write_table)."""
    if not rows:
        return
    status = xl_col_to_name(spec.keys.index("status"))
    ws.conditional_format(1, 0, rows, len(spec.columns) - 1, {
        "type": "formula", "criteria": f'=${status}2="{CANCELLED}"', "format": fmt.struck})
