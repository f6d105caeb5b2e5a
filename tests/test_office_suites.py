"""Real office suites, headless: a workbook re-saved by LibreOffice or Gnumeric merges to
the same figures, and printed to PDF each sheet fits the paper width."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from xlflow import api
from xlflow.simulate import fill_workbook

from .conftest import AS_OF, WEEK, department_file, office_binary
from .office import soffice_convert, ssconvert

pytestmark = pytest.mark.office

WEEKLY = {"T03": {"实际完成情况": "联调中", "完成百分比": "80%", "预计完成日期": "7月16日",
                  "偏差原因": "接口延迟"},
          "T04": {"实际完成情况": "测试中", "完成百分比": 0.4, "预计完成日期": "2024/7/17",
                  "偏差原因": "等待"}}
RISKS = [{"发现时间": "2024-07-08 09:30", "提出时间": "2024-07-09 15:00", "风险描述": "接口",
          "风险等级": "高", "影响范围": "上线", "建议措施": "支援", "状态": "处理中"}]


def _figures(root: Path, path: Path) -> dict:
    data = api.merge(root, [path], as_of=AS_OF, week=WEEK, write=False).to_dict()
    for section in ("tasks", "risks"):
        for item in data[section]:
            item.pop("source")
    return {k: data[k] for k in ("tasks", "risks", "departments", "milestones")}


@pytest.mark.parametrize("suite", ["libreoffice", "gnumeric"])
def test_resaved_return_merges_to_the_same_figures(built, tmp_path: Path, suite: str) -> None:
    filled = fill_workbook(department_file(built, "技术部", tmp_path), weekly=WEEKLY, risks=RISKS)
    if suite == "libreoffice":
        resaved = soffice_convert(filled, tmp_path / "lo")
    else:
        resaved = ssconvert(filled, tmp_path / "gnumeric" / "resaved.xlsx")
    root = built.project.root
    report = api.merge(root, [resaved], as_of=AS_OF, week=WEEK, write=False)
    assert report.errors == 0, [str(i) for i in report.issues]
    assert report.files[0].accepted and report.files[0].department == "技术部"
    assert _figures(root, resaved) == _figures(root, filled)
    assert [(t.task_id, t.status, t.deviation_days) for t in report.tasks[2:4]] == [
        ("T03", "延误", 7), ("T04", "延误", 6)]  # T01 unreported: not done by 07-12, it
        # pushes T03 (7 days of work) to 07-19, and T04 (one day more) to 07-20


def _pdf_pages(pdf: Path, a3: int = 0) -> list[str]:
    """The text of each page; every page must be A4 (portrait or landscape), but the
    last `a3` pages (the 甘特图), which are A3."""
    office_binary("pdftotext")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)],
                           capture_output=True, text=True, check=True).stdout
    found = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes)
    assert len(found) == pages
    for n, (w, h) in enumerate(found):
        paper = [842, 1191] if n >= pages - a3 else [595, 842]
        assert sorted((round(float(w)), round(float(h)))) == paper, (w, h)
    return [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, pages + 1)]


def test_department_workbook_prints_one_page_wide(built, tmp_path: Path) -> None:
    pdf = soffice_convert(built.departments["技术部"], tmp_path / "pdf", "pdf")
    pages = _pdf_pages(pdf)
    # one page per visible sheet: nothing spills onto a second page to the right
    assert len(pages) == 6, [p[:60] for p in pages]
    weekly = next(p for p in pages if p.lstrip().startswith("周进度跟踪表"))  # page header
    assert "Task ID" in weekly and "Needs coordination" in weekly  # first and last column
    risks = next(p for p in pages if p.lstrip().startswith("风险应对申请表"))
    assert "Risk ID" in risks and "Follow-up" in risks and "TEC-24W28-30" in risks


def test_master_request_form_prints_on_one_page(built, tmp_path: Path) -> None:
    pdf = soffice_convert(built.master, tmp_path / "pdf", "pdf")
    pages = _pdf_pages(pdf, a3=1)
    assert "跨部门合作需求申请表" in pages[0] and "审批人签字" in pages[0]
    assert len(pages) == 7 and pages[6].lstrip().startswith("甘特图")  # on A3
    assert all(p.lstrip().startswith("合作方案") for p in pages[3:5])  # plan + signatures
    assert "风险应对" in pages[5]  # the sheet the PMO fills and returns
