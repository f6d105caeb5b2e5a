"""fill_workbook stores what is typed the way Excel stores it, given each cell's format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.simulate import as_typed, fill_workbook, header_columns

from .conftest import AS_OF, WEEK, department_file


@pytest.mark.parametrize(("text", "number_format", "stored"), [
    ("85%", "0%", (0.85, "0%")),
    ("85", "0%", (0.85, "0%")),  # automatic percent entry: 1 or more is percent points
    ("0.85", "0%", (0.85, "0%")),
    ("3", "0", (3, "0")),
    ("3", "@", ("3", "@")),  # a text cell keeps digits as text
    ("2024-07-16", "yyyy-mm-dd", (dt.date(2024, 7, 16), "yyyy-mm-dd")),
    ("2024-07-08 09:30", "yyyy-mm-dd hh:mm", (dt.datetime(2024, 7, 8, 9, 30), "yyyy-mm-dd hh:mm")),
    ("50%", "General", (0.5, "0%")),
    ("2024-07-16", "General", (dt.date(2024, 7, 16), "yyyy-mm-dd")),
    ("2024-02-30", "yyyy-mm-dd", ("2024-02-30", "yyyy-mm-dd")),
    ("'85%", "0%", ("85%", "0%")),
    ("=1+1", "General", ("=1+1", "General")),
    ("下周", "yyyy-mm-dd", ("下周", "yyyy-mm-dd")),
    ("１００％", "0%", ("１００％", "0%")),
])
def test_as_typed(text: str, number_format: str, stored: tuple) -> None:
    assert as_typed(text, number_format) == stored


def test_filled_cells_hold_numbers_and_dates_and_merge_the_same(built, tmp_path: Path) -> None:
    typed = fill_workbook(department_file(built, "技术部", tmp_path, "typed.xlsx"), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                "本周投入人数": "3", "偏差原因": "12"}},
        risks=[{"发现时间": "2024-07-08 09:30", "提出时间": "2024-07-08 10:00", "风险描述": "接口",
                "风险等级": "高", "影响范围": "上线", "建议措施": "支援", "解决时限": "2024-07-20"}])
    ws = openpyxl.load_workbook(typed)["周进度跟踪表"]
    cols = header_columns(ws)
    row = {h: ws.cell(2, c) for h, c in cols.items()}
    assert (row["完成百分比"].value, row["完成百分比"].number_format) == (0.8, "0%")
    assert (row["预计完成日期"].value, row["预计完成日期"].number_format) == (
        dt.datetime(2024, 7, 16), "yyyy-mm-dd")
    assert (row["本周投入人数"].value, row["偏差原因"].value) == (3, "12")
    risk = openpyxl.load_workbook(typed)["风险应对申请表"]
    assert risk.cell(2, header_columns(risk)["发现时间"]).value == dt.datetime(2024, 7, 8, 9, 30)

    text = fill_workbook(department_file(built, "技术部", tmp_path, "text.xlsx"), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "'80%", "预计完成日期": "'2024-07-16",
                "本周投入人数": "'3", "偏差原因": "12"}},
        risks=[{"发现时间": "'2024-07-08 09:30", "提出时间": "'2024-07-08 10:00", "风险描述": "接口",
                "风险等级": "高", "影响范围": "上线", "建议措施": "支援", "解决时限": "'2024-07-20"}])
    root = built.project.root
    as_numbers = api.merge(root, [typed], as_of=AS_OF, week=WEEK, write=False).to_dict()
    as_text = api.merge(root, [text], as_of=AS_OF, week=WEEK, write=False).to_dict()
    for section in ("tasks", "risks", "departments"):
        assert _strip(as_numbers[section]) == _strip(as_text[section])
    t03 = next(t for t in as_numbers["tasks"] if t["id"] == "T03")
    assert (t03["percent"], t03["forecast"]) == (80, "2024-07-16")


def _strip(items: list[dict]) -> list[dict]:
    """Everything but where the value came from (file names differ)."""
    return [{k: v for k, v in item.items() if k not in ("source", "file")} for item in items]


def test_pasted_150_percent_is_out_of_range(built, tmp_path: Path) -> None:
    path = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "150%"}})
    report = api.merge(built.project.root, [path], as_of=AS_OF, week=WEEK, write=False)
    assert [(i.cell, i.code) for i in report.issues if i.is_error] == [("F2", "out-of-range")]


def test_record_filed_files_a_plan_that_would_not_pass_approval(unfiled_project: Path) -> None:
    """No opinions, no approval checks: recorded as approved and filed, baselined; the
    gate lets build through and the baseline holds the plan's due dates."""
    from xlflow.phases.baseline import load_baseline
    from xlflow.phases.gate import filing, require_filed
    from xlflow.simulate import record_filed
    from xlflow.workspace import Workspace

    ws = Workspace(unfiled_project)
    assert filing(ws.events()) is None
    assert record_filed(unfiled_project, by="PMO 李", number="PMO-X1") == unfiled_project
    filed = filing(ws.events())
    assert filed is not None
    assert (filed.by, filed.note, filed.data) == ("PMO 李", "备案编号 PMO-X1", {"number": "PMO-X1"})
    require_filed(ws, "build")  # no GateError
    baseline = load_baseline(ws)
    assert baseline is not None and baseline.number == "PMO-X1"
    project = ws.project(with_events=False)
    assert baseline.dates() == {t.id: t.due for t in project.tasks}
