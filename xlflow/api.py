"""What a Python user calls; the CLI is a thin layer over these functions.

Nothing here prints or exits: functions return results and raise XlflowError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import smtplib
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import resources as package_files
from pathlib import Path
from typing import Any

from ._files import atomic_path, project_lock, remove_stale_temps, safe_name
from .archive import collect, find_cases, register_case, snapshot_ledger, write_archive
from .errors import ProjectError, XlflowError
from .issues import Issue, Severity, error, warning
from .ledger import LEDGER_FILE, Ledger
from .lifecycle import (
    ACCEPTED,
    APPROVED,
    ARCHIVED,
    FILED,
    OPINION,
    RETRO,
    SENT,
    Status,
    approval_checks,
    compute_status,
    missing_opinions,
)
from .mail import SmtpSettings, compose, send_all, sender_address
from .project import PROJECT_FILE, Opinion, Project, load_project
from .reader import DEPARTMENT_TEMPLATES, Returned, read_returned
from .reconcile import (
    DONE_STATUSES,
    Context,
    MergeReport,
    Record,
    RiskRecord,
    Source,
    SourceFile,
    changes_since,
    count_errors,
    merge_acceptance,
    merge_feedback,
    merge_risks,
    merge_tasks,
    rollup_departments,
    rollup_milestones,
    validate_table,
)
from .report.acceptance import write_acceptance
from .report.consolidated import write_consolidated
from .report.resources import write_resource_plan
from .report.retro import render_retro_html, write_retro_workbook
from .report.review import write_review
from .resources import ResourcePlan, plan_resources
from .retro import Retrospective, build_retrospective
from .review import MonthlyReview, build_review, month_bounds
from .spec import ColumnType, SpecSet, TemplateSpec, load_specs, parse_versions
from .weeks import normalise_week, week_label
from .writer import write_department_workbook, write_master_workbook
from .writer._identity import IDENTITY_SHEET
from .writer.department import context_fields, return_deadline

INBOX, OUTBOX, REPORTS = "inbox", "outbox", "reports"


def _example_text(name: str) -> str:
    return package_files.files("xlflow.examples").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class InitResult:
    project_file: Path
    example: bool


def init_project(directory: Path | str, *, example: bool = False, force: bool = False,
                 today: dt.date | None = None) -> InitResult:
    """Create DIR/project.yaml (blank, or the seed's 用户增长活动 example) and the
    inbox/outbox/reports folders."""
    root = Path(directory)
    target = root / PROJECT_FILE
    if target.exists() and not force:
        raise ProjectError(f"{target} already exists (use --force to overwrite it)")
    if example:
        text = _example_text("user-growth.yaml")
    else:
        start = today or dt.date.today()
        text = _example_text("blank.yaml").format(
            start=start.isoformat(), end=(start + dt.timedelta(days=29)).isoformat())
    root.mkdir(parents=True, exist_ok=True)
    for sub in (INBOX, OUTBOX, REPORTS):
        (root / sub).mkdir(exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return InitResult(target, example)


@dataclass(frozen=True)
class BuildResult:
    project: Project
    week: str
    outbox: Path
    master: Path
    departments: dict[str, Path] = field(default_factory=dict)


def resolve_week(week: str | None, as_of: dt.date | None = None) -> str:
    if week:
        try:
            return normalise_week(week)
        except ValueError as exc:
            raise ProjectError(f"--week: {exc}") from None
    return week_label(as_of or dt.date.today())


def department_file_name(project: Project, week: str, department: str) -> str:
    return f"{safe_name(project.id)}-{week}-{safe_name(department)}.xlsx"


def build(directory: Path | str, *, week: str | None = None,
          departments: list[str] | None = None,
          built_at: dt.datetime | None = None) -> BuildResult:
    """Write DIR/outbox/<week>/: one workbook per department and the PMO master."""
    root = Path(directory)
    project = load_with_events(root)
    specs = project.specs()
    week = resolve_week(week)
    built_at = built_at or dt.datetime.now().astimezone().replace(microsecond=0)
    names = [d.name for d in project.departments]
    for name in departments or ():
        if name not in names:
            raise ProjectError(f"--department: {name!r} is not in {PROJECT_FILE} "
                               f"({'、'.join(names)})")
    chosen = departments or names
    outbox = root / OUTBOX / week
    written: dict[str, Path] = {}
    context = context_fields(project)
    prior_weekly, prior_risks = _carry_forward(root, week, specs)
    with project_lock(root):
        for name in chosen:
            target = outbox / department_file_name(project, week, name)
            with atomic_path(target) as tmp:
                write_department_workbook(tmp, project, specs, name, week, built_at=built_at,
                                          file_id=uuid.uuid4().hex, context=context,
                                          prior_weekly=prior_weekly,
                                          prior_risks=prior_risks.get(name, []))
            written[name] = target
        master = outbox / f"{safe_name(project.id)}-{week}-PMO总表.xlsx"
        with atomic_path(master) as tmp:
            write_master_workbook(tmp, project, specs, week, built_at=built_at,
                                  file_id=uuid.uuid4().hex, approvals=_approvals(root))
    return BuildResult(project, week, outbox, master, written)


def _carry_forward(root: Path, week: str, specs: SpecSet
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Last accepted weekly values per task and open risks per department, from the
    latest merge of an earlier week, so departments update rather than retype."""
    if not Ledger.exists(root):
        return {}, {}
    with Ledger.open(root) as ledger:
        merge_id = ledger.merge_before(week)
        if merge_id is None:
            return {}, {}
        tasks, risks = ledger.tasks(merge_id), ledger.risks(merge_id)
    weekly: dict[str, dict[str, Any]] = {}
    for t in tasks:
        if not t.get("reported"):
            continue
        values: dict[str, Any] = dict(t.get("texts") or {})
        if t.get("percent") is not None:
            values["percent"] = t["percent"] / 100  # a 0% cell holds a fraction
        for key, stored in (("actual_date", "actual"), ("forecast_date", "forecast")):
            if t.get(stored):
                values[key] = dt.date.fromisoformat(t[stored])
        weekly[t["id"]] = values
    open_risks: dict[str, list[dict[str, Any]]] = {}
    for data in risks:
        risk = stored_risk(data, specs["risks"])
        if risk.is_open:
            open_risks.setdefault(risk.department, []).append(
                {**risk.values, "risk_id": risk.risk_id, "department": risk.department})
    return weekly, open_risks


# -- merge and validate ------------------------------------------------------------------

ProgressFn = Callable[[int, int], None]


def list_inbox(root: Path) -> list[Path]:
    """Every file in DIR/inbox and its subfolders (e.g. one per week), except office lock
    files (~$name.xlsx) and dotfiles."""
    inbox = root / INBOX
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.rglob("*")
                  if not p.name.startswith(("~$", ".")) and not p.is_dir()
                  and not any(part.startswith(".") for part in p.relative_to(inbox).parts))


