"""The README's weeks on the command line (issue #9): W28 merged, W29 with nothing new,
W30 forgotten, W31 merged; then what a merge must refuse or leave unrecorded."""

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

from xlflow import api
from xlflow.cli import cli
from xlflow.simulate import fill_workbook

from .conftest import SAMPLES, department_file, file_example

DEPARTMENTS = ["产品部", "市场部", "技术部", "运营部"]


def xlflow(*args: str) -> Any:
    """The CLI with English lines around the Chinese figures (the lines asserted below)."""
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def tasks_sheet(path: Path) -> dict[str, dict[str, Any]]:
    rows = sheet_rows(path, "周进度跟踪表")
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[0]}


def returns_table(path: Path) -> dict[str, tuple[Any, ...]]:
    """总览's 各部门本周交回与投入: department -> (本周交回, 数据截至, 本周投入人数, 计划人数)."""
    rows = sheet_rows(path, "总览")
    start = next(i for i, r in enumerate(rows) if r[0] == "各部门本周交回与投入")
    assert rows[start + 1][:5] == ("部门", "本周交回", "数据截至", "本周投入人数", "计划人数")
    out = {}
    for r in rows[start + 2:]:
        if r[0] not in DEPARTMENTS:
            break
        out[r[0]] = r[1:5]
    return out


def ledger_content(root: Path) -> list[str]:
    db = sqlite3.connect(root / "xlflow-ledger.sqlite")
    try:
        return list(db.iterdump())
    finally:
        db.close()


def history_weeks(root: Path) -> list[tuple[str, str]]:
    result = xlflow("history", str(root), "--json")
    assert result.exit_code == 0, result.output
    return [(m["week"], m["as_of"]) for m in json.loads(result.output)["merges"]]


@pytest.fixture
def weeks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """W28 merged as of 07-12 from the sample returns in inbox/2024-W28/."""
    monkeypatch.chdir(tmp_path)
    assert xlflow("init", "ug", "--example").exit_code == 0
    file_example(Path("ug"))
    assert xlflow("build", "ug", "--week", "2024-W28").exit_code == 0
    inbox = Path("ug/inbox/2024-W28")
    inbox.mkdir()
    for f in (SAMPLES / "returns").glob("*.xlsx"):
        shutil.copy(f, inbox / f.name)
    result = xlflow("merge", "ug", "--week", "2024-W28", "--as-of", "2024-07-12")
    assert result.exit_code == 0, result.output
    assert "files read: 4 (4 accepted)" in result.output
    return tmp_path / "ug"


