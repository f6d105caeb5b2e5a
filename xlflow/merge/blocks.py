"""The fields each department's return fills once below a table (填报人/填报日期 under
周进度跟踪表, 部门确认 under 成果验收确认单), carried like a task's figures: this week's
accepted return, else the latest earlier one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.records import FormBlock
from .check import Record
from .context import Context


def merge_blocks(blocks_by_department: Mapping[str, Mapping[str, Record]], ctx: Context,
                 carried: Mapping[tuple[str, str], FormBlock] | None = None) -> list[FormBlock]:
    """One FormBlock per department and template with fields, when there is one: this
    week's (the values that passed their checks), else the carried one."""
    carried = carried or {}
    out: list[FormBlock] = []
    templates: Sequence[str] = [t.key for t in ctx.specs if t.fields]
    for department in ctx.departments:
        for template in templates:
            rec = blocks_by_department.get(department, {}).get(template)
            if rec is not None and rec.has_input:
                out.append(FormBlock(department, template,
                                     {k: v for k, v in rec.values.items() if v is not None},
                                     ctx.week, dict(rec.cells), rec.source))
            elif (department, template) in carried:
                out.append(carried[(department, template)])
    return out
