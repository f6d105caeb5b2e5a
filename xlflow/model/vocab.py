"""The words users see, as enums whose values are those words.

Logic compares members, never string literals; the Chinese value is what a sheet,
dropdown or message shows.
"""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    """A task's schedule status at the as-of date (README: Schedule deviation)."""

    DONE = "已完成"
    DONE_LATE = "延期完成"
    ON_TRACK = "正常"
    WARNING = "预警"
    LATE = "延误"

    @property
    def is_done(self) -> bool:
        return self in (TaskState.DONE, TaskState.DONE_LATE)

    @property
    def on_time(self) -> bool:
        """Counts towards the on-time rate: done on time, or not done and not past plan."""
        return self in (TaskState.DONE, TaskState.ON_TRACK)

    @property
    def behind(self) -> bool:
        """Not done and past the plan."""
        return self in (TaskState.WARNING, TaskState.LATE)

    @property
    def slipped(self) -> bool:
        return self in (TaskState.DONE_LATE, TaskState.WARNING, TaskState.LATE)

    @classmethod
    def of(cls, done: bool, days: int, threshold: int) -> TaskState:
        if done:
            return cls.DONE if days <= 0 else cls.DONE_LATE
        if days <= 0:
            return cls.ON_TRACK
        return cls.WARNING if days <= threshold else cls.LATE


class Level(StrEnum):
    """风险等级 and 项目优先级 share the words 高/中/低; `rank` orders them."""

    HIGH = "高"
    MEDIUM = "中"
    LOW = "低"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @classmethod
    def rank_of(cls, text: str) -> int:
        """Order of a stored word; unknown words (project overrides) sort last."""
        try:
            return cls(text).rank
        except ValueError:
            return len(_LEVEL_RANK)


_LEVEL_RANK = {Level.HIGH: 0, Level.MEDIUM: 1, Level.LOW: 2}


class RiskStatus(StrEnum):
    """The built-in 状态 of a risk; a project may add more (spec_overrides), which count
    as closed."""

    PENDING = "待处理"
    IN_PROGRESS = "处理中"
    RESOLVED = "已解决"
    CLOSED = "已关闭"

    @classmethod
    def is_open_value(cls, text: str) -> bool:
        return text in (cls.PENDING, cls.IN_PROGRESS)


class RiskFlag(StrEnum):
    HIGH_OPEN = "high-open"
    LATE_RAISE = "late-raise"
    OVERDUE = "overdue"
    NO_PLAN = "no-plan"
    NOT_UPDATED = "not-updated"
    LATE_RECEIPT = "late-receipt"
    NO_PMO_RESPONSE = "no-pmo-response"

    @property
    def label(self) -> str:
        return _FLAG_LABELS[self]


_FLAG_LABELS = {
    RiskFlag.HIGH_OPEN: "高风险未关闭",
    RiskFlag.LATE_RAISE: "超过{hours}小时才提出",
    RiskFlag.OVERDUE: "已过解决时限",
    RiskFlag.NO_PLAN: "未定责任人或时限",
    RiskFlag.NOT_UPDATED: "本周未更新",
    RiskFlag.LATE_RECEIPT: "提出后超过{hours}小时PMO才收到",
    RiskFlag.NO_PMO_RESPONSE: "PMO未按时给出应对方案",
}


def flag_label(flag: str, hours: int = 24) -> str:
    try:
        return RiskFlag(flag).label.format(hours=hours)
    except ValueError:
        return flag


class FeedbackKind(StrEnum):
    SUCCESS = "成功经验"
    SHORTCOMING = "不足"
    IMPROVEMENT = "改进建议"


class Verdict(StrEnum):
    """验收结论 of 成果验收确认单."""

    PASS = "通过"
    CONDITIONAL = "有条件通过"
    FAIL = "不通过"

    @property
    def accepts(self) -> bool:
        """通过 and 有条件通过 close the phase 成果验收 (不通过 keeps it open)."""
        return self is not Verdict.FAIL


class Phase(StrEnum):
    """The seven phases, in order."""

    REQUEST = "需求发起"
    CONSENSUS = "需求共识"
    APPROVED = "方案审批"
    FILED = "PMO备案"
    EXECUTING = "执行中"
    ACCEPTED = "成果验收"
    CLOSED = "复盘归档"

    @property
    def order(self) -> int:
        """0 for 需求发起 … 6 for 复盘归档."""
        return list(Phase).index(self)


class EventKind(StrEnum):
    """Ledger events: the lifecycle steps and the audit trail."""

    OPINION = "opinion"
    APPROVE = "approve"
    FILE = "file"
    SEND = "send"
    ACCEPT = "accept"
    RETRO = "retro"
    ARCHIVE = "archive"
    DROP_MERGE = "drop-merge"
    REJECT = "reject"  # the approver sent the plan back (approve --reject)
    CHANGE = "change"  # a plan change requested, approved or rejected (xlflow change)


class ChangeKind(StrEnum):
    NEW_RISK = "new-risk"
    CLOSED_RISK = "closed-risk"
    NEWLY_LATE = "newly-late"
    SLIP_GROWN = "slip-grown"
    COMPLETED = "completed"
    REOPENED = "reopened"
    MISSING_WEEKS = "missing-weeks"
    WEEK_SPEND = "week-spend"  # a department's 本周支出
    OVER_BUDGET = "over-budget"  # its spending so far passed its 预算 this week
    NEW_ACTION = "new-action"
    CLOSED_ACTION = "closed-action"
    OVERDUE_ACTION = "overdue-action"
    TASK_ADDED = "task-added"  # 新增任务 by an approved change (xlflow change --add-task)
    TASK_CANCELLED = "task-cancelled"  # 取消任务 (xlflow change --remove-task)

    @property
    def label(self) -> str:
        return _CHANGE_LABELS[self]


_CHANGE_LABELS = {
    ChangeKind.NEW_RISK: "新增风险", ChangeKind.CLOSED_RISK: "关闭风险",
    ChangeKind.NEWLY_LATE: "新增延误/预警", ChangeKind.SLIP_GROWN: "偏差扩大",
    ChangeKind.COMPLETED: "任务完成", ChangeKind.REOPENED: "任务重新打开",
    ChangeKind.MISSING_WEEKS: "缺少周汇总",
    ChangeKind.WEEK_SPEND: "本周支出", ChangeKind.OVER_BUDGET: "超出预算",
    ChangeKind.NEW_ACTION: "新增督办事项", ChangeKind.CLOSED_ACTION: "督办事项关闭",
    ChangeKind.OVERDUE_ACTION: "督办事项逾期",
    ChangeKind.TASK_ADDED: "新增任务", ChangeKind.TASK_CANCELLED: "取消任务",
}


def percent_text(rate: float | None) -> str:
    """One rounding for every on-time rate shown (report, retro, cases): half up."""
    if rate is None:
        return "—"
    return f"{int(rate * 100 + 0.5 + 1e-9)}%"


class ReminderKind(StrEnum):
    """What `xlflow remind` chases a department for."""

    RETURN = "未交回"
    FORECAST = "缺预计完成日期"
    RISK_PLAN = "风险未定责任人或时限"
    RISK_OVERDUE = "高风险逾期"
    ACTION_OVERDUE = "督办事项逾期"


class ResourceKind(StrEnum):
    """What a resource of project.yaml is (the seed coordinates 人力、预算、设备)."""

    PEOPLE = "人力"
    BUDGET = "预算"
    EQUIPMENT = "设备"
