"""Closing an XlsxWriter workbook as xlflow packages its files (every workbook xlflow
writes closes through `close_workbook`).

Shared strings: XlsxWriter writes a text that starts with `<r>` and ends with `</r>`
into xl/sharedStrings.xml unescaped, as rich-text XML; a department typing such a text
(carried into next week's workbook, or into a report) made a file Excel has to repair.
Here every shared string is written as text, escaped as XlsxWriter escapes any other,
and without a regex per string when it needs no escaping (a small workbook's strings
took as long to write as its cells). tests/test_closing.py compares with XlsxWriter.

Zipped at zlib level 1, not XlsxWriter's 6: ~4× as fast to deflate for ~40% more bytes
(a 100,000-task report: 2 s → 0.5 s, 15 → 22 MB; a risk form: 13.6 → 14.4 KB).

A workbook made in memory (a build's workbooks, the small reports) is zipped by
`_PartZip`: the bytes zipfile would write at level 1, but a part already deflated by
this process (the theme, styles, content types and most of a build's hidden sheets are
the same in every department's workbook) is not deflated again: a build of 200
departments zips ~6,000 parts of which ~3,000 are repeats. Its xl/styles.xml is written
once per distinct set of formats (`_Packager`, keyed by _xlsxreuse.styles_key).

A closed workbook is freed when its last reference goes (`_uncycle`): a build runs
without the cycle collector."""

from __future__ import annotations

import functools
import struct
import zipfile
import zlib
from collections import OrderedDict
from typing import Any, BinaryIO

import xlsxwriter.packager
import xlsxwriter.workbook
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings

from ._sheetxml import inline_text
from ._xlsxreuse import keep_styles_xml, styles_key, styles_xml

LEVEL = 1


class _SharedStrings(SharedStrings):
    def _write_sst_strings(self) -> None:
        self.fh.write("".join([f"<si>{inline_text(text)}</si>" if text else "<si><t></t></si>"
                               for text in self.string_table.string_array]))


class _Deflated:
    """Deflated parts by content, least recently used first out: a bounded memory of
    what this process zipped, so a repeated part costs a dictionary look-up."""

    MAX_PART = 256 * 1024  # a larger part is rarely repeated: not kept
    MAX_BYTES = 8 * 1024 * 1024  # parts and their deflated bytes kept, at most

    def __init__(self) -> None:
        self._parts: OrderedDict[bytes, tuple[int, bytes]] = OrderedDict()
        self._bytes = 0

    def __call__(self, data: bytes) -> tuple[int, bytes]:
        """(CRC-32, raw deflate at LEVEL) of `data`, as zipfile makes them."""
        if len(data) > self.MAX_PART:
            return zlib.crc32(data), _deflate(data)
        found = self._parts.get(data)
        if found is not None:
            self._parts.move_to_end(data)
            return found
        found = self._parts[data] = zlib.crc32(data), _deflate(data)
        self._bytes += len(data) + len(found[1])
        while self._bytes > self.MAX_BYTES:
            old, (_, packed) = self._parts.popitem(last=False)
            self._bytes -= len(old) + len(packed)
        return found


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)  # as zipfile's _get_compressor
    return packer.compress(data) + packer.flush()


_DEFLATED = _Deflated()
_END = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_LIMIT = (1 << 31) - 1  # zipfile's ZIP64_LIMIT: beyond it zipfile writes ZIP64 records


