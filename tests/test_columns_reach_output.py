"""Every column a department may type into reaches every output: the consolidated
workbook, `merge --json` and the ledger. The columns come from the specs, so a column
added to a template is covered (or this test says it does not know its type)."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow.cli import cli
from xlflow.simulate import fill_workbook, header_columns
from xlflow.spec import Column, ColumnType, load_specs

from .conftest import SAMPLES, WEEK, department_file

TEXTS = {ColumnType.TEXT, ColumnType.LONGTEXT, ColumnType.PERSON}
TEMPLATES = ("weekly", "risks", "acceptance", "retro")
# the record each template's row becomes: 技术部's task T03, its first reserved risk, the
# expected result R1 it confirms, and one line of 复盘反馈 (found by its text)
RECORD = {"weekly": "T03", "risks": "TEC-24W28-01", "acceptance": "R1"}


def editable(key: str) -> list[Column]:
    return [c for c in load_specs()[key].columns if c.editable]


def distinctive(column: Column, n: int) -> Any:
    """A value for this column that no other column of the row has."""
    t = column.type
    if t in TEXTS:
        return f"{column.zh}·值{n}"
    if t is ColumnType.PERCENT:
        return 30 + n
    if t is ColumnType.DATE:
        return dt.date(2024, 7, 1) + dt.timedelta(days=n)
    if t is ColumnType.DATETIME:
        return dt.datetime(2024, 7, 8, 9, n)
    if t is ColumnType.INTEGER:
        return 5
    if t is ColumnType.NUMBER:
        return 7.25
    if t is ColumnType.ENUM and column.values:
        return column.values[-1]  # never the pre-filled default (状态 待处理)
    if t is ColumnType.ENUM and column.source == "tasks":
        return "T04"
    if t is ColumnType.DEPARTMENT and column.multiple:
        return "产品部、市场部"  # 需协调部门: several departments, as the merge writes them
    raise AssertionError(f"{column.key}: no distinctive value for type {t}; add one here")


def typed(column: Column, value: Any) -> Any:
    """What a person types: 37% as text, everything else as the value itself."""
    return f"{value}%" if column.type is ColumnType.PERCENT else value


def in_workbook(column: Column, value: Any) -> Any:
    if column.type is ColumnType.PERCENT:
        return value / 100
    if column.type is ColumnType.DATE:
        return dt.datetime.combine(value, dt.time())
    return value


def in_json(column: Column, value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b)
    return type(a) is type(b) and a == b


def leaves(data: Any) -> list[Any]:
    if isinstance(data, dict):
        return [x for v in data.values() for x in leaves(v)]
    if isinstance(data, list):
        return [x for v in data for x in leaves(v)]
    return [data]


@pytest.fixture
def everything(built, tmp_path: Path) -> tuple[Path, dict[str, dict[Column, Any]]]:
    """技术部's return with a distinctive value in every editable column of every template."""
    values: dict[str, dict[Column, Any]] = {}
    n = 0
    for key in TEMPLATES:
        values[key] = {}
        for column in editable(key):
            n += 1
            values[key][column] = distinctive(column, n)
    row = {key: {c.zh: typed(c, v) for c, v in values[key].items()} for key in TEMPLATES}
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={"T03": row["weekly"]},
                         risks=[row["risks"]], acceptance={"R1": row["acceptance"]},
                         retro=[row["retro"]])
    return path, values


