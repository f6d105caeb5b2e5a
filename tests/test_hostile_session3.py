"""Hostile and careless edits of what landed in session 3: 本周支出, the 填报人/填报日期
block, 需协调部门, the PMO master and minutes, 模板5 conclusions, plan control. Each
ends in correct figures or a Chinese message naming file, sheet and cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.simulate import header_columns

from .conftest import AS_OF, WEEK, department_file


def _weekly(path: Path, fn) -> Path:
    """Fill T03/T04 of 技术部's 周进度跟踪表 and its block, then let fn edit the sheet."""
    wb = openpyxl.load_workbook(path)
    ws = wb["周进度跟踪表"]
    cols = header_columns(ws)
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, 1).value in ("T03", "T04"):
            ws.cell(r, cols["实际完成情况"]).value = "进行中"
            ws.cell(r, cols["完成百分比"]).value = 0.5
    labels = {str(ws.cell(r, 1).value).rstrip(" *"): r for r in range(2, ws.max_row + 1)
              if ws.cell(r, 1).value}
    ws.cell(labels["填报人"], 2).value = "陈杰"
    ws.cell(labels["填报日期"], 2).value = dt.date(2024, 7, 12)
    fn(ws, labels)
    wb.save(path)
    return path


def _merge(built: api.BuildResult, path: Path) -> api.MergeReport:
    before = path.read_bytes()
    report = api.merge(built.project.root, [path], week=WEEK, as_of=AS_OF)
    assert path.read_bytes() == before  # the input is never modified
    return report


def _percent(report: api.MergeReport, task: str) -> float | None:
    return next(t.percent for t in report.tasks if t.task_id == task)


# -- 模板3: the 填报人/填报日期 block --------------------------------------------------

def test_block_pasted_between_task_rows_drops_no_task(built: api.BuildResult,
                                                        tmp_path: Path) -> None:
    """The block copied up between T03 and T04: T04 under it still counts, and the
    original block below is reported as a second one, not silently ignored."""
    def inside(ws, labels):
        ws.insert_rows(3, 2)
        ws.cell(3, 1).value, ws.cell(3, 2).value = "填报人", "王五"
        ws.cell(4, 1).value, ws.cell(4, 2).value = "填报日期", dt.date(2024, 7, 12)

    report = _merge(built, _weekly(department_file(built, "技术部", tmp_path), inside))
    assert report.errors == 0
    assert (_percent(report, "T03"), _percent(report, "T04")) == (50, 50)
    assert report.block("技术部", "weekly").values["reporter"] == "王五"
    assert [(i.cell, i.code, i.value) for i in report.issues
            if i.code == "repeated-form-field"] == [
        ("B7", "repeated-form-field", "陈杰"), ("B8", "repeated-form-field", "2024-07-12")]


def test_duplicated_reporter_label_is_reported(built: api.BuildResult, tmp_path: Path) -> None:
    def twice(ws, labels):
        ws.cell(ws.max_row + 2, 1).value = "填报人"
        ws.cell(ws.max_row, 2).value = "李四"

    report = _merge(built, _weekly(department_file(built, "技术部", tmp_path), twice))
    found = [i for i in report.issues if i.code == "repeated-form-field"]
    assert [(i.file, i.sheet, i.cell, i.value) for i in found] == [
        ("技术部.xlsx", "周进度跟踪表", "B8", "李四")]
    assert "B5" in found[0].message
    assert report.block("技术部", "weekly").values["reporter"] == "陈杰"


def test_deleted_block_of_a_current_workbook_is_a_warning(built: api.BuildResult,
                                                           tmp_path: Path) -> None:
    """A workbook built with the block (same template digest) and returned without it
    is not an old return: the missing 填报人/填报日期 is said."""
    def delete(ws, labels):
        for m in list(ws.merged_cells.ranges):
            if m.min_row >= labels["填报人"]:
                ws.unmerge_cells(str(m))
        ws.delete_rows(labels["填报人"], 2)

    report = _merge(built, _weekly(department_file(built, "技术部", tmp_path), delete))
    assert report.errors == 0
    assert [(i.file, i.sheet, i.code) for i in report.issues
            if i.code == "missing-form-field"] == [("技术部.xlsx", "周进度跟踪表",
                                                     "missing-form-field")]
    assert report.block("技术部", "weekly") is None
    assert _percent(report, "T04") == 50


@pytest.mark.parametrize("typed", ["7月12日", "2024.7.12"])
def test_report_date_typed_as_text(built: api.BuildResult, tmp_path: Path, typed: str) -> None:
    def as_text(ws, labels):
        ws.cell(labels["填报日期"], 2).value = typed

    report = _merge(built, _weekly(department_file(built, "技术部", tmp_path), as_text))
    assert report.errors == 0
    assert report.block("技术部", "weekly").values["report_date"] == dt.date(2024, 7, 12)


# -- 模板3: 本周支出(元) -------------------------------------------------------------

@pytest.mark.parametrize("spend, code", [
    (1e20, "out-of-range"), (-500, "out-of-range"), ("1万", "bad-number"),
    ("=1000*2", "formula-no-value"), (dt.datetime(2024, 7, 1), "bad-number"),
    ("300元", "bad-number")])
def test_bad_spend_is_named_and_not_summed(built: api.BuildResult, tmp_path: Path,
                                           spend: object, code: str) -> None:
    def typed(ws, labels):
        col = header_columns(ws)["本周支出(元)"]
        ws.cell(2, col).value = spend

    report = _merge(built, _weekly(department_file(built, "技术部", tmp_path), typed))
    assert [(i.sheet, i.cell, i.code) for i in report.issues if i.is_error] == [
        ("周进度跟踪表", "J2", code)]
    assert all(t.spend is None for t in report.tasks)


# -- plan control ------------------------------------------------------------------

def test_a_change_made_stale_by_another_cannot_be_approved(project_dir: Path) -> None:
    """The same change asked twice (once with ' T03 '): approving the second after the
    first would apply it against a plan it no longer describes."""
    from xlflow.errors import XlflowError
    from xlflow.phases import baseline
    from xlflow.workspace import Workspace

    ws = Workspace(project_dir)
    first = baseline.request_change(ws, by="PMO", reason="接口延期", task="T03",
                                    values={"due": "2024-07-25"}).change
    second = baseline.request_change(ws, by="PMO", reason="接口延期", task=" T03 ",
                                     values={"due": "2024-07-30"}).change
    baseline.decide_change(ws, first.id, by="分管副总 陈明", approve=True)
    yaml_before = (project_dir / "project.yaml").read_bytes()
    with pytest.raises(XlflowError) as exc:
        baseline.decide_change(ws, second.id, by="分管副总 陈明", approve=True)
    assert f"变更 {second.id}" in str(exc.value) and "2024-07-25" in str(exc.value)
    assert (project_dir / "project.yaml").read_bytes() == yaml_before
    assert "due: 2024-07-25" in yaml_before.decode()
    rejected = baseline.decide_change(ws, second.id, by="分管副总 陈明", approve=False)
    assert rejected.change.state == baseline.REJECTED
    with pytest.raises(XlflowError, match="没有这个变更"):
        baseline.decide_change(ws, 99, by="分管副总 陈明", approve=True)
    with pytest.raises(XlflowError, match="不能再次审批"):
        baseline.decide_change(ws, first.id, by="分管副总 陈明", approve=True)
