"""Closing the collaboration: 月复盘 (review), 复盘报告 (retro), 归档 (archive) and the
case library; and resource coordination across projects."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import atomic_path
from ..errors import ProjectError
from ..issues import Issue, warning
from ..model.resources import ResourcePlan
from ..model.retro import Retrospective
from ..model.review import MonthlyReview
from ..model.vocab import EventKind
from ..project import load_project
from ..report.resources import write_resource_plan
from ..report.retro import render_retro_html, write_retro_workbook
from ..report.review import write_review
from ..workspace import Workspace, now
from .archive import CaseLibrary, Skipped, case_id, collect, find_cases, write_archive
from .history import History, load_history
from .resources import plan_resources
from .retro import build_retrospective
from .review import build_review, month_bounds


@dataclass
class RetroResult:
    retrospective: Retrospective
    workbook: Path
    html: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.retrospective.to_dict(), "workbook": str(self.workbook),
                "html": str(self.html)}


def retro(ws: Workspace, *, by: str = "", at: dt.datetime | None = None) -> RetroResult:
    """Write 跨部门合作复盘报告 (workbook + printable HTML) and record 复盘."""
    project = ws.project()
    retrospective = build_retrospective(project, load_history(ws, project.specs()))
    workbook = ws.project_report(project, "跨部门合作复盘报告")
    page = ws.project_report(project, "跨部门合作复盘报告", ".html")  # the id may hold a '.'

    with ws.lock():
        with atomic_path(workbook) as tmp:
            write_retro_workbook(tmp, retrospective)
        with atomic_path(page) as tmp:
            tmp.write_text(render_retro_html(retrospective), encoding="utf-8")
        ws.record(EventKind.RETRO, by or project.initiator, f"复盘报告 {workbook.name}", at,
                  locked=True)
    return RetroResult(retrospective, workbook, page)


@dataclass
class ReviewResult:
    review: MonthlyReview
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {**self.review.to_dict(), "path": str(self.path)}


def review(ws: Workspace, *, month: str) -> ReviewResult:
    """月复盘 from the ledger: the month's trend per department (slip per week, on-time
    rate, risks raised and closed, people), finished deliverables, open items and the
    weeks with no merge."""
    project = ws.project()
    try:
        month_bounds(month)
    except ValueError:
        raise ProjectError(f"--month: {month!r} 不是月份(应为 YYYY-MM)") from None
    history = load_history(ws, project.specs())
    result = build_review(project, month, history)
    if not result.weeks:
        raise ProjectError(f"没有统计日期(as-of)在 {month} 内的汇总"
                           f"(已汇总的周:{', '.join(m.week for m in history.merges) or '无'})")
    target = ws.reports / f"{month}-月度复盘.xlsx"
    with ws.lock(), atomic_path(target) as tmp:
        write_review(tmp, result, project.name)
    return ReviewResult(result, target)


@dataclass
class ArchiveResult:
    zip: Path
    sha256: str
    files: int
    library: Path
    case_id: str = ""
    version: int = 1
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def issues(self) -> list[Issue]:
        """A warning per file left out of the zip (a link out of the project, …)."""
        return [warning("not-archived", s.reason, file=str(s.path)) for s in self.skipped]

    def to_dict(self) -> dict[str, Any]:
        return {"zip": str(self.zip), "sha256": self.sha256, "files": self.files,
                "library": str(self.library), "case_id": self.case_id, "version": self.version,
                "skipped": [s.to_dict() for s in self.skipped]}


def archive(ws: Workspace, *, to: Path | str, by: str = "",
            at: dt.datetime | None = None) -> ArchiveResult:
    """Put every process file into one verified zip in the case library LIBRARY and
    register the case. Archiving the same project again adds a new version; no zip or
    case is ever replaced. The project folder is left as it is."""
    library = CaseLibrary(Path(to))
    root = ws.root
    project = ws.project()
    if library.folder.resolve().is_relative_to(root.resolve()):
        raise ProjectError(f"--to {library.folder}: 案例库应放在项目文件夹之外")
    with ws.lock(), library.writing(), library.scratch() as scratch:
        ledger_copy = library.snapshot(ws.ledger_path, Path(scratch)) if ws.has_ledger() \
            else None
        members, skipped = collect(root, ledger_copy)
        facts: list[tuple[str, str]] = []
        figures: dict[str, Any] = {}
        feedback_text = ""
        with ws.existing_ledger() as ledger:
            history = History.load(ledger, project.specs()) if ledger else History([])
        if history.merges:
            retro_ = build_retrospective(project, history)
            facts = retro_.facts
            figures = {"on_time_rate": retro_.on_time_rate, "worst_slip": retro_.worst_slip,
                       "risks": retro_.risk_count}
            feedback_text = " ".join(f.text for f in history.feedback) + " " + " ".join(
                r["reason"] for r in retro_.reasons)
        version, target = library.allocate(project.id, project.name)
        case = case_id(project.id, version)
        summary = [("合作名称", project.name), ("项目编号", project.id),
                   ("案例编号", f"{case}(第 {version} 版归档)"),
                   ("发起部门", project.initiating_department),
                   ("涉及部门", "、".join(d.name for d in project.departments)),
                   ("合作周期", project.period_text), ("合作背景", project.background),
                   ("核心目标", project.goals), ("预期成果", project.results_text), *facts]
        try:
            digest = write_archive(target, members, summary, Path(scratch))
        except OSError as exc:  # a full or read-only library, or an unreadable project file
            raise library.storage_error(exc) from None
        archived_at = now()
        try:
            library.register({
                "case_id": case, "project_id": project.id, "version": version,
                "name": project.name, "initiating_department": project.initiating_department,
                "departments": "、".join(d.name for d in project.departments),
                "start": project.start.isoformat(), "end": project.end.isoformat(),
                "priority": project.priority, "archived_at": archived_at.isoformat(),
                "zip": target.name, "zip_sha256": digest, "files": len(members) + 2,
                "summary": f"{project.goals};{project.results_text}", **figures,
            }, text=" ".join([project.name, project.id, project.background, project.goals,
                              project.results_text, project.initiating_department,
                              *(d.name for d in project.departments),
                              *(t.duty + " " + t.deliverable for t in project.tasks),
                              feedback_text]))
        except BaseException:
            with contextlib.suppress(OSError):  # no zip without its case
                target.unlink()
            raise
        ws.record(EventKind.ARCHIVE, by or project.initiator, f"归档至 {target}({case})", at,
                  {"zip": str(target), "sha256": digest, "case_id": case, "version": version},
                  locked=True)
    return ArchiveResult(target, digest, len(members) + 2, library.folder, case, version,
                         skipped)


def cases(library: Path | str, *, search: str = "") -> list[dict[str, Any]]:
    """Past cases in a library, newest first; `search` matches all its words anywhere
    (name, goals, departments, duties, deviation reasons, feedback)."""
    return find_cases(Path(library), search)


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
        raise ProjectError(f"同一个项目给了两次({'、'.join(ids)})")
    plan = plan_resources(projects)
    target = Path(out)
    with atomic_path(target) as tmp:
        write_resource_plan(tmp, plan)
    return ResourcesResult(plan, target)
