"""The project's history: an embedded SQLite ledger in DIR/xlflow-ledger.sqlite.

Each recorded merge keeps its typed records (`model.records`) with their provenance
(file hash, sheet, row), so 本周变化, carry-forward, trends and the next week's
pre-filled workbooks come from here. A merge of a week replaces that week's earlier
merge in one transaction: reruns are idempotent. Lifecycle steps and audit entries
are events. `built_files` lists every workbook `build` wrote (file id, week,
department, hash), which the merge checks a return's file id against; `action_items` and
`action_states` the 周例会's 督办事项 (what the minutes decided; each item as each merge
left it), added where missing without a version step. Schema version 3;
older ledgers are migrated on open (1 -> 2 -> 3).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LedgerError
from .model.actions import ActionItem, action_sort_key
from .model.records import (
    AcceptanceRecord,
    Feedback,
    FormBlock,
    RiskRecord,
    SourceFile,
    TaskStatus,
)
from .signing import BuiltFile

LEDGER_FILE = "xlflow-ledger.sqlite"
# 4: a task's record names only its source's file (`_task_data`); v3 records, whole,
# read as before, so v3 becomes v4 by its number; an xlflow of v3 refuses a v4 ledger
# rather than misread its records
SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merges (
    id INTEGER PRIMARY KEY, week TEXT NOT NULL UNIQUE, as_of TEXT NOT NULL,
    run_at TEXT NOT NULL, workdays INTEGER NOT NULL, inputs TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT '', accepted INTEGER NOT NULL DEFAULT 0,
    report_sha256 TEXT NOT NULL DEFAULT ''
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
CREATE TABLE IF NOT EXISTS mail_log (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, day TEXT NOT NULL, week TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '', item TEXT NOT NULL, at TEXT NOT NULL,
    recipients TEXT NOT NULL, channel TEXT NOT NULL,
    UNIQUE (kind, day, week, department, item)
);
CREATE TABLE IF NOT EXISTS sent_messages (
    id INTEGER PRIMARY KEY, week TEXT NOT NULL, department TEXT NOT NULL,
    message_id TEXT NOT NULL, recipient TEXT NOT NULL, sent_at TEXT NOT NULL,
    how TEXT NOT NULL, via TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '',
    attachment TEXT NOT NULL DEFAULT '', attachment_sha256 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sent_messages_week ON sent_messages (week, department);
CREATE TABLE IF NOT EXISTS mailboxes (
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL, checked_at TEXT NOT NULL,
    PRIMARY KEY (account, folder)
);
CREATE TABLE IF NOT EXISTS mail_messages (
    account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL, message_id TEXT NOT NULL, received TEXT, sender TEXT,
    department TEXT, subject TEXT, outcome TEXT NOT NULL, moved INTEGER NOT NULL DEFAULT 0,
    collected_at TEXT NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS mail_messages_message_id ON mail_messages (message_id);
CREATE TABLE IF NOT EXISTS mail_files (
    message_id TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, attachment TEXT,
    kind TEXT, department TEXT, week TEXT, received TEXT, verified INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS intake_risks (
    risk_id TEXT PRIMARY KEY, department TEXT NOT NULL, level TEXT, status TEXT,
    received TEXT, data TEXT NOT NULL, file_sha TEXT, sheet TEXT, row INTEGER
);
"""
#: How long to wait for another connection's write lock before saying the ledger is busy.
BUSY_TIMEOUT = 30.0

# Schema 3: the workbooks `build` wrote (a week rebuilt adds rows; a file id recurs).
_SCHEMA_3 = """
CREATE TABLE IF NOT EXISTS built_files (
    file_id TEXT NOT NULL, week TEXT NOT NULL, department TEXT NOT NULL, kind TEXT NOT NULL,
    built_at TEXT NOT NULL, sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS built_files_id ON built_files (file_id);
"""

