"""A ledger written by xlflow 0.1 (schema 1) keeps working: tests/data/ledger-v1-0.1.0.sqlite
is the example project after merges of W28 (as of 07-12) and W31 (as of 07-31) of the
sample returns, with the events opinion, approve and file."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as hs

from xlflow import __version__, api
from xlflow.cli import cli
from xlflow.ledger import LEDGER_FILE, SCHEMA_VERSION, Ledger
from xlflow.simulate import header_columns

V1 = Path(__file__).parent / "data" / "ledger-v1-0.1.0.sqlite"


def xlflow(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def content(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return list(db.iterdump())
    finally:
        db.close()


def stored_version(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def old(project_dir: Path) -> Path:
    """A fresh example project holding the 0.1 ledger, not yet opened by this xlflow."""
    shutil.copy(V1, project_dir / LEDGER_FILE)
    assert stored_version(project_dir / LEDGER_FILE) == "1"
    return project_dir


def test_history_lists_the_old_merges(old: Path) -> None:
    result = xlflow("history", str(old), "--json")
    assert result.exit_code == 0, result.output
    merges = json.loads(result.output)["merges"]
    assert [(m["week"], m["as_of"], m["version"], m["accepted"], m["files"]) for m in merges] == [
        ("2024-W28", "2024-07-12", "0.1.0", 4, 4), ("2024-W31", "2024-07-31", "0.1.0", 4, 8)]
    assert stored_version(old / LEDGER_FILE) == str(SCHEMA_VERSION) == "4"
    text = xlflow("history", str(old)).output
    assert "2024-W28  统计日 2024-07-12  文件 4/4" in text and "xlflow 0.1.0" in text


def test_migration_is_idempotent(old: Path) -> None:
    path = old / LEDGER_FILE
    with Ledger(path) as ledger:
        assert ledger.schema_version == 4
    once = content(path)
    with Ledger(path) as ledger:
        assert ledger.schema_version == 4
        weeks = {m.id: m.week for m in ledger.merges()}
        tasks = {weeks[m]: {t.task_id: t.data_week for t in ledger.tasks(m)} for m in weeks}
    assert content(path) == once
    # records that came from a week's own return carry that week
    assert tasks == {w: dict.fromkeys(["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"], w)
                     for w in ("2024-W28", "2024-W31")}


def test_status_review_and_retro_read_the_old_ledger(old: Path) -> None:
    result = xlflow("status", str(old), "--as-of", "2024-07-31", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert [e["kind"] for e in status["completed"]] == ["opinion", "approve", "file"]
    assert status["phase"] == "执行中"
    result = xlflow("review", str(old), "--month", "2024-07", "--json")
    assert result.exit_code == 0, result.output
    review = json.loads(result.output)
    assert review["weeks"] == ["2024-W28", "2024-W31"]
    assert review["missing_weeks"] == ["2024-W27", "2024-W29", "2024-W30"]
    assert review["slip"]["技术部"] == {"2024-W28": 3.5, "2024-W31": 5.0}
    assert len(review["finished"]) == 8 and review["open_risks"] == []
    result = xlflow("retro", str(old))
    assert result.exit_code == 0, result.output
    facts = dict(api.retro(old).retrospective.facts)
    assert facts["任务按期率"] == "5/8 = 63%"
    assert facts["最大偏差"] == "5 天(T03)"


def test_a_new_week_builds_on_the_old_ledger(old: Path, tmp_path: Path) -> None:
    built = api.build(old, week="2024-W32")
    wb = openpyxl.load_workbook(built.departments["技术部"])  # pre-filled from the 0.1 W31
    ws = wb["周进度跟踪表"]
    cols = header_columns(ws)
    assert (ws.cell(2, 1).value, ws.cell(2, cols["完成百分比"]).value,
            ws.cell(2, cols["实际完成日期"]).value) == ("T03", 1, dt.datetime(2024, 7, 17))
    path = tmp_path / "技术部-W32.xlsx"
    wb.save(path)  # sent back as it was: its pre-filled rows are this week's
    result = xlflow("merge", str(old), str(path), "--week", "2024-W32", "--as-of", "2024-08-09",
                    "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["recorded"], report["previous_week"], report["missing_weeks"]) == (
        True, "2024-W31", [])
    tasks = {t["id"]: t for t in report["tasks"]}
    assert {t: tasks[t]["data_week"] for t in tasks} == {
        "T01": "2024-W31", "T02": "2024-W31", "T03": "2024-W32", "T04": "2024-W32",
        "T05": "2024-W31", "T06": "2024-W31", "T07": "2024-W31", "T08": "2024-W31"}
    assert {t: tasks[t]["status"] for t in tasks} == {
        "T01": "已完成", "T02": "已完成", "T03": "延期完成", "T04": "延期完成", "T05": "已完成",
        "T06": "延期完成", "T07": "已完成", "T08": "已完成"}
    assert not [c for c in report["changes"] if c["kind"] == "reopened"]
    with Ledger.open(old) as ledger:
        assert [(m.week, m.version) for m in ledger.merges()] == [
            ("2024-W28", "0.1.0"), ("2024-W31", "0.1.0"), ("2024-W32", __version__)]
        assert ledger.schema_version == 4


_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats(allow_nan=False)
    | hs.text(), lambda inner: hs.lists(inner, max_size=4)
    | hs.dictionaries(hs.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_the_ledgers_json_is_json_dumps(value: Any) -> None:
    """The ledger's encoder (C parts made once) writes what json.dumps writes: records
    stored by one xlflow read back by any other."""
    from xlflow.ledger import _json

    assert _json(value) == json.dumps(value, ensure_ascii=False)
