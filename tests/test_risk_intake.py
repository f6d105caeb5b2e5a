"""The 24-hour risk path: the standalone 风险应对申请表 built and mailed beside the weekly
workbook, merged at once by `xlflow risks` (found → raised → received, late-receipt,
alerts for new 高 risks), carried by the next weekly merge and pre-filled next week."""

from __future__ import annotations

import datetime as dt
import email
import os
import shutil
import sqlite3
import zipfile
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.contract import IDENTITY_SHEET
from xlflow.model.vocab import RiskFlag
from xlflow.simulate import header_columns

from .conftest import AS_OF, WEEK
from .imap_server import Mailbox

HIGH = {"发现时间": dt.datetime(2024, 7, 9, 10, 0), "提出时间": dt.datetime(2024, 7, 9, 11, 0),
        "风险描述": "支付接口压测不达标,峰值时超时", "风险等级": "高", "影响范围": "T03 上线",
        "建议措施": "扩容并增加限流", "关联任务": "T03"}
MEDIUM = {"发现时间": dt.datetime(2024, 7, 9, 9, 0), "提出时间": dt.datetime(2024, 7, 10, 12, 0),
          "风险描述": "测试环境不稳定", "风险等级": "中", "影响范围": "联调", "建议措施": "申请独立环境"}


def fill_form(built: api.BuildResult, department: str, rows: list[dict[str, Any]], target: Path,
              received: dt.datetime | None = None) -> Path:
    """The department's risk form with `rows` typed into the reserved rows, saved at
    `target` with `received` as its file time (what a merge takes as 收到时间)."""
    wb = openpyxl.load_workbook(built.risk_forms[department])
    ws = wb["风险应对申请表"]
    cols = header_columns(ws)
    for n, row in enumerate(rows, start=2):
        for header, value in row.items():
            ws.cell(n, cols[header]).value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    if received:
        os.utime(target, (received.timestamp(), received.timestamp()))
    return target


def by_id(risks: list[Any]) -> dict[str, Any]:
    return {r.risk_id: r for r in risks}


def test_build_writes_a_risk_form_per_department(built: api.BuildResult) -> None:
    form = built.risk_forms["技术部"]
    assert form == built.outbox / f"UG-2024Q3-{WEEK}-技术部-风险应对申请表.xlsx"
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == ["填写说明", "风险应对申请表", IDENTITY_SHEET]
    ident = {r[0]: r[1] for r in wb[IDENTITY_SHEET].iter_rows(min_row=2, values_only=True)}
    assert (ident["kind"], ident["department"], ident["week"]) == ("risk", "技术部", WEEK)
    ws = wb["风险应对申请表"]
    assert [ws.cell(r, 1).value for r in (2, 11)] == ["TEC-24W28-R01", "TEC-24W28-R10"]
    assert ws.protection.sheet and ws.cell(2, 1).protection.locked
    assert not ws.cell(2, header_columns(ws)["风险描述"]).protection.locked
    assert "24 小时内" in wb["填写说明"]["B5"].value
    assert len(wb["风险应对申请表"].data_validations.dataValidation) >= 4


def test_validate_checks_a_filled_form_as_a_risk_sheet(built: api.BuildResult,
                                                      tmp_path: Path) -> None:
    bad = fill_form(built, "技术部", [{**HIGH, "风险等级": "超高"}], tmp_path / "r.xlsx")
    (checked,) = api.validate([bad], as_of=AS_OF).files
    assert (checked.department, checked.accepted) == ("技术部", True)
    assert [(i.cell, i.code) for i in checked.issues] == [("G2", "not-in-list")]