# The workbooks built with --draft before PMO备案 (a subset of built_files): a filled draft
# is refused by a real merge.
_SCHEMA_DRAFTS = """
CREATE TABLE IF NOT EXISTS draft_files (file_id TEXT PRIMARY KEY);
"""

# The open 督办事项 each department workbook carried, by its file id and build time (as
# its identity records them): an item carried and missing from the return was deleted.
_SCHEMA_BUILT_ACTIONS = """
CREATE TABLE IF NOT EXISTS built_actions (
    file_id TEXT NOT NULL, built_at TEXT NOT NULL, item_id TEXT NOT NULL,
    PRIMARY KEY (file_id, built_at, item_id)
);
"""

# The fields a return fills once below a table (填报人/填报日期, 部门确认), per merge and
# department; the 验收结论 each `xlflow accept` read (the latest one counts).
_SCHEMA_FORMS = """
CREATE TABLE IF NOT EXISTS form_blocks (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    department TEXT NOT NULL, template TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (merge_id, department, template)
);
CREATE TABLE IF NOT EXISTS acceptance_decisions (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, data TEXT NOT NULL
);
"""

# 督办事项 (no schema version of their own: added where missing, nothing else changes).
# action_items: what each 周例会's minutes decided (the newest minutes of a meeting
# replace its rows); action_states: every item as a merge left it (gone with the merge).
_SCHEMA_ACTIONS = """
CREATE TABLE IF NOT EXISTS action_items (
    item_id TEXT PRIMARY KEY, meeting TEXT NOT NULL, department TEXT NOT NULL,
    due TEXT, status TEXT NOT NULL, data TEXT NOT NULL, file_sha TEXT, sheet TEXT, row INTEGER
);
CREATE TABLE IF NOT EXISTS action_states (
    merge_id INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL, department TEXT NOT NULL, status TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (merge_id, item_id)
);
"""


def _json(value: Any) -> str:
    return _ENCODE(value)


def _encoder() -> Callable[[Any], str]:
    """JSONEncoder(ensure_ascii=False, check_circular=False).encode, its C encoder made
    once rather than once per row (JSONEncoder.encode makes one each call: ~10% of a
    100,000-task merge's JSON). Keys in the order the records give them (fixed by each
    to_dict), not sorted again for every row; records hold no cycles."""
    plain = json.JSONEncoder(ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C encoder: the plain one
        return plain.encode
    try:
        encode = make(None, plain.default, json.encoder.encode_basestring, None,
                      plain.key_separator, plain.item_separator, False, False, True)
    except TypeError:  # a C encoder of another signature
        return plain.encode
    return lambda value: "".join(encode(value, 0))


_ENCODE = _encoder()


def _task_data(task: TaskStatus) -> str:
    """A task's stored record: its to_dict, whose source is only the file's name (its
    sha256, sheet and row are the row's columns file_sha, sheet and row; `_task_of`)."""
    data = task.to_dict()
    if task.source is not None:
        data["source"] = {"file": task.source.file}
    return _ENCODE(data)


def _task_of(data: str, sha256: str | None, sheet: str | None, row: int | None) -> TaskStatus:
    """A stored task again, its source whole from the row's columns (a record stored
    before `_task_data` holds it whole itself)."""
    d = json.loads(data)
    source = d.get("source")
    if source is not None and "sha256" not in source:
        d["source"] = {"file": source["file"], "sha256": sha256, "sheet": sheet, "row": row}
    return TaskStatus.from_dict(d)


@dataclass(frozen=True)
class MergeInfo:
    """One recorded merge: the week, when and by which xlflow version."""

    id: int
    week: str
    as_of: dt.date
    run_at: str
    workdays: bool
    version: str
    files: int
    accepted: int
    report_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "as_of": self.as_of.isoformat(), "run_at": self.run_at,
                "workdays": self.workdays, "version": self.version, "files": self.files,
                "accepted": self.accepted, "report_sha256": self.report_sha256}


