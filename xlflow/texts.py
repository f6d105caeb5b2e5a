"""Every line the CLI prints, in Chinese and English, in one place (its --help:
xlflow/helptexts.py, in the same language).

The users are Chinese PMO staff and department members: Chinese is the default.
`--lang en` (or `XLFLOW_LANG=en`) prints English around the same Chinese issue
messages, which come from the library. The language is chosen, first match wins, by
`--lang`, by `XLFLOW_LANG` (`zh`/`en`, or a locale such as `zh_CN.UTF-8`), by the first
of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set: `zh…` is Chinese, C/POSIX is no choice
(Chinese), any other language English; with nothing set, Chinese.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT = "zh"
ENV = "XLFLOW_LANG"
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX precedence


def _from_locale(value: str) -> str | None:
    """zh or en for a language or locale name; None when it names no language."""
    lang = value.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if lang in ("", "c", "posix"):
        return None
    return "zh" if lang.split("_")[0] == "zh" else "en"


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language when --lang is not given: XLFLOW_LANG, else the locale, else zh."""
    env = os.environ if environ is None else environ
    if env.get(ENV, "").strip():
        return _from_locale(env[ENV]) or DEFAULT
    for var in _LOCALE_VARS:
        if env.get(var, "").strip():
            return _from_locale(env[var]) or DEFAULT
    return DEFAULT


