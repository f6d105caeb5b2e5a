"""A run whose only accepted files are PMO masters (PMO总表 with its 风险应对 filled, no
department return) for a week already merged: the masters' responses are taken in, and
the week's figures stay as the week's own returns made them.

The week's returns are no longer among the run's files (filed away after the first
merge), so merging as usual would carry every department's tasks from the week before
over the week's own recorded rows. Instead the run starts from the week's recorded
merge: its tasks, acceptance results, feedback, form blocks, 督办事项 states, files and
file issues as recorded, its risks with the masters' responses on them; the run-level
checks (no-return, missing-weeks, …) are made again. Like a merge of 会议纪要 alone
(`pipeline._minutes_only`), but the responses belong in the week's register, so the
merge is recorded again and its report rewritten with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..issues import Issue, Severity, warning
from ..ledger import Ledger
from ..model.actions import ActionItem
from ..model.records import AcceptanceRecord, Feedback, RiskRecord, SourceFile, TaskStatus
from ..spec import SpecSet
from .carry import Carried, carried_of
from .pmo_response import PMO

#: Issues a run finds again from its own figures: not taken from the recorded merge.
RUN_LEVEL = frozenset({"no-return", "missing-weeks", "calendar-gap", "over-budget",
                       "nothing-accepted", "minutes-only", "master-only"})


@dataclass
class Recorded:
    """A week's recorded merge, as the starting point of a master-only run."""

    own: Carried
    files: list[SourceFile] = field(default_factory=list)
    acceptance: list[AcceptanceRecord] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    actions: dict[str, ActionItem] = field(default_factory=dict)

    @property
    def returned(self) -> set[str]:
        """The departments whose returns the week's merge took in."""
        return {f.department for f in self.files if f.accepted and f.department
                and f.department != PMO}

    def tasks(self, order: Sequence[str]) -> list[TaskStatus]:
        """The week's tasks as recorded, in the plan's order."""
        rank = {tid: i for i, tid in enumerate(order)}
        return sorted(self.own.tasks.values(), key=lambda t: (rank.get(t.task_id, len(rank)),
                                                             t.task_id))

    def files_with(self, run: Sequence[SourceFile]) -> list[SourceFile]:
        """The week's recorded files, then this run's (a file recorded before and sent
        again counts once, as this run read it)."""
        again = {f.sha256 for f in run}
        return [f for f in self.files if f.sha256 not in again] + list(run)


def recorded_week(ledger: Ledger, week: str, specs: SpecSet) -> Recorded | None:
    """The week's recorded merge, or None when the week has none."""
    own = carried_of(ledger, week, specs)
    merge = ledger.merge_of(week)
    if own is None or merge is None:
        return None
    return Recorded(
        own, ledger.sources(merge.id), ledger.acceptance(merge.id), ledger.feedback(merge.id),
        [Issue(i["code"], Severity(i["severity"]), i["message"], i["file"], i["sheet"],
               i["cell"], i["value"], i["expected"])
         for i in ledger.issue_rows(merge.id) if i["code"] not in RUN_LEVEL],
        {a.item_id: a for a in ledger.action_states(merge.id)})


def master_only(masters: Sequence[str], risks: Sequence[RiskRecord], week: str) -> Issue:
    """What the run took in and what it kept."""
    answered = sorted(r.risk_id for r in risks if r.response.get("file") in masters)
    shown = "、".join(answered[:5]) + (f" 等 {len(answered)} 个" if len(answered) > 5 else "")
    return warning("master-only", f"本次只收到 PMO 总表({'、'.join(masters)}),没有部门交回的"
                   f"文件:已采用「风险应对」中 {len(answered)} 个风险的应对"
                   + (f"({shown})" if answered else "")
                   + f";{week} 的任务数据、验收与反馈保持已记录的结果(来自该周已汇总的部门"
                   "文件),报表按此重新生成")
