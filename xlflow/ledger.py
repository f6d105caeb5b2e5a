"""The project's history: an embedded SQLite ledger in DIR/xlflow-ledger.sqlite.

Each merge keeps its accepted rows with their provenance (file hash, sheet, row), so
本周变化, trends and the next week's pre-filled workbooks come from here. A merge of a
week replaces that week's earlier merge in one transaction: reruns are idempotent.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import XlflowError

LEDGER_FILE = "xlflow-ledger.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merges (
    id INTEGER PRIMARY KEY, week TEXT NOT NULL UNIQUE, as_of TEXT NOT NULL,
    run_at TEXT NOT NULL, workdays INTEGER NOT NULL, inputs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    file TEXT NOT NULL, sha256 TEXT NOT NULL, department TEXT, received TEXT,
    accepted INTEGER NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    task_id TEXT NOT NULL, department TEXT NOT NULL, status TEXT NOT NULL,
    deviation_days INTEGER NOT NULL, reported INTEGER NOT NULL, data TEXT NOT NULL,
    file_sha TEXT, sheet TEXT, row INTEGER,
    PRIMARY KEY (merge_id, task_id)
);
CREATE TABLE IF NOT EXISTS risks (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    risk_id TEXT NOT NULL, department TEXT NOT NULL, level TEXT, status TEXT,
    flags TEXT NOT NULL, data TEXT NOT NULL, file_sha TEXT, sheet TEXT, row INTEGER,
    PRIMARY KEY (merge_id, risk_id)
);
CREATE TABLE IF NOT EXISTS acceptance (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    result_id TEXT NOT NULL, department TEXT, data TEXT NOT NULL,
    file_sha TEXT, sheet TEXT, row INTEGER,
    PRIMARY KEY (merge_id, result_id)
);
CREATE TABLE IF NOT EXISTS feedback (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    department TEXT NOT NULL, data TEXT NOT NULL, file_sha TEXT, sheet TEXT, row INTEGER
);
CREATE TABLE IF NOT EXISTS issues (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    code TEXT, severity TEXT, message TEXT, file TEXT, sheet TEXT, cell TEXT,
    value TEXT, expected TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, by TEXT, note TEXT,
    data TEXT
);
"""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise XlflowError(f"{path}: the ledger cannot be opened ({exc}); "
                              "restore it from a backup or move it away to start afresh") from None

    @classmethod
    def open(cls, root: Path) -> Ledger:
        return cls(root / LEDGER_FILE)

    @staticmethod
    def exists(root: Path) -> bool:
        return (root / LEDGER_FILE).is_file()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        self.db.executescript(_SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {row[0]} is newer than this xlflow "
                                        f"understands ({SCHEMA_VERSION}); upgrade xlflow")

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key='schema_version'")
                   .fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- writing (inside `transaction`) -----------------------------------------------
    def replace_merge(self, *, week: str, as_of: dt.date, run_at: dt.datetime, workdays: bool,
                      sources: Sequence[dict[str, Any]], tasks: Sequence[dict[str, Any]],
                      risks: Sequence[dict[str, Any]], acceptance: Sequence[dict[str, Any]],
                      feedback: Sequence[dict[str, Any]], issues: Sequence[dict[str, Any]]) -> int:
        db = self.db
        db.execute("DELETE FROM merges WHERE week = ?", (week,))
        inputs = sorted(s["sha256"] for s in sources)
        cur = db.execute("INSERT INTO merges (week, as_of, run_at, workdays, inputs) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (week, as_of.isoformat(), run_at.isoformat(timespec="seconds"),
                          int(workdays), _json(inputs)))
        mid = cur.lastrowid
        db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (mid, s["name"], s["sha256"], s.get("department"), s.get("received"),
             int(s["accepted"]), s.get("reason", "")) for s in sources])
        db.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (mid, t["id"], t["department"], t["status"], t["deviation_days"], int(t["reported"]),
             _json(t), *_prov(t)) for t in tasks])
        db.executemany("INSERT INTO risks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (mid, r["id"], r["department"], r["level"], r["status"], _json(r["flags"]),
             _json(r), *_prov(r)) for r in risks])
        db.executemany("INSERT INTO acceptance VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (mid, a["id"], a["department"], _json(a), *_prov(a)) for a in acceptance])
        db.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)", [
            (mid, f["department"], _json(f), *_prov(f)) for f in feedback])
        db.executemany("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (mid, i["code"], i["severity"], i["message"], i["file"], i["sheet"], i["cell"],
             i["value"], i["expected"]) for i in issues])
        return int(mid)

    def add_event(self, kind: str, *, by: str = "", note: str = "",
                  data: dict[str, Any] | None = None, at: dt.datetime | None = None) -> None:
        at = at or dt.datetime.now().astimezone().replace(microsecond=0)
        self.db.execute("INSERT INTO events (at, kind, by, note, data) VALUES (?, ?, ?, ?, ?)",
                        (at.isoformat(), kind, by, note, _json(data or {})))

    # -- reading ------------------------------------------------------------------------
    def merge_before(self, week: str) -> int | None:
        """The latest merge of an earlier week (ISO week labels sort as text)."""
        row = self.db.execute("SELECT id FROM merges WHERE week < ? ORDER BY week DESC LIMIT 1",
                              (week,)).fetchone()
        return row[0] if row else None

    def latest_merge(self) -> tuple[int, str] | None:
        row = self.db.execute("SELECT id, week FROM merges ORDER BY week DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def merge_of(self, week: str) -> int | None:
        row = self.db.execute("SELECT id FROM merges WHERE week = ?", (week,)).fetchone()
        return row[0] if row else None

    def weeks(self) -> list[tuple[str, str]]:
        return [tuple(r) for r in self.db.execute("SELECT week, as_of FROM merges ORDER BY week")]

    def tasks(self, merge_id: int) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM tasks WHERE merge_id = ? ORDER BY task_id", (merge_id,))]

    def risks(self, merge_id: int) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM risks WHERE merge_id = ? ORDER BY risk_id", (merge_id,))]

    def acceptance(self, merge_id: int) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM acceptance WHERE merge_id = ? ORDER BY result_id", (merge_id,))]

    def feedback(self, merge_id: int) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute(
            "SELECT data FROM feedback WHERE merge_id = ? ORDER BY rowid", (merge_id,))]

    def merges(self) -> list[dict[str, Any]]:
        cols = ("id", "week", "as_of", "run_at", "workdays")
        return [dict(zip(cols, r, strict=True)) for r in self.db.execute(
            "SELECT id, week, as_of, run_at, workdays FROM merges ORDER BY week")]

    def sources(self, merge_id: int) -> list[dict[str, Any]]:
        cols = ("file", "sha256", "department", "received", "accepted", "reason")
        return [dict(zip(cols, r, strict=True)) for r in self.db.execute(
            "SELECT file, sha256, department, received, accepted, reason FROM sources "
            "WHERE merge_id = ?", (merge_id,))]

    def events(self) -> list[dict[str, Any]]:
        cols = ("id", "at", "kind", "by", "note", "data")
        rows = [dict(zip(cols, r, strict=True)) for r in self.db.execute(
            "SELECT id, at, kind, by, note, data FROM events ORDER BY id")]
        for row in rows:
            row["data"] = json.loads(row["data"] or "{}")
        return rows


def _prov(record: dict[str, Any]) -> tuple[Any, Any, Any]:
    src = record.get("source") or {}
    return src.get("sha256"), src.get("sheet"), src.get("row")
