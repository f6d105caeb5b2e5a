"""What a file is, from its bytes: file names say nothing (a return may come back as
`周报.xls` holding an .xlsx, with no extension, or as a zip of workbooks).

A workbook is .xlsx/.xlsm (a zip with `[Content_Types].xml` and `xl/`), .ods (a zip
whose `mimetype` says spreadsheet) or .xls (an OLE2 compound file with a `Workbook`
stream); an encrypted .xlsx is also OLE2, with an `EncryptedPackage` stream. Anything
else is named, so the message can say what arrived instead.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import olefile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_OOXML_MARKERS = ("[Content_Types].xml", "xl/workbook.xml", "_rels/.rels")
_ODF_MARKERS = ("mimetype", "content.xml")
_PICTURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"),
             (b"GIF89a", "GIF"), (b"BM", "BMP"))
_MAIL_HEADERS = re.compile(rb"^(from|to|subject|date|received|return-path|message-id|mime-version|"
                           rb"delivered-to|x-[\w-]+):", re.IGNORECASE | re.MULTILINE)


class Kind(StrEnum):
    XLSX = "xlsx"  # also .xlsm
    ODS = "ods"
    XLS = "xls"
    ARCHIVE = "zip"  # a zip of other files: each is read in turn
    OTHER = "other"  # not a workbook: `what` says what it is


@dataclass(frozen=True)
class Sniffed:
    kind: Kind
    what: str = ""  # for OTHER: what the file looks like, in Chinese
    code: str = "not-a-workbook"


def sniff(source: Path | bytes) -> Sniffed:
    """The kind of a file (a path) or of an archive member (its bytes)."""
    if isinstance(source, bytes):
        head = source[:8192]
    else:
        with open(source, "rb") as fh:
            head = fh.read(8192)
    if head.startswith(b"PK"):
        return _sniff_zip(io.BytesIO(source) if isinstance(source, bytes) else source)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(source)
    if head.startswith(b"%PDF"):
        return Sniffed(Kind.OTHER, "PDF 文件")
    for magic, name in _PICTURES:
        if head.startswith(magic):
            return Sniffed(Kind.OTHER, f"{name} 图片")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(Kind.OTHER, "WebP 图片")
    return _sniff_text(head)


def _sniff_zip(source: Path | io.BytesIO) -> Sniffed:
    try:
        with zipfile.ZipFile(source) as zf:
            names = set(zf.namelist())
            mimetype = b""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 256:
                mimetype = zf.read("mimetype").strip()
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, NotImplementedError):
        return Sniffed(Kind.OTHER, "已损坏的 zip 包(.xlsx 也是 zip 包;文件可能没有完整下载或保存)")
    ooxml = any(m in names for m in _OOXML_MARKERS)
    odf = any(m in names for m in _ODF_MARKERS)
    if ooxml and odf:
        return Sniffed(Kind.OTHER, "格式不明的 zip 包(同时像 .xlsx 和 .ods)")
    if odf:
        if mimetype == ODS_MIMETYPE:
            return Sniffed(Kind.ODS)
        if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
            return Sniffed(Kind.OTHER, "OpenDocument 文本文档(.odt)")
        return Sniffed(Kind.OTHER, "OpenDocument 文档,但不是电子表格")
    if ooxml:
        if "xl/workbook.bin" in names:
            return Sniffed(Kind.OTHER, "Excel 二进制工作簿(.xlsb),xlflow 不读取这种格式")
        if any(n.startswith("word/") for n in names):
            return Sniffed(Kind.OTHER, "Word 文档(.docx)")
        if any(n.startswith("ppt/") for n in names):
            return Sniffed(Kind.OTHER, "PowerPoint 演示文稿(.pptx)")
        return Sniffed(Kind.XLSX)
    return Sniffed(Kind.ARCHIVE)


def _sniff_ole(source: Path | bytes) -> Sniffed:
    try:
        with olefile.OleFileIO(source) as ole:
            if ole.exists("EncryptedPackage"):
                return Sniffed(Kind.OTHER, "设置了打开密码的工作簿", code="encrypted")
            if ole.exists("Workbook") or ole.exists("Book"):
                return Sniffed(Kind.XLS)
            if ole.exists("WordDocument"):
                return Sniffed(Kind.OTHER, "Word 文档(.doc)")
            if ole.exists("PowerPoint Document"):
                return Sniffed(Kind.OTHER, "PowerPoint 演示文稿(.ppt)")
            return Sniffed(Kind.OTHER, "OLE 复合文档(例如 Outlook 邮件 .msg),不是工作簿")
    except (OSError, ValueError, EOFError, IndexError, KeyError, TypeError):
        # olefile raises OSError for a malformed file; the others guard its parsing
        return Sniffed(Kind.OTHER, "已损坏的 .xls 或 Office 文件")


def _sniff_text(head: bytes) -> Sniffed:
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    lower = text[:2048].lower()
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower():
        return Sniffed(Kind.OTHER, "Excel 2003 XML 表格")
    if lower.startswith((b"<!doctype html", b"<html", b"<table")) or b"<html" in lower:
        return Sniffed(Kind.OTHER, "HTML 网页(有些系统导出的“Excel”其实是网页)")
    if len(_MAIL_HEADERS.findall(text[:4096])) >= 2 and re.match(rb"[\w-]+:", text):
        return Sniffed(Kind.OTHER, "电子邮件(.eml)")
    if b"\0" not in head:
        for codec in ("utf-8", "gb18030"):
            try:
                codecs.getincrementaldecoder(codec)().decode(head)  # a cut last char is fine
            except UnicodeDecodeError:
                continue
            return Sniffed(Kind.OTHER, "纯文本或 CSV 文件")
    return Sniffed(Kind.OTHER, "无法识别的文件")
