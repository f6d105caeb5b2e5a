"""project.yaml: 模板1 (the request) and 模板2 (the tasks) of one collaboration.

Loaded into frozen objects and checked; every error names the file, the line and the
field path (e.g. ``tasks[2].due``), because PMO analysts edit this file by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import _yaml
from ._files import safe_name
from ._gcpause import paused_gc
from .errors import ProjectError, SpecError
from .model.vocab import ResourceKind
from .spec import SpecSet, load_specs
from .units import canonical_unit, infer_kind, is_money_unit, is_people_unit, to_yuan

PROJECT_FILE = "project.yaml"
PRIORITIES = ("高", "中", "低")
HEADER_LANGUAGES = ("bilingual", "zh", "en")
#: Dates anywhere in project.yaml: wide enough for any plan, narrow enough that date
#: arithmetic (windows, late windows, week labels) never overflows.
YEARS = (2000, 2100)
#: Longest file name part most file systems take: 255 bytes (ext4, APFS) or 255 UTF-16
#: units (NTFS); a Chinese character is 3 bytes in UTF-8.
NAME_MAX = 255
MASTER_PART = "PMO总表"
_PROJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
#: Task, result and milestone ids: they go into dropdown lists and formulas, where a
#: quote or comma breaks the list.
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,8}$")
# C0 and C1 controls and the Unicode line separators: a mail header splits a line at each
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_LONG_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # tab, line feed ok
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
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
    head_email: str = ""  # the head's own address: `xlflow remind` copies the head (cc)
    budget: float | None = None  # 元 per calendar month available to collaborations
    equipment: tuple[tuple[str, float], ...] = ()  # (item, units available at any time)


@dataclass(frozen=True)
class Milestone:
    id: str
    name: str
    date: dt.date


@dataclass(frozen=True)
class Resource:
    department: str
    item: str
    quantity: float
    unit: str = ""
    note: str = ""
    start: dt.date | None = None  # when it is needed (default: the project's period)
    end: dt.date | None = None
    kind: ResourceKind | None = None  # 人力/预算/设备; None: inferred from the unit
    line: int = field(default=0, compare=False)  # in project.yaml, for messages

    def __post_init__(self) -> None:
        if self.kind is None:
            object.__setattr__(self, "kind", infer_kind(self.unit))

    @property
    def is_people(self) -> bool:
        """Counts against a department's capacity (people, not money or equipment)."""
        return self.kind is ResourceKind.PEOPLE

    @property
    def is_budget(self) -> bool:
        return self.kind is ResourceKind.BUDGET

    @property
    def is_equipment(self) -> bool:
        return self.kind is ResourceKind.EQUIPMENT

    @property
    def amount(self) -> float:
        """The quantity in the unit its kind is compared in (money in 元)."""
        return to_yuan(self.quantity, self.unit) if self.is_budget else self.quantity

    @property
    def base_unit(self) -> str:
        assert self.kind is not None
        return canonical_unit(self.kind, self.unit)

    @property
    def text(self) -> str:
        qty = int(self.quantity) if float(self.quantity).is_integer() else self.quantity
        return f"{self.department}：{self.item} {qty}{self.unit}" + (
            f"（{self.note}）" if self.note else ""
        )


@dataclass(frozen=True)
class Pool:
    """A company-wide pool (`pools:`): people or equipment available at any time, or
    budget in 元 per calendar month, shared by every project that names it."""

    kind: ResourceKind
    quantity: float
    unit: str = ""
    item: str = ""  # 设备: the item it pools; 人力/预算: all of the kind when empty
    line: int = field(default=0, compare=False)

    @property
    def amount(self) -> float:
        return to_yuan(self.quantity, self.unit) if self.kind is ResourceKind.BUDGET \
            else self.quantity

    @property
    def base_unit(self) -> str:
        return canonical_unit(self.kind, self.unit)

    def serves(self, r: Resource) -> bool:
        return r.kind is self.kind and (not self.item or r.item == self.item)


