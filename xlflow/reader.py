"""Read returned workbooks: the `_xlflow` identity and each template's table.

Values come from python-calamine (about ten times faster than openpyxl, and it reads
cached formula results). Nothing here judges the values; reconcile does. Problems with
the file itself (not a workbook, encrypted, sheet or column missing) become Issues.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from ._files import sha256_file
from ._package import Package, SheetFacts, UnsafePackage
from .issues import Issue, cell_name, error, warning
from .spec import Column, SpecSet, TemplateSpec
from .values import CellProblem, clean_text
from .values import is_blank as _blank
from .writer._identity import IDENTITY_SHEET, LISTS_SHEET
from .writer.department import INSTRUCTIONS_SHEET

DEPARTMENT_TEMPLATES = ("weekly", "risks", "acceptance", "retro")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
HEADER_SEARCH_ROWS = 10
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IGNORED_SHEETS = {IDENTITY_SHEET, LISTS_SHEET, INSTRUCTIONS_SHEET}


@dataclass
class Table:
    """One template's sheet: where each spec column is, and the data rows."""

    sheet: str
    header_row: int  # 0-based
    columns: dict[str, int]  # spec key -> 0-based column
    extra_columns: dict[int, str]  # 0-based column -> header text of a column not in the spec
    rows: list[tuple[int, list[Any]]]  # (0-based row, cells), blank rows left out


@dataclass
class Returned:
    """What was read from one file a department sent back."""

    path: Path
    sha256: str = ""
    size: int = 0
    received: dt.datetime | None = None
    identity: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = False

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def department(self) -> str:
        return self.identity.get("department", "")


def normalise_header(text: Any) -> list[str]:
    """The names a header cell answers to: each line, without the required-marker."""
    raw = clean_text(text)
    names = [re.sub(r"\s*\*\s*$", "", part).strip() for part in raw.split("\n")]
    names = [n for n in names if n]
    if len(names) > 1:
        names.append(" ".join(names))
    return [n.casefold() for n in names]


def _column_names(column: Column) -> set[str]:
    return {column.zh.casefold(), column.en.casefold(), column.key.casefold()}


def read_returned(path: Path, specs: SpecSet) -> Returned:
    """Read one file; never raises for a bad file, it records Issues instead."""
    ret = Returned(path=path)
    try:
        _read_into(ret, specs)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        ret.readable = False
        ret.tables.clear()
        ret.issues.append(error("unreadable", f"读取时出错,已跳过:{type(exc).__name__}: {exc}",
                                expected="用 Excel/WPS/LibreOffice 打开并另存为 .xlsx 后重发",
                                file=path.name))
    return ret


def _read_into(ret: Returned, specs: SpecSet) -> None:
    path = ret.path
    where = {"file": path.name}
    if not path.is_file():
        ret.issues.append(error("not-a-file", "不是文件(是文件夹或已被移走),已跳过", **where))
        return
    stat = path.stat()
    ret.size = stat.st_size
    ret.received = dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0)
    ret.sha256 = sha256_file(path)
    problem = _sniff(path, ret.size)
    if problem:
        ret.issues.append(problem)
        return
    try:
        package = Package(path)
    except UnsafePackage as exc:
        ret.issues.append(error(exc.code, str(exc), **where))
        return
    except (zipfile.BadZipFile, DefusedXmlException, ParseError, EOFError, OSError) as exc:
        ret.issues.append(error("not-a-workbook", f"文件已损坏,无法读取({exc})",
                                expected="重新保存为 .xlsx 后发送", **where))
        return
    with package:
        _read_package(ret, specs, package)