def test_weeks_28_to_31_on_the_command_line(weeks: Path) -> None:
    root = weeks
    w28 = tasks_sheet(root / "reports/2024-W28-consolidated.xlsx")
    assert {t: r["状态"] for t, r in w28.items()} == {
        "T01": "已完成", "T02": "正常", "T03": "延误", "T04": "预警", "T05": "已完成",
        "T06": "预警", "T07": "已完成", "T08": "正常"}

    # W29: nothing new (last week's files are still in the inbox, nothing else)
    result = xlflow("merge", "ug", "--week", "2024-W29", "--as-of", "2024-07-19")
    assert result.exit_code == 1, result.output  # last week's files are refused
    assert "files read: 4 (0 accepted)" in result.output
    assert "nothing accepted: the report is written, the ledger is unchanged" in result.output
    assert "技术部本次没有交回可用的文件;显示的是此前最近一次(2024-W28)的数据" in result.output
    report29 = root / "reports/2024-W29-consolidated.xlsx"
    w29 = tasks_sheet(report29)
    for tid in ("T01", "T05", "T07"):  # done in W28, still done: nobody said otherwise
        assert (w29[tid]["状态"], w29[tid]["偏差天数"]) == (w28[tid]["状态"], w28[tid]["偏差天数"])
    assert {r["数据来自"] for r in w29.values()} == {"数据来自 2024-W28(未更新 1 周)"}
    assert w29["T03"]["状态"] == "延误" and w29["T03"]["偏差天数"] == 7  # the slip still grows
    changes = sheet_rows(report29, "本周变化")
    assert not any("已完成 →" in str(c) for r in changes for c in r), changes
    assert [r[:2] for r in changes[1:]] == [("偏差扩大", "T03"), ("偏差扩大", "T04"),
                                            ("偏差扩大", "T06")]
    assert returns_table(report29) == {
        "产品部": ("否", "2024-W28", None, None), "市场部": ("否", "2024-W28", None, None),
        "技术部": ("否", "2024-W28", None, 3), "运营部": ("否", "2024-W28", None, 2)}
    assert history_weeks(root) == [("2024-W28", "2024-07-12")]  # W29 is not recorded

    # W30 forgotten; W31: the final returns, compared with W28 and naming what is missing
    assert xlflow("build", "ug", "--week", "2024-W31").exit_code == 0
    inbox31 = root / "inbox/2024-W31"
    inbox31.mkdir()
    for f in (SAMPLES / "returns-2024-W31").glob("*.xlsx"):
        shutil.copy(f, inbox31 / f.name)
    result = xlflow("merge", "ug", "--week", "2024-W31", "--as-of", "2024-07-31")
    assert result.exit_code == 0, result.output
    assert "files read: 8 (4 accepted)" in result.output  # W28's files set aside, not errors
    assert "missing weeks: 2024-W29、2024-W30 (compared with 2024-W28)" in result.output
    report31 = root / "reports/2024-W31-consolidated.xlsx"
    changes = sheet_rows(report31, "本周变化")
    assert changes[1][:2] == ("缺少周汇总", "2024-W29、2024-W30")
    assert {r[1] for r in changes if r[0] == "任务完成"} == {"T02", "T03", "T04", "T06", "T08"}
    assert {d: r[:2] for d, r in returns_table(report31).items()} == {
        d: ("是", "2024-W31") for d in DEPARTMENTS}
    assert history_weeks(root) == [("2024-W28", "2024-07-12"), ("2024-W31", "2024-07-31")]

    # the month names the weeks with no merge
    result = xlflow("review", "ug", "--month", "2024-07")
    assert result.exit_code == 0, result.output
    assert "missing weeks: 2024-W27、2024-W29、2024-W30" in result.output
    review = json.loads(xlflow("review", "ug", "--month", "2024-07", "--json").output)
    assert review["weeks"] == ["2024-W28", "2024-W31"]
    assert review["missing_weeks"] == ["2024-W27", "2024-W29", "2024-W30"]
    result = xlflow("history", "ug")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()[:-1]] == [
        "2024-W28", "2024-W31"]
    assert result.output.splitlines()[-1] == "2 recorded merge(s)"


def test_a_merge_that_accepts_nothing_records_nothing(weeks: Path, tmp_path: Path) -> None:
    root = weeks
    ledger = ledger_content(root)
    # FILES that accept nothing: last week's file for this week
    result = xlflow("merge", "ug", "inbox/2024-W28/技术部-周报-0712.xlsx", "--week", "2024-W32",
                    "--as-of", "2024-08-09")
    assert result.exit_code == 1, result.output
    assert "files read: 1 (0 accepted)" in result.output
    assert "nothing accepted: the report is written, the ledger is unchanged" in result.output
    assert (root / "reports/2024-W32-consolidated.xlsx").is_file()
    # an empty inbox
    shutil.move(root / "inbox", tmp_path / "kept")
    (root / "inbox").mkdir()
    result = xlflow("merge", "ug", "--week", "2024-W32", "--as-of", "2024-08-09", "--json")
    assert result.exit_code == 0, result.output  # no input had errors: there was no input
    data = json.loads(result.output)
    assert (data["recorded"], data["summary"]["files"], data["previous_week"]) == (
        False, 0, "2024-W28")
    assert data["missing_weeks"] == ["2024-W29", "2024-W30", "2024-W31"]
    assert any(i["code"] == "nothing-accepted" for i in data["issues"])
    assert {d["name"]: d["data_week"] for d in data["departments"]} == dict.fromkeys(
        DEPARTMENTS, "2024-W28")
    assert history_weeks(root) == [("2024-W28", "2024-07-12")]
    assert ledger_content(root) == ledger


