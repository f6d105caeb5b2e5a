"""Regenerate samples/user-growth/returns/: the four departments' filled-in workbooks
for week 2024-W28, typed the way people type (text dates, '８０％', stray spaces).

    python samples/make_returns.py            # needs LibreOffice for the 运营部 file

The files are committed; run this only when the specs change (tests/test_samples.py
says when).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from xlflow import api
from xlflow.simulate import fill_workbook

HERE = Path(__file__).parent / "user-growth"
WEEK = "2024-W28"
AS_OF = dt.date(2024, 7, 12)
BUILT_AT = dt.datetime(2024, 7, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# department -> (file name people sent, weekly rows by task id, risks, acceptance)
FILLED: dict[str, dict] = {
    "产品部": {
        "file": "产品部.xlsx",
        "weekly": {
            "T01": {"实际完成情况": "需求规格说明书、活动方案已评审通过", "完成百分比": "100%",
                    "实际完成日期": "2024年7月4日"},
            "T02": {"实际完成情况": "数据埋点方案已完成,监测看板开发中", "完成百分比": 30},
        },
    },
    "技术部": {
        "file": "技术部-周报-0712.xlsx",
        "weekly": {
            "T03": {"实际完成情况": "页面主体开发完成,支付接口联调中", "完成百分比": 0.8,
                    "预计完成日期": "7月16日", "偏差原因": "第三方支付接口文档延迟提供",
                    "解决措施": "已协调支付方接口人,本周末加班联调",
                    "需协调事项": "需要市场部确认活动页文案终稿"},
            "T04": {"实际完成情况": "测试用例编写完成", "完成百分比": "40%",
                    "预计完成日期": dt.datetime(2024, 7, 17), "偏差原因": "受 T03 延期影响",
                    "解决措施": "测试与联调并行"},
        },
        "risks": [{"发现时间": dt.datetime(2024, 7, 8, 9, 30), "提出时间": "2024-07-09 15:00",
                   "关联任务": "T03", "风险描述": "第三方支付接口联调延期,可能影响活动上线",
                   "风险等级": "高", "影响范围": "活动上线(M3)、运营部活动执行",
                   "建议措施": "申请支付方加派技术支持;准备降级方案", "责任人": "陈杰",
                   "解决时限": "2024/7/15", "状态": "处理中"}],
    },
    "市场部": {
        "file": "市场部 W28 进度.xlsx",
        "weekly": {
            "T05": {"实际完成情况": "推广计划已定稿,首批广告已投放", "完成百分比": "100%",
                    "实际完成日期": "2024.7.10"},
            "T06": {"实际完成情况": "已完成 8 份推广素材", "完成百分比": "８０％",
                    "预计完成日期": "2024/7/13", "偏差原因": "设计师请假两天",
                    "解决措施": "外包设计支援两份素材"},
        },
        "risks": [{"发现时间": "2024-07-10 10:00", "提出时间": "2024-07-10 16:00",
                   "风险描述": "部分投放渠道审核周期延长", "风险等级": "中",
                   "影响范围": "推广曝光量", "建议措施": "提前提交素材审核;增加备选渠道",
                   "责任人": "周婷", "解决时限": dt.datetime(2024, 7, 14), "状态": "待处理"}],
    },
    "运营部": {
        "file": "运营部_回传.xlsx",
        "resave_with_libreoffice": True,
        "weekly": {
            "T07": {"实际完成情况": "活动执行SOP已发布", "完成百分比": 1,
                    "实际完成日期": dt.datetime(2024, 7, 11)},
            "T08": {"实际完成情况": "活动执行排期已确定", "完成百分比": "\u00a010 "},
        },
    },
}


def main(out: Path = HERE / "returns") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ug"
        api.init_project(root, example=True)
        built = api.build(root, week=WEEK, built_at=BUILT_AT)
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.xlsx"):
            old.unlink()
        for dept, spec in FILLED.items():
            work = Path(tmp) / spec["file"]
            shutil.copy(built.departments[dept], work)
            fill_workbook(work, weekly=spec["weekly"], risks=spec.get("risks", []))
            if spec.get("resave_with_libreoffice"):
                soffice = shutil.which("soffice")
                if not soffice:
                    sys.exit("soffice not found: run scripts/install-system-deps.sh")
                lo = Path(tmp) / "lo"
                subprocess.run([soffice, "--headless", "--norestore",
                                f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
                                "--convert-to", "xlsx", "--outdir", str(lo), str(work)],
                               check=True, capture_output=True, timeout=180)
                work = lo / spec["file"]
            shutil.copy(work, out / spec["file"])
            print(f"wrote {out / spec['file']}")


if __name__ == "__main__":
    main()
