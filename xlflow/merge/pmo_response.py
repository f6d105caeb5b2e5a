"""The PMO's side of a risk: the 风险应对 sheet of the PMO master.

`build` writes the PMO master with one row per open risk of the register (locked) and
the columns the PMO fills: 应对方案, 需协调部门, 责任人, 解决时限, PMO意见, 分管领导意见.
The PMO drops the filled master into inbox/; the merge identifies it by its signed
identity (kind `master`, a file id `build` recorded), checks every cell like a
department's, and records each filled row as the risk's response: a later master's row
overrides an earlier one, and the response is carried week to week with the risk.

The levels then mean something: an open 高 risk without a response 24 hours (the
project's raise window) after 提出时间, or a 中 risk a week after, is flagged
`no-pmo-response`; a 高 risk is closed (已关闭), or lowered to 中 or 低, only once the
response carries a 分管领导意见 that agrees (`leader_assent.assents`: 「同意关闭」 does,
「暂缓」 or 「请补充材料」 does not).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..contract import MASTER_KIND
from ..issues import Issue, error, warning
from ..model.records import RiskRecord
from ..model.vocab import Level, RiskStatus
from .check import Record, validate_table
from .context import Context
from .leader_assent import assents, leader_opinion, why_not

if TYPE_CHECKING:
    from .identify import Checked

PMO = "PMO"  # what a master counts as in the files of a merge
TEMPLATE = "pmo_response"
#: The columns the PMO fills: what a response is.
RESPONSE_KEYS = ("plan", "coordination", "owner", "deadline", "pmo_opinion", "leader_opinion")
#: A 中 risk waits this long for the PMO's response before it is flagged.
MEDIUM_WAIT = dt.timedelta(days=7)
NOT_FILLED = "这是 PMO 总表,其中的「风险应对」表没有填写应对内容,不是部门交回的文件"


def read_master(checked: Checked, ctx: Context) -> Checked:
    """Check the 风险应对 sheet of a PMO master whose identity was verified; accepted
    (as `PMO`) when at least one row carries a response."""
    ret = checked.ret
    where = {"file": ret.name}
    spec = ctx.specs.templates.get(TEMPLATE)
    table = ret.tables.get(TEMPLATE)
    if spec is None or table is None:
        checked.reason = NOT_FILLED
        checked.issues.append(error("not-a-department-file", NOT_FILLED, **where))
        return checked
    records, issues = validate_table(table, spec, ctx, file=ret.name, sha256=ret.sha256,
                                     department="")
    if not any(r.has_input for r in records):
        checked.reason = NOT_FILLED
        checked.issues.append(error("not-a-department-file", NOT_FILLED, **where))
        return checked
    checked.department = PMO
    checked.accepted = True
    checked.records[TEMPLATE] = records
    checked.issues.extend(issues)
    return checked


def apply_responses(risks: Mapping[str, RiskRecord], masters: Iterable[Checked],
                    ctx: Context, before: Mapping[str, RiskRecord] | None = None) -> list[Issue]:
    """Each filled row of each accepted master becomes its risk's response, the masters
    taken in the order they were made (week, then received): the later row counts.

    A row is its risk's only while its locked cells still say so: a 风险编号 typed twice
    in one master, or over another department's row (提出部门 no longer matches), is
    refused rather than moving a response (or a 分管领导意见) onto another risk.
    `before`: the register as this week's master was built from it, to name a locked
    风险等级 or 状态 the PMO changed (the department's to change: not taken)."""
    issues: list[Issue] = []
    spec = ctx.specs.templates.get(TEMPLATE)
    keys = tuple(c.key for c in spec.columns if c.editable) if spec else RESPONSE_KEYS
    for rid, rec, master in _rows(masters, issues):
        where = {"file": rec.source.file, "sheet": rec.source.sheet,
                 "cell": rec.cells.get("risk_id", "")}
        risk = risks.get(rid)
        if risk is None:
            issues.append(error("unknown-risk", f"风险编号 {rid} 不在风险登记册中,其应对未采用",
                                value=rid, expected="PMO 总表中预填的风险编号", **where))
            continue
        shown = rec.values.get("department")
        if shown and shown != risk.department:
            issues.append(error("response-mismatch", f"PMO 总表「风险应对」中风险编号 {rid} 所在行的"
                                f"提出部门是{shown},而风险 {rid} 由{risk.department}提出:编号可能"
                                "被改动过,此行应对未采用", value=rid,
                                expected=f"{risk.department}提出的风险 {rid} 的原行", **where))
            continue
        if not rec.ok:
            continue  # a row with a bad cell: its error is reported, the row not used
        if before is not None and master.ret.identity.get("week", "") == ctx.week:
            issues += _locked_changes(rec, before.get(rid))
        risk.response = response_of(rec, master, keys)
    return issues


def _rows(masters: Iterable[Checked], issues: list[Issue]
          ) -> Iterable[tuple[str, Record, Checked]]:
    """(risk id, row, master) of every filled row, masters oldest first; the second row
    of one risk id in one master is refused (`duplicate-risk`)."""
    ordered = sorted(masters, key=lambda c: (c.ret.identity.get("week", ""),
                                             c.ret.received or dt.datetime.min, c.ret.name))
    for master in ordered:
        seen: dict[str, Record] = {}
        for rec in master.records.get(TEMPLATE, []):
            if not rec.has_input:
                continue
            rid = rec.values.get("risk_id") or ""
            if rid in seen:
                issues.append(error(
                    "duplicate-risk", f"PMO 总表「风险应对」中风险编号 {rid} 出现两次;采用第 "
                    f"{seen[rid].source.row} 行,此行应对未采用", value=rid,
                    expected="每个风险一行(编号已预填,不要改动)", file=rec.source.file,
                    sheet=rec.source.sheet, cell=rec.cells.get("risk_id", "")))
                continue
            seen[rid] = rec
            yield rid, rec, master


def response_of(rec: Record, master: Checked,
                keys: Sequence[str] = RESPONSE_KEYS) -> dict[str, Any]:
    """What one filled row of the 风险应对 sheet records as its risk's response."""
    return {**{k: rec.values.get(k) for k in keys},
            "week": master.ret.identity.get("week", ""), "received": master.ret.received,
            "file": rec.source.file, "row": rec.source.row}


def latest_responses(masters: Iterable[Checked]) -> dict[str, dict[str, Any]]:
    """Each risk's response from the masters (the later row counts), without judging the
    rows against a register: for `xlflow risks`, before the forms are merged."""
    out: dict[str, dict[str, Any]] = {}
    for rid, rec, master in _rows(masters, []):
        if rec.ok:
            out[rid] = response_of(rec, master)
    return out


#: The locked columns of the 风险应对 sheet whose change means something the PMO cannot
#: decide there (the department's risk form carries them).
_LOCKED = (("level", "风险等级"), ("status", "状态"))


def _locked_changes(rec: Record, risk: RiskRecord | None) -> list[Issue]:
    if risk is None:
        return []
    out = []
    for key, name in _LOCKED:
        given = str(rec.values.get(key) or "").strip()
        was = str(getattr(risk, key) or "").strip()
        if given and given != was:
            out.append(warning("locked-changed", f"PMO 总表「风险应对」中风险 {risk.risk_id} 的"
                               f"「{name}」被改为「{given}」(原为「{was}」);{name}由{risk.department}"
                               "在风险应对申请表中填写,总表中的改动未采用", value=given,
                               expected=was, file=rec.source.file, sheet=rec.source.sheet,
                               cell=rec.cells.get(key, "")))
    return out


def close_refusal(risk: RiskRecord, rec: Record, old: RiskRecord | None,
                  responses_known: bool, response: Mapping[str, Any] | None = None
                  ) -> Issue | None:
    """Why a department's row may not take its risk out of the open states, or None.

    已关闭 needs 关闭日期 and 关闭确认人, a 关闭日期 not before 提出时间 and, for a 高
    risk (now or before), a 分管领导意见 that agrees (`leader_assent`) in `response`
    (default: the risk's own; `responses_known`: the register's responses are at hand,
    as in a merge). 已解决 is the department's word that the
    work is done; closing is the confirmation, judged from whatever state the risk was
    in (a 高 risk 已解决 one week is not closed the next without 分管领导意见)."""
    if risk.status != RiskStatus.CLOSED or (old is not None and old.status == RiskStatus.CLOSED):
        return None
    v = risk.values
    where = {"file": rec.source.file, "sheet": rec.source.sheet}
    if risk.status == RiskStatus.CLOSED:
        for key, name in (("closed_on", "关闭日期"), ("closed_by", "关闭确认人")):
            if not v.get(key):
                return error("close-incomplete", f"风险 {risk.risk_id} 状态为已关闭,但没有填写"
                             f"{name};关闭未采用,风险仍按未关闭登记", expected=f"填写{name}",
                             cell=rec.cells.get(key) or rec.cells.get("status", ""), **where)
        raised = v.get("raised_at")
        if isinstance(raised, dt.datetime) and v["closed_on"] < raised.date():
            return error("close-before-raised", f"风险 {risk.risk_id} 的关闭日期 {v['closed_on']} "
                         f"早于提出时间 {raised:%Y-%m-%d %H:%M};关闭未采用",
                         value=v["closed_on"].isoformat(),
                         expected=f"{raised.date().isoformat()} 或之后",
                         cell=rec.cells.get("closed_on", ""), **where)
    high = risk.is_high or (old is not None and old.is_high)
    response = risk.response if response is None else response
    if risk.status == RiskStatus.CLOSED and high and responses_known and not assents(
            leader_opinion(response)):
        return error("close-unapproved", f"高风险 {risk.risk_id} 改为已关闭,但{why_not(response)},"
                     "不能关闭;风险仍按未关闭登记", value=risk.status,
                     expected="PMO 在总表「风险应对」中填写同意关闭的分管领导意见(如「同意关闭」)"
                     "后再关闭", cell=rec.cells.get("status", ""), **where)
    return None


def downgrade_refusal(risk: RiskRecord, rec: Record, old: RiskRecord | None,
                      responses_known: bool, response: Mapping[str, Any] | None = None
                      ) -> Issue | None:
    """Why a department's row may not lower its 高 risk to 中 or 低, or None: lowering
    the level takes a 高 risk out of the 24-hour response and the 分管领导意见 its close
    needs, so it needs the same 分管领导意见 as closing (a risk lowered one week could
    otherwise be closed the next without it)."""
    if old is None or not old.is_high or risk.is_high or not responses_known:
        return None
    response = risk.response if response is None else response
    if assents(leader_opinion(response)):
        return None
    return error("downgrade-unapproved", f"高风险 {risk.risk_id} 的风险等级被改为「{risk.level}」,"
                 f"但{why_not(response)};降级未采用,风险仍按高登记", value=risk.level,
                 expected="高(PMO 在总表「风险应对」中填写同意降级的分管领导意见,如「同意降为中」,"
                 "后再降级)",
                 file=rec.source.file, sheet=rec.source.sheet, cell=rec.cells.get("level", ""))


def unapproved(risk: RiskRecord, rec: Record, old: RiskRecord | None, *,
               responses_known: bool, response: Mapping[str, Any] | None = None
               ) -> list[Issue]:
    """The PMO's rules on one department row, for the merge and `xlflow risks` alike: a
    refused close reopens the risk (`close_refusal`), a refused downgrade keeps it 高
    (`downgrade_refusal`); the rest of the row counts."""
    out = []
    refusal = close_refusal(risk, rec, old, responses_known, response)
    if refusal is not None:
        out.append(refusal)
        reopen(risk, old)
    refusal = downgrade_refusal(risk, rec, old, responses_known, response)
    if refusal is not None and old is not None:
        out.append(refusal)
        risk.level = old.level
        risk.values["level"] = old.level
    return out


def reopen(risk: RiskRecord, old: RiskRecord | None) -> None:
    """A refused close: the risk keeps the state it had (待处理 when new, or when it
    was closed before and is typed again)."""
    status = (old.status if old is not None and old.status != RiskStatus.CLOSED
              else RiskStatus.PENDING.value)
    risk.status = status
    risk.values["status"] = status


def level_mismatch(rec: Record, risk: RiskRecord) -> Issue | None:
    """A 风险等级 more than one step from 发生概率 × 影响程度 (高×高, 高×中 = 高;
    中×中, 高×低 = 中; 中×低, 低×低 = 低)."""
    p, s = rec.values.get("probability"), rec.values.get("severity")
    try:
        score = (3 - Level(str(p)).rank) * (3 - Level(str(s)).rank)
        given = Level(risk.level)
    except ValueError:
        return None  # one missing, or words a project override added
    expected = Level.HIGH if score >= 6 else Level.MEDIUM if score >= 3 else Level.LOW
    if abs(given.rank - expected.rank) <= 1:
        return None
    return warning("level-mismatch", f"风险 {risk.risk_id} 的发生概率{p}、影响程度{s},按矩阵应为"
                   f"{expected},所填风险等级为{given};请核对", value=str(given),
                   expected=str(expected), file=rec.source.file, sheet=rec.source.sheet,
                   cell=rec.cells.get("level", ""))


def awaiting_response(risk: RiskRecord, moment: dt.datetime, hours: int) -> bool:
    """An open 高 risk `hours` after 提出时间, or 中 a week after, with no response."""
    raised = risk.values.get("raised_at")
    if not risk.is_open or risk.response or not isinstance(raised, dt.datetime):
        return False
    if risk.level == Level.HIGH:
        return moment - raised > dt.timedelta(hours=hours)
    if risk.level == Level.MEDIUM:
        return moment - raised > MEDIUM_WAIT
    return False


def as_of_moment(as_of: dt.date) -> dt.datetime:
    """The moment a run looks at: now when the as-of date is today, else the end of
    that day (a report for a past week is the same whenever it is made)."""
    current = dt.datetime.now().replace(microsecond=0)
    if as_of == current.date():
        return current
    return dt.datetime.combine(as_of, dt.time(23, 59, 59))


def masters_of(checked: Sequence[Checked]) -> list[Checked]:
    """The accepted PMO masters among a run's files."""
    return [c for c in checked if c.accepted and c.kind == MASTER_KIND]