@dataclass(frozen=True)
class Consensus:
    """The 需求沟通会 (`consensus:`): what the minutes record beyond the plan."""

    date: dt.date | None = None
    attendees: tuple[str, ...] = ()
    feasibility: str = ""  # 目标可行性
    resource_needs: str = ""  # 资源需求; empty: the resources of the plan
    risks: tuple[str, ...] = ()  # 潜在风险
    conclusion: str = ""


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
    start: dt.date | None = None  # 开始日期 (optional)
    after: tuple[str, ...] = ()  # 前置任务: finish-to-start predecessors (task ids)
    cancelled: dt.date | None = None  # 已取消 from this day (xlflow change --remove-task)

    @property
    def after_text(self) -> str:
        return "、".join(self.after)

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
    remind_cc_head_after_hours: int = 24  # `xlflow remind` copies the department head
    remind_cc_leader_after_hours: int = 72  # … and then the 分管副总 (project.approver_email)
    # a department dropdown (需协调部门) lists every department up to this many; past it,
    # at most this many of the department's partners (writer/_validation.py)
    all_departments_up_to: int = 50


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
    approver_email: str = ""  # the 分管副总's address: `xlflow notify`, remind's escalation
    departments: tuple[Department, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    resources: tuple[Resource, ...] = ()
    results: tuple[ExpectedResult, ...] = ()
    opinions: tuple[Opinion, ...] = ()
    tasks: tuple[Task, ...] = ()  # the plan's tasks; cancelled ones are in cancelled_tasks
    settings: Settings = field(default_factory=Settings)
    pools: tuple[Pool, ...] = ()  # company-wide resource pools, for `xlflow resources`
    consensus: Consensus = field(default_factory=Consensus)
    spec_overrides: Mapping[str, Any] = field(default_factory=dict)
    root: Path = Path(".")
    # tasks marked `cancelled: DATE` (kept for history, out of the plan from that day)
    cancelled_tasks: tuple[Task, ...] = ()

    # -- look-ups (indexes built once, so a caller looping over departments stays linear)
    def department(self, name: str) -> Department:
        return self._department_index[name]

    def tasks_of(self, department: str) -> tuple[Task, ...]:
        return self._tasks_by_department.get(department, ())

    def results_of(self, department: str) -> tuple[ExpectedResult, ...]:
        return self._results_by_department.get(department, ())

    @cached_property
    def task_map(self) -> Mapping[str, Task]:
        return MappingProxyType({t.id: t for t in self.tasks})

    @cached_property
    def _department_index(self) -> dict[str, Department]:
        return {d.name: d for d in self.departments}

    @cached_property
    def _tasks_by_department(self) -> dict[str, tuple[Task, ...]]:
        return _group(self.tasks)

    @cached_property
    def _results_by_department(self) -> dict[str, tuple[ExpectedResult, ...]]:
        return _group(self.results)

    @property
    def late_end(self) -> dt.date:
        return self.end + dt.timedelta(days=self.settings.late_window_days)

    @property
    def first_day(self) -> dt.date:
        """The first day xlflow works on the project: a week before its start (the kick-off
        week). From it to late_end is the period build and merge accept."""
        return self.start - dt.timedelta(days=7)

    @cached_property
    def spec_set(self) -> SpecSet:
        """The template specs after this project's overrides (loaded once per Project)."""
        return load_specs(self.spec_overrides, overrides_source=str(self.root / PROJECT_FILE))

    def specs(self) -> SpecSet:
        return self.spec_set

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

    def budget_of(self, department: str) -> float:
        """The department's 预算 resources in 元."""
        return sum(r.amount for r in self.resources
                   if r.is_budget and r.department == department)

    @property
    def results_text(self) -> str:
        return "、".join(f"{r.name}{r.target_text}" for r in self.results)

    @property
    def opinions_text(self) -> str:
        return "；".join(f"{o.by}：{o.opinion}" for o in self.opinions)


# -- names -----------------------------------------------------------------------------


def workbook_file_name(project_id: str, week: str, department: str) -> str:
    """A department's workbook in outbox/<week>/."""
    return f"{safe_name(project_id)}-{week}-{safe_name(department)}.xlsx"


def master_file_name(project_id: str, week: str) -> str:
    """The PMO master workbook in outbox/<week>/."""
    return f"{safe_name(project_id)}-{week}-{MASTER_PART}.xlsx"


RISK_FORM_PART = "风险应对申请表"


def risk_form_file_name(project_id: str, week: str, department: str) -> str:
    """A department's standalone risk form in outbox/<week>/, beside its workbook. The
    department part is shortened when the whole name would not fit a file system (the
    workbook's own name is what project.yaml's check guarantees)."""
    head, tail = f"{safe_name(project_id)}-{week}-", f"-{RISK_FORM_PART}.xlsx"
    part = safe_name(department)
    while len(part) > 1 and _fs_length(_temp_name(head + part + tail)) > NAME_MAX:
        part = part[:-1]
    return head + part.rstrip(" .") + tail


def canonical_id(text: str) -> str:
    """A task, result or milestone id as xlflow stores and compares it: full-width
    forms folded (NFKC) and in capitals, as ids are read back from returned workbooks."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def _fold(text: str) -> str:
    """Names that people would call the same: 研发1部 and 研发１部, Sales and sales."""
    return unicodedata.normalize("NFKC", text).casefold()


def _group(items: Iterable[Any]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, list[Any]] = {}
    for item in items:
        out.setdefault(item.department, []).append(item)
    return {k: tuple(v) for k, v in out.items()}


def _fs_length(name: str) -> int:
    """What a file name costs against NAME_MAX on the strictest common file system."""
    return max(len(name.encode("utf-8")), len(name.encode("utf-16-le")) // 2)


def _temp_name(final: str) -> str:
    """The temporary name `_files.atomic_path` writes `final` under first (mkstemp adds
    eight random characters)."""
    stem, dot, suffix = final.rpartition(".")
    return f".{stem}.XXXXXXXX.{suffix}.tmp"


def _email_problem(address: str) -> str | None:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or len(address) > 254:
        return "不是邮箱地址"
    if len(local) > 64 or not _EMAIL_LOCAL.match(local):
        return "不是邮箱地址(只能写一个地址,不含空格、逗号或引号)"
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return f"的域名 {domain!r} 无效"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(x) for x in labels) or labels[-1].isdigit():
        return f"的域名 {domain!r} 无效"
    return None


def _control_name(char: str) -> str:
    names = {"\n": "换行", "\r": "回车符", "\t": "制表符",
             "\u2028": "行分隔符(U+2028)", "\u2029": "段落分隔符(U+2029)"}
    return names.get(char, f"控制字符 U+{ord(char):04X}")


def _listing(names: Iterable[str], limit: int = 12) -> str:
    names = list(names)
    return "、".join(names[:limit]) + ("…" if len(names) > limit else "")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"是否想写 {close[0]!r}?" if close else ""


_TOP_FIELDS = ("project", "departments", "milestones", "resources", "expected_results",
               "opinions", "tasks", "settings", "spec_overrides", "pools", "consensus")
_PROJECT_FIELDS = ("id", "name", "priority", "initiating_department", "initiator", "contact",
                   "start", "end", "background", "goals", "approver", "approver_email")
_DEPARTMENT_FIELDS = ("name", "code", "head", "head_title", "email", "capacity", "head_email",
                      "budget", "equipment")
_MILESTONE_FIELDS = ("id", "name", "date")
_RESOURCE_FIELDS = ("department", "item", "quantity", "unit", "note", "start", "end", "kind")
_POOL_FIELDS = ("kind", "item", "quantity", "unit")
_CONSENSUS_FIELDS = ("date", "attendees", "feasibility", "resources", "risks", "conclusion")
_KINDS = tuple(k.value for k in ResourceKind)
_RESULT_FIELDS = ("id", "name", "target", "unit", "department")
_OPINION_FIELDS = ("department", "by", "opinion")
_TASK_FIELDS = ("id", "department", "role", "duty", "deliverable", "due", "owner", "milestone",
                "start", "after", "cancelled")
_SETTING_FIELDS = tuple(Settings.__dataclass_fields__)
_SETTING_RANGES = {"delay_threshold_days": (0, 3650), "late_window_days": (0, 3650),
                   "return_weekday": (1, 7), "raise_within_hours": (0, 8760),
                   "remind_cc_head_after_hours": (0, 8760),
                   "remind_cc_leader_after_hours": (0, 8760),
                   "all_departments_up_to": (1, 100_000)}

#: How text is checked: a NAME must be written as YAML text (``name: yes`` is refused,
#: not turned into 'True'); a LINE keeps a number or date as it was typed (a phone
#: number with a leading 0); LONG text may hold line breaks and tabs.
NAME, LINE, LONG = "name", "line", "long"
_YAML_KINDS = ((bool, "true/false"), ((int, float), "数字"), (dt.date, "日期"))


# -- loading ---------------------------------------------------------------------------


def load_project(directory: Path | str) -> Project:
    """Read and check DIR/project.yaml.

    Raises ProjectError naming the file, the line and the field of the first problem.
    """
    root = Path(directory)
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"{path}: 这里没有项目文件(可用 `xlflow init {root}` 创建)")
    from . import _project_cache  # here: a merge worker unpickles projects, never loads one

    raw = path.read_bytes()
    digest = _project_cache.digest_of(raw)
    cached = _project_cache.read(Project, root, digest, len(raw))
    if cached is not None:
        with contextlib.suppress(SpecError):  # a message comes from the parse below
            cached.specs()
            return cached
    try:
        data = _yaml.load(_yaml.text_of(raw), path)
    except _yaml.YamlError as exc:
        raise ProjectError(str(exc)) from None
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: 不是 UTF-8 文本(请用 UTF-8 编码保存)") from None
    except RecursionError:
        raise ProjectError(f"{path}: 嵌套层级过深,不是项目文件") from None
    with paused_gc():
        project = _Parser(path).project(data, root)
    try:
        project.specs()  # overrides are checked with the project, not at first use
    except SpecError as exc:
        if str(exc).startswith(str(path)):  # a spec_overrides problem, not a built-in spec's
            raise ProjectError(str(exc)) from None
        raise
    del data
    _project_cache.write(root, digest, project)
    return project



class _Parser:
    """One pass over the parsed YAML; every "seen before?" is a dict look-up, so a
    project with 40,000 tasks loads in time proportional to its size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.departments_by_key: dict[str, str] = {}  # folded name -> name as listed
        self.department_lines: dict[str, int] = {}

    # -- errors ---------------------------------------------------------------------
    @staticmethod
    def line(node: Any, key: Any = None) -> int:
        if isinstance(node, _yaml.LineDict):
            return node.line_of(str(key)) if key is not None else node.line
        if isinstance(node, _yaml.LineList) and isinstance(key, int):
            return node.item_lines[key]
        return getattr(node, "line", 0)

    def fail(self, node: Any, key: Any, where: str, message: str) -> ProjectError:
        return ProjectError(f"{self.path}:{self.line(node, key)}: {where}: {message}")

    def known(self, node: _yaml.LineDict, fields: tuple[str, ...], where: str) -> None:
        """Refuse a key the loader does not read: a typo would silently drop data."""
        if node.keys() <= set(fields):
            return
        for key in node:
            if key not in fields:
                label = f"{where}.{key}" if where else str(key)
                raise self.fail(node, key, label, "未知字段("
                                f"{_did_you_mean(str(key), fields)}应为其中之一:"
                                f"{', '.join(fields)})")

    # -- values ---------------------------------------------------------------------
    def mapping(self, node: Any, where: str, parent: Any = None,
                key: str | None = None) -> _yaml.LineDict:
        if not isinstance(node, _yaml.LineDict):
            raise self.fail(parent if parent is not None else node, key, where,
                            "应为字段映射(键: 值)")
        return node

    def text(self, node: Any, key: str, where: str, *, required: bool = True,
             kind: str = LINE) -> str:
        value = node.get(key)
        label = f"{where}.{key}"
        if isinstance(value, str):
            text = value.strip()
        elif value is None:
            text = ""
        elif not isinstance(value, (bool, int, float, dt.date)):  # a list, mapping, set…
            raise self.fail(node, key, label, "应为文本")
        else:
            raw = node.raw_of(key) if isinstance(node, _yaml.LineDict) else None
            raw = str(value) if raw is None else raw
            if kind == NAME:
                what = next(w for t, w in _YAML_KINDS if isinstance(value, t))
                raise self.fail(node, key, label, f"YAML 把 {raw} 读作{what};请加引号:"
                                f"{key}: \"{raw}\"(应为文本)")
            text = raw.strip()
        if not text:
            if required:
                raise self.fail(node, key, label, "必须填写")
            return ""
        bad = (_LONG_CONTROL if kind == LONG else _LINE_CONTROL).search(text)
        if bad:
            raise self.fail(node, key, label, f"含有{_control_name(bad.group())}"
                            f"(应为{'文本' if kind == LONG else '单行文本'},"
                            "不含控制字符)")
        return text

    def ident(self, node: Any, key: str, where: str, example: str, *,
              required: bool = True) -> str:
        raw = self.text(node, key, where, kind=NAME, required=required)
        value = canonical_id(raw)
        if raw and not _ID.match(value):
            raise self.fail(node, key, f"{where}.{key}", f"{raw!r}: 只能用字母、数字、- "
                            f"和 _(最多 40 个;应为编号,如 {example})")
        return value

    def department_ref(self, node: Any, key: str, where: str, *, required: bool = True) -> str:
        """A department named elsewhere in the file, as it is listed under departments."""
        name = self.text(node, key, where, kind=NAME, required=required)
        if not name:
            return ""
        found = self.departments_by_key.get(_fold(name))
        if found is None:
            listed = self.departments_by_key.values()
            raise self.fail(node, key, f"{where}.{key}", f"{name!r} 不在 departments 中("
                            f"{_did_you_mean(name, listed)}应为其中之一:{_listing(listed)})")
        return found

    def date(self, node: Any, key: str, where: str, *, required: bool = True) -> dt.date | None:
        return self.date_value(node.get(key), node, key, f"{where}.{key}", required=required)

    def date_value(self, value: Any, node: Any, key: Any, label: str, *,
                   required: bool = True) -> dt.date | None:
        day: dt.date | None = None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str) and value.strip():
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(value.strip())
        elif value is None or value == "":
            if not required:
                return None
            raise self.fail(node, key, label, "必须填写(应为日期 YYYY-MM-DD)")
        if day is None:
            raise self.fail(node, key, label, f"{value!r} 不是日期(应为 YYYY-MM-DD)")
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise self.fail(node, key, label, f"{day.isoformat()} 超出范围"
                            f"(应为 {YEARS[0]}–{YEARS[1]} 年间的日期)")
        return day

    def number(self, node: Any, key: str, where: str, *, required: bool = True) -> float | None:
        """A quantity or capacity: finite and not negative."""
        value = node.get(key)
        label = f"{where}.{key}"
        if value is None:
            if required:
                raise self.fail(node, key, label, "必须填写(应为数字)")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(node, key, label, f"{value!r} 不是数字")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or number < 0:
            raise self.fail(node, key, label, f"{node.raw_of(key) or value} 超出范围"
                            "(应为 >= 0 的数字)")
        return number

    def items(self, data: Any, key: str, *, required: bool = False) -> list[tuple[Any, str]]:
        node = data.get(key)
        if node is None:
            if required:
                raise self.fail(data, None, key, "必须填写(应为列表)")
            return []
        if not isinstance(node, list):
            raise self.fail(data, key, key, "应为列表")
        return [(self.mapping(item, f"{key}[{i}]", node), f"{key}[{i}]")
                for i, item in enumerate(node)]

    # -- sections -------------------------------------------------------------------
    def project(self, data: Any, root: Path) -> Project:
        if data is None:
            raise ProjectError(f"{self.path}:1: 文件是空的(应包含 project、"
                               "departments、tasks 等)")
        data = self.mapping(data, "project.yaml")
        self.known(data, _TOP_FIELDS, "")
        head = self.mapping(data.get("project"), "project", data, "project")
        self.known(head, _PROJECT_FIELDS, "project")
        pid_raw = self.text(head, "id", "project", kind=NAME)
        pid = unicodedata.normalize("NFKC", pid_raw)
        if not _PROJECT_ID.match(pid):
            raise self.fail(head, "id", "project.id", f"{pid_raw!r}: 只能用字母、数字、- _ ."
                            "(最多 40 个;应为编号,如 UG-2024Q3)")
        start, end = self.date(head, "start", "project"), self.date(head, "end", "project")
        assert start is not None and end is not None
        if end < start:
            raise self.fail(head, "end", "project.end", "早于 project.start")
        priority = self.text(head, "priority", "project", required=False) or "中"
        if priority not in PRIORITIES:
            raise self.fail(head, "priority", "project.priority",
                            f"{priority!r} 不是 高/中/低 之一")
        departments = self.departments(data, pid)
        initiating = self.department_ref(head, "initiating_department", "project")
        milestones = self.milestones(data)
        tasks = self.tasks(data, {m.id: m for m in milestones})
        cancelled = [t for t in tasks if t.cancelled is not None]
        tasks = [t for t in tasks if t.cancelled is None]
        results = self.results(data)
        resources = self.resources(data)
        opinions = []
        for node, where in self.items(data, "opinions"):
            self.known(node, _OPINION_FIELDS, where)
            opinions.append(Opinion(self.department_ref(node, "department", where),
                                    self.text(node, "by", where, kind=NAME),
                                    self.text(node, "opinion", where, kind=LONG)))
        overrides = data.get("spec_overrides") or {}
        if not isinstance(overrides, Mapping):
            raise self.fail(data, "spec_overrides", "spec_overrides", "应为映射(键: 值)")
        return Project(
            id=pid, name=self.text(head, "name", "project", kind=NAME),
            initiating_department=initiating,
            initiator=self.text(head, "initiator", "project", kind=NAME),
            contact=self.text(head, "contact", "project"),
            start=start, end=end,
            background=self.text(head, "background", "project", kind=LONG),
            goals=self.text(head, "goals", "project", kind=LONG),
            priority=priority,
            approver=self.text(head, "approver", "project", required=False, kind=NAME),
            approver_email=self.email(head, "approver_email", "project"),
            departments=tuple(departments), milestones=tuple(milestones),
            resources=tuple(resources), results=tuple(results), opinions=tuple(opinions),
            tasks=tuple(tasks), settings=self.settings(data),
            spec_overrides=overrides, root=root,
            pools=tuple(self.pools(data)), consensus=self.consensus(data),
            cancelled_tasks=tuple(cancelled),
        )

    def departments(self, data: Any, project_id: str) -> list[Department]:
        out: list[Department] = []
        # file name part (folded) -> what owns it; the master workbook shares the folder
        files: dict[str, str] = {_fold(MASTER_PART): f"PMO 总表({MASTER_PART})"}
        codes: dict[str, int] = {}
        for i, (node, where) in enumerate(self.items(data, "departments", required=True)):
            self.known(node, _DEPARTMENT_FIELDS, where)
            name = self.text(node, "name", where, kind=NAME)
            if '"' in name:
                raise self.fail(node, "name", f"{where}.name", f"{name!r}: 双引号会破坏工作簿中的"
                                "下拉列表(应为不含 \" 的名称;可用「」或“”)")
            key = _fold(name)
            first = self.departments_by_key.get(key)
            if first is not None:
                raise self.fail(node, "name", f"{where}.name", f"{name!r} 与第 "
                                f"{self.department_lines[key]} 行的 {first!r} 是同一部门"
                                "(比较名称时不区分大小写和全角半角)")
            part = safe_name(name)
            owner = files.get(_fold(part))
            if owner is not None:
                raise self.fail(node, "name", f"{where}.name", f"{name!r} 在文件名中变为 "
                                f"{part!r},与 {owner}相同;请改掉其中一个名称")
            longest = _temp_name(workbook_file_name(project_id, "2024-W01", name))
            size = _fs_length(longest)
            if size > NAME_MAX:
                room = NAME_MAX - size + _fs_length(part)
                raise self.fail(node, "name", f"{where}.name", f"作为文件名太长:工作簿"
                                f"先写为 {longest!r},共 {size} 字节,而文件系统最多允许 "
                                f"{NAME_MAX} 字节(项目编号为 {project_id!r} 时,部门名最多 {room} "
                                f"字节,即 {room // 3} 个汉字)")
            self.departments_by_key[key] = name
            self.department_lines[key] = self.line(node, "name")
            files[_fold(part)] = f"{name!r}(第 {self.line(node, 'name')} 行)"
            code = canonical_id(self.text(node, "code", where, required=False, kind=NAME)
                                ) or f"D{i + 1}"
            if not _CODE.match(code):
                raise self.fail(node, "code", f"{where}.code",
                                f"{code!r}: 应为 1-8 个字母或数字(如 TEC)")
            if code in codes:
                raise self.fail(node, "code" if "code" in node else "name", f"{where}.code",
                                f"部门代码 {code!r} 重复(首次在第 "
                                f"{codes[code]} 行;未写代码的部门为 D<n>)")
            codes[code] = self.line(node, "code" if "code" in node else "name")
            email = self.text(node, "email", where, required=False)
            problem = email and _email_problem(email)
            if problem:
                raise self.fail(node, "email", f"{where}.email", f"{email!r} {problem}"
                                "(应为 name@example.com 这样的地址)")
            out.append(Department(
                name, code, self.text(node, "head", where, required=False, kind=NAME),
                self.text(node, "head_title", where, required=False), email,
                self.number(node, "capacity", where, required=False),
                head_email=self.email(node, "head_email", where),
                budget=self.number(node, "budget", where, required=False),
                equipment=self.equipment(node, where),
            ))
        if not out:
            raise self.fail(data, "departments", "departments", "至少要列出一个部门")
        return out

    def email(self, node: Any, key: str, where: str) -> str:
        """An optional single e-mail address."""
        address = self.text(node, key, where, required=False)
        problem = address and _email_problem(address)
        if problem:
            raise self.fail(node, key, f"{where}.{key}", f"{address!r} {problem}"
                            "(应为 name@example.com 这样的地址)")
        return address

    def milestones(self, data: Any) -> list[Milestone]:
        out: list[Milestone] = []
        seen: dict[str, int] = {}
        for node, where in self.items(data, "milestones"):
            self.known(node, _MILESTONE_FIELDS, where)
            mid = self.ident(node, "id", where, "M1")
            if mid in seen:
                raise self.fail(node, "id", f"{where}.id", f"里程碑 {mid!r} 重复"
                                f"(首次在第 {seen[mid]} 行)")
            seen[mid] = self.line(node, "id")
            date = self.date(node, "date", where)
            assert date is not None
            out.append(Milestone(mid, self.text(node, "name", where, kind=NAME), date))
        return out

    def tasks(self, data: Any, milestones: dict[str, Milestone]) -> list[Task]:
        out: list[Task] = []
        seen: dict[str, int] = {}
        links: list[tuple[Any, str, str, tuple[str, ...]]] = []
        for node, where in self.items(data, "tasks", required=True):
            self.known(node, _TASK_FIELDS, where)
            tid = self.ident(node, "id", where, "T01")
            if tid in seen:
                raise self.fail(node, "id", f"{where}.id", f"任务编号 {tid!r} 重复"
                                f"(首次在第 {seen[tid]} 行)")
            seen[tid] = self.line(node, "id")
            dept = self.department_ref(node, "department", where)
            ms = self.ident(node, "milestone", where, "M1", required=False)
            if ms and ms not in milestones:
                raise self.fail(node, "milestone", f"{where}.milestone",
                                f"{ms!r} 不是里程碑编号({_did_you_mean(ms, milestones)}"
                                f"应为其中之一:{_listing(milestones) or '未定义里程碑'})")
            due = self.date(node, "due", where)
            assert due is not None
            start = self.date(node, "start", where, required=False)
            if start is not None and start > due:
                raise self.fail(node, "start", f"{where}.start", f"{start.isoformat()} 晚于"
                                f"任务的截止日期 {due.isoformat()}(开始日期应不晚于"
                                "截止日期)")
            after = self.predecessors(node, where, tid)
            cancelled = self.date(node, "cancelled", where, required=False)
            if after and cancelled is None:
                links.append((node, where, tid, after))
            out.append(Task(
                tid, dept, self.text(node, "role", where),
                self.text(node, "duty", where, kind=LONG),
                self.text(node, "deliverable", where, kind=LONG), due,
                self.text(node, "owner", where, kind=NAME), ms,
                milestones[ms].name if ms else "", start=start, after=after,
                cancelled=cancelled,
            ))
        gone = {t.id: t.cancelled for t in out if t.cancelled is not None}
        for node, where, tid, after in links:  # a cancelled task is no one's predecessor
            for pid in after:
                if pid in gone:
                    raise self.fail(node, "after", f"{where}.after", f"{pid} 已取消"
                                    f"(cancelled: {gone[pid]}):请从任务 {tid} 的 "
                                    "after(前置任务)中删去")
        self.check_links(links, {t: n for t, n in seen.items() if t not in gone})
        return out

    def predecessors(self, node: Any, where: str, tid: str) -> tuple[str, ...]:
        """`after`: one id, a list, or ids separated by commas (、，, or spaces)."""
        value = node.get("after")
        label = f"{where}.after"
        if value is None or value == "":
            return ()
        if isinstance(value, list):
            parts = value
        elif isinstance(value, str):
            parts = [p for p in re.split(r"[,，、;；\s]+", value) if p]
        else:
            raise self.fail(node, "after", label, f"{node.raw_of('after') or value!r}: 应为"
                            "任务编号(T03,或列表 [T03, T05])")
        out: dict[str, None] = {}  # ordered, without repeats
        for part in parts:
            if not isinstance(part, str):
                raise self.fail(node, "after", label, f"{part!r} 不是任务编号(应为"
                                "T03 这样的编号;纯数字请加引号)")
            pid = canonical_id(part)
            if not _ID.match(pid):
                raise self.fail(node, "after", label, f"{part!r}: 只能用字母、数字、- 和 _"
                                "(应为任务编号,如 T03)")
            if pid == tid:
                raise self.fail(node, "after", label, f"任务 {tid} 不能以自己为前置任务")
            out[pid] = None
        return tuple(out)

    def check_links(self, links: list[tuple[Any, str, str, tuple[str, ...]]],
                    seen: Mapping[str, int]) -> None:
        """Every predecessor is a task; the links have no cycle. Linear: one pass over
        the links, then a depth-first walk that visits each task once."""
        for node, where, _tid, after in links:
            for pid in after:
                if pid not in seen:
                    raise self.fail(node, "after", f"{where}.after", f"{pid!r} 不是任务编号"
                                    f"({_did_you_mean(pid, seen)}应为其中之一:"
                                    f"{_listing(seen)})")
        graph = {tid: after for _n, _w, tid, after in links}
        where_of = {tid: (node, where) for node, where, tid, _a in links}
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in graph:
            if root in state:
                continue
            path: list[str] = [root]
            stack = [iter(graph[root])]
            state[root] = 1
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    state[path.pop()] = 2
                    stack.pop()
                elif state.get(nxt) == 1:
                    cycle = path[path.index(nxt):] + [nxt]
                    node, where = where_of[path[-1]]  # the link that closes the cycle
                    raise self.fail(node, "after", f"{where}.after", "前置任务形成了循环:"
                                    f"{' → '.join(reversed(cycle))}(任务不能等待自己;"
                                    "请删去其中一个依赖)")
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(graph.get(nxt, ())))

    def results(self, data: Any) -> list[ExpectedResult]:
        out: list[ExpectedResult] = []
        seen: dict[str, int] = {}
        for node, where in self.items(data, "expected_results"):
            self.known(node, _RESULT_FIELDS, where)
            rid = self.ident(node, "id", where, "R1")
            if rid in seen:
                raise self.fail(node, "id", f"{where}.id", f"成果编号 {rid!r} 重复"
                                f"(首次在第 {seen[rid]} 行)")
            seen[rid] = self.line(node, "id")
            raw = self.text(node, "target", where)
            m = _TARGET.match(raw)
            value = float(m["num"].replace(",", "")) if m else math.nan
            if not m or not math.isfinite(value):
                raise self.fail(node, "target", f"{where}.target",
                                f"{raw!r} 不是目标值(应为如 '>= 100000' 或 '>= 15%')")
            target = Target(_OPS.get(m["op"], m["op"]), value, bool(m["pct"]))
            out.append(ExpectedResult(
                rid, self.text(node, "name", where, kind=NAME), target,
                self.text(node, "unit", where, required=False),
                self.department_ref(node, "department", where, required=False)))
        return out

    def resources(self, data: Any) -> list[Resource]:
        out: list[Resource] = []
        for node, where in self.items(data, "resources"):
            self.known(node, _RESOURCE_FIELDS, where)
            dept = self.department_ref(node, "department", where)
            r_start = self.date(node, "start", where, required=False)
            r_end = self.date(node, "end", where, required=False)
            if r_start and r_end and r_end < r_start:
                raise self.fail(node, "end", f"{where}.end", "早于其开始日期")
            unit = self.text(node, "unit", where, required=False)
            out.append(Resource(dept, self.text(node, "item", where),
                                self.number(node, "quantity", where) or 0.0, unit,
                                self.text(node, "note", where, required=False, kind=LONG),
                                r_start, r_end, self.kind(node, where, unit),
                                line=self.line(node, "item")))
        return out

    def kind(self, node: Any, where: str, unit: str) -> ResourceKind:
        """人力/预算/设备 as written, or inferred from the unit; a kind that its unit
        cannot measure (预算 in 台) is refused."""
        raw = self.text(node, "kind", where, required=False, kind=NAME)
        if not raw:
            return infer_kind(unit)
        if raw not in _KINDS:
            raise self.fail(node, "kind", f"{where}.kind", f"{raw!r} 不是资源类别"
                            f"(应为其中之一:{'/'.join(_KINDS)})")
        kind = ResourceKind(raw)
        if kind is ResourceKind.BUDGET and unit and not is_money_unit(unit):
            raise self.fail(node, "unit", f"{where}.unit", f"{unit!r} 不是金额单位"
                            "(类别为预算时应为 元 或 万元)")
        if kind is ResourceKind.PEOPLE and unit and not is_people_unit(unit):
            raise self.fail(node, "unit", f"{where}.unit", f"{unit!r} 不是人数单位"
                            "(类别为人力时应为 名 或 人)")
        if kind is ResourceKind.EQUIPMENT and (is_money_unit(unit) or is_people_unit(unit)):
            raise self.fail(node, "unit", f"{where}.unit", f"{unit!r} 不是设备单位"
                            "(类别为设备时应为 台、套 等)")
        return kind

    def equipment(self, node: Any, where: str) -> tuple[tuple[str, float], ...]:
        """`equipment: {服务器: 10}`: units of each item the department can lend."""
        value = node.get("equipment")
        if value is None:
            return ()
        label = f"{where}.equipment"
        if not isinstance(value, _yaml.LineDict):
            raise self.fail(node, "equipment", label, "应为 物品: 数量 的映射"
                            "(如 {服务器: 10})")
        out = []
        for item in value:
            number = self.number(value, item, label)
            assert number is not None
            out.append((str(item).strip(), number))
        return tuple(out)

    def pools(self, data: Any) -> list[Pool]:
        out: list[Pool] = []
        for node, where in self.items(data, "pools"):
            self.known(node, _POOL_FIELDS, where)
            raw = self.text(node, "kind", where, kind=NAME)
            if raw not in _KINDS:
                raise self.fail(node, "kind", f"{where}.kind", f"{raw!r} 不是资源"
                                f"类别(应为其中之一:{'/'.join(_KINDS)})")
            unit = self.text(node, "unit", where, required=False)
            kind = self.kind(node, where, unit)
            item = self.text(node, "item", where, required=kind is ResourceKind.EQUIPMENT)
            out.append(Pool(kind, self.number(node, "quantity", where) or 0.0, unit, item,
                            line=self.line(node, "kind")))
        return out

    def consensus(self, data: Any) -> Consensus:
        node = data.get("consensus")
        if node is None:
            return Consensus()
        node = self.mapping(node, "consensus", data, "consensus")
        self.known(node, _CONSENSUS_FIELDS, "consensus")
        return Consensus(
            date=self.date(node, "date", "consensus", required=False),
            attendees=self.names(node, "attendees", "consensus"),
            feasibility=self.text(node, "feasibility", "consensus", required=False, kind=LONG),
            resource_needs=self.text(node, "resources", "consensus", required=False, kind=LONG),
            risks=self.names(node, "risks", "consensus", kind=LONG),
            conclusion=self.text(node, "conclusion", "consensus", required=False, kind=LONG))

    def names(self, node: Any, key: str, where: str, *, kind: str = LINE) -> tuple[str, ...]:
        """A list of texts, or one text with items separated by 、 , ;"""
        value = node.get(key)
        if value is None:
            return ()
        if isinstance(value, list):
            out = []
            for i, item in enumerate(value):
                if isinstance(item, (list, dict)):
                    raise self.fail(value, i, f"{where}.{key}[{i}]", "应为文本")
                text = "" if item is None else str(item).strip()
                bad = (_LONG_CONTROL if kind == LONG else _LINE_CONTROL).search(text)
                if bad:
                    raise self.fail(value, i, f"{where}.{key}[{i}]",
                                    f"含有{_control_name(bad.group())}")
                if text:
                    out.append(text)
            return tuple(out)
        text = self.text(node, key, where, required=False, kind=kind)
        return tuple(t.strip() for t in re.split(r"[、,，;；]", text) if t.strip())

    def settings(self, data: Any) -> Settings:
        node = data.get("settings")
        if node is None:
            return Settings()
        node = self.mapping(node, "settings", data, "settings")
        self.known(node, _SETTING_FIELDS, "settings")
        kwargs: dict[str, Any] = {}
        for key, (low, high) in _SETTING_RANGES.items():
            if key in node:
                value = node[key]
                if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                    expected = ("1(周一)到 7(周日)" if key == "return_weekday"
                                else f"{low} 到 {high} 的整数")
                    raise self.fail(node, key, f"settings.{key}",
                                    f"{node.raw_of(key) or repr(value)} 超出范围"
                                    f"(应为 {expected})")
                kwargs[key] = value
        if "workdays" in node:
            if not isinstance(node["workdays"], bool):
                raise self.fail(node, "workdays", "settings.workdays", "应为 true 或 false")
            kwargs["workdays"] = node["workdays"]
        for key in ("holidays", "extra_workdays"):
            values = node.get(key) or []
            if not isinstance(values, list):
                raise self.fail(node, key, f"settings.{key}", "应为日期列表")
            days = []
            for i, v in enumerate(values):
                day = self.date_value(v, values, i, f"settings.{key}[{i}]")
                assert day is not None
                days.append(day)
            kwargs[key] = tuple(days)
        if "headers" in node:
            if node["headers"] not in HEADER_LANGUAGES:
                raise self.fail(node, "headers", "settings.headers",
                                f"{node['headers']!r}(应为其中之一:{', '.join(HEADER_LANGUAGES)})")
            kwargs["headers"] = node["headers"]
        if "protect_password" in node:
            kwargs["protect_password"] = self.text(node, "protect_password", "settings",
                                                   required=False)
        return Settings(**kwargs)
