"""Read returned workbooks: the `_xlflow` identity and each template's table.

Values come from python-calamine (about ten times faster than openpyxl, and it reads
cached formula results). Nothing here judges the values; reconcile does. Problems with
the file itself (not a workbook, encrypted, sheet or column missing) become Issues.
A file is taken for what its bytes say it is, whatever its name (`_sniff`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import re
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from xml.etree.ElementTree import ParseError

from defusedxml.common import DefusedXmlException
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from .._files import sha256_file
from .._ods import OdsPackage
from .._package import MAX_UNCOMPRESSED, Extent, SheetFacts, UnsafePackage, check_zip_limits
from .._package import Package as XlsxPackage
from .._sniff import Kind, Sniffed, sniff
from .._xls import XlsPackage
from ..contract import ADDED_SHEETS, IDENTITY_SHEET, MASTER_KIND, TaskRow, parse_identity
from ..followup import AGENDA_SHEET, actions_spec, minutes_spec
from ..issues import Issue, Severity, cell_name, error, warning
from ..spec import Column, SpecSet, TemplateSpec
from ..values import CellProblem, clean_text, clean_texts, first_filled, needs_cleaning
from ..values import is_blank as _blank

DEPARTMENT_TEMPLATES = ("weekly", "risks", "acceptance", "retro")
MASTER_TEMPLATES = ("pmo_response",)  # what is read back from the PMO master
HEADER_SEARCH_ROWS = 10
ACCEPTED = "由 xlflow build 生成的工作簿,在 Excel/WPS/LibreOffice 中填写后保存(.xlsx、.xlsm、.ods 或 .xls)"
_PACKAGES: dict[Kind, Callable[[Path | io.BytesIO], Package]] = {
    Kind.XLSX: XlsxPackage, Kind.ODS: OdsPackage, Kind.XLS: XlsPackage}
IGNORED_SHEETS = ADDED_SHEETS


class Package(Protocol):
    """What the reader asks of a workbook's container (.xlsx, .ods or .xls) before and
    beside calamine: `_package.Package`, `_ods.OdsPackage`, `_xls.XlsPackage`."""

    macros: bool
    eager: bool  # calamine loads every sheet when it opens such a file (.ods, .xls)

    def __enter__(self) -> Package: ...
    def sheet_names(self) -> list[str]: ...
    def __exit__(self, *exc: object) -> None: ...
    def extent(self, sheet: str) -> Extent | None: ...
    def sheet_facts(self, sheet: str) -> SheetFacts: ...


@dataclass
class Table:
    """One template's sheet: where each spec column is, and the data rows."""

    sheet: str
    header_row: int  # 0-based
    columns: dict[str, int]  # spec key -> 0-based column
    extra_columns: dict[int, str]  # 0-based column -> header text of a column not in the spec
    rows: list[tuple[int, list[Any]]]  # (0-based row, cells), blank rows left out
    # the spec's `fields` below the table: key -> (0-based row, 0-based column, value)
    fields: dict[str, tuple[int, int, Any]] = field(default_factory=dict)
    # a field's label typed again (0-based row, 0-based value column, key, value): the
    # first one counts, the others are reported
    repeated_fields: list[tuple[int, int, str, Any]] = field(default_factory=list)


