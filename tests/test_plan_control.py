"""Real approval, the 备案 gate, the baseline and change control, on the example project:
who may approve and give opinions, a plan sent back, a disagreeing opinion, build /
merge before filing (and --draft, 草稿 on every sheet), project.yaml edited behind
xlflow's back, and a change approved into the plan and the report."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow._shell import shell_word
from xlflow.cli import cli
from xlflow.phases.approval import disagrees
from xlflow.phases.baseline import baseline_dates
from xlflow.simulate import fill_workbook
from xlflow.workspace import Workspace

from .conftest import AS_OF, WEEK


def _run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _status(root: Path) -> dict:
    return api.status(root, today=dt.date(2024, 6, 28)).to_dict()


def _agree(root: Path) -> None:
    api.opinion(root, department="运营部", by="运营总监", text="同意,需提前准备活动物料")


# -- who approves, who gives opinions ----------------------------------------------------


@pytest.mark.parametrize("by", ["实习生小王", "陈", "分管副总 王明", "PMO 王芳"])
def test_anyone_but_the_approver_is_refused(unfiled_project: Path, runner: CliRunner,
                                            by: str) -> None:
    _agree(unfiled_project)
    code, out = _run(runner, "approve", unfiled_project, "--by", by)
    assert code == 2
    assert f"--by '{by}' 不是本项目的审批人:应由 分管副总 陈明 审批" in out
    assert _status(unfiled_project)["phase"] == "需求共识"  # nothing recorded


@pytest.mark.parametrize("by", ["分管副总 陈明", "陈明", "分管副总", "分管副总陈明", "陈明(分管副总)",
                                "分管副总　陈明"])
def test_the_approver_by_name_title_or_both(unfiled_project: Path, by: str) -> None:
    _agree(unfiled_project)
    assert api.approve(unfiled_project, by=by).recorded
    assert _status(unfiled_project)["phase"] == "方案审批"


def test_an_opinion_only_from_the_department_head(unfiled_project: Path,
                                                  runner: CliRunner) -> None:
    code, out = _run(runner, "opinion", unfiled_project, "--department", "运营部", "--by",
                     "技术部总监", "--text", "同意")
    assert code == 2 and "应由 运营总监 孙磊 给出意见" in out
    for by in ("运营总监", "孙磊", "运营总监 孙磊"):
        assert api.opinion(unfiled_project, department="运营部", by=by, text="同意").recorded


# -- a plan sent back -----------------------------------------------------------------------


def test_reject_then_approve(unfiled_project: Path, runner: CliRunner) -> None:
    root = unfiled_project
    _agree(root)
    assert api.approve(root, by="陈明").recorded
    code, out = _run(runner, "approve", root, "--by", "陈明", "--reject")
    assert code == 2 and "--reject 需要 --note" in out
    code, out = _run(runner, "approve", root, "--by", "陈明", "--reject", "--note", "测试人员不足")
    assert code == 0 and "已退回方案:陈明" in out
    st = _status(root)
    assert st["phase"] == "需求共识"
    assert "方案已被退回(陈明):测试人员不足" in st["missing"]
    assert [e["kind"] for e in st["completed"]][-2:] == ["approve", "reject"]
    filed = api.file_project(root, by="PMO 王芳")  # the approval before it no longer stands
    assert not filed.recorded and "已被 陈明 退回(测试人员不足)" in filed.issues[0].message
    assert api.approve(root, by="陈明", note="已补充测试人员").recorded
    assert api.file_project(root, by="PMO 王芳").recorded
    assert _status(root)["phase"] == "PMO备案"
    # sent back after filing: the filing goes with the approval, the gate closes again
    api.approve(root, by="陈明", reject=True, note="预算有变")
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2 and "方案审批(已被 陈明 退回:预算有变)" in out


# -- an opinion that disagrees ----------------------------------------------------------------


@pytest.mark.parametrize(("text", "no"), [
    ("不同意,人力不足", True), ("人力不足,不同意", True), ("暂缓,等预算批复", True),
    ("反对", True), ("原则上不认可该方案", True), ("不通过。", True),
    ("同意,需提前准备活动物料", False), ("原则同意,部分功能暂缓", False), ("不反对", False),
    ("同意", False),
])
def test_what_counts_as_disagreeing(text: str, no: bool) -> None:
    assert disagrees(text) is no


def test_a_disagreeing_opinion_blocks_until_the_head_agrees(unfiled_project: Path,
                                                            runner: CliRunner) -> None:
    root = unfiled_project
    api.opinion(root, department="运营部", by="运营总监", text="同意")
    api.opinion(root, department="技术部", by="刘强", text="不同意,人力不足")
    st = _status(root)
    assert st["phase"] == "需求发起"
    assert st["missing"] == ["技术部负责人意见为「不同意,人力不足」(不同意):需其同意后才能审批"]
    code, out = _run(runner, "approve", root, "--by", "分管副总 陈明")
    assert code == 1
    assert "技术部负责人 刘强 的意见是「不同意,人力不足」(不同意)" in out
    assert _status(root)["phase"] == "需求发起"
    api.opinion(root, department="技术部", by="技术部总监", text="同意,已协调两名工程师")
    assert _status(root)["phase"] == "需求共识"
    assert api.approve(root, by="分管副总 陈明").recorded


def test_a_disagreeing_opinion_in_project_yaml_blocks_too(unfiled_project: Path) -> None:
    path = unfiled_project / "project.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "opinion: 同意，需明确推广渠道优先级", "opinion: 暂缓，推广预算未批"), encoding="utf-8")
    _agree(unfiled_project)
    result = api.approve(unfiled_project, by="陈明")
    assert not result.recorded
    assert [i.code for i in result.issues if i.is_error] == ["opinion-disagrees"]
    assert "市场部" in result.issues[0].message


# -- the 备案 gate, --draft ----------------------------------------------------------------


def _drafted(path: Path) -> list[str]:
    """The visible sheets of a workbook that do not say 草稿 in both their printed header
    and footer, or have no 草稿 box drawn on them."""
    wb = openpyxl.load_workbook(path)
    with zipfile.ZipFile(path) as z:
        boxes = sum("草稿:方案尚未 PMO 备案" in z.read(n).decode("utf-8")
                    for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    missing = [ws.title for ws in visible
               if "草稿" not in (ws.oddHeader.center.text or "")
               or "草稿" not in (ws.oddFooter.left.text or "")]
    return missing + (["boxes"] if boxes != len(visible) else [])


def test_steps_recorded_afterwards_carry_their_time(unfiled_project: Path,
                                                   runner: CliRunner) -> None:
    """--at: the opinion, approval and filing stamped when they were taken, so a 2024
    project recorded today shows its 2024 phases; a time later than now is refused."""
    root = unfiled_project
    code, out = _run(runner, "opinion", root, "--department", "运营部", "--by", "运营总监",
                     "--text", "同意,需提前准备活动物料", "--at", "2024-06-26T10:00")
    assert code == 0, out
    code, out = _run(runner, "approve", root, "--by", "分管副总 陈明", "--at", "2024-06-27")
    assert code == 0, out
    code, out = _run(runner, "file", root, "--by", "PMO 王芳", "--at", "2099-01-01T09:00")
    assert code == 2 and "--at 2099-01-01T09:00 晚于现在" in out, out
    code, out = _run(runner, "file", root, "--by", "PMO 王芳", "--at", "2024-06-28 本周")
    assert code == 2 and "不是日期或时间" in out, out
    for early in ("0001-01-01", "1999-12-31T23:00"):
        code, out = _run(runner, "file", root, "--by", "PMO 王芳", "--at", early)
        assert code == 2 and f"--at {early} 早于 2000 年" in out, out
    code, out = _run(runner, "file", root, "--by", "PMO 王芳", "--at", "2024-06-26T09:00")
    assert code == 2 and "--at 2024-06-26T09:00" in out and "早于已记录的上一步" in out, out
    assert _status(root)["phase"] == "方案审批"  # nothing filed by the refused runs
    code, out = _run(runner, "file", root, "--by", "PMO 王芳", "--at", "2024-06-28T09:30")
    assert code == 0, out
    master = openpyxl.load_workbook(next((root / "outbox").rglob("*PMO总表.xlsx")))
    form = "\n".join(str(c.value) for row in master["合作需求申请表"].iter_rows() for c in row
                     if c.value)
    assert re.search(r"陈明 于 2024-06-27 00:00 \(UTC[+-]\d\d:\d\d\) 批准", form), form
    assert re.search(r"于 2024-06-28 09:30 \(UTC[+-]\d\d:\d\d\) 备案", form), form
    stamps = {e.kind: e.at[:16] for e in Workspace(root).events()}
    assert [stamps[k] for k in ("opinion", "approve", "file")] == [
        "2024-06-26T10:00", "2024-06-27T00:00", "2024-06-28T09:30"], stamps
    phases = {day: api.portfolio([root], as_of=dt.date.fromisoformat(day),
                                 write=False).projects[0].phase
              for day in ("2024-06-25", "2024-06-26", "2024-06-27", "2024-07-12")}
    assert [str(p) for p in phases.values()] == ["需求发起", "需求共识", "方案审批", "PMO备案"]


def test_build_and_merge_before_filing_stop_and_write_nothing(unfiled_project: Path,
                                                              runner: CliRunner) -> None:
    root = unfiled_project
    for args in (["build", root, "--week", WEEK],
                 ["merge", root, "--week", WEEK, "--as-of", AS_OF.isoformat()],
                 ["send", root, "--week", WEEK], ["run", root, "--today", "2024-07-08"]):
        code, out = _run(runner, *args)
        assert code == 2, (args, out)
        assert f"方案尚未 PMO 备案,{args[0]} 未执行" in out
        assert f"需求共识:运营部负责人意见 — xlflow opinion {root} --department 运营部" in out
        assert f"方案审批 — xlflow approve {root} --by \"分管副总 陈明\"" in out
        assert f"PMO备案 — xlflow file {root}" in out
    assert not (root / "outbox" / WEEK).exists()
    assert list((root / "reports").iterdir()) == []
    assert not (root / "xlflow-ledger.sqlite").exists()
    # the missing steps shrink as they are done
    _agree(root)
    api.approve(root, by="陈明")
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2 and "需求共识" not in out and "方案审批 —" not in out and "PMO备案 —" in out


def test_draft_marks_every_sheet(unfiled_project: Path, runner: CliRunner) -> None:
    root = unfiled_project
    code, out = _run(runner, "build", root, "--week", WEEK, "--draft")
    assert code == 0, out
    written = sorted((root / "outbox" / WEEK).glob("*.xlsx"))
    assert len(written) == 9  # 4 workbooks, 4 risk forms, the PMO master
    for path in written:
        assert _drafted(path) == [], path
    # the drafts filled in (the sample returns answer the filed build: not these files)
    tec = next(p for p in written if p.name.endswith("-技术部.xlsx"))
    fill_workbook(tec, out=root / "inbox" / "技术部.xlsx", weekly={
        "T03": {"实际完成情况": "联调中", "完成百分比": "60%"},
        "T04": {"实际完成情况": "未开始", "完成百分比": "0%"}})
    code, out = _run(runner, "merge", root, "--week", WEEK, "--as-of", AS_OF.isoformat(),
                     "--draft")
    assert code == 0 and "采用 1 个" in out, out
    assert _drafted(root / "reports" / f"{WEEK}-consolidated.xlsx") == []


def test_a_filed_plan_is_no_draft(built: api.BuildResult) -> None:
    wb = openpyxl.load_workbook(built.departments["技术部"])
    assert all("草稿" not in (ws.oddHeader.center.text or "") + (ws.oddFooter.left.text or "")
               for ws in wb.worksheets)
    master = openpyxl.load_workbook(built.master)["合作需求申请表"]
    texts = [c.value for row in master.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(re.fullmatch(r"备案编号 PMO-UG-2024Q3-\d{8} · PMO 王芳 于 .* 备案", t)
               for t in texts), texts


# -- the baseline and project.yaml edited behind xlflow's back ------------------------------


def test_baseline_dates(unfiled_project: Path) -> None:
    assert baseline_dates(Workspace(unfiled_project)) is None
    _agree(unfiled_project)
    api.approve(unfiled_project, by="陈明")
    api.file_project(unfiled_project, by="PMO 王芳")
    dates = baseline_dates(Workspace(unfiled_project))
    assert dates is not None and len(dates) == 8
    assert (dates["T03"], dates["T08"]) == (dt.date(2024, 7, 12), dt.date(2024, 7, 28))


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_project_yaml_edited_after_filing_is_refused(with_samples: Path,
                                                     runner: CliRunner) -> None:
    root = with_samples
    _edit(root, "due: 2024-07-12, owner: 陈杰", "due: 2024-07-25, owner: 陈杰")
    _edit(root, 'target: ">= 100000"', 'target: ">= 80000"')
    _edit(root, "owner: 周婷", "owner: 周婷婷")
    before = sorted(p.name for p in (root / "reports").iterdir())
    for args in (["build", root, "--week", "2024-W29"], ["build", root, "--week", "2024-W29",
                                                          "--draft"],
                 ["merge", root, "--week", WEEK, "--as-of", AS_OF.isoformat()],
                 ["send", root, "--week", WEEK]):
        code, out = _run(runner, *args)
        assert code == 2, (args, out)
        assert "project.yaml 在 PMO 备案后被直接修改" in out
        assert "任务 T03 时间节点(due):基线 2024-07-12,project.yaml 中 2024-07-25" in out
        assert "任务 T05 负责人(owner):基线 周婷,project.yaml 中 周婷婷" in out
        assert "预期成果 R4 目标值(target):基线 >= 100000,project.yaml 中 >= 80000" in out
        assert f"xlflow change {root} --task T03 --due 2024-07-25" in out
    assert not (root / "outbox" / "2024-W29").exists()
    assert sorted(p.name for p in (root / "reports").iterdir()) == before
    # other edits stay free
    _edit(root, "due: 2024-07-25, owner: 陈杰", "due: 2024-07-12, owner: 陈杰")
    _edit(root, 'target: ">= 80000"', 'target: ">= 100000"')
    _edit(root, "owner: 周婷婷", "owner: 周婷")
    _edit(root, "email: tec@example.com", "email: tech@example.com")
    _edit(root, "capacity: 5", "capacity: 6")
    code, out = _run(runner, "build", root, "--week", "2024-W29")
    assert code == 0, out


def test_the_plans_digest_is_only_a_short_cut(with_samples: Path, runner: CliRunner) -> None:
    """A project.yaml that is the plan passes without a value-by-value comparison (the
    digest kept with the plan); a ledger without the digest, or a plan changed by an
    xlflow that does not keep it (an approved change, the plan table changed), is
    compared value by value."""
    import sqlite3

    from xlflow.phases.baseline import PLAN_DIGEST, plan_differences

    root = with_samples
    ws = Workspace(root)
    assert plan_differences(ws) == []
    db = sqlite3.connect(root / "xlflow-ledger.sqlite")
    stamp = db.execute("SELECT value FROM meta WHERE key = ?", (PLAN_DIGEST,)).fetchone()[0]
    with db:  # an older xlflow approving a change: the plan moves, the digest does not
        db.execute("INSERT INTO plan_changes (id, requested_at, requested_by, reason, state) "
                   "VALUES (99, '2024-07-08', 'PMO', '旧版本', '已批准')")
        db.execute("UPDATE plan_current SET value = '2024-07-25' WHERE item_id = 'T03' "
                   "AND field = 'due'")
    assert db.execute("SELECT value FROM meta WHERE key = ?", (PLAN_DIGEST,)).fetchone()[0] \
        == stamp
    assert [(d.item, d.field, d.planned, d.file) for d in plan_differences(ws)] == [
        ("T03", "due", "2024-07-25", "2024-07-12")]
    code, out = _run(runner, "merge", root, "--week", WEEK, "--as-of", AS_OF.isoformat())
    assert code == 2 and "任务 T03 时间节点(due)" in out, out
    with db:  # a ledger from before the digest: compared value by value, both ways
        db.execute("DELETE FROM meta WHERE key = ?", (PLAN_DIGEST,))
    assert len(plan_differences(ws)) == 1
    _edit(root, "due: 2024-07-12, owner: 陈杰", "due: 2024-07-25, owner: 陈杰")
    assert plan_differences(ws) == []
    db.close()


def test_the_plan_digest_is_the_one_ledgers_hold() -> None:
    """plan_digest sorts its lines, not their keys: the same order (ledgers keep digests
    of the key-ordered lines), for ids that are prefixes of others or hold - and _."""
    import hashlib

    from xlflow.phases.baseline import plan_digest

    values = {("task", item, field): f"{item}/{field}" for item in
              ("T1", "T10", "T1-A", "T1_A", "T2", "t1", "T1A", "Z")
              for field in ("start", "due", "owner", "deliverable", "cancelled")}
    values |= {("result", "R1", "target"): ">= 15%", ("result", "R10", "target"): ">= 1"}
    keyed = "\n".join(f"{k}\t{i}\t{f}\t{v}" for (k, i, f), v in sorted(values.items()))
    assert plan_digest(values) == hashlib.sha256(keyed.encode()).hexdigest()


def test_change_approved_moves_the_plan_and_the_report_shows_both(
        with_samples: Path, runner: CliRunner) -> None:
    root = with_samples
    code, out = _run(runner, "change", root, "--task", "T03", "--due", "2024-07-25",
                     "--reason", "第三方支付接口联调延期", "--by", "PMO 王芳")
    assert code == 0, out
    assert "已记录变更 1(待审批)" in out and "任务 T03 时间节点(due) 2024-07-12 → 2024-07-25" in out
    st = api.status(root, today=AS_OF).to_dict()
    assert [(c["id"], c["state"], c["reason"]) for c in st["pending_changes"]] == [
        (1, "待审批", "第三方支付接口联调延期")]
    code, out = _run(runner, "status", root, "--as-of", AS_OF.isoformat())
    assert "待审批的变更 1:任务 T03 时间节点(due) 2024-07-12 → 2024-07-25" in out
    assert "2024-07-12, owner: 陈杰" in (root / "project.yaml").read_text(encoding="utf-8")
    code, out = _run(runner, "approve", root, "--change", "1", "--by", "实习生小王")
    assert code == 2 and "应由 分管副总 陈明 审批" in out
    code, out = _run(runner, "approve", root, "--change", "1", "--by", "分管副总 陈明")
    assert code == 0, out
    assert "变更 1 已批准:分管副总 陈明" in out
    code, out = _run(runner, "status", root, "--as-of", AS_OF.isoformat())
    assert "变更 1 已批准:任务 T03" in out  # the recorded step, spaced as the others
    text = (root / "project.yaml").read_text(encoding="utf-8")
    assert "due: 2024-07-25, owner: 陈杰, milestone: M2, after: T01}" in text
    assert "# 跨部门合作项目文件" in text  # comments kept
    assert api.status(root, today=AS_OF).to_dict()["pending_changes"] == []
    code, out = _run(runner, "approve", root, "--change", "1", "--by", "陈明")
    assert code == 2 and "变更 1 已已批准" not in out and "已批准" in out
    assert re.search(r"变更 1 已批准\(分管副总 陈明,\d{4}-\d\d-\d\d \d\d:\d\d\),不能再次审批", out), out
    # the plan moved: the report shows baseline, current plan and expected dates
    report = api.merge(root, week=WEEK, as_of=AS_OF)
    # 技术部's workbook was built before the change: its 07-12 is the old plan, not an edit
    moved = [i for i in report.issues if i.code == "changed-plan"]
    assert [i.message for i in moved] == [
        "计划完成日期为 2024-07-12,与现行计划的 2024-07-25 不同(工作簿生成后计划有变更,或单元格"
        "被改动);以现行计划为准"], [i.message for i in moved]
    wb = openpyxl.load_workbook(report.report_path)
    rows = list(wb["周进度跟踪表"].iter_rows(values_only=True))
    head = rows[0]
    t03 = dict(zip(head, next(r for r in rows if r[0] == "T03"), strict=True))
    expected = t03["预计/实际完成"]  # the forecast (前置任务 may push it): against both dates
    assert (t03["基线日期"], t03["计划完成日期"]) == (dt.datetime(2024, 7, 12),
                                                 dt.datetime(2024, 7, 25))
    assert t03["偏差天数"] == (expected - dt.datetime(2024, 7, 25)).days
    assert t03["偏差(基线)"] == (expected - dt.datetime(2024, 7, 12)).days > 0
    assert t03["偏差(基线)"] - t03["偏差天数"] == 13
    t01 = dict(zip(head, next(r for r in rows if r[0] == "T01"), strict=True))
    assert t01["偏差(基线)"] == t01["偏差天数"] == -1
    assert report.to_dict()["baseline"]["T03"] == {"date": "2024-07-12",
                                                   "deviation_days": t03["偏差(基线)"]}
    assert baseline_dates(Workspace(root))["T03"] == dt.date(2024, 7, 12)  # type: ignore[index]


def test_change_of_a_target_and_a_rejected_change(project_dir: Path, runner: CliRunner) -> None:
    root = project_dir
    r = api.change(root, result="R4", target="≥120,000", reason="预算追加", by="PMO 王芳")
    assert [i.text() for i in r.change.items] == ["预期成果 R4 目标值(target) >= 100000 → >= 120000"]
    o = api.change(root, task="T05", owner="周婷婷", deliverable="推广计划, 投放数据报告",
                   reason="人员调整", by="市场部经理")
    assert api.approve_change(root, 1, by="陈明", reject=True, note="维持原目标").change.state == "已驳回"
    assert api.approve_change(root, o.change.id, by="陈明").change.state == "已批准"
    project = Workspace(root).project()
    assert project.task_map["T05"].owner == "周婷婷"
    assert project.task_map["T05"].deliverable == "推广计划, 投放数据报告"
    assert next(x for x in project.results if x.id == "R4").target.value == 100000
    s = api.change(root, task="T04", start="2024-07-14", reason="联调延后", by="PMO 王芳")
    assert [i.text() for i in s.change.items] == ["任务 T04 开始日期(start) 2024-07-13 → 2024-07-14"]
    api.approve_change(root, s.change.id, by="陈明")
    assert Workspace(root).project().task_map["T04"].start == dt.date(2024, 7, 14)
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 0, out
    code, out = _run(runner, "change", root, "--task", "T09", "--due", "2024-07-20",
                     "--reason", "x", "--by", "PMO")
    assert code == 2 and "没有这个任务" in out


def test_the_suggested_approval_runs_as_printed(with_samples: Path, runner: CliRunner,
                                                tmp_path: Path) -> None:
    """`change` names the project's approver, quoted, and the folder: the line it prints,
    pasted into a shell, approves the change (a name and a folder with spaces)."""
    root = tmp_path / "项目 ug2024"
    shutil.move(with_samples, root)
    code, out = _run(runner, "change", root, "--task", "T03", "--due", "2024-07-25",
                     "--reason", "第三方支付接口联调延期", "--by", "PMO 王芳")
    assert code == 0, out
    line = next(x for x in out.splitlines() if "xlflow approve" in x)
    command = line[line.index("xlflow approve"):]
    assert command == f'xlflow approve "{root}" --change 1 --by "分管副总 陈明"'
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                               + os.environ.get("PATH", "")}, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "变更 1 已批准:分管副总 陈明" in done.stdout


@pytest.mark.parametrize(("text", "posix", "cmd"), [
    ("陈明", "陈明", "陈明"),
    ("分管副总 陈明", '"分管副总 陈明"', '"分管副总 陈明"'),
    ("/srv/项目 A", '"/srv/项目 A"', '"/srv/项目 A"'),
    (r"C:\PMO\ug2024", r"'C:\PMO\ug2024'", r"C:\PMO\ug2024"),
    ('王"芳"', "'王\"芳\"'", r'王\"芳\"'),
    ("$HOME 王", "'$HOME 王'", '"$HOME 王"'),
])
def test_shell_words(text: str, posix: str, cmd: str) -> None:
    assert (shell_word(text, windows=False), shell_word(text, windows=True)) == (posix, cmd)