def test_the_weekly_mail_carries_both_files(built: api.BuildResult) -> None:
    result = api.send(built.project.root, week=WEEK)
    tec = next(m for m in result.messages if m.department == "技术部")
    assert tec.risk_form == built.risk_forms["技术部"].name
    msg = email.message_from_bytes(Path(tec.eml).read_bytes(), policy=policy.default)
    files = {a.get_filename(): a.get_content() for a in msg.iter_attachments()}
    assert files == {built.departments["技术部"].name: built.departments["技术部"].read_bytes(),
                     built.risk_forms["技术部"].name: built.risk_forms["技术部"].read_bytes()}
    assert "单独的风险应对申请表" in msg.get_body(("plain",)).get_content()


def test_risks_merges_the_forms_now_with_received_times_and_alerts(
        built: api.BuildResult) -> None:
    root = built.project.root
    fill_form(built, "技术部", [HIGH, MEDIUM], root / "inbox" / WEEK / "技术部-风险.xlsx",
              received=dt.datetime(2024, 7, 11, 12, 0))

    result = api.risks(root, as_of=AS_OF)

    risks = by_id(result.risks)
    assert sorted(risks) == ["TEC-24W28-R01", "TEC-24W28-R02"]
    r01, r02 = risks["TEC-24W28-R01"], risks["TEC-24W28-R02"]
    assert r01.received == dt.datetime(2024, 7, 11, 12, 0) and r01.data_week == WEEK
    assert r01.flags == [RiskFlag.HIGH_OPEN, RiskFlag.LATE_RECEIPT, RiskFlag.NO_PLAN,
                         RiskFlag.NO_PMO_RESPONSE]
    # 27 h from found to raised; raised → received exactly 24 h is still in time
    assert r02.flags == [RiskFlag.LATE_RAISE, RiskFlag.NO_PLAN]
    assert [r.risk_id for r in result.alerts] == ["TEC-24W28-R01"]
    assert result.issues == [] and result.exit_status == 0
    assert [(f.department, f.accepted, f.risks) for f in result.files] == [("技术部", True, 2)]

    report = openpyxl.load_workbook(result.report_path)["风险登记册"]
    assert Path(result.report_path) == root / "reports" / "风险登记册-2024-07-12.xlsx"
    header = [c.value for c in report[3]]
    row = {h: c.value for h, c in zip(header, report[4], strict=True)}
    assert (row["风险编号"], row["风险等级"], row["发现→提出(小时)"], row["提出→收到(小时)"]) == (
        "TEC-24W28-R01", "高", 1.0, 49.0)
    assert row["PMO 收到时间"] == dt.datetime(2024, 7, 11, 12, 0)
    assert "提出后超过24小时PMO才收到" in row["标记"]

    again = api.risks(root, as_of=AS_OF)
    assert again.alerts == [] and sorted(by_id(again.risks)) == sorted(risks)
    with sqlite3.connect(root / "xlflow-ledger.sqlite") as db:
        assert db.execute("SELECT risk_id, level, received FROM intake_risks").fetchall() == [
            ("TEC-24W28-R01", "高", "2024-07-11T12:00:00"),
            ("TEC-24W28-R02", "中", "2024-07-11T12:00:00")]


def test_a_later_form_updates_a_risk_or_adds_one_under_a_reused_id(
        built: api.BuildResult) -> None:
    root = built.project.root
    week = root / "inbox" / WEEK
    first = {**HIGH, "风险等级": "中"}
    fill_form(built, "技术部", [first], week / "a.xlsx", received=dt.datetime(2024, 7, 9, 12))
    other = {**HIGH, "发现时间": dt.datetime(2024, 7, 10, 8), "提出时间": dt.datetime(2024, 7, 10, 9),
             "风险描述": "第三方短信通道下线"}
    fill_form(built, "技术部", [other], week / "b.xlsx", received=dt.datetime(2024, 7, 10, 9, 30))
    update = {**first, "状态": "处理中", "责任人": "王工", "解决时限": dt.datetime(2024, 7, 15)}
    fill_form(built, "技术部", [update], week / "c.xlsx", received=dt.datetime(2024, 7, 11, 9))

    result = api.risks(root, as_of=AS_OF)

    risks = by_id(result.risks)
    assert sorted(risks) == ["TEC-24W28-R01", "TEC-24W28-R01-2"]
    assert (risks["TEC-24W28-R01"].status, risks["TEC-24W28-R01"].values["owner"]) == ("处理中", "王工")
    assert risks["TEC-24W28-R01"].received == dt.datetime(2024, 7, 9, 12)  # the first receipt
    assert risks["TEC-24W28-R01-2"].values["description"] == "第三方短信通道下线"
    assert [(i.code, i.file, i.cell) for i in result.issues] == [
        ("risk-id-reused", "b.xlsx", "A2")]
    assert [r.risk_id for r in result.alerts] == ["TEC-24W28-R01-2"]