@dataclass
class Returned:
    """What was read from one file a department sent back."""

    path: Path
    member: str = ""  # the file inside a zip archive at `path`
    sha256: str = ""
    size: int = 0
    received: dt.datetime | None = None
    identity: dict[str, str] = field(default_factory=dict)
    identity_tasks: list[TaskRow] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = False
    # the 周例会 sheets (会议纪要, 督办事项) by spec key, and the rows above their header
    followup: dict[str, Table] = field(default_factory=dict)
    above: dict[str, list[list[Any]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.path.name}!{self.member}" if self.member else self.path.name

    @property
    def location(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def department(self) -> str:
        return self.identity.get("department", "")


def normalise_header(text: Any) -> list[str]:
    """The names a header cell answers to: each line, without the required-marker."""
    if type(text) is str:  # every return repeats its template's header texts
        return list(_header_names(text))
    return _normalise_header(text)


@functools.lru_cache(maxsize=4096)
def _header_names(text: str) -> tuple[str, ...]:
    return tuple(_normalise_header(text))


def _normalise_header(text: Any) -> list[str]:
    raw = clean_text(text)
    names = [re.sub(r"\s*\*\s*$", "", part).strip() for part in raw.split("\n")]
    names = [n for n in names if n]
    if len(names) > 1:
        names.append(" ".join(names))
    return [n.casefold() for n in names]


def _column_names(column: Column) -> set[str]:
    return {column.zh.casefold(), column.en.casefold(), column.key.casefold()}


def read_returns(path: Path, specs: SpecSet) -> list[Returned]:
    """What one file holds: one return, or, for a zip of workbooks, one per member
    (named `archive.zip!member.xlsx`). Never raises for a bad file: Issues instead."""
    ret = Returned(path=path)
    try:
        if not path.is_file():
            what = "是文件夹,不是文件" if path.is_dir() else "文件已被移走或删除"
            ret.issues.append(error("not-a-file", f"{what},已跳过", file=path.name))
            return [ret]
        stat = path.stat()
        ret.size = stat.st_size
        ret.received = dt.datetime.fromtimestamp(stat.st_mtime).replace(microsecond=0)
        ret.sha256 = sha256_file(path)
        sniffed = sniff(path) if 0 < ret.size <= MAX_UNCOMPRESSED else None
        if sniffed is not None and sniffed.kind is Kind.ARCHIVE:
            return _read_archive(ret, specs)
        _guarded(ret, specs, None, sniffed)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        _unreadable(ret, exc)
    return [ret]


def read_returned(path: Path, specs: SpecSet) -> Returned:
    """Read one workbook file (a zip of workbooks is `read_returns`' business)."""
    return read_returns(path, specs)[0]


def _unreadable(ret: Returned, exc: BaseException) -> None:
    ret.readable = False
    ret.tables.clear()
    ret.issues.append(error("unreadable", f"读取时出错,已跳过:{type(exc).__name__}: {exc}",
                            expected="用 Excel/WPS/LibreOffice 打开并另存为 .xlsx 后重发",
                            file=ret.name))


def _guarded(ret: Returned, specs: SpecSet, data: bytes | None,
             sniffed: Sniffed | None = None) -> None:
    try:
        _read_into(ret, specs, data, sniffed)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:
        _unreadable(ret, exc)


def _read_archive(outer: Returned, specs: SpecSet) -> list[Returned]:
    """A zip a department packed its workbooks into: each member is read from memory,
    within the same limits as a workbook's own parts; a zip inside is not opened."""
    where = {"file": outer.name}
    try:
        with zipfile.ZipFile(outer.path) as zf:
            check_zip_limits(zf)
            infos = [i for i in zf.infolist() if not i.is_dir() and not _skipped_member(i)]
            if not infos:
                outer.issues.append(error("empty-archive", "压缩包里没有文件", **where))
                return [outer]
            out = []
            for info in infos:
                ret = Returned(path=outer.path, member=_member_name(info), received=outer.received,
                               size=info.file_size)
                out.append(ret)
                if info.flag_bits & 0x1:
                    ret.issues.append(error("encrypted", "压缩包设置了密码,无法读取;请取消密码后重新发送",
                                            file=ret.name))
                    continue
                data = zf.read(info)
                ret.sha256 = hashlib.sha256(data).hexdigest()
                _guarded(ret, specs, data)
                # a note or a scan packed beside the workbooks is not a failed return
                ret.issues = [replace(i, severity=Severity.WARNING, message=i.message + ";已跳过")
                              if i.code == "not-a-workbook" and not ret.readable else i
                              for i in ret.issues]
            return out
    except UnsafePackage as exc:
        outer.issues.append(error(exc.code, str(exc), **where))
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError) as exc:
        outer.issues.append(error("not-a-workbook", f"压缩包已损坏,无法读取({exc})", **where))
    return [outer]


def _skipped_member(info: zipfile.ZipInfo) -> bool:
    """macOS resource forks, dotfiles and office lock files are not returns."""
    parts = info.filename.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or any(p.startswith((".", "~$")) for p in parts if p)


def _member_name(info: zipfile.ZipInfo) -> str:
    """Windows' zip tools write GBK names without saying so; Python reads them as cp437."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", "replace")
        for codec in ("utf-8", "gb18030"):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                continue
    return name


def _read_into(ret: Returned, specs: SpecSet, data: bytes | None,
               sniffed: Sniffed | None) -> None:
    where = {"file": ret.name}
    if ret.size == 0:
        ret.issues.append(error("empty-file", "文件是空的(0 字节)", **where))
        return
    if ret.size > MAX_UNCOMPRESSED:
        ret.issues.append(error("file-too-large", f"文件超过 {MAX_UNCOMPRESSED >> 20} MB,"
                                "不像是一份填写的工作簿,未读取", **where))
        return
    sniffed = sniffed or sniff(data if data is not None else ret.path)
    if sniffed.kind is Kind.ARCHIVE:
        ret.issues.append(error("nested-archive", "压缩包中的压缩包不会被打开;请解压后放入收件箱",
                                **where))
        return
    if sniffed.kind is Kind.OTHER:
        what = (" " if sniffed.what[0].isascii() else "") + sniffed.what
        message = (f"这是{what},不是 Excel 工作簿" if sniffed.code == "not-a-workbook"
                   else f"这是{what};请取消密码后重新发送")
        ret.issues.append(error(sniffed.code, message, expected=ACCEPTED, **where))
        return
    source: Path | io.BytesIO = io.BytesIO(data) if data is not None else ret.path
    try:
        package = _PACKAGES[sniffed.kind](source)
    except UnsafePackage as exc:
        ret.issues.append(error(exc.code, str(exc), **where))
        return
    except (zipfile.BadZipFile, DefusedXmlException, ParseError, EOFError, OSError, KeyError,
            ValueError, struct.error) as exc:
        ret.issues.append(error("not-a-workbook", f"文件已损坏,无法读取({exc})",
                                expected="在 Excel/WPS/LibreOffice 中打开并重新保存后发送", **where))
        return
    with package:
        _read_package(ret, specs, package, data)


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
    if sheet == IDENTITY_SHEET:  # nobody sees that sheet: name what they can act on
        raise _Refused(error("sheet-too-large", f"文件的标识信息已损坏({reason}),为防止内存耗尽"
                             "整个文件未读取;请用 PMO 发来的原始文件填写后重新发送", file=ret.name))
    if template:
        raise _Refused(error("sheet-too-large", message + ";为防止内存耗尽,整个文件未读取",
                             expected="删除远处单元格的内容(Ctrl+End 可定位)后保存,重新发送",
                             **where))
    skipped.add(sheet)
    ret.issues.append(warning("sheet-too-large", message + ";此表不在模板中,未读取", **where))
    return False


def _read_package(ret: Returned, specs: SpecSet, package: Package, data: bytes | None) -> None:
    where = {"file": ret.name}
    if package.macros:
        ret.issues.append(warning("macros", "文件含宏;xlflow 从不运行宏,只读取单元格的值", **where))
    templates = {specs[k].sheet for k in DEPARTMENT_TEMPLATES} | {IDENTITY_SHEET}
    if package.eager:
        # calamine loads every sheet of an .ods or .xls as it opens the file: all of them
        # must fit before it does, added sheets too
        for sheet in package.sheet_names():
            extent = package.extent(sheet)
            reason = extent.too_large(template=sheet in templates) if extent else ""
            if extent is not None and reason:
                ret.issues.append(error(
                    "sheet-too-large", f"工作表「{sheet}」的数据延伸到 {extent.corner}({reason});"
                    "这种格式打开时会载入全部工作表,为防止内存耗尽,整个文件未读取",
                    expected="删除远处单元格的内容(Ctrl+End 可定位)后保存,重新发送",
                    sheet=sheet, cell=extent.corner, **where))
                return
    try:
        # from content, not from the extension: a .xlsx named .xls is read as what it is
        if data is not None:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        else:
            with open(ret.path, "rb") as fh:
                book = CalamineWorkbook.from_filelike(fh)
    except PasswordError:
        ret.issues.append(error("encrypted", "文件设置了打开密码,无法读取;请取消密码后重新发送",
                                **where))
        return
    except (CalamineError, OSError, ValueError) as exc:
        ret.issues.append(error("not-a-workbook", f"无法作为 Excel 工作簿读取:{exc}",
                                expected=ACCEPTED, **where))
        return
    ret.readable = True
    names = list(book.sheet_names)
    claimed = {specs[k].sheet for k in (*DEPARTMENT_TEMPLATES, "responsibilities")}
    claimed |= IGNORED_SHEETS | {s.sheet for s in followup_specs()} | {AGENDA_SHEET}
    skipped: set[str] = set()
    try:
        if IDENTITY_SHEET in names and _loadable(ret, package, IDENTITY_SHEET, template=True,
                                                 skipped=skipped):
            ret.identity, ret.identity_tasks = _read_identity(book)
        if ret.identity.get("kind") == MASTER_KIND:
            # the PMO's own file: its 风险应对 sheet only, its other sheets are its business
            _read_tables(ret, specs, book, package, names, claimed, skipped,
                         keys=[k for k in MASTER_TEMPLATES if k in specs.templates])
        else:
            _read_tables(ret, specs, book, package, names, claimed, skipped)
            _read_followup(ret, book, package, names, skipped)
            _note_extra_sheets(ret, book, package, [n for n in names if n not in claimed],
                               skipped)
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
                                      "个单元格未读取;请把内容填到对应的表中", file=ret.name,
                                      sheet=name))


def _read_tables(ret: Returned, specs: SpecSet, book: CalamineWorkbook, package: Package,
                 names: list[str], claimed: set[str], skipped: set[str],
                 keys: Sequence[str] = DEPARTMENT_TEMPLATES) -> None:
    for key in keys:
        spec = specs[key]
        sheet = spec.sheet if spec.sheet in names else _find_renamed(
            book, spec, [n for n in names if n not in claimed and n not in skipped and
                         _loadable(ret, package, n, template=False, skipped=skipped)])
        if sheet is None:
            continue
        if sheet != spec.sheet:
            claimed.add(sheet)
            ret.issues.append(warning("renamed-sheet", f"工作表「{spec.sheet}」被改名为「{sheet}」;"
                                      "按表头识别并读取", file=ret.name, sheet=sheet))
        _loadable(ret, package, sheet, template=True, skipped=skipped)
        sheet_obj = book.get_sheet_by_name(sheet)
        rows = sheet_obj.to_python(skip_empty_area=False)
        facts = package.sheet_facts(sheet)
        _mark_cell_problems(rows, facts)
        table = _read_table(spec, rows, ret, sheet)
        if table is not None:
            _note_hidden_and_merged(table, facts, sheet_obj.merged_cell_ranges or [], ret)
            ret.tables[key] = table


def followup_specs() -> tuple[TemplateSpec, ...]:
    return (minutes_spec(), actions_spec())


def _read_followup(ret: Returned, book: CalamineWorkbook, package: Package, names: list[str],
                   skipped: set[str]) -> None:
    """会议纪要 (the PMO's minutes) and 督办事项 (a department's action items), where the
    file has them: read like a template's table; the minutes' header sits below the
    meeting's date, host and attendees, which are kept as `above`."""
    for spec in followup_specs():
        if spec.sheet not in names:
            continue
        _loadable(ret, package, spec.sheet, template=True, skipped=skipped)
        rows = book.get_sheet_by_name(spec.sheet).to_python(skip_empty_area=False)
        _mark_cell_problems(rows, package.sheet_facts(spec.sheet))
        found = len(ret.issues)
        table = _read_table(spec, rows, ret, spec.sheet)
        if table is not None:
            ret.followup[spec.key] = table
            ret.above[spec.key] = [list(r) for r in rows[:table.header_row]]
            if spec.key == "minutes":  # its header is below the meeting's details
                ret.issues[found:] = [i for i in ret.issues[found:] if i.code != "moved-header"]


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
    where = {"file": ret.name, "sheet": table.sheet}
    for r in sorted(facts.hidden_rows & data_rows):
        ret.issues.append(warning("hidden-row", f"第 {r + 1} 行是隐藏行,其内容仍已读取", **where))
    for (r0, c0), (r1, c1) in merged:
        if r1 > table.header_row and (r0 != r1) and any(r in data_rows for r in range(r0, r1 + 1)):
            ret.issues.append(warning(
                "merged-cells", f"合并单元格 {cell_name(r0, c0)}:{cell_name(r1, c1)};"
                "只有左上角单元格有值,其余行按空白读取", **where))


def _read_identity(book: CalamineWorkbook) -> tuple[dict[str, str], list[TaskRow]]:
    rows = book.get_sheet_by_name(IDENTITY_SHEET).to_python(skip_empty_area=False)
    return parse_identity([clean_texts(row[:4]) for row in rows])


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
    where = {"file": ret.name, "sheet": sheet}
    if best is None:
        ret.issues.append(error("missing-header", "找不到表头行(前 10 行中没有本表的列名)",
                                expected=f"表头 {'、'.join(c.zh for c in spec.columns)}", **where))
        return None
    header_row, _, columns, extra = best
    fields, label_rows, repeated = _read_block(spec, rows, header_row + 1)
    known = set(columns.values()) | set(extra)
    below = [row for r, row in enumerate(rows[header_row + 1:], start=header_row + 1)
             if r not in label_rows]
    # a value under no header: reported, never dropped (columns in the order a row by
    # row scan meets them)
    for _, c in sorted(_first_values(below, [c for c in range(max(map(len, below), default=0))
                                             if c not in known])):
        extra[c] = ""
    for column in spec.columns:
        if column.key not in columns and (column.required or not column.editable):
            ret.issues.append(error("missing-column", f"缺少必需的列「{column.zh}」",
                                    expected=f"表头中有「{column.zh}」", **where))
    if header_row:
        ret.issues.append(warning("moved-header", f"表头在第 {header_row + 1} 行(应在第 1 行)",
                                  **where))
    # rows below (or between) the block still count: a block pasted among the task
    # rows must not drop the tasks under it
    data = [(r, row) for r, row in enumerate(rows[header_row + 1:], start=header_row + 1)
            if r not in label_rows and first_filled(row) is not None]
    return Table(sheet, header_row, columns, extra, data, fields, repeated)


def _first_values(rows: list[list[Any]], columns: list[int]) -> list[tuple[int, int]]:
    """(row, column) of the first value in each of `columns` that has one."""
    out = []
    for c in columns:
        r = next((r for r, row in enumerate(rows) if c < len(row) and not _blank(row[c])), None)
        if r is not None:
            out.append((r, c))
    return out


def _label_names(column: Column) -> set[str]:
    return {n.rstrip(":：").strip() for n in _column_names(column)}


def _read_block(spec: TemplateSpec, rows: list[list[Any]], first: int
                ) -> tuple[dict[str, tuple[int, int, Any]], set[int],
                           list[tuple[int, int, str, Any]]]:
    """The spec's `fields` below the table: a row whose first filled cell is a field's
    label (填报人 *, 填报日期:) holds its value in the next cell to the right. Returns
    the fields found (the first of each label), the rows holding a label (not task
    rows, wherever they stand) and the labels typed again. A return built before the
    fields existed has none: the whole sheet is the table."""
    if not spec.fields:
        return {}, set(), []
    by_label = {n: f.key for f in spec.fields for n in _label_names(f)}
    # a label's first word is in the cleaned, casefolded text of any cell naming it (a
    # word never spans a line): most rows (a task id) are passed over on that alone
    words = {n.split()[0] for n in by_label if n.split()} if all(map(str.split, by_label)) \
        else {""}
    found: dict[str, tuple[int, int, Any]] = {}
    label_rows: set[int] = set()
    repeated: list[tuple[int, int, str, Any]] = []
    for r in range(first, len(rows)):
        row = rows[r]
        c = first_filled(row)
        if c is None or not isinstance(row[c], str):
            continue
        text = row[c]
        folded = (text if needs_cleaning(text) is None else clean_text(text)).casefold()
        if not any(w in folded for w in words):
            continue
        names = [n.rstrip(":：").strip() for n in normalise_header(text)]
        key = next((by_label[n] for n in names if n in by_label), None)
        if key is None:
            continue
        label_rows.add(r)
        value = row[c + 1] if c + 1 < len(row) else None
        if key in found:
            repeated.append((r, c + 1, key, value))
            continue
        found[key] = (r, c + 1, value)
    return found, label_rows, repeated


