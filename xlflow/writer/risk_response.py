"""The 风险应对 sheet of the PMO master: one row per open risk of the register, locked,
and the columns the PMO fills (应对方案, 需协调部门, 责任人, 解决时限, PMO意见,
分管领导意见), pre-filled with the last recorded response so the PMO updates rather
than retypes. `merge` reads the sheet back (xlflow/merge/pmo_response.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model.records import RiskRecord
from ..project import Project
from ..spec import SpecSet
from ..styles import Styles
from ._sheet import write_table
from ._validation import ListSheet

TEMPLATE = "pmo_response"


def write_response_sheet(wb: Any, fmt: Styles, project: Project, specs: SpecSet,
                         risks: Sequence[RiskRecord], lists: ListSheet) -> None:
    spec = specs.templates.get(TEMPLATE)
    if spec is None:
        return
    editable = [c.key for c in spec.columns if c.editable]
    rows = [{"risk": {**r.values, "risk_id": r.risk_id, "department": r.department,
                      "level": r.level, "status": r.status},
             "values": {k: r.response.get(k) for k in editable}}
            for r in risks if r.is_open]
    write_table(wb, fmt, spec, rows, project=project, department="", lists=lists,
                title=f"{spec.title_zh} · {project.name}")