class _PartZip:
    """The zip XlsxWriter writes an in-memory workbook into (`writestr` of each part,
    then `close`), byte for byte what zipfile.ZipFile at LEVEL writes for a seekable
    file (tests/test_closing.py compares), each part deflated once per process. A
    workbook too large for a plain zip (2 GB) is refused as zipfile refuses it."""

    def __init__(self, file: Any, mode: str = "w", compression: int = zipfile.ZIP_DEFLATED,
                 allowZip64: bool = True) -> None:  # zipfile's names
        if mode != "w" or compression != zipfile.ZIP_DEFLATED:
            raise ValueError("_PartZip writes deflated zips only")
        self.compression = compression
        self._own = not hasattr(file, "write")
        self._fh: BinaryIO = open(file, "wb") if self._own else file  # noqa: SIM115
        self._at = 0 if self._own else self._fh.tell()  # offsets are the file's, as zipfile's
        self._central: list[bytes] = []

    def writestr(self, zinfo: zipfile.ZipInfo, data: bytes) -> None:
        crc, packed = _DEFLATED(data)
        if max(len(data), len(packed), self._at) > _LIMIT:
            raise zipfile.LargeZipFile("a workbook part beyond 2 GB needs ZIP64")
        zinfo.file_size, zinfo.compress_size, zinfo.CRC = len(data), len(packed), crc
        zinfo.flag_bits = 0
        if not zinfo.external_attr:
            zinfo.external_attr = 0o600 << 16  # as zipfile gives a part it is handed
        zinfo.header_offset = self._at
        header = zinfo.FileHeader(False)
        self._fh.write(header)
        self._fh.write(packed)
        try:  # as zipfile names a part: ASCII, else UTF-8 flagged
            name, flags = zinfo.filename.encode("ascii"), zinfo.flag_bits
        except UnicodeEncodeError:
            name, flags = zinfo.filename.encode("utf-8"), zinfo.flag_bits | 0x800
        dt = zinfo.date_time
        self._central.append(_CENTRAL.pack(
            b"PK\001\002", zinfo.create_version, zinfo.create_system, zinfo.extract_version,
            zinfo.reserved, flags, zinfo.compress_type,
            dt[3] << 11 | dt[4] << 5 | (dt[5] // 2), (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2],
            crc, len(packed), len(data), len(name), len(zinfo.extra), len(zinfo.comment),
            0, zinfo.internal_attr, zinfo.external_attr, self._at)
            + name + zinfo.extra + zinfo.comment)
        self._at += len(header) + len(packed)

    def close(self) -> None:
        try:
            directory = b"".join(self._central)
            if len(self._central) > 0xFFFF or self._at + len(directory) > _LIMIT:
                raise zipfile.LargeZipFile("a workbook this large needs ZIP64")
            self._fh.write(directory)
            count = len(self._central)
            self._fh.write(_END.pack(b"PK\005\006", 0, 0, count, count, len(directory),
                                     self._at, 0))
            self._fh.flush()
        finally:
            if self._own:
                self._fh.close()


class _Packager(Packager):
    """XlsxWriter's, with xl/styles.xml written once per distinct set of formats for
    in-memory workbooks (a build's are all alike: _xlsxreuse.styles_key)."""

    def _write_styles_file(self) -> None:
        key = styles_key(self.workbook) if self.in_memory else None
        xml = styles_xml(key)
        if xml is not None:
            self._filename("xl/styles.xml").write(xml)
            return
        super()._write_styles_file()
        if key is not None:
            keep_styles_xml(key, self.filenames[-1][0].getvalue())


_XLSXWRITER = (xlsxwriter.packager.SharedStrings, xlsxwriter.workbook.ZipFile,
               xlsxwriter.workbook.Packager)
_QUICK_ZIP = functools.partial(zipfile.ZipFile, compresslevel=LEVEL)


def close_workbook(wb: Any) -> None:
    """wb.close(), shared strings, style sheet and zip as above. XlsxWriter has no option
    for any of them, so its modules' names are swapped while it closes and put back
    after."""
    xlsxwriter.packager.SharedStrings = _SharedStrings
    xlsxwriter.workbook.ZipFile = _PartZip if getattr(wb, "in_memory", False) else _QUICK_ZIP
    xlsxwriter.workbook.Packager = _Packager
    try:
        wb.close()
    finally:
        (xlsxwriter.packager.SharedStrings, xlsxwriter.workbook.ZipFile,
         xlsxwriter.workbook.Packager) = _XLSXWRITER
    _uncycle(wb)


def _uncycle(wb: Any) -> None:
    """Cut XlsxWriter's link from each sheet back to its workbook (its add_format, kept
    for check boxes), the only cycle a closed workbook holds: without it the workbook
    is freed when its last reference goes, not at the next full collection. A build
    pauses collections (_gcpause), and its workbooks stayed in memory till its end:
    657 MB for 1,000 departments."""
    for ws in getattr(wb, "worksheets_objs", ()):
        if getattr(ws, "workbook_add_format", None) is not None:
            ws.workbook_add_format = None
