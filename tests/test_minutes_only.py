"""A merge that receives only the filled 会议纪要 (no department return): the minutes'
督办事项 are recorded so the next build carries them, and the week's figures — its
recorded merge and its report — stay as they were. Over weeks: W28 merged, the minutes
merged alone, the inbox emptied, W29 built (the items in the owners' workbooks), 技术部's
filled W29 workbook merged (its item closed, the W28 figures intact)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.ledger import Ledger

from .conftest import AS_OF29, BUILT_AT, W29, WEEK, after_w28_meeting, empty_inbox
from .test_meeting import fill_minutes, minutes_of


def recorded(root: Path, week: str) -> tuple[list[dict], list[dict]]:
    with Ledger.open(root) as ledger:
        merge = ledger.merge_of(week)
        assert merge is not None
        types = {"found_at": "datetime", "raised_at": "datetime", "closed_on": "date"}
        return ([t.to_dict() for t in ledger.tasks(merge.id)],
                [r.to_dict() for r in ledger.risks(merge.id, types)])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ug"
    after_w28_meeting(root)
    empty_inbox(root)  # the W28 returns filed away: the minutes come alone
    return root


@pytest.mark.parametrize(("week", "as_of"), [(WEEK, dt.date(2024, 7, 12)),
                                             (W29, dt.date(2024, 7, 15))])
def test_minutes_alone_record_their_items_and_keep_the_weeks_figures(
        root: Path, week: str, as_of: dt.date) -> None:
    """Run for the meeting's week (merged) or on the Monday after (not merged yet)."""
    report_file = root / "reports" / f"{WEEK}-consolidated.xlsx"
    report_before = report_file.read_bytes()
    w28_before = recorded(root, WEEK)
    fill_minutes(minutes_of(root), root / "inbox" / "周例会纪要.xlsx")

    report = api.merge(root, week=week, as_of=as_of)
    codes = [(i.file, i.code) for i in report.issues]
    assert codes == ([("", "minutes-only")] if week == WEEK else
                     [("", "no-return")] * 4 + [("", "minutes-only")])
    assert "DB-24W28-01、DB-24W28-02" in report.issues[-1].message
    assert (report.minutes_only, report.recorded, report.exit_status) == (week == WEEK, False, 0)
    assert report_file.read_bytes() == report_before  # the week's report is not rewritten
    assert recorded(root, WEEK) == w28_before  # nor its figures
    with Ledger.open(root) as ledger:
        assert [m.week for m in ledger.merges()] == [WEEK]
        assert [(a.item_id, a.department) for a in ledger.action_items()] == [
            ("DB-24W28-01", "技术部"), ("DB-24W28-02", "市场部")]
    if week == WEEK:  # the figures shown are the week's as recorded
        assert report.report_path == str(report_file)
        assert {t.task_id: str(t.status) for t in report.tasks} == {
            t["id"]: t["status"] for t in w28_before[0]}
        assert report.late_tasks and report.open_high_risks
    else:  # no return for W29 yet: its report shows W28's figures, as an empty run's does
        assert report.report_path == str(root / "reports" / f"{W29}-consolidated.xlsx")
        assert "报表照常生成" in report.issues[-1].message
        tasks = openpyxl.load_workbook(report.report_path)["周进度跟踪表"]
        assert tasks.max_row == 1 + len(w28_before[0])


def test_the_items_reach_the_next_build_and_merge(root: Path, runner: CliRunner) -> None:
    w28_before = recorded(root, WEEK)
    fill_minutes(minutes_of(root), root / "inbox" / "周例会纪要.xlsx")
    result = runner.invoke(cli, ["merge", str(root), "--week", WEEK, "--as-of", "2024-07-12"])
    assert result.exit_code == 0, result.output
    assert "只收到周例会纪要:已登记督办事项 2 项,本周的汇总数据与报表不变" in result.output
    assert "没有采用任何文件" not in result.output
    empty_inbox(root)

    built = api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7))
    tec = openpyxl.load_workbook(built.departments["技术部"])
    assert [c.value for c in tec["督办事项"][2]][:2] == ["DB-24W28-01", "支付接口联调延误"]
    market = openpyxl.load_workbook(built.departments["市场部"])["督办事项"]
    assert market["A2"].value == "DB-24W28-02"

    tec["督办事项"]["E2"] = "已完成"
    tec["督办事项"]["F2"] = "7 月 18 日联调通过"
    tec["周进度跟踪表"]["B6"] = dt.datetime(2024, 7, 19)
    tec.save(root / "inbox" / "技术部-W29.xlsx")
    report = api.merge(root, week=W29, as_of=AS_OF29)
    assert (report.recorded, report.minutes_only) == (True, False)
    assert [i for i in report.issues if i.file == "技术部-W29.xlsx"] == []
    items = {a.item_id: str(a.status) for a in report.actions}
    assert items == {"DB-24W28-01": "已完成", "DB-24W28-02": "进行中"}
    assert [(c.kind, c.subject) for c in report.changes if "action" in c.kind] == [
        ("new-action", "DB-24W28-01"), ("closed-action", "DB-24W28-01"),
        ("new-action", "DB-24W28-02"), ("overdue-action", "DB-24W28-02")]
    assert recorded(root, WEEK) == w28_before
    assert report.previous_week == WEEK
    tec_rows = [t for t in report.tasks if t.department == "技术部"]
    assert tec_rows and all(t.data_week == W29 for t in tec_rows if t.reported)


def test_minutes_before_any_return_of_the_week_say_what_was_taken_in(
        root: Path, runner: CliRunner) -> None:
    """Monday after the meeting, no return of W29 yet: the summary says the minutes were
    taken in, not that nothing was."""
    fill_minutes(minutes_of(root), root / "inbox" / "周例会纪要.xlsx")
    result = runner.invoke(cli, ["merge", str(root), "--week", W29, "--as-of", "2024-07-15"])
    assert result.exit_code == 0, result.output
    assert "没有采用部门交回的文件:报表已生成,台账未改变(周例会纪要的督办事项 2 项已登记)" \
        in result.output
    assert "没有采用任何文件" not in result.output
    with Ledger.open(root) as ledger:
        assert [m.week for m in ledger.merges()] == [WEEK]
        assert len(ledger.action_items()) == 2
