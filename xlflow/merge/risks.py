"""The risk register: risks under their reserved ids, carried week to week, flagged.

A risk id carries its department's code (TEC-24W28-01): only that department can
write, close or downgrade it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..issues import Issue, error, warning
from ..model.records import RiskRecord, risk_sort_key
from ..model.vocab import RiskFlag
from .check import Record
from .context import Context
from .pmo_response import (
    apply_responses,
    as_of_moment,
    awaiting_response,
    level_mismatch,
    unapproved,
)

if TYPE_CHECKING:
    from .identify import Checked


def merge_risks(records_by_department: Mapping[str, Sequence[Record]], ctx: Context,
                carried: Sequence[RiskRecord] = (),
                masters: Sequence[Checked] | None = None) -> tuple[list[RiskRecord], list[Issue]]:
    """This week's rows of every accepted return, then every earlier risk not in them
    (its last accepted state; flagged not-updated while open), with the PMO's responses
    (carried, then this run's `masters`). `masters` None: the responses are not at hand
    (`validate`), so a 高 risk's close is not judged on them."""
    issues: list[Issue] = []
    risks: dict[str, RiskRecord] = {}
    rows: list[tuple[RiskRecord, Record]] = []  # this run's rows, for the closing rules
    for department, records in records_by_department.items():
        for rec in records:
            if not rec.has_input:
                continue
            v = dict(rec.values)
            rid = v.get("risk_id")
            where = {"file": rec.source.file, "sheet": rec.source.sheet}
            if not rid:
                digest = hashlib.sha1(str(v.get("description")).encode()).hexdigest()[:6].upper()
                rid = f"{ctx.codes.get(department, department)}-{digest}"
                issues.append(warning("missing-risk-id", f"风险编号被删除;暂用 {rid}",
                                      cell=rec.cells.get("risk_id", ""), **where))
            owner = ctx.owner_of_risk(rid)
            if owner is not None and owner != department:
                issues.append(error("foreign-risk", f"风险编号 {rid} 属于{owner},{department}"
                                    "不能填写或修改它;未采用", value=rid,
                                    expected=f"{ctx.codes.get(department, '')}- 开头的编号",
                                    cell=rec.cells.get("risk_id", ""), **where))
                continue
            if v.get("department") and v["department"] != department:
                issues.append(error("foreign-risk", f"风险 {rid} 标为{v['department']}提出,"
                                    f"却在{department}的文件中;未采用", value=rid,
                                    cell=rec.cells.get("department", ""), **where))
                continue
            if rid in risks:
                kept = risks[rid].source
                row = kept.row if kept else 0
                issues.append(error("duplicate-risk", f"风险编号 {rid} 出现两次;采用第 {row} 行",
                                    value=rid, cell=rec.cells.get("risk_id", ""), **where))
                continue
            if not rec.ok:
                continue
            found, raised = v.get("found_at"), v.get("raised_at")
            if found and raised and raised < found:
                issues.append(warning("raised-before-found", f"风险 {rid} 的提出时间早于发现时间",
                                      cell=rec.cells.get("raised_at", ""), **where))
            risks[rid] = RiskRecord(rid, department, v.get("level") or "", v.get("status") or "",
                                    v, source=rec.source, data_week=ctx.week)
            rows.append((risks[rid], rec))
            mismatch = level_mismatch(rec, risks[rid])
            if mismatch is not None:
                issues.append(mismatch)
    old_by_id = {old.risk_id: old for old in carried}
    for old in carried:
        if old.risk_id not in risks:
            # a risk raised on its own form this week (xlflow risks) is this week's news
            stale = [RiskFlag.NOT_UPDATED.value] if old.is_open and old.data_week != ctx.week else []
            risks[old.risk_id] = RiskRecord(old.risk_id, old.department, old.level, old.status,
                                            dict(old.values), stale, old.source, old.data_week,
                                            old.received, dict(old.response))
            continue
        risks[old.risk_id].response = dict(old.response)  # the PMO's, until it responds again
        if old.received is not None:
            risks[old.risk_id].received = old.received  # the first receipt counts
    issues += apply_responses(risks, masters or (), ctx, before=old_by_id)
    for row_risk, rec in rows:
        before = old_by_id.get(row_risk.risk_id)
        issues += unapproved(row_risk, rec, before, responses_known=masters is not None)
    out = list(risks.values())
    for risk in out:
        risk.flags = [f for f in risk.flags if f == RiskFlag.NOT_UPDATED] + risk_flags(risk, ctx)
    out.sort(key=risk_sort_key)
    return out, issues


def risk_flags(risk: RiskRecord, ctx: Context) -> list[str]:
    v = risk.values
    flags = []
    if risk.is_open and risk.is_high:
        flags.append(RiskFlag.HIGH_OPEN.value)
    found, raised = v.get("found_at"), v.get("raised_at")
    if found and raised and (raised - found) > dt.timedelta(hours=ctx.raise_within_hours):
        flags.append(RiskFlag.LATE_RAISE.value)
    if raised and risk.received and (risk.received - raised) > dt.timedelta(
            hours=ctx.raise_within_hours):
        flags.append(RiskFlag.LATE_RECEIPT.value)
    deadline = risk.deadline
    if risk.is_open and deadline and deadline < ctx.as_of:
        flags.append(RiskFlag.OVERDUE.value)
    if risk.is_open and (not risk.owner or not deadline):
        flags.append(RiskFlag.NO_PLAN.value)
    if awaiting_response(risk, as_of_moment(ctx.as_of), ctx.raise_within_hours):
        flags.append(RiskFlag.NO_PMO_RESPONSE.value)
    return flags