def test_an_as_of_date_outside_the_week_is_refused_unless_forced(weeks: Path) -> None:
    root = weeks
    result = xlflow("merge", "ug", "--week", "2024-W28", "--as-of", "2024-07-20")
    assert result.exit_code == 2, result.output
    assert "统计日 --as-of 2024-07-20 不在 2024-W28(2024-07-08 至 2024-07-14)内" in result.output
    result = xlflow("merge", "ug", "--week", "2024-W45", "--as-of", "2024-11-08")
    assert result.exit_code == 2, result.output
    assert "不在项目周期 2024-07-01 至 2024-07-30(及 90 天延后期)内" in result.output
    assert history_weeks(root) == [("2024-W28", "2024-07-12")]
    result = xlflow("merge", "ug", "--week", "2024-W28", "--as-of", "2024-07-20", "--force",
                    "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["as_of"] == "2024-07-20"
    assert history_weeks(root) == [("2024-W28", "2024-07-20")]


@pytest.mark.parametrize("where", ["parent", "elsewhere"])
def test_files_on_the_command_line_are_found_in_the_project(weeks: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            where: str) -> None:
    directory = "ug"
    if where == "elsewhere":
        other = tmp_path / "somewhere" / "else"
        other.mkdir(parents=True)
        monkeypatch.chdir(other)
        directory = str(weeks)
    result = xlflow("merge", directory, "inbox/2024-W28/技术部-周报-0712.xlsx", "--week",
                    "2024-W28", "--as-of", "2024-07-12", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(f["name"], f["accepted"]) for f in data["files"]] == [("技术部-周报-0712.xlsx", True)]
    assert data["recorded"] and dt.date.fromisoformat(data["as_of"]) == dt.date(2024, 7, 12)
    # a name that is nowhere is named in the message
    result = xlflow("merge", directory, "inbox/2024-W28/不存在.xlsx", "--week", "2024-W28",
                    "--as-of", "2024-07-12")
    assert result.exit_code != 0
    assert "不存在.xlsx" in result.output


def test_changes_sheet_names_the_week_it_compares_with(weeks: Path) -> None:
    assert xlflow("merge", "ug", "--week", "2024-W29", "--as-of", "2024-07-19").exit_code == 1
    header = sheet_rows(weeks / "reports/2024-W29-consolidated.xlsx", "本周变化")[0]
    assert "与 2024-W28 的汇总比较" in header


def test_a_task_done_without_a_date_stays_as_it_was_in_weeks_without_news(built, tmp_path: Path
                                                                         ) -> None:
    """T02 (due 07-30) reported 100% with no date in W28: finished by 07-12 (-18 days).
    Weeks later, with 产品部 silent, it is still -18 days and 已完成."""
    root = built.project.root
    path = fill_workbook(department_file(built, "产品部", tmp_path), weekly={
        "T01": {"实际完成情况": "完成", "完成百分比": "100%", "实际完成日期": "2024-07-04"},
        "T02": {"实际完成情况": "报告已交", "完成百分比": "100%"}})
    first = api.merge(root, [path], week="2024-W28", as_of=dt.date(2024, 7, 12))
    t02 = next(t for t in first.tasks if t.task_id == "T02")
    assert (t02.status, t02.deviation_days, t02.expected) == ("已完成", -18, dt.date(2024, 7, 12))
    assert "missing-actual-date" in {i.code for i in first.issues}
    built31 = api.build(root, week="2024-W31")
    other = fill_workbook(department_file(built31, "技术部", tmp_path, "tec31.xlsx"),
                          weekly={"T03": {"实际完成情况": "联调", "完成百分比": "90%",
                                          "预计完成日期": "2024-08-02", "偏差原因": "接口"}})
    later = api.merge(root, [other], week="2024-W31", as_of=dt.date(2024, 7, 31))
    t02 = next(t for t in later.tasks if t.task_id == "T02")
    assert (t02.status, t02.deviation_days, t02.data_week) == ("已完成", -18, "2024-W28")
    assert not [c for c in later.changes if c.subject == "T02"]
