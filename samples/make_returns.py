"""Regenerate the sample returns: the four departments' filled-in workbooks for week
2024-W28 (samples/user-growth/returns/), typed the way people type (text dates, '８０％',
stray spaces), and for the final week 2024-W31 (returns-2024-W31/: everything done,
acceptance values confirmed, retrospective feedback), built after W28 was merged.
Beside the W31 line, the 周例会: the W28 meeting's 会议纪要 as the PMO fills it
(minutes/), and the four W29 returns (returns-2024-W29/) built with the minutes in the
inbox, each department updating its 督办事项.

    python samples/make_returns.py            # needs LibreOffice for the 运营部 file

Each file's zip members and docProps/core.xml carry fixed times (BUILT_AT), so a re-run
writes the same bytes.

The files are committed; run this only when the specs change (tests/test_samples.py
says when).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from xlflow import api
from xlflow.simulate import fill_minutes, fill_workbook

HERE = Path(__file__).parent / "user-growth"
WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
FINAL_WEEK = "2024-W31"
NEXT_WEEK = "2024-W29"
BUILT_AT = dt.datetime(2024, 7, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# department -> (file name people sent, weekly rows by task id, risks, acceptance)
FILLED: dict[str, dict] = {
    "产品部": {
        "file": "产品部.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "王晓", "填报日期": "2024-07-12"}},
        "weekly": {
            "T01": {"实际完成情况": "需求规格说明书、活动方案已评审通过", "完成百分比": "100%",
                    "实际完成日期": "2024年7月4日"},
            "T02": {"实际完成情况": "数据埋点方案已完成,监测看板开发中", "完成百分比": 0.3},
        },
    },
    "技术部": {
        "file": "技术部-周报-0712.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "陈杰", "填报日期": "2024年7月12日"}},
        "weekly": {
            "T03": {"实际完成情况": "页面主体开发完成,支付接口联调中", "完成百分比": 0.8,
                    "预计完成日期": "7月16日", "偏差原因": "第三方支付接口文档延迟提供",
                    "解决措施": "已协调支付方接口人,本周末加班联调",
                    "需协调事项": "需要市场部确认活动页文案终稿",
                    "下周计划": "完成支付接口联调并提交测试"},
            "T04": {"实际完成情况": "测试用例编写完成", "完成百分比": "40%",
                    "预计完成日期": dt.datetime(2024, 7, 17), "偏差原因": "受 T03 延期影响",
                    "解决措施": "测试与联调并行"},
        },
        "risks": [{"发现时间": dt.datetime(2024, 7, 8, 9, 30), "提出时间": "2024-07-09 15:00",
                   "关联任务": "T03", "风险描述": "第三方支付接口联调延期,可能影响活动上线",
                   "提出人": "陈杰", "风险类别": "技术", "发生概率": "中", "影响程度": "高",
                   "需协调部门": "运营部,市场部", "所需支持": "支付方加派技术支持;运营部准备降级预案",
                   "风险等级": "高", "影响范围": "活动上线(M3)、运营部活动执行",
                   "建议措施": "申请支付方加派技术支持;准备降级方案", "责任人": "陈杰",
                   "解决时限": "2024/7/15", "状态": "处理中"}],
    },
    "市场部": {
        "file": "市场部 W28 进度.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "周婷", "填报日期": "2024/7/11"}},
        "weekly": {
            "T05": {"实际完成情况": "推广计划已定稿,首批广告已投放", "完成百分比": "100%",
                    "实际完成日期": "2024.7.10"},
            "T06": {"实际完成情况": "已完成 8 份推广素材", "完成百分比": "８０％",
                    "预计完成日期": "2024/7/13", "偏差原因": "设计师请假两天",
                    "解决措施": "外包设计支援两份素材"},
        },
        "risks": [{"发现时间": "2024-07-10 10:00", "提出时间": "2024-07-10 16:00",
                   "风险描述": "部分投放渠道审核周期延长", "风险等级": "中",
                   "提出人": "周婷", "风险类别": "市场", "发生概率": "中", "影响程度": "中",
                   "影响范围": "推广曝光量", "建议措施": "提前提交素材审核;增加备选渠道",
                   "责任人": "周婷", "解决时限": dt.datetime(2024, 7, 14), "状态": "待处理"}],
    },
    "运营部": {
        "file": "运营部_回传.xlsx",
        "resave_with_libreoffice": True,
        "fields": {"周进度跟踪表": {"填报人": "孙磊", "填报日期": dt.datetime(2024, 7, 12)}},
        "weekly": {
            "T07": {"实际完成情况": "活动执行SOP已发布", "完成百分比": 1,
                    "实际完成日期": dt.datetime(2024, 7, 11)},
            "T08": {"实际完成情况": "活动执行排期已确定", "完成百分比": "\u00a010 ",
                    "下周计划": "完成活动物料准备与执行人员培训"},
        },
    },
}


# The final week: every task done, risks closed, results measured and confirmed.
FINAL: dict[str, dict] = {
    "产品部": {
        "file": "产品部-W31.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "王晓", "填报日期": "2024-07-31"},
                   "成果验收确认单": {"部门确认人": "王晓", "部门确认日期": "2024-07-31",
                                "部门意见": "同意验收"}},
        "weekly": {"T02": {"实际完成情况": "用户增长数据报告已发布", "完成百分比": "100%",
                           "实际完成日期": "2024-07-30"}},
        "acceptance": {"R3": {"实际值": 1, "是否达标": "是", "确认人": "王晓",
                              "确认日期": "2024-07-31"}},
        "retro": [{"类型": "成功经验", "内容": "跨部门周例会机制高效,问题当周闭环"},
                  {"类型": "不足", "内容": "需求变更未及时同步给市场部"}],
    },
    "技术部": {
        "file": "技术部-W31.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "刘强", "填报日期": "2024-07-31"},
                   "成果验收确认单": {"部门确认人": "刘强", "部门确认日期": "2024-07-31",
                                "部门意见": "同意验收"}},
        "weekly": {"T03": {"完成百分比": "100%", "实际完成日期": "2024-07-17"},
                   "T04": {"完成百分比": "100%", "实际完成日期": "2024-07-19",
                           "实际完成情况": "回归测试与压测通过"}},
        "risks": [{"状态": "已解决", "落实情况": "支付方加派支持,7月16日联调通过"}],
        "acceptance": {"R1": {"实际值": 1, "是否达标": "是", "确认人": "刘强",
                              "确认日期": "2024-07-31", "意见": "页面稳定运行"}},
        "retro": [{"类型": "不足", "内容": "第三方接口依赖没有提前识别", "相关任务": "T03"},
                  {"类型": "改进建议", "内容": "外部依赖在需求评审时列入风险清单"}],
    },
    "市场部": {
        "file": "市场部-W31.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "李娜", "填报日期": "2024-07-31"},
                   "成果验收确认单": {"部门确认人": "李娜", "部门确认日期": "2024-07-31",
                                "部门意见": "同意验收"}},
        "weekly": {"T06": {"完成百分比": "100%", "实际完成日期": "2024.7.13"}},
        "risks": [{"状态": "已关闭", "落实情况": "备选渠道已上线", "关闭日期": "2024-07-26",
                   "关闭确认人": "李娜"}],
        "acceptance": {"R2": {"实际值": 10, "是否达标": "是", "确认人": "李娜",
                              "确认日期": "2024-07-31"}},
        "retro": [{"类型": "成功经验", "内容": "外包设计支援及时,素材按期补齐"}],
    },
    "运营部": {
        "file": "运营部-W31.xlsx",
        "fields": {"周进度跟踪表": {"填报人": "孙磊", "填报日期": "2024-07-31"},
                   "成果验收确认单": {"部门确认人": "孙磊", "部门确认日期": "2024-07-31",
                                "部门意见": "同意验收"}},
        "weekly": {"T08": {"完成百分比": "100%", "实际完成日期": "2024-07-28",
                           "实际完成情况": "活动执行完毕"}},
        "acceptance": {"R4": {"实际值": 108500, "是否达标": "是", "确认人": "孙磊",
                              "确认日期": "2024-07-31"},
                       "R5": {"实际值": "16.2%", "是否达标": "是", "确认人": "孙磊",
                              "确认日期": "2024-07-31"}},
        "retro": [{"类型": "成功经验", "内容": "活动执行SOP清晰,执行专员分工明确"}],
    },
}


# The W28 周例会 (after the W28 merge): what the PMO writes into 会议纪要, one decision a
# row in the reserved 编号 order (DB-24W28-01 …).
MINUTES_FILE = "2024-W28-周例会纪要.xlsx"
MINUTES: dict[str, object] = {
    "details": {"会议日期": "2024-07-12",
                "参会人": "产品部 张伟、技术部 刘强、市场部 李娜、运营部 孙磊、PMO 王芳"},
    "rows": [
        {"事项": "支付接口联调延期(T03 延误 4 天)",
         "决定": "技术部增派 2 人与支付方联调,7 月 17 日前联调通过并提交测试",
         "责任部门": "技术部", "责任人": "刘强", "完成期限": "2024-07-17", "状态": "进行中"},
        {"事项": "活动页文案终稿未确认(技术部需协调事项)",
         "决定": "市场部 7 月 16 日前确认文案终稿并发给技术部",
         "责任部门": "市场部", "责任人": "李娜", "完成期限": "2024-07-16", "状态": "未开始"},
        {"事项": "支付失败时的活动降级预案",
         "决定": "运营部拟定降级预案,7 月 18 日前报 PMO",
         "责任部门": "运营部", "责任人": "孙磊", "完成期限": "2024-07-18", "状态": "未开始"},
    ],
}

# The week after: each department updates its own 督办事项 beside its weekly rows.
NEXT: dict[str, dict] = {
    "产品部": {
        "file": "产品部-W29.xlsx",
        "fields": {"周进度跟踪表": {"填报日期": "2024-07-19"}},
        "weekly": {"T02": {"实际完成情况": "监测看板已上线,数据报告撰写中", "完成百分比": "60%"}},
    },
    "技术部": {
        "file": "技术部-W29.xlsx",
        "fields": {"周进度跟踪表": {"填报日期": "2024-07-19"}},
        "weekly": {"T03": {"实际完成情况": "支付接口联调通过,活动页已上线", "完成百分比": "100%",
                           "实际完成日期": "2024-07-17"},
                   "T04": {"实际完成情况": "回归测试与压测通过", "完成百分比": "100%",
                           "实际完成日期": "2024-07-19"}},
        "actions": {"DB-24W28-01": {"状态": "已完成", "进展说明": "增派 2 人,7 月 17 日联调通过"}},
    },
    "市场部": {
        "file": "市场部-W29.xlsx",
        "fields": {"周进度跟踪表": {"填报日期": "2024/7/19"}},
        "weekly": {"T06": {"实际完成情况": "10 份推广素材全部完成", "完成百分比": "100%",
                           "实际完成日期": "2024.7.13"}},
        "actions": {"DB-24W28-02": {"状态": "已完成", "进展说明": "7 月 16 日文案终稿已发技术部"}},
    },
    "运营部": {
        "file": "运营部-W29.xlsx",
        "fields": {"周进度跟踪表": {"填报日期": "2024-07-19"}},
        "weekly": {"T08": {"实际完成情况": "活动物料已到位,执行人员培训完成", "完成百分比": "50%"}},
        "actions": {"DB-24W28-03": {"状态": "进行中", "进展说明": "预案初稿已完成,待技术部评审"}},
    },
}


def _pin_times(path: Path, when: dt.datetime) -> None:
    """The same bytes on every run: each zip member stamped `when`, and the created and
    modified times in docProps/core.xml (openpyxl and LibreOffice write the clock's)."""
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("created", "modified"):
                    head, sep, rest = text.partition(f"<dcterms:{tag} ")
                    if sep:
                        attrs, _, tail = rest.partition(">")
                        text = f"{head}{sep}{attrs}>{stamp}{tail[tail.index('</'):]}"
                data = text.encode("utf-8")
            pinned = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            dst.writestr(pinned, data)


def _resave_with_libreoffice(work: Path, tmp: str) -> Path:
    soffice = shutil.which("soffice")
    if not soffice:
        sys.exit("soffice not found: run scripts/install-system-deps.sh")
    lo = Path(tmp) / "lo"
    subprocess.run([soffice, "--headless", "--norestore",
                    f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(lo), str(work)],
                   check=True, capture_output=True, timeout=180)
    return lo / work.name


def _write(built: api.BuildResult, filled: dict[str, dict], out: Path, tmp: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.xlsx"):
        old.unlink()
    written = []
    for dept, spec in filled.items():
        work = Path(tmp) / spec["file"]
        shutil.copy(built.departments[dept], work)
        fill_workbook(work, weekly=spec.get("weekly"), risks=spec.get("risks", []),
                      acceptance=spec.get("acceptance"), retro=spec.get("retro", []),
                      fields=spec.get("fields"), actions=spec.get("actions"))
        if spec.get("resave_with_libreoffice"):
            work = _resave_with_libreoffice(work, tmp)
        _pin_times(work, BUILT_AT)
        shutil.copy(work, out / spec["file"])
        written.append(out / spec["file"])
        print(f"wrote {out / spec['file']}")
    return written


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ug"
        api.init_project(root, example=True)
        api.opinion(root, department="运营部", by="运营总监", text="同意")
        api.approve(root, by="分管副总 陈明")
        api.file_project(root, by="PMO 王芳")
        week28 = _write(api.build(root, week=WEEK, built_at=BUILT_AT), FILLED,
                        HERE / "returns", tmp)
        api.merge(root, week28, week=WEEK, as_of=AS_OF)
        _meeting_and_next_week(root, Path(tmp))
        final_built = api.build(root, week=FINAL_WEEK,
                                built_at=BUILT_AT + dt.timedelta(days=21))
        _write(final_built, FINAL, HERE / f"returns-{FINAL_WEEK}", tmp)



def _meeting_and_next_week(merged: Path, tmp: Path) -> None:
    """On a copy of the project merged for W28: the 周例会, its filled minutes, and the
    W29 returns built with the minutes in the inbox (the W31 line stays without them)."""
    root = tmp / "ug-meeting"
    shutil.copytree(merged, root)
    held = api.meeting(root, week=WEEK, built_at=BUILT_AT + dt.timedelta(days=4), pdf=False)
    out = HERE / "minutes"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.xlsx"):
        old.unlink()
    filled = fill_minutes(held.workbook, out=out / MINUTES_FILE, **MINUTES)  # type: ignore[arg-type]
    _pin_times(filled, BUILT_AT)
    print(f"wrote {filled}")
    shutil.copy(filled, root / "inbox" / MINUTES_FILE)
    built = api.build(root, week=NEXT_WEEK, built_at=BUILT_AT + dt.timedelta(days=7))
    _write(built, NEXT, HERE / f"returns-{NEXT_WEEK}", str(tmp))


if __name__ == "__main__":
    main()
