"""The issue-code catalogue is complete and true: every code the sources emit is in it
with the severity they emit it with, every entry is emitted somewhere, the README lists
exactly the catalogue, and a merge of hostile and messy files emits only catalogued codes."""

from __future__ import annotations

import ast
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlflow import api, codes
from xlflow.codes import CATALOGUE, CODES, Level, Stage
from xlflow.issues import Issue, Severity, error, warning
from xlflow.simulate import fill_workbook

from . import hostile
from .conftest import AS_OF, BUILT_AT, WEEK, department_file

ROOT = Path(__file__).parents[1]
SOURCES = sorted(p for p in (ROOT / "xlflow").rglob("*.py") if p.name != "codes.py")
# callables whose first argument is an issue code, and the severity they give it
EMITTERS = {"error": "error", "warning": "warning", "refuse": "error",
            "UnsafePackage": "error", "Issue": None}


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(
        node, ast.Attribute) else ""


def _severity(node: ast.expr | None) -> str | None:
    """Severity.WARNING -> 'warning'; anything else is not known statically."""
    if isinstance(node, ast.Attribute) and _name(node.value) == "Severity":
        return node.attr.lower()
    return None


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def emitted_in_source(path: Path) -> list[tuple[str, str | None, int]]:
    """(code, severity or None, line) for each code literal `path` emits or compares:
    error("x"), warning("x"), refuse("x"), UnsafePackage("x"), Issue("x", Severity.Y),
    replace(i, code="x", severity=...), Sniffed(..., code="x"), `code: str = "x"`,
    and `i.code == "x"` / `i.code not in ("x", ...)`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            kw = {k.arg: k.value for k in node.keywords}
            if name in EMITTERS and node.args and isinstance(node.func, ast.Name):
                severity = EMITTERS[name] or _severity(node.args[1] if len(node.args) > 1
                                                       else kw.get("severity"))
                found += [(s, severity, node.lineno) for s in _strings(node.args[0])]
            if "code" in kw:
                found += [(s, _severity(kw.get("severity")), node.lineno)
                          for s in _strings(kw["code"])]
        elif isinstance(node, ast.AnnAssign) and _name(node.target) == "code" and node.value:
            found += [(s, None, node.lineno) for s in _strings(node.value)]
        elif isinstance(node, ast.Compare) and _name(node.left) == "code":
            found += [(s, None, node.lineno) for c in node.comparators for s in _strings(c)]
    return found


def all_string_constants() -> set[str]:
    return {n.value for p in SOURCES for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


# -- the catalogue itself ---------------------------------------------------------------

def test_catalogue_is_grouped_by_stage_and_alphabetical_within() -> None:
    order = list(Stage)
    keys = [(order.index(c.stage), c.code) for c in CATALOGUE]
    assert keys == sorted(keys)
    assert len(CODES) == len(CATALOGUE)  # no code twice


@pytest.mark.parametrize("entry", CATALOGUE, ids=[c.code for c in CATALOGUE])
def test_every_entry_is_complete(entry: codes.Code) -> None:
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", entry.code)  # kebab-case
    assert entry.title_zh and entry.title_en and entry.what and entry.remedy
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text)
               for text in (entry.title_zh, entry.what, entry.remedy))
    # the remedy says who acts, or that nobody has to
    assert any(who in entry.remedy for who in ("部门", "PMO", "无需处理")), entry.remedy
    assert "\n" not in entry.what + entry.remedy


def test_issue_refuses_a_code_or_severity_not_in_the_catalogue() -> None:
    with pytest.raises(ValueError, match="bad-dat"):
        error("bad-dat", "拼错的代码")
    with pytest.raises(ValueError, match="too-long"):
        error("too-long", "只应是提醒")
    with pytest.raises(ValueError, match="bad-date"):
        Issue("bad-date", Severity.WARNING, "只应是错误")
    assert warning("no-identity", "可以是提醒").severity is Severity.WARNING
    assert error("no-identity", "也可以是错误").is_error


# -- (a) the sources ----------------------------------------------------------------------

def test_every_code_in_the_sources_is_catalogued_with_its_severity() -> None:
    sites = [(p.relative_to(ROOT).as_posix(), line, code, sev)
             for p in SOURCES for code, sev, line in emitted_in_source(p)]
    assert len(sites) > 70  # the scan sees the emitters (a broken scan finds nothing)
    assert ("other-week", "warning") in {(c, s) for _, _, c, s in sites}  # replace(code=...)
    unknown = [s for s in sites if s[2] not in CODES]
    assert unknown == [], "add these to xlflow/codes.py"
    wrong = [s for s in sites if s[3] and not CODES[s[2]].allows(s[3])]
    assert wrong == [], "emitted with a severity the catalogue does not give"


def test_every_catalogued_code_is_in_the_sources() -> None:
    unused = sorted(set(CODES) - all_string_constants())
    assert unused == [], "catalogued but emitted nowhere: remove from xlflow/codes.py"


def test_a_code_with_both_severities_is_emitted_with_both() -> None:
    seen: dict[str, set[str]] = {}
    for p in SOURCES:
        for code, sev, _ in emitted_in_source(p):
            if sev:
                seen.setdefault(code, set()).add(sev)
    both = {c.code for c in CATALOGUE if c.severity is Level.BOTH}
    # not-a-workbook becomes a warning by replace(i, severity=...) on an i.code test
    assert both - {"not-a-workbook"} == {c for c, s in seen.items() if len(s) == 2}


# -- (b) the README -----------------------------------------------------------------------

def test_readme_table_is_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Issue codes" in readme
    section = readme.split(codes.README_BEGIN, 1)[1].split(codes.README_END, 1)[0]
    listed = [line.split("|")[1].strip().strip("`") for line in section.splitlines()
              if line.startswith("| `")]
    assert listed == [c.code for c in CATALOGUE]
    assert codes.replace_in_readme(readme) == readme, \
        "the README is out of date: python -m xlflow.codes --readme README.md"


def test_markdown_command_prints_the_table(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    assert codes.main(["--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| `bad-date` | 错误 | **日期无法识别**" in out
    assert "| `no-identity` | 错误或提醒 |" in out
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{codes.README_BEGIN}\nold\n{codes.README_END}\n\n## next\n",
                     encoding="utf-8")
    assert codes.main(["--readme", str(stale)]) == 0
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("# x\n\n" + codes.markdown()) and text.endswith("\n\n## next\n")


# -- (c) what a merge of hostile and messy files really emits -----------------------------

def _messy(built: api.BuildResult, d: Path) -> Path:
    """技术部's return with a bad cell of every kind the checks know."""
    path = fill_workbook(department_file(built, "技术部", d), risks=[{
        "发现时间": "2024-07-08 09:00", "提出时间": "2024-07-08 10:00", "风险描述": "接口延迟",
        "风险等级": "超高", "影响范围": "上线", "建议措施": "加人"}])
    wb = openpyxl.load_workbook(path)
    ws = wb["周进度跟踪表"]  # row 2 is T03, row 3 T04
    ws["F2"], ws["H2"], ws["I2"] = "大约一半", "下周二", "三人"  # percent, date, integer
    ws["F3"] = "150%"
    ws["G3"].value, ws["G3"].data_type = "#N/A", "e"
    ws["I3"] = "=1+1"  # saved without a cached value
    wb.save(path)
    return path


