"""Nothing a department sent is lost: killed merges, concurrent merges, and a property
test over generated filled-in workbooks."""

from __future__ import annotations

import datetime as dt
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlflow import api
from xlflow._files import project_lock
from xlflow.ledger import LEDGER_FILE
from xlflow.simulate import fill_workbook, header_columns

from .conftest import AS_OF, WEEK, department_file, file_example

MERGE = [sys.executable, "-m", "xlflow", "merge"]


def _merge_cmd(root: Path) -> list[str]:
    return [*MERGE, str(root), "--week", WEEK, "--as-of", AS_OF.isoformat()]


def test_killed_merge_leaves_report_and_ledger_intact(with_samples: Path) -> None:
    subprocess.run(_merge_cmd(with_samples), check=True, capture_output=True)
    report = with_samples / "reports" / f"{WEEK}-consolidated.xlsx"
    good = report.read_bytes()
    rng = random.Random(7)
    for _ in range(8):
        proc = subprocess.Popen(_merge_cmd(with_samples), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        wb = openpyxl.load_workbook(report)  # old or new, always whole
        assert wb.sheetnames[0] == "总览"
        db = sqlite3.connect(with_samples / LEDGER_FILE)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM merges").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM tasks").fetchone() == (8,)
        db.close()
    # the next run cleans up after the killed ones and gives the same figures
    subprocess.run(_merge_cmd(with_samples), check=True, capture_output=True)
    assert not list((with_samples / "reports").glob(".*.tmp"))
    assert openpyxl.load_workbook(report)["周进度跟踪表"]["J4"].value == \
        openpyxl.load_workbook(__import__("io").BytesIO(good))["周进度跟踪表"]["J4"].value


def test_two_merges_at_once_the_second_stops_clearly(with_samples: Path) -> None:
    with project_lock(with_samples):
        out = subprocess.run(_merge_cmd(with_samples), capture_output=True, text=True)
    assert out.returncode == 2
    assert "another xlflow run is writing this project" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (with_samples / "reports" / f"{WEEK}-consolidated.xlsx").exists()


# -- property: every non-empty input cell is in the figures or in 校验问题 ------------------

_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_garbage = st.one_of(
    st.none(), _text, st.integers(-5, 200), st.floats(-1, 200, allow_nan=False),
    st.dates(dt.date(2024, 5, 1), dt.date(2024, 12, 31)),
    st.sampled_from(["很高", "#N/A", "=1+1", " \u00a0", "1,000", "下周", "150%"]),
)
_date = st.one_of(st.dates(dt.date(2024, 6, 1), dt.date(2024, 10, 28)),
                  st.sampled_from(["2024年7月9日", "7月15日", "2024/7/16", "2024.7.20"]))
_when = st.one_of(st.datetimes(dt.datetime(2024, 6, 2), dt.datetime(2024, 10, 27)),
                  st.sampled_from(["2024-07-08 09:30", "2024/7/9 15:00"]))
_words = st.text(alphabet="进度风险接口联调延期测试上线 abc", min_size=1, max_size=10)


def _mostly(valid, optional: bool = False):
    """Most often a value a person would type correctly (optional ones often blank),
    sometimes garbage. The draw shrinks towards valid values."""
    def pick(n: int):
        if n == 9:
            return _garbage
        return st.none() if optional and n >= 6 else valid
    return st.integers(0, 9).flatmap(pick)


WEEKLY = {
    "实际完成情况": _mostly(_words), "完成百分比": _mostly(st.sampled_from(["85%", 0.5, 30, "１００％"])),
    "实际完成日期": _mostly(_date, True), "预计完成日期": _mostly(_date, True),
    "偏差原因": _mostly(_words, True), "解决措施": _mostly(_words, True),
    "需协调事项": _mostly(_words, True),
}
RISK = {
    "关联任务": _mostly(st.sampled_from(["T03", "T04", "T01"]), True), "发现时间": _mostly(_when),
    "提出时间": _mostly(_when), "风险描述": _mostly(_words), "风险等级": _mostly(st.sampled_from("高中低")),
    "影响范围": _mostly(_words), "建议措施": _mostly(_words), "责任人": _mostly(_words, True),
    "解决时限": _mostly(_date, True),
    "状态": _mostly(st.sampled_from(["待处理", "处理中", "已解决", "已关闭"])),
    "落实情况": _mostly(_words, True),
}
WEEKLY_INPUTS, RISK_INPUTS = list(WEEKLY), list(RISK)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> api.BuildResult:
    root = tmp_path_factory.mktemp("prop") / "ug"
    api.init_project(root, example=True)
    file_example(root)
    return api.build(root, week=WEEK)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(weekly=st.lists(st.fixed_dictionaries(WEEKLY), min_size=2, max_size=2),
       risks=st.lists(st.fixed_dictionaries(RISK), max_size=3))
def test_every_input_cell_is_counted_or_reported(base, tmp_path_factory, weekly, risks) -> None:
    tmp = tmp_path_factory.mktemp("case")
    path = fill_workbook(department_file(base, "技术部", tmp),
                         weekly={"T03": weekly[0], "T04": weekly[1]}, risks=risks)
    report = api.merge(base.project.root, [path], as_of=AS_OF, week=WEEK, write=False)
    counted = {("周进度跟踪表", t.source.row) for t in report.tasks if t.source}
    counted |= {("风险应对申请表", r.source.row) for r in report.risks if r.source}
    # a row kept out of the figures must have an *error* naming it; a warning is no excuse
    reported_rows = {(i.sheet, int("".join(filter(str.isdigit, i.cell))))
                     for i in report.issues if i.cell and i.is_error}
    wb = openpyxl.load_workbook(path)
    for sheet, inputs in (("周进度跟踪表", WEEKLY_INPUTS), ("风险应对申请表", RISK_INPUTS)):
        ws = wb[sheet]
        cols = header_columns(ws)
        for row in range(2, ws.max_row + 1):
            for header in inputs:
                value = ws.cell(row, cols[header]).value
                if value is None or (isinstance(value, str) and not value.strip(" \u00a0")):
                    continue
                if sheet == "风险应对申请表" and header == "状态" and value == "待处理":
                    continue  # the pre-filled default, not something the department sent
                assert (sheet, row) in counted or (sheet, row) in reported_rows, (
                    sheet, row, header, value, [str(i) for i in report.issues])
