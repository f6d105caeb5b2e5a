"""成果验收: each expected result against its target with the values the departments
returned (latest recorded merge), their confirmations, and what is missing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import atomic_path
from ..errors import ExitStatus, ProjectError
from ..model.vocab import EventKind
from ..report.acceptance import write_acceptance
from ..workspace import Workspace


@dataclass
class AcceptanceResult:
    week: str
    results: list[dict[str, Any]]
    missing: list[str]
    path: Path
    recorded: bool

    @property
    def passed(self) -> bool:
        return not self.missing

    @property
    def exit_status(self) -> ExitStatus:
        """1 while anything is missing before the collaboration can close."""
        return ExitStatus.OK if self.passed else ExitStatus.INPUT_PROBLEMS

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "passed": self.passed, "recorded": self.recorded,
                "results": self.results, "missing": self.missing, "path": str(self.path)}


def accept(ws: Workspace, *, by: str = "", at: dt.datetime | None = None) -> AcceptanceResult:
    """Compare each expected result with its target, collect confirmations, write the
    成果验收确认单 and record 成果验收 when nothing is missing."""
    project = ws.project()
    with ws.existing_ledger() as ledger:
        latest = ledger.latest_merge() if ledger else None
        if ledger is None or latest is None:
            raise ProjectError(f"{ws.root}: 还没有记入台账的周汇总;先用 xlflow merge 汇总填好"
                               "成果验收确认单的文件")
        stored = {a.result_id: a for a in ledger.acceptance(latest.id)}
        tasks = ledger.tasks(latest.id)
    results, missing = [], []
    if not project.results:
        missing.append("project.yaml 中没有预期成果(expected_results),无法验收;先写明可量化的目标")
    for ref in project.results:
        a = stored.get(ref.id)
        values = a.values if a else {}
        actual = a.actual if a else None
        actual_text = "" if actual is None else (
            f"{actual * 100:g}%" if ref.target.percent else f"{actual:,g}{ref.unit}")
        row = {"id": ref.id, "name": ref.name, "department": ref.department,
               "target": ref.target_text, "actual": actual, "actual_text": actual_text,
               "met": a.met if a else None, "confirmer": values.get("confirmer") or "",
               "confirm_date": values.get("confirm_date") or "",
               "opinion": values.get("opinion") or ""}
        results.append(row)
        who = ref.department or "责任部门"
        if actual is None:
            missing.append(f"{ref.id} {ref.name}:{who}尚未填写实际值")
        elif not row["met"]:
            missing.append(f"{ref.id} {ref.name}:实际值 {actual_text} 未达到目标 {ref.target_text}")
        if not row["confirmer"] or not row["confirm_date"]:
            missing.append(f"{ref.id} {ref.name}:{who}尚未确认(确认人、确认日期)")
    for t in tasks:
        if not t.done:
            missing.append(f"任务 {t.task_id}({t.department})尚未完成:{t.status}")
    target = ws.project_report(project, "成果验收确认单")
    with ws.lock():
        with atomic_path(target) as tmp:
            write_acceptance(tmp, project_name=project.name, week=latest.week, results=results,
                             missing=missing)
        recorded = not missing
        if recorded:
            ws.record(EventKind.ACCEPT, by or project.initiator,
                      f"依据 {latest.week} 汇总,全部达标", at, locked=True)
    return AcceptanceResult(latest.week, results, missing, target, recorded)
