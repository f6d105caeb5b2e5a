"""`xlflow validate`: the merge's checks for each file on its own, e.g. by a department
before sending it. Without a project folder the workbook's `_xlflow` sheet supplies the
context (window, departments, tasks) and the signature cannot be checked (the key stays
with the PMO): the merge checks it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from ..contract import MASTER_KIND
from ..errors import MissingFileError
from ..issues import error
from ..model.reports import FileCheck, ValidationReport
from ..project import Project
from ..signing import Trust
from ..spec import SpecSet, load_specs
from ..weeks import week_label
from .acceptance import merge_acceptance
from .actions import is_minutes, read_minutes
from .context import Context
from .identify import NOT_OURS, RISK_FORM, identify
from .read import Returned, read_returns
from .risks import merge_risks
from .tasks import merge_tasks


def validate_files(paths: list[Path], *, project: Project | None, as_of: dt.date,
                   trust: Trust | None = None, draft: bool = False,
                   cancelled_by: Mapping[str, str] | None = None) -> ValidationReport:
    """trust: the project's key and built files (with a project folder), so signatures
    are verified as the merge verifies them; draft: the project is not filed yet, so a
    workbook built with --draft is checked as the draft merge would take it;
    cancelled_by: the change that cancelled each cancelled task, as the merge names it."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise MissingFileError.naming(missing)
    specs: SpecSet = project.specs() if project else load_specs()
    out: list[FileCheck] = []
    for ret in (r for path in paths for r in read_returns(path, specs)):
        ctx = _context(ret, project, specs, as_of, trust, draft, cancelled_by)
        if ctx is None:
            issues = list(ret.issues) or [error(
                "no-identity", f"{NOT_OURS},无法判断是哪个项目和部门的文件;请用 PMO 发来的"
                "原始文件填写(PMO 可用 --project 指定项目文件夹)", file=ret.name)]
            out.append(FileCheck(ret.location, "", False, issues))
            continue
        checked = identify(ret, ctx, check_week=False, risk_forms=True)
        issues = list(checked.issues)
        if is_minutes(checked):  # the PMO's 会议纪要, checked as the merge checks it
            minutes, issues = read_minutes(checked, ctx)
            checked.accepted = minutes is not None
            checked.department = ret.identity.get("department", "")  # the meeting's host
        elif checked.kind == MASTER_KIND:
            pass  # the PMO's 风险应对 sheet: its cells are checked; its risk ids at the merge
        elif checked.accepted and checked.kind == RISK_FORM:
            issues += merge_risks({checked.department: checked.records.get("risks", [])}, ctx)[1]
        elif checked.accepted:
            dept = checked.department
            # its own tasks only: merge_tasks speaks of the departments it is given
            issues += merge_tasks({dept: checked.records.get("weekly", [])}, ctx)[1]
            issues += merge_risks({dept: checked.records.get("risks", [])}, ctx)[1]
            mine = replace(ctx, results={k: r for k, r in ctx.results.items()
                                         if r.department == dept})
            issues += merge_acceptance({dept: checked.records.get("acceptance", [])}, mine)[1]
        out.append(FileCheck(ret.location, checked.department, checked.accepted, issues,
                             checked.signature))
    return ValidationReport(out)


def _context(ret: Returned, project: Project | None, specs: SpecSet,
             as_of: dt.date, trust: Trust | None, draft: bool = False,
             cancelled_by: Mapping[str, str] | None = None) -> Context | None:
    identity = ret.identity
    if project is not None:
        return Context.from_project(project, identity.get("week") or week_label(as_of), as_of,
                                    trust=trust, draft=draft, cancelled_by=cancelled_by)
    if not identity.get("project_start"):
        return None
    try:
        return Context.from_identity(identity, ret.identity_tasks, specs, as_of)
    except (KeyError, ValueError):
        return None