@dataclass
class _Checked:
    """One returned file after identification and validation."""

    ret: Returned
    department: str = ""
    accepted: bool = False
    reason: str = ""
    records: dict[str, list[Record]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def _identify(ret: Returned, ctx: Context, *, check_week: bool = True) -> _Checked:
    checked = _Checked(ret, issues=list(ret.issues))
    where = {"file": ret.name, "sheet": IDENTITY_SHEET}

    def refuse(code: str, message: str, **extra: str) -> _Checked:
        checked.issues.append(error(code, message, **{**where, **extra}))
        checked.reason = message
        return checked

    if not ret.readable:
        checked.reason = next((i.message for i in ret.issues if i.is_error), "无法读取")
        return checked
    ident = ret.identity
    if not ident:
        guess = _guess_department(ret, ctx)
        if not guess:
            return refuse("no-identity", "找不到 _xlflow 标识页,也无法从表中判断部门;"
                          "请用 xlflow build 生成的文件填写")
        checked.issues.append(warning("no-identity", f"_xlflow 标识页缺失;按表中「部门」列识别为{guess}",
                                      **where))
        ident = {"department": guess, "project_id": ctx.project_id, "week": ctx.week,
                 "kind": "department"}
    if ident.get("kind", "department") != "department":
        return refuse("not-a-department-file", "这是 PMO 总表,不是部门交回的文件")
    if ident.get("project_id") != ctx.project_id:
        return refuse("wrong-project", f"文件属于项目 {ident.get('project_id')!r},不是本项目",
                      value=str(ident.get("project_id")), expected=ctx.project_id)
    if check_week and ident.get("week") != ctx.week:
        checked.department = ident.get("department", "")
        return refuse("wrong-week", f"这是 {ident.get('week')} 的文件,本次汇总的是 {ctx.week};"
                      "请用本周的文件填写", value=str(ident.get("week")), expected=ctx.week)
    department = ident.get("department", "")
    if department not in ctx.departments:
        return refuse("unknown-department", f"部门 {department!r} 不在项目文件中",
                      value=department, expected="、".join(ctx.departments))
    shown = _table_departments(ret)
    if shown and shown != {department}:
        return refuse("identity-mismatch", f"_xlflow 标识为{department},但周进度跟踪表的部门列是"
                      f"{'、'.join(sorted(shown))};文件可能被改动,未采用",
                      value="、".join(sorted(shown)), expected=department)
    versions = parse_versions(ident.get("spec_version", ""))
    older = [f"{t.title_zh} v{versions.get(t.key, 0)}<v{t.version}" for t in ctx.specs
             if t.key in DEPARTMENT_TEMPLATES and versions.get(t.key, 0) < t.version]
    if "spec_version" in ident and older:
        return refuse("old-spec", "文件由旧版模板生成(" + "、".join(older) + ");请用新生成的文件填写")
    if ident.get("spec_digest") and ident["spec_digest"] != ctx.specs.digest:
        checked.issues.append(warning("spec-changed", "文件生成后模板的列有调整;按表头对应读取",
                                      **where))
    checked.department = department
    checked.accepted = True
    for key in DEPARTMENT_TEMPLATES:
        spec = ctx.specs[key]
        table = ret.tables.get(key)
        if table is None:
            if not any(i.sheet == spec.sheet for i in ret.issues):
                checked.issues.append(error("missing-sheet", f"缺少工作表「{spec.sheet}」",
                                            file=ret.name, sheet=spec.sheet))
            continue
        records, issues = validate_table(table, spec, ctx, file=ret.name, sha256=ret.sha256,
                                         department=department)
        checked.records[key] = records
        checked.issues.extend(issues)
    return checked


def _table_departments(ret: Returned) -> set[str]:
    """The departments written in the locked 部门 column of the weekly sheet."""
    table = ret.tables.get("weekly") or ret.tables.get("risks")
    if table is None or "department" not in table.columns:
        return set()
    col = table.columns["department"]
    return {str(row[col]).strip() for _, row in table.rows
            if col < len(row) and isinstance(row[col], str) and row[col].strip()}


def _guess_department(ret: Returned, ctx: Context) -> str:
    seen = _table_departments(ret)
    return seen.pop() if len(seen) == 1 and next(iter(seen), "") in ctx.departments else ""


def _excuse_other_weeks(checked: list[_Checked]) -> None:
    """Last week's files stay in the inbox: when a department has sent this week's file,
    its other-week files are set aside with a warning, not an error."""
    current = {c.department for c in checked if c.accepted}
    for c in checked:
        if c.department in current and not c.accepted:
            c.issues = [replace(i, code="other-week", severity=Severity.WARNING,
                                message=i.message.split(";")[0] + ";本周已有新文件,此文件不计入")
                        if i.code == "wrong-week" else i for i in c.issues]


def _choose_newest(checked: list[_Checked]) -> list[Issue]:
    """Two returns from one department: the newer counts, both are listed."""
    issues: list[Issue] = []
    by_dept: dict[str, list[_Checked]] = {}
    for c in checked:
        if c.accepted:
            by_dept.setdefault(c.department, []).append(c)
    for dept, group in by_dept.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda c: (c.ret.received or dt.datetime.min,
                                  c.ret.identity.get("built_at", ""), c.ret.name))
        newest = group[-1]
        for old in group[:-1]:
            old.accepted = False
            old.reason = f"{dept}有更新的文件 {newest.ret.name},本文件未采用"
            issues.append(warning("superseded", old.reason, file=old.ret.name))
    return issues