def test_a_form_with_a_bad_cell_is_named_and_its_row_left_out(built: api.BuildResult) -> None:
    root = built.project.root
    fill_form(built, "市场部", [{**HIGH, "风险等级": "超高", "关联任务": None}, MEDIUM],
              root / "inbox" / "mkt.xlsx", received=dt.datetime(2024, 7, 11, 8))
    result = api.risks(root, as_of=AS_OF)
    assert [(i.file, i.cell, i.code) for i in result.issues] == [("mkt.xlsx", "G2", "not-in-list")]
    assert [r.risk_id for r in result.risks] == ["MKT-24W28-R02"]
    assert result.alerts == [] and result.exit_status == 1


def test_the_weekly_merge_carries_the_forms_risks_and_next_week_prefills_them(
        with_samples: Path) -> None:
    root = with_samples
    form = fill_form(api.build(root, week=WEEK), "技术部", [HIGH], root / "inbox" / "技术部风险.xlsx",
                     received=dt.datetime(2024, 7, 11, 12, 0))
    api.risks(root, as_of=AS_OF)

    report = api.merge(root, week=WEEK, as_of=AS_OF)

    r01 = by_id(report.risks)["TEC-24W28-R01"]
    assert (r01.level, r01.received, r01.data_week) == ("高", dt.datetime(2024, 7, 11, 12), WEEK)
    assert r01.flags == [RiskFlag.HIGH_OPEN, RiskFlag.LATE_RECEIPT, RiskFlag.NO_PLAN,
                         RiskFlag.NO_PMO_RESPONSE]
    (skipped,) = [f for f in report.files if f.name == form.name]
    assert (skipped.accepted, skipped.department) == (False, "技术部")
    assert "xlflow risks" in skipped.reason
    assert not [i for i in report.issues if i.file == form.name]
    assert report.recorded and sum(f.accepted for f in report.files) == 4
    sheet = openpyxl.load_workbook(report.report_path)["风险登记册"]
    assert "TEC-24W28-R01" in [row[0] for row in sheet.iter_rows(values_only=True)]

    w29 = api.build(root, week="2024-W29")
    tec = openpyxl.load_workbook(w29.departments["技术部"])["风险应对申请表"]
    ids = [row[0] for row in tec.iter_rows(min_row=2, values_only=True)]
    assert "TEC-24W28-R01" in ids  # open: pre-filled for the department to update
    later = api.merge(root, week="2024-W29", as_of=dt.date(2024, 7, 19), write=False)
    assert RiskFlag.NOT_UPDATED in by_id(later.risks)["TEC-24W28-R01"].flags


def test_high_risk_alert_is_an_email_with_the_times(built: api.BuildResult) -> None:
    root = built.project.root
    fill_form(built, "技术部", [HIGH], root / "inbox" / "r.xlsx",
              received=dt.datetime(2024, 7, 11, 12, 0))
    result = api.risks(root, as_of=AS_OF)
    msg = api.high_risk_alert(built.project, result.alerts)
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    # spaces as no-break spaces, as in remind's and notify's subjects (mail.foldable)
    assert parsed["Subject"].replace("\xa0", " ") == "【2024年Q3用户增长活动】高风险预警:技术部 TEC-24W28-R01"
    assert parsed["To"] == "zhangwei@example.com"
    body = parsed.get_body(("plain",)).get_content()
    assert "支付接口压测不达标,峰值时超时" in body and "扩容并增加限流" in body
    assert "发现→提出 1.0 小时;提出→收到 49.0 小时" in body
    assert "请 PMO 在 24 小时内" in body
    to = api.high_risk_alert(built.project, result.alerts, to=["boss@example.com"])
    assert to["To"] == "boss@example.com"


