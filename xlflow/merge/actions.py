"""督办事项 through a merge: the 周例会's minutes (会议纪要, filled by the PMO and dropped
into inbox/ like a return) become tracked action items; each department updates its own
on the 督办事项 sheet of its weekly workbook; an item is open until 已完成 or 已取消, and
overdue when open past its 完成期限.

The minutes are checked as a return is: signed by this project's `xlflow meeting` and
recorded as built, every cell typed against `workbook_specs/followup/minutes.yaml`
(dates, dropdowns, known departments), each problem naming file, sheet and cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..contract import MEETING_KIND, SIGNATURE_KEY
from ..followup import action_id, actions_spec, minutes_spec
from ..issues import Issue, cell_name, error, warning
from ..model.actions import ActionItem, ActionState, action_sort_key
from ..model.records import Change, Source
from ..model.vocab import ChangeKind
from ..values import clean_text, parse_datetime
from ..values import is_blank as _blank
from .check import validate_table
from .context import Context
from .identify import Checked, check_signature

#: The labels of the meeting's details above the minutes' table (label, value beside it).
DETAIL_LABELS = {"会议日期": "date", "主持人": "host", "参会人": "attendees",
                 "meeting date": "date", "host": "host", "attendees": "attendees"}


@dataclass
class Minutes:
    """One 周例会's minutes as read from a file in the inbox."""

    meeting: str  # the week of the meeting
    checked: Checked
    items: list[ActionItem] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)  # date, host, attendees

    @property
    def file(self) -> str:
        return self.checked.ret.name


def is_minutes(c: Checked) -> bool:
    return c.kind == MEETING_KIND


def read_minutes(c: Checked, ctx: Context) -> tuple[Minutes | None, list[Issue]]:
    """The action items of one minutes file, or None (with the reason) when the file is
    not this project's signed 周例会 workbook."""
    ret = c.ret
    ident = ret.identity
    issues: list[Issue] = [i for i in ret.issues]
    where = {"file": ret.name}

    def refuse(code: str, message: str, **extra: str) -> tuple[None, list[Issue]]:
        c.reason = message
        return None, [*issues, error(code, message, **where, **extra)]

    if ident.get("project_id") != ctx.project_id:
        return refuse("wrong-project", f"周例会纪要属于项目 {ident.get('project_id')!r},不是本项目",
                      value=str(ident.get("project_id")), expected=ctx.project_id)
    if not ident.get(SIGNATURE_KEY) and ctx.trust is not None:
        return refuse("identity-forged", "周例会纪要的标识信息没有签名,文件未采用;请用 xlflow "
                      "meeting 生成的原始文件填写")
    _, problem = check_signature(ident, ret.identity_tasks, ctx.trust)
    if problem is not None:
        code, message, extra = problem
        return refuse(code, "周例会纪要:" + message, **extra)
    meeting = ident.get("week", "")
    spec = minutes_spec()
    table = ret.followup.get("minutes")
    if table is None:
        return refuse("missing-sheet", f"缺少工作表「{spec.sheet}」", sheet=spec.sheet)
    host = ident.get("department", "")
    records, found = validate_table(table, spec, ctx, file=ret.name, sha256=ret.sha256,
                                    department=host)
    issues += found
    minutes = Minutes(meeting, c, details=_details(ret.above.get("minutes", []), ret.name,
                                                   spec.sheet, ctx, issues))
    prefix = action_id(meeting, 0)[:-2]
    reserved = re.compile(re.escape(prefix) + r"\d{2,}")  # DB-24W28-01 …, rows added go on
    seen: set[str] = set()
    held = minutes.details.get("date")
    for rec in records:
        if not rec.ok:
            continue
        v = rec.values
        item_id = str(v["item_id"])
        cell = {"file": ret.name, "sheet": spec.sheet, "cell": rec.cells.get("item_id", "")}
        if not reserved.fullmatch(item_id) or item_id in seen:
            why = "重复" if item_id in seen else "不是本次会议预留的编号"
            issues.append(error("bad-action-id", f"编号 {item_id} {why};请用 xlflow meeting 生成的"
                                "文件中预留的编号,不要改动", value=item_id,
                                expected=f"{prefix}01 等预留编号", **cell))
            continue
        seen.add(item_id)
        due, status = v.get("due"), ActionState(v["status"])
        if held and due and due < dt.date.fromisoformat(held) and status.is_open:
            issues.append(warning("due-before-meeting", f"督办事项 {item_id} 的完成期限 {due} 早于"
                                  f"会议日期 {held},一登记就已逾期;请核对(是否写错了月份或日期)",
                                  value=due.isoformat(), expected=f"{held} 或之后", file=ret.name,
                                  sheet=spec.sheet, cell=rec.cells.get("due", "")))
        minutes.items.append(ActionItem(
            item_id, meeting, clean_text(v.get("matter")), clean_text(v.get("decision")),
            str(v["department"]), clean_text(v.get("owner")), due, status, source=rec.source))
    c.reason = f"{meeting} 周例会纪要:{len(minutes.items)} 项督办事项"
    return minutes, issues