def _read_all(paths: list[Path], specs: SpecSet, progress: ProgressFn | None) -> list[Returned]:
    """Read every file; with many files two threads overlap calamine's and zlib's work
    (both release the GIL). Results keep the order of `paths`."""
    out: list[Returned] = []
    workers = min(4, os.cpu_count() or 1) if len(paths) > 4 else 1
    if os.environ.get("XLFLOW_WORKERS", "").strip().isdigit():  # e.g. 1: benchmarks, one core
        workers = max(1, int(os.environ["XLFLOW_WORKERS"]))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for n, ret in enumerate(pool.map(lambda p: read_returned(p, specs), paths), start=1):
            out.append(ret)
            if progress:
                progress(n, len(paths))
    return out


def merge(directory: Path | str, files: list[Path | str] | None = None, *,
          as_of: dt.date | None = None, week: str | None = None,
          workdays: bool | None = None, progress: ProgressFn | None = None,
          write: bool = True, run_at: dt.datetime | None = None) -> MergeReport:
    """Read the returns, validate, merge, compute deviation; write the consolidated
    report and the ledger (unless write=False). Never modifies an input."""
    root = Path(directory)
    project = load_project(root)
    as_of = as_of or dt.date.today()
    week = resolve_week(week, as_of)
    ctx = Context.from_project(project, week, as_of, workdays)
    paths = [Path(f) for f in files] if files else list_inbox(root)
    run_at = run_at or dt.datetime.now().astimezone().replace(microsecond=0)
    with project_lock(root) if write else contextlib.nullcontext():
        returns = _read_all(paths, ctx.specs, progress)
        checked = [_identify(r, ctx) for r in returns]
        _excuse_other_weeks(checked)
        issues: list[Issue] = [i for c in checked for i in c.issues]
        issues += _choose_newest(checked)
        accepted = [c for c in checked if c.accepted]
        for dept in ctx.departments:
            if not any(c.department == dept for c in accepted):
                issues.append(warning("no-return", f"{dept}本次没有交回可用的文件"))
        by_template = {key: {c.department: c.records.get(key, []) for c in accepted}
                       for key in DEPARTMENT_TEMPLATES}
        previous_tasks: dict[str, dict[str, Any]] = {}
        previous_risks: list[dict[str, Any]] = []
        has_previous = False
        if Ledger.exists(root):
            with Ledger.open(root) as ledger:
                prev = ledger.merge_before(week)
                if prev is not None:
                    has_previous = True
                    previous_tasks = {t["id"]: t for t in ledger.tasks(prev)}
                    previous_risks = ledger.risks(prev)
        carried = [stored_risk(r, ctx.specs["risks"]) for r in previous_risks]
        tasks, task_issues = merge_tasks(by_template["weekly"], ctx)
        risks, risk_issues = merge_risks(by_template["risks"], ctx, carried)
        acceptance, acc_issues = merge_acceptance(by_template["acceptance"], ctx)
        feedback = merge_feedback(by_template["retro"])
        issues += task_issues + risk_issues + acc_issues
        report = MergeReport(
            project_id=project.id, project_name=project.name, week=week, as_of=as_of,
            workdays=ctx.calendar is not None, threshold=ctx.threshold,
            files=[SourceFile(str(c.ret.path), c.ret.name, c.ret.sha256, c.department,
                              c.ret.received.isoformat() if c.ret.received else "",
                              c.ret.size, c.accepted, c.reason) for c in checked],
            tasks=tasks, risks=risks, acceptance=acceptance, feedback=feedback, issues=issues,
            departments=rollup_departments(tasks, ctx.departments),
            milestones=rollup_milestones(tasks, ctx.milestones),
            changes=changes_since(tasks, risks, previous_tasks,
                                  {r["id"]: r for r in previous_risks}),
            has_previous=has_previous, run_at=run_at.isoformat(timespec="seconds"),
        )
        if ctx.calendar is not None and ctx.calendar.uncovered_years:
            years = "、".join(map(str, sorted(ctx.calendar.uncovered_years)))
            report.issues.append(warning("calendar-gap", f"节假日日历不含 {years} 年;这些年份按周一至周五"
                                         "计算工作日,可在 project.yaml 的 settings.holidays/"
                                         "extra_workdays 中补充"))
        if write:
            _write_merge(root, project, report)
    return report


