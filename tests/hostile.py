"""Make the hostile and messy inputs of the corpus, by code, from a built workbook."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl


def rewrite_sheet(path: Path, sheet: str,
                  transform: Callable[[list[list[Any]]], list[list[Any]]],
                  *, name: str | None = None) -> Path:
    """Replace a sheet's values by transform(rows), e.g. with columns reordered."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    index = wb.sheetnames.index(sheet)
    wb.remove(ws)
    new = wb.create_sheet(name or sheet, index)
    for row in transform(rows):
        new.append(row)
    wb.save(path)
    return path


def replace_member(path: Path, member: str, data: bytes, out: Path) -> Path:
    """Copy the package with one member replaced (or added)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info, src.read(info.filename))
        dst.writestr(member, data)
    return out


def sheet_member(path: Path, sheet: str) -> str:
    """The package part that holds `sheet` (through workbook.xml and its rels)."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+"[^>]*r:id="(rId\d+)"', workbook)[1]
    return "xl/" + re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"', rels)[1]


def far_value(path: Path, sheet: str, ref: str, out: Path, *, value: str = "远处的值",
              dimension: str | None = None) -> Path:
    """One value at `ref` added to the sheet's XML; its <dimension> left as it was (a lie),
    or set to `dimension` ('' removes it)."""
    member = sheet_member(path, sheet)
    with zipfile.ZipFile(path) as z:
        xml = z.read(member).decode()
    row = re.fullmatch(r"[A-Z]+(\d+)", ref)[1]
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c></row>'
    xml = xml.replace("</sheetData>", cell + "</sheetData>")
    if dimension is not None:
        xml = re.sub(r"<dimension [^>]*/>", f'<dimension ref="{dimension}"/>' if dimension else "",
                     xml)
    return replace_member(path, member, xml.encode(), out)


def zip_bomb(out: Path, size_mb: int = 300) -> Path:
    """A package whose one sheet inflates to size_mb of blanks (about 1000:1)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(size_mb):
                fh.write(chunk)
    return out


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
      b'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t>'
    b"</si></sst>"
)


def encrypt(path: Path, out: Path, password: str = "secret") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(path, "rb") as src, open(out, "wb") as dst:
        OOXMLFile(src).encrypt(password, dst)
    return out


def legacy_xls(path: Path, outdir: Path) -> Path:
    """A real Excel 97 .xls, saved by LibreOffice."""
    from .office import soffice_convert

    return soffice_convert(path, outdir, "xls")


def with_macros(path: Path, out: Path) -> Path:
    return replace_member(path, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512, out)


def truncated(path: Path, out: Path) -> Path:
    data = path.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    return out


def ssconvert_resave(path: Path, out: Path) -> Path:
    from .office import ssconvert

    return ssconvert(path, out)

