"""The project folder as a handle: its paths and file names, the lock, the ledger and
its events, the project file. Every command goes through one `Workspace`, so the
folder's conventions live here once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._files import project_lock, safe_name
from .errors import MissingFileError, ProjectError
from .ledger import LEDGER_FILE, Event, Ledger
from .model.vocab import EventKind
from .project import (
    PROJECT_FILE,
    Opinion,
    Project,
    load_project,
    master_file_name,
    workbook_file_name,
)
from .weeks import week_label

INBOX, OUTBOX, REPORTS = "inbox", "outbox", "reports"


def now() -> dt.datetime:
    """Local time with its zone, to the second: what every record is stamped with."""
    return dt.datetime.now().astimezone().replace(microsecond=0)


class Workspace:
    """DIR: project.yaml, inbox/, outbox/<week>/, reports/, the ledger and the lock."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # -- paths ----------------------------------------------------------------------------
    @property
    def project_file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def outbox(self) -> Path:
        return self.root / OUTBOX

    @property
    def reports(self) -> Path:
        return self.root / REPORTS

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_FILE

    def week_outbox(self, week: str) -> Path:
        return self.outbox / week

    def department_file(self, project: Project, week: str, department: str) -> Path:
        return self.week_outbox(week) / workbook_file_name(project.id, week, department)

    def master_file(self, project: Project, week: str) -> Path:
        return self.week_outbox(week) / master_file_name(project.id, week)

    def mail_file(self, week: str, department: str) -> Path:
        return self.outbox / "mail" / week / f"{safe_name(department)}.eml"

    def reminder_file(self, week: str, day: dt.date, department: str) -> Path:
        """outbox/mail/<week>/催办-<day>-<department>.eml: one per department and day."""
        return self.outbox / "mail" / week / f"催办-{day.isoformat()}-{safe_name(department)}.eml"

    def notice_file(self, week: str) -> Path:
        """outbox/mail/<week>/周报通报.eml: the week's message to the leaders."""
        return self.outbox / "mail" / week / "周报通报.eml"

    def report_file(self, week: str) -> Path:
        return self.reports / f"{week}-consolidated.xlsx"

    def project_report(self, project: Project, title: str, suffix: str = ".xlsx") -> Path:
        """reports/<project id>-<title>.xlsx, e.g. 成果验收确认单, 跨部门合作复盘报告."""
        return self.reports / f"{safe_name(project.id)}-{title}{suffix}"

    def built_weeks(self) -> list[str]:
        if not self.outbox.is_dir():
            return []
        return sorted(p.name for p in self.outbox.glob("*-W*") if p.is_dir())

    def list_inbox(self) -> list[Path]:
        """Every file in inbox/ and its subfolders (e.g. one per week), except office lock
        files (~$name.xlsx, .~lock.name#) and dotfiles."""
        if not self.inbox.is_dir():
            return []
        return sorted(p for p in self.inbox.rglob("*")
                      if not p.name.startswith(("~$", ".")) and not p.is_dir()
                      and not any(part.startswith(".")
                                  for part in p.relative_to(self.inbox).parts))

    def resolve_input(self, name: Path | str) -> Path:
        """A file named on the command line: from the current folder, else from DIR."""
        path = Path(name)
        if path.exists() or path.is_absolute():
            return path
        inside = self.root / path
        return inside if inside.exists() else path

    def resolve_inputs(self, names: list[Path | str]) -> list[Path]:
        """Files named on the command line; MissingFileError names those found nowhere."""
        paths = [self.resolve_input(n) for n in names]
        missing = [str(n) for n, p in zip(names, paths, strict=True) if not p.exists()]
        if missing:
            raise MissingFileError.naming(missing, f"当前文件夹和 {self.root} 中都没有")
        return paths

    # -- project, lock, ledger --------------------------------------------------------------
    def project(self, *, with_events: bool = True) -> Project:
        """project.yaml, plus the department heads' opinions recorded in the ledger."""
        project = load_project(self.root)
        if not with_events:
            return project
        recorded = [Opinion(e.data["department"], e.by, e.note) for e in self.events()
                    if e.kind == EventKind.OPINION]
        if not recorded:
            return project
        latest = {o.department: o for o in recorded}
        kept = tuple(o for o in project.opinions if o.department not in latest)
        return replace(project, opinions=kept + tuple(latest.values()))

    def require_project(self) -> None:
        if not self.project_file.is_file():
            raise ProjectError(f"{self.project_file}: 找不到项目文件;先运行 xlflow init {self.root}")

    def lock(self, *, wait: bool = False,
             reentrant: bool = False) -> contextlib.AbstractContextManager[None]:
        return project_lock(self.root, wait=wait, reentrant=reentrant)

    def has_ledger(self) -> bool:
        return self.ledger_path.is_file()

    def ledger(self) -> Ledger:
        """The ledger, created on first use."""
        return Ledger(self.ledger_path)

    @contextlib.contextmanager
    def existing_ledger(self) -> Iterator[Ledger | None]:
        """The ledger if there is one (reading commands never create it)."""
        if not self.has_ledger():
            yield None
            return
        with self.ledger() as ledger:
            yield ledger

    def events(self) -> list[Event]:
        with self.existing_ledger() as ledger:
            return ledger.events() if ledger else []

    def record(self, kind: EventKind, by: str, note: str, at: dt.datetime | None = None,
               data: Mapping[str, Any] | None = None, *, locked: bool = False) -> str:
        """Add a lifecycle or audit event; returns its time stamp."""
        at = at or now()
        with contextlib.nullcontext() if locked else self.lock(), self.ledger() as ledger:
            ledger.add_event(kind, by=by, note=note, data=data, at=at)
        return at.isoformat()

    def current_week(self, project: Project) -> str:
        """The latest built week, or before any build the project's first week."""
        weeks = self.built_weeks()
        return weeks[-1] if weeks else week_label(project.start)