def report_path(root: Path, week: str) -> Path:
    return root / REPORTS / f"{week}-consolidated.xlsx"


def _write_merge(root: Path, project: Project, report: MergeReport) -> None:
    """Report and ledger land together: the ledger commits only after the report file
    has been renamed into place; a crash before that leaves both as they were."""
    target = report_path(root, report.week)
    remove_stale_temps(target.parent)
    report.report_path = str(target)
    data = report.to_dict()
    with Ledger.open(root) as ledger, ledger.transaction():
        ledger.replace_merge(
            week=report.week, as_of=report.as_of, run_at=dt.datetime.fromisoformat(report.run_at),
            workdays=report.workdays, sources=data["files"], tasks=data["tasks"],
            risks=data["risks"], acceptance=data["acceptance"], feedback=data["feedback"],
            issues=data["issues"])
        with atomic_path(target) as tmp:
            write_consolidated(tmp, report, project_start=project.start)


def stored_risk(data: dict[str, Any], spec: TemplateSpec) -> RiskRecord:
    """A risk as the ledger keeps it, with its dates typed again."""
    values = dict(data.get("values") or {})
    for column in spec.columns:
        raw = values.get(column.key)
        if isinstance(raw, str) and column.type is ColumnType.DATE:
            values[column.key] = dt.date.fromisoformat(raw)
        elif isinstance(raw, str) and column.type is ColumnType.DATETIME:
            values[column.key] = dt.datetime.fromisoformat(raw)
    src = data.get("source")
    return RiskRecord(data["id"], data["department"], data.get("level", ""),
                      data.get("status", ""), values, list(data.get("flags", [])),
                      Source(**src) if src else None)


@dataclass
class FileCheck:
    path: str
    department: str
    accepted: bool
    issues: list[Issue]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "department": self.department, "accepted": self.accepted,
                "issues": [i.to_dict() for i in self.issues]}


@dataclass
class ValidationReport:
    files: list[FileCheck]

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files],
                "summary": {"files": len(self.files), "errors": self.errors,
                            "warnings": len(self.issues) - self.errors}}


