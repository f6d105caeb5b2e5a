"""归档: every process file of a collaboration in one verified zip, and a case library
(SQLite) to list and search past cases.

The zip holds an index workbook and SHA256SUMS; it is checked member by member against
them before it is moved into the library. The project folder is never touched, and no
link is followed out of it. A case is never overwritten: archiving a project again adds
a new version with its own zip.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter
from filelock import FileLock, Timeout
from xlsxwriter.exceptions import FileCreateError

from .._closing import close_workbook
from .._files import atomic_path, safe_name, sha256_file
from ..errors import BusyError, CaseLibraryError, LedgerError, StorageError, XlflowError
from ..report._common import put, table
from ..styles import WORKBOOK_OPTIONS as OPTIONS
from ..styles import Styles, page_setup

LIBRARY_DB = "cases.sqlite"
LIBRARY_LOCK = ".xlflow-cases.lock"
INDEX = "INDEX.xlsx"
SUMS = "SHA256SUMS"
#: How long an archive waits for another archive into the same library to finish.
LIBRARY_WAIT = 120.0


@dataclass(frozen=True)
class Member:
    arcname: str
    path: Path
    kind: str  # 类别, e.g. 周进度报告


@dataclass(frozen=True)
class Skipped:
    """A file in the project folder that is not put in the zip, and why."""

    path: Path
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "reason": self.reason}


def collect(root: Path, ledger_copy: Path | None) -> tuple[list[Member], list[Skipped]]:
    """The process files, under folders named for what they are; and the files left out
    because they are links out of the project (or to nothing), or not regular files."""
    real_root = Path(os.path.realpath(root))
    out: list[Member] = []
    skipped: list[Skipped] = []

    def add(arcname: str, path: Path, kind: str) -> None:
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(real_root):
            skipped.append(Skipped(path, f"符号链接,指向项目文件夹之外的 {real};归档不跟随链接"))
        elif not real.is_file():
            skipped.append(Skipped(path, "不是普通文件(链接指向的文件不存在,或是设备、管道)"))
        else:
            out.append(Member(arcname, real, kind))

    add("project.yaml", root / "project.yaml", "需求申请与职责分工(project.yaml)")
    for week_dir in sorted((root / "outbox").glob("*-W*")):
        for f in sorted(week_dir.glob("*.xlsx")):
            if f.name.endswith("PMO总表.xlsx"):
                add(f"方案与纪要/{week_dir.name}/{f.name}", f, "需求申请表、职责分工表、需求共识纪要")
            else:
                add(f"发出的周进度表/{week_dir.name}/{f.name}", f, "发出的部门文件")
    for f in sorted((root / "outbox" / "mail").glob("*/*.eml")):
        add(f"邮件/{f.parent.name}/{safe_name(f.name)}", f, "发出的邮件")
    inbox = root / "inbox"
    received: list[Path] = []
    for folder, dirs, files in os.walk(inbox):  # a linked folder is listed, never entered
        here = Path(folder)
        for d in dirs:
            if (here / d).is_symlink():
                target = os.path.realpath(here / d)
                skipped.append(Skipped(here / d, f"指向文件夹 {target} 的符号链接;归档不跟随链接"))
        received += (here / f for f in files if not f.startswith(("~$", ".")))
    minutes = filled_minutes(received)
    for f in sorted(received):
        sub = "/".join(safe_name(p) for p in f.relative_to(inbox).parts)
        if f in minutes:
            add(f"周例会/会议纪要/{sub}", f, "周例会会议纪要(PMO 会后填写)")
        else:
            add(f"部门回传/{sub}", f, "部门回传的文件")
    kinds = (("*-consolidated.xlsx", "周进度报告", "周进度跟踪表、风险登记册、校验问题"),
             ("*月度复盘.xlsx", "月度复盘", "月度复盘"),
             ("*成果验收确认单.xlsx", "成果验收", "成果验收确认单"),
             ("*复盘报告.*", "复盘报告", "跨部门合作复盘报告"),
             ("风险登记册-*.xlsx", "风险登记册", "风险登记册(两次周汇总之间,xlflow risks)"),
             ("*-周例会.*", "周例会", "周例会议程与会议纪要表(xlflow meeting)"))
    for pattern, folder_name, kind in kinds:
        for f in sorted((root / "reports").glob(pattern)):
            add(f"{folder_name}/{f.name}", f, kind)
    if ledger_copy is not None:
        out.append(Member("ledger/xlflow-ledger.sqlite", ledger_copy, "台账(每次汇总的数据与来源)"))
    return out, skipped


def filled_minutes(paths: Sequence[Path]) -> set[Path]:
    """The files in the inbox that are 周例会 workbooks (identity kind `meeting`)."""
    from ..contract import MEETING_KIND
    from ..merge.read import read_returns
    from ..spec import load_specs

    specs = load_specs()
    return {p for p in paths if p.suffix.lower() in (".xlsx", ".xlsm", ".ods", ".xls")
            and any(r.identity.get("kind") == MEETING_KIND for r in read_returns(p, specs))}


def snapshot_ledger(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the backup API, not a file copy)."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _index_workbook(path: Path, members: Sequence[Member], sums: dict[str, str],
                    summary: Sequence[tuple[str, str]]) -> None:
    wb = xlsxwriter.Workbook(str(path), OPTIONS)
    st = Styles(wb)
    ws = wb.add_worksheet("案例摘要")
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 80)
    for r, (label, value) in enumerate(summary):
        put(ws, r, 0, label, st)
        put(ws, r, 1, value, st)
    page_setup(ws, title="案例摘要", landscape=False)
    files = wb.add_worksheet("文件清单")
    table(files, 0, [("路径", 60), ("类别", 30), ("大小(字节)", 12), ("sha256", 66)],
          ([m.arcname, m.kind, m.path.stat().st_size, sums[m.arcname]] for m in members), st)
    page_setup(files, title="文件清单", repeat_rows=0)
    try:
        close_workbook(wb)
    except FileCreateError as exc:  # XlsxWriter wraps the OSError (a full disk, say)
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else OSError(str(exc))
        raise inner from None


def write_archive(target: Path, members: Sequence[Member],
                  summary: Sequence[tuple[str, str]], scratch: Path | None = None) -> str:
    """Write and verify the zip; return its sha256. Raises XlflowError if it does not
    read back exactly. `scratch` is a folder for the index workbook (default: the system's
    temporary folder)."""
    sums = {m.arcname: sha256_file(m.path) for m in members}
    with contextlib.ExitStack() as stack:
        tmp = Path(scratch) if scratch else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        out = stack.enter_context(atomic_path(target))
        index = tmp / INDEX
        _index_workbook(index, members, sums, summary)
        sums_text = "".join(f"{h}  {name}\n" for name, h in sums.items())
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(index, INDEX)
            z.writestr(SUMS, sums_text)
            for m in members:
                z.write(m.path, m.arcname)
        verify_archive(out)
        digest = sha256_file(out)
    return digest


def verify_archive(path: Path) -> int:
    """Every member listed in SHA256SUMS is present and matches; returns the count."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
            if bad:
                raise XlflowError(f"{path}: 归档中的 {bad} 已损坏")
            listed = dict(_sums(z.read(SUMS).decode("utf-8")))
            names = set(z.namelist()) - {SUMS, INDEX}
            if names != set(listed):
                raise XlflowError(f"{path}: SHA256SUMS 与归档中的文件不一致")
            for name, expected in listed.items():
                digest = hashlib.sha256()
                with z.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                if digest.hexdigest() != expected:
                    raise XlflowError(f"{path}: {name} 与其校验和不符")
            return len(listed)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise XlflowError(f"{path}: 归档无法读回({exc})") from None