def _details(rows: Sequence[Sequence[Any]], file: str, sheet: str, ctx: Context,
             issues: list[Issue]) -> dict[str, str]:
    """会议日期, 主持人, 参会人 from the cells beside their labels; a date that is not one
    is named by its cell."""
    out: dict[str, str] = {}
    for r, row in enumerate(rows):
        for c, cell in enumerate(row[:-1]):
            key = DETAIL_LABELS.get(clean_text(cell).split("\n")[0].strip().casefold())
            if key is None:
                continue
            raw = row[c + 1]
            if _blank(raw):
                continue
            if key == "date":
                try:
                    out[key] = parse_datetime(raw, year=ctx.start.year).date().isoformat()
                except ValueError:
                    issues.append(error("bad-date", "「会议日期」格式无法识别", file=file,
                                        sheet=sheet, cell=cell_name(r, c + 1),
                                        value=clean_text(raw), expected="日期 YYYY-MM-DD"))
            else:
                out[key] = clean_text(raw)
    return out


def take_in_minutes(checked: Iterable[Checked], ctx: Context) -> tuple[list[Minutes], list[Issue]]:
    """Every minutes file in the inbox; of two files of one meeting the newer counts."""
    issues: list[Issue] = []
    by_meeting: dict[str, list[Minutes]] = {}
    for c in checked:
        if not is_minutes(c):
            continue
        minutes, found = read_minutes(c, ctx)
        issues += found
        if minutes is not None:
            by_meeting.setdefault(minutes.meeting, []).append(minutes)
    out: list[Minutes] = []
    for meeting, group in sorted(by_meeting.items()):
        group.sort(key=lambda m: (m.checked.ret.received or dt.datetime.min, m.file))
        for old in group[:-1]:
            old.checked.reason = f"{meeting} 周例会有更新的纪要 {group[-1].file},本文件未采用"
            issues.append(warning("superseded", old.checked.reason, file=old.file))
        out.append(group[-1])
    return out, issues


def register(stored: Iterable[ActionItem], minutes: Iterable[Minutes],
             week: str) -> dict[str, ActionItem]:
    """The items decided up to `week`: the ledger's, with what the minutes read now say
    instead for their meetings (the newest minutes of a meeting define its items)."""
    fresh = {m.meeting: m.items for m in minutes}
    out = {a.item_id: a for a in stored if a.meeting not in fresh and a.meeting <= week}
    for meeting, items in fresh.items():
        if meeting <= week:
            out.update((a.item_id, a) for a in items)
    return dict(sorted(out.items(), key=lambda kv: action_sort_key(kv[0])))


Update = tuple[ActionState, str, Source]


def built_keys(accepted: Iterable[Checked]) -> list[tuple[str, str]]:
    """(file id, built at) of each department return: what `build` recorded the 督办事项
    it carried under (Ledger.built_actions)."""
    return [(c.ret.identity.get("file_id", ""), c.ret.identity.get("built_at", ""))
            for c in accepted if not is_minutes(c) and c.ret.identity.get("file_id")]


