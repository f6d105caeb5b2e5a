"""What validation and merging know about the project and the run, in one object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from ..contract import TaskRow, department_list
from ..project import Project, Target
from ..signing import Trust
from ..spec import Column, SpecSet, column_choices, date_window
from ..weeks import WorkCalendar, parse_week, return_window

_T = TypeVar("_T")


class TaskRef(NamedTuple):
    """A task of the plan as merging sees it (a named tuple: one per task of the plan,
    made for every merge; a frozen dataclass took ~1.3 µs)."""

    id: str
    department: str
    due: dt.date
    milestone: str = ""
    start: dt.date | None = None  # 开始日期
    after: tuple[str, ...] = ()  # 前置任务 (finish-to-start)


@dataclass(frozen=True)
class ResultRef:
    id: str
    name: str
    department: str
    target: Target
    target_text: str


def _tasks_as_of(project: Project, as_of: dt.date) -> dict[str, TaskRef]:
    """The plan's tasks on `as_of`: a task cancelled later (a past week merged again)
    still counts there, so that week's rows stay what they were."""
    tasks = [*project.tasks, *(t for t in project.cancelled_tasks
                               if t.cancelled is not None and t.cancelled > as_of)]
    ids = {t.id for t in tasks}
    return {t.id: TaskRef(t.id, t.department, t.due, t.milestone, t.start,
                          tuple(a for a in t.after if a in ids)) for t in tasks}


