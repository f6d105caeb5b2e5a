"""Look inside an .xlsx package before trusting it: size limits against zip bombs, no
DTDs or entities (billion laughs, external entities), and the facts calamine does not
give: error cells (#N/A), formulas with no cached value, hidden rows, macros.

All XML here is parsed with defusedxml, streaming, within explicit limits.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

MAX_UNCOMPRESSED = 256 * 1024 * 1024  # all members together
MAX_MEMBER = 128 * 1024 * 1024
MAX_RATIO = 200  # a member this much larger than its compressed size is a bomb ...
RATIO_FLOOR = 8 * 1024 * 1024  # ... once it is at least this big
MAX_MEMBERS = 10_000
MAX_ROWS = 100_000  # data rows in one sheet
DTD_PROLOG = 64 * 1024  # bytes of each XML part searched for a DOCTYPE
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = re.compile(r"^([A-Z]+)(\d+)$")
# an error cell, a formula (prefixed or not), or a hidden row: only then is a sheet
# parsed in full. Plain substring tests: far faster than one regex over the bytes.
_MARKERS = (b't="e"', b"<f>", b"<f ", b":f>", b":f ", b'hidden="1"', b'hidden="true"')


class UnsafePackage(Exception):
    """The file is refused; the message says why (and is shown to the user)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class SheetFacts:
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # 0-based -> '#N/A'
    uncached_formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)  # 0-based


# the parts calamine parses for values (sheets are checked when they are read)
_PARSED_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                 "xl/sharedStrings.xml", "xl/styles.xml")


class Package:
    """An .xlsx opened once: limits checked on open, sheets read and checked on demand."""

    def __init__(self, path: Path) -> None:
        self.zf = zipfile.ZipFile(path)
        try:
            self._check_limits()
            names = set(self.zf.namelist())
            for part in _PARSED_PARTS:
                if part in names:
                    _refuse_dtd(part, self._prolog(part))
            self.macros = any(n.lower().endswith("vbaproject.bin") for n in names)
            self.members = _sheet_members(self.zf, names)
        except BaseException:
            self.zf.close()
            raise

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zf.close()

    def _check_limits(self) -> None:
        infos = self.zf.infolist()
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

    def _prolog(self, part: str) -> bytes:
        with self.zf.open(part) as fh:
            return fh.read(DTD_PROLOG)

    def sheet_facts(self, sheet: str) -> SheetFacts:
        """Error cells, formulas without a cached value and hidden rows of one sheet.

        Most sheets have none of them: a byte search (in C) decides whether the full
        parse is needed at all."""
        member = self.members.get(sheet)
        if member is None:
            return SheetFacts()
        data = self.zf.read(member)
        _refuse_dtd(member, data[:DTD_PROLOG])
        if not any(marker in data for marker in _MARKERS):
            return SheetFacts()
        return _scan_sheet(io.BytesIO(data), member)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _refuse_dtd(name: str, prolog: bytes) -> None:
    """A DTD must come before the root element, so its prolog is where to look. This is
    for a clear message; safety does not rest on it: calamine's parser expands no
    entities and everything xlflow parses itself goes through defusedxml."""
    if _DTD.search(prolog):
        raise UnsafePackage("unsafe-xml", f"{name} 含 DTD/实体声明(XML 实体攻击),已拒绝")


def _sheet_members(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    rels = {}
    for el in SafeET.fromstring(zf.read("xl/_rels/workbook.xml.rels")):
        target = el.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        rels[el.get("Id")] = target
    out = {}
    sheets = SafeET.fromstring(zf.read("xl/workbook.xml")).find(f"{_NS}sheets")
    for el in sheets if sheets is not None else ():
        member = rels.get(el.get(f"{_REL_NS}id"))
        if member in names:
            out[el.get("name", "")] = member
    return out


def _scan_sheet(fh: io.BytesIO, member: str) -> SheetFacts:
    facts = SheetFacts()
    rows = 0
    for _, el in SafeET.iterparse(fh, events=("end",)):
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
            el.clear()
        elif tag == f"{_NS}row":
            rows += bool(len(el))  # formatted empty rows do not count
            if rows > MAX_ROWS:
                raise UnsafePackage("too-many-rows", f"工作表 {member} 超过 {MAX_ROWS} 行,已拒绝")
            if el.get("hidden") in ("1", "true") and len(el):
                facts.hidden_rows.add(int(el.get("r", rows)) - 1)
            el.clear()
    return facts