def _zip_with_a_scan(built: api.BuildResult, d: Path) -> Path:
    out = d / "回传.zip"
    with zipfile.ZipFile(out, "w") as z:
        z.write(built.departments["市场部"], "市场部.xlsx")
        z.writestr("扫描件.pdf", b"%PDF-1.4\n%%EOF\n")
    return out


def test_a_task_not_reported_or_rejected_is_named_not_shown_as_typed(
        built: api.BuildResult, tmp_path: Path) -> None:
    """The task's id is in the message; nothing was typed, so no 「填写的是」."""
    root = built.project.root
    messy = _messy(built, tmp_path)  # T03 and T04 rejected
    silent = shutil.copy(built.departments["产品部"], tmp_path / "产品部.xlsx")  # nothing filled
    wb = openpyxl.load_workbook(silent)
    ws = wb["周进度跟踪表"]
    deleted = ws["A2"].value
    ws.delete_rows(2)  # 产品部 deletes its first task's row
    wb.save(silent)
    report = api.merge(root, [messy, silent], as_of=AS_OF, week=WEEK)
    found = {i.code: i for i in report.issues
             if i.code in ("not-reported", "row-rejected", "row-missing")}
    assert found.keys() == {"not-reported", "row-rejected", "row-missing"}
    assert [i.message.split(" ")[1] for i in report.issues if i.code == "row-missing"] == [
        deleted]  # the deleted task alone; the others of 产品部 are not reported
    assert deleted not in {i.message.split(" ")[1] for i in report.issues
                           if i.code == "not-reported"}
    for issue in found.values():
        assert issue.value == "" and "填写的是" not in issue.describe(), issue.describe()
        assert re.search(r"任务 T\d+ (本周|的行)", issue.message)
    rejected = found["row-rejected"]
    assert rejected.cell and rejected.cell in rejected.message  # the first bad cell


