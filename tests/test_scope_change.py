"""Scope changes after PMO备案, on the filed example project with real files: a task added
to project.yaml (refused until `change --add-task` is approved, then in the department's
workbook and merged), a task cancelled (refused while another waits for it; marked
`cancelled:` on approval; its earlier week kept; a return still reporting on it named),
and the rule for an opinion after filing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.errors import ProjectError
from xlflow.phases.history import load_history
from xlflow.simulate import fill_workbook
from xlflow.workspace import Workspace

from .conftest import AS_OF, BUILT_AT, WEEK, department_file

T09 = ("  - {id: T09, department: 技术部, role: 前端工程师, duty: 活动页埋点与数据上报, "
       "deliverable: 埋点方案、数据看板, start: 2024-07-15, due: 2024-07-19, owner: 林峰, "
       "milestone: M3, after: T03}\n")
W29, AS_OF29 = "2024-W29", dt.date(2024, 7, 19)


def _run(runner: CliRunner, *args: object) -> tuple[int, str]:
    result = runner.invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "project.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _add_t09(root: Path) -> None:
    _edit(root, "\nsettings:\n", T09 + "\nsettings:\n")


def _task_ids(workbook: Path) -> list[str]:
    ws = openpyxl.load_workbook(workbook)["周进度跟踪表"]
    return [r[0] for r in ws.iter_rows(min_row=2, values_only=True)
            if isinstance(r[0], str) and r[0].startswith("T")]  # not 填报人/填报日期 below


def _sheet(path: str, name: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path)[name].iter_rows(values_only=True))


def test_an_added_task_needs_an_approved_change_then_is_built_and_merged(
        project_dir: Path, runner: CliRunner, tmp_path: Path) -> None:
    root = project_dir
    _add_t09(root)
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2, out
    assert "任务 T09:不在备案的计划中:project.yaml 中新增了它,新增任务要经变更审批" in out
    assert f"xlflow change {root} --add-task T09 --reason … --by …" in out
    assert not (root / "outbox" / WEEK).exists()
    # a plain change of a task outside the plan is refused, pointing at --add-task
    code, out = _run(runner, "change", root, "--task", "T09", "--due", "2024-07-20",
                     "--reason", "x", "--by", "PMO")
    assert code == 2 and "不在当前计划中(新增任务用" in out
    code, out = _run(runner, "change", root, "--add-task", "T09", "--reason", "埋点需求补充",
                     "--by", "PMO 王芳")
    assert code == 0, out
    assert ("已记录变更 1(待审批)" in out and "新增任务 T09:开始日期 2024-07-15、时间节点 2024-07-19、"
            "负责人 林峰、交付成果 埋点方案、数据看板" in out)
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2 and "任务 T09:不在备案的计划中" in out and "(变更 1 待审批)" in out
    before = (root / "project.yaml").read_bytes()
    decided = api.approve_change(root, 1, by="分管副总 陈明")
    assert decided.change.state == "已批准" and decided.project_file == ""  # file already says it
    assert (root / "project.yaml").read_bytes() == before
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    assert _task_ids(built.departments["技术部"]) == ["T03", "T04", "T09"]
    tec = fill_workbook(department_file(built, "技术部", tmp_path), weekly={
        "T03": {"实际完成情况": "已提测", "完成百分比": "90%", "预计完成日期": "2024-07-13",
                "偏差原因": "联调"},
        "T09": {"实际完成情况": "埋点方案已评审", "完成百分比": "30%"}})
    report = api.merge(root, [tec], week=WEEK, as_of=AS_OF)
    t09 = next(t for t in report.tasks if t.task_id == "T09")
    assert (t09.department, t09.percent, t09.reported) == ("技术部", 30, True)
    assert not [i for i in report.issues if i.value == "T09"]
    rows = _sheet(report.report_path, "周进度跟踪表")
    row = dict(zip(rows[0], next(r for r in rows if r[0] == "T09"), strict=True))
    assert (row["基线日期"], row["计划完成日期"]) == ("新增", dt.datetime(2024, 7, 19))
    assert "T09" not in report.to_dict()["baseline"]


def test_added_task_shows_in_this_weeks_changes(with_samples: Path) -> None:
    root = with_samples
    api.merge(root, week=WEEK, as_of=AS_OF)
    _add_t09(root)
    n = api.change(root, add_task="T09", reason="埋点需求补充", by="PMO 王芳").change.id
    api.approve_change(root, n, by="陈明")
    report = api.merge(root, [], week=W29, as_of=AS_OF29)
    added = [(c.label, c.subject, c.department) for c in report.changes
             if str(c.kind) == "task-added"]
    assert added == [("新增任务", "T09", "技术部")]
    assert "变更 1(陈明批准)" in next(c.detail for c in report.changes if c.subject == "T09")
    changes = _sheet(report.report_path, "本周变化")
    assert any(r[:3] == ("新增任务", "T09", "技术部") for r in changes), changes


def test_a_cancelled_task_keeps_its_past_weeks_and_leaves_the_next(
        with_samples: Path, runner: CliRunner, tmp_path: Path) -> None:
    root = with_samples
    w28 = api.merge(root, week=WEEK, as_of=AS_OF)
    t05_w28 = next(t for t in w28.tasks if t.task_id == "T05")
    assert t05_w28.reported
    built29 = api.build(root, week=W29, built_at=BUILT_AT + dt.timedelta(days=7))
    assert "T05" in _task_ids(built29.departments["市场部"])
    # T06 and T07 wait for T05: refused, naming them
    code, out = _run(runner, "change", root, "--remove-task", "T05", "--reason", "推广改由运营部执行",
                     "--by", "PMO 王芳")
    assert code == 2 and "任务 T06、T07 的前置任务(after)有 T05,不能取消 T05" in out
    _edit(root, "owner: 吴昊, milestone: M2, after: T05}", "owner: 吴昊, milestone: M2, after: T01}")
    _edit(root, "owner: 郑洁, milestone: M3, after: T05}", "owner: 郑洁, milestone: M3, after: T01}")
    code, out = _run(runner, "change", root, "--remove-task", "T05", "--reason", "推广改由运营部执行",
                     "--by", "PMO 王芳", "--json")
    assert code == 0, out
    got = json.loads(out)
    assert got["change"]["scope"] == {"task": "T05", "action": "remove"}
    assert got == api.ChangeResult(api.changes(root)[-1]).to_dict()
    text = (root / "project.yaml").read_text(encoding="utf-8")
    decided = api.approve_change(root, 1, by="陈明",
                                 at=dt.datetime(2024, 7, 16, 10, 0).astimezone())
    assert decided.change.summary.startswith("取消任务 T05(自 2024-07-16 起):原计划 开始日期 2024-07-05")
    after = (root / "project.yaml").read_text(encoding="utf-8")
    t05_line = next(line for line in after.splitlines() if "id: T05" in line)
    assert t05_line.endswith("after: T01, cancelled: 2024-07-16}")
    # every other line as it was, comments kept
    assert [line for line in after.splitlines() if "id: T05" not in line] == \
        [line for line in text.splitlines() if "id: T05" not in line]
    project = Workspace(root).project()
    assert "T05" not in project.task_map
    assert [t.id for t in project.cancelled_tasks] == ["T05"]
    # 市场部's W29 workbook was built before: it still reports on T05
    mkt = fill_workbook(department_file(built29, "市场部", tmp_path), weekly={
        "T05": {"实际完成情况": "投放完成", "完成百分比": "100%", "实际完成日期": "2024-07-15",
                "偏差原因": "渠道审核"},
        "T06": {"实际完成情况": "素材完成", "完成百分比": "100%", "实际完成日期": "2024-07-12"}})
    report = api.merge(root, [mkt], week=W29, as_of=AS_OF29)
    assert "T05" not in {t.task_id for t in report.tasks}
    on_t05 = [(i.code, i.severity.value, i.sheet) for i in report.issues if i.value == "T05"]
    assert on_t05 == [("cancelled-task", "warning", "周进度跟踪表")]
    assert "任务 T05 已于 2024-07-16 取消(变更 1,陈明批准),本行未汇总" in next(
        i.message for i in report.issues if i.code == "cancelled-task")
    # so does `xlflow validate --project` on the same return, naming the change
    code, out = _run(runner, "validate", mkt, "--project", root, "--as-of", AS_OF29)
    assert "任务 T05 已于 2024-07-16 取消(变更 1,陈明批准)" in out, out
    cancelled = [c for c in report.changes if str(c.kind) == "task-cancelled"]
    assert [(c.label, c.subject, c.department) for c in cancelled] == [("取消任务", "T05", "市场部")]
    assert "变更 1(陈明批准)" in cancelled[0].detail
    assert any(r[:2] == ("取消任务", "T05") for r in _sheet(report.report_path, "本周变化"))
    # the earlier week keeps T05's row, in the ledger's history
    history = load_history(Workspace(root), project.specs())
    weeks = {m.week: {t.task_id: t for t in history.tasks[m.id]} for m in history.merges}
    assert weeks[WEEK]["T05"].percent == t05_w28.percent and weeks[WEEK]["T05"].reported
    assert "T05" not in weeks[W29]
    # merged again, W28 (统计日 before the cancellation) still has T05 as reported then
    again = api.merge(root, week=WEEK, as_of=AS_OF)
    assert next(t for t in again.tasks if t.task_id == "T05").percent == t05_w28.percent
    assert not [i for i in again.issues if i.code == "cancelled-task"]
    # the next workbook no longer lists it
    built30 = api.build(root, week="2024-W30", built_at=BUILT_AT + dt.timedelta(days=14))
    assert _task_ids(built30.departments["市场部"]) == ["T06"]
    # a cancelled task is no one's predecessor
    _edit(root, "owner: 吴昊, milestone: M2, after: T01}", "owner: 吴昊, milestone: M2, after: T05}")
    with pytest.raises(ProjectError, match="T05 已取消"):
        Workspace(root).project()


def test_scope_edited_behind_xlflows_back_is_named(project_dir: Path, runner: CliRunner) -> None:
    root = project_dir
    _edit(root, "owner: 何静, milestone: M4, after: T07}",
          "owner: 何静, milestone: M4, after: T07, cancelled: 2024-07-16}")
    _edit(root, "after: T08}", "}")  # T02 no longer waits for T08
    line = next(x for x in (root / "project.yaml").read_text(encoding="utf-8").splitlines()
                if "id: T04" in x)
    _edit(root, line + "\n", "")
    code, out = _run(runner, "merge", root, "--week", WEEK, "--as-of", AS_OF)
    assert code == 2, out
    assert "任务 T04:计划中有它,project.yaml 中却没有了(被删除);取消任务要经变更审批" in out
    assert "任务 T08:project.yaml 中标为已取消 2024-07-16,但取消未经变更审批,计划中仍有它" in out
    assert f"xlflow change {root} --remove-task T04" in out
    # put T04 back, cancel T08 properly: approved, then deleting it is named too
    _edit(root, "\nsettings:\n", line + "\n\nsettings:\n")
    n = api.change(root, remove_task="T08", reason="活动取消执行", by="PMO").change.id
    api.approve_change(root, n, by="陈明", at=dt.datetime(2024, 7, 16, 9).astimezone())
    assert _run(runner, "build", root, "--week", WEEK)[0] == 0
    t08 = next(x for x in (root / "project.yaml").read_text(encoding="utf-8").splitlines()
               if "id: T08" in x)
    _edit(root, t08 + "\n", "")
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2 and "任务 T08:已于 2024-07-16 取消,project.yaml 中却没有它了" in out
    _edit(root, "\nsettings:\n", t08.replace(", cancelled: 2024-07-16", "") + "\n\nsettings:\n")
    code, out = _run(runner, "build", root, "--week", WEEK)
    assert code == 2 and "任务 T08:已于 2024-07-16 取消(经变更审批),project.yaml 中却又列为计划内" in out
    assert f"xlflow change {root} --add-task T08" in out
    # brought back through change control
    r = api.change(root, add_task="T08", reason="活动恢复", by="PMO")
    assert r.change.summary.startswith("恢复已取消的任务 T08:")
    api.approve_change(root, r.change.id, by="陈明")
    assert "T08" in Workspace(root).project().task_map
    assert _run(runner, "build", root, "--week", WEEK)[0] == 0


def test_scope_requests_that_make_no_sense_are_refused(project_dir: Path) -> None:
    root = project_dir
    with pytest.raises(ProjectError, match="project.yaml 中没有任务 T09"):
        api.change(root, add_task="T09", reason="x", by="PMO")
    with pytest.raises(ProjectError, match="任务 T03 已在计划中"):
        api.change(root, add_task="T03", reason="x", by="PMO")
    with pytest.raises(ProjectError, match="不在当前计划中"):
        api.change(root, remove_task="T99", reason="x", by="PMO")
    with pytest.raises(ProjectError, match="不能同时给出"):
        api.change(root, add_task="T03", due="2024-07-20", reason="x", by="PMO")
    n = api.change(root, remove_task="T02", reason="x", by="PMO").change.id
    with pytest.raises(ProjectError, match=f"变更 {n} 已提出取消任务 T02"):
        api.change(root, remove_task="T02", reason="y", by="PMO")
    # before approval someone makes T04 wait for T02: the approval is refused
    _edit(root, "owner: 赵敏, milestone: M3, after: T03}", "owner: 赵敏, milestone: M3, after: [T03, T02]}")
    with pytest.raises(ProjectError, match=r"任务 T04 的前置任务\(after\)仍有 T02"):
        api.approve_change(root, n, by="陈明")
    assert api.changes(root)[-1].state == "待审批"


# -- an opinion after filing ------------------------------------------------------------------


def test_an_opinion_after_filing_is_refused_and_the_phase_stays(project_dir: Path,
                                                                runner: CliRunner) -> None:
    root = project_dir
    events = len(Workspace(root).events())
    code, out = _run(runner, "opinion", root, "--department", "技术部", "--by", "技术部总监",
                     "--text", "不同意,人力不足")
    assert code == 2, out
    assert "PMO 备案" in out and "需求共识已结束,技术部的意见未记录" in out
    assert f"xlflow change {root}" in out and f"xlflow approve {root} --reject" in out
    assert len(Workspace(root).events()) == events
    # a disagreeing opinion written into project.yaml after filing: an alert, not a step back
    _edit(root, "opinion: 同意，需提前介入需求评审}", "opinion: 不同意，人力不足}")
    st = api.status(root, today=AS_OF)
    assert st.phase == "PMO备案"
    assert st.alerts == ["备案后 技术部负责人的意见为「不同意，人力不足」(不同意):已备案的方案不受影响;"
                         "需要调整计划时用 xlflow change 提出变更"]
    # sent back, the plan is open again: the head's opinion is recorded
    api.approve(root, by="陈明", reject=True, note="人力重新评估")
    assert api.opinion(root, department="技术部", by="技术部总监", text="同意").recorded


def test_a_cancellation_takes_the_day_given_with_on(project_dir: Path, runner: CliRunner) -> None:
    """`--remove-task ID --on DATE`: the task leaves the plan that day, not the day of
    approval; a date that is no date, before the project or still to come is refused,
    naming --on and what it takes."""
    root = project_dir
    base = ["change", root, "--remove-task", "T02", "--reason", "数据复盘并入运营部日报",
            "--by", "PMO 王芳"]
    code, out = _run(runner, *base, "--on", "2024-7-1x")
    assert code == 2 and "'--on' 的值无效:2024-7-1x 不是日期(应为 YYYY-MM-DD)" in out, out
    code, out = _run(runner, *base, "--on", "2024-06-28")
    assert code == 2, out
    assert "--on 2024-06-28: 取消日期早于项目开始日期 2024-07-01(应为 2024-07-01 至今天的一天)" in out
    code, out = _run(runner, "change", root, "--task", "T03", "--due", "2024-07-13", "--on",
                     "2024-07-10", "--reason", "x", "--by", "PMO")
    assert code == 2 and "--on 只用于 --remove-task" in out, out
    with pytest.raises(ProjectError, match=r"--on 2024-07-20: 取消日期晚于今天 2024-07-16"):
        api.change(root, remove_task="T02", reason="x", by="PMO", on=dt.date(2024, 7, 20),
                   at=dt.datetime(2024, 7, 16, 9).astimezone())
    assert api.changes(root) == []  # nothing recorded by the refusals
    code, out = _run(runner, *base, "--on", "2024-07-10")
    assert code == 0, out
    assert "取消任务 T02(自 2024-07-10 起)" in out
    code, out = _run(runner, "approve", root, "--change", "1", "--by", "分管副总 陈明")
    assert code == 0, out
    t02 = next(x for x in (root / "project.yaml").read_text(encoding="utf-8").splitlines()
               if "id: T02" in x)
    assert t02.endswith("after: T08, cancelled: 2024-07-10}")
    assert [(t.id, t.cancelled) for t in Workspace(root).project().cancelled_tasks] == \
        [("T02", dt.date(2024, 7, 10))]
    # a week whose 统计日 is that day or later no longer has it; an earlier one does
    assert "T02" not in {t.task_id for t in api.merge(root, [], week=WEEK, as_of=AS_OF).tasks}
    early = api.merge(root, [], week="2024-W28", as_of=dt.date(2024, 7, 9), force=True)
    assert "T02" in {t.task_id for t in early.tasks}


def test_the_masters_responsibilities_keep_a_cancelled_task_marked(project_dir: Path) -> None:
    """The PMO's 职责分工表 lists a cancelled task after the plan's, 状态 已取消 with the day
    and the change, its row struck through; the plan's tasks say 计划内."""
    root = project_dir
    n = api.change(root, remove_task="T02", reason="数据复盘并入运营部日报", by="PMO 王芳",
                   on=dt.date(2024, 7, 10)).change.id
    api.approve_change(root, n, by="分管副总 陈明")
    built = api.build(root, week=WEEK, built_at=BUILT_AT)
    sheet = openpyxl.load_workbook(built.master)["职责分工表"]
    header = [c.value for c in sheet[1]]
    status, note = header.index("状态\nStatus"), header.index("说明\nNote")
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2) if r[0].value}
    assert list(rows) == ["T01", "T03", "T04", "T05", "T06", "T07", "T08", "T02"]
    t02 = rows["T02"]
    assert (t02[1].value, t02[status].value) == ("产品部", "已取消")
    assert t02[note].value == "自 2024-07-10 起取消(变更 1,分管副总 陈明批准);此前各周的数据保留"
    assert [rows[t][status].value for t in ("T01", "T08")] == ["计划内", "计划内"]
    # struck through in grey where 状态 says 已取消: the whole table, by its 状态 cell
    (rule,) = [(str(cf.sqref), r.formula, r.dxf.font.strike, r.dxf.font.color.rgb)
               for cf in sheet.conditional_formatting for r in cf.rules]
    col = openpyxl.utils.get_column_letter(status + 1)
    assert rule == (f"A2:{openpyxl.utils.get_column_letter(note + 1)}9", [f'${col}2="已取消"'],
                    True, "FF595959")
    # the department's own workbook no longer lists it
    assert _task_ids(built.departments["产品部"]) == ["T01"]


