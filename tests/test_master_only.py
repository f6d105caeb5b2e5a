"""A week merged again when the inbox holds only the PMO master (PMO总表, its 风险应对
filled; no department return): the master's responses are taken in, and the week's
figures — its tasks as the departments returned them — stay as recorded instead of being
replaced by figures carried from the week before (like a merge of 会议纪要 alone).
Over weeks: W28 merged from the four sample returns, W29 built and 技术部's filled W29
workbook merged, the inbox emptied, the PMO's filled W29 master merged alone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.ledger import Ledger

from .conftest import AS_OF29, BUILT_AT, W29, WEEK, after_w28_meeting, empty_inbox
from .test_hostile_followup2 import respond
from .test_minutes_only import recorded

ANSWER = {"应对方案": "扩容支付网关,加测压测", "需协调部门": "市场部", "责任人": "刘强",
          "解决时限": dt.datetime(2024, 7, 24), "PMO意见": "按方案推进"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ug"
    after_w28_meeting(root)
    empty_inbox(root)
    built = api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7))
    tec = openpyxl.load_workbook(built.departments["技术部"])
    tec["周进度跟踪表"]["B6"] = dt.datetime(2024, 7, 19)
    tec.save(root / "inbox" / "技术部-W29.xlsx")
    assert api.merge(root, week=W29, as_of=AS_OF29).recorded
    empty_inbox(root)  # 技术部's return filed away: the master comes alone
    return root


def figures(root: Path, week: str) -> list[dict]:
    """The week's recorded task figures (all but nothing: a task's every field)."""
    return recorded(root, week)[0]


def test_a_master_alone_keeps_the_weeks_figures_and_takes_in_its_answers(root: Path) -> None:
    before = figures(root, W29)
    assert [t["id"] for t in before if t["data_week"] == W29]  # 技术部's W29 rows
    respond(root, W29, {2: ANSWER})

    report = api.merge(root, week=W29, as_of=AS_OF29)
    assert figures(root, W29) == before  # nothing carried over the week's own returns
    assert [(i.file, i.code) for i in report.issues if i.code != "not-updated"] == [
        ("", "no-return"), ("", "no-return"), ("", "no-return"), ("", "master-only")]
    assert "PMO总表.xlsx" in report.issues[-1].message
    assert "TEC-24W28-01" in report.issues[-1].message
    assert report.recorded and report.exit_status == 0
    with Ledger.open(root) as ledger:
        merge = ledger.merge_of(W29)
        assert merge is not None
        assert sorted(s.name for s in ledger.sources(merge.id)) == [
            "PMO总表.xlsx", "技术部-W29.xlsx"]
    risks = {r["id"]: r for r in recorded(root, W29)[1]}
    assert risks["TEC-24W28-01"]["response"]["plan"] == ANSWER["应对方案"]
    assert risks["TEC-24W28-01"]["response"]["owner"] == "刘强"
    register = openpyxl.load_workbook(report.report_path)
    assert any(ANSWER["应对方案"] in [c.value for c in row]
               for ws in register.worksheets for row in ws.iter_rows())


def test_the_w28_master_alone_does_not_wipe_w28(tmp_path: Path) -> None:
    """W28 as the colleague tried it: the W28 master (built before any risk was
    registered: no prefilled row) with a row typed in anyway, merged alone."""
    root = tmp_path / "ug"
    after_w28_meeting(root)
    before = figures(root, WEEK)
    empty_inbox(root)
    respond(root, WEEK, {2: ANSWER})

    report = api.merge(root, week=WEEK, as_of=dt.date(2024, 7, 12))
    assert figures(root, WEEK) == before
    assert "master-only" in [i.code for i in report.issues]
    assert "no-return" not in [i.code for i in report.issues]
