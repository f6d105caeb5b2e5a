"""Look inside an .xlsx package before trusting it: size limits against zip bombs, no
DTDs or entities (billion laughs, external entities), how far each sheet reaches before
calamine loads it, and the facts calamine does not give: error cells (#N/A), formulas
with no cached value, hidden rows, macros.

All XML here is parsed with defusedxml, streaming, within explicit limits.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from defusedxml import ElementTree as SafeET

from .issues import cell_name

MAX_UNCOMPRESSED = 256 * 1024 * 1024  # all members together
MAX_MEMBER = 128 * 1024 * 1024
MAX_RATIO = 200  # a member this much larger than its compressed size is a bomb ...
RATIO_FLOOR = 8 * 1024 * 1024  # ... once it is at least this big
MAX_MEMBERS = 10_000
MAX_ROWS = 100_000  # rows of one sheet, up to its last value
MAX_COLUMNS = 200  # columns of a template's sheet (the widest template has 15)
# rows x columns of any sheet that is loaded: calamine holds a sheet as a dense grid of
# 32-byte cells from A1 to its farthest value, so one value at XFD1048576 asks for 512 GiB
MAX_CELLS = 2_000_000
DTD_PROLOG = 64 * 1024  # bytes of each XML part searched for a DOCTYPE
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_BANG = re.compile(rb"<!")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = re.compile(r"^([A-Z]+)(\d+)$")
# the opening tag of a cell with an r attribute: (column letters, row digits, "/" when
# self-closing, i.e. a formatted cell without a value, which calamine leaves out); a tag
# it does not match (a "/" in an attribute) makes the counts differ: then a full parse
_CELL_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br=[\"']([A-Z]{1,3})([0-9]{1,7})[\"'][^>/]*(/?)>")
_CELL_TAGS = (b"<c ", b"<c>", b":c ", b":c>")  # every cell element, with or without r
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref=[\"']([^\"']*)[\"']")
# an error cell, a formula (prefixed or not), or a hidden row: only then is a sheet
# parsed in full. Plain substring tests: far faster than one regex over the bytes.
_MARKERS = (b't="e"', b"<f>", b"<f ", b":f>", b":f ", b'hidden="1"', b'hidden="true"')
# fewer that every marker matches (`<f` alone would find <formula1> and <firstHeader>):
# one pass each, most sheets need no more (a regex with a literal prefix searches several
# times faster than `bytes in` here)
_COARSE = tuple(re.compile(m) for m in (rb't="e"', rb"<f[ >]", rb":f[ >]", rb'hidden="'))


class UnsafePackage(Exception):
    """The file is refused; the message says why (and is shown to the user)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Extent:
    """How far a sheet's values reach: the grid calamine allocates when it loads it (or,
    for a sheet within the limits, the sheet's own dimension once proven to hold every
    cell: an upper bound, within the limits too)."""

    rows: int = 0  # up to the last row with a value (1-based count)
    columns: int = 0
    dimension: str = ""  # the sheet's own <dimension ref>, as written; a hint, never trusted

    @property
    def corner(self) -> str:
        """The far corner of the grid, as Excel names it (XFD1048576)."""
        return cell_name(max(self.rows, 1) - 1, max(self.columns, 1) - 1)

    def too_large(self, *, template: bool) -> str:
        """Why this sheet must not be loaded ('' when it may)."""
        if self.rows > MAX_ROWS:
            return f"超过 {MAX_ROWS:,} 行"
        if template and self.columns > MAX_COLUMNS:
            return f"超过 {MAX_COLUMNS} 列"
        if self.rows * self.columns > MAX_CELLS:
            return f"{self.rows:,} 行 × {self.columns:,} 列,超过 {MAX_CELLS:,} 个单元格"
        return ""


@dataclass
class SheetFacts:
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # 0-based -> '#N/A'
    uncached_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)  # 0-based


# the parts calamine parses for values (sheets are checked when they are read)
_PARSED_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/sharedStrings.xml", "xl/styles.xml")


