"""Every issue code xlflow emits, in one place: its severity, a Chinese name, what it
means and what the department or the PMO should do about it.

`Issue` checks its code and severity against `CODES` when it is made, so a misspelt or
uncatalogued code fails the first test that emits it; `tests/test_codes.py` also reads
the sources and the README table. To add a code, add one entry to its stage below
(alphabetical within), then refresh the README: `python -m xlflow.codes --readme README.md`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    """Severities a code is emitted with; the values are `issues.Severity`'s."""

    ERROR = "error"
    WARNING = "warning"
    BOTH = "error/warning"  # which one depends on the case: `what` says when


class Stage(StrEnum):
    """Where a problem is found, in the order a return goes through."""

    PACKAGE = "package"
    READ = "read"
    IDENTIFY = "identify"
    CHECK = "check"
    TASKS = "tasks"
    RISKS = "risks"
    ACCEPTANCE = "acceptance"
    MERGE = "merge"
    APPROVAL = "approval"
    SEND = "send"
    COLLECT = "collect"
    RESOURCES = "resources"
    PORTFOLIO = "portfolio"
    ARCHIVE = "archive"

    @property
    def zh(self) -> str:
        return _STAGE_ZH[self]


_STAGE_ZH = {
    Stage.PACKAGE: "文件容器:压缩包上限、XML、打开密码(读取任何内容之前)",
    Stage.READ: "读取:文件、工作表、表头",
    Stage.IDENTIFY: "识别:哪个项目、哪一周、哪个部门的文件",
    Stage.CHECK: "单元格校验:类型、必填、下拉选项、范围",
    Stage.TASKS: "任务进度(周进度跟踪表)",
    Stage.RISKS: "风险登记(风险应对申请表)",
    Stage.ACCEPTANCE: "成果验收(成果验收确认单)",
    Stage.MERGE: "本次汇总(xlflow merge)",
    Stage.APPROVAL: "方案审批与备案(xlflow approve / file)",
    Stage.SEND: "发送、催办与通报(xlflow send / remind / notify)",
    Stage.COLLECT: "收信(xlflow collect):从 PMO 邮箱取回交回的文件",
    Stage.RESOURCES: "资源统筹(xlflow resources)",
    Stage.PORTFOLIO: "项目组合(xlflow portfolio)",
    Stage.ARCHIVE: "归档(xlflow archive)",
}
_LEVEL_ZH = {Level.ERROR: "错误", Level.WARNING: "提醒", Level.BOTH: "错误或提醒"}


@dataclass(frozen=True)
class Code:
    """One issue code. `remedy` names who acts (部门 or PMO) and what they do."""

    code: str
    severity: Level
    stage: Stage
    title_zh: str
    title_en: str
    what: str
    remedy: str

    def allows(self, severity: str) -> bool:
        return self.severity is Level.BOTH or severity == self.severity

    @property
    def level_zh(self) -> str:
        return _LEVEL_ZH[self.severity]


E, W, B = Level.ERROR, Level.WARNING, Level.BOTH
_S = Stage

