"""The 备案 gate: the weekly loop (build, send, merge, run) works on a filed plan.

Before PMO备案 these commands stop (exit 2) naming the steps still missing, each with
its command, and write nothing; `--draft` runs them anyway and every sheet written says
草稿. After filing, project.yaml must hold the current plan (baseline + approved
changes): a task's dates, owner or deliverable, or a target, edited behind xlflow's back
stops them too, `--draft` or not, naming each difference.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import XlflowError
from ..issues import Issue, error
from ..ledger import Event
from ..model.vocab import EventKind
from ..project import Project
from ..workspace import Workspace
from .approval import blocking_opinions, current_approval, last_rejection
from .baseline import difference_issues, plan_differences


class GateError(XlflowError):
    """The plan is not filed, or project.yaml differs from the filed plan (exit 2); the
    problems are also kept as issues (codes `not-filed`, `plan-edited`)."""

    def __init__(self, message: str, issues: Sequence[Issue]) -> None:
        super().__init__(message)
        self.issues = list(issues)


def filing(events: Sequence[Event]) -> Event | None:
    """The PMO备案 that stands: a file event after the approval that stands."""
    approval = current_approval(events)
    if approval is None:
        return None
    filed = [e for e in events if e.kind == EventKind.FILE and e.id > approval.id]
    return filed[-1] if filed else None


def missing_steps(project: Project, events: Sequence[Event], root: str) -> list[str]:
    """What stands between the plan and PMO备案, each with its command."""
    from .lifecycle import missing_opinions

    out: list[str] = []
    for dept in missing_opinions(project):
        head = project.department(dept)
        who = head.head_title or head.head or "负责人"
        out.append(f"需求共识:{dept}负责人意见 — xlflow opinion {root} --department {dept} "
                   f"--by \"{who}\" --text \"同意,…\"")
    for op in blocking_opinions(project):
        out.append(f"需求共识:{op.department}负责人意见为「{op.opinion}」(不同意),需其重新给出"
                   f"同意的意见 — xlflow opinion {root} --department {op.department} "
                   f"--by \"{op.by}\" --text \"同意,…\"")
    approver = project.approver or "分管领导"
    if current_approval(events) is None:
        rejected = last_rejection(events)
        why = f"(已被 {rejected.by} 退回:{rejected.note})" if rejected else ""
        out.append(f"方案审批{why} — xlflow approve {root} --by \"{approver}\"")
    if filing(events) is None:
        out.append(f"PMO备案 — xlflow file {root} --by \"PMO …\"")
    return out


def require_filed(ws: Workspace, command: str, *, draft: bool = False,
                  project: Project | None = None) -> None:
    """Refuse `command` before PMO备案 (unless `draft`) and whenever project.yaml differs
    from the filed plan (whatever `draft`)."""
    plain = project or ws.project(with_events=False)
    diffs = plan_differences(ws, plain)
    if diffs:
        issues = difference_issues(diffs, ws.root)
        lines = "\n".join(f"  {d.text()}" for d in diffs)
        example = next((d.command(ws.root) for d in diffs if d.command(ws.root)),
                       f"xlflow change {ws.root} …")
        raise GateError(f"project.yaml 在 PMO 备案后被直接修改,与备案的计划(基线 + 已批准的变更)"
                        f"不符,{command} 未执行:\n{lines}\n请把 project.yaml 改回,用 "
                        f"{example} 记录变更,经审批人 xlflow approve {ws.root} --change N "
                        "批准后生效", issues)
    if draft:
        return
    events = ws.events()
    if filing(events) is not None:
        return
    steps = missing_steps(ws.project(), events, str(ws.root))
    issues = [error("not-filed", s, file="project.yaml") for s in steps]
    raise GateError(f"方案尚未 PMO 备案,{command} 未执行(什么也没有写)。还差:\n"
                    + "\n".join(f"  {s}" for s in steps)
                    + ("" if command == "run" else  # a scheduled run never makes drafts
                       "\n或加 --draft 先生成草稿(每张表都标明「草稿」)"), issues)
