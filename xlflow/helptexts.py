"""The Chinese of `xlflow --help` and of every `xlflow CMD --help`.

The English is the help written in cli.py (docstrings and `help=`); xlflow/_help.py
shows one or the other in the run's language (xlflow/texts.py: `--lang`, XLFLOW_LANG,
the locale). Options are keyed by their English help, as gettext keys by the message:
an English help that changes has no Chinese until this file says it, and
tests/test_help.py names it. Half-width punctuation as in xlflow/texts.py; nothing a
GBK console cannot show (tests/test_help.py encodes every line).
"""

from __future__ import annotations

# command -> (its line in `xlflow --help`, its help ending with the 示例 line);
# "xlflow" is the group itself.
COMMANDS: dict[str, tuple[str, str]] = {
    "xlflow": (
        "",
        "xlflow:用 Excel 工作簿运行跨部门合作流程。\n\n"
        "\b\n"
        "每周循环:xlflow build DIR -> xlflow send DIR -> 回传文件存入 inbox/\n"
        "          -> xlflow merge DIR -> reports/<week>-consolidated.xlsx\n"
        "流程阶段:init -> opinion -> approve -> file -> (每周循环、review)\n"
        "          -> accept -> retro -> archive\n"
        "当前所处阶段:xlflow status DIR;各命令的说明:xlflow 命令 --help。\n\n"
        "English help: xlflow --lang en --help, xlflow --lang en COMMAND --help\n"
        "(or set XLFLOW_LANG=en)."),
    "init": (
        "创建项目:project.yaml、收发文件夹和签名密钥",
        "创建 DIR/project.yaml(模板1 + 模板2)、inbox/outbox/reports 文件夹和项目的签名密钥 "
        "DIR/.xlflow-key(加 --example 时为公开的示例密钥)。\n\n"
        "示例:xlflow init ug2024 --example"),
    "status": (
        "当前阶段、待完成事项、下一个截止日期和风险",
        "显示当前阶段、进入下一阶段还缺什么、下一个截止日期、滞后任务和未关闭的高风险。\n\n"
        "示例:xlflow status ug2024"),
    "opinion": (
        "记录部门负责人在需求共识阶段的意见",
        "记录部门负责人对需求共识的意见(写入会议纪要)。\n\n"
        "示例:xlflow opinion ug2024 --department 运营部 --by 运营总监 --text \"同意,需提前准备物料\""),
    "approve": (
        "记录方案审批(或退回方案、审批计划变更)",
        "由 project.yaml 中指定的审批人(project.approver)记录方案审批:先核对方案要点(目标、"
        "资源、风险),并确认没有部门负责人反对;随后把审批结果写入重新生成的 PMO总表。"
        "--reject 退回方案;--change N 审批一项计划变更(见 xlflow change)。\n\n"
        "示例:xlflow approve ug2024 --by \"分管副总 陈明\" --note \"同意,按期推进\""),
    "file": (
        "记录已审批方案的 PMO备案:合作正式启动",
        "记录已审批方案的 PMO备案:跨部门合作正式启动。\n\n"
        "示例:xlflow file ug2024 --by \"PMO 王芳\""),
    "change": (
        "提出对已备案计划的变更(待审批)",
        "把对已备案计划的一项变更(任务的日期、负责人或交付成果,预期成果的目标值;新增或取消一个任务)"
        "记录为变更 N,"
        "状态为待审批:审批人运行 `xlflow approve DIR --change N` 之后,变更才写入计划和 "
        "project.yaml。\n\n"
        "示例:xlflow change ug2024 --task T03 --due 2024-07-25 --reason \"第三方支付接口延期\" "
        "--by \"PMO 王芳\""),
    "build": (
        "生成本周各部门的工作簿和 PMO总表",
        "为每个部门生成一个工作簿,并生成 PMO总表,写入 DIR/outbox/<week>/。PMO备案之前不执行"
        "(退出码 2)并列出缺少的步骤,除非加 --draft。\n\n"
        "示例:xlflow build ug2024 --week 2024-W28"),
    "send": (
        "用邮件把工作簿发给各部门",
        "用邮件把各部门的工作簿发给该部门,中文主题和正文写明周次和交回截止时间。默认只写 .eml "
        "文件到 DIR/outbox/mail/<week>/。每封邮件都记入台账;重新运行时跳过已发送的部门"
        "(--resend 可再次发送)。\n\n"
        "示例:xlflow send ug2024 --week 2024-W28 --smtp smtp.example.com:587 --starttls "
        "--user pmo"),
    "collect": (
        "从 PMO 邮箱收取各部门交回的工作簿",
        "从 PMO 邮箱收取回传文件:上次收取以来到达的邮件中,每个附件工作簿都保存到 "
        "DIR/inbox/<week>/,文件名为 <部门>-<发送时间>.xlsx。发件人不是任何部门登记的邮箱时,"
        "文件放入 inbox/_unverified/(不参与汇总)。同一封邮件不会保存两次;邮件从不删除。\n\n"
        "退出码:0 正常,1 有需要查看的情况(如未知发件人),2 用法、连接或登录错误。\n\n"
        "示例:xlflow collect ug2024 --imap imap.example.com --user pmo@example.com "
        "--move-to 已收"),
    "risks": (
        "立即汇总收到的风险应对申请表,更新风险登记册",
        "立即(不必等到周五)把 DIR/inbox 中每份单独的风险应对申请表汇入风险登记册:写出 "
        "DIR/reports/风险登记册-<date>.xlsx(发现、上报和收到的时间;间隔超过 "
        "settings.raise_within_hours 的标出),为下次周汇总记录这些风险,并把新的「高」风险"
        "列为警报。\n\n"
        "退出码:0 正常,1 有申请表存在错误,2 用法或项目错误。\n\n"
        "示例:xlflow risks ug2024"),
    "remind": (
        "催办:给各部门发邮件,列出仍欠的事项",
        "给每个部门发邮件,准确列出它仍欠的事项:过了截止时间仍未交回的文件、滞后任务的预计"
        "完成日期、风险的负责人和期限、逾期的「高」风险,并再次附上它的工作簿。拖延够久时,"
        "依次抄送部门负责人和分管副总(settings.remind_cc_*_after_hours)。同一天重新运行不会"
        "重复发送。\n\n"
        "示例:xlflow remind ug2024 --as-of 2024-07-15"),
    "validate": (
        "发回之前,按 merge 的规则检查填好的工作簿",
        "在发回之前,按 `merge` 的规则检查填好的工作簿。\n\n"
        "退出码:0 正常,1 有文件存在错误,2 用法错误。\n\n"
        "示例:xlflow validate UG-2024Q3-2024-W28-技术部.xlsx"),
    "merge": (
        "汇总交回的工作簿:周汇总报表,记入台账",
        "把交回的工作簿(FILES,或 DIR/inbox 中的全部文件)汇总到 "
        "DIR/reports/<week>-consolidated.xlsx 并记入台账。FILES 先在当前文件夹查找,再到 DIR "
        "中查找。一个文件都没有采用时,仍写出报表,但台账不做任何记录。\n\n"
        "退出码:0 正常,1 已汇总但有输入文件存在错误,2 用法或项目错误。\n\n"
        "示例:xlflow merge ug2024 --week 2024-W28 --as-of 2024-07-12"),
    "notify": (
        "用邮件把本周通报发给领导",
        "用邮件把本周通报发给领导(project.approver_email 和发起部门负责人):关键数字、滞后"
        "任务、未关闭的「高」风险和图表,正文为中文 HTML,另附纯文本版本,并附上周汇总"
        "工作簿。\n\n"
        "示例:xlflow notify ug2024 --week 2024-W28"),
    "meeting": (
        "周例会:生成议程和会后填写的会议纪要表",
        "周例会:根据本周汇总生成议程(滞后任务、未关闭的「高/中」风险、需协调事项、未交回的"
        "部门、未完成的督办事项),以及会后填写的会议纪要表;把填好的文件放入 inbox/,下次汇总"
        "会把每一行作为督办事项跟踪。\n\n"
        "示例:xlflow meeting ug2024 --week 2024-W28"),
    "run": (
        "供计划任务每天运行:完成今天到期的步骤",
        "供计划任务调用,把今天到期的步骤做一次:周一 build + send;每天 collect、risks 和 "
        "remind;从交回日起 merge + notify。同一天再次运行不会重复执行。退出码:0 正常,1 输入"
        "有问题,2 某一步失败。\n\n"
        "示例:xlflow run ug2024 --smtp smtp.example.com:587 --starttls --user pmo"),
    "history": (
        "列出台账中记录的周汇总",
        "列出台账中记录的周汇总:周次、统计日、文件数、汇总时间、xlflow 版本。\n\n"
        "示例:xlflow history ug2024"),
    "review": (
        "月复盘:各部门的趋势、已完成成果和未完成事项",
        "月复盘:根据台账生成本月各部门的趋势(每周偏差、按期率、提出和关闭的风险)、已完成的"
        "交付成果和未完成事项,附图表。\n\n"
        "示例:xlflow review ug2024 --month 2024-07"),
    "resources": (
        "跨项目资源协调:找出投入超出能力的部门和人员",
        "PMO 跨项目资源协调:找出在重叠时段内投入超出可投入能力的部门(或人员),并按优先级"
        "给出先后顺序。\n\n"
        "示例:xlflow resources ug2024 crm2024 --out 资源冲突.xlsx"),
    "portfolio": (
        "项目组合:多个项目汇总在一个工作簿中",
        "为同时推进多个项目的 PMO 生成一个跨项目的工作簿(项目组合):阶段、最近一次汇总、偏差、"
        "预计完成日期、未关闭的「高」风险、未交回的文件、各部门每周在所有项目上的负荷;按优先级"
        "排序。只读取,不修改项目。\n\n"
        "示例:xlflow portfolio ug2024 crm2024 --as-of 2024-07-12"),
    "accept": (
        "成果验收:核对目标、部门确认和验收结论",
        "成果验收:用各部门交回的数值逐项核对预期成果是否达到目标,检查每个部门的确认和验收结论"
        "(来自选项,或验收会上填写的表格单元格),写出成果验收确认单,并说明合作结束之前还缺"
        "什么。仍有缺项时退出码为 1。\n\n"
        "示例:xlflow accept ug2024 --conclusion 通过 --date 2024-07-31 --leader-opinion 同意验收"),
    "retro": (
        "生成跨部门合作复盘报告",
        "生成跨部门合作复盘报告(工作簿和可打印的 HTML):计算出的事实数据,与各部门填写的成功"
        "经验和不足并列。\n\n"
        "示例:xlflow retro ug2024"),
    "archive": (
        "归档:全部过程文件打包、校验并登记到案例库",
        "把全部过程文件(需求、方案、会议纪要、周报、风险、验收、复盘、回传文件、台账)打包为"
        "一个 zip,附索引和校验和,校验无误后在案例库 LIBRARY 中登记该案例。项目文件夹不做"
        "改动。\n\n"
        "示例:xlflow archive ug2024 --to ~/pmo-cases"),
    "cases": (
        "列出(和搜索)案例库中的历史案例",
        "列出(和搜索)案例库中的历史案例。\n\n"
        "示例:xlflow cases ~/pmo-cases --search 用户增长"),
}