CATALOGUE: tuple[Code, ...] = (
    # -- package: the container, before anything is read ---------------------------------
    Code("encrypted", E, _S.PACKAGE, "文件有打开密码", "password-protected",
         "工作簿或压缩包设置了打开密码,无法读取",
         "部门:取消打开密码(Excel:文件→信息→保护工作簿)后重新发送"),
    Code("unsafe-xml", E, _S.PACKAGE, "含 XML 实体声明", "unsafe XML",
         "文件内部的 XML 含 DTD 或实体声明(可用于 XML 实体攻击),整个文件被拒绝",
         "部门:用 Excel/WPS 打开后另存为新的 .xlsx 再发送;PMO:反复出现时核实文件来源"),
    Code("zip-bomb", E, _S.PACKAGE, "解压后过大", "zip bomb",
         "解压后超过上限(共 256 MB、单个部件 128 MB、压缩比 200:1 或 10,000 个文件),解压前即拒绝",
         "部门:只发送填写好的工作簿,不要打包其他文件;PMO:核实文件来源"),
    # -- read: the file, its sheets and headers ------------------------------------------
    Code("empty-archive", E, _S.READ, "压缩包是空的", "empty archive",
         "zip 压缩包里没有文件(只有文件夹或系统文件)",
         "部门:把填好的工作簿放进压缩包,或直接发送工作簿"),
    Code("empty-file", E, _S.READ, "空文件", "empty file",
         "文件是 0 字节,通常是下载或保存被中断",
         "PMO:从邮件重新下载附件;仍为空则请部门重新保存后发送"),
    Code("extra-sheet", W, _S.READ, "模板外的工作表", "extra sheet",
         "工作簿中有模板以外的工作表且有内容,这些内容不读取",
         "部门:把内容填到模板中对应的表里;只是参考资料则无需处理"),
    Code("file-too-large", E, _S.READ, "文件过大", "file too large",
         "文件超过 256 MB,不像一份填写的工作簿,未读取",
         "部门:删去图片和多余的工作表,另存后重新发送"),
    Code("hidden-row", W, _S.READ, "隐藏行", "hidden row",
         "数据行被隐藏(或筛选未取消),其内容仍已读取",
         "部门:取消隐藏和筛选,确认这些行确实要上报"),
    Code("macros", W, _S.READ, "含宏", "macros",
         "文件含宏(.xlsm);xlflow 从不运行宏,只读取单元格的值",
         "无需处理;部门以后可另存为 .xlsx 发送"),
    Code("merged-cells", W, _S.READ, "合并单元格", "merged cells",
         "数据区有跨行合并的单元格,只有左上角有值,其余行按空白读取",
         "部门:取消合并,在每一行分别填写"),
    Code("missing-column", E, _S.READ, "缺少必需的列", "missing column",
         "表头中找不到必填或锁定的列",
         "部门:恢复被删除的列(可从新生成的文件复制表头),或改用新文件填写"),
    Code("missing-header", E, _S.READ, "找不到表头", "missing header",
         "前 10 行中没有本表的列名,整张表未读取",
         "部门:恢复表头行(不要删改列名),或改用新生成的文件填写"),
    Code("moved-header", W, _S.READ, "表头下移", "header moved",
         "表头不在第 1 行(上方插入了行),按找到的表头读取",
         "无需处理;部门以后请勿在表头上方插入行"),
    Code("nested-archive", E, _S.READ, "压缩包套压缩包", "nested archive",
         "压缩包里又有压缩包,不会被打开",
         "PMO:解压后把工作簿放入收件箱;部门:直接发送工作簿"),
    Code("not-a-file", E, _S.READ, "不是文件", "not a file",
         "给出的路径是文件夹,或文件已被移走",
         "PMO:检查命令中的文件路径"),
    Code("not-a-workbook", B, _S.READ, "不是 Excel 工作簿", "not a workbook",
         "文件不是工作簿(消息说明实际是什么:PDF、图片、邮件、网页、CSV…)或已损坏;"
         "压缩包中夹带的此类文件只是提醒",
         "部门:发送填写后的工作簿本身(.xlsx/.xlsm/.ods/.xls);已损坏的重新保存后发送"),
    Code("renamed-sheet", W, _S.READ, "工作表被改名", "renamed sheet",
         "模板的工作表被改了名,已按表头找到并读取",
         "无需处理;部门以后请勿修改工作表名"),
    Code("sheet-too-large", B, _S.READ, "工作表过大", "sheet too large",
         "数据延伸到很远的单元格(超过 10 万行、200 列或 200 万格):模板中的表使整个文件被拒绝"
         "(错误),其他表只是不读取(提醒)",
         "部门:按 Ctrl+End 找到最远的单元格,删除多余的行和列,保存后重新发送"),
    Code("unreadable", E, _S.READ, "读取出错", "unreadable",
         "读取时遇到意外错误,文件已跳过,其他文件照常汇总",
         "部门:用 Excel/WPS/LibreOffice 打开并另存为 .xlsx 后重发;PMO:仍出错请附文件报告问题"),
    # -- identify: whose file, which project and week --------------------------------------
    Code("draft-file", E, _S.IDENTIFY, "草稿文件", "draft file",
         "文件是 PMO 备案前用 --draft 生成的草稿(标有「草稿」),只在草稿汇总(merge --draft)中计入,"
         "正式汇总不采用",
         "部门:在备案后 PMO 发来的本周文件中重新填写;PMO:备案后 xlflow build 并发送正式文件"),
    Code("foreign-file-id", E, _S.IDENTIFY, "文件编号属于别的文件", "foreign file id",
         "文件编号是 PMO 为另一个部门或另一周生成的文件的编号,与标识的部门、周不符,未采用",
         "部门:用 PMO 发给本部门的本周文件重新填写;PMO:核实文件来源"),
    Code("identity-forged", E, _S.IDENTIFY, "标识被改动", "identity forged",
         "_xlflow 标识页的签名与内容不符(部门、周、项目或任务被改动过,或签名被删除),"
         "或文件由另一个项目的密钥签名,未采用",
         "部门:用 PMO 发给本部门的原始文件重新填写;PMO:核实文件来源"),
    Code("identity-mismatch", E, _S.IDENTIFY, "标识与部门列不符", "identity mismatch",
         "文件标识的部门与锁定的「部门」列(周进度跟踪表,单独的风险应对申请表则为其提出部门列)不一致,文件可能被改动,未采用",
         "部门:用 PMO 发给本部门的文件重新填写;PMO:核实文件来源"),
    Code("missing-sheet", E, _S.IDENTIFY, "缺少工作表", "missing sheet",
         "模板中的一张工作表被删除(也找不到改名后的),其内容缺失",
         "部门:把该表从原文件复制回来,或改用新生成的文件填写"),
    Code("no-identity", B, _S.IDENTIFY, "无法识别文件", "no identity",
         "不是 xlflow 生成的工作簿,或标识信息已被删除:能从「部门」列认出部门、且 PMO 本周发给该部门的"
         "文件没有签名(旧版 xlflow 生成)时为提醒并照常读取,否则为错误,文件未采用",
         "部门:在 PMO 发来的原始文件上填写,不要把内容复制到新工作簿;"
         "单独校验时 PMO 可加 --project"),
    Code("not-a-department-file", E, _S.IDENTIFY, "不是部门文件", "not a department file",
         "这是 PMO 总表,不是部门交回的文件(其「风险应对」表没有填写,或总表由旧版生成、没有签名)",
         "PMO:把总表移出收件箱;要交回风险应对,在 xlflow build 生成的总表中填写后再放入"),
    Code("old-spec", E, _S.IDENTIFY, "旧版模板", "old spec",
         "文件由旧版模板生成,列已变化,未采用",
         "PMO:重新 xlflow build 并发送新文件;部门:把内容填到新文件中"),
    Code("other-week", W, _S.IDENTIFY, "往周的文件", "other week's file",
         "收件箱中另一周的文件;该部门本周已有新文件,此文件不计入",
         "无需处理;PMO 可把旧文件移出收件箱"),
    Code("spec-changed", W, _S.IDENTIFY, "模板列有调整", "spec changed",
         "文件生成后模板的列有调整(版本号未变),按表头对应读取",
         "无需处理;PMO 下一周发送新生成的文件"),
    Code("superseded", W, _S.IDENTIFY, "已被更新的文件取代", "superseded",
         "同一部门交回了多份文件,只采用最新的一份",
         "若被取代的才是正确的:PMO 把较新的文件移出收件箱,重新汇总"),
    Code("unknown-department", E, _S.IDENTIFY, "未知部门", "unknown department",
         "文件标识的部门不在 project.yaml 的部门列表中",
         "PMO:核对 project.yaml 的部门名称,用当前项目重新生成文件发送"),
    Code("unknown-file-id", E, _S.IDENTIFY, "未知文件编号", "unknown file id",
         "文件编号不是本项目 xlflow build 生成过的文件的编号(例如在另一个项目文件夹中生成),未采用",
         "部门:用 PMO 发出的文件填写;PMO:在本项目文件夹中 xlflow build 并发送"),
    Code("unsigned", W, _S.IDENTIFY, "文件没有签名", "unsigned",
         "文件由旧版 xlflow 生成,标识没有签名,无法核实是哪个部门的文件;按标识采用",
         "无需处理;PMO 以后发送新生成的(带签名的)文件"),
    Code("wrong-project", E, _S.IDENTIFY, "其他项目的文件", "wrong project",
         "文件属于另一个项目",
         "PMO:把文件放到它所属项目的收件箱"),
    Code("wrong-week", E, _S.IDENTIFY, "不是本周的文件", "wrong week",
         "文件属于另一周,而该部门本周没有新文件",
         "部门:在本周发出的文件上填写并发送;PMO:汇总那一周时用 --week"),
    # -- check: each cell against its column ---------------------------------------------
    Code("bad-date", E, _S.CHECK, "日期无法识别", "bad date",
         "日期列的内容不能识别为日期,该行未采用",
         "部门:填写日期,如 2024-07-16,后重新发送"),
    Code("bad-number", E, _S.CHECK, "数字无法识别", "bad number",
         "数字列的内容不是数字(带了文字或单位),该行未采用",
         "部门:只填数字,不带单位和文字,后重新发送"),
    Code("bad-percent", E, _S.CHECK, "百分比无法识别", "bad percent",
         "百分比列的内容不能识别为百分比,该行未采用",
         "部门:填写 0–100 的百分比,如 80% 或 80,后重新发送"),
    Code("bad-value", E, _S.CHECK, "值无法识别", "bad value",
         "单元格的内容不符合该列的类型,该行未采用",
         "部门:按表头批注填写后重新发送"),
    Code("cell-error", E, _S.CHECK, "单元格是错误值", "error cell",
         "单元格是 #N/A、#REF! 等错误值,该行未采用",
         "部门:改为实际的值(复制后选择性粘贴为数值)后重新发送"),
    Code("formula-no-value", E, _S.CHECK, "公式没有计算结果", "formula without value",
         "公式保存时没有计算结果(有些工具不计算),无法得知其值,该行未采用",
         "部门:在 Excel/WPS 中打开、重新计算并保存,或改填数值"),
    Code("missing-form-field", W, _S.CHECK, "表格下方的栏目未填", "form field missing",
         "表格下方每次交回填写一次的栏目(填报人、填报日期;部门确认人、部门确认日期)是空的;"
         "表格中的行照常采用",
         "部门:下次交回时填写;PMO:需要时请部门补填"),
    Code("missing-value", E, _S.CHECK, "必填项为空", "missing value",
         "必填的单元格是空的,该行未采用",
         "部门:按消息中的「应为」补填后重新发送"),
    Code("not-in-list", E, _S.CHECK, "不在下拉选项中", "not in list",
         "值不在该列的下拉选项中(粘贴会绕过下拉限制),该行未采用",
         "部门:从下拉列表中选择后重新发送"),
    Code("out-of-range", E, _S.CHECK, "超出允许范围", "out of range",
         "日期不在允许的时间范围内,或数字、百分比超出上下限,该行未采用",
         "部门:按消息中的「应为」范围改正后重新发送"),
    Code("repeated-form-field", W, _S.CHECK, "表格下方的栏目填了两次", "form field repeated",
         "表格下方的栏目(填报人、填报日期;部门确认人 …)的标签出现了不止一次:采用第一处,"
         "其余各处未采用",
         "部门:删去多余的一处,只保留一个填报人/填报日期"),
    Code("too-long", W, _S.CHECK, "文字过长", "too long",
         "文字超过该列的字数上限,已完整保留",
         "部门:以后精简文字;无需重发"),
    Code("unknown-column", W, _S.CHECK, "模板外的列", "unknown column",
         "模板以外的列(或没有表头的列)中有内容,不计入汇总",
         "部门:把内容移到模板中对应的列"),
    # -- tasks: the weekly progress rows ----------------------------------------------------
    Code("cancelled-task", W, _S.TASKS, "任务已取消", "task cancelled",
         "交回的文件还填了一个已经变更审批取消的任务;这一行未汇总,此前各周的数据保留",
         "无需处理;部门下一周的文件不再列出该任务(PMO 可告知部门不必再填)"),
    Code("changed-plan", W, _S.TASKS, "计划日期与现行计划不同", "planned date differs",
         "工作簿中的计划完成日期与现行计划不同(工作簿生成后计划有变更,或单元格被改动);以现行计划为准",
         "部门:延期请填预计完成日期和偏差原因;计划确需调整时由 PMO 用 xlflow change 提出、"
         "经审批人批准"),
    Code("duplicate-task", E, _S.TASKS, "任务填了两行", "duplicate task",
         "同一任务填了两行,采用第一行",
         "部门:删去多余的一行后重新发送"),
    Code("foreign-task", E, _S.TASKS, "其他部门的任务", "foreign task",
         "部门填写了属于其他部门的任务,未采用",
         "部门:只更新本部门的任务;涉及其他部门的情况请告知负责部门"),
    Code("future-date", W, _S.TASKS, "完成日期在统计日之后", "future date",
         "实际完成日期晚于统计日",
         "部门:尚未完成的任务填预计完成日期,不填实际完成日期"),
    Code("inconsistent", W, _S.TASKS, "进度与完成日期矛盾", "inconsistent",
         "填了实际完成日期,但完成百分比不到 100%;按已完成计算",
         "部门:已完成则改为 100%;未完成则清空实际完成日期"),
    Code("missing-actual-date", W, _S.TASKS, "缺实际完成日期", "missing actual date",
         "完成百分比已 100%,但没有实际完成日期;按统计日计算偏差",
         "部门:补填实际完成日期"),
    Code("missing-forecast", W, _S.TASKS, "缺预计完成日期", "missing forecast",
         "任务已过计划日期仍未完成,没有预计完成日期",
         "部门:填写预计完成日期"),
    Code("missing-reason", W, _S.TASKS, "缺偏差原因", "missing reason",
         "任务进度落后,没有填写偏差原因",
         "部门:填写偏差原因"),
    Code("missing-task-id", E, _S.TASKS, "缺任务编号", "missing task id",
         "这一行有内容但没有任务编号,无法对应到任务",
         "部门:填回任务编号(可从新生成的文件复制)后重新发送"),
    Code("not-reported", W, _S.TASKS, "未填写进度", "not reported",
         "部门交回了文件,但这个任务本周没有填写;显示此前最近一次的数据",
         "部门:下次填写该任务的进度"),
    Code("row-missing", W, _S.TASKS, "任务的行不见了", "task row missing",
         "部门交回的文件中没有这个任务的行(行被删除或任务编号被清空);显示此前最近一次的数据",
         "部门:不要删除任务的行,没有进展也请保留该行;用 PMO 发来的原始文件重新填写后发送"),
    Code("row-rejected", W, _S.TASKS, "本周的行未采用", "row rejected",
         "任务本周的行因单元格错误未采用;显示此前最近一次的数据",
         "部门:改正该行中报错的单元格后重新发送"),
    Code("unknown-task", E, _S.TASKS, "未知任务", "unknown task",
         "任务编号不在职责分工表中",
         "部门:使用职责分工表中的编号;新增任务由 PMO 写入 project.yaml、经 xlflow change "
         "--add-task 审批后重新生成文件"),
    # -- risks: the risk register ----------------------------------------------------------
    Code("close-before-raised", E, _S.RISKS, "关闭早于提出", "closed before raised",
         "风险的关闭日期早于提出时间;关闭未采用,风险仍按未关闭登记",
         "部门:核对关闭日期"),
    Code("close-incomplete", E, _S.RISKS, "关闭信息不全", "close incomplete",
         "状态为已关闭,但没有填写关闭日期或关闭确认人;关闭未采用,风险仍按未关闭登记",
         "部门:填写关闭日期与关闭确认人后重新发送"),
    Code("close-unapproved", E, _S.RISKS, "高风险未经分管领导同意关闭", "high risk closed "
         "without approval",
         "高风险改为已关闭,但 PMO 的风险应对中没有表示同意的分管领导意见(空白,或如「不同意」"
         "「暂缓」「请补充材料」);风险仍按未关闭登记",
         "PMO:在总表「风险应对」中填写同意关闭的分管领导意见(如「同意关闭」)并放入收件箱;"
         "部门:之后再关闭"),
    Code("downgrade-unapproved", E, _S.RISKS, "高风险未经分管领导同意降级", "high risk lowered "
         "without approval",
         "高风险的风险等级改为中或低,但 PMO 的风险应对中没有表示同意的分管领导意见;降级未采用,"
         "风险仍按高登记(降级后再关闭同样需要同意的分管领导意见)",
         "PMO:在总表「风险应对」中填写同意降级的分管领导意见(如「同意降为中」)并放入收件箱;"
         "部门:之后再降级"),
    Code("duplicate-risk", E, _S.RISKS, "风险编号重复", "duplicate risk",
         "同一风险编号出现两次,采用第一次",
         "部门:删去重复的行,新风险用预留的空行"),
    Code("foreign-risk", E, _S.RISKS, "其他部门的风险", "foreign risk",
         "风险编号属于其他部门,或所填提出部门不是本部门,未采用",
         "部门:只填写本部门编号的风险;其他部门的风险请告知对方"),
    Code("level-mismatch", W, _S.RISKS, "风险等级与概率×影响不符", "level mismatch",
         "所填风险等级与发生概率×影响程度的结果相差一级以上(如概率低、影响低却填高)",
         "部门:核对发生概率、影响程度与风险等级"),
    Code("missing-risk-id", W, _S.RISKS, "风险编号被删除", "missing risk id",
         "风险行没有编号,暂用由描述生成的编号",
         "部门:填回预留的风险编号,以便逐周跟踪"),
    Code("raised-before-found", W, _S.RISKS, "提出早于发现", "raised before found",
         "风险的提出时间早于发现时间",
         "部门:核对发现时间和提出时间"),
    Code("response-mismatch", E, _S.RISKS, "风险应对行与风险不符", "response row mismatch",
         "PMO 总表「风险应对」中一行的风险编号与该行锁定的提出部门不符(编号被改动过),此行应对未采用",
         "PMO:在 xlflow build 新生成的总表中按预填的风险编号填写应对,不要改动锁定的列"),
    Code("risk-id-reused", W, _S.RISKS, "预留编号用了两次", "risk id reused",
         "单独的风险应对申请表中,同一预留编号在两份文件里填了发现时间不同的两项风险;"
         "后收到的一项记为「编号-2」",
         "部门:同一周再发现风险时,在上次发回的文件上接着填下一行;PMO:核对两项风险"),
    Code("unknown-risk", E, _S.RISKS, "未知风险", "unknown risk",
         "PMO 总表「风险应对」中的风险编号不在风险登记册中,其应对未采用",
         "PMO:在 xlflow build 新生成的总表中填写(风险编号已预填)"),
    # -- acceptance: the expected results -------------------------------------------------
    Code("conclusion-incomplete", E, _S.ACCEPTANCE, "验收结论不完整", "conclusion incomplete",
         "验收结论为有条件通过,但没有写遗留问题或整改期限;验收结论未采用",
         "PMO:在成果验收确认单中补填遗留问题与整改期限(或 --open-items/--fix-by)后重新运行"
         " xlflow accept"),
    Code("duplicate-result", E, _S.ACCEPTANCE, "成果填了两行", "duplicate result",
         "同一成果填了两行,采用第一行",
         "部门:删去多余的一行后重新发送"),
    Code("foreign-result", E, _S.ACCEPTANCE, "其他部门的成果", "foreign result",
         "这项成果由其他部门确认,本部门不能填写,未采用",
         "部门:只填写本部门负责确认的成果"),
    Code("form-overridden", W, _S.ACCEPTANCE, "确认单内容被命令行替换", "form value overridden",
         "成果验收确认单中填写的验收结论内容与命令行选项不同;按命令行记录,确认单中的内容被替换",
         "PMO:核对哪一个是验收会的结论;以确认单为准时不带该选项重新运行 xlflow accept"),
    Code("hand-entry-differs", W, _S.ACCEPTANCE, "确认单所填与交回的不同", "typed entry differs",
         "成果验收确认单中手填的确认人、确认日期、意见或分管领导与部门交回的(或 project.yaml 中的)"
         "不同;按确认单所填记录",
         "PMO:核对所填是否正确;有误时在该单元格改正或清空后重新运行 xlflow accept"),
    Code("met-mismatch", W, _S.ACCEPTANCE, "是否达标与实际值不符", "met mismatch",
         "填写的「是否达标」与实际值对目标的计算结果不一致",
         "部门:核对实际值和是否达标"),
    Code("rectification-overdue", W, _S.ACCEPTANCE, "整改逾期", "rectification overdue",
         "有条件通过的遗留问题已过整改期限",
         "PMO:督促责任部门整改;整改完成后以验收结论「通过」重新运行 xlflow accept"),
    Code("unknown-result", E, _S.ACCEPTANCE, "未知成果", "unknown result",
         "成果编号不在预期成果中",
         "部门:使用预期成果的编号;新增成果请 PMO 修改 project.yaml"),
    # -- merge: the run as a whole ---------------------------------------------------------
    Code("bad-action-id", E, _S.MERGE, "督办事项编号有误", "bad action id",
         "周例会纪要中的编号被改动或重复,不是 xlflow meeting 为本次会议预留的编号,此行未采用",
         "PMO:用预留的编号填写(可从新生成的周例会文件复制)"),
    Code("calendar-gap", W, _S.MERGE, "节假日日历不全", "calendar gap",
         "节假日日历不含项目周期中的某些年份,这些年份按周一至周五计算工作日",
         "PMO:在 project.yaml 的 settings.holidays / extra_workdays 中补充"),
    Code("due-before-meeting", W, _S.MERGE, "完成期限早于会议日期", "due before the meeting",
         "周例会纪要中一项未完成的督办事项,完成期限早于会议日期,登记时就已逾期(多半写错了日期)",
         "PMO:核对完成期限,改正后把纪要重新放入收件箱"),
    Code("duplicate-action", E, _S.MERGE, "督办事项填了两行", "duplicate action item",
         "部门的督办事项表中同一编号出现两次,采用第一行",
         "部门:删去多余的一行后重新发送"),
    Code("foreign-action", E, _S.MERGE, "其他部门的督办事项", "foreign action item",
         "部门在督办事项表中更新了由其他部门负责的事项,此行未采用",
         "部门:只更新本部门负责的事项;PMO:需改责任部门时在周例会纪要中调整"),
    Code("locked-changed", W, _S.MERGE, "锁定的单元格被改动", "locked cell changed",
         "去掉工作表保护后改了锁定的单元格(如督办事项的事项、决定、完成期限,总表「风险应对」的风险等级、"
         "状态);锁定的内容以原定为准,改动未采用",
         "部门:只填写未锁定的列,需要调整时告诉 PMO;PMO:在源头(周例会纪要、部门的风险应对申请表)中修改"),
    Code("master-only", W, _S.MERGE, "只收到 PMO 总表", "PMO master only",
         "已汇总过的一周再次汇总时只收到 PMO 总表(其「风险应对」已填写),没有部门交回的文件:采用"
         "总表中的风险应对,本周的任务数据、验收与反馈保持该周已记录的结果(不以上一周的数据代替),"
         "报表按此重新生成",
         "PMO:知悉即可;部门的文件需要重新汇总时,把它们与总表一起放回 inbox/ 再汇总"),
    Code("minutes-only", W, _S.MERGE, "只收到周例会纪要", "minutes only",
         "本次只收到周例会纪要,没有部门交回的文件:登记纪要中的督办事项,本周的汇总数据与报表保持"
         "已记录的结果(本周尚未汇总时报表照常生成,显示此前的数据,不记入台账)",
         "PMO:知悉即可;下次 build 的工作簿带上这些督办事项"),
    Code("missing-action", W, _S.MERGE, "督办事项行被删除", "action item row deleted",
         "PMO 发给部门的工作簿中预填的督办事项,在交回的文件里被删除了(行或整张督办事项表);"
         "该事项不因此关闭,仍按上次的状态登记",
         "部门:恢复该行(用 PMO 发来的原始文件)并更新状态;事项已不需要时请 PMO 在周例会纪要中取消"),
    Code("missing-weeks", W, _S.MERGE, "缺少周汇总", "missing weeks",
         "上次汇总与本周之间有几周没有汇总;本周变化与更早的一周比较",
         "PMO:知悉即可;以后每周汇总一次"),
    Code("no-return", W, _S.MERGE, "部门未交回", "no return",
         "部门本次没有交回可用的文件;显示此前最近一次的数据",
         "PMO:催交,收到后重新运行 xlflow merge"),
    Code("nothing-accepted", W, _S.MERGE, "没有采用任何文件", "nothing accepted",
         "本次没有采用任何文件;报表照常生成,但不记入台账",
         "PMO:查看各文件的错误,收到可用的文件后重新汇总"),
    Code("over-budget", W, _S.MERGE, "支出超出预算", "over budget",
         "部门累计填报的本周支出(元)超过了 project.yaml 中该部门的预算资源",
         "PMO:与该部门核实支出,追加预算或调整计划"),
    Code("unknown-action", E, _S.MERGE, "未知督办事项", "unknown action item",
         "督办事项表中的编号不在任何已读入的周例会纪要中,此行未采用",
         "部门:不要改动编号;PMO:确认周例会纪要已放入收件箱"),
    # -- approval: xlflow approve / file ---------------------------------------------------
    Code("due-outside-window", E, _S.APPROVAL, "任务时间不在项目周期内", "due outside window",
         "任务的时间节点不在项目周期内",
         "PMO:修改 project.yaml 中任务的 due 或项目的 start/end"),
    Code("milestone-outside-window", W, _S.APPROVAL, "里程碑不在项目周期内",
         "milestone outside window",
         "里程碑的日期不在项目周期内",
         "PMO:修改 project.yaml 中里程碑的 date 或项目的 start/end"),
    Code("no-consensus", E, _S.APPROVAL, "尚未达成共识", "no consensus",
         "有部门负责人尚未给出意见,不能审批",
         "PMO:请该部门负责人给出意见(xlflow opinion)"),
    Code("no-goal", E, _S.APPROVAL, "没有核心目标", "no goal",
         "project.yaml 没有填写核心目标",
         "PMO:在 project.yaml 的 project.goals 中填写"),
    Code("no-head", E, _S.APPROVAL, "部门没有负责人", "no head",
         "参与部门没有负责人",
         "PMO:在 project.yaml 的 departments 中填写 head"),
    Code("no-resources", E, _S.APPROVAL, "没有资源需求", "no resources",
         "project.yaml 没有写明资源需求",
         "PMO:在 project.yaml 的 resources 中填写"),
    Code("no-results", E, _S.APPROVAL, "没有预期成果", "no results",
         "project.yaml 没有可量化的预期成果",
         "PMO:在 project.yaml 的 expected_results 中填写成果和目标值"),
    Code("no-task", E, _S.APPROVAL, "部门没有任务", "no task",
         "参与部门在职责分工表中没有任务",
         "PMO:在 project.yaml 的 tasks 中为该部门分配任务,或移除该部门"),
    Code("not-approved", E, _S.APPROVAL, "方案尚未审批", "not approved",
         "备案前方案需要先审批",
         "PMO:请负责领导审批(xlflow approve)后再备案"),
    Code("not-filed", E, _S.APPROVAL, "方案尚未备案", "not filed",
         "PMO 备案前 build / send / merge / run 不执行(加 --draft 可生成标明「草稿」的文件)",
         "PMO:按提示完成需求共识、方案审批(xlflow approve)和 PMO 备案(xlflow file)"),
    Code("opinion-disagrees", E, _S.APPROVAL, "部门负责人不同意", "opinion disagrees",
         "部门负责人的最新意见是不同意(含「不同意」,或第一句含反对、暂缓、不认可、不支持、否决、不通过),"
         "需求共识未达成,不能审批",
         "PMO:与该部门协商;该负责人给出同意的意见(xlflow opinion)后再审批"),
    Code("plan-edited", E, _S.APPROVAL, "备案后计划被直接修改", "plan edited after filing",
         "PMO 备案后 project.yaml 中任务的日期、负责人、交付成果或预期成果的目标值与备案的计划"
         "(基线 + 已批准的变更)不符,或任务被新增、取消、删除而未经变更审批;"
         "build / send / merge / run 不执行",
         "PMO:把 project.yaml 改回,用 xlflow change 记录变更(新增任务 --add-task,取消任务 "
         "--remove-task),由审批人 xlflow approve --change N 批准"),
    # -- send: xlflow send, remind, notify -----------------------------------------------
    Code("no-cc-address", W, _S.SEND, "缺抄送邮箱", "no cc address",
         "催办已逾期到应抄送部门负责人或分管副总的时候,但 project.yaml 中没有其邮箱;催办照常发给部门",
         "PMO:在 project.yaml 中填写 departments[].head_email 或 project.approver_email"),
    Code("no-cjk-font", W, _S.SEND, "图表缺中文字体", "no CJK font",
         "生成周报通报的图表时找不到中文字体,图中的部门以代码、状态以英文显示",
         "PMO:安装中文字体(如 Noto Sans CJK、微软雅黑)后重新运行 xlflow notify"),
    Code("no-email", E, _S.SEND, "部门没有邮箱", "no e-mail",
         "部门没有邮箱,未发送",
         "PMO:在 project.yaml 的 departments 中填写 email 后重新发送"),
    Code("not-sent", E, _S.SEND, "发送失败", "not sent",
         "邮件服务器拒收或发送失败",
         "PMO:按消息中的原因检查邮箱地址和 SMTP 设置,用 --department 重新发送"),
    # -- collect: xlflow collect ----------------------------------------------------------
    Code("no-workbook", W, _S.COLLECT, "来信没有工作簿", "no workbook attached",
         "部门邮箱发来的邮件没有附带工作簿(.xlsx/.xlsm/.ods/.xls 或其压缩包)",
         "部门:把填好的文件作为附件发回;PMO:看看邮件说了什么"),
    Code("not-moved", W, _S.COLLECT, "邮件未归档", "mail not moved",
         "附件已保存,但邮件没能移到 --move-to 指定的文件夹(服务器拒绝)",
         "PMO:检查文件夹名和权限;邮件留在原处,不会被重复保存"),
    Code("sender-mismatch", W, _S.COLLECT, "发件部门与文件不符", "sender mismatch",
         "部门邮箱发来的是另一部门的文件;已保存,汇总按文件自身的标识计入",
         "PMO:确认是代为转交;否则联系两个部门核实"),
    Code("uidvalidity-changed", W, _S.COLLECT, "邮箱已重建", "mailbox rebuilt",
         "邮件服务器重建了该文件夹(UIDVALIDITY 变了),已重新检查全部邮件;按 Message-ID "
         "跳过已保存过的",
         "无需处理"),
    Code("unverified-sender", E, _S.COLLECT, "发件人不是部门邮箱", "unverified sender",
         "发件人不是 project.yaml 中任何部门的 email;附件存入 inbox/_unverified/,不参与汇总",
         "PMO:核实发件人;确是部门的文件就把它移到 inbox/ 下,或在 project.yaml 中更正该部门的 email"),
    # -- resources: xlflow resources -------------------------------------------------------
    Code("capacity-differs", W, _S.RESOURCES, "可投入人数不一致", "capacity differs",
         "同一部门在各项目中的可投入人数不同,按较小值计算",
         "PMO:统一各项目 project.yaml 中该部门的 capacity"),
    Code("pool-differs", W, _S.RESOURCES, "资源池不一致", "pool differs",
         "同一部门的预算或设备(或同一公司资源池)在各项目中写得不同,按较小值计算",
         "PMO:统一各项目 project.yaml 中 departments[].budget/equipment 或 pools"),
    Code("unit-mismatch", E, _S.RESOURCES, "资源单位不一致", "unit mismatch",
         "同一资源在各项目(或资源池)中的单位无法换算(如 台 与 套);这一项不参与比较",
         "PMO:在 project.yaml 中统一单位(金额可用 元 或 万元,会自动换算)"),
    # -- portfolio: xlflow portfolio -------------------------------------------------------
    Code("duplicate-project", E, _S.PORTFOLIO, "项目重复", "project given twice",
         "两个文件夹是同一个项目(项目编号相同);只计入第一个",
         "PMO:检查命令中的文件夹;是两个不同的合作就在 project.yaml 中给它们不同的 id"),
    Code("no-merge-yet", W, _S.PORTFOLIO, "尚无周汇总", "no merge yet",
         "该项目的台账中还没有记录任何周汇总(或 --as-of 当周及以前没有);只列出阶段、优先级和计划,"
         "没有进度数字",
         "PMO:项目执行后每周运行 xlflow merge;尚未开始执行则无需处理"),
    Code("not-a-project", E, _S.PORTFOLIO, "不是项目文件夹", "not a project",
         "给出的文件夹不存在,或其中没有 project.yaml;未计入项目组合",
         "PMO:检查文件夹路径;新项目先运行 xlflow init"),
    Code("project-unreadable", E, _S.PORTFOLIO, "项目无法读取", "project unreadable",
         "project.yaml 有错误或台账无法打开(消息中写明原因);未计入项目组合",
         "PMO:按消息修正 project.yaml,或从备份恢复台账,再运行一次"),
    # -- archive: xlflow archive -----------------------------------------------------------
    Code("not-archived", W, _S.ARCHIVE, "文件未归档", "not archived",
         "项目文件夹中的这一项是指向项目文件夹之外(或不存在)的符号链接,或不是普通文件;"
         "归档从不跟随链接,它没有放进压缩包",
         "PMO:确认它是否属于本次合作;属于则把文件本身(而不是链接)放进项目文件夹,"
         "再归档一次(成为新的版本)"),
)