def validate(files: list[Path | str], *, project_dir: Path | str | None = None,
             as_of: dt.date | None = None) -> ValidationReport:
    """The merge's checks for each file on its own, e.g. by a department before sending.
    Without a project folder the workbook's own `_xlflow` sheet supplies the context."""
    as_of = as_of or dt.date.today()
    project = load_project(project_dir) if project_dir else None
    specs = project.specs() if project else load_specs()
    out: list[FileCheck] = []
    for path in map(Path, files):
        ret = read_returned(path, specs)
        if project is not None:
            ctx = Context.from_project(project, ret.identity.get("week") or week_label(as_of),
                                       as_of)
        elif ret.identity.get("project_start"):
            ctx = Context.from_identity(ret.identity, specs, as_of)
        else:
            issues = list(ret.issues) or [error(
                "no-identity", "找不到 _xlflow 标识页;请用 xlflow build 生成的文件,"
                "或用 --project 指定项目文件夹", file=path.name)]
            out.append(FileCheck(str(path), "", False, issues))
            continue
        checked = _identify(ret, ctx, check_week=False)
        issues = list(checked.issues)
        if checked.accepted:
            dept = checked.department
            own = replace(ctx, tasks={k: t for k, t in ctx.tasks.items()
                                      if t.department == dept},
                          results={k: r for k, r in ctx.results.items()
                                   if r.department == dept})
            foreign = {k: t for k, t in ctx.tasks.items() if t.department != dept}
            _, task_issues = merge_tasks({dept: checked.records.get("weekly", [])},
                                         replace(own, tasks={**own.tasks, **foreign}))
            issues += [i for i in task_issues if i.code != "not-reported" or
                       i.value in own.tasks]
            issues += merge_risks({dept: checked.records.get("risks", [])}, ctx)[1]
            issues += merge_acceptance({dept: checked.records.get("acceptance", [])}, own)[1]
        out.append(FileCheck(str(path), checked.department, checked.accepted, issues))
    return ValidationReport(out)


# -- lifecycle: status, approval, PMO filing ---------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def _events(root: Path) -> list[dict[str, Any]]:
    if not Ledger.exists(root):
        return []
    with Ledger.open(root) as ledger:
        return ledger.events()


def load_with_events(root: Path) -> Project:
    """project.yaml plus what the ledger recorded (department heads' opinions)."""
    project = load_project(root)
    recorded = [Opinion(e["data"]["department"], e["by"], e["note"]) for e in _events(root)
                if e["kind"] == OPINION]
    if not recorded:
        return project
    latest = {o.department: o for o in recorded}
    kept = tuple(o for o in project.opinions if o.department not in latest)
    return replace(project, opinions=kept + tuple(latest.values()))


def opinion(directory: Path | str, *, department: str, by: str, text: str,
            at: dt.datetime | None = None) -> StepResult:
    """需求共识: record a department head's opinion (it goes into the minutes)."""
    root = Path(directory)
    project = load_project(root)
    names = [d.name for d in project.departments]
    if department not in names:
        raise ProjectError(f"--department: {department!r} is not in {PROJECT_FILE} "
                           f"({'、'.join(names)})")
    stamp = _record(root, OPINION, by, text, at, {"department": department})
    master = _rewrite_master(root, load_with_events(root))
    return StepResult(OPINION, True, by=by, at=stamp, note=text, outputs=[master])


def status(directory: Path | str, *, today: dt.date | None = None) -> Status:
    """Phase, what is missing to move on, next deadline, late tasks, open high risks."""
    root = Path(directory)
    project = load_with_events(root)
    tasks: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    last_week = None
    if Ledger.exists(root):
        with Ledger.open(root) as ledger:
            latest = ledger.latest_merge()
            if latest:
                tasks, risks, last_week = ledger.tasks(latest[0]), ledger.risks(latest[0]), latest[1]
    return compute_status(project, _events(root), tasks, risks, last_week,
                          today or dt.date.today())


@dataclass
class StepResult:
    """The outcome of a lifecycle step: recorded or not, and why."""

    kind: str
    recorded: bool
    issues: list[Issue] = field(default_factory=list)
    by: str = ""
    at: str = ""
    note: str = ""
    outputs: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "recorded": self.recorded, "by": self.by, "at": self.at,
                "note": self.note, "outputs": [str(p) for p in self.outputs],
                "issues": [i.to_dict() for i in self.issues]}


def _record(root: Path, kind: str, by: str, note: str, at: dt.datetime | None,
            data: dict[str, Any] | None = None) -> str:
    at = at or _now()
    with project_lock(root), Ledger.open(root) as ledger:
        ledger.add_event(kind, by=by, note=note, data=data, at=at)
    return at.isoformat()


def approve(directory: Path | str, *, by: str, note: str = "",
            at: dt.datetime | None = None) -> StepResult:
    """方案审批 by the responsible leader: recorded only when the checks pass; the master
    workbook is rewritten with the approval."""
    root = Path(directory)
    project = load_with_events(root)
    issues = [error("no-consensus", f"{d}负责人尚未给出意见;先达成需求共识") for d in
              missing_opinions(project)]
    issues += approval_checks(project)
    if count_errors(issues):
        return StepResult(APPROVED, False, issues, by=by, note=note)
    stamp = _record(root, APPROVED, by, note, at)
    master = _rewrite_master(root, project)
    return StepResult(APPROVED, True, issues, by=by, at=stamp, note=note, outputs=[master])


