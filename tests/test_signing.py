"""Signed identity (issue #10): a department cannot return its file as another's by
editing the hidden `_xlflow` sheet and the 部门 column; the key that makes this so stays
in the project folder."""

from __future__ import annotations

import email
import os
import shutil
import sqlite3
import stat
import sys
import zipfile
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlflow import api
from xlflow.cli import cli
from xlflow.contract import SIGNATURE_KEY
from xlflow.errors import ProjectError
from xlflow.ledger import LEDGER_FILE, SCHEMA_VERSION, Ledger
from xlflow.merge.read import read_returned
from xlflow.phases.archive import collect
from xlflow.signing import EXAMPLE_KEY, KEY_FILE, Signature, file_id
from xlflow.simulate import fill_workbook
from xlflow.spec import load_specs

from .conftest import (
    AS_OF,
    BUILT_AT,
    WEEK,
    department_file,
    file_example,
    identity_rows,
    resign,
)

DATA = Path(__file__).parent / "data"
FORGED = "标识信息被改动过(签名不符),文件未采用;请用原始文件重新填写"
PRODUCT = {"T01": {"实际完成情况": "需求规格说明书已评审", "完成百分比": "100%",
                   "实际完成日期": "2024-07-04"},
           "T02": {"实际完成情况": "埋点方案完成", "完成百分比": "30%"}}
TECH = {"T03": {"实际完成情况": "联调中", "完成百分比": "80%", "预计完成日期": "2024-07-16",
                "偏差原因": "接口延迟"}}


def merge(root: Path, files: list[Path]) -> api.MergeReport:
    return api.merge(root, list(files), week=WEEK, as_of=AS_OF)


def errors(report) -> list[tuple[str, str, str]]:
    return [(i.code, i.file, i.sheet) for i in report.issues if i.is_error]


def claim(wb, department: str) -> None:
    """What 技术部 does to pass its file off as `department`: the `_xlflow` department
    and the locked 部门 column typed over (no password guards them); file id kept."""
    identity_rows(wb)["department"].value = department
    for name, header in (("周进度跟踪表", "部门"), ("风险应对申请表", "提出部门")):
        ws = wb[name]
        col = next(c.column for c in ws[1] if str(c.value).startswith(header))
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, col).value:
                ws.cell(r, col).value = department


def edited(path: Path, fn) -> Path:
    wb = openpyxl.load_workbook(path)
    fn(wb)
    wb.save(path)
    return path


@pytest.fixture
def product(built, tmp_path: Path) -> Path:
    return fill_workbook(department_file(built, "产品部", tmp_path), weekly=PRODUCT)


@pytest.fixture
def tech(built, tmp_path: Path) -> Path:
    return fill_workbook(department_file(built, "技术部", tmp_path), weekly=TECH)


# -- the attack of the issue ------------------------------------------------------------------

def test_forged_department_is_refused_and_the_real_return_counts(built, product: Path,
                                                                 tech: Path) -> None:
    fake = edited(tech, lambda wb: claim(wb, "产品部"))
    os.utime(product, (1_720_000_000, 1_720_000_000))
    os.utime(fake, (1_720_500_000, 1_720_500_000))  # the newer file: it would have won
    report = merge(built.project.root, [product, fake])
    assert errors(report) == [("identity-forged", "技术部.xlsx", "")]
    forged = next(i for i in report.issues if i.code == "identity-forged")
    assert forged.message == FORGED
    assert [(f.name, f.accepted) for f in report.files] == [("产品部.xlsx", True),
                                                            ("技术部.xlsx", False)]
    assert report.files[1].reason == FORGED
    assert "superseded" not in {i.code for i in report.issues}
    t01, t02 = report.tasks[0], report.tasks[1]
    assert (t01.percent, t01.texts["actual_status"], t02.percent) == (100, "需求规格说明书已评审", 30)
    assert t01.source is not None and t01.source.sha256 == report.files[0].sha256
    assert report.exit_status == 1


