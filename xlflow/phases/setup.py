"""Setting a project up and building the week's workbooks: `init` and `build`."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from importlib import resources as package_files
from pathlib import Path

from .._files import atomic_path
from ..errors import ProjectError
from ..merge.carry import carried_before, prefill
from ..project import PROJECT_FILE, Project
from ..workspace import Workspace, now
from ..writer import write_department_workbook, write_master_workbook
from ..writer.department import context_fields
from ..writer.risk_form import write_risk_form
from .common import resolve_week
from .consensus import approvals


def _example_text(name: str) -> str:
    return package_files.files("xlflow.examples").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class InitResult:
    project_file: Path
    example: bool

    def to_dict(self) -> dict[str, object]:
        return {"project_file": str(self.project_file), "example": self.example}


def init_project(ws: Workspace, *, example: bool = False, force: bool = False,
                 today: dt.date | None = None) -> InitResult:
    """Create DIR/project.yaml (blank, or the seed's 用户增长活动 example) and the
    inbox/outbox/reports folders."""
    target = ws.project_file
    if target.exists() and not force:
        raise ProjectError(f"{target} already exists (use --force to overwrite it)")
    if example:
        text = _example_text("user-growth.yaml")
    else:
        start = today or dt.date.today()
        text = _example_text("blank.yaml").format(
            start=start.isoformat(), end=(start + dt.timedelta(days=29)).isoformat())
    ws.root.mkdir(parents=True, exist_ok=True)
    for folder in (ws.inbox, ws.outbox, ws.reports):
        folder.mkdir(exist_ok=True)
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
    risk_forms: dict[str, Path] = field(default_factory=dict)  # 风险应对申请表 on its own

    def to_dict(self) -> dict[str, object]:
        return {"week": self.week, "outbox": str(self.outbox), "master": str(self.master),
                "departments": {k: str(v) for k, v in self.departments.items()},
                "risk_forms": {k: str(v) for k, v in self.risk_forms.items()}}


def build(ws: Workspace, *, week: str | None = None, departments: list[str] | None = None,
          built_at: dt.datetime | None = None) -> BuildResult:
    """Write DIR/outbox/<week>/: one workbook per department and the PMO master, each
    department's pre-filled with its last accepted values and open risks, and beside
    each workbook the department's standalone 风险应对申请表."""
    project = ws.project()
    specs = project.specs()
    week = resolve_week(week)
    built_at = built_at or now()
    names = [d.name for d in project.departments]
    for name in departments or ():
        if name not in names:
            raise ProjectError(f"--department: {name!r} is not in {PROJECT_FILE} "
                               f"({'、'.join(names)})")
    chosen = departments or names
    written: dict[str, Path] = {}
    forms: dict[str, Path] = {}
    context = context_fields(project)
    with ws.existing_ledger() as ledger:
        prior_weekly, prior_risks = prefill(carried_before(ledger, week, specs))
    # every workbook is written under a temp name first and replaces its previous
    # version only once all are written: a full disk leaves the week's folder as it was
    with ws.lock(), contextlib.ExitStack() as outputs:
        for name in chosen:
            target = ws.department_file(project, week, name)
            tmp = outputs.enter_context(atomic_path(target))
            write_department_workbook(tmp, project, specs, name, week, built_at=built_at,
                                      file_id=uuid.uuid4().hex, context=context,
                                      prior_weekly=prior_weekly,
                                      prior_risks=prior_risks.get(name, []))
            written[name] = target
            form = ws.risk_form_file(project, week, name)
            tmp = outputs.enter_context(atomic_path(form))
            write_risk_form(tmp, project, specs, name, week, built_at=built_at,
                            file_id=uuid.uuid4().hex, context=context)
            forms[name] = form
        master = ws.master_file(project, week)
        tmp = outputs.enter_context(atomic_path(master))
        write_master_workbook(tmp, project, specs, week, built_at=built_at,
                              file_id=uuid.uuid4().hex, approvals=approvals(ws))
    return BuildResult(project, week, ws.week_outbox(week), master, written, forms)