def test_a_merge_of_the_hostile_corpus_emits_only_catalogued_codes(
        built: api.BuildResult, tmp_path: Path) -> None:
    root = built.project.root
    last_week = api.build(root, week="2024-W27", built_at=BUILT_AT).departments["产品部"]
    ops = built.departments["运营部"]
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    files = [
        _messy(built, tmp_path), _zip_with_a_scan(built, tmp_path),
        shutil.copy(built.departments["产品部"], tmp_path / "产品部.xlsx"),
        shutil.copy(last_week, tmp_path / "产品部-W27.xlsx"),
        hostile.zip_bomb(tmp_path / "bomb.xlsx", size_mb=20),
        hostile.replace_member(ops, "xl/sharedStrings.xml", hostile.BILLION_LAUGHS,
                               tmp_path / "laughs.xlsx"),
        hostile.encrypt(ops, tmp_path / "encrypted.xlsx"),
        tmp_path / "notes.pdf",
    ]
    report = api.merge(root, files, as_of=AS_OF, week=WEEK)
    emitted = {(i.code, str(i.severity)) for i in report.issues}
    assert {c for c, _ in emitted} <= CODES.keys()
    assert all(CODES[c].allows(s) for c, s in emitted)
    # the codes that reach error()/warning() through a variable, not as a literal
    assert emitted >= {
        ("bad-percent", "error"), ("bad-date", "error"), ("bad-number", "error"),
        ("out-of-range", "error"), ("not-in-list", "error"), ("cell-error", "error"),
        ("formula-no-value", "error"), ("zip-bomb", "error"), ("unsafe-xml", "error"),
        ("encrypted", "error"), ("not-a-workbook", "error"), ("not-a-workbook", "warning"),
        ("other-week", "warning"), ("row-rejected", "warning"), ("no-return", "warning")}
    ledger_issues = api.merge(root, [], as_of=AS_OF, week=WEEK).issues
    assert {i.code for i in ledger_issues} <= CODES.keys()


def test_cli_shows_what_to_do_once_per_code(runner, built: api.BuildResult,
                                           tmp_path: Path) -> None:
    from xlflow.cli import cli

    inbox = built.project.root / "inbox"
    _messy(built, tmp_path)
    shutil.copy(tmp_path / "技术部.xlsx", inbox / "技术部.xlsx")
    result = runner.invoke(cli, ["merge", str(built.project.root), "--week", WEEK,
                                 "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    remedy = CODES["bad-date"].remedy
    assert sum(remedy in line for line in lines) == 1
    # under the first issue with the code (H2: 预计完成日期 下周二), not under the others
    at = next(n for n, line in enumerate(lines) if "/ H2:" in line)
    assert remedy in lines[at + 1]


def test_every_issue_of_a_validate_run_is_catalogued(built: api.BuildResult,
                                                     tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    report = api.validate([_messy(built, tmp_path), tmp_path / "scan.pdf"], as_of=AS_OF)
    found = {(i.code, str(i.severity)) for f in report.files for i in f.issues}
    assert {c for c, _ in found} <= CODES.keys()
    assert found >= {("bad-date", "error"), ("not-in-list", "error"), ("not-a-workbook", "error")}


def test_an_issue_as_a_dict_has_every_field() -> None:
    """to_dict names the fields one by one (asdict deep-copies): a new field must be added
    there too, or the ledger and --json would lose it."""
    import dataclasses

    from xlflow.issues import Issue, Severity

    issue = Issue("bad-date", Severity.ERROR, "日期不对", "a.xlsx", "周进度跟踪表", "F2",
                  "2024-13-01", "日期")
    expected = dataclasses.asdict(issue)
    expected["severity"] = "error"
    assert issue.to_dict() == expected and list(issue.to_dict()) == list(expected)