def file_project(directory: Path | str, *, by: str, note: str = "",
                 at: dt.datetime | None = None) -> StepResult:
    """PMO备案: the approved plan is filed and the collaboration formally starts."""
    root = Path(directory)
    project = load_project(root)
    if not any(e["kind"] == APPROVED for e in _events(root)):
        return StepResult(FILED, False, [error("not-approved", "方案尚未审批;先运行 xlflow approve")],
                          by=by, note=note)
    number = f"PMO-{project.id}-{(at or _now()).date().strftime('%Y%m%d')}"
    stamp = _record(root, FILED, by, note or f"备案编号 {number}", at, {"number": number})
    return StepResult(FILED, True, by=by, at=stamp, note=note or f"备案编号 {number}")


def _approvals(root: Path) -> list[dict[str, Any]]:
    return [{"by": e["by"], "at": e["at"], "note": e["note"]} for e in _events(root)
            if e["kind"] == APPROVED]


def _rewrite_master(root: Path, project: Project) -> Path:
    """The PMO master for the latest built week (before any build: the project's first
    week), with the approvals and opinions recorded so far."""
    weeks = sorted(p.name for p in (root / OUTBOX).glob("*-W*") if p.is_dir())
    week = weeks[-1] if weeks else week_label(project.start)
    target = root / OUTBOX / week / f"{safe_name(project.id)}-{week}-PMO总表.xlsx"
    with atomic_path(target) as tmp:
        write_master_workbook(tmp, project, project.specs(), week, built_at=_now(),
                              file_id=uuid.uuid4().hex, approvals=_approvals(root))
    return target


# -- sending ---------------------------------------------------------------------------------

@dataclass
class Sent:
    department: str
    to: str
    subject: str
    attachment: str
    eml: str = ""
    sent: bool = False
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class SendResult:
    week: str
    messages: list[Sent]
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count_errors(self.issues)

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "messages": [m.to_dict() for m in self.messages],
                "issues": [i.to_dict() for i in self.issues]}


def send(directory: Path | str, *, week: str | None = None, smtp: SmtpSettings | None = None,
         sender: str = "", departments: list[str] | None = None) -> SendResult:
    """One message per department with its workbook attached: .eml files in
    DIR/outbox/mail/<week>/ by default, or sent with `smtp`."""
    root = Path(directory)
    project = load_project(root)
    week = resolve_week(week)
    sender = sender or sender_address(project)
    if not sender:
        raise ProjectError("no sender address: give --from, or put an e-mail address in "
                           "project.contact")
    result = SendResult(week, [])
    outgoing = []
    for dept in project.departments:
        if departments and dept.name not in departments:
            continue
        workbook = root / OUTBOX / week / department_file_name(project, week, dept.name)
        if not workbook.is_file():
            raise ProjectError(f"{workbook}: not built yet (run `xlflow build {root} --week "
                               f"{week}` first)")
        if not dept.email:
            result.issues.append(error("no-email", f"{dept.name}没有邮箱(departments.email),未发送",
                                       file=PROJECT_FILE))
            continue
        msg = compose(project, dept, week, workbook, return_deadline(project, week), sender)
        sent = Sent(dept.name, dept.email, str(msg["Subject"]), workbook.name)
        if smtp is None:
            target = root / OUTBOX / "mail" / week / f"{safe_name(dept.name)}.eml"
            with atomic_path(target) as tmp:
                tmp.write_bytes(msg.as_bytes())
            sent.eml = str(target)
        result.messages.append(sent)
        outgoing.append(msg)
    if smtp is not None and outgoing:
        try:
            errors = send_all(outgoing, smtp)
        except (OSError, smtplib.SMTPException) as exc:
            raise XlflowError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None
        for sent, err in zip(result.messages, errors, strict=True):
            sent.sent, sent.error = not err, err
            if err:
                result.issues.append(error("not-sent", f"发给{sent.department}({sent.to})失败:{err}"))
    if result.messages:
        how = f"smtp {smtp.host}:{smtp.port}" if smtp else "eml"
        _record(root, SENT, sender, f"{week}: {len(result.messages)} 封 ({how})", None,
                {"week": week, "departments": [m.department for m in result.messages]})
    return result


# -- acceptance ------------------------------------------------------------------------------

@dataclass
class AcceptanceResult:
    week: str
    results: list[dict[str, Any]]
    missing: list[str]
    path: Path
    recorded: bool

    @property
    def passed(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "passed": self.passed, "recorded": self.recorded,
                "results": self.results, "missing": self.missing, "path": str(self.path)}


