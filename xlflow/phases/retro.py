"""跨部门合作复盘报告: the facts the ledger can prove, beside what departments wrote.

Pure functions from stored merges to a `Retrospective` (`model/retro.py`); writers for
it live in `report/retro.py`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..model.records import iso
from ..model.retro import Retrospective
from ..model.vocab import FeedbackKind, RiskFlag, TaskState, percent_text
from ..project import Project
from .history import History


def build_retrospective(project: Project, history: History) -> Retrospective:
    merges = history.merges
    planned = {t.id for t in project.tasks}  # cancelled tasks left the plan: not counted
    final = [t for t in history.final_tasks if t.task_id in planned]
    n = len(final)
    on_time = sum(t.status.on_time for t in final)
    slips = {t.task_id: max(t.deviation_days, 0) for t in final}
    worst = max(slips.items(), key=lambda kv: kv[1], default=("", 0))
    risks = history.latest_risks()
    late = [r for r in risks.values() if RiskFlag.LATE_RAISE in r.flags]
    reasons: dict[str, dict[str, Any]] = {}
    for m in merges:
        for t in history.tasks[m.id]:
            if not t.reported:
                continue  # a carried row repeats last week's reason
            text = t.texts.get("deviation_reason", "").strip()
            if text:
                entry = reasons.setdefault(text, {"reason": text, "count": 0, "tasks": set(),
                                                  "departments": set()})
                entry["count"] += 1
                entry["tasks"].add(t.task_id)
                entry["departments"].add(t.department)
    by_dept: dict[str, list[Any]] = defaultdict(list)
    for t in final:
        by_dept[t.department].append(t)
    departments = [{
        "department": d.name, "tasks": len(by_dept[d.name]),
        "on_time": sum(t.status.on_time for t in by_dept[d.name]),
        "late_done": sum(t.status is TaskState.DONE_LATE for t in by_dept[d.name]),
        "total_slip": sum(max(t.deviation_days, 0) for t in by_dept[d.name]),
        "risks": sum(r.department == d.name for r in risks.values()),
        "late_risks": sum(r.department == d.name for r in late),
    } for d in project.departments]
    rate = on_time / n if n else None
    hours = project.settings.raise_within_hours
    facts = [
        ("协作周期", project.period_text),
        ("周进度汇总次数", f"{len(merges)} 次({merges[0].week} 至 {merges[-1].week})"
         if merges else "0 次"),
        ("任务按期率", f"{on_time}/{n} = {percent_text(rate)}" if n else "—"),
        ("已完成任务", f"{sum(t.done for t in final)}/{n}"),
        ("累计偏差", f"{sum(slips.values())} 天"),
        ("最大偏差", f"{worst[1]} 天({worst[0]})" if worst[0] else "0 天"),
        ("登记风险", f"{len(risks)} 项,其中高风险 {sum(r.is_high for r in risks.values())} 项"),
        (f"超过 {hours} 小时才提出的风险", f"{len(late)} 项"),
        ("验收结果", _acceptance_text(history.acceptance)),
    ]
    grouped = {str(kind): [f.to_dict() for f in history.feedback if f.kind == kind]
               for kind in FeedbackKind}
    return Retrospective(
        project_id=project.id, project_name=project.name, period=project.period_text,
        weeks=[m.week for m in merges], facts=facts, departments=departments,
        reasons=sorted(({**r, "tasks": sorted(r["tasks"]), "departments": sorted(r["departments"])}
                        for r in reasons.values()), key=lambda r: (-r["count"], r["reason"])),
        late_risks=[{"id": r.risk_id, "department": r.department, "level": r.level,
                     "found_at": iso(r.values.get("found_at")),
                     "raised_at": iso(r.values.get("raised_at")),
                     "description": r.values.get("description")} for r in late],
        feedback=grouped, acceptance=[a.to_dict() for a in history.acceptance],
        on_time_rate=rate, worst_slip=worst[1], risk_count=len(risks),
    )


def _acceptance_text(acceptance: list[Any]) -> str:
    if not acceptance:
        return "尚未验收"
    met = sum(bool(a.met) for a in acceptance)
    return f"{met}/{len(acceptance)} 项预期成果达标"
