"""月复盘 and 复盘报告 numbers, from two real merges of the sample returns (W28, W31)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from xlflow import api
from xlflow.errors import ProjectError

from .conftest import SAMPLES


@pytest.fixture
def two_weeks(with_samples: Path) -> Path:
    api.merge(with_samples, week="2024-W28", as_of=dt.date(2024, 7, 12))
    api.build(with_samples, week="2024-W31")
    final = SAMPLES / "returns-2024-W31"
    api.merge(with_samples, sorted(final.glob("*.xlsx")), week="2024-W31",
              as_of=dt.date(2024, 7, 31))
    shutil.rmtree(with_samples / "inbox")
    return with_samples


def test_monthly_review_trend(two_weeks: Path) -> None:
    result = api.review(two_weeks, month="2024-07")
    r = result.review
    assert r.weeks == ["2024-W28", "2024-W31"]
    assert r.slip.loc["技术部"].tolist() == [3.5, 5.0]  # (4+3)/2, then (5+5)/2 done late
    assert r.on_time.loc["运营部"].tolist() == [1.0, 1.0]
    assert r.on_time.loc["技术部"].tolist() == [0.0, 0.0]
    risks = {(x["week"], x["department"]): (x["raised"], x["closed"])
             for x in r.risks.to_dict(orient="records")}
    assert risks == {("2024-W28", "技术部"): (1, 0), ("2024-W28", "市场部"): (1, 0),
                     ("2024-W31", "技术部"): (0, 1), ("2024-W31", "市场部"): (0, 1)}
    assert len(r.finished) == 8 and r.open_tasks == [] and r.open_risks == []
    wb = openpyxl.load_workbook(result.path)
    assert wb.sheetnames == ["趋势", "风险", "完成交付", "未完成事项", "支出与预算"]
    with pytest.raises(ProjectError, match="没有统计日期\\(as-of\\)在 2024-06 内的汇总"):
        api.review(two_weeks, month="2024-06")
    with pytest.raises(ProjectError, match="不是月份"):
        api.review(two_weeks, month="July")


def test_retrospective_facts(two_weeks: Path) -> None:
    result = api.retro(two_weeks)
    facts = dict(result.retrospective.facts)
    assert facts["任务按期率"] == "5/8 = 63%"
    assert facts["累计偏差"] == "11 天" and facts["最大偏差"] == "5 天(T03)"
    assert facts["超过 24 小时才提出的风险"] == "1 项"
    reasons = {r["reason"]: r["tasks"] for r in result.retrospective.reasons}
    assert reasons["第三方支付接口文档延迟提供"] == ["T03"]
    assert [f["text"] for f in result.retrospective.feedback["不足"]] == [
        "需求变更未及时同步给市场部", "第三方接口依赖没有提前识别"]
    assert result.workbook.is_file() and result.html.is_file()
    assert openpyxl.load_workbook(result.workbook).sheetnames == [
        "复盘报告", "偏差原因", "各部门", "超时提出的风险"]
