"""Look inside an .xlsx package before trusting it: size limits against zip bombs, no
DTDs or entities (billion laughs, external entities), and the facts calamine does not
give: error cells (#N/A), formulas with no cached value, hidden rows, macros.

All XML here is parsed with defusedxml, streaming, within explicit limits.
"""

from __future__ import annotations

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
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_CELL = re.compile(r"^([A-Z]+)(\d+)$")


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


@dataclass
class PackageFacts:
    macros: bool = False
    members: dict[str, str] = field(default_factory=dict)  # sheet name -> XML member


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def check_package(path: Path) -> PackageFacts:
    """Raise UnsafePackage for a bomb or an XML attack; else say where the sheets are."""
    with zipfile.ZipFile(path) as zf:
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
        names = {i.filename for i in infos}
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                _refuse_dtd(zf, info)
        return PackageFacts(macros=any(n.lower().endswith("vbaproject.bin") for n in names),
                            members=_sheet_members(zf, names))


def sheet_facts(path: Path, member: str) -> SheetFacts:
    """Error cells, formulas without a cached value and hidden rows of one sheet."""
    with zipfile.ZipFile(path) as zf:
        return _scan_sheet(zf, member)


def _refuse_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 16):
            if _DTD.search(tail + chunk):
                raise UnsafePackage("unsafe-xml", f"{info.filename} 含 DTD/实体声明(XML 实体攻击),"
                                    "已拒绝")
            tail = chunk[-16:]


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


def _scan_sheet(zf: zipfile.ZipFile, member: str) -> SheetFacts:
    facts = SheetFacts()
    rows = 0
    with zf.open(member) as fh:
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
