"""成果验收: each expected result against its target, from the departments' rows.

Two rows for one result are both reported and neither is guessed between."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..issues import Issue, error, warning
from ..model.records import AcceptanceRecord
from .check import Record
from .context import Context


def merge_acceptance(records_by_department: Mapping[str, Sequence[Record]],
                     ctx: Context) -> tuple[list[AcceptanceRecord], list[Issue]]:
    issues: list[Issue] = []
    got: dict[str, Record] = {}
    seen: dict[str, Record] = {}
    for department, records in records_by_department.items():
        for rec in records:
            rid = rec.values.get("result_id")
            if not rec.has_input or not rid:
                continue
            ref = ctx.results.get(rid)
            where = {"file": rec.source.file, "sheet": rec.source.sheet,
                     "cell": rec.cells.get("result_id", "")}
            if ctx.results and ref is None:
                issues.append(error("unknown-result", f"成果编号 {rid} 不在预期成果中", value=rid,
                                    **where))
                continue
            if ref and ref.department and ref.department != department:
                issues.append(error("foreign-result", f"成果 {rid} 由{ref.department}确认,"
                                    f"{department}不能填写;未采用", value=rid, **where))
                continue
            if rid in got or rid in seen:
                first = (got.get(rid) or seen[rid]).source.row
                issues.append(error("duplicate-result", f"成果 {rid} 填了两行;采用第 {first} 行,"
                                    "请删去多余的一行", value=rid, **where))
                continue
            seen[rid] = rec
            if rec.ok:
                got[rid] = rec
    out = []
    for ref in ctx.results.values():
        found = got.get(ref.id)
        v = found.values if found else {}
        actual = v.get("actual")
        if actual is not None and ref.target.percent and actual > 1:
            actual = actual / 100  # '16' in a percent metric means 16%
        met = ref.target.met_by(actual) if actual is not None else None
        reported = v.get("met")
        if found and met is not None and reported and (reported == "是") != met:
            issues.append(warning("met-mismatch", f"成果 {ref.id}:填写的是否达标为「{reported}」,"
                                  f"但实际值 {v.get('actual')} 对目标 {ref.target_text} "
                                  f"{'达标' if met else '未达标'}", file=found.source.file,
                                  sheet=found.source.sheet, cell=found.cells.get("met", "")))
        out.append(AcceptanceRecord(ref.id, ref.name, ref.department, ref.target_text, actual,
                                    met, reported, v, found.source if found else None))
    return out, issues