@dataclass(frozen=True)
class Context:
    """Everything validation and merging need to know about the project and the run."""

    project_id: str
    start: dt.date
    end: dt.date
    late_end: dt.date
    departments: tuple[str, ...]
    tasks: Mapping[str, TaskRef]
    week: str
    as_of: dt.date
    specs: SpecSet
    threshold: int = 3
    raise_within_hours: int = 24
    calendar: WorkCalendar | None = None
    results: Mapping[str, ResultRef] = field(default_factory=dict)
    milestones: Mapping[str, tuple[str, dt.date]] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)  # department -> risk id prefix
    trust: Trust | None = None  # the project's key and built files; None: not checked
    return_weekday: int = 5  # the weekday returns are due (填报日期's window)
    late_window_days: int = 90
    # tasks cancelled by an approved change: id -> (department, the day it left the plan)
    cancelled: Mapping[str, tuple[str, dt.date]] = field(default_factory=dict)
    # the approved change that cancelled each, as issues name it ('变更 3,陈明批准')
    cancelled_by: Mapping[str, str] = field(default_factory=dict)
    draft: bool = False  # a --draft run (or before PMO备案): files built as drafts count
    _choices: dict[tuple, tuple[str, ...]] = field(default_factory=dict, init=False, compare=False,
                                                   repr=False)
    _indexes: dict[tuple, Any] = field(default_factory=dict, init=False, compare=False,
                                       repr=False)

    @classmethod
    def from_project(cls, project: Project, week: str, as_of: dt.date,
                     workdays: bool | None = None, trust: Trust | None = None,
                     draft: bool = False,
                     cancelled_by: Mapping[str, str] | None = None) -> Context:
        s = project.settings
        use_workdays = s.workdays if workdays is None else workdays
        return cls(
            project_id=project.id, start=project.start, end=project.end,
            late_end=project.late_end, departments=tuple(d.name for d in project.departments),
            tasks=_tasks_as_of(project, as_of),
            week=week, as_of=as_of, specs=project.specs(),
            threshold=s.delay_threshold_days, raise_within_hours=s.raise_within_hours,
            calendar=WorkCalendar(s.holidays, s.extra_workdays) if use_workdays else None,
            results={r.id: ResultRef(r.id, r.name, r.department, r.target, r.target_text)
                     for r in project.results},
            milestones={m.id: (m.name, m.date) for m in project.milestones},
            codes={d.name: d.code for d in project.departments},
            trust=trust, return_weekday=s.return_weekday, late_window_days=s.late_window_days,
            cancelled={t.id: (t.department, t.cancelled) for t in project.cancelled_tasks
                       if t.cancelled is not None and t.cancelled <= as_of},
            cancelled_by=cancelled_by or {},
            draft=draft,
        )

    @classmethod
    def from_identity(cls, identity: Mapping[str, str], task_rows: Sequence[TaskRow],
                      specs: SpecSet, as_of: dt.date) -> Context:
        """For `xlflow validate` on a department's machine, without project.yaml.
        ValueError when the stored context is not readable."""
        start = dt.date.fromisoformat(identity["project_start"])
        end = dt.date.fromisoformat(identity["project_end"])
        tasks = {t[0]: TaskRef(t[0], t[1], dt.date.fromisoformat(t[2]), t[3])
                 for t in task_rows}
        return cls(
            project_id=identity.get("project_id", ""), start=start, end=end,
            late_end=end + dt.timedelta(days=int(identity.get("late_window_days", 90))),
            departments=department_list(identity),
            codes={identity["department"]: identity["department_code"]}
            if identity.get("department") and identity.get("department_code") else {},
            tasks=tasks, week=identity.get("week", ""), as_of=as_of, specs=specs,
            threshold=int(identity.get("delay_threshold_days", 3)),
            raise_within_hours=int(identity.get("raise_within_hours", 24)),
            return_weekday=int(identity.get("return_weekday", 5)),
            late_window_days=int(identity.get("late_window_days", 90)),
        )

    def owner_of_risk(self, risk_id: str) -> str | None:
        """The department whose reserved prefix (its code) the risk id carries."""
        prefix = risk_id.split("-", 1)[0]
        return next((d for d, code in self.codes.items() if code.upper() == prefix), None)

    def window(self, column: Column) -> tuple[dt.date, dt.date]:
        return date_window(column, self.start, self.end, self.late_end,
                           week_window=self.week_window)

    @cached_property
    def week_window(self) -> tuple[dt.date, dt.date] | None:
        """The week's Monday to its return deadline plus the late window (填报日期)."""
        try:
            parse_week(self.week)
        except ValueError:
            return None
        return return_window(self.week, self.return_weekday, self.late_window_days)

    def days(self, start: dt.date, end: dt.date) -> int:
        if self.calendar is not None:
            return self.calendar.days_between(start, end)
        return (end - start).days

    def shift(self, day: dt.date, days: int) -> dt.date:
        """`days` (calendar or working, as `days` counts them) after day; days >= 0."""
        if self.calendar is not None:
            return self.calendar.add_days(day, days)
        try:
            return day + dt.timedelta(days=days)
        except OverflowError:  # a very long chain of long tasks: past any calendar
            return dt.date.max

    @cached_property
    def task_pairs(self) -> tuple[tuple[str, str], ...]:
        """(id, department) of every task, built once per run."""
        return tuple((t.id, t.department) for t in self.tasks.values())

    @cached_property
    def _tasks_by_department(self) -> dict[str, tuple[tuple[str, str], ...]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for pair in self.task_pairs:
            out.setdefault(pair[1], []).append(pair)
        return {d: tuple(pairs) for d, pairs in out.items()}

    def _choice_key(self, column: Column, department: str) -> tuple:
        own = column.source == "own_tasks" and not column.values
        return (column.key, column.values, column.source, column.type, department if own else "")

    def indexed(self, column: Column, department: str,
                build: Callable[[tuple[str, ...]], _T]) -> _T:
        """`build(choices)`, once per list of choices: a lookup table of a project-wide
        list (100,000 task ids) is built once per run, and never hashed again to find it."""
        key = (self._choice_key(column, department), build)
        found = self._indexes.get(key)
        if found is None:
            found = self._indexes[key] = build(self.choices(column, department))
        return found

    def choices(self, column: Column, department: str) -> tuple[str, ...]:
        """Memoised per column (and per department only where the list depends on it):
        validation asks once per cell, and a project-wide list is built once."""
        own = column.source == "own_tasks" and not column.values
        key = self._choice_key(column, department)
        found = self._choices.get(key)
        if found is None:
            pairs = self._tasks_by_department.get(department, ()) if own else self.task_pairs
            found = column_choices(column, department=department, departments=self.departments,
                                   tasks=pairs, milestones=list(self.milestones))
            self._choices[key] = found
        return found

