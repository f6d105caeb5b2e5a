"""Excel data validation for a spec column: dropdowns, date windows, number ranges,
text length, each with a Chinese input message and error message."""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from typing import Any

from ..issues import column_letter
from ..project import Project, Settings
from ..spec import Column, ColumnType, column_choices, date_window

LIST_LIMIT = 255  # Excel's limit for an inline list formula
#: A department's own workbook offers every department of the project in a department
#: dropdown (需协调部门) up to this many (the default of `settings.all_departments_up_to`);
#: past it, at most this many departments it works with (see `partner_list`). Every
#: department's list in every department's files made each file grow with the project
#: and build with departments².
ALL_DEPARTMENTS_UP_TO = Settings.all_departments_up_to
TEXT_LENGTH = {ColumnType.LONGTEXT: 2000}
DEFAULT_TEXT_LENGTH = 255


@dataclass
class ListSheet:
    """Long dropdown lists live on a very hidden sheet, referenced by range."""

    name: str = "_lists"
    columns: list[tuple[str, list[str]]] = field(default_factory=list)

    def reference(self, key: str, values: list[str]) -> str:
        keys = [k for k, _ in self.columns]
        if key in keys:
            idx = keys.index(key)
        else:
            self.columns.append((key, values))
            idx = len(self.columns) - 1
        col = column_letter(idx)
        return f"='{self.name}'!${col}$1:${col}${len(values)}"


@dataclass(frozen=True)
class _ProjectLists:
    """What dropdowns are made of, gathered once per project (not once per column and
    department: that made build grow with departments × tasks)."""

    departments: tuple[str, ...]
    tasks_by_department: dict[str, tuple[tuple[str, str], ...]]
    milestones: tuple[str, ...]
    partners: dict[str, tuple[str, ...]]  # only past settings.all_departments_up_to


# by id(): a Project is not hashable; an entry goes when its project does
_LISTS: dict[int, _ProjectLists] = {}


def _project_lists(project: Project) -> _ProjectLists:
    found = _LISTS.get(id(project))
    if found is None:
        by_dept: dict[str, list[tuple[str, str]]] = {}
        for t in project.tasks:
            by_dept.setdefault(t.department, []).append((t.id, t.department))
        found = _ProjectLists(tuple(d.name for d in project.departments),
                              {d: tuple(pairs) for d, pairs in by_dept.items()},
                              tuple(m.id for m in project.milestones),
                              _partners(project) if _many(project) else {})
        _LISTS[id(project)] = found
        weakref.finalize(project, _LISTS.pop, id(project), None)
    return found


def _many(project: Project) -> bool:
    return len(project.departments) > project.settings.all_departments_up_to


def _partners(project: Project) -> dict[str, tuple[str, ...]]:
    """Each department's partners, at most `settings.all_departments_up_to`, shown in the
    project's order; when there are more, the closest kept, in this order:

    1. the initiating department;
    2. the departments whose tasks come before or after one of its own (前置任务);
    3. the departments its tasks' 岗位/职责/交付物 name (「与市场部确认文案」), and those
       whose tasks' text names it: who coordinates with whom, both ways;
    4. the departments with a task in the same milestone as one of its own.

    Linear in the project: names are found by looking each substring of the lengths
    department names have up in a set, a milestone adds members until the cap."""
    order = {d.name: i for i, d in enumerate(project.departments)}
    cap = project.settings.all_departments_up_to
    rank: dict[str, dict[str, int]] = {d: {} for d in order}

    def link(a: str, b: str, level: int) -> None:
        if a != b and a in rank and b in order and level < rank[a].get(b, 9):
            rank[a][b] = level

    for name in order:
        link(name, project.initiating_department, 1)
    where = {t.id: t.department for t in project.tasks}
    for t in project.tasks:
        for pid in t.after:
            other = where.get(pid)
            if other:
                link(t.department, other, 2)
                link(other, t.department, 2)
    lengths = sorted({len(n) for n in order}, reverse=True)
    for t in project.tasks:
        text = f"{t.role} {t.duty} {t.deliverable}"
        i = 0
        while i < len(text):
            # the longest name at this point (「市场部二组」, not 「市场部」 in it)
            n = next((n for n in lengths if text[i:i + n] in order), 0)
            if n:
                link(t.department, text[i:i + n], 3)
                link(text[i:i + n], t.department, 3)
            i += n or 1
    members: dict[str, list[str]] = {}
    for t in project.tasks:
        if t.milestone:
            group = members.setdefault(t.milestone, [])
            if t.department not in group:
                group.append(t.department)
    for group in members.values():
        for name in group:
            for other in group[:cap + 1]:  # enough to fill the list; not group²
                link(name, other, 4)
    return {name: tuple(sorted(sorted(found, key=lambda d: (found[d], order[d]))[:cap],
                               key=order.__getitem__))
            for name, found in rank.items()}


def partner_list(column: Column, project: Project, department: str) -> bool:
    """A department dropdown in `department`'s own files of a project of more than
    `settings.all_departments_up_to` departments: it offers the department's partners
    (`_partners`), any other
    department typed in is let through with a note (the merge checks every name against
    the whole project), so no file carries the names of all departments."""
    return (bool(department) and not column.values
            and (column.type is ColumnType.DEPARTMENT or column.source == "departments")
            and _many(project))


def whole_project_list(column: Column, department: str) -> bool:
    """A department's dropdown of every task of the project (关联任务, 相关任务): offered
    as the department's own tasks, any other task id typed in is accepted with a
    warning (the merge checks it against the whole project). Carrying every task id in
    every department's workbook made build, and each file, grow with the project."""
    return bool(department) and column.source == "tasks" and not column.values


