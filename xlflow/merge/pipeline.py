"""One merge: read → identify → check → tasks / risks / acceptance / feedback (carried
from the last recorded week) → roll-ups → changes → report and ledger.

Report and ledger land together. The new report is written to a pending file and its
SHA-256 to a journal; the previous report gets a second name (a hard link) so that the
report's own name always holds a whole report; the pending file is renamed over the
report; the ledger commits with the new report's hash; then the previous copy and the
journal go. The ledger's commit is the one moment the merge takes effect: a run killed
before it leaves a journal whose hash the ledger does not have, and the next run that
takes the lock (or reads, when no run is writing) puts the previous report back; killed
after it, the new report stays (`Workspace.repair`). Between the rename and the commit
a reader opening the files directly sees the new report beside the old ledger, with the
journal saying so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from xlsxwriter.exceptions import FileCreateError

from .. import __version__
from .._files import (
    atomic_path,
    close_abandoned_zips,
    crash_point,
    disk_full,
    fsync_file,
    fsync_folder,
    keep_copy,
    replace_file,
    sha256_file,
)
from .._gcpause import paused_gc
from ..contract import MASTER_KIND
from ..errors import DiskFullError, ProjectError, StorageError, XlflowError
from ..issues import Issue, warning
from ..ledger import Ledger
from ..model.records import SourceFile
from ..model.reports import MergeReport
from ..project import Project
from ..report.consolidated import write_consolidated
from ..weeks import week_days, weeks_between
from ..workspace import Workspace, now
from .acceptance import merge_acceptance
from .actions import (
    Minutes,
    action_changes,
    built_keys,
    department_updates,
    register,
    take_in_minutes,
    track,
)
from .blocks import merge_blocks
from .carry import carried_before, carried_of
from .changes import changes_since
from .context import Context
from .feedback import merge_feedback
from .forecast import apply_forecast
from .identify import Checked, choose_newest, excuse_other_weeks
from .master_only import master_only, recorded_week
from .parallel import check_files
from .pmo_response import masters_of
from .read import DEPARTMENT_TEMPLATES
from .risks import merge_risks
from .rollup import rollup_departments, rollup_milestones
from .spend import budgets, over_budget, spend_changes, spent_before
from .tasks import merge_tasks

ProgressFn = Callable[[int, int], None]


def resolve_run(project: Project, week: str | None, as_of: dt.date | None, *,
                today: dt.date, force: bool) -> tuple[str, dt.date]:
    """The week and as-of date of a merge. Without --as-of: today when it falls in the
    week, else the week's Friday. Refused (unless force) when the as-of date is outside
    the week or outside the project window plus its late window."""
    from ..phases.common import resolve_week

    if as_of is None:
        if week is None:
            as_of = today
        else:
            monday, sunday = week_days(resolve_week(week))
            as_of = today if monday <= today <= sunday else monday + dt.timedelta(days=4)
    label = resolve_week(week, as_of)
    if force:
        return label, as_of
    monday, sunday = week_days(label)
    if not monday <= as_of <= sunday:
        raise ProjectError(f"统计日 --as-of {as_of} 不在 {label}({monday} 至 {sunday})内;"
                           f"请给出这一周内的日期,或加 --force")
    if not project.first_day <= as_of <= project.late_end:
        raise ProjectError(f"统计日 {as_of} 不在项目周期 {project.start} 至 {project.end}"
                           f"(及 {project.settings.late_window_days} 天延后期)内;"
                           "请检查 --as-of 或 --week,确需如此请加 --force")
    return label, as_of


def run(ws: Workspace, files: list[Path | str] | None = None, *, as_of: dt.date | None = None,
        week: str | None = None, workdays: bool | None = None,
        progress: ProgressFn | None = None, write: bool = True,
        run_at: dt.datetime | None = None, force: bool = False,
        today: dt.date | None = None, draft: bool = False) -> MergeReport:
    from .._draft import drafting
    from ..phases.baseline import baseline_dates
    from ..phases.gate import filing, require_filed
    from ..phases.scope import cancelling_changes, scope_changes

    project = ws.project(with_events=False)
    week, as_of = resolve_run(project, week, as_of, today=today or dt.date.today(), force=force)
    paths = ws.resolve_inputs(files) if files else ws.list_inbox()
    stamp = (run_at or now()).isoformat(timespec="seconds")
    try:
        with paused_gc(), ws.lock() if write else _nolock():  # the lock repairs what a killed run left
            if write:  # checking returns without writing (api.merge(write=False)) is free
                require_filed(ws, "merge", draft=draft, project=project)
            # files built with --draft count in a draft run and before PMO备案 (checks only)
            ctx = Context.from_project(project, week, as_of, workdays, trust=ws.trust(),
                                       draft=draft or filing(ws.events()) is None,
                                       cancelled_by=cancelling_changes(ws))
            checked = check_files(paths, ctx, progress)
            report = _reconcile(ws, project, ctx, checked, stamp)
            del checked  # its records are merged: ~100 MB at L, freed before the report
            report.baseline = baseline_dates(ws) or {}
            report.baseline_deviation = {t.task_id: ctx.days(report.baseline[t.task_id],
                                                             t.expected)
                                         for t in report.tasks if t.task_id in report.baseline
                                         and t.expected is not None}
            report.changes += scope_changes(ws, project, report)  # 新增/取消任务
            if write:
                with drafting(draft):
                    _write(ws, project, report)
    except Exception as exc:
        if write and disk_full(exc):
            close_abandoned_zips(exc)
            raise DiskFullError(f"磁盘已满或无法写入({ws.root}):本次汇总没有生效,报表和台账都"
                                "保持原样;请腾出空间后重试 (the disk is full; nothing was "
                                "changed)") from exc
        if write and isinstance(exc, (OSError, FileCreateError)):
            # a read-only reports/ folder: said as such, never "internal error"
            raise StorageError.from_os(ws.reports, exc) from None
        raise
    return report


class _nolock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _reconcile(ws: Workspace, project: Project, ctx: Context, checked: list[Checked],
               stamp: str) -> MergeReport:
    excuse_other_weeks(checked)
    issues: list[Issue] = [i for c in checked for i in c.issues]
    issues += choose_newest([c for c in checked if c.kind != MASTER_KIND])  # masters: all count
    accepted = [c for c in checked if c.accepted]
    returned = {c.department for c in accepted if c.kind != MASTER_KIND}
    minutes, minute_issues = take_in_minutes(checked, ctx)
    issues += minute_issues
    minutes_alone = bool(minutes) and not accepted  # see _minutes_only
    masters = masters_of(checked)
    with ws.existing_ledger() as ledger:
        carried = carried_before(ledger, ctx.week, ctx.specs)
        # PMO masters alone for a merged week: the week's figures as recorded (master_only.py)
        own = recorded_week(ledger, ctx.week, ctx.specs) \
            if masters and not returned and ledger is not None else None
        # minutes alone for a merged week keep that week as recorded; for a week not
        # merged yet the run is one that took in no return (report shown, not recorded)
        own_week = carried_of(ledger, ctx.week, ctx.specs) \
            if minutes_alone and ledger is not None else None
        minutes_only = own_week is not None
        carried = own_week or carried
        spent = spent_before(ledger, ctx.week)
        decided = ledger.action_items() if ledger else []
        carried_actions = ledger.built_actions(built_keys(accepted)) if ledger else {}
        before = ledger.merge_before(ctx.week) if ledger else None
        prev_actions = {a.item_id: a for a in ledger.action_states(before.id)} \
            if ledger and before else {}
    if own is not None:
        returned = own.returned
        issues += own.issues
    for m in minutes:
        m.checked.accepted = True  # listed as used; it speaks for no department
    for dept in () if minutes_only else ctx.departments:
        if dept not in returned:
            issues.append(warning("no-return", f"{dept}本次没有交回可用的文件"
                                  + (f";显示的是此前最近一次({_last_week(carried.tasks, dept)})"
                                     "的数据" if _last_week(carried.tasks, dept) else "")))
    by_template = {key: {c.department: c.records.get(key, []) for c in accepted
                         if c.kind != MASTER_KIND} for key in DEPARTMENT_TEMPLATES}
    if own is None:
        tasks, task_issues = merge_tasks(by_template["weekly"], ctx, carried.tasks)
    else:
        tasks, task_issues = own.tasks(list(ctx.tasks)), []
    forecast = apply_forecast(tasks, ctx)  # late predecessors push their successors
    risks, risk_issues = merge_risks(by_template["risks"], ctx,
                                     own.own.risks if own else carried.risks, masters=masters)
    acceptance, acc_issues = merge_acceptance(by_template["acceptance"], ctx)
    feedback = merge_feedback(by_template["retro"])
    if own is not None:
        acceptance, feedback = own.acceptance, own.feedback
    form_blocks = merge_blocks({c.department: c.blocks for c in accepted}, ctx,
                               own.own.blocks if own else carried.blocks)
    issues += task_issues + risk_issues + acc_issues
    known = register(decided, minutes, ctx.week)
    updates, action_issues = department_updates(accepted, ctx, known, carried_actions)
    issues += action_issues
    actions = track(known, own.actions if own else prev_actions, updates, ctx.week)
    missing = weeks_between(carried.week, ctx.week) if carried.week else []
    if missing:
        issues.append(warning("missing-weeks", f"{'、'.join(missing)} 没有周汇总;本周变化与 "
                              f"{carried.week} 比较"))
    if ctx.calendar is not None:
        uncovered = ctx.calendar.uncovered_between(project.start, project.late_end)
        if uncovered:
            years = "、".join(map(str, uncovered))
            issues.append(warning("calendar-gap", f"节假日日历不含 {years} 年;这些年份按周一至周五"
                                  "计算工作日,可在 project.yaml 的 settings.holidays/"
                                  "extra_workdays 中补充"))
    if minutes_alone:
        issues.append(_minutes_only(minutes, minutes_only))
    elif own is not None:
        issues.append(master_only([m.ret.name for m in masters], risks, ctx.week))
    elif not accepted:
        issues.append(warning("nothing-accepted", "本次没有采用任何文件;报表照常生成,但不记入台账,"
                              "以后各周的数字不以它为准"))
    report = MergeReport(
        project_id=project.id, project_name=project.name, week=ctx.week, as_of=ctx.as_of,
        workdays=ctx.calendar is not None, threshold=ctx.threshold,
        raise_within_hours=ctx.raise_within_hours,
        files=(own.files_with if own else list)(
            [SourceFile(c.ret.location, c.ret.name, c.ret.sha256, c.department,
                        c.ret.received.isoformat() if c.ret.received else "",
                        c.ret.size, c.accepted, c.reason) for c in checked]),
        tasks=tasks, risks=risks, acceptance=acceptance, feedback=feedback, issues=issues,
        departments=rollup_departments(tasks, ctx.departments, returned=returned,
                                       planned_people=people_needed(project, ctx.week),
                                       spent_before=spent, budgets=budgets(project)),
        milestones=rollup_milestones(tasks, ctx.milestones),
        changes=changes_since(tasks, risks, carried.tasks, carried.risks_by_id, missing),
        previous_week=(before.week if before else None) if minutes_only else carried.week,
        missing_weeks=missing, run_at=stamp,
        actions=actions, minutes=minutes, form_blocks=form_blocks,
        planned_end=project.end, forecast_end=forecast.end,
    )
    report.issues += over_budget(report.departments)
    report.changes += spend_changes(report.departments)
    report.changes += action_changes(actions, prev_actions, known, ctx.as_of,
                                     before.as_of if before else None)
    report.recorded = bool(accepted)
    report.minutes_only = minutes_only
    return report


def _minutes_only(minutes: list[Minutes], merged: bool) -> Issue:
    """A run that took in 会议纪要 and no return records their 督办事项. For a merged week
    nothing more: its recorded merge and report stay, since the departments' returns are
    not among this run's files (`_write`). For a week not merged yet it is a run that
    took in no return: the report shows the earlier figures and is not recorded."""
    items = [a.item_id for m in minutes for a in m.items]
    shown = "、".join(items[:5]) + (f" 等 {len(items)} 项" if len(items) > 5 else "")
    return warning("minutes-only", f"本次只收到周例会纪要({'、'.join(m.file for m in minutes)}):"
                   f"已登记其督办事项 {len(items)} 项" + (f"({shown})" if items else "")
                   + (";本周的汇总数据与报表保持已记录的结果不变" if merged
                      else ";本周还没有部门交回的文件:报表照常生成(各部门显示此前的数据),"
                           "但不记入台账")
                   + ";下次 build 的工作簿带上这些事项")


def record_actions(ledger: Ledger, report: MergeReport) -> None:
    """The minutes read this run and every item as this week leaves it (inside the
    merge's transaction: gone with the merge when the week is merged again)."""
    for m in report.minutes:
        ledger.replace_action_items(m.meeting, m.items)
    merge = ledger.merge_of(report.week)
    if merge is not None:
        ledger.add_action_states(merge.id, report.actions)


def _last_week(tasks: dict, department: str) -> str | None:
    return max((t.data_week for t in tasks.values() if t.department == department and t.data_week),
               default=None)


def people_needed(project: Project, week: str) -> dict[str, float]:
    """People the plan's resources ask of each department in a week (resources with a
    people unit whose period overlaps the week)."""
    monday, sunday = week_days(week)
    out: dict[str, float] = {}
    for r in project.resources:
        if not r.is_people:
            continue
        start, end = r.start or project.start, r.end or project.end
        if start <= sunday and monday <= end:
            out[r.department] = out.get(r.department, 0.0) + r.quantity
    return out


def _write(ws: Workspace, project: Project, report: MergeReport) -> None:
    """Report and ledger change together or not at all (see the module's docstring)."""
    target = ws.report_file(report.week)
    if report.minutes_only:  # the 督办事项 only: the week's merge and report stay
        with ws.ledger() as ledger, ledger.transaction():
            for m in report.minutes:
                ledger.replace_action_items(m.meeting, m.items)
        report.report_path = str(target) if target.exists() else ""
        return
    report.report_path = str(target)
    pending, previous, journal = ws.report_journal(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_consolidated(pending, report, project_start=project.start, project=project,
                           baseline=report.baseline or None)
        fsync_file(pending)
        crash_point("written")
        if not report.recorded:
            replace_file(pending, target)
            if report.minutes:  # the minutes' 督办事项 count, whatever else came in
                with ws.ledger() as ledger, ledger.transaction():
                    for m in report.minutes:
                        ledger.replace_action_items(m.meeting, m.items)
            return
        digest = sha256_file(pending)
        with atomic_path(journal) as tmp:
            tmp.write_text(digest, encoding="ascii")
        fsync_folder(target.parent)
        crash_point("journaled")
        try:
            _commit(ws, report, target, digest)
        except BaseException:
            # the ledger did not commit: the previous report goes back. If even that is
            # refused (the new report open in Excel), the journal stays for the next run.
            with contextlib.suppress(OSError, XlflowError):
                ws.finish_report(target, digest, recorded=False)
                journal.unlink()
            raise
        ws.finish_report(target, digest, recorded=True)
        journal.unlink()
    finally:
        pending.unlink(missing_ok=True)


def _commit(ws: Workspace, report: MergeReport, target: Path, digest: str) -> None:
    pending, previous, _ = ws.report_journal(target)
    if target.exists():
        keep_copy(target, previous)  # the previous report stays in place as well
        fsync_folder(target.parent)
    crash_point("set-aside")
    replace_file(pending, target)  # refused while Excel has it open: nothing changed yet
    fsync_folder(target.parent)
    crash_point("renamed")
    with ws.ledger() as ledger, ledger.transaction():
        ledger.replace_merge(
            week=report.week, as_of=report.as_of, run_at=report.run_at,
            workdays=report.workdays, version=__version__, report_sha256=digest,
            files=report.files, tasks=report.tasks, risks=report.risks,
            acceptance=report.acceptance, feedback=report.feedback,
            issues=[i.to_dict() for i in report.issues], form_blocks=report.form_blocks)
        record_actions(ledger, report)
        crash_point("committing")
    crash_point("committed")