def department_updates(accepted: Iterable[Checked], ctx: Context,
                       known: Mapping[str, ActionItem],
                       carried: Mapping[tuple[str, str], Sequence[str]] | None = None
                       ) -> tuple[dict[str, Update], list[Issue]]:
    """状态 and 进展说明 from each department's 督办事项 sheet; a department updates its
    own items only. `carried`: the items each built workbook carried (by file id and
    build time); one missing from the return was deleted: named, and left as it was."""
    spec = actions_spec()
    updates: dict[str, Update] = {}
    issues: list[Issue] = []
    for c in accepted:
        if is_minutes(c):
            continue
        table = c.ret.followup.get("actions")
        expected = (carried or {}).get((c.ret.identity.get("file_id", ""),
                                        c.ret.identity.get("built_at", "")), ())
        if table is None:
            issues += _deleted(c, expected, set(), known, spec.sheet)
            continue
        records, found = validate_table(table, spec, ctx, file=c.ret.name, sha256=c.ret.sha256,
                                        department=c.department)
        issues += found
        issues += _deleted(c, expected, {str(r.values.get("item_id") or "") for r in records},
                           known, spec.sheet)
        rows: dict[str, int] = {}
        for rec in records:
            if not rec.ok:
                continue
            item_id = str(rec.values["item_id"])
            item = known.get(item_id)
            where = {"file": c.ret.name, "sheet": spec.sheet,
                     "cell": rec.cells.get("item_id", "")}
            if item_id in rows:
                issues.append(error("duplicate-action", f"督办事项 {item_id} 填了两行;采用第 "
                                    f"{rows[item_id]} 行,此行未采用", value=item_id,
                                    expected="每项一行(不要复制行)", **where))
                continue
            rows[item_id] = rec.source.row
            if item is None:
                issues.append(error("unknown-action", f"督办事项 {item_id} 不在周例会纪要中,此行未采用",
                                    value=item_id, **where))
            elif item.department != c.department:
                issues.append(error("foreign-action", f"督办事项 {item_id} 由{item.department}负责,"
                                    f"{c.department}不能更新,此行未采用", value=item_id,
                                    expected=item.department, **where))
            else:
                issues += _locked_changes(rec, item)
                updates[item_id] = (ActionState(rec.values["status"]),
                                    clean_text(rec.values.get("progress")), rec.source)
    return updates, issues


def _deleted(c: Checked, expected: Sequence[str], present: set[str],
             known: Mapping[str, ActionItem], sheet: str) -> list[Issue]:
    """The items the department's workbook carried that its return no longer has (the
    row, or the whole sheet, deleted): they are not closed by it."""
    out = []
    for item_id in expected:
        item = known.get(item_id)
        if item_id in present or item is None or item.department != c.department \
                or not item.is_open:
            continue
        out.append(warning("missing-action", f"督办事项 {item_id}({item.matter[:30]})在 PMO 发给"
                           f"{c.department}的工作簿中,交回的文件里这一行被删除了;该事项不因此关闭,"
                           "仍按上次的状态登记,请恢复该行并更新状态", value=item_id,
                           expected="保留 PMO 预填的每一行督办事项", file=c.ret.name, sheet=sheet))
    return out


#: The 督办事项 columns the minutes decide: locked in the department's sheet.
_DECIDED = (("matter", "事项"), ("decision", "决定"), ("due", "完成期限"))


def _locked_changes(rec: Any, item: ActionItem) -> list[Issue]:
    """A department that unprotected its 督办事项 sheet and changed what was decided: the
    minutes stand, the change is named (the row's 状态 and 进展说明 still count)."""
    out = []
    for key, name in _DECIDED:
        given, decided = rec.values.get(key), getattr(item, key)
        if key != "due":
            given, decided = clean_text(given), clean_text(decided)
        if given in (None, "") or given == decided:
            continue
        shown = given.isoformat() if isinstance(given, dt.date) else str(given)
        was = decided.isoformat() if isinstance(decided, dt.date) else str(decided or "")
        out.append(warning("locked-changed", f"督办事项 {item.item_id} 的「{name}」被改为「{shown[:40]}」"
                           f"(周例会纪要定为「{was[:40]}」);以纪要为准,改动未采用,需调整请联系 PMO",
                           value=shown, expected=was, file=rec.source.file,
                           sheet=rec.source.sheet, cell=rec.cells.get(key, "")))
    return out