# key -> (zh, en); str.format fields. Chinese uses the project's half-width punctuation.
TEXTS: dict[str, tuple[str, str]] = {
    # -- errors -------------------------------------------------------------------------
    "error": ("错误:{message}", "Error: {message}"),
    "internal-error": ("内部错误:{kind}: {message}(加 --debug 重新运行可看到详细信息)",
                       "internal error: {kind}: {message} (run again with --debug for a "
                       "traceback)"),
    "not-a-date": ("{value} 不是日期(应为 YYYY-MM-DD)", "{value!r} is not a date (YYYY-MM-DD)"),
    "not-a-week": ("「{value}」不是 ISO 周(应为 YYYY-Www,例如 2024-W28)",
                   "{value!r} is not an ISO week (YYYY-Www, e.g. 2024-W28)"),
    "no-such-week": ("「{value}」:{year} 年没有第 {week} 周",
                     "{value!r}: {year} has no week {week}"),
    "not-a-host-port": ("「{value}」应为 主机:端口,例如 {example}",
                        "{value!r} is not HOST:PORT (e.g. {example})"),
    "not-a-host": ("「{value}」应为 主机 或 主机:端口,例如 {example}",
                   "{value!r} is not HOST or HOST:PORT (e.g. {example})"),
    "smtp-password": ("{user} 的 SMTP 密码", "SMTP password for {user}"),
    "no-tls-remote": ("--no-tls 只能用于本机的邮件服务器(127.0.0.1、::1、localhost);{host} 请用 "
                      "--tls(默认)或 --starttls,以免密码和邮件明文经过网络",
                      "--no-tls is only for a mail server on this machine (127.0.0.1, ::1, "
                      "localhost); use --tls (the default) or --starttls for {host}, so that "
                      "the password and the mail do not cross the network in clear text"),
    # -- issues -------------------------------------------------------------------------
    "issue.found-expected": ("(填写的是「{value}」,应为 {expected})",
                             " (found {value!r}, expected {expected})"),
    "issue.found": ("(填写的是「{value}」)", " (found {value!r})"),
    "issue.expected": ("(应为 {expected})", " (expected {expected})"),
    "issues.more-in-report": ("  … 另有 {n} 条(全部列在报表的「校验问题」表中)",
                              "  … and {n} more (all are in the report's 校验问题)"),
    "issues.more-in-json": ("  … 另有 {n} 条(加 --json 可看到全部)",
                            "  … and {n} more (--json shows them all)"),
    "progress.reading": ("读取中", "reading"),
    # -- init, build --------------------------------------------------------------------
    "wrote": ("已写入 {path}", "wrote {path}"),
    "init.key": ("已写入 {path}({note})", "wrote {path} ({note})"),
    "build.key": ("已写入 {path}({note};本项目由旧版 xlflow 创建,此前没有密钥)",
                  "wrote {path} ({note}; this project had none: made by an older xlflow)"),
    "key.note": ("项目密钥,用于给部门文件签名:请妥善保管,切勿发送",
                 "the project's key, which signs the department files: keep it, never send it"),
    "key.example-note": ("公开的示例密钥:只用于演示", "the public example key: for demos only"),
    "init.next": ("下一步:编辑该文件;需求共识 `xlflow opinion`、方案审批 `xlflow approve`、"
                  "PMO备案 `xlflow file` 之后运行 `xlflow build {directory}{week}`",
                  "next: edit it; after 需求共识 `xlflow opinion`, 方案审批 `xlflow approve` and "
                  "PMO备案 `xlflow file`, run `xlflow build {directory}{week}`"),
    "build.summary": ("{project} · {week}:{n} 个部门工作簿,在 {outbox}",
                      "{project} · {week}: {n} department workbook(s) in {outbox}"),
    "build.master": ("  PMO总表: {name}", "  PMO: {name}"),
    # -- merge --------------------------------------------------------------------------
    "merge.title": ("{project} · {week}(统计日 {as_of})", "{project} · {week} (as of {as_of})"),
    "merge.files": ("  读取文件:{files} 个(采用 {accepted} 个)· 汇总行数:{rows}",
                    "  files read: {files} ({accepted} accepted) · rows merged: {rows}"),
    "merge.problems": ("  问题:{errors} 个错误,{warnings} 个提醒",
                       "  problems: {errors} error(s), {warnings} warning(s)"),
    "merge.late": ("  滞后任务:{n} 项", "  late tasks: {n}"),
    "merge.late-item": ("{task} {department} {status} +{days}天",
                        "{task} {department} {status} +{days}d"),
    "merge.high": ("  未关闭的高风险:{n} 项", "  open high risks: {n}"),
    "list": (":{items}", ": {items}"),
    "list-sep": (",", ", "),
    "merge.missing-weeks": ("  缺少周汇总:{weeks}(与 {previous} 比较)",
                            "  missing weeks: {weeks} (compared with {previous})"),
    "merge.report": ("报表:{path}", "report: {path}"),
    "merge.minutes-only": ("  只收到周例会纪要:已登记督办事项 {n} 项,本周的汇总数据与报表不变",
                           "  minutes only: {n} action items recorded, the week's figures and "
                           "report unchanged"),
    "merge.minutes-no-return": ("  没有采用部门交回的文件:报表已生成,台账未改变"
                                "(周例会纪要的督办事项 {n} 项已登记)",
                                "  no department's return accepted: the report is written, the "
                                "ledger is unchanged ({n} action items from the minutes recorded)"),
    "merge.nothing-accepted": ("  没有采用任何文件:报表已生成,台账未改变",
                               "  nothing accepted: the report is written, the ledger is "
                               "unchanged"),
    # -- validate -----------------------------------------------------------------------
    "validate.file": ("{mark} {path}:{department} · {errors} 个错误,{warnings} 个提醒",
                      "{mark} {path}: {department} · {errors} error(s), {warnings} warning(s)"),
    "validate.unknown-department": ("未识别部门", "department not identified"),
    "validate.signature-unchecked": ("  签名:PMO 汇总时核对(无 --project 无法核对)",
                                     "  signature: checked at merge (use --project to check "
                                     "it now)"),
    "validate.signature-valid": ("  签名:有效", "  signature: valid"),
    # -- lifecycle steps ----------------------------------------------------------------
    "step.done": ("{done}:{by},{at}", "{done} by {by} at {at}"),
    "step.note": (" · {note}", " · {note}"),
    "step.wrote": ("  已写入 {path}", "  wrote {path}"),
    "step.not-recorded": ("未记录:请改正上面的问题后重新运行",
                          "not recorded: fix the problems above and run again"),
    "done.opinion": ("已记录意见", "recorded"),
    "done.approve": ("已审批", "approved"),
    "done.file": ("已备案", "filed"),
    "done.reject": ("已退回方案", "plan sent back"),
    "change.recorded": ("已记录变更 {n}(待审批):{by},{at} · {summary}",
                        "change {n} recorded (pending approval) by {by} at {at}: {summary}"),
    "change.next": ("  审批:xlflow approve {directory} --change {n} --by {approver}",
                    "  to approve: xlflow approve {directory} --change {n} --by {approver}"),
    "change.approver": ("审批人", "APPROVER"),  # when project.yaml names no approver
    "change.decided": ("变更 {n} {state}:{by},{at} · {summary}",
                       "change {n}: {state} by {by} at {at}: {summary}"),
    "status.pending-change": ("  待审批的变更 {n}:{summary}(提出:{by};原因:{reason})",
                              "  change {n} pending approval: {summary} (by {by}; why: {reason})"),
    # -- status -------------------------------------------------------------------------
    "status.phase": ("阶段:{phases}", "phase: {phases}"),
    "status.step": ("  {kind}:{by},{at}", "  {kind}: {at} by {by}"),
    "status.to-move-on": ("  待完成:{item}", "  to move on: {item}"),
    "status.alert": ("  ! {item}", "  ! {item}"),
    "status.deadline": ("下一个截止:{date} {what}", "next deadline: {date} {what}"),
    "status.last-merge": ("最近汇总:{week}", "last merge: {week}"),
    "status.no-merge": ("尚无", "(none yet)"),
    "status.late": (" · 滞后任务:{n} 项", " · late tasks: {n}"),
    "status.late-item": (" {task}({status} +{days}天)", " {task}({status} +{days}d)"),
    "status.high": (" · 未关闭的高风险:{n} 项", " · open high risks: {n}"),
    "kind.opinion": ("部门意见", "opinion"),
    "kind.approve": ("方案审批", "approve"),
    "kind.file": ("PMO备案", "file"),
    "kind.send": ("发送", "send"),
    "kind.accept": ("成果验收", "accept"),
    "kind.retro": ("复盘", "retro"),
    "kind.archive": ("归档", "archive"),
    "kind.drop-merge": ("删除周汇总", "drop-merge"),
    "kind.reject": ("方案退回", "sent back"),
    "kind.change": ("计划变更", "plan change"),
    # -- send ---------------------------------------------------------------------------
    "send.message": ("  {department} <{to}>: {attachment} → {where}",
                     "  {department} <{to}>: {attachment} → {where}"),
    "send.sent": ("已发送", "sent"),
    "send.not-sent": ("未发送:{error}", "NOT SENT: {error}"),
    "send.summary": ("{week}:{n} 封邮件", "{n} message(s) for {week}"),
    "send.skipped": ("  {department} <{to}>:已于 {sent_at} 发出({how}),跳过(--resend 可再次发送)",
                     "  {department} <{to}>: sent at {sent_at} ({how}), skipped "
                     "(--resend to send again)"),
    "send.skipped-count": ("{n} 封此前已发出,未重复发送", "{n} skipped as already sent"),
    "smtp-password-needed": ("需要 SMTP 密码: 设置环境变量 {var} 或在终端中运行",
                             "an SMTP password is needed: set {var} or run in a terminal"),
    # -- accept -------------------------------------------------------------------------
    "accept.result": ("  {id} {name}: 目标 {target} · 实际 {actual} · {met}{who}",
                      "  {id} {name}: target {target} · actual {actual} · {met}{who}"),
    "accept.met": ("达标", "met"),
    "accept.not-met": ("未达标", "not met"),
    "accept.no-value": ("未填", "not filled in"),
    "accept.who": (" · 确认 {confirmer} {date}", " · confirmed by {confirmer} {date}"),
    "accept.passed": ("验收通过:已记录成果验收", "acceptance passed: recorded 成果验收"),
    "accept.not-yet": ("尚未通过:还缺 {n} 项", "not yet: {n} item(s) missing"),
    "accept.confirmation": ("  部门确认 {department}: {who}", "  {department} confirmation: {who}"),
    "accept.unconfirmed": ("未确认", "not confirmed"),
    "accept.conclusion": ("  验收结论:{verdict} · 验收日期 {date} · 分管领导意见:{opinion}",
                          "  conclusion: {verdict} · on {date} · leader's opinion: {opinion}"),
    "accept.fix": ("  遗留问题:{items} · 整改期限 {fix_by}", "  open items: {items} · fix by {fix_by}"),
    # -- retro, review ------------------------------------------------------------------
    "retro.fact": ("  {label}:{value}", "  {label}: {value}"),
    "retro.feedback": ("  {kind}:{n} 条", "  {kind}: {n} item(s)"),
    "review.title": ("{month}:{n} 次周汇总({weeks})", "{month}: {n} merge(s) ({weeks})"),
    "review.missing-weeks": ("  缺少周汇总:{weeks}", "  missing weeks: {weeks}"),
    "review.on-time": ("  {department} 按期率:{trend}", "  {department} on-time: {trend}"),
    "review.counts": ("  已完成:{finished} 项 · 未完成任务:{tasks} 项 · 未关闭风险:{risks} 项",
                      "  finished: {finished} · open tasks: {tasks} · open risks: {risks}"),
    # -- meeting ------------------------------------------------------------------------
    "meeting.agenda": ("{week} 周例会(主持:{host}):延误/预警任务 {late} 项 · 高/中风险 {risks} 项 · "
                       "需协调事项 {asks} 项 · 未交回 {missing} 个部门 · 未完成督办事项 {actions} 项"
                       "(逾期 {overdue} 项)",
                       "{week} weekly meeting (host: {host}): {late} late/at-risk task(s) · "
                       "{risks} high/medium risk(s) · {asks} coordination request(s) · "
                       "{missing} missing return(s) · {actions} open action item(s) "
                       "({overdue} overdue)"),
    "meeting.next": ("会后在「会议纪要」表填写决定,保存后放入 inbox/;下次 build/merge 读取为督办事项",
                     "after the meeting fill in 会议纪要, save it into inbox/; the next build/merge "
                     "tracks each row as an action item"),
    # -- collect, risks -----------------------------------------------------------------
    "imap-password": ("{user} 的 IMAP 密码", "IMAP password for {user}"),
    "imap-password-needed": ("没有 IMAP 密码:请设置环境变量 {var},或在终端中运行",
                             "no IMAP password: set {var}, or run in a terminal"),
    "collect.title": ("{folder} @ {account}:{n} 封新邮件", "{folder} @ {account}: {n} new message(s)"),
    "collect.message": ("  {who} {received}「{subject}」:{outcome}",
                        "  {who} {received} 「{subject}」: {outcome}"),
    "collect.saved-before": ("(此前已保存)", " (saved before)"),
    "collect.moved": (" · 已移入指定文件夹", " · moved"),
    "collect.not-saved": ("      未保存:{what}", "      not saved: {what}"),
    "collect.summary": ("保存 {saved} 个文件,{unverified} 个来自未登记的发件人",
                        "{saved} file(s) saved, {unverified} unverified"),
    "collect.risk-forms": ("收到 {n} 份风险应对申请表:请运行 xlflow risks {dir}",
                           "{n} risk form(s): run `xlflow risks {dir}`"),
    "risks.file": ("  {mark} {path}:{department} · 收到 {received} · {n} 项风险",
                   "  {mark} {path}: {department} · received {received} · {n} risk(s)"),
    "risks.alert": ("  高风险警报 {id} {department}:{description}",
                    "  ALERT high risk {id} {department}: {description}"),
    "risks.awaiting": ("  待 PMO 应对 {id} {department} {level}:提出于 {raised},尚无应对方案",
                       "  awaiting the PMO {id} {department} {level}: raised {raised}, no response"),
    "risks.summary": ("{forms} 份申请表中 {n} 项风险;风险登记册共 {register} 项,新增高风险 {high} 项",
                      "{n} risk(s) from {forms} form(s); register: {register} risk(s), "
                      "{high} new high"),
    # -- archive, cases -----------------------------------------------------------------
    "archive.done": ("已归档 {n} 个文件并校验:{zip}", "archived {n} files, verified: {zip}"),
    "archive.sha256": ("案例 {case}(第 {version} 版)· SHA-256:{sha256}",
                       "case {case} (version {version}) · sha256 {sha256}"),
    "archive.skipped": ("  {n} 个文件未归档(见上)", "  {n} file(s) not archived (see above)"),
    "cases.case": ("{id}  {name}  {start}~{end}  {departments}  按期率 {rate}  归档 {archived}  {zip}",
                   "{id}  {name}  {start}~{end}  {departments}  on-time {rate}  archived "
                   "{archived}  {zip}"),
    "cases.count": ("共 {n} 个案例", "{n} case(s)"),
    # -- resources ----------------------------------------------------------------------
    "resources.department": ("  {subject} {start}~{end}: 需 {demand:g} 名 > 可投入 {capacity:g} 名"
                             " → {proposal}",
                             "  {subject} {start}~{end}: needs {demand:g} > capacity "
                             "{capacity:g} → {proposal}"),
    "resources.other": ("  {subject} {resource} {start}~{end}: 需 {demand} > 可投入 {capacity}"
                        " → {proposal}",
                        "  {subject} {resource} {start}~{end}: needs {demand} > capacity "
                        "{capacity} → {proposal}"),
    "resources.person": ("  {subject} {start}~{end}: {proposal}",
                         "  {subject} {start}~{end}: {proposal}"),
    "resources.summary": ("{projects} 个项目中有 {n} 处资源冲突",
                          "{n} conflict(s) across {projects} project(s)"),
    # -- portfolio ----------------------------------------------------------------------
    "portfolio.project": ("  {id} {name}({priority})· {phase} · {merge} · {outlook}"
                          " · 滞后 {late} 项 · 高风险 {high} 项{missing}",
                          "  {id} {name} ({priority}) · {phase} · {merge} · {outlook}"
                          " · late {late} · high risks {high}{missing}"),
    "portfolio.unmerged": ("  {id} {name}({priority})· {phase} · 尚无周汇总",
                           "  {id} {name} ({priority}) · {phase} · no merge yet"),
    "portfolio.merge": ("最近汇总 {week}(按期率 {rate})", "last merge {week} (on time {rate})"),
    "portfolio.missing": (" · 未交回:{departments}", " · not returned: {departments}"),
    "portfolio.over": ("  {department} {week}: 需 {total:g} 名 > 可投入 {capacity:g} 名",
                       "  {department} {week}: {total:g} people > capacity {capacity:g}"),
    "portfolio.summary": ("{n} 个项目 · 开放高风险 {high} 项 · 超负荷 {over} 个部门周"
                          " · 未纳入 {skipped} 个文件夹",
                          "{n} project(s) · {high} open high risk(s) · {over} department-week(s) "
                          "over capacity · {skipped} folder(s) left out"),
    # -- history ------------------------------------------------------------------------
    "history.dropped": ("已删除 {week} 的汇总(保留审计记录)", "dropped {week} (audit entry kept)"),
    "history.merge": ("  {week}  统计日 {as_of}  文件 {accepted}/{files}  汇总于 {run_at}  "
                      "xlflow {version}",
                      "  {week}  as of {as_of}  files {accepted}/{files}  merged {run_at}  "
                      "xlflow {version}"),
    "history.count": ("共 {n} 次已记录的汇总", "{n} recorded merge(s)"),
    # -- remind, notify, run -----------------------------------------------------------
    "not-a-moment": ("{value} 不是日期或时间(应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM)",
                     "{value!r} is not a date or a time (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"),
    "at-future": ("--at {value} 晚于现在:只能补记已经做过的步骤",
                  "--at {value} is later than now: only a step already taken can be recorded"),
    "at-too-early": ("--at {value} 早于 2000 年:请检查日期",
                     "--at {value} is before 2000: check the date"),
    "not-an-address": ("{value} 不是邮箱地址", "{value!r} is not an e-mail address"),
    "imap-unavailable": ("此版本的 xlflow 还不能通过 IMAP 收取", "this xlflow cannot collect by IMAP yet"),
    "remind.not-due": ("  {week}:交回截止 {deadline},尚未到期", "  {week}: returns due {deadline}, not yet"),
    "remind.pending": ("  {department}:已交回,尚未汇总(请运行 xlflow merge),不催办",
                       "  {department}: returned, not merged yet (merge it); not chased"),
    "remind.reminder": ("  {department} <{to}>{cc}:{n} 项 → {where}",
                        "  {department} <{to}>{cc}: {n} item(s) → {where}"),
    "remind.cc": (" 抄送 {addresses}", " cc {addresses}"),
    "remind.already": ("今天已催办过,无新增事项", "reminded today already, nothing new"),
    "remind.item": ("      {text}", "      {text}"),
    "remind.summary": ("{week}:催办 {n} 个部门(截至 {as_of})",
                       "{n} reminder(s) for {week} as of {as_of}"),
    "notify.to": ("  收件人:{to}", "  to: {to}"),
    "notify.subject": ("  主题:{subject}", "  subject: {subject}"),
    "notify.figures": ("  {figures}", "  {figures}"),
    "notify.charts": ("  图表:{charts} · 附件:{attachment}", "  charts: {charts} · attached: {attachment}"),
    "notify.no-charts": ("无", "(none)"),
    "notify.done": ("{week} 周报通报 → {where}", "notice for {week} → {where}"),
    "run.step": ("  {mark} {name}:{note}", "  {mark} {name}: {note}"),
    "run.build": ("生成", "build"),
    "run.send": ("发送", "send"),
    "run.collect": ("收取回传", "collect"),
    "run.risks": ("风险申请", "risks"),
    "run.merge": ("汇总", "merge"),
    "run.notify": ("通报", "notify"),
    "run.remind": ("催办", "remind"),
    "run.run": ("运行", "run"),
    "run.summary": ("{today}({week}):完成 {n} 步", "{today} ({week}): {n} step(s) done"),
}


def text(key: str, lang: str = DEFAULT, /, **fields: Any) -> str:
    """The line `key` in `lang` (zh unless en), its fields filled in."""
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**fields)
