"""Setting a project up and building the week's workbooks: `init` and `build`."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from importlib import resources as package_files
from pathlib import Path

from .._draft import drafting
from .._files import atomic_path, sha256_file
from .._gcpause import paused_gc
from ..contract import RISK_FORM_KIND
from ..errors import ProjectError
from ..merge.actions import items_at, minutes_in
from ..merge.carry import carried_before, plan_hints, prefill, prefill_blocks
from ..merge.context import Context
from ..model.records import risk_sort_key
from ..project import PROJECT_FILE, Project
from ..signing import BuiltFile, file_id
from ..weeks import week_days
from ..workspace import Workspace, now
from ..writer import write_department_workbook, write_master_workbook
from ..writer.department import context_fields
from ..writer.risk_form import write_risk_form
from .baseline import baseline_dates
from .common import resolve_week
from .consensus import approvals
from .gate import require_filed
from .scope import cancelling_changes


def _example_text(name: str) -> str:
    return package_files.files("xlflow.examples").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class InitResult:
    project_file: Path
    example: bool
    key_file: Path | None = None  # when this run created the project's key

    def to_dict(self) -> dict[str, object]:
        return {"project_file": str(self.project_file), "example": self.example,
                "key_file": str(self.key_file) if self.key_file else None}


def init_project(ws: Workspace, *, example: bool = False, force: bool = False,
                 today: dt.date | None = None) -> InitResult:
    """Create DIR/project.yaml (blank, or the seed's 用户增长活动 example), the
    inbox/outbox/reports folders and the project's key DIR/.xlflow-key (random; the
    example's is the public example key its sample returns are signed with). An existing
    key is kept, with --force too: files already sent stay verifiable."""
    target = ws.project_file
    if target.exists() and not force:
        raise ProjectError(f"{target} 已存在(如要覆盖,请加 --force)")
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
    _, created = ws.ensure_key(example=example)
    return InitResult(target, example, ws.key_file if created else None)


@dataclass(frozen=True)
class BuildResult:
    project: Project
    week: str
    outbox: Path
    master: Path
    departments: dict[str, Path] = field(default_factory=dict)
    risk_forms: dict[str, Path] = field(default_factory=dict)  # 风险应对申请表 on its own
    key_file: Path | None = None  # when this build created the project's key (older project)

    def to_dict(self) -> dict[str, object]:
        return {"week": self.week, "outbox": str(self.outbox), "master": str(self.master),
                "departments": {k: str(v) for k, v in self.departments.items()},
                "risk_forms": {k: str(v) for k, v in self.risk_forms.items()},
                "key_file": str(self.key_file) if self.key_file else None}


def build(ws: Workspace, *, week: str | None = None, departments: list[str] | None = None,
          built_at: dt.datetime | None = None, draft: bool = False) -> BuildResult:
    """Write DIR/outbox/<week>/: one workbook per department and the PMO master, each
    department's pre-filled with its last accepted values and open risks and signed
    with the project's key (created now for a project from an older xlflow), and beside
    each workbook the department's standalone 风险应对申请表. Every file written is
    recorded in the ledger's `built_files`. Before PMO备案 only with `draft` (every sheet
    then says 草稿); never while project.yaml differs from the filed plan (gate.py)."""
    project = ws.project()
    specs = project.specs()
    week = resolve_week(week)
    built_at = built_at or now()
    names = [d.name for d in project.departments]
    for name in departments or ():
        if name not in names:
            raise ProjectError(f"--department: {name!r} 不在 {PROJECT_FILE} 的部门中"
                               f"(有:{'、'.join(names)})")
    chosen = departments or names
    monday, sunday = week_days(week)
    if sunday < project.first_day or monday > project.late_end:
        raise ProjectError(f"--week {week}({monday} 至 {sunday})不在项目周期 {project.start} 至 "
                           f"{project.end}(及 {project.settings.late_window_days} 天延后期)内,"
                           "没有生成工作簿;请用 --week 指定项目周期内的一周(不指定时为本周)")
    require_filed(ws, "build", draft=draft, project=project)  # loaded once per build
    written: dict[str, Path] = {}
    forms: dict[str, Path] = {}
    context = context_fields(project)
    ctx = Context.from_project(project, week, week_days(week)[0], trust=ws.trust())
    minutes, _ = minutes_in(ws.list_inbox(), ctx)  # their problems are the merge's to report
    with ws.existing_ledger() as ledger:
        carried = carried_before(ledger, week, specs)
        prior_weekly, prior_risks = prefill(carried)
        hints, prior_blocks = plan_hints(carried), prefill_blocks(carried)
        last = ledger.merge_before(week) if ledger else None
        actions = items_at(week, ledger.action_items() if ledger else [], minutes,
                           ledger.action_states(last.id) if ledger and last else [])
    stamp = built_at.isoformat(timespec="seconds")
    built: list[BuiltFile] = []
    carried_items: list[tuple[str, str, str]] = []  # (file id, built at, 督办事项 id)
    # every workbook is written under a temp name first and replaces its previous
    # version only once all are written: a full disk leaves the week's folder as it was
    with ws.lock(), drafting(draft), paused_gc():
        key, key_created = ws.ensure_key()
        with contextlib.ExitStack() as outputs:
            for name in chosen:
                target = ws.department_file(project, week, name)
                fid = file_id(key, project.id, week, name, "department", draft=draft)
                tmp = outputs.enter_context(atomic_path(target))
                mine = [a for a in actions if a.department == name and a.is_open]
                carried_items += [(fid, stamp, a.item_id) for a in mine]
                write_department_workbook(tmp, project, specs, name, week, built_at=built_at,
                                          file_id=fid, context=context,
                                          prior_weekly=prior_weekly,
                                          prior_risks=prior_risks.get(name, []), key=key,
                                          plan_hints=hints,
                                          prior_blocks=prior_blocks.get(name),
                                          actions=mine)
                written[name] = target
                built.append(BuiltFile(fid, week, name, "department", stamp, sha256_file(tmp),
                                       draft))
                form = ws.risk_form_file(project, week, name)
                form_id = file_id(key, project.id, week, name, RISK_FORM_KIND, draft=draft)
                tmp = outputs.enter_context(atomic_path(form))
                write_risk_form(tmp, project, specs, name, week, built_at=built_at,
                                file_id=form_id, context=context, key=key)
                forms[name] = form
                built.append(BuiltFile(form_id, week, name, RISK_FORM_KIND, stamp,
                                       sha256_file(tmp), draft))
            master = ws.master_file(project, week)
            master_id = uuid.uuid4().hex
            tmp = outputs.enter_context(atomic_path(master))
            write_master_workbook(tmp, project, specs, week, built_at=built_at,
                                  file_id=master_id, approvals=approvals(ws),
                                  risks=sorted(carried.risks, key=risk_sort_key), key=key,
                                  baseline=baseline_dates(ws),
                                  cancelled_by=cancelling_changes(ws))
            built.append(BuiltFile(master_id, week, "", "master", stamp, sha256_file(tmp), draft))
        with ws.ledger() as ledger, ledger.transaction():
            ledger.add_built_files(built)
            ledger.add_built_actions(carried_items)
            for m in minutes:
                ledger.replace_action_items(m.meeting, m.items)
    return BuildResult(project, week, ws.week_outbox(week), master, written, forms,
                       ws.key_file if key_created else None)
