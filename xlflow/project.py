"""project.yaml: 模板1 (the request) and 模板2 (the tasks) of one collaboration.

Loaded into frozen objects and checked; every error names the file, the line and the
field path (e.g. ``tasks[2].due``), because PMO analysts edit this file by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _yaml
from .errors import ProjectError
from .spec import SpecSet, load_specs

PROJECT_FILE = "project.yaml"
PRIORITIES = ("高", "中", "低")
HEADER_LANGUAGES = ("bilingual", "zh", "en")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_TARGET = re.compile(
    r"^\s*(?P<op>>=|<=|==|=|>|<|≥|≤)?\s*(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<pct>%)?\s*$"
)
_OPS = {"≥": ">=", "≤": "<=", "=": "==", None: ">="}


@dataclass(frozen=True)
class Department:
    name: str
    code: str
    head: str = ""
    head_title: str = ""
    email: str = ""
    capacity: float | None = None  # people available to collaborations, for `xlflow resources`


@dataclass(frozen=True)
class Milestone:
    id: str
    name: str
    date: dt.date


PEOPLE_UNITS = ("名", "人", "位", "个人", "people", "person", "persons")


@dataclass(frozen=True)
class Resource:
    department: str
    item: str
    quantity: float
    unit: str = ""
    note: str = ""
    start: dt.date | None = None  # when the people are needed (default: the project's)
    end: dt.date | None = None

    @property
    def is_people(self) -> bool:
        """Counts against a department's capacity (people, not money or equipment)."""
        return self.unit.strip().lower() in PEOPLE_UNITS

    @property
    def text(self) -> str:
        qty = int(self.quantity) if float(self.quantity).is_integer() else self.quantity
        return f"{self.department}：{self.item} {qty}{self.unit}" + (
            f"（{self.note}）" if self.note else ""
        )


@dataclass(frozen=True)
class Target:
    """A measurable target such as '>= 100000' or '>= 15%'."""

    op: str
    value: float
    percent: bool = False

    def met_by(self, actual: float) -> bool:
        goal = self.value / 100 if self.percent else self.value
        return {
            ">=": actual >= goal, "<=": actual <= goal, ">": actual > goal,
            "<": actual < goal, "==": abs(actual - goal) < 1e-9,
        }[self.op]

    @property
    def text(self) -> str:
        num = int(self.value) if self.value.is_integer() else self.value
        op = {">=": "≥", "<=": "≤", "==": "="}.get(self.op, self.op)
        return f"{op}{num}%" if self.percent else f"{op}{num:,}"


@dataclass(frozen=True)
class ExpectedResult:
    id: str
    name: str
    target: Target
    unit: str = ""
    department: str = ""

    @property
    def target_text(self) -> str:
        return self.target.text + ("" if self.target.percent else self.unit)


@dataclass(frozen=True)
class Opinion:
    department: str
    by: str
    opinion: str


@dataclass(frozen=True)
class Task:
    id: str
    department: str
    role: str
    duty: str
    deliverable: str
    due: dt.date
    owner: str
    milestone: str = ""
    milestone_name: str = ""

    @property
    def plan_item(self) -> str:
        return f"{self.deliverable}：{self.duty}"

    @property
    def milestone_text(self) -> str:
        return f"{self.milestone} {self.milestone_name}".strip()