@dataclass(frozen=True)
class Event:
    id: int
    at: str
    kind: str
    by: str
    note: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "by": self.by, "note": self.note,
                "data": self.data}


@dataclass(frozen=True)
class SentMessage:
    """One weekly message: to whom, when, and how (an .eml file or SMTP)."""

    week: str
    department: str
    message_id: str
    to: str
    sent_at: str
    how: str  # "eml" or "smtp"
    via: str = ""  # the .eml file, or the SMTP server host:port
    subject: str = ""
    attachment: str = ""
    attachment_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError.from_sqlite(path, exc) from None
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
        except sqlite3.Error as exc:
            self.db.close()  # not left open (a file handle that keeps the folder busy)
            raise LedgerError.from_sqlite(path, exc) from None

    @classmethod
    def open(cls, root: Path) -> Ledger:
        return cls(root / LEDGER_FILE)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):  # locked, full disk, read-only, damaged: say which
            raise LedgerError.from_sqlite(self.path, exc) from None

    # -- schema -------------------------------------------------------------------------
    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        found = int(row[0]) if row else None
        if found is not None and found > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"结构版本 {found} 比这个 xlflow 能读的版本"
                                        f"({SCHEMA_VERSION})新;请升级 xlflow")
        if found == 1:
            with self.transaction():
                _migrate_1_to_2(self.db)
            found = 2
        if found == 2:
            with self.transaction():
                _migrate_2_to_3(self.db)
        self.db.executescript(_SCHEMA + _SCHEMA_3 + _SCHEMA_ACTIONS + _SCHEMA_FORMS
                              + _SCHEMA_DRAFTS + _SCHEMA_BUILT_ACTIONS)
        if found != SCHEMA_VERSION:  # opening a current ledger writes nothing
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                            (str(SCHEMA_VERSION),))

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key='schema_version'")
                   .fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All of the block or none of it. A failure SQLite reports (full disk, a locked
        or damaged file) is raised as a LedgerError saying what to do."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self._rollback()
                raise
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise  # xlflow's own mistake, not the file's: no advice to move the ledger away
        except sqlite3.DatabaseError as exc:
            raise LedgerError.from_sqlite(self.path, exc) from None

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk ends the transaction itself)
        if self.db.in_transaction:
            with suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    # -- writing (inside `transaction`) ---------------------------------------------------
    def replace_merge(self, *, week: str, as_of: dt.date, run_at: str, workdays: bool,
                      version: str, report_sha256: str, files: list[SourceFile],
                      tasks: list[TaskStatus], risks: list[RiskRecord],
                      acceptance: list[AcceptanceRecord], feedback: list[Feedback],
                      issues: list[dict[str, Any]],
                      form_blocks: Sequence[FormBlock] = ()) -> int:
        db = self.db
        db.execute("DELETE FROM merges WHERE week = ?", (week,))
        cur = db.execute(
            "INSERT INTO merges (week, as_of, run_at, workdays, inputs, version, accepted, "
            "report_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (week, as_of.isoformat(), run_at, int(workdays), _json(sorted(f.sha256 for f in files)),
             version, sum(f.accepted for f in files), report_sha256))
        mid = int(cur.lastrowid or 0)
        db.executemany("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (mid, f.name, f.sha256, f.department, f.received, int(f.accepted), f.reason)
            for f in files))
        db.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (mid, t.task_id, t.department, str(t.status), t.deviation_days, int(t.reported),
             _task_data(t), *_prov(t.source)) for t in tasks))
        db.executemany("INSERT INTO risks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (mid, r.risk_id, r.department, r.level, r.status, _json(r.flags),
             _json(r.to_dict()), *_prov(r.source)) for r in risks))
        db.executemany("INSERT INTO acceptance VALUES (?, ?, ?, ?, ?, ?, ?)", (
            (mid, a.result_id, a.department, _json(a.to_dict()), *_prov(a.source))
            for a in acceptance))
        db.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)", (
            (mid, f.department, _json(f.to_dict()), *_prov(f.source)) for f in feedback))
        db.executemany("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (mid, i["code"], i["severity"], i["message"], i["file"], i["sheet"], i["cell"],
             i["value"], i["expected"]) for i in issues))
        db.executemany("INSERT INTO form_blocks VALUES (?, ?, ?, ?)", (
            (mid, b.department, b.template, _json(b.to_dict())) for b in form_blocks))
        return mid

    def add_built_files(self, files: list[BuiltFile]) -> None:
        self.db.executemany("INSERT INTO built_files VALUES (?, ?, ?, ?, ?, ?)", [
            (f.file_id, f.week, f.department, f.kind, f.built_at, f.sha256) for f in files])
        self.db.executemany("INSERT OR IGNORE INTO draft_files VALUES (?)",
                            [(f.file_id,) for f in files if f.draft])

    def add_built_actions(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """(file id, built at, item id) of the 督办事项 a department workbook carried."""
        self.db.executemany("INSERT OR IGNORE INTO built_actions VALUES (?, ?, ?)", rows)

    def built_actions(self, files: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """The items each (file id, built at) carried; a file not recorded is left out."""
        out: dict[tuple[str, str], list[str]] = {}
        for key in set(files):
            ids = [r[0] for r in self.db.execute(
                "SELECT item_id FROM built_actions WHERE file_id = ? AND built_at = ?", key)]
            if ids:
                out[key] = sorted(ids, key=action_sort_key)
        return out

    def replace_action_items(self, meeting: str, items: Sequence[ActionItem]) -> None:
        """The items one 周例会's minutes decided, as read now (inside `transaction`)."""
        self.db.execute("DELETE FROM action_items WHERE meeting = ?", (meeting,))
        self.db.executemany("INSERT OR REPLACE INTO action_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(a.item_id, a.meeting, a.department, iso_or_none(a.due),
                              str(a.status), _json(a.to_dict()), *_prov(a.source))
                             for a in items])

    def action_items(self) -> list[ActionItem]:
        """Every item any 周例会 decided, as its minutes say (oldest meeting first)."""
        return sorted((ActionItem.from_dict(json.loads(r[0])) for r in self.db.execute(
            "SELECT data FROM action_items")), key=lambda a: (a.meeting, action_sort_key(a.item_id)))

    def add_action_states(self, merge_id: int, items: Sequence[ActionItem]) -> None:
        self.db.executemany("INSERT INTO action_states VALUES (?, ?, ?, ?, ?)", [
            (merge_id, a.item_id, a.department, str(a.status), _json(a.to_dict()))
            for a in items])

    def action_states(self, merge_id: int) -> list[ActionItem]:
        """The items as the merge `merge_id` left them."""
        return sorted((ActionItem.from_dict(json.loads(r[0])) for r in self.db.execute(
            "SELECT data FROM action_states WHERE merge_id = ?", (merge_id,))),
            key=lambda a: action_sort_key(a.item_id))

    def drop_merge(self, week: str) -> bool:
        return self.db.execute("DELETE FROM merges WHERE week = ?", (week,)).rowcount > 0

    def add_event(self, kind: str, *, by: str = "", note: str = "",
                  data: Mapping[str, Any] | None = None, at: dt.datetime) -> None:
        self.db.execute("INSERT INTO events (at, kind, by, note, data) VALUES (?, ?, ?, ?, ?)",
                        (at.isoformat(), kind, by, note, _json(dict(data or {}))))

    # -- reading ----------------------------------------------------------------------------
    def merges(self) -> list[MergeInfo]:
        """Every recorded merge, oldest week first."""
        rows = self.db.execute(
            "SELECT m.id, week, as_of, run_at, workdays, version, "
            "(SELECT count(*) FROM sources s WHERE s.merge_id = m.id), accepted, report_sha256 "
            "FROM merges m ORDER BY week").fetchall()
        return [MergeInfo(r[0], r[1], dt.date.fromisoformat(r[2]), r[3], bool(r[4]), r[5],
                          r[6], r[7], r[8]) for r in rows]

    def merge_of(self, week: str) -> MergeInfo | None:
        return next((m for m in self.merges() if m.week == week), None)

    def merge_before(self, week: str) -> MergeInfo | None:
        """The latest merge of an earlier week (ISO week labels sort as text)."""
        return next((m for m in reversed(self.merges()) if m.week < week), None)

    def latest_merge(self) -> MergeInfo | None:
        merges = self.merges()
        return merges[-1] if merges else None

    def tasks(self, merge_id: int) -> list[TaskStatus]:
        return [_task_of(*r) for r in self.db.execute(
            "SELECT data, file_sha, sheet, row FROM tasks WHERE merge_id = ? ORDER BY task_id",
            (merge_id,))]

    def risks(self, merge_id: int, types: Mapping[str, str]) -> list[RiskRecord]:
        return [RiskRecord.from_dict(json.loads(r[0]), types) for r in self.db.execute(
            "SELECT data FROM risks WHERE merge_id = ? ORDER BY risk_id", (merge_id,))]

    def acceptance(self, merge_id: int) -> list[AcceptanceRecord]:
        return [AcceptanceRecord.from_dict(json.loads(r[0])) for r in self.db.execute(
            "SELECT data FROM acceptance WHERE merge_id = ? ORDER BY result_id", (merge_id,))]

    def feedback(self, merge_id: int) -> list[Feedback]:
        return [Feedback.from_dict(json.loads(r[0])) for r in self.db.execute(
            "SELECT data FROM feedback WHERE merge_id = ? ORDER BY rowid", (merge_id,))]

    def form_blocks(self, merge_id: int,
                    types: Mapping[str, Mapping[str, str]] | None = None) -> list[FormBlock]:
        """`types`: template -> field key -> 'date', to type stored dates again."""
        return [FormBlock.from_dict(d, (types or {}).get(d["template"])) for d in (
            json.loads(r[0]) for r in self.db.execute(
                "SELECT data FROM form_blocks WHERE merge_id = ? ORDER BY department, template",
                (merge_id,)))]

    def add_acceptance_decision(self, data: Mapping[str, Any], *, at: dt.datetime) -> None:
        self.db.execute("INSERT INTO acceptance_decisions (at, data) VALUES (?, ?)",
                        (at.isoformat(), _json(dict(data))))

    def acceptance_decision(self) -> dict[str, Any] | None:
        """The 验收结论 the latest `xlflow accept` read, as it stored it."""
        row = self.db.execute(
            "SELECT data FROM acceptance_decisions ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def sources(self, merge_id: int) -> list[SourceFile]:
        return [SourceFile(r[0], r[0], r[1], r[2] or "", r[3] or "", 0, bool(r[4]), r[5] or "")
                for r in self.db.execute(
                    "SELECT file, sha256, department, received, accepted, reason FROM sources "
                    "WHERE merge_id = ?", (merge_id,))]

    def issue_rows(self, merge_id: int) -> list[dict[str, str]]:
        """The issues a merge recorded, as `Issue.to_dict` gave them."""
        keys = ("code", "severity", "message", "file", "sheet", "cell", "value", "expected")
        return [dict(zip(keys, (v or "" for v in r), strict=True)) for r in self.db.execute(
            "SELECT code, severity, message, file, sheet, cell, value, expected FROM issues "
            "WHERE merge_id = ? ORDER BY rowid", (merge_id,))]

    # -- sent messages ------------------------------------------------------------------------
    def check_writable(self) -> None:
        """Take and drop the write lock: raises (sqlite3.Error) now, before anything goes
        out that would then have to be recorded, if another program holds the ledger."""
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("ROLLBACK")

    def add_sent(self, message: SentMessage) -> None:
        """One message written (.eml) or accepted by the SMTP server; committed at once,
        so a run that stops half-way still knows what went out."""
        m = message
        self.db.execute(
            "INSERT INTO sent_messages (week, department, message_id, recipient, sent_at, how, "
            "via, subject, attachment, attachment_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (m.week, m.department, m.message_id, m.to, m.sent_at, m.how, m.via, m.subject,
             m.attachment, m.attachment_sha256))

    def sent_messages(self, week: str | None = None) -> list[SentMessage]:
        """Every recorded message (of `week`), oldest first."""
        sql = ("SELECT week, department, message_id, recipient, sent_at, how, via, subject, "
               "attachment, attachment_sha256 FROM sent_messages")
        args: tuple[str, ...] = ()
        if week is not None:
            sql, args = sql + " WHERE week = ?", (week,)
        return [SentMessage(*r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def built_files(self) -> list[BuiltFile]:
        """Every workbook built, oldest first."""
        return [BuiltFile(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in self.db.execute(
            "SELECT file_id, week, department, kind, built_at, sha256, "
            "file_id IN (SELECT file_id FROM draft_files) FROM built_files ORDER BY rowid")]

    def events(self) -> list[Event]:
        return [Event(r[0], r[1], r[2], r[3] or "", r[4] or "", json.loads(r[5] or "{}"))
                for r in self.db.execute(
                    "SELECT id, at, kind, by, note, data FROM events ORDER BY id")]

    # -- mail collected over IMAP (xlflow collect) ------------------------------------------
    def mailbox(self, account: str, folder: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID seen) of a mailbox folder, if collected before."""
        row = self.db.execute("SELECT uidvalidity, last_uid FROM mailboxes WHERE account = ? "
                              "AND folder = ?", (account, folder)).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def set_mailbox(self, account: str, folder: str, uidvalidity: int, last_uid: int,
                    at: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO mailboxes VALUES (?, ?, ?, ?, ?)",
                        (account, folder, uidvalidity, last_uid, at))

    def message_seen(self, message_id: str) -> bool:
        """A message with this Message-ID was collected before (from any folder)."""
        return self.db.execute("SELECT 1 FROM mail_messages WHERE message_id = ? LIMIT 1",
                               (message_id,)).fetchone() is not None

    def add_message(self, *, account: str, folder: str, uidvalidity: int, uid: int,
                    message_id: str, received: str, sender: str, department: str,
                    subject: str, outcome: str, at: str,
                    files: Sequence[Mapping[str, Any]] = ()) -> None:
        self.db.execute("INSERT OR REPLACE INTO mail_messages VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                        (account, folder, uidvalidity, uid, message_id, received, sender,
                         department, subject, outcome, at))
        self.db.executemany("INSERT INTO mail_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (message_id, f["path"], f["sha256"], f["attachment"], f["kind"], f["department"],
             f["week"], received, int(f["verified"])) for f in files])

    def mark_moved(self, account: str, folder: str, uidvalidity: int, uids: list[int]) -> None:
        self.db.executemany("UPDATE mail_messages SET moved = 1 WHERE account = ? AND folder = ? "
                            "AND uidvalidity = ? AND uid = ?",
                            [(account, folder, uidvalidity, u) for u in uids])

    def mail_received(self) -> dict[str, str]:
        """When the mail that brought each saved file arrived: file (relative to the
        project folder, '/'-separated) -> ISO time."""
        return {r[0]: r[1] for r in self.db.execute("SELECT file, received FROM mail_files")}

    # -- risks raised between merges (xlflow risks) ---------------------------------------
    def replace_intake_risks(self, risks: list[RiskRecord]) -> None:
        """The risk-intake register as read from the inbox now (inside `transaction`)."""
        self.db.execute("DELETE FROM intake_risks")
        self.db.executemany("INSERT INTO intake_risks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (r.risk_id, r.department, r.level, r.status,
             r.received.isoformat() if r.received else None, _json(r.to_dict()), *_prov(r.source))
            for r in risks])

    def intake_risks(self, types: Mapping[str, str]) -> list[RiskRecord]:
        return [RiskRecord.from_dict(json.loads(r[0]), types) for r in self.db.execute(
            "SELECT data FROM intake_risks ORDER BY risk_id")]


    # -- mail log: what `remind` and `notify` sent, so a rerun sends nothing new -----------
    def record_mail(self, kind: str, *, day: dt.date, week: str, department: str = "",
                    items: list[str], at: dt.datetime, recipients: list[str],
                    channel: str) -> None:
        """One row per item mailed (a reminder's missing things, a notice's merge)."""
        self.db.executemany(
            "INSERT OR IGNORE INTO mail_log (kind, day, week, department, item, at, recipients, "
            "channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(kind, day.isoformat(), week, department, item, at.isoformat(),
              _json(recipients), channel) for item in items])

    def mailed(self, kind: str, *, day: dt.date | None = None,
               week: str | None = None) -> list[MailRecord]:
        """What was mailed of this kind, that day and/or for that week, oldest first."""
        sql = ("SELECT kind, day, week, department, item, at, recipients, channel FROM mail_log "
               "WHERE kind = ?")
        args: list[Any] = [kind]
        if day is not None:
            sql, args = sql + " AND day = ?", [*args, day.isoformat()]
        if week is not None:
            sql, args = sql + " AND week = ?", [*args, week]
        return [MailRecord(r[0], dt.date.fromisoformat(r[1]), r[2], r[3], r[4], r[5],
                           json.loads(r[6]), r[7])
                for r in self.db.execute(sql + " ORDER BY id", args)]


@dataclass(frozen=True)
class MailRecord:
    """One item of a reminder or notice that went out (or was written as .eml)."""

    kind: str
    day: dt.date
    week: str
    department: str
    item: str
    at: str
    recipients: list[str]
    channel: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "day": self.day.isoformat(), "week": self.week,
                "department": self.department, "item": self.item, "at": self.at,
                "recipients": list(self.recipients), "channel": self.channel}


def iso_or_none(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _prov(source: Any) -> tuple[Any, Any, Any]:
    if source is None:
        return None, None, None
    return source.sha256, source.sheet, source.row


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    """xlflow 0.1 -> schema 2: merges gain version/accepted/report hash; task and risk
    records gain data_week (the merge's week when its own return supplied them)."""
    for column, decl in (("version", "TEXT NOT NULL DEFAULT '0.1.0'"),
                         ("accepted", "INTEGER NOT NULL DEFAULT 0"),
                         ("report_sha256", "TEXT NOT NULL DEFAULT ''")):
        db.execute(f"ALTER TABLE merges ADD COLUMN {column} {decl}")
    db.execute("UPDATE merges SET accepted = (SELECT count(*) FROM sources s "
               "WHERE s.merge_id = merges.id AND s.accepted = 1)")
    weeks = dict(db.execute("SELECT id, week FROM merges").fetchall())
    for table, key in (("tasks", "task_id"), ("risks", "risk_id")):
        rows = db.execute(f"SELECT merge_id, {key}, data FROM {table}").fetchall()
        for merge_id, rid, data in rows:
            d = json.loads(data)
            if table == "tasks":
                d["data_week"] = weeks[merge_id] if d.get("reported") else None
                d.setdefault("headcount", None)
            else:
                d["data_week"] = None if "not-updated" in d.get("flags", []) else weeks[merge_id]
            db.execute(f"UPDATE {table} SET data = ? WHERE merge_id = ? AND {key} = ?",
                       (_json(d), merge_id, rid))


def _migrate_2_to_3(db: sqlite3.Connection) -> None:
    """Schema 3 adds the `built_files` table; nothing existing changes. Files built
    before it are not listed: their returns carry no signature and are let through
    with a warning."""
    for statement in _SCHEMA_3.split(";"):
        if statement.strip():
            db.execute(statement)
