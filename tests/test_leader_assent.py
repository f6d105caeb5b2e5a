"""A 分管领导意见 counts as the leader's agreement only when it says so: 「同意关闭」 closes
a 高 risk, 「不同意关闭」, 「暂缓」, 「请补充材料」 or 「已阅」 do not — for a close, a downgrade
and the close of a risk that was 已解决, in the weekly merge and in `xlflow risks`. The
PMO fills the master `build` wrote, 技术部 its workbook or risk form, both with openpyxl."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from xlflow import api
from xlflow.merge.leader_assent import assents
from xlflow.simulate import fill_workbook

from .conftest import empty_inbox, w29_built
from .test_hostile_followup2 import (
    AS_OF29,
    CLOSE,
    TEC_RISK,
    W29,
    built,
    coded,
    merged,
    respond,
    risk,
    tec_form,
)

NOT_AGREED = ["不同意关闭", "暂缓", "请补充材料", "已阅", "同意,但请补充压测报告后再关闭",
              "暂不同意降级"]


@pytest.fixture(scope="module")
def week29(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return w29_built(tmp_path_factory.mktemp("assent") / "ug")


@pytest.fixture
def root(week29: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(week29, tmp_path / "ug"))


@pytest.mark.parametrize("opinion", NOT_AGREED + [None, "否"])
def test_words_that_do_not_agree(opinion: str | None) -> None:
    assert not assents(opinion)


@pytest.mark.parametrize("opinion", ["同意关闭。陈明", "同意降为中风险", "批准", "准予关闭",
                                     "可以关闭", "不反对关闭", "同 意", "Approved"])
def test_words_that_agree(opinion: str) -> None:
    assert assents(opinion)


@pytest.mark.parametrize("opinion", ["不同意关闭", "暂缓", "请补充材料"])
def test_a_high_risk_closed_against_the_leaders_opinion_stays_open(root: Path,
                                                                   opinion: str) -> None:
    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": opinion}})
    fill_workbook(built(root, W29, "技术部"), risks=[{**CLOSE, "关闭日期": "2024-07-17"}],
                  out=root / "inbox" / "技术部.xlsx")
    report = merged(root, W29, AS_OF29)
    assert coded(report, "close-unapproved") == [
        ("技术部.xlsx", "风险应对申请表", "L2", "close-unapproved")]
    (issue,) = [i for i in report.issues if i.code == "close-unapproved"]
    assert f"分管领导意见为「{opinion}」(PMO总表.xlsx「风险应对」第 2 行),不是同意的意见" in (
        issue.message)
    assert "同意关闭" in issue.expected
    tec = risk(report.risks, TEC_RISK)
    assert (tec.status, tec.is_open, tec.response["leader_opinion"]) == ("处理中", True, opinion)


def test_a_high_risk_lowered_against_the_leaders_opinion_stays_high(root: Path) -> None:
    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": "暂不同意降级"}})
    fill_workbook(built(root, W29, "技术部"), risks=[{"风险等级": "中"}],
                  out=root / "inbox" / "技术部.xlsx")
    report = merged(root, W29, AS_OF29)
    assert coded(report, "downgrade-unapproved") == [
        ("技术部.xlsx", "风险应对申请表", "G2", "downgrade-unapproved")]
    (issue,) = [i for i in report.issues if i.code == "downgrade-unapproved"]
    assert "「暂不同意降级」" in issue.message and issue.value == "中"
    assert risk(report.risks, TEC_RISK).level == "高"


def test_a_resolved_high_risk_closed_on_a_form_needs_an_agreeing_opinion(root: Path) -> None:
    """`xlflow risks`: 已解决, then 已关闭 on a second form, the master in the inbox saying
    「请补充材料」: refused, the risk stays 已解决; 「同意关闭」 instead closes it."""
    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": "请补充材料"}})
    tec_form(root, "风险-1.xlsx", {"状态": "已解决"}, dt.datetime(2024, 7, 16, 9))
    tec_form(root, "风险-2.xlsx", {**CLOSE, "关闭日期": "2024-07-17"},
             dt.datetime(2024, 7, 17, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert [(i.file, i.sheet, i.cell, i.code) for i in result.issues] == [
        ("风险-2.xlsx", "风险应对申请表", "L2", "close-unapproved")]
    assert "「请补充材料」" in result.issues[0].message
    assert risk(result.risks, TEC_RISK).status == "已解决"

    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": "同意关闭"}})
    result = api.risks(root, as_of=dt.date(2024, 7, 17))
    assert result.issues == []
    assert risk(result.risks, TEC_RISK).status == "已关闭"


def test_a_refusal_recorded_last_week_still_refuses_this_week(root: Path) -> None:
    """The response is carried with the risk: a 「暂缓」 merged in W29 still refuses the
    close typed on a risk form afterwards (no master in the inbox)."""
    respond(root, W29, {2: {"应对方案": "扩容", "分管领导意见": "暂缓"}})
    merged(root, W29, AS_OF29)
    empty_inbox(root)
    tec_form(root, "风险.xlsx", {**CLOSE, "关闭日期": "2024-07-20"}, dt.datetime(2024, 7, 20, 9))
    result = api.risks(root, as_of=dt.date(2024, 7, 20))
    assert [i.code for i in result.issues] == ["close-unapproved"]
    assert "「暂缓」" in result.issues[0].message
