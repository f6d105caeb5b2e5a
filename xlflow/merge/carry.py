"""Last accepted values, week over week: what an earlier recorded merge leaves for this
one (carry-forward in the merge) and for next week's workbooks (pre-fill in build)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..ledger import Ledger
from ..model.records import FormBlock, RiskRecord, TaskStatus
from ..spec import ColumnType, SpecSet, TemplateSpec

NEXT_PLAN = "next_plan"  # 下周计划 of 周进度跟踪表
#: form-block fields next week's workbook pre-fills (the person, not the date)
PREFILLED_FIELDS = {"weekly": ("reporter",)}


@dataclass
class Carried:
    """The latest recorded merge before a week: its week and its typed records."""

    week: str | None = None
    tasks: dict[str, TaskStatus] = field(default_factory=dict)
    risks: list[RiskRecord] = field(default_factory=list)
    blocks: dict[tuple[str, str], FormBlock] = field(default_factory=dict)  # (dept, template)

    @property
    def risks_by_id(self) -> dict[str, RiskRecord]:
        return {r.risk_id: r for r in self.risks}


def risk_types(spec: TemplateSpec) -> dict[str, str]:
    """Which stored risk values are dates or datetimes, to type them again on read."""
    return {c.key: ("datetime" if c.type is ColumnType.DATETIME else "date")
            for c in spec.columns if c.type in (ColumnType.DATE, ColumnType.DATETIME)}


def block_types(specs: SpecSet) -> dict[str, dict[str, str]]:
    """Which stored form-block values are dates, by template."""
    return {t.key: {c.key: ("datetime" if c.type is ColumnType.DATETIME else "date")
                    for c in t.fields if c.type in (ColumnType.DATE, ColumnType.DATETIME)}
            for t in specs if t.fields}


def carried_before(ledger: Ledger | None, week: str, specs: SpecSet) -> Carried:
    """The latest recorded merge before `week`, with the risks raised on their own form
    since (`xlflow risks`) and received by the end of `week`."""
    if ledger is None:
        return Carried()
    types = risk_types(specs["risks"])
    intake = [r for r in ledger.intake_risks(types) if (r.data_week or "") <= week]
    prev = ledger.merge_before(week)
    if prev is None:
        return Carried(risks=with_intake([], intake, None))
    return Carried(prev.week, {t.task_id: t for t in ledger.tasks(prev.id)},
                   with_intake(ledger.risks(prev.id, types), intake, prev.run_at),
                   {(b.department, b.template): b
                    for b in ledger.form_blocks(prev.id, block_types(specs))})


def carried_of(ledger: Ledger, week: str, specs: SpecSet) -> Carried | None:
    """The recorded merge of `week` itself, as a merge's starting point (a run that takes
    in only 会议纪要 shows the week as it was recorded), or None when the week has none."""
    own = ledger.merge_of(week)
    if own is None:
        return None
    types = risk_types(specs["risks"])
    return Carried(own.week, {t.task_id: t for t in ledger.tasks(own.id)},
                   ledger.risks(own.id, types),
                   {(b.department, b.template): b
                    for b in ledger.form_blocks(own.id, block_types(specs))})


def with_intake(risks: list[RiskRecord], intake: list[RiskRecord],
                merged_at: str | None) -> list[RiskRecord]:
    """A merge's risks and the risks raised on their own form: a new id is added; a known
    one is replaced only by a form received after that merge ran (a later weekly return
    that updated the risk is newer than the form it was first raised on)."""
    by_id = {r.risk_id: r for r in risks}
    since = _local(dt.datetime.fromisoformat(merged_at)) if merged_at else None
    for r in intake:
        old = by_id.get(r.risk_id)
        if old is None or (since is not None and r.received is not None and r.received > since):
            if old is not None and not r.response:
                r.response = dict(old.response)  # a department's form never drops the PMO's
            by_id[r.risk_id] = r
        elif old.received is None:
            old.received = r.received
    return list(by_id.values())


def _local(moment: dt.datetime) -> dt.datetime:
    """A stamp as local time without a zone, as risk times are kept."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def prefill(carried: Carried) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Each task's last accepted weekly values, and each department's open risks, as the
    cells of next week's workbook, so departments update rather than retype."""
    weekly: dict[str, dict[str, Any]] = {}
    for t in carried.tasks.values():
        if t.data_week is None:
            continue
        # last week's 下周计划 is this week's plan: shown as a note (`plan_hints`), and
        # the new 下周计划 cell starts empty
        values: dict[str, Any] = {k: v for k, v in t.texts.items() if k != NEXT_PLAN}
        if t.percent is not None:
            values["percent"] = t.percent / 100  # a 0% cell holds a fraction
        for key, day in (("actual_date", t.actual), ("forecast_date", t.forecast)):
            if day is not None:
                values[key] = day
        weekly[t.task_id] = values
    open_risks: dict[str, list[dict[str, Any]]] = {}
    for risk in carried.risks:
        if risk.is_open:
            open_risks.setdefault(risk.department, []).append(
                {**risk.values, "risk_id": risk.risk_id, "department": risk.department})
    return weekly, open_risks


def plan_hints(carried: Carried) -> dict[str, str]:
    """Each task's 下周计划 as last accepted: next week's workbook shows it as a note on
    the task's 实际完成情况 cell (上周填写的下周计划), so progress is reported against it."""
    return {t.task_id: f"上周填写的下周计划({t.data_week}):\n{t.texts[NEXT_PLAN]}"
            for t in carried.tasks.values() if t.texts.get(NEXT_PLAN) and t.data_week}


def prefill_blocks(carried: Carried) -> dict[str, dict[str, dict[str, Any]]]:
    """department -> template -> the form-block values next week's workbook pre-fills
    (the 填报人 of the last accepted return; a date is the week's own, never carried)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (department, template), block in carried.blocks.items():
        keep = {k: block.values[k] for k in PREFILLED_FIELDS.get(template, ())
                if block.values.get(k)}
        if keep:
            out.setdefault(department, {})[template] = keep
    return out
