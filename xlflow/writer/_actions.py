"""督办事项 in a department's weekly workbook: its open action items from the 周例会,
what was decided locked, 状态 and 进展说明 to update (validated like every input)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..followup import actions_spec
from ..project import Project
from ..styles import Styles
from ._sheet import write_table
from ._validation import ListSheet


def write_action_sheet(wb: Any, fmt: Styles, project: Project, department: str,
                       actions: Sequence[Any], lists: ListSheet) -> None:
    spec = actions_spec()
    rows = [{"item": a, "values": {"status": str(a.status), "progress": a.progress}}
            for a in actions]
    write_table(wb, fmt, spec, rows, project=project, department=department, lists=lists,
                title=f"{spec.title_zh} · {department}")