def _sums(text: str) -> Iterator[tuple[str, str]]:
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            yield name, digest


# -- the case library ------------------------------------------------------------------------

# Version 2: a case is (project_id, version) with its own case_id and zip; version 1
# (xlflow 0.1/0.2) kept one row per project_id and is migrated when a case is added.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, version INTEGER NOT NULL,
    name TEXT NOT NULL, initiating_department TEXT,
    departments TEXT, start TEXT, "end" TEXT, priority TEXT, archived_at TEXT NOT NULL,
    zip TEXT NOT NULL, zip_sha256 TEXT NOT NULL, files INTEGER NOT NULL,
    on_time_rate REAL, worst_slip INTEGER, risks INTEGER, summary TEXT, text TEXT NOT NULL,
    UNIQUE (project_id, version)
)
"""
_V1_COLUMNS = ("project_id", "name", "initiating_department", "departments", "start", "end",
               "priority", "archived_at", "zip", "zip_sha256", "files", "on_time_rate",
               "worst_slip", "risks", "summary", "text")
CASE_COLUMNS = ("case_id", "project_id", "version", "name", "initiating_department",
                "departments", "start", "end", "priority", "archived_at", "zip", "zip_sha256",
                "files", "on_time_rate", "worst_slip", "risks", "summary")
#: What a version-1 library gives for the columns it does not have.
_V1_STAND_INS = {"case_id": "project_id || '-v1'", "version": "1"}


def case_id(project_id: str, version: int) -> str:
    return f"{project_id}-v{version}"


class CaseLibrary:
    """LIBRARY/: the case zips, cases.sqlite, a lock for writers. Temporary files live in
    the library too, so the next archive removes what a killed one left."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db_path = folder / LIBRARY_DB
        self._db: sqlite3.Connection | None = None

    def storage_error(self, exc: OSError) -> StorageError:
        """An OSError said as the library's (or, when it names one, the project file's)."""
        name = exc.filename
        if name and not Path(os.path.realpath(name)).is_relative_to(
                os.path.realpath(self.folder)):
            return StorageError.from_os(name, exc)
        return StorageError.from_os(self.folder, exc, what="案例库")

    @contextlib.contextmanager
    def writing(self) -> Iterator[CaseLibrary]:
        """Held while a case is added: the library's lock, stale temporary files removed,
        the database open (migrated to the current schema)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.folder / LIBRARY_LOCK, timeout=LIBRARY_WAIT)
            lock.acquire()
        except Timeout:
            raise BusyError(f"案例库 {self.folder}: 另一个 xlflow 正在归档到这里,请等它结束后重试"
                            ) from None
        except OSError as exc:
            raise self.storage_error(exc) from None
        try:
            self._remove_stale_temps()
            self._db = self._open()
            yield self
        finally:
            if self._db is not None:
                self._db.close()
                self._db = None
            lock.release()

    def _remove_stale_temps(self) -> None:
        """What a killed archive left: .xlflow-….zip.tmp files and scratch folders."""
        for stale in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):  # still open elsewhere on Windows
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                else:
                    stale.unlink()

    def scratch(self) -> tempfile.TemporaryDirectory[str]:
        try:
            return tempfile.TemporaryDirectory(dir=self.folder, prefix=".xlflow-", suffix=".tmp")
        except OSError as exc:
            raise self.storage_error(exc) from None

    def snapshot(self, ledger: Path, scratch: Path) -> Path:
        """The project's ledger copied into `scratch` (a folder in the library)."""
        target = scratch / ledger.name
        try:
            snapshot_ledger(ledger, target)
        except sqlite3.Error as exc:
            if "full" in str(exc):  # the copy is written into the library: its disk is full
                raise StorageError.from_os(self.folder, OSError(errno.ENOSPC, str(exc)),
                                           what="案例库") from None
            raise LedgerError.from_sqlite(ledger, exc) from None
        return target

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
            try:
                columns = {r[1] for r in db.execute("PRAGMA table_info(cases)")}
                if columns and "case_id" not in columns:
                    _migrate_1_to_2(db)
                else:
                    db.execute(_SCHEMA)
            except BaseException:
                db.close()
                raise
        except sqlite3.Error as exc:
            raise CaseLibraryError.from_sqlite(self.db_path, exc) from None
        return db

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("CaseLibrary.db outside `writing()`")
        return self._db

    def allocate(self, project_id: str, name: str) -> tuple[int, Path]:
        """The next version of this project's case and a zip name nothing has: neither a
        case in the library nor a file in the folder (a zip is never overwritten)."""
        try:
            (last,) = self.db.execute("SELECT COALESCE(MAX(version), 0) FROM cases "
                                      "WHERE project_id = ?", (project_id,)).fetchone()
            taken = {r[0].casefold() for r in self.db.execute("SELECT zip FROM cases")}
        except sqlite3.Error as exc:
            raise CaseLibraryError.from_sqlite(self.db_path, exc) from None
        version = int(last) + 1
        base = f"{safe_name(project_id)}_{safe_name(name, 40)}"
        while True:
            zip_name = f"{base}.zip" if version == 1 else f"{base}_v{version}.zip"
            if zip_name.casefold() not in taken and not (self.folder / zip_name).exists():
                return version, self.folder / zip_name
            version += 1

    def register(self, case: dict[str, Any], text: str) -> None:
        columns = [c for c in CASE_COLUMNS if c in case]
        try:
            self.db.execute(f"INSERT INTO cases ({', '.join(map(_q, columns))}, text) "
                            f"VALUES ({', '.join('?' for _ in columns)}, ?)",
                            [case[c] for c in columns] + [text])
        except sqlite3.Error as exc:
            raise CaseLibraryError.from_sqlite(self.db_path, exc) from None


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    cols = ", ".join(map(_q, _V1_COLUMNS))
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("ALTER TABLE cases RENAME TO cases_1")
        db.execute(_SCHEMA)
        db.execute(f"INSERT INTO cases (case_id, version, {cols}) "
                   f"SELECT project_id || '-v1', 1, {cols} FROM cases_1")
        db.execute("DROP TABLE cases_1")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def find_cases(library: Path, search: str = "") -> list[dict[str, Any]]:
    """The cases, newest first. Opens the library read-only: a library on a read-only
    share can be searched, and an old one is read as it is."""
    path = library / LIBRARY_DB
    if not path.is_file():
        raise XlflowError(f"{library}: 这里没有案例库 cases.sqlite(xlflow archive DIR --to "
                          f"{library} 会创建一个)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            have = {r[1] for r in db.execute("PRAGMA table_info(cases)")}
            if not have:
                raise sqlite3.DatabaseError("no table cases")
            select = ", ".join(_q(c) if c in have else _V1_STAND_INS.get(c, "NULL")
                               for c in CASE_COLUMNS)
            sql = f"SELECT {select} FROM cases"
            args: list[str] = []
            for word in search.split():
                sql += " WHERE " if not args else " AND "
                sql += "text LIKE ? ESCAPE '\\'"
                args.append("%" + word.replace("\\", "\\\\").replace("%", "\\%")
                            .replace("_", "\\_") + "%")
            order = ' ORDER BY "end" DESC, project_id' + (", version DESC" if "version" in have
                                                            else "")
            rows = db.execute(sql + order, args).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CaseLibraryError.from_sqlite(path, exc) from None
    return [dict(zip(CASE_COLUMNS, r, strict=True)) for r in rows]


def _q(name: str) -> str:
    return f'"{name}"'
