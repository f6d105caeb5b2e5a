"""What a Python user calls; the CLI is a thin layer over these functions.

Nothing here prints or exits: functions return results and raise XlflowError.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ._files import atomic_path, project_lock, safe_name
from .errors import ProjectError
from .project import PROJECT_FILE, Project, load_project
from .weeks import normalise_week, week_label
from .writer import write_department_workbook, write_master_workbook

INBOX, OUTBOX, REPORTS = "inbox", "outbox", "reports"


def _example_text(name: str) -> str:
    return resources.files("xlflow.examples").joinpath(name).read_text(encoding="utf-8")


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
    project = load_project(root)
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
    with project_lock(root):
        for name in chosen:
            target = outbox / department_file_name(project, week, name)
            with atomic_path(target) as tmp:
                write_department_workbook(tmp, project, specs, name, week, built_at=built_at,
                                          file_id=uuid.uuid4().hex)
            written[name] = target
        master = outbox / f"{safe_name(project.id)}-{week}-PMO总表.xlsx"
        with atomic_path(master) as tmp:
            write_master_workbook(tmp, project, specs, week, built_at=built_at,
                                  file_id=uuid.uuid4().hex)
    return BuildResult(project, week, outbox, master, written)