class Package:
    """An .xlsx opened once: limits checked on open, sheets read and checked on demand.

    The .ods and .xls counterparts (`_ods.OdsPackage`, `_xls.XlsPackage`) answer the same
    questions: `macros`, `extent(sheet)`, `sheet_facts(sheet)`."""

    eager = False  # calamine loads an .xlsx sheet only when asked for it

    def __init__(self, path: Path | BinaryIO) -> None:
        self.zf = zipfile.ZipFile(path)
        try:
            check_zip_limits(self.zf)
            names = set(self.zf.namelist())
            for part in _PARSED_PARTS:
                if part in names:
                    refuse_dtd(part, zip_prolog(self.zf, part))
            self.macros = any(n.lower().endswith("vbaproject.bin") for n in names)
            self.members = _sheet_members(self.zf, names)
            self._extents: dict[str, Extent] = {}
            self._cached: tuple[str, bytes] = ("", b"")
        except BaseException:
            self.zf.close()
            raise

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zf.close()

    def sheet_names(self) -> list[str]:
        return list(self.members)

    def _sheet_xml(self, sheet: str) -> bytes:
        """A sheet's XML, inflated once for both the extent and the facts."""
        if self._cached[0] != sheet:
            member = self.members[sheet]
            data = self.zf.read(member)
            refuse_dtd(member, data[:DTD_PROLOG])
            self._cached = (sheet, data)
        return self._cached[1]

    def extent(self, sheet: str) -> Extent | None:
        """How far the sheet's values reach, from its XML, before calamine loads it;
        None when the package has no such sheet part (calamine will say what it finds)."""
        if sheet not in self._extents:
            if sheet not in self.members:
                return None
            self._extents[sheet] = _xlsx_extent(self._sheet_xml(sheet))
        return self._extents[sheet]

    def sheet_facts(self, sheet: str) -> SheetFacts:
        """Error cells, formulas without a cached value and hidden rows of one sheet.

        Most sheets have none of them: a byte search (in C) decides whether the full
        parse is needed at all."""
        member = self.members.get(sheet)
        if member is None:
            return SheetFacts()
        data = self._sheet_xml(sheet)
        self._cached = ("", b"")
        if not any(coarse.search(data) for coarse in _COARSE) or \
                not any(marker in data for marker in _MARKERS):
            return SheetFacts()
        return _scan_sheet(io.BytesIO(data), member)