def accept(directory: Path | str, *, by: str = "", at: dt.datetime | None = None
           ) -> AcceptanceResult:
    """Compare each expected result with its target using the values the departments
    returned (latest merge), collect confirmations, write the 成果验收确认单 and record
    成果验收 when nothing is missing."""
    root = Path(directory)
    project = load_with_events(root)
    latest = None
    if Ledger.exists(root):
        with Ledger.open(root) as ledger:
            latest = ledger.latest_merge()
            if latest:
                stored = {a["id"]: a for a in ledger.acceptance(latest[0])}
                tasks = ledger.tasks(latest[0])
    if latest is None:
        raise ProjectError(f"{root}: nothing merged yet; run `xlflow merge` on the returns "
                           "with the 成果验收确认单 filled in")
    results, missing = [], []
    for ref in project.results:
        a = stored.get(ref.id, {})
        values = a.get("values") or {}
        actual = a.get("actual")
        actual_text = "" if actual is None else (
            f"{actual * 100:g}%" if ref.target.percent else f"{actual:,g}{ref.unit}")
        row = {"id": ref.id, "name": ref.name, "department": ref.department,
               "target": ref.target_text, "actual": actual, "actual_text": actual_text,
               "met": a.get("met"), "confirmer": values.get("confirmer") or "",
               "confirm_date": values.get("confirm_date") or "",
               "opinion": values.get("opinion") or ""}
        results.append(row)
        who = ref.department or "责任部门"
        if actual is None:
            missing.append(f"{ref.id} {ref.name}:{who}尚未填写实际值")
        elif not row["met"]:
            missing.append(f"{ref.id} {ref.name}:实际值 {actual_text} 未达到目标 {ref.target_text}")
        if not row["confirmer"] or not row["confirm_date"]:
            missing.append(f"{ref.id} {ref.name}:{who}尚未确认(确认人、确认日期)")
    for t in tasks:
        if t["status"] not in DONE_STATUSES:
            missing.append(f"任务 {t['id']}({t['department']})尚未完成:{t['status']}")
    target = root / REPORTS / f"{safe_name(project.id)}-成果验收确认单.xlsx"
    with project_lock(root), atomic_path(target) as tmp:
        write_acceptance(tmp, project_name=project.name, week=latest[1], results=results,
                         missing=missing)
    recorded = False
    if not missing:
        _record(root, ACCEPTED, by or project.initiator, f"依据 {latest[1]} 汇总,全部达标", at)
        recorded = True
    return AcceptanceResult(latest[1], results, missing, target, recorded)


# -- retrospective ---------------------------------------------------------------------------

@dataclass
class RetroResult:
    retrospective: Retrospective
    workbook: Path
    html: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.retrospective.to_dict(), "workbook": str(self.workbook),
                "html": str(self.html)}


def _history(root: Path) -> tuple[list[dict[str, Any]], dict[int, list], dict[int, list],
                                   list[dict[str, Any]], list[dict[str, Any]]]:
    """Every merge with its tasks and risks, and the latest feedback and acceptance."""
    if not Ledger.exists(root):
        raise ProjectError(f"{root}: nothing merged yet; the ledger is empty")
    with Ledger.open(root) as ledger:
        merges = ledger.merges()
        if not merges:
            raise ProjectError(f"{root}: nothing merged yet; the ledger is empty")
        tasks = {m["id"]: ledger.tasks(m["id"]) for m in merges}
        risks = {m["id"]: ledger.risks(m["id"]) for m in merges}
        last = merges[-1]["id"]
        return merges, tasks, risks, ledger.feedback(last), ledger.acceptance(last)


def retro(directory: Path | str, *, by: str = "", at: dt.datetime | None = None) -> RetroResult:
    """Write 跨部门合作复盘报告 (workbook + printable HTML) and record 复盘."""
    root = Path(directory)
    project = load_with_events(root)
    merges, tasks, risks, feedback, acceptance = _history(root)
    retrospective = build_retrospective(project, merges, tasks, risks, feedback, acceptance)
    base = root / REPORTS / f"{safe_name(project.id)}-跨部门合作复盘报告"
    workbook, page = base.with_suffix(".xlsx"), base.with_suffix(".html")
    with project_lock(root):
        with atomic_path(workbook) as tmp:
            write_retro_workbook(tmp, retrospective)
        with atomic_path(page) as tmp:
            tmp.write_text(render_retro_html(retrospective), encoding="utf-8")
    _record(root, RETRO, by or project.initiator, f"复盘报告 {workbook.name}", at)
    return RetroResult(retrospective, workbook, page)


# -- monthly review ----------------------------------------------------------------------------

@dataclass
class ReviewResult:
    review: MonthlyReview
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.review.to_dict(), "path": str(self.path)}


