"""Look inside a legacy .xls (BIFF8, Excel 97–2003) before calamine reads it: one pass
over the `Workbook` stream's records gives each sheet's extent, error cells and hidden
rows (an .xls caches every formula's result, so there are no uncached formulas), and
says whether the file is encrypted or carries macros.

Records: [MS-XLS] 2.4 (BOUNDSHEET8 0x85, FILEPASS 0x2F, BOF 0x809, EOF 0x0A, ROW 0x208,
cell records with row and column as their first two 16-bit fields).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import olefile

from ._package import MAX_UNCOMPRESSED, Extent, SheetFacts, UnsafePackage

_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _CODEPAGE, _ROW = 0x0809, 0x000A, 0x0085, 0x002F, 0x0042, 0x0208
_BOOLERR, _FORMULA, _MULRK = 0x0205, 0x0006, 0x00BD
_VALUE_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6, _BOOLERR, _FORMULA}  # BLANK: no value
_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
           0x24: "#NUM!", 0x2A: "#N/A"}


class XlsPackage:
    """An .xls opened once; the sheets are scanned on open (the stream is small)."""

    eager = True  # calamine parses every sheet when it opens an .xls

    def __init__(self, source: Path | BinaryIO) -> None:
        with olefile.OleFileIO(source) as ole:
            if ole.exists("EncryptedPackage"):
                raise UnsafePackage("encrypted", "文件设置了打开密码,无法读取;请取消密码后重新发送")
            stream = "Workbook" if ole.exists("Workbook") else "Book"
            if ole.get_size(stream) > MAX_UNCOMPRESSED:
                raise UnsafePackage("zip-bomb", f"工作簿数据超过 {MAX_UNCOMPRESSED >> 20} MB,已拒绝")
            data = ole.openstream(stream).read()
            self.macros = ole.exists("_VBA_PROJECT_CUR")
        self._sheets = _scan_workbook(data)

    def __enter__(self) -> XlsPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def extent(self, sheet: str) -> Extent | None:
        found = self._sheets.get(sheet)
        return found[0] if found else None

    def sheet_facts(self, sheet: str) -> SheetFacts:
        found = self._sheets.get(sheet)
        return found[1] if found else SheetFacts()


def _records(data: bytes, pos: int):
    while pos + 4 <= len(data):
        rtype, size = struct.unpack_from("<HH", data, pos)
        yield rtype, data[pos + 4:pos + 4 + size]
        pos += 4 + size


def _scan_workbook(data: bytes) -> dict[str, tuple[Extent, SheetFacts]]:
    sheets: list[tuple[int, bytes]] = []
    codec = "cp1252"
    for rtype, body in _records(data, 0):
        if rtype == _FILEPASS:
            raise UnsafePackage("encrypted", "文件设置了打开密码,无法读取;请取消密码后重新发送")
        if rtype == _CODEPAGE and len(body) >= 2:
            page = struct.unpack_from("<H", body)[0]
            codec = "utf-16-le" if page == 1200 else f"cp{page}"
        elif rtype == _BOUNDSHEET and len(body) >= 8:
            sheets.append((struct.unpack_from("<I", body)[0], body[6:]))
        elif rtype == _EOF:
            break
    out: dict[str, tuple[Extent, SheetFacts]] = {}
    for offset, raw in sheets:
        out.setdefault(_sheet_name(raw, codec), _scan_sheet(data, offset))
    return out


def _sheet_name(raw: bytes, codec: str) -> str:
    """BIFF8: length, a flag byte (1 = UTF-16), the characters; BIFF5: length, bytes."""
    count = raw[0]
    if len(raw) >= 2 + count and raw[1] in (0, 1) and len(raw) in (2 + count, 2 + 2 * count):
        text = raw[2:2 + 2 * count] if raw[1] else raw[2:2 + count]
        return text.decode("utf-16-le" if raw[1] else "latin-1", "replace")
    try:
        return raw[1:1 + count].decode(codec, "replace")
    except LookupError:
        return raw[1:1 + count].decode("cp1252", "replace")


def _scan_sheet(data: bytes, offset: int) -> tuple[Extent, SheetFacts]:
    rows = columns = 0
    facts = SheetFacts()
    hidden: set[int] = set()
    for n, (rtype, body) in enumerate(_records(data, offset)):
        if n == 0 and rtype != _BOF:
            break
        if rtype == _EOF:
            break
        if len(body) < 4:
            continue
        row, col = struct.unpack_from("<HH", body)
        if rtype in _VALUE_CELLS:
            rows, columns = max(rows, row + 1), max(columns, col + 1)
            if rtype == _BOOLERR and len(body) >= 8 and body[7]:
                facts.error_cells[(row, col)] = _ERRORS.get(body[6], "#ERROR")
            elif rtype == _FORMULA and len(body) >= 14 and body[12:14] == b"\xff\xff" \
                    and body[6] == 2:
                facts.error_cells[(row, col)] = _ERRORS.get(body[8], "#ERROR")
        elif rtype == _MULRK and len(body) >= 6:
            last = struct.unpack_from("<H", body, len(body) - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1, col + 1)
        elif rtype == _ROW and len(body) >= 14 and body[12] & 0x20:
            hidden.add(row)
    facts.hidden_rows.update(r for r in hidden if r < rows)
    return Extent(rows, columns), facts