def check_zip_limits(zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from its directory, before anything is inflated."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafePackage("zip-bomb", f"压缩包内有 {len(infos)} 个文件,超过上限 {MAX_MEMBERS}")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or total > MAX_UNCOMPRESSED or (
                info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise UnsafePackage("zip-bomb", f"解压后过大({info.filename}: "
                                f"{info.file_size // 1024 // 1024} MB,压缩比 {ratio:.0f}),"
                                "已拒绝;疑似压缩炸弹")


def zip_prolog(zf: zipfile.ZipFile, part: str) -> bytes:
    with zf.open(part) as fh:
        return fh.read(DTD_PROLOG)


def _col_index(letters: str | bytes) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n - 1


def _xlsx_extent(data: bytes) -> Extent:
    """The farthest cell with a value. The <dimension> element is only what the writer
    claimed (absent, stale or false in hand-edited files): the cells decide. Every writer
    gives each cell its reference; a cell without one is placed by counting, as calamine
    does, in a full parse.

    Usually the dimension is proven to hold every cell (`_within_dimension`), and when
    that bound is within the limits, so is the sheet: the bound is the answer, without
    a Python object per cell."""
    head = _DIMENSION.search(data, 0, DTD_PROLOG)
    dimension = head[1].decode("ascii", "replace") if head else ""
    bound = _within_dimension(data, dimension)
    if bound is not None and not bound.too_large(template=True):
        return bound
    refs = _CELL_REF.findall(data)
    if len(refs) != sum(data.count(tag) for tag in _CELL_TAGS):
        rows, columns = _counted_extent(data)
        return Extent(rows, columns, dimension)
    filled = [(letters, digits) for letters, digits, empty in refs if not empty]
    if not filled:
        return Extent(0, 0, dimension)
    rows = max(int(digits) for _, digits in filled)
    columns = max(_col_index(letters) for letters in {letters for letters, _ in filled}) + 1
    return Extent(rows, columns, dimension)


def _within_dimension(data: bytes, dimension: str) -> Extent | None:
    """The sheet's <dimension> as an upper bound of its extent, when the bytes prove it:
    every cell element is `<c r="A1"` with a well-formed reference, and none lies right
    of or below the dimension's far corner. None when that is not shown (then the cells
    are counted one by one). Only three regex searches, in C."""
    corner = _CELL.match(dimension.rsplit(":", 1)[-1])
    if corner is None:
        return None
    if _ODD_CELL.search(data) or _PREFIXED_CELL.search(data) or \
            _beyond(corner[1], corner[2]).search(data):
        return None
    return Extent(int(corner[2]), _col_index(corner[1]) + 1, dimension)


# a cell element that is not `<c r="` + letters, a row number without leading zero and
# the quote (`<c>`, `<c/>`, `<c s="1" r=...`, `<c\nr=...`, a lower-case reference), and
# a cell element with a namespace prefix
_ODD_CELL = re.compile(rb'<c(?=[\s>/])(?! r="[A-Z]{1,3}[1-9][0-9]{0,6}")')
_PREFIXED_CELL = re.compile(rb':c[\s>/]')


@functools.lru_cache(maxsize=64)
def _beyond(letters: str, digits: str) -> re.Pattern[bytes]:
    """A cell reference right of column `letters` or below row `digits`."""
    return re.compile(rf'<c r="(?:(?:{_above(letters, "A", "Z")})[0-9]|'
                      rf'[A-Z]{{1,3}}(?:{_above(str(int(digits)), "0", "9")})")'.encode())


def _above(text: str, low: str, high: str) -> str:
    """A regex for the strings of characters low..high that come after `text` in a
    column's or row's order: longer ones, then same length and larger at the first
    difference (column letters and row numbers without leading zeros both sort so)."""
    first = "[1-9]" if low == "0" else f"[{low}-{high}]"
    alternatives = [f"{first}[{low}-{high}]{{{len(text)},}}"]
    for i, ch in enumerate(text):
        if ch != high:
            alternatives.append(f"{text[:i]}[{chr(ord(ch) + 1)}-{high}][{low}-{high}]"
                                f"{{{len(text) - i - 1}}}")
    return "|".join(alternatives)


def _counted_extent(data: bytes) -> tuple[int, int]:
    """The extent by a full parse, for cells or rows without a reference."""
    rows = columns = 0
    row = col = -1
    for event, el in stream(io.BytesIO(data), "row"):
        tag = el.tag.rsplit("}", 1)[-1]
        if event == "start":
            if tag == "row":
                r = el.get("r", "")
                row = int(r) - 1 if r.isdigit() else row + 1
                col = -1
            continue
        if tag == "c":
            m = _CELL.match(el.get("r", ""))
            col = _col_index(m[1]) if m else col + 1
            cell_row = int(m[2]) - 1 if m else row
            if len(el) or el.text:
                rows, columns = max(rows, cell_row + 1), max(columns, col + 1)
    return rows, columns


def stream(fh: IO[bytes], prune: str) -> Iterator[tuple[str, Any]]:
    """defusedxml's iterparse (start and end events) in bounded memory: each element whose
    local name is `prune` (a row) is dropped from its parent once its end was handled,
    so a sheet of millions of rows never accumulates them."""
    stack: list[Any] = []
    for event, el in SafeET.iterparse(fh, events=("start", "end")):
        if event == "start":
            stack.append(el)
            yield event, el
            continue
        stack.pop()
        yield event, el
        if stack and el.tag.rsplit("}", 1)[-1] == prune:
            stack[-1].remove(el)


def refuse_dtd(name: str, prolog: bytes) -> None:
    """A DTD must come before the root element, so its prolog is where to look. This is
    for a clear message; safety does not rest on it: calamine's parser expands no
    entities and everything xlflow parses itself goes through defusedxml."""
    if _BANG.search(prolog) and _DTD.search(prolog):  # most parts have no "<!" at all
        raise UnsafePackage("unsafe-xml", f"{name} 含 DTD/实体声明(XML 实体攻击),已拒绝")


def _sheet_members(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    workbook, rels = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels")
    targets = (_cached_targets if len(workbook) + len(rels) <= _CACHED_PARTS
               else _sheet_targets)(workbook, rels)
    by_lower = {n.lower(): n for n in names}  # part names are case-insensitive (OPC)
    out = {}
    for name, target in targets:
        member = by_lower.get(target.lower())
        if member is not None:
            out[name] = member
    return out


def _sheet_targets(workbook: bytes, rels: bytes) -> tuple[tuple[str, str], ...]:
    """(sheet name, part it points to) in the workbook's order."""
    paths = {}
    for el in SafeET.fromstring(rels):
        target = el.get("Target", "").replace("\\", "/")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        paths[el.get("Id")] = target
    sheets = SafeET.fromstring(workbook).find(f"{_NS}sheets")
    return tuple((el.get("name", ""), str(paths.get(el.get(f"{_REL_NS}id"))))
                 for el in (sheets if sheets is not None else ()))


# every return of a project has the same workbook.xml and its rels (one template):
# parsed once, the bytes themselves the key (small ones only)
_CACHED_PARTS = 64 * 1024
_cached_targets = functools.lru_cache(maxsize=32)(_sheet_targets)


def _scan_sheet(fh: io.BytesIO, member: str) -> SheetFacts:
    facts = SheetFacts()
    rows = 0
    for event, el in stream(fh, "row"):
        if event == "start":
            continue
        tag = el.tag
        if tag == f"{_NS}c":
            ref = el.get("r", "")
            m = _CELL.match(ref)
            if m:
                pos = (int(m[2]) - 1, _col_index(m[1]))
                value = el.find(f"{_NS}v")
                formula = el.find(f"{_NS}f")
                if el.get("t") == "e":
                    facts.error_cells[pos] = (value.text or "#ERROR") if value is not None \
                        else "#ERROR"
                elif formula is not None and (value is None or value.text in (None, "")) \
                        and el.get("t") != "str":
                    facts.uncached_formulas[pos] = "=" + (formula.text or "")
        elif tag == f"{_NS}row":
            rows += bool(len(el))  # formatted empty rows do not count
            if el.get("hidden") in ("1", "true") and len(el):
                facts.hidden_rows.add(int(el.get("r", rows)) - 1)
    return facts