def test_forged_file_fails_the_merge_on_the_command_line(runner: CliRunner, built,
                                                          product: Path, tech: Path) -> None:
    inbox = built.project.root / "inbox"
    shutil.copy(product, inbox / "产品部.xlsx")
    shutil.copy(edited(tech, lambda wb: claim(wb, "产品部")), inbox / "产品部-更正.xlsx")
    result = runner.invoke(cli, ["merge", str(built.project.root), "--week", WEEK,
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1
    assert f"产品部-更正.xlsx: {FORGED}" in result.output
    assert "读取文件:2 个(采用 1 个)" in result.output


@pytest.mark.parametrize("field, value", [
    ("week", "2024-W29"), ("project_id", "UG-2024Q3"), ("spec_version", "weekly=9"),
    ("file_id", "0" * 32)])
def test_every_signed_field_is_covered(built, tech: Path, field: str, value: str) -> None:
    def edit(wb):
        identity_rows(wb)[field].value = value
    report = merge(built.project.root, [edited(tech, edit)])
    expected = [] if field == "project_id" else [("identity-forged", "技术部.xlsx", "")]
    assert errors(report) == expected  # the project id was left as it was: still valid


def test_an_edited_task_row_breaks_the_signature(built, tech: Path) -> None:
    def edit(wb):
        ws = wb["_xlflow"]
        row = next(r for r in ws.iter_rows() if r[0].value == "T03")
        row[1].value = "产品部"  # claim T03 belongs to 产品部
    report = merge(built.project.root, [edited(tech, edit)])
    assert errors(report) == [("identity-forged", "技术部.xlsx", "")]


def test_deleted_signature_is_refused(built, tech: Path) -> None:
    def edit(wb):
        ws = wb["_xlflow"]
        row = next(r for r in ws.iter_rows() if r[0].value == SIGNATURE_KEY)
        ws.delete_rows(row[0].row)
    fake = edited(tech, lambda wb: (edit(wb), claim(wb, "产品部")))
    report = merge(built.project.root, [fake])
    assert errors(report) == [("identity-forged", "技术部.xlsx", "")]
    assert "签名被删除" in report.files[0].reason


def test_file_id_never_built_is_refused(built, tech: Path) -> None:
    """Signed with this project's key, but not a file this project built (e.g. built in a
    copy of the project folder): refused."""
    def edit(wb):
        identity_rows(wb)["file_id"].value = "0123456789abcdef" * 2
    fake = resign(edited(tech, edit), built.project.root)
    report = merge(built.project.root, [fake])
    assert errors(report) == [("unknown-file-id", "技术部.xlsx", "")]
    assert not report.files[0].accepted


def test_file_id_built_for_another_department_is_refused(built, tech: Path) -> None:
    """Even a correct signature (the key leaked) does not make 技术部's file id 产品部's."""
    fake = resign(edited(tech, lambda wb: claim(wb, "产品部")), built.project.root)
    report = merge(built.project.root, [fake])
    assert [(i.code, i.value, i.expected) for i in report.issues if i.is_error] == [
        ("foreign-file-id", f"{WEEK} 产品部", f"{WEEK} 技术部")]


def test_workbook_of_another_project_with_its_own_key_is_refused(built, tmp_path: Path) -> None:
    """Same project id, same week and department, built in another folder with another
    key: its signature does not verify here."""
    other = tmp_path / "other"
    api.init_project(other, example=True)
    (other / KEY_FILE).unlink()  # a key of its own, made by its build
    theirs = api.build(other, week=WEEK, departments=["技术部"], built_at=BUILT_AT,
                       draft=True)
    assert theirs.key_file == other / KEY_FILE
    path = fill_workbook(shutil.copy(theirs.departments["技术部"], tmp_path / "别处.xlsx"),
                         weekly=TECH)
    report = merge(built.project.root, [path])
    assert errors(report) == [("identity-forged", "别处.xlsx", "")]


def test_built_files_are_recorded_with_their_hashes(built) -> None:
    from xlflow._files import sha256_file

    with Ledger(built.project.root / LEDGER_FILE) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 4
        # the build's files (the filing before it rewrote the W27 master: its own row)
        rows = [b for b in ledger.built_files() if b.week == WEEK]
    assert sorted((b.department, b.kind, b.week) for b in rows) == [
        ("", "master", WEEK), *((d, kind, WEEK) for d in ("产品部", "市场部", "技术部", "运营部")
                                for kind in ("department", "risk"))]
    for b in rows:
        path = {"master": built.master, "risk": built.risk_forms.get(b.department)}.get(
            b.kind) or built.departments[b.department]
        assert b.sha256 == sha256_file(path)
        assert b.built_at == BUILT_AT.isoformat()
        assert read_returned(path, load_specs()).identity["file_id"] == b.file_id
    tec = next(b for b in rows if b.department == "技术部" and b.kind == "department")
    assert tec.file_id == file_id(bytes.fromhex(EXAMPLE_KEY), "UG-2024Q3", WEEK, "技术部",
                                  "department")


# -- office suites: a re-save keeps the signature, an edit does not -----------------------------

def test_libreoffice_round_trip_keeps_the_signature(built, tech: Path, tmp_path: Path) -> None:
    from .office import soffice_convert

    resaved = soffice_convert(tech, tmp_path / "lo")
    assert openpyxl.load_workbook(resaved)["_xlflow"].sheet_state in ("hidden", "veryHidden")
    report = merge(built.project.root, [resaved])
    assert errors(report) == [] and report.files[0].accepted
    checked = api.validate([resaved], project_dir=built.project.root, as_of=AS_OF)
    assert checked.files[0].signature is Signature.VALID


def test_unhidden_sheet_resaved_in_libreoffice_verifies_until_edited(built, tech: Path,
                                                                     tmp_path: Path) -> None:
    from .office import soffice_convert

    def unhide(wb):
        wb["_xlflow"].sheet_state = "visible"
    shown = soffice_convert(edited(tech, unhide), tmp_path / "shown")
    assert openpyxl.load_workbook(shown)["_xlflow"].sheet_state == "visible"
    assert errors(merge(built.project.root, [shown])) == []
    fake = shutil.copy(tech, tmp_path / "fake.xlsx")
    edited(fake, lambda wb: (unhide(wb), claim(wb, "产品部")))
    fake_resaved = soffice_convert(fake, tmp_path / "fake-lo")
    report = merge(built.project.root, [fake_resaved])
    assert errors(report) == [("identity-forged", "fake.xlsx", "")]


def test_sample_returns_verify_with_the_example_key(with_samples: Path) -> None:
    """The bundled returns (运营部's saved by LibreOffice) are signed with the public
    example key and built for the example's file ids."""
    report = api.merge(with_samples, week=WEEK, as_of=AS_OF, write=False)
    assert report.accepted_files == 4 and report.errors == 0
    assert not {"unsigned", "identity-forged"} & {i.code for i in report.issues}


# -- validate: without the key it cannot check; with --project it does -------------------------

def test_validate_without_project_says_the_merge_checks_the_signature(runner: CliRunner,
                                                                      built, tech: Path,
                                                                      tmp_path: Path) -> None:
    alone = runner.invoke(cli, ["validate", str(tech), "--as-of", AS_OF.isoformat()])
    assert alone.exit_code == 0, alone.output
    assert "签名:PMO 汇总时核对" in alone.output
    assert api.validate([tech], as_of=AS_OF).files[0].signature is Signature.UNCHECKED
    project = ["--project", str(built.project.root), "--as-of", AS_OF.isoformat()]
    real = runner.invoke(cli, ["validate", str(tech), *project])
    assert real.exit_code == 0 and "签名:有效" in real.output
    fake = edited(shutil.copy(tech, tmp_path / "fake.xlsx"), lambda wb: claim(wb, "产品部"))
    forged = runner.invoke(cli, ["validate", str(fake), *project])
    assert forged.exit_code == 1
    assert f"fake.xlsx: {FORGED}" in forged.output


# -- files from before signing ------------------------------------------------------------------

def _forget_signing(root: Path, *paths: Path) -> None:
    """A week built by an xlflow that did not sign: no built_files, no signature row."""
    with sqlite3.connect(root / LEDGER_FILE) as db:
        db.execute("DELETE FROM built_files")
    db.close()
    for path in paths:
        def unsign(wb):
            ws = wb["_xlflow"]
            ws.delete_rows(next(r for r in ws.iter_rows() if r[0].value == SIGNATURE_KEY)[0].row)
        edited(path, unsign)


def test_unsigned_file_from_before_signing_is_accepted_with_a_warning(built, tech: Path) -> None:
    _forget_signing(built.project.root, tech)
    report = merge(built.project.root, [tech])
    assert report.errors == 0 and report.files[0].accepted
    assert [(i.code, i.severity.value) for i in report.issues if i.code == "unsigned"] == [
        ("unsigned", "warning")]


# -- the key: where it is, where it never goes -------------------------------------------------

def test_init_writes_the_key_privately(tmp_path: Path) -> None:
    api.init_project(tmp_path / "a")
    api.init_project(tmp_path / "b")
    a, b = ((tmp_path / n / KEY_FILE).read_text(encoding="ascii").strip() for n in "ab")
    assert len(a) == 64 and int(a, 16) and a != b != EXAMPLE_KEY
    if sys.platform != "win32":
        assert stat.S_IMODE((tmp_path / "a" / KEY_FILE).stat().st_mode) == 0o600
    api.init_project(tmp_path / "a", force=True)  # project.yaml again: the key stays
    assert (tmp_path / "a" / KEY_FILE).read_text(encoding="ascii").strip() == a


def test_example_key_is_the_documented_public_one(project_dir: Path) -> None:
    assert (project_dir / KEY_FILE).read_text(encoding="ascii").strip() == EXAMPLE_KEY
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "public example key" in readme and ".xlflow-key" in readme


def test_project_without_a_key_gets_one_on_first_build(runner: CliRunner,
                                                       unfiled_project: Path) -> None:
    project_dir = unfiled_project
    (project_dir / KEY_FILE).unlink()  # as made by an older xlflow
    file_example(project_dir)  # no key: the master rewritten on filing is not signed
    first = runner.invoke(cli, ["build", str(project_dir), "--week", WEEK])
    assert first.exit_code == 0, first.output
    assert f"已写入 {project_dir / KEY_FILE}" in first.output
    assert (project_dir / KEY_FILE).read_text(encoding="ascii").strip() != EXAMPLE_KEY
    again = runner.invoke(cli, ["build", str(project_dir), "--week", WEEK])
    assert again.exit_code == 0 and KEY_FILE not in again.output


def test_lost_key_stops_the_merge(runner: CliRunner, built, tech: Path) -> None:
    (built.project.root / KEY_FILE).unlink()
    with pytest.raises(ProjectError, match="项目密钥不见了"):
        merge(built.project.root, [tech])
    result = runner.invoke(cli, ["merge", str(built.project.root), str(tech), "--week", WEEK,
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 2 and "项目密钥不见了" in result.output


def test_key_is_never_in_a_workbook_a_mail_or_the_archive(built, tmp_path: Path) -> None:
    root = built.project.root
    key_hex = (root / KEY_FILE).read_text(encoding="ascii").strip().encode("ascii")
    sent = api.send(root, week=WEEK)
    emls = sorted((root / "outbox" / "mail" / WEEK).glob("*.eml"))
    assert len(emls) == 4 and len(sent.messages) == 4
    for eml in emls:
        raw = eml.read_bytes()
        assert key_hex not in raw
        msg = email.message_from_bytes(raw, policy=policy.default)
        for part in msg.iter_attachments():
            name = part.get_filename()
            assert name and name.endswith(".xlsx") and KEY_FILE not in name
            _assert_not_inside(part.get_content(), key_hex)
    for path in [*built.departments.values(), built.master]:
        _assert_not_inside(path.read_bytes(), key_hex)
    assert KEY_FILE not in {m.path.name for m in collect(root, None)[0]}
    archived = api.archive(root, to=tmp_path / "cases", by="PMO")
    with zipfile.ZipFile(archived.zip) as z:
        names = z.namelist()
        assert not [n for n in names if KEY_FILE in n]
        for name in names:
            _assert_not_inside(z.read(name), key_hex)


def _assert_not_inside(data: bytes, key_hex: bytes) -> None:
    """Neither in the bytes nor in any member of a zip (an .xlsx is one)."""
    assert key_hex not in data
    if data[:2] == b"PK":
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                _assert_not_inside(z.read(name), key_hex)


# -- the ledger: schema 4, older ledgers migrated ---------------------------------------------

def test_v1_ledger_migrates_through_2_to_3(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_FILE
    shutil.copy(DATA / "ledger-v1-0.1.0.sqlite", path)
    with Ledger(path) as ledger:
        assert ledger.schema_version == 4
        assert [m.week for m in ledger.merges()] == ["2024-W28", "2024-W31"]
        assert ledger.merges()[0].version == "0.1.0"
        assert len(ledger.tasks(ledger.merges()[0].id)) == 8
        assert ledger.built_files() == []


def test_v2_ledger_gains_built_files(built) -> None:
    path = built.project.root / LEDGER_FILE
    with sqlite3.connect(path) as db:  # what xlflow before signing left
        db.execute("DROP TABLE built_files")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    db.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == 4
        assert ledger.built_files() == []
    api.build(built.project.root, week=WEEK, departments=["技术部"])
    with Ledger(path) as ledger:
        assert [b.department for b in ledger.built_files()] == ["技术部", "技术部", ""]