@dataclass(frozen=True)
class Settings:
    delay_threshold_days: int = 3  # 预警 up to this many days late, 延误 beyond
    workdays: bool = False  # count deviation in working days (mainland China calendar)
    holidays: tuple[dt.date, ...] = ()  # extra days off, on top of the calendar
    extra_workdays: tuple[dt.date, ...] = ()  # adjusted working days (调休上班)
    headers: str = "bilingual"
    late_window_days: int = 90  # forecast/actual dates may run this far past the end
    return_weekday: int = 5  # departments return their workbook by this weekday (1=Mon)
    raise_within_hours: int = 24  # the seed's rule for 风险应对申请表
    protect_password: str = ""


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    initiating_department: str
    initiator: str
    contact: str
    start: dt.date
    end: dt.date
    background: str
    goals: str
    priority: str = "中"
    approver: str = ""
    departments: tuple[Department, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    resources: tuple[Resource, ...] = ()
    results: tuple[ExpectedResult, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    tasks: tuple[Task, ...] = ()
    settings: Settings = field(default_factory=Settings)
    spec_overrides: Mapping[str, Any] = field(default_factory=dict)
    root: Path = Path(".")

    # -- look-ups ----------------------------------------------------------------
    def department(self, name: str) -> Department:
        for d in self.departments:
            if d.name == name:
                return d
        raise KeyError(name)

    def tasks_of(self, department: str) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.department == department)

    def results_of(self, department: str) -> tuple[ExpectedResult, ...]:
        return tuple(r for r in self.results if r.department == department)

    @property
    def task_map(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    @property
    def late_end(self) -> dt.date:
        return self.end + dt.timedelta(days=self.settings.late_window_days)

    def specs(self) -> SpecSet:
        """The template specs after this project's overrides (loaded once)."""
        cached = self.__dict__.get("_specs")
        if cached is None:
            cached = load_specs(self.spec_overrides, overrides_source=str(self.root / PROJECT_FILE))
            object.__setattr__(self, "_specs", cached)
        return cached

    # -- 模板1 texts, for the printable request form ------------------------------
    @property
    def period_text(self) -> str:
        days = (self.end - self.start).days + 1
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}（共 {days} 天）"

    @property
    def departments_text(self) -> str:
        return "、".join(d.name for d in self.departments if d.name != self.initiating_department)

    @property
    def milestones_text(self) -> str:
        return "→".join(f"{m.name}（{m.date.month}月{m.date.day}日）" for m in self.milestones)

    @property
    def resources_text(self) -> str:
        return "；".join(r.text for r in self.resources)

    @property
    def results_text(self) -> str:
        return "、".join(f"{r.name}{r.target_text}" for r in self.results)

    @property
    def opinions_text(self) -> str:
        return "；".join(f"{o.by}：{o.opinion}" for o in self.opinions)


# -- loading ---------------------------------------------------------------------------


def load_project(directory: Path | str) -> Project:
    """Read and check DIR/project.yaml."""
    root = Path(directory)
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"{path}: no project file here (create one with `xlflow init {root}`)")
    try:
        data = _yaml.load_file(path)
    except _yaml.YamlError as exc:
        raise ProjectError(str(exc)) from None
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not UTF-8 text") from None
    project = _Parser(path).project(data, root)
    project.specs()  # overrides are checked with the project, not at first use
    return project


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Any, key: str | None, where: str, message: str) -> ProjectError:
        line = 0
        if isinstance(node, _yaml.LineDict):
            line = node.line_of(key) if key else node.line
        elif hasattr(node, "line"):
            line = node.line
        return ProjectError(f"{self.path}:{line}: {where}: {message}")

    def mapping(self, node: Any, where: str, parent: Any = None, key: str | None = None):
        if not isinstance(node, _yaml.LineDict):
            raise self.fail(parent if parent is not None else node, key, where,
                            "expected a mapping of fields")
        return node

    def text(self, node: Any, key: str, where: str, *, required: bool = True) -> str:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(node, key, f"{where}.{key}".lstrip("."), "is required")
            return ""
        if isinstance(value, (Mapping, list)):
            raise self.fail(node, key, f"{where}.{key}".lstrip("."), "expected text")
        return str(value).strip()

    def date(self, node: Any, key: str, where: str) -> dt.date:
        value = node.get(key)
        label = f"{where}.{key}".lstrip(".")
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if value is None:
            raise self.fail(node, key, label, "is required (a date, YYYY-MM-DD)")
        raise self.fail(node, key, label, f"{value!r} is not a date (expected YYYY-MM-DD)")

    def number(self, node: Any, key: str, where: str, *, required: bool = True) -> float | None:
        value = node.get(key)
        label = f"{where}.{key}".lstrip(".")
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, key, label, f"{value!r} is not a number")
        return float(value)

    def items(self, data: Any, key: str, *, required: bool = False) -> list[tuple[Any, str]]:
        node = data.get(key)
        if node is None:
            if required:
                raise self.fail(data, None, key, "is required (a list)")
            return []
        if not isinstance(node, list):
            raise self.fail(data, key, key, "expected a list")
        return [(self.mapping(item, f"{key}[{i}]", node), f"{key}[{i}]")
                for i, item in enumerate(node)]

    # -- sections -------------------------------------------------------------------
    def project(self, data: Any, root: Path) -> Project:
        data = self.mapping(data, "project.yaml")
        head = self.mapping(data.get("project"), "project", data, "project")
        pid = self.text(head, "id", "project")
        if not _ID.match(pid):
            raise self.fail(head, "id", "project.id", f"{pid!r}: use letters, digits, - _ . "
                            "(at most 40), e.g. UG-2024Q3")
        start, end = self.date(head, "start", "project"), self.date(head, "end", "project")
        if end < start:
            raise self.fail(head, "end", "project.end", "is before project.start")
        priority = self.text(head, "priority", "project", required=False) or "中"
        if priority not in PRIORITIES:
            raise self.fail(head, "priority", "project.priority",
                            f"{priority!r} is not one of 高/中/低")
        departments = self.departments(data)
        names = {d.name for d in departments}
        initiating = self.text(head, "initiating_department", "project")
        if initiating not in names:
            raise self.fail(head, "initiating_department", "project.initiating_department",
                            f"{initiating!r} is not among departments ({'、'.join(names)})")
        milestones = self.milestones(data)
        tasks = self.tasks(data, names, {m.id: m for m in milestones})
        results = self.results(data, names)
        resources = []
        for node, where in self.items(data, "resources"):
            dept = self.text(node, "department", where)
            if dept not in names:
                raise self.fail(node, "department", f"{where}.department",
                                f"{dept!r} is not a listed department")
            r_start = self.date(node, "start", where) if node.get("start") else None
            r_end = self.date(node, "end", where) if node.get("end") else None
            if r_start and r_end and r_end < r_start:
                raise self.fail(node, "end", f"{where}.end", "is before its start")
            resources.append(Resource(dept, self.text(node, "item", where),
                                      self.number(node, "quantity", where) or 0.0,
                                      self.text(node, "unit", where, required=False),
                                      self.text(node, "note", where, required=False),
                                      r_start, r_end))
        opinions = [
            Opinion(self.text(n, "department", w), self.text(n, "by", w),
                    self.text(n, "opinion", w))
            for n, w in self.items(data, "opinions")
        ]
        overrides = data.get("spec_overrides") or {}
        if not isinstance(overrides, Mapping):
            raise self.fail(data, "spec_overrides", "spec_overrides", "expected a mapping")
        return Project(
            id=pid, name=self.text(head, "name", "project"),
            initiating_department=initiating,
            initiator=self.text(head, "initiator", "project"),
            contact=self.text(head, "contact", "project"),
            start=start, end=end,
            background=self.text(head, "background", "project"),
            goals=self.text(head, "goals", "project"),
            priority=priority,
            approver=self.text(head, "approver", "project", required=False),
            departments=tuple(departments), milestones=tuple(milestones),
            resources=tuple(resources), results=tuple(results), opinions=tuple(opinions),
            tasks=tuple(tasks), settings=self.settings(data),
            spec_overrides=overrides, root=root,
        )

    def departments(self, data: Any) -> list[Department]:
        out: list[Department] = []
        for i, (node, where) in enumerate(self.items(data, "departments", required=True)):
            name = self.text(node, "name", where)
            code = self.text(node, "code", where, required=False) or f"D{i + 1}"
            if not re.match(r"^[A-Za-z0-9]{1,8}$", code):
                raise self.fail(node, "code", f"{where}.code",
                                f"{code!r}: 1-8 letters or digits, e.g. TEC")
            email = self.text(node, "email", where, required=False)
            if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                raise self.fail(node, "email", f"{where}.email", f"{email!r} is not an address")
            if any(d.name == name for d in out) or any(d.code == code for d in out):
                raise self.fail(node, "name", where, f"department {name!r}/{code!r} is listed twice")
            out.append(Department(
                name, code, self.text(node, "head", where, required=False),
                self.text(node, "head_title", where, required=False), email,
                self.number(node, "capacity", where, required=False),
            ))
        if not out:
            raise self.fail(data, "departments", "departments", "list at least one department")
        return out

    def milestones(self, data: Any) -> list[Milestone]:
        out: list[Milestone] = []
        for node, where in self.items(data, "milestones"):
            mid = self.text(node, "id", where)
            if any(m.id == mid for m in out):
                raise self.fail(node, "id", f"{where}.id", f"milestone {mid!r} is listed twice")
            out.append(Milestone(mid, self.text(node, "name", where), self.date(node, "date", where)))
        return out

    def tasks(self, data: Any, names: set[str], milestones: dict[str, Milestone]) -> list[Task]:
        out: list[Task] = []
        for node, where in self.items(data, "tasks", required=True):
            tid = self.text(node, "id", where)
            if any(t.id == tid for t in out):
                raise self.fail(node, "id", f"{where}.id", f"task id {tid!r} is used twice")
            dept = self.text(node, "department", where)
            if dept not in names:
                raise self.fail(node, "department", f"{where}.department",
                                f"{dept!r} is not among departments ({'、'.join(sorted(names))})")
            ms = self.text(node, "milestone", where, required=False)
            if ms and ms not in milestones:
                raise self.fail(node, "milestone", f"{where}.milestone",
                                f"{ms!r} is not a milestone id ({', '.join(milestones)})")
            out.append(Task(
                tid, dept, self.text(node, "role", where), self.text(node, "duty", where),
                self.text(node, "deliverable", where), self.date(node, "due", where),
                self.text(node, "owner", where), ms, milestones[ms].name if ms else "",
            ))
        return out

    def results(self, data: Any, names: set[str]) -> list[ExpectedResult]:
        out: list[ExpectedResult] = []
        for node, where in self.items(data, "expected_results"):
            rid = self.text(node, "id", where)
            if any(r.id == rid for r in out):
                raise self.fail(node, "id", f"{where}.id", f"result id {rid!r} is used twice")
            raw = self.text(node, "target", where)
            m = _TARGET.match(raw)
            if not m:
                raise self.fail(node, "target", f"{where}.target",
                                f"{raw!r} is not a target (e.g. '>= 100000' or '>= 15%')")
            target = Target(_OPS.get(m["op"], m["op"]), float(m["num"].replace(",", "")),
                            bool(m["pct"]))
            dept = self.text(node, "department", where, required=False)
            if dept and dept not in names:
                raise self.fail(node, "department", f"{where}.department",
                                f"{dept!r} is not a listed department")
            out.append(ExpectedResult(rid, self.text(node, "name", where), target,
                                      self.text(node, "unit", where, required=False), dept))
        return out

    def settings(self, data: Any) -> Settings:
        node = data.get("settings")
        if node is None:
            return Settings()
        node = self.mapping(node, "settings", data, "settings")
        known = set(Settings.__dataclass_fields__)
        for key in node:
            if key not in known:
                raise self.fail(node, key, f"settings.{key}",
                                f"unknown setting (known: {', '.join(sorted(known))})")
        kwargs: dict[str, Any] = {}
        for key in ("delay_threshold_days", "late_window_days", "return_weekday",
                    "raise_within_hours"):
            if key in node:
                value = node[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise self.fail(node, key, f"settings.{key}", "expected a whole number >= 0")
                kwargs[key] = value
        if not 1 <= kwargs.get("return_weekday", 5) <= 7:
            raise self.fail(node, "return_weekday", "settings.return_weekday", "1 (Mon) to 7 (Sun)")
        if "workdays" in node:
            if not isinstance(node["workdays"], bool):
                raise self.fail(node, "workdays", "settings.workdays", "true or false")
            kwargs["workdays"] = node["workdays"]
        for key in ("holidays", "extra_workdays"):
            values = node.get(key) or []
            if not isinstance(values, list):
                raise self.fail(node, key, f"settings.{key}", "expected a list of dates")
            days = []
            for i, v in enumerate(values):
                try:
                    days.append(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))
                except ValueError:
                    raise self.fail(node, key, f"settings.{key}[{i}]",
                                    f"{v!r} is not a date (YYYY-MM-DD)") from None
            kwargs[key] = tuple(days)
        if "headers" in node:
            if node["headers"] not in HEADER_LANGUAGES:
                raise self.fail(node, "headers", "settings.headers",
                                f"one of {', '.join(HEADER_LANGUAGES)}")
            kwargs["headers"] = node["headers"]
        if "protect_password" in node:
            kwargs["protect_password"] = str(node["protect_password"] or "")
        return Settings(**kwargs)
