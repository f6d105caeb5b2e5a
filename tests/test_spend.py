"""本周支出(元): typed in 模板3 over two weeks, summed per department against its 预算
(the example's 市场部 推广预算 50,000 元) on 总览, in JSON, the ledger and the monthly review."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.simulate import header_columns

from .conftest import AS_OF, BUILT_AT, WEEK, department_file


def _fill(path: Path, rows: dict[str, dict[str, object]]) -> Path:
    """Type into 周进度跟踪表 as a person does: values straight into the cells."""
    wb = openpyxl.load_workbook(path)
    ws = wb["周进度跟踪表"]
    cols = header_columns(ws)
    for r in range(2, ws.max_row + 1):
        for header, value in rows.get(str(ws.cell(r, 1).value), {}).items():
            ws.cell(r, cols[header]).value = value
    wb.save(path)
    return path


def _row(percent: float, spend: object) -> dict[str, object]:
    return {"实际完成情况": "投放进行中", "完成百分比": percent, "本周支出(元)": spend}


def _spend_section(report_path: str) -> dict[str, tuple]:
    ws = openpyxl.load_workbook(report_path)["总览"]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "各部门支出与预算")
    assert rows[start + 1][:5] == ("部门", "本周支出(元)", "累计支出(元)", "预算(元)", "剩余/超支(元)")
    out = {}
    for r in rows[start + 2:]:
        if not r[0]:
            break
        out[r[0]] = r[1:5]
    return out


def test_spend_over_two_weeks_against_the_budget(built: api.BuildResult, tmp_path: Path,
                                                 runner: CliRunner) -> None:
    root = built.project.root
    w28 = _fill(department_file(built, "市场部", tmp_path),
                {"T05": _row(0.5, 20000), "T06": _row(0.6, 12500.5)})
    first = api.merge(root, [w28], week=WEEK, as_of=AS_OF)
    mkt = next(d for d in first.departments if d.name == "市场部")
    assert (mkt.spend, mkt.spent, mkt.budget, mkt.remaining) == (32500.5, 32500.5, 50000, 17499.5)
    assert "over-budget" not in {i.code for i in first.issues}
    assert _spend_section(first.report_path)["市场部"] == (32500.5, 32500.5, 50000, 17499.5)

    built29 = api.build(root, week="2024-W29", built_at=BUILT_AT)
    w29 = _fill(department_file(built29, "市场部", tmp_path, "w29.xlsx"),
                {"T05": _row(0.9, 18000), "T06": _row(1, None)})
    result = runner.invoke(cli, ["merge", str(root), str(w29), "--week", "2024-W29",
                                 "--as-of", "2024-07-19", "--json"])
    data = json.loads(result.output)
    mkt_json = next(d for d in data["departments"] if d["name"] == "市场部")
    assert (mkt_json["spend"], mkt_json["spent"], mkt_json["budget"], mkt_json["remaining"]) == (
        18000, 50500.5, 50000, -500.5)
    over = [i for i in data["issues"] if i["code"] == "over-budget"]
    assert len(over) == 1 and "市场部" in over[0]["message"] and "500.50 元" in over[0]["message"]
    assert {t["id"]: t["spend"] for t in data["tasks"] if t["department"] == "市场部"} == {
        "T05": 18000, "T06": None}
    section = _spend_section(data["report"])
    assert section["市场部"] == (18000, 50500.5, 50000, -500.5)
    assert "技术部" not in section  # no budget, nothing spent
    ws = openpyxl.load_workbook(data["report"])["总览"]
    red = [str(cf.sqref) for cf in ws.conditional_formatting for rule in cf.rules
           if rule.operator == "lessThan"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "市场部"
               and ws.cell(r, 5).value == -500.5)
    assert f"E{row}" in red

    db = sqlite3.connect(root / "xlflow-ledger.sqlite")
    try:
        stored = db.execute("SELECT m.week, json_extract(t.data, '$.spend') FROM tasks t "
                            "JOIN merges m ON m.id = t.merge_id WHERE t.task_id = 'T05' "
                            "ORDER BY m.week").fetchall()
    finally:
        db.close()
    assert stored == [("2024-W28", 20000), ("2024-W29", 18000)]

    review = api.review(root, month="2024-07")
    weeks = {(s["week"], s["department"]): (s["spend"], s["spent"], s["remaining"])
             for s in review.review.spend}
    assert weeks[("2024-W28", "市场部")] == (32500.5, 32500.5, 17499.5)
    assert weeks[("2024-W29", "市场部")] == (18000, 50500.5, -500.5)
    sheet = openpyxl.load_workbook(review.path)["支出与预算"]
    assert [c.value for c in sheet[1]] == ["周次", "部门", "本周支出(元)", "累计支出(元)", "预算(元)",
                                          "剩余/超支(元)"]


def test_merging_a_week_again_does_not_count_its_spend_twice(built: api.BuildResult,
                                                             tmp_path: Path) -> None:
    root = built.project.root
    w28 = _fill(department_file(built, "市场部", tmp_path), {"T05": _row(0.5, 30000)})
    api.merge(root, [w28], week=WEEK, as_of=AS_OF)
    again = api.merge(root, [w28], week=WEEK, as_of=AS_OF)
    assert next(d for d in again.departments if d.name == "市场部").spent == 30000


@pytest.mark.parametrize("typed, code", [(-100, "out-of-range"), ("两万", "bad-number")])
def test_negative_or_text_spend_names_the_cell(built: api.BuildResult, tmp_path: Path,
                                               typed: object, code: str) -> None:
    path = _fill(department_file(built, "市场部", tmp_path), {"T05": _row(0.5, typed)})
    report = api.merge(built.project.root, [path], week=WEEK, as_of=AS_OF)
    col = header_columns(openpyxl.load_workbook(path)["周进度跟踪表"])["本周支出(元)"]
    letter = openpyxl.utils.get_column_letter(col)
    bad = [(i.sheet, i.cell, i.code) for i in report.issues if i.code == code]
    assert bad == [("周进度跟踪表", f"{letter}2", code)]


def test_the_workbook_validates_spend_as_a_number(built: api.BuildResult,
                                                  tmp_path: Path) -> None:
    path = department_file(built, "市场部", tmp_path)
    ws = openpyxl.load_workbook(path)["周进度跟踪表"]
    col = openpyxl.utils.get_column_letter(header_columns(ws)["本周支出(元)"])
    rules = [dv for dv in ws.data_validations.dataValidation if f"{col}2" in str(dv.sqref)]
    assert [(dv.type, dv.operator or "between", float(dv.formula1)) for dv in rules] == [
        ("decimal", "between", 0)]


def _changes(report_path: str) -> list[tuple]:
    return [r[:4] for r in openpyxl.load_workbook(report_path)["本周变化"].iter_rows(
        min_row=2, values_only=True) if r[0] in ("本周支出", "超出预算")]


def test_this_weeks_spend_and_a_budget_newly_passed_are_changes(built: api.BuildResult,
                                                               tmp_path: Path) -> None:
    """本周变化 over merged weeks: W29's 本周支出 per department, and 市场部's budget passed
    in W29 (within it after W28); W30 spends again but the budget was passed already."""
    root = built.project.root
    w28 = _fill(department_file(built, "市场部", tmp_path),
                {"T05": _row(0.5, 20000), "T06": _row(0.6, 12500.5)})
    first = api.merge(root, [w28], week=WEEK, as_of=AS_OF)
    assert [(str(c.kind), c.department) for c in first.changes
            if c.kind in ("week-spend", "over-budget")] == [("week-spend", "市场部")]

    built29 = api.build(root, week="2024-W29", built_at=BUILT_AT)
    mkt = _fill(department_file(built29, "市场部", tmp_path, "m29.xlsx"),
                {"T05": _row(0.9, 18000), "T06": _row(1, None)})
    tec = _fill(department_file(built29, "技术部", tmp_path, "t29.xlsx"),
                {"T03": _row(0.9, 3000)})
    second = api.merge(root, [mkt, tec], week="2024-W29", as_of=dt.date(2024, 7, 19))
    assert _changes(second.report_path) == [
        ("本周支出", "18,000 元", "市场部", "本周支出 18,000 元,累计 50,500.50 元 / 预算 50,000 元"),
        ("超出预算", "预算 50,000 元", "市场部",
         "累计支出 32,500.50 元 → 50,500.50 元,超支 500.50 元"),
        ("本周支出", "3,000 元", "技术部", "本周支出 3,000 元,累计 3,000 元")]
    as_json = [c.to_dict() for c in second.changes if c.kind == "over-budget"]
    assert [(c["label"], c["department"]) for c in as_json] == [("超出预算", "市场部")]

    built30 = api.build(root, week="2024-W30", built_at=BUILT_AT)
    w30 = _fill(department_file(built30, "市场部", tmp_path, "m30.xlsx"), {"T05": _row(1, 2000)})
    third = api.merge(root, [w30], week="2024-W30", as_of=dt.date(2024, 7, 26))
    assert [r[:3] for r in _changes(third.report_path)] == [("本周支出", "2,000 元", "市场部")]