def track(known: Mapping[str, ActionItem], previous: Mapping[str, ActionItem],
          updates: Mapping[str, Update], week: str) -> list[ActionItem]:
    """Every item as this week leaves it: what was decided, where it stood last week,
    and this week's update from its department."""
    out = []
    for item_id, item in known.items():
        prev = previous.get(item_id)
        if prev is not None and prev.updated_week:
            item = replace(item, status=prev.status, progress=prev.progress,
                           updated_week=prev.updated_week, update_source=prev.update_source)
        if item_id in updates:
            status, progress, source = updates[item_id]
            item = item.updated(status, progress, week, source)
        out.append(item)
    return out


def action_changes(items: Sequence[ActionItem], previous: Mapping[str, ActionItem],
                   decided: Mapping[str, ActionItem], as_of: dt.date,
                   previous_as_of: dt.date | None) -> list[Change]:
    """本周变化: items decided since, closed since (from where last week, or else the
    minutes, left them), and newly overdue."""
    out: list[Change] = []
    for a in items:
        prev = previous.get(a.item_id)
        before = prev or decided.get(a.item_id)
        if prev is None:
            out.append(Change(ChangeKind.NEW_ACTION, a.item_id, a.department,
                              f"{a.meeting} 周例会:{a.matter[:40]};期限 {_day(a.due)}"))
        if (prev is None or prev.is_open) and not a.is_open:
            out.append(Change(ChangeKind.CLOSED_ACTION, a.item_id, a.department,
                              f"{before.status if before else '未开始'} → {a.status}"
                              + (f":{a.progress[:40]}" if a.progress else "")))
        was = prev is not None and previous_as_of is not None and prev.overdue(previous_as_of)
        if a.overdue(as_of) and not was:
            out.append(Change(ChangeKind.OVERDUE_ACTION, a.item_id, a.department,
                              f"期限 {_day(a.due)},已过 {(as_of - a.due).days} 天,"  # type: ignore[operator]
                              f"状态 {a.status}"))
    return out


def open_items(items: Iterable[ActionItem], as_of: dt.date) -> list[ActionItem]:
    """Open items, overdue first, then by due date."""
    return sorted((a for a in items if a.is_open),
                  key=lambda a: (not a.overdue(as_of), a.due or dt.date.max,
                                 action_sort_key(a.item_id)))


def counts(items: Iterable[ActionItem], departments: Sequence[str],
           as_of: dt.date) -> list[tuple[str, int, int]]:
    """(department, open, overdue) for each department, for 总览."""
    items = list(items)
    return [(d, sum(a.is_open for a in items if a.department == d),
             sum(a.overdue(as_of) for a in items if a.department == d)) for d in departments]


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "未定"


def minutes_in(paths: Iterable[Any], ctx: Context) -> tuple[list[Minutes], list[Issue]]:
    """The 周例会 minutes among the files in the inbox, for `build` (which runs before the
    week's merge and must already give each department its open items). Only the files
    whose identity says `meeting` (or cannot say cheaply) are read in full."""
    from ..contract import MEETING_KIND
    from .peek import identity_kinds
    from .read import read_returns

    chosen = [p for p in paths if (kinds := identity_kinds(p)) is None or MEETING_KIND in kinds]
    found = [Checked(ret, kind=MEETING_KIND) for path in chosen
             for ret in read_returns(path, ctx.specs)
             if ret.readable and ret.identity.get("kind") == MEETING_KIND]
    return take_in_minutes(found, ctx)


def items_at(week: str, stored: Iterable[ActionItem], minutes: Iterable[Minutes],
             last_states: Iterable[ActionItem]) -> list[ActionItem]:
    """Every item decided up to `week` as the last merge before it left it."""
    return track(register(stored, minutes, week), {a.item_id: a for a in last_states}, {}, week)
