"""月复盘: a month's trend per department from the ledger (pandas pivots)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .project import Project
from .reconcile import DONE_STATUSES, ON_TIME_STATUSES, OPEN_RISK_STATUSES


@dataclass
class MonthlyReview:
    month: str
    weeks: list[str]
    slip: pd.DataFrame  # department x week: average slip (days, late part only)
    on_time: pd.DataFrame  # department x week: on-time rate
    risks: pd.DataFrame  # week x (raised, closed) per department, long form
    finished: list[dict[str, Any]]
    open_tasks: list[dict[str, Any]]
    open_risks: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "weeks": self.weeks,
                "slip": self.slip.round(2).to_dict(orient="index"),
                "on_time": self.on_time.round(4).to_dict(orient="index"),
                "risks": self.risks.to_dict(orient="records"), "finished": self.finished,
                "open_tasks": self.open_tasks, "open_risks": self.open_risks}


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    first = dt.date.fromisoformat(f"{month}-01")
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def build_review(project: Project, month: str, merges: Sequence[Mapping[str, Any]],
                 tasks_by_merge: Mapping[int, Sequence[Mapping[str, Any]]],
                 risks_by_merge: Mapping[int, Sequence[Mapping[str, Any]]]) -> MonthlyReview:
    first, last = month_bounds(month)
    in_month = [m for m in merges if first <= dt.date.fromisoformat(m["as_of"]) <= last]
    task_rows = [{"week": m["week"], "department": t["department"],
                  "slip": max(t["deviation_days"], 0),
                  "on_time": t["status"] in ON_TIME_STATUSES}
                 for m in in_month for t in tasks_by_merge[m["id"]]]
    frame = pd.DataFrame(task_rows, columns=["week", "department", "slip", "on_time"])
    order = [d.name for d in project.departments]
    slip = frame.pivot_table(index="department", columns="week", values="slip", aggfunc="mean")
    on_time = frame.pivot_table(index="department", columns="week", values="on_time",
                                aggfunc="mean")
    slip = slip.reindex([d for d in order if d in slip.index])
    on_time = on_time.reindex([d for d in order if d in on_time.index])
    risk_rows, seen, was_open = [], set(), set()
    for m in merges:  # from the start, so "raised" means first seen in that week
        now_open = set()
        for r in risks_by_merge[m["id"]]:
            is_open = r["status"] in OPEN_RISK_STATUSES
            if m in in_month:
                if r["id"] not in seen:
                    risk_rows.append({"week": m["week"], "department": r["department"],
                                      "kind": "raised"})
                if r["id"] in was_open and not is_open:
                    risk_rows.append({"week": m["week"], "department": r["department"],
                                      "kind": "closed"})
            seen.add(r["id"])
            if is_open:
                now_open.add(r["id"])
        was_open = now_open
    risks = pd.DataFrame(risk_rows, columns=["week", "department", "kind"])
    risks = (risks.groupby(["week", "department", "kind"]).size().unstack("kind", fill_value=0)
             .reindex(columns=["raised", "closed"], fill_value=0).reset_index())
    final_tasks = tasks_by_merge[in_month[-1]["id"]] if in_month else []
    final_risks = risks_by_merge[in_month[-1]["id"]] if in_month else []
    deliverables = {t.id: t.deliverable for t in project.tasks}
    finished = [{"id": t["id"], "department": t["department"],
                 "deliverable": deliverables.get(t["id"], ""), "actual": t["actual"],
                 "status": t["status"]} for t in final_tasks
                if t["status"] in DONE_STATUSES and t["actual"]
                and first.isoformat() <= t["actual"] <= last.isoformat()]
    open_tasks = [{"id": t["id"], "department": t["department"],
                   "deliverable": deliverables.get(t["id"], ""), "planned": t["planned"],
                   "expected": t["expected"], "status": t["status"],
                   "deviation_days": t["deviation_days"]}
                  for t in final_tasks if t["status"] not in DONE_STATUSES]
    open_risks = [{"id": r["id"], "department": r["department"], "level": r["level"],
                   "status": r["status"], "description": r["values"].get("description", "")}
                  for r in final_risks if r["status"] in OPEN_RISK_STATUSES]
    return MonthlyReview(month, [m["week"] for m in in_month], slip, on_time, risks, finished,
                         open_tasks, open_risks)
