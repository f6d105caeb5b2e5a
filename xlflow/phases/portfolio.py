"""One view over many collaborations (项目组合), for a PMO running several at once: per
project its phase as of the date (from the steps recorded by then), the schedule
figures of its latest merge as of the date (the latest merged week not after it), the
forecast end against the
planned end, open 高 risks and missing returns; the departments' load per ISO week
across projects (the resources phase computes it). Read-only: no project lock is taken,
no project folder is written to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from .._files import atomic_path
from ..errors import LedgerError, ProjectError
from ..issues import Issue, error, warning
from ..ledger import Event, MergeInfo
from ..merge.carry import risk_types
from ..model.portfolio import PortfolioResult, PortfolioRisk, ProjectSummary, SkippedFolder
from ..model.records import RiskRecord, TaskStatus, rollup
from ..model.resources import weekly_load
from ..project import HEADER_LANGUAGES, Project
from ..report.portfolio import write_portfolio
from ..weeks import week_label
from ..workspace import Workspace, with_opinions
from .lifecycle import current_phase
from .resources import plan_resources


class _Reading(Workspace):
    """A project folder opened to read only: what a killed merge left is not repaired
    (that writes under the lock; the project's own next run does it) and the lock is
    never taken, so a portfolio runs beside any command working on a project."""

    def repair_if_idle(self) -> None:
        return None

    def lock(self, *, wait: bool = False,
             reentrant: bool = False) -> contextlib.AbstractContextManager[None]:
        raise RuntimeError(f"{self.root}: xlflow portfolio only reads projects")


def forecast_end(project: Project, tasks: Sequence[TaskStatus]) -> dt.date | None:
    """The project's forecast finish: the latest expected (or actual) finish of its tasks
    in the latest merge; None before the first merge. One function, so a forecast that
    follows the dependencies between tasks can replace it."""
    del project  # a dependency-based forecast needs the plan; this one does not
    return max((t.expected or t.actual or t.planned for t in tasks), default=None)


def default_output(as_of: dt.date) -> Path:
    """项目组合-<as-of date>.xlsx in the current folder."""
    return Path(f"项目组合-{as_of.isoformat()}.xlsx")


def portfolio(directories: Sequence[Path | str], *, out: Path | str | None = None,
              as_of: dt.date | None = None, headers: str | None = None,
              write: bool = True) -> PortfolioResult:
    """Summarise the projects in `directories` and write the portfolio workbook to `out`
    (default `default_output`). A folder that is no project, or cannot be read, is listed
    with the reason (an error: exit 1); a project with no merge yet is listed with its
    phase and plan (a warning)."""
    day = as_of or dt.date.today()
    if headers is not None and headers not in HEADER_LANGUAGES:
        raise ProjectError(f"--headers: {headers!r}(应为其中之一:"
                           f"{', '.join(HEADER_LANGUAGES)})")
    summaries: list[ProjectSummary] = []
    projects: list[Project] = []
    skipped: list[SkippedFolder] = []
    issues: list[Issue] = []
    seen: dict[str, str] = {}

    def skip(folder: str, code: str, reason: str) -> None:
        skipped.append(SkippedFolder(folder, code, reason))
        issues.append(error(code, reason, file=folder))

    for directory in directories:
        folder = str(directory)
        ws = _Reading(directory)
        if not ws.project_file.is_file():
            what = ("文件夹不存在" if not ws.root.exists() else "不是文件夹"
                    if not ws.root.is_dir() else "没有 project.yaml")
            skip(folder, "not-a-project", f"{what},不是 xlflow 项目文件夹")
            continue
        try:
            project, summary, later = _summarise(ws, day)
        except (ProjectError, LedgerError) as exc:
            skip(folder, "project-unreadable", str(exc))
            continue
        except OSError as exc:
            skip(folder, "project-unreadable", f"无法读取({exc.strerror or exc})")
            continue
        if project.id in seen:
            skip(folder, "duplicate-project", f"与 {seen[project.id]} 是同一个项目"
                 f"({project.id});只计入 {seen[project.id]}")
            continue
        seen[project.id] = folder
        if not summary.merged and later:
            issues.append(warning("no-merge-yet", f"{project.id} {project.name}:{day} 之前还没有"
                                  f"周汇总(最早汇总的是 {later[0]},在 {day} 之后)",
                                  file=folder))
        elif not summary.merged:
            issues.append(warning("no-merge-yet", f"{project.id} {project.name}:还没有记入台账的"
                                  f"周汇总(阶段:{summary.phase})", file=folder))
        projects.append(project)
        summaries.append(summary)
    summaries.sort(key=ProjectSummary.sort_key)
    plan = plan_resources(projects)
    result = PortfolioResult(day, summaries, skipped, weekly_load(plan), issues + plan.issues)
    if write:
        language = headers or (projects[0].settings.headers if projects else "bilingual")
        target = Path(out) if out is not None else default_output(day)
        with atomic_path(target) as tmp:
            write_portfolio(tmp, result, plan.capacity, language)
        result.path = target
    return result


def merge_as_of(merges: Sequence[MergeInfo], day: dt.date) -> MergeInfo | None:
    """The latest recorded merge whose week is not after `day` (the week of `day` or an
    earlier one): what the project's figures were as of that date."""
    upto = week_label(day)
    return next((m for m in reversed(merges) if m.week <= upto), None)


def events_until(events: Sequence[Event], day: dt.date) -> list[Event]:
    """The steps recorded on or before `day` (the day in the time zone each was
    recorded in): what the phase was as of that date."""
    return [e for e in events if dt.datetime.fromisoformat(e.at).date() <= day]


def _summarise(ws: Workspace, day: dt.date) -> tuple[Project, ProjectSummary, list[str]]:
    """The project's summary as of `day`, and the merged weeks after it (left out)."""
    project = ws.project(with_events=False)
    summary = ProjectSummary(str(ws.root), project.id, project.name, project.priority,
                             current_phase(project, [], False), project.start, project.end)
    with ws.existing_ledger() as ledger:
        if ledger is None:
            return project, summary, []
        events = events_until(ledger.events(), day)
        project = with_opinions(project, events)
        merges = ledger.merges()
        latest = merge_as_of(merges, day)
        later = [m.week for m in merges if m.week > week_label(day)]
        tasks = ledger.tasks(latest.id) if latest else []
        risks = ledger.risks(latest.id, risk_types(project.specs()["risks"])) if latest else []
        returned = {s.department for s in ledger.sources(latest.id) if s.accepted} \
            if latest else set()
    summary.phase = current_phase(project, events, latest is not None)
    if latest is None:
        return project, summary, later
    figures = rollup(project.id, tasks)
    summary.last_week, summary.last_as_of = latest.week, latest.as_of
    summary.tasks = figures.tasks
    summary.on_time_rate, summary.worst_slip = figures.on_time_rate, figures.worst_slip
    summary.avg_slip = figures.avg_slip
    summary.forecast_end = forecast_end(project, tasks)
    summary.late_tasks = [t.task_id for t in tasks if t.status.behind]
    summary.open_high_risks = [_risk(project, r, day) for r in risks if r.is_open and r.is_high]
    summary.missing_returns = [d.name for d in project.departments if d.name not in returned]
    return project, summary, later


def _risk(project: Project, risk: RiskRecord, day: dt.date) -> PortfolioRisk:
    deadline = risk.values.get("deadline")
    if isinstance(deadline, dt.datetime):
        deadline = deadline.date()
    if not isinstance(deadline, dt.date):
        deadline = None
    return PortfolioRisk(project.id, risk.risk_id, risk.department,
                         str(risk.values.get("description") or ""),
                         str(risk.values.get("owner") or ""), deadline, risk.status,
                         deadline is not None and deadline < day)
