"""归档: every process file of a collaboration in one verified zip, and a case library
(SQLite) to list and search past cases.

The zip holds an index workbook and SHA256SUMS; it is checked member by member against
them before it is moved into the library. The project folder is never touched.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from .._files import atomic_path, safe_name, sha256_file
from ..errors import XlflowError
from ..report._common import put, table
from ..styles import WORKBOOK_OPTIONS as OPTIONS
from ..styles import Styles, page_setup

LIBRARY_DB = "cases.sqlite"
INDEX = "INDEX.xlsx"
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class Member:
    arcname: str
    path: Path
    kind: str  # 类别, e.g. 周进度报告


def collect(root: Path, ledger_copy: Path | None) -> list[Member]:
    """The process files, under folders named for what they are."""
    out = [Member("project.yaml", root / "project.yaml", "需求申请与职责分工(project.yaml)")]
    for week_dir in sorted((root / "outbox").glob("*-W*")):
        for f in sorted(week_dir.glob("*.xlsx")):
            if f.name.endswith("PMO总表.xlsx"):
                out.append(Member(f"方案与纪要/{week_dir.name}/{f.name}", f,
                                  "需求申请表、职责分工表、需求共识纪要"))
            else:
                out.append(Member(f"发出的周进度表/{week_dir.name}/{f.name}", f, "发出的部门文件"))
    for f in sorted((root / "outbox" / "mail").glob("*/*.eml")):
        out.append(Member(f"邮件/{f.parent.name}/{safe_name(f.name)}", f, "发出的邮件"))
    inbox = root / "inbox"
    for f in sorted(inbox.rglob("*")):
        if f.is_file() and not f.name.startswith(("~$", ".")):
            sub = "/".join(safe_name(p) for p in f.relative_to(inbox).parts)
            out.append(Member(f"部门回传/{sub}", f, "部门回传的文件"))
    kinds = (("*-consolidated.xlsx", "周进度报告", "周进度跟踪表、风险登记册、校验问题"),
             ("*月度复盘.xlsx", "月度复盘", "月度复盘"),
             ("*成果验收确认单.xlsx", "成果验收", "成果验收确认单"),
             ("*复盘报告.*", "复盘报告", "跨部门合作复盘报告"),
             ("风险登记册-*.xlsx", "风险登记册", "风险登记册(两次周汇总之间,xlflow risks)"))
    for pattern, folder, kind in kinds:
        for f in sorted((root / "reports").glob(pattern)):
            out.append(Member(f"{folder}/{f.name}", f, kind))
    if ledger_copy is not None:
        out.append(Member("ledger/xlflow-ledger.sqlite", ledger_copy, "台账(每次汇总的数据与来源)"))
    return out


def snapshot_ledger(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (the backup API, not a file copy)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


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
    wb.close()


def write_archive(target: Path, members: Sequence[Member],
                  summary: Sequence[tuple[str, str]]) -> str:
    """Write and verify the zip; return its sha256. Raises XlflowError if it does not
    read back exactly."""
    sums = {m.arcname: sha256_file(m.path) for m in members}
    with tempfile.TemporaryDirectory() as tmp, atomic_path(target) as out:
        index = Path(tmp) / INDEX
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
                raise XlflowError(f"{path}: member {bad} is corrupt")
            listed = dict(_sums(z.read(SUMS).decode("utf-8")))
            names = set(z.namelist()) - {SUMS, INDEX}
            if names != set(listed):
                raise XlflowError(f"{path}: SHA256SUMS does not list exactly the members")
            for name, expected in listed.items():
                digest = hashlib.sha256()
                with z.open(name) as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                if digest.hexdigest() != expected:
                    raise XlflowError(f"{path}: {name} does not match its checksum")
            return len(listed)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise XlflowError(f"{path}: the archive does not read back ({exc})") from None


def _sums(text: str) -> Iterator[tuple[str, str]]:
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            yield name, digest


# -- the case library ------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    project_id TEXT PRIMARY KEY, name TEXT NOT NULL, initiating_department TEXT,
    departments TEXT, start TEXT, "end" TEXT, priority TEXT, archived_at TEXT NOT NULL,
    zip TEXT NOT NULL, zip_sha256 TEXT NOT NULL, files INTEGER NOT NULL,
    on_time_rate REAL, worst_slip INTEGER, risks INTEGER, summary TEXT, text TEXT NOT NULL
);
"""
CASE_COLUMNS = ("project_id", "name", "initiating_department", "departments", "start", "end",
                "priority", "archived_at", "zip", "zip_sha256", "files", "on_time_rate",
                "worst_slip", "risks", "summary")


def _library(library: Path) -> sqlite3.Connection:
    library.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(library / LIBRARY_DB, timeout=30)
    db.executescript(_SCHEMA)
    return db


def register_case(library: Path, case: dict[str, Any], text: str) -> None:
    db = _library(library)
    with db:
        db.execute(f"INSERT OR REPLACE INTO cases ({', '.join(map(_q, CASE_COLUMNS))}, text) "
                   f"VALUES ({', '.join('?' for _ in CASE_COLUMNS)}, ?)",
                   [case.get(c) for c in CASE_COLUMNS] + [text])
    db.close()


def find_cases(library: Path, search: str = "") -> list[dict[str, Any]]:
    if not (library / LIBRARY_DB).is_file():
        raise XlflowError(f"{library}: no case library here (xlflow archive DIR --to {library} "
                          "creates one)")
    db = _library(library)
    sql = f"SELECT {', '.join(map(_q, CASE_COLUMNS))} FROM cases"
    args: list[str] = []
    for word in search.split():
        sql += " WHERE " if not args else " AND "
        sql += "text LIKE ? ESCAPE '\\'"
        args.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                    + "%")
    rows = db.execute(sql + ' ORDER BY "end" DESC, project_id', args).fetchall()
    db.close()
    return [dict(zip(CASE_COLUMNS, r, strict=True)) for r in rows]


def _q(name: str) -> str:
    return f'"{name}"'

