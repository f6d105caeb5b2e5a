"""复盘反馈: the departments' successes, shortcomings and improvements, as written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.records import Feedback
from .check import Record


def merge_feedback(records_by_department: Mapping[str, Sequence[Record]]) -> list[Feedback]:
    """复盘反馈 rows as written; rows with errors are already listed as issues."""
    return [Feedback(department, rec.values.get("kind") or "", rec.values.get("text") or "",
                     rec.values.get("task_id") or "", rec.values.get("author") or "",
                     rec.source)
            for department, records in records_by_department.items()
            for rec in records if rec.has_input and rec.ok]