def list_values(column: Column, project: Project, department: str) -> list[str]:
    """The dropdown's values in `department`'s workbook (the PMO master: department '')."""
    lists = _project_lists(project)
    if partner_list(column, project, department):
        return list(lists.partners.get(department, ()))
    if whole_project_list(column, department) or column.source == "own_tasks":
        tasks = lists.tasks_by_department.get(department, ())
    elif column.source == "tasks":
        tasks = tuple(p for pairs in lists.tasks_by_department.values() for p in pairs)
    else:
        tasks = ()
    return list(column_choices(column, department=department, departments=lists.departments,
                               tasks=tasks, milestones=lists.milestones))


def _partial_hint(column: Column, project: Project) -> str:
    return ((column.hint + ";") if column.hint else "") + \
        f"下拉列表为与本部门衔接的部门;本项目共 {len(project.departments)} 个部门,其他部门请直接输入全称"


def _partial_note(project: Project, values: list[str]) -> str:
    offered = f"下拉列表中:{_clip('、'.join(values), 80)}。" if values else ""
    return (f"须为本项目 {len(project.departments)} 个部门之一的全称,多个用逗号分隔;"
            f"{offered}名称无误请选「确定」(汇总时逐个核对)")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validation(column: Column, project: Project, department: str,
               lists: ListSheet, *,
               week_window: tuple[dt.date, dt.date] | None = None) -> dict[str, Any] | None:
    """XlsxWriter `data_validation` options for one input column, or None.
    week_window: the dates a `return` window (填报日期) accepts this week."""
    hint = column.hint
    opts: dict[str, Any]
    t = column.type
    partial = t is ColumnType.DEPARTMENT and partner_list(column, project, department)
    if t in (ColumnType.ENUM, ColumnType.DEPARTMENT) and partial \
            and not list_values(column, project, department):
        # no partner to offer: any name is let through with a note
        opts = {"validate": "length", "criteria": "<=", "value": DEFAULT_TEXT_LENGTH,
                "error_type": "information"}
        hint = _partial_hint(column, project)
        error = _partial_note(project, [])
    elif t in (ColumnType.ENUM, ColumnType.DEPARTMENT):
        values = list_values(column, project, department)
        if not values:
            return None
        inline = ",".join(values)
        source: Any = values if len(inline) <= LIST_LIMIT and "," not in "".join(values) \
            else lists.reference(f"{column.key}", values)
        opts = {"validate": "list", "source": source}
        shown = "、".join(values)
        if partial:
            hint = _partial_hint(column, project)
            error = _partial_note(project, values)
            opts["error_type"] = "information"
        elif whole_project_list(column, department):
            hint = hint or "下拉列表为本部门的任务;其他部门的任务编号可直接输入"
            error = ("下拉列表中是本部门的任务;如是其他部门的任务,请确认编号无误后选「是」"
                     f"({_clip(shown, 120)})")
            opts["error_type"] = "warning"
        else:
            hint = hint or f"从下拉列表选择:{_clip(shown, 120)}"
            error = f"请从下拉列表中选择:{_clip(shown, 200)}"
    elif t in (ColumnType.DATE, ColumnType.DATETIME):
        lo, hi = date_window(column, project.start, project.end, project.late_end,
                             week_window=week_window)
        opts = {"validate": "date", "criteria": "between",
                "minimum": dt.datetime.combine(lo, dt.time()),
                "maximum": dt.datetime.combine(hi, dt.time(23, 59))}
        form = "2024-07-01 10:00" if t is ColumnType.DATETIME else "2024-07-01"
        hint = hint or f"日期,格式 {form}"
        error = f"请输入 {lo.isoformat()} 至 {hi.isoformat()} 之间的日期,格式如 {form}"
    elif t is ColumnType.PERCENT:
        plo = column.min if column.min is not None else 0
        phi = column.max if column.max is not None else 100
        opts = {"validate": "decimal", "criteria": "between",
                "minimum": plo / 100, "maximum": phi / 100}
        hint = hint or f"百分比 {plo:g}% 到 {phi:g}%"
        error = f"请输入 {plo:g}% 到 {phi:g}% 之间的百分比,如 85%"
    elif t is ColumnType.INTEGER:
        ilo = int(column.min) if column.min is not None else 0
        ihi = int(column.max) if column.max is not None else 2_147_483_647
        opts = {"validate": "integer", "criteria": "between", "minimum": ilo, "maximum": ihi}
        hint = hint or "整数"
        error = f"请输入 {ilo} 到 {ihi} 之间的整数"
    elif t is ColumnType.NUMBER:
        nlo = column.min if column.min is not None else -1e15
        nhi = column.max if column.max is not None else 1e15
        opts = {"validate": "decimal", "criteria": "between", "minimum": nlo, "maximum": nhi}
        hint = hint or "数字"
        error = "请输入数字" + (f"({nlo:g} 到 {nhi:g})" if column.min is not None else "")
    else:
        limit = column.max_length or TEXT_LENGTH.get(t, DEFAULT_TEXT_LENGTH)
        opts = {"validate": "length", "criteria": "<=", "value": limit}
        error = f"文字不能超过 {limit} 个字符"
    opts.update({
        "ignore_blank": True,
        "input_title": _clip(column.zh, 32),
        "input_message": _clip(hint + (" (必填)" if column.required else ""), 255),
        "error_title": _clip(f"{column.zh}:输入有误", 32),
        "error_message": _clip(error, 255),
    })
    opts.setdefault("error_type", "stop")
    if column.multiple and not partial:
        # a dropdown offers one choice at a time: several, typed with commas, are let
        # through after a note (merge checks each)
        opts["error_type"] = "information"
        opts["error_message"] = _clip("可填多个,用逗号分隔,每个都须是:" + "、".join(
            list_values(column, project, department)), 255)
    return opts
