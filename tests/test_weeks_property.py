"""Weekly figures that stay true across weeks (issue #9), as a state machine.

Week after week of the example project, departments return filled workbooks or stay
silent; rows are updated, left as pre-filled, cleared, or carry a bad cell; tasks finish
early or late and are reopened; risks are raised, closed and reopened. After every merge
the report and the ledger are checked against a model written here, independently of
`xlflow.merge`: a task's figures are its last accepted row, a week with no accepted file
is not recorded, a rerun (or a drop and a rerun) of a week gives the same ledger.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from xlflow import api
from xlflow.cli import cli
from xlflow.ledger import LEDGER_FILE, Ledger
from xlflow.simulate import fill_workbook

from .conftest import mark_filed

FIRST_WEEK = (2024, 27)  # the project starts on Monday 2024-07-01
MAX_WEEKS = 10
MAX_RECHECKS = 3
END = dt.date(2024, 9, 6)  # the example's end widened so that ten weeks fit
DUE = {"T01": dt.date(2024, 7, 5), "T02": dt.date(2024, 8, 16), "T03": dt.date(2024, 7, 12),
       "T04": dt.date(2024, 7, 14), "T05": dt.date(2024, 7, 10), "T06": dt.date(2024, 7, 12),
       "T07": dt.date(2024, 7, 11), "T08": dt.date(2024, 8, 30)}
# 开始日期 and 前置任务 of the example: a task cannot finish before each predecessor's
# expected finish plus its own due − start when that predecessor finishes after its start
# (finish-to-start; a predecessor done by the start holds nothing up)
START = {"T01": dt.date(2024, 7, 1), "T02": dt.date(2024, 7, 28), "T03": dt.date(2024, 7, 5),
         "T04": dt.date(2024, 7, 13), "T05": dt.date(2024, 7, 5), "T06": dt.date(2024, 7, 10),
         "T07": dt.date(2024, 7, 10), "T08": dt.date(2024, 7, 15)}
AFTER = {"T02": ["T08"], "T03": ["T01"], "T04": ["T03"], "T05": ["T01"], "T06": ["T05"],
         "T07": ["T05"], "T08": ["T07"]}
TASKS_OF = {"产品部": ["T01", "T02"], "市场部": ["T05", "T06"], "技术部": ["T03", "T04"],
            "运营部": ["T07", "T08"]}
DEPARTMENT_OF = {t: d for d, ts in TASKS_OF.items() for t in ts}
CODES = {"产品部": "PRD", "市场部": "MKT", "技术部": "TEC", "运营部": "OPS"}
THRESHOLD = 3
OPEN = ("待处理", "处理中")
WEEKLY_INPUTS = ("实际完成情况", "完成百分比", "实际完成日期", "预计完成日期", "本周投入人数", "偏差原因",
                 "解决措施", "需协调事项")
RISK_INPUTS = ("关联任务", "发现时间", "提出时间", "风险描述", "风险等级", "影响范围", "建议措施", "责任人",
               "解决时限", "状态", "落实情况")
BAD_WEEKLY = [("完成百分比", "lots"), ("完成百分比", "150%"), ("实际完成日期", "明天"),
              ("预计完成日期", "2023-01-01"), ("本周投入人数", -1), ("实际完成情况", None)]
BAD_RISK = [("风险等级", "极高"), ("状态", "搁置"), ("发现时间", "上周"), ("风险描述", None)]


# -- the model ------------------------------------------------------------------------------

def week_label(n: int) -> str:
    monday = dt.date.fromisocalendar(*FIRST_WEEK, 1) + dt.timedelta(weeks=n)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def friday(n: int) -> dt.date:
    return dt.date.fromisocalendar(*FIRST_WEEK, 5) + dt.timedelta(weeks=n)


@dataclass
class TaskModel:
    """A task's last accepted figures and the week they were accepted in."""

    percent: float | None = None
    actual: dt.date | None = None
    forecast: dt.date | None = None
    data_week: str | None = None
    finished: dt.date | None = None  # 100% without a date: the as-of date of that week

    @property
    def done(self) -> bool:
        return self.actual is not None or (self.percent is not None and self.percent >= 100)

    def accept(self, percent: float, actual: dt.date | None, forecast: dt.date | None,
               week: str, as_of: dt.date) -> None:
        self.percent, self.actual, self.forecast, self.data_week = percent, actual, forecast, week
        self.finished = as_of if self.done and actual is None else None

    def figures(self, due: dt.date, as_of: dt.date) -> tuple[int, str]:
        """(deviation days, status) as of a date, by the README's rule in calendar days. A
        task reported done without a date finished by the as-of date of that report; a
        later week without news does not move it."""
        if self.done:
            days = ((self.actual or self.finished or as_of) - due).days
            return days, "已完成" if days <= 0 else "延期完成"
        days = (max(self.forecast or due, as_of) - due).days
        if days <= 0:
            return days, "正常"
        return days, "预警" if days <= THRESHOLD else "延误"