class _Refused(Exception):
    """A sheet the file cannot be judged without is too large to load."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _loadable(ret: Returned, package: Package, sheet: str, *, template: bool,
              skipped: set[str]) -> bool:
    """Whether calamine may load `sheet`: its extent is known from the package first.

    A template's sheet (or `_xlflow`) beyond the limits refuses the whole file; any other
    sheet is left unread, reported once."""
    if sheet in skipped:
        return False
    extent = package.extent(sheet)
    if extent is None:
        reason, corner = "在文件中找不到这张表的数据", ""
    else:
        reason, corner = extent.too_large(template=template), extent.corner
        if not reason:
            return True
    where = {"file": ret.name, "sheet": sheet, "cell": corner}
    message = (f"工作表「{sheet}」的数据延伸到 {corner}({reason})" if corner
               else f"工作表「{sheet}」无法读取({reason})")
    if template:
        raise _Refused(error("sheet-too-large", message + ";为防止内存耗尽,整个文件未读取",
                             expected="删除远处单元格的内容(Ctrl+End 可定位)后保存,重新发送",
                             **where))
    skipped.add(sheet)
    ret.issues.append(warning("sheet-too-large", message + ";此表不在模板中,未读取", **where))
    return False


def _read_package(ret: Returned, specs: SpecSet, package: Package) -> None:
    path = ret.path
    where = {"file": path.name}
    if package.macros:
        ret.issues.append(warning("macros", "文件含宏;xlflow 从不运行宏,只读取单元格的值", **where))
    try:
        book = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        ret.issues.append(error("encrypted", "文件设置了打开密码,无法读取;请取消密码后重新发送",
                                **where))
        return
    except (CalamineError, OSError, ValueError) as exc:
        ret.issues.append(error("not-a-workbook", f"无法作为 Excel 工作簿读取:{exc}",
                                expected="由 xlflow build 生成、用 Excel/WPS/LibreOffice 保存的 .xlsx",
                                **where))
        return
    ret.readable = True
    names = list(book.sheet_names)
    claimed = {specs[k].sheet for k in (*DEPARTMENT_TEMPLATES, "responsibilities")}
    claimed |= IGNORED_SHEETS
    skipped: set[str] = set()
    try:
        if IDENTITY_SHEET in names and _loadable(ret, package, IDENTITY_SHEET, template=True,
                                                 skipped=skipped):
            ret.identity = _read_identity(book, ret)
        _read_tables(ret, specs, book, package, names, claimed, skipped)
        _note_extra_sheets(ret, book, package, [n for n in names if n not in claimed], skipped)
    except _Refused as refused:
        ret.readable = False
        ret.tables.clear()
        ret.issues.append(refused.issue)
    finally:
        book.close()


def _note_extra_sheets(ret: Returned, book: CalamineWorkbook, package: Package, extra: list[str],
                       skipped: set[str]) -> None:
    """A sheet a department added is not read: say so, with how much it holds."""
    for name in extra:
        if not _loadable(ret, package, name, template=False, skipped=skipped):
            continue
        rows = book.get_sheet_by_name(name).to_python()
        filled = sum(not _blank(v) for row in rows for v in row)
        if filled:
            ret.issues.append(warning("extra-sheet", f"工作表「{name}」不在模板中,其中 {filled} "
                                      "个单元格未读取;请把内容填到对应的表中", file=ret.path.name,
                                      sheet=name))


def _read_tables(ret: Returned, specs: SpecSet, book: CalamineWorkbook, package: Package,
                 names: list[str], claimed: set[str], skipped: set[str]) -> None:
    path = ret.path
    for key in DEPARTMENT_TEMPLATES:
        spec = specs[key]
        sheet = spec.sheet if spec.sheet in names else _find_renamed(
            book, spec, [n for n in names if n not in claimed and n not in skipped and
                         _loadable(ret, package, n, template=False, skipped=skipped)])
        if sheet is None:
            continue
        if sheet != spec.sheet:
            claimed.add(sheet)
            ret.issues.append(warning("renamed-sheet", f"工作表「{spec.sheet}」被改名为「{sheet}」;"
                                      "按表头识别并读取", file=path.name, sheet=sheet))
        _loadable(ret, package, sheet, template=True, skipped=skipped)
        sheet_obj = book.get_sheet_by_name(sheet)
        rows = sheet_obj.to_python(skip_empty_area=False)
        facts = package.sheet_facts(sheet)
        _mark_cell_problems(rows, facts)
        table = _read_table(spec, rows, ret, sheet)
        if table is not None:
            _note_hidden_and_merged(table, facts, sheet_obj.merged_cell_ranges or [], ret)
            ret.tables[key] = table


def _find_renamed(book: CalamineWorkbook, spec: TemplateSpec, candidates: list[str]) -> str | None:
    """A template's sheet under another name: the one whose header matches best."""
    best, best_score = None, 0
    names = {n for c in spec.columns for n in _column_names(c)}
    for name in candidates:
        rows = book.get_sheet_by_name(name).to_python(nrows=HEADER_SEARCH_ROWS)
        score = max((sum(bool(set(normalise_header(v)) & names) for v in row) for row in rows),
                    default=0)
        if score > best_score:
            best, best_score = name, score
    return best if 2 * best_score > len(spec.columns) else None


