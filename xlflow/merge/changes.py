"""本周变化: what changed since the last recorded week, and which weeks are missing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.records import Change, RiskRecord, TaskStatus
from ..model.vocab import ChangeKind
from ..values import clean_text


def changes_since(tasks: Sequence[TaskStatus], risks: Sequence[RiskRecord],
                  previous_tasks: Mapping[str, TaskStatus],
                  previous_risks: Mapping[str, RiskRecord],
                  missing_weeks: Sequence[str] = ()) -> list[Change]:
    """Compare with the previous recorded merge. Empty when there is none."""
    out: list[Change] = []
    if missing_weeks:
        out.append(Change(ChangeKind.MISSING_WEEKS, "、".join(missing_weeks), "",
                          f"这些周没有汇总,变化按上次汇总比较({len(missing_weeks)} 周)"))
    if not previous_tasks and not previous_risks:
        return out
    for t in tasks:
        prev = previous_tasks.get(t.task_id)
        if prev is None:
            continue
        if prev.done and not t.done:
            out.append(Change(ChangeKind.REOPENED, t.task_id, t.department,
                              f"{prev.status} → {t.status}(部门本周填写为未完成)"))
        elif t.status.behind and not prev.status.behind:
            out.append(Change(ChangeKind.NEWLY_LATE, t.task_id, t.department,
                              f"{prev.status} → {t.status},偏差 {t.deviation_days} 天"))
        elif t.deviation_days > max(prev.deviation_days, 0) and not t.done:
            out.append(Change(ChangeKind.SLIP_GROWN, t.task_id, t.department,
                              f"偏差 {prev.deviation_days} → {t.deviation_days} 天"))
        if t.done and not prev.done:
            out.append(Change(ChangeKind.COMPLETED, t.task_id, t.department,
                              f"{t.status},实际完成 {t.actual or '未填日期'}"))
    for r in risks:
        old = previous_risks.get(r.risk_id)
        if old is None and r.is_open:
            out.append(Change(ChangeKind.NEW_RISK, r.risk_id, r.department,
                              f"{r.level}:{clean_text(r.values.get('description'))[:60]}"))
        elif old is not None and old.is_open and not r.is_open:
            out.append(Change(ChangeKind.CLOSED_RISK, r.risk_id, r.department,
                              f"{old.status} → {r.status}"))
    return out