CODES: dict[str, Code] = {c.code: c for c in CATALOGUE}


README_BEGIN = "<!-- issue-codes: generated by `python -m xlflow.codes --readme README.md` -->"
README_END = "<!-- /issue-codes -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The README's table of codes, one table per stage, between its markers."""
    out = [README_BEGIN]
    for stage in Stage:
        entries = [c for c in CATALOGUE if c.stage is stage]
        if not entries:
            continue
        out += ["", f"**{stage.value}** — {stage.zh}", "",
                "| code | 级别 | 含义 | 怎么办 |", "|---|---|---|---|"]
        out += [f"| `{c.code}` | {c.level_zh} | **{_cell(c.title_zh)}**:{_cell(c.what)} "
                f"| {_cell(c.remedy)} |" for c in entries]
    out += ["", README_END]
    return "\n".join(out)


def replace_in_readme(text: str) -> str:
    """`text` with the part between the markers regenerated."""
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"the README has no {README_BEGIN} … {README_END} section")
    return pattern.sub(lambda _: markdown(), text, count=1)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m xlflow.codes",
                                     description="The issue-code catalogue as Markdown.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print the table")
    group.add_argument("--readme", type=Path, metavar="FILE",
                       help="rewrite the table between the markers in FILE")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown() + "\n")
        return 0
    text = args.readme.read_text(encoding="utf-8")
    args.readme.write_text(replace_in_readme(text), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