def test_a_cancelled_task_holds_up_neither_acceptance_nor_the_retro_count(
        with_samples: Path, runner: CliRunner) -> None:
    """Cancelled after the last merge, which still had it unfinished: 成果验收 does not
    list it as unfinished, and the retrospective does not count it among the tasks."""
    from xlflow.phases.retro import build_retrospective

    root = with_samples
    w28 = api.merge(root, week=WEEK, as_of=AS_OF)
    assert not next(t for t in w28.tasks if t.task_id == "T02").done  # no task waits for T02
    before = api.accept(root, today=AS_OF)
    assert any("任务 T02" in m for m in before.missing)
    code, out = _run(runner, "change", root, "--remove-task", "T02", "--reason", "复盘分析并入 T01",
                     "--by", "PMO 王芳")
    assert code == 0, out
    api.approve_change(root, 1, by="陈明", at=dt.datetime(2024, 7, 16, 10, 0).astimezone())
    after = api.accept(root, today=AS_OF)
    assert not any("T02" in m for m in after.missing + after.conditions)
    assert [m for m in after.missing if m.startswith("任务 ")] == \
        [m for m in before.missing if m.startswith("任务 ") and "T02" not in m]
    ws = Workspace(root)
    project = ws.project()
    retro = build_retrospective(project, load_history(ws, project.specs()))
    assert len(project.tasks) == 7 and f"/{len(project.tasks)}" in str(retro.facts)
