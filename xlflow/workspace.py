"""The project folder as a handle: its paths and file names, the lock, the ledger and
its events, the project file. Every command goes through one `Workspace`, so the
folder's conventions live here once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._files import (
    crash_point,
    project_lock,
    remove_stale_temps,
    replace_file,
    safe_name,
    sha256_file,
)
from ._project_cache import CACHE_DIR
from .consensus_meeting import with_meeting
from .errors import MissingFileError, ProjectError, XlflowError
from .ledger import LEDGER_FILE, Event, Ledger
from .model.vocab import EventKind
from .project import (
    PROJECT_FILE,
    Opinion,
    Project,
    load_project,
    master_file_name,
    risk_form_file_name,
    workbook_file_name,
)
from .signing import EXAMPLE_KEY, KEY_FILE, Trust, new_key, read_key, write_key
from .weeks import week_label

INBOX, OUTBOX, REPORTS = "inbox", "outbox", "reports"
UNVERIFIED = "_unverified"  # inbox/_unverified/: from unknown senders (xlflow collect)
MAIL = "mail"


def now() -> dt.datetime:
    """Local time with its zone, to the second: what every record is stamped with."""
    return dt.datetime.now().astimezone().replace(microsecond=0)


class Workspace:
    """DIR: project.yaml, inbox/, outbox/<week>/, reports/, the ledger and the lock."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._held = 0  # how deep this handle is inside its own lock

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

    @property
    def key_file(self) -> Path:
        """DIR/.xlflow-key: the project's signing key. Never sent, never archived."""
        return self.root / KEY_FILE

    def week_outbox(self, week: str) -> Path:
        return self.outbox / week

    def department_file(self, project: Project, week: str, department: str) -> Path:
        return self.week_outbox(week) / workbook_file_name(project.id, week, department)

    def master_file(self, project: Project, week: str) -> Path:
        return self.week_outbox(week) / master_file_name(project.id, week)

    def risk_form_file(self, project: Project, week: str, department: str) -> Path:
        """The department's standalone 风险应对申请表, beside its weekly workbook."""
        return self.week_outbox(week) / risk_form_file_name(project.id, week, department)

    def risk_register_file(self, day: dt.date) -> Path:
        """reports/风险登记册-<date>.xlsx, written by `xlflow risks`."""
        return self.reports / f"风险登记册-{day.isoformat()}.xlsx"

    @property
    def unverified_inbox(self) -> Path:
        """inbox/_unverified/: attachments from senders that are no department's address;
        never merged until the PMO moves them into the inbox."""
        return self.inbox / UNVERIFIED

    def mail_file(self, week: str, department: str) -> Path:
        return self.outbox / MAIL / week / f"{safe_name(department)}.eml"

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
        files (~$name.xlsx, .~lock.name#), dotfiles and inbox/_unverified/."""
        if not self.inbox.is_dir():
            return []
        return sorted(p for p in self.inbox.rglob("*")
                      if not p.name.startswith(("~$", ".")) and not p.is_dir()
                      and not any(part.startswith(".")
                                  for part in p.relative_to(self.inbox).parts)
                      and p.relative_to(self.inbox).parts[0] != UNVERIFIED)

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
        return with_opinions(project, self.events()) if with_events else project

    def require_project(self) -> None:
        if not self.project_file.is_file():
            raise ProjectError(f"{self.project_file}: 找不到项目文件;先运行 xlflow init {self.root}")

    def lock(self, *, wait: bool = False,
             reentrant: bool = False) -> contextlib.AbstractContextManager[None]:
        """The project lock; whoever takes it first puts right what a killed run left
        (`repair`), so every writing command starts from a report and ledger that agree.
        `reentrant`: `xlflow run` holds it while the steps it calls take it again."""
        return self._locked(wait, reentrant)

    @contextlib.contextmanager
    def _locked(self, wait: bool, reentrant: bool) -> Iterator[None]:
        with project_lock(self.root, wait=wait, reentrant=reentrant):
            self._held += 1
            try:
                if self._held == 1:
                    self.repair()
                yield
            finally:
                self._held -= 1

    def has_ledger(self) -> bool:
        return self.ledger_path.is_file()

    def ledger(self) -> Ledger:
        """The ledger, created on first use."""
        return Ledger(self.ledger_path)

    @contextlib.contextmanager
    def existing_ledger(self) -> Iterator[Ledger | None]:
        """The ledger if there is one (reading commands never create it), after putting
        right what a killed merge left when no other run is writing."""
        self.repair_if_idle()
        if not self.has_ledger():
            yield None
            return
        with self.ledger() as ledger:
            yield ledger

    # -- the signing key --------------------------------------------------------------------
    def key(self) -> bytes | None:
        """The project's key; None for a project made before xlflow signed its files."""
        return read_key(self.key_file)

    def ensure_key(self, *, example: bool = False) -> tuple[bytes, bool]:
        """The project's key, created if there is none (the example's public key with
        `example`); an existing key is never replaced. Returns the key and whether this
        call created it."""
        key = self.key()  # a damaged key file is said now, not at the merge
        if key is not None:
            return key, False
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            write_key(self.key_file, EXAMPLE_KEY if example else new_key())
            created = True
        except FileExistsError:  # another run made it just now
            created = False
        key = self.key()
        if key is None:
            raise ProjectError(f"{self.key_file}: 无法写入项目密钥")
        return key, created

    def trust(self) -> Trust:
        """The key and the files built, to check a return's identity with."""
        key = self.key()
        with self.existing_ledger() as ledger:
            built = ledger.built_files() if ledger else []
        if key is None and built:
            raise ProjectError(f"{self.key_file}: 项目密钥不见了,无法核对部门文件的签名;请从备份"
                               "恢复该文件,或重新 xlflow build 并发送新文件(会生成新密钥)")
        return Trust.of(key, built)

    def events(self) -> list[Event]:
        with self.existing_ledger() as ledger:
            return ledger.events() if ledger else []

    def record(self, kind: EventKind, by: str, note: str, at: dt.datetime | None = None,
               data: Mapping[str, Any] | None = None, *, locked: bool = False) -> str:
        """Add a lifecycle or audit event; returns its time stamp."""
        at = at or now()
        with contextlib.nullcontext() if locked else self.lock(), self.ledger() as ledger, \
                ledger.transaction():
            ledger.add_event(kind, by=by, note=note, data=data, at=at)
        return at.isoformat()

    def check_step_time(self, at: dt.datetime | None) -> None:
        """A step recorded afterwards (`at` given) keeps the lifecycle in order: not
        before the last step recorded (an approval dated before the opinion it needs
        would make `status` and `portfolio --as-of` tell a story that did not happen)."""
        if at is None:
            return
        steps = {EventKind.OPINION, EventKind.APPROVE, EventKind.REJECT, EventKind.FILE,
                 EventKind.CHANGE}
        last = max(((dt.datetime.fromisoformat(e.at), e) for e in self.events()
                    if e.kind in steps), default=None, key=lambda pair: pair[0])
        if last is not None and at < last[0]:
            raise ProjectError(f"--at {at.isoformat(timespec='minutes')} 早于已记录的上一步"
                               f"({last[1].kind} {last[0].isoformat(timespec='minutes')},"
                               f"{last[1].by}):补记的步骤须按发生的先后记录")

    def current_week(self, project: Project) -> str:
        """The latest built week, or before any build the project's first week."""
        weeks = self.built_weeks()
        return weeks[-1] if weeks else week_label(project.start)

    # -- what a killed run leaves ------------------------------------------------------------
    def report_journal(self, report: Path) -> tuple[Path, Path, Path]:
        """Beside a report a merge writes: the new report being written, the previous
        report kept until the ledger commits, and the journal naming the new report's
        SHA-256 (it exists only while report and ledger may disagree)."""
        return (report.with_name(f".{report.name}.pending"),
                report.with_name(f".{report.name}.previous"),
                report.with_name(f".{report.name}.journal"))

    def finish_report(self, report: Path, digest: str, *, recorded: bool) -> None:
        """Leave `report` as the ledger has it: the new report (SHA-256 `digest`) when the
        ledger recorded it, else the previous report, or none if there was none. Safe to
        run again after a kill at any step: it decides from what is on disk."""
        _, previous, _ = self.report_journal(report)
        if recorded:
            previous.unlink(missing_ok=True)
        elif report.is_file() and sha256_file(report) == digest:  # new, but not recorded
            if previous.exists():
                replace_file(previous, report)
            else:
                report.unlink()
        elif previous.exists():  # the new report never got in
            if report.exists():
                previous.unlink()
            else:
                replace_file(previous, report)

    def repair(self) -> list[Path]:
        """Under the lock: finish every merge that was killed between writing its report
        and committing the ledger, and remove the temp files of killed runs from every
        folder xlflow writes into. Returns the reports put right."""
        repaired: list[Path] = []
        for folder in self._output_folders():
            remove_stale_temps(folder)
        remove_stale_temps(self.root / CACHE_DIR)  # a cache write killed half-way
        if not self.reports.is_dir():
            return repaired
        for journal in sorted(self.reports.glob(".*.journal")):
            report = journal.with_name(journal.name[1:-len(".journal")])
            digest = journal.read_text(encoding="ascii", errors="replace").strip()
            self.finish_report(report, digest, recorded=bool(digest)
                               and digest in self._recorded_reports())
            crash_point("restored")
            self.report_journal(report)[0].unlink(missing_ok=True)
            journal.unlink()
            repaired.append(report)
        for pending in self.reports.glob(".*.pending"):  # killed before its journal
            pending.unlink(missing_ok=True)
        return repaired

    def repair_if_idle(self) -> None:
        """Before reading without the lock: `repair` if a merge left its journal or pending
        report and no run is writing now (those of a running merge are its own business).
        A repair that cannot finish now (the report open in Excel) waits for the next run."""
        if self._held or not self.reports.is_dir() or not any(
                p.suffix in (".journal", ".pending") for p in self.reports.glob(".*")):
            return
        with contextlib.suppress(XlflowError, OSError), self.lock():
            pass

    def _recorded_reports(self) -> set[str]:
        if not self.has_ledger():
            return set()
        with self.ledger() as ledger:
            return {m.report_sha256 for m in ledger.merges()} - {""}

    def _output_folders(self) -> list[Path]:
        """The folders xlflow writes into under the lock: reports/, outbox/<week>/ and
        outbox/mail/<week>/."""
        folders = [self.reports]
        if self.outbox.is_dir():
            for sub in self.outbox.iterdir():
                if sub.is_dir():
                    folders += [sub] if sub.name != MAIL else [w for w in sub.iterdir()
                                                               if w.is_dir()]
        return folders


def with_opinions(project: Project, events: Sequence[Event]) -> Project:
    """project.yaml's project plus the department heads' opinions among `events` (the
    latest per department wins); e.g. only those recorded by a date, for `portfolio`."""
    said = [e for e in events if e.kind == EventKind.OPINION]
    recorded = [Opinion(e.data["department"], e.by, e.note) for e in said]
    if not recorded:
        return project
    project = with_meeting(project, [e.data for e in said])
    latest = {o.department: o for o in recorded}
    kept = tuple(o for o in project.opinions if o.department not in latest)
    return replace(project, opinions=kept + tuple(latest.values()))