def review(directory: Path | str, *, month: str) -> ReviewResult:
    """月复盘 from the ledger: the month's trend per department (slip per week, on-time
    rate, risks raised and closed), finished deliverables and open items, with charts."""
    root = Path(directory)
    project = load_with_events(root)
    try:
        month_bounds(month)
    except ValueError:
        raise ProjectError(f"--month: {month!r} is not a month (expected YYYY-MM)") from None
    merges, tasks, risks, _, _ = _history(root)
    result = build_review(project, month, merges, tasks, risks)
    if not result.weeks:
        raise ProjectError(f"no merge with an as-of date in {month} "
                           f"(merged weeks: {', '.join(m['week'] for m in merges)})")
    target = root / REPORTS / f"{month}-月度复盘.xlsx"
    with project_lock(root), atomic_path(target) as tmp:
        write_review(tmp, result, project.name)
    return ReviewResult(result, target)


# -- archive and case library -------------------------------------------------------------------

@dataclass
class ArchiveResult:
    zip: Path
    sha256: str
    files: int
    library: Path

    def to_dict(self) -> dict[str, Any]:
        return {"zip": str(self.zip), "sha256": self.sha256, "files": self.files,
                "library": str(self.library)}


def archive(directory: Path | str, *, to: Path | str, by: str = "",
            at: dt.datetime | None = None) -> ArchiveResult:
    """Put every process file into one verified zip in the case library LIBRARY and
    register the case. The project folder is left as it is."""
    root, library = Path(directory), Path(to)
    project = load_with_events(root)
    if library.resolve().is_relative_to(root.resolve()):
        raise ProjectError(f"--to {library}: put the case library outside the project folder")
    with project_lock(root), tempfile.TemporaryDirectory() as tmp:
        ledger_copy = None
        if Ledger.exists(root):
            ledger_copy = Path(tmp) / "xlflow-ledger.sqlite"
            snapshot_ledger(root / LEDGER_FILE, ledger_copy)
        members = collect(root, ledger_copy)
        facts: list[tuple[str, str]] = []
        figures: dict[str, Any] = {}
        feedback_text = ""
        if ledger_copy is not None:
            try:
                merges, tasks, risks, feedback, acceptance = _history(root)
            except ProjectError:
                merges = []
            if merges:
                retro_ = build_retrospective(project, merges, tasks, risks, feedback, acceptance)
                facts = retro_.facts
                figures = {"on_time_rate": retro_.on_time_rate, "worst_slip": retro_.worst_slip,
                           "risks": retro_.risk_count}
                feedback_text = " ".join(f["text"] for f in feedback) + " " + " ".join(
                    r["reason"] for r in retro_.reasons)
        summary = [("合作名称", project.name), ("项目编号", project.id),
                   ("发起部门", project.initiating_department),
                   ("涉及部门", "、".join(d.name for d in project.departments)),
                   ("合作周期", project.period_text), ("合作背景", project.background),
                   ("核心目标", project.goals), ("预期成果", project.results_text), *facts]
        target = library / f"{safe_name(project.id)}_{safe_name(project.name, 40)}.zip"
        digest = write_archive(target, members, summary)
    register_case(library, {
        "project_id": project.id, "name": project.name,
        "initiating_department": project.initiating_department,
        "departments": "、".join(d.name for d in project.departments),
        "start": project.start.isoformat(), "end": project.end.isoformat(),
        "priority": project.priority, "archived_at": _now().isoformat(), "zip": target.name,
        "zip_sha256": digest, "files": len(members) + 2,
        "summary": f"{project.goals};{project.results_text}", **figures,
    }, text=" ".join([project.name, project.id, project.background, project.goals,
                      project.results_text, project.initiating_department,
                      *(d.name for d in project.departments),
                      *(t.duty + " " + t.deliverable for t in project.tasks), feedback_text]))
    _record(root, ARCHIVED, by or project.initiator, f"归档至 {target}", at,
            {"zip": str(target), "sha256": digest})
    return ArchiveResult(target, digest, len(members) + 2, library)


def cases(library: Path | str, *, search: str = "") -> list[dict[str, Any]]:
    """Past cases in a library, newest first; `search` matches all its words anywhere
    (name, goals, departments, duties, deviation reasons, feedback)."""
    return find_cases(Path(library), search)


# -- resource coordination across projects -----------------------------------------------------

@dataclass
class ResourcesResult:
    plan: ResourcePlan
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.plan.to_dict(), "path": str(self.path)}


def resources(directories: list[Path | str], *, out: Path | str) -> ResourcesResult:
    """Read several projects; report where a department (or a person) is committed beyond
    its capacity in overlapping periods, with the order by project priority."""
    projects = [load_project(d) for d in directories]
    ids = [p.id for p in projects]
    if len(set(ids)) != len(ids):
        raise ProjectError(f"the same project is given twice ({', '.join(ids)})")
    plan = plan_resources(projects)
    target = Path(out)
    with atomic_path(target) as tmp:
        write_resource_plan(tmp, plan)
    return ResourcesResult(plan, target)