# an option's English help as written in cli.py (click's own for --help and --version),
# spaces collapsed -> its Chinese
OPTIONS: dict[str, str] = {
    # click's
    "Show the version and exit.": "显示版本号并退出。",
    "Show this message and exit.": "显示本帮助并退出。",
    # the group's
    "Show a traceback on errors.": "出错时显示详细的调用栈(traceback)。",
    "Language of the output and of --help: zh (default) or en. Default from XLFLOW_LANG, "
    "else the locale (LC_ALL, LC_MESSAGES, LANG): zh unless it names another language.":
        "输出和帮助的语言:zh(默认)或 en。未指定时取 XLFLOW_LANG,其次取区域设置(LC_ALL、"
        "LC_MESSAGES、LANG 中第一个已设置的):除非它指定了其他语言,否则为 zh。",
    # shared by several commands
    "Default: today.": "默认:今天。",
    "Print one JSON object (the library's report.to_dict()).":
        "输出一个 JSON 对象(即库函数返回的 report.to_dict())。",
    "Who does this step.": "执行这一步的人。",
    "A note kept with the step.": "与这一步一起保存的备注。",
    "ISO week, e.g. 2024-W28 (default: the current ISO week).": "ISO 周,如 2024-W28(默认:本周)。",
    "Only this department (repeatable).": "只处理这个部门(可重复使用)。",
    "Run before PMO备案 anyway; every sheet written says 草稿.":
        "在 PMO备案之前也照常运行;写出的每张工作表都标明「草稿」。",
    # e-mail: send, remind, notify, run, collect
    "Send for real through this server (default: write .eml files).":
        "通过这台服务器真实发送(默认:只写 .eml 文件)。",
    "Upgrade the SMTP connection with STARTTLS.": "用 STARTTLS 加密 SMTP 连接。",
    "SMTP login name.": "SMTP 登录名。",
    "Environment variable holding the SMTP password (asked for when --user is given and it "
    "is unset).": "存放 SMTP 密码的环境变量(给出 --user 而该变量未设置时,提示输入密码)。",
    "CA certificate for a mail server with a private CA.": "邮件服务器使用私有 CA 时的 CA 证书。",
    "Give up on an SMTP server that does not answer within this time.":
        "SMTP 服务器超过这个时间(秒)未响应即放弃。",
    "Sender address (default: the e-mail in project.contact).":
        "发件人地址(默认:project.contact 中的邮箱)。",
    "Send again to departments whose message for the week went out already.":
        "本周邮件已发出的部门也再发送一次。",
    "The PMO mailbox's IMAP server (port default: 993 with --tls, 143 otherwise).":
        "PMO 邮箱的 IMAP 服务器(默认端口:--tls 时为 993,否则为 143)。",
    "IMAP login name.": "IMAP 登录名。",
    "Implicit TLS, port 993 (default).": "隐式 TLS,端口 993(默认)。",
    "Plain connection upgraded with STARTTLS, port 143.": "明文连接后用 STARTTLS 加密,端口 143。",
    "No encryption: only for a server on this machine (127.0.0.1, ::1, localhost).":
        "不加密:仅限本机上的服务器(127.0.0.1、::1、localhost)。",
    "The folder to read.": "要读取的邮件文件夹。",
    "File the messages whose attachments were saved in this folder (created if needed). "
    "Mail is never deleted.": "附件已保存的邮件移入这个文件夹(不存在时自动创建)。邮件从不删除。",
    "Environment variable holding the IMAP password (asked for on a terminal when it is "
    "unset).": "存放 IMAP 密码的环境变量(未设置时在终端中提示输入)。",
    "Give up on a server that does not answer within this time.":
        "服务器超过这个时间(秒)未响应即放弃。",
    "Environment variable holding the IMAP password.": "存放 IMAP 密码的环境变量。",
    # init
    "Write the seed's example: 产品部's 用户增长活动 with 市场部, 技术部, 运营部.":
        "写入示例项目:产品部发起的用户增长活动,参与部门为市场部、技术部、运营部。",
    "Overwrite an existing project.yaml.": "覆盖已有的 project.yaml。",
    # opinion
    "Whose opinion it is.": "提出意见的部门。",
    "The opinion, e.g. 同意,需提前介入需求评审.": "意见内容,如:同意,需提前介入需求评审。",
    "Who attended the 需求沟通会, e.g. 王晓、李娜、刘强 (the minutes' 参会人员).":
        "需求沟通会的参会人员,如:王晓、李娜、刘强(即纪要中的「参会人员」)。",
    "The 需求沟通会's date (the minutes' 会议日期).": "需求沟通会的日期(即纪要中的「会议日期」)。",
    "When the step was taken, to record it afterwards (default: now).":
        "这一步实际进行的时间,用于事后补记(默认:现在)。",
    # approve
    "Send the plan (or with --change, the change) back; --note says why.":
        "退回方案(加 --change 时退回该变更);用 --note 说明原因。",
    "Approve (or --reject) plan change N instead of the plan.":
        "审批(或用 --reject 退回)计划变更 N,而不是方案本身。",
    # change
    "The task to change (e.g. T03).": "要变更的任务(如 T03)。",
    "The expected result to change (R1).": "要变更的预期成果(如 R1)。",
    "New 时间节点 of the task.": "任务新的时间节点。",
    "New 开始日期 of the task.": "任务新的开始日期。",
    "New 负责人 of the task.": "任务新的负责人。",
    "New 交付成果 of the task.": "任务新的交付成果。",
    "New target of the result, e.g. '>= 120000'.": "预期成果新的目标值,如 '>= 120000'。",
    "Add this task to the plan, as written in project.yaml (新增任务).":
        "把这个任务(按 project.yaml 中写好的内容)加入计划(新增任务)。",
    "Cancel this task (取消任务): on approval it is marked cancelled in project.yaml, its past "
    "weeks kept.": "取消这个任务(取消任务):批准后在 project.yaml 中标为已取消,此前各周的数据保留。",
    "With --remove-task: the day the task leaves the plan, from the project start to today "
    "(default: the day the change is approved).":
        "与 --remove-task 一起用:任务从哪一天起不在计划中,为项目开始日期至今天之间的一天"
        "(默认:变更获批的那一天)。",
    "Why the plan changes.": "变更原因。",
    "Who asks for the change.": "提出变更的人。",
    # remind
    "The week whose returns are chased (default: the latest built week whose return "
    "deadline has passed).": "催办哪一周的回传(默认:已过交回截止时间的最近一个已生成的周)。",
    "The moment the reminders are about; a date alone is the start of that day (default: "
    "now).": "催办以哪个时刻为准;只写日期时为当天零点(默认:现在)。",
    # validate
    "Project folder (default: the context stored in each workbook); with it the signature "
    "is verified, without it the merge verifies it.":
        "项目文件夹(默认:各工作簿中保存的项目信息);给出时当场核对签名,不给出时由汇总"
        "(merge)核对。",
    # merge
    "Date the deviation is measured at (default: today if it falls in --week, else that "
    "week's Friday).": "计算偏差的统计日(默认:今天在 --week 内时为今天,否则为该周周五)。",
    "ISO week, e.g. 2024-W28 (default: the week of the as-of date).":
        "ISO 周,如 2024-W28(默认:统计日所在的周)。",
    "Count deviation in working days (mainland China calendar) (default: settings.workdays "
    "in project.yaml).": "按工作日(中国大陆日历)计算偏差,--calendar-days 按自然日(默认:"
                         "project.yaml 中的 settings.workdays)。",
    "Merge even when the as-of date is outside the week or the project window.":
        "统计日不在该周或项目期间内时也照常汇总。",
    # notify
    "The merged week (default: the latest merge).": "已汇总的周(默认:最近一次汇总)。",
    "Send to this address instead of the leaders in project.yaml (repeatable).":
        "发给这个地址,而不是 project.yaml 中的领导(可重复使用)。",
    # meeting
    "Write the workbook and the HTML page only.": "只写工作簿和 HTML 页面(不生成 PDF)。",
    # run
    "Act as on this day, at its start (default: now).": "按这一天零点的情况运行(默认:现在)。",
    "Collect returns from this mailbox first (when this xlflow has `collect`).":
        "先从这个邮箱收取回传文件(此版本 xlflow 支持 collect 时)。",
    # history
    "Remove this week's merge from the ledger (an audit entry is kept); merge the week "
    "again to replace it.": "从台账中删除这一周的汇总(保留审计记录);重新汇总该周即可替换。",
    "Who drops it (kept in the audit entry).": "执行删除的人(记入审计记录)。",
    # review
    "The month to review.": "要复盘的月份。",
    # resources, portfolio
    "The workbook to write.": "要写出的工作簿。",
    "The workbook to write (default: ./项目组合-<as-of date>.xlsx).":
        "要写出的工作簿(默认:./项目组合-<统计日>.xlsx)。",
    "The date the phases and overdue risks are judged at (default: today).":
        "判断阶段和逾期风险所依据的日期(默认:今天)。",
    "Header language of the workbook (default: the first project's settings.headers).":
        "工作簿表头的语言(默认:第一个项目的 settings.headers)。",
    # accept
    "Who records the acceptance (default: the initiator).": "记录验收的人(默认:发起人)。",
    "验收结论 (else read from the form's 验收结论 cell).":
        "验收结论(不给出时读取确认单中的「验收结论」单元格)。",
    "验收日期, e.g. 2024-07-31.": "验收日期,如 2024-07-31。",
    "遗留问题 (required with 有条件通过).": "遗留问题(「有条件通过」时必填)。",
    "整改期限 (required with 有条件通过).": "整改期限(「有条件通过」时必填)。",
    "分管领导意见 of the approver named in project.yaml.":
        "project.yaml 中指定的审批人的分管领导意见。",
    "Today, for the 整改期限 check (default: today).": "检查整改期限时作为今天的日期(默认:今天)。",
    # retro, archive, cases
    "Who records the retrospective.": "记录复盘的人。",
    "The case library folder (created if needed).": "案例库文件夹(不存在时自动创建)。",
    "Who archives.": "执行归档的人。",
    "Words that must all appear.": "必须全部出现的关键词。",
}