def test_cli_risks_and_the_register_is_archived(built: api.BuildResult, runner: CliRunner,
                                               tmp_path: Path) -> None:
    root = built.project.root
    fill_form(built, "技术部", [HIGH], root / "inbox" / "r.xlsx",
              received=dt.datetime(2024, 7, 11, 12, 0))
    result = runner.invoke(cli, ["risks", str(root), "--as-of", "2024-07-12"])
    assert result.exit_code == 0, result.output
    assert "高风险警报 TEC-24W28-R01 技术部:支付接口压测不达标" in result.output
    assert "风险登记册-2024-07-12.xlsx" in result.output
    with zipfile.ZipFile(api.archive(root, to=tmp_path / "lib").zip) as z:
        assert "风险登记册/风险登记册-2024-07-12.xlsx" in z.namelist()


def _mail(sender: str, when: dt.datetime, *files: Path) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "pmo@example.com", "风险"
    msg["Date"] = format_datetime(when.astimezone())
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("见附件")
    for f in files:
        msg.add_attachment(f.read_bytes(), maintype="application", subtype="octet-stream",
                           filename=f.name)
    return msg


def test_collect_recognises_a_risk_form_and_risks_takes_the_mail_time(
        built: api.BuildResult, mailbox: Mailbox, tmp_path: Path) -> None:
    root = built.project.root
    form = fill_form(built, "市场部", [HIGH | {"关联任务": None}], tmp_path / "市场部风险.xlsx")
    weekly = shutil.copy(built.departments["市场部"], tmp_path / "市场部周报.xlsx")
    openpyxl.load_workbook(weekly).save(weekly)  # saved by a department: not the PMO's bytes
    mailbox.deliver(_mail("mkt@example.com", dt.datetime(2024, 7, 9, 13, 30), form, weekly))

    collected = api.collect(root, mailbox.settings())

    assert [(f.path, f.kind) for f in collected.saved] == [
        ("inbox/2024-W28/市场部-风险应对申请表-20240709-133000.xlsx", "risk"),
        ("inbox/2024-W28/市场部-20240709-133000.xlsx", "department")]
    assert [f.path for f in collected.risk_forms] == [collected.saved[0].path]
    saved = root / collected.saved[0].path
    os.utime(saved, (0, 0))  # copied without its time: the ledger still knows the mail's
    result = api.risks(root, as_of=AS_OF)
    assert by_id(result.risks)["MKT-24W28-R01"].received == dt.datetime(2024, 7, 9, 13, 30)
    assert RiskFlag.LATE_RECEIPT not in by_id(result.risks)["MKT-24W28-R01"].flags


@pytest.mark.parametrize("name", ["研" * 72])
def test_a_long_department_name_gets_a_shortened_form_name(tmp_path: Path, name: str) -> None:
    root = tmp_path / "p"
    api.init_project(root, example=True)
    text = (root / "project.yaml").read_text(encoding="utf-8")
    (root / "project.yaml").write_text(text.replace("name: 运营部", f"name: {name}")
                                       .replace("department: 运营部", f"department: {name}"),
                                       encoding="utf-8")
    built = api.build(root, week=WEEK, draft=True)
    form = built.risk_forms[name]
    assert form.is_file() and form.name.endswith("-风险应对申请表.xlsx")
    assert len(form.name.encode()) <= 255 - len(".XXXXXXXX.tmp.")