def merge_json(root: Path, path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["merge", str(root), str(path), "--week", WEEK,
                                      "--as-of", "2024-07-12", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def not_found(root: Path, data: dict[str, Any], values: dict[str, dict[Column, Any]]
              ) -> list[tuple[str, str, str, Any]]:
    """(output, template, column, value) for every value missing from an output."""
    retro_text = next(v for c, v in values["retro"].items() if c.key == "text")
    in_report = {
        "weekly": next(t for t in data["tasks"] if t["id"] == "T03"),
        "risks": next(r for r in data["risks"] if r["id"] == RECORD["risks"]),
        "acceptance": next(a for a in data["acceptance"] if a["id"] == "R1"),
        "retro": next(f for f in data["feedback"] if f["text"] == retro_text),
    }
    db = sqlite3.connect(root / "xlflow-ledger.sqlite")
    try:
        in_ledger = {key: json.loads(db.execute(sql, (ident,)).fetchone()[0]) for key, sql, ident in (
            ("weekly", "SELECT data FROM tasks WHERE task_id = ?", "T03"),
            ("risks", "SELECT data FROM risks WHERE risk_id = ?", RECORD["risks"]),
            ("acceptance", "SELECT data FROM acceptance WHERE result_id = ?", "R1"),
            ("retro", "SELECT data FROM feedback WHERE json_extract(data, '$.text') = ?",
             retro_text))}
    finally:
        db.close()
    wb = openpyxl.load_workbook(data["report"], read_only=True)
    rows = [r for ws in wb.worksheets for r in ws.iter_rows(values_only=True)]
    wb.close()
    missing = []
    for key in TEMPLATES:
        ident = RECORD.get(key, retro_text)
        its_rows = [r for r in rows if ident in r]
        assert its_rows, (key, ident)
        for column, value in values[key].items():
            if not any(same(cell, in_workbook(column, value)) for r in its_rows for cell in r):
                missing.append(("workbook", key, column.zh, value))
            for where, record in (("json", in_report[key]), ("ledger", in_ledger[key])):
                if not any(same(x, in_json(column, value)) for x in leaves(record)):
                    missing.append((where, key, column.zh, value))
    return missing


def test_every_editable_column_reaches_workbook_json_and_ledger(built, everything) -> None:
    path, values = everything
    assert sum(map(len, values.values())) >= 36  # 8 weekly, 19 risk, 5 acceptance, 4 retro
    root = built.project.root
    assert not_found(root, merge_json(root, path), values) == []


def test_a_column_left_out_of_the_report_is_found(built, everything, monkeypatch) -> None:
    """The check can fail: leave 需协调事项 out of the tracker and it names that cell."""
    from xlflow.report import consolidated

    path, values = everything
    coordination = next(v for c, v in values["weekly"].items() if c.key == "coordination")
    original = consolidated.put_rows

    def put_rows(ws: Any, r: int, rows: Any, *args: Any, **kwargs: Any) -> Any:
        return original(ws, r, ([None if v == coordination else v for v in row] for row in rows),
                        *args, **kwargs)

    monkeypatch.setattr(consolidated, "put_rows", put_rows)
    root = built.project.root
    assert not_found(root, merge_json(root, path), values) == [
        ("workbook", "weekly", "需协调事项", coordination)]


@pytest.mark.office
def test_headcount_typed_and_as_a_formula_is_summed_per_department(built, tmp_path: Path) -> None:
    """本周投入人数 typed as 5 (T03) and as =1+2 with the value LibreOffice computed (T04):
    8 people for 技术部 on 总览 and in the month's review."""
    from .office import soffice_convert

    filled = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "联调", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                "本周投入人数": 5, "偏差原因": "接口延迟"},
        "T04": {"实际完成情况": "测试", "完成百分比": "40%", "预计完成日期": "2024-07-17",
                "偏差原因": "等待联调"}})
    wb = openpyxl.load_workbook(filled)
    ws = wb["周进度跟踪表"]
    ws.cell(3, header_columns(ws)["本周投入人数"]).value = "=1+2"
    assert ws.cell(3, 1).value == "T04"
    wb.save(filled)
    resaved = soffice_convert(filled, tmp_path / "lo")
    ws = openpyxl.load_workbook(resaved)["周进度跟踪表"]
    cached = openpyxl.load_workbook(resaved, data_only=True)["周进度跟踪表"]
    col = header_columns(ws)["本周投入人数"]
    assert (ws.cell(3, col).value, cached.cell(3, col).value) == ("=1+2", 3)

    root = built.project.root
    others = [f for f in sorted((SAMPLES / "returns").glob("*.xlsx")) if "技术部" not in f.name]
    inbox = root / "inbox"
    for f in others:
        shutil.copy(f, inbox / f.name)
    shutil.copy(resaved, inbox / "技术部.xlsx")
    runner = CliRunner()
    result = runner.invoke(cli, ["merge", str(root), "--week", WEEK, "--as-of", "2024-07-12",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {t["id"]: t["headcount"] for t in data["tasks"] if t["department"] == "技术部"} == {
        "T03": 5, "T04": 3}
    departments = {d["name"]: (d["headcount"], d["planned_people"]) for d in data["departments"]}
    assert departments["技术部"] == (8, 3)
    wb = openpyxl.load_workbook(data["report"], read_only=True)
    rows = list(wb["总览"].iter_rows(values_only=True))
    wb.close()
    start = next(i for i, r in enumerate(rows) if r[0] == "各部门本周交回与投入") + 2
    table = {r[0]: (r[3], r[4]) for r in rows[start:start + len(departments)]}
    assert table == departments
    result = runner.invoke(cli, ["review", str(root), "--month", "2024-07", "--json"])
    assert result.exit_code == 0, result.output
    people = {(h["week"], h["department"]): (h["people"], h["planned"])
              for h in json.loads(result.output)["headcount"]}
    assert people[(WEEK, "技术部")] == (8, 3)
    assert {d: p for (w, d), p in people.items()} == {
        d: hp for d, hp in departments.items() if hp != (None, None)}