@dataclass
class RiskModel:
    department: str
    level: str
    status: str
    data_week: str

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass
class State:
    tasks: dict[str, TaskModel] = field(default_factory=lambda: {t: TaskModel() for t in DUE})
    risks: dict[str, RiskModel] = field(default_factory=dict)


def expected_finish(state: State, tid: str, as_of: dt.date) -> dt.date:
    """When a task is expected to finish: a done task when it did; otherwise its own
    figures, pushed behind a predecessor that finishes after its planned start: that
    finish plus its own duration."""
    t = state.tasks[tid]
    days, _ = t.figures(DUE[tid], as_of)
    own = DUE[tid] + dt.timedelta(days=days)
    if t.done:
        return own
    before = [expected_finish(state, p, as_of) for p in AFTER.get(tid, ())]
    return max([own] + [e + (DUE[tid] - START[tid]) for e in before if e > START[tid]])


def expected_tasks(state: State, as_of: dt.date) -> dict[str, tuple[Any, ...]]:
    out = {}
    for tid, t in state.tasks.items():
        days, status = t.figures(DUE[tid], as_of)
        if not t.done:
            days = (expected_finish(state, tid, as_of) - DUE[tid]).days
            status = "正常" if days <= 0 else "预警" if days <= THRESHOLD else "延误"
        out[tid] = (t.percent, t.actual, t.forecast, status, days, t.data_week)
    return out


def shown_tasks(tasks: list[Any]) -> dict[str, tuple[Any, ...]]:
    return {t.task_id: (t.percent, t.actual, t.forecast, str(t.status), t.deviation_days,
                        t.data_week) for t in tasks}


def expected_risks(state: State, week: str) -> dict[str, tuple[Any, ...]]:
    """Level, status, data week and whether flagged not-updated (open, not from this week)."""
    return {rid: (r.department, r.level, r.status, r.data_week,
                  r.open and r.data_week != week) for rid, r in state.risks.items()}


def shown_risks(risks: list[Any]) -> dict[str, tuple[Any, ...]]:
    return {r.risk_id: (r.department, r.level, r.status, r.data_week, "not-updated" in r.flags)
            for r in risks}


# -- the ledger as data ---------------------------------------------------------------------