def _mark_cell_problems(rows: list[list[Any]], facts: SheetFacts) -> None:
    """calamine reads '#N/A' and uncached formulas as empty: put the truth back."""
    for kind, cells in (("cell-error", facts.error_cells),
                        ("formula-no-value", facts.uncached_formulas)):
        for (r, c), text in cells.items():
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            if len(row) <= c:
                row.extend([""] * (c + 1 - len(row)))
            row[c] = CellProblem(kind, text)


def _note_hidden_and_merged(table: Table, facts: SheetFacts,
                            merged: list[tuple[tuple[int, int], tuple[int, int]]],
                            ret: Returned) -> None:
    data_rows = {r for r, _ in table.rows}
    where = {"file": ret.path.name, "sheet": table.sheet}
    for r in sorted(facts.hidden_rows & data_rows):
        ret.issues.append(warning("hidden-row", f"第 {r + 1} 行是隐藏行,其内容仍已读取", **where))
    for (r0, c0), (r1, c1) in merged:
        if r1 > table.header_row and (r0 != r1) and any(r in data_rows for r in range(r0, r1 + 1)):
            ret.issues.append(warning(
                "merged-cells", f"合并单元格 {cell_name(r0, c0)}:{cell_name(r1, c1)};"
                "只有左上角单元格有值,其余行按空白读取", **where))


def _sniff(path: Path, size: int) -> Issue | None:
    where = {"file": path.name}
    if size == 0:
        return error("empty-file", "文件是空的(0 字节)", **where)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head == _OLE_MAGIC:
            return error("legacy-xls", "这是旧版 .xls 文件;请在 Excel/WPS 中另存为 .xlsx 后重新发送",
                         expected=".xlsx", **where)
        return error("not-a-workbook", f"不是 Excel 工作簿(扩展名 {path.suffix or '无'})",
                     expected=".xlsx", **where)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == _OLE_MAGIC:
        return error("encrypted", "文件已加密(设置了打开密码)或是旧版 .xls;请取消密码并另存为 .xlsx",
                     **where)
    if not zipfile.is_zipfile(path):
        return error("not-a-workbook", "文件已损坏或不是 .xlsx(不是有效的 zip 包)",
                     expected="由 xlflow build 生成的 .xlsx", **where)
    return None


def _read_identity(book: CalamineWorkbook, ret: Returned) -> dict[str, str]:
    rows = book.get_sheet_by_name(IDENTITY_SHEET).to_python(skip_empty_area=False)
    out: dict[str, str] = {}
    for row in rows[1:]:
        if len(row) >= 2 and clean_text(row[0]):
            out[clean_text(row[0])] = clean_text(row[1])
    return out


def _read_table(spec: TemplateSpec, rows: list[list[Any]], ret: Returned,
                sheet: str) -> Table | None:
    by_name: dict[str, str] = {}
    for column in spec.columns:
        for name in _column_names(column):
            by_name.setdefault(name, column.key)
    best: tuple[int, int, dict[str, int], dict[int, str]] | None = None
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        extra: dict[int, str] = {}
        for c, cell in enumerate(row):
            names = normalise_header(cell)
            key = next((by_name[n] for n in names if n in by_name), None)
            if key and key not in found:
                found[key] = c
            elif names:
                extra[c] = clean_text(cell)
        if found and (best is None or len(found) > best[1]):
            best = (r, len(found), found, extra)
            if 2 * len(found) > len(spec.columns):
                break  # clearly the header: do not scan data rows as candidates
    where = {"file": ret.path.name, "sheet": sheet}
    if best is None:
        ret.issues.append(error("missing-header", "找不到表头行(前 10 行中没有本表的列名)",
                                expected=f"表头 {'、'.join(c.zh for c in spec.columns)}", **where))
        return None
    header_row, _, columns, extra = best
    known = set(columns.values()) | set(extra)
    for r in range(header_row + 1, len(rows)):
        for c, cell in enumerate(rows[r]):
            if c not in known and not _blank(cell):
                extra[c] = ""  # a value under no header: reported, never dropped
                known.add(c)
    for column in spec.columns:
        if column.key not in columns and (column.required or not column.editable):
            ret.issues.append(error("missing-column", f"缺少必需的列「{column.zh}」",
                                    expected=f"表头中有「{column.zh}」", **where))
    if header_row:
        ret.issues.append(warning("moved-header", f"表头在第 {header_row + 1} 行(应在第 1 行)",
                                  **where))
    data = [(r, row) for r, row in enumerate(rows[header_row + 1:], start=header_row + 1)
            if any(not _blank(v) for v in row)]
    return Table(sheet, header_row, columns, extra, data)


