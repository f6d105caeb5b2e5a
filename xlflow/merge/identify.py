"""Which department a returned file speaks for, and whether it counts this week.

A file is refused (with the reason) when it is another project's, another week's, the
PMO master, built from an older spec, when its identity's signature does not verify
with the project's key or its file id was not built for the department it claims, or
when its identity and its locked 部门 column disagree; two returns of one department:
the newer counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from ..contract import MASTER_KIND, MEETING_KIND, RISK_FORM_KIND, SIGNATURE_KEY, TaskRow
from ..issues import Issue, Severity, cell_name, error, warning
from ..signing import Signature, Trust, verify
from ..spec import parse_versions
from .check import Record, validate_block, validate_table
from .context import Context
from .pmo_response import read_master
from .read import DEPARTMENT_TEMPLATES, Returned

RISK_FORM = RISK_FORM_KIND
RISK_FORM_REASON = "单独的风险应对申请表:由 xlflow risks 并入风险登记册,周汇总不重复读取"
MEETING_REASON = "周例会纪要:督办事项由 merge/actions.py 读取"


@dataclass
class Checked:
    """One returned file after identification and validation."""

    ret: Returned
    department: str = ""
    kind: str = ""  # the identity's kind: department (the weekly workbook) or risk
    accepted: bool = False
    reason: str = ""
    signature: Signature | None = None  # None: not reached (refused before)
    records: dict[str, list[Record]] = field(default_factory=dict)
    blocks: dict[str, Record] = field(default_factory=dict)  # fields below a table, by template
    issues: list[Issue] = field(default_factory=list)


# what a department reads when a file has no identity: nothing about hidden sheets
NOT_OURS = "这不是由 xlflow 生成的工作簿,或标识信息已被删除"


def identify(ret: Returned, ctx: Context, *, check_week: bool = True,
             risk_forms: bool = False) -> Checked:
    """risk_forms: a standalone 风险应对申请表 (identity kind `risk`) is checked too, for
    `xlflow risks` and `validate`; the weekly merge leaves it to `xlflow risks`."""
    checked = Checked(ret, issues=list(ret.issues))
    where = {"file": ret.name}  # about the whole file: its identity is on no sheet people see

    def refuse(code: str, message: str, **extra: str) -> Checked:
        checked.issues.append(error(code, message, **{**where, **extra}))
        checked.reason = message
        return checked

    if not ret.readable:
        checked.reason = next((i.message for i in ret.issues if i.is_error), "无法读取")
        return checked
    ident = ret.identity
    guessed = not ident
    if guessed:
        guess = _guess_department(ret, ctx)
        if not guess:
            return refuse("no-identity", f"{NOT_OURS},也无法从表中判断部门;请用 PMO 发来的原始文件填写")
        sheet = _table_departments(ret)[0]
        if ctx.trust is not None and (ctx.week, guess) in ctx.trust.signed_builds:
            return refuse("no-identity", f"{NOT_OURS};「{sheet}」的「部门」列是{guess},但 PMO 本周发给{guess}"
                          f"的文件带签名标识,无法核实此文件来自{guess},未采用;"
                          "请用 PMO 发出的原始文件填写")
        checked.issues.append(warning("no-identity", f"{NOT_OURS};按「{sheet}」的「部门」列识别为"
                                      f"{guess}", **where))
        ident = {"department": guess, "project_id": ctx.project_id, "week": ctx.week,
                 "kind": "department"}
        checked.signature = Signature.UNSIGNED
    checked.kind = ident.get("kind", "department")
    templates: tuple[str, ...] = DEPARTMENT_TEMPLATES
    if checked.kind == RISK_FORM:
        if not risk_forms:
            checked.department = ident.get("department", "")
            checked.reason = RISK_FORM_REASON
            checked.issues = []  # its problems are `xlflow risks`' to report
            return checked
        templates = ("risks",)
    elif checked.kind == MEETING_KIND:  # the PMO's minutes: checked by merge/actions.py
        checked.reason = MEETING_REASON
        checked.issues = []
        return checked
    elif checked.kind not in ("department", MASTER_KIND):
        return refuse("not-a-department-file", "这是 PMO 总表,不是部门交回的文件")
    if ident.get("project_id") != ctx.project_id:
        return refuse("wrong-project", f"文件属于项目 {ident.get('project_id')!r},不是本项目",
                      value=str(ident.get("project_id")), expected=ctx.project_id)
    if checked.kind == MASTER_KIND and not ident.get(SIGNATURE_KEY):
        return refuse("not-a-department-file", "这是 PMO 总表,由旧版 xlflow 生成(没有签名),"
                      "其中的风险应对不能采用;请在 xlflow build 新生成的总表中填写")
    if not guessed:
        checked.signature, problem = check_signature(ident, ret.identity_tasks, ctx.trust)
        if problem is not None:
            code, message, extra = problem
            return refuse(code, message, **extra)
        draft = _draft_refusal(ident, ctx)
        if draft is not None:
            checked.department = ident.get("department", "")
            return refuse("draft-file", draft)
        if checked.signature is Signature.UNSIGNED:
            checked.issues.append(warning(
                "unsigned", "文件没有签名(由旧版 xlflow 生成),无法核实是哪个部门的文件;"
                f"按标识采用为{ident.get('department', '')}", **where))
    if checked.kind == MASTER_KIND and not (check_week and ident.get("week", "") > ctx.week):
        return read_master(checked, ctx)  # an earlier week's master: its responses still count
    if check_week and ident.get("week") != ctx.week:
        checked.department = ident.get("department", "")
        return refuse("wrong-week", f"这是 {ident.get('week')} 的文件,本次汇总的是 {ctx.week};"
                      "请用本周的文件填写", value=str(ident.get("week")), expected=ctx.week)
    department = ident.get("department", "")
    if department not in ctx.departments:
        return refuse("unknown-department", f"部门 {department!r} 不在项目文件中",
                      value=department, expected="、".join(ctx.departments))
    sheet, shown = _table_departments(ret)
    if shown and set(shown) != {department}:
        other = next(d for d in shown if d != department)
        return refuse("identity-mismatch", f"文件是发给{department}的,但「{sheet}」的部门列是"
                      f"{'、'.join(sorted(shown))}(如 {shown[other]});文件可能被改动,未采用,"
                      "请用 PMO 发给本部门的原始文件填写", value="、".join(sorted(shown)),
                      expected=department, sheet=sheet, cell=shown[other])
    versions = parse_versions(ident.get("spec_version", ""))
    older = [f"{t.title_zh} v{versions.get(t.key, 0)}<v{t.version}" for t in ctx.specs
             if t.key in templates and versions.get(t.key, 0) < t.version]
    if "spec_version" in ident and older:
        return refuse("old-spec", "文件由旧版模板生成(" + "、".join(older) + ");请用新生成的文件填写")
    if ident.get("spec_digest") and ident["spec_digest"] != ctx.specs.digest:
        checked.issues.append(warning("spec-changed", "文件生成后模板的列有调整;按表头对应读取",
                                      **where))
    checked.department = department
    checked.accepted = True
    for key in templates:
        spec = ctx.specs[key]
        table = ret.tables.get(key)
        if table is None:
            if not any(i.sheet == spec.sheet for i in ret.issues):
                checked.issues.append(error("missing-sheet", f"缺少工作表「{spec.sheet}」",
                                            file=ret.name, sheet=spec.sheet))
            continue
        records, issues = validate_table(table, spec, ctx, file=ret.name, sha256=ret.sha256,
                                         department=department)
        checked.records[key] = records
        checked.issues.extend(issues)
        block, block_issues = validate_block(table, spec, ctx, file=ret.name, sha256=ret.sha256,
                                             department=department)
        if block is not None:
            checked.blocks[key] = block
        elif (key == "weekly" and spec.fields and ident.get("spec_digest") == ctx.specs.digest):
            # built with the block (same template digest) and returned without it: the
            # block was deleted, not an old return
            names = "、".join(f"「{f.zh}」" for f in spec.fields)
            checked.issues.append(warning(
                "missing-form-field", f"表格下方的{names}栏被删掉了,本周没有填报人/填报日期",
                expected=f"在表格下方保留{names}并填写", file=ret.name, sheet=spec.sheet))
        checked.issues.extend(block_issues)
    return checked


Problem = tuple[str, str, dict[str, str]]  # code, message, where/value/expected

FORGED = "标识信息被改动过(签名不符),文件未采用;请用原始文件重新填写"


def check_signature(ident: dict[str, str], tasks: list[TaskRow],
                    trust: Trust | None) -> tuple[Signature, Problem | None]:
    """Whether the identity is one this project's `build` signed and recorded: the
    signature verifies with the key, the file id was built, for the department and week
    the file claims. Without a signature: a file from before signing (a warning), unless
    the project signed what it sent that week to that department (the signature was
    removed). Without `trust` (no project at hand) nothing can be checked."""
    signed = bool(ident.get(SIGNATURE_KEY))
    if trust is None:
        return (Signature.UNCHECKED if signed else Signature.UNSIGNED), None
    department, week = ident.get("department", ""), ident.get("week", "")
    fid = ident.get("file_id", "")
    built = trust.built.get(fid) if fid else None
    if not signed:
        if built is not None or (week, department) in trust.signed_builds:
            return Signature.INVALID, ("identity-forged", "标识信息的签名被删除,文件未采用;"
                                       "请用原始文件重新填写", {})
        return Signature.UNSIGNED, None
    if trust.key is not None and not verify(trust.key, ident, tasks):
        return Signature.INVALID, ("identity-forged", FORGED, {})
    if built is None or built.kind != ident.get("kind", "department"):
        return Signature.INVALID, ("unknown-file-id", f"文件编号 {fid or '(空)'} 不是本项目生成的"
                                   "文件;请用 PMO 在本项目中生成并发出的文件填写",
                                   {"value": fid})
    if (built.department, built.week) != (department, week):
        return Signature.INVALID, ("foreign-file-id", f"文件编号属于 {built.week} 发给"
                                   f"{built.department}的文件,而标识写的是 {week} {department};"
                                   "文件未采用", {"value": f"{week} {department}",
                                                  "expected": f"{built.week} {built.department}"})
    return Signature.VALID, None


def _draft_refusal(ident: dict[str, str], ctx: Context) -> str | None:
    """Why a file built with `--draft` (before PMO备案) may not count here, or None: it
    counts only in a draft run (`merge --draft`, or checks made before 备案)."""
    built = ctx.trust.built.get(ident.get("file_id", "")) if ctx.trust is not None else None
    if built is None or not built.draft or ctx.draft:
        return None
    what = "PMO 总表" if built.kind == MASTER_KIND else "文件"
    return (f"这是 PMO 备案前用 --draft 生成的草稿{what}({built.week},表头标有「草稿」),"
            "不能计入正式汇总,未采用;请用备案后 xlflow build 生成的本周文件重新填写")


def _table_departments(ret: Returned) -> tuple[str, dict[str, str]]:
    """The sheet with the locked 部门 column (周进度跟踪表 of a weekly return, 风险应对申请表
    of a risk form) and each department written in it, with its first cell."""
    table = ret.tables.get("weekly") or ret.tables.get("risks")
    if table is None or "department" not in table.columns:
        return "", {}
    col = table.columns["department"]
    out: dict[str, str] = {}
    for r, row in table.rows:
        if col < len(row) and isinstance(row[col], str):
            name = row[col].strip()
            if name and name not in out:  # the first cell only (not one per row: 100,000)
                out[name] = cell_name(r, col)
    return table.sheet, out


def _guess_department(ret: Returned, ctx: Context) -> str:
    seen = list(_table_departments(ret)[1])
    return seen[0] if len(seen) == 1 and seen[0] in ctx.departments else ""


def excuse_other_weeks(checked: list[Checked]) -> None:
    """Last week's files stay in the inbox: when a department has sent this week's file,
    its other-week files are set aside with a warning, not an error."""
    current = {c.department for c in checked if c.accepted}
    for c in checked:
        if c.department in current and not c.accepted:
            c.issues = [replace(i, code="other-week", severity=Severity.WARNING,
                                message=i.message.split(";")[0] + ";本周已有新文件,此文件不计入")
                        if i.code == "wrong-week" else i for i in c.issues]


def choose_newest(checked: list[Checked]) -> list[Issue]:
    """Two returns from one department: the newer counts, both are listed."""
    issues: list[Issue] = []
    by_dept: dict[str, list[Checked]] = {}
    for c in checked:
        if c.accepted:
            by_dept.setdefault(c.department, []).append(c)
    for dept, group in by_dept.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda c: (c.ret.received or dt.datetime.min,
                                  c.ret.identity.get("built_at", ""), c.ret.name))
        newest = group[-1]
        for old in group[:-1]:
            old.accepted = False
            old.reason = f"{dept}有更新的文件 {newest.ret.name},本文件未采用"
            issues.append(warning("superseded", old.reason, file=old.ret.name))
    return issues