def ledger_dump(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, merge ids replaced by weeks, run time and report hash left out (they
    change on every run), rows sorted; events apart."""
    db = sqlite3.connect(root / LEDGER_FILE)
    try:
        weeks = dict(db.execute("SELECT id, week FROM merges").fetchall())
        out = {"merges": sorted(db.execute(
            "SELECT week, as_of, workdays, inputs, version, accepted FROM merges").fetchall())}
        for table in ("sources", "tasks", "risks", "acceptance", "feedback", "issues"):
            rows = db.execute(f"SELECT * FROM {table}").fetchall()
            out[table] = sorted(((weeks[r[0]], *r[1:]) for r in rows), key=repr)
        out["events"] = db.execute("SELECT kind, by, note FROM events ORDER BY id").fetchall()
        return out
    finally:
        db.close()


# -- filling a week's returns ------------------------------------------------------------------

def typed_percent(value: int, form: str) -> Any:
    return f"{value}%" if form == "text" else value / 100


def typed_date(day: dt.date, form: str) -> Any:
    return day.isoformat() if form == "text" else dt.datetime.combine(day, dt.time())


@st.composite
def task_plan(draw: Any, tid: str) -> dict[str, Any]:
    """What a department does with one task row this week."""
    action = draw(st.sampled_from(["progress", "progress", "finish", "reopen", "untouched",
                                   "clear", "bad"]))
    plan: dict[str, Any] = {"action": action, "form": draw(st.sampled_from(["text", "typed"])),
                            "headcount": draw(st.none() | st.integers(0, 9))}
    if action in ("progress", "reopen", "bad"):
        plan["percent"] = draw(st.integers(0, 95))
        offset = draw(st.none() | st.integers(-3, 25))
        plan["forecast"] = None if offset is None else DUE[tid] + dt.timedelta(days=offset)
        plan["actual"] = None
        if action == "progress" and draw(st.integers(0, 5)) == 0:
            # an actual date with less than 100%: counted as done (with a warning)
            plan["actual"] = DUE[tid] + dt.timedelta(days=draw(st.integers(-6, 12)))
            plan["forecast"] = None
    if action == "finish":
        plan["percent"] = 100
        plan["forecast"] = None
        no_date = draw(st.integers(0, 5)) == 0  # 100% without a date: done as of the as-of date
        plan["actual"] = None if no_date else DUE[tid] + dt.timedelta(days=draw(st.integers(-6, 12)))
    if action == "bad":
        plan["bad"] = draw(st.sampled_from(BAD_WEEKLY))
    return plan


def weekly_cells(plan: dict[str, Any], tid: str) -> dict[str, Any] | None:
    """The cells typed for a plan; None leaves the row as pre-filled."""
    action, form = plan["action"], plan["form"]
    if action == "untouched":
        return None
    if action == "clear":
        return dict.fromkeys(WEEKLY_INPUTS)
    cells = {"实际完成情况": f"{tid} {action}", "完成百分比": typed_percent(plan["percent"], form),
             "实际完成日期": typed_date(plan["actual"], form) if plan["actual"] else None,
             "预计完成日期": typed_date(plan["forecast"], form) if plan["forecast"] else None,
             "本周投入人数": plan["headcount"], "偏差原因": f"{tid} 原因",
             "解决措施": None, "需协调事项": None}
    if action == "bad":
        header, value = plan["bad"]
        cells[header] = value
    return cells


RISK_LEVELS = st.sampled_from(["高", "中", "低"])
RISK_STATUSES = st.sampled_from(["待处理", "处理中", "处理中", "已解决", "已关闭"])
CLOSED = "已关闭"


def close_cells(status: str, as_of: dt.date) -> dict[str, Any]:
    """已关闭 comes with 关闭日期 and 关闭确认人 (without them the close is refused)."""
    return {"关闭日期": as_of, "关闭确认人": "王芳"} if status == CLOSED else {}


def kept_level(level: str, before: str) -> str:
    """Nor is a 高 risk lowered without it (downgrade-unapproved): it stays 高."""
    return before if before == "高" else level


def kept_status(status: str, levels: tuple[str, ...], before: str) -> str:
    """A 高 risk is not closed without the PMO's 分管领导意见 (none in this model): it
    keeps the open status it had (`before`)."""
    return before if status == CLOSED and "高" in levels else status


def new_risk_cells(rid: str | None, level: str, status: str, as_of: dt.date) -> dict[str, Any]:
    found = dt.datetime.combine(as_of - dt.timedelta(days=2), dt.time(9, 30))
    cells = {"发现时间": found, "提出时间": found + dt.timedelta(hours=3),
             "风险描述": f"风险 {rid or '新'} {as_of}", "风险等级": level, "影响范围": "上线",
             "建议措施": "加派人手", "责任人": "王芳", "解决时限": as_of + dt.timedelta(days=7),
             "状态": status, **close_cells(status, as_of)}
    if rid is not None:
        cells["风险编号"] = rid
    return cells


# -- the machine ---------------------------------------------------------------------------------

class Weeks(RuleBasedStateMachine):
    """One project, week by week; the model is what the figures must be."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="xlflow-weeks-"))
        self.root = self.tmp / "ug"
        api.init_project(self.root, example=True)
        path = self.root / "project.yaml"
        text = path.read_text(encoding="utf-8").replace("end: 2024-07-30", f"end: {END}")
        text = text.replace("due: 2024-07-30, owner: 钱坤", f"due: {DUE['T02']}, owner: 钱坤")
        text = text.replace("due: 2024-07-28, owner: 何静", f"due: {DUE['T08']}, owner: 何静")
        path.write_text(text, encoding="utf-8")
        mark_filed(self.root)
        self.n = 0  # weeks handled so far (merged, silent or skipped)
        self.state = State()
        self.recorded: dict[str, State] = {}  # week -> the model as that week left it
        self.files: dict[str, list[Path]] = {}
        self.as_of: dict[str, dt.date] = {}
        self.unchecked = False  # a recorded merge not yet rerun or dropped
        self.skipped = False
        self.rechecks = 0

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- rules -----------------------------------------------------------------------------
    # Each step is a week or a recheck, and at most MAX_RECHECKS steps are rechecks, so with
    # stateful_step_count = MAX_WEEKS an example runs 7 to 10 weeks.
    @rule(data=st.data())
    def a_week(self, data: st.DataObject) -> None:
        """Monday to Friday: some departments return their workbook and the others stay
        silent; or nobody sends anything (the merge reads the inbox, which holds only
        earlier weeks' files, and must record nothing); or the PMO forgets the week."""
        kinds = ["returns"] if not self.recorded else (
            ["returns"] * 4 + ["nothing new"] + ([] if self.skipped else ["forgotten"]))
        kind = data.draw(st.sampled_from(kinds), label="week")
        self.skipped = kind == "forgotten"
        if kind == "forgotten":
            self.n += 1
            return
        returning = []
        if kind == "returns":
            silent = st.sampled_from([False, False, True])
            returning = [d for d in TASKS_OF if not data.draw(silent, label=f"{d} silent")]
        self._merge(returning or (["技术部"] if kind == "returns" else []), data)

    @precondition(lambda self: self.unchecked and self.rechecks < MAX_RECHECKS)
    @rule(data=st.data())
    def merge_a_week_again(self, data: st.DataObject) -> None:
        """Rerun the latest recorded week, or drop a recorded week (`xlflow history --drop`)
        and merge it again: either way the ledger is as it was."""
        self.unchecked = False
        self.rechecks += 1
        before = ledger_dump(self.root)
        drop = data.draw(st.booleans(), label="drop")
        week = max(self.recorded)
        if drop:
            week = data.draw(st.sampled_from(sorted(self.recorded)), label="week dropped")
            result = api.history(self.root, drop=week, by="测试")
            assert result.dropped == week
            assert [m.week for m in result.merges] == sorted(w for w in self.recorded if w != week)
        report = api.merge(self.root, self.files[week], week=week, as_of=self.as_of[week])
        assert report.recorded
        after = ledger_dump(self.root)
        if drop:
            dropped = after["events"].pop()
            assert dropped[:2] == ("drop-merge", "测试") and week in dropped[2]
        assert after == before

    # -- invariants --------------------------------------------------------------------------
    @invariant()
    def history_lists_the_recorded_weeks(self) -> None:
        """`xlflow history --json` lists the recorded weeks with their as-of dates."""
        result = CliRunner().invoke(cli, ["history", str(self.root), "--json"])
        assert result.exit_code == 0, result.output
        listed = [(m["week"], m["as_of"]) for m in json.loads(result.output)["merges"]]
        assert listed == [(w, self.as_of[w].isoformat()) for w in sorted(self.recorded)]

    @invariant()
    def the_ledger_holds_the_recorded_weeks_as_the_model_says(self) -> None:
        if not self.recorded:
            assert not (self.root / LEDGER_FILE).exists() or not api.history(self.root).merges
            return
        with Ledger.open(self.root) as ledger:
            merges = ledger.merges()
            assert [m.week for m in merges] == sorted(self.recorded)
            for m in merges:
                model = self.recorded[m.week]
                assert m.as_of == self.as_of[m.week]
                assert shown_tasks(ledger.tasks(m.id)) == expected_tasks(model, m.as_of), m.week
                assert shown_risks(ledger.risks(m.id, {})) == expected_risks(model, m.week), m.week

    # -- helpers -----------------------------------------------------------------------------
    def _merge(self, returning: list[str], data: st.DataObject | None) -> None:
        week, as_of = week_label(self.n), friday(self.n)
        new = copy.deepcopy(self.state)
        reopened: set[str] = set()
        people: dict[str, int] = {}
        paths: list[Path] = []
        if returning:
            assert data is not None
            built = api.build(self.root, week=week, departments=returning)
            (self.root / "inbox" / week).mkdir(parents=True)
            for dept in returning:
                weekly: dict[str, dict[str, Any]] = {}
                for tid in TASKS_OF[dept]:
                    plan = data.draw(task_plan(tid), label=tid)
                    cells = weekly_cells(plan, tid)
                    if cells is not None:
                        weekly[tid] = cells
                    accepted = self._apply_task(new, tid, plan, week, as_of, reopened)
                    if accepted and plan["headcount"] is not None:
                        people[dept] = people.get(dept, 0) + plan["headcount"]
                risks = self._risk_rows(data, dept, built.departments[dept], new, week, as_of)
                target = self.root / "inbox" / week / f"{dept}-{week}.xlsx"
                paths.append(fill_workbook(built.departments[dept], weekly=weekly, risks=risks,
                                           out=target))
        # no FILES means "the inbox": earlier weeks' files there, none of this week's
        report = api.merge(self.root, paths or None, week=week, as_of=as_of)
        self._check_report(report, new, week, as_of, returning, reopened, people)
        if returning:
            self.state = new
            self.recorded[week] = copy.deepcopy(new)
            self.files[week], self.as_of[week] = paths, as_of
            self.unchecked = True
        self.n += 1

    def _apply_task(self, new: State, tid: str, plan: dict[str, Any], week: str,
                    as_of: dt.date, reopened: set[str]) -> bool:
        """The model's rule: an accepted row replaces the figures; a cleared or rejected
        row keeps the last accepted ones; an untouched pre-filled row re-sends them (but
        not 本周投入人数, which is never pre-filled). True when the row's typed values
        count."""
        task = new.tasks[tid]
        action = plan["action"]
        if action in ("clear", "bad"):
            return False
        if action == "untouched":
            if task.data_week is not None and task.percent is not None:
                # its pre-filled values are sent again: they count as this week's row
                task.accept(task.percent, task.actual, task.forecast, week, as_of)
            return False
        was_done = task.done
        task.accept(float(plan["percent"]), plan["actual"], plan["forecast"], week, as_of)
        if was_done and not task.done:
            reopened.add(tid)
        return True

    def _risk_rows(self, data: st.DataObject, dept: str, workbook: Path, new: State,
                   week: str, as_of: dt.date) -> list[dict[str, Any]]:
        """Rows for the department's risk sheet, in sheet order from row 2; the model is
        updated with what should be accepted."""
        ws = openpyxl.load_workbook(workbook, read_only=True)["风险应对申请表"]
        ids = [r[0] for r in ws.iter_rows(min_row=2, max_col=1, values_only=True) if r[0]]
        ws.parent.close()
        prefilled = [rid for rid in ids if rid in new.risks]
        assert prefilled == sorted(r for r, m in self.state.risks.items()
                                   if m.department == dept and m.open)
        reserved = [rid for rid in ids if rid not in new.risks]
        rows: list[dict[str, Any]] = []
        for rid in prefilled:
            risk = new.risks[rid]
            action = data.draw(st.sampled_from(["untouched", "update", "clear", "bad"]),
                               label=rid)
            if action == "untouched":
                risk.data_week = week
                rows.append({})
            elif action == "update":
                level, status = data.draw(RISK_LEVELS), data.draw(RISK_STATUSES)
                rows.append({"风险等级": level, "状态": status, "落实情况": f"{week} 更新",
                             **close_cells(status, as_of)})
                status = kept_status(status, (level, risk.level), risk.status)
                level = kept_level(level, risk.level)
                risk.level, risk.status, risk.data_week = level, status, week
            elif action == "clear":
                rows.append(dict.fromkeys(RISK_INPUTS))
            else:
                header, value = data.draw(st.sampled_from(BAD_RISK))
                rows.append({header: value})
        # a risk closed before this week, typed again into a blank row with its id
        closed = sorted(r for r, m in self.state.risks.items()
                        if m.department == dept and not m.open)
        reopen = data.draw(st.lists(st.sampled_from(closed), unique=True, max_size=1)
                           if closed else st.just([]), label="reopen")
        raised = data.draw(st.lists(st.tuples(RISK_LEVELS, RISK_STATUSES), max_size=2),
                           label="raise")
        for slot, rid in enumerate(reopen):
            level, status = data.draw(RISK_LEVELS), data.draw(st.sampled_from(OPEN))
            rows.append(new_risk_cells(rid, level, status, as_of))
            new.risks[rid] = RiskModel(dept, kept_level(level, self.state.risks[rid].level),
                                       status, week)
            del reserved[slot]
        for (level, status), rid in zip(raised, reserved, strict=False):
            rows.append(new_risk_cells(None, level, status, as_of))
            new.risks[rid] = RiskModel(dept, level, kept_status(status, (level,), "待处理"), week)
        return rows

    def _check_report(self, report: api.MergeReport, new: State, week: str, as_of: dt.date,
                      returning: list[str], reopened: set[str], people: dict[str, int]) -> None:
        shown = new if returning else self.state
        previous = max((w for w in self.recorded if w < week), default=None)
        assert report.recorded == bool(returning)
        assert report.previous_week == previous
        assert report.missing_weeks == ([week_label(i) for i in range(self.n)
                                         if previous is not None and previous < week_label(i)])
        assert shown_tasks(report.tasks) == expected_tasks(shown, as_of)
        assert shown_risks(report.risks) == expected_risks(shown, week)
        # a done task stays done unless this week's accepted row reopened it
        if previous is not None:
            before = self.recorded[previous].tasks
            now = {t.task_id: t for t in report.tasks}
            for tid, task in before.items():
                if task.done and tid not in reopened:
                    assert now[tid].status in ("已完成", "延期完成"), (tid, now[tid].status)
            changed = {(c.kind, c.subject) for c in report.changes}
            assert {s for k, s in changed if k == "reopened"} == reopened
            assert {s for k, s in changed if k == "completed"} == {
                t for t, m in shown.tasks.items() if m.done and not before[t].done}
        # per department: returned, the week its figures are from, people this week
        for d in report.departments:
            ids = TASKS_OF[d.name]
            weeks = [shown.tasks[t].data_week for t in ids if shown.tasks[t].data_week]
            assert (d.returned, d.data_week, d.headcount) == (
                d.name in returning, max(weeks, default=None), people.get(d.name))
        if not returning:
            assert any(i.code == "nothing-accepted" for i in report.issues)


# No shrinking: a ten-week run takes minutes to shrink, and a failure already prints every
# draw by name (week, department silent, task plan, risk action).
Weeks.TestCase.settings = settings(
    max_examples=12, stateful_step_count=MAX_WEEKS, deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
test_weeks_stay_true = Weeks.TestCase
